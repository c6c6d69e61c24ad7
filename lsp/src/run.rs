//! Run in place: the commands `bpel.run` and `bpel.saveCheckpoint`, and the code lenses that call
//! them. The engine runs the process (`exec::run_in_place`: a sample run or a scenario, on the
//! virtual clock); here the editor's unsaved text is handed to it and the report returned as JSON.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use bpel_engine::check::{analyze, Analysis};
use bpel_engine::exec::run_in_place::{self, RunOptions, RunReport, RunStep};
use bpel_engine::exec::scenario::Scenario;
use bpel_engine::exec::{Deployed, InstanceId};
use bpel_engine::ide::{navigation, Target};
use bpel_engine::parse::Loader;
use bpel_engine::resolve::SymbolKind as DeclKind;
use bpel_engine::source::SourceFile;
use bpel_engine::xml::text::indent;
use serde_json::{json, Value};
use tower_lsp_server::ls_types as lsp;

use crate::state::{RunView, Shared};
use crate::to_proto;

pub const RUN: &str = "bpel.run";
pub const SAVE_CHECKPOINT: &str = "bpel.saveCheckpoint";

/// The checkpoint of each instance of a run: instance number and bytes.
type Checkpoints = Vec<(u64, Vec<u8>)>;

/// The checkpoints of the instances of each process's last run, for `bpel.saveCheckpoint`.
#[derive(Default)]
pub struct LastRuns(Mutex<HashMap<PathBuf, Checkpoints>>);

/// `bpel.run [{"uri": PROCESS, "scenario": SCENARIO?}]`: the run's report (`passed`, `steps`,
/// `instances`, `activity_counts`, `notes`), each step handed to `progress` as it is done. The
/// report is kept for the editor (inlay hints, hover, the RUN diagnostic) while the text is the
/// one it ran on, and the process's diagnostics are published again with it; unless `late` is set
/// by then (the caller stopped waiting): then nothing of the run is kept.
pub fn run(
    shared: &Shared,
    last: &LastRuns,
    arguments: &[Value],
    late: &AtomicBool,
    progress: impl FnMut(&RunStep),
) -> Result<Value, String> {
    let argument = arguments.first().ok_or("bpel.run takes one argument: {\"uri\": PROCESS_URI, \"scenario\"?: SCENARIO_URI}")?;
    let process = path_argument(argument, "uri")?;
    let (deployed, open) = deploy_current_text(shared, &process)?;
    let run = match argument.get("scenario").and_then(Value::as_str) {
        Some(_) => {
            let scenario_path = path_argument(argument, "scenario")?;
            let scenario = Scenario::load(&scenario_path).map_err(|error| format!("{}: {error}", scenario_path.display()))?;
            run_in_place::run_scenario_reporting(deployed, &scenario, progress)
        }
        None => run_in_place::run_sample_reporting(deployed, &RunOptions::default(), progress),
    }
    .map_err(|error| error.to_string())?;
    if late.load(Ordering::SeqCst) {
        return Err("the run finished after its answer was given up on".to_string());
    }
    let checkpoints =
        run.report.instances.iter().filter_map(|instance| Some((instance.id.0, run.save_checkpoint(instance.id).ok()?))).collect();
    last.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(process, checkpoints);
    if let Some((uri, version)) = open {
        let report = run.report.clone();
        shared.update(|state| {
            if state.documents.contains_key(&uri) {
                state.runs.insert(uri.clone(), RunView { version, report });
                // The worker publishes the document's diagnostics again, the run's among them.
                state.changed.insert(uri);
            }
        });
    }
    serde_json::to_value(&run.report).map_err(|error| error.to_string())
}

/// `bpel.saveCheckpoint [{"uri": PROCESS, "instance": N, "path": FILE}]`: writes the checkpoint of
/// an instance of that process's last run, in the format `bpel serve`'s admin restore reads.
pub fn save_checkpoint(last: &LastRuns, arguments: &[Value]) -> Result<Value, String> {
    let argument = arguments.first().ok_or("bpel.saveCheckpoint takes one argument: {\"uri\", \"instance\", \"path\"}")?;
    let process = path_argument(argument, "uri")?;
    let instance = argument.get("instance").and_then(Value::as_u64).ok_or("`instance` must be an instance number of the last run")?;
    let target = argument.get("path").and_then(Value::as_str).ok_or("`path` must be the file to write")?;
    let runs = last.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let checkpoints = runs.get(&process).ok_or_else(|| format!("{} has not been run yet: run it first (bpel.run)", process.display()))?;
    let (_, bytes) = checkpoints
        .iter()
        .find(|(id, _)| *id == instance)
        .ok_or_else(|| format!("the last run of {} has no instance {}", process.display(), InstanceId(instance)))?;
    std::fs::write(target, bytes).map_err(|error| format!("cannot write {target}: {error}"))?;
    Ok(json!({ "path": target, "bytes": bytes.len() }))
}

/// The process as the editor has it (unsaved text included), checked and deployed; with the
/// document's URI and version when it is open.
fn deploy_current_text(shared: &Shared, path: &Path) -> Result<(Deployed, Option<(lsp::Uri, i32)>), String> {
    let open = {
        let state = shared.lock();
        state
            .documents
            .iter()
            .find(|(_, document)| document.path == path)
            .map(|(uri, document)| (uri.clone(), document.version, document.text.clone()))
    };
    let mut loader = Loader::new();
    let open = open.map(|(uri, version, text)| {
        loader.set_text(path, text);
        (uri, version)
    });
    let analysis = analyze(&mut loader, path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let deployed = Deployed::from_analysis(analysis).map_err(|error| error.to_string())?;
    Ok((deployed, open))
}

/// The run's diagnostics: an Information at each activity where an uncaught fault was thrown.
pub fn diagnostics(file: &SourceFile, report: &RunReport) -> Vec<lsp::Diagnostic> {
    report
        .instances
        .iter()
        .filter_map(|instance| {
            let site = instance.thrown_at.as_ref()?;
            let fault = instance.fault.as_deref().unwrap_or("a fault");
            Some(lsp::Diagnostic {
                range: to_proto::range(file, site.span),
                severity: Some(lsp::DiagnosticSeverity::INFORMATION),
                code: Some(lsp::NumberOrString::String("RUN".to_string())),
                source: Some("bpel run".to_string()),
                message: format!("the last run: instance {} ended with the uncaught fault {fault}, thrown here", instance.id),
                ..lsp::Diagnostic::default()
            })
        })
        .collect()
}

/// How often each activity ran, at the end of the line of its start tag.
pub fn inlay_hints(file: &SourceFile, report: &RunReport) -> Vec<lsp::InlayHint> {
    let mut hints: Vec<lsp::InlayHint> = Vec::new();
    for counted in &report.activity_counts {
        let start = to_proto::position(file, counted.site.span.start);
        let tag_end = file
            .text
            .get(counted.site.span.start as usize..)
            .and_then(|rest| rest.find('>'))
            .map(|end| counted.site.span.start + end as u32);
        let line = to_proto::position(file, tag_end.unwrap_or(counted.site.span.start)).line;
        let line_end = file.text.lines().nth(line as usize).map_or(start.character, |text| text.encode_utf16().count() as u32);
        let position = lsp::Position { line, character: line_end };
        let label = format!("×{}", counted.count);
        // Two activities ending on one line: one hint, the counts side by side.
        if let Some(hint) = hints.iter_mut().find(|hint| hint.position == position) {
            if let lsp::InlayHintLabel::String(text) = &mut hint.label {
                text.push(' ');
                text.push_str(&label);
            }
            continue;
        }
        hints.push(lsp::InlayHint {
            position,
            label: lsp::InlayHintLabel::String(label),
            kind: None,
            text_edits: None,
            tooltip: Some(lsp::InlayHintTooltip::String(format!(
                "{} ran {} time(s) in the last run",
                counted.site.description, counted.count
            ))),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    hints
}

fn path_argument(argument: &Value, key: &str) -> Result<PathBuf, String> {
    let text = argument.get(key).and_then(Value::as_str).ok_or_else(|| format!("`{key}` must be a file URI"))?;
    let uri: lsp::Uri = text.parse().map_err(|_| format!("`{key}` is not a URI: {text}"))?;
    uri.to_file_path().map(|path| path.into_owned()).ok_or_else(|| format!("`{key}` is not a file URI: {text}"))
}

/// The lenses of a process: "Run" above its root element, and "Run scenario NAME" for each
/// `*.scenario.toml` in `scenario_folder` that names this process.
pub fn code_lenses(path: &Path, text: &str, scenario_folder: Option<&Path>) -> Vec<lsp::CodeLens> {
    let Some(uri) = to_proto::uri(path) else { return Vec::new() };
    let line = text.find("<process").or_else(|| text.find(":process")).map_or(0, |offset| text[..offset].matches('\n').count()) as u32;
    let range = lsp::Range { start: lsp::Position { line, character: 0 }, end: lsp::Position { line, character: 0 } };
    let lens = |title: String, argument: Value| lsp::CodeLens {
        range,
        command: Some(lsp::Command { title, command: RUN.to_string(), arguments: Some(vec![argument]) }),
        data: None,
    };
    let mut lenses = vec![lens("▶ Run".to_string(), json!({ "uri": uri.as_str() }))];
    for scenario in scenario_folder.map(|folder| scenarios_of(path, folder)).unwrap_or_default() {
        let Some(scenario_uri) = to_proto::uri(&scenario) else { continue };
        let name = scenario.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        lenses.push(lens(format!("▶ Run scenario {name}"), json!({ "uri": uri.as_str(), "scenario": scenario_uri.as_str() })));
    }
    lenses
}

/// The scenario files in `dir` whose `process` names the process at `process`.
fn scenarios_of(process: &Path, dir: &Path) -> Vec<PathBuf> {
    let Some(name) = process.file_name() else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".scenario.toml")))
        .filter(|path| Scenario::load(path).is_ok_and(|s| s.process.as_deref().is_some_and(|p| Path::new(p).file_name() == Some(name))))
        .collect();
    found.sort();
    found
}

/// The final value in the last run of the variable named at `offset` (declaration or use; what
/// the name refers to is the engine's answer), as Markdown to put below the engine's hover.
pub fn variable_value(analysis: &Analysis, offset: usize, report: &RunReport) -> Option<String> {
    let Some(Target::Symbol(id)) = navigation::target_at(analysis, analysis.unit.file, offset) else { return None };
    let declaration = analysis.symbols.declarations.get(id.0 as usize)?;
    if declaration.kind != DeclKind::Variable {
        return None;
    }
    // The scope as the run's report names it: `process`, or the declaring scope's name.
    let scope = match declaration.owner {
        None => "process".to_string(),
        Some(owner) => {
            let process = analysis.unit.process.as_ref()?;
            process.activities.get(owner.0 as usize).and_then(|a| a.name.as_ref()).map_or_else(|| "scope".to_string(), |n| n.value.clone())
        }
    };
    let mut out = String::from("**Last run**");
    let mut found = false;
    for instance in &report.instances {
        for variable in instance.variables.iter().filter(|v| v.name == declaration.name && v.scope == scope) {
            found = true;
            match &variable.value {
                Some(value) => out.push_str(&format!("\n\ninstance {}:\n```xml\n{}\n```", instance.id, truncated(&indent(value)))),
                None => out.push_str(&format!("\n\ninstance {}: not initialized", instance.id)),
            }
        }
    }
    found.then_some(out)
}

const MAX_VALUE_LINES: usize = 30;
const MAX_VALUE_CHARS: usize = 2000;

fn truncated(text: &str) -> String {
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        if n == MAX_VALUE_LINES || out.len() + line.len() > MAX_VALUE_CHARS {
            out.push('…');
            return out;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_one_tag_a_line_and_text_only_elements_stay_whole() {
        let xml = r#"<tns:order xmlns:tns="urn:o"><tns:id>7</tns:id><tns:items><tns:item/><tns:empty></tns:empty></tns:items></tns:order>"#;
        let expected = "<tns:order xmlns:tns=\"urn:o\">\n  <tns:id>7</tns:id>\n  <tns:items>\n    <tns:item/>\n    <tns:empty></tns:empty>\n  </tns:items>\n</tns:order>";
        assert_eq!(indent(xml), expected);
        assert_eq!(indent("plain text"), "plain text");
        // Broken XML never panics and keeps its text.
        assert!(indent("</a></b><c").contains("<c"));
    }

    #[test]
    fn long_values_are_cut_at_a_line_limit() {
        let long: String = (0..100).map(|n| format!("<v>{n}</v>")).collect();
        let shown = truncated(&indent(&format!("<r>{long}</r>")));
        assert_eq!(shown.lines().count(), MAX_VALUE_LINES + 1);
        assert!(shown.ends_with('…'));
    }
}
