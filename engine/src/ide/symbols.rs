//! The outline of a process (its activity tree and declarations), symbols across several
//! analyses, folding ranges and selection ranges.

use super::file_text;
use crate::check::Analysis;
use crate::model::process::{ActivityId, ActivityKind, Process};
use crate::parse::loader::DefinitionKind;
use crate::resolve::SymbolKind as DeclKind;
use crate::source::FileId;
use crate::span::Span;
use crate::syntax::{parse_xml, Element, Node};

/// What a symbol of the outline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Process,
    /// An activity, by its element name (`receive`, `scope`...).
    Activity(&'static str),
    /// A declaration of the process: variable, partner link, link, correlation set, message exchange.
    Declaration(DeclKind),
    /// A top-level WSDL or XSD definition.
    Definition(DefinitionKind),
    /// A part of a WSDL message.
    Part,
    /// An operation of a WSDL port type.
    Operation,
    /// A role of a partner link type.
    Role,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    /// The `name` attribute, else the element name.
    pub name: String,
    pub kind: SymbolKind,
    /// The whole element.
    pub span: Span,
    /// The name to select: the `name` attribute's value, else the element name.
    pub name_span: Span,
    pub children: Vec<DocumentSymbol>,
}

/// The outline of `file`. For the process: the process, its declarations, then its activity tree
/// (handlers included), each scope with its own declarations. For an imported WSDL: its messages
/// (with their parts), port types (operations), partner link types (roles), properties,
/// bindings, services, then the global elements and named types of its schemas; for an imported
/// schema, those. Empty for a file the analysis does not know or a text that holds no process.
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Vec<DocumentSymbol> {
    if file != analysis.unit.file {
        return match analysis.unit.definitions.documents().iter().find(|d| d.file == file) {
            Some(document) => document_outline(document),
            None => Vec::new(),
        };
    }
    let Some(process) = &analysis.unit.process else { return Vec::new() };
    let mut children = declarations(analysis, None);
    children.extend(process.activity.and_then(|id| activity_symbol(analysis, process, id, 0)));
    let (name, name_span) = match &process.name {
        Some(name) => (name.value.clone(), name.span),
        None => ("process".to_string(), process.span),
    };
    vec![DocumentSymbol { name, kind: SymbolKind::Process, span: process.span, name_span, children }]
}

fn leaf(kind: SymbolKind, name: &crate::span::Spanned<String>, span: Span) -> DocumentSymbol {
    DocumentSymbol { name: name.value.clone(), kind, span, name_span: name.span, children: Vec::new() }
}

fn document_outline(document: &crate::parse::LoadedDocument) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    if let Some(wsdl) = &document.wsdl {
        for message in &wsdl.messages {
            let mut symbol = leaf(SymbolKind::Definition(DefinitionKind::Message), &message.name, message.span);
            symbol.children = message.parts.iter().map(|p| leaf(SymbolKind::Part, &p.name, p.span)).collect();
            out.push(symbol);
        }
        for port_type in &wsdl.port_types {
            let mut symbol = leaf(SymbolKind::Definition(DefinitionKind::PortType), &port_type.name, port_type.span);
            symbol.children = port_type.operations.iter().map(|o| leaf(SymbolKind::Operation, &o.name, o.span)).collect();
            out.push(symbol);
        }
        for link_type in &wsdl.partner_link_types {
            let mut symbol = leaf(SymbolKind::Definition(DefinitionKind::PartnerLinkType), &link_type.name, link_type.span);
            symbol.children = link_type.roles.iter().map(|r| leaf(SymbolKind::Role, &r.name, r.span)).collect();
            out.push(symbol);
        }
        out.extend(wsdl.properties.iter().map(|p| leaf(SymbolKind::Definition(DefinitionKind::Property), &p.name, p.span)));
        out.extend(wsdl.bindings.iter().map(|b| leaf(SymbolKind::Definition(DefinitionKind::Binding), &b.name, b.span)));
        out.extend(wsdl.services.iter().map(|s| leaf(SymbolKind::Definition(DefinitionKind::Service), &s.name, s.span)));
    }
    for schema in document.schemas() {
        out.extend(schema.elements.iter().map(|e| leaf(SymbolKind::Definition(DefinitionKind::Element), &e.name, e.span)));
        for type_def in &schema.types {
            if let Some(name) = type_def.name() {
                out.push(leaf(SymbolKind::Definition(DefinitionKind::Type), name, type_span(type_def)));
            }
        }
    }
    out.sort_by_key(|s| s.span.start);
    out
}

fn type_span(type_def: &crate::model::xsd::TypeDef) -> Span {
    match type_def {
        crate::model::xsd::TypeDef::Simple(t) => t.span,
        crate::model::xsd::TypeDef::Complex(t) => t.span,
    }
}

/// Deep enough for any real process; a generated one nested deeper is cut there, not overflowed.
const MAX_DEPTH: usize = 200;

fn activity_symbol(analysis: &Analysis, process: &Process, id: ActivityId, depth: usize) -> Option<DocumentSymbol> {
    let activity = process.activities.get(id.0 as usize)?;
    let tag = activity.kind.tag();
    let (name, name_span) = match &activity.name {
        Some(name) => (name.value.clone(), name.span),
        None => (tag.to_string(), activity.tag_span),
    };
    let mut children = Vec::new();
    match &activity.kind {
        ActivityKind::Scope(_) | ActivityKind::Invoke(_) => children.extend(declarations(analysis, Some(id))),
        ActivityKind::Flow(_) => children.extend(declarations(analysis, Some(id))),
        _ => {}
    }
    if depth < MAX_DEPTH {
        for child in activity.kind.children() {
            if child != id {
                children.extend(activity_symbol(analysis, process, child, depth + 1));
            }
        }
    }
    Some(DocumentSymbol { name, kind: SymbolKind::Activity(tag), span: activity.span, name_span, children })
}

/// The declarations owned by `owner` (the process for `None`), in document order. A forEach's
/// counter, a catch's fault variable and an onEvent's variable are not listed here: they belong
/// to an activity, not to a declaration block.
fn declarations(analysis: &Analysis, owner: Option<ActivityId>) -> Vec<DocumentSymbol> {
    let mut out: Vec<DocumentSymbol> = analysis
        .symbols
        .declarations
        .iter()
        .filter(|d| d.owner == owner && d.origin == crate::resolve::Origin::Block)
        .map(|d| DocumentSymbol {
            name: d.name.clone(),
            kind: SymbolKind::Declaration(d.kind),
            span: d.element_span,
            name_span: d.span,
            children: Vec::new(),
        })
        .collect();
    out.sort_by_key(|s| s.span.start);
    out
}

/// A symbol found by [`workspace_symbols`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    pub file: FileId,
    pub span: Span,
    pub name_span: Span,
    /// The process or document it belongs to.
    pub container: Option<String>,
}

/// The processes, named activities, declarations and WSDL/XSD definitions of `analyses` whose
/// name matches `query`: its characters in order, ignoring case (an empty query matches all).
/// A document imported by several processes is listed once.
pub fn workspace_symbols<'a>(analyses: impl IntoIterator<Item = &'a Analysis>, query: &str) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    let mut seen_documents = std::collections::HashSet::new();
    for analysis in analyses {
        let file = analysis.unit.file;
        let container = analysis.unit.process.as_ref().and_then(|p| p.name.as_ref()).map(|n| n.value.clone());
        let mut stack = document_symbols(analysis, file);
        while let Some(symbol) = stack.pop() {
            if matches(query, &symbol.name) && (symbol.kind == SymbolKind::Process || symbol.name_span != symbol.span) {
                let container = if symbol.kind == SymbolKind::Process { None } else { container.clone() };
                out.push(WorkspaceSymbol {
                    name: symbol.name.clone(),
                    kind: symbol.kind,
                    file,
                    span: symbol.span,
                    name_span: symbol.name_span,
                    container,
                });
            }
            stack.extend(symbol.children);
        }
        for document in analysis.unit.definitions.documents() {
            if !seen_documents.insert(document.file) {
                continue;
            }
            let container = document.path.file_name().map(|n| n.to_string_lossy().into_owned());
            let mut add = |kind: DefinitionKind, name: &crate::span::Spanned<String>, span: Span| {
                if matches(query, &name.value) {
                    out.push(WorkspaceSymbol {
                        name: name.value.clone(),
                        kind: SymbolKind::Definition(kind),
                        file: document.file,
                        span,
                        name_span: name.span,
                        container: container.clone(),
                    });
                }
            };
            if let Some(wsdl) = &document.wsdl {
                wsdl.messages.iter().for_each(|d| add(DefinitionKind::Message, &d.name, d.span));
                wsdl.port_types.iter().for_each(|d| add(DefinitionKind::PortType, &d.name, d.span));
                wsdl.bindings.iter().for_each(|d| add(DefinitionKind::Binding, &d.name, d.span));
                wsdl.services.iter().for_each(|d| add(DefinitionKind::Service, &d.name, d.span));
                wsdl.partner_link_types.iter().for_each(|d| add(DefinitionKind::PartnerLinkType, &d.name, d.span));
                wsdl.properties.iter().for_each(|d| add(DefinitionKind::Property, &d.name, d.span));
            }
            for schema in document.schemas() {
                schema.elements.iter().for_each(|d| add(DefinitionKind::Element, &d.name, d.span));
                for type_def in &schema.types {
                    if let Some(name) = type_def.name() {
                        add(DefinitionKind::Type, name, type_span(type_def));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (a.file, a.span.start, &a.name).cmp(&(b.file, b.span.start, &b.name)));
    out
}

/// Whether the characters of `query` appear in `name` in order, ignoring case.
fn matches(query: &str, name: &str) -> bool {
    let mut name = name.chars().flat_map(char::to_lowercase);
    query.chars().flat_map(char::to_lowercase).all(|q| name.any(|c| c == q))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FoldingKind {
    /// An element written over several lines.
    Element,
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FoldingRange {
    pub span: Span,
    pub kind: FoldingKind,
}

/// The elements and comments of `file` that span several lines, in document order.
pub fn folding_ranges(analysis: &Analysis, file: FileId) -> Vec<FoldingRange> {
    let Some(text) = file_text(analysis, file) else { return Vec::new() };
    let document = parse_xml(&text);
    let multiline = |span: Span| span.slice(&text).contains('\n');
    let mut out = Vec::new();
    let mut stack: Vec<&Element> = document.root.iter().collect();
    while let Some(element) = stack.pop() {
        if multiline(element.span) {
            out.push(FoldingRange { span: element.span, kind: FoldingKind::Element });
            stack.extend(element.child_elements());
        }
    }
    for span in comments(&text) {
        if multiline(span) {
            out.push(FoldingRange { span, kind: FoldingKind::Comment });
        }
    }
    out.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    out
}

/// The comments of an XML text (CDATA sections skipped); an unclosed one runs to the end.
fn comments(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let Some(next) = rest.find('<') else { break };
        let start = at + next;
        let tail = &text[start..];
        let (closing, is_comment) = if tail.starts_with("<!--") {
            ("-->", true)
        } else if tail.starts_with("<![CDATA[") {
            ("]]>", false)
        } else {
            at = start + 1;
            continue;
        };
        let end = tail[4..].find(closing).map_or(text.len(), |i| start + 4 + i + closing.len());
        if is_comment {
            out.push(Span::new(start, end));
        }
        at = end;
    }
    out
}

/// The spans around `offset` in `file`, innermost first, each holding the next: an attribute's
/// value, the attribute, the start tag, the element, then each enclosing element. For text
/// content: the text, then its element and so on. Empty when `offset` is outside the root.
pub fn selection_ranges(analysis: &Analysis, file: FileId, offset: usize) -> Vec<Span> {
    let Some(text) = file_text(analysis, file) else { return Vec::new() };
    let document = parse_xml(&text);
    let mut chain = Vec::new();
    let mut current = document.root.as_ref().filter(|root| root.span.contains(offset));
    while let Some(element) = current {
        chain.push(element.span);
        if element.start_tag.contains(offset) {
            chain.push(element.start_tag);
            if let Some(attribute) =
                element.attributes.iter().find(|a| Span::new(a.name_span.start as usize, a.value_span.end as usize + 1).contains(offset))
            {
                let whole = Span::new(attribute.name_span.start as usize, (attribute.value_span.end as usize + 1).min(text.len()));
                chain.push(whole);
                if attribute.value_span.contains(offset) {
                    chain.push(attribute.value_span);
                } else if attribute.name_span.contains(offset) {
                    chain.push(attribute.name_span);
                }
            } else if element.name_span.contains(offset) {
                chain.push(element.name_span);
            }
            break;
        }
        let mut next = None;
        for child in &element.children {
            match child {
                Node::Element(child) if child.span.contains(offset) => {
                    next = Some(child);
                    break;
                }
                Node::Text(node) if node.span.contains(offset) && !node.span.is_empty() => {
                    chain.push(node.span);
                    break;
                }
                _ => {}
            }
        }
        current = next;
    }
    chain.reverse();
    chain.dedup();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyze_example, offset_of};

    fn find<'a>(symbols: &'a [DocumentSymbol], name: &str) -> Option<&'a DocumentSymbol> {
        symbols.iter().find_map(|s| if s.name == name { Some(s) } else { find(&s.children, name) })
    }

    #[test]
    fn the_outline_is_the_process_its_declarations_and_its_activity_tree() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let symbols = document_symbols(&analysis, analysis.unit.file);
        assert_eq!(symbols.len(), 1);
        let process = &symbols[0];
        assert_eq!((process.name.as_str(), process.kind), ("LongRunningOrder", SymbolKind::Process));
        let kinds: Vec<SymbolKind> = process.children.iter().map(|c| c.kind).collect();
        // 2 partner links, 4 variables, 1 correlation set, in document order, then the main sequence.
        assert_eq!(kinds.len(), 8, "{kinds:?}");
        assert_eq!(kinds[..2], [SymbolKind::Declaration(DeclKind::PartnerLink); 2]);
        assert_eq!(kinds[2..6], [SymbolKind::Declaration(DeclKind::Variable); 4]);
        assert_eq!(kinds[6], SymbolKind::Declaration(DeclKind::CorrelationSet));
        assert_eq!(kinds[7], SymbolKind::Activity("sequence"));
        let main = &process.children[7];
        assert_eq!(main.name, "Main");
        assert_eq!(main.name_span.slice(text), "Main");
        assert!(main.span.slice(text).starts_with("<sequence name=\"Main\""));
        let receive = find(&symbols, "ReceiveOrder").expect("the receive");
        assert_eq!(receive.kind, SymbolKind::Activity("receive"));
        assert!(main.children.iter().any(|c| c.name == "ReceiveOrder"));
        // Every activity of the process appears once in the tree.
        fn count(symbols: &[DocumentSymbol]) -> usize {
            symbols.iter().map(|s| usize::from(matches!(s.kind, SymbolKind::Activity(_))) + count(&s.children)).sum()
        }
        assert_eq!(count(&symbols), analysis.unit.process.as_ref().unwrap().activities.len());
    }

    #[test]
    fn the_outline_of_an_imported_wsdl_lists_its_definitions() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let document = analysis.unit.definitions.documents().iter().find(|d| d.path.ends_with("shop.wsdl")).expect("shop.wsdl");
        let outline = document_symbols(&analysis, document.file);
        let wsdl = document.wsdl.as_ref().unwrap();
        let schema_items: usize =
            document.schemas().iter().map(|s| s.elements.len() + s.types.iter().filter(|t| t.name().is_some()).count()).sum();
        let expected = wsdl.messages.len()
            + wsdl.port_types.len()
            + wsdl.partner_link_types.len()
            + wsdl.properties.len()
            + wsdl.bindings.len()
            + wsdl.services.len()
            + schema_items;
        assert_eq!(outline.len(), expected);
        let message = find(&outline, "PlaceOrderRequest").expect("the message");
        assert_eq!(message.kind, SymbolKind::Definition(DefinitionKind::Message));
        assert_eq!(message.children.iter().map(|c| (c.name.as_str(), c.kind)).collect::<Vec<_>>(), [("order", SymbolKind::Part)]);
        let port_type = outline.iter().find(|s| s.kind == SymbolKind::Definition(DefinitionKind::PortType)).unwrap();
        assert!(port_type.children.iter().any(|c| c.name == "placeOrder" && c.kind == SymbolKind::Operation));
        assert_eq!(message.name_span.slice(&document.text), "PlaceOrderRequest");
        assert!(document_symbols(&analysis, FileId(u32::MAX)).is_empty());
    }

    #[test]
    fn workspace_symbols_search_processes_and_their_documents() {
        let first = analyze_example("long-running/long-running.bpel");
        let second = analyze_example("echo/echo.bpel");
        let all = workspace_symbols([&first, &second], "");
        assert!(all.iter().any(|s| s.kind == SymbolKind::Process && s.name == "LongRunningOrder"));
        assert!(all.iter().any(|s| s.file == second.unit.file && s.kind == SymbolKind::Process));
        let found = workspace_symbols([&first, &second], "plcordreq");
        assert!(!found.is_empty());
        assert!(found.iter().all(|s| matches("plcordreq", &s.name)));
        assert!(found.iter().any(|s| s.name == "PlaceOrderRequest" && s.kind == SymbolKind::Definition(DefinitionKind::Message)));
        let text = crate::ide::file_text(&first, found[0].file).unwrap();
        assert_eq!(found[0].name_span.slice(&text), found[0].name);
    }

    #[test]
    fn folding_covers_multiline_elements_and_comments() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let ranges = folding_ranges(&analysis, analysis.unit.file);
        let comment = ranges.iter().find(|r| r.kind == FoldingKind::Comment).expect("the header comment");
        assert!(comment.span.slice(text).starts_with("<!--") && comment.span.slice(text).ends_with("-->"));
        assert!(ranges.iter().any(|r| r.kind == FoldingKind::Element && r.span.slice(text).starts_with("<partnerLinks>")));
        assert!(ranges.iter().all(|r| r.span.slice(text).contains('\n')));
        // A one-line element is not folded.
        let one_line = offset_of(text, "<correlationSet ", 0);
        assert!(!ranges.iter().any(|r| r.span.start as usize == one_line));
    }

    #[test]
    fn selection_grows_from_an_attribute_value_to_the_root() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "operation=\"placeOrder\"", 0) + "operation=\"".len() + 3;
        let chain = selection_ranges(&analysis, analysis.unit.file, offset);
        let slices: Vec<&str> = chain.iter().map(|s| s.slice(text)).collect();
        assert_eq!(slices[0], "placeOrder");
        assert_eq!(slices[1], "operation=\"placeOrder\"");
        assert!(slices[2].starts_with("<receive ") && slices[2].ends_with('>'));
        assert!(slices[3].starts_with("<receive ") && slices[3].ends_with("</receive>"));
        assert!(slices[4].starts_with("<sequence name=\"Main\""));
        assert!(chain.last().unwrap().start as usize == offset_of(text, "<process", 0));
        for pair in chain.windows(2) {
            assert!(pair[1].start <= pair[0].start && pair[0].end <= pair[1].end, "{pair:?}");
        }
    }
}
