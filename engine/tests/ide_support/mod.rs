//! The files the editor-query tests sweep: every example process, and twenty betsy processes
//! spread over the suite in a stable order.

#![allow(dead_code)]

use std::path::PathBuf;

pub fn examples() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let (files, errors) = bpel_engine::check::process_files(&[root]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(files.len() >= 4);
    files
}

pub fn betsy() -> Vec<PathBuf> {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let root = shared.join("conformance/betsy");
    let (files, _) = bpel_engine::check::process_files(&[root.join("basic"), root.join("structured"), root.join("scopes")]);
    assert!(files.len() >= 20, "the betsy suite is at {}", root.display());
    let step = files.len() / 20;
    files.into_iter().step_by(step.max(1)).take(20).collect()
}
