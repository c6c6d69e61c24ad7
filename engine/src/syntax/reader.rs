//! Reads text into an [`XmlDocument`] with quick-xml, keeping byte spans and recovering from errors.

use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{names, Attribute, Element, NamespaceScopes, Node, ScopeId, SyntaxError, Text, XmlDocument};
use crate::span::Span;

/// Deeper nesting is refused: consumers walk the tree recursively.
const MAX_DEPTH: usize = 256;

/// Reads `text` into a tree. Never fails: see the module documentation.
pub fn parse_xml(text: &str) -> XmlDocument {
    TreeBuilder::new(text).run()
}

struct TreeBuilder<'t> {
    text: &'t str,
    scopes: NamespaceScopes,
    errors: Vec<SyntaxError>,
    /// Elements whose end tag has not been read yet.
    open: Vec<Element>,
    root: Option<Element>,
    xml_ns: Arc<str>,
}

impl<'t> TreeBuilder<'t> {
    fn new(text: &'t str) -> Self {
        TreeBuilder {
            text,
            scopes: NamespaceScopes::new(),
            errors: Vec::new(),
            open: Vec::new(),
            root: None,
            xml_ns: Arc::from(super::XML_NS),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(SyntaxError { message: message.into(), span });
    }

    fn run(mut self) -> XmlDocument {
        let mut reader = Reader::from_str(self.text);
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        config.trim_text(false);

        loop {
            let before = reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(error) => {
                    let at = (reader.error_position() as usize).min(self.text.len());
                    let end = (reader.buffer_position() as usize).clamp(at, self.text.len());
                    self.error(Span::new(at, end.max(at)), describe_quick_xml_error(&error));
                    // quick-xml cannot always resynchronise; what was read so far is kept.
                    break;
                }
            };
            let after = (reader.buffer_position() as usize).min(self.text.len());
            let span = Span::new(before, after);
            match event {
                Event::Start(start) => {
                    if self.open.len() >= MAX_DEPTH {
                        self.error(span, format!("elements are nested more than {MAX_DEPTH} deep"));
                        break;
                    }
                    let element = self.start_element(&start, span);
                    self.open.push(element);
                }
                Event::Empty(start) => {
                    let element = self.start_element(&start, span);
                    self.attach(Node::Element(element));
                }
                Event::End(end) => {
                    let name = end.name().as_ref().to_string();
                    self.end_element(&name, span);
                }
                Event::Text(raw) => {
                    let raw: &str = &raw;
                    // Whitespace is kept as a span only until its element closes: between child
                    // elements it is dropped, in a leaf it becomes the text (see `settle_text`).
                    let value = if is_xml_whitespace(raw) { String::new() } else { self.unescape(raw, before) };
                    self.text_node(value, span);
                }
                Event::GeneralRef(reference) => {
                    let raw = format!("&{};", &*reference);
                    let value = self.unescape(&raw, before);
                    self.text_node(value, span);
                }
                Event::CData(data) => {
                    let value = data.to_string();
                    self.text_node(value, span);
                }
                Event::DocType(_) => {
                    self.error(span, "DOCTYPE declarations are not supported: no DTD is read and no entity is defined by it");
                }
                Event::PI(instruction) => {
                    let target = instruction.target().to_string();
                    if let Some(problem) = names::pi_target_problem(&target) {
                        self.error(Span::new(before + 2, before + 2 + target.len()), problem);
                    }
                }
                Event::Decl(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }

        let end = self.text.len();
        while let Some(mut element) = self.open.pop() {
            let name = element.qualified_name();
            self.error(
                Span::empty_at(end),
                format!("unexpected end of file: expected `</{name}>` to close the element opened at byte {}", element.span.start),
            );
            element.span.end = end as u32;
            self.settle_text(&mut element);
            self.attach(Node::Element(element));
        }
        if self.root.is_none() && !self.errors.iter().any(|e| e.message.contains("root element")) {
            self.error(Span::empty_at(end), "expected a root element, found none");
        }
        XmlDocument { root: self.root, errors: self.errors, scopes: self.scopes }
    }

    fn namespace_of(&mut self, scope: ScopeId, prefix: Option<&str>) -> Option<Arc<str>> {
        if prefix == Some("xml") {
            return Some(self.xml_ns.clone());
        }
        self.scopes.lookup_shared(scope, prefix).cloned()
    }

    fn current_scope(&self) -> ScopeId {
        self.open.last().map_or(self.scopes.root(), |element| element.scope)
    }

    fn start_element(&mut self, start: &BytesStart<'_>, span: Span) -> Element {
        let qname = start.name().as_ref().to_string();
        let name_start = span.start as usize + 1;
        let name_span = Span::new(name_start, name_start + qname.len());
        let attrs_start = name_span.end as usize;
        let raw = self.read_attributes(start.as_ref().get(qname.len()..).unwrap_or(""), attrs_start);

        let declarations: Vec<(Option<String>, String)> = raw
            .iter()
            .filter_map(|a| match (a.prefix.as_deref(), a.local.as_str()) {
                (None, "xmlns") => Some((None, a.value.clone())),
                (Some("xmlns"), prefix) => Some((Some(prefix.to_string()), a.value.clone())),
                _ => None,
            })
            .collect();
        let parent_scope = self.current_scope();
        let scope = if declarations.is_empty() { parent_scope } else { self.scopes.push(parent_scope, declarations) };

        let (prefix, local) = split_qname(&qname);
        let namespace = self.namespace_of(scope, prefix.as_deref());
        if let Some(problem) = names::qname_problem(&qname) {
            self.error(name_span, format!("element {problem}"));
        } else if prefix.as_deref() == Some("xmlns") {
            self.error(name_span, format!("element `{qname}`: the prefix `xmlns` is reserved for namespace declarations"));
        } else if let (Some(p), None) = (&prefix, &namespace) {
            self.error(name_span, format!("the namespace prefix `{p}` of element `{qname}` is not declared"));
        }

        let mut attributes = Vec::with_capacity(raw.len());
        for mut attribute in raw {
            let is_declaration = attribute.prefix.as_deref() == Some("xmlns") || (attribute.prefix.is_none() && attribute.local == "xmlns");
            if is_declaration {
                attribute.namespace = None;
            } else if let Some(p) = attribute.prefix.clone() {
                // Unprefixed attributes are in no namespace, whatever the default namespace is.
                attribute.namespace = self.namespace_of(scope, Some(&p));
                if attribute.namespace.is_none() {
                    self.error(
                        attribute.name_span,
                        format!("the namespace prefix `{p}` of attribute `{p}:{}` is not declared", attribute.local),
                    );
                }
            }
            attributes.push(attribute);
        }

        Element { prefix, local, namespace, span, start_tag: span, name_span, attributes, children: Vec::new(), scope }
    }

    /// Splits the raw attribute text of a start tag (everything after the element name) into
    /// attributes, reporting malformed ones. `base` is the byte offset of `raw` in the text.
    fn read_attributes(&mut self, raw: &str, base: usize) -> Vec<Attribute> {
        let bytes = raw.as_bytes();
        let mut attributes: Vec<Attribute> = Vec::new();
        let mut i = 0;
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= bytes.len() {
                break;
            }
            let name_start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
                i += 1;
            }
            let name = &raw[name_start..i];
            let name_span = Span::new(base + name_start, base + i);
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] != b'=' {
                self.error(name_span, format!("attribute `{name}` has no value: expected `{name}=\"...\"`"));
                break;
            }
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let quote = match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => {
                    self.error(Span::new(base + i, base + i), format!("the value of attribute `{name}` must be quoted"));
                    break;
                }
            };
            let value_start = i + 1;
            let Some(length) = bytes[value_start..].iter().position(|&b| b == quote) else {
                self.error(Span::new(base + i, base + bytes.len()), format!("the value of attribute `{name}` is not closed"));
                break;
            };
            let value_end = value_start + length;
            i = value_end + 1;
            let value_span = Span::new(base + value_start, base + value_end);
            let value = self.unescape(&raw[value_start..value_end], base + value_start);
            if attributes.iter().any(|a| a.qualified_name() == name) {
                self.error(name_span, format!("attribute `{name}` appears twice on the same element"));
                continue;
            }
            if let Some(problem) = names::qname_problem(name) {
                self.error(name_span, format!("attribute {problem}"));
            }
            let (prefix, local) = split_qname(name);
            attributes.push(Attribute { prefix, local, namespace: None, value, name_span, value_span });
        }
        attributes
    }

    /// Expands the predefined entities and character references in `raw`; an unknown or malformed
    /// reference is reported and kept as written.
    fn unescape(&mut self, raw: &str, base: usize) -> String {
        if !raw.contains('&') {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        let mut offset = base;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let reference_start = offset + amp;
            match after.find(';').filter(|&semi| semi <= 12) {
                Some(semi) => {
                    let name = &after[..semi];
                    let span = Span::new(reference_start, reference_start + semi + 2);
                    match expand_reference(name) {
                        Some(ch) => out.push(ch),
                        None => {
                            self.error(span, format!("unknown entity or character reference `&{name};` (only &lt; &gt; &amp; &quot; &apos; and &#N; are defined)"));
                            out.push_str(&rest[amp..amp + semi + 2]);
                        }
                    }
                    let consumed = amp + semi + 2;
                    rest = &rest[consumed..];
                    offset += consumed;
                }
                None => {
                    self.error(Span::new(reference_start, reference_start + 1), "a bare `&` must be written `&amp;`");
                    out.push('&');
                    rest = after;
                    offset += amp + 1;
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn text_node(&mut self, value: String, span: Span) {
        if self.open.is_empty() {
            if !value.trim().is_empty() {
                self.error(span, "text outside the root element");
            }
            return;
        }
        let source = self.text;
        let parent = self.open.last_mut().expect("checked non-empty");
        if let Some(Node::Text(previous)) = parent.children.last_mut() {
            if previous.span.end == span.start {
                if is_deferred_whitespace(source, previous) {
                    previous.value.push_str(previous.span.slice(source));
                }
                if value.is_empty() && !span.is_empty() && is_xml_whitespace(span.slice(source)) {
                    previous.value.push_str(span.slice(source));
                } else {
                    previous.value.push_str(&value);
                }
                previous.span.end = span.end;
                return;
            }
        }
        parent.children.push(Node::Text(Text { value, span }));
    }

    /// Resolves the whitespace-only text kept as spans in `element`: dropped when the element has
    /// child elements (it is layout), made into text when it has none (it is the value).
    fn settle_text(&self, element: &mut Element) {
        let source = self.text;
        if !element.children.iter().any(|node| matches!(node, Node::Text(text) if is_deferred_whitespace(source, text))) {
            return;
        }
        if element.children.iter().any(|node| matches!(node, Node::Element(_))) {
            element.children.retain(|node| !matches!(node, Node::Text(text) if is_deferred_whitespace(source, text)));
        } else {
            for node in &mut element.children {
                if let Node::Text(text) = node {
                    if is_deferred_whitespace(source, text) {
                        text.value = text.span.slice(source).to_string();
                    }
                }
            }
        }
    }

    fn end_element(&mut self, name: &str, span: Span) {
        let name = name.trim();
        let (prefix, local) = match name.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, name),
        };
        let Some(depth) = self.open.iter().rposition(|element| element.local == local && element.prefix.as_deref() == prefix) else {
            self.error(span, format!("unexpected end tag `</{name}>`: no element `<{name}>` is open here"));
            return;
        };
        while self.open.len() > depth + 1 {
            let mut unclosed = self.open.pop().expect("deeper than depth");
            let unclosed_name = unclosed.qualified_name();
            self.error(
                unclosed.name_span,
                format!("element `<{unclosed_name}>` is not closed: expected `</{unclosed_name}>` before `</{name}>`"),
            );
            unclosed.span.end = span.start;
            self.settle_text(&mut unclosed);
            self.attach(Node::Element(unclosed));
        }
        let mut element = self.open.pop().expect("found at depth");
        element.span.end = span.end;
        self.settle_text(&mut element);
        self.attach(Node::Element(element));
    }

    fn attach(&mut self, node: Node) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(node),
            None => match node {
                Node::Element(element) if self.root.is_none() => self.root = Some(element),
                Node::Element(element) => {
                    self.error(element.span, "a document has one root element; this second one is ignored");
                }
                Node::Text(_) => {}
            },
        }
    }
}

impl Attribute {
    pub fn qualified_name(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}:{}", self.local),
            None => self.local.clone(),
        }
    }
}

fn is_xml_whitespace(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whitespace read but not yet copied out of the source (an empty value over a whitespace span).
fn is_deferred_whitespace(source: &str, text: &Text) -> bool {
    text.value.is_empty() && !text.span.is_empty() && is_xml_whitespace(text.span.slice(source))
}

fn split_qname(name: &str) -> (Option<String>, String) {
    match name.split_once(':') {
        Some((prefix, local)) => (Some(prefix.to_string()), local.to_string()),
        None => (None, name.to_string()),
    }
}

fn expand_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse::<u32>().ok()?
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

fn describe_quick_xml_error(error: &quick_xml::Error) -> String {
    use quick_xml::errors::SyntaxError as S;
    match error {
        quick_xml::Error::Syntax(syntax) => match syntax {
            S::UnclosedTag => "unexpected end of file inside a tag: expected `>`".to_string(),
            S::UnclosedComment => "comment is not closed: expected `-->`".to_string(),
            S::UnclosedCData => "CDATA section is not closed: expected `]]>`".to_string(),
            S::UnclosedPI => "processing instruction is not closed: expected `?>`".to_string(),
            S::UnclosedXmlDecl => "XML declaration is not closed: expected `?>`".to_string(),
            S::UnclosedDoctype => "DOCTYPE is not closed: expected `>`".to_string(),
            other => format!("malformed XML: {other}"),
        },
        other => format!("malformed XML: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_elements_attributes_and_text() {
        let text = r#"<a xmlns="urn:x" xmlns:p="urn:p"><p:b k='v&amp;w'>t&lt;u</p:b><c/></a>"#;
        let doc = parse_xml(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let root = doc.root.unwrap();
        assert_eq!(root.span.slice(text), text);
        assert_eq!(root.namespace.as_deref(), Some("urn:x"));
        let b = root.child_elements().next().unwrap();
        assert_eq!(b.span.slice(text), "<p:b k='v&amp;w'>t&lt;u</p:b>");
        assert_eq!(b.namespace.as_deref(), Some("urn:p"));
        let k = b.attr("k").unwrap();
        assert_eq!(k.value, "v&w");
        assert_eq!(k.value_span.slice(text), "v&amp;w");
        assert_eq!(k.name_span.slice(text), "k");
        assert_eq!(b.text(), "t<u");
        assert_eq!(b.text_span().slice(text), "t&lt;u");
        let c = root.child_elements().nth(1).unwrap();
        assert_eq!(c.span.slice(text), "<c/>");
    }

    #[test]
    fn truncated_text_keeps_partial_tree_and_reports_position() {
        let text = "<a><b x=\"1\"><c>";
        let doc = parse_xml(text);
        let root = doc.root.expect("partial tree");
        assert_eq!(root.child_elements().next().unwrap().attr_value("x"), Some("1"));
        assert!(doc.errors.iter().all(|e| e.span.end as usize <= text.len()));
        assert!(doc.errors.iter().any(|e| e.message.contains("expected `</c>`")));
    }

    #[test]
    fn whitespace_between_elements_is_dropped_and_kept_in_leaves() {
        let text = "<a>\n  <b>  </b>\n  <c> x &amp; y </c><d><![CDATA[]]></d>\n</a>";
        let doc = parse_xml(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let root = doc.root.unwrap();
        assert_eq!(root.children.len(), 3, "only the elements remain: {:?}", root.children);
        let mut children = root.child_elements();
        assert_eq!(children.next().unwrap().text(), "  ");
        assert_eq!(children.next().unwrap().text(), " x & y ");
        assert_eq!(children.next().unwrap().text(), "");
    }

    #[test]
    fn mismatched_end_tag_closes_inner_elements() {
        let doc = parse_xml("<a><b></a>");
        assert_eq!(doc.errors.len(), 1, "{:?}", doc.errors);
        assert!(doc.errors[0].message.contains("`<b>` is not closed"));
        assert_eq!(doc.root.unwrap().child_elements().count(), 1);
    }

    #[test]
    fn entities_from_a_dtd_are_never_expanded() {
        let text = "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>";
        let doc = parse_xml(text);
        assert!(doc.errors.iter().any(|e| e.message.contains("DOCTYPE")));
        assert!(doc.errors.iter().any(|e| e.message.contains("unknown entity")));
        assert_eq!(doc.root.unwrap().text(), "&e;");
    }

    #[test]
    fn undeclared_prefix_is_an_error_at_the_name() {
        let text = "<q:a/>";
        let doc = parse_xml(text);
        assert_eq!(doc.errors[0].span.slice(text), "q:a");
    }

    #[test]
    fn malformed_names_are_errors_at_the_name_and_the_tree_is_kept() {
        for (text, at, says) in [
            ("<1a/>", "1a", "element `1a` is not a name: a name cannot start with `1`"),
            ("<-a></-a>", "-a", "cannot start with `-`"),
            ("<a@b/>", "a@b", "cannot contain `@`"),
            ("<a:b:c xmlns:a='urn:a'/>", "a:b:c", "at most one `:`"),
            ("<xmlns:a xmlns:xmlns='urn:x'/>", "xmlns:a", "reserved for namespace declarations"),
            ("<r 2x='1'/>", "2x", "attribute `2x` is not a name"),
            ("<r a.b='1' c-d='2' e:='3'/>", "e:", "attribute `e:` is not a name"),
            ("<?1pi data?><r/>", "1pi", "cannot start with `1`"),
            ("<r><?XML x?></r>", "XML", "reserved for the XML declaration"),
        ] {
            let doc = parse_xml(text);
            let error = doc.errors.iter().find(|e| e.message.contains(says)).unwrap_or_else(|| panic!("{text}: {:?}", doc.errors));
            assert_eq!(error.span.slice(text), at, "{text}");
            assert!(doc.root.is_some(), "{text}: the tree is kept");
        }
        for text in ["<café xmlns:x='urn:x' x:名前='1'/>", "<?xml version='1.0'?><?xml-stylesheet href='s'?><r/>", "<a_b.c-d/>"] {
            assert_eq!(parse_xml(text).errors, vec![], "{text}");
        }
    }
}
