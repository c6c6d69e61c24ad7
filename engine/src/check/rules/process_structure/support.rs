//! What the rules of this group share: walking the declaration blocks and the handlers around an
//! activity, the spans of attributes and character data that the model does not keep, and the
//! text edits of the usual fixes.

use crate::diagnostic::{Fix, TextEdit};
use crate::model::process::*;
use crate::source::FileId;
use crate::span::Span;

/// Every declaration block with what owns it: the process (`None`), each scope, and the implicit
/// scope of each invoke (its own catches and compensation handler).
pub(super) fn scope_decls(process: &Process) -> impl Iterator<Item = (Option<ActivityId>, &ScopeDecls)> {
    let activities = process.activities.iter().filter_map(|activity| match &activity.kind {
        ActivityKind::Scope(scope) => Some((Some(activity.id), &scope.decls)),
        ActivityKind::Invoke(invoke) => Some((Some(activity.id), &invoke.handlers)),
        _ => None,
    });
    std::iter::once((None, &process.scope)).chain(activities)
}

/// The declarations of `owner`: the process's for `None`, a scope's or an invoke's otherwise.
pub(super) fn decls_of(process: &Process, owner: Option<ActivityId>) -> Option<&ScopeDecls> {
    let Some(id) = owner else { return Some(&process.scope) };
    match &process.activity(id).kind {
        ActivityKind::Scope(scope) => Some(&scope.decls),
        ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
        _ => None,
    }
}

/// Where `id` and each activity around it stand, innermost first: for every step outwards, the
/// activity, the activity that holds it (`None`: the process) and its [`Placement`] there.
pub(super) fn placements(process: &Process, id: ActivityId) -> impl Iterator<Item = (ActivityId, Option<ActivityId>, Placement)> + '_ {
    std::iter::successors(Some(id), move |&child| process.activity(child).parent)
        .map(move |child| (child, process.activity(child).parent, process.placement(child)))
}

/// The handler kinds an activity can stand in, as the standard names them.
pub(super) fn handler_name(placement: Placement) -> Option<&'static str> {
    match placement {
        Placement::Catch(_) => Some("a <catch>"),
        Placement::CatchAll => Some("a <catchAll>"),
        Placement::CompensationHandler => Some("a <compensationHandler>"),
        Placement::TerminationHandler => Some("a <terminationHandler>"),
        Placement::OnEvent(_) => Some("an <onEvent>"),
        Placement::EventOnAlarm(_) => Some("an <onAlarm> event handler"),
        Placement::Body | Placement::OnMessage(_) | Placement::PickOnAlarm(_) => None,
    }
}

/// Every `<from>` of the process: those of copies and the initializers of variables.
pub(super) fn from_specs(process: &Process) -> impl Iterator<Item = &From> {
    let initializers = scope_decls(process).flat_map(|(_, decls)| decls.variables.iter().filter_map(|v| v.from.as_ref()));
    copies(process).filter_map(|copy| copy.from.as_ref()).chain(initializers)
}

/// Every `<copy>` of every `<assign>`.
pub(super) fn copies(process: &Process) -> impl Iterator<Item = &Copy> {
    process
        .activities
        .iter()
        .flat_map(|activity| match &activity.kind {
            ActivityKind::Assign(assign) => assign.operations.as_slice(),
            _ => &[],
        })
        .filter_map(|operation| match operation {
            AssignOperation::Copy(copy) => Some(copy),
            AssignOperation::Extension(_) => None,
        })
}

/// The name in the start tag of the element at `span`.
pub(super) fn tag_name(text: &str, span: Span) -> Span {
    crate::resolve::start_tag_name(text, span)
}

/// The whole attribute (`name="value"`, with the white space before it) whose value is at `value`.
pub(super) fn attribute_span(text: &str, value: Span) -> Option<Span> {
    let bytes = text.as_bytes();
    let (start, end) = (value.start as usize, value.end as usize);
    let quote = *bytes.get(start.checked_sub(1)?)?;
    if !matches!(quote, b'"' | b'\'') || bytes.get(end) != Some(&quote) {
        return None;
    }
    let mut i = skip_back_while(bytes, start - 1, |b| b.is_ascii_whitespace());
    if i == 0 || bytes[i - 1] != b'=' {
        return None;
    }
    i = skip_back_while(bytes, i - 1, |b| b.is_ascii_whitespace());
    let name_start = skip_back_while(bytes, i, |b| !b.is_ascii_whitespace() && b != b'<' && b != b'"' && b != b'\'');
    if name_start == i {
        return None;
    }
    let space_start = skip_back_while(bytes, name_start, |b| b.is_ascii_whitespace());
    (space_start < name_start).then(|| Span::new(space_start, end + 1))
}

fn skip_back_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i > 0 && keep(bytes[i - 1]) {
        i -= 1;
    }
    i
}

/// A fix that deletes the attributes whose values are at `values`.
pub(super) fn remove_attributes(text: &str, file: FileId, values: &[Span], title: impl Into<String>) -> Option<Fix> {
    let edits: Option<Vec<TextEdit>> =
        values.iter().map(|&value| Some(TextEdit { file, span: attribute_span(text, value)?, replacement: String::new() })).collect();
    Some(Fix { title: title.into(), edits: edits.filter(|e| !e.is_empty())? })
}

/// A fix that deletes the element at `span` together with the white space before it on its line.
pub(super) fn remove_element(text: &str, file: FileId, span: Span, title: impl Into<String>) -> Fix {
    let bytes = text.as_bytes();
    let start = skip_back_while(bytes, span.start as usize, |b| b == b' ' || b == b'\t');
    let start = if start > 0 && bytes[start - 1] == b'\n' { start - 1 } else { span.start as usize };
    Fix { title: title.into(), edits: vec![TextEdit { file, span: Span::new(start, span.end as usize), replacement: String::new() }] }
}

/// A fix that adds `name="value"` to the start tag whose name is at `tag`.
pub(super) fn add_attribute(file: FileId, tag: Span, name: &str, value: &str, title: impl Into<String>) -> Fix {
    let edit = TextEdit { file, span: Span::empty_at(tag.end as usize), replacement: format!(" {name}=\"{value}\"") };
    Fix { title: title.into(), edits: vec![edit] }
}

/// A fix that replaces the text at `span`.
pub(super) fn replace(file: FileId, span: Span, replacement: &str, title: impl Into<String>) -> Fix {
    Fix { title: title.into(), edits: vec![TextEdit { file, span, replacement: replacement.to_string() }] }
}

/// The first non-blank character data directly inside the element at `element` (not inside its
/// child elements, comments or processing instructions), as a span of that text.
pub(super) fn direct_text(text: &str, element: Span) -> Option<Span> {
    let bytes = text.as_bytes();
    let end = (element.end as usize).min(bytes.len());
    let mut i = after_tag(bytes, element.start as usize, end)?;
    if bytes.get(i.checked_sub(2)?) == Some(&b'/') {
        return None; // `<from .../>`
    }
    let mut depth = 0usize;
    while i < end {
        let rest = &bytes[i..end];
        if rest.starts_with(b"<!--") {
            i = find(bytes, i + 4, end, b"-->")? + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            let close = find(bytes, i + 9, end, b"]]>")?;
            if depth == 0 && bytes[i + 9..close].iter().any(|b| !b.is_ascii_whitespace()) {
                return Some(Span::new(i, close + 3));
            }
            i = close + 3;
        } else if rest.starts_with(b"<?") {
            i = find(bytes, i + 2, end, b"?>")? + 2;
        } else if rest.starts_with(b"</") {
            if depth == 0 {
                return None;
            }
            depth -= 1;
            i = find(bytes, i, end, b">")? + 1;
        } else if rest[0] == b'<' {
            let next = after_tag(bytes, i, end)?;
            if bytes[next - 2] != b'/' {
                depth += 1;
            }
            i = next;
        } else {
            let stop = bytes[i..end].iter().position(|&b| b == b'<').map_or(end, |p| i + p);
            if depth == 0 {
                if let Some(first) = bytes[i..stop].iter().position(|b| !b.is_ascii_whitespace()) {
                    let last = bytes[i..stop].iter().rposition(|b| !b.is_ascii_whitespace()).unwrap_or(first);
                    return Some(Span::new(i + first, i + last + 1));
                }
            }
            i = stop;
        }
    }
    None
}

/// The offset just after the `>` of the tag that starts at `start`, skipping quoted values.
fn after_tag(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut quote = None;
    for (offset, &b) in bytes.get(start..end)?.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(start + offset + 1),
            _ => {}
        }
    }
    None
}

fn find(bytes: &[u8], from: usize, end: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..end)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).expect("needle in text");
        Span::new(start, start + needle.len())
    }

    #[test]
    fn finds_the_whole_attribute_from_its_value() {
        let text = r#"<from variable="x"  part = 'p'/>"#;
        let value = Span::new(span_of(text, "'p'").start as usize + 1, span_of(text, "'p'").end as usize - 1);
        assert_eq!(attribute_span(text, value).map(|s| s.slice(text)), Some("  part = 'p'"));
    }

    #[test]
    fn finds_text_beside_child_elements_only() {
        let text = "<from variable=\"a\"> <query>x</query> <!-- c --> </from>";
        assert_eq!(direct_text(text, Span::new(0, text.len())), None);
        let text = "<from><literal>1</literal>$a.b</from>";
        assert_eq!(direct_text(text, Span::new(0, text.len())).map(|s| s.slice(text)), Some("$a.b"));
        let text = "<from a='>'/>";
        assert_eq!(direct_text(text, Span::new(0, text.len())), None);
        let text = "<to><![CDATA[ $x ]]></to>";
        assert!(direct_text(text, Span::new(0, text.len())).is_some());
    }
}
