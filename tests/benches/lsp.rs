//! `bpel lsp` latency and memory, each beside `bpel check` on the same text in the same run.
//!
//! Drives the real release binary over stdio (JSON-RPC, Content-Length framing), as an editor does:
//! 1. a generated 5,000-line process (scopes, sequences, assigns, invokes, ifs, flows with links,
//!    fault handlers, over the betsy WSDLs copied beside it) that must check clean; N edits, each a
//!    one-character change of a variable name that toggles one diagnostic; the latency from writing
//!    `didChange` to reading the `publishDiagnostics` of that version (median, p90);
//! 2. completion at an attribute value, an element position and in XPath in that file (median);
//! 3. all 215 executable betsy processes opened at once in a fresh server: the time until every
//!    one has its diagnostics, and the server's RSS growth (VmRSS of /proc/PID/status);
//! 4. the baselines: `bpel check FILE` spawned (wall time, median) and
//!    `bpel_engine::check::analyze` in process (median), on the same generated file.
//!
//! Run: `cargo build --release -p bpel && cargo bench -p bpel-tests --bench lsp`.
//! Knobs (environment): BPEL_BIN (default target/release/bpel), LSP_BENCH_EDITS (200),
//! LSP_BENCH_COMPLETIONS (50 per position), LSP_BENCH_CHECKS (20), LSP_BENCH_OPEN_ROUNDS (3).
//! Every wait is bounded (30 s) and the whole run stops after 10 minutes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use bpel_engine::check::{analyze, analyze_text};
use bpel_engine::parse::Loader;
use serde_json::{json, Value};

// The allocator the `bpel` binary runs with, so the in-process baseline is what `bpel check` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PATIENCE: Duration = Duration::from_secs(30);
const RUN_LIMIT: Duration = Duration::from_secs(600);
const TARGET_LINES: usize = 5_000;

fn main() {
    // `cargo test --benches` runs this without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("lsp bench: run with `cargo bench -p bpel-tests --bench lsp`");
        return;
    }
    let started = Instant::now();
    let bpel = bpel_binary();
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/lsp-bench");
    let betsy = bpel_tests::betsy_dir();
    let generated = generate(&work, &betsy);
    let edits = knob("LSP_BENCH_EDITS", 200);
    let completions = knob("LSP_BENCH_COMPLETIONS", 50);
    let checks = knob("LSP_BENCH_CHECKS", 20);
    let open_rounds = knob("LSP_BENCH_OPEN_ROUNDS", 3);
    println!(
        "lsp bench: {} ({} lines, {} bytes), server {}",
        generated.path.display(),
        generated.text.lines().count(),
        generated.text.len(),
        bpel.display()
    );

    let baseline = baselines(&bpel, &generated, checks);
    let deadline = started + RUN_LIMIT;
    let (edit_latencies, completion_latencies) = edit_and_complete(&bpel, &generated, edits, completions, deadline);
    let open = open_betsy(&bpel, &betsy, open_rounds, deadline);

    let (edit_median, edit_p90) = (percentile(&edit_latencies, 50), percentile(&edit_latencies, 90));
    println!();
    println!("| figure | value | target | verdict |");
    println!("|---|---:|---:|:---:|");
    println!("| `bpel check FILE`, spawned, wall (median of {checks}) | {} | — | — |", ms(baseline.command));
    println!("| `check::analyze` in process, fresh loader (median of {checks}) | {} | — | — |", ms(baseline.in_process));
    println!("| `check::analyze_text` in process, imports cached (median of {checks}) | {} | — | — |", ms(baseline.warm));
    println!(
        "| didChange → publishDiagnostics, median of {} edits | {} = {:.2}× in process, {:.2}× the command | ≤ 20 ms | {} |",
        edit_latencies.len(),
        ms(edit_median),
        ratio(edit_median, baseline.in_process),
        ratio(edit_median, baseline.command),
        verdict(edit_median <= Duration::from_millis(20))
    );
    println!(
        "| didChange → publishDiagnostics, p90 | {} = {:.2}× in process, {:.2}× the command | — | — |",
        ms(edit_p90),
        ratio(edit_p90, baseline.in_process),
        ratio(edit_p90, baseline.command)
    );
    for (position, latencies, items) in &completion_latencies {
        let median = percentile(latencies, 50);
        println!(
            "| completion, {position} ({items} items), median of {} | {} = {:.3}× in process | ≤ 10 ms | {} |",
            latencies.len(),
            ms(median),
            ratio(median, baseline.in_process),
            verdict(median <= Duration::from_millis(10))
        );
    }
    println!(
        "| open {} betsy processes → all diagnostics published (median of {} fresh servers) | {} | — | — |",
        open.processes,
        open.times.len(),
        ms(percentile(&open.times, 50))
    );
    let mut growth = open.rss_growth_kib.clone();
    growth.sort_unstable();
    println!(
        "| server RSS growth with them open (median; RSS after initialize {} MiB) | {:.1} MiB ({:.0} KiB per process) | — | — |",
        open.rss_initial_kib / 1024,
        growth[growth.len() / 2] as f64 / 1024.0,
        growth[growth.len() / 2] as f64 / open.processes as f64
    );
    println!("\nlsp bench: done in {:.1} s", started.elapsed().as_secs_f64());
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}

fn bpel_binary() -> PathBuf {
    let path = match std::env::var_os("BPEL_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("release/bpel")
        }
    };
    assert!(path.is_file(), "{} not found: run `cargo build --release -p bpel` first (or set BPEL_BIN)", path.display());
    path
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "FAIL"
    }
}

/// The `p`th percentile (nearest rank) of the samples.
fn percentile(samples: &[Duration], p: usize) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

// ---------------------------------------------------------------------------------------------
// The generated process

struct Generated {
    path: PathBuf,
    text: String,
    /// Where the edits insert and delete one character: just after a variable name in a `<to>`
    /// of a scope in the middle of the file (line, column; the text is ASCII).
    toggle: (usize, usize),
    /// Completion positions: (what, line, column).
    completions: Vec<(&'static str, usize, usize)>,
}

/// Writes the process and its WSDL (betsy's TestInterface and TestPartner, copied beside it).
fn generate(work: &Path, betsy: &Path) -> Generated {
    std::fs::create_dir_all(work).expect("create target/lsp-bench");
    let work = &work.canonicalize().expect("target/lsp-bench exists");
    for wsdl in ["TestInterface.wsdl", "TestPartner.wsdl"] {
        std::fs::copy(betsy.join(wsdl), work.join(wsdl)).expect("copy the betsy WSDL");
    }
    let mut lines: Vec<String> = Vec::new();
    fn push(lines: &mut Vec<String>, indent: usize, text: &str) {
        lines.push(format!("{}{text}", "    ".repeat(indent)));
    }
    for line in [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<process name="LspBench" targetNamespace="http://example.org/bpel/lsp-bench""#,
        r#"    xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable""#,
        r#"    xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
        r#"    xmlns:ti="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface""#,
        r#"    xmlns:tp="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner">"#,
        r#"    <import namespace="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface" location="TestInterface.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>"#,
        r#"    <import namespace="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner" location="TestPartner.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>"#,
        r#"    <partnerLinks>"#,
        r#"        <partnerLink name="MyRoleLink" partnerLinkType="ti:TestInterfacePartnerLinkType" myRole="testInterfaceRole"/>"#,
        r#"        <partnerLink name="TestPartnerLink" partnerLinkType="tp:TestPartnerLinkType" partnerRole="testPartnerRole"/>"#,
        r#"    </partnerLinks>"#,
        r#"    <variables>"#,
        r#"        <variable name="InitData" messageType="ti:executeProcessSyncRequest"/>"#,
        r#"        <variable name="ReplyData" messageType="ti:executeProcessSyncResponse"/>"#,
        r#"    </variables>"#,
        r#"    <sequence name="Main">"#,
        r#"        <receive name="InitialReceive" createInstance="yes" partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData"/>"#,
        r#"        <assign name="InitialReply">"#,
        r#"            <copy>"#,
        r#"                <from>0</from>"#,
        r#"                <to variable="ReplyData" part="outputPart"/>"#,
        r#"            </copy>"#,
        r#"        </assign>"#,
    ] {
        lines.push(line.to_string());
    }
    let tail = [
        r#"        <reply name="ReplyToInitialReceive" partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="ReplyData"/>"#,
        r#"    </sequence>"#,
        r#"</process>"#,
    ];
    let per_scope = 57;
    let scopes = (TARGET_LINES - lines.len() - tail.len()).div_ceil(per_scope);
    let middle = scopes / 2;
    let mut toggle = (0, 0);
    let mut completions = Vec::new();
    for i in 0..scopes {
        let first = lines.len();
        push(&mut lines, 2, &format!(r#"<scope name="Stage{i}">"#));
        push(&mut lines, 3, "<variables>");
        push(&mut lines, 4, &format!(r#"<variable name="Request{i}" messageType="tp:executeProcessSyncRequest"/>"#));
        push(&mut lines, 4, &format!(r#"<variable name="Response{i}" messageType="tp:executeProcessSyncResponse"/>"#));
        push(&mut lines, 4, &format!(r#"<variable name="Counter{i}" type="xsd:int"/>"#));
        push(&mut lines, 3, "</variables>");
        push(&mut lines, 3, "<faultHandlers>");
        push(&mut lines, 4, "<catchAll>");
        push(&mut lines, 5, &format!(r#"<assign name="Recover{i}">"#));
        push(&mut lines, 6, "<copy>");
        push(&mut lines, 7, "<from>-1</from>");
        push(&mut lines, 7, &format!(r#"<to variable="Counter{i}"/>"#));
        push(&mut lines, 6, "</copy>");
        push(&mut lines, 5, "</assign>");
        push(&mut lines, 4, "</catchAll>");
        push(&mut lines, 3, "</faultHandlers>");
        push(&mut lines, 3, &format!(r#"<sequence name="Steps{i}">"#));
        push(&mut lines, 4, &format!(r#"<assign name="Prepare{i}">"#));
        push(&mut lines, 5, "<copy>");
        push(&mut lines, 6, r#"<from variable="InitData" part="inputPart"/>"#);
        if i == middle {
            let line = format!(r#"<to variable="Request{i}" part="inputPart"/>"#);
            let column = 6 * 4 + line.find(" part=").expect("a part attribute") - 1;
            toggle = (lines.len(), column);
            // Attribute value: inside the variable name of this `<to>`.
            completions.push(("attribute value", lines.len(), 6 * 4 + line.find("Request").expect("a name") + 3));
        }
        push(&mut lines, 6, &format!(r#"<to variable="Request{i}" part="inputPart"/>"#));
        push(&mut lines, 5, "</copy>");
        push(&mut lines, 5, "<copy>");
        push(&mut lines, 6, &format!("<from>$InitData.inputPart + {i}</from>"));
        push(&mut lines, 6, &format!(r#"<to variable="Counter{i}"/>"#));
        push(&mut lines, 5, "</copy>");
        push(&mut lines, 4, "</assign>");
        if i == middle {
            // Element position: just after the `<` of the invoke, where an activity name goes.
            completions.push(("element position", lines.len(), 4 * 4 + 1));
        }
        push(
            &mut lines,
            4,
            &format!(
                r#"<invoke name="Call{i}" partnerLink="TestPartnerLink" operation="startProcessSync" portType="tp:TestPartnerPortType" inputVariable="Request{i}" outputVariable="Response{i}"/>"#
            ),
        );
        push(&mut lines, 4, &format!(r#"<if name="Check{i}">"#));
        if i == middle {
            // XPath: just after the `$`, where a variable name goes.
            completions.push(("XPath", lines.len(), 5 * 4 + "<condition>$".len()));
        }
        push(&mut lines, 5, &format!("<condition>$Response{i}.outputPart &gt; $Counter{i}</condition>"));
        push(&mut lines, 5, &format!(r#"<assign name="Keep{i}">"#));
        push(&mut lines, 6, "<copy>");
        push(&mut lines, 7, &format!("<from>$Response{i}.outputPart</from>"));
        push(&mut lines, 7, r#"<to variable="ReplyData" part="outputPart"/>"#);
        push(&mut lines, 6, "</copy>");
        push(&mut lines, 5, "</assign>");
        push(&mut lines, 5, "<else>");
        push(&mut lines, 6, &format!(r#"<empty name="Skip{i}"/>"#));
        push(&mut lines, 5, "</else>");
        push(&mut lines, 4, "</if>");
        push(&mut lines, 4, &format!(r#"<flow name="Fan{i}">"#));
        push(&mut lines, 5, "<links>");
        push(&mut lines, 6, &format!(r#"<link name="Then{i}"/>"#));
        push(&mut lines, 5, "</links>");
        push(&mut lines, 5, &format!(r#"<empty name="First{i}">"#));
        push(&mut lines, 6, "<sources>");
        push(&mut lines, 7, &format!(r#"<source linkName="Then{i}"/>"#));
        push(&mut lines, 6, "</sources>");
        push(&mut lines, 5, "</empty>");
        push(&mut lines, 5, &format!(r#"<empty name="Second{i}">"#));
        push(&mut lines, 6, "<targets>");
        push(&mut lines, 7, &format!(r#"<target linkName="Then{i}"/>"#));
        push(&mut lines, 6, "</targets>");
        push(&mut lines, 5, "</empty>");
        push(&mut lines, 4, "</flow>");
        push(&mut lines, 3, "</sequence>");
        push(&mut lines, 2, "</scope>");
        assert_eq!(lines.len() - first, per_scope, "per_scope is the number of lines of one scope");
    }
    for line in tail {
        lines.push(line.to_string());
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let path = work.join("LspBench.bpel");
    std::fs::write(&path, &text).expect("write the generated process");
    Generated { path, text, toggle, completions }
}

// ---------------------------------------------------------------------------------------------
// Baselines

struct Baseline {
    command: Duration,
    in_process: Duration,
    warm: Duration,
}

fn baselines(bpel: &Path, generated: &Generated, runs: usize) -> Baseline {
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &generated.path).expect("read the generated process");
    let diagnostics: Vec<String> = analysis.diagnostics().iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    assert!(diagnostics.is_empty(), "the generated process must check clean: {diagnostics:#?}");

    let mut command = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let output = Command::new(bpel).arg("check").arg(&generated.path).output().expect("run bpel check");
        command.push(start.elapsed());
        assert!(output.status.success(), "bpel check failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let mut in_process = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let analysis = analyze(&mut Loader::new(), &generated.path).expect("read the generated process");
        in_process.push(start.elapsed());
        assert!(analysis.diagnostics().is_empty());
    }
    let mut warm = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let analysis = analyze_text(&mut loader, &generated.path, generated.text.as_str());
        warm.push(start.elapsed());
        assert!(analysis.diagnostics().is_empty());
    }
    Baseline { command: percentile(&command, 50), in_process: percentile(&in_process, 50), warm: percentile(&warm, 50) }
}

// ---------------------------------------------------------------------------------------------
// The server over stdio

struct Server {
    child: Child,
    stdin: ChildStdin,
    /// Messages from the server, each stamped when the reader thread finished reading it.
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    fn start(bpel: &Path) -> Server {
        let mut child = Command::new(bpel)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bpel lsp");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send((Instant::now(), message)).is_err() {
                    return;
                }
            }
        });
        let mut server = Server { child, stdin, incoming, next_id: 0 };
        let capabilities = json!({
            "textDocument": {
                "completion": { "completionItem": { "snippetSupport": true } },
                "publishDiagnostics": { "versionSupport": true }
            }
        });
        server.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": capabilities }));
        server.notify("initialized", json!({}));
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("JSON");
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).expect("write to bpel lsp");
        self.stdin.write_all(&body).expect("write to bpel lsp");
        self.stdin.flush().expect("write to bpel lsp");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message, answering the server's own requests (with null) on the way.
    fn next(&mut self, deadline: Instant) -> (Instant, Value) {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let (at, message) = self.incoming.recv_timeout(wait).expect("bpel lsp answered within the time allowed");
            if message.get("method").is_some() && message.get("id").is_some() {
                self.send(&json!({ "jsonrpc": "2.0", "id": message["id"], "result": null }));
                continue;
            }
            return (at, message);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (_, message) = self.next(deadline);
            if message.get("method").is_none() && message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    /// Waits for the `publishDiagnostics` of `uri` at `version`: when it was read, and its diagnostics.
    fn diagnostics_at(&mut self, uri: &str, version: i64) -> (Instant, Vec<Value>) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (at, message) = self.next(deadline);
            let params = &message["params"];
            if message["method"] == "textDocument/publishDiagnostics" && params["uri"] == uri && params["version"] == json!(version) {
                return (at, params["diagnostics"].as_array().cloned().unwrap_or_default());
            }
        }
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
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
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn vm_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

// ---------------------------------------------------------------------------------------------
// Edits and completion on the generated file

type CompletionFigures = Vec<(&'static str, Vec<Duration>, usize)>;

fn edit_and_complete(
    bpel: &Path,
    generated: &Generated,
    edits: usize,
    completions: usize,
    deadline: Instant,
) -> (Vec<Duration>, CompletionFigures) {
    let path = generated.path.canonicalize().expect("the generated process exists");
    let uri = uri(&path);
    let mut server = Server::start(bpel);
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "bpel", "version": 0, "text": generated.text } }),
    );
    let (_, opened) = server.diagnostics_at(&uri, 0);
    assert!(opened.is_empty(), "the server reports diagnostics on the clean generated process: {opened:#?}");

    let (line, column) = generated.toggle;
    let mut latencies = Vec::new();
    let mut broken_codes: Option<Vec<Value>> = None;
    for version in 1..=edits as i64 {
        if Instant::now() > deadline {
            println!("lsp bench: run limit reached after {} edits", latencies.len());
            break;
        }
        let breaks = version % 2 == 1;
        let change = if breaks {
            json!({ "range": { "start": { "line": line, "character": column }, "end": { "line": line, "character": column } }, "text": "x" })
        } else {
            json!({ "range": { "start": { "line": line, "character": column }, "end": { "line": line, "character": column + 1 } }, "text": "" })
        };
        let sent = Instant::now();
        server.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }));
        let (at, diagnostics) = server.diagnostics_at(&uri, version);
        latencies.push(at.duration_since(sent));
        let codes: Vec<Value> = diagnostics.iter().map(|d| d["code"].clone()).collect();
        if breaks {
            assert!(!codes.is_empty(), "edit {version} names an undeclared variable but no diagnostic came");
            match &broken_codes {
                Some(expected) => assert_eq!(&codes, expected, "edit {version}: the same break gives the same diagnostics"),
                None => {
                    println!("lsp bench: the toggled name gives {codes:?}");
                    broken_codes = Some(codes);
                }
            }
        } else {
            assert!(codes.is_empty(), "edit {version} restores the name but diagnostics remain: {codes:?}");
        }
    }

    let mut figures = Vec::new();
    for &(what, line, column) in &generated.completions {
        let mut samples = Vec::new();
        let mut items = 0;
        for _ in 0..completions {
            if Instant::now() > deadline {
                break;
            }
            let start = Instant::now();
            let result = server.request(
                "textDocument/completion",
                json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": column }, "context": { "triggerKind": 1 } }),
            );
            samples.push(start.elapsed());
            items = match &result {
                Value::Array(list) => list.len(),
                Value::Object(list) => list.get("items").and_then(Value::as_array).map_or(0, Vec::len),
                _ => 0,
            };
            assert!(items > 0, "completion at the {what} ({line}:{column}) gave nothing: {result}");
        }
        if !samples.is_empty() {
            figures.push((what, samples, items));
        }
    }
    server.shutdown();
    (latencies, figures)
}

// ---------------------------------------------------------------------------------------------
// All betsy processes open

struct OpenFigures {
    processes: usize,
    times: Vec<Duration>,
    rss_initial_kib: u64,
    rss_growth_kib: Vec<u64>,
}

fn open_betsy(bpel: &Path, betsy: &Path, rounds: usize, deadline: Instant) -> OpenFigures {
    let documents: Vec<(String, String)> = bpel_tests::betsy::cases(betsy)
        .iter()
        .map(|case| {
            let path = betsy.join(&case.bpel_path).canonicalize().expect("a betsy process");
            let text = std::fs::read_to_string(&path).expect("read a betsy process");
            (uri(&path), text)
        })
        .collect();
    assert_eq!(documents.len(), 215, "betsy's executable processes");
    let mut figures = OpenFigures { processes: documents.len(), times: Vec::new(), rss_initial_kib: 0, rss_growth_kib: Vec::new() };
    for _ in 0..rounds {
        if Instant::now() > deadline {
            break;
        }
        let mut server = Server::start(bpel);
        let before = vm_kib(server.pid(), "VmRSS:");
        let start = Instant::now();
        for (uri, text) in &documents {
            server.notify(
                "textDocument/didOpen",
                json!({ "textDocument": { "uri": uri, "languageId": "bpel", "version": 1, "text": text } }),
            );
        }
        let mut waiting: HashSet<&str> = documents.iter().map(|(uri, _)| uri.as_str()).collect();
        let mut last = start;
        let wait_until = Instant::now() + PATIENCE;
        while !waiting.is_empty() {
            let (at, message) = server.next(wait_until);
            if message["method"] == "textDocument/publishDiagnostics" && message["params"]["version"] == json!(1) {
                let uri = message["params"]["uri"].as_str().unwrap_or_default().to_string();
                if waiting.remove(uri.as_str()) {
                    last = at;
                }
            }
        }
        figures.times.push(last.duration_since(start));
        // The RSS once every diagnostic is out (the analyses stay in memory while open).
        let after = vm_kib(server.pid(), "VmRSS:");
        figures.rss_initial_kib = before;
        figures.rss_growth_kib.push(after.saturating_sub(before));
        server.shutdown();
    }
    assert!(!figures.times.is_empty(), "the run limit left no time to open betsy");
    figures
}
