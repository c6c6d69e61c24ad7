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

/// `xpath`: a string literal holding a `"` printed with that quote doubled inside `'...'` (a change
/// of this session's printer for XPath 2.0), which XPath 1.0 reads back as another literal. The
/// printed text must parse to the same and print the same, in both languages.
#[test]
fn xpath_inputs_print_stably() {
    use bpel_engine::xpath::{parse_in, Language, NoNamespaces};
    for (path, bytes) in regressions("xpath") {
        let text = String::from_utf8_lossy(&bytes);
        for language in [Language::XPath1, Language::XPath2] {
            let Ok(expr) = parse_in(&text, &NoNamespaces, language) else { continue };
            let printed = expr.to_string();
            let again = parse_in(&printed, &NoNamespaces, language).unwrap_or_else(|e| panic!("{}: `{printed}`: {e}", path.display()));
            assert_eq!(again.to_string(), printed, "{}: printing is stable ({language:?})", path.display());
            assert_eq!(again.as_literal(), expr.as_literal(), "{}: the same literal ({language:?})", path.display());
        }
    }
}
