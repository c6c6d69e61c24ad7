//! Between our values and xee-xpath, for XPath 2.0 (ARCHITECTURE.md, "XPath 2.0: the choice"):
//! each node-bound value built into a xot document of its own, node for node as [`super::super::dom`]
//! does for sxd-document (so a node's [`NodePath`] is the same in both), xee's compiled queries
//! cached per thread, and results (sequences) mapped back to values and to where they are in the
//! variable values. The evaluation itself, with the bindings, is in [`super::evaluate`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use xee_xpath::context::StaticContextBuilder;
use xee_xpath::query::SequenceQuery;
use xee_xpath::{Atomic, Documents, Item, Queries, Sequence};
use xot::xmlname::{NameStrInfo, OwnedName};
use xot::Xot;

use super::compile::{Compiled, COMPUTED_NS, COMPUTED_PREFIX};
use super::interface::{node_in_value, xpath_number, Location, NodeValue, Prim, XPathNode, XPathValue};
use crate::fault::{Fault, StandardFault};
use crate::xml::dom::{self as xdom, NodePath};
use crate::xml::value::{XmlAttribute, XmlElement, XmlNode, MAX_DEPTH};

pub(super) fn sub_language(message: impl Into<String>) -> Fault {
    Fault::standard(StandardFault::SubLanguageExecutionFault, message)
}

thread_local! {
    /// xee's compiled queries (not `Send`), by text, variable names and namespaces.
    static XEE_CACHE: RefCell<HashMap<String, Rc<SequenceQuery>>> = RefCell::new(HashMap::new());
}

/// Entries kept per thread before the cache starts over.
const XEE_CACHE_LIMIT: usize = 4096;

pub(super) fn xee_compiled(text: &str, names: &[OwnedName], prefixes: &[(String, String)]) -> Result<Rc<SequenceQuery>, String> {
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
    builder.add_namespace(COMPUTED_PREFIX, COMPUTED_NS);
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
pub(super) struct Source<'v> {
    pub(super) document: xot::Node,
    pub(super) element: Cow<'v, XmlElement>,
    pub(super) variable: Option<&'v str>,
    pub(super) part: Option<&'v str>,
}

/// The documents of one evaluation.
pub(crate) struct XeeDocs<'v> {
    pub(super) documents: Documents,
    pub(super) sources: Vec<Source<'v>>,
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
        self.place(node)
            .and_then(|(index, path)| {
                let source = &self.sources[index];
                node_in_value(&source.element, source.variable, source.part, path)
            })
            .unwrap_or_else(|| XPathNode { location: None, node: NodeValue::Other(self.xot().string_value(node)) })
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
pub(super) fn build_document(xot: &mut Xot, element: &XmlElement) -> Result<(xot::Node, xot::Node), Fault> {
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
pub(super) fn atomic(prim: &Prim) -> Atomic {
    match prim {
        Prim::Boolean(b) => Atomic::from(*b),
        Prim::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Atomic::from(*n as i64),
        Prim::Number(n) => Atomic::from(*n),
        Prim::String(s) => Atomic::from(s.as_str()),
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
