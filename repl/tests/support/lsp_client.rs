//! A small LSP client for the tests: `bpel lsp` as a child process, JSON-RPC over its stdio
//! (Content-Length framing). A reader thread parses what the server writes; requests the server
//! sends are answered with a null result and recorded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received and not yet looked at, in order.
    pub notifications: Vec<Value>,
    /// The requests the server sent us (method and params), in order.
    pub server_requests: Vec<Value>,
    /// How many `publishDiagnostics` arrived for each URI.
    pub published: std::collections::HashMap<String, usize>,
    /// What this client answers `workspace/configuration` with, for each item asked.
    pub configuration: Value,
}

impl LspClient {
    pub fn start() -> LspClient {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bpel"));
        command.arg("lsp");
        LspClient::spawn(command)
    }

    /// A server started by `command` (program and arguments set; stdio is set here), as an editor
    /// configuration names it.
    pub fn spawn(mut command: Command) -> LspClient {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start bpel lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        LspClient {
            child,
            stdin,
            incoming,
            next_id: 0,
            notifications: Vec::new(),
            server_requests: Vec::new(),
            published: Default::default(),
            configuration: Value::Null,
        }
    }

    /// `initialize` (with the given client capabilities) and `initialized`; the server's result.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        let result = self.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": capabilities }));
        self.notify("initialized", json!({}));
        result
    }

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response: the whole response object (`result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self.receive(deadline).unwrap_or_else(|| panic!("no answer to {method} within {PATIENCE:?}"));
            if message.get("method").is_none() && message["id"] == json!(id) {
                return message;
            }
            self.file(message);
        }
    }

    /// Sends a request; its result (panics on an error response).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Waits for a `publishDiagnostics` for `uri` that satisfies `wanted`, dropping the earlier
    /// ones for it; returns its params.
    pub fn diagnostics_where(&mut self, uri: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let position =
                self.notifications.iter().position(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri);
            if let Some(position) = position {
                let params = self.notifications.remove(position)["params"].clone();
                if wanted(&params) {
                    return params;
                }
                continue;
            }
            let message = self.receive(deadline).unwrap_or_else(|| panic!("no wanted diagnostics for {uri} within {PATIENCE:?}"));
            self.file(message);
        }
    }

    /// The diagnostics published for `uri` at `version`.
    pub fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params = self.diagnostics_where(uri, |params| params["version"] == json!(version));
        params["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// Takes every message that arrives within `wait`.
    pub fn drain(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Some(message) = self.receive(deadline) {
            self.file(message);
        }
    }

    /// `shutdown`, `exit`, and the server's exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    pub fn wait_exit(mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "bpel lsp did not exit within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("bpel lsp closed its stdout"),
        }
    }

    /// Keeps a notification; answers a request of the server.
    fn file(&mut self, message: Value) {
        match (message.get("id"), message.get("method")) {
            (Some(id), Some(_)) => {
                let id = id.clone();
                let result = match message["params"]["items"].as_array() {
                    Some(items) if message["method"] == "workspace/configuration" => json!(vec![self.configuration.clone(); items.len()]),
                    _ => Value::Null,
                };
                self.server_requests.push(message);
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": result }));
            }
            (None, Some(method)) => {
                if method == "textDocument/publishDiagnostics" {
                    let uri = message["params"]["uri"].as_str().unwrap_or_default().to_string();
                    *self.published.entry(uri).or_default() += 1;
                }
                self.notifications.push(message)
            }
            _ => panic!("a response nobody waits for: {message}"),
        }
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A `file://` URI for an absolute path.
pub fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// The LSP position (line, UTF-16 column) of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

/// A `didChange` replacing bytes `start..end` of `text` (as the client has it) with `new`.
pub fn change(uri: &str, version: i64, text: &str, start: usize, end: usize, new: &str) -> Value {
    json!({
        "textDocument": { "uri": uri, "version": version },
        "contentChanges": [{ "range": { "start": position(text, start), "end": position(text, end) }, "text": new }]
    })
}

pub fn open(uri: &str, language: &str, text: &str) -> Value {
    json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } })
}

/// examples/echo copied to a fresh folder, the process's text changed by `edit`. The folder's name
/// has no character a URI escapes, so that the server's URIs equal the client's.
pub fn echo_copy(name: &str, edit: impl Fn(String) -> String) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("bpel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/echo");
    for file in ["echo.bpel", "echo.wsdl"] {
        std::fs::copy(example.join(file), dir.join(file)).unwrap();
    }
    let path = dir.join("echo.bpel");
    let text = edit(std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// The echo example with its copy written as an XPath expression (`$request.payload`), so that
/// names are used inside XPath too.
pub fn echo_with_xpath(name: &str) -> (std::path::PathBuf, String) {
    echo_copy(name, |text| text.replace(r#"<from variable="request" part="payload"/>"#, r#"<from>$request.payload</from>"#))
}

/// The 0-based line of the first `needle` in `text`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    text[..text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"))].matches('\n').count() as u64
}

/// The byte offset of an LSP position in ASCII text.
pub fn offset_at(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    line_start + position["character"].as_u64().unwrap() as usize
}

/// Applies LSP text edits to ASCII text, the last first.
pub fn apply(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| (offset_at(text, &e["range"]["start"]), offset_at(text, &e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
        .collect();
    spans.sort_by_key(|span| std::cmp::Reverse(span.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}
