//! The last public drafts of WS-BPEL 2.0 (namespace
//! `http://schemas.xmlsoap.org/ws/2004/03/business-process/`, used by the OASIS TC's working drafts
//! from March 2004 until the namespace changed in 2006, and by Apache ODE as "BPEL 2.0 draft") read
//! as WS-BPEL 2.0.
//!
//! The translation works on the syntax tree before [`super::process::read_process`] sees it, so the
//! model is WS-BPEL 2.0 and everything downstream is unchanged; every element, attribute and text
//! keeps the span it has in the original text (an element made up here, such as the `<elseif>` of
//! a `<case>`, takes the span of the element it stands for). Expressions that call the draft's
//! `getVariableData` or `getLinkStatus` are rewritten once the imports are read
//! ([`translate_expressions`]), because the right 2.0 form depends on the part's type.
//!
//! What we relied on: the drafts' schemas as Apache ODE ships them
//! (`bpel-schemas/src/main/resources/wsbpel_main-draft-Sep-06-2005.xsd` and
//! `wsbpel_main-draft-Apr-29-2006.xsd`, whose header lists the TC issues applied in each revision),
//! ODE's reader of that namespace (`bpel-compiler/.../bom/BpelObjectFactory.java`,
//! `Bpel20QNames.java`, `IfActivity.java`), BPEL4WS 1.1 §14.3 for `getVariableData`, and WS-BPEL 2.0
//! §8.2.6 and §8.4 for what replaced it. The mapping (docs/draft-namespace.md has the same table):
//!
//! | draft | WS-BPEL 2.0 |
//! |---|---|
//! | any element or prefix in the draft namespace | the same local name in the 2.0 namespace (so `bpws:selectionFailure`, `bpws:getVariableProperty` mean the 2.0 ones) |
//! | `<switch><case>…<otherwise>` (early drafts, from BPEL4WS 1.1) | `<if>`, its first `<case>`'s condition and activity, `<elseif>` per further case, `<else>`; a case's `condition` attribute becomes a `<condition>` |
//! | `<if><condition/><then>A</then>…` (2005–2006 drafts) | `<if><condition/>A…` (`<then>` unwrapped, also in `<elseif>`) |
//! | `<terminate>` | `<exit>` |
//! | `<compensate scope="S"/>` (before TC issue 217) | `<compensateScope target="S"/>` |
//! | `<fromPart>`/`<toPart>` directly in receive, reply, invoke, onMessage, onEvent | wrapped in `<fromParts>`/`<toParts>` |
//! | `<extensibleAssign>` | `<extensionAssignOperation>` |
//! | `<branches countCompletedBranchesOnly>` | `<branches successfulBranchesOnly>` (TC issue 204) |
//! | `<scope variableAccessSerializable>` | `<scope isolated>` |
//! | `<correlation pattern="out|in|out-in">` (ODE's draft schema) | `request`, `response`, `request-response` |
//! | an `<onAlarm>` of event handlers holding any activity (Sep 2005 draft) | the activity wrapped in a `<scope>`, as 2.0 requires |
//! | `<to queryLanguage>` | `<to expressionLanguage>` |
//! | `expressionLanguage`/`queryLanguage` `http://www.w3.org/TR/1999/REC-xpath-19991116` | `urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0` |
//! | `bpws:service-ref` in a literal | `sref:service-ref` (`http://docs.oasis-open.org/wsbpel/2.0/serviceref`) |
//! | `bpws:getVariableData('v')`, `('v','p')`, `('v','p','/q')` | `$v`, `$v.p`, `$v.p/q`; for an element part `E` the query's first step `/E` is the part itself and is dropped |
//! | `bpws:getLinkStatus('l')` | `$l` |
//! | `abstractProcess="no"`, `enableInstanceCompensation="no"`, `opaque="no"` | dropped |
//!
//! Refused, each with a diagnostic naming it, because WS-BPEL 2.0 executable processes have no
//! such thing: `abstractProcess="yes"`, `enableInstanceCompensation="yes"`, `<from opaque="yes">`
//! (abstract processes), a `<compensationHandler>` or `<terminationHandler>` of the process
//! (removed in 2005), `<forEach><iterator>` (removed in 2006), `<onMessage>` in event handlers
//! (BPEL4WS 1.1; the drafts have `<onEvent>`), and `getVariableData` calls whose arguments are not
//! string literals or whose query does not start at the part.

use std::sync::Arc;

use super::Definitions;
use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::*;
use crate::model::QName;
use crate::source::FileId;
use crate::span::Span;
use crate::syntax::{Attribute, Element, NamespaceScopes, Node, Text, XmlDocument};
use crate::xpath::{self, ExprKind, InScope, NodeTest, PathStart};

use super::process::BPEL_NS;

/// The namespace of the WS-BPEL 2.0 working drafts.
pub const DRAFT_NS: &str = "http://schemas.xmlsoap.org/ws/2004/03/business-process/";
/// The drafts' namespace of partner link types (WSDL extension).
pub const DRAFT_PLNK_NS: &str = "http://schemas.xmlsoap.org/ws/2004/03/partner-link/";
const SERVICE_REF_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/serviceref";
const XPATH_1999: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";

/// Whether the document's root is a process in the draft namespace.
pub fn is_draft(doc: &XmlDocument) -> bool {
    doc.root.as_ref().is_some_and(|root| root.is(DRAFT_NS, "process"))
}

/// The document read as WS-BPEL 2.0: same spans, 2.0 names and shapes. Reports the warning that
/// says so, and an error for each construct without a 2.0 meaning (left out of the result).
pub fn translate(file: FileId, doc: &XmlDocument, diagnostics: &mut Vec<Diagnostic>) -> XmlDocument {
    let mut scopes = doc.scopes.clone();
    scopes.rebind(DRAFT_NS, BPEL_NS);
    let root = doc.root.as_ref().map(|root| {
        diagnostics.push(
            Diagnostic::warning(
                codes::DRAFT_NAMESPACE,
                file,
                root.name_span,
                format!("this process is in the WS-BPEL 2.0 draft namespace `{DRAFT_NS}`; it was read as WS-BPEL 2.0"),
            )
            .with_help(format!("to silence this, move the process to `{BPEL_NS}` (see docs/draft-namespace.md for what changed)")),
        );
        let mut translator = Translator { file, diagnostics, bpel: Arc::from(BPEL_NS) };
        translator.element(root, Parent::None)
    });
    XmlDocument { root, errors: doc.errors.clone(), scopes }
}

/// Where an element stands, for the few translations that depend on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    None,
    Process,
    EventHandlers,
    Other,
}

struct Translator<'a> {
    file: FileId,
    diagnostics: &'a mut Vec<Diagnostic>,
    bpel: Arc<str>,
}

fn is_draft_element(element: &Element) -> bool {
    element.namespace.as_deref() == Some(DRAFT_NS)
}

impl Translator<'_> {
    fn refuse(&mut self, span: Span, message: String) {
        self.diagnostics.push(
            Diagnostic::error(codes::DRAFT_UNSUPPORTED, self.file, span, message)
                .with_help("WS-BPEL 2.0 has no equivalent; rewrite this part of the process in WS-BPEL 2.0"),
        );
    }

    /// An element of the draft namespace, translated with its subtree; any other element is kept.
    fn element(&mut self, element: &Element, parent: Parent) -> Element {
        if !is_draft_element(element) {
            return element.clone();
        }
        match element.local.as_str() {
            "switch" => return self.switch(element),
            "literal" => {
                let mut literal = self.renamed(element, "literal");
                literal.children = element.children.iter().map(literal_node).collect();
                return literal;
            }
            _ => {}
        }
        let local = match element.local.as_str() {
            "terminate" => "exit",
            "extensibleAssign" => "extensionAssignOperation",
            "compensate" if element.attr("scope").is_some() => "compensateScope",
            other => other,
        };
        let mut out = self.renamed(element, local);
        out.attributes = self.attributes(element);
        let here = match element.local.as_str() {
            "process" => Parent::Process,
            "eventHandlers" => Parent::EventHandlers,
            _ => Parent::Other,
        };
        let mut children = Vec::new();
        for node in &element.children {
            let Node::Element(child) = node else {
                children.push(node.clone());
                continue;
            };
            if !is_draft_element(child) {
                children.push(node.clone());
                continue;
            }
            match (here, element.local.as_str(), child.local.as_str()) {
                (Parent::Process, _, "compensationHandler" | "terminationHandler") => {
                    self.refuse(
                        child.name_span,
                        format!("a <{}> of the whole process (dropped from the drafts in 2005) has no meaning in WS-BPEL 2.0", child.local),
                    );
                }
                (Parent::EventHandlers, _, "onMessage") => self.refuse(
                    child.name_span,
                    "an <onMessage> in <eventHandlers> is BPEL4WS 1.1; the drafts and WS-BPEL 2.0 use <onEvent> with a <scope>".into(),
                ),
                (_, "forEach", "iterator") => self.refuse(
                    child.name_span,
                    "the <iterator> of a <forEach> was removed from the drafts in 2006 and has no WS-BPEL 2.0 meaning".into(),
                ),
                (_, "if" | "elseif", "then") => {
                    for grandchild in &child.children {
                        match grandchild {
                            Node::Element(activity) if !(is_draft_element(activity) && activity.local == "documentation") => {
                                children.push(Node::Element(self.element(activity, Parent::Other)))
                            }
                            Node::Element(_) => {}
                            Node::Text(text) => children.push(Node::Text(text.clone())),
                        }
                    }
                }
                _ => children.push(Node::Element(self.element(child, here))),
            }
        }
        // a draft written with the 2.0 wrappers already keeps them as they are
        out.children = if matches!(element.local.as_str(), "fromParts" | "toParts") { children } else { wrap_parts(children, &self.bpel) };
        if parent == Parent::EventHandlers && element.local == "onAlarm" {
            out.children = self.scope_around_activity(out.children);
        }
        out
    }

    /// `element`'s start tag under a 2.0 name, without children.
    fn renamed(&self, element: &Element, local: &str) -> Element {
        Element {
            prefix: element.prefix.clone(),
            local: local.to_string(),
            namespace: Some(self.bpel.clone()),
            span: element.span,
            start_tag: element.start_tag,
            name_span: element.name_span,
            attributes: element.attributes.clone(),
            children: Vec::new(),
            scope: element.scope,
        }
    }

    /// The attributes of a draft element under their 2.0 names and values; those without a 2.0
    /// meaning are reported and left out.
    fn attributes(&mut self, element: &Element) -> Vec<Attribute> {
        let mut out = Vec::new();
        for attribute in &element.attributes {
            if attribute.prefix.is_some() {
                out.push(attribute.clone());
                continue;
            }
            let mut attribute = attribute.clone();
            let value = attribute.value.trim();
            match (element.local.as_str(), attribute.local.as_str()) {
                ("process", "abstractProcess" | "enableInstanceCompensation") | ("from", "opaque") => {
                    if value == "yes" {
                        let what = if attribute.local == "enableInstanceCompensation" {
                            "instance compensation (`enableInstanceCompensation=\"yes\"`) was dropped from the drafts in 2005 and"
                        } else {
                            "an abstract process construct"
                        };
                        self.refuse(
                            attribute.name_span,
                            format!("`{}=\"yes\"`: {what} has no meaning in an executable WS-BPEL 2.0 process", attribute.local),
                        );
                    }
                    continue;
                }
                ("compensate", "scope") => attribute.local = "target".into(),
                ("branches", "countCompletedBranchesOnly") => attribute.local = "successfulBranchesOnly".into(),
                ("scope", "variableAccessSerializable") => attribute.local = "isolated".into(),
                ("to", "queryLanguage") => attribute.local = "expressionLanguage".into(),
                ("correlation", "pattern") => {
                    let pattern = match value {
                        "out" => Some("request"),
                        "in" => Some("response"),
                        "out-in" => Some("request-response"),
                        _ => None,
                    };
                    if let Some(pattern) = pattern {
                        attribute.value = pattern.into();
                    }
                }
                _ => {}
            }
            if matches!(attribute.local.as_str(), "expressionLanguage" | "queryLanguage") && attribute.value.trim() == XPATH_1999 {
                attribute.value = xpath::XPATH_1_0.into();
            }
            out.push(attribute);
        }
        out
    }

    /// `<switch>` as `<if>`: the first case's condition and activity, an `<elseif>` per further
    /// case, `<else>` for `<otherwise>`.
    fn switch(&mut self, element: &Element) -> Element {
        let mut out = self.renamed(element, "if");
        out.attributes = self.attributes(element);
        let mut first_case = true;
        for node in &element.children {
            let Node::Element(child) = node else {
                out.children.push(node.clone());
                continue;
            };
            if !is_draft_element(child) {
                out.children.push(node.clone());
                continue;
            }
            match child.local.as_str() {
                "case" => {
                    let mut branch = Vec::new();
                    let mut has_condition = false;
                    if let Some(attribute) = child.attr("condition") {
                        branch.push(Node::Element(condition_from_attribute(child, attribute, &self.bpel)));
                        has_condition = true;
                    }
                    for grandchild in &child.children {
                        match grandchild {
                            Node::Element(inner) => {
                                has_condition |= is_draft_element(inner) && inner.local == "condition";
                                branch.push(Node::Element(self.element(inner, Parent::Other)));
                            }
                            Node::Text(text) => branch.push(Node::Text(text.clone())),
                        }
                    }
                    if !has_condition {
                        self.diagnostics.push(Diagnostic::error(
                            codes::MISSING_REQUIRED,
                            self.file,
                            child.name_span,
                            "a <case> needs a condition (a `condition` attribute or a <condition>)",
                        ));
                    }
                    if first_case {
                        out.children.extend(branch);
                        first_case = false;
                    } else {
                        let mut elseif = self.renamed(child, "elseif");
                        elseif.attributes.retain(|a| !(a.prefix.is_none() && a.local == "condition"));
                        elseif.children = branch;
                        out.children.push(Node::Element(elseif));
                    }
                }
                "otherwise" => {
                    let mut otherwise = self.renamed(child, "else");
                    otherwise.children = child.children.iter().map(|n| self.node(n)).collect();
                    out.children.push(Node::Element(otherwise));
                }
                _ => out.children.push(Node::Element(self.element(child, Parent::Other))),
            }
        }
        if first_case {
            self.diagnostics.push(Diagnostic::error(
                codes::MISSING_REQUIRED,
                self.file,
                element.name_span,
                "a <switch> needs at least one <case>",
            ));
        }
        out
    }

    fn node(&mut self, node: &Node) -> Node {
        match node {
            Node::Element(element) => Node::Element(self.element(element, Parent::Other)),
            Node::Text(text) => Node::Text(text.clone()),
        }
    }

    /// The children of an event handlers' `<onAlarm>` with its activity inside a `<scope>` when it
    /// is not one already (the Sep 2005 draft allowed any activity there).
    fn scope_around_activity(&self, children: Vec<Node>) -> Vec<Node> {
        children
            .into_iter()
            .map(|node| match node {
                Node::Element(activity)
                    if activity.namespace.as_deref() == Some(BPEL_NS)
                        && super::process::ACTIVITY_TAGS.contains(&activity.local.as_str())
                        && activity.local != "scope" =>
                {
                    let mut scope = self.renamed(&activity, "scope");
                    scope.attributes = Vec::new();
                    scope.children = vec![Node::Element(activity)];
                    Node::Element(scope)
                }
                other => other,
            })
            .collect()
    }
}

/// A `<condition>` element standing for a `condition="..."` attribute, spanning the attribute.
fn condition_from_attribute(owner: &Element, attribute: &Attribute, bpel: &Arc<str>) -> Element {
    let span = Span { start: attribute.name_span.start, end: attribute.value_span.end + 1 };
    Element {
        prefix: owner.prefix.clone(),
        local: "condition".into(),
        namespace: Some(bpel.clone()),
        span,
        start_tag: span,
        name_span: attribute.name_span,
        attributes: Vec::new(),
        children: vec![Node::Text(Text { value: attribute.value.clone(), span: attribute.value_span })],
        scope: owner.scope,
    }
}

/// Inside a literal only `service-ref` changes namespace; the rest is data and stays as written.
fn literal_node(node: &Node) -> Node {
    match node {
        Node::Element(element) => {
            let mut element = element.clone();
            if is_draft_element(&element) && element.local == "service-ref" {
                element.namespace = Some(Arc::from(SERVICE_REF_NS));
            }
            element.children = element.children.iter().map(literal_node).collect();
            Node::Element(element)
        }
        Node::Text(text) => Node::Text(text.clone()),
    }
}

/// Wraps each run of `<fromPart>` (`<toPart>`) children, whitespace between them included, in one
/// `<fromParts>` (`<toParts>`) spanning the run.
fn wrap_parts(children: Vec<Node>, bpel: &Arc<str>) -> Vec<Node> {
    let wrapper_of = |node: &Node| match node {
        Node::Element(e) if e.namespace.as_deref() == Some(BPEL_NS) && e.local == "fromPart" => Some("fromParts"),
        Node::Element(e) if e.namespace.as_deref() == Some(BPEL_NS) && e.local == "toPart" => Some("toParts"),
        _ => None,
    };
    if !children.iter().any(|node| wrapper_of(node).is_some()) {
        return children;
    }
    let mut out: Vec<Node> = Vec::new();
    let mut run: Option<Element> = None;
    for node in children {
        match (wrapper_of(&node), &mut run, node) {
            (Some(wrapper), Some(current), Node::Element(part)) if current.local == wrapper => {
                current.span.end = part.span.end;
                current.start_tag = current.span;
                current.children.push(Node::Element(part));
            }
            (Some(wrapper), _, Node::Element(part)) => {
                out.extend(run.take().map(Node::Element));
                let span = part.span;
                run = Some(Element {
                    prefix: part.prefix.clone(),
                    local: wrapper.into(),
                    namespace: Some(bpel.clone()),
                    span,
                    start_tag: span,
                    name_span: part.name_span,
                    attributes: Vec::new(),
                    scope: part.scope,
                    children: vec![Node::Element(part)],
                });
            }
            (_, Some(current), Node::Text(text)) if text.value.trim().is_empty() => current.children.push(Node::Text(text)),
            (_, _, node) => {
                out.extend(run.take().map(Node::Element));
                out.push(node);
            }
        }
    }
    out.extend(run.map(Node::Element));
    out
}

/// Rewrites the draft's `getVariableData` and `getLinkStatus` calls in every expression of a
/// process read from the draft namespace, now that the imports say what each part is.
pub fn translate_expressions(process: &mut Process, definitions: &Definitions, diagnostics: &mut Vec<Diagnostic>) {
    let parts = PartKinds::of(process, definitions);
    let scopes = process.namespaces.clone();
    let file = process.file;
    let mut rewrite = |expression: &mut Expression| rewrite_expression(expression, &scopes, &parts, file, diagnostics);
    each_expression(process, &mut rewrite);
}

/// What the 1.1-style query of `getVariableData` starts from: the part's element, or the content
/// of a type-based part.
#[derive(Clone, Debug, PartialEq)]
enum PartKind {
    Element(QName),
    Typed,
}

/// For each variable name, the message parts of its (first) message-typed declaration.
struct PartKinds {
    variables: Vec<(String, Vec<(String, PartKind)>)>,
}

impl PartKinds {
    fn of(process: &Process, definitions: &Definitions) -> PartKinds {
        let mut declarations: Vec<&Variable> = process.scope.variables.iter().collect();
        for activity in &process.activities {
            if let ActivityKind::Scope(scope) = &activity.kind {
                declarations.extend(&scope.decls.variables);
            }
        }
        let mut variables: Vec<(String, Vec<(String, PartKind)>)> = Vec::new();
        for variable in declarations {
            let (Some(name), Some(message_type)) = (&variable.name, &variable.ty.message_type) else { continue };
            if variables.iter().any(|(n, _)| n == &name.value) {
                continue;
            }
            let Some(message) = message_type.name.as_ref().and_then(|q| definitions.message(q)) else { continue };
            let parts = message
                .item
                .parts
                .iter()
                .map(|part| {
                    let kind = match part.element.as_ref().and_then(|e| e.name.clone()) {
                        Some(element) => PartKind::Element(element),
                        None => PartKind::Typed,
                    };
                    (part.name.value.clone(), kind)
                })
                .collect();
            variables.push((name.value.clone(), parts));
        }
        PartKinds { variables }
    }

    fn part(&self, variable: &str, part: &str) -> Option<&PartKind> {
        let (_, parts) = self.variables.iter().find(|(name, _)| name == variable)?;
        parts.iter().find(|(name, _)| name == part).map(|(_, kind)| kind)
    }
}

fn rewrite_expression(
    expression: &mut Expression,
    scopes: &NamespaceScopes,
    parts: &PartKinds,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !expression.text.contains("getVariableData") && !expression.text.contains("getLinkStatus") {
        return;
    }
    let namespaces = InScope { scopes, scope: expression.namespaces };
    // A text that does not parse is reported as such by the checks. Only the calls' places are
    // needed here, which XPath 2.0's grammar (a near superset) gives for either language.
    let parsed =
        xpath::parse(&expression.text, &namespaces).or_else(|_| xpath::parse_in(&expression.text, &namespaces, xpath::Language::XPath2));
    let Ok(parsed) = parsed else { return };
    let mut edits: Vec<(Span, String)> = Vec::new();
    for (call, call_expr) in parsed.function_calls() {
        let is_get_variable_data = call.name.is(BPEL_NS, "getVariableData");
        if !is_get_variable_data && !call.name.is(BPEL_NS, "getLinkStatus") {
            continue;
        }
        let arguments: Option<Vec<&str>> = call.args.iter().map(|arg| arg.as_literal()).collect();
        let refused = |reason: &str| {
            Diagnostic::error(
                codes::DRAFT_UNSUPPORTED,
                file,
                expression.text_span,
                format!("`{}` cannot be translated to WS-BPEL 2.0: {reason}", call_expr.span.slice(&expression.text)),
            )
            .with_help("write it with WS-BPEL 2.0's `$variable.part` and a path (WS-BPEL 2.0 §8.2.6)")
        };
        let replacement = match (is_get_variable_data, arguments.as_deref()) {
            (false, Some([link])) => Ok(format!("${}", link.trim())),
            (false, _) => Err("getLinkStatus takes one string literal, the link's name"),
            (true, Some([variable])) => Ok(format!("${}", variable.trim())),
            (true, Some([variable, part])) => Ok(format!("${}.{}", variable.trim(), part.trim())),
            (true, Some([variable, part, query])) => variable_data_path(variable.trim(), part.trim(), query, parts, &namespaces),
            (true, _) => Err("its arguments must be one to three string literals"),
        };
        match replacement {
            Ok(text) => {
                let after = expression.text[call_expr.span.end as usize..].trim_start();
                let text = if after.starts_with('[') { format!("({text})") } else { text };
                edits.push((call_expr.span, text));
            }
            Err(reason) => diagnostics.push(refused(reason)),
        }
    }
    // Calls never nest here (their arguments are literals), so the edits do not overlap.
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    for (span, text) in edits {
        expression.text.replace_range(span.start as usize..span.end as usize, &text);
    }
}

/// `getVariableData(variable, part, query)`: BPEL4WS 1.1 evaluates the absolute `query` in a
/// document whose root holds the part, so for an element part `E` the query's first step names
/// `E` itself, which in WS-BPEL 2.0 is `$variable.part`.
fn variable_data_path(
    variable: &str,
    part: &str,
    query: &str,
    parts: &PartKinds,
    namespaces: &InScope<'_>,
) -> Result<String, &'static str> {
    let base = format!("${variable}.{part}");
    let query = query.trim();
    let Some(kind) = parts.part(variable, part) else {
        return Err("the variable is not declared with a message type that has this part");
    };
    let Ok(path) = xpath::parse(query, namespaces) else { return Err("its query is not an XPath location path") };
    let ExprKind::Path(path) = &path.kind else { return Err("its query is not a location path") };
    if path.start != PathStart::Root {
        return Err("its query is not an absolute location path");
    }
    match kind {
        PartKind::Typed => Ok(format!("{base}{query}")),
        PartKind::Element(element) => {
            let Some(first) = path.steps.first() else { return Ok(base) };
            let names_part = match &first.test {
                NodeTest::Name(name) => {
                    name.local == element.local && name.namespace.as_deref() == element.namespace.as_deref() && first.predicates.is_empty()
                }
                _ => false,
            };
            if !names_part || first.axis != xpath::Axis::Child {
                return Err("its query does not start with the part's element");
            }
            let rest = &query[first.span.end as usize..];
            Ok(format!("{base}{rest}"))
        }
    }
}

/// Calls `f` on every expression and query of the process.
fn each_expression(process: &mut Process, f: &mut impl FnMut(&mut Expression)) {
    scope_expressions(&mut process.scope, f);
    for activity in &mut process.activities {
        if let Some(targets) = &mut activity.targets {
            visit(&mut targets.join_condition, f);
        }
        if let Some(sources) = &mut activity.sources {
            for source in &mut sources.sources {
                visit(&mut source.transition_condition, f);
            }
        }
        match &mut activity.kind {
            ActivityKind::Invoke(invoke) => scope_expressions(&mut invoke.handlers, f),
            ActivityKind::Assign(assign) => {
                for operation in &mut assign.operations {
                    if let AssignOperation::Copy(copy) = operation {
                        if let Some(from) = &mut copy.from {
                            from_expressions(from, f);
                        }
                        if let Some(to) = &mut copy.to {
                            visit(&mut to.expression, f);
                            visit(&mut to.query, f);
                        }
                    }
                }
            }
            ActivityKind::Wait(timer) => timer_expressions(timer, f),
            ActivityKind::If(if_) => {
                visit(&mut if_.condition, f);
                for branch in &mut if_.else_ifs {
                    visit(&mut branch.condition, f);
                }
            }
            ActivityKind::While(while_) => {
                visit(&mut while_.condition, f);
            }
            ActivityKind::RepeatUntil(repeat) => {
                visit(&mut repeat.condition, f);
            }
            ActivityKind::ForEach(for_each) => {
                visit(&mut for_each.start, f);
                visit(&mut for_each.final_, f);
                if let Some(condition) = &mut for_each.completion_condition {
                    visit(&mut condition.branches, f);
                }
            }
            ActivityKind::Pick(pick) => {
                for alarm in &mut pick.on_alarms {
                    timer_expressions(&mut alarm.timer, f);
                }
            }
            ActivityKind::Scope(scope) => scope_expressions(&mut scope.decls, f),
            _ => {}
        }
    }
}

fn scope_expressions(decls: &mut ScopeDecls, f: &mut impl FnMut(&mut Expression)) {
    for variable in &mut decls.variables {
        if let Some(from) = &mut variable.from {
            from_expressions(from, f);
        }
    }
    if let Some(handlers) = &mut decls.event_handlers {
        for alarm in &mut handlers.on_alarms {
            timer_expressions(&mut alarm.timer, f);
            visit(&mut alarm.repeat_every, f);
        }
    }
}

fn from_expressions(from: &mut From, f: &mut impl FnMut(&mut Expression)) {
    visit(&mut from.expression, f);
    visit(&mut from.query, f);
}

fn timer_expressions(timer: &mut Timer, f: &mut impl FnMut(&mut Expression)) {
    visit(&mut timer.for_, f);
    visit(&mut timer.until, f);
}

fn visit(expression: &mut Option<Expression>, f: &mut impl FnMut(&mut Expression)) {
    if let Some(expression) = expression {
        f(expression);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_xml;

    fn translated(body: &str) -> (Element, Vec<Diagnostic>) {
        let text = format!(r#"<process xmlns="{DRAFT_NS}" name="p" targetNamespace="urn:p">{body}</process>"#);
        let mut diagnostics = Vec::new();
        let document = translate(FileId(0), &parse_xml(&text), &mut diagnostics);
        (document.root.unwrap(), diagnostics)
    }

    fn shape(element: &Element) -> String {
        let children: Vec<String> = element.child_elements().map(shape).collect();
        if children.is_empty() {
            element.local.clone()
        } else {
            format!("{}({})", element.local, children.join(" "))
        }
    }

    #[test]
    fn parts_are_wrapped_once_whether_or_not_the_draft_wrapped_them() {
        let (root, _) = translated(
            r#"<receive partnerLink="c" operation="o"><fromPart part="a" toVariable="x"/> <fromPart part="b" toVariable="y"/></receive><reply partnerLink="c" operation="o"><toParts><toPart part="a" fromVariable="x"/></toParts></reply>"#,
        );
        assert_eq!(shape(&root), "process(receive(fromParts(fromPart fromPart)) reply(toParts(toPart)))");
        assert!(root.child_elements().all(|e| e.namespace.as_deref() == Some(BPEL_NS)));
    }

    #[test]
    fn a_switch_becomes_an_if_with_its_cases_in_order() {
        let (root, diagnostics) = translated(
            r#"<switch><case condition="1"><empty/></case><case><condition>2</condition><exit/></case><otherwise><terminate/></otherwise></switch>"#,
        );
        assert_eq!(diagnostics.iter().filter(|d| d.is_error()).count(), 0, "{diagnostics:?}");
        assert_eq!(shape(&root), "process(if(condition empty elseif(condition exit) else(exit)))");
        let (_, diagnostics) = translated("<switch><otherwise><empty/></otherwise></switch>");
        assert!(diagnostics.iter().any(|d| d.message.contains("at least one <case>")));
    }
}
