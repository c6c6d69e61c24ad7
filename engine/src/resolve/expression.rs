//! The variables an XPath expression refers to (`$name` and `$name.part`), found by a light scan that
//! skips string literals and the variables XPath 2.0's `for`, `some` and `every` bind in the
//! expression (`for $item in ...`: every `$item` of the text is left out, a slight over-approximation
//! of its scope). Full XPath parsing belongs to the static-analysis and runtime layers.

use crate::model::process::Expression;
use crate::span::Span;

/// Each `$variable` in `expression`, with its span in the source. When the text was written with
/// entity references or CDATA (so text offsets differ from source offsets), the span falls back to
/// the whole expression text.
pub fn variable_references(expression: &Expression) -> Vec<(String, Span)> {
    let text = expression.text.as_str();
    let exact = expression.text_span.len() == text.len();
    let mut found = dollar_names(text);
    let bound: Vec<String> = found.iter().filter(|(_, _, end)| binds(text, *end)).map(|(name, _, _)| name.clone()).collect();
    found.retain(|(name, _, _)| !bound.contains(name));
    found
        .into_iter()
        .map(|(name, start, end)| {
            let span = if exact {
                let base = expression.text_span.start as usize;
                Span::new(base + start, base + end)
            } else {
                expression.text_span
            };
            (name, span)
        })
        .collect()
}

/// Whether the `$name` ending at `end` is bound there: followed by the word `in` (XPath 2.0's
/// `for $x in`, `some $x in`, `every $x in`; XPath 1.0 has no such form).
fn binds(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start();
    rest.strip_prefix("in").is_some_and(|after| after.starts_with(|c: char| c.is_whitespace() || c == '(' || c == '$'))
}

/// Each unprefixed `$name` outside string literals: name, start and end offsets in `text`.
fn dollar_names(text: &str) -> Vec<(String, usize, usize)> {
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
                    out.push((text[start..end].to_string(), start, end));
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

    #[test]
    fn leaves_out_the_variables_xpath2_binds() {
        let found = variable_references(&expression("sum(for $item in $order.items/x, $n in (1, 2) return $item * $n) + $rate"));
        let names: Vec<_> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["order", "rate"]);
        let found = variable_references(&expression("some $i in$list satisfies $i = $index"));
        assert_eq!(found.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["list", "index"]);
    }
}
