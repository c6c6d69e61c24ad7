//! Shared helpers for the end-to-end tests: where the shared conformance material lives, and the
//! betsy cases.

use std::path::PathBuf;

/// The `shared/` folder beside the repository (or `$BPEL_SHARED`).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("BPEL_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

pub fn betsy_dir() -> PathBuf {
    let dir = shared_dir().join("conformance/betsy");
    assert!(dir.join("cases.json").is_file(), "betsy conformance suite not found at {} (set BPEL_SHARED)", dir.display());
    dir
}

/// Every `.bpel` file under the betsy folder, sorted.
pub fn all_betsy_processes() -> Vec<PathBuf> {
    let (files, errors) = bpel_engine::check::process_files(&[betsy_dir()]);
    assert!(errors.is_empty(), "unreadable: {errors:?}");
    files
}

/// The 215 executable test processes (everything but the must-reject `sa-rules/`), from cases.json.
pub fn executable_betsy_processes() -> Vec<PathBuf> {
    let dir = betsy_dir();
    let text = std::fs::read_to_string(dir.join("cases.json")).expect("read cases.json");
    let cases: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    cases
        .as_array()
        .expect("cases.json is an array")
        .iter()
        .filter(|case| case["group"] != "sa-rules")
        .map(|case| dir.join(case["bpel_path"].as_str().expect("bpel_path")))
        .collect()
}

/// The workspace's root folder.
pub fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
pub mod betsy;
pub mod betsy_http;
pub mod load;
pub mod loopback;
pub mod notifier;
pub mod partner;
