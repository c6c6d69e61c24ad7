//! WS-BPEL instances in checkpoint files: a fingerprint of the layout of everything a checkpoint
//! holds for a BPEL instance (frames in every kind of activity state, the process state, values,
//! open exchanges, timers) with a check that the runs behind it reach every kind of state;
//! checkpoints of real instances saved by earlier builds, which must still load and finish as they
//! did; and the refusal of a format too old for BPEL instances.
//!
//! The runs are the scenarios of `tests/fixtures/checkpoints/bpel/runs/`, on processes that do not
//! change: copies of the examples and our own processes under `.../bpel/processes/`, and a few of
//! betsy's (the conformance suite beside the repository, or `$BPEL_SHARED`). Every instance is
//! checkpointed after every step of every run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bpel_engine::checkpoint::{self, CheckpointError, FORMAT_VERSION, HEADER_LEN};
use bpel_engine::exec::activities::{
    EventHandlerState, ForEachState, IfState, InvokeState, PickState, ReceiveState, ScopeStage, ScopeState, WaitState,
};
use bpel_engine::exec::scenario::{self, Scenario};
use bpel_engine::exec::state::Env;
use bpel_engine::exec::time::{date_time, date_time_text};
use bpel_engine::exec::{Deployed, Engine, FrameState, ProcessId, ProcessState};
use bpel_engine::runtime::{Instance, Program, Timestamp};

fn bpel_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoints/bpel")
}

fn betsy_dir() -> PathBuf {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("conformance/betsy");
    assert!(dir.join("cases.json").is_file(), "betsy conformance suite not found at {} (set BPEL_SHARED)", dir.display());
    dir
}

/// A scripted run: `runs/NAME.scenario.toml`, on the process the scenario names, or on a betsy
/// process (a path under betsy's folder).
struct Run {
    name: &'static str,
    betsy: Option<&'static str>,
}

const fn own(name: &'static str) -> Run {
    Run { name, betsy: None }
}

const fn betsy(name: &'static str, path: &'static str) -> Run {
    Run { name, betsy: Some(path) }
}

/// Every run the fingerprint goes through, in order.
const RUNS: &[Run] = &[
    own("echo"),
    own("calculator"),
    own("order-approval"),
    own("long-running"),
    own("long-running-awaiting-payment"),
    own("structures"),
    own("faults"),
    own("compensation-handler"),
    own("event-handlers"),
    betsy("betsy-flow-graph", "structured/Flow-GraphExample.bpel"),
    betsy("betsy-foreach-parallel-invoke", "structured/ForEach-Parallel-Invoke.bpel"),
    betsy("betsy-pick-correlations", "structured/Pick-Correlations-InitAsync.bpel"),
    betsy("betsy-event-handlers", "scopes/Scope-EventHandlers-InitAsync.bpel"),
    betsy("betsy-invoke-compensation-handler", "basic/Invoke-CompensationHandler.bpel"),
    betsy("betsy-milestone", "cfpatterns/WCP18-Milestone.bpel"),
];

fn run_named(name: &str) -> &'static Run {
    RUNS.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name}"))
}

impl Run {
    fn scenario_path(&self) -> PathBuf {
        bpel_dir().join("runs").join(format!("{}.scenario.toml", self.name))
    }

    /// The scenario and the process it runs on.
    fn load(&self) -> (Scenario, PathBuf) {
        let path = self.scenario_path();
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let process = match (self.betsy, &scenario.process) {
            (Some(betsy), _) => betsy_dir().join(betsy),
            (None, Some(process)) => path.parent().unwrap().join(process),
            (None, None) => panic!("{} names no process", path.display()),
        };
        (scenario, process)
    }

    /// A fresh engine at the scenario's start with the run's process deployed.
    fn engine(&self, scenario: &Scenario, process: &Path) -> (Engine, ProcessId) {
        let mut engine = Engine::starting_at(scenario.start_time().unwrap());
        let id = engine.deploy(process).unwrap_or_else(|e| panic!("{}: {e}", process.display()));
        (engine, id)
    }
}

/// Fails with the scenario's report unless every expectation held (but for replies still to come,
/// when the run stopped early on purpose).
fn assert_passed(what: &str, report: &scenario::Report, replies_may_be_pending: bool) {
    let failed_steps = report.steps.iter().any(|s| !s.failures.is_empty());
    if !failed_steps && (replies_may_be_pending || report.unanswered.is_empty()) {
        return;
    }
    let mut text = String::new();
    for step in &report.steps {
        for failure in &step.failures {
            text.push_str(&format!("step {} ({}): {failure}\n", step.number, step.action));
        }
    }
    if !replies_may_be_pending {
        for failure in &report.unanswered {
            text.push_str(&format!("{failure}\n"));
        }
    }
    panic!("{what} did not go as its scenario says:\n{text}");
}

// ---------------------------------------------------------------------------------------------------
// What a checkpoint holds, by name

/// Names every kind of frame state: a variant of [`FrameState`] and, for the activities whose
/// state has variants of its own, each of those. The match is exhaustive, so a new variant does not
/// build until it is named here, and then [`every_kind_of_state_is_in_a_checkpoint`] wants it in a
/// checkpoint of the runs (or in [`NEVER_BETWEEN_CALLS`], with the reason).
macro_rules! frame_state_kinds {
    ($($name:literal => $pattern:pat,)*) => {
        const FRAME_STATE_KINDS: &[&str] = &[$($name),*];

        fn frame_state_kind(state: &FrameState) -> &'static str {
            match state {
                $($pattern => $name,)*
            }
        }
    };
}

frame_state_kinds! {
    "Start" => FrameState::Start,
    "Skipped" => FrameState::Skipped,
    "Ready" => FrameState::Ready,
    "Sequence" => FrameState::Sequence(_),
    "If(Condition)" => FrameState::If(IfState::Condition(_)),
    "If(Else)" => FrameState::If(IfState::Else),
    "Loop" => FrameState::Loop(_),
    "Receive(Waiting)" => FrameState::Receive(ReceiveState::Waiting),
    "Pick(Waiting)" => FrameState::Pick(PickState::Waiting),
    "Pick(Chosen)" => FrameState::Pick(PickState::Chosen { .. }),
    "Invoke(Waiting)" => FrameState::Invoke(InvokeState::Waiting),
    "Invoke(Catching)" => FrameState::Invoke(InvokeState::Catching),
    "Wait(Waiting)" => FrameState::Wait(WaitState::Waiting),
    "Flow" => FrameState::Flow(_),
    "ForEach(Serial)" => FrameState::ForEach(ForEachState::Serial(_)),
    "ForEach(Parallel)" => FrameState::ForEach(ForEachState::Parallel(_)),
    "Scope(Init)" => FrameState::Scope(ScopeState { stage: ScopeStage::Init, .. }),
    "Scope(Body)" => FrameState::Scope(ScopeState { stage: ScopeStage::Body, handlers: None, .. }),
    "Scope(Body, event handlers)" => FrameState::Scope(ScopeState { stage: ScopeStage::Body, handlers: Some(_), .. }),
    "Scope(Handling)" => FrameState::Scope(ScopeState { stage: ScopeStage::Handling, .. }),
    "Scope(Defaulting)" => FrameState::Scope(ScopeState { stage: ScopeStage::Defaulting, .. }),
    "Scope(Compensate)" => FrameState::Scope(ScopeState { stage: ScopeStage::Compensate, .. }),
    "Scope(Compensating)" => FrameState::Scope(ScopeState { stage: ScopeStage::Compensating, .. }),
    "Scope(Terminate)" => FrameState::Scope(ScopeState { stage: ScopeStage::Terminate, .. }),
    "Scope(Terminating)" => FrameState::Scope(ScopeState { stage: ScopeStage::Terminating, .. }),
    "EventHandler(Event)" => FrameState::EventHandler(EventHandlerState::Event { .. }),
    "EventHandler(Alarm)" => FrameState::EventHandler(EventHandlerState::Alarm { fired: false, .. }),
    "EventHandler(Alarm, fired)" => FrameState::EventHandler(EventHandlerState::Alarm { fired: true, .. }),
    "Branch" => FrameState::Branch(_),
    "Compensating" => FrameState::Compensating(_),
    "Terminating" => FrameState::Terminating(_),
}

/// The parts of the process state and of its scope instances, each with whether it holds
/// something. Both destructurings are exhaustive: a new field does not build until it is named
/// here. (Called on the defaults, it lists every name.)
fn process_state_parts(state: &ProcessState) -> Vec<(&'static str, bool)> {
    let ProcessState { envs, free_envs, exchanges, waiting, races, isolation, isolation_waiters, initiated, deferred_handlers, trace } =
        state;
    let mut parts = vec![
        ("envs", !envs.is_empty()),
        ("envs (a freed slot)", envs.iter().any(Option::is_none)),
        ("free_envs", !free_envs.is_empty()),
        ("exchanges", !exchanges.is_empty()),
        ("waiting", !waiting.is_empty()),
        ("races", !races.is_empty()),
        ("isolation", isolation.is_some()),
        ("isolation_waiters", isolation_waiters.is_some()),
        ("initiated", !initiated.is_empty()),
        ("deferred_handlers", deferred_handlers.is_some()),
        ("trace", !trace.is_empty()),
    ];
    let default = Env::default();
    let used: Vec<&Env> = envs.iter().flatten().collect();
    for (index, (name, _)) in env_parts(&default).into_iter().enumerate() {
        parts.push((name, used.iter().any(|env| env_parts(env)[index].1)));
    }
    parts
}

fn env_parts(env: &Env) -> Vec<(&'static str, bool)> {
    let Env { decl, parent, values, partners, correlations, links, completed, fault, scope, live } = env;
    vec![
        ("Env.decl", decl.is_some()),
        ("Env.decl (none)", decl.is_none()),
        ("Env.parent", parent.is_some()),
        ("Env.values", values.iter().any(Option::is_some)),
        ("Env.partners", partners.iter().any(Option::is_some)),
        ("Env.correlations", correlations.iter().any(Option::is_some)),
        ("Env.links (a status)", links.iter().any(|(status, _)| status.is_some())),
        ("Env.links (a waiting target)", links.iter().any(|(_, waiting)| waiting.is_some())),
        ("Env.completed", !completed.is_empty()),
        ("Env.fault", fault.is_some()),
        ("Env.scope", scope.is_some()),
        ("Env.live (done with)", !live),
    ]
}

/// What the runtime keeps beside the frames and the process state.
const RUNTIME_PARTS: [&str; 3] = ["timers", "inbox (a message no one waited for yet)", "several tasklets"];

fn runtime_parts(instance: &Instance<Deployed>) -> Vec<(&'static str, bool)> {
    let held = [instance.timers().next().is_some(), instance.inbox().next().is_some(), instance.tasklets().nth(1).is_some()];
    RUNTIME_PARTS.into_iter().zip(held).collect()
}

/// What no checkpoint the engine hands out holds, and why: these exist only within one step, or
/// within one run of an instance, and the engine runs an instance until it is idle and takes what
/// the host needs before it returns.
const NEVER_BETWEEN_CALLS: &[(&str, &str)] = &[
    ("Skipped", "a skipped activity completes in the step its join condition fails"),
    ("Scope(Compensate)", "the step that pushes the frame moves it on to Compensating (or leaves it runnable)"),
    ("Scope(Terminate)", "the step that pushes the frame moves it on to Terminating (or leaves it runnable)"),
    ("initiated", "the engine takes the initiated correlation sets after every run"),
    ("deferred_handlers", "the start activity enables the process's event handlers in the instance's first run"),
];

// ---------------------------------------------------------------------------------------------------
// The walk: every run, every instance checkpointed after every step

#[derive(Default)]
struct Walk {
    fingerprint: u64,
    checkpoints: usize,
    /// Everything seen in a checkpoint, by name, with the first run and step where it was.
    seen: BTreeMap<&'static str, String>,
}

impl Walk {
    fn see(&mut self, name: &'static str, place: &str) {
        self.seen.entry(name).or_insert_with(|| place.to_string());
    }

    fn checkpoint(&mut self, bytes: &[u8], deployed: &Deployed, place: &str) {
        self.fingerprint = checkpoint::checksum(&[&self.fingerprint.to_le_bytes(), bytes]);
        self.checkpoints += 1;
        let instance: Instance<Deployed> =
            checkpoint::load(bytes, deployed.hash).unwrap_or_else(|e| panic!("{place}: the checkpoint does not load: {e}"));
        bpel_engine::exec::fit::instance_fits(deployed, &instance).unwrap_or_else(|e| panic!("{place}: {e}"));
        for tasklet in instance.tasklets() {
            for frame in tasklet.frames {
                self.see(frame_state_kind(&frame.state), place);
            }
        }
        let parts = process_state_parts(instance.shared()).into_iter().chain(runtime_parts(&instance));
        for (name, held) in parts {
            if held {
                self.see(name, place);
            }
        }
    }
}

fn walk() -> &'static Walk {
    static WALK: OnceLock<Walk> = OnceLock::new();
    WALK.get_or_init(|| {
        let mut walk = Walk::default();
        for run in RUNS {
            let (scenario, process_path) = run.load();
            let (mut engine, process) = run.engine(&scenario, &process_path);
            let report = scenario::run_observed(&mut engine, process, &scenario, |engine, step| {
                let deployed = engine.process(process).unwrap();
                for (id, _) in engine.instances() {
                    let bytes = engine.checkpoint(id).unwrap().unwrap();
                    walk.checkpoint(&bytes, deployed, &format!("{} step {} instance {id}", run.name, step.number));
                }
            });
            assert_passed(run.name, &report, false);
        }
        walk
    })
}

/// The layout of format version 2: the hash of every checkpoint of the walk. It also moves when the
/// engine's behaviour changes the states the runs go through (or a run or one of its processes is
/// edited, which must not happen: see the fixtures' README); then the fixtures show whether the
/// layout is still the same.
const BPEL_LAYOUT_V2: u64 = 0xa0b9_bc24_d68a_e7b8;

#[test]
fn the_bpel_layout_changes_only_with_the_format_version() {
    let walk = walk();
    assert!(walk.checkpoints > 100, "{} checkpoints", walk.checkpoints);
    assert_eq!(
        (FORMAT_VERSION, walk.fingerprint),
        (2, BPEL_LAYOUT_V2),
        "the layout of BPEL instances in checkpoints changed ({:#018x}, from {} checkpoints). A checkpoint written by \
         the previous build no longer reads the same: bump checkpoint::FORMAT_VERSION, and either keep old files \
         loading (a reader for the old version) or refuse them by raising Deployed's \
         Program::OLDEST_READABLE_FORMAT; write this version's fixtures (BPEL_BLESS_CHECKPOINTS=1 cargo test -p \
         bpel-engine --test exec_checkpoint) and record the new fingerprint here. If only behaviour changed (the \
         fixtures of this version still load and finish as they did), record the new fingerprint.",
        walk.fingerprint,
        walk.checkpoints,
    );
}

#[test]
fn every_kind_of_state_is_in_a_checkpoint() {
    let walk = walk();
    let never: BTreeMap<&str, &str> = NEVER_BETWEEN_CALLS.iter().copied().collect();
    let all_parts = process_state_parts(&ProcessState::default()).into_iter().map(|(name, _)| name);
    let all: Vec<&str> = FRAME_STATE_KINDS.iter().copied().chain(all_parts).chain(RUNTIME_PARTS).collect();
    for name in never.keys() {
        assert!(all.contains(name), "NEVER_BETWEEN_CALLS names `{name}`, which is not a kind of state");
    }
    let missing: Vec<&str> = all.iter().copied().filter(|name| !never.contains_key(name) && !walk.seen.contains_key(name)).collect();
    let unexpected: Vec<String> = never.keys().filter_map(|name| walk.seen.get(name).map(|place| format!("{name} (at {place})"))).collect();
    let table: String = walk.seen.iter().map(|(name, place)| format!("  {name}: {place}\n")).collect();
    println!("{} checkpoints; first seen:\n{table}", walk.checkpoints);
    assert!(
        missing.is_empty(),
        "no checkpoint of the runs holds {missing:?}: add a run (tests/fixtures/checkpoints/bpel/runs) that stops \
         there, so that the layout fingerprint covers it. Seen:\n{table}"
    );
    assert!(unexpected.is_empty(), "NEVER_BETWEEN_CALLS is wrong about {unexpected:?}");
}

// ---------------------------------------------------------------------------------------------------
// Fixtures: instances saved by earlier builds

/// The fixtures: a name and the run that makes and finishes it. The instance is the run's only one,
/// saved at the run's first `checkpoint = true` step; finishing it runs the steps after that one.
const FIXTURES: &[(&str, &str)] = &[
    ("long_running_awaiting_payment", "long-running-awaiting-payment"),
    ("inside_a_compensation_handler", "compensation-handler"),
    ("inside_event_handlers", "event-handlers"),
];

/// The index of the step a fixture is saved at.
fn saving_step(scenario: &Scenario, run: &str) -> usize {
    scenario.steps.iter().position(|s| s.checkpoint == Some(true)).unwrap_or_else(|| panic!("run {run} has no checkpoint step"))
}

/// Runs a fixture's run up to its saving step: the checkpoint and the clock then.
fn make(run: &Run) -> (Vec<u8>, Timestamp) {
    let (mut scenario, process_path) = run.load();
    let saving = saving_step(&scenario, run.name);
    scenario.steps.truncate(saving + 1);
    let (mut engine, process) = run.engine(&scenario, &process_path);
    let report = scenario::run(&mut engine, process, &scenario);
    assert_passed(run.name, &report, true);
    let ids: Vec<_> = engine.instances().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 1, "run {} must have one instance when it saves it", run.name);
    (engine.checkpoint(ids[0]).unwrap().unwrap(), engine.now())
}

/// Restores a fixture in a fresh engine at `clock`, finishes it with the steps of its run after the
/// saving step, and says what happened.
fn finish(file: &str, run: &Run, bytes: &[u8], clock: Timestamp) -> String {
    let (scenario, process_path) = run.load();
    let saving = saving_step(&scenario, run.name);
    let mut engine = Engine::starting_at(clock);
    let process = engine.deploy(&process_path).unwrap();
    let id = engine.restore(process, None, bytes).unwrap_or_else(|e| panic!("{file} does not load: {e}"));
    let rest = Scenario { steps: scenario.steps[saving + 1..].to_vec(), ..scenario.clone() };
    let report = scenario::run(&mut engine, process, &rest);
    let mut out = format!(
        "# {file}: saved at step {} of runs/{}.scenario.toml, restored as instance {id} and finished with the steps \
         after it (written by BPEL_BLESS_CHECKPOINTS=1)\nclock {}\n",
        saving + 1,
        run.name,
        date_time_text(clock),
    );
    for step in &report.steps {
        out.push_str(&format!("step {}: {}\n", saving + 1 + step.number, step.action));
        for event in &step.events {
            out.push_str(&format!("  {event}\n"));
        }
        for failure in &step.failures {
            out.push_str(&format!("  FAILED {failure}\n"));
        }
    }
    for failure in &report.unanswered {
        out.push_str(&format!("FAILED {failure}\n"));
    }
    let status = engine.instance(id).map_or("gone".to_string(), |l| l.instance.status().to_string());
    out.push_str(&format!("status {status}\n"));
    out
}

/// Writes this version's fixtures (run with BPEL_BLESS_CHECKPOINTS=1). Files of earlier versions
/// are never touched.
fn bless() {
    for (name, run) in FIXTURES {
        let run = run_named(run);
        let (bytes, clock) = make(run);
        let file = format!("v{FORMAT_VERSION}_{name}.ckpt");
        let expected = finish(&file, run, &bytes, clock);
        std::fs::write(bpel_dir().join(&file), &bytes).unwrap();
        std::fs::write(bpel_dir().join(&file).with_extension("expected"), expected).unwrap();
    }
}

#[test]
fn bpel_checkpoints_of_earlier_builds_still_load_and_finish() {
    if std::env::var_os("BPEL_BLESS_CHECKPOINTS").is_some() {
        bless();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(bpel_dir())
        .expect("tests/fixtures/checkpoints/bpel")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ckpt"))
        .collect();
    files.sort();
    for (name, _) in FIXTURES {
        let current = bpel_dir().join(format!("v{FORMAT_VERSION}_{name}.ckpt"));
        assert!(
            files.contains(&current),
            "no fixture {} of this format version: write it with BPEL_BLESS_CHECKPOINTS=1 cargo test -p bpel-engine \
             --test exec_checkpoint",
            current.display()
        );
    }
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let (version, name) = stem.split_once('_').unwrap_or_else(|| panic!("{file}: not named vN_NAME.ckpt"));
        let (_, run) = FIXTURES.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("{file}: no fixture {name} in FIXTURES"));
        let bytes = std::fs::read(&path).unwrap();
        let header = checkpoint::read_header(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(format!("v{}", header.version), version, "{file}: the header says version {}", header.version);
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let clock = expected.lines().nth(1).and_then(|l| l.strip_prefix("clock ")).and_then(date_time);
        let clock = clock.unwrap_or_else(|| panic!("{file}: the second line of its .expected is not `clock DATETIME`"));
        assert_eq!(finish(&file, run_named(run), &bytes, clock), expected, "{file} no longer finishes as it did");
        assert!(!expected.contains("FAILED"), "{file}: its run's expectations did not hold when it was written:\n{expected}");
    }
}

// ---------------------------------------------------------------------------------------------------
// A format too old for BPEL instances

#[test]
fn a_bpel_checkpoint_of_format_1_is_refused_with_a_clear_message() {
    let oldest = <Deployed as Program>::OLDEST_READABLE_FORMAT;
    assert!(oldest > 1, "format 1 of BPEL instances is readable again ({oldest}): this test no longer applies");
    let run = run_named("long-running-awaiting-payment");
    let (bytes, _) = make(run);
    let mut old = bytes.clone();
    old[8..10].copy_from_slice(&1u16.to_le_bytes());
    let sum = checkpoint::checksum(&[&old[..34], &old[HEADER_LEN..]]);
    old[34..42].copy_from_slice(&sum.to_le_bytes());

    let (scenario, process_path) = run.load();
    let (mut engine, process) = run.engine(&scenario, &process_path);
    let err = engine.restore(process, None, &old).unwrap_err();
    assert!(matches!(err, CheckpointError::ProgramLayoutChanged { found: 1, oldest: o, newest: FORMAT_VERSION } if o == oldest), "{err:?}");
    let message = err.to_string();
    for needed in [
        "format version 1",
        "too old",
        &format!("layout changed in version {oldest}"),
        "finish the instance with the release that saved it",
    ] {
        assert!(message.contains(needed), "the message does not say `{needed}`: {message}");
    }
    assert!(matches!(
        checkpoint::load::<Deployed>(&old, engine.process(process).unwrap().hash),
        Err(CheckpointError::ProgramLayoutChanged { .. })
    ));
    // the same instance with this build's version in its header loads
    let id = engine.restore(process, None, &bytes).unwrap();
    assert!(engine.instance(id).is_some());
}
