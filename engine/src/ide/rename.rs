//! Rename a variable, partner link, link, correlation set or message exchange: its declaration
//! and every use, inside XPath included (`$var`, `$var.part`, `bpel:getVariableProperty('var', …)`,
//! `$link` in a join condition). Refused, with the reason, where the result would not mean the
//! same process.

use super::index::{visibility, Index, Target};
use crate::check::Analysis;
use crate::resolve::SymbolKind;
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::is_ncname;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("there is no name to rename here")]
    NothingHere,
    #[error("`{name}` is a {what} defined in an imported WSDL or XSD document; rename it there")]
    DefinedOutside { what: &'static str, name: String },
    #[error("`{name}` is not a valid name: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("a {kind} named `{name}` is already visible where this one is")]
    Clash { kind: &'static str, name: String, declaration: Span },
    #[error("a use of `{name}` is written with entity references or CDATA and cannot be edited safely")]
    UneditableUse { name: String, span: Span },
}

/// Whether the name at `offset` in `file` can be renamed: its span and current text (for the
/// editor to show), or why not. The new name is checked by [`rename`].
pub fn prepare_rename(analysis: &Analysis, file: FileId, offset: usize) -> Result<(Span, String), RenameError> {
    let index = Index::build(analysis);
    let occurrence = index.at(file, offset).ok_or(RenameError::NothingHere)?;
    let text = super::file_text(analysis, occurrence.file).unwrap_or_default();
    let name = occurrence.span.slice(&text).to_string();
    match &occurrence.target {
        Target::Symbol(_) => Ok((occurrence.span, name)),
        other => Err(RenameError::DefinedOutside { what: describe(other), name }),
    }
}

/// The edits that rename what the name at `offset` in `file` declares or refers to: each
/// `(file, span, new text)`, sorted by position, declaration included.
pub fn rename(analysis: &Analysis, file: FileId, offset: usize, new_name: &str) -> Result<Vec<(FileId, Span, String)>, RenameError> {
    let index = Index::build(analysis);
    let occurrence = index.at(file, offset).ok_or(RenameError::NothingHere)?;
    let id = match &occurrence.target {
        Target::Symbol(id) => *id,
        other => {
            let text = super::file_text(analysis, occurrence.file).unwrap_or_default();
            return Err(RenameError::DefinedOutside { what: describe(other), name: occurrence.span.slice(&text).to_string() });
        }
    };
    let declaration = analysis.symbols.declarations.get(id.0 as usize).ok_or(RenameError::NothingHere)?;
    check_name(declaration.kind, new_name)?;
    let region = visibility(analysis, declaration);
    for (i, other) in analysis.symbols.declarations.iter().enumerate() {
        if i == id.0 as usize || other.kind != declaration.kind || other.name != new_name {
            continue;
        }
        let other_region = visibility(analysis, other);
        let overlaps = contains(region, other_region) || contains(other_region, region);
        if overlaps {
            return Err(RenameError::Clash { kind: declaration.kind.describe(), name: new_name.to_string(), declaration: other.span });
        }
    }
    let text = &analysis.unit.text;
    let target = Target::Symbol(id);
    let mut edits = Vec::new();
    for use_ in index.of(&target) {
        if !use_.exact || use_.span.slice(text) != declaration.name {
            return Err(RenameError::UneditableUse { name: declaration.name.clone(), span: use_.span });
        }
        edits.push((use_.file, use_.span, new_name.to_string()));
    }
    edits.sort_by_key(|(file, span, _)| (*file, span.start, span.end));
    edits.dedup();
    Ok(edits)
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn check_name(kind: SymbolKind, name: &str) -> Result<(), RenameError> {
    let invalid = |reason| Err(RenameError::InvalidName { name: name.to_string(), reason });
    if !is_ncname(name) {
        return invalid("names are XML NCNames: a letter or `_` first, then letters, digits, `.`, `-`, `_`; no `:`");
    }
    // `$name.part` reads the part of a variable, and `$name` a link's status: a `.` would split them.
    if name.contains('.') && matches!(kind, SymbolKind::Variable | SymbolKind::Link) {
        return invalid("a variable or link name cannot contain `.`, which XPath reads as `$variable.part`");
    }
    Ok(())
}

fn describe(target: &Target) -> &'static str {
    match target {
        Target::Symbol(_) => "name",
        Target::Definition(kind, _) => kind.describe(),
        Target::Operation { .. } => "operation",
        Target::Part { .. } => "message part",
        Target::Role { .. } => "partner link type role",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::analyze_text;
    use crate::ide::test_support::{example_path, offset_of};
    use crate::parse::Loader;

    fn apply(text: &str, edits: &[(FileId, Span, String)]) -> String {
        let mut out = text.to_string();
        for (_, span, replacement) in edits.iter().rev() {
            out.replace_range(span.range(), replacement);
        }
        out
    }

    fn error_count(analysis: &Analysis) -> usize {
        analysis.diagnostics().iter().filter(|d| d.is_error()).count()
    }

    #[test]
    fn renaming_a_variable_edits_attributes_and_xpath_and_reanalyses_cleanly() {
        let path = example_path("long-running/long-running.bpel");
        let mut loader = Loader::new();
        let text = std::fs::read_to_string(&path).unwrap();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let errors_before = error_count(&analysis);
        let offset = offset_of(&text, "$placeOrder.order", 0) + 2;
        let edits = rename(&analysis, analysis.unit.file, offset, "incomingOrder").expect("renameable");

        let expected = 1 + text.matches("variable=\"placeOrder\"").count() + text.matches("$placeOrder").count();
        assert_eq!(edits.len(), expected);
        assert!(edits
            .iter()
            .all(|(file, span, new)| *file == analysis.unit.file && span.slice(&text) == "placeOrder" && new == "incomingOrder"));

        let renamed = apply(&text, &edits);
        assert!(!renamed.contains("\"placeOrder\"") || renamed.contains("operation=\"placeOrder\""));
        assert!(!renamed.contains("$placeOrder"));
        assert!(renamed.contains("$incomingOrder.order"));
        let again = analyze_text(&mut loader, &path, renamed);
        assert_eq!(error_count(&again), errors_before, "{:#?}", again.diagnostics());
    }

    #[test]
    fn renaming_a_variable_edits_get_variable_property() {
        let path = crate::ide::test_support::betsy_dir().join("basic/Assign-Copy-GetVariableProperty.bpel");
        let mut loader = Loader::new();
        let text = std::fs::read_to_string(&path).unwrap();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let errors_before = error_count(&analysis);
        let offset = offset_of(&text, "getVariableProperty(\"InitData\"", 0) + "getVariableProperty(\"".len() + 1;
        let edits = rename(&analysis, analysis.unit.file, offset, "Start").expect("renameable");
        assert!(edits.iter().any(|(_, span, _)| span.start as usize == offset - 1), "the literal's content is edited");
        let uses = text.matches("\"InitData\"").count() + text.matches("$InitData").count();
        assert_eq!(edits.len(), uses);
        let again = analyze_text(&mut loader, &path, apply(&text, &edits));
        assert_eq!(error_count(&again), errors_before, "{:#?}", again.diagnostics());
    }

    #[test]
    fn renaming_a_link_edits_its_join_condition() {
        let path = crate::ide::test_support::betsy_dir().join("structured/Flow-Links-JoinCondition.bpel");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut loader = Loader::new();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let offset = offset_of(&text, "$FromFirstToThird", 0) + 3;
        let edits = rename(&analysis, analysis.unit.file, offset, "FirstDone").expect("renameable");
        let expected = text.matches("\"FromFirstToThird\"").count() + text.matches("$FromFirstToThird").count();
        assert_eq!(expected, 4, "declaration, source, target, join condition");
        assert_eq!(edits.len(), expected);
        let renamed = apply(&text, &edits);
        assert!(renamed.contains("$FirstDone") && !renamed.contains("FromFirstToThird"));
        let again = analyze_text(&mut loader, &path, renamed);
        assert_eq!(error_count(&again), error_count(&analysis), "{:#?}", again.diagnostics());
    }

    #[test]
    fn uses_inside_expressions_written_with_entity_references_are_placed_by_the_parse() {
        let path = example_path("echo/echo.bpel");
        let original = std::fs::read_to_string(&path).unwrap();
        let condition = "<if><condition>string($request.payload) != '&lt;' and $request</condition><empty/></if>\n        <reply ";
        let text = original.replacen("<reply ", condition, 1);
        let mut loader = Loader::new();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let errors_before = error_count(&analysis);
        let file = analysis.unit.file;
        let inside_condition = offset_of(&text, "$request.payload", 0) + 2;
        let declaration = offset_of(&text, "<variable name=\"request\"", 0) + "<variable name=\"".len();
        let found = crate::ide::navigation::definition(&analysis, file, inside_condition).expect("placed exactly");
        assert_eq!(found.span.start as usize, declaration);
        let edits = rename(&analysis, file, declaration, "incoming").expect("renameable");
        assert_eq!(edits.len(), 5, "declaration, receive, from, twice in the condition");
        let renamed = apply(&text, &edits);
        assert!(renamed.contains("string($incoming.payload) != '&lt;' and $incoming</condition>"), "{renamed}");
        let again = analyze_text(&mut loader, &path, renamed);
        assert_eq!(error_count(&again), errors_before, "{:#?}", again.diagnostics());
    }

    #[test]
    fn a_use_that_cannot_be_placed_refuses_the_rename() {
        let path = example_path("echo/echo.bpel");
        let original = std::fs::read_to_string(&path).unwrap();
        // Does not parse, so `$request` is known only to stand somewhere in the condition.
        let condition = "<if><condition>$request &lt;&lt; 1</condition><empty/></if>\n        <reply ";
        let text = original.replacen("<reply ", condition, 1);
        let mut loader = Loader::new();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let file = analysis.unit.file;
        let declaration = offset_of(&text, "<variable name=\"request\"", 0) + "<variable name=\"".len();
        assert!(matches!(rename(&analysis, file, declaration, "incoming"), Err(RenameError::UneditableUse { .. })));
        // Still listed as a reference, though not found at an offset inside the condition.
        let uses = crate::ide::navigation::references(&analysis, file, declaration, false);
        assert_eq!(uses.len(), 3, "receive, from and the condition: {uses:?}");
        let inside_condition = offset_of(&text, "$request &lt;", 0) + 2;
        assert_eq!(crate::ide::navigation::definition(&analysis, file, inside_condition), None);
        let partner_link = offset_of(&text, "partnerLink name=\"client\"", 0) + "partnerLink name=\"".len();
        assert_eq!(rename(&analysis, file, partner_link, "caller").map(|edits| edits.len()), Ok(3));
    }

    #[test]
    fn refusals_say_why() {
        let path = example_path("long-running/long-running.bpel");
        let mut loader = Loader::new();
        let text = std::fs::read_to_string(&path).unwrap();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let file = analysis.unit.file;
        let variable = offset_of(&text, "$placeOrder", 0) + 1;

        assert_eq!(rename(&analysis, file, 0, "x"), Err(RenameError::NothingHere));
        let (span, name) = prepare_rename(&analysis, file, variable).expect("a variable");
        assert_eq!((span.slice(&text), name.as_str()), ("placeOrder", "placeOrder"));
        assert_eq!(prepare_rename(&analysis, file, 0), Err(RenameError::NothingHere));
        assert!(matches!(rename(&analysis, file, variable, "payment"), Err(RenameError::Clash { name, .. }) if name == "payment"));
        assert!(matches!(rename(&analysis, file, variable, "1st"), Err(RenameError::InvalidName { .. })));
        assert!(matches!(rename(&analysis, file, variable, "a:b"), Err(RenameError::InvalidName { .. })));
        assert!(matches!(rename(&analysis, file, variable, "order.part"), Err(RenameError::InvalidName { .. })));
        let operation = offset_of(&text, "operation=\"placeOrder\"", 0) + "operation=\"".len();
        assert!(matches!(rename(&analysis, file, operation, "x"), Err(RenameError::DefinedOutside { what: "operation", .. })));
        assert!(
            matches!(prepare_rename(&analysis, file, operation), Err(RenameError::DefinedOutside { what: "operation", name }) if name == "placeOrder")
        );
        let message = offset_of(&text, "shop:PlaceOrderRequest", 0) + 7;
        assert!(matches!(rename(&analysis, file, message, "x"), Err(RenameError::DefinedOutside { what: "message", .. })));
        // A partner link may take the name of a variable: the kinds are separate.
        let partner_link = offset_of(&text, "partnerLink name=\"customer\"", 0) + "partnerLink name=\"".len();
        assert!(rename(&analysis, file, partner_link, "payment").is_ok());
    }
}
