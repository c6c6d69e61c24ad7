//! Code actions beyond the fixes the checker attaches to its diagnostics: declare an undeclared
//! variable from its use, import a WSDL or XSD that defines a namespace the process uses without
//! importing it, and the static-analysis rule behind a diagnostic (to explain it, or to show it on
//! hover). Pure: the analysis, byte offsets and the candidate files (read by the caller) in, text
//! edits of the process out.

use std::fmt::Write;

use crate::check::rules::{self, Rule};
use crate::check::Analysis;
use crate::diagnostic::{codes, Diagnostic, TextEdit};
use crate::model::process::Process;
use crate::model::wsdl::WSDL_NS;
use crate::model::xsd::XSD_NS;
use crate::model::QName;
use crate::parse::process::BPEL_NS;
use crate::resolve::{message_activities, MessageActivity, ProcessDefinitions, SymbolKind};
use crate::span::{Span, Spanned};
use crate::syntax::{parse_xml, Element, XmlDocument};

/// The rule that reports a QName no imported document defines.
const UNRESOLVED_DEFINITION: &str = "SA00010";
/// The rule that reports a variable only an onEvent declares, used outside its scope.
const VARIABLE_OUTSIDE_ON_EVENT: &str = "SA00095";

/// What an action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Declares an undeclared variable in the innermost enclosing scope.
    DeclareVariable,
    /// Adds an `<import>` of a WSDL or XSD beside the process.
    AddImport,
}

/// A code action: edits of the process text that resolve one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// The diagnostic it resolves (an index into `analysis.diagnostics()`).
    pub diagnostic: usize,
}

/// What a document beside the process is, for an `<import>` of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Wsdl,
    Xsd,
}

impl ImportKind {
    /// The `importType` of an `<import>` of such a document.
    pub fn import_type(self) -> &'static str {
        match self {
            ImportKind::Wsdl => WSDL_NS,
            ImportKind::Xsd => XSD_NS,
        }
    }
}

/// A WSDL or XSD document the process could import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportCandidate {
    /// The `location` to write: relative to the process's folder, with `/` separators.
    pub location: String,
    pub namespace: String,
    pub kind: ImportKind,
}

impl ImportCandidate {
    /// The candidate `text` makes at `location`: a WSDL `definitions` or an XSD `schema` with a
    /// `targetNamespace`; `None` for anything else.
    pub fn from_text(location: &str, text: &str) -> Option<ImportCandidate> {
        let document = parse_xml(text);
        let root = document.root.as_ref()?;
        let kind = if root.is(WSDL_NS, "definitions") {
            ImportKind::Wsdl
        } else if root.is(XSD_NS, "schema") {
            ImportKind::Xsd
        } else {
            return None;
        };
        let namespace = root.attr_value("targetNamespace")?.trim();
        (!namespace.is_empty()).then(|| ImportCandidate { location: location.to_string(), namespace: namespace.to_string(), kind })
    }
}

/// The actions for the diagnostics of the process that touch `range` (byte offsets in the process).
pub fn code_actions(analysis: &Analysis, range: Span, candidates: &[ImportCandidate]) -> Vec<Action> {
    let Some(process) = analysis.unit.process.as_ref() else { return Vec::new() };
    let document = parse_xml(&analysis.unit.text);
    let Some(root) = document.root.as_ref() else { return Vec::new() };
    let cx = Context { analysis, process, document: &document, root };
    let mut actions = Vec::new();
    for (index, diagnostic) in analysis.diagnostics().iter().enumerate() {
        if diagnostic.file != analysis.unit.file || !touches(diagnostic.span, range) {
            continue;
        }
        if let Some(action) = cx.declare_variable(index, diagnostic) {
            actions.push(action);
        }
        actions.extend(cx.add_imports(index, diagnostic, candidates));
    }
    actions
}

/// The static-analysis rules of the process's diagnostics that touch `range`, each once, in the
/// order of the diagnostics.
pub fn rules_in(analysis: &Analysis, range: Span) -> Vec<&'static Rule> {
    let mut found: Vec<&'static Rule> = Vec::new();
    for diagnostic in analysis.diagnostics() {
        if diagnostic.file != analysis.unit.file || !touches(diagnostic.span, range) {
            continue;
        }
        if let Some(rule) = rule_of(diagnostic) {
            if !found.iter().any(|r| r.code == rule.code) {
                found.push(rule);
            }
        }
    }
    found
}

/// Markdown for the rules behind the diagnostics of the process at `offset`: each one's code,
/// summary and why; `None` where no such diagnostic covers the offset.
pub fn diagnostic_rules_markdown(analysis: &Analysis, offset: usize) -> Option<String> {
    rules_markdown(&rules_in(analysis, Span::empty_at(offset)))
}

/// Each rule's code, summary and why, as markdown paragraphs; `None` for no rule.
pub fn rules_markdown(rules: &[&Rule]) -> Option<String> {
    let mut markdown = String::new();
    for rule in rules {
        if !markdown.is_empty() {
            markdown.push_str("\n\n");
        }
        let _ = write!(markdown, "**{}**: {}\n\n{}", rule.code, rule.summary, rule.why);
    }
    (!markdown.is_empty()).then_some(markdown)
}

/// Whether an action for the diagnostics touching `range` needs the import candidates: only then
/// need the caller read the documents beside the process.
pub fn wants_import_candidates(analysis: &Analysis, range: Span) -> bool {
    analysis.diagnostics().iter().any(|d| d.file == analysis.unit.file && d.code == UNRESOLVED_DEFINITION && touches(d.span, range))
}

/// The static-analysis rule a diagnostic reports, if its code is one.
fn rule_of(diagnostic: &Diagnostic) -> Option<&'static Rule> {
    if !diagnostic.code.starts_with("SA") {
        return None;
    }
    rules::find(diagnostic.code).filter(|rule| rule.code == diagnostic.code)
}

/// Whether a diagnostic's span touches `range` (ends included: the cursor may stand just after it).
fn touches(span: Span, range: Span) -> bool {
    span.start <= range.end && range.start <= span.end
}

struct Context<'a> {
    analysis: &'a Analysis,
    process: &'a Process,
    document: &'a XmlDocument,
    root: &'a Element,
}

impl Context<'_> {
    fn text(&self) -> &str {
        &self.analysis.unit.text
    }

    fn edit(&self, span: Span, replacement: String) -> TextEdit {
        TextEdit { file: self.analysis.unit.file, span, replacement }
    }

    /// `<variable name="NAME" .../>` in the innermost scope around an undeclared variable's use.
    fn declare_variable(&self, index: usize, diagnostic: &Diagnostic) -> Option<Action> {
        if diagnostic.code != codes::UNDECLARED_VARIABLE && diagnostic.code != VARIABLE_OUTSIDE_ON_EVENT {
            return None;
        }
        let reference = self.analysis.symbols.reference_at(diagnostic.span)?;
        if reference.kind != SymbolKind::Variable || reference.target.is_some() || !is_ncname(&reference.name) {
            return None;
        }
        let scope = innermost_scope(self.root, diagnostic.span.start as usize)?;
        // the prefixes bound where the declaration goes
        let holder = scope.child_elements().find(|c| c.is(BPEL_NS, "variables")).unwrap_or(scope);
        let type_attribute = match self.inferred_message(diagnostic.span) {
            Some(message) => {
                let namespace = message.namespace.as_deref()?;
                format!(r#"messageType="{}:{}""#, self.prefix_for(holder, namespace)?, message.local)
            }
            // No prefix bound to XML Schema's namespace: no type can be written, so no action.
            None => format!(r#"type="{}:string""#, self.prefix_for(holder, XSD_NS)?),
        };
        // in BPEL's namespace, with the prefix its neighbours have
        let element_prefix = holder.prefix.as_deref().map(|p| format!("{p}:")).unwrap_or_default();
        let declaration = format!(r#"<{element_prefix}variable name="{}" {type_attribute}/>"#, reference.name);
        let edit = self.insert_declaration(scope, &declaration)?;
        Some(Action {
            kind: ActionKind::DeclareVariable,
            title: format!("Declare variable `{}` in the {}", reference.name, describe_scope(scope)),
            edits: vec![edit],
            diagnostic: index,
        })
    }

    /// The message a variable used at `span` must hold: the input (receive, onMessage, invoke's
    /// inputVariable) or output (reply, invoke's outputVariable) of the activity's operation.
    fn inferred_message(&self, span: Span) -> Option<QName> {
        let at = |name: &Option<Spanned<String>>| name.as_ref().is_some_and(|n| n.span == span);
        let (activity, input) = message_activities(self.process).into_iter().find_map(|activity| match activity {
            MessageActivity::Receive(_, receive) if at(&receive.variable) => Some((activity, true)),
            MessageActivity::OnMessage(_, on_message) if at(&on_message.variable) => Some((activity, true)),
            MessageActivity::Reply(_, reply) if at(&reply.variable) => Some((activity, false)),
            MessageActivity::Invoke(_, invoke) if at(&invoke.input_variable) => Some((activity, true)),
            MessageActivity::Invoke(_, invoke) if at(&invoke.output_variable) => Some((activity, false)),
            _ => None,
        })?;
        let definitions = ProcessDefinitions::new(self.process, &self.analysis.unit.definitions, &self.analysis.symbols);
        let operation = definitions.operation(&activity)?;
        let message = if input { operation.item.input.as_ref() } else { operation.item.output.as_ref() };
        message?.message.as_ref()?.name.clone()
    }

    /// A prefix bound to `namespace` where `element` stands (the default namespace does not count:
    /// an unprefixed QName would be read in it, but it is usually BPEL's).
    fn prefix_for(&self, element: &Element, namespace: &str) -> Option<String> {
        self.document.scopes.in_scope(element.scope).into_iter().find_map(|(prefix, uri)| (uri == namespace).then_some(prefix).flatten())
    }

    /// The edit that puts `declaration` into `scope`'s `<variables>`, creating it where it belongs
    /// when there is none.
    fn insert_declaration(&self, scope: &Element, declaration: &str) -> Option<TextEdit> {
        let text = self.text();
        let children: Vec<&Element> = scope.child_elements().collect();
        if let Some(variables) = children.iter().find(|c| c.is(BPEL_NS, "variables")) {
            let unit = indent_unit(text, scope);
            let block_indent =
                indent_of(text, variables).unwrap_or_else(|| format!("{}{unit}", indent_of(text, scope).unwrap_or_default()));
            let declared: Vec<&Element> = variables.child_elements().collect();
            if let Some(last) = declared.last() {
                let indent = indent_of(text, last).unwrap_or_else(|| format!("{block_indent}{unit}"));
                return Some(self.edit(Span::empty_at(last.span.end as usize), format!("\n{indent}{declaration}")));
            }
            let inner = format!("{block_indent}{unit}");
            if is_self_closing(text, variables) {
                let replacement = format!("<{0}>\n{inner}{declaration}\n{block_indent}</{0}>", variables.qualified_name());
                return Some(self.edit(variables.span, replacement));
            }
            // `<variables>  </variables>`: what is between the tags is replaced
            let end_tag = variables.span.slice(text).rfind("</").map(|at| variables.span.start as usize + at);
            let between = end_tag.filter(|&end| {
                text.get(variables.start_tag.end as usize..end).is_some_and(|inside| inside.chars().all(char::is_whitespace))
            });
            return Some(match between {
                Some(end) => self.edit(Span::new(variables.start_tag.end as usize, end), format!("\n{inner}{declaration}\n{block_indent}")),
                None => self.edit(Span::empty_at(variables.start_tag.end as usize), format!("\n{inner}{declaration}")),
            });
        }
        if is_self_closing(text, scope) {
            return None;
        }
        // In the standard's order: after documentation, targets and sources, extensions, imports,
        // partner links and message exchanges.
        let before = ["documentation", "targets", "sources", "extensions", "import", "partnerLinks", "messageExchanges"];
        let previous = children.iter().rev().find(|c| before.iter().any(|name| c.is(BPEL_NS, name)));
        let prefix = scope.prefix.as_deref().map(|p| format!("{p}:")).unwrap_or_default();
        let indent = children
            .first()
            .and_then(|child| indent_of(text, child))
            .unwrap_or_else(|| format!("{}{}", indent_of(text, scope).unwrap_or_default(), indent_unit(text, scope)));
        let unit = indent_unit(text, scope);
        let block = format!("\n{indent}<{prefix}variables>\n{indent}{unit}{declaration}\n{indent}</{prefix}variables>");
        let at = match previous {
            Some(previous) => previous.span.end,
            None => scope.start_tag.end,
        };
        // an empty line before it when its siblings are set apart by one
        let spaced = previous.is_some()
            && text.get(at as usize..).is_some_and(|rest| {
                rest.trim_start_matches([' ', '\t']).starts_with("\n\n") || rest.trim_start_matches([' ', '\t']).starts_with("\r\n\r\n")
            });
        let block = if spaced { format!("\n{block}") } else { block };
        Some(self.edit(Span::empty_at(at as usize), block))
    }

    /// `<import>`s of the candidates that define the namespace of an unresolved QName (SA00010)
    /// the process does not import.
    fn add_imports(&self, index: usize, diagnostic: &Diagnostic, candidates: &[ImportCandidate]) -> Vec<Action> {
        if diagnostic.code != UNRESOLVED_DEFINITION {
            return Vec::new();
        }
        let Some((element, value)) = attribute_at(self.root, diagnostic.span) else { return Vec::new() };
        // only a prefixed name: an unprefixed one is a partner link's name, or in BPEL's namespace
        if !value.contains(':') {
            return Vec::new();
        }
        let Ok((Some(namespace), _)) = self.document.scopes.resolve_qname(element.scope, value) else { return Vec::new() };
        if [BPEL_NS, XSD_NS].contains(&namespace)
            || self.process.imports.iter().any(|i| i.namespace.as_ref().is_some_and(|n| n.value == namespace))
        {
            return Vec::new();
        }
        let Some(insert) = self.import_position() else { return Vec::new() };
        let element_prefix = self.root.prefix.as_deref().map(|p| format!("{p}:")).unwrap_or_default();
        candidates
            .iter()
            .filter(|candidate| candidate.namespace == namespace)
            .map(|candidate| {
                let import = format!(
                    r#"<{element_prefix}import namespace="{}" location="{}" importType="{}"/>"#,
                    escape(&candidate.namespace),
                    escape(&candidate.location),
                    candidate.kind.import_type()
                );
                let (at, indent) = &insert;
                Action {
                    kind: ActionKind::AddImport,
                    title: format!("Import `{}` (namespace `{}`)", candidate.location, candidate.namespace),
                    edits: vec![self.edit(Span::empty_at(*at), format!("\n{indent}{import}"))],
                    diagnostic: index,
                }
            })
            .collect()
    }

    /// Where an `<import>` goes: after the last one, else as the process's first child (after its
    /// documentation and extensions); and its indentation.
    fn import_position(&self) -> Option<(usize, String)> {
        let text = self.text();
        if is_self_closing(text, self.root) {
            return None;
        }
        let children: Vec<&Element> = self.root.child_elements().collect();
        let indent = children
            .first()
            .and_then(|child| indent_of(text, child))
            .unwrap_or_else(|| format!("{}{}", indent_of(text, self.root).unwrap_or_default(), indent_unit(text, self.root)));
        let previous = children.iter().rev().find(|c| ["documentation", "extensions", "import"].iter().any(|name| c.is(BPEL_NS, name)));
        let previous = children.iter().rev().find(|c| c.is(BPEL_NS, "import")).or(previous);
        let at = previous.map_or(self.root.start_tag.end, |p| p.span.end);
        Some((at as usize, indent))
    }
}

/// The innermost `<scope>` or the `<process>` around `offset`.
fn innermost_scope(root: &Element, offset: usize) -> Option<&Element> {
    if !root.is(BPEL_NS, "process") {
        return None;
    }
    let mut found = root;
    let mut current = root;
    'down: loop {
        for child in current.child_elements() {
            if child.span.contains(offset) {
                if child.is(BPEL_NS, "scope") {
                    found = child;
                }
                current = child;
                continue 'down;
            }
        }
        return Some(found);
    }
}

/// The element and value of the attribute whose value is exactly `span`.
fn attribute_at(root: &Element, span: Span) -> Option<(&Element, &str)> {
    if let Some(attribute) = root.attributes.iter().find(|a| a.value_span == span) {
        return Some((root, attribute.value.as_str()));
    }
    let child = root.child_elements().find(|c| c.span.contains(span.start as usize))?;
    attribute_at(child, span)
}

fn describe_scope(scope: &Element) -> String {
    match (scope.local.as_str(), scope.attr_value("name")) {
        ("process", _) => "process".to_string(),
        (_, Some(name)) => format!("scope `{name}`"),
        _ => "enclosing scope".to_string(),
    }
}

/// The whitespace before `element` on its line, when nothing else precedes it there.
fn indent_of(text: &str, element: &Element) -> Option<String> {
    let before = text.get(..element.span.start as usize)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let indent = &before[line_start..];
    indent.chars().all(|c| c == ' ' || c == '\t').then(|| indent.to_string())
}

/// One level of indentation under `element`: its children's indentation minus its own, else four
/// spaces.
fn indent_unit(text: &str, element: &Element) -> String {
    let own = indent_of(text, element).unwrap_or_default();
    element
        .child_elements()
        .find_map(|child| indent_of(text, child))
        .and_then(|inner| inner.strip_prefix(own.as_str()).map(str::to_string))
        .filter(|unit| !unit.is_empty())
        .unwrap_or_else(|| "    ".to_string())
}

/// `<x .../>`: an element without content or end tag.
fn is_self_closing(text: &str, element: &Element) -> bool {
    element.span.slice(text).ends_with("/>")
}

/// A name that can be written as it is in `name="..."` (letters, digits, `_`, `-`, `.`; not
/// starting with a digit, `-` or `.`).
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `text` as an XML attribute value in double quotes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}
