//! Run in place: the commands `bpel.run` and `bpel.saveCheckpoint`, and the code lenses that call
//! them. The engine runs the process (`exec::run_in_place`: a sample run or a scenario, on the
//! virtual clock); here the editor's unsaved text is handed to it and the report returned as JSON.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bpel_engine::check::analyze;
use bpel_engine::exec::run_in_place::{self, RunOptions};
use bpel_engine::exec::scenario::Scenario;
use bpel_engine::exec::{Deployed, InstanceId};
use bpel_engine::parse::Loader;
use serde_json::{json, Value};
use tower_lsp_server::ls_types as lsp;

use crate::state::Shared;
use crate::to_proto;

pub const RUN: &str = "bpel.run";
pub const SAVE_CHECKPOINT: &str = "bpel.saveCheckpoint";

/// The checkpoint of each instance of a run: instance number and bytes.
type Checkpoints = Vec<(u64, Vec<u8>)>;

/// The checkpoints of the instances of each process's last run, for `bpel.saveCheckpoint`.
#[derive(Default)]
pub struct LastRuns(Mutex<HashMap<PathBuf, Checkpoints>>);

/// `bpel.run [{"uri": PROCESS, "scenario": SCENARIO?}]`: the run's report (`passed`, `steps`,
/// `instances`, `activity_counts`, `notes`).
pub fn run(shared: &Shared, last: &LastRuns, arguments: &[Value]) -> Result<Value, String> {
    let argument = arguments.first().ok_or("bpel.run takes one argument: {\"uri\": PROCESS_URI, \"scenario\"?: SCENARIO_URI}")?;
    let process = path_argument(argument, "uri")?;
    let deployed = deploy_current_text(shared, &process)?;
    let run = match argument.get("scenario").and_then(Value::as_str) {
        Some(_) => {
            let scenario_path = path_argument(argument, "scenario")?;
            let scenario = Scenario::load(&scenario_path).map_err(|error| format!("{}: {error}", scenario_path.display()))?;
            run_in_place::run_scenario_with(deployed, &scenario)
        }
        None => run_in_place::run_sample(deployed, &RunOptions::default()),
    }
    .map_err(|error| error.to_string())?;
    let checkpoints =
        run.report.instances.iter().filter_map(|instance| Some((instance.id.0, run.save_checkpoint(instance.id).ok()?))).collect();
    last.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(process, checkpoints);
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

/// The process as the editor has it (unsaved text included), checked and deployed.
fn deploy_current_text(shared: &Shared, path: &Path) -> Result<Deployed, String> {
    let text = {
        let state = shared.lock();
        state.documents.values().find(|document| document.path == path).map(|document| document.text.clone())
    };
    let mut loader = Loader::new();
    if let Some(text) = text {
        loader.set_text(path, text);
    }
    let analysis = analyze(&mut loader, path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Deployed::from_analysis(analysis).map_err(|error| error.to_string())
}

fn path_argument(argument: &Value, key: &str) -> Result<PathBuf, String> {
    let text = argument.get(key).and_then(Value::as_str).ok_or_else(|| format!("`{key}` must be a file URI"))?;
    let uri: lsp::Uri = text.parse().map_err(|_| format!("`{key}` is not a URI: {text}"))?;
    uri.to_file_path().map(|path| path.into_owned()).ok_or_else(|| format!("`{key}` is not a file URI: {text}"))
}

/// The lenses of a process: "Run" above its root element, and "Run scenario NAME" for each
/// `*.scenario.toml` beside it that names this process.
pub fn code_lenses(path: &Path, text: &str) -> Vec<lsp::CodeLens> {
    let Some(uri) = to_proto::uri(path) else { return Vec::new() };
    let line = text.find("<process").or_else(|| text.find(":process")).map_or(0, |offset| text[..offset].matches('\n').count()) as u32;
    let range = lsp::Range { start: lsp::Position { line, character: 0 }, end: lsp::Position { line, character: 0 } };
    let lens = |title: String, argument: Value| lsp::CodeLens {
        range,
        command: Some(lsp::Command { title, command: RUN.to_string(), arguments: Some(vec![argument]) }),
        data: None,
    };
    let mut lenses = vec![lens("▶ Run".to_string(), json!({ "uri": uri.as_str() }))];
    for scenario in scenarios_of(path) {
        let Some(scenario_uri) = to_proto::uri(&scenario) else { continue };
        let name = scenario.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        lenses.push(lens(format!("▶ Run scenario {name}"), json!({ "uri": uri.as_str(), "scenario": scenario_uri.as_str() })));
    }
    lenses
}

/// The scenario files in the process's folder whose `process` names it.
fn scenarios_of(process: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (process.parent(), process.file_name()) else { return Vec::new() };
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
