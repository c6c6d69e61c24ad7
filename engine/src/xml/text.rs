//! XML as text, for the faces: whether a body typed over several lines is complete yet (the
//! REPL), and values indented for reading (the REPL, the language server's hover). Text only: no
//! parse, no meaning; malformed text comes back as it was.

/// Whether the text after a command's words ends inside an element (or a tag): the line goes on.
pub fn unfinished(text: &str) -> bool {
    let Some(start) = text.find('<') else { return false };
    let mut depth: i64 = 0;
    let mut rest = &text[start..];
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let (close, kind) = if rest.starts_with("<!--") {
            ("-->", 0)
        } else if rest.starts_with("<![CDATA[") {
            ("]]>", 0)
        } else if rest.starts_with("<?") {
            ("?>", 0)
        } else if rest.starts_with("</") {
            (">", -1)
        } else {
            (">", 1)
        };
        let Some(end) = tag_end(rest, close) else { return true };
        let tag = &rest[..end];
        depth += if kind == 1 && tag.ends_with("/>") { 0 } else { kind };
        rest = &rest[end..];
    }
    depth > 0
}

/// Where a tag that starts `text` ends (after `close`), skipping quoted attribute values.
fn tag_end(text: &str, close: &str) -> Option<usize> {
    if close != ">" {
        return text.find(close).map(|i| i + close.len());
    }
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// XML text indented two spaces a level; an element holding only text stays on one line.
pub fn indent(xml: &str) -> String {
    let mut tokens: Vec<&str> = Vec::new();
    let mut rest = xml.trim();
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let close = if rest.starts_with("<!--") {
                "-->"
            } else if rest.starts_with("<![CDATA[") {
                "]]>"
            } else {
                ">"
            };
            let end = tag_end(rest, close).unwrap_or(rest.len());
            tokens.push(&rest[..end]);
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            if !rest[..end].trim().is_empty() {
                tokens.push(&rest[..end]);
            }
            rest = &rest[end..];
        }
    }
    let mut out = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let pad = "  ".repeat(depth);
        let opening = token.starts_with('<')
            && !token.starts_with("</")
            && !token.ends_with("/>")
            && !token.starts_with("<!")
            && !token.starts_with("<?");
        if opening {
            // <a>text</a> on one line
            if let (Some(text), Some(end)) = (tokens.get(i + 1), tokens.get(i + 2)) {
                if !text.starts_with('<') && end.starts_with("</") {
                    out.push_str(&format!("{pad}{token}{}{end}\n", text.trim()));
                    i += 3;
                    continue;
                }
            }
            if let Some(end) = tokens.get(i + 1).filter(|t| t.starts_with("</")) {
                out.push_str(&format!("{pad}{token}{end}\n"));
                i += 2;
                continue;
            }
        }
        if token.starts_with("</") {
            depth = depth.saturating_sub(1);
            out.push_str(&format!("{}{token}\n", "  ".repeat(depth)));
        } else {
            out.push_str(&format!("{pad}{}\n", token.trim()));
            if opening {
                depth += 1;
            }
        }
        i += 1;
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_goes_on_until_its_element_closes() {
        assert!(!unfinished("customer.placeOrder"));
        assert!(unfinished("<a x=\"1>2\">"));
        assert!(unfinished("<a><b>text</b>"));
        assert!(!unfinished("<a><b>text</b><c/></a>"));
        assert!(unfinished("<a"));
        assert!(!unfinished("<!-- <a> --><a/>"));
        assert!(!unfinished("<a></a></a>"), "too many ends: complete, and the parse says what is wrong");
    }

    #[test]
    fn values_are_indented_with_text_kept_inline() {
        assert_eq!(indent("<a><b>1</b><c/><d><e>x</e></d></a>"), "<a>\n  <b>1</b>\n  <c/>\n  <d>\n    <e>x</e>\n  </d>\n</a>");
        assert_eq!(indent("<a></a>"), "<a></a>");
        assert_eq!(indent("<a>\n  text\n</a>"), "<a>text</a>", "text shown trimmed");
        assert_eq!(indent("not xml"), "not xml");
    }
}
