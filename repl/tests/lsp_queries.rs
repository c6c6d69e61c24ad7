//! `bpel lsp` end to end, the editor queries: definition (into the WSDL too), references, rename
//! across XPath, completion (attribute value, element position, XPath), hover, a quick fix applied;
//! the code actions that declare a variable and add an import, applied and re-checked clean by the
//! server; "Explain rule" with its command and message; the rule behind a diagnostic on hover.
//! The real binary, JSON-RPC over its stdio.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::path::Path;
use std::process::Command;

use lsp_client::{apply, echo_copy, echo_with_xpath, file_uri, line_of, open, position, LspClient};
use serde_json::{json, Value};

fn at(text: &str, needle: &str, within: usize) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text")) + within;
    position(text, offset)
}

fn started(path: &Path, text: &str) -> (LspClient, String) {
    let mut client = LspClient::start();
    client.initialize(json!({ "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } } }));
    let uri = file_uri(path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", text));
    assert_eq!(client.diagnostics_at(&uri, 1), Vec::<Value>::new(), "the example is clean");
    (client, uri)
}

fn check_errors(path: &Path) -> usize {
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", "--format", "json"]).arg(path).output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["errors"].as_u64().unwrap() as usize
}

#[test]
fn definition_references_hover_and_rename_across_xpath() {
    let (path, text) = echo_with_xpath("lsp-nav");
    let (mut client, uri) = started(&path, &text);
    let doc = |position: Value| json!({ "textDocument": { "uri": uri }, "position": position });

    // a variable used inside XPath: its declaration
    let definition = client.request("textDocument/definition", doc(at(&text, "$request.payload", 2)));
    assert_eq!(definition["uri"], uri);
    assert_eq!(definition["range"]["start"]["line"], line_of(&text, r#"<variable name="request""#));

    // an operation: into the WSDL
    let wsdl_path = path.with_file_name("echo.wsdl");
    let wsdl = std::fs::read_to_string(&wsdl_path).unwrap();
    let definition = client.request("textDocument/definition", doc(at(&text, r#"operation="echo" variable="request""#, 12)));
    assert_eq!(definition["uri"], file_uri(&wsdl_path), "{definition}");
    assert_eq!(definition["range"]["start"]["line"], line_of(&wsdl, r#"<wsdl:operation name="echo">"#), "{definition}");

    // references: the declaration, the receive, the XPath use
    let references = client.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": at(&text, r#"name="request""#, 7), "context": { "includeDeclaration": true } }),
    );
    let lines: Vec<u64> = references.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines.len(), 3, "{references}");
    assert!(lines.contains(&line_of(&text, "$request.payload")), "{references}");

    let hover = client.request("textDocument/hover", doc(at(&text, "$request.payload", 2)));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("request") && shown.contains("EchoRequest"), "{hover}");

    // rename across XPath: applied to the text, the process checks clean
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": at(&text, r#"name="request""#, 7), "newName": "incoming" }),
    );
    let edits = edit["changes"][uri.as_str()].as_array().unwrap_or_else(|| panic!("{edit}")).clone();
    assert_eq!(edits.len(), 3, "{edit}");
    let renamed = apply(&text, &edits);
    assert!(renamed.contains("$incoming.payload") && renamed.contains(r#"<variable name="incoming""#), "{renamed}");
    std::fs::write(&path, &renamed).unwrap();
    assert_eq!(check_errors(&path), 0, "the renamed process checks clean");

    // a name the WSDL defines is refused with a reason
    let refused = client.request_raw(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": at(&text, r#"operation="echo" variable="request""#, 12), "newName": "other" }),
    );
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("WSDL")), "{refused}");
    assert!(client.shutdown().success());
}

#[test]
fn completion_in_an_attribute_value_an_element_position_and_xpath() {
    let (path, text) = echo_with_xpath("lsp-complete");
    let (mut client, uri) = started(&path, &text);
    let labels = |result: &Value| -> Vec<String> {
        let items = result.as_array().or_else(|| result["items"].as_array()).cloned().unwrap_or_default();
        items.iter().map(|i| i["label"].as_str().unwrap_or_default().to_string()).collect()
    };
    let complete = |client: &mut LspClient, position: Value| {
        client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }))
    };

    // variable="|response" in the reply: the variables
    let value = complete(&mut client, at(&text, r#"operation="echo" variable="response""#, 27));
    let names = labels(&value);
    assert!(names.contains(&"request".to_string()) && names.contains(&"response".to_string()), "{names:?}");

    // `$req|` inside the XPath: `$request`
    let xpath = complete(&mut client, at(&text, "$request.payload", 4));
    assert!(labels(&xpath).iter().any(|l| l == "$request"), "{:?}", labels(&xpath));

    // an element position inside <sequence>: activities, not declarations
    let mut edited = text.clone();
    let insert_at = edited.find("<assign").unwrap();
    edited.insert_str(insert_at, "<\n        ");
    client
        .notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }));
    let elements = complete(&mut client, position(&edited, insert_at + 1));
    let names = labels(&elements);
    assert!(names.iter().any(|l| l == "invoke") && names.iter().any(|l| l == "scope"), "{names:?}");
    assert!(!names.iter().any(|l| l == "variable"), "{names:?}");
    assert!(client.shutdown().success());
}

#[test]
fn a_quick_fix_is_offered_and_applied() {
    let (path, text) = echo_with_xpath("lsp-fix");
    let broken = text.replace(r#"variable="response"/>"#, r#"variable="respons"/>"#);
    std::fs::write(&path, &broken).unwrap();
    let mut client = LspClient::start();
    client.initialize(json!({}));
    let uri = file_uri(&path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &broken));
    let diagnostics = client.diagnostics_at(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diagnostics[0]["range"], "context": { "diagnostics": diagnostics } }),
    );
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix", "{actions}");
    let edits = action["edit"]["changes"][uri.as_str()].as_array().unwrap().clone();
    let fixed = apply(&broken, &edits);
    assert_eq!(fixed, text, "the fix restores the declared name");
    client.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }));
    assert_eq!(client.diagnostics_at(&uri, 2), Vec::<Value>::new());
    assert!(client.shutdown().success());
}

#[test]
fn run_in_place_with_and_without_a_scenario_and_a_saved_checkpoint_restores() {
    let (path, text) = echo_with_xpath("lsp-run");
    std::fs::copy(support::workspace().join("examples/echo/echo.scenario.toml"), path.with_file_name("echo.scenario.toml")).unwrap();
    let (mut client, uri) = started(&path, &text);
    let init_commands = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let lenses = init_commands.as_array().unwrap();
    assert_eq!(lenses.len(), 2, "Run, and Run scenario echo.scenario.toml: {init_commands}");
    assert!(lenses.iter().all(|l| l["command"]["command"] == "bpel.run"), "{init_commands}");

    // without a scenario: a sample request, the reply echoes it
    let report = client.request("workspace/executeCommand", json!({ "command": "bpel.run", "arguments": [{ "uri": uri }] }));
    assert_eq!(report["passed"], true, "{report}");
    assert!(!report["steps"].as_array().unwrap().is_empty(), "{report}");
    let instance = &report["instances"][0];
    assert_eq!(instance["status"], "completed", "{report}");
    assert!(instance["reply"].as_str().is_some_and(|r| r.contains("echoResponse")), "{report}");

    // with the scenario beside it: as `bpel run` does
    let scenario_uri = file_uri(&path.with_file_name("echo.scenario.toml"));
    let report = client
        .request("workspace/executeCommand", json!({ "command": "bpel.run", "arguments": [{ "uri": uri, "scenario": scenario_uri }] }));
    assert_eq!(report["passed"], true, "{report}");
    assert!(report["steps"].as_array().unwrap().iter().all(|s| s["ok"] == true), "{report}");

    // the checkpoint of an instance of the last run, restored with the engine
    let id = report["instances"][0]["id"].as_u64().unwrap();
    let saved = path.with_file_name("instance.ckpt");
    client.request(
        "workspace/executeCommand",
        json!({ "command": "bpel.saveCheckpoint", "arguments": [{ "uri": uri, "instance": id, "path": saved.to_str().unwrap() }] }),
    );
    let bytes = std::fs::read(&saved).unwrap();
    let mut engine = bpel_engine::exec::Engine::new();
    let process = engine.deploy(&path).unwrap();
    engine.restore(process, None, &bytes).expect("the saved checkpoint restores");

    let unknown = client.request_raw("workspace/executeCommand", json!({ "command": "bpel.nothing", "arguments": [] }));
    assert!(unknown["error"]["message"].as_str().is_some_and(|m| m.contains("unknown command")), "{unknown}");
    assert!(client.shutdown().success());
}

/// Opens `text` (already written at `path`) and returns the client, the URI and its diagnostics.
fn opened(path: &Path, text: &str) -> (LspClient, String, Vec<Value>) {
    let mut client = LspClient::start();
    client.initialize(json!({}));
    let uri = file_uri(path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", text));
    let diagnostics = client.diagnostics_at(&uri, 1);
    (client, uri, diagnostics)
}

fn code_actions_for(client: &mut LspClient, uri: &str, diagnostic: &Value) -> Vec<Value> {
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } }),
    );
    actions.as_array().cloned().unwrap_or_else(|| panic!("code actions: {actions}"))
}

/// The action whose title starts with `title`, applied to `text`; the server re-checks the result
/// as version 2, and its diagnostics are returned with the new text.
fn apply_action(client: &mut LspClient, uri: &str, text: &str, actions: &[Value], title: &str) -> (String, Vec<Value>) {
    let action = actions
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with(title)))
        .unwrap_or_else(|| panic!("no action `{title}` in {actions:?}"));
    assert_eq!(action["kind"], "quickfix", "{action}");
    let edits = action["edit"]["changes"][uri].as_array().unwrap_or_else(|| panic!("{action}")).clone();
    let fixed = apply(text, &edits);
    client.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }));
    let diagnostics = client.diagnostics_at(uri, 2);
    (fixed, diagnostics)
}

#[test]
fn an_undeclared_variable_is_declared_from_its_use_and_the_process_checks_clean() {
    let (path, text) =
        echo_copy("lsp-declare", |text| text.replace(r#"operation="echo" variable="response""#, r#"operation="echo" variable="answer""#));
    let (mut client, uri, diagnostics) = opened(&path, &text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "BPEL0100", "{diagnostics:?}");
    let actions = code_actions_for(&mut client, &uri, &diagnostics[0]);
    let (fixed, after) = apply_action(&mut client, &uri, &text, &actions, "Declare variable `answer`");
    assert!(fixed.contains(r#"<variable name="answer" messageType="echo:EchoResponse"/>"#), "{fixed}");
    assert_eq!(after, Vec::<Value>::new(), "{fixed}");
    assert!(client.shutdown().success());
}

#[test]
fn a_missing_import_is_added_from_the_wsdl_beside_the_process_and_the_process_checks_clean() {
    let import = "    <import namespace=\"http://example.com/bpel/examples/echo\"\n        location=\"echo.wsdl\"\n        importType=\"http://schemas.xmlsoap.org/wsdl/\"/>\n\n";
    let (path, text) = echo_copy("lsp-import", |text| text.replacen(import, "", 1));
    let (mut client, uri, diagnostics) = opened(&path, &text);
    assert!(!diagnostics.is_empty() && diagnostics.iter().all(|d| d["code"] == "SA00010"), "{diagnostics:?}");
    let at_message = diagnostics.iter().find(|d| d["message"].as_str().is_some_and(|m| m.contains("EchoRequest"))).unwrap();
    let actions = code_actions_for(&mut client, &uri, at_message);
    let (fixed, after) = apply_action(&mut client, &uri, &text, &actions, "Import `echo.wsdl`");
    assert!(
        fixed.contains(r#"<import namespace="http://example.com/bpel/examples/echo" location="echo.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>"#),
        "{fixed}"
    );
    assert_eq!(after, Vec::<Value>::new(), "{fixed}");
    std::fs::write(&path, &fixed).unwrap();
    assert_eq!(check_errors(&path), 0, "bpel check agrees");
    assert!(client.shutdown().success());
}

#[test]
fn explain_rule_is_offered_answered_and_shown_and_the_rule_is_on_hover() {
    // the reply sends the request: SA00058 at its variable
    let (path, text) =
        echo_copy("lsp-explain", |text| text.replace(r#"operation="echo" variable="response""#, r#"operation="echo" variable="request""#));
    let mut client = LspClient::start();
    let initialized = client.initialize(json!({}));
    let commands = &initialized["capabilities"]["executeCommandProvider"]["commands"];
    assert!(commands.as_array().unwrap().iter().any(|c| c == "bpel.explainRule"), "{commands}");
    let uri = file_uri(&path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &text));
    let diagnostics = client.diagnostics_at(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "SA00058");

    let actions = code_actions_for(&mut client, &uri, &diagnostics[0]);
    let explain: Vec<&Value> = actions.iter().filter(|a| a["command"]["command"] == "bpel.explainRule").collect();
    assert_eq!(explain.len(), 1, "{actions:?}");
    assert_eq!(explain[0]["title"], "Explain rule SA00058");
    assert!(explain[0].get("kind").is_none(), "no kind: it fixes nothing: {}", explain[0]);
    assert_eq!(explain[0]["command"]["arguments"], json!([{ "code": "SA00058" }]));
    // a client asking for quick fixes only does not get it
    let quick_fixes = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diagnostics[0]["range"], "context": { "diagnostics": diagnostics, "only": ["quickfix"] } }),
    );
    assert!(quick_fixes.as_array().unwrap().iter().all(|a| a["kind"] == "quickfix"), "{quick_fixes}");

    let explanation = client
        .request("workspace/executeCommand", json!({ "command": "bpel.explainRule", "arguments": explain[0]["command"]["arguments"] }));
    assert_eq!(explanation["code"], "SA00058");
    let cli = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", "--explain", "SA00058"]).output().unwrap();
    assert_eq!(explanation["markdown"].as_str().unwrap(), String::from_utf8(cli.stdout).unwrap(), "the CLI prints the same");
    let summary = explanation["summary"].as_str().unwrap().to_string();
    assert!(!summary.is_empty());
    client.drain(std::time::Duration::from_millis(200));
    let shown: Vec<&Value> = client.notifications.iter().filter(|n| n["method"] == "window/showMessage").collect();
    assert!(
        shown
            .iter()
            .any(|n| n["params"]["type"] == 3
                && n["params"]["message"].as_str().is_some_and(|m| m.starts_with(&format!("SA00058: {summary}")))),
        "{shown:?}"
    );
    let refused =
        client.request_raw("workspace/executeCommand", json!({ "command": "bpel.explainRule", "arguments": [{ "code": "BPEL0100" }] }));
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("not a static-analysis rule")), "{refused}");

    // hover on the variable: its type, then the rule
    let hover =
        client.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": diagnostics[0]["range"]["start"] }));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    let (type_part, rule_part) = shown.split_once("**SA00058**").unwrap_or_else(|| panic!("{hover}"));
    assert!(type_part.contains("EchoRequest"), "{hover}");
    assert!(rule_part.contains(&summary), "{hover}");
    // elsewhere, no rule
    let hover =
        client.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": at(&text, r#"name="response""#, 7) }));
    assert!(!hover["contents"]["value"].as_str().unwrap_or_default().contains("SA000"), "{hover}");
    assert!(client.shutdown().success());
}
