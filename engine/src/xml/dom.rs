//! Between our values and sxd-document trees: building a tree for XPath evaluation, mapping the
//! nodes an XPath selects back to where they are in our values, and converting nodes that are not
//! in any value (results of `bpel:doXslTransform`) back into values.
//!
//! A value becomes the document element of a document of its own, node for node: child `i` of an
//! element in our value is child `i` of the sxd element, so a node's position (a [`NodePath`]) is
//! the same in both trees.

use std::sync::Arc;

use sxd_document::dom;
use sxd_document::QName as SxdQName;
use sxd_xpath::nodeset::Node;

use super::value::{NamespaceDecl, XmlAttribute, XmlElement, XmlNode, MAX_DEPTH};

/// Where a node is inside a value: child indices from the value's element (empty: the element
/// itself), then, for an attribute, the attribute's expanded name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct NodePath {
    pub children: Vec<usize>,
    pub attribute: Option<(Option<Arc<str>>, String)>,
}

/// Builds `element` into `document` (detached: the caller attaches it).
pub(crate) fn build<'d>(document: dom::Document<'d>, element: &XmlElement) -> dom::Element<'d> {
    build_at(document, element, 1)
}

fn build_at<'d>(document: dom::Document<'d>, element: &XmlElement, depth: usize) -> dom::Element<'d> {
    let out = document.create_element(SxdQName::with_namespace_uri(element.namespace.as_deref(), &element.local));
    if let Some(prefix) = &element.prefix {
        out.set_preferred_prefix(Some(prefix));
    }
    for declaration in &element.namespaces {
        match &declaration.prefix {
            Some(prefix) if !declaration.uri.is_empty() => out.register_prefix(prefix, &declaration.uri),
            Some(_) => {}
            None => out.set_default_namespace_uri(Some(&*declaration.uri).filter(|u| !u.is_empty())),
        }
    }
    for attribute in &element.attributes {
        let added =
            out.set_attribute_value(SxdQName::with_namespace_uri(attribute.namespace.as_deref(), &attribute.local), &attribute.value);
        if let Some(prefix) = &attribute.prefix {
            added.set_preferred_prefix(Some(prefix));
        }
    }
    for child in &element.children {
        match child {
            XmlNode::Element(child) if depth < MAX_DEPTH * 2 => out.append_child(build_at(document, child, depth + 1)),
            XmlNode::Element(_) => {}
            XmlNode::Text(text) => out.append_child(document.create_text(text)),
        }
    }
    out
}

/// The document element of `document`, if it has one.
#[cfg(test)]
pub(crate) fn document_element(document: dom::Document<'_>) -> Option<dom::Element<'_>> {
    document.root().children().into_iter().find_map(|child| child.element())
}

/// The path of `node` from the document element of its document; `None` for the root, for
/// namespace nodes, comments and processing instructions, and for nodes not under the document
/// element (detached trees).
pub(crate) fn path_of(node: Node<'_>) -> Option<NodePath> {
    let (mut current, attribute) = match node {
        Node::Attribute(attribute) => {
            let name = attribute.name();
            let parent = attribute.parent()?;
            (Node::Element(parent), Some((name.namespace_uri().map(Arc::from), name.local_part().to_string())))
        }
        Node::Element(_) | Node::Text(_) => (node, None),
        _ => return None,
    };
    let mut children = Vec::new();
    loop {
        match current.parent()? {
            Node::Root(_) => break,
            parent @ Node::Element(_) => {
                let index = parent.children().iter().position(|child| *child == current)?;
                children.push(index);
                current = parent;
            }
            _ => return None,
        }
    }
    children.reverse();
    Some(NodePath { children, attribute })
}

/// A key that sorts nodes of one document in document order (attributes after their element and
/// before its children); `None` for nodes [`path_of`] cannot place.
pub(crate) fn order_key(path: &NodePath) -> Vec<usize> {
    let mut key: Vec<usize> = path.children.iter().map(|i| i + 1).collect();
    if path.attribute.is_some() {
        key.push(0);
    }
    key
}

/// What a path designates inside a value.
pub(crate) enum Target<'a> {
    Element(&'a XmlElement),
    Attribute(&'a XmlAttribute),
    Text(&'a str),
}

pub(crate) fn node_at<'a>(root: &'a XmlElement, path: &NodePath) -> Option<Target<'a>> {
    let mut element = root;
    let mut children = path.children.iter().peekable();
    while let Some(&index) = children.next() {
        match element.children.get(index)? {
            XmlNode::Element(child) => element = child,
            XmlNode::Text(text) => {
                return (children.peek().is_none() && path.attribute.is_none()).then_some(Target::Text(text));
            }
        }
    }
    match &path.attribute {
        Some((namespace, local)) => {
            element.attributes.iter().find(|a| &a.local == local && a.namespace == *namespace).map(Target::Attribute)
        }
        None => Some(Target::Element(element)),
    }
}

/// The element at `path` (which must not end at a text node or an attribute), mutably.
pub(crate) fn element_at_mut<'a>(root: &'a mut XmlElement, children: &[usize]) -> Option<&'a mut XmlElement> {
    let mut element = root;
    for &index in children {
        match element.children.get_mut(index)? {
            XmlNode::Element(child) => element = child,
            XmlNode::Text(_) => return None,
        }
    }
    Some(element)
}

/// An sxd element as a value (with the declarations in scope on it, so that it stands alone).
pub(crate) fn to_value(element: dom::Element<'_>) -> XmlElement {
    let mut out = convert(element, 1);
    out.namespaces = element
        .namespaces_in_scope()
        .into_iter()
        .filter(|ns| ns.prefix() != "xml")
        .map(|ns| NamespaceDecl { prefix: Some(ns.prefix().to_string()), uri: Arc::from(ns.uri()) })
        .collect();
    if let Some(default) = element.recursive_default_namespace_uri() {
        out.namespaces.push(NamespaceDecl { prefix: None, uri: Arc::from(default) });
    }
    out
}

fn convert(element: dom::Element<'_>, depth: usize) -> XmlElement {
    let name = element.name();
    let mut out = XmlElement::new(name.namespace_uri(), name.local_part());
    out.prefix = element.preferred_prefix().map(str::to_string);
    for attribute in element.attributes() {
        let name = attribute.name();
        out.attributes.push(XmlAttribute {
            namespace: name.namespace_uri().filter(|ns| !ns.is_empty()).map(Arc::from),
            local: name.local_part().to_string(),
            prefix: attribute.preferred_prefix().map(str::to_string),
            value: attribute.value().to_string(),
        });
    }
    for child in element.children() {
        match child {
            dom::ChildOfElement::Element(child) if depth < MAX_DEPTH => out.children.push(XmlNode::Element(convert(child, depth + 1))),
            dom::ChildOfElement::Text(text) if !text.text().is_empty() => match out.children.last_mut() {
                Some(XmlNode::Text(previous)) => previous.push_str(text.text()),
                _ => out.children.push(XmlNode::Text(text.text().to_string())),
            },
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sxd_document::Package;

    #[test]
    fn values_build_and_convert_back_node_for_node() {
        let value = XmlElement::parse(r#"<p:a xmlns:p="urn:p" x="1"><b>t</b>text<p:c y="2"/></p:a>"#).unwrap();
        let package = Package::new();
        let document = package.as_document();
        let built = build(document, &value);
        document.root().append_child(built);
        let back = to_value(document_element(document).unwrap());
        assert!(back.canonical_eq(&value));

        let c = built.children()[2].element().unwrap();
        let attribute = c.attributes()[0];
        let path = path_of(Node::Attribute(attribute)).unwrap();
        assert_eq!(path.children, vec![2]);
        assert!(matches!(node_at(&value, &path), Some(Target::Attribute(a)) if a.value == "2"));
        let text = built.children()[1].text().unwrap();
        let path = path_of(Node::Text(text)).unwrap();
        assert!(matches!(node_at(&value, &path), Some(Target::Text("text"))));
        assert_eq!(path_of(Node::Root(document.root())), None);
        assert!(order_key(&path_of(Node::Element(c)).unwrap()) > order_key(&path));
    }
}
