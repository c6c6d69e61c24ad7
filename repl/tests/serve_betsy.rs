//! betsy's 215 executable tests over HTTP (see `bpel_tests::betsy_http`): each test deployed as
//! betsy deploys it, served by its own `bpel serve` child, with a real test partner on loopback,
//! four tests at a time. Prints a table per group with the failing tests and why, writes it to
//! `target/betsy-http.md`, and fails if a test that passes in process (`tests/betsy-passing.txt`)
//! fails over HTTP. `UPDATE_BETSY_HTTP=1` also writes the HTTP passing set to
//! `tests/betsy-http-passing.txt`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use bpel_tests::betsy::{cases, Outcome, Tally};
use bpel_tests::betsy_http::run_http;
use bpel_tests::{betsy_dir, workspace_dir};

const WORKERS: usize = 4;

#[test]
fn betsy_over_http() {
    let started = Instant::now();
    let binary = Path::new(env!("CARGO_BIN_EXE_bpel"));
    let betsy = betsy_dir();
    let all = cases(&betsy);
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<(Outcome, f64)>>> = Mutex::new((0..all.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = all.get(index) else { break };
                let begun = Instant::now();
                let outcome = std::panic::catch_unwind(|| run_http(binary, &betsy, case)).unwrap_or_else(|panic| {
                    let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                    Outcome { passed: false, reason: format!("PANIC in the harness: {}", why.unwrap_or_default()) }
                });
                let seconds = begun.elapsed().as_secs_f64();
                eprintln!("{} {}/{} ({seconds:.1} s)", if outcome.passed { "ok  " } else { "FAIL" }, case.group, case.name);
                outcomes.lock().unwrap_or_else(|p| p.into_inner())[index] = Some((outcome, seconds));
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());

    let mut tally = Tally::default();
    for (case, outcome) in all.iter().zip(outcomes) {
        let (outcome, _) = outcome.unwrap_or((Outcome { passed: false, reason: "not run".into() }, 0.0));
        tally.add(case, &outcome);
    }
    let mut report = format!("betsy over HTTP (`bpel serve`, one server per test)\n\n{}", tally.table());
    report.push_str(&format!("\nRun time: {:.1} s with {WORKERS} workers\n", started.elapsed().as_secs_f64()));
    println!("{report}");
    let target = workspace_dir().join("target");
    let _ = std::fs::create_dir_all(&target);
    let _ = std::fs::write(target.join("betsy-http.md"), &report);
    if std::env::var_os("UPDATE_BETSY_HTTP").is_some() {
        std::fs::write(workspace_dir().join("tests/betsy-http-passing.txt"), tally.passing.join("\n") + "\n").unwrap();
    }

    let gate = std::fs::read_to_string(workspace_dir().join("tests/betsy-passing.txt")).unwrap_or_default();
    let lost = tally.lost(&gate);
    assert!(lost.is_empty(), "tests that pass in process fail over HTTP: {lost:?}\n{report}");
}
