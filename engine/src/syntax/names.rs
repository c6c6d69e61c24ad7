//! Whether a name is well-formed: XML 1.0 (fifth edition) §2.3 `Name`, without colons, for
//! processing instruction targets, and Namespaces in XML 1.0 (third edition) §3 `QName` (`NCName`, optionally prefixed
//! by one `NCName` and a colon) for element and attribute names. quick-xml splits names at
//! whitespace, `=`, `/` and `>` and checks nothing else, so `<1a>` or `<a@b>` reach us as names.

/// What is wrong with `name` as an element or attribute name, in words; `None` when it is a
/// well-formed QName.
pub fn qname_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name is missing".to_string());
    }
    let mut parts = name.split(':');
    let (first, second) = (parts.next().unwrap_or(""), parts.next());
    if parts.next().is_some() {
        return Some(format!("`{name}` is not a name: a name has at most one `:`, between a prefix and a local name"));
    }
    if let Some(local) = second {
        if first.is_empty() || local.is_empty() {
            return Some(format!("`{name}` is not a name: a `:` must stand between a prefix and a local name"));
        }
        return name_part_problem(name, first, "prefix").or_else(|| name_part_problem(name, local, "local name"));
    }
    name_part_problem(name, first, "name")
}

/// What is wrong with `target` as a processing instruction's target; `None` when it is one.
pub fn pi_target_problem(target: &str) -> Option<String> {
    if target.is_empty() {
        return Some("a processing instruction needs a target name after `<?`".to_string());
    }
    if target.eq_ignore_ascii_case("xml") {
        return Some(format!("`<?{target}` is reserved for the XML declaration, which may only stand at the very start of the document"));
    }
    // Namespaces in XML §7: no processing instruction target contains a colon.
    name_part_problem(target, target, "target")
}

/// `part` (of `name`) checked against `NameStartChar NameChar*`, without the colon.
fn name_part_problem(name: &str, part: &str, what: &str) -> Option<String> {
    let mut chars = part.chars();
    let first = chars.next()?;
    if !is_name_start_char(first) {
        let reason = if is_name_char(first) { "cannot start with" } else { "cannot contain" };
        return Some(format!("`{name}` is not a name: a {what} {reason} `{}`", printable(first)));
    }
    let bad = chars.find(|&c| !is_name_char(c))?;
    Some(format!("`{name}` is not a name: a {what} cannot contain `{}`", printable(bad)))
}

fn printable(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

/// XML 1.0 §2.3 [4] `NameStartChar`, the colon left out (namespaces give it its own meaning).
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 [4a] `NameChar`, the colon left out.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c) || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_kind_the_productions_allow_are_accepted() {
        for name in ["a", "_a", "A1", "a-b.c", "a·b", "café", "名前", "x:y", "xsd:int", "Ωmega", "a\u{300}", "a‿b", "\u{10000}x"] {
            assert_eq!(qname_problem(name), None, "{name}");
        }
        for target in ["xml-stylesheet", "php", "target.1"] {
            assert_eq!(pi_target_problem(target), None, "{target}");
        }
    }

    #[test]
    fn a_name_start_char_is_required_first() {
        for (name, shown) in [("1a", "start with `1`"), ("-a", "start with `-`"), (".a", "start with `.`"), ("·a", "start with `·`")] {
            let problem = qname_problem(name).unwrap_or_else(|| panic!("{name} is refused"));
            assert!(problem.contains(shown), "{name}: {problem}");
        }
        assert!(qname_problem("p:9z").unwrap().contains("local name cannot start with `9`"));
        assert!(qname_problem("9p:z").unwrap().contains("prefix cannot start with `9`"));
    }

    #[test]
    fn only_name_chars_may_follow() {
        for (name, shown) in [("a@b", "`@`"), ("a!", "`!`"), ("a\u{1}", "U+0001"), ("a×b", "`×`"), ("a\u{FFFE}", "`\u{FFFE}`")] {
            let problem = qname_problem(name).unwrap_or_else(|| panic!("{name:?} is refused"));
            assert!(problem.contains(shown), "{name:?}: {problem}");
        }
    }

    #[test]
    fn colons_separate_one_prefix_from_a_local_name() {
        for name in ["a:b:c", ":a", "a:", ":"] {
            assert!(qname_problem(name).is_some(), "{name}");
        }
        assert!(qname_problem("").is_some());
    }

    #[test]
    fn a_processing_instruction_target_is_a_name_and_not_xml() {
        assert!(pi_target_problem("XmL").unwrap().contains("reserved"));
        assert!(pi_target_problem("1pi").unwrap().contains("start with `1`"));
        assert!(pi_target_problem("").is_some());
        assert!(pi_target_problem("a:b").unwrap().contains("cannot contain `:`"));
    }
}
