//! Hover text (markdown) for what is under the cursor: a declaration of the process or a use of
//! one, a QName, role, operation or part naming a WSDL or XSD definition, or an activity's element
//! name.

use std::fmt::Write;

use super::index::{decls_of, variable_type_of, Index, Target};
use crate::check::Analysis;
use crate::model::xsd::{ElementType, TypeDef};
use crate::model::QName;
use crate::parse::loader::DefinitionKind;
use crate::resolve::{DeclId, DeclaredType, Origin, SymbolKind};
use crate::source::FileId;
use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// What the text is about (the name under the cursor, or the element name).
    pub span: Span,
    pub markdown: String,
}

/// The hover for `offset` in `file`, `None` where there is nothing to say.
pub fn hover(analysis: &Analysis, file: FileId, offset: usize) -> Option<Hover> {
    let index = Index::build(analysis);
    if let Some(occurrence) = index.at(file, offset) {
        let markdown = match &occurrence.target {
            Target::Symbol(id) => symbol(analysis, *id),
            target => definition(analysis, target),
        };
        if let Some(markdown) = markdown {
            return Some(Hover { span: occurrence.span, markdown });
        }
    }
    if file != analysis.unit.file {
        return None;
    }
    let process = analysis.unit.process.as_ref()?;
    let activity = process.activities.iter().find(|a| a.tag_span.contains(offset))?;
    let tag = activity.kind.tag();
    let mut markdown = format!("**<{tag}>**");
    if let Some(name) = &activity.name {
        let _ = write!(markdown, " `{}`", name.value);
    }
    let _ = write!(markdown, "\n\n{}", activity_summary(tag));
    Some(Hover { span: activity.tag_span, markdown })
}

/// Longer sketches are cut (a schema can describe a large document).
const MAX_SKETCH: usize = 1500;

/// Appends an XML sketch of a value's shape (sample instances from the schema), if there is one.
fn shape(out: &mut String, samples: &[String]) {
    if samples.is_empty() {
        return;
    }
    let mut sketch = samples.iter().map(|sample| indent_xml(sample)).collect::<Vec<_>>().join("\n");
    if sketch.len() > MAX_SKETCH {
        let mut cut = MAX_SKETCH;
        while !sketch.is_char_boundary(cut) {
            cut -= 1;
        }
        sketch.truncate(cut);
        sketch.push_str("\n…");
    }
    let _ = write!(out, "\n\n```xml\n{sketch}\n```");
}

/// One element per line, indented by depth; an element holding only text stays on one line.
/// Meant for the samples the schema gives (no mixed content, comments or CDATA).
fn indent_xml(xml: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut after_text = false;
    let mut rest = xml;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = &rest[..end];
            if tag.starts_with("</") {
                depth = depth.saturating_sub(1);
                if !after_text && !out.is_empty() {
                    out.push('\n');
                    out.push_str(&"  ".repeat(depth));
                }
            } else {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(depth));
                if !tag.ends_with("/>") {
                    depth += 1;
                }
            }
            out.push_str(tag);
            after_text = false;
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            after_text = true;
            rest = &rest[end..];
        }
    }
    out
}

fn qname(name: &QName) -> String {
    format!("`{name}`")
}

fn symbol(analysis: &Analysis, id: DeclId) -> Option<String> {
    let declaration = analysis.symbols.declarations.get(id.0 as usize)?;
    let process = analysis.unit.process.as_ref()?;
    let definitions = &analysis.unit.definitions;
    let mut out = format!("**{}** `{}`", declaration.kind.describe(), declaration.name);
    match declaration.kind {
        SymbolKind::Variable => {
            match variable_type_of(analysis, declaration) {
                Some(DeclaredType::Message(reference)) => {
                    let _ = write!(out, "\n\nmessage type `{}`", reference.text);
                    let mut samples = Vec::new();
                    if let Some(message) = reference.name.as_ref().and_then(|n| definitions.message(n)) {
                        for part in &message.parts {
                            let _ = write!(out, "\n- part `{}`{}", part.name.value, part_type(part));
                            let sample = match (&part.element, &part.type_) {
                                (Some(element), _) => element.name.as_ref().and_then(|n| definitions.sample_element(n).ok()),
                                (None, Some(type_)) => type_
                                    .name
                                    .as_ref()
                                    .and_then(|t| definitions.sample_of_type(&QName::new(None, &part.name.value), t).ok()),
                                (None, None) => None,
                            };
                            samples.extend(sample.map(|s| s.xml));
                        }
                    }
                    shape(&mut out, &samples);
                }
                Some(DeclaredType::Element(reference)) => {
                    let _ = write!(out, "\n\nelement `{}`", reference.text);
                    if let Some(element) = reference.name.as_ref().and_then(|n| definitions.element(n)) {
                        let _ = write!(out, "{}", element_type(&element.type_));
                    }
                    let sample = reference.name.as_ref().and_then(|n| definitions.sample_element(n).ok());
                    shape(&mut out, &sample.into_iter().map(|s| s.xml).collect::<Vec<_>>());
                }
                Some(DeclaredType::Type(reference)) => {
                    let _ = write!(out, "\n\ntype `{}`", reference.text);
                    let element = QName::new(None, &declaration.name);
                    let sample = reference.name.as_ref().and_then(|t| definitions.sample_of_type(&element, t).ok());
                    shape(&mut out, &sample.into_iter().map(|s| s.xml).collect::<Vec<_>>());
                }
                Some(DeclaredType::Counter) => out.push_str("\n\ntype `xsd:unsignedInt` (a forEach counter)"),
                Some(DeclaredType::Unknown) | None => out.push_str("\n\ntype not stated"),
            }
            let origin = match declaration.origin {
                Origin::Block => "",
                Origin::OnEvent => " (by an onEvent, for its scope)",
                Origin::Catch => " (a catch's fault variable)",
                Origin::ForEachCounter => " (a forEach's counter)",
            };
            let _ = write!(out, "\n\ndeclared in {}{origin}", owner(analysis, declaration.owner));
        }
        SymbolKind::PartnerLink => {
            let partner_link =
                decls_of(process, declaration.owner).and_then(|d| d.partner_links.iter().find(|p| p.span == declaration.element_span));
            if let Some(partner_link) = partner_link {
                if let Some(link_type) = &partner_link.partner_link_type {
                    let _ = write!(out, "\n\npartner link type `{}`", link_type.text);
                    let found = link_type.name.as_ref().and_then(|n| definitions.partner_link_type(n));
                    for (label, role) in [("myRole", &partner_link.my_role), ("partnerRole", &partner_link.partner_role)] {
                        let Some(role) = role else { continue };
                        let _ = write!(out, "\n- {label} `{}`", role.value);
                        let port_type = found.and_then(|t| t.item.role(&role.value)).and_then(|r| r.port_type.as_ref()?.name.clone());
                        if let Some(port_type) = port_type {
                            let _ = write!(out, ": port type {}", qname(&port_type));
                            if let Some(found) = definitions.port_type(&port_type) {
                                let names: Vec<String> = found.operations.iter().map(|o| format!("`{}`", o.name.value)).collect();
                                let _ = write!(out, " ({})", names.join(", "));
                            }
                        }
                    }
                }
            }
            let _ = write!(out, "\n\ndeclared in {}", owner(analysis, declaration.owner));
        }
        SymbolKind::CorrelationSet => {
            let set =
                decls_of(process, declaration.owner).and_then(|d| d.correlation_sets.iter().find(|c| c.span == declaration.element_span));
            for property in set.map(|s| s.properties.as_slice()).unwrap_or_default() {
                let _ = write!(out, "\n- property `{}`", property.text);
                if let Some(found) = property.name.as_ref().and_then(|n| definitions.property(n)) {
                    let _ = write!(out, "{}", typed(found.type_.as_ref(), found.element.as_ref()));
                }
            }
            let _ = write!(out, "\n\ndeclared in {}", owner(analysis, declaration.owner));
        }
        SymbolKind::Link => {
            let (mut sources, mut targets) = (Vec::new(), Vec::new());
            for activity in &process.activities {
                let label = || activity.name.as_ref().map_or_else(|| format!("<{}>", activity.kind.tag()), |n| format!("`{}`", n.value));
                let names = |span: Span| analysis.symbols.reference_at(span).and_then(|r| r.target) == Some(id);
                if activity.sources.iter().flat_map(|s| &s.sources).filter_map(|s| s.link_name.as_ref()).any(|n| names(n.span)) {
                    sources.push(label());
                }
                if activity.targets.iter().flat_map(|t| &t.targets).filter_map(|t| t.link_name.as_ref()).any(|n| names(n.span)) {
                    targets.push(label());
                }
            }
            let list = |names: Vec<String>| if names.is_empty() { "nothing".to_string() } else { names.join(", ") };
            let _ = write!(out, "\n\nfrom {} to {}", list(sources), list(targets));
            let _ = write!(out, "\n\ndeclared in {}", owner(analysis, declaration.owner));
        }
        SymbolKind::MessageExchange => {
            let _ = write!(out, "\n\ndeclared in {}", owner(analysis, declaration.owner));
        }
    }
    Some(out)
}

/// "the process", or "<scope> `Name`" for the activity that owns a declaration.
fn owner(analysis: &Analysis, owner: Option<crate::model::process::ActivityId>) -> String {
    let activity = owner.and_then(|id| analysis.unit.process.as_ref()?.activities.get(id.0 as usize));
    match activity {
        None => "the process".to_string(),
        Some(activity) => match &activity.name {
            Some(name) => format!("<{}> `{}`", activity.kind.tag(), name.value),
            None => format!("an unnamed <{}>", activity.kind.tag()),
        },
    }
}

fn typed(type_: Option<&crate::model::QNameRef>, element: Option<&crate::model::QNameRef>) -> String {
    match (element, type_) {
        (Some(element), _) => format!(": element `{}`", element.text),
        (None, Some(type_)) => format!(": type `{}`", type_.text),
        (None, None) => String::new(),
    }
}

fn part_type(part: &crate::model::wsdl::Part) -> String {
    typed(part.type_.as_ref(), part.element.as_ref())
}

fn element_type(type_: &ElementType) -> String {
    match type_ {
        ElementType::Named(reference) => format!(" of type `{}`", reference.text),
        ElementType::Anonymous(type_def) => match type_def.as_ref() {
            TypeDef::Simple(_) => " of an anonymous simple type".to_string(),
            TypeDef::Complex(_) => " of an anonymous complex type".to_string(),
        },
        ElementType::Unspecified => String::new(),
    }
}

fn definition(analysis: &Analysis, target: &Target) -> Option<String> {
    let definitions = &analysis.unit.definitions;
    match target {
        Target::Symbol(_) => None,
        Target::Definition(kind, name) => {
            let mut out = format!("**{}** {}", kind.describe(), qname(name));
            match kind {
                DefinitionKind::Message => {
                    for part in &definitions.message(name)?.parts {
                        let _ = write!(out, "\n- part `{}`{}", part.name.value, part_type(part));
                    }
                }
                DefinitionKind::PortType => {
                    for operation in &definitions.port_type(name)?.operations {
                        let _ = write!(out, "\n- operation `{}`{}", operation.name.value, operation_style(operation));
                    }
                }
                DefinitionKind::PartnerLinkType => {
                    for role in &definitions.partner_link_type(name)?.roles {
                        let port_type = role.port_type.as_ref().map_or(String::new(), |p| format!(": port type `{}`", p.text));
                        let _ = write!(out, "\n- role `{}`{port_type}", role.name.value);
                    }
                }
                DefinitionKind::Property => {
                    let property = definitions.property(name)?;
                    out.push_str(&typed(property.type_.as_ref(), property.element.as_ref()));
                }
                DefinitionKind::Element => {
                    let element = definitions.element(name)?;
                    out.push_str(&element_type(&element.type_));
                }
                DefinitionKind::Type => match definitions.type_def(name) {
                    Some(found) => out.push_str(match found.item {
                        TypeDef::Simple(_) => "\n\na simple type",
                        TypeDef::Complex(_) => "\n\na complex type",
                    }),
                    None if definitions.has_type(name) => out.push_str("\n\na built-in XML Schema type"),
                    None => return None,
                },
                _ => {
                    definitions.locate(*kind, name)?;
                }
            }
            Some(out)
        }
        Target::Operation { port_type, name } => {
            let operation = definitions.operation(port_type, name)?;
            let mut out = format!("**operation** `{name}` of port type {}{}", qname(port_type), operation_style(&operation));
            for (label, message) in [("input", &operation.input), ("output", &operation.output)] {
                if let Some(reference) = message.as_ref().and_then(|m| m.message.as_ref()) {
                    let _ = write!(out, "\n- {label}: message `{}`", reference.text);
                }
            }
            for fault in &operation.faults {
                let message = fault.message.as_ref().map_or(String::new(), |m| format!(": message `{}`", m.text));
                let _ = write!(out, "\n- fault `{}`{message}", fault.name.value);
            }
            Some(out)
        }
        Target::Part { message, name } => {
            let found = definitions.message(message)?;
            let part = found.part(name)?;
            Some(format!("**part** `{name}` of message {}{}", qname(message), part_type(part)))
        }
        Target::Role { partner_link_type, name } => {
            let role = definitions.partner_link_type(partner_link_type)?.item.role(name)?;
            let port_type = role.port_type.as_ref().map_or(String::new(), |p| format!("\n\nport type `{}`", p.text));
            Some(format!("**role** `{name}` of partner link type {}{port_type}", qname(partner_link_type)))
        }
    }
}

fn operation_style(operation: &crate::model::wsdl::Operation) -> &'static str {
    use crate::model::wsdl::OperationStyle;
    match operation.style {
        Some(OperationStyle::OneWay) => " (one-way)",
        Some(OperationStyle::RequestResponse) => " (request-response)",
        Some(OperationStyle::SolicitResponse) => " (solicit-response)",
        Some(OperationStyle::Notification) => " (notification)",
        None => "",
    }
}

/// What an activity does, in one line.
pub fn activity_summary(tag: &str) -> &'static str {
    match tag {
        "receive" => "Waits for a message on a partner link's operation (and may start an instance).",
        "reply" => "Answers the request of an earlier receive, onMessage or onEvent on the same operation.",
        "invoke" => "Calls an operation of a partner: one-way, or request-response waiting for the answer.",
        "assign" => "Copies data between variables, expressions, literals and partner links, all copies at once.",
        "throw" => "Signals a fault, handled by the innermost enclosing fault handler that catches it.",
        "rethrow" => "Rethrows the fault a fault handler caught, unchanged.",
        "wait" => "Waits for a duration (`for`) or until a deadline (`until`).",
        "empty" => "Does nothing.",
        "exit" => "Ends the process instance at once, without fault or compensation handling.",
        "validate" => "Checks variables against their declared XML Schema types.",
        "compensate" => "Runs the compensation handlers of the completed inner scopes, in reverse order.",
        "compensateScope" => "Runs the compensation handler of one completed inner scope.",
        "sequence" => "Runs its activities one after the other.",
        "if" => "Runs the first branch whose condition holds, else the `else` branch.",
        "while" => "Runs its activity as long as the condition holds (tested first).",
        "repeatUntil" => "Runs its activity until the condition holds (tested after each run).",
        "forEach" => "Runs its scope once per counter value, in sequence or in parallel.",
        "pick" => "Waits for the first of several messages or alarms and runs its branch.",
        "flow" => "Runs its activities concurrently, ordered only by its links.",
        "scope" => "Runs its activity with its own variables, partner links, correlation sets and handlers.",
        "extensionActivity" => "An activity defined by a language extension.",
        _ => "An activity.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::test_support::{analyze_example, offset_of};

    #[test]
    fn a_variable_shows_its_message_type_parts_and_scope() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "$placeOrder.order", 0) + 2;
        let hover = hover(&analysis, analysis.unit.file, offset).expect("a hover");
        assert_eq!(hover.span.slice(text), "placeOrder");
        assert!(hover.markdown.starts_with("**variable** `placeOrder`"), "{}", hover.markdown);
        assert!(hover.markdown.contains("message type `shop:PlaceOrderRequest`"), "{}", hover.markdown);
        assert!(hover.markdown.contains("- part `order`"), "{}", hover.markdown);
        assert!(hover.markdown.contains("declared in the process"), "{}", hover.markdown);
        // A sketch of the part's element, from the schema.
        let sketch = hover.markdown.split("```xml\n").nth(1).expect("a sketch");
        assert!(sketch.contains("placeOrder") && sketch.contains("orderId") && sketch.contains("amount"), "{}", hover.markdown);
    }

    #[test]
    fn a_partner_link_shows_its_type_roles_and_port_types() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "partnerLink=\"customer\"", 0) + "partnerLink=\"".len();
        let markdown = hover(&analysis, analysis.unit.file, offset).expect("a hover").markdown;
        assert!(markdown.starts_with("**partner link** `customer`"), "{markdown}");
        assert!(markdown.contains("partner link type `shop:ShopPartnerLinkType`"), "{markdown}");
        assert!(markdown.contains("- myRole `shop`: port type `{http://example.com/bpel/examples/shop}ShopPortType`"), "{markdown}");
        assert!(markdown.contains("`placeOrder`"), "{markdown}");
    }

    #[test]
    fn an_activity_tag_shows_what_it_does() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "<receive name=\"ReceiveOrder\"", 0) + 3;
        let hover = hover(&analysis, analysis.unit.file, offset).expect("a hover");
        assert_eq!(hover.span.slice(text), "receive");
        assert_eq!(hover.markdown, format!("**<receive>** `ReceiveOrder`\n\n{}", activity_summary("receive")));
    }

    #[test]
    fn an_operation_shows_its_messages() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "operation=\"placeOrder\"", 0) + "operation=\"".len();
        let markdown = hover(&analysis, analysis.unit.file, offset).expect("a hover").markdown;
        assert!(markdown.starts_with("**operation** `placeOrder`"), "{markdown}");
        assert!(markdown.contains("(request-response)"), "{markdown}");
        assert!(markdown.contains("- input: message `"), "{markdown}");
        assert!(markdown.contains("- output: message `"), "{markdown}");
    }

    #[test]
    fn a_message_qname_shows_its_parts() {
        let analysis = analyze_example("long-running/long-running.bpel");
        let text = &analysis.unit.text;
        let offset = offset_of(text, "shop:PlaceOrderRequest", 0) + 6;
        let hover = hover(&analysis, analysis.unit.file, offset).expect("a hover");
        assert_eq!(hover.span.slice(text), "shop:PlaceOrderRequest");
        assert!(hover.markdown.starts_with("**message** `{http://example.com/bpel/examples/shop}PlaceOrderRequest`"), "{}", hover.markdown);
        assert!(hover.markdown.contains("\n- part `order`: element `"), "{}", hover.markdown);
    }

    #[test]
    fn sketches_are_indented_one_element_a_line() {
        let xml = "<a:x xmlns:a=\"urn:a\"><a:y>1</a:y><a:z><a:w/></a:z></a:x>";
        assert_eq!(indent_xml(xml), "<a:x xmlns:a=\"urn:a\">\n  <a:y>1</a:y>\n  <a:z>\n    <a:w/>\n  </a:z>\n</a:x>");
        assert_eq!(indent_xml("<x>unclosed"), "<x>unclosed");
        assert_eq!(indent_xml("</x></y><"), "</x>\n</y>\n<");
    }

    #[test]
    fn a_link_shows_its_source_and_target() {
        let path = crate::ide::test_support::betsy_dir().join("structured/Flow-Links-JoinCondition.bpel");
        let mut loader = crate::parse::Loader::new();
        let analysis = crate::check::analyze(&mut loader, &path).unwrap();
        let text = &analysis.unit.text;
        let offset = offset_of(text, "$FromFirstToThird", 0) + 2;
        let markdown = hover(&analysis, analysis.unit.file, offset).expect("a hover").markdown;
        assert!(markdown.starts_with("**link** `FromFirstToThird`"), "{markdown}");
        assert!(markdown.contains("from `First` to `Third`"), "{markdown}");
        assert!(markdown.contains("declared in <flow>"), "{markdown}");
    }

    #[test]
    fn nothing_between_names() {
        let analysis = analyze_example("echo/echo.bpel");
        assert_eq!(hover(&analysis, analysis.unit.file, 0), None);
    }
}
