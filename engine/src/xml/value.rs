//! The values BPEL variables hold: XML element trees, and messages made of named parts.
//!
//! Everything here is plain data with serde (a running instance's variables live in its
//! checkpoints), compact (namespace URIs are shared `Arc<str>`s in memory), and deterministic (no
//! hash maps: attribute and part order is kept as written).
//!
//! One representation serves every kind of variable (see [`super::types::VarType`]):
//!
//! - an **element** variable (or element-typed part) holds the element itself;
//! - a **type** variable (or type-typed part), simple or complex, holds a *container* element named
//!   after the variable (or the part), in no namespace, whose attributes and children are the value
//!   (for a simple type: one text node). This is the "synthesized element" of WS-BPEL 2.0 §8.2.2 and
//!   the accessor element of an rpc/literal SOAP part;
//! - a **message** variable holds a [`Message`]: its type and its initialized parts.
//!
//! A variable that was never assigned has no value at all (`Option<Value>` is `None` where the
//! runtime keeps it); a message may also be partly initialized (some parts missing).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::QName;
use crate::syntax::{self, NamespaceScopes};

/// An XML element: expanded name (with the prefix it was written with), namespace declarations,
/// attributes and children. Comments and processing instructions are not kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XmlElement {
    pub namespace: Option<Arc<str>>,
    pub local: String,
    /// The prefix to write the name with (`None`: the default namespace, or no namespace).
    pub prefix: Option<String>,
    /// Declarations made on this element (for an element taken out of a document: every
    /// declaration in scope there), so that QNames inside text and attribute values stay resolvable
    /// when the element is written out. `prefix: None` is the default namespace; an empty URI
    /// undeclares it.
    pub namespaces: Vec<NamespaceDecl>,
    pub attributes: Vec<XmlAttribute>,
    pub children: Vec<XmlNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceDecl {
    pub prefix: Option<String>,
    pub uri: Arc<str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XmlAttribute {
    pub namespace: Option<Arc<str>>,
    pub local: String,
    pub prefix: Option<String>,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum XmlNode {
    Element(XmlElement),
    Text(String),
}

/// What a variable (or a fault) holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Message(Message),
    /// An element variable's element, or a type variable's container element.
    Element(XmlElement),
}

/// A WSDL message value: its type and the parts that are initialized, in the order they were set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message_type: QName,
    pub parts: Vec<Part>,
}

/// An initialized part: the element (element-typed part) or the container named after the part
/// (type-typed part).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub value: XmlElement,
}

/// Elements nested deeper than this are refused (a copy that would create one faults): values
/// are walked recursively, and the XML reader stops at the same depth.
pub const MAX_DEPTH: usize = 256;

impl XmlElement {
    /// An empty element. `namespace` `None` or empty: no namespace.
    pub fn new(namespace: Option<&str>, local: &str) -> XmlElement {
        XmlElement {
            namespace: namespace.filter(|ns| !ns.is_empty()).map(Arc::from),
            local: local.to_string(),
            prefix: None,
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// An element named `name` holding `text` (nothing when `text` is empty).
    pub fn with_text(namespace: Option<&str>, local: &str, text: &str) -> XmlElement {
        let mut element = XmlElement::new(namespace, local);
        element.set_text(text);
        element
    }

    pub fn name(&self) -> QName {
        QName::new(self.namespace.as_deref(), &self.local)
    }

    pub fn is(&self, namespace: Option<&str>, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == namespace.filter(|ns| !ns.is_empty())
    }

    pub fn has_name(&self, name: &QName) -> bool {
        self.is(name.namespace.as_deref(), &name.local)
    }

    /// Renames the element, keeping its content; the prefix is dropped when the namespace changes.
    pub fn rename(&mut self, namespace: Option<Arc<str>>, local: &str, prefix: Option<String>) {
        self.namespace = namespace.filter(|ns| !ns.is_empty());
        self.local = local.to_string();
        self.prefix = prefix;
    }

    pub fn child_elements(&self) -> impl Iterator<Item = &XmlElement> {
        self.children.iter().filter_map(|node| match node {
            XmlNode::Element(element) => Some(element),
            XmlNode::Text(_) => None,
        })
    }

    pub fn has_child_elements(&self) -> bool {
        self.children.iter().any(|node| matches!(node, XmlNode::Element(_)))
    }

    /// The character data directly inside this element.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let XmlNode::Text(text) = node {
                out.push_str(text);
            }
        }
        out
    }

    /// The XPath string-value: all character data inside, in document order.
    pub fn string_value(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<std::slice::Iter<'_, XmlNode>> = vec![self.children.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(XmlNode::Text(text)) => out.push_str(text),
                Some(XmlNode::Element(element)) => stack.push(element.children.iter()),
                None => {
                    stack.pop();
                }
            }
        }
        out
    }

    /// Replaces the children by one text node (none when `text` is empty). Attributes stay.
    pub fn set_text(&mut self, text: &str) {
        self.children.clear();
        if !text.is_empty() {
            self.children.push(XmlNode::Text(text.to_string()));
        }
    }

    pub fn attribute(&self, namespace: Option<&str>, local: &str) -> Option<&str> {
        let namespace = namespace.filter(|ns| !ns.is_empty());
        self.attributes.iter().find(|a| a.local == local && a.namespace.as_deref() == namespace).map(|a| a.value.as_str())
    }

    /// Sets (or adds) an attribute.
    pub fn set_attribute(&mut self, namespace: Option<&str>, local: &str, value: &str) {
        let namespace = namespace.filter(|ns| !ns.is_empty());
        match self.attributes.iter_mut().find(|a| a.local == local && a.namespace.as_deref() == namespace) {
            Some(attribute) => attribute.value = value.to_string(),
            None => self.attributes.push(XmlAttribute {
                namespace: namespace.map(Arc::from),
                local: local.to_string(),
                prefix: None,
                value: value.to_string(),
            }),
        }
    }

    /// The number of element levels: 1 for an element without element children.
    pub fn depth(&self) -> usize {
        if !self.has_child_elements() {
            return 1;
        }
        let mut deepest = 0;
        let mut stack: Vec<(&XmlElement, usize)> = vec![(self, 1)];
        while let Some((element, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            stack.extend(element.child_elements().map(|child| (child, depth + 1)));
        }
        deepest
    }

    /// The URI `prefix` is bound to by the declarations kept on this element.
    pub fn declared_namespace(&self, prefix: Option<&str>) -> Option<&str> {
        self.namespaces.iter().rev().find(|d| d.prefix.as_deref() == prefix).map(|d| &*d.uri).filter(|uri| !uri.is_empty())
    }

    /// Adds the declarations of `other` that this element does not make itself (so that QNames in
    /// content copied from `other` stay resolvable).
    pub fn inherit_namespaces(&mut self, other: &[NamespaceDecl]) {
        for declaration in other {
            if !self.namespaces.iter().any(|d| d.prefix == declaration.prefix) {
                self.namespaces.push(declaration.clone());
            }
        }
    }

    /// The element read by the tolerant reader from `element` of a document whose declarations are
    /// `scopes`. The result carries every declaration in scope at `element` (its descendants only
    /// their own), so it can be written out on its own.
    pub fn from_syntax(element: &syntax::Element, scopes: &NamespaceScopes) -> XmlElement {
        let namespaces =
            scopes.in_scope(element.scope).into_iter().rev().map(|(prefix, uri)| NamespaceDecl { prefix, uri: Arc::from(uri) }).collect();
        let mut out = convert_syntax(element, 1);
        out.namespaces = namespaces;
        out
    }

    /// Reads `text` (one element, as in a SOAP body or a scenario file) with the tolerant reader;
    /// any well-formedness error is an `Err` with its message.
    pub fn parse(text: &str) -> Result<XmlElement, XmlParseError> {
        let document = syntax::parse_xml(text);
        if let Some(error) = document.errors.first() {
            return Err(XmlParseError { message: error.message.clone(), offset: error.span.start as usize });
        }
        match &document.root {
            Some(root) => Ok(XmlElement::from_syntax(root, &document.scopes)),
            None => Err(XmlParseError { message: "no element found".to_string(), offset: 0 }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct XmlParseError {
    pub message: String,
    pub offset: usize,
}

fn convert_syntax(element: &syntax::Element, depth: usize) -> XmlElement {
    let mut namespaces = Vec::new();
    let mut attributes = Vec::new();
    for attribute in &element.attributes {
        match (attribute.prefix.as_deref(), attribute.local.as_str()) {
            (None, "xmlns") => namespaces.push(NamespaceDecl { prefix: None, uri: Arc::from(attribute.value.as_str()) }),
            (Some("xmlns"), prefix) => {
                namespaces.push(NamespaceDecl { prefix: Some(prefix.to_string()), uri: Arc::from(attribute.value.as_str()) })
            }
            _ => attributes.push(XmlAttribute {
                namespace: attribute.namespace.clone(),
                local: attribute.local.clone(),
                prefix: attribute.prefix.clone(),
                value: attribute.value.clone(),
            }),
        }
    }
    let mut children = Vec::with_capacity(element.children.len());
    for child in &element.children {
        match child {
            syntax::Node::Element(child) if depth < MAX_DEPTH => children.push(XmlNode::Element(convert_syntax(child, depth + 1))),
            syntax::Node::Element(_) => {}
            syntax::Node::Text(text) if text.value.is_empty() => {}
            syntax::Node::Text(text) => match children.last_mut() {
                Some(XmlNode::Text(previous)) => previous.push_str(&text.value),
                _ => children.push(XmlNode::Text(text.value.clone())),
            },
        }
    }
    XmlElement {
        namespace: element.namespace.clone(),
        local: element.local.clone(),
        prefix: element.prefix.clone(),
        namespaces,
        attributes,
        children,
    }
}

impl Message {
    pub fn new(message_type: QName) -> Message {
        Message { message_type, parts: Vec::new() }
    }

    pub fn part(&self, name: &str) -> Option<&XmlElement> {
        self.parts.iter().find(|p| p.name == name).map(|p| &p.value)
    }

    pub fn part_mut(&mut self, name: &str) -> Option<&mut XmlElement> {
        self.parts.iter_mut().find(|p| p.name == name).map(|p| &mut p.value)
    }

    /// Sets (or replaces) a part.
    pub fn set_part(&mut self, name: &str, value: XmlElement) {
        match self.parts.iter_mut().find(|p| p.name == name) {
            Some(part) => part.value = value,
            None => self.parts.push(Part { name: name.to_string(), value }),
        }
    }

    pub fn with_part(mut self, name: &str, value: XmlElement) -> Message {
        self.set_part(name, value);
        self
    }
}

impl Value {
    /// The value of a variable declared with a simple type (a forEach counter, say): a container
    /// named after the variable holding `text`.
    pub fn simple(variable: &str, text: &str) -> Value {
        Value::Element(XmlElement::with_text(None, variable, text))
    }

    /// The XPath string-value of an element value (all its text); for a message, of its parts
    /// in order.
    pub fn string_value(&self) -> String {
        match self {
            Value::Element(element) => element.string_value(),
            Value::Message(message) => message.parts.iter().map(|p| p.value.string_value()).collect(),
        }
    }

    pub fn as_element(&self) -> Option<&XmlElement> {
        match self {
            Value::Element(element) => Some(element),
            Value::Message(_) => None,
        }
    }

    pub fn as_message(&self) -> Option<&Message> {
        match self {
            Value::Message(message) => Some(message),
            Value::Element(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_syntax_keeps_names_attributes_text_and_declarations() {
        let text = r#"<a:root xmlns:a="urn:a" xmlns="urn:d" x="1" a:y="2"><child>t<![CDATA[&]]>u</child><!-- c --><b:x xmlns:b="urn:b"/></a:root>"#;
        let element = XmlElement::parse(text).unwrap();
        assert!(element.is(Some("urn:a"), "root"));
        assert_eq!(element.prefix.as_deref(), Some("a"));
        assert_eq!(element.attribute(None, "x"), Some("1"));
        assert_eq!(element.attribute(Some("urn:a"), "y"), Some("2"));
        assert_eq!(element.declared_namespace(Some("a")), Some("urn:a"));
        assert_eq!(element.declared_namespace(None), Some("urn:d"));
        let children: Vec<&XmlElement> = element.child_elements().collect();
        assert_eq!(children.len(), 2);
        assert!(children[0].is(Some("urn:d"), "child"));
        assert_eq!(children[0].text(), "t&u");
        assert_eq!(children[0].children.len(), 1, "adjacent text is merged");
        assert!(children[1].is(Some("urn:b"), "x"));
        assert_eq!(children[1].namespaces, vec![NamespaceDecl { prefix: Some("b".into()), uri: Arc::from("urn:b") }]);
        assert_eq!(element.string_value(), "t&u");
        assert_eq!(element.depth(), 2);
    }

    #[test]
    fn parse_errors_are_reported_not_panicked() {
        assert!(XmlElement::parse("<a><b></a>").is_err());
        assert!(XmlElement::parse("").is_err());
        assert!(XmlElement::parse("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>").is_err());
    }

    #[test]
    fn values_serialize_compactly() {
        let element = XmlElement::with_text(Some("urn:ti"), "testElementSyncRequest", "5");
        let value = Value::Message(Message::new(QName::new(Some("urn:ti"), "req")).with_part("inputPart", element));
        let bytes = postcard::to_allocvec(&value).unwrap();
        assert!(bytes.len() < 64, "{} bytes", bytes.len());
        let back: Value = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn messages_set_and_replace_parts() {
        let mut message = Message::new(QName::new(None, "m"));
        message.set_part("a", XmlElement::with_text(None, "a", "1"));
        message.set_part("a", XmlElement::with_text(None, "a", "2"));
        assert_eq!(message.parts.len(), 1);
        assert_eq!(message.part("a").map(XmlElement::text), Some("2".to_string()));
        assert!(message.part("b").is_none());
    }
}
