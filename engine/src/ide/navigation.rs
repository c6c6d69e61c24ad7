//! Go to definition, find references and document highlights: for the variables, partner links,
//! links, correlation sets and message exchanges of a process (`$var` inside XPath included), and
//! for the WSDL and XSD definitions its QNames, roles, operations and parts name.

use super::index::{Access, Index, Target};
use crate::check::Analysis;
use crate::source::FileId;
use crate::span::Span;

/// A place in a file: the name of a declaration or of a use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// What the name at `offset` in `file` names, if anything.
pub fn target_at(analysis: &Analysis, file: FileId, offset: usize) -> Option<Target> {
    Index::build(analysis).at(file, offset).map(|o| o.target.clone())
}

/// Where the name at `offset` in `file` is declared: a declaration of the process, or a definition
/// in an imported WSDL or XSD document (its name). `None` when nothing navigable stands there, or
/// when what it names is not declared anywhere the analysis read (a built-in XSD type, a typo).
pub fn definition(analysis: &Analysis, file: FileId, offset: usize) -> Option<Location> {
    let index = Index::build(analysis);
    let target = &index.at(file, offset)?.target;
    index.declaration(target).map(|o| Location { file: o.file, span: o.span })
}

/// Every use of what the name at `offset` in `file` names, in the process and in the documents it
/// imports, sorted by file and position; with its declaration when `include_declaration`.
pub fn references(analysis: &Analysis, file: FileId, offset: usize, include_declaration: bool) -> Vec<Location> {
    let index = Index::build(analysis);
    let Some(target) = index.at(file, offset).map(|o| o.target.clone()) else { return Vec::new() };
    let mut out: Vec<Location> = index
        .of(&target)
        .filter(|o| include_declaration || o.access != Access::Declaration)
        .map(|o| Location { file: o.file, span: o.span })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// How a highlighted name uses what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HighlightKind {
    /// A declaration, or a use that neither reads nor writes (a role, a QName).
    Text,
    Read,
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Highlight {
    pub span: Span,
    pub kind: HighlightKind,
}

/// The occurrences in `file` of what the name at `offset` names, declaration included.
pub fn highlights(analysis: &Analysis, file: FileId, offset: usize) -> Vec<Highlight> {
    let index = Index::build(analysis);
    let Some(target) = index.at(file, offset).map(|o| o.target.clone()) else { return Vec::new() };
    let mut out: Vec<Highlight> = index
        .of(&target)
        .filter(|o| o.file == file)
        .map(|o| {
            let kind = match (o.access, &o.target) {
                (Access::Declaration, _) => HighlightKind::Text,
                (Access::Write, _) => HighlightKind::Write,
                (Access::Read, Target::Symbol(_)) => HighlightKind::Read,
                (Access::Read, _) => HighlightKind::Text,
            };
            Highlight { span: o.span, kind }
        })
        .collect();
    out.sort_by_key(|h| (h.span.start, h.span.end));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyze_example, offset_of};

    #[test]
    fn a_variable_in_xpath_leads_to_its_declaration_name() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let file = analysis.unit.file;
        let text = &analysis.unit.text;
        let use_offset = offset_of(text, "$placeOrder.order", 0) + 1;
        let location = definition(&analysis, file, use_offset + 3).expect("a definition");
        assert_eq!(location.file, file);
        assert_eq!(location.span.slice(text), "placeOrder");
        let declaration = offset_of(text, "<variable name=\"placeOrder\"", 0) + "<variable name=\"".len();
        assert_eq!(location.span.start as usize, declaration);
    }

    #[test]
    fn an_operation_leads_into_the_wsdl() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "operation=\"placeOrder\"", 0) + "operation=\"".len() + 2;
        let location = definition(&analysis, analysis.unit.file, offset).expect("a definition");
        assert_ne!(location.file, analysis.unit.file);
        let wsdl = crate::ide::file_text(&analysis, location.file).expect("the WSDL text");
        assert_eq!(location.span.slice(&wsdl), "placeOrder");
        let before = &wsdl[..location.span.start as usize];
        assert!(before.trim_end_matches('"').trim_end().ends_with("operation name="), "{}", &before[before.len().saturating_sub(40)..]);
    }

    #[test]
    fn qnames_lead_to_messages_properties_partner_link_types_and_roles() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        for (needle, expected) in [
            ("messageType=\"shop:PlaceOrderRequest\"", "PlaceOrderRequest"),
            ("properties=\"shop:orderId\"", "orderId"),
            ("partnerLinkType=\"shop:ShopPartnerLinkType\"", "ShopPartnerLinkType"),
            ("myRole=\"shop\"", "shop"),
        ] {
            let offset = offset_of(text, needle, 0) + needle.find('"').unwrap() + 2;
            let location = definition(&analysis, analysis.unit.file, offset).unwrap_or_else(|| panic!("{needle}"));
            let wsdl = crate::ide::file_text(&analysis, location.file).unwrap();
            assert_eq!(location.span.slice(&wsdl), expected, "{needle}");
        }
    }

    #[test]
    fn references_count_every_use_and_optionally_the_declaration() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let file = analysis.unit.file;
        let declaration = offset_of(text, "<variable name=\"placeOrder\"", 0) + "<variable name=\"".len();
        let uses = references(&analysis, file, declaration, false);
        // Counted independently: attribute uses and `$placeOrder` in expressions.
        let expected = text.matches("variable=\"placeOrder\"").count() + text.matches("$placeOrder").count();
        assert_eq!(uses.len(), expected);
        assert!(uses.iter().all(|l| l.span.slice(text) == "placeOrder"));
        assert_eq!(references(&analysis, file, declaration, true).len(), expected + 1);

        let highlights = highlights(&analysis, file, declaration);
        assert_eq!(highlights.len(), expected + 1);
        let receive = offset_of(text, "variable=\"placeOrder\"", 0) + "variable=\"".len();
        assert!(highlights.iter().any(|h| h.span.start as usize == receive && h.kind == HighlightKind::Write));
        assert!(highlights.iter().any(|h| h.kind == HighlightKind::Read));
    }

    #[test]
    fn references_of_a_wsdl_message_include_the_process_and_the_wsdl() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "shop:PlaceOrderRequest", 0) + 6;
        let found = references(&analysis, analysis.unit.file, offset, true);
        assert!(found.iter().any(|l| l.file == analysis.unit.file));
        assert!(found.iter().any(|l| l.file != analysis.unit.file), "the declaration and the operation's input in shop.wsdl");
        assert!(found.len() >= 3, "{found:?}");
    }

    #[test]
    fn a_part_in_xpath_leads_to_the_wsdl_part_and_on_into_the_schema() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "$placeOrder.order", 0) + "$placeOrder.".len() + 1;
        let part = definition(&analysis, analysis.unit.file, offset).expect("the part");
        let wsdl = crate::ide::file_text(&analysis, part.file).unwrap();
        assert_eq!(part.span.slice(&wsdl), "order");
        assert!(wsdl[..part.span.start as usize].ends_with("<wsdl:part name=\""));
        // From the WSDL: the part's element leads to the schema's global element, in the same file.
        let element_offset = offset_of(&wsdl, "element=\"tns:placeOrder\"", 0) + "element=\"".len() + 5;
        let element = definition(&analysis, part.file, element_offset).expect("the element");
        assert_eq!(element.file, part.file);
        assert_eq!(element.span.slice(&wsdl), "placeOrder");
        assert!(wsdl[..element.span.start as usize].ends_with("<xsd:element name=\""));
        // The part is used by the process and by a property alias.
        let uses = references(&analysis, part.file, part.span.start as usize, false);
        assert!(uses.iter().any(|l| l.file == analysis.unit.file));
        assert!(uses.iter().any(|l| l.file == part.file), "the propertyAlias part=\"order\": {uses:?}");
    }

    #[test]
    fn nothing_is_found_between_names() {
        let analysis = analyze_example("echo/echo.bpel");
        assert_eq!(definition(&analysis, analysis.unit.file, 0), None);
        assert!(references(&analysis, analysis.unit.file, 0, true).is_empty());
        assert!(highlights(&analysis, analysis.unit.file, usize::MAX).is_empty());
    }
}
