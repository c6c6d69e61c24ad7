//! `bpel lsp` end to end, its settings: rule switches and severity overrides from the
//! initialization options, from `workspace/didChangeConfiguration` and from
//! `workspace/configuration` (pulled when the client offers it); the scenario folder the code
//! lenses look in; the run timeout; a wrong setting shown to the user. The real binary, JSON-RPC
//! over its stdio.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use lsp_client::{echo_copy, file_uri, open, LspClient};
use serde_json::{json, Value};

/// The echo example with the reply's variable misspelt: one BPEL0100 error at the reply.
fn broken_echo(name: &str) -> (std::path::PathBuf, String) {
    echo_copy(name, |text| text.replace(r#"operation="echo" variable="response"/>"#, r#"operation="echo" variable="respons"/>"#))
}

fn codes_and_severities(diagnostics: &Value) -> Vec<(String, u64)> {
    let list = diagnostics["diagnostics"].as_array().cloned().unwrap_or_default();
    list.iter().map(|d| (d["code"].as_str().unwrap_or_default().to_string(), d["severity"].as_u64().unwrap_or(0))).collect()
}

fn start_with(initialization_options: Value, capabilities: Value, configuration: Value) -> LspClient {
    let mut client = LspClient::start();
    client.configuration = configuration;
    let result = client.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": capabilities, "initializationOptions": initialization_options }),
    );
    assert!(result["capabilities"].is_object(), "{result}");
    client.notify("initialized", json!({}));
    client
}

#[test]
fn severities_and_disabled_rules_follow_the_pushed_settings() {
    let (path, text) = broken_echo("lsp-settings-push");
    let uri = file_uri(&path);
    let mut client = start_with(json!({ "rules": { "severity": { "BPEL0100": "hint" } } }), json!({}), Value::Null);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &text));
    let first = client.diagnostics_where(&uri, |_| true);
    assert_eq!(codes_and_severities(&first), vec![("BPEL0100".to_string(), 4)], "initialization options: shown as a hint");

    // VS Code's client sends its section under `bpel`: the diagnostics are published again.
    let settings = json!({ "bpel": { "rules": { "disabled": ["BPEL0100"] } } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": settings }));
    let disabled = client.diagnostics_where(&uri, |_| true);
    assert_eq!(codes_and_severities(&disabled), vec![], "the disabled code is gone: {disabled}");

    // Back to the defaults: the error as `bpel check` reports it.
    client.notify("workspace/didChangeConfiguration", json!({ "settings": { "bpel": {} } }));
    let default = client.diagnostics_where(&uri, |_| true);
    assert_eq!(codes_and_severities(&default), vec![("BPEL0100".to_string(), 1)]);

    // A wrong setting is shown to the user; the right ones in the same object still apply.
    let settings = json!({ "bpel": { "run": { "timeoutSeconds": "soon" }, "rules": { "disabled": ["SA99999", "BPEL0100"] } } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": settings }));
    let applied = client.diagnostics_where(&uri, |_| true);
    assert_eq!(codes_and_severities(&applied), vec![]);
    let shown: Vec<String> = client
        .notifications
        .iter()
        .filter(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(shown.iter().any(|m| m.contains("bpel.run.timeoutSeconds")), "{shown:?}");
    assert!(shown.iter().any(|m| m.contains("SA99999")), "{shown:?}");
    assert!(client.shutdown().success());
}

#[test]
fn a_client_that_offers_its_configuration_is_asked_for_it() {
    let (path, text) = broken_echo("lsp-settings-pull");
    let uri = file_uri(&path);
    let capabilities = json!({ "workspace": { "configuration": true, "didChangeConfiguration": { "dynamicRegistration": false } } });
    let mut client = start_with(Value::Null, capabilities, json!({ "rules": { "severity": { "BPEL0100": "warning" } } }));
    client.notify("textDocument/didOpen", open(&uri, "bpel", &text));
    let pulled = client.diagnostics_where(&uri, |params| codes_and_severities(params) == vec![("BPEL0100".to_string(), 2)]);
    assert_eq!(codes_and_severities(&pulled), vec![("BPEL0100".to_string(), 2)]);
    let asked = |client: &LspClient| client.server_requests.iter().filter(|r| r["method"] == "workspace/configuration").count();
    assert_eq!(asked(&client), 1, "{:?}", client.server_requests);
    assert_eq!(
        client.server_requests.iter().find(|r| r["method"] == "workspace/configuration").unwrap()["params"]["items"][0]["section"],
        "bpel"
    );

    // An empty notification says "ask again".
    client.configuration = json!({ "rules": { "disabled": ["BPEL0100"] } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": null }));
    let again = client.diagnostics_where(&uri, |params| codes_and_severities(params).is_empty());
    assert_eq!(codes_and_severities(&again), vec![]);
    assert_eq!(asked(&client), 2);
    assert!(client.shutdown().success());
}

#[test]
fn the_code_lenses_look_for_scenarios_in_the_configured_folder() {
    let (path, text) = echo_copy("lsp-settings-scenarios", |text| text);
    let scenarios = path.parent().unwrap().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    let example = support::workspace().join("examples/echo/echo.scenario.toml");
    std::fs::copy(example, scenarios.join("echo.scenario.toml")).unwrap();
    let uri = file_uri(&path);
    let lens_titles = |client: &mut LspClient| -> Vec<String> {
        let lenses = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
        lenses.as_array().unwrap().iter().map(|lens| lens["command"]["title"].as_str().unwrap().to_string()).collect()
    };

    let mut client = start_with(Value::Null, json!({}), Value::Null);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &text));
    assert_eq!(lens_titles(&mut client), vec!["▶ Run"], "by default only the process's own folder is looked in");
    client.notify("workspace/didChangeConfiguration", json!({ "settings": { "bpel": { "scenarios": { "folder": "scenarios" } } } }));
    assert_eq!(lens_titles(&mut client), vec!["▶ Run", "▶ Run scenario echo.scenario.toml"]);

    // the lens's command runs the scenario from that folder
    let lenses = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let command = &lenses[1]["command"];
    let report = client.request("workspace/executeCommand", json!({ "command": command["command"], "arguments": command["arguments"] }));
    assert_eq!(report["passed"], true, "{report}");
    assert!(client.shutdown().success());
}

#[test]
fn a_run_past_its_timeout_is_answered_with_an_error_and_the_server_goes_on() {
    // A process that never settles: the sample request starts a loop that does not end.
    let (path, text) = echo_copy("lsp-settings-timeout", |text| {
        text.replace(
            r#"<reply name="ReplyEcho""#,
            r#"<while><condition>true()</condition><assign><copy><from>1</from><to variable="response" part="payload"/></copy></assign></while>
        <reply name="ReplyEcho""#,
        )
    });
    let uri = file_uri(&path);
    let mut client = start_with(json!({ "run": { "timeoutSeconds": 0.5 } }), json!({}), Value::Null);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &text));
    let diagnostics = client.diagnostics_where(&uri, |_| true);
    assert!(codes_and_severities(&diagnostics).iter().all(|(_, severity)| *severity != 1), "the looping process is valid: {diagnostics}");
    let started = std::time::Instant::now();
    let answer = client.request_raw("workspace/executeCommand", json!({ "command": "bpel.run", "arguments": [{ "uri": uri }] }));
    let message = answer["error"]["message"].as_str().unwrap_or_else(|| panic!("an error, not {answer}"));
    assert!(message.contains("did not finish within 0.5 s") && message.contains("bpel.run.timeoutSeconds"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "answered at the timeout, not at the run's end");
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(!symbols.as_array().unwrap().is_empty(), "the server still answers: {symbols}");
    assert!(client.shutdown().success());
}
