//! The rules that need the imported WSDL and XSD documents: imports themselves (SA00011–13),
//! the definitions a process refers to (SA00005, SA00010, SA00014), port types (SA00001–02),
//! properties and their aliases (SA00019–22, SA00045), and the messages of message activities
//! (SA00043, SA00046–48, SA00050, SA00053–54, SA00058, SA00087).

mod conflicts;
mod copies;
mod imports;
mod messages;
mod port_types;
mod properties;
mod references;
#[cfg(test)]
mod tests;

use super::{Rule, RuleContext};
use crate::diagnostic::{Fix, TextEdit};
use crate::model::process::Import;
use crate::model::QName;
use crate::source::FileId;
use crate::span::Span;
use crate::syntax::ScopeId;

pub(super) static RULES: &[Rule] = &[
    port_types::SA00001,
    port_types::SA00002,
    references::SA00005,
    references::SA00010,
    imports::SA00011,
    imports::SA00012,
    imports::SA00013,
    conflicts::SA00014,
    properties::SA00019,
    properties::SA00020,
    properties::SA00021,
    properties::SA00022,
    copies::SA00043,
    properties::SA00045,
    messages::SA00046,
    messages::SA00047,
    messages::SA00048,
    messages::SA00050,
    messages::SA00053,
    messages::SA00054,
    messages::SA00058,
    messages::SA00087,
];

/// The `<import>` of the process that loaded the document `file` (not one of its own imports).
fn import_of<'a>(cx: &RuleContext<'a>, file: FileId) -> Option<&'a Import> {
    let loaded = cx.unit.imports.iter().position(|document| document.as_ref().is_some_and(|d| d.file == file))?;
    cx.process.imports.get(loaded)
}

/// The attribute whose value is at `value`, with the white space before it: what to delete to
/// remove the attribute. `None` when the text around the value does not look like an attribute.
fn attribute_with_space(text: &str, value: Span) -> Option<Span> {
    let bytes = text.as_bytes();
    let (start, end) = (value.start as usize, value.end as usize);
    let quote = *bytes.get(start.checked_sub(1)?)?;
    if !matches!(quote, b'"' | b'\'') || bytes.get(end) != Some(&quote) {
        return None;
    }
    let mut i = start - 1;
    let skip_space = |mut i: usize| {
        while i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        i
    };
    i = skip_space(i);
    if i == 0 || bytes[i - 1] != b'=' {
        return None;
    }
    i = skip_space(i - 1);
    let name_end = i;
    while i > 0 && !bytes[i - 1].is_ascii_whitespace() && bytes[i - 1] != b'<' {
        i -= 1;
    }
    if i == name_end || i == 0 || !bytes[i - 1].is_ascii_whitespace() {
        return None;
    }
    Some(Span::new(skip_space(i), end + 1))
}

/// A fix that removes the attribute whose value is at `value`.
fn remove_attribute(cx: &RuleContext<'_>, value: Span, title: String) -> Option<Fix> {
    let span = attribute_with_space(cx.text, value)?;
    Some(Fix { title, edits: vec![TextEdit { file: cx.file, span, replacement: String::new() }] })
}

/// A fix that replaces the text at `span` of the process.
fn replace(cx: &RuleContext<'_>, span: Span, replacement: String, title: String) -> Fix {
    Fix { title, edits: vec![TextEdit { file: cx.file, span, replacement }] }
}

/// `name` written with a prefix declared where `scope` is in force (`ti:Port`), if there is one.
fn prefixed(cx: &RuleContext<'_>, scope: ScopeId, name: &QName) -> Option<String> {
    let namespace = name.namespace.as_deref();
    let bindings = cx.process.namespaces.in_scope(scope);
    let (prefix, _) = bindings.iter().find(|(prefix, uri)| prefix.is_some() && Some(uri.as_str()) == namespace)?;
    Some(format!("{}:{}", prefix.as_deref().unwrap_or_default(), name.local))
}

/// "`a`, `b` and `c`".
fn listing<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.split_last() {
        None => "none".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn an_attribute_is_found_from_its_value() {
        let text = r#"<receive name="a"  portType = "ti:P" variable="v"/>"#;
        let value = text.find("ti:P").unwrap();
        let span = attribute_with_space(text, Span::new(value, value + 4)).unwrap();
        assert_eq!(span.slice(text), r#"  portType = "ti:P""#);
        assert_eq!(attribute_with_space("ti:P", Span::new(0, 4)), None);
    }

    #[test]
    fn listings_read_as_words() {
        assert_eq!(listing(["a"]), "`a`");
        assert_eq!(listing(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(listing([]), "none");
    }
}
