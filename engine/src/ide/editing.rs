//! XML editing comfort over the text of any document (process, WSDL, XSD): links from imports to
//! the files they load, the start and end tag names to edit together, the end tag to insert after
//! `>`, and re-indentation. Each works on the text alone, as the editor has it, and answers any
//! offset of any text without panicking.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::wsdl::WSDL_NS;
use crate::model::xsd::XSD_NS;
use crate::parse::process::BPEL_NS;
use crate::span::Span;
use crate::syntax::{parse_xml, Element, Node, XML_NS};

const BPEL_ABSTRACT_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/abstract";

/// A reference from a document to a local file it loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    /// The location as written, between the quotes.
    pub span: Span,
    pub target: PathBuf,
}

/// The locations of `<import location>` in a process, `<wsdl:import location>` in a WSDL, and
/// `<xsd:import schemaLocation>`, `<xsd:include schemaLocation>` and `<xsd:redefine schemaLocation>`
/// anywhere, resolved against the folder of `path`. Only local files that `exists` accepts are
/// linked: a URL or a missing file is not.
pub fn document_links(path: &Path, text: &str, exists: impl Fn(&Path) -> bool) -> Vec<DocumentLink> {
    let document = parse_xml(text);
    let mut links = Vec::new();
    let mut pending: Vec<&Element> = document.root.iter().collect();
    while let Some(element) = pending.pop() {
        let namespace = element.namespace.as_deref().unwrap_or("");
        let attribute = match element.local.as_str() {
            "import" if [BPEL_NS, BPEL_ABSTRACT_NS, WSDL_NS].contains(&namespace) => element.attr("location"),
            "import" | "include" | "redefine" if namespace == XSD_NS => element.attr("schemaLocation"),
            _ => None,
        };
        if let Some(target) = attribute.and_then(|a| local_target(path, &a.value)).filter(|target| exists(target)) {
            links.push(DocumentLink { span: attribute.map_or(element.name_span, |a| a.value_span), target });
        }
        pending.extend(element.child_elements().collect::<Vec<_>>().into_iter().rev());
    }
    links.sort_by_key(|link| link.span.start);
    links
}

/// The file a location names: relative to the folder of `path`, absolute, or a `file:` URI without
/// a host; `None` for any other URI.
fn local_target(path: &Path, location: &str) -> Option<PathBuf> {
    let location = location.trim();
    if location.is_empty() {
        return None;
    }
    let location = match location.strip_prefix("file://") {
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        Some(_) => return None,
        None if has_scheme(location) => return None,
        None => location.to_string(),
    };
    let location = percent_decoded(&location)?;
    let target = Path::new(&location);
    Some(if target.is_absolute() { target.to_path_buf() } else { path.parent().unwrap_or(Path::new("")).join(target) })
}

/// Whether `location` starts with a URI scheme (`http:`, `urn:`...; one letter is a drive letter).
fn has_scheme(location: &str) -> bool {
    let Some((scheme, _)) = location.split_once(':') else { return false };
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The name of the start tag and the name of the end tag of the element whose start or end tag
/// name holds `offset` (either end counts), to be edited together. `None` for an empty-element
/// tag, and for an element whose end tag is missing or names another element.
pub fn linked_editing_ranges(text: &str, offset: usize) -> Option<[Span; 2]> {
    let document = parse_xml(text);
    let mut pending: Vec<&Element> = document.root.iter().collect();
    while let Some(element) = pending.pop() {
        if !element.span.contains(offset) {
            continue;
        }
        if element.name_span.contains(offset) {
            return end_tag_name(text, element).map(|end| [element.name_span, end]);
        }
        if let Some(end) = end_tag_name(text, element).filter(|end| end.contains(offset)) {
            return Some([element.name_span, end]);
        }
        pending.extend(element.child_elements());
    }
    None
}

/// The name in the end tag of `element`, when it has one that names it.
fn end_tag_name(text: &str, element: &Element) -> Option<Span> {
    let (tag_end, end) = (element.start_tag.end as usize, element.span.end as usize);
    if end <= tag_end {
        return None;
    }
    let content = text.get(tag_end..end)?;
    let inner = content.strip_suffix('>')?;
    let open = inner.rfind("</")?;
    let written = &inner[open + 2..];
    let name = written.trim_end();
    if name != element.qualified_name() {
        return None;
    }
    let start = tag_end + open + 2;
    Some(Span::new(start, start + name.len()))
}

/// The end tag to insert at `offset` when the character before it is the `>` that just closed a
/// start tag `<name ...>`: `</name>`. `None` after `/>`, a `>` in a comment, CDATA section,
/// processing instruction or attribute value, when the end tag follows already, and when the
/// document has as many `</name>` as `<name>` (the element was closed before).
pub fn auto_close_tag(text: &str, offset: usize) -> Option<String> {
    if offset == 0 || text.as_bytes().get(offset - 1) != Some(&b'>') {
        return None;
    }
    let pieces = scan(text);
    let piece = pieces.iter().find(|piece| piece.span.end as usize == offset)?;
    let PieceKind::StartTag { name, self_closing: false } = piece.kind else { return None };
    if ends_in_quotes(&text[piece.span.start as usize..offset - 1]) {
        return None;
    }
    let name = name.slice(text);
    let after = text.get(offset..)?.trim_start();
    if let Some(rest) = after.strip_prefix("</").and_then(|rest| rest.strip_prefix(name)) {
        if rest.starts_with(|c: char| c == '>' || c.is_whitespace()) || rest.is_empty() {
            return None;
        }
    }
    let (mut opened, mut closed) = (0usize, 0usize);
    for piece in &pieces {
        match piece.kind {
            PieceKind::StartTag { name: other, self_closing: false } if other.slice(text) == name => opened += 1,
            PieceKind::EndTag { name: other } if other.slice(text) == name => closed += 1,
            _ => {}
        }
    }
    (opened > closed).then(|| format!("</{name}>"))
}

/// Whether a quoted attribute value is open at the end of `tag` (a start tag's text).
fn ends_in_quotes(tag: &str) -> bool {
    let mut quote: Option<char> = None;
    for c in tag.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    quote.is_some()
}

/// How [`format`] indents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// Columns per nesting level.
    pub tab_size: u32,
    /// Spaces, else tabs.
    pub insert_spaces: bool,
}

impl Default for FormatOptions {
    /// Four spaces, as the examples are written.
    fn default() -> FormatOptions {
        FormatOptions { tab_size: 4, insert_spaces: true }
    }
}

/// One replacement in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the document is not well-formed XML ({message}); it is formatted once it reads without errors")]
    Malformed { message: String, span: Span },
}

/// Re-indents the lines of `text` that start with a tag, a comment or a processing instruction by
/// the nesting depth there, and the attribute lines of a start tag one level deeper. Only indentation that
/// is whitespace between markup changes: comments, CDATA, text, attribute values, and everything
/// inside an element with text content (mixed content), `xml:space="preserve"` or a BPEL
/// `<literal>` stay as written. With `range`, only the lines that start in it. One edit per
/// changed line; formatting the result again changes nothing. A malformed document is refused.
pub fn format(text: &str, options: FormatOptions, range: Option<Span>) -> Result<Vec<TextEdit>, FormatError> {
    let document = parse_xml(text);
    if let Some(error) = document.errors.first() {
        return Err(FormatError::Malformed { message: error.message.clone(), span: error.span });
    }
    let mut keep_children: HashMap<u32, bool> = HashMap::new();
    if let Some(root) = &document.root {
        collect_kept(text, root, false, &mut keep_children);
    }
    let unit = if options.insert_spaces { " ".repeat(options.tab_size.clamp(1, 16) as usize) } else { "\t".to_string() };
    let pieces = scan(text);
    // for each open element: whether the whitespace among its children stays as written
    let mut open: Vec<bool> = Vec::new();
    let mut edits = Vec::new();
    let mut previous_text: Option<&Piece> = None;
    for piece in &pieces {
        let closing = matches!(piece.kind, PieceKind::EndTag { .. });
        if !matches!(piece.kind, PieceKind::Text | PieceKind::CData) {
            let depth = if closing { open.len().saturating_sub(1) } else { open.len() };
            let whitespace_between = previous_text.is_none_or(|t| t.span.slice(text).trim().is_empty());
            let kept = open.last().copied().unwrap_or(false);
            if whitespace_between && !kept {
                if let Some(indent) = line_indent(text, piece.span.start as usize) {
                    let wanted = unit.repeat(depth);
                    if let PieceKind::StartTag { .. } = piece.kind {
                        reindent_attribute_lines(text, piece, &unit.repeat(depth + 1), &mut edits);
                    }
                    if indent.slice(text) != wanted {
                        edits.push(TextEdit { span: indent, new_text: wanted });
                    }
                }
            }
        }
        match piece.kind {
            PieceKind::StartTag { self_closing: false, .. } => {
                open.push(keep_children.get(&piece.span.start).copied().unwrap_or(true));
            }
            PieceKind::EndTag { .. } => {
                open.pop();
            }
            _ => {}
        }
        previous_text = matches!(piece.kind, PieceKind::Text).then_some(piece);
    }
    if let Some(range) = range {
        let first_line = line_start(text, range.start as usize);
        edits.retain(|edit| (first_line..=range.end as usize).contains(&(edit.span.start as usize)));
    }
    edits.sort_by_key(|edit| edit.span.start);
    Ok(edits)
}

/// Records for each element (by the offset of its start tag) whether the whitespace among its
/// children must stay as written.
fn collect_kept(text: &str, element: &Element, inherited: bool, kept: &mut HashMap<u32, bool>) {
    let preserve = match element.attributes.iter().find(|a| a.local == "space" && a.namespace.as_deref() == Some(XML_NS)) {
        Some(space) => space.value == "preserve",
        None => inherited,
    };
    let literal = element.local == "literal" && element.namespace.as_deref().is_some_and(|ns| ns == BPEL_NS || ns == BPEL_ABSTRACT_NS);
    let mixed = element.children.iter().any(|node| match node {
        Node::Text(t) => !t.value.trim().is_empty() || t.span.slice(text).contains("<![CDATA["),
        Node::Element(_) => false,
    });
    kept.insert(element.start_tag.start, preserve || literal || mixed);
    for child in element.child_elements() {
        collect_kept(text, child, preserve || literal, kept);
    }
}

/// The lines inside a start tag that start with an attribute (not inside a quoted value) are
/// indented one level deeper than the tag.
fn reindent_attribute_lines(text: &str, tag: &Piece, wanted: &str, edits: &mut Vec<TextEdit>) {
    let (start, end) = (tag.span.start as usize, tag.span.end as usize);
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    for i in start..end {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (None, b'\n') => {
                let line = i + 1;
                let indent_end = line + bytes[line..end].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
                let blank = indent_end >= end || matches!(bytes[indent_end], b'\n' | b'\r');
                if !blank && &text[line..indent_end] != wanted {
                    edits.push(TextEdit { span: Span::new(line, indent_end), new_text: wanted.to_string() });
                }
            }
            _ => {}
        }
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |newline| newline + 1)
}

/// The indentation before `offset` when only spaces and tabs stand between the line's start and it.
fn line_indent(text: &str, offset: usize) -> Option<Span> {
    let start = line_start(text, offset);
    text.get(start..offset)?.bytes().all(|b| b == b' ' || b == b'\t').then(|| Span::new(start, offset))
}

/// The markup of a text, as far as indentation and tag closing need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    kind: PieceKind,
    span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PieceKind {
    StartTag {
        name: Span,
        self_closing: bool,
    },
    EndTag {
        name: Span,
    },
    Comment,
    CData,
    /// A processing instruction or the XML declaration.
    Instruction,
    /// `<!DOCTYPE ...>` and the like.
    Declaration,
    Text,
}

/// Splits `text` into markup and character data. Unterminated markup runs to the end of the text.
fn scan(text: &str) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut pos = 0;
    let until = |from: usize, terminator: &str| text[from..].find(terminator).map_or(text.len(), |i| from + i + terminator.len());
    while pos < bytes.len() {
        let start = pos;
        let rest = &text[pos..];
        let kind = if rest.starts_with("<!--") {
            pos = until(pos + 4, "-->");
            PieceKind::Comment
        } else if rest.starts_with("<![CDATA[") {
            pos = until(pos + 9, "]]>");
            PieceKind::CData
        } else if rest.starts_with("<?") {
            pos = until(pos + 2, "?>");
            PieceKind::Instruction
        } else if rest.starts_with("<!") {
            pos = declaration_end(bytes, pos + 2);
            PieceKind::Declaration
        } else if let Some(after) = rest.strip_prefix("</") {
            let name_end = pos + 2 + after.find(|c: char| c.is_whitespace() || c == '>' || c == '<').unwrap_or(after.len());
            pos = tag_end(bytes, name_end);
            PieceKind::EndTag { name: Span::new(start + 2, name_end) }
        } else if rest.starts_with('<') && rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':') {
            let after = &rest[1..];
            let name_end = pos + 1 + after.find(|c: char| c.is_whitespace() || c == '>' || c == '/' || c == '<').unwrap_or(after.len());
            pos = tag_end(bytes, name_end);
            let self_closing = bytes.get(pos.wrapping_sub(2)) == Some(&b'/') && bytes.get(pos - 1) == Some(&b'>') && pos - 2 >= name_end;
            PieceKind::StartTag { name: Span::new(start + 1, name_end), self_closing }
        } else {
            pos = bytes[pos + 1..].iter().position(|&b| b == b'<').map_or(text.len(), |i| pos + 1 + i);
            PieceKind::Text
        };
        pieces.push(Piece { kind, span: Span::new(start, pos) });
    }
    pieces
}

/// After the `>` that ends a tag whose name ends at `from` (quoted values may hold `>`); stops
/// before a `<` outside quotes (a tag left open), or at the end of the text.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (None, b'>') => return i + 1,
            (None, b'<') => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// After the `>` of `<!DOCTYPE ...>`, past an internal subset in brackets.
fn declaration_end(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_keeps_every_byte_once() {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a b=\"1>2\"><!-- <c> --><![CDATA[<d>]]>t</a><e/><";
        let pieces = scan(text);
        assert_eq!(pieces.first().map(|p| p.span.start), Some(0));
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].span.end, pair[1].span.start);
        }
        assert_eq!(pieces.last().map(|p| p.span.end as usize), Some(text.len()));
        let kinds: Vec<_> = pieces.iter().map(|p| p.kind).filter(|k| !matches!(k, PieceKind::Text)).collect();
        assert!(matches!(kinds[0], PieceKind::Instruction));
        assert!(matches!(kinds[1], PieceKind::Declaration));
        assert!(matches!(kinds[2], PieceKind::StartTag { self_closing: false, .. }));
        assert!(matches!(kinds[3], PieceKind::Comment));
        assert!(matches!(kinds[4], PieceKind::CData));
        assert!(matches!(kinds[5], PieceKind::EndTag { .. }));
        assert!(matches!(kinds[6], PieceKind::StartTag { self_closing: true, .. }));
    }
}
