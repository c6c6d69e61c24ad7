//! Run in place: a process run once on the virtual clock, without a network, and reported in the
//! terms an editor shows (the language server's `bpel.run`, the REPL).
//!
//! [`run_sample`] sends a sample request (or the caller's edit of it) to the first start activity,
//! answers every request-response invoke with a sample reply of the operation's output, and moves
//! the virtual clock to each next timer until the instances are idle with nothing due, or done,
//! within the limits of [`RunOptions`]. [`run_scenario`] runs a scenario file instead
//! ([`super::scenario`]) and reports it in the same shape.
//!
//! Besides steps and instances, a [`RunReport`] says how often each activity completed and where an
//! uncaught fault was thrown; both come from an [`Observer`] set on the process for the run. The
//! [`Run`] keeps the engine, so that any instance can be saved as a checkpoint afterwards.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Serialize, Serializer};

use super::engine::{Engine, InstanceId, ProcessId, Reply};
use super::inspect::VariableReport;
use super::messages::Direction;
use super::observer::Observer;
use super::sample::{sample_answer, sample_message, start_activities, Role, SampleError};
use super::scenario::{self, message_text, Scenario, ScenarioError};
use super::time::date_time_text;
use super::{DeployError, Deployed, PROCESS};
use crate::checkpoint::CheckpointError;
use crate::fault::Fault;
use crate::model::process::ActivityId;
use crate::runtime::{InstanceStatus, Timestamp};
use crate::span::Span;
use crate::xml::{Message, XmlElement};

/// How far a sample run may go.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Steps of the report (the request, each invoke answered, each clock move) before the run stops.
    pub max_steps: usize,
    /// Virtual time the run may cover, in milliseconds: a timer due later is not waited for.
    pub max_virtual_millis: u64,
    /// When the virtual clock starts; `None`: 2026-01-01T00:00:00Z, as scenarios do.
    pub start: Option<Timestamp>,
    /// The request's body elements, one per part as [`Engine::send`] takes them (an edited sample);
    /// `None`: the generated sample.
    pub body: Option<Vec<String>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { max_steps: 1000, max_virtual_millis: 366 * 86_400_000, start: None, body: None }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    /// A sample run: it ended without an uncaught fault and every step went through. A scenario:
    /// every expectation held.
    pub passed: bool,
    pub steps: Vec<RunStep>,
    pub instances: Vec<InstanceRun>,
    /// How often each activity completed, in document order; activities that never completed are
    /// left out.
    pub activity_counts: Vec<ActivityCount>,
    /// What the run did not do and why (limits reached, what a sample does not honour).
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunStep {
    pub description: String,
    pub ok: bool,
    /// What was sent, answered or changed, line by line.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceRun {
    #[serde(serialize_with = "instance_number")]
    pub id: InstanceId,
    /// `running`, `completed`, `faulted` or `terminated`.
    pub status: String,
    /// The last reply the instance sent, as its parts' XML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The fault that ended the instance, or the last fault it replied with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Where the fault that ended the instance was thrown, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thrown_at: Option<ActivitySite>,
    /// The instance in one line (`completed`, `waiting: message on customer.confirmPayment ...`).
    pub summary: String,
    /// Every variable of the instance's scope instances, values as XML text.
    pub variables: Vec<VariableReport>,
}

/// An activity of the process, for an editor to point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActivitySite {
    pub activity: ActivityId,
    /// The activity's element in the process text (the process element for the process itself).
    pub span: Span,
    /// `<throw name="Fail"> (line 12)`.
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActivityCount {
    #[serde(flatten)]
    pub site: ActivitySite,
    pub count: u64,
}

/// Why a run could not start, or a checkpoint could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("no sample request: {0}")]
    Sample(#[from] SampleError),
    #[error("{0}")]
    BadScenario(String),
    #[error("the run has no instance {0}")]
    NoInstance(InstanceId),
    #[error("the checkpoint of instance {instance} failed: {source}")]
    Checkpoint { instance: InstanceId, source: CheckpointError },
}

/// A finished run: its report, and the engine it ran in (for checkpoints and inspection).
pub struct Run {
    pub report: RunReport,
    engine: Engine,
    process: ProcessId,
}

impl Run {
    /// Instance `instance` as checkpoint bytes, in the format `bpel serve`'s admin restore and
    /// [`Engine::restore`] read.
    pub fn save_checkpoint(&self, instance: InstanceId) -> Result<Vec<u8>, RunError> {
        match self.engine.checkpoint(instance) {
            Some(result) => result.map_err(|source| RunError::Checkpoint { instance, source }),
            None => Err(RunError::NoInstance(instance)),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The process in [`Run::engine`].
    pub fn process(&self) -> ProcessId {
        self.process
    }
}

/// The virtual time runs start at unless told otherwise (that of scenarios).
const DEFAULT_START: Timestamp = Timestamp(1_767_225_600_000);

/// Loads, checks and deploys the process at `path`, then [`run_sample`].
pub fn run_sample_path(path: &Path, options: &RunOptions) -> Result<Run, RunError> {
    run_sample(Deployed::load(path)?, options)
}

/// Runs the process once with a sample request for its first start activity (see the module).
/// Fails only when there is nothing to send: no start activity, or no sample of its message.
pub fn run_sample(deployed: Deployed, options: &RunOptions) -> Result<Run, RunError> {
    run_sample_reporting(deployed, options, |_| {})
}

/// [`run_sample`], handing each step to `progress` as soon as it is done (a face reports progress).
pub fn run_sample_reporting(mut deployed: Deployed, options: &RunOptions, progress: impl FnMut(&RunStep)) -> Result<Run, RunError> {
    let start = start_activities(&deployed).into_iter().next().ok_or(SampleError::NoStartActivity)?;
    let sample = sample_message(&deployed, &start.partner_link, &start.operation, Role::Mine, Direction::Input)?;
    let recorder = Arc::new(Recorder::new(&deployed));
    deployed.observer = Some(recorder.clone());
    let mut engine = Engine::starting_at(options.start.unwrap_or(DEFAULT_START));
    let process = engine.deploy_compiled(deployed);
    let began = engine.now();
    let mut run = SampleRun {
        engine,
        process,
        recorder,
        options,
        began,
        steps: Vec::new(),
        notes: sample.notes.clone(),
        outcomes: Outcomes::default(),
        progress,
    };

    let texts = options.body.clone().unwrap_or_else(|| sample.parts.iter().map(|p| p.xml.clone()).collect());
    let target = format!("{}.{}", start.partner_link, start.operation);
    let body: Result<Vec<XmlElement>, String> =
        texts.iter().map(|t| XmlElement::parse(t).map_err(|e| format!("the body does not read as XML: {e}"))).collect();
    let sent = body.and_then(|body| {
        run.engine.send(process, &start.partner_link, &start.operation, &body).map_err(|e| e.to_string()).map(|(id, _)| id)
    });
    let detail = texts.join("\n");
    match sent {
        Ok(id) => run.step(format!("send {target} (a new instance {id})"), true, detail),
        Err(why) => run.step(format!("send {target}"), false, format!("{why}\n{detail}")),
    }
    run.settle();
    run.drive();
    Ok(run.finish())
}

/// Loads the scenario at `scenario_path` and runs it against the process at `process_path`.
pub fn run_scenario(process_path: &Path, scenario_path: &Path) -> Result<Run, RunError> {
    let scenario = Scenario::load(scenario_path)?;
    run_scenario_with(Deployed::load(process_path)?, &scenario)
}

/// Runs a scenario against a deployed process on the virtual clock, as `bpel run` does. `passed`
/// is every expectation held; each scenario step is one step of the report, and each reply
/// expected but never given one more (failed) step.
pub fn run_scenario_with(deployed: Deployed, scenario: &Scenario) -> Result<Run, RunError> {
    run_scenario_reporting(deployed, scenario, |_| {})
}

/// [`run_scenario_with`], handing each scenario step to `progress` as soon as it is done.
pub fn run_scenario_reporting(mut deployed: Deployed, scenario: &Scenario, mut progress: impl FnMut(&RunStep)) -> Result<Run, RunError> {
    let start = scenario.start_time().map_err(RunError::BadScenario)?;
    let recorder = Arc::new(Recorder::new(&deployed));
    deployed.observer = Some(recorder.clone());
    let mut engine = Engine::starting_at(start);
    let process = engine.deploy_compiled(deployed);
    let mut outcomes = Outcomes::default();
    let report = scenario::run_observed(&mut engine, process, scenario, |engine, step| {
        for (instance, result) in &step.replies {
            outcomes.reply(*instance, result);
        }
        outcomes.attribute(engine, &recorder);
        progress(&scenario_step(step));
    });
    let mut steps: Vec<RunStep> = report.steps.iter().map(scenario_step).collect();
    steps.extend(report.unanswered.iter().map(|m| RunStep { description: m.what.clone(), ok: false, detail: m.to_string() }));
    let passed = report.passed();
    let notes = Vec::new();
    let report = build_report(&engine, &recorder, &outcomes, passed, steps, notes);
    Ok(Run { report, engine, process })
}

fn scenario_step(step: &scenario::StepReport) -> RunStep {
    let mut detail = step.events.clone();
    detail.extend(step.failures.iter().map(ToString::to_string));
    RunStep { description: format!("{}. {}", step.number, step.action), ok: step.failures.is_empty(), detail: detail.join("\n") }
}

struct SampleRun<'o, P> {
    engine: Engine,
    process: ProcessId,
    recorder: Arc<Recorder>,
    options: &'o RunOptions,
    began: Timestamp,
    steps: Vec<RunStep>,
    notes: Vec<String>,
    outcomes: Outcomes,
    progress: P,
}

impl<P: FnMut(&RunStep)> SampleRun<'_, P> {
    fn step(&mut self, description: String, ok: bool, detail: String) {
        let step = RunStep { description, ok, detail };
        (self.progress)(&step);
        self.steps.push(step);
    }

    fn out_of_steps(&mut self) -> bool {
        if self.steps.len() < self.options.max_steps {
            return false;
        }
        let note = format!("the run stopped after {} steps (the limit)", self.options.max_steps);
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
        true
    }

    /// Takes the replies the instances sent and the faults that ended them.
    fn settle(&mut self) {
        for Reply { instance, result, .. } in self.engine.drain_replies() {
            self.outcomes.reply(instance, &result);
        }
        self.outcomes.attribute(&self.engine, &self.recorder);
    }

    /// Answers invokes and moves the clock until nothing is left to do or a limit is reached.
    fn drive(&mut self) {
        loop {
            let calls = self.engine.drain_invocations();
            if !calls.is_empty() {
                for call in calls {
                    if self.out_of_steps() {
                        return;
                    }
                    let target = format!("{}.{}", call.partner_link, call.operation);
                    let request = message_text(&call.message);
                    if call.one_way {
                        self.step(format!("instance {} calls {target} (one-way)", call.instance), true, request);
                        continue;
                    }
                    match self.sample_reply(&call.partner_link, &call.operation) {
                        Ok(reply) => {
                            let detail = format!("request: {request}\nreply: {}", message_text(&reply));
                            self.engine.answer(call.instance, call.request, Ok(reply));
                            self.step(format!("answer instance {}'s call of {target} with a sample", call.instance), true, detail);
                        }
                        Err(why) => self.step(
                            format!("instance {} calls {target}: left unanswered", call.instance),
                            false,
                            format!("request: {request}\nno sample reply: {why}"),
                        ),
                    }
                    self.settle();
                }
                continue;
            }
            let Some(due) = self.engine.next_timer() else { return };
            let elapsed = due.0.saturating_sub(self.began.0);
            if elapsed > 0 && elapsed as u64 > self.options.max_virtual_millis {
                self.notes.push(format!(
                    "the run stopped before the timer due at {} (beyond the limit of {} virtual ms)",
                    date_time_text(due),
                    self.options.max_virtual_millis
                ));
                return;
            }
            if self.out_of_steps() {
                return;
            }
            let from = self.engine.now();
            self.engine.advance_to(due);
            self.settle();
            let detail =
                self.engine.instances().filter_map(|(id, _)| self.engine.overview(id).map(|o| format!("instance {id}: {}", o.summary)));
            let detail: Vec<String> = detail.collect();
            let moved = due.0.saturating_sub(from.0).max(0);
            self.step(format!("advance the clock to {} (+{})", date_time_text(due), millis_text(moved as u64)), true, detail.join("\n"));
        }
    }

    fn sample_reply(&self, partner_link: &str, operation: &str) -> Result<Message, String> {
        let deployed = self.engine.process(self.process).ok_or("the process is not deployed")?;
        sample_answer(deployed, partner_link, operation).map_err(|e| e.to_string())
    }

    fn finish(mut self) -> Run {
        let mut stopped = Vec::new();
        for (id, _) in self.engine.instances() {
            if let Some(overview) = self.engine.overview(id) {
                stopped.push(format!("instance {id}: {}", overview.summary));
            }
        }
        self.step("the run ends".to_string(), true, stopped.join("\n"));
        let passed = self.steps.iter().all(|s| s.ok)
            && self.engine.instances().all(|(_, live)| live.instance.status() != InstanceStatus::Faulted)
            && self.engine.instances().next().is_some();
        let report = build_report(&self.engine, &self.recorder, &self.outcomes, passed, self.steps, self.notes);
        Run { report, engine: self.engine, process: self.process }
    }
}

/// What was seen of each instance along the run.
#[derive(Default)]
struct Outcomes {
    replies: BTreeMap<InstanceId, Result<String, String>>,
    /// The uncaught fault of each faulted instance, with where it was thrown.
    ended: BTreeMap<InstanceId, (Fault, Option<ActivityId>)>,
    /// Instances known to have faulted.
    faulted: Vec<InstanceId>,
    /// Uncaught faults that could not be told apart between instances faulting at once.
    unattributed: Vec<(Fault, Option<ActivityId>)>,
}

impl Outcomes {
    fn reply(&mut self, instance: InstanceId, result: &Result<Message, Fault>) {
        let text = match result {
            Ok(message) => Ok(message_text(message)),
            Err(fault) => Err(fault.to_string()),
        };
        self.replies.insert(instance, text);
    }

    /// Gives the uncaught faults recorded since the last call to the instances that faulted since.
    fn attribute(&mut self, engine: &Engine, recorder: &Recorder) {
        let newly: Vec<InstanceId> = engine
            .instances()
            .filter(|(id, live)| live.instance.status() == InstanceStatus::Faulted && !self.faulted.contains(id))
            .map(|(id, _)| id)
            .collect();
        let uncaught = std::mem::take(&mut recorder.lock().uncaught);
        self.faulted.extend(&newly);
        match (newly.as_slice(), uncaught.len()) {
            ([id], 1) => {
                self.ended.extend(uncaught.into_iter().map(|u| (*id, u)));
            }
            _ => self.unattributed.extend(uncaught),
        }
    }
}

fn build_report(
    engine: &Engine,
    recorder: &Recorder,
    outcomes: &Outcomes,
    passed: bool,
    steps: Vec<RunStep>,
    mut notes: Vec<String>,
) -> RunReport {
    let Some(deployed) = engine.processes().next().map(|(_, d)| d) else {
        return RunReport { passed: false, steps, instances: Vec::new(), activity_counts: Vec::new(), notes };
    };
    let instances = engine
        .instances()
        .map(|(id, live)| {
            let ended = outcomes.ended.get(&id);
            let (reply, replied_fault) = match outcomes.replies.get(&id) {
                Some(Ok(text)) => (Some(text.clone()), None),
                Some(Err(fault)) => (None, Some(fault.clone())),
                None => (None, None),
            };
            InstanceRun {
                id,
                status: live.instance.status().to_string(),
                reply,
                fault: ended.map(|(fault, _)| fault.to_string()).or(replied_fault),
                thrown_at: ended.and_then(|(_, site)| *site).map(|a| site(deployed, a)),
                summary: engine.overview(id).map(|o| o.summary).unwrap_or_default(),
                variables: engine.inspect(id).map(|r| r.variables).unwrap_or_default(),
            }
        })
        .collect();
    for (fault, at) in &outcomes.unattributed {
        let at = at.map_or_else(|| "an unknown activity".to_string(), |a| deployed.describe(a));
        notes.push(format!("an instance ended with the uncaught fault {fault}, thrown at {at}"));
    }
    let activity_counts =
        recorder.lock().counts.iter().map(|(&activity, &count)| ActivityCount { site: site(deployed, activity), count }).collect();
    RunReport { passed, steps, instances, activity_counts, notes }
}

fn site(deployed: &Deployed, activity: ActivityId) -> ActivitySite {
    let process = deployed.process();
    let span = process.activities.get(activity.0 as usize).map_or(process.span, |a| a.span);
    ActivitySite { activity, span, description: deployed.describe(activity) }
}

/// `2d 1h`, `1h 30m`, `250ms`.
fn millis_text(millis: u64) -> String {
    let units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")];
    let mut rest = millis;
    let mut out = Vec::new();
    for (size, unit) in units {
        if rest >= size {
            out.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() {
        "0s".to_string()
    } else {
        out.join(" ")
    }
}

fn instance_number<S: Serializer>(id: &InstanceId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(id.0)
}

/// How many fresh throws the recorder keeps while looking for the one an uncaught fault came from.
const THROWS_KEPT: usize = 64;

/// The observer of a run: completions per activity, and where uncaught faults were thrown.
struct Recorder {
    /// Each activity's parent (to tell a fault taken from a branch from a new one).
    parents: Vec<Option<ActivityId>>,
    recorded: Mutex<Recorded>,
}

#[derive(Default)]
struct Recorded {
    counts: BTreeMap<ActivityId, u64>,
    /// The latest faults activities threw themselves, oldest first.
    throws: Vec<(ActivityId, Fault)>,
    /// Faults that ended an instance, with the activity that threw them when known.
    uncaught: Vec<(Fault, Option<ActivityId>)>,
}

impl Recorder {
    fn new(deployed: &Deployed) -> Recorder {
        Recorder { parents: deployed.process().activities.iter().map(|a| a.parent).collect(), recorded: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Recorded> {
        // a poisoned lock still holds what was recorded
        self.recorded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_ancestor(&self, ancestor: ActivityId, of: ActivityId) -> bool {
        let mut current = self.parents.get(of.0 as usize).copied().flatten();
        let mut hops = 0;
        while let Some(parent) = current {
            if parent == ancestor {
                return true;
            }
            hops += 1;
            if hops > self.parents.len() {
                return false;
            }
            current = self.parents.get(parent.0 as usize).copied().flatten();
        }
        false
    }
}

impl Observer for Recorder {
    fn completed(&self, activity: ActivityId) {
        *self.lock().counts.entry(activity).or_default() += 1;
    }

    fn faulted(&self, activity: ActivityId, fault: &Fault, passed_on: bool) {
        let mut recorded = self.lock();
        if activity == PROCESS {
            let origin = recorded.throws.iter().rev().find(|(_, thrown)| thrown == fault).map(|(a, _)| *a);
            recorded.uncaught.push((fault.clone(), origin));
            recorded.throws.clear();
            return;
        }
        if passed_on {
            return;
        }
        // a flow or forEach taking the fault a branch below it threw did not throw it
        let taken_from_below = recorded.throws.iter().rev().any(|(at, thrown)| thrown == fault && self.is_ancestor(activity, *at));
        if taken_from_below {
            return;
        }
        if recorded.throws.len() >= THROWS_KEPT {
            recorded.throws.remove(0);
        }
        recorded.throws.push((activity, fault.clone()));
    }
}
