//! The server's settings: where scenarios are, how long a run may take, which rules are on and at
//! what severity. They come as `initializationOptions`, in `workspace/didChangeConfiguration`
//! (under `bpel`, as VS Code's client sends them, or bare), or from `workspace/configuration`
//! (section `bpel`) when the client offers it. The shape, in every case:
//!
//! ```json
//! { "scenarios": { "folder": "scenarios" },
//!   "run": { "timeoutSeconds": 10 },
//!   "rules": { "disabled": ["SA00056"], "severity": { "BPEL0100": "warning" } } }
//! ```
//!
//! Reading is tolerant: a setting that is missing takes its default, one that is wrong is left at
//! its default and reported (the editor shows the problems), and the others still apply.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bpel_engine::check::rules;
use bpel_engine::diagnostic::codes;
use serde_json::Value;
use tower_lsp_server::ls_types::{self as lsp, DiagnosticSeverity, NumberOrString};

/// The longest a run may be given, so a typo cannot park a thread for days.
const MAX_TIMEOUT_SECONDS: f64 = 3600.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Where the `*.scenario.toml` files of a process are: relative to the process's folder, or
    /// absolute. Default: the process's own folder.
    pub scenario_folder: Option<PathBuf>,
    /// How long `bpel.run` waits for a run before it answers with an error.
    pub run_timeout: Duration,
    /// Codes whose diagnostics are not shown.
    pub disabled: BTreeSet<String>,
    /// The severity a code's diagnostics are shown at, instead of their own.
    pub severity: BTreeMap<String, DiagnosticSeverity>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { scenario_folder: None, run_timeout: Duration::from_secs(10), disabled: BTreeSet::new(), severity: BTreeMap::new() }
    }
}

impl Settings {
    /// The settings `value` holds, with a message for each one that was not taken. `value` is the
    /// object above, or an object with it under `bpel`; `null` gives the defaults.
    pub fn read(value: &Value) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        let value = value.get("bpel").unwrap_or(value);
        if value.is_null() {
            return (settings, problems);
        }
        let Some(object) = value.as_object() else {
            problems.push(format!("bpel settings: expected an object, got {value}"));
            return (settings, problems);
        };
        for key in object.keys().filter(|key| !["scenarios", "run", "rules", "server", "trace"].contains(&key.as_str())) {
            // `server` and `trace` are the client's own settings (the binary, LSP tracing).
            problems.push(format!("bpel.{key}: not a setting of the server (it knows scenarios, run, rules)"));
        }
        match value.pointer("/scenarios/folder") {
            None | Some(Value::Null) => {}
            Some(Value::String(folder)) if folder.trim().is_empty() => {}
            Some(Value::String(folder)) => settings.scenario_folder = Some(PathBuf::from(folder)),
            Some(other) => problems.push(format!("bpel.scenarios.folder: expected a folder path, got {other}")),
        }
        match value.pointer("/run/timeoutSeconds") {
            None | Some(Value::Null) => {}
            Some(Value::Number(number)) => match number.as_f64() {
                Some(seconds) if seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS => {
                    settings.run_timeout = Duration::from_secs_f64(seconds);
                }
                _ => {
                    problems.push(format!("bpel.run.timeoutSeconds: expected more than 0 and at most {MAX_TIMEOUT_SECONDS}, got {number}"))
                }
            },
            Some(other) => problems.push(format!("bpel.run.timeoutSeconds: expected a number of seconds, got {other}")),
        }
        match value.pointer("/rules/disabled") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    match item.as_str().map(known_code) {
                        Some(Ok(code)) => _ = settings.disabled.insert(code),
                        Some(Err(problem)) => problems.push(format!("bpel.rules.disabled: {problem}")),
                        None => problems.push(format!("bpel.rules.disabled: expected rule codes, got {item}")),
                    }
                }
            }
            Some(other) => problems.push(format!("bpel.rules.disabled: expected a list of rule codes, got {other}")),
        }
        match value.pointer("/rules/severity") {
            None | Some(Value::Null) => {}
            Some(Value::Object(entries)) => {
                for (code, level) in entries {
                    let code = match known_code(code) {
                        Ok(code) => code,
                        Err(problem) => {
                            problems.push(format!("bpel.rules.severity: {problem}"));
                            continue;
                        }
                    };
                    match level.as_str().and_then(severity) {
                        Some(level) => _ = settings.severity.insert(code, level),
                        None => problems.push(format!(
                            "bpel.rules.severity.{code}: expected \"error\", \"warning\", \"information\" or \"hint\", got {level}"
                        )),
                    }
                }
            }
            Some(other) => problems.push(format!("bpel.rules.severity: expected an object of code to severity, got {other}")),
        }
        (settings, problems)
    }

    /// The folder whose scenario files belong to the process at `process`.
    pub fn scenario_folder_of(&self, process: &Path) -> Option<PathBuf> {
        let beside = process.parent()?;
        Some(match &self.scenario_folder {
            None => beside.to_path_buf(),
            Some(folder) => beside.join(folder),
        })
    }

    /// `diagnostics` as the settings show them: disabled codes dropped, severities overridden.
    pub fn apply(&self, diagnostics: &mut Vec<lsp::Diagnostic>) {
        if self.disabled.is_empty() && self.severity.is_empty() {
            return;
        }
        diagnostics.retain_mut(|diagnostic| {
            let Some(NumberOrString::String(code)) = &diagnostic.code else { return true };
            if self.disabled.contains(code) {
                return false;
            }
            if let Some(level) = self.severity.get(code) {
                diagnostic.severity = Some(*level);
            }
            true
        });
    }
}

/// `code` as diagnostics carry it, if it is one the server reports: a rule (`SA00056`, also
/// written `56`) or one of [`codes::ALL`] (`RUN` is the diagnostic of a run's uncaught fault).
fn known_code(code: &str) -> Result<String, String> {
    if let Some(rule) = rules::find(code) {
        return Ok(rule.code.to_string());
    }
    let upper = code.trim().to_ascii_uppercase();
    if codes::ALL.contains(&upper.as_str()) || upper == "RUN" {
        return Ok(upper);
    }
    Err(format!("`{code}` is not a code the server reports (see `bpel check --explain CODE`)"))
}

fn severity(name: &str) -> Option<DiagnosticSeverity> {
    match name.to_ascii_lowercase().as_str() {
        "error" => Some(DiagnosticSeverity::ERROR),
        "warning" => Some(DiagnosticSeverity::WARNING),
        "information" | "info" => Some(DiagnosticSeverity::INFORMATION),
        "hint" => Some(DiagnosticSeverity::HINT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_setting_is_read_under_bpel_or_bare() {
        let value = json!({ "scenarios": { "folder": "tests" }, "run": { "timeoutSeconds": 2.5 },
            "rules": { "disabled": ["SA00056", "bpel0100"], "severity": { "56": "hint", "IMP0001": "Warning" } } });
        for value in [value.clone(), json!({ "bpel": value })] {
            let (settings, problems) = Settings::read(&value);
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(settings.scenario_folder, Some(PathBuf::from("tests")));
            assert_eq!(settings.run_timeout, Duration::from_millis(2500));
            assert_eq!(settings.disabled, BTreeSet::from(["SA00056".to_string(), "BPEL0100".to_string()]));
            assert_eq!(settings.severity.get("SA00056"), Some(&DiagnosticSeverity::HINT));
            assert_eq!(settings.severity.get("IMP0001"), Some(&DiagnosticSeverity::WARNING));
        }
        assert_eq!(Settings::read(&Value::Null), (Settings::default(), Vec::new()));
        assert_eq!(Settings::read(&json!({ "bpel": {} })), (Settings::default(), Vec::new()));
    }

    #[test]
    fn a_wrong_setting_is_reported_and_the_others_still_apply() {
        let value = json!({ "run": { "timeoutSeconds": -1 }, "colour": "red",
            "rules": { "disabled": ["SA99999", 7, "XML0001"], "severity": { "SA00056": "fatal", "XPATH001": "error" } } });
        let (settings, problems) = Settings::read(&value);
        assert_eq!(settings.run_timeout, Settings::default().run_timeout);
        assert_eq!(settings.disabled, BTreeSet::from(["XML0001".to_string()]));
        assert_eq!(settings.severity, BTreeMap::from([("XPATH001".to_string(), DiagnosticSeverity::ERROR)]));
        let joined = problems.join("\n");
        for expected in ["bpel.colour", "timeoutSeconds", "SA99999", "got 7", "SA00056: expected \"error\""] {
            assert!(joined.contains(expected), "no problem about {expected} in:\n{joined}");
        }
        assert_eq!(problems.len(), 5, "{joined}");
        let (_, problems) = Settings::read(&json!(["not", "an", "object"]));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn diagnostics_are_dropped_or_shown_at_another_severity() {
        let (settings, _) = Settings::read(&json!({ "rules": { "disabled": ["SA00056"], "severity": { "BPEL0100": "hint" } } }));
        let diagnostic = |code: &str| lsp::Diagnostic {
            code: Some(NumberOrString::String(code.to_string())),
            severity: Some(DiagnosticSeverity::ERROR),
            ..lsp::Diagnostic::default()
        };
        let mut diagnostics = vec![diagnostic("SA00056"), diagnostic("BPEL0100"), diagnostic("XML0001")];
        settings.apply(&mut diagnostics);
        let shown: Vec<_> = diagnostics.iter().map(|d| (d.code.clone(), d.severity)).collect();
        assert_eq!(
            shown,
            vec![
                (Some(NumberOrString::String("BPEL0100".into())), Some(DiagnosticSeverity::HINT)),
                (Some(NumberOrString::String("XML0001".into())), Some(DiagnosticSeverity::ERROR)),
            ]
        );
    }

    #[test]
    fn the_scenario_folder_is_beside_the_process_unless_set() {
        let process = Path::new("/p/orders/order.bpel");
        assert_eq!(Settings::default().scenario_folder_of(process), Some(PathBuf::from("/p/orders")));
        let (settings, _) = Settings::read(&json!({ "scenarios": { "folder": "scenarios" } }));
        assert_eq!(settings.scenario_folder_of(process), Some(PathBuf::from("/p/orders/scenarios")));
        let (settings, _) = Settings::read(&json!({ "scenarios": { "folder": "/elsewhere" } }));
        assert_eq!(settings.scenario_folder_of(process), Some(PathBuf::from("/elsewhere")));
    }
}
