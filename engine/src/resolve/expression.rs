//! The variables an XPath expression refers to (`$name` and `$name.part`), found by a light scan that
//! skips string literals. Full XPath parsing belongs to the static-analysis and runtime layers.

use crate::model::process::Expression;
use crate::span::Span;

/// Each `$variable` in `expression`, with its span in the source. When the text was written with
/// entity references or CDATA (so text offsets differ from source offsets), the span falls back to
/// the whole expression text.
pub fn variable_references(expression: &Expression) -> Vec<(String, Span)> {
    let text = expression.text.as_str();
    let exact = expression.text_span.len() == text.len();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && is_name_byte(bytes[end]) {
                    end += 1;
                }
                // `$prefix:name` is an XPath variable of another namespace, never a BPEL variable.
                let qualified = bytes.get(end) == Some(&b':') && bytes.get(end + 1).is_some_and(|&b| is_name_byte(b));
                if end > start && !qualified {
                    let span = if exact {
                        let base = expression.text_span.start as usize;
                        Span::new(base + start, base + end)
                    } else {
                        expression.text_span
                    };
                    out.push((text[start..end].to_string(), span));
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// NCName characters without `.`, which BPEL variable names may not contain (`$var.part`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ScopeId;

    fn expression(text: &str) -> Expression {
        Expression {
            span: Span::new(0, text.len()),
            language: None,
            text: text.into(),
            text_span: Span::new(10, 10 + text.len()),
            namespaces: ScopeId(0),
        }
    }

    #[test]
    fn finds_variables_outside_string_literals() {
        let found = variable_references(&expression("$a.part/x + count($b) + '$notavar' + $ns:x"));
        let names: Vec<_> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(found[0].1, Span::new(11, 12));
    }
}
