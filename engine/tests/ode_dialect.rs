//! Apache ODE's dialect at the engine's level: what it accepts with a warning, what it still
//! refuses (ODE's atomic scopes), and that the standard stays strict.

use std::path::PathBuf;

use bpel_engine::check::analyze_text;
use bpel_engine::parse::{Dialect, Loader};
use bpel_engine::Severity;

fn echo() -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ode-lenient/echo.bpel");
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn diagnostics(dialect: Dialect, text: &str) -> Vec<(Severity, &'static str, String)> {
    let (path, _) = echo();
    let mut loader = Loader::new();
    loader.dialect = dialect;
    let analysis = analyze_text(&mut loader, &path, text);
    assert_eq!(analysis.unit.dialect, dialect);
    analysis.diagnostics().iter().map(|d| (d.severity, d.code, d.message.clone())).collect()
}

#[test]
fn odes_dialect_warns_where_the_standard_refuses() {
    let (_, text) = echo();
    let strict = diagnostics(Dialect::Standard, &text);
    let lenient = diagnostics(Dialect::Ode, &text);
    assert!(strict.iter().filter(|d| d.0 == Severity::Error).count() >= 5, "{strict:#?}");
    assert!(lenient.iter().all(|d| d.0 == Severity::Warning), "{lenient:#?}");
    let codes: Vec<&str> = lenient.iter().map(|d| d.1).collect();
    assert_eq!(codes, ["BPEL0003", "SA00061", "BPEL0003", "BPEL0001", "SA00061"], "each one named: {lenient:#?}");
}

#[test]
fn odes_atomic_scopes_are_refused_saying_why() {
    let (_, text) = echo();
    let atomic = text
        .replacen("    <sequence>\n", "    <scope atomic=\"yes\"><sequence>\n", 1)
        .replace("    </sequence>\n</process>", "    </sequence></scope>\n</process>");
    let found = diagnostics(Dialect::Ode, &atomic);
    assert!(
        found.iter().any(|(severity, code, message)| *severity == Severity::Error
            && *code == "BPEL0001"
            && message.contains("Apache ODE's atomic scopes")),
        "{found:#?}"
    );
    let not_atomic = atomic.replace("atomic=\"yes\"", "atomic=\"no\"");
    let found = diagnostics(Dialect::Ode, &not_atomic);
    assert!(found.iter().all(|d| d.0 == Severity::Warning), "atomic=\"no\" changes nothing: {found:#?}");
    let found = diagnostics(Dialect::Standard, &not_atomic);
    assert!(found.iter().any(|(_, _, m)| m.contains("<scope> has no attribute `atomic`")), "{found:#?}");
}
