//! The XSLT 1.0 subset that `bpel:doXslTransform` runs, on sxd-xpath.
//!
//! No maintained XSLT 1.0 processor in Rust fits (the mature ones bind libxslt, a C library; the
//! pure-Rust ones implement XSLT 3.0 on their own tree model), so this module implements the
//! common core of XSLT 1.0 itself, with the XPath of [`super::xpath`] (its compilation, not its evaluation). A stylesheet that uses
//! anything outside the subset is refused when it is compiled — `bpel:doXslTransform` then faults
//! with `subLanguageExecutionFault` — rather than run with a different meaning.
//!
//! **Supported**: `xsl:stylesheet`/`xsl:transform` with top-level `xsl:template` (`match`, `name`,
//! `mode`, `priority`), `xsl:variable`, `xsl:param` (set by the parameters of
//! `bpel:doXslTransform`), `xsl:output` and `xsl:preserve-space` (accepted; they only concern
//! serialization, and the result here is a tree); instructions `xsl:apply-templates` (`select`,
//! `mode`, `xsl:with-param`), `xsl:call-template`, `xsl:for-each`, `xsl:if`, `xsl:choose`/`when`/
//! `otherwise`, `xsl:value-of`, `xsl:copy-of`, `xsl:copy`, `xsl:element`, `xsl:attribute`,
//! `xsl:text`, `xsl:variable`, `xsl:param` (template parameters), `xsl:message` (`terminate="yes"`
//! fails the transform), `xsl:comment` and `xsl:processing-instruction` (they produce nothing:
//! values hold no comments); literal result elements with attribute value templates; the built-in
//! template rules; conflict resolution by priority (default priorities of XSLT 1.0 §5.5), then
//! position; patterns made of location paths with child, attribute and `//` steps (with
//! predicates). Result tree fragments are usable as node-sets.
//!
//! **Not supported** (compile error): `xsl:import`, `xsl:include`, `xsl:key`, `xsl:strip-space`,
//! `xsl:decimal-format`, `xsl:namespace-alias`, `xsl:attribute-set` and `use-attribute-sets`,
//! `xsl:sort`, `xsl:number`, `xsl:fallback`, `xsl:apply-imports`, simplified (literal result
//! element) stylesheets, `id()`/`key()` patterns, and `position()`/`last()` outside a predicate.
//! The XSLT functions `current()`, `document()`, `key()`, `format-number()`, `generate-id()`,
//! `system-property()`, `element-available()`, `function-available()` and
//! `unparsed-entity-uri()` are not provided: calling one fails the transform.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sxd_document::dom;
use sxd_document::Package;
use sxd_xpath::nodeset::{Node, Nodeset};
use sxd_xpath::Value as SxdValue;

use super::dom as xdom;
use super::value::{NamespaceDecl, XmlAttribute, XmlElement, XmlNode, MAX_DEPTH};
use super::xpath::compile::{sxd_compiled, Compiled};
use super::xpath::interface::{children_text, format_number, NodeValue, XPathRole, XPathValue};
use crate::model::QName;
use crate::syntax::{self, NamespaceScopes};
use crate::xpath::{self as ast, Axis, ExprKind, NodeTest, PathStart};

pub const XSLT_NS: &str = "http://www.w3.org/1999/XSL/Transform";

/// Instructions one transform may execute.
const MAX_STEPS: usize = 1_000_000;
/// Nested template applications and instantiations one transform may make (the identity
/// transform of a value nested [`MAX_DEPTH`] deep takes twice that).
const MAX_NESTING: usize = 4 * MAX_DEPTH;
/// The stack of the thread a transform runs on (reserved, not committed, until used).
const TRANSFORM_STACK: usize = 64 * 1024 * 1024;
/// The largest stylesheet file read.
const MAX_STYLESHEET_SIZE: u64 = 16 * 1024 * 1024;

/// Where `bpel:doXslTransform` finds stylesheets by the URI written in the process.
pub trait Stylesheets {
    fn stylesheet(&self, uri: &str) -> Result<Arc<Stylesheet>, StylesheetError>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StylesheetError {
    /// No stylesheet at that URI: `xsltStylesheetNotFound`.
    NotFound(String),
    /// The stylesheet is not well-formed, not XSLT, or uses what this subset does not support:
    /// `subLanguageExecutionFault`.
    Invalid(String),
}

impl std::fmt::Display for StylesheetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StylesheetError::NotFound(message) | StylesheetError::Invalid(message) => f.write_str(message),
        }
    }
}

/// No stylesheet exists.
pub struct NoStylesheets;

impl Stylesheets for NoStylesheets {
    fn stylesheet(&self, uri: &str) -> Result<Arc<Stylesheet>, StylesheetError> {
        Err(StylesheetError::NotFound(format!("no stylesheet `{uri}` is available")))
    }
}

/// Stylesheets read from files next to the process (or from given texts), each compiled once.
/// Reading happens on first use; [`StylesheetCache::preload`] does it at deployment instead.
#[derive(Debug)]
pub struct StylesheetCache {
    source: StylesheetSource,
    compiled: Mutex<HashMap<String, Result<Arc<Stylesheet>, StylesheetError>>>,
}

#[derive(Debug)]
enum StylesheetSource {
    /// URIs resolve relative to this process file, as imports do (never over the network).
    Files(PathBuf),
    Texts(Vec<(String, String)>),
}

impl StylesheetCache {
    /// Stylesheets resolved relative to the folder of `process_file`.
    pub fn relative_to(process_file: &Path) -> StylesheetCache {
        StylesheetCache { source: StylesheetSource::Files(process_file.to_path_buf()), compiled: Mutex::new(HashMap::new()) }
    }

    /// Stylesheets given as `(uri, text)` pairs.
    pub fn from_texts(texts: impl IntoIterator<Item = (String, String)>) -> StylesheetCache {
        StylesheetCache { source: StylesheetSource::Texts(texts.into_iter().collect()), compiled: Mutex::new(HashMap::new()) }
    }

    /// Reads and compiles these stylesheets now; the results (errors included) are kept.
    pub fn preload<'a>(&self, uris: impl IntoIterator<Item = &'a str>) {
        for uri in uris {
            let _ = self.stylesheet(uri);
        }
    }

    fn load(&self, uri: &str) -> Result<Arc<Stylesheet>, StylesheetError> {
        let text = match &self.source {
            StylesheetSource::Texts(texts) => match texts.iter().find(|(u, _)| u == uri) {
                Some((_, text)) => text.clone(),
                None => return Err(StylesheetError::NotFound(format!("no stylesheet `{uri}`"))),
            },
            StylesheetSource::Files(process) => {
                let path = crate::parse::loader::resolve_location(process, uri)
                    .map_err(|error| StylesheetError::NotFound(format!("the stylesheet `{uri}`: {error}")))?;
                let size = std::fs::metadata(&path)
                    .map_err(|error| StylesheetError::NotFound(format!("the stylesheet `{}` cannot be read: {error}", path.display())))?
                    .len();
                if size > MAX_STYLESHEET_SIZE {
                    return Err(StylesheetError::Invalid(format!(
                        "the stylesheet `{}` is larger than {MAX_STYLESHEET_SIZE} bytes",
                        path.display()
                    )));
                }
                let bytes = std::fs::read(&path)
                    .map_err(|error| StylesheetError::NotFound(format!("the stylesheet `{}` cannot be read: {error}", path.display())))?;
                String::from_utf8(bytes)
                    .map_err(|_| StylesheetError::Invalid(format!("the stylesheet `{}` is not UTF-8 text", path.display())))?
            }
        };
        Stylesheet::compile(&text).map(Arc::new).map_err(StylesheetError::Invalid)
    }
}

impl Stylesheets for StylesheetCache {
    fn stylesheet(&self, uri: &str) -> Result<Arc<Stylesheet>, StylesheetError> {
        if let Some(found) = self.compiled.lock().ok().and_then(|c| c.get(uri).cloned()) {
            return found;
        }
        let loaded = self.load(uri);
        if let Ok(mut compiled) = self.compiled.lock() {
            compiled.insert(uri.to_string(), loaded.clone());
        }
        loaded
    }
}

/// A compiled stylesheet.
#[derive(Debug)]
pub struct Stylesheet {
    /// Template rules by decreasing priority, later ones first among equals.
    rules: Vec<Rule>,
    templates: Vec<Template>,
    globals: Vec<VarDecl>,
}

#[derive(Debug)]
struct Rule {
    pattern: Compiled,
    priority: f64,
    mode: Option<QName>,
    template: usize,
}

#[derive(Debug)]
struct Template {
    name: Option<QName>,
    params: Vec<VarDecl>,
    body: Vec<Instr>,
}

#[derive(Debug)]
struct VarDecl {
    name: String,
    is_param: bool,
    value: VarValue,
}

#[derive(Debug)]
enum VarValue {
    Select(Compiled),
    Content(Vec<Instr>),
    Empty,
}

#[derive(Debug)]
struct WithParam {
    name: String,
    value: VarValue,
}

#[derive(Debug)]
enum AvtPart {
    Text(String),
    Expr(Compiled),
}

#[derive(Debug)]
enum Instr {
    Text(String),
    Literal { element: XmlElement, attributes: Vec<(XmlAttribute, Vec<AvtPart>)>, body: Vec<Instr> },
    ApplyTemplates { select: Option<Compiled>, mode: Option<QName>, params: Vec<WithParam> },
    CallTemplate { name: QName, params: Vec<WithParam> },
    ForEach { select: Compiled, body: Vec<Instr> },
    If { test: Compiled, body: Vec<Instr> },
    Choose { whens: Vec<(Compiled, Vec<Instr>)>, otherwise: Vec<Instr> },
    ValueOf { select: Compiled },
    CopyOf { select: Compiled },
    Copy { body: Vec<Instr> },
    Element { name: Vec<AvtPart>, namespace: Option<Vec<AvtPart>>, scope: Vec<(Option<String>, String)>, body: Vec<Instr> },
    Attribute { name: Vec<AvtPart>, namespace: Option<Vec<AvtPart>>, scope: Vec<(Option<String>, String)>, body: Vec<Instr> },
    Variable(VarDecl),
    Message { terminate: bool },
    Nothing,
}

impl Stylesheet {
    /// Compiles a stylesheet; `Err` says what is wrong or unsupported.
    pub fn compile(text: &str) -> Result<Stylesheet, String> {
        let document = syntax::parse_xml(text);
        if let Some(error) = document.errors.first() {
            return Err(format!("the stylesheet is not well-formed XML: {}", error.message));
        }
        let Some(root) = &document.root else {
            return Err("the stylesheet is empty".to_string());
        };
        if !(root.is(XSLT_NS, "stylesheet") || root.is(XSLT_NS, "transform")) {
            return Err(format!(
                "the root element is <{}>, not xsl:stylesheet (simplified stylesheets are not supported)",
                root.qualified_name()
            ));
        }
        let mut compiler = Compiler { scopes: &document.scopes, calls: Default::default() };
        let mut sheet = Stylesheet { rules: Vec::new(), templates: Vec::new(), globals: Vec::new() };
        let mut order = 0usize;
        let mut rules: Vec<(Rule, usize)> = Vec::new();
        for child in root.child_elements() {
            if child.namespace.as_deref() != Some(XSLT_NS) {
                continue; // top-level elements of other namespaces are allowed and ignored
            }
            match child.local.as_str() {
                "template" => {
                    let index = sheet.templates.len();
                    let (template, template_rules) = compiler.template(child, index)?;
                    sheet.templates.push(template);
                    for rule in template_rules {
                        rules.push((rule, order));
                        order += 1;
                    }
                }
                "variable" | "param" => sheet.globals.push(compiler.var_decl(child)?),
                "output" | "preserve-space" => {}
                other => return Err(unsupported(other)),
            }
        }
        for name in compiler.calls.borrow().iter() {
            if !sheet.templates.iter().any(|t| t.name.as_ref() == Some(name)) {
                return Err(format!("xsl:call-template names `{}`, but no template has that name", name.local));
            }
        }
        rules.sort_by(|(a, a_order), (b, b_order)| b.priority.total_cmp(&a.priority).then(b_order.cmp(a_order)));
        sheet.rules = rules.into_iter().map(|(rule, _)| rule).collect();
        Ok(sheet)
    }

    /// Transforms `source` (the document element of the source tree) with `params` for the
    /// stylesheet's top-level parameters; returns the result tree's top-level nodes.
    ///
    /// Runs on a thread of its own with a large stack: templates may recurse (up to
    /// a thousand levels) and a transform must fail, not overflow, when they go too deep.
    pub fn transform(&self, source: &XmlElement, params: &[(String, XPathValue)]) -> Result<Vec<XmlNode>, String> {
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("xslt".to_string())
                .stack_size(TRANSFORM_STACK)
                .spawn_scoped(scope, || self.transform_here(source, params))
                .map_err(|error| format!("cannot start the transform: {error}"))?;
            handle.join().map_err(|_| "the transform failed unexpectedly".to_string())?
        })
    }

    fn transform_here(&self, source: &XmlElement, params: &[(String, XPathValue)]) -> Result<Vec<XmlNode>, String> {
        let package = Package::new();
        let document = package.as_document();
        let built = xdom::build(document, source);
        document.root().append_child(built);
        let root = Node::Root(document.root());
        let mut run = Run { sheet: self, document, fragments: Vec::new(), steps: 0, nesting: 0 };
        let mut globals: Scope<'_> = Vec::new();
        for global in &self.globals {
            let passed = params.iter().find(|(name, _)| *name == global.name || name.rsplit(':').next() == Some(global.name.as_str()));
            let value = match passed {
                Some((_, value)) if global.is_param => run.external(value),
                _ => run.var_value(&global.value, root, &mut globals.clone())?,
            };
            globals.push((global.name.clone(), value));
        }
        let mut out = Out::default();
        run.apply(vec![root], None, &globals, &[], &mut out)?;
        Ok(out.finish())
    }
}

fn unsupported(what: &str) -> String {
    format!("xsl:{what} is not supported by this XSLT subset")
}

struct Compiler<'a> {
    scopes: &'a NamespaceScopes,
    /// Template names called, checked once every template is known.
    calls: std::cell::RefCell<Vec<QName>>,
}

impl Compiler<'_> {
    fn attr<'e>(&self, element: &'e syntax::Element, name: &str) -> Result<&'e str, String> {
        element.attr_value(name).ok_or_else(|| format!("xsl:{} needs a `{name}` attribute", element.local))
    }

    fn expr(&self, element: &syntax::Element, text: &str) -> Result<Compiled, String> {
        let compiled = Compiled::new(text, &self.scopes.in_scope(element.scope), XPathRole::Query);
        if let Some(error) = compiled.error() {
            return Err(format!("`{text}` in xsl:{}: {error}", element.local));
        }
        if compiled.uses_context_position() {
            return Err(format!("`{text}`: position() and last() outside a predicate are not supported by this XSLT subset"));
        }
        Ok(compiled)
    }

    /// A QName attribute value (template names, modes): an unprefixed name is in no namespace.
    fn qname(&self, element: &syntax::Element, text: &str) -> Result<QName, String> {
        let text = text.trim();
        match text.split_once(':') {
            Some((prefix, local)) => match self.scopes.lookup(element.scope, Some(prefix)) {
                Some(uri) => Ok(QName::new(Some(uri), local)),
                None => Err(format!("the prefix of `{text}` is not declared")),
            },
            None => Ok(QName::new(None, text)),
        }
    }

    fn var_name(&self, element: &syntax::Element) -> Result<String, String> {
        let name = self.attr(element, "name")?.trim();
        if name.contains(':') {
            return Err(format!("the variable name `{name}`: prefixed variable names are not supported by this XSLT subset"));
        }
        Ok(name.to_string())
    }

    fn template(&mut self, element: &syntax::Element, index: usize) -> Result<(Template, Vec<Rule>), String> {
        let name = element.attr_value("name").map(|n| self.qname(element, n)).transpose()?;
        let mode = element.attr_value("mode").map(|m| self.qname(element, m)).transpose()?;
        let priority = match element.attr_value("priority") {
            Some(p) => Some(p.trim().parse::<f64>().map_err(|_| format!("the priority `{p}` is not a number"))?),
            None => None,
        };
        let mut rules = Vec::new();
        if let Some(pattern) = element.attr_value("match") {
            for (alternative, default_priority) in self.pattern(element, pattern)? {
                rules.push(Rule {
                    pattern: alternative,
                    priority: priority.unwrap_or(default_priority),
                    mode: mode.clone(),
                    template: index,
                });
            }
        } else if name.is_none() {
            return Err("an xsl:template needs `match` or `name`".to_string());
        }
        let mut params = Vec::new();
        let mut rest = Vec::new();
        for node in &element.children {
            match node {
                syntax::Node::Element(child) if child.is(XSLT_NS, "param") && rest.iter().all(is_blank) => {
                    params.push(self.var_decl(child)?)
                }
                other => rest.push(other.clone()),
            }
        }
        let body = self.body_of(&rest)?;
        Ok((Template { name, params, body }, rules))
    }

    /// Splits a pattern into its alternatives, each compiled, with its default priority.
    fn pattern(&self, element: &syntax::Element, text: &str) -> Result<Vec<(Compiled, f64)>, String> {
        let bindings = self.scopes.in_scope(element.scope);
        let parsed = ast::parse(text, &PatternNamespaces(&bindings)).map_err(|e| format!("the pattern `{text}`: {}", e.message))?;
        let mut alternatives = Vec::new();
        let mut stack = vec![&parsed];
        while let Some(expr) = stack.pop() {
            match &expr.kind {
                ExprKind::Binary { op: ast::BinaryOp::Union, left, right } => {
                    stack.push(right);
                    stack.push(left);
                }
                _ => alternatives.push(expr),
            }
        }
        let mut out = Vec::new();
        for alternative in alternatives {
            let ExprKind::Path(path) = &alternative.kind else {
                return Err(format!("the pattern `{text}` is not supported (only location paths, not id() or key())"));
            };
            if matches!(path.start, PathStart::Expr(_)) {
                return Err(format!("the pattern `{text}` is not supported (only location paths, not id() or key())"));
            }
            for step in &path.steps {
                let allowed = matches!(step.axis, Axis::Child | Axis::Attribute)
                    || (step.axis == Axis::DescendantOrSelf
                        && step.test == NodeTest::NodeType(ast::NodeType::Node)
                        && step.predicates.is_empty());
                if !allowed {
                    return Err(format!("the pattern `{text}` uses the {} axis; patterns use child and attribute steps", step.axis.name()));
                }
            }
            let priority = match (&path.start, path.steps.as_slice()) {
                (PathStart::ContextNode, [step]) if step.predicates.is_empty() => match &step.test {
                    NodeTest::Name(_) => 0.0,
                    NodeTest::ProcessingInstruction(Some(_)) => 0.0,
                    NodeTest::AnyInNamespace(_) => -0.25,
                    NodeTest::Any | NodeTest::NodeType(_) | NodeTest::ProcessingInstruction(None) | NodeTest::Kind { .. } => -0.5,
                },
                _ => 0.5,
            };
            out.push((self.expr(element, alternative.span.slice(text))?, priority));
        }
        Ok(out)
    }

    fn var_decl(&self, element: &syntax::Element) -> Result<VarDecl, String> {
        let name = self.var_name(element)?;
        let is_param = element.local == "param";
        let value = self.var_value(element)?;
        Ok(VarDecl { name, is_param, value })
    }

    fn var_value(&self, element: &syntax::Element) -> Result<VarValue, String> {
        match element.attr_value("select") {
            Some(select) => Ok(VarValue::Select(self.expr(element, select)?)),
            None if element.children.iter().all(is_blank) => Ok(VarValue::Empty),
            None => Ok(VarValue::Content(self.body(element)?)),
        }
    }

    fn with_params(&self, element: &syntax::Element) -> Result<Vec<WithParam>, String> {
        let mut params = Vec::new();
        for child in element.child_elements() {
            if child.is(XSLT_NS, "with-param") {
                params.push(WithParam { name: self.var_name(child)?, value: self.var_value(child)? });
            } else if child.is(XSLT_NS, "sort") {
                return Err(unsupported("sort"));
            } else {
                return Err(format!("<{}> cannot stand in xsl:{}", child.qualified_name(), element.local));
            }
        }
        Ok(params)
    }

    fn body(&self, element: &syntax::Element) -> Result<Vec<Instr>, String> {
        self.body_of(&element.children)
    }

    fn body_of(&self, nodes: &[syntax::Node]) -> Result<Vec<Instr>, String> {
        let mut out = Vec::new();
        for node in nodes {
            match node {
                syntax::Node::Text(text) if text.value.trim().is_empty() => {}
                syntax::Node::Text(text) => out.push(Instr::Text(text.value.clone())),
                syntax::Node::Element(element) if element.namespace.as_deref() == Some(XSLT_NS) => out.push(self.instruction(element)?),
                syntax::Node::Element(element) => out.push(self.literal(element)?),
            }
        }
        Ok(out)
    }

    fn avt(&self, element: &syntax::Element, text: &str) -> Result<Vec<AvtPart>, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(format!("the attribute value template `{text}` has an unmatched `}}`")),
                '{' => {
                    let start = i + 1;
                    let mut end = None;
                    let mut quote: Option<char> = None;
                    for (j, c) in chars.by_ref() {
                        match (quote, c) {
                            (Some(q), c) if c == q => quote = None,
                            (Some(_), _) => {}
                            (None, '\'' | '"') => quote = Some(c),
                            (None, '}') => {
                                end = Some(j);
                                break;
                            }
                            _ => {}
                        }
                    }
                    let end = end.ok_or_else(|| format!("the attribute value template `{text}` has an unclosed `{{`"))?;
                    if !literal.is_empty() {
                        parts.push(AvtPart::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(AvtPart::Expr(self.expr(element, &text[start..end])?));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(AvtPart::Text(literal));
        }
        Ok(parts)
    }

    fn literal(&self, element: &syntax::Element) -> Result<Instr, String> {
        let mut out = XmlElement::new(element.namespace.as_deref(), &element.local);
        out.prefix = element.prefix.clone();
        let mut attributes = Vec::new();
        for attribute in &element.attributes {
            match (attribute.prefix.as_deref(), attribute.local.as_str()) {
                (None, "xmlns") | (Some("xmlns"), _) => {
                    if attribute.value != XSLT_NS {
                        let prefix = (attribute.prefix.is_some()).then(|| attribute.local.clone());
                        out.namespaces.push(NamespaceDecl { prefix, uri: Arc::from(attribute.value.as_str()) });
                    }
                }
                _ if attribute.namespace.as_deref() == Some(XSLT_NS) => {
                    if attribute.local == "use-attribute-sets" {
                        return Err(unsupported("use-attribute-sets"));
                    }
                }
                _ => attributes.push((
                    XmlAttribute {
                        namespace: attribute.namespace.clone(),
                        local: attribute.local.clone(),
                        prefix: attribute.prefix.clone(),
                        value: String::new(),
                    },
                    self.avt(element, &attribute.value)?,
                )),
            }
        }
        Ok(Instr::Literal { element: out, attributes, body: self.body(element)? })
    }

    fn instruction(&self, element: &syntax::Element) -> Result<Instr, String> {
        if element.attr_value("use-attribute-sets").is_some() {
            return Err(unsupported("use-attribute-sets"));
        }
        Ok(match element.local.as_str() {
            "apply-templates" => Instr::ApplyTemplates {
                select: element.attr_value("select").map(|s| self.expr(element, s)).transpose()?,
                mode: element.attr_value("mode").map(|m| self.qname(element, m)).transpose()?,
                params: self.with_params(element)?,
            },
            "call-template" => {
                let name = self.qname(element, self.attr(element, "name")?)?;
                self.calls.borrow_mut().push(name.clone());
                Instr::CallTemplate { name, params: self.with_params(element)? }
            }
            "for-each" => {
                if element.child_elements().any(|c| c.is(XSLT_NS, "sort")) {
                    return Err(unsupported("sort"));
                }
                Instr::ForEach { select: self.expr(element, self.attr(element, "select")?)?, body: self.body(element)? }
            }
            "if" => Instr::If { test: self.expr(element, self.attr(element, "test")?)?, body: self.body(element)? },
            "choose" => {
                let mut whens = Vec::new();
                let mut otherwise = Vec::new();
                for child in element.child_elements() {
                    if child.is(XSLT_NS, "when") {
                        whens.push((self.expr(child, self.attr(child, "test")?)?, self.body(child)?));
                    } else if child.is(XSLT_NS, "otherwise") {
                        otherwise = self.body(child)?;
                    } else {
                        return Err(format!("<{}> cannot stand in xsl:choose", child.qualified_name()));
                    }
                }
                Instr::Choose { whens, otherwise }
            }
            "value-of" => Instr::ValueOf { select: self.expr(element, self.attr(element, "select")?)? },
            "copy-of" => Instr::CopyOf { select: self.expr(element, self.attr(element, "select")?)? },
            "copy" => Instr::Copy { body: self.body(element)? },
            "element" | "attribute" => {
                let name = self.avt(element, self.attr(element, "name")?)?;
                let namespace = element.attr_value("namespace").map(|n| self.avt(element, n)).transpose()?;
                let scope = self.scopes.in_scope(element.scope);
                let body = self.body(element)?;
                if element.local == "element" {
                    Instr::Element { name, namespace, scope, body }
                } else {
                    Instr::Attribute { name, namespace, scope, body }
                }
            }
            "text" => Instr::Text(element.text()),
            "variable" => Instr::Variable(self.var_decl(element)?),
            "message" => Instr::Message { terminate: element.attr_value("terminate").map(str::trim) == Some("yes") },
            "comment" | "processing-instruction" => Instr::Nothing,
            "param" => return Err("xsl:param must come first in its template".to_string()),
            other => return Err(unsupported(other)),
        })
    }
}

fn is_blank(node: &syntax::Node) -> bool {
    matches!(node, syntax::Node::Text(text) if text.value.trim().is_empty())
}

struct PatternNamespaces<'a>(&'a [(Option<String>, String)]);

impl ast::Namespaces for PatternNamespaces<'_> {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(crate::syntax::XML_NS);
        }
        self.0.iter().find(|(p, _)| p.as_deref() == Some(prefix)).map(|(_, uri)| uri.as_str())
    }
}

/// The result tree being built.
#[derive(Default)]
struct Out {
    top: Vec<XmlNode>,
    open: Vec<XmlElement>,
}

impl Out {
    fn children(&mut self) -> &mut Vec<XmlNode> {
        match self.open.last_mut() {
            Some(element) => &mut element.children,
            None => &mut self.top,
        }
    }

    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let children = self.children();
        match children.last_mut() {
            Some(XmlNode::Text(previous)) => previous.push_str(text),
            _ => children.push(XmlNode::Text(text.to_string())),
        }
    }

    fn element(&mut self, element: XmlElement) {
        self.children().push(XmlNode::Element(element));
    }

    fn attribute(&mut self, attribute: XmlAttribute) -> Result<(), String> {
        match self.open.last_mut() {
            Some(element) if element.children.is_empty() => {
                element.attributes.retain(|a| !(a.local == attribute.local && a.namespace == attribute.namespace));
                element.attributes.push(attribute);
                Ok(())
            }
            Some(element) => Err(format!("an attribute `{}` is added to <{}> after its children", attribute.local, element.local)),
            None => Err(format!("an attribute `{}` is added where no element is open", attribute.local)),
        }
    }

    fn start(&mut self, element: XmlElement) -> Result<(), String> {
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("the result nests elements more than {MAX_DEPTH} deep"));
        }
        self.open.push(element);
        Ok(())
    }

    fn end(&mut self) {
        if let Some(element) = self.open.pop() {
            self.element(element);
        }
    }

    fn finish(mut self) -> Vec<XmlNode> {
        while !self.open.is_empty() {
            self.end();
        }
        self.top
    }
}

type Scope<'d> = Vec<(String, SxdValue<'d>)>;

struct Run<'s, 'd> {
    sheet: &'s Stylesheet,
    document: dom::Document<'d>,
    /// The wrapper elements standing for result tree fragments (their children are the fragment).
    fragments: Vec<dom::Element<'d>>,
    steps: usize,
    nesting: usize,
}

impl<'s, 'd> Run<'s, 'd> {
    fn step(&mut self) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!("the transform executed more than {MAX_STEPS} instructions"));
        }
        Ok(())
    }

    fn eval(&self, expr: &Compiled, node: Node<'d>, scope: &Scope<'d>) -> Result<SxdValue<'d>, String> {
        let xpath = sxd_compiled(expr.text())?;
        let mut context = sxd_xpath::Context::new();
        for (prefix, uri) in expr.prefixes() {
            context.set_namespace(prefix, uri);
        }
        for (name, part) in expr.variables() {
            let full = match part {
                Some(part) => format!("{name}.{part}"),
                None => name.clone(),
            };
            let value = scope.iter().rev().find(|(n, _)| *n == full).map(|(_, v)| v.clone());
            let value = value.ok_or_else(|| format!("no variable `${full}` is in scope in `{}`", expr.text()))?;
            context.set_variable(full.as_str(), value);
        }
        match catch_unwind(AssertUnwindSafe(|| xpath.evaluate(&context, node))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(format!("evaluating `{}`: {error}", expr.text())),
            Err(_) => Err(format!("sxd-xpath failed while evaluating `{}`", expr.text())),
        }
    }

    fn nodes(&self, expr: &Compiled, node: Node<'d>, scope: &Scope<'d>) -> Result<Vec<Node<'d>>, String> {
        match self.eval(expr, node, scope)? {
            SxdValue::Nodeset(nodes) => Ok(self.ordered(&nodes)),
            _ => Err(format!("`{}` does not select nodes", expr.text())),
        }
    }

    /// Document order across the source tree and the fragments (each fragment after the source,
    /// in creation order).
    fn ordered(&self, nodes: &Nodeset<'d>) -> Vec<Node<'d>> {
        let mut keyed: Vec<(Vec<usize>, Node<'d>)> = nodes.iter().map(|node| (self.tree_key(node), node)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, node)| node).collect()
    }

    fn tree_key(&self, node: Node<'d>) -> Vec<usize> {
        let mut key = Vec::new();
        let mut current = node;
        if let Node::Attribute(attribute) = node {
            if let Some(parent) = attribute.parent() {
                let index = parent.attributes().iter().position(|a| *a == attribute).unwrap_or(0);
                key.push(index + 1);
                key.push(0);
                current = Node::Element(parent);
            }
        }
        while let Some(parent) = current.parent() {
            let index = parent.children().iter().position(|c| *c == current).unwrap_or(0);
            key.push(index + 1);
            current = parent;
        }
        let tree = match current {
            Node::Root(_) => 0,
            Node::Element(top) => self.fragments.iter().position(|f| *f == top).map_or(usize::MAX, |i| i + 1),
            _ => usize::MAX,
        };
        key.push(tree);
        key.reverse();
        key
    }

    fn string(&self, value: &SxdValue<'d>) -> String {
        match value {
            SxdValue::Boolean(b) => b.to_string(),
            SxdValue::Number(n) => format_number(*n),
            SxdValue::String(s) => s.clone(),
            SxdValue::Nodeset(nodes) => self.ordered(nodes).first().map(|n| n.string_value()).unwrap_or_default(),
        }
    }

    /// A parameter passed by `bpel:doXslTransform`, in this run's document.
    fn external(&mut self, value: &XPathValue) -> SxdValue<'d> {
        match value {
            XPathValue::Boolean(b) => SxdValue::Boolean(*b),
            XPathValue::Number(n) => SxdValue::Number(*n),
            XPathValue::String(s) => SxdValue::String(s.clone()),
            XPathValue::Nodes(nodes) => {
                let mut set = Nodeset::new();
                for node in nodes {
                    match &node.node {
                        NodeValue::Element(element) => set.add(xdom::build(self.document, element)),
                        NodeValue::Attribute(attribute) => {
                            let holder = self.document.create_element("attribute-holder");
                            let name = sxd_document::QName::with_namespace_uri(attribute.namespace.as_deref(), &attribute.local);
                            set.add(holder.set_attribute_value(name, &attribute.value));
                        }
                        NodeValue::Text(text) | NodeValue::Other(text) => set.add(self.document.create_text(text)),
                    }
                }
                SxdValue::Nodeset(set)
            }
        }
    }

    fn var_value(&mut self, value: &VarValue, node: Node<'d>, scope: &mut Scope<'d>) -> Result<SxdValue<'d>, String> {
        match value {
            VarValue::Select(expr) => self.eval(expr, node, scope),
            VarValue::Empty => Ok(SxdValue::String(String::new())),
            VarValue::Content(body) => {
                let mut out = Out::default();
                self.exec(body, node, scope, &mut out)?;
                let wrapper = self.document.create_element("fragment");
                for child in out.finish() {
                    match child {
                        XmlNode::Element(element) => wrapper.append_child(xdom::build(self.document, &element)),
                        XmlNode::Text(text) => wrapper.append_child(self.document.create_text(&text)),
                    }
                }
                self.fragments.push(wrapper);
                let mut set = Nodeset::new();
                set.add(wrapper);
                Ok(SxdValue::Nodeset(set))
            }
        }
    }

    fn find_rule(&self, node: Node<'d>, mode: Option<&QName>, globals: &Scope<'d>) -> Result<Option<usize>, String> {
        for rule in &self.sheet.rules {
            if rule.mode.as_ref() != mode {
                continue;
            }
            if self.matches(&rule.pattern, node, globals)? {
                return Ok(Some(rule.template));
            }
        }
        Ok(None)
    }

    /// XSLT 1.0 §5.2: a node matches when it is selected by the pattern from itself or one of its
    /// ancestors as context (for an attribute: from its element or one of its ancestors).
    fn matches(&self, pattern: &Compiled, node: Node<'d>, globals: &Scope<'d>) -> Result<bool, String> {
        let mut context = match node {
            Node::Attribute(attribute) => attribute.parent().map(Node::Element),
            other => Some(other),
        };
        while let Some(current) = context {
            if let SxdValue::Nodeset(nodes) = self.eval(pattern, current, globals)? {
                if nodes.contains(node) {
                    return Ok(true);
                }
            }
            context = current.parent();
        }
        Ok(false)
    }

    fn apply(
        &mut self,
        nodes: Vec<Node<'d>>,
        mode: Option<&QName>,
        globals: &Scope<'d>,
        params: &[(String, SxdValue<'d>)],
        out: &mut Out,
    ) -> Result<(), String> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(format!("templates are applied more than {MAX_NESTING} levels deep"));
        }
        for node in nodes {
            self.step()?;
            match self.find_rule(node, mode, globals)? {
                Some(template) => self.instantiate(template, node, globals, params, out)?,
                None => match node {
                    Node::Root(_) | Node::Element(_) => self.apply(node.children(), mode, globals, &[], out)?,
                    Node::Text(text) => out.text(text.text()),
                    Node::Attribute(attribute) => out.text(attribute.value()),
                    _ => {}
                },
            }
        }
        self.nesting -= 1;
        Ok(())
    }

    fn instantiate(
        &mut self,
        template: usize,
        node: Node<'d>,
        globals: &Scope<'d>,
        params: &[(String, SxdValue<'d>)],
        out: &mut Out,
    ) -> Result<(), String> {
        let sheet = self.sheet;
        let template = &sheet.templates[template];
        let mut scope = globals.clone();
        for param in &template.params {
            let value = match params.iter().find(|(name, _)| *name == param.name) {
                Some((_, value)) => value.clone(),
                None => self.var_value(&param.value, node, &mut scope)?,
            };
            scope.push((param.name.clone(), value));
        }
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(format!("templates are instantiated more than {MAX_NESTING} levels deep"));
        }
        let result = self.exec(&template.body, node, &mut scope, out);
        self.nesting -= 1;
        result
    }

    fn params(&mut self, params: &[WithParam], node: Node<'d>, scope: &mut Scope<'d>) -> Result<Vec<(String, SxdValue<'d>)>, String> {
        let mut out = Vec::with_capacity(params.len());
        for param in params {
            out.push((param.name.clone(), self.var_value(&param.value, node, scope)?));
        }
        Ok(out)
    }

    fn avt(&self, parts: &[AvtPart], node: Node<'d>, scope: &Scope<'d>) -> Result<String, String> {
        let mut out = String::new();
        for part in parts {
            match part {
                AvtPart::Text(text) => out.push_str(text),
                AvtPart::Expr(expr) => out.push_str(&self.string(&self.eval(expr, node, scope)?)),
            }
        }
        Ok(out)
    }

    /// Resolves a computed name: `(namespace, local, prefix)`.
    fn computed_name(
        &self,
        name: &str,
        namespace: Option<String>,
        scope: &[(Option<String>, String)],
        is_element: bool,
    ) -> Result<(Option<String>, String, Option<String>), String> {
        let name = name.trim();
        let (prefix, local) = match name.split_once(':') {
            Some((prefix, local)) => (Some(prefix), local),
            None => (None, name),
        };
        if !crate::xpath::is_ncname(local) || prefix.is_some_and(|p| !crate::xpath::is_ncname(p)) {
            return Err(format!("`{name}` is not a valid name for a computed {}", if is_element { "element" } else { "attribute" }));
        }
        let uri = match (namespace, prefix) {
            (Some(namespace), _) => Some(namespace).filter(|n| !n.is_empty()),
            (None, Some(prefix)) => match scope.iter().find(|(p, _)| p.as_deref() == Some(prefix)) {
                Some((_, uri)) => Some(uri.clone()),
                None => return Err(format!("the prefix of `{name}` is not declared")),
            },
            (None, None) if is_element => scope.iter().find(|(p, _)| p.is_none()).map(|(_, uri)| uri.clone()).filter(|u| !u.is_empty()),
            (None, None) => None,
        };
        Ok((uri, local.to_string(), prefix.map(str::to_string)))
    }

    fn copy_node(&mut self, node: Node<'d>, out: &mut Out) -> Result<(), String> {
        match node {
            Node::Root(root) => {
                for child in root.children() {
                    if let Some(element) = child.element() {
                        out.element(xdom::to_value(element));
                    }
                }
            }
            Node::Element(element) if self.fragments.contains(&element) => {
                for child in element.children() {
                    match child {
                        dom::ChildOfElement::Element(child) => out.element(xdom::to_value(child)),
                        dom::ChildOfElement::Text(text) => out.text(text.text()),
                        _ => {}
                    }
                }
            }
            Node::Element(element) => out.element(xdom::to_value(element)),
            Node::Attribute(attribute) => out.attribute(attribute_value(attribute))?,
            Node::Text(text) => out.text(text.text()),
            _ => {}
        }
        Ok(())
    }

    fn exec(&mut self, body: &[Instr], node: Node<'d>, scope: &mut Scope<'d>, out: &mut Out) -> Result<(), String> {
        let mark = scope.len();
        let result = self.exec_all(body, node, scope, out);
        scope.truncate(mark);
        result
    }

    fn exec_all(&mut self, body: &[Instr], node: Node<'d>, scope: &mut Scope<'d>, out: &mut Out) -> Result<(), String> {
        for instr in body {
            self.step()?;
            match instr {
                Instr::Text(text) => out.text(text),
                Instr::Nothing => {}
                Instr::Message { terminate } => {
                    if *terminate {
                        return Err("xsl:message terminated the transform".to_string());
                    }
                }
                Instr::Literal { element, attributes, body } => {
                    let mut element = element.clone();
                    for (attribute, value) in attributes {
                        let mut attribute = attribute.clone();
                        attribute.value = self.avt(value, node, scope)?;
                        element.attributes.push(attribute);
                    }
                    out.start(element)?;
                    self.exec(body, node, scope, out)?;
                    out.end();
                }
                Instr::ApplyTemplates { select, mode, params } => {
                    let nodes = match select {
                        Some(select) => self.nodes(select, node, scope)?,
                        None => node.children(),
                    };
                    let params = self.params(params, node, scope)?;
                    let globals = self.globals_of(scope);
                    self.apply(nodes, mode.as_ref(), &globals, &params, out)?;
                }
                Instr::CallTemplate { name, params } => {
                    let Some(index) = self.sheet.templates.iter().position(|t| t.name.as_ref() == Some(name)) else {
                        return Err(format!("no template is named `{}`", name.local));
                    };
                    let params = self.params(params, node, scope)?;
                    let globals = self.globals_of(scope);
                    self.instantiate(index, node, &globals, &params, out)?;
                }
                Instr::ForEach { select, body } => {
                    for each in self.nodes(select, node, scope)? {
                        self.exec(body, each, scope, out)?;
                    }
                }
                Instr::If { test, body } => {
                    if self.eval(test, node, scope)?.boolean() {
                        self.exec(body, node, scope, out)?;
                    }
                }
                Instr::Choose { whens, otherwise } => {
                    let mut chosen = None;
                    for (test, body) in whens {
                        if self.eval(test, node, scope)?.boolean() {
                            chosen = Some(body);
                            break;
                        }
                    }
                    self.exec(chosen.unwrap_or(otherwise), node, scope, out)?;
                }
                Instr::ValueOf { select } => {
                    let value = self.eval(select, node, scope)?;
                    out.text(&self.string(&value));
                }
                Instr::CopyOf { select } => match self.eval(select, node, scope)? {
                    SxdValue::Nodeset(nodes) => {
                        for each in self.ordered(&nodes) {
                            self.copy_node(each, out)?;
                        }
                    }
                    other => out.text(&self.string(&other)),
                },
                Instr::Copy { body } => match node {
                    Node::Element(element) if !self.fragments.contains(&element) => {
                        let name = element.name();
                        let mut copy = XmlElement::new(name.namespace_uri(), name.local_part());
                        copy.prefix = element.preferred_prefix().map(str::to_string);
                        // xsl:copy copies the namespace nodes too.
                        copy.namespaces = element
                            .namespaces_in_scope()
                            .into_iter()
                            .filter(|ns| ns.prefix() != "xml")
                            .map(|ns| NamespaceDecl { prefix: Some(ns.prefix().to_string()), uri: Arc::from(ns.uri()) })
                            .collect();
                        out.start(copy)?;
                        self.exec(body, node, scope, out)?;
                        out.end();
                    }
                    Node::Root(_) | Node::Element(_) => self.exec(body, node, scope, out)?,
                    Node::Attribute(attribute) => out.attribute(attribute_value(attribute))?,
                    Node::Text(text) => out.text(text.text()),
                    _ => {}
                },
                Instr::Element { name, namespace, scope: namespaces, body } => {
                    let name = self.avt(name, node, scope)?;
                    let namespace = namespace.as_ref().map(|n| self.avt(n, node, scope)).transpose()?;
                    let (uri, local, prefix) = self.computed_name(&name, namespace, namespaces, true)?;
                    let mut element = XmlElement::new(uri.as_deref(), &local);
                    element.prefix = prefix;
                    out.start(element)?;
                    self.exec(body, node, scope, out)?;
                    out.end();
                }
                Instr::Attribute { name, namespace, scope: namespaces, body } => {
                    let name = self.avt(name, node, scope)?;
                    let namespace = namespace.as_ref().map(|n| self.avt(n, node, scope)).transpose()?;
                    let (uri, local, prefix) = self.computed_name(&name, namespace, namespaces, false)?;
                    let mut content = Out::default();
                    self.exec(body, node, scope, &mut content)?;
                    let value = children_text(&content.finish());
                    out.attribute(XmlAttribute { namespace: uri.map(|u| Arc::from(u.as_str())), local, prefix, value })?;
                }
                Instr::Variable(declaration) => {
                    let value = self.var_value(&declaration.value, node, scope)?;
                    scope.push((declaration.name.clone(), value));
                }
            }
        }
        Ok(())
    }

    /// The global part of a scope (templates called from here see only the globals).
    fn globals_of(&self, scope: &Scope<'d>) -> Scope<'d> {
        scope[..self.sheet.globals.len().min(scope.len())].to_vec()
    }
}

fn attribute_value(attribute: dom::Attribute<'_>) -> XmlAttribute {
    let name = attribute.name();
    XmlAttribute {
        namespace: name.namespace_uri().filter(|n| !n.is_empty()).map(Arc::from),
        local: name.local_part().to_string(),
        prefix: attribute.preferred_prefix().map(str::to_string),
        value: attribute.value().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transform(stylesheet: &str, source: &str) -> Result<String, String> {
        let sheet = Stylesheet::compile(stylesheet)?;
        let source = XmlElement::parse(source).map_err(|e| e.to_string())?;
        let result = sheet.transform(&source, &[])?;
        Ok(result
            .iter()
            .map(|node| match node {
                XmlNode::Element(e) => e.canonical(),
                XmlNode::Text(t) => t.clone(),
            })
            .collect())
    }

    /// betsy's `basic/echo.xslt` and `basic/notCompileable.xslt`.
    const BETSY_ECHO: &str = r#"<?xml version='1.0' encoding='UTF-8' ?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="xml"/>
    <xsl:template match="@*|node()">
        <xsl:copy>
            <xsl:apply-templates select="@*|node()"/>
        </xsl:copy>
    </xsl:template>
</xsl:stylesheet>"#;
    const BETSY_NOT_COMPILEABLE: &str = r#"<?xml version='1.0' encoding='UTF-8' ?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns="urn:stylesheets">
    <xsl:output method="xml"/>
    <xsl:template match="@*|node()">
        <xsl:copy>
            <xsl:call-template name="doesNotExist"/>
        </xsl:copy>
    </xsl:template>
</xsl:stylesheet>"#;

    #[test]
    fn the_identity_transform_copies_everything() {
        let source = r#"<ti:a xmlns:ti="urn:ti" x="1"><b>5</b>t<c/></ti:a>"#;
        let out = transform(BETSY_ECHO, source).unwrap();
        assert_eq!(out, XmlElement::parse(source).unwrap().canonical());
    }

    #[test]
    fn calling_a_missing_template_is_refused_at_compile_time() {
        let error = Stylesheet::compile(BETSY_NOT_COMPILEABLE).unwrap_err();
        assert!(error.contains("doesNotExist"), "{error}");
    }

    #[test]
    fn templates_modes_variables_and_instructions() {
        let sheet = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:o="urn:out">
            <xsl:param name="greeting" select="'hi'"/>
            <xsl:template match="/">
                <o:result count="{count(//item)}">
                    <xsl:apply-templates select="//item"/>
                    <xsl:apply-templates select="//item[1]" mode="m"/>
                    <xsl:call-template name="named"><xsl:with-param name="p" select="2"/></xsl:call-template>
                    <xsl:variable name="frag"><x>1</x><x>2</x></xsl:variable>
                    <sum><xsl:value-of select="sum($frag/x)"/></sum>
                    <xsl:for-each select="//item"><xsl:if test=". &gt; 1"><big><xsl:value-of select="."/></big></xsl:if></xsl:for-each>
                    <xsl:choose><xsl:when test="false()">no</xsl:when><xsl:otherwise><g><xsl:value-of select="$greeting"/></g></xsl:otherwise></xsl:choose>
                    <xsl:element name="o:made"><xsl:attribute name="a">v</xsl:attribute></xsl:element>
                    <xsl:copy-of select="$frag"/>
                </o:result>
            </xsl:template>
            <xsl:template match="item"><i><xsl:value-of select="."/></i></xsl:template>
            <xsl:template match="item" mode="m"><first/></xsl:template>
            <xsl:template name="named"><xsl:param name="p" select="0"/><p><xsl:value-of select="$p * 10"/></p></xsl:template>
        </xsl:stylesheet>"#;
        let out = transform(sheet, "<list><item>1</item><item>2</item></list>").unwrap();
        assert_eq!(
            out,
            r#"<ns0:result xmlns:ns0="urn:out" count="2"><i>1</i><i>2</i><first/><p>20</p><sum>3</sum><big>2</big><g>hi</g><ns0:made a="v"/><x>1</x><x>2</x></ns0:result>"#
        );
    }

    #[test]
    fn priorities_pick_the_most_specific_rule() {
        let sheet = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="b">B</xsl:template>
            <xsl:template match="*">*</xsl:template>
            <xsl:template match="a/b[@x]">AB</xsl:template>
            <xsl:template match="text()"/>
        </xsl:stylesheet>"#;
        assert_eq!(transform(sheet, "<r><a><b x='1'/><b/></a><c/></r>").unwrap(), "*");
        let sheet =
            sheet.replace("<xsl:template match=\"*\">*</xsl:template>", "<xsl:template match=\"*\"><xsl:apply-templates/></xsl:template>");
        assert_eq!(transform(&sheet, "<r><a><b x='1'/><b/></a><c/></r>").unwrap(), "ABB");
    }

    #[test]
    fn unsupported_features_are_refused() {
        let wrap = |body: &str| {
            format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">{body}</xsl:stylesheet>"#)
        };
        for body in [
            r#"<xsl:include href="x.xsl"/>"#,
            r#"<xsl:key name="k" match="a" use="b"/>"#,
            r#"<xsl:strip-space elements="*"/>"#,
            r#"<xsl:template match="/"><xsl:for-each select="a"><xsl:sort select="."/></xsl:for-each></xsl:template>"#,
            r#"<xsl:template match="/"><xsl:number/></xsl:template>"#,
            r#"<xsl:template match="/"><xsl:value-of select="position()"/></xsl:template>"#,
            r#"<xsl:template match="id('x')"/>"#,
            r#"<xsl:template match="a/.."/>"#,
        ] {
            assert!(Stylesheet::compile(&wrap(body)).is_err(), "{body}");
        }
        assert!(Stylesheet::compile("<a/>").is_err());
        assert!(Stylesheet::compile("<xsl:stylesheet").is_err());
    }

    #[test]
    fn the_identity_transform_handles_the_deepest_values() {
        let mut deep = XmlElement::with_text(None, "d", "x");
        for _ in 1..MAX_DEPTH {
            let mut outer = XmlElement::new(None, "d");
            outer.children.push(XmlNode::Element(deep));
            deep = outer;
        }
        let result = Stylesheet::compile(BETSY_ECHO).unwrap().transform(&deep, &[]).unwrap();
        assert!(matches!(&result[..], [XmlNode::Element(copy)] if copy.canonical() == deep.canonical()));
    }

    #[test]
    fn runaway_recursion_fails_instead_of_overflowing() {
        let sheet = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="/"><xsl:call-template name="loop"/></xsl:template>
            <xsl:template name="loop"><x><xsl:call-template name="loop"/></x></xsl:template>
        </xsl:stylesheet>"#;
        assert!(transform(sheet, "<a/>").is_err());
        let unknown = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="/"><xsl:value-of select="current()"/></xsl:template>
        </xsl:stylesheet>"#;
        assert!(transform(unknown, "<a/>").is_err());
    }
}
