//! Values to text: XML for the wire (SOAP bodies, the REPL), and a canonical form for comparing
//! values (scenario expectations). The methods `to_xml`, `canonical` and `canonical_eq` of the
//! values are defined here, so that `value` knows nothing of writing.

use std::sync::Arc;

use super::value::{Value, XmlElement, XmlNode};

impl XmlElement {
    /// The element as XML text (see [`to_xml`]).
    pub fn to_xml(&self) -> String {
        to_xml(self)
    }

    /// The canonical text of the element, for comparing values (see [`canonical`]).
    pub fn canonical(&self) -> String {
        canonical(self)
    }

    /// Whether two elements are equal after canonicalisation.
    pub fn canonical_eq(&self, other: &XmlElement) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Value {
    /// Whether two values are equal after canonicalisation (parts compared by name).
    pub fn canonical_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Element(a), Value::Element(b)) => a.canonical_eq(b),
            (Value::Message(a), Value::Message(b)) => {
                a.message_type == b.message_type
                    && a.parts.len() == b.parts.len()
                    && a.parts.iter().all(|part| b.part(&part.name).is_some_and(|other| part.value.canonical_eq(other)))
            }
            _ => false,
        }
    }
}

/// The element as XML text, with every namespace it uses declared (see [`write_xml`]).
pub fn to_xml(element: &XmlElement) -> String {
    let mut out = String::new();
    write_xml(&mut out, element, &[]);
    out
}

/// Appends `element` as XML text to `out`. `in_scope` are the declarations already in force where
/// the element is written (a SOAP envelope's, say: `(None, uri)` is the default namespace); they
/// are not repeated. The element's own declarations are written unless already in force; a prefix
/// or default namespace that a name needs is declared where needed, and a name whose prefix is
/// bound to another namespace gets a fresh prefix. The text written always reads back as the same
/// names, attributes and character data.
pub fn write_xml(out: &mut String, element: &XmlElement, in_scope: &[(Option<String>, String)]) {
    let mut scope = Scope { bindings: in_scope.iter().map(|(p, u)| (p.clone(), Arc::from(u.as_str()))).collect(), generated: 0 };
    write_element(out, element, &mut scope);
}

struct Scope {
    /// Declarations in force, outermost first; an empty URI undeclares the default namespace.
    bindings: Vec<(Option<String>, Arc<str>)>,
    generated: usize,
}

impl Scope {
    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        self.bindings.iter().rev().find(|(p, _)| p.as_deref() == prefix).map(|(_, u)| &**u)
    }

    fn bound(&self, prefix: Option<&str>, uri: &str) -> bool {
        match self.lookup(prefix) {
            Some(bound) => bound == uri,
            None => prefix.is_none() && uri.is_empty(),
        }
    }

    /// A prefix (not the default namespace) bound to `uri`, if any and not shadowed.
    fn prefix_for(&self, uri: &str) -> Option<String> {
        self.bindings
            .iter()
            .rev()
            .filter_map(|(p, u)| p.as_ref().filter(|_| &**u == uri))
            .find(|p| self.lookup(Some(p)) == Some(uri))
            .cloned()
    }

    fn fresh_prefix(&mut self) -> String {
        loop {
            let candidate = format!("ns{}", self.generated);
            self.generated += 1;
            if self.lookup(Some(&candidate)).is_none() {
                return candidate;
            }
        }
    }

    fn declare(&mut self, out: &mut String, prefix: Option<&str>, uri: &str) {
        match prefix {
            Some(prefix) => {
                out.push_str(" xmlns:");
                out.push_str(prefix);
            }
            None => out.push_str(" xmlns"),
        }
        out.push_str("=\"");
        escape_attribute(out, uri);
        out.push('"');
        self.bindings.push((prefix.map(str::to_string), Arc::from(uri)));
    }
}

fn write_element(out: &mut String, element: &XmlElement, scope: &mut Scope) {
    let mark = scope.bindings.len();
    // The name and the attributes are written after the declarations they need are known.
    let mut head = String::new();

    for declaration in &element.namespaces {
        let prefix = declaration.prefix.as_deref();
        // `xmlns:p=""` is not allowed in XML 1.0 namespaces; a default namespace that the element
        // itself must not be in is handled with its name below.
        if prefix.is_some() && declaration.uri.is_empty() {
            continue;
        }
        if prefix.is_none() && element.prefix.is_none() && element.namespace.as_deref().unwrap_or("") != &*declaration.uri {
            continue;
        }
        if !scope.bound(prefix, &declaration.uri) {
            scope.declare(&mut head, prefix, &declaration.uri);
        }
    }

    let name = qualified_name(element.namespace.as_deref(), &element.local, element.prefix.as_deref(), true, mark, scope, &mut head);
    out.push('<');
    out.push_str(&name);
    let mut attributes = String::new();
    for attribute in &element.attributes {
        let name =
            qualified_name(attribute.namespace.as_deref(), &attribute.local, attribute.prefix.as_deref(), false, mark, scope, &mut head);
        attributes.push(' ');
        attributes.push_str(&name);
        attributes.push_str("=\"");
        escape_attribute(&mut attributes, &attribute.value);
        attributes.push('"');
    }
    out.push_str(&head);
    out.push_str(&attributes);
    if element.children.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for child in &element.children {
            match child {
                XmlNode::Text(text) => escape_text(out, text),
                XmlNode::Element(child) => write_element(out, child, scope),
            }
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
    scope.bindings.truncate(mark);
}

/// The name to write for `namespace`/`local`, declaring what it needs into `head`. Elements may use
/// the default namespace; attributes in a namespace always need a prefix. `mark` is where the
/// declarations of the element being written start in `scope`.
fn qualified_name(
    namespace: Option<&str>,
    local: &str,
    preferred: Option<&str>,
    is_element: bool,
    mark: usize,
    scope: &mut Scope,
    head: &mut String,
) -> String {
    let declared_here = |scope: &Scope, prefix: Option<&str>| scope.bindings[mark..].iter().any(|(p, _)| p.as_deref() == prefix);
    let Some(uri) = namespace.filter(|ns| !ns.is_empty()) else {
        if is_element && !scope.bound(None, "") {
            scope.declare(head, None, "");
        }
        return local.to_string();
    };
    match preferred.filter(|p| *p != "xmlns" && *p != "xml" && !p.is_empty()) {
        Some(prefix) => {
            if scope.bound(Some(prefix), uri) {
                return format!("{prefix}:{local}");
            }
            if !declared_here(scope, Some(prefix)) {
                scope.declare(head, Some(prefix), uri);
                return format!("{prefix}:{local}");
            }
        }
        None if is_element => {
            if scope.bound(None, uri) {
                return local.to_string();
            }
            if !declared_here(scope, None) {
                scope.declare(head, None, uri);
                return local.to_string();
            }
        }
        None => {}
    }
    if uri == crate::syntax::XML_NS {
        return format!("xml:{local}");
    }
    if let Some(prefix) = scope.prefix_for(uri) {
        return format!("{prefix}:{local}");
    }
    let prefix = scope.fresh_prefix();
    scope.declare(head, Some(&prefix), uri);
    format!("{prefix}:{local}")
}

pub(crate) fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

pub(crate) fn escape_attribute(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

/// The canonical text of an element, for comparing values: namespaces get the prefixes `ns0`,
/// `ns1`... in order of first use, all declared on the outermost element (no default namespace);
/// attributes are sorted by namespace and local name; whitespace-only text between elements is
/// dropped (text in an element without element children is kept as is); adjacent text is merged;
/// namespace declarations themselves are not part of the value. Two values are equal for a
/// scenario when their canonical texts are.
pub fn canonical(element: &XmlElement) -> String {
    let mut uris: Vec<&str> = Vec::new();
    collect_namespaces(element, &mut uris);
    let mut out = String::new();
    canonical_element(&mut out, element, &uris, true);
    out
}

fn collect_namespaces<'a>(element: &'a XmlElement, uris: &mut Vec<&'a str>) {
    let mut stack = vec![element];
    while let Some(element) = stack.pop() {
        let names = element.namespace.as_deref().into_iter().chain(element.attributes.iter().filter_map(|a| a.namespace.as_deref()));
        for uri in names {
            if !uri.is_empty() && !uris.contains(&uri) {
                uris.push(uri);
            }
        }
        let children: Vec<&XmlElement> = element.child_elements().collect();
        stack.extend(children.into_iter().rev());
    }
}

fn canonical_name(out: &mut String, namespace: Option<&str>, local: &str, uris: &[&str]) {
    if let Some(index) = namespace.and_then(|ns| uris.iter().position(|u| *u == ns)) {
        out.push_str("ns");
        out.push_str(&index.to_string());
        out.push(':');
    }
    out.push_str(local);
}

fn canonical_element(out: &mut String, element: &XmlElement, uris: &[&str], outermost: bool) {
    out.push('<');
    canonical_name(out, element.namespace.as_deref(), &element.local, uris);
    if outermost {
        for (index, uri) in uris.iter().enumerate() {
            out.push_str(&format!(" xmlns:ns{index}=\""));
            escape_attribute(out, uri);
            out.push('"');
        }
    }
    let mut attributes: Vec<_> = element.attributes.iter().collect();
    attributes.sort_by(|a, b| (a.namespace.as_deref().unwrap_or(""), &a.local).cmp(&(b.namespace.as_deref().unwrap_or(""), &b.local)));
    for attribute in attributes {
        out.push(' ');
        canonical_name(out, attribute.namespace.as_deref(), &attribute.local, uris);
        out.push_str("=\"");
        escape_attribute(out, &attribute.value);
        out.push('"');
    }
    let has_elements = element.has_child_elements();
    let mut content = String::new();
    let mut text = String::new();
    for child in &element.children {
        match child {
            XmlNode::Text(t) => text.push_str(t),
            XmlNode::Element(child) => {
                flush_text(&mut content, &mut text, has_elements);
                canonical_element(&mut content, child, uris, false);
            }
        }
    }
    flush_text(&mut content, &mut text, has_elements);
    if content.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        out.push_str(&content);
        out.push_str("</");
        canonical_name(out, element.namespace.as_deref(), &element.local, uris);
        out.push('>');
    }
}

fn flush_text(content: &mut String, text: &mut String, between_elements: bool) {
    if !(between_elements && text.trim().is_empty()) {
        escape_text(content, text);
    }
    text.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::value::{NamespaceDecl, XmlAttribute};

    fn round_trip(text: &str) -> XmlElement {
        let element = XmlElement::parse(text).unwrap();
        let written = to_xml(&element);
        let back = XmlElement::parse(&written).unwrap_or_else(|e| panic!("{written}: {e}"));
        assert!(back.canonical_eq(&element), "{written}");
        back
    }

    #[test]
    fn writing_keeps_prefixes_and_declares_what_is_needed() {
        let element = XmlElement::parse(r#"<ti:a xmlns:ti="urn:ti" x="1"><ti:b>5 &amp; &lt;</ti:b></ti:a>"#).unwrap();
        assert_eq!(to_xml(&element), r#"<ti:a xmlns:ti="urn:ti" x="1"><ti:b>5 &amp; &lt;</ti:b></ti:a>"#);
        round_trip(r#"<a xmlns="urn:d"><b xmlns=""><c/></b></a>"#);
        round_trip(r#"<a xmlns:p="urn:p" p:x="&quot;&#10;"><p:b xmlns:p="urn:other" p:y="2"/></a>"#);
    }

    #[test]
    fn names_without_declarations_get_them() {
        let mut element = XmlElement::new(Some("urn:x"), "root");
        element.attributes.push(XmlAttribute { namespace: Some(Arc::from("urn:y")), local: "a".into(), prefix: None, value: "v".into() });
        let mut child = XmlElement::new(None, "plain");
        child.set_text("t");
        element.children.push(XmlNode::Element(child));
        let text = to_xml(&element);
        assert_eq!(text, r#"<root xmlns="urn:x" xmlns:ns0="urn:y" ns0:a="v"><plain xmlns="">t</plain></root>"#);
        round_trip(&text);
    }

    #[test]
    fn a_prefix_bound_elsewhere_is_not_misused() {
        let mut element = XmlElement::new(Some("urn:a"), "root");
        element.prefix = Some("p".into());
        element.namespaces.push(NamespaceDecl { prefix: Some("p".into()), uri: Arc::from("urn:a") });
        let mut child = XmlElement::new(Some("urn:b"), "child");
        child.prefix = Some("p".into());
        element.children.push(XmlNode::Element(child));
        let text = to_xml(&element);
        let back = XmlElement::parse(&text).unwrap();
        let child = back.child_elements().next().unwrap();
        assert!(child.is(Some("urn:b"), "child"), "{text}");
    }

    #[test]
    fn canonical_form_ignores_prefixes_attribute_order_and_whitespace_between_elements() {
        let a = XmlElement::parse("<p:a xmlns:p='urn:a' y='2' x='1'>\n  <p:b>t</p:b>\n</p:a>").unwrap();
        let b = XmlElement::parse("<a xmlns='urn:a' x='1' y='2'><b>t</b></a>").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.canonical(), r#"<ns0:a xmlns:ns0="urn:a" x="1" y="2"><ns0:b>t</ns0:b></ns0:a>"#);
        let c = XmlElement::parse("<a xmlns='urn:a' x='1' y='2'><b> t</b></a>").unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }
}
