//! XPath 1.0 and 2.0 as WS-BPEL uses them: expressions and queries parsed into a tree with byte
//! spans into the expression text, with BPEL's `$variable.part` syntax and function names resolved
//! against the in-scope namespaces. For diagnostics and static checks: parsing is one pass over the tokens
//! with one token of lookahead, and a syntax error says what was expected where.
//!
//! ```
//! use bpel_engine::xpath::{self, ExprKind, NoNamespaces};
//! let expr = xpath::parse("$order.amount > 1000", &NoNamespaces).unwrap();
//! assert!(matches!(expr.kind, ExprKind::Binary { .. }));
//! assert_eq!(expr.to_string(), "$order.amount > 1000");
//! let error = xpath::parse("count($items", &NoNamespaces).unwrap_err();
//! assert_eq!(error.message, "expected `,` or `)` to close the argument list, found the end of the expression");
//! ```

mod ast;
pub mod fold;
pub mod functions;
mod lexer;
mod parser;
mod print;

pub use ast::*;
pub use lexer::{is_ncname, is_qname};

use crate::span::Span;
use crate::syntax::{NamespaceScopes, ScopeId};

/// The expression and query language WS-BPEL 2.0 defines by default.
pub const XPATH_1_0: &str = "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0";
/// XPath 2.0 (Apache ODE's default).
pub const XPATH_2_0: &str = "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0";
/// XQuery 1.0 (refused: named in SA00004).
pub const XQUERY_1_0: &str = "urn:oasis:names:tc:wsbpel:2.0:sublang:xquery1.0";

/// The expression languages this engine runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    XPath1,
    XPath2,
}

impl Language {
    /// The language a URI names (absent: the default, XPath 1.0); `None` for one this engine does
    /// not run.
    pub fn from_uri(uri: Option<&str>) -> Option<Language> {
        match uri.map(str::trim) {
            None | Some(XPATH_1_0) => Some(Language::XPath1),
            Some(XPATH_2_0) => Some(Language::XPath2),
            Some(_) => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::XPath1 => "XPath 1.0",
            Language::XPath2 => "XPath 2.0",
        }
    }
}

/// An XPath syntax error: where (relative to the expression text) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XPathError {
    pub span: Span,
    pub message: String,
}

impl XPathError {
    pub fn new(span: Span, message: impl Into<String>) -> XPathError {
        XPathError { span, message: message.into() }
    }
}

impl std::fmt::Display for XPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for XPathError {}

/// The namespace bindings in force where an expression is written.
pub trait Namespaces {
    /// The URI `prefix` is bound to.
    fn namespace(&self, prefix: &str) -> Option<&str>;
}

/// No prefix is bound (every prefixed name is reported unbound).
pub struct NoNamespaces;

impl Namespaces for NoNamespaces {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        (prefix == "xml").then_some(crate::syntax::XML_NS)
    }
}

/// The declarations of one element of a document.
pub struct InScope<'a> {
    pub scopes: &'a NamespaceScopes,
    pub scope: ScopeId,
}

impl Namespaces for InScope<'_> {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        self.scopes.lookup(self.scope, Some(prefix))
    }
}

/// A list of bindings, innermost first (as a WSDL property alias query keeps them).
impl Namespaces for Vec<(Option<String>, String)> {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(crate::syntax::XML_NS);
        }
        self.iter().find(|(p, _)| p.as_deref() == Some(prefix)).map(|(_, uri)| uri.as_str()).filter(|uri| !uri.is_empty())
    }
}

/// Parses an XPath 1.0 expression (a query is an expression too). Whitespace around it is allowed;
/// an empty text is an error.
pub fn parse(text: &str, namespaces: &dyn Namespaces) -> Result<Expr, XPathError> {
    parse_in(text, namespaces, Language::XPath1)
}

/// Parses an expression of `language`.
pub fn parse_in(text: &str, namespaces: &dyn Namespaces, language: Language) -> Result<Expr, XPathError> {
    #[cfg(test)]
    PARSES.with(|parses| parses.set(parses.get() + 1));
    parser::parse(text, namespaces, language)
}

#[cfg(test)]
thread_local! {
    static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many times this thread has called [`parse`]: tests count parses with it.
#[cfg(test)]
pub(crate) fn parse_count() -> usize {
    PARSES.with(std::cell::Cell::get)
}

/// What a lexical token of an expression is, for highlighting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenClass {
    /// `$name` (with its `$`).
    Variable,
    /// The `part` of `$name.part`.
    Part,
    /// A function name, with its prefix.
    Function,
    String,
    Number,
    /// `=`, `<`, `+`, `|`, `/`, `*` (multiplication)...
    Operator,
    /// The operator names `and`, `or`, `div`, `mod` (and XPath 2.0's `eq`, `idiv`, `return`...).
    Keyword,
}

/// The tokens of `text` worth highlighting, in order, with spans relative to `text`. Names used as
/// steps, brackets and punctuation are left out. Empty when `text` does not tokenize.
pub fn classify_tokens(text: &str, language: Language) -> Vec<(TokenClass, Span)> {
    use lexer::TokenKind as Kind;
    let Ok(tokens) = lexer::tokenize(text, language) else { return Vec::new() };
    let mut classified = Vec::new();
    for token in tokens {
        let class = match token.kind {
            Kind::Plus | Kind::Minus | Kind::Eq | Kind::NotEq | Kind::Lt | Kind::LtEq | Kind::Gt | Kind::GtEq => TokenClass::Operator,
            Kind::Multiply | Kind::Pipe | Kind::Slash | Kind::DoubleSlash | Kind::Precedes | Kind::Follows => TokenClass::Operator,
            Kind::And | Kind::Or | Kind::Mod | Kind::Div | Kind::Word(_) => TokenClass::Keyword,
            Kind::FunctionName { .. } => TokenClass::Function,
            Kind::Literal => TokenClass::String,
            Kind::Number(_) => TokenClass::Number,
            Kind::Variable { colon } => {
                // `$name.part`: the lexer reads one name; the parser splits an unprefixed one at its first `.`
                let name = token.span.slice(text);
                match name.find('.').filter(|_| colon.is_none()) {
                    Some(dot) if dot + 1 < name.len() => {
                        let dot = token.span.start as usize + dot;
                        classified.push((TokenClass::Variable, Span::new(token.span.start as usize, dot)));
                        classified.push((TokenClass::Part, Span::new(dot + 1, token.span.end as usize)));
                        continue;
                    }
                    _ => TokenClass::Variable,
                }
            }
            _ => continue,
        };
        classified.push((class, token.span));
    }
    classified
}

/// Maps spans inside an expression's text (its value: entity references replaced, CDATA sections
/// unwrapped) back to the source file. When the source between the text's first and last
/// character does not read back as the value (an element in between, say), every span maps to the
/// whole text span.
#[derive(Clone, Debug)]
pub struct SourceMap {
    text_span: Span,
    mapping: Mapping,
}

#[derive(Clone, Debug)]
enum Mapping {
    /// The source holds the value as is.
    Shifted,
    /// For each byte of the value, the source it was read from (a character, or a reference).
    Table(Vec<Span>),
    /// Unknown: every span maps to the whole text span.
    Whole,
}

impl SourceMap {
    /// `value` is the expression text, `text_span` where it stands in `source`.
    pub fn new(source: &str, value: &str, text_span: Span) -> SourceMap {
        let written = text_span.slice(source);
        let mapping = if written == value {
            Mapping::Shifted
        } else {
            decoded_offsets(written, value, text_span.start).map_or(Mapping::Whole, Mapping::Table)
        };
        SourceMap { text_span, mapping }
    }

    /// The source span of `inner`, a span relative to the expression text.
    pub fn span(&self, inner: Span) -> Span {
        match &self.mapping {
            Mapping::Shifted => Span { start: self.text_span.start + inner.start, end: self.text_span.start + inner.end },
            Mapping::Table(sources) => {
                let (start, end) = (inner.start as usize, inner.end as usize);
                let start_offset = match sources.get(start) {
                    Some(source) => source.start,
                    None => sources.last().map_or(self.text_span.end, |last| last.end),
                };
                let end_offset = if end > start { sources.get(end - 1).map(|source| source.end) } else { Some(start_offset) };
                end_offset.map_or(self.text_span, |end_offset| Span { start: start_offset, end: end_offset.max(start_offset) })
            }
            Mapping::Whole => self.text_span,
        }
    }

    /// Whether spans map exactly (so a fix may edit inside the expression).
    pub fn is_exact(&self) -> bool {
        !matches!(self.mapping, Mapping::Whole)
    }
}

/// Reads `written` (character data as it stands in the source, starting at `base`) the way the XML
/// reader does, recording where each byte of the result comes from; `None` unless it reads back as
/// `value`.
fn decoded_offsets(written: &str, value: &str, base: u32) -> Option<Vec<Span>> {
    let mut decoded = String::with_capacity(value.len());
    let mut sources = Vec::with_capacity(value.len());
    let mut pos = 0;
    while pos < written.len() {
        let rest = &written[pos..];
        let at = |start: usize, length: usize| Span::new(base as usize + start, base as usize + start + length);
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let length = cdata.find("]]>")?;
            let content_start = pos + "<![CDATA[".len();
            decoded.push_str(&cdata[..length]);
            sources.extend((0..length).map(|i| at(content_start + i, 1)));
            pos = content_start + length + "]]>".len();
        } else if rest.starts_with("<!--") {
            pos += rest.find("-->")? + "-->".len();
        } else if rest.starts_with("<?") {
            pos += rest.find("?>")? + "?>".len();
        } else if rest.starts_with('<') {
            return None;
        } else if rest.starts_with('&') {
            let semi = rest.find(';')?;
            let character = expand_reference(&rest[1..semi])?;
            decoded.push(character);
            sources.extend(std::iter::repeat_n(at(pos, semi + 1), character.len_utf8()));
            pos += semi + 1;
        } else {
            let character = rest.chars().next()?;
            decoded.push(character);
            sources.extend(std::iter::repeat_n(at(pos, character.len_utf8()), character.len_utf8()));
            pos += character.len_utf8();
        }
    }
    (decoded == value).then_some(sources)
}

/// The character an entity or character reference (without `&` and `;`) stands for.
fn expand_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests;
