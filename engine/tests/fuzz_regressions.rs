//! Inputs the fuzzers (`fuzz/`) found that made the engine panic, kept in `fuzz/regressions/TARGET/`,
//! each given to the entry point of its target as the target does. They must be answered, not panic.

use std::path::PathBuf;

use bpel_engine::exec::scenario::Scenario;

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable").path())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("readable");
            (path, bytes)
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    inputs
}

/// `scenario`: a `start` whose year (4983108671024016155) overflowed the day count of a date
/// (`days_from_civil`). It is now refused as a start time, with the usual message.
#[test]
fn scenario_inputs_are_answered() {
    for (path, bytes) in regressions("scenario") {
        let text = String::from_utf8_lossy(&bytes);
        let Ok(scenario) = Scenario::parse(&text) else { continue };
        let start = scenario.start_time();
        assert!(start.is_err(), "{}: a start no timestamp can hold is refused: {start:?}", path.display());
    }
}
