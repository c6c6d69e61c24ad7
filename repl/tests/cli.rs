//! `bpel check` as a user runs it: the real binary, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bpel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpel")).args(args).env("NO_COLOR", "1").output().expect("run bpel")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A copy of the echo example with one variable reference misspelled, in a fresh folder.
fn broken_echo(dir: &Path) -> PathBuf {
    let source = workspace().join("examples/echo");
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let process = dir.join("echo.bpel");
    let text = std::fs::read_to_string(&process).unwrap();
    let reply = text.find("<reply").expect("echo replies");
    let attribute = text[reply..].find("variable=\"").expect("reply names its variable") + reply + "variable=\"".len();
    let end = text[attribute..].find('"').unwrap() + attribute;
    let broken = format!("{}undeclaredVar{}", &text[..attribute], &text[end..]);
    std::fs::write(&process, broken).unwrap();
    process
}

fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let offset = text.find(needle).expect("needle in text");
    let line = text[..offset].matches('\n').count() + 1;
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[test]
fn examples_are_clean() {
    let output = bpel(&["check", workspace().join("examples").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
}

#[test]
fn undeclared_variable_is_reported_with_line_and_column() {
    let dir = std::env::temp_dir().join(format!("bpel-cli-test-{}", std::process::id()));
    let process = broken_echo(&dir);
    let text = std::fs::read_to_string(&process).unwrap();
    let (line, column) = line_col(&text, "undeclaredVar");

    let human = bpel(&["check", process.to_str().unwrap()]);
    assert_eq!(human.status.code(), Some(1));
    let out = stdout(&human);
    let header = format!("{}:{line}:{column}: error[BPEL0100] variable `undeclaredVar` is not declared", process.display());
    assert!(out.contains(&header), "expected {header:?} in:\n{out}");
    assert!(out.contains("undeclaredVar\""), "the snippet shows the source line:\n{out}");

    let json = bpel(&["check", "--format", "json", process.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let found = diagnostics.iter().find(|d| d["code"] == "BPEL0100").expect("a BPEL0100 diagnostic");
    assert!(found["message"].as_str().unwrap().contains("undeclaredVar"));
    assert_eq!(found["range"]["start"]["line"], line);
    assert_eq!(found["range"]["start"]["column"], column);
    assert_eq!(found["severity"], "error");
    assert_eq!(report["errors"].as_u64(), Some(diagnostics.iter().filter(|d| d["severity"] == "error").count() as u64));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(bpel(&["check"]).status.code(), Some(2));
    assert_eq!(bpel(&["check", "/nonexistent/process.bpel"]).status.code(), Some(2));
    assert_eq!(bpel(&["check", "--format", "yaml", "x.bpel"]).status.code(), Some(2));
}

#[test]
fn malformed_xml_is_an_error_with_a_position() {
    let dir = std::env::temp_dir().join(format!("bpel-cli-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.bpel");
    std::fs::write(
        &path,
        "<process xmlns=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\" name=\"p\" targetNamespace=\"urn:p\">\n  <sequence>\n",
    )
    .unwrap();
    let output = bpel(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "XML0001"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn explain_prints_a_rule_with_examples() {
    let output = bpel(&["check", "--explain", "SA00056"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let out = stdout(&output);
    for part in ["SA00056:", "Why:", "Rejected:", "Accepted:"] {
        assert!(out.contains(part), "missing {part:?} in:\n{out}");
    }
    assert_eq!(bpel(&["check", "--explain", "56"]).stdout, output.stdout, "short codes name the same rule");
}

#[test]
fn explain_says_sa00049_does_not_exist() {
    let output = bpel(&["check", "--explain", "SA00049"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("does not exist"));
    assert_eq!(bpel(&["check", "--explain", "SA00200"]).status.code(), Some(2));
}
