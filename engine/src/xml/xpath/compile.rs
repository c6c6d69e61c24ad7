//! Compiling an expression: checked once with the engine's own parser ([`crate::xpath`]), which
//! knows BPEL's `$variable.part` syntax, into a [`Compiled`] that knows the variables, namespace
//! prefixes and BPEL functions the expression uses and whether it is trivial (evaluated without
//! sxd-xpath). [`CompiledExpressions`] caches them per process; sxd-xpath's own compiled form is
//! cached per thread ([`sxd_compiled`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use super::interface::{XPathRole, BPEL_NS};
use crate::check::ParsedExpressions;
use crate::fault::{Fault, StandardFault};
use crate::model::process::{Expression, Process};
use crate::model::QName;
use crate::source::FileId;
use crate::span::Span;
use crate::syntax::NamespaceScopes;
use crate::xpath::functions::{OdeFunction, DO_XSL_TRANSFORM, GET_VARIABLE_PROPERTY};
use crate::xpath::{self as ast, ExprKind, Language, NodeTest, NodeType, PathStart};

/// An expression or query checked and analysed once, ready to evaluate any number of times.
#[derive(Debug)]
pub struct Compiled {
    text: String,
    role: XPathRole,
    language: Language,
    analysis: Result<Analysis, String>,
}

/// What evaluation needs to know of an expression, found when it is compiled.
#[derive(Debug)]
pub(super) struct Analysis {
    pub(super) fast: Fast,
    /// BPEL variable references: `(name, part)`, each once.
    pub(super) variables: Vec<(String, Option<String>)>,
    /// The prefixes used in the expression, with their URIs.
    pub(super) prefixes: Vec<(String, String)>,
    /// `bpel:getVariableProperty('var', 'prefix:name')` calls: variable, property as written, resolved.
    pub(super) properties: Vec<(String, String, QName)>,
    /// The stylesheet URIs of `bpel:doXslTransform` calls.
    pub(super) stylesheets: Vec<String>,
    /// Whether `position()` or `last()` is called outside a predicate.
    context_position: bool,
    /// How an XPath 2.0 expression is evaluated (`None` for XPath 1.0).
    pub(super) xpath2: Option<Box<Plan>>,
}

/// The trivial forms, evaluated without sxd-xpath (`Full`: everything else).
#[derive(Debug, Clone)]
pub(super) enum Fast {
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
        Compiled::new_in(text, bindings, role, Language::XPath1)
    }

    /// Compiles `text`, written in `language`; otherwise as [`Compiled::new`].
    pub fn new_in(text: &str, bindings: &[(Option<String>, String)], role: XPathRole, language: Language) -> Compiled {
        Compiled { text: text.trim().to_string(), role, language, analysis: analyse(text.trim(), bindings, role, language) }
    }

    /// Compiles `text` from `parsed`, its parse by the analysis ([`crate::check::ParsedExpressions`]),
    /// without parsing it again; otherwise as [`Compiled::new`].
    pub fn from_parsed(
        text: &str,
        parsed: &Result<ast::Expr, ast::XPathError>,
        bindings: &[(Option<String>, String)],
        role: XPathRole,
        language: Language,
    ) -> Compiled {
        let trimmed = text.trim();
        // The parse's spans are offsets into `text`; when `trim` removes more than XPath's own
        // whitespace, the parse (of the untrimmed text) is not the one `new` would make.
        if trimmed.len() != text.trim_matches([' ', '\t', '\r', '\n']).len() {
            return Compiled::new_in(text, bindings, role, language);
        }
        let analysis = match parsed {
            _ if trimmed.is_empty() => Err("the expression is empty".to_string()),
            Ok(expr) => analyse_parsed(text, expr, bindings, role, language),
            Err(error) => Err(error.message.clone()),
        };
        Compiled { text: trimmed.to_string(), role, language, analysis }
    }

    /// An expression that cannot be evaluated, for the reason `message` (an unsupported language).
    pub fn failed(text: &str, message: impl Into<String>, role: XPathRole) -> Compiled {
        Compiled { text: text.trim().to_string(), role, language: Language::XPath1, analysis: Err(message.into()) }
    }

    /// An expression of a process, with the namespaces in scope where it is written; `default` is
    /// the process's `expressionLanguage` or `queryLanguage`.
    pub fn expression(expression: &Expression, scopes: &NamespaceScopes, role: XPathRole, default: Option<&str>) -> Compiled {
        let uri = expression.language.as_ref().map(|name| name.value.as_str()).or(default);
        let Some(language) = Language::from_uri(uri) else {
            let message = format!(
                "the language `{}` is not supported (XPath 1.0: `{}`, XPath 2.0: `{}`)",
                uri.unwrap_or_default().trim(),
                crate::xpath::XPATH_1_0,
                crate::xpath::XPATH_2_0
            );
            return Compiled::failed(&expression.text, message, role);
        };
        Compiled::new_in(&expression.text, &scopes.in_scope(expression.namespaces), role, language)
    }

    pub fn language(&self) -> Language {
        self.language
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

    pub(super) fn analysis(&self) -> Result<&Analysis, Fault> {
        self.analysis.as_ref().map_err(|message| {
            Fault::standard(StandardFault::SubLanguageExecutionFault, format!("cannot evaluate `{}`: {message}", self.text))
        })
    }
}

fn analyse(text: &str, bindings: &[(Option<String>, String)], role: XPathRole, language: Language) -> Result<Analysis, String> {
    if text.is_empty() {
        return Err("the expression is empty".to_string());
    }
    let expr = ast::parse_in(text, &Bindings(bindings), language).map_err(|error| error.message)?;
    analyse_parsed(text, &expr, bindings, role, language)
}

/// What evaluation needs to know of `expr`, the parse of `text`.
fn analyse_parsed(
    text: &str,
    expr: &ast::Expr,
    bindings: &[(Option<String>, String)],
    role: XPathRole,
    language: Language,
) -> Result<Analysis, String> {
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
            ExprKind::FunctionCall(call) if language == Language::XPath1 && OdeFunction::find(&call.name).is_some() => {
                problems.push(format!(
                    "{} is one of Apache ODE's XPath extension functions, which are XPath 2.0 functions (as in ODE): declare \
                     expressionLanguage=\"{}\" on the process or the expression",
                    call.name.qualified(),
                    crate::xpath::XPATH_2_0
                ));
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
    let xpath2 = match language {
        Language::XPath1 => None,
        Language::XPath2 => Some(Box::new(plan(text, expr, bindings)?)),
    };
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
    Ok(Analysis { fast, variables, prefixes, properties, stylesheets, context_position, xpath2 })
}

/// The namespace (and its prefix) of the variables that stand for BPEL's function calls in an
/// XPath 2.0 expression: xee-xpath has no API to add functions, so those calls are computed before
/// the evaluation. At compile time ([`plan`]) each call is replaced by a variable (`$__bpel:call0`),
/// its arguments compiled as expressions of their own; at evaluation the arguments are evaluated,
/// the function computed in Rust, and the result bound to that variable. That holds for every call
/// whose arguments do not depend on the focus or on a variable bound inside the expression (`for
/// $x in ... return bpel:f($x)`); such a call is refused here, with a message that says so.
pub(super) const COMPUTED_NS: &str = "urn:bpel-engine:computed-call";
pub(super) const COMPUTED_PREFIX: &str = "__bpel";

/// How an XPath 2.0 expression is evaluated: its text with BPEL's function calls replaced by
/// variables, and those calls.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(super) text: String,
    pub(super) calls: Vec<HostCall>,
}

#[derive(Debug)]
pub(super) struct HostCall {
    /// The local name of the variable that stands for the call.
    pub(super) name: String,
    pub(super) function: HostFunction,
    /// The arguments that are evaluated (those of `bpel:getVariableProperty` are literals).
    pub(super) args: Vec<Compiled>,
}

#[derive(Debug)]
pub(super) enum HostFunction {
    GetVariableProperty {
        variable: String,
        property: QName,
    },
    DoXslTransform {
        uri: String,
    },
    /// `property`: the property `ode:process-property` names, when it is a literal.
    Ode {
        function: OdeFunction,
        property: Option<QName>,
    },
}

/// The plan of `expr` (the parse of `text`), or why it cannot be evaluated.
fn plan(text: &str, expr: &ast::Expr, bindings: &[(Option<String>, String)]) -> Result<Plan, String> {
    let mut calls = Vec::new();
    let mut splices: Vec<(Span, String)> = Vec::new();
    let mut problems = Vec::new();
    expr.visit(&mut |node, _| {
        let ExprKind::FunctionCall(call) = &node.kind else { return true };
        let function = if call.name.is(BPEL_NS, GET_VARIABLE_PROPERTY) {
            // the analysis has checked the form: two literals, a property name with a known prefix
            let literal = |i: usize| call.args.get(i).and_then(ast::Expr::as_literal);
            let (Some(variable), Some(property)) = (literal(0), literal(1)) else { return false };
            let Some(property) = resolve_qname(property, bindings) else { return false };
            HostFunction::GetVariableProperty { variable: variable.to_string(), property }
        } else if call.name.is(BPEL_NS, DO_XSL_TRANSFORM) {
            let Some(uri) = call.args.first().and_then(ast::Expr::as_literal) else { return false };
            HostFunction::DoXslTransform { uri: uri.to_string() }
        } else if let Some((function, min, max)) = OdeFunction::find(&call.name) {
            if call.args.len() < min || call.args.len() > max {
                let expected = match (min, max) {
                    (min, max) if min == max => format!("{min}"),
                    (min, usize::MAX) => format!("at least {min}"),
                    (min, max) => format!("{min} to {max}"),
                };
                problems.push(format!("{} takes {expected} arguments, not {}", call.name.qualified(), call.args.len()));
                return false;
            }
            let property = match function {
                OdeFunction::ProcessProperty => call.args[0].as_literal().and_then(|name| resolve_qname(name, bindings)),
                _ => None,
            };
            HostFunction::Ode { function, property }
        } else {
            return true;
        };
        let written = node.span.slice(text);
        if let Some(bound) = call.args.iter().find_map(range_variable) {
            problems.push(format!(
                "`{written}` uses `${bound}`, a variable bound inside the expression: this engine computes {} before evaluating \
                 the XPath 2.0 expression, so its arguments may use the process's variables and literals only",
                call.name.qualified()
            ));
            return false;
        }
        let evaluated = match function {
            HostFunction::GetVariableProperty { .. } | HostFunction::Ode { property: Some(_), .. } => &call.args[..0],
            HostFunction::DoXslTransform { .. } => &call.args[1..],
            HostFunction::Ode { property: None, .. } => &call.args[..],
        };
        let mut args = Vec::with_capacity(evaluated.len());
        for arg in evaluated {
            let compiled = Compiled::new_in(arg.span.slice(text), bindings, XPathRole::Expression, Language::XPath2);
            if let Some(error) = compiled.error() {
                problems.push(format!("the argument `{}` of {}: {error}", arg.span.slice(text).trim(), call.name.qualified()));
            }
            args.push(compiled);
        }
        let name = format!("call{}", calls.len());
        splices.push((node.span, format!("${COMPUTED_PREFIX}:{name}")));
        calls.push(HostCall { name, function, args });
        false
    });
    if let Some(problem) = problems.into_iter().next() {
        return Err(problem);
    }
    let mut rewritten = String::with_capacity(text.len());
    let mut at = 0;
    for (span, replacement) in splices {
        rewritten.push_str(&text[at..span.start as usize]);
        rewritten.push_str(&replacement);
        at = span.end as usize;
    }
    rewritten.push_str(&text[at..]);
    Ok(Plan { text: rewritten.trim().to_string(), calls })
}

/// The name of a variable bound inside the expression that `expr` uses, if any.
fn range_variable(expr: &ast::Expr) -> Option<String> {
    let mut found = None;
    expr.visit(&mut |node, _| {
        if let ExprKind::RangeVariable(name) = &node.kind {
            found.get_or_insert_with(|| name.qualified());
        }
        found.is_none()
    });
    found
}

pub(super) fn resolve_qname(text: &str, bindings: &[(Option<String>, String)]) -> Option<QName> {
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
    /// The process's `expressionLanguage` and `queryLanguage`, for expressions compiled on demand.
    default_languages: (Option<String>, Option<String>),
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
            Compiled::expression(expression, scopes, XPathRole::Expression, self.default_languages.0.as_deref())
        })
    }

    /// The compiled form of a `<query>` of the process in `file`.
    pub fn query(&self, file: FileId, query: &Expression, scopes: &NamespaceScopes) -> Arc<Compiled> {
        self.get_or_compile(ExprKey::new(file, query.span, XPathRole::Query), || {
            Compiled::expression(query, scopes, XPathRole::Query, self.default_languages.1.as_deref())
        })
    }

    /// The process's expressions and queries compiled from the parses of its analysis; those
    /// the analysis did not parse (in no language the engine runs) are compiled when first asked
    /// for.
    pub fn from_parsed(file: FileId, process: &Process, parsed: &ParsedExpressions) -> CompiledExpressions {
        let entries = parsed
            .of_process(file, process)
            .map(|site| {
                let role = if site.is_query { XPathRole::Query } else { XPathRole::Expression };
                let bindings = process.namespaces.in_scope(site.expression.namespaces);
                let compiled = Compiled::from_parsed(&site.expression.text, site.parsed, &bindings, role, site.language);
                (ExprKey::new(file, site.expression.span, role), Arc::new(compiled))
            })
            .collect();
        let language = |name: &Option<crate::model::process::Name>| name.as_ref().map(|name| name.value.clone());
        CompiledExpressions {
            entries: RwLock::new(entries),
            default_languages: (language(&process.expression_language), language(&process.query_language)),
        }
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

thread_local! {
    /// sxd-xpath's compiled expressions (not `Send`), by text.
    static SXD_CACHE: RefCell<HashMap<String, Rc<sxd_xpath::XPath>>> = RefCell::new(HashMap::new());
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

#[cfg(test)]
mod tests {
    use super::*;

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
