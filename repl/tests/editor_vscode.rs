//! The VS Code extension (`editors/vscode/`), from a clean state to a real editor: `npm ci`, compile,
//! lint, its own tests (unit and grammar), `vsce package` into target/; then code-server (VS Code
//! 1.100 in headless Chromium, installed by `../shared/tools/vscode/code_server_setup.sh` into a
//! cache under target/) with the built .vsix and the built `bpel`: a process with an error shows its
//! diagnostic in the Problems panel with "BPEL" as the language mode, and "BPEL: Run process" on the
//! echo example opens a report saying it passed; "BPEL: Explain rule" shows a rule's explanation. Screenshots land in target/editor-vscode/out/.
//! Needs Node.js 20 with npm; the set-up script installs Chromium and the rest with apt and npm.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{temp_dir, workspace};

/// A command's combined output, or why it failed; it is killed after `limit`.
fn run(what: &str, command: &mut Command, limit: Duration) -> String {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: cannot start: {error}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = format!("{}{}", out_reader.join().unwrap_or_default(), err_reader.join().unwrap_or_default());
    match status {
        Some(status) if status.success() => output,
        Some(status) => panic!("{what} failed ({status}):\n{}", tail(&output, 80)),
        None => panic!("{what} did not finish within {}s:\n{}", limit.as_secs(), tail(&output, 80)),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn tool_version(tool: &str) -> Option<String> {
    let output = Command::new(tool).arg("--version").output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The cargo target folder the `bpel` under test was built into.
fn target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_bpel"));
    binary.parent().and_then(Path::parent).map_or_else(|| workspace().join("target"), Path::to_path_buf)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("its address").port()
}

/// `name = value` from the driver's last line (`vscode: language=BPEL problems=1 ...`).
fn field<'a>(summary: &'a str, name: &str) -> Option<&'a str> {
    summary.split_whitespace().find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn vscode_extension_builds_shows_diagnostics_and_runs_a_process() {
    let node = tool_version("node");
    let npm = tool_version("npm");
    assert!(
        node.is_some() && npm.is_some(),
        "this test needs Node.js 20 and npm on PATH (node: {node:?}, npm: {npm:?}); on Debian: apt-get install nodejs npm"
    );
    let extension = workspace().join("editors/vscode");
    let cache = target_dir().join("editor-vscode");
    let out = cache.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let minutes = |n: u64| Duration::from_secs(60 * n);

    // 1. the extension from a clean state
    let _ = std::fs::remove_dir_all(extension.join("out"));
    // --ignore-scripts: no dependency needs its install script to build or package the extension
    // (they build keytar and vsce-sign, which only publishing uses).
    let npm_step = |what: &str, args: &[&str], limit: Duration| {
        run(&format!("npm {what}"), Command::new("npm").args(args).current_dir(&extension), limit)
    };
    npm_step("ci", &["ci", "--ignore-scripts", "--no-audit", "--no-fund"], minutes(6));
    npm_step("run compile", &["run", "compile"], minutes(3));
    npm_step("run lint", &["run", "lint"], minutes(3));
    let tests = npm_step("test", &["test"], minutes(3));
    assert!(tests.contains("# fail 0") && !tests.contains("# pass 0"), "unit tests:\n{tests}");
    for grammar_test in ["expressions.test.bpel", "attributes.test.bpel"] {
        assert!(tests.contains(&format!("{grammar_test} run successfuly")), "grammar tests:\n{tests}");
    }
    let version = std::fs::read_to_string(extension.join("package.json")).unwrap();
    let version: serde_json::Value = serde_json::from_str(&version).unwrap();
    let vsix = cache.join(format!("bpel-{}.vsix", version["version"].as_str().expect("a version in package.json")));
    let _ = std::fs::remove_file(&vsix);
    let packaged = npm_step("run package", &["run", "package", "--", "--out", vsix.to_str().unwrap()], minutes(3));
    assert!(vsix.is_file(), "no {} after vsce package:\n{packaged}", vsix.display());

    // 2. code-server, Chromium and playwright-core, cached under target/
    let setup = bpel_tests::shared_dir().join("tools/vscode/code_server_setup.sh");
    assert!(setup.is_file(), "{} not found (set BPEL_SHARED to the shared folder)", setup.display());
    let code_server = cache.join("code-server");
    let installed = run("code_server_setup.sh", Command::new("bash").arg(&setup).arg(&code_server), minutes(20));
    assert!(installed.contains("code-server-setup: ok"), "{installed}");

    // 3. a workspace: the echo example broken (an undeclared variable in the reply) and as it is
    let scratch = temp_dir("vscode");
    // the folder's name is the window's title in the screenshots
    let folder = scratch.join("bpel-examples");
    for (dir, files) in [("broken", &["echo.bpel", "echo.wsdl"][..]), ("echo", &["echo.bpel", "echo.wsdl", "echo.scenario.toml"][..])] {
        std::fs::create_dir_all(folder.join(dir)).unwrap();
        for file in files {
            std::fs::copy(workspace().join("examples/echo").join(file), folder.join(dir).join(file)).unwrap();
        }
    }
    let broken = folder.join("broken/echo.bpel");
    let text = std::fs::read_to_string(&broken).unwrap();
    let edited = text.replace(r#"operation="echo" variable="response"/>"#, r#"operation="echo" variable="respons"/>"#);
    assert_ne!(text, edited, "the echo example changed: update the edit this test makes");
    std::fs::write(&broken, edited).unwrap();

    // 4. the editor, driven by the extended check script. VS Code takes PATH from a login shell,
    // so the server under test is named in the settings.
    let settings = serde_json::json!({ "bpel.server.path": env!("CARGO_BIN_EXE_bpel") }).to_string();
    let driver = extension.join("test/e2e/vscode_e2e.mjs");
    let report = run(
        "the end-to-end check in code-server",
        Command::new("node")
            .arg(&driver)
            .arg("--cs")
            .arg(&code_server)
            .arg("--folder")
            .arg(&folder)
            .args(["--broken", "broken/echo.bpel", "--run", "echo/echo.bpel"])
            .arg("--out")
            .arg(&out)
            .arg("--vsix")
            .arg(&vsix)
            .args(["--port", &free_port().to_string(), "--settings", &settings]),
        minutes(8),
    );
    eprintln!("{report}");
    let summary = report.lines().rev().find(|line| line.starts_with("vscode:")).unwrap_or_else(|| panic!("no summary:\n{report}"));
    assert_eq!(field(summary, "extension"), Some("installed"), "{report}");
    assert_eq!(field(summary, "language"), Some("BPEL"), "{report}");
    assert_eq!(field(summary, "errors"), Some("1"), "{report}");
    let problem = report.lines().find(|line| line.starts_with("problem:")).unwrap_or_else(|| panic!("no problem row:\n{report}"));
    assert!(problem.contains("respons") && problem.contains("line 37"), "{problem}");
    assert_eq!(field(summary, "report"), Some("passed"), "{report}");
    let shown = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(shown.starts_with("# ✓ Run passed: echo.bpel"), "the report as the editor shows it:\n{shown}");
    assert!(shown.contains("### Instance 1: completed"), "{shown}");
    assert_eq!(field(summary, "explain"), Some("shown"), "BPEL: Explain rule SA00001:\n{report}");
    for picture in ["screenshot-diagnostics.png", "screenshot-run-report.png"] {
        assert!(out.join(picture).is_file(), "no {picture} in {}", out.display());
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
