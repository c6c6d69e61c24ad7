//! What XPath evaluation works with, shared by compilation, evaluation and their users: the role
//! of an expression, the variables it sees ([`Variables`]), the value a query is relative to, and
//! the results ([`XPathValue`], nodes with their [`Location`]), with XPath 1.0's conversions.

use std::sync::Arc;

use sxd_xpath::nodeset::Node;
use sxd_xpath::Value as SxdValue;

use crate::xml::dom::{self as xdom, NodePath};
use crate::xml::types::VarType;
use crate::xml::value::{Value, XmlAttribute, XmlElement, XmlNode};

/// The namespace of the WS-BPEL functions.
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// Whether an XPath is evaluated without a context node (an expression: conditions, `<from>`
/// and `<to>` expressions, durations...) or relative to a value (a query).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XPathRole {
    Expression,
    Query,
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

/// A value of simple type as XPath sees it (§8.2.2): a boolean, a number or a string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prim {
    Boolean(bool),
    Number(f64),
    String(String),
}

impl Prim {
    pub(crate) fn into_value(self) -> XPathValue {
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

/// A node of an sxd tree as a value.
/// The node at `path` inside `element` (the value of `variable`'s `part`, when it is one), owned and
/// with its location: what the nodes of either XPath library's results map back to.
pub(crate) fn node_in_value(element: &XmlElement, variable: Option<&str>, part: Option<&str>, path: NodePath) -> Option<XPathNode> {
    let node = match xdom::node_at(element, &path)? {
        xdom::Target::Element(element) => NodeValue::Element(element.clone()),
        xdom::Target::Attribute(attribute) => NodeValue::Attribute(attribute.clone()),
        xdom::Target::Text(text) => NodeValue::Text(text.to_string()),
    };
    let location = variable.map(|variable| Location { variable: variable.to_string(), part: part.map(str::to_string), path });
    Some(XPathNode { location, node })
}

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
}
