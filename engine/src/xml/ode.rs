//! Apache ODE's XPath extension functions (ODE 1.3, "XPath Extensions", namespace
//! `http://www.apache.org/ode/type/extension`), computed on their evaluated arguments. In ODE they
//! are XPath 2.0 functions; here too (an XPath 1.0 expression that calls one is refused when
//! compiled). `ode:process-property` reads the deployment and is computed by the evaluation.
//!
//! The node functions do not update anything: they return a changed copy of an element, which a
//! `<copy>` then assigns. As in ODE: `insert-before([$context,] $target, $nodes)` and
//! `insert-after(...)` copy the parent of `$target` with `$nodes` inserted before the first / after
//! the last target node; `insert-as-first-into($element, $nodes)`, `insert-as-last-into(...)` copy
//! `$element` with `$nodes` as its first / last children; `delete([$context,] $nodes)` copies the
//! parent of `$nodes` without them; `rename($element, $name)`. The engine knows nodes by where they
//! are, so a target or deleted node must be selected from a variable; its parent is given here as
//! the (located) context element, found by the evaluation.

use super::dom::NodePath;
use super::value::{XmlAttribute, XmlElement, XmlNode};
use super::write::to_xml;
use super::xpath::interface::{Location, NodeValue, Prim, XPathNode, XPathValue};
use crate::fault::{Fault, StandardFault};
use crate::xpath::functions::OdeFunction;

/// What a computed function call gives (an ODE function here; the evaluation computes BPEL's own
/// for XPath 2.0 into the same): one value, or elements to bind as documents.
pub(crate) enum Computed {
    Prim(Prim),
    Elements(Vec<XmlElement>),
}

fn fault(function: OdeFunction, message: impl std::fmt::Display) -> Fault {
    Fault::standard(StandardFault::SubLanguageExecutionFault, format!("ode:{}: {message}", function.name()))
}

/// Computes `function` on `args` (each already evaluated).
pub(crate) fn call(function: OdeFunction, args: Vec<XPathValue>) -> Result<Computed, Fault> {
    let string = |i: usize| args.get(i).map(XPathValue::string).unwrap_or_default();
    match function {
        OdeFunction::SplitToElements => {
            let namespace = (args.len() > 3).then(|| string(3)).filter(|ns| !ns.is_empty());
            let (name, separators) = (string(2), string(1));
            if !crate::xpath::is_ncname(&name) {
                return Err(fault(function, format!("`{name}` is not an element name")));
            }
            let elements = string(0)
                .split(|c| separators.contains(c))
                .filter(|token| !token.is_empty())
                .map(|token| XmlElement::with_text(namespace.as_deref(), &name, token))
                .collect();
            Ok(Computed::Elements(elements))
        }
        OdeFunction::CombineUrl => Ok(Computed::Prim(Prim::String(combine_url(&string(0), &string(1))))),
        OdeFunction::ComposeUrl | OdeFunction::ExpandTemplate => {
            let pairs = template_pairs(function, &args[1..])?;
            let keep_unknown = function == OdeFunction::ExpandTemplate;
            Ok(Computed::Prim(Prim::String(expand_template(&string(0), &pairs, keep_unknown))))
        }
        OdeFunction::DomToString => Ok(Computed::Prim(Prim::String(match args.into_iter().next() {
            Some(XPathValue::Nodes(nodes)) => nodes
                .iter()
                .map(|node| match &node.node {
                    NodeValue::Element(element) => to_xml(element),
                    other => other.string_value(),
                })
                .collect(),
            Some(other) => other.string(),
            None => String::new(),
        }))),
        OdeFunction::InsertAsFirstInto | OdeFunction::InsertAsLastInto => {
            let mut args = args.into_iter();
            let (mut copy, _) = context_element(function, args.next())?;
            let at = if function == OdeFunction::InsertAsFirstInto { 0 } else { copy.children.len() };
            insert(&mut copy, at, &nodes_of(args.next()));
            Ok(Computed::Elements(vec![copy]))
        }
        OdeFunction::InsertBefore | OdeFunction::InsertAfter => {
            // (parent, targets, nodes): the parent found by the evaluation
            let mut args = args.into_iter();
            let (mut copy, location) = context_element(function, args.next())?;
            let targets = child_indices(function, location.as_ref(), &nodes_of(args.next()))?;
            let (Some(&first), Some(&last)) = (targets.iter().min(), targets.iter().max()) else {
                return Err(fault(function, "no node to insert at"));
            };
            let at = if function == OdeFunction::InsertBefore { first } else { last + 1 };
            insert(&mut copy, at, &nodes_of(args.next()));
            Ok(Computed::Elements(vec![copy]))
        }
        OdeFunction::Delete => {
            // (parent, nodes): the parent found by the evaluation
            let mut args = args.into_iter();
            let (mut copy, location) = context_element(function, args.next())?;
            let deleted = nodes_of(args.next());
            let children: Vec<XPathNode> = deleted.iter().filter(|n| !is_attribute(n)).cloned().collect();
            let mut indices = child_indices(function, location.as_ref(), &children)?;
            indices.sort_unstable();
            indices.dedup();
            for index in indices.into_iter().rev() {
                copy.children.remove(index);
            }
            for node in &deleted {
                if let NodeValue::Attribute(attribute) = &node.node {
                    copy.attributes.retain(|a| !(a.local == attribute.local && a.namespace == attribute.namespace));
                }
            }
            Ok(Computed::Elements(vec![copy]))
        }
        OdeFunction::Rename => {
            let mut args = args.into_iter();
            let (context, _) = context_element(function, args.next())?;
            let name = args.next().map(|value| value.string()).unwrap_or_default();
            let mut copy = context.clone();
            let (prefix, local) = match name.split_once(':') {
                Some((prefix, local)) => (Some(prefix), local),
                None => (None, name.as_str()),
            };
            if !crate::xpath::is_ncname(local) || prefix.is_some_and(|p| !crate::xpath::is_ncname(p)) {
                return Err(fault(function, format!("`{name}` is not an element name")));
            }
            // A prefix keeps the namespace it has on the context element (declared there or above).
            let namespace = match prefix {
                Some(prefix) => match copy.namespaces.iter().find(|d| d.prefix.as_deref() == Some(prefix)) {
                    Some(declaration) => Some(declaration.uri.clone()),
                    None if copy.prefix.as_deref() == Some(prefix) => copy.namespace.clone(),
                    None => return Err(fault(function, format!("the prefix of `{name}` is not declared on the element"))),
                },
                None => copy.namespace.clone().filter(|_| copy.prefix.is_none()),
            };
            copy.local = local.to_string();
            copy.prefix = prefix.map(str::to_string);
            copy.namespace = namespace;
            Ok(Computed::Elements(vec![copy]))
        }
        OdeFunction::ProcessProperty => Err(fault(function, "computed by the evaluation, with the deployment")),
    }
}

fn is_attribute(node: &XPathNode) -> bool {
    matches!(node.node, NodeValue::Attribute(_))
}

fn nodes_of(value: Option<XPathValue>) -> Vec<XPathNode> {
    match value {
        Some(XPathValue::Nodes(nodes)) => nodes,
        Some(XPathValue::String(text)) => vec![XPathNode { location: None, node: NodeValue::Text(text) }],
        Some(other) => vec![XPathNode { location: None, node: NodeValue::Text(other.string()) }],
        None => Vec::new(),
    }
}

/// The context node argument: one element, with where it is.
fn context_element(function: OdeFunction, value: Option<XPathValue>) -> Result<(XmlElement, Option<Location>), Fault> {
    match value {
        Some(XPathValue::Nodes(nodes)) if nodes.len() == 1 => {
            let node = nodes.into_iter().next().expect("one node");
            match node.node {
                NodeValue::Element(element) => Ok((element, node.location)),
                _ => Err(fault(function, "the context node must be an element")),
            }
        }
        Some(XPathValue::Nodes(nodes)) => Err(fault(function, format!("the context must be one element, not {} nodes", nodes.len()))),
        _ => Err(fault(function, "the context must be an element")),
    }
}

/// The child indices, in the context element, of `nodes` (which must be its children).
fn child_indices(function: OdeFunction, context: Option<&Location>, nodes: &[XPathNode]) -> Result<Vec<usize>, Fault> {
    let not_children = || fault(function, "the nodes must be children of the context node, selected from the same variable");
    let context = context.ok_or_else(not_children)?;
    nodes
        .iter()
        .map(|node| {
            let location = node.location.as_ref().ok_or_else(not_children)?;
            let NodePath { children, attribute: None } = &location.path else { return Err(not_children()) };
            let same_value = location.variable == context.variable && location.part == context.part;
            match children.split_last() {
                Some((index, parent)) if same_value && parent == context.path.children.as_slice() && context.path.attribute.is_none() => {
                    Ok(*index)
                }
                _ => Err(not_children()),
            }
        })
        .collect()
}

/// `nodes` inserted into `element` at child index `at` (attribute nodes become its attributes).
fn insert(element: &mut XmlElement, at: usize, nodes: &[XPathNode]) {
    let (attributes, children) = split_inserted(nodes);
    element.children.splice(at..at, children);
    for attribute in attributes {
        element.attributes.retain(|a| !(a.local == attribute.local && a.namespace == attribute.namespace));
        element.attributes.push(attribute);
    }
}

/// The nodes to insert: attributes apart, the rest as children (text for anything else).
fn split_inserted(nodes: &[XPathNode]) -> (Vec<XmlAttribute>, Vec<XmlNode>) {
    let mut attributes = Vec::new();
    let mut children = Vec::new();
    for node in nodes {
        match &node.node {
            NodeValue::Element(element) => children.push(XmlNode::Element(element.clone())),
            NodeValue::Attribute(attribute) => attributes.push(attribute.clone()),
            other => children.push(XmlNode::Text(other.string_value())),
        }
    }
    (attributes, children)
}

/// The name/value pairs of `composeUrl` and `expandTemplate`: `name, value, name, value...`, or
/// one element whose child elements' local names and texts are the pairs.
fn template_pairs(function: OdeFunction, args: &[XPathValue]) -> Result<Vec<(String, String)>, Fault> {
    if let [XPathValue::Nodes(nodes)] = args {
        let pairs = nodes
            .iter()
            .flat_map(|node| match &node.node {
                NodeValue::Element(element) => element.children.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .filter_map(|child| match child {
                XmlNode::Element(child) => Some((child.local.clone(), child.string_value())),
                XmlNode::Text(_) => None,
            })
            .collect();
        return Ok(pairs);
    }
    if !args.len().is_multiple_of(2) {
        return Err(fault(function, "takes a template, then pairs of name and value (or one element holding the pairs)"));
    }
    Ok(args.chunks(2).map(|pair| (pair[0].string(), pair[1].string())).collect())
}

/// `{name}` in `template` replaced by the value of `name`, percent-encoded; a name without a value
/// is left as written (`keep_unknown`) or removed.
fn expand_template(template: &str, pairs: &[(String, String)], keep_unknown: bool) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        match pairs.iter().find(|(n, _)| n == name) {
            Some((_, value)) => out.push_str(&percent_encode(value)),
            None if keep_unknown => out.push_str(&rest[open..=close]),
            None => {}
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `relative` resolved against `base` (RFC 3986 §5.2, as `java.net.URL(base, relative)` does for
/// the forms processes use).
fn combine_url(base: &str, relative: &str) -> String {
    let has_scheme = |s: &str| {
        s.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        })
    };
    if has_scheme(relative) || base.is_empty() {
        return relative.to_string();
    }
    let (scheme, after_scheme) = base.split_once("://").unwrap_or(("", base));
    let (authority, path) = match after_scheme.find('/') {
        Some(slash) => (&after_scheme[..slash], &after_scheme[slash..]),
        None => (after_scheme, ""),
    };
    let prefix = if scheme.is_empty() { authority.to_string() } else { format!("{scheme}://{authority}") };
    if let Some(network) = relative.strip_prefix("//") {
        return if scheme.is_empty() { format!("//{network}") } else { format!("{scheme}://{network}") };
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let merged = if relative.starts_with('/') {
        relative.to_string()
    } else if relative.is_empty() {
        path.to_string()
    } else {
        format!("{}{relative}", &path[..path.rfind('/').map_or(0, |slash| slash + 1)])
    };
    let (merged_path, tail) = match merged.find(['?', '#']) {
        Some(at) => (&merged[..at], &merged[at..]),
        None => (merged.as_str(), ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = merged_path.split('/').collect();
    for (i, segment) in parts.iter().enumerate() {
        match *segment {
            "." => {
                if i == parts.len() - 1 {
                    segments.push("");
                }
            }
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
                if i == parts.len() - 1 {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    let mut joined = segments.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    format!("{prefix}{joined}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> XPathValue {
        XPathValue::String(value.into())
    }

    #[test]
    fn urls_combine_and_compose() {
        assert_eq!(combine_url("http://example.com/a/b/c", "d/e"), "http://example.com/a/b/d/e");
        assert_eq!(combine_url("http://example.com/a/b/c", "../d"), "http://example.com/a/d");
        assert_eq!(combine_url("http://example.com/a/b/", "/root?x=1"), "http://example.com/root?x=1");
        assert_eq!(combine_url("http://example.com/a", "https://other.org/x"), "https://other.org/x");
        assert_eq!(combine_url("http://example.com", "x"), "http://example.com/x");
        let pairs = vec![("id".to_string(), "a b/c".to_string())];
        assert_eq!(expand_template("http://h/orders/{id}?q={q}", &pairs, false), "http://h/orders/a%20b%2Fc?q=");
        assert_eq!(expand_template("http://h/orders/{id}?q={q}", &pairs, true), "http://h/orders/a%20b%2Fc?q={q}");
    }

    #[test]
    fn split_to_elements_makes_one_element_per_token() {
        let Ok(Computed::Elements(elements)) =
            call(OdeFunction::SplitToElements, vec![text("a, b,,c"), text(", "), text("item"), text("urn:x")])
        else {
            panic!("elements")
        };
        let texts: Vec<String> = elements.iter().map(|e| e.text()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert!(elements.iter().all(|e| e.is(Some("urn:x"), "item")));
        assert!(call(OdeFunction::SplitToElements, vec![text("a"), text(","), text("not a name")]).is_err());
    }

    fn located(element: XmlElement, children: Vec<usize>) -> XPathNode {
        XPathNode {
            location: Some(Location { variable: "list".into(), part: None, path: NodePath { children, attribute: None } }),
            node: NodeValue::Element(element),
        }
    }

    #[test]
    fn node_functions_return_changed_copies() {
        let list = XmlElement::parse(r#"<l xmlns="urn:l"><i>1</i><i>2</i><i>3</i></l>"#).unwrap();
        let child = |i: usize| match &list.children[i] {
            XmlNode::Element(e) => located(e.clone(), vec![i]),
            XmlNode::Text(_) => unreachable!(),
        };
        let context = || XPathValue::Nodes(vec![located(list.clone(), vec![])]);
        let new = || {
            XPathValue::Nodes(vec![XPathNode {
                location: None,
                node: NodeValue::Element(XmlElement::with_text(Some("urn:l"), "i", "new")),
            }])
        };
        let texts = |value: Result<Computed, Fault>| match value {
            Ok(Computed::Elements(elements)) => elements[0]
                .children
                .iter()
                .map(|c| match c {
                    XmlNode::Element(e) => e.text(),
                    XmlNode::Text(t) => t.clone(),
                })
                .collect::<Vec<_>>(),
            _ => panic!("a copy"),
        };
        assert_eq!(
            texts(call(OdeFunction::InsertBefore, vec![context(), XPathValue::Nodes(vec![child(1)]), new()])),
            ["1", "new", "2", "3"]
        );
        assert_eq!(
            texts(call(OdeFunction::InsertAfter, vec![context(), XPathValue::Nodes(vec![child(1)]), new()])),
            ["1", "2", "new", "3"]
        );
        assert_eq!(texts(call(OdeFunction::InsertAsFirstInto, vec![context(), new()])), ["new", "1", "2", "3"]);
        assert_eq!(texts(call(OdeFunction::InsertAsLastInto, vec![context(), new()])), ["1", "2", "3", "new"]);
        assert_eq!(texts(call(OdeFunction::Delete, vec![context(), XPathValue::Nodes(vec![child(0), child(2)])])), ["2"]);
        let stray = XPathValue::Nodes(vec![XPathNode { location: None, node: NodeValue::Element(XmlElement::new(None, "x")) }]);
        assert!(call(OdeFunction::Delete, vec![context(), stray]).is_err(), "only children of the context can be deleted");
        let Ok(Computed::Elements(renamed)) = call(OdeFunction::Rename, vec![context(), text("list")]) else { panic!() };
        assert!(renamed[0].is(Some("urn:l"), "list") && renamed[0].children.len() == 3);
        let Ok(Computed::Prim(Prim::String(xml))) = call(OdeFunction::DomToString, vec![XPathValue::Nodes(vec![child(0)])]) else {
            panic!()
        };
        assert_eq!(xml, r#"<i xmlns="urn:l">1</i>"#);
    }

    #[test]
    fn attribute_nodes_insert_as_attributes() {
        let element = XmlElement::parse(r#"<a x="1"/>"#).unwrap();
        let attribute = XmlAttribute { namespace: None, local: "y".into(), prefix: None, value: "2".into() };
        let context = XPathValue::Nodes(vec![located(element, vec![])]);
        let inserted = XPathValue::Nodes(vec![XPathNode { location: None, node: NodeValue::Attribute(attribute) }]);
        let Ok(Computed::Elements(out)) = call(OdeFunction::InsertAsLastInto, vec![context, inserted]) else { panic!() };
        assert_eq!(out[0].attributes.len(), 2);
    }
}
