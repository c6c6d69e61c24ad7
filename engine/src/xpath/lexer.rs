//! XPath 1.0 tokens (XPath 1.0 §3.7), with the standard's disambiguation rules: whether `*` multiplies
//! and a name is an operator depends on the token before; a name before `(` is a function or node
//! type, a name before `::` an axis. In XPath 2.0 also comments `(: :)`, doubled quotes inside
//! literals, exponents, `<<`, `>>`, `?` and the operator words ([`Word`]).

use super::ast::{Axis, NodeType};
use super::{Language, XPathError};
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TokenKind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Slash,
    DoubleSlash,
    Pipe,
    Plus,
    Minus,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `*` as a name test.
    Star,
    /// `*` as multiplication.
    Multiply,
    And,
    Or,
    Mod,
    Div,
    /// A QName (`colon` is the offset of its `:` in the text) or `prefix:*`.
    Name {
        colon: Option<u32>,
        wildcard: bool,
    },
    FunctionName {
        colon: Option<u32>,
    },
    NodeType(NodeType),
    AxisName(Axis),
    /// A quoted string; the span covers the quotes.
    Literal,
    Number(f64),
    /// `$` QName; the span covers the `$`.
    Variable {
        colon: Option<u32>,
    },
    /// XPath 2.0: `<<`, `>>`, `?` and the operator words.
    Precedes,
    Follows,
    Question,
    Word(Word),
    Eof,
}

/// The XPath 2.0 words that are operators after an operand (as `and` and `div` are in XPath 1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Word {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Is,
    IDiv,
    To,
    Union,
    Intersect,
    Except,
    Instance,
    Treat,
    Castable,
    Cast,
    Return,
    Satisfies,
    Then,
    Else,
    In,
}

const WORDS: &[(&str, Word)] = &[
    ("eq", Word::Eq),
    ("ne", Word::Ne),
    ("lt", Word::Lt),
    ("le", Word::Le),
    ("gt", Word::Gt),
    ("ge", Word::Ge),
    ("is", Word::Is),
    ("idiv", Word::IDiv),
    ("to", Word::To),
    ("union", Word::Union),
    ("intersect", Word::Intersect),
    ("except", Word::Except),
    ("instance", Word::Instance),
    ("treat", Word::Treat),
    ("castable", Word::Castable),
    ("cast", Word::Cast),
    ("return", Word::Return),
    ("satisfies", Word::Satisfies),
    ("then", Word::Then),
    ("else", Word::Else),
    ("in", Word::In),
];

impl TokenKind {
    /// Whether a `*` or a name after this token is an operator (XPath 1.0 §3.7: the preceding
    /// token is not `@`, `::`, `(`, `[`, `,` or an operator).
    fn ends_operand(self) -> bool {
        use TokenKind::*;
        !matches!(
            self,
            At | ColonColon
                | LParen
                | LBracket
                | Comma
                | And
                | Or
                | Mod
                | Div
                | Multiply
                | Slash
                | DoubleSlash
                | Pipe
                | Plus
                | Minus
                | Eq
                | NotEq
                | Lt
                | LtEq
                | Gt
                | GtEq
                | Precedes
                | Follows
                | Word(_)
        )
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Splits `text` into tokens, ending with [`TokenKind::Eof`].
pub(super) fn tokenize(text: &str, language: Language) -> Result<Vec<Token>, XPathError> {
    let mut lexer = Lexer { text, bytes: text.as_bytes(), pos: 0, tokens: Vec::with_capacity(text.len() / 3 + 2), language };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    tokens: Vec<Token>,
    language: Language,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), XPathError> {
        loop {
            self.skip_whitespace();
            while self.language == Language::XPath2 && self.text[self.pos..].starts_with("(:") {
                self.skip_comment()?;
                self.skip_whitespace();
            }
            let start = self.pos;
            let Some(&byte) = self.bytes.get(start) else {
                self.tokens.push(Token { kind: TokenKind::Eof, span: Span::empty_at(start) });
                return Ok(());
            };
            let kind = self.token(byte)?;
            self.tokens.push(Token { kind, span: Span::new(start, self.pos) });
        }
    }

    fn previous_ends_operand(&self) -> bool {
        self.tokens.last().is_some_and(|t| t.kind.ends_operand())
    }

    fn token(&mut self, byte: u8) -> Result<TokenKind, XPathError> {
        let start = self.pos;
        let two = |second: u8| self.bytes.get(start + 1) == Some(&second);
        let xpath2 = self.language == Language::XPath2;
        let (kind, len) = match byte {
            b'<' if xpath2 && two(b'<') => (TokenKind::Precedes, 2),
            b'>' if xpath2 && two(b'>') => (TokenKind::Follows, 2),
            b'?' if xpath2 => (TokenKind::Question, 1),
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b'[' => (TokenKind::LBracket, 1),
            b']' => (TokenKind::RBracket, 1),
            b'@' => (TokenKind::At, 1),
            b',' => (TokenKind::Comma, 1),
            b'|' => (TokenKind::Pipe, 1),
            b'+' => (TokenKind::Plus, 1),
            b'-' => (TokenKind::Minus, 1),
            b'=' => (TokenKind::Eq, 1),
            b'/' if two(b'/') => (TokenKind::DoubleSlash, 2),
            b'/' => (TokenKind::Slash, 1),
            b'<' if two(b'=') => (TokenKind::LtEq, 2),
            b'<' => (TokenKind::Lt, 1),
            b'>' if two(b'=') => (TokenKind::GtEq, 2),
            b'>' => (TokenKind::Gt, 1),
            b'!' if two(b'=') => (TokenKind::NotEq, 2),
            b'!' => return Err(XPathError::new(Span::new(start, start + 1), "expected `!=`; XPath has no `!` operator (use not(...))")),
            b':' if two(b':') => (TokenKind::ColonColon, 2),
            b'*' if self.previous_ends_operand() => (TokenKind::Multiply, 1),
            b'*' => (TokenKind::Star, 1),
            b'.' if two(b'.') => (TokenKind::DotDot, 2),
            b'.' if self.bytes.get(start + 1).is_some_and(u8::is_ascii_digit) => return Ok(self.number()),
            b'.' => (TokenKind::Dot, 1),
            b'0'..=b'9' => return Ok(self.number()),
            b'"' | b'\'' => return self.literal(byte),
            b'$' => return self.variable(),
            _ => return self.name_like(),
        };
        self.pos += len;
        Ok(kind)
    }

    fn skip_whitespace(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Skips an XPath 2.0 comment (they nest).
    fn skip_comment(&mut self) -> Result<(), XPathError> {
        let start = self.pos;
        let mut depth = 0;
        while self.pos < self.bytes.len() {
            let rest = &self.text[self.pos..];
            if rest.starts_with("(:") {
                depth += 1;
                self.pos += 2;
            } else if rest.starts_with(":)") {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return Ok(());
                }
            } else {
                self.pos += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        Err(XPathError::new(Span::new(start, self.text.len()), "expected `:)` to end the comment"))
    }

    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        self.skip_digits();
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.skip_digits();
        }
        if self.language == Language::XPath2 && matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            let mut end = self.pos + 1;
            if matches!(self.bytes.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            if self.bytes.get(end).is_some_and(u8::is_ascii_digit) {
                self.pos = end;
                self.skip_digits();
            }
        }
        TokenKind::Number(self.text[start..self.pos].parse().unwrap_or(f64::NAN))
    }

    fn skip_digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, quote: u8) -> Result<TokenKind, XPathError> {
        let start = self.pos;
        let mut from = start + 1;
        loop {
            match self.bytes[from..].iter().position(|&b| b == quote) {
                // XPath 2.0: a doubled quote stands for one and does not end the literal.
                Some(length) if self.language == Language::XPath2 && self.bytes.get(from + length + 1) == Some(&quote) => {
                    from += length + 2;
                }
                Some(length) => {
                    self.pos = from + length + 1;
                    return Ok(TokenKind::Literal);
                }
                None => {
                    let quote = quote as char;
                    let message = format!("expected a closing `{quote}` to end the string literal");
                    return Err(XPathError::new(Span::new(start, self.text.len()), message));
                }
            }
        }
    }

    fn variable(&mut self) -> Result<TokenKind, XPathError> {
        let start = self.pos;
        self.pos += 1;
        match self.qname() {
            Some((colon, false)) => Ok(TokenKind::Variable { colon }),
            _ => Err(XPathError::new(Span::new(start, self.pos.max(start + 1)), "expected a variable name after `$`")),
        }
    }

    /// A name (NCName, QName or `prefix:*`) and what it is by the disambiguation rules.
    fn name_like(&mut self) -> Result<TokenKind, XPathError> {
        let start = self.pos;
        let Some((colon, wildcard)) = self.qname() else {
            let character = self.text[start..].chars().next().unwrap_or(' ');
            return Err(XPathError::new(Span::new(start, start + character.len_utf8()), format!("unexpected character `{character}`")));
        };
        let span = Span::new(start, self.pos);
        let text = &self.text[start..self.pos];
        if colon.is_none() && self.previous_ends_operand() {
            // After an operand, a name can only be an operator; anything else is for the parser to reject.
            match text {
                "and" => return Ok(TokenKind::And),
                "or" => return Ok(TokenKind::Or),
                "mod" => return Ok(TokenKind::Mod),
                "div" => return Ok(TokenKind::Div),
                _ => {}
            }
            if self.language == Language::XPath2 {
                if let Some((_, word)) = WORDS.iter().find(|(w, _)| *w == text) {
                    return Ok(TokenKind::Word(*word));
                }
            }
        }
        if wildcard {
            return Ok(TokenKind::Name { colon, wildcard });
        }
        match self.next_significant() {
            Some(b'(') => Ok(match (colon, NodeType::from_name(text)) {
                (None, Some(node_type)) => TokenKind::NodeType(node_type),
                _ => TokenKind::FunctionName { colon },
            }),
            Some(b':') if self.bytes.get(self.after_whitespace() + 1) == Some(&b':') => match (colon, Axis::from_name(text)) {
                (None, Some(axis)) => Ok(TokenKind::AxisName(axis)),
                _ => Err(XPathError::new(span, format!("expected an axis name before `::`, found `{text}`"))),
            },
            _ => Ok(TokenKind::Name { colon, wildcard }),
        }
    }

    fn after_whitespace(&self) -> usize {
        let mut pos = self.pos;
        while self.bytes.get(pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            pos += 1;
        }
        pos
    }

    fn next_significant(&self) -> Option<u8> {
        self.bytes.get(self.after_whitespace()).copied()
    }

    /// Reads `NCName`, `NCName:NCName` or `NCName:*`; returns the colon's offset and whether the
    /// local part is `*`. `None` (nothing consumed) when no name starts here.
    fn qname(&mut self) -> Option<(Option<u32>, bool)> {
        let first_end = ncname_end(self.text, self.pos)?;
        self.pos = first_end;
        if self.bytes.get(first_end) == Some(&b':') {
            if self.bytes.get(first_end + 1) == Some(&b'*') {
                self.pos = first_end + 2;
                return Some((Some(first_end as u32), true));
            }
            if let Some(local_end) = ncname_end(self.text, first_end + 1) {
                self.pos = local_end;
                return Some((Some(first_end as u32), false));
            }
        }
        Some((None, false))
    }
}

/// The end of the NCName starting at `start`, if one starts there.
fn ncname_end(text: &str, start: usize) -> Option<usize> {
    let mut chars = text.get(start..)?.char_indices();
    let (_, first) = chars.next()?;
    if !is_name_start(first) {
        return None;
    }
    let end = chars.find(|&(_, c)| !is_name_char(c)).map_or(text.len(), |(i, _)| start + i);
    Some(end)
}

/// XML NameStartChar without `:` (approximated for characters outside ASCII: letters and
/// ideographs are accepted, punctuation and symbols are not).
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || c == '_'
        || (!c.is_ascii() && (c.is_alphabetic() || matches!(c, '\u{C0}'..='\u{2FF}' | '\u{370}'..='\u{37D}')))
}

pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '-' | '.' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Whether `text` is an NCName.
pub fn is_ncname(text: &str) -> bool {
    ncname_end(text, 0) == Some(text.len())
}

/// Whether `text` is a QName (`NCName` or `NCName:NCName`), as Namespaces in XML §3 defines it.
pub fn is_qname(text: &str) -> bool {
    match text.split_once(':') {
        Some((prefix, local)) => is_ncname(prefix) && is_ncname(local),
        None => is_ncname(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text, Language::XPath1).expect("tokens").into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn star_and_names_depend_on_the_token_before() {
        use TokenKind::*;
        assert_eq!(kinds("* * *"), [Star, Multiply, Star, Eof]);
        assert_eq!(kinds("div div div"), [Name { colon: None, wildcard: false }, Div, Name { colon: None, wildcard: false }, Eof]);
        assert_eq!(kinds("child::node()"), [AxisName(Axis::Child), ColonColon, NodeType(super::NodeType::Node), LParen, RParen, Eof]);
        assert_eq!(kinds("f (1)"), [FunctionName { colon: None }, LParen, Number(1.0), RParen, Eof]);
        assert_eq!(kinds("$a.b"), [Variable { colon: None }, Eof]);
        assert_eq!(kinds("ns:*"), [Name { colon: Some(2), wildcard: true }, Eof]);
    }

    #[test]
    fn reports_what_was_expected() {
        assert_eq!(tokenize("'abc", Language::XPath1).unwrap_err().message, "expected a closing `'` to end the string literal");
        assert_eq!(tokenize("$ a", Language::XPath1).unwrap_err().message, "expected a variable name after `$`");
        assert_eq!(tokenize("a # b", Language::XPath1).unwrap_err().span, Span::new(2, 3));
    }

    #[test]
    fn qnames() {
        assert!(is_qname("tns:name") && is_qname("name") && is_qname("a.b-c"));
        assert!(!is_qname("tns:") && !is_qname(":x") && !is_qname("a:b:c") && !is_qname("1a") && !is_qname(""));
    }
}
