//! XPath 2.0 evaluation with xee-xpath (ARCHITECTURE.md, "XPath 2.0: the choice"): the same
//! bindings as XPath 1.0 (§8.2.2: `$var.part` is an XPath 2.0 variable name as it stands), each
//! node-bound value built into a document of its own in xot, and results mapped back to where they
//! are in the variable values.
//!
//! xee has no API to add functions, so BPEL's functions are computed before the evaluation: at
//! compile time ([`plan`]) each call to one is replaced by a variable of a namespace of our own
//! (`$__bpel:call0`), its arguments compiled as expressions of their own; at evaluation the
//! arguments are evaluated, the function computed in Rust, and the result bound to that variable.
//! That holds for every call whose arguments do not depend on the focus or on a variable bound
//! inside the expression (`for $x in ... return bpel:f($x)`); such a call is refused when the
//! expression is compiled, with a message that says so.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use xee_xpath::context::{StaticContextBuilder, Variables as XeeVariables};
use xee_xpath::query::SequenceQuery;
use xee_xpath::{Atomic, Documents, Item, Queries, Query, Sequence};
use xot::xmlname::{NameStrInfo, OwnedName};
use xot::Xot;

use super::compile::{resolve_qname, Analysis, Compiled};
use super::evaluate::{bind, evaluate, property_value, Bound, XPathEnv};
use super::interface::{xpath_number, Location, NodeValue, Prim, QueryContext, Variables, XPathNode, XPathRole, XPathValue};
use crate::fault::{Fault, StandardFault};
use crate::model::QName;
use crate::span::Span;
use crate::xml::dom::{self as xdom, NodePath};
use crate::xml::functions::{do_xsl_transform, PropValue, XslResult};
use crate::xml::value::{XmlAttribute, XmlElement, XmlNode, MAX_DEPTH};
use crate::xpath::functions::{BPEL_NS, DO_XSL_TRANSFORM, GET_VARIABLE_PROPERTY};
use crate::xpath::{Expr, ExprKind, Language};

/// The namespace of the variables that stand for computed function calls.
const HOST_NS: &str = "urn:bpel-engine:computed-call";
const HOST_PREFIX: &str = "__bpel";

/// How an XPath 2.0 expression is evaluated: its text with BPEL's function calls replaced by
/// variables, and those calls.
#[derive(Debug)]
pub(crate) struct Plan {
    text: String,
    calls: Vec<HostCall>,
}

#[derive(Debug)]
struct HostCall {
    /// The local name of the variable that stands for the call.
    name: String,
    function: HostFunction,
    /// The arguments that are evaluated (those of `bpel:getVariableProperty` are literals).
    args: Vec<Compiled>,
}

#[derive(Debug)]
enum HostFunction {
    GetVariableProperty { variable: String, property: QName },
    DoXslTransform { uri: String },
}

/// The plan of `expr` (the parse of `text`), or why it cannot be evaluated.
pub(super) fn plan(text: &str, expr: &Expr, bindings: &[(Option<String>, String)]) -> Result<Plan, String> {
    let mut calls = Vec::new();
    let mut splices: Vec<(Span, String)> = Vec::new();
    let mut problems = Vec::new();
    expr.visit(&mut |node, _| {
        let ExprKind::FunctionCall(call) = &node.kind else { return true };
        let function = if call.name.is(BPEL_NS, GET_VARIABLE_PROPERTY) {
            // the analysis has checked the form: two literals, a property name with a known prefix
            let literal = |i: usize| call.args.get(i).and_then(Expr::as_literal);
            let (Some(variable), Some(property)) = (literal(0), literal(1)) else { return false };
            let Some(property) = resolve_qname(property, bindings) else { return false };
            HostFunction::GetVariableProperty { variable: variable.to_string(), property }
        } else if call.name.is(BPEL_NS, DO_XSL_TRANSFORM) {
            let Some(uri) = call.args.first().and_then(Expr::as_literal) else { return false };
            HostFunction::DoXslTransform { uri: uri.to_string() }
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
            HostFunction::GetVariableProperty { .. } => &call.args[..0],
            HostFunction::DoXslTransform { .. } => &call.args[1..],
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
        splices.push((node.span, format!("${HOST_PREFIX}:{name}")));
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
fn range_variable(expr: &Expr) -> Option<String> {
    let mut found = None;
    expr.visit(&mut |node, _| {
        if let ExprKind::RangeVariable(name) = &node.kind {
            found.get_or_insert_with(|| name.qualified());
        }
        found.is_none()
    });
    found
}

fn sub_language(message: impl Into<String>) -> Fault {
    Fault::standard(StandardFault::SubLanguageExecutionFault, message)
}

thread_local! {
    /// xee's compiled queries (not `Send`), by text, variable names and namespaces.
    static XEE_CACHE: RefCell<HashMap<String, Rc<SequenceQuery>>> = RefCell::new(HashMap::new());
}

/// Entries kept per thread before the cache starts over.
const XEE_CACHE_LIMIT: usize = 4096;

fn xee_compiled(text: &str, names: &[OwnedName], prefixes: &[(String, String)]) -> Result<Rc<SequenceQuery>, String> {
    let mut key = text.to_string();
    for name in names {
        key.push('\u{0}');
        key.push_str(name.namespace());
        key.push(' ');
        key.push_str(name.local_name());
    }
    for (prefix, uri) in prefixes {
        key.push('\u{1}');
        key.push_str(prefix);
        key.push(' ');
        key.push_str(uri);
    }
    if let Some(found) = XEE_CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
        return Ok(found);
    }
    let mut builder = StaticContextBuilder::default();
    builder.variable_names(names.iter().cloned());
    for (prefix, uri) in prefixes {
        builder.add_namespace(prefix, uri);
    }
    builder.add_namespace(HOST_PREFIX, HOST_NS);
    let queries = Queries::new(builder);
    let query = catch_unwind(AssertUnwindSafe(|| queries.sequence(text)))
        .map_err(|_| format!("xee-xpath failed on `{text}`"))?
        .map_err(|error| format!("`{text}` is not an XPath 2.0 expression: {error}"))?;
    let query = Rc::new(query);
    XEE_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= XEE_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, query.clone());
    });
    Ok(query)
}

/// A value a document was built from, and where it is (no variable: a function's result).
struct Source<'v> {
    document: xot::Node,
    element: Cow<'v, XmlElement>,
    variable: Option<&'v str>,
    part: Option<&'v str>,
}

/// The documents of one evaluation.
pub(crate) struct XeeDocs<'v> {
    documents: Documents,
    sources: Vec<Source<'v>>,
}

impl XeeDocs<'_> {
    fn xot(&self) -> &Xot {
        self.documents.xot()
    }

    /// The source index and path of `node` in the values; `None` for nodes outside them.
    fn place(&self, node: xot::Node) -> Option<(usize, NodePath)> {
        let xot = self.xot();
        let (mut current, attribute) = match xot.value(node) {
            xot::Value::Attribute(attribute) => {
                let (local, namespace) = xot.name_ns_str(attribute.name());
                let namespace = (!namespace.is_empty()).then(|| Arc::from(namespace));
                (xot.parent(node)?, Some((namespace, local.to_string())))
            }
            xot::Value::Element(_) | xot::Value::Text(_) => (node, None),
            _ => return None,
        };
        let mut children = Vec::new();
        loop {
            let parent = xot.parent(current)?;
            if matches!(xot.value(parent), xot::Value::Document) {
                let index = self.sources.iter().position(|source| source.document == parent)?;
                children.reverse();
                return Some((index, NodePath { children, attribute }));
            }
            children.push(xot.children(parent).position(|child| child == current)?);
            current = parent;
        }
    }

    fn location(&self, node: xot::Node) -> Option<Location> {
        let (index, path) = self.place(node)?;
        let source = &self.sources[index];
        Some(Location { variable: source.variable?.to_string(), part: source.part.map(str::to_string), path })
    }

    fn xpath_node(&self, node: xot::Node) -> XPathNode {
        if let Some((index, path)) = self.place(node) {
            let source = &self.sources[index];
            let owned = match xdom::node_at(&source.element, &path) {
                Some(xdom::Target::Element(element)) => Some(NodeValue::Element(element.clone())),
                Some(xdom::Target::Attribute(attribute)) => Some(NodeValue::Attribute(attribute.clone())),
                Some(xdom::Target::Text(text)) => Some(NodeValue::Text(text.to_string())),
                None => None,
            };
            if let Some(owned) = owned {
                let location = source.variable.map(|variable| Location {
                    variable: variable.to_string(),
                    part: source.part.map(str::to_string),
                    path,
                });
                return XPathNode { location, node: owned };
            }
        }
        XPathNode { location: None, node: NodeValue::Other(self.xot().string_value(node)) }
    }

    /// Nodes in a deterministic order: by document (in binding order), then document order.
    fn ordered(&self, nodes: Vec<xot::Node>) -> Vec<xot::Node> {
        let mut keyed: Vec<((usize, Vec<usize>), xot::Node)> = nodes
            .into_iter()
            .map(|node| {
                let key = self.place(node).map_or((usize::MAX, Vec::new()), |(index, path)| (index, xdom::order_key(&path)));
                (key, node)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.1 == b.1);
        keyed.into_iter().map(|(_, node)| node).collect()
    }
}

/// Builds `element` into `xot` as the document element of a new document; returns the document
/// and the element.
fn build_document(xot: &mut Xot, element: &XmlElement) -> Result<(xot::Node, xot::Node), Fault> {
    let root = build_element(xot, element, 1)?;
    let document = xot.new_document_with_element(root).map_err(|error| sub_language(format!("building a value for XPath 2.0: {error}")))?;
    Ok((document, root))
}

fn build_element(xot: &mut Xot, element: &XmlElement, depth: usize) -> Result<xot::Node, Fault> {
    let failed = |error: xot::Error| sub_language(format!("building a value for XPath 2.0: {error}"));
    let name = match element.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        Some(namespace) => {
            let namespace = xot.add_namespace(namespace);
            xot.add_name_ns(&element.local, namespace)
        }
        None => xot.add_name(&element.local),
    };
    let node = xot.new_element(name);
    for declaration in &element.namespaces {
        if let Some(prefix) = declaration.prefix.as_deref().filter(|_| !declaration.uri.is_empty()) {
            let prefix = xot.add_prefix(prefix);
            let namespace = xot.add_namespace(&declaration.uri);
            xot.namespaces_mut(node).insert(prefix, namespace);
        }
    }
    for attribute in &element.attributes {
        let name = attribute_name(xot, attribute);
        xot.attributes_mut(node).insert(name, attribute.value.clone());
    }
    for child in &element.children {
        let built = match child {
            XmlNode::Element(child) if depth < MAX_DEPTH * 2 => build_element(xot, child, depth + 1)?,
            XmlNode::Element(_) => continue,
            XmlNode::Text(text) => xot.new_text(text),
        };
        xot.append(node, built).map_err(failed)?;
    }
    Ok(node)
}

fn attribute_name(xot: &mut Xot, attribute: &XmlAttribute) -> xot::NameId {
    match attribute.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        Some(namespace) => {
            let namespace = xot.add_namespace(namespace);
            xot.add_name_ns(&attribute.local, namespace)
        }
        None => xot.add_name(&attribute.local),
    }
}

/// A BPEL value as XPath 2.0 sees a simple-typed value: booleans, integers (when the number is
/// one), doubles, strings.
fn atomic(prim: &Prim) -> Atomic {
    match prim {
        Prim::Boolean(b) => Atomic::from(*b),
        Prim::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Atomic::from(*n as i64),
        Prim::Number(n) => Atomic::from(*n),
        Prim::String(s) => Atomic::from(s.as_str()),
    }
}

/// What a computed call gives: a value, or elements to build into documents.
enum Computed {
    Prim(Prim),
    Elements(Vec<XmlElement>),
}

fn compute(call: &HostCall, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<Computed, Fault> {
    match &call.function {
        HostFunction::GetVariableProperty { variable, property } => Ok(match property_value(vars, env, variable, property)? {
            PropValue::Prim(prim) => Computed::Prim(prim),
            PropValue::Element(element) => Computed::Elements(vec![element]),
        }),
        HostFunction::DoXslTransform { uri } => {
            let mut values = Vec::with_capacity(call.args.len());
            for arg in &call.args {
                values.push(evaluate(arg, vars, env, None)?);
            }
            let mut values = values.into_iter();
            let source = match values.next() {
                Some(XPathValue::Nodes(nodes)) if nodes.len() == 1 => match nodes.into_iter().next().map(|n| n.node) {
                    Some(NodeValue::Element(element)) => Some(element),
                    _ => None,
                },
                _ => None,
            };
            let mut params = Vec::new();
            while let (Some(name), Some(value)) = (values.next(), values.next()) {
                params.push((name.string(), value));
            }
            let prepared = vec![(uri.clone(), env.stylesheets.stylesheet(uri))];
            Ok(match do_xsl_transform(&prepared, call.args.len() + 1, uri, source, &params)? {
                XslResult::Element(element) => Computed::Elements(vec![element]),
                XslResult::Text(text) => Computed::Prim(Prim::String(text)),
            })
        }
    }
}

/// Evaluates `compiled` (XPath 2.0, planned as `plan`) and hands the result to `finish` while
/// the documents live.
pub(super) fn with_xee<T>(
    compiled: &Compiled,
    analysis: &Analysis,
    plan: &Plan,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
    finish: impl FnOnce(&Sequence, &XeeDocs<'_>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let mut docs = XeeDocs { documents: Documents::new(), sources: Vec::new() };
    let mut names: Vec<OwnedName> = Vec::with_capacity(analysis.variables.len() + plan.calls.len());
    let mut values = XeeVariables::default();
    for (name, part) in &analysis.variables {
        let local = match part {
            Some(part) => format!("{name}.{part}"),
            None => name.clone(),
        };
        let sequence = match bind(vars, name, part.as_deref())? {
            Bound::Prim(prim) => Sequence::from(atomic(&prim)),
            Bound::Node { element, variable, part } => {
                let (document, root) = build_document(docs.documents.xot_mut(), element)?;
                docs.sources.push(Source { document, element: Cow::Borrowed(element), variable, part });
                Sequence::from(root)
            }
        };
        let name = OwnedName::new(local, String::new(), String::new());
        names.push(name.clone());
        values.insert(name, sequence);
    }
    for call in &plan.calls {
        let sequence = match compute(call, vars, env)? {
            Computed::Prim(prim) => Sequence::from(atomic(&prim)),
            Computed::Elements(elements) => {
                let mut roots = Vec::with_capacity(elements.len());
                for element in elements {
                    let (document, root) = build_document(docs.documents.xot_mut(), &element)?;
                    docs.sources.push(Source { document, element: Cow::Owned(element), variable: None, part: None });
                    roots.push(root);
                }
                roots.into_iter().collect()
            }
        };
        let name = OwnedName::new(call.name.clone(), HOST_NS.to_string(), HOST_PREFIX.to_string());
        names.push(name.clone());
        values.insert(name, sequence);
    }
    let context_item = match context {
        Some(context) => {
            let (document, root) = build_document(docs.documents.xot_mut(), context.element)?;
            docs.sources.push(Source { document, element: Cow::Borrowed(context.element), variable: context.variable, part: context.part });
            Some(Item::Node(root))
        }
        None => None,
    };
    let query = xee_compiled(&plan.text, &names, &analysis.prefixes).map_err(sub_language)?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        query.execute_build_context(&mut docs.documents, |builder| {
            builder.variables(values);
            if let Some(item) = context_item {
                builder.context_item(item);
            }
        })
    }));
    match result {
        Ok(Ok(sequence)) => finish(&sequence, &docs),
        Ok(Err(error)) => Err(sub_language(format!("evaluating `{}`: {error}", compiled.text()))),
        Err(_) => Err(sub_language(format!("xee-xpath failed while evaluating `{}`", compiled.text()))),
    }
}

/// The canonical lexical form of an atomic value (XML Schema's).
fn atomic_text(atomic: &Atomic, xot: &Xot) -> String {
    Item::Atomic(atomic.clone()).string_value(xot).unwrap_or_default()
}

/// The value of an atomic result as the engine's values see it.
fn atomic_value(atomic: &Atomic, xot: &Xot) -> XPathValue {
    match atomic {
        Atomic::Boolean(b) => XPathValue::Boolean(*b),
        numeric if numeric.is_numeric() => XPathValue::Number(parse_number(&atomic_text(numeric, xot))),
        other => XPathValue::String(atomic_text(other, xot)),
    }
}

/// XPath 2.0's lexical forms of numbers (`1.5E3`, `INF`, `-INF`, `NaN`).
fn parse_number(text: &str) -> f64 {
    match text {
        "INF" => f64::INFINITY,
        "-INF" => f64::NEG_INFINITY,
        _ => text.parse().unwrap_or(f64::NAN),
    }
}

fn too_many(compiled: &Compiled, count: usize) -> Fault {
    sub_language(format!("`{}` gives a sequence of {count} values where one value or nodes are needed", compiled.text()))
}

/// The result as a value: nodes (in order, with locations), or one atomic value.
pub(super) fn sequence_value(compiled: &Compiled, sequence: &Sequence, docs: &XeeDocs<'_>) -> Result<XPathValue, Fault> {
    let items: Vec<Item> = sequence.iter().collect();
    let nodes: Option<Vec<xot::Node>> = items.iter().map(|item| if let Item::Node(node) = item { Some(*node) } else { None }).collect();
    match (nodes, items.as_slice()) {
        (Some(nodes), _) => Ok(XPathValue::Nodes(docs.ordered(nodes).into_iter().map(|node| docs.xpath_node(node)).collect())),
        (None, [Item::Atomic(atomic)]) => Ok(atomic_value(atomic, docs.xot())),
        (None, [_]) => Err(sub_language(format!("`{}` gives a function, which no BPEL value can hold", compiled.text()))),
        (None, items) => Err(too_many(compiled, items.len())),
    }
}

/// The locations of the selected nodes (for `<to>`); `None` when the result is not nodes.
pub(super) fn sequence_locations(sequence: &Sequence, docs: &XeeDocs<'_>) -> Option<Vec<Option<Location>>> {
    let nodes: Option<Vec<xot::Node>> = sequence.iter().map(|item| if let Item::Node(node) = item { Some(node) } else { None }).collect();
    Some(docs.ordered(nodes?).into_iter().map(|node| docs.location(node)).collect())
}

/// XPath 2.0's effective boolean value.
pub(super) fn sequence_boolean(compiled: &Compiled, sequence: &Sequence) -> Result<bool, Fault> {
    sequence.effective_boolean_value().map_err(|error| sub_language(format!("`{}` has no boolean value: {error}", compiled.text())))
}

/// The string value of a result of at most one item (XPath 2.0 `string()`).
pub(super) fn sequence_string(compiled: &Compiled, sequence: &Sequence, docs: &XeeDocs<'_>) -> Result<String, Fault> {
    let items: Vec<Item> = sequence.iter().collect();
    match items.as_slice() {
        [] => Ok(String::new()),
        [Item::Atomic(atomic)] => Ok(atomic_text(atomic, docs.xot())),
        [Item::Node(node)] => Ok(docs.xot().string_value(*node)),
        [_] => Err(sub_language(format!("`{}` gives a function, which has no string value", compiled.text()))),
        items => Err(too_many(compiled, items.len())),
    }
}

/// The number a result of at most one item stands for (XPath 2.0 `number()`).
pub(super) fn sequence_number(compiled: &Compiled, sequence: &Sequence, docs: &XeeDocs<'_>) -> Result<f64, Fault> {
    let items: Vec<Item> = sequence.iter().collect();
    match items.as_slice() {
        [Item::Atomic(atomic)] => Ok(match atomic_value(atomic, docs.xot()) {
            XPathValue::Number(n) => n,
            XPathValue::Boolean(b) => f64::from(u8::from(b)),
            other => xpath_number(&other.string()),
        }),
        _ => Ok(xpath_number(&sequence_string(compiled, sequence, docs)?)),
    }
}
