//! The positioned XML tree every document is read into first (BPEL, WSDL, XSD).
//!
//! Reading never fails: a malformed or truncated text yields the tree read so far (open elements are
//! closed at the point of the error) plus a list of [`SyntaxError`]s, each with a span. No external
//! entity is ever resolved and no DTD is processed; only the five predefined entities and character
//! references are expanded.

mod names;
mod reader;

pub use reader::parse_xml;

use std::sync::Arc;

use crate::span::Span;

/// The namespace of the `xml:` prefix, bound in every document.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Clone, Debug, Default)]
pub struct XmlDocument {
    pub root: Option<Element>,
    pub errors: Vec<SyntaxError>,
    pub scopes: NamespaceScopes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// The namespace URI the prefix (or the default namespace) is bound to, if any. Shared with
    /// the declaration: a document has few namespaces and many elements.
    pub namespace: Option<Arc<str>>,
    /// From `<` of the start tag to the `>` of the end tag (or of an empty-element tag).
    pub span: Span,
    pub start_tag: Span,
    pub name_span: Span,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
    /// The namespace declarations in force at this element.
    pub scope: ScopeId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub prefix: Option<String>,
    pub local: String,
    pub namespace: Option<Arc<str>>,
    pub value: String,
    pub name_span: Span,
    /// The value between the quotes.
    pub value_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Element(Element),
    Text(Text),
}

/// Character data: adjacent text, references and CDATA sections are merged into one node.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

impl Element {
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == Some(namespace)
    }

    /// The attribute with this local name and no namespace (how WS-BPEL, WSDL and XSD write theirs).
    pub fn attr(&self, local: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.prefix.is_none() && a.local == local)
    }

    pub fn attr_value(&self, local: &str) -> Option<&str> {
        self.attr(local).map(|a| a.value.as_str())
    }

    pub fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    /// The concatenated character data directly inside this element.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(text) = node {
                out.push_str(&text.value);
            }
        }
        out
    }

    /// The span of the character data directly inside this element, or an empty span after the
    /// start tag when there is none.
    pub fn text_span(&self) -> Span {
        let mut spans = self.children.iter().filter_map(|node| match node {
            Node::Text(text) => Some(text.span),
            Node::Element(_) => None,
        });
        match spans.next() {
            Some(first) => {
                let last = spans.next_back().unwrap_or(first);
                Span { start: first.start, end: last.end }
            }
            None => Span::empty_at(self.start_tag.end as usize),
        }
    }

    pub fn qualified_name(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}:{}", self.local),
            None => self.local.clone(),
        }
    }
}

/// Identifies one set of in-scope namespace declarations in [`NamespaceScopes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ScopeId(pub u32);

/// The namespace declarations of a document as a tree of scopes: an element that declares no
/// namespace shares its parent's scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamespaceScopes {
    frames: Vec<ScopeFrame>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct ScopeFrame {
    parent: Option<ScopeId>,
    /// `None` as prefix is the default namespace; an empty URI undeclares it.
    declarations: Vec<(Option<String>, Arc<str>)>,
}

impl NamespaceScopes {
    /// The root scope, with nothing declared.
    pub fn new() -> NamespaceScopes {
        NamespaceScopes { frames: vec![ScopeFrame { parent: None, declarations: Vec::new() }] }
    }

    pub fn root(&self) -> ScopeId {
        ScopeId(0)
    }

    pub fn push(&mut self, parent: ScopeId, declarations: Vec<(Option<String>, String)>) -> ScopeId {
        if self.frames.is_empty() {
            *self = NamespaceScopes::new();
        }
        let declarations = declarations.into_iter().map(|(prefix, uri)| (prefix, Arc::from(uri))).collect();
        self.frames.push(ScopeFrame { parent: Some(parent), declarations });
        ScopeId(self.frames.len() as u32 - 1)
    }

    /// Binds every prefix declared for `from` to `to` instead (a namespace read as its successor).
    pub fn rebind(&mut self, from: &str, to: &str) {
        let to: Arc<str> = Arc::from(to);
        for frame in &mut self.frames {
            for (_, uri) in &mut frame.declarations {
                if &**uri == from {
                    *uri = to.clone();
                }
            }
        }
    }

    /// The URI bound to `prefix` (`None`: the default namespace) in `scope`.
    pub fn lookup(&self, scope: ScopeId, prefix: Option<&str>) -> Option<&str> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        self.lookup_shared(scope, prefix).map(|uri| &**uri)
    }

    /// Like [`lookup`](Self::lookup), as the shared string (the `xml` prefix is not included).
    pub fn lookup_shared(&self, scope: ScopeId, prefix: Option<&str>) -> Option<&Arc<str>> {
        let mut current = Some(scope);
        while let Some(id) = current {
            let frame = self.frames.get(id.0 as usize)?;
            if let Some((_, uri)) = frame.declarations.iter().rev().find(|(p, _)| p.as_deref() == prefix) {
                return if uri.is_empty() { None } else { Some(uri) };
            }
            current = frame.parent;
        }
        None
    }

    /// Every prefix bound in `scope`, innermost declaration first, each prefix once.
    pub fn in_scope(&self, scope: ScopeId) -> Vec<(Option<String>, String)> {
        let mut seen: Vec<(Option<String>, String)> = Vec::new();
        let mut current = Some(scope);
        while let Some(id) = current {
            let Some(frame) = self.frames.get(id.0 as usize) else { break };
            for (prefix, uri) in frame.declarations.iter().rev() {
                if !seen.iter().any(|(p, _)| p == prefix) {
                    seen.push((prefix.clone(), uri.to_string()));
                }
            }
            current = frame.parent;
        }
        seen.retain(|(_, uri)| !uri.is_empty());
        seen
    }

    /// Splits `prefix:local` and resolves the prefix; an unprefixed name takes the default namespace
    /// (as `xs:QName` values do).
    pub fn resolve_qname<'a>(&self, scope: ScopeId, qname: &'a str) -> Result<(Option<&str>, &'a str), QNameError> {
        let qname = qname.trim();
        match qname.split_once(':') {
            Some((prefix, local)) => {
                if prefix.is_empty() || local.is_empty() || local.contains(':') {
                    return Err(QNameError::Malformed);
                }
                match self.lookup(scope, Some(prefix)) {
                    Some(uri) => Ok((Some(uri), local)),
                    None => Err(QNameError::UnboundPrefix(prefix.to_string())),
                }
            }
            None if qname.is_empty() => Err(QNameError::Malformed),
            None => Ok((self.lookup(scope, None), qname)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QNameError {
    #[error("the namespace prefix `{0}` is not declared")]
    UnboundPrefix(String),
    #[error("not a qualified name (expected `prefix:name` or `name`)")]
    Malformed,
}
