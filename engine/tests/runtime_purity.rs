//! The runtime does no I/O, reads no clock but its `Clock`, draws no random numbers and iterates no
//! hash map (ARCHITECTURE.md: "runtime/ does no I/O"). Every file of `engine/src/runtime/` but
//! `clock.rs` is scanned for what would break that; comments are left out.

use std::path::{Path, PathBuf};

/// Path fragments that mean I/O, time, threads, the environment or randomness.
const FORBIDDEN_PATHS: &[&str] =
    &["std::fs", "std::net", "std::io", "std::time", "std::thread", "std::env", "std::process", "SystemTime", "Instant::now", "UNIX_EPOCH"];

/// Identifiers that must not appear at all: the modules above imported by a `use std::{...}` list,
/// crates for I/O or randomness, and hash maps (randomly seeded: iterating them is not deterministic).
const FORBIDDEN_WORDS: &[&str] = &[
    "fs",
    "net",
    "io",
    "thread",
    "env",
    "Instant",
    "SystemTime",
    "tokio",
    "rand",
    "getrandom",
    "HashMap",
    "HashSet",
    "RandomState",
    "File",
    "TcpStream",
    "UdpSocket",
    "println",
    "eprintln",
];

fn runtime_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/runtime")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` comments (line and doc comments), so that prose may speak of I/O.
fn code_of(text: &str) -> String {
    text.lines().map(|line| line.find("//").map_or(line, |i| &line[..i])).collect::<Vec<_>>().join("\n")
}

fn violations(code: &str) -> Vec<String> {
    let mut found: Vec<String> = FORBIDDEN_PATHS.iter().filter(|p| code.contains(*p)).map(|p| p.to_string()).collect();
    for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if FORBIDDEN_WORDS.contains(&word) && !found.iter().any(|f| f == word) {
            found.push(word.to_string());
        }
    }
    found
}

#[test]
fn the_runtime_does_no_io_and_reads_no_clock() {
    let mut files = Vec::new();
    rust_files(&runtime_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut problems = Vec::new();
    for file in &files {
        if file.file_name().is_some_and(|n| n == "clock.rs") {
            continue;
        }
        let found = violations(&code_of(&std::fs::read_to_string(file).unwrap()));
        if !found.is_empty() {
            problems.push(format!("{}: {}", file.display(), found.join(", ")));
        }
    }
    assert!(problems.is_empty(), "runtime/ must not do I/O or read the time except through its Clock:\n{}", problems.join("\n"));
}

#[test]
fn the_scan_would_notice() {
    // the clock is the one exception, and the scan sees it
    let clock = code_of(&std::fs::read_to_string(runtime_dir().join("clock.rs")).unwrap());
    assert!(violations(&clock).contains(&"SystemTime".to_string()));
    assert_eq!(violations("use std::{fs, io::Write};"), ["fs", "io"]);
    assert_eq!(violations("let t = std::time::Instant::now();"), ["std::time", "Instant::now", "Instant"]);
    assert_eq!(violations("let m: HashMap<u32, u32> = HashMap::new();"), ["HashMap"]);
    assert_eq!(violations("let x = rand::random::<u8>();"), ["rand"]);
    assert!(violations(&code_of("// reads std::fs in a comment\nlet operand = 1; // and io")).is_empty());
}
