//! keepSrcElementName: only between elements (SA00042), and only to keep a name the destination's
//! declaration accepts, one of its substitution group (SA00094).

use super::selection::{from_selection, to_selection, Selection};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::*;
use crate::model::QName;
use crate::span::{Span, Spanned};

/// Every copy that sets keepSrcElementName, with its assign.
fn copies_keeping_names(process: &Process) -> impl Iterator<Item = (ActivityId, &Copy, &Spanned<bool>)> {
    process.activities.iter().flat_map(|activity| {
        let operations = match &activity.kind {
            ActivityKind::Assign(assign) => assign.operations.as_slice(),
            _ => &[],
        };
        operations.iter().filter_map(move |operation| match operation {
            AssignOperation::Copy(copy) => Some((activity.id, copy, copy.keep_src_element_name.as_ref()?)),
            AssignOperation::Extension(_) => None,
        })
    })
}

pub(super) const SA00042: Rule = Rule {
    code: "SA00042",
    tier: Tier::XPath,
    summary: "keepSrcElementName may be set only when both the from-spec and the to-spec select elements",
    why: "keepSrcElementName decides whether a copied element keeps its own name or takes the \
          destination's; between anything else than two elements (text, attributes, whole messages) \
          it means nothing, and the standard forbids setting it.",
    failing: r#"<copy keepSrcElementName="yes"><from>'text'</from><to variable="order" part="body"/></copy>"#,
    fixed: r#"<copy><from>'text'</from><to variable="order" part="body"/></copy>"#,
    check: check_keep_between_elements,
};

fn check_keep_between_elements(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (activity, copy, keep) in copies_keeping_names(cx.process) {
        let from = copy.from.as_ref().map_or(Selection::Unknown, |from| from_selection(cx, from, Some(activity)));
        let to = copy.to.as_ref().map_or(Selection::Unknown, |to| to_selection(cx, to, Some(activity)));
        let (side, what) = match (from, to) {
            (Selection::Other(what), _) => ("<from>", what),
            (_, Selection::Other(what)) => ("<to>", what),
            _ => continue,
        };
        let mut diagnostic = Diagnostic::error(
            "SA00042",
            cx.file,
            keep.span,
            format!("keepSrcElementName applies only when both <from> and <to> select elements, but the {side} selects {what}"),
        )
        .with_help("remove keepSrcElementName from this <copy>");
        if let Some(span) = attribute_span(cx.text, keep.span, "keepSrcElementName") {
            let edits = vec![TextEdit { file: cx.file, span, replacement: String::new() }];
            diagnostic = diagnostic.with_fix(Fix { title: "Remove keepSrcElementName".into(), edits });
        }
        out.push(diagnostic);
    }
}

pub(super) const SA00094: Rule = Rule {
    code: "SA00094",
    tier: Tier::XPath,
    summary: "with keepSrcElementName=\"yes\", the source element must belong to the substitution group of the destination element",
    why: "Keeping the source element's name in an element variable (or element part) is valid only if \
          the declaration of the destination accepts that name: the source element must be the \
          destination element or substitutable for it. Otherwise the copy faults with \
          bpel:mismatchedAssignmentFailure; detected here when both elements are known, as a warning.",
    failing: r#"<copy keepSrcElementName="yes"><from variable="request" part="body"/><to variable="response" part="body"/></copy>"#,
    fixed: r#"<copy><from variable="request" part="body"/><to variable="response" part="body"/></copy>"#,
    check: check_kept_name_substitutes,
};

fn check_kept_name_substitutes(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (activity, copy, keep) in copies_keeping_names(cx.process) {
        let (Some(from), Some(to)) = (&copy.from, &copy.to) else { continue };
        if !keep.value {
            continue;
        }
        let (Selection::Element(Some(source)), Selection::Element(Some(destination))) =
            (from_selection(cx, from, Some(activity)), to_selection(cx, to, Some(activity)))
        else {
            continue;
        };
        if substitutes(cx, &source, &destination) {
            continue;
        }
        out.push(
            Diagnostic::warning(
                "SA00094",
                cx.file,
                keep.span,
                format!(
                    "keepSrcElementName=\"yes\" keeps the name `{}`, but `{}` is not in the substitution group of `{}`, the element the destination is declared with",
                    source.local, source.local, destination.local
                ),
            )
            .with_help(format!(
                "the copy faults with bpel:mismatchedAssignmentFailure; remove keepSrcElementName, or declare `{}` with a substitutionGroup that leads to `{}`",
                source.local, destination.local
            )),
        );
    }
}

/// Whether `source` is `destination` or (transitively) in its substitution group.
fn substitutes(cx: &RuleContext<'_>, source: &QName, destination: &QName) -> bool {
    let mut current = source.clone();
    // Substitution groups are short; the bound only guards against cyclic declarations.
    for _ in 0..32 {
        if current == *destination {
            return true;
        }
        let head = cx.definitions.element(&current).and_then(|e| e.item.substitution_group.as_ref().and_then(|g| g.name.clone()));
        match head {
            Some(head) => current = head,
            None => return false,
        }
    }
    false
}

/// The span of the attribute `name="..."` whose value is at `value_span`, with the whitespace
/// before it: what to delete to remove the attribute.
fn attribute_span(text: &str, value_span: Span, name: &str) -> Option<Span> {
    let quote = (value_span.start as usize).checked_sub(1)?;
    let before = text.get(..quote)?;
    let name_start = before.rfind(name)?;
    let between = &before[name_start + name.len()..];
    if between.trim() != "=" {
        return None;
    }
    let start = before[..name_start].trim_end().len();
    Some(Span::new(start, value_span.end as usize + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_span_covers_the_attribute_and_the_space_before_it() {
        let text = r#"<copy  keepSrcElementName = "yes">"#;
        let value = text.find("yes").unwrap();
        let span = attribute_span(text, Span::new(value, value + 3), "keepSrcElementName").unwrap();
        assert_eq!(span.slice(text), r#"  keepSrcElementName = "yes""#);
        assert_eq!(attribute_span(r#"<copy other="yes">"#, Span::new(13, 16), "keepSrcElementName"), None);
    }
}
