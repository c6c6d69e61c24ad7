//! The static-analysis rules: every must-reject betsy process is rejected with its folder's code,
//! our own tests for the rules betsy does not cover, and the rule table is complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bpel_engine::check::{analyze, rules};
use bpel_engine::parse::Loader;
use bpel_engine::Severity;
use bpel_tests::{betsy_dir, workspace_dir};

/// `SA00056` from a folder name like `SA00056` or `SA00056-3`.
fn rule_of(folder: &Path) -> String {
    let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split('-').next().unwrap_or_default().to_string()
}

fn bpel_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "bpel")).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("readable folder").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

#[test]
fn every_must_reject_betsy_process_is_rejected_with_its_rule() {
    let root = betsy_dir().join("sa-rules");
    let mut loader = Loader::new();
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for rule_dir in sorted_dirs(&root) {
        for case_dir in sorted_dirs(&rule_dir) {
            let code = rule_of(&case_dir);
            for path in bpel_files(&case_dir) {
                let analysis = analyze(&mut loader, &path).expect("readable");
                let found = analysis.diagnostics().iter().any(|d| d.code == code && d.severity == Severity::Error);
                let entry = per_rule.entry(code.clone()).or_default();
                entry.1 += 1;
                if found {
                    entry.0 += 1;
                } else {
                    let others: Vec<&str> = analysis.diagnostics().iter().map(|d| d.code).collect();
                    misses.push(format!("{} (got {others:?})", path.strip_prefix(&root).unwrap_or(&path).display()));
                }
            }
        }
    }
    let total: usize = per_rule.values().map(|(_, n)| n).sum();
    assert_eq!(total, 762, "the suite has 762 must-reject processes");
    let table: Vec<String> = per_rule.iter().map(|(code, (ok, n))| format!("{code} {ok}/{n}")).collect();
    println!("{}", table.join("\n"));
    assert!(misses.is_empty(), "{} of 762 not rejected with their rule:\n{}", misses.len(), misses.join("\n"));
}

/// `tests/sa/SA000NN/fail-*.bpel` must get the rule's code; `pass-*.bpel` must get no error at all.
#[test]
fn own_rule_tests_fail_and_pass_as_named() {
    let root = workspace_dir().join("tests/sa");
    let mut loader = Loader::new();
    let mut problems = Vec::new();
    let mut counted = 0;
    for rule_dir in sorted_dirs(&root) {
        let code = rule_of(&rule_dir);
        for path in bpel_files(&rule_dir) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let analysis = analyze(&mut loader, &path).expect("readable");
            let errors: Vec<String> = analysis
                .diagnostics()
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| format!("{} {}", d.code, d.message))
                .collect();
            counted += 1;
            if name.starts_with("fail-") {
                if !analysis.diagnostics().iter().any(|d| d.code == code) {
                    problems.push(format!("{code}/{name}: expected {code}, got {errors:?}"));
                }
            } else if name.starts_with("pass-") {
                if !errors.is_empty() {
                    problems.push(format!("{code}/{name}: expected no error, got {errors:?}"));
                }
            } else {
                problems.push(format!("{code}/{name}: name it fail-*.bpel or pass-*.bpel"));
            }
        }
    }
    assert!(counted > 0, "no own rule tests found under {}", root.display());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The rules betsy has no test for must have our own failing and passing processes.
#[test]
fn rules_without_betsy_tests_have_own_tests() {
    const UNCOVERED: &[u32] = &[4, 9, 21, 26, 27, 28, 29, 30, 31, 33, 38, 39, 40, 41, 42, 43, 56, 60, 73, 74, 75, 77, 94];
    let root = workspace_dir().join("tests/sa");
    let mut missing = Vec::new();
    for number in UNCOVERED {
        let code = format!("SA{number:05}");
        let files = bpel_files(&root.join(&code));
        let names: Vec<String> = files.iter().filter_map(|p| p.file_name()?.to_str().map(str::to_string)).collect();
        if !names.iter().any(|n| n.starts_with("fail-")) || !names.iter().any(|n| n.starts_with("pass-")) {
            missing.push(code);
        }
    }
    assert!(missing.is_empty(), "rules without a failing and a passing own test: {missing:?}");
}

#[test]
fn all_94_rules_are_registered_and_sa00049_is_not() {
    let codes: Vec<&str> = rules::all().map(|r| r.code).collect();
    let expected: Vec<String> = (1..=95).filter(|&n| n != 49).map(|n| format!("SA{n:05}")).collect();
    let missing: Vec<&String> = expected.iter().filter(|c| !codes.contains(&c.as_str())).collect();
    assert!(missing.is_empty(), "rules not registered: {missing:?}");
    assert_eq!(codes.len(), 94);
    assert!(rules::find(rules::MISSING_CODE).is_none());
    for rule in rules::all() {
        assert!(
            !rule.summary.is_empty() && !rule.why.is_empty() && !rule.failing.is_empty() && !rule.fixed.is_empty(),
            "{} lacks its docs",
            rule.code
        );
    }
}

/// The rule table in docs/sa-rules.md is generated from the registry and the test folders; this test
/// keeps it current. `UPDATE_DOCS=1 cargo test -p bpel-tests --test sa_rules rule_table` rewrites it.
#[test]
fn rule_table_in_the_docs_is_current() {
    let betsy = betsy_dir().join("sa-rules");
    let own = workspace_dir().join("tests/sa");
    let count = |dir: &Path| -> usize {
        if !dir.is_dir() {
            return 0;
        }
        sorted_dirs(dir).iter().map(|case| bpel_files(case).len()).sum::<usize>() + bpel_files(dir).len()
    };
    let mut table = String::from(
        "# Static-analysis rules\n\n\
         Generated from the rule registry (`engine/src/check/rules/`) and the test folders by\n\
         `UPDATE_DOCS=1 cargo test -p bpel-tests --test sa_rules rule_table`. `bpel check --explain CODE` prints a\n\
         rule's reason and a failing and a fixed example. SA00049 does not exist in the standard: its numbering\n\
         skips it, so there are 94 rules, SA00001 to SA00095.\n\n\
         | rule | tier | what it rejects | betsy must-reject tests | own tests |\n|---|---|---|---:|---:|\n",
    );
    for rule in rules::all() {
        let summary = rule.summary.replace('|', "\\|").replace('\n', " ");
        table.push_str(&format!(
            "| {} | {:?} | {} | {} | {} |\n",
            rule.code,
            rule.tier,
            summary,
            count(&betsy.join(rule.code)),
            count(&own.join(rule.code))
        ));
    }
    let path = workspace_dir().join("docs/sa-rules.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &table).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(written == table, "docs/sa-rules.md is out of date: run UPDATE_DOCS=1 cargo test -p bpel-tests --test sa_rules rule_table");
}
