//! XML editing comfort (`bpel_engine::ide::editing`) and semantic tokens (`bpel_engine::ide::tokens`):
//! links from imports, linked tag names, the end tag after `>`, re-indentation that keeps every
//! element, attribute and text, and the XPath tokens of a process placed in its file.

mod ide_support;

use ide_support::{betsy, examples};
use std::path::{Path, PathBuf};

use bpel_engine::check::{analyze, analyze_text};
use bpel_engine::ide::editing::{self, FormatError, FormatOptions, TextEdit};
use bpel_engine::ide::tokens::{semantic_tokens, TokenClass};
use bpel_engine::parse::Loader;
use bpel_engine::syntax::{parse_xml, Element, Node};
use bpel_engine::Span;

/// The example processes, the WSDL and XSD files beside them, and 20 betsy processes.
fn documents() -> Vec<(PathBuf, String)> {
    let mut paths = examples();
    for example in examples() {
        for entry in std::fs::read_dir(example.parent().unwrap()).unwrap() {
            let path = entry.unwrap().path();
            if matches!(path.extension().and_then(|e| e.to_str()), Some("wsdl" | "xsd")) {
                paths.push(path);
            }
        }
    }
    paths.extend(betsy());
    paths.into_iter().map(|path| (path.clone(), std::fs::read_to_string(&path).unwrap())).collect()
}

fn boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = text.to_string();
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|edit| std::cmp::Reverse(edit.span.start));
    for pair in sorted.windows(2) {
        assert!(pair[1].span.end <= pair[0].span.start, "edits overlap: {pair:?}");
    }
    for edit in sorted {
        out.replace_range(edit.span.start as usize..edit.span.end as usize, &edit.new_text);
    }
    out
}

fn at(text: &str, needle: &str, nth: usize) -> usize {
    text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth}")).0
}

fn slice(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

#[test]
fn links_go_from_imports_to_the_local_files_they_load() {
    let process = examples().into_iter().find(|p| p.ends_with("echo/echo.bpel")).unwrap();
    let text = std::fs::read_to_string(&process).unwrap();
    let links = editing::document_links(&process, &text, |p| p.is_file());
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(slice(&text, links[0].span), "echo.wsdl");
    assert_eq!(links[0].target, process.parent().unwrap().join("echo.wsdl"));
    assert!(links[0].target.is_file());

    let wsdl = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <import namespace="urn:a" location="sub/a.wsdl"/>
  <import namespace="urn:b" location="http://example.com/b.wsdl"/>
  <import namespace="urn:c" location="missing.wsdl"/>
  <types><xsd:schema>
    <xsd:import namespace="urn:t" schemaLocation="types%20one.xsd"/>
    <xsd:include schemaLocation="file:///abs/inc.xsd"/>
    <xsd:element name="import"/>
  </xsd:schema></types>
</definitions>"#;
    let existing = [PathBuf::from("/p/sub/a.wsdl"), PathBuf::from("/p/types one.xsd"), PathBuf::from("/abs/inc.xsd")];
    let links = editing::document_links(Path::new("/p/service.wsdl"), wsdl, |p| existing.iter().any(|e| e == p));
    let found: Vec<(&str, &Path)> = links.iter().map(|l| (slice(wsdl, l.span), l.target.as_path())).collect();
    assert_eq!(
        found,
        vec![
            ("sub/a.wsdl", Path::new("/p/sub/a.wsdl")),
            ("types%20one.xsd", Path::new("/p/types one.xsd")),
            ("file:///abs/inc.xsd", Path::new("/abs/inc.xsd")),
        ]
    );
    // an `import` in no import namespace links nothing
    assert!(editing::document_links(Path::new("/p/x.xml"), r#"<import location="a.wsdl"/>"#, |_| true).is_empty());
}

#[test]
fn linked_editing_pairs_the_start_and_end_tag_names() {
    let text = "<bpel:sequence name=\"s\">\n  <empty/>\n  <assign><copy/></assign>\n</bpel:sequence>";
    let names = |offset| editing::linked_editing_ranges(text, offset).map(|spans| spans.map(|s| slice(text, s).to_string()));
    let both = Some(["bpel:sequence".to_string(), "bpel:sequence".to_string()]);
    assert_eq!(names(at(text, "bpel:sequence", 0)), both);
    assert_eq!(names(at(text, "sequence>", 0) + 3), both);
    assert_eq!(names(at(text, "sequence>", 0) + "sequence".len()), both, "the end of the name counts");
    assert_eq!(names(at(text, "assign", 1) + 2), Some(["assign".to_string(), "assign".to_string()]));
    assert_eq!(names(at(text, "empty", 0) + 1), None, "an empty-element tag");
    assert_eq!(names(at(text, "name=", 0) + 1), None, "an attribute");
    assert_eq!(names(at(text, "<copy", 0) + 2), None);
    let broken = "<process>\n  <sequence>\n</process>";
    assert_eq!(editing::linked_editing_ranges(broken, at(broken, "sequence", 0) + 1), None, "no end tag");
}

#[test]
fn the_end_tag_is_offered_after_the_gt_that_closes_a_start_tag() {
    let close = |before: &str, after: &str| editing::auto_close_tag(&format!("{before}{after}"), before.len());
    assert_eq!(close("<process>\n  <sequence name=\"a>b\">", "\n</process>"), Some("</sequence>".to_string()));
    assert_eq!(close("<bpel:while>", ""), Some("</bpel:while>".to_string()));
    assert_eq!(close("<a><a>", "</a>"), None, "followed by its end tag");
    assert_eq!(close("<a><empty/>", "</a>"), None);
    assert_eq!(close("<a><!-- <b>", " --></a>"), None, "in a comment");
    assert_eq!(close("<a><![CDATA[<b>", "]]></a>"), None, "in CDATA");
    assert_eq!(close("<a><b c=\"x>", "</a>"), None, "in an attribute value");
    assert_eq!(close("<a>x >", "</a>"), None, "in text");
    assert_eq!(close("<a>\n  <b>", "\n    <c/>\n  </b>\n</a>"), None, "already closed further on");
    assert_eq!(close("<a>\n  <b>\n  <b>", "\n    <c/>\n  </b>\n</a>"), Some("</b>".to_string()));
}

#[test]
fn editing_queries_answer_any_offset_of_any_text() {
    for (_, text) in documents().into_iter().take(8) {
        let mut truncations: Vec<&str> = vec![&text];
        truncations.extend((1..6).map(|k| &text[..boundary(&text, text.len() * k / 6)]));
        for piece in truncations {
            for offset in (0..piece.len() + 2).step_by(5) {
                if let Some(spans) = editing::linked_editing_ranges(piece, offset) {
                    assert_eq!(slice(piece, spans[0]), slice(piece, spans[1]));
                }
                if let Some(end_tag) = editing::auto_close_tag(piece, offset) {
                    assert!(end_tag.starts_with("</") && end_tag.ends_with('>'));
                }
            }
            if let Ok(edits) = editing::format(piece, FormatOptions::default(), None) {
                apply(piece, &edits);
            }
        }
    }
}

#[test]
fn formatting_indents_by_depth_and_keeps_text_comments_and_values() {
    let text = "<?xml version=\"1.0\"?>\n<process name=\"p\"\n  xmlns=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\">\n\
<!-- a comment\n   kept as written -->\n      <sequence>\n<empty/>\n   <assign>\n <copy>\n <from>$a\n   + 1</from>\n<to variable=\"v\"/>\n</copy>\n\
 </assign>\n  <documentation>mixed <b>bold</b>\n <i>kept</i></documentation>\n <literal><x>\n <y/>\n</x></literal>\n\
<condition><![CDATA[\n  $a < 1\n]]></condition>\n    </sequence>\n</process>\n";
    let edits = editing::format(text, FormatOptions::default(), None).unwrap();
    let formatted = apply(text, &edits);
    let expected = [
        "<?xml version=\"1.0\"?>",
        "<process name=\"p\"",
        "    xmlns=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\">",
        "    <!-- a comment",
        "   kept as written -->",
        "    <sequence>",
        "        <empty/>",
        "        <assign>",
        "            <copy>",
        "                <from>$a",
        "   + 1</from>",
        "                <to variable=\"v\"/>",
        "            </copy>",
        "        </assign>",
        "        <documentation>mixed <b>bold</b>",
        " <i>kept</i></documentation>",
        "        <literal><x>",
        " <y/>",
        "</x></literal>",
        "        <condition><![CDATA[",
        "  $a < 1",
        "]]></condition>",
        "    </sequence>",
        "</process>",
        "",
    ]
    .join("\n");
    assert_eq!(formatted, expected);
    assert!(edits.iter().all(|edit| slice(text, edit.span).trim().is_empty()), "only whitespace is replaced");
    assert_eq!(editing::format(&formatted, FormatOptions::default(), None).unwrap(), vec![], "idempotent");

    let tabs = apply(text, &editing::format(text, FormatOptions { tab_size: 2, insert_spaces: false }, None).unwrap());
    assert!(tabs.contains("\n\t<sequence>\n\t\t<empty/>\n"), "{tabs}");

    // attribute lines one level deeper than their tag; a value spanning lines stays as written
    let tag = "<a>\n<b x=\"1\"\n   y=\"2\n   z\"\n   w=\"3\"/>\n</a>";
    let moved = apply(tag, &editing::format(tag, FormatOptions::default(), None).unwrap());
    assert_eq!(moved, "<a>\n    <b x=\"1\"\n        y=\"2\n   z\"\n        w=\"3\"/>\n</a>");

    let preserved = "<a xml:space=\"preserve\">\n<b>\n   <c/>\n</b>\n</a>";
    assert_eq!(editing::format(preserved, FormatOptions::default(), None).unwrap(), vec![]);
}

#[test]
fn range_formatting_changes_only_the_lines_in_the_range() {
    let text = "<a>\n<b/>\n<c/>\n<d/>\n</a>";
    let range = Span::new(at(text, "<c/>", 0) + 2, at(text, "<d/>", 0) + 1);
    let edits = editing::format(text, FormatOptions::default(), Some(range)).unwrap();
    assert_eq!(apply(text, &edits), "<a>\n<b/>\n    <c/>\n    <d/>\n</a>");
}

#[test]
fn formatting_refuses_a_malformed_document() {
    let error = editing::format("<a>\n<b>\n</a>", FormatOptions::default(), None).unwrap_err();
    let FormatError::Malformed { message, .. } = error;
    assert!(message.contains("</b>"), "{message}");
}

/// Elements with their names, namespaces and attributes, and the text that is not whitespace only.
fn tree(element: &Element, out: &mut Vec<String>) {
    let attributes: Vec<String> =
        element.attributes.iter().map(|a| format!("{}:{}={:?}", a.prefix.as_deref().unwrap_or(""), a.local, a.value)).collect();
    out.push(format!("<{:?} {} {}>", element.namespace, element.qualified_name(), attributes.join(" ")));
    for node in &element.children {
        match node {
            Node::Element(child) => tree(child, out),
            Node::Text(text) if !text.value.trim().is_empty() => out.push(format!("text {:?}", text.value)),
            Node::Text(_) => {}
        }
    }
    out.push(format!("</{}>", element.qualified_name()));
}

fn tree_of(text: &str) -> Vec<String> {
    let document = parse_xml(text);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    let mut out = Vec::new();
    tree(document.root.as_ref().expect("a root element"), &mut out);
    out
}

#[test]
fn formatting_the_examples_and_betsy_keeps_the_tree_and_is_idempotent() {
    let mut reindented = 0;
    for (path, text) in documents() {
        // as written, and with every line's indentation taken away
        let flat: String = text.lines().map(str::trim_start).collect::<Vec<_>>().join("\n");
        for original in [text.clone(), flat] {
            let edits =
                editing::format(&original, FormatOptions::default(), None).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let formatted = apply(&original, &edits);
            reindented += edits.len();
            assert_eq!(tree_of(&formatted), tree_of(&original), "{}", path.display());
            let again = editing::format(&formatted, FormatOptions::default(), None).unwrap();
            assert_eq!(again, vec![], "{}: formatting twice changes more", path.display());
        }
    }
    assert!(reindented > 500, "the flattened documents were re-indented ({reindented} edits)");
}

#[test]
fn the_examples_are_written_as_the_formatter_indents() {
    let process = examples().into_iter().find(|p| p.ends_with("calculator/calculator.bpel")).unwrap();
    let text = std::fs::read_to_string(&process).unwrap();
    assert_eq!(editing::format(&text, FormatOptions::default(), None).unwrap(), vec![]);
}

#[test]
fn semantic_tokens_classify_the_xpath_of_a_process() {
    let process = examples().into_iter().find(|p| p.ends_with("calculator/calculator.bpel")).unwrap();
    let analysis = analyze(&mut Loader::new(), &process).unwrap();
    let text = std::fs::read_to_string(&process).unwrap();
    let tokens: Vec<(TokenClass, &str)> =
        semantic_tokens(&analysis, analysis.unit.file).iter().map(|t| (t.class, slice(&text, t.span))).collect();
    let sum = tokens.iter().position(|t| *t == (TokenClass::Variable, "$request")).expect("$request is a variable");
    assert_eq!(
        tokens[sum..sum + 5],
        [
            (TokenClass::Variable, "$request"),
            (TokenClass::Part, "a"),
            (TokenClass::Operator, "+"),
            (TokenClass::Variable, "$request"),
            (TokenClass::Part, "b"),
        ]
    );

    let source = r#"<process name="p" targetNamespace="urn:p" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable">
  <variables><variable name="x" type="xsd:int" xmlns:xsd="http://www.w3.org/2001/XMLSchema"/></variables>
  <sequence>
    <if><condition>$x &gt; 1 and string-length('a b') mod 2 = 0</condition><empty/></if>
  </sequence>
</process>"#;
    let analysis = analyze_text(&mut Loader::new(), Path::new("/nonexistent/tokens.bpel"), source);
    let tokens: Vec<(TokenClass, &str)> =
        semantic_tokens(&analysis, analysis.unit.file).iter().map(|t| (t.class, slice(source, t.span))).collect();
    assert_eq!(
        tokens,
        vec![
            (TokenClass::Variable, "$x"),
            (TokenClass::Operator, "&gt;"),
            (TokenClass::Number, "1"),
            (TokenClass::Keyword, "and"),
            (TokenClass::Function, "string-length"),
            (TokenClass::String, "'a b'"),
            (TokenClass::Keyword, "mod"),
            (TokenClass::Number, "2"),
            (TokenClass::Operator, "="),
            (TokenClass::Number, "0"),
        ]
    );
}

#[test]
fn semantic_tokens_of_betsy_lie_in_order_inside_their_expressions() {
    let mut classes = std::collections::HashSet::new();
    for path in betsy().into_iter().chain(examples()) {
        let analysis = analyze(&mut Loader::new(), &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let tokens = semantic_tokens(&analysis, analysis.unit.file);
        for pair in tokens.windows(2) {
            assert!(pair[0].span.end <= pair[1].span.start, "{}: {pair:?}", path.display());
        }
        for token in &tokens {
            let written = slice(&text, token.span);
            assert!(!written.is_empty() && !written.contains('<'), "{}: {token:?} `{written}`", path.display());
            classes.insert(token.class);
        }
    }
    for class in
        [TokenClass::Variable, TokenClass::Part, TokenClass::Function, TokenClass::String, TokenClass::Number, TokenClass::Operator]
    {
        assert!(classes.contains(&class), "some {class:?} in the examples and betsy: {classes:?}");
    }
}

#[test]
fn semantic_tokens_classify_the_property_alias_queries_of_an_imported_wsdl() {
    let dir = std::env::temp_dir().join(format!("bpel-alias-tokens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let example = examples().into_iter().find(|p| p.ends_with("long-running/long-running.bpel")).unwrap();
    for entry in std::fs::read_dir(example.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let wsdl = dir.join("shop.wsdl");
    let text = std::fs::read_to_string(&wsdl).unwrap().replacen(
        "<vprop:query>tns:orderId</vprop:query>",
        "<vprop:query>tns:orderId[1] | tns:orderId[position() = 2]</vprop:query>",
        1,
    );
    std::fs::write(&wsdl, &text).unwrap();
    let analysis = analyze(&mut Loader::new(), &dir.join("long-running.bpel")).unwrap();
    let file = analysis.unit.definitions.documents().iter().find(|d| d.path.ends_with("shop.wsdl")).expect("shop.wsdl is imported").file;
    let tokens: Vec<(TokenClass, &str)> = semantic_tokens(&analysis, file).iter().map(|t| (t.class, slice(&text, t.span))).collect();
    assert_eq!(
        tokens,
        vec![
            (TokenClass::Number, "1"),
            (TokenClass::Operator, "|"),
            (TokenClass::Function, "position"),
            (TokenClass::Operator, "="),
            (TokenClass::Number, "2"),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
