//! `bpel lsp` end to end: the real binary, JSON-RPC over its stdio.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lsp_client::{change, file_uri, open, position, LspClient};
use serde_json::{json, Value};

/// examples/echo copied to a fresh folder.
fn echo_copy(name: &str) -> PathBuf {
    let dir = support::temp_dir(name);
    for file in ["echo.bpel", "echo.wsdl"] {
        std::fs::copy(support::workspace().join("examples/echo").join(file), dir.join(file)).unwrap();
    }
    dir
}

/// `bpel check --format json PATH`: its diagnostics.
fn check_json(path: &Path) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", "--format", "json"]).arg(path).output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"].as_array().unwrap().clone()
}

/// A `bpel check` JSON range (1-based lines and character columns) as an LSP range, for ASCII text.
fn lsp_range(check_range: &Value) -> Value {
    let at = |p: &Value| json!({ "line": p["line"].as_u64().unwrap() - 1, "character": p["column"].as_u64().unwrap() - 1 });
    json!({ "start": at(&check_range["start"]), "end": at(&check_range["end"]) })
}

const TYPO: &str = r#"<from variable="requst" part="payload"/>"#;

#[test]
fn diagnostics_follow_incremental_edits_with_the_documents_version() {
    let dir = echo_copy("lsp-edits");
    let path = dir.join("echo.bpel");
    let fixed = std::fs::read_to_string(&path).unwrap();
    let broken = fixed.replace(r#"<from variable="request" part="payload"/>"#, TYPO);
    assert_ne!(broken, fixed);
    std::fs::write(&path, &broken).unwrap();
    let expected = check_json(&path);
    assert_eq!(expected.len(), 1, "{expected:?}");
    assert_eq!(expected[0]["code"], "BPEL0100");

    let mut client = LspClient::start();
    let init = client.initialize(json!({}));
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync: {init}");
    assert_eq!(init["capabilities"]["documentSymbolProvider"], true);
    let uri = file_uri(&path);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &broken));

    let diagnostics = client.diagnostics_at(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "BPEL0100");
    assert_eq!(diagnostic["severity"], 1);
    let typo_at = broken.find("requst").unwrap();
    assert_eq!(diagnostic["range"], json!({ "start": position(&broken, typo_at), "end": position(&broken, typo_at + "requst".len()) }));
    assert_eq!(diagnostic["range"], lsp_range(&expected[0]["range"]), "the range of `bpel check`");
    let message = diagnostic["message"].as_str().unwrap();
    assert!(message.starts_with(expected[0]["message"].as_str().unwrap()), "{message}");
    assert!(message.contains(&format!("help: {}", expected[0]["help"].as_str().unwrap())), "{message}");
    let href = diagnostic["codeDescription"]["href"].as_str().unwrap();
    assert!(href.starts_with("file://") && href.ends_with("/ARCHITECTURE.md#diagnostic-codes"), "{href}");

    // Fix the typo: insert the missing `e` (version 2), then delete it again (version 3).
    let insert_at = typo_at + "requ".len();
    client.notify("textDocument/didChange", change(&uri, 2, &broken, insert_at, insert_at, "e"));
    assert_eq!(client.diagnostics_at(&uri, 2), Vec::<Value>::new());
    client.notify("textDocument/didChange", change(&uri, 3, &fixed, insert_at, insert_at + 1, ""));
    let again = client.diagnostics_at(&uri, 3);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["range"], diagnostic["range"]);

    // Several changes in one notification apply in order: the second's positions are in the
    // text the first left.
    let params = json!({
        "textDocument": { "uri": uri, "version": 4 },
        "contentChanges": [
            { "range": { "start": position(&broken, typo_at), "end": position(&broken, typo_at + 6) }, "text": "x" },
            { "range": { "start": position(&broken, typo_at), "end": position(&broken, typo_at + 1) }, "text": "request" },
        ]
    });
    client.notify("textDocument/didChange", params);
    assert_eq!(client.diagnostics_at(&uri, 4), Vec::<Value>::new());

    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(symbols[0]["name"], "Echo");
    let children = symbols[0]["children"].as_array().unwrap();
    let main = children.iter().find(|s| s["name"] == "Main").unwrap_or_else(|| panic!("no Main: {symbols}"));
    assert_eq!(main["detail"], "sequence");
    let names: Vec<&str> = main["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ReceiveEcho", "CopyText", "ReplyEcho"]);

    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    let cleared = client.diagnostics_where(&uri, |params| params.get("version").is_none_or(Value::is_null));
    assert_eq!(cleared["diagnostics"], json!([]));
    assert!(client.server_requests.is_empty(), "the client declared no capability to be asked anything: {:?}", client.server_requests);
    assert!(client.shutdown().success());
}

#[test]
fn an_open_wsdl_gets_its_diagnostics_and_its_change_rechecks_the_importing_process() {
    let dir = echo_copy("lsp-wsdl");
    let process = dir.join("echo.bpel");
    let wsdl = dir.join("echo.wsdl");
    let process_text = std::fs::read_to_string(&process).unwrap();
    let wsdl_text = std::fs::read_to_string(&wsdl).unwrap();

    let mut client = LspClient::start();
    client.initialize(json!({}));
    let (process_uri, wsdl_uri) = (file_uri(&process), file_uri(&wsdl));
    client.notify("textDocument/didOpen", open(&process_uri, "bpel", &process_text));
    assert_eq!(client.diagnostics_at(&process_uri, 1), Vec::<Value>::new());
    client.notify("textDocument/didOpen", open(&wsdl_uri, "wsdl", &wsdl_text));
    assert_eq!(client.diagnostics_at(&wsdl_uri, 1), Vec::<Value>::new());

    // Misspell the closing tag of the first message, in the editor only.
    let closing = wsdl_text.find("</wsdl:message>").unwrap();
    client.notify("textDocument/didChange", change(&wsdl_uri, 2, &wsdl_text, closing, closing + "</wsdl:message>".len(), "</wsdl:mesage>"));
    let broken = wsdl_text.replacen("</wsdl:message>", "</wsdl:mesage>", 1);
    std::fs::write(&wsdl, &broken).unwrap();
    let expected = check_json(&process);
    std::fs::write(&wsdl, &wsdl_text).unwrap();

    let in_wsdl = client.diagnostics_at(&wsdl_uri, 2);
    let expected_in_wsdl: Vec<&Value> = expected.iter().filter(|d| d["file"] == wsdl.display().to_string()).collect();
    assert!(expected_in_wsdl.iter().any(|d| d["code"] == "XML0001"), "{expected:?}");
    let codes_and_ranges = |list: Vec<(&Value, Value)>| list.into_iter().map(|(code, range)| (code.clone(), range)).collect::<Vec<_>>();
    assert_eq!(
        codes_and_ranges(in_wsdl.iter().map(|d| (&d["code"], d["range"].clone())).collect()),
        codes_and_ranges(expected_in_wsdl.iter().map(|d| (&d["code"], lsp_range(&d["range"]))).collect()),
        "the WSDL's diagnostics are those `bpel check` reports in it"
    );

    // The process did not change (still version 1) but is checked again against the broken WSDL.
    let in_process = client.diagnostics_where(&process_uri, |params| params["diagnostics"] != json!([]));
    assert_eq!(in_process["version"], 1);
    let in_process = in_process["diagnostics"].as_array().unwrap();
    let expected_in_process: Vec<&Value> = expected.iter().filter(|d| d["file"] == process.display().to_string()).collect();
    assert!(!expected_in_process.is_empty());
    assert_eq!(
        in_process.iter().map(|d| (d["code"].clone(), d["range"].clone())).collect::<Vec<_>>(),
        expected_in_process.iter().map(|d| (d["code"].clone(), lsp_range(&d["range"]))).collect::<Vec<_>>()
    );

    // Undo in the editor: both are clean again.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": wsdl_uri, "version": 3 },
            "contentChanges": [{ "text": wsdl_text }]
        }),
    );
    assert_eq!(client.diagnostics_at(&wsdl_uri, 3), Vec::<Value>::new());
    client.diagnostics_where(&process_uri, |params| params["diagnostics"] == json!([]));
    assert!(client.shutdown().success());
}

#[test]
fn a_wsdl_changed_on_disk_rechecks_the_process_and_watching_is_registered_when_the_client_can() {
    let dir = echo_copy("lsp-watch");
    let process = dir.join("echo.bpel");
    let wsdl = dir.join("echo.wsdl");
    let mut client = LspClient::start();
    client.initialize(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }));
    let uri = file_uri(&process);
    client.notify("textDocument/didOpen", open(&uri, "bpel", &std::fs::read_to_string(&process).unwrap()));
    assert_eq!(client.diagnostics_at(&uri, 1), Vec::<Value>::new());
    let registration = client.server_requests.iter().find(|r| r["method"] == "client/registerCapability").expect("watching registered");
    assert_eq!(registration["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");

    let text = std::fs::read_to_string(&wsdl).unwrap();
    std::fs::write(&wsdl, text.replace("<wsdl:message name=\"EchoResponse\">", "<wsdl:message name=\"EchoAnswer\">")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": file_uri(&wsdl), "type": 2 }] }));
    let diagnostics = client.diagnostics_where(&uri, |params| params["diagnostics"] != json!([]))["diagnostics"].clone();
    let expected = check_json(&process);
    assert_eq!(
        diagnostics.as_array().unwrap().iter().map(|d| (d["code"].clone(), d["range"].clone())).collect::<Vec<_>>(),
        expected
            .iter()
            .filter(|d| d["file"] == process.display().to_string())
            .map(|d| (d["code"].clone(), lsp_range(&d["range"])))
            .collect::<Vec<_>>()
    );
    assert!(diagnostics[0]["codeDescription"]["href"].as_str().unwrap().contains("/docs/sa-rules.md#sa"), "{diagnostics}");
    assert!(client.shutdown().success());
}

/// Tiny xorshift64*: reproducible random edits without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[test]
fn thousands_of_random_edits_over_betsy_files_leave_the_server_answering() {
    const EDITS: usize = 3000;
    let betsy = support::workspace().join("../shared/conformance/betsy");
    let betsy = std::env::var_os("BPEL_SHARED").map_or(betsy, |shared| PathBuf::from(shared).join("conformance/betsy"));
    let dir = support::temp_dir("lsp-random");
    let names = [
        "structured/Flow-Links.bpel",
        "structured/ForEach-Parallel.bpel",
        "scopes/Scope-ComplexCompensation.bpel",
        "basic/Assign-Copy-Query.bpel",
    ];
    let mut documents: Vec<(String, String, i64)> = Vec::new();
    for name in names {
        let source = betsy.join(name);
        let target_dir = dir.join(source.parent().unwrap().file_name().unwrap());
        std::fs::create_dir_all(&target_dir).unwrap();
        // The WSDLs the process imports (at the suite's root), so imports resolve as in betsy.
        for wsdl in ["TestInterface.wsdl", "TestPartner.wsdl"] {
            let _ = std::fs::copy(betsy.join(wsdl), dir.join(wsdl));
        }
        let target = target_dir.join(source.file_name().unwrap());
        std::fs::copy(&source, &target).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        documents.push((file_uri(&target), std::fs::read_to_string(&target).unwrap(), 1));
    }

    let mut client = LspClient::start();
    client.initialize(json!({}));
    for (uri, text, _) in &documents {
        client.notify("textDocument/didOpen", open(uri, "bpel", text));
    }
    let snippets = [
        "<",
        ">",
        "/>",
        "\"",
        "=",
        "$",
        "</sequence>",
        "<assign><copy>",
        " name=\"x\"",
        "é\u{1F600}",
        "\n",
        "<![CDATA[",
        "&amp;",
        "xmlns:a=\"b\"",
    ];
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    for _ in 0..EDITS {
        let (uri, text, version) = &mut documents[random.below(names.len())];
        *version += 1;
        let start = char_boundary(text, random.below(text.len() + 1));
        let (end, new) = if random.below(3) == 0 {
            (char_boundary(text, start + random.below(40)), String::new())
        } else {
            (start, snippets[random.below(snippets.len())].to_string())
        };
        client.notify("textDocument/didChange", change(uri, *version, text, start, end, &new));
        text.replace_range(start..end, &new);
    }

    // Every document ends analysed at its last version, with what `bpel check` finds in the text
    // the client has (so the server applied every change, in order); the server answers requests.
    for (uri, text, version) in &documents {
        let published = client.diagnostics_at(uri, *version);
        let path = PathBuf::from(uri.strip_prefix("file://").unwrap());
        std::fs::write(&path, text).unwrap();
        let mut expected: Vec<(Value, u64)> = check_json(&path)
            .iter()
            .filter(|d| d["file"] == path.display().to_string())
            .map(|d| (d["code"].clone(), d["range"]["start"]["line"].as_u64().unwrap() - 1))
            .collect();
        let mut found: Vec<(Value, u64)> =
            published.iter().map(|d| (d["code"].clone(), d["range"]["start"]["line"].as_u64().unwrap())).collect();
        expected.sort_by_key(|(code, line)| (code.to_string(), *line));
        found.sort_by_key(|(code, line)| (code.to_string(), *line));
        assert_eq!(found, expected, "{uri}");
        let response = client.request_raw("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        assert!(response.get("result").is_some(), "{response}");
    }
    client.drain(Duration::from_millis(200));
    // Bursts were coalesced: far fewer analyses were published than edits were made.
    let published: usize = documents.iter().map(|(uri, _, _)| client.published.get(uri).copied().unwrap_or(0)).sum();
    assert!(published >= documents.len() && published < EDITS / 2, "{published} publications for {EDITS} edits");
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
    assert!(client.shutdown().success());
}

#[test]
fn exit_without_shutdown_exits_1_and_help_says_what_it_is() {
    let mut client = LspClient::start();
    client.initialize(json!({}));
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(1));

    let help = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["lsp", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("Language server") && help.contains("LSP over stdin/stdout"), "{help}");
    let top = Command::new(env!("CARGO_BIN_EXE_bpel")).arg("--help").output().unwrap();
    assert!(String::from_utf8(top.stdout).unwrap().contains("lsp    Language server for editors"));
}
