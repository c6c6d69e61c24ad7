//! XPath 1.0 evaluation over variable values, with sxd-xpath, as WS-BPEL 2.0 §8.2–§8.3 define it.
//!
//! - **Compiling**: [`Compiled::new`] checks an expression once with the engine's own parser
//!   ([`crate::xpath`]), which knows BPEL's `$variable.part` syntax, finds the variables, the
//!   namespace prefixes and the BPEL functions it uses, and classifies the trivial forms (a literal,
//!   `$var.part`, the query `.`) that are evaluated without sxd-xpath at all. [`CompiledExpressions`]
//!   caches compiled expressions per process, by source position. sxd-xpath's own compiled form is
//!   not `Send`; it is cached per thread, by text.
//! - **Bindings** (§8.2.2): `$var.part` and `$var` are bound to a node-set of one element (an
//!   element variable or element part: the element; a complex-typed variable or part: its container
//!   element), or, for simple types, to an XPath boolean, number or string (see
//!   [`SimpleKind`]). A message variable is only reachable through its parts. Each bound value
//!   becomes a document of its own, so `/` and `..` never leave it. A `$name` that is no variable
//!   may be a link, whose status is a boolean (join conditions).
//! - **Context**: an expression has no context node (§8.2.4): a relative or absolute location path
//!   outside a predicate, or a context-dependent function without argument (`string()`,
//!   `position()`...), is a `subLanguageExecutionFault`. A query (`<query>`, a property alias's
//!   query) is evaluated with the value it belongs to as context node.
//! - **Results**: booleans, numbers, strings, or node-sets whose nodes come back in document order
//!   with their [`Location`] in the variable values (so that `<to>` can write there) and an owned
//!   copy of the node.
//! - **Faults**: a syntax error, an unknown function or variable, or a type error is
//!   `subLanguageExecutionFault`; a reference to an uninitialized variable or part is
//!   `uninitializedVariable`; `bpel:getVariableProperty` and `bpel:doXslTransform` raise their own
//!   (see [`super::functions`]).
//!
//! Known differences from XPath 1.0 (sxd-xpath 0.4): `number()` of a string accepts Rust's float
//! syntax (`1e5` is 100000, not NaN); `string()` of -0 is `-0`. Values computed by this module
//! (bindings, fast paths, [`format_number`]) follow XPath 1.0.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use sxd_document::dom;
use sxd_document::Package;
use sxd_xpath::nodeset::{Node, Nodeset};
use sxd_xpath::Value as SxdValue;

use super::aliases::{NoAliases, PropertyAliases};
use super::dom::{self as xdom, NodePath};
use super::functions::{DoXslTransform, GetVariableProperty};
use super::types::{SimpleKind, VarType};
use super::value::{Value, XmlAttribute, XmlElement, XmlNode};
use super::xslt::{NoStylesheets, Stylesheets};
use crate::check::ParsedExpressions;
use crate::fault::{Fault, StandardFault};
use crate::model::process::{Expression, Process};
use crate::model::QName;
use crate::source::FileId;
use crate::syntax::NamespaceScopes;
use crate::xpath::{self as ast, ExprKind, NodeTest, NodeType, PathStart};

/// The namespace of the WS-BPEL functions.
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// Whether an XPath is evaluated without a context node (an expression: conditions, `<from>`
/// and `<to>` expressions, durations...) or relative to a value (a query).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XPathRole {
    Expression,
    Query,
}

/// An expression or query checked and analysed once, ready to evaluate any number of times.
#[derive(Debug)]
pub struct Compiled {
    text: String,
    role: XPathRole,
    analysis: Result<Analysis, String>,
}

#[derive(Debug)]
struct Analysis {
    fast: Fast,
    /// BPEL variable references: `(name, part)`, each once.
    variables: Vec<(String, Option<String>)>,
    /// The prefixes used in the expression, with their URIs.
    prefixes: Vec<(String, String)>,
    /// `bpel:getVariableProperty('var', 'prefix:name')` calls: variable, property as written, resolved.
    properties: Vec<(String, String, QName)>,
    /// The stylesheet URIs of `bpel:doXslTransform` calls.
    stylesheets: Vec<String>,
    /// Whether `position()` or `last()` is called outside a predicate.
    context_position: bool,
}

#[derive(Debug, Clone)]
enum Fast {
    Full,
    String(String),
    Number(f64),
    Boolean(bool),
    Variable(String, Option<String>),
    ContextNode,
}

/// Zero-argument functions that read the context node, position or size.
const CONTEXT_FUNCTIONS: &[&str] =
    &["position", "last", "string", "number", "name", "local-name", "namespace-uri", "normalize-space", "string-length"];

struct Bindings<'a>(&'a [(Option<String>, String)]);

impl ast::Namespaces for Bindings<'_> {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(crate::syntax::XML_NS);
        }
        self.0.iter().find(|(p, _)| p.as_deref() == Some(prefix)).map(|(_, uri)| uri.as_str()).filter(|uri| !uri.is_empty())
    }
}

impl Compiled {
    /// Compiles `text` with the namespace `bindings` in force where it was written (innermost
    /// first; `None` is the default namespace, which XPath 1.0 names do not use). Never fails: an
    /// expression that cannot be evaluated faults with `subLanguageExecutionFault` when it is.
    pub fn new(text: &str, bindings: &[(Option<String>, String)], role: XPathRole) -> Compiled {
        Compiled { text: text.trim().to_string(), role, analysis: analyse(text.trim(), bindings, role) }
    }

    /// Compiles `text` from `parsed`, its parse by the analysis ([`crate::check::ParsedExpressions`]),
    /// without parsing it again; otherwise as [`Compiled::new`].
    pub fn from_parsed(
        text: &str,
        parsed: &Result<ast::Expr, ast::XPathError>,
        bindings: &[(Option<String>, String)],
        role: XPathRole,
    ) -> Compiled {
        let trimmed = text.trim();
        // The parse's spans are offsets into `text`; when `trim` removes more than XPath's own
        // whitespace, the parse (of the untrimmed text) is not the one `new` would make.
        if trimmed.len() != text.trim_matches([' ', '\t', '\r', '\n']).len() {
            return Compiled::new(text, bindings, role);
        }
        let analysis = match parsed {
            _ if trimmed.is_empty() => Err("the expression is empty".to_string()),
            Ok(expr) => analyse_parsed(text, expr, bindings, role),
            Err(error) => Err(error.message.clone()),
        };
        Compiled { text: trimmed.to_string(), role, analysis }
    }

    /// An expression that cannot be evaluated, for the reason `message` (an unsupported language).
    pub fn failed(text: &str, message: impl Into<String>, role: XPathRole) -> Compiled {
        Compiled { text: text.trim().to_string(), role, analysis: Err(message.into()) }
    }

    /// An expression of a process, with the namespaces in scope where it is written.
    pub fn expression(expression: &Expression, scopes: &NamespaceScopes, role: XPathRole) -> Compiled {
        if let Some(language) = &expression.language {
            if language.value.trim() != crate::xpath::XPATH_1_0 {
                let message = format!("the language `{}` is not supported (only XPath 1.0: `{}`)", language.value, crate::xpath::XPATH_1_0);
                return Compiled::failed(&expression.text, message, role);
            }
        }
        Compiled::new(&expression.text, &scopes.in_scope(expression.namespaces), role)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn role(&self) -> XPathRole {
        self.role
    }

    /// Why the expression cannot be evaluated, if it cannot.
    pub fn error(&self) -> Option<&str> {
        self.analysis.as_ref().err().map(String::as_str)
    }

    /// The BPEL variables it reads: `(name, part)`.
    pub fn variables(&self) -> &[(String, Option<String>)] {
        self.analysis.as_ref().map_or(&[], |a| a.variables.as_slice())
    }

    /// The stylesheets its `bpel:doXslTransform` calls name (to load them at deployment).
    pub fn stylesheets(&self) -> &[String] {
        self.analysis.as_ref().map_or(&[], |a| a.stylesheets.as_slice())
    }

    /// Whether evaluation bypasses sxd-xpath (a literal, a number, `$var.part`, the query `.`).
    pub fn is_trivial(&self) -> bool {
        self.analysis.as_ref().is_ok_and(|a| !matches!(a.fast, Fast::Full))
    }

    /// `Some((variable, part))` when the expression is exactly `$variable` or `$variable.part`.
    pub fn as_variable(&self) -> Option<(&str, Option<&str>)> {
        match self.analysis.as_ref().ok()?.fast {
            Fast::Variable(ref name, ref part) => Some((name, part.as_deref())),
            _ => None,
        }
    }

    /// The namespace prefixes the expression uses, with their URIs.
    pub(crate) fn prefixes(&self) -> &[(String, String)] {
        self.analysis.as_ref().map_or(&[], |a| a.prefixes.as_slice())
    }

    /// Whether `position()` or `last()` is called outside a predicate (their value depends on a
    /// context position that only the caller knows).
    pub(crate) fn uses_context_position(&self) -> bool {
        self.analysis.as_ref().is_ok_and(|a| a.context_position)
    }

    fn analysis(&self) -> Result<&Analysis, Fault> {
        self.analysis.as_ref().map_err(|message| {
            Fault::standard(StandardFault::SubLanguageExecutionFault, format!("cannot evaluate `{}`: {message}", self.text))
        })
    }
}

fn analyse(text: &str, bindings: &[(Option<String>, String)], role: XPathRole) -> Result<Analysis, String> {
    if text.is_empty() {
        return Err("the expression is empty".to_string());
    }
    let expr = ast::parse(text, &Bindings(bindings)).map_err(|error| error.message)?;
    analyse_parsed(text, &expr, bindings, role)
}

/// What evaluation needs to know of `expr`, the parse of `text`.
fn analyse_parsed(text: &str, expr: &ast::Expr, bindings: &[(Option<String>, String)], role: XPathRole) -> Result<Analysis, String> {
    let mut problems: Vec<String> = Vec::new();
    let mut variables: Vec<(String, Option<String>)> = Vec::new();
    let mut properties = Vec::new();
    let mut stylesheets = Vec::new();
    let mut context_position = false;
    expr.visit(&mut |node, at| {
        match &node.kind {
            ExprKind::Path(path) if role == XPathRole::Expression && !at.in_predicate && path.is_location_path() => {
                problems.push(format!(
                    "`{}` is a location path, but an expression has no context node (WS-BPEL 2.0 §8.2.4); start it from a variable",
                    node.span.slice(text)
                ));
            }
            ExprKind::Variable(variable) if variable.name.prefix.is_none() => {
                let entry = (variable.name.local.clone(), variable.part.clone());
                if !variables.contains(&entry) {
                    variables.push(entry);
                }
            }
            ExprKind::FunctionCall(call) if call.name.is(BPEL_NS, "getVariableProperty") => {
                let literal = |i: usize| call.args.get(i).and_then(ast::Expr::as_literal);
                match (call.args.len(), literal(0), literal(1)) {
                    (2, Some(variable), Some(property)) => match resolve_qname(property, bindings) {
                        Some(name) => properties.push((variable.to_string(), property.to_string(), name)),
                        None => problems.push(format!("the property name `{property}` has an undeclared prefix")),
                    },
                    _ => problems
                        .push("bpel:getVariableProperty takes two string literals: a variable name and a property QName".to_string()),
                }
            }
            ExprKind::FunctionCall(call) if call.name.is(BPEL_NS, "doXslTransform") => {
                match call.args.first().and_then(ast::Expr::as_literal) {
                    Some(uri) if call.args.len() >= 2 && call.args.len() % 2 == 0 => stylesheets.push(uri.to_string()),
                    Some(_) => problems
                        .push("bpel:doXslTransform takes a stylesheet URI, a node-set, then pairs of parameter name and value".to_string()),
                    None => {
                        problems.push("the first argument of bpel:doXslTransform must be a string literal (the stylesheet URI)".to_string())
                    }
                }
            }
            ExprKind::FunctionCall(call) => {
                let context_function =
                    call.name.prefix.is_none() && call.args.is_empty() && CONTEXT_FUNCTIONS.contains(&call.name.local.as_str());
                if context_function && !at.in_predicate && matches!(call.name.local.as_str(), "position" | "last") {
                    context_position = true;
                }
                if role == XPathRole::Expression && !at.in_predicate && context_function {
                    problems
                        .push(format!("`{}()` reads the context node, but an expression has none (WS-BPEL 2.0 §8.2.4)", call.name.local));
                }
            }
            _ => {}
        }
        true
    });
    let mut prefixes: Vec<(String, String)> = Vec::new();
    for name in expr.names() {
        if let Some(prefix) = &name.prefix {
            match &name.namespace {
                Some(uri) if !prefixes.iter().any(|(p, _)| p == prefix) => prefixes.push((prefix.clone(), uri.clone())),
                Some(_) => {}
                None => problems.push(format!("the namespace prefix `{prefix}` is not declared")),
            }
        }
    }
    if let Some(problem) = problems.into_iter().next() {
        return Err(problem);
    }
    let fast = match &expr.kind {
        ExprKind::Literal(value) => Fast::String(value.clone()),
        ExprKind::Number(n) => Fast::Number(*n),
        ExprKind::Negate(inner) => match inner.kind {
            ExprKind::Number(n) => Fast::Number(-n),
            _ => Fast::Full,
        },
        ExprKind::FunctionCall(call) if call.name.prefix.is_none() && call.args.is_empty() && call.name.local == "true" => {
            Fast::Boolean(true)
        }
        ExprKind::FunctionCall(call) if call.name.prefix.is_none() && call.args.is_empty() && call.name.local == "false" => {
            Fast::Boolean(false)
        }
        ExprKind::Variable(variable) if variable.name.prefix.is_none() => {
            Fast::Variable(variable.name.local.clone(), variable.part.clone())
        }
        ExprKind::Path(path)
            if matches!(path.start, PathStart::ContextNode)
                && path.steps.len() == 1
                && path.steps[0].axis == ast::Axis::SelfAxis
                && path.steps[0].test == NodeTest::NodeType(NodeType::Node)
                && path.steps[0].predicates.is_empty() =>
        {
            Fast::ContextNode
        }
        _ => Fast::Full,
    };
    Ok(Analysis { fast, variables, prefixes, properties, stylesheets, context_position })
}

fn resolve_qname(text: &str, bindings: &[(Option<String>, String)]) -> Option<QName> {
    match text.trim().split_once(':') {
        Some((prefix, local)) => {
            let namespaces = Bindings(bindings);
            let uri = namespaces.namespace_of(prefix)?;
            Some(QName::new(Some(uri), local))
        }
        None => Some(QName::new(None, text.trim())),
    }
}

impl Bindings<'_> {
    fn namespace_of(&self, prefix: &str) -> Option<&str> {
        ast::Namespaces::namespace(self, prefix)
    }
}

/// Compiled expressions and queries of one process (and of the property aliases it uses), by
/// where they are written. Shared by every instance of the process, across threads.
#[derive(Debug, Default)]
pub struct CompiledExpressions {
    entries: RwLock<HashMap<ExprKey, Arc<Compiled>>>,
}

/// Where an expression is written: the file, the span of its element, and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExprKey {
    pub file: u32,
    pub start: u32,
    pub end: u32,
    pub role: XPathRole,
}

impl ExprKey {
    pub fn new(file: FileId, span: crate::span::Span, role: XPathRole) -> ExprKey {
        ExprKey { file: file.0, start: span.start, end: span.end, role }
    }
}

impl CompiledExpressions {
    pub fn new() -> CompiledExpressions {
        CompiledExpressions::default()
    }

    /// The compiled form of an expression of the process in `file` (conditions, `<from>`/`<to>`
    /// expressions, durations, counters...).
    pub fn expression(&self, file: FileId, expression: &Expression, scopes: &NamespaceScopes) -> Arc<Compiled> {
        self.get_or_compile(ExprKey::new(file, expression.span, XPathRole::Expression), || {
            Compiled::expression(expression, scopes, XPathRole::Expression)
        })
    }

    /// The compiled form of a `<query>` of the process in `file`.
    pub fn query(&self, file: FileId, query: &Expression, scopes: &NamespaceScopes) -> Arc<Compiled> {
        self.get_or_compile(ExprKey::new(file, query.span, XPathRole::Query), || Compiled::expression(query, scopes, XPathRole::Query))
    }

    /// The process's expressions and queries compiled from the parses of its analysis; those
    /// the analysis did not parse (not XPath 1.0) are compiled when first asked for.
    pub fn from_parsed(file: FileId, process: &Process, parsed: &ParsedExpressions) -> CompiledExpressions {
        let entries = parsed
            .of_process(file, process)
            .map(|site| {
                let role = if site.is_query { XPathRole::Query } else { XPathRole::Expression };
                let bindings = process.namespaces.in_scope(site.expression.namespaces);
                let compiled = Compiled::from_parsed(&site.expression.text, site.parsed, &bindings, role);
                (ExprKey::new(file, site.expression.span, role), Arc::new(compiled))
            })
            .collect();
        CompiledExpressions { entries: RwLock::new(entries) }
    }

    pub fn get_or_compile(&self, key: ExprKey, compile: impl FnOnce() -> Compiled) -> Arc<Compiled> {
        if let Some(found) = self.entries.read().ok().and_then(|entries| entries.get(&key).cloned()) {
            return found;
        }
        let compiled = Arc::new(compile());
        if let Ok(mut entries) = self.entries.write() {
            return entries.entry(key).or_insert(compiled).clone();
        }
        compiled
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The variables an expression can see.
pub trait Variables {
    /// The variable `name` visible where the expression is evaluated: its declared type and its
    /// value (`None`: not initialized). `None` when no such variable is in scope.
    fn variable(&self, name: &str) -> Option<VariableRef<'_>>;

    /// The status of the link `name` (for join conditions); `None` when there is no such link.
    fn link_status(&self, _name: &str) -> Option<bool> {
        None
    }
}

#[derive(Clone, Copy, Debug)]
pub struct VariableRef<'a> {
    pub ty: &'a VarType,
    pub value: Option<&'a Value>,
}

/// What expressions need besides variables: property aliases (for `bpel:getVariableProperty`)
/// and stylesheets (for `bpel:doXslTransform`).
#[derive(Clone, Copy)]
pub struct XPathEnv<'a> {
    pub properties: &'a dyn PropertyAliases,
    pub stylesheets: &'a dyn Stylesheets,
}

impl XPathEnv<'static> {
    /// No property aliases and no stylesheets.
    pub fn none() -> XPathEnv<'static> {
        XPathEnv { properties: &NoAliases, stylesheets: &NoStylesheets }
    }
}

/// The value a query is relative to, and which variable (and part) it is, so that the nodes it
/// selects have a [`Location`].
#[derive(Clone, Copy, Debug)]
pub struct QueryContext<'a> {
    pub element: &'a XmlElement,
    pub variable: Option<&'a str>,
    pub part: Option<&'a str>,
}

/// Where a selected node is: in which variable (and part), at which path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub variable: String,
    pub part: Option<String>,
    pub path: NodePath,
}

/// The result of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum XPathValue {
    Boolean(bool),
    Number(f64),
    String(String),
    /// In document order (values in the order their variables were first referenced).
    Nodes(Vec<XPathNode>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct XPathNode {
    /// `None` for nodes that are in no variable (a `bpel:doXslTransform` result, a document root).
    pub location: Option<Location>,
    pub node: NodeValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Element(XmlElement),
    Attribute(XmlAttribute),
    Text(String),
    /// A document root, comment, processing instruction or namespace node: its string value.
    Other(String),
}

impl NodeValue {
    pub fn string_value(&self) -> String {
        match self {
            NodeValue::Element(element) => element.string_value(),
            NodeValue::Attribute(attribute) => attribute.value.clone(),
            NodeValue::Text(text) | NodeValue::Other(text) => text.clone(),
        }
    }
}

impl XPathValue {
    /// XPath `string()`.
    pub fn string(&self) -> String {
        match self {
            XPathValue::Boolean(b) => b.to_string(),
            XPathValue::Number(n) => format_number(*n),
            XPathValue::String(s) => s.clone(),
            XPathValue::Nodes(nodes) => nodes.first().map(|n| n.node.string_value()).unwrap_or_default(),
        }
    }

    /// XPath `number()`.
    pub fn number(&self) -> f64 {
        match self {
            XPathValue::Boolean(b) => f64::from(u8::from(*b)),
            XPathValue::Number(n) => *n,
            _ => xpath_number(&self.string()),
        }
    }

    /// XPath `boolean()`.
    pub fn boolean(&self) -> bool {
        match self {
            XPathValue::Boolean(b) => *b,
            XPathValue::Number(n) => *n != 0.0 && !n.is_nan(),
            XPathValue::String(s) => !s.is_empty(),
            XPathValue::Nodes(nodes) => !nodes.is_empty(),
        }
    }
}

/// XPath 1.0 `string()` of a number: `NaN`, `Infinity`, `-Infinity`, an integer without decimal
/// point, otherwise a decimal without exponent.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// XPath 1.0 `number()` of a string: optional whitespace, an optional `-`, digits with an optional
/// decimal point; anything else is NaN.
pub fn xpath_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let mut seen_digit = false;
    let mut seen_point = false;
    for c in digits.chars() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_point => seen_point = true,
            _ => return f64::NAN,
        }
    }
    if !seen_digit {
        return f64::NAN;
    }
    trimmed.parse().unwrap_or(f64::NAN)
}

/// The XPath value of a simple-typed value's text (§8.2.2).
fn primitive(kind: SimpleKind, text: &str) -> Prim {
    match kind {
        SimpleKind::Number => Prim::Number(xpath_number(text)),
        SimpleKind::Boolean => Prim::Boolean(matches!(text.trim(), "true" | "1")),
        SimpleKind::String => Prim::String(text.to_string()),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prim {
    Boolean(bool),
    Number(f64),
    String(String),
}

impl Prim {
    fn into_value(self) -> XPathValue {
        match self {
            Prim::Boolean(b) => XPathValue::Boolean(b),
            Prim::Number(n) => XPathValue::Number(n),
            Prim::String(s) => XPathValue::String(s),
        }
    }

    pub(crate) fn to_sxd(&self) -> SxdValue<'static> {
        match self {
            Prim::Boolean(b) => SxdValue::Boolean(*b),
            Prim::Number(n) => SxdValue::Number(*n),
            Prim::String(s) => SxdValue::String(s.clone()),
        }
    }
}

/// What a `$name` or `$name.part` is bound to.
pub(crate) enum Bound<'v> {
    Prim(Prim),
    Node { element: &'v XmlElement, variable: Option<&'v str>, part: Option<&'v str> },
}

fn sub_language(message: impl Into<String>) -> Fault {
    Fault::standard(StandardFault::SubLanguageExecutionFault, message)
}

/// Resolves a variable reference (§8.2.2).
pub(crate) fn bind<'v>(vars: &'v dyn Variables, name: &'v str, part: Option<&'v str>) -> Result<Bound<'v>, Fault> {
    let Some(variable) = vars.variable(name) else {
        if part.is_none() {
            if let Some(status) = vars.link_status(name) {
                return Ok(Bound::Prim(Prim::Boolean(status)));
            }
        }
        return Err(sub_language(format!("no variable `{name}` is in scope")));
    };
    let Some(value) = variable.value else {
        return Err(Fault::standard(StandardFault::UninitializedVariable, format!("the variable `{name}` is not initialized")));
    };
    match (variable.ty, value, part) {
        (VarType::Message(message_type), Value::Message(message), Some(part)) => {
            let Some(part_type) = message_type.part(part) else {
                return Err(sub_language(format!("the message type {} of `{name}` has no part `{part}`", message_type.name)));
            };
            let Some(element) = message.part(part) else {
                return Err(Fault::standard(
                    StandardFault::UninitializedVariable,
                    format!("the part `{part}` of variable `{name}` is not initialized"),
                ));
            };
            Ok(match part_type.simple_kind() {
                Some(kind) => Bound::Prim(primitive(kind, &element.string_value())),
                None => Bound::Node { element, variable: Some(name), part: Some(part) },
            })
        }
        (VarType::Message(_), _, None) => {
            Err(sub_language(format!("`${name}` is a message variable: XPath reaches it through its parts (`${name}.part`)")))
        }
        (_, _, Some(part)) => Err(sub_language(format!("`{name}` is not a message variable, so `${name}.{part}` names no part"))),
        (ty, Value::Element(element), None) => Ok(match ty.simple_kind() {
            Some(kind) => Bound::Prim(primitive(kind, &element.string_value())),
            None => Bound::Node { element, variable: Some(name), part: None },
        }),
        (ty, Value::Message(_), None) => Err(sub_language(format!("the variable `{name}` holds a message, but is declared as {ty}"))),
    }
}

/// Evaluates `compiled` and returns its value (node-sets with locations and owned copies).
pub fn evaluate(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
) -> Result<XPathValue, Fault> {
    if let Some(quick) = quick(compiled, vars, context)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value(),
            Bound::Node { element, variable, part } => XPathValue::Nodes(vec![XPathNode {
                location: variable.map(|variable| Location {
                    variable: variable.to_string(),
                    part: part.map(str::to_string),
                    path: NodePath::default(),
                }),
                node: NodeValue::Element(element.clone()),
            }]),
        });
    }
    with_sxd(compiled, vars, env, context, |value, docs| {
        Ok(match value {
            SxdValue::Boolean(b) => XPathValue::Boolean(*b),
            SxdValue::Number(n) => XPathValue::Number(*n),
            SxdValue::String(s) => XPathValue::String(s.clone()),
            SxdValue::Nodeset(nodes) => XPathValue::Nodes(docs.ordered(nodes).into_iter().map(|node| docs.xpath_node(node)).collect()),
        })
    })
}

/// Evaluates a condition: the result converted with XPath `boolean()`.
pub fn evaluate_boolean(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<bool, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().boolean(),
            Bound::Node { .. } => true,
        });
    }
    with_sxd(compiled, vars, env, None, |value, _| Ok(value.boolean()))
}

/// Evaluates an expression as a string (XPath `string()`).
pub fn evaluate_string(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<String, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().string(),
            Bound::Node { element, .. } => element.string_value(),
        });
    }
    with_sxd(compiled, vars, env, None, |value, docs| Ok(docs.string(value)))
}

/// Evaluates an expression as a number (XPath `number()`).
pub fn evaluate_number(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<f64, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().number(),
            Bound::Node { element, .. } => xpath_number(&element.string_value()),
        });
    }
    with_sxd(compiled, vars, env, None, |value, docs| {
        Ok(match value {
            SxdValue::Boolean(b) => f64::from(u8::from(*b)),
            SxdValue::Number(n) => *n,
            other => xpath_number(&docs.string(other)),
        })
    })
}

/// Evaluates an expression that must give an `xsd:unsignedInt` (forEach counters, completion
/// branches): anything else — NaN, a fraction, a negative or too large number — is
/// `invalidExpressionValue`.
pub fn evaluate_unsigned(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<u32, Fault> {
    let n = evaluate_number(compiled, vars, env)?;
    if n.is_finite() && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Fault::standard(
            StandardFault::InvalidExpressionValue,
            format!("`{}` gives {}, not an xsd:unsignedInt", compiled.text(), format_number(n)),
        ))
    }
}

/// The nodes an expression or query selects, as locations only (for `<to>`): `Err` on a result
/// that is not a node-set.
pub(crate) fn evaluate_locations(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
) -> Result<Vec<Option<Location>>, Fault> {
    let not_nodes = || {
        Fault::standard(
            StandardFault::SelectionFailure,
            format!("`{}` does not select a node, so nothing can be assigned to it", compiled.text()),
        )
    };
    if let Some(quick) = quick(compiled, vars, context)? {
        return match quick {
            Bound::Node { variable, part, .. } => Ok(vec![variable.map(|variable| Location {
                variable: variable.to_string(),
                part: part.map(str::to_string),
                path: NodePath::default(),
            })]),
            Bound::Prim(_) => Err(not_nodes()),
        };
    }
    with_sxd(compiled, vars, env, context, |value, docs| match value {
        SxdValue::Nodeset(nodes) => Ok(docs.ordered(nodes).into_iter().map(|node| docs.location(node)).collect()),
        _ => Err(not_nodes()),
    })
}

/// The result without sxd-xpath, when the expression is trivial.
fn quick<'v>(compiled: &'v Compiled, vars: &'v dyn Variables, context: Option<QueryContext<'v>>) -> Result<Option<Bound<'v>>, Fault> {
    let analysis = compiled.analysis()?;
    Ok(match &analysis.fast {
        Fast::Full => None,
        Fast::String(s) => Some(Bound::Prim(Prim::String(s.clone()))),
        Fast::Number(n) => Some(Bound::Prim(Prim::Number(*n))),
        Fast::Boolean(b) => Some(Bound::Prim(Prim::Boolean(*b))),
        Fast::Variable(name, part) => Some(bind(vars, name, part.as_deref())?),
        Fast::ContextNode => match context {
            Some(context) => Some(Bound::Node { element: context.element, variable: context.variable, part: context.part }),
            None => return Err(sub_language("the query `.` has no context node")),
        },
    })
}

thread_local! {
    /// sxd-xpath's compiled expressions (not `Send`), by text.
    static SXD_CACHE: RefCell<HashMap<String, Rc<sxd_xpath::XPath>>> = RefCell::new(HashMap::new());
    static SXD_EVALUATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many evaluations this thread has run through sxd-xpath (trivial expressions and copies
/// between variables never do): for tests that keep the fast paths fast.
pub fn sxd_evaluations() -> u64 {
    SXD_EVALUATIONS.with(|count| count.get())
}

/// Entries kept per thread before the cache starts over.
const SXD_CACHE_LIMIT: usize = 4096;

pub(crate) fn sxd_compiled(text: &str) -> Result<Rc<sxd_xpath::XPath>, String> {
    if let Some(found) = SXD_CACHE.with(|cache| cache.borrow().get(text).cloned()) {
        return Ok(found);
    }
    let built = catch_unwind(AssertUnwindSafe(|| sxd_xpath::Factory::new().build(text)))
        .map_err(|_| format!("sxd-xpath failed on `{text}`"))?
        .map_err(|error| format!("`{text}` is not an XPath 1.0 expression: {error}"))?
        .ok_or_else(|| "the expression is empty".to_string())?;
    let built = Rc::new(built);
    SXD_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= SXD_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(text.to_string(), built.clone());
    });
    Ok(built)
}

/// The documents of one evaluation: per document, the value it was built from and where that
/// value is.
pub(crate) struct Docs<'d, 'v> {
    documents: Vec<dom::Document<'d>>,
    sources: Vec<Option<DocSource<'v>>>,
}

/// The value a document was built from: the element, its variable and part.
type DocSource<'v> = (&'v XmlElement, Option<&'v str>, Option<&'v str>);

/// Sorts nodes: document index, position in it, string value (for nodes in no document).
type OrderKey = (usize, Vec<usize>, String);

impl<'d, 'v> Docs<'d, 'v> {
    fn index_of(&self, node: Node<'d>) -> Option<usize> {
        let document = node.document();
        self.documents.iter().position(|d| *d == document)
    }

    /// Nodes in a deterministic document order: by document (in binding order), then by position;
    /// nodes outside every value last, by string value.
    pub(crate) fn ordered(&self, nodes: &Nodeset<'d>) -> Vec<Node<'d>> {
        let mut keyed: Vec<(OrderKey, Node<'d>)> = nodes
            .iter()
            .map(|node| {
                let placed = self.index_of(node).zip(xdom::path_of(node));
                let key = match placed {
                    Some((index, path)) => (index, xdom::order_key(&path), String::new()),
                    None => (usize::MAX, Vec::new(), node.string_value()),
                };
                (key, node)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, node)| node).collect()
    }

    fn string(&self, value: &SxdValue<'d>) -> String {
        match value {
            SxdValue::Boolean(b) => b.to_string(),
            SxdValue::Number(n) => format_number(*n),
            SxdValue::String(s) => s.clone(),
            SxdValue::Nodeset(nodes) => self.ordered(nodes).first().map(|n| n.string_value()).unwrap_or_default(),
        }
    }

    fn place(&self, node: Node<'d>) -> Option<(&'v XmlElement, Option<&'v str>, Option<&'v str>, NodePath)> {
        let (element, variable, part) = (*self.sources.get(self.index_of(node)?)?)?;
        Some((element, variable, part, xdom::path_of(node)?))
    }

    pub(crate) fn location(&self, node: Node<'d>) -> Option<Location> {
        let (_, variable, part, path) = self.place(node)?;
        Some(Location { variable: variable?.to_string(), part: part.map(str::to_string), path })
    }

    fn xpath_node(&self, node: Node<'d>) -> XPathNode {
        if let Some((element, variable, part, path)) = self.place(node) {
            let owned = match xdom::node_at(element, &path) {
                Some(xdom::Target::Element(element)) => Some(NodeValue::Element(element.clone())),
                Some(xdom::Target::Attribute(attribute)) => Some(NodeValue::Attribute(attribute.clone())),
                Some(xdom::Target::Text(text)) => Some(NodeValue::Text(text.to_string())),
                None => None,
            };
            if let Some(owned) = owned {
                let location = variable.map(|variable| Location { variable: variable.to_string(), part: part.map(str::to_string), path });
                return XPathNode { location, node: owned };
            }
        }
        XPathNode { location: None, node: owned_node(node) }
    }
}

/// A node of an sxd tree as a value.
pub(crate) fn owned_node(node: Node<'_>) -> NodeValue {
    match node {
        Node::Element(element) => NodeValue::Element(xdom::to_value(element)),
        Node::Attribute(attribute) => {
            let name = attribute.name();
            NodeValue::Attribute(XmlAttribute {
                namespace: name.namespace_uri().filter(|ns| !ns.is_empty()).map(Arc::from),
                local: name.local_part().to_string(),
                prefix: attribute.preferred_prefix().map(str::to_string),
                value: attribute.value().to_string(),
            })
        }
        Node::Text(text) => NodeValue::Text(text.text().to_string()),
        other => NodeValue::Other(other.string_value()),
    }
}

/// Evaluates with sxd-xpath: builds a document per node-bound variable (and one for the context),
/// binds everything, runs, and hands the raw result to `finish` while the documents live.
fn with_sxd<T>(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
    finish: impl FnOnce(&SxdValue<'_>, &Docs<'_, '_>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let analysis = compiled.analysis()?;
    SXD_EVALUATIONS.with(|count| count.set(count.get() + 1));
    let mut bound: Vec<(String, Bound<'_>)> = Vec::with_capacity(analysis.variables.len());
    for (name, part) in &analysis.variables {
        let sxd_name = match part {
            Some(part) => format!("{name}.{part}"),
            None => name.clone(),
        };
        bound.push((sxd_name, bind(vars, name, part.as_deref())?));
    }
    let fault: Rc<RefCell<Option<Fault>>> = Rc::new(RefCell::new(None));
    let properties: super::functions::PreparedProperties = analysis
        .properties
        .iter()
        .map(|(variable, written, name)| (variable.clone(), written.clone(), super::functions::property_value(vars, env, variable, name)))
        .collect();
    let stylesheets: Vec<_> = analysis.stylesheets.iter().map(|uri| (uri.clone(), env.stylesheets.stylesheet(uri))).collect();
    let xpath = sxd_compiled(&compiled.text).map_err(sub_language)?;

    // One document per node binding, one for the context value, one empty (the context node of
    // an expression).
    let node_count = bound.iter().filter(|(_, b)| matches!(b, Bound::Node { .. })).count();
    let packages: Vec<Package> = (0..node_count + 2).map(|_| Package::new()).collect();
    let mut docs = Docs { documents: packages.iter().map(Package::as_document).collect(), sources: Vec::with_capacity(node_count + 2) };

    let mut sxd_context = sxd_xpath::Context::new();
    for (prefix, uri) in &analysis.prefixes {
        sxd_context.set_namespace(prefix, uri);
    }
    let mut next = 0;
    for (name, binding) in &bound {
        match binding {
            Bound::Prim(prim) => sxd_context.set_variable(name.as_str(), prim.to_sxd()),
            Bound::Node { element, variable, part } => {
                let document = docs.documents[next];
                let built = xdom::build(document, element);
                document.root().append_child(built);
                docs.sources.push(Some((element, *variable, *part)));
                let mut nodes = Nodeset::new();
                nodes.add(built);
                sxd_context.set_variable(name.as_str(), SxdValue::Nodeset(nodes));
                next += 1;
            }
        }
    }
    let context_node: Node<'_> = match context {
        Some(context) => {
            let document = docs.documents[next];
            let built = xdom::build(document, context.element);
            document.root().append_child(built);
            docs.sources.push(Some((context.element, context.variable, context.part)));
            Node::Element(built)
        }
        None => {
            docs.sources.push(None);
            Node::Root(docs.documents[next + 1].root())
        }
    };
    docs.sources.push(None);
    if !analysis.properties.is_empty() {
        sxd_context
            .set_function((BPEL_NS, "getVariableProperty"), GetVariableProperty { values: Rc::new(properties), fault: fault.clone() });
    }
    if !analysis.stylesheets.is_empty() {
        sxd_context.set_function((BPEL_NS, "doXslTransform"), DoXslTransform { stylesheets: Rc::new(stylesheets), fault: fault.clone() });
    }

    let result = catch_unwind(AssertUnwindSafe(|| xpath.evaluate(&sxd_context, context_node)));
    match result {
        Ok(Ok(value)) => finish(&value, &docs),
        Ok(Err(error)) => {
            Err(fault.borrow_mut().take().unwrap_or_else(|| sub_language(format!("evaluating `{}`: {error}", compiled.text))))
        }
        Err(_) => Err(sub_language(format!("sxd-xpath failed while evaluating `{}`", compiled.text))),
    }
}

/// Variables held in a list: for tests, the REPL and scenarios (the runtime has its own scopes).
#[derive(Clone, Debug, Default)]
pub struct VariableList {
    pub entries: Vec<(String, VarType, Option<Value>)>,
    pub links: Vec<(String, bool)>,
    /// Partner links: name, my role's endpoint, partner role's endpoint.
    pub partner_links: Vec<(String, Option<super::copy::EndpointReference>, Option<super::copy::EndpointReference>)>,
}

impl VariableList {
    pub fn new() -> VariableList {
        VariableList::default()
    }

    pub fn declare(&mut self, name: &str, ty: VarType, value: Option<Value>) -> &mut VariableList {
        self.entries.retain(|(n, _, _)| n != name);
        self.entries.push((name.to_string(), ty, value));
        self
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _, _)| n == name).and_then(|(_, _, v)| v.as_ref())
    }
}

impl Variables for VariableList {
    fn variable(&self, name: &str) -> Option<VariableRef<'_>> {
        self.entries.iter().find(|(n, _, _)| n == name).map(|(_, ty, value)| VariableRef { ty, value: value.as_ref() })
    }

    fn link_status(&self, name: &str) -> Option<bool> {
        self.links.iter().find(|(n, _)| n == name).map(|(_, status)| *status)
    }
}

/// Text content of a value for messages (`XmlNode` children's text), used by callers that bind
/// simple values themselves.
pub(crate) fn children_text(children: &[XmlNode]) -> String {
    let mut out = String::new();
    for child in children {
        match child {
            XmlNode::Text(text) => out.push_str(text),
            XmlNode::Element(element) => out.push_str(&element.string_value()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::types::{MessageType, PartKind, PartType, TypeRef};
    use crate::xml::value::Message;
    use crate::xml::xslt::StylesheetCache;

    const TI: &str = "urn:ti";

    fn ns() -> Vec<(Option<String>, String)> {
        vec![(Some("ti".into()), TI.into()), (Some("bpel".into()), BPEL_NS.into())]
    }

    fn message_type() -> VarType {
        VarType::Message(Arc::new(MessageType {
            name: QName::new(Some(TI), "request"),
            parts: vec![
                PartType { name: "inputPart".into(), kind: PartKind::Element(QName::new(Some(TI), "in")) },
                PartType { name: "count".into(), kind: PartKind::Type(TypeRef::builtin("int")) },
            ],
        }))
    }

    fn variables() -> VariableList {
        let mut vars = VariableList::new();
        let message = Message::new(QName::new(Some(TI), "request")).with_part("inputPart", XmlElement::with_text(Some(TI), "in", "5"));
        let items = XmlElement::parse(r#"<ti:list xmlns:ti="urn:ti" n="2"><ti:item>a</ti:item><ti:item>b</ti:item></ti:list>"#).unwrap();
        vars.declare("InitData", message_type(), Some(Value::Message(message)))
            .declare("Counter", VarType::Type(TypeRef::builtin("int")), Some(Value::Element(XmlElement::with_text(None, "Counter", "3"))))
            .declare("Flag", VarType::Type(TypeRef::builtin("boolean")), Some(Value::Element(XmlElement::with_text(None, "Flag", "false"))))
            .declare("Text", VarType::Type(TypeRef::builtin("string")), Some(Value::Element(XmlElement::with_text(None, "Text", "abc"))))
            .declare("List", VarType::Element(QName::new(Some(TI), "list")), Some(Value::Element(items)))
            .declare("Empty", VarType::Type(TypeRef::builtin("int")), None);
        vars.links.push(("l1".into(), true));
        vars.links.push(("l2".into(), false));
        vars
    }

    fn eval(text: &str) -> Result<XPathValue, Fault> {
        let compiled = Compiled::new(text, &ns(), XPathRole::Expression);
        evaluate(&compiled, &variables(), XPathEnv::none(), None)
    }

    fn fault_of(text: &str) -> StandardFault {
        match eval(text) {
            Err(fault) => fault.standard_kind().unwrap(),
            Ok(value) => panic!("`{text}` gave {value:?}"),
        }
    }

    #[test]
    fn bpel_variables_bind_by_their_types() {
        assert_eq!(eval("$InitData.inputPart + 1"), Ok(XPathValue::Number(6.0)));
        assert_eq!(eval("$Counter + 1"), Ok(XPathValue::Number(4.0)));
        assert_eq!(eval("$Counter"), Ok(XPathValue::Number(3.0)));
        assert_eq!(eval("$Flag"), Ok(XPathValue::Boolean(false)), "a boolean variable is an XPath boolean, not a node");
        assert_eq!(eval("not($Flag)"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval("concat($Text, 'd', $Counter)"), Ok(XPathValue::String("abcd3".into())));
        assert_eq!(eval("count($List/ti:item)"), Ok(XPathValue::Number(2.0)));
        assert_eq!(eval("$List/@n * 2"), Ok(XPathValue::Number(4.0)));
        assert_eq!(eval("$l1 and not($l2)"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval("'P0Y0M0DT0H0M5.0S'"), Ok(XPathValue::String("P0Y0M0DT0H0M5.0S".into())));
        assert_eq!(eval("-1"), Ok(XPathValue::Number(-1.0)));
        assert_eq!(eval("concat('', 1 div 3 > 0)"), Ok(XPathValue::String("true".into())));
    }

    #[test]
    fn node_results_come_back_with_locations() {
        let XPathValue::Nodes(nodes) = eval("$InitData.inputPart").unwrap() else { panic!() };
        assert_eq!(nodes.len(), 1);
        assert_eq!(
            nodes[0].location,
            Some(Location { variable: "InitData".into(), part: Some("inputPart".into()), path: NodePath::default() })
        );
        let XPathValue::Nodes(nodes) = eval("$List/ti:item[2] | $List/@n | $List/ti:item[1]/text()").unwrap() else { panic!() };
        let paths: Vec<NodePath> = nodes.iter().map(|n| n.location.clone().unwrap().path).collect();
        assert_eq!(
            paths,
            vec![
                NodePath { children: vec![], attribute: Some((None, "n".into())) },
                NodePath { children: vec![0, 0], attribute: None },
                NodePath { children: vec![1], attribute: None },
            ]
        );
        assert!(matches!(&nodes[2].node, NodeValue::Element(e) if e.text() == "b"));
        assert!(matches!(&nodes[0].node, NodeValue::Attribute(a) if a.value == "2"));
    }

    #[test]
    fn runtime_errors_are_standard_faults() {
        assert_eq!(fault_of("$Empty + 1"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("$Empty"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("$InitData.count"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("NoConditionHere"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("/a"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("string()"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of(""), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("   "), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$nope"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("foo()"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("'a'/b"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$InitData"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$Counter.part"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$InitData.nopart"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("count($List/x:item)"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("1 +"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(eval("count($List/ti:item[position() = last()])"), Ok(XPathValue::Number(1.0)), "predicates have a context");
    }

    #[test]
    fn unsigned_values_are_checked() {
        let vars = variables();
        let unsigned = |text: &str| evaluate_unsigned(&Compiled::new(text, &ns(), XPathRole::Expression), &vars, XPathEnv::none());
        assert_eq!(unsigned("$Counter + 1"), Ok(4));
        assert_eq!(unsigned("4294967295"), Ok(u32::MAX));
        for bad in ["4294967296", "-1", "2.5", "'x'", "1 div 0"] {
            assert!(unsigned(bad).unwrap_err().is(StandardFault::InvalidExpressionValue), "{bad}");
        }
    }

    #[test]
    fn queries_have_the_value_as_context() {
        let vars = variables();
        let list = vars.value("List").and_then(Value::as_element).unwrap().clone();
        let context = QueryContext { element: &list, variable: Some("List"), part: None };
        let query = |text: &str| evaluate(&Compiled::new(text, &ns(), XPathRole::Query), &vars, XPathEnv::none(), Some(context));
        let XPathValue::Nodes(nodes) = query(".").unwrap() else { panic!() };
        assert_eq!(nodes[0].location.as_ref().map(|l| l.variable.as_str()), Some("List"));
        assert_eq!(query("count(ti:item)"), Ok(XPathValue::Number(2.0)));
        assert_eq!(query("string(ti:item[2])"), Ok(XPathValue::String("b".into())));
        assert_eq!(query("count(/ti:list)"), Ok(XPathValue::Number(1.0)));
    }

    #[test]
    fn get_variable_property_uses_the_aliases() {
        let vars = variables();
        let aliases = |ty: &VarType, property: &QName| -> Option<crate::xml::aliases::Alias> {
            (property.local == "correlationId" && matches!(ty, VarType::Message(_))).then(|| crate::xml::aliases::Alias {
                part: Some("inputPart".into()),
                query: None,
                kind: Some(SimpleKind::Number),
            })
        };
        let env = XPathEnv { properties: &aliases, stylesheets: &NoStylesheets };
        let run = |text: &str| evaluate(&Compiled::new(text, &ns(), XPathRole::Expression), &vars, env, None);
        assert_eq!(run("bpel:getVariableProperty('InitData', 'ti:correlationId') * 2"), Ok(XPathValue::Number(10.0)));
        assert!(run("bpel:getVariableProperty('List', 'ti:correlationId')").unwrap_err().is(StandardFault::SelectionFailure));
        assert!(run("bpel:getVariableProperty('Empty', 'ti:correlationId')").unwrap_err().is(StandardFault::SelectionFailure));
        assert!(run("bpel:getVariableProperty($Text, 'ti:correlationId')").unwrap_err().is(StandardFault::SubLanguageExecutionFault));
    }

    #[test]
    fn do_xsl_transform_runs_the_subset_and_raises_its_faults() {
        let echo = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:param name="p" select="'none'"/>
            <xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
            <xsl:template match="ti:in" xmlns:ti="urn:ti"><out><xsl:value-of select="concat(., $p)"/></out></xsl:template></xsl:stylesheet>"#;
        let broken = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="/"><xsl:call-template name="doesNotExist"/></xsl:template></xsl:stylesheet>"#;
        let stylesheets =
            StylesheetCache::from_texts([("echo.xslt".to_string(), echo.to_string()), ("broken.xslt".to_string(), broken.to_string())]);
        let vars = variables();
        let env = XPathEnv { properties: &NoAliases, stylesheets: &stylesheets };
        let run = |text: &str| evaluate(&Compiled::new(text, &ns(), XPathRole::Expression), &vars, env, None);
        let XPathValue::Nodes(nodes) = run("bpel:doXslTransform('echo.xslt', $InitData.inputPart)").unwrap() else { panic!() };
        assert!(matches!(&nodes[0].node, NodeValue::Element(e) if e.is(None, "out") && e.text() == "5none"));
        assert_eq!(nodes[0].location, None);
        assert_eq!(run("string(bpel:doXslTransform('echo.xslt', $InitData.inputPart, 'p', '!'))"), Ok(XPathValue::String("5!".into())));
        assert_eq!(run("bpel:doXslTransform('echo.xslt', $List)/ti:item[2]/text() = 'b'"), Ok(XPathValue::Boolean(true)));
        let kind = |text: &str| run(text).unwrap_err().standard_kind().unwrap();
        assert_eq!(kind("bpel:doXslTransform('missing.xslt', $InitData.inputPart)"), StandardFault::XsltStylesheetNotFound);
        assert_eq!(kind("bpel:doXslTransform('broken.xslt', 'foobar')"), StandardFault::XsltInvalidSource);
        assert_eq!(kind("bpel:doXslTransform('echo.xslt', $List/ti:item)"), StandardFault::XsltInvalidSource);
        assert_eq!(kind("bpel:doXslTransform('broken.xslt', $InitData.inputPart)"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(kind("bpel:doXslTransform($Text, $InitData.inputPart)"), StandardFault::SubLanguageExecutionFault);
    }

    #[test]
    fn numbers_format_and_parse_as_xpath_says() {
        assert_eq!(format_number(5.0), "5");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(xpath_number(" \n 12 \n"), 12.0);
        assert_eq!(xpath_number("-3.5"), -3.5);
        assert_eq!(xpath_number(".5"), 0.5);
        assert!(xpath_number("1e5").is_nan());
        assert!(xpath_number("+1").is_nan());
        assert!(xpath_number("").is_nan());
        assert!(xpath_number("inf").is_nan());
    }

    #[test]
    fn trivial_expressions_are_recognised() {
        for text in ["$a", "$a.b", "'x'", "12", "-1", "true()", "false()"] {
            assert!(Compiled::new(text, &[], XPathRole::Expression).is_trivial(), "{text}");
        }
        assert!(Compiled::new(".", &[], XPathRole::Query).is_trivial());
        assert!(!Compiled::new("$a + 1", &[], XPathRole::Expression).is_trivial());
        assert_eq!(Compiled::new(" $InitData.inputPart ", &[], XPathRole::Expression).as_variable(), Some(("InitData", Some("inputPart"))));
    }

    #[test]
    fn the_cache_compiles_once() {
        let cache = CompiledExpressions::new();
        let key = ExprKey { file: 0, start: 1, end: 5, role: XPathRole::Expression };
        let first = cache.get_or_compile(key, || Compiled::new("1 + 1", &[], XPathRole::Expression));
        let second = cache.get_or_compile(key, || panic!("compiled twice"));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.len(), 1);
    }
}
