//! `bpel lsp` end to end, XML editing comfort: document links from imports, linked tag names, the
//! end tag after `>`, formatting (document and range), and semantic tokens for XPath. The real
//! binary, JSON-RPC over its stdio.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::path::Path;

use lsp_client::{apply, change, echo_with_xpath, file_uri, open, position, LspClient};
use serde_json::{json, Value};

fn started(path: &Path, text: &str) -> (LspClient, String, Value) {
    let mut client = LspClient::start();
    let initialized = client.initialize(json!({}));
    let uri = file_uri(path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", text));
    assert_eq!(client.diagnostics_at(&uri, 1), Vec::<Value>::new(), "the example is clean");
    (client, uri, initialized)
}

fn offset_of(text: &str, needle: &str) -> usize {
    text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"))
}

/// The semantic tokens of `uri`, decoded: (start position, length, token type) each.
fn semantic_tokens(client: &mut LspClient, uri: &str) -> Vec<(Value, u64, u64)> {
    let tokens = client.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let data: Vec<u64> = tokens["data"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect();
    let (mut line, mut character, mut decoded) = (0, 0, Vec::new());
    for token in data.chunks(5) {
        line += token[0];
        character = if token[0] == 0 { character + token[1] } else { token[1] };
        decoded.push((json!({ "line": line, "character": character }), token[2], token[3]));
    }
    decoded
}

#[test]
fn links_linked_tag_names_and_semantic_tokens() {
    let (path, text) = echo_with_xpath("lsp-links");
    let (mut client, uri, initialized) = started(&path, &text);
    let capabilities = &initialized["capabilities"];
    assert_eq!(capabilities["documentOnTypeFormattingProvider"]["firstTriggerCharacter"], ">");
    assert_eq!(capabilities["linkedEditingRangeProvider"], true);
    assert_eq!(capabilities["documentFormattingProvider"], true);
    assert_eq!(capabilities["documentRangeFormattingProvider"], true);
    let legend = &capabilities["semanticTokensProvider"]["legend"]["tokenTypes"];
    assert_eq!(*legend, json!(["variable", "property", "function", "string", "number", "operator", "keyword"]));

    // the import's location links to the WSDL beside the process
    let links = client.request("textDocument/documentLink", json!({ "textDocument": { "uri": uri } }));
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["target"], file_uri(&path.with_file_name("echo.wsdl")));
    let location = offset_of(&text, r#"location="echo.wsdl""#) + r#"location=""#.len();
    assert_eq!(links[0]["range"]["start"], position(&text, location));
    assert_eq!(links[0]["range"]["end"], position(&text, location + "echo.wsdl".len()));

    // on `</sequence>`: both names of the element
    let end_tag = offset_of(&text, "</sequence>") + 4;
    let ranges =
        client.request("textDocument/linkedEditingRange", json!({ "textDocument": { "uri": uri }, "position": position(&text, end_tag) }));
    let starts: Vec<Value> = ranges["ranges"].as_array().unwrap().iter().map(|r| r["start"].clone()).collect();
    assert_eq!(starts, vec![position(&text, offset_of(&text, "<sequence") + 1), position(&text, end_tag - 2)]);

    // `$request.payload`: a variable and a part, relative-encoded
    let decoded = semantic_tokens(&mut client, &uri);
    let variable = offset_of(&text, "$request.payload");
    assert!(decoded.contains(&(position(&text, variable), "$request".len() as u64, 0)), "{decoded:?}");
    assert!(decoded.contains(&(position(&text, variable + "$request.".len()), "payload".len() as u64, 1)), "{decoded:?}");

    assert!(client.shutdown().success());
}

#[test]
fn end_tag_after_gt_and_formatting() {
    let (path, text) = echo_with_xpath("lsp-format");
    let (mut client, uri, _) = started(&path, &text);

    // the example is written as the formatter indents it
    let options = json!({ "tabSize": 4, "insertSpaces": true });
    let edits = client.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": options }));
    assert_eq!(edits, json!([]));

    // typing `<empty>` before the reply: `</empty>` comes after the cursor
    let reply = offset_of(&text, "<reply");
    client.notify("textDocument/didChange", change(&uri, 2, &text, reply, reply, "<empty>"));
    let typed = format!("{}<empty>{}", &text[..reply], &text[reply..]);
    let cursor = reply + "<empty>".len();
    let edits = client.request(
        "textDocument/onTypeFormatting",
        json!({ "textDocument": { "uri": uri }, "position": position(&typed, cursor), "ch": ">", "options": options }),
    );
    assert_eq!(edits, json!([{ "range": { "start": position(&typed, cursor), "end": position(&typed, cursor) }, "newText": "</empty>" }]));

    // two lines lose their indentation: the document is re-indented, a range only its lines
    let receive = offset_of(&text, "<receive");
    let assign = offset_of(&text, "<assign");
    let receive_line = text[..receive].rfind('\n').unwrap() + 1;
    let assign_line = text[..assign].rfind('\n').unwrap() + 1;
    let flattened = format!("{}{}{}", &text[..receive_line], &text[receive..assign_line], &text[assign..]);
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": flattened }] }),
    );
    let edits = client.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": options }));
    assert_eq!(edits.as_array().map(Vec::len), Some(2), "{edits}");
    assert_eq!(apply(&flattened, edits.as_array().unwrap_or_else(|| panic!("edits: {edits}"))), text);

    let assign_at = offset_of(&flattened, "<assign");
    let range = json!({ "start": position(&flattened, assign_at), "end": position(&flattened, assign_at + 3) });
    let edits =
        client.request("textDocument/rangeFormatting", json!({ "textDocument": { "uri": uri }, "range": range, "options": options }));
    let partly = apply(&flattened, edits.as_array().unwrap_or_else(|| panic!("edits: {edits}")));
    assert!(partly.contains("\n<receive"), "the receive line is outside the range");
    assert!(partly.contains(&text[assign_line..assign + "<assign".len()]), "the assign line is re-indented");

    // a malformed document is not formatted
    client.notify("textDocument/didChange", change(&uri, 4, &flattened, assign_at, assign_at, "<oops>"));
    let edits = client.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": options }));
    assert_eq!(edits, Value::Null);

    assert!(client.shutdown().success());
}

#[test]
fn semantic_tokens_of_a_wsdl_property_alias_query() {
    let dir = std::env::temp_dir().join(format!("bpel-lsp-alias-tokens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let example = support::workspace().join("examples/long-running");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let process = dir.join("long-running.bpel");
    let (mut client, process_uri, _) = started(&process, &std::fs::read_to_string(&process).unwrap());
    let wsdl = dir.join("shop.wsdl");
    let text = std::fs::read_to_string(&wsdl).unwrap().replacen(
        "<vprop:query>tns:orderId</vprop:query>",
        "<vprop:query>tns:orderId[position() = 1]</vprop:query>",
        1,
    );
    let wsdl_uri = file_uri(&wsdl);
    client.notify("textDocument/didOpen", open(&wsdl_uri, "xml", &text));
    client.diagnostics_where(&wsdl_uri, |_| true);
    // the process is analysed again over the WSDL's text in the editor
    client.diagnostics_where(&process_uri, |_| true);
    let function = offset_of(&text, "position()");
    let decoded = semantic_tokens(&mut client, &wsdl_uri);
    assert!(decoded.contains(&(position(&text, function), "position".len() as u64, 2)), "{decoded:?}");
    assert!(decoded.contains(&(position(&text, function + "position() = ".len()), 1, 4)), "{decoded:?}");
    assert!(client.shutdown().success());
}
