//! betsy's 215 executable tests against the engine, in process (see `bpel_tests::betsy`). Prints a
//! table per group with the failing tests and why; fails if a test of the passing set
//! (`tests/betsy-passing.txt`) no longer passes. `UPDATE_BETSY=1` rewrites the set.

use bpel_tests::betsy::{cases, run, Tally};
use bpel_tests::{betsy_dir, workspace_dir};

fn table(checkpoint_every_step: bool) -> (Vec<String>, String) {
    let betsy = betsy_dir();
    let mut tally = Tally::default();
    for case in cases(&betsy) {
        let outcome = std::panic::catch_unwind(|| run(&betsy, &case, checkpoint_every_step)).unwrap_or_else(|panic| {
            let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            bpel_tests::betsy::Outcome { passed: false, reason: format!("PANIC: {}", why.unwrap_or_default()) }
        });
        tally.add(&case, &outcome);
    }
    let report = tally.table();
    (tally.passing, report)
}

#[test]
fn betsy_in_process() {
    let (passing, report) = table(false);
    println!("{report}");
    let gate = workspace_dir().join("tests/betsy-passing.txt");
    if std::env::var_os("UPDATE_BETSY").is_some() {
        std::fs::write(&gate, passing.join("\n") + "\n").unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&gate).unwrap_or_default();
    assert!(!report.contains("PANIC"), "no betsy input may panic the engine:\n{report}");
    let lost: Vec<&str> = expected.lines().filter(|l| !l.is_empty() && !passing.iter().any(|p| p == l)).collect();
    assert!(lost.is_empty(), "tests that passed before fail now: {lost:?}\n{report}");
}

/// Checkpoint-anywhere: every test of the passing set passes again with every instance saved and
/// restored after every single step.
#[test]
fn betsy_in_process_checkpointing_after_every_step() {
    let gate = workspace_dir().join("tests/betsy-passing.txt");
    let expected = std::fs::read_to_string(&gate).unwrap_or_default();
    let (passing, report) = table(true);
    println!("{report}");
    let lost: Vec<&str> = expected.lines().filter(|l| !l.is_empty() && !passing.iter().any(|p| p == l)).collect();
    assert!(lost.is_empty(), "tests that pass without checkpoints fail with a checkpoint after every step: {lost:?}\n{report}");
}
