//! `bpel lsp` end to end, what the editor shows of a run in place: `$/progress` while it runs (only
//! for a client that declared `window.workDoneProgress`), inlay hints with how often each activity
//! ran, variables' final values in hover, and the RUN diagnostic at an uncaught `<throw>`, all
//! gone once the text changes. The real binary, JSON-RPC over its stdio.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::time::{Duration, Instant};

use lsp_client::{change, echo_copy, file_uri, line_of, open, position, LspClient};
use serde_json::{json, Value};

fn started(capabilities: Value, text: &str, path: &std::path::Path) -> (LspClient, String) {
    let mut client = LspClient::start();
    let initialized = client.initialize(capabilities);
    assert_eq!(initialized["capabilities"]["inlayHintProvider"], true, "{initialized}");
    let uri = file_uri(path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", text));
    client.diagnostics_at(&uri, 1);
    (client, uri)
}

fn run(client: &mut LspClient, uri: &str) -> Value {
    client.request("workspace/executeCommand", json!({ "command": "bpel.run", "arguments": [{ "uri": uri }] }))
}

fn inlay_hints(client: &mut LspClient, uri: &str, text: &str) -> Vec<Value> {
    let end = position(text, text.len());
    let hints = client.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": end } }),
    );
    hints.as_array().cloned().unwrap_or_default()
}

fn hover(client: &mut LspClient, uri: &str, text: &str, needle: &str) -> String {
    let offset = text.find(needle).unwrap() + 1;
    let result = client.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position(text, offset) }));
    result["contents"]["value"].as_str().unwrap_or_else(|| panic!("no hover: {result}")).to_string()
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn progress_inlay_hints_and_hover_values_show_the_last_run_until_an_edit() {
    let (path, text) = echo_copy("lsp-run-view", |text| text);
    let (mut client, uri) = started(json!({ "window": { "workDoneProgress": true } }), &text, &path);
    assert!(inlay_hints(&mut client, &uri, &text).is_empty(), "no hints before a run");
    assert!(!hover(&mut client, &uri, &text, r#"request" part"#).contains("Last run"));

    let report = run(&mut client, &uri);
    assert_eq!(report["passed"], true, "{report}");

    // progress: the server created a token, then begin, a report per step, end
    let created: Vec<&Value> = client.server_requests.iter().filter(|r| r["method"] == "window/workDoneProgress/create").collect();
    assert_eq!(created.len(), 1, "{:?}", client.server_requests);
    let token = created[0]["params"]["token"].clone();
    let progress_kinds = |client: &LspClient| -> Vec<String> {
        let progress = client.notifications.iter().filter(|n| n["method"] == "$/progress" && n["params"]["token"] == token);
        progress.map(|n| n["params"]["value"]["kind"].as_str().unwrap().to_string()).collect()
    };
    // `end` may come after the command's response (notifications and responses are separate streams).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !progress_kinds(&client).iter().any(|kind| kind == "end") && Instant::now() < deadline {
        client.drain(Duration::from_millis(50));
    }
    let kinds = progress_kinds(&client);
    let steps = report["steps"].as_array().unwrap().len();
    assert!(steps >= 1, "{report}");
    let mut expected = vec!["begin".to_string()];
    expected.extend(std::iter::repeat_n("report".to_string(), steps));
    expected.push("end".to_string());
    assert_eq!(kinds, expected);

    // inlay hints: each activity of echo ran once, shown at the end of its start tag's line
    let hints = inlay_hints(&mut client, &uri, &text);
    for tag_end in [r#"<sequence name="Main">"#, r#"createInstance="yes"/>"#, r#"<assign name="CopyText">"#, r#"variable="response"/>"#] {
        let line = line_of(&text, tag_end);
        let line_length = text.lines().nth(line as usize).unwrap().encode_utf16().count() as u64;
        let hint = hints.iter().find(|h| h["position"]["line"] == line).unwrap_or_else(|| panic!("no hint on line {line}: {hints:?}"));
        assert_eq!(hint["position"]["character"], line_length, "{hint}");
        assert!(hint["label"].as_str().is_some_and(|l| l.split(' ').any(|count| count == "×1")), "{hint}");
    }

    // hover on a use of `request`: the engine's hover, then the value the run left in it
    let request = report["instances"][0]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "request")
        .and_then(|v| v["value"].as_str())
        .unwrap_or_else(|| panic!("no value of request: {report}"))
        .to_string();
    let shown = hover(&mut client, &uri, &text, r#"request" part"#);
    let (engine_part, run_part) = shown.split_once("**Last run**").unwrap_or_else(|| panic!("no run value: {shown}"));
    assert!(engine_part.contains("request"), "{shown}");
    assert!(without_whitespace(run_part).contains(&without_whitespace(&request)), "{shown}\nwanted {request}");
    // the declaration too
    assert!(hover(&mut client, &uri, &text, r#"request" messageType"#).contains("**Last run**"));

    // an edit: the run no longer matches the text
    let at = text.find("Echo: the smallest").unwrap();
    client.notify("textDocument/didChange", change(&uri, 2, &text, at, at, "The "));
    let edited = format!("{}The {}", &text[..at], &text[at..]);
    client.diagnostics_at(&uri, 2);
    assert!(inlay_hints(&mut client, &uri, &edited).is_empty(), "hints gone after an edit");
    assert!(!hover(&mut client, &uri, &edited, r#"request" part"#).contains("Last run"));
    assert!(client.shutdown().success());
}

#[test]
fn an_uncaught_throw_shows_as_a_run_diagnostic_until_an_edit() {
    let (path, text) = echo_copy("lsp-run-throw", |text| {
        text.replace(
            r#"operation="echo" variable="response"/>"#,
            r#"operation="echo" variable="response"/>
        <throw name="Fail" faultName="echo:Boom"/>"#,
        )
    });
    let (mut client, uri) = started(json!({}), &text, &path);
    let report = run(&mut client, &uri);
    assert_eq!(report["instances"][0]["status"], "faulted", "{report}");

    let published = client.diagnostics_where(&uri, |p| p["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "RUN")));
    assert_eq!(published["version"], 1);
    let run_diagnostics: Vec<&Value> = published["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "RUN").collect();
    assert_eq!(run_diagnostics.len(), 1, "{published}");
    let diagnostic = run_diagnostics[0];
    assert_eq!(diagnostic["source"], "bpel run");
    assert_eq!(diagnostic["severity"], 3, "Information");
    assert_eq!(diagnostic["range"]["start"], position(&text, text.find("<throw").unwrap()), "{diagnostic}");
    assert!(diagnostic["message"].as_str().unwrap().contains("Boom"), "{diagnostic}");

    let at = text.find("Echo: the smallest").unwrap();
    client.notify("textDocument/didChange", change(&uri, 2, &text, at, at, "The "));
    let after = client.diagnostics_at(&uri, 2);
    assert!(after.iter().all(|d| d["code"] != "RUN"), "{after:?}");

    // a client without window.workDoneProgress gets no progress
    assert!(client.server_requests.iter().all(|r| r["method"] != "window/workDoneProgress/create"), "{:?}", client.server_requests);
    client.drain(Duration::from_millis(200));
    assert!(client.notifications.iter().all(|n| n["method"] != "$/progress"), "{:?}", client.notifications);
    assert!(client.shutdown().success());
}
