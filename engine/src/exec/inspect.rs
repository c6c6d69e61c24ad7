//! What an instance looks like from outside, in BPEL's words: each tasklet's activity and what it
//! waits for (a message on a partner link's operation with its correlation values, a timer, a
//! link, an invoke's reply, its branches...), the instance's variables, open requests, timers and
//! the trace of completed activities. For the REPL, the language server and `serve`'s admin
//! endpoints: every report is plain data, prints for people (`Display`) and serializes to JSON
//! with stable field names.
//!
//! What a tasklet waits for is read from the runtime (the operations it blocked on:
//! [`Instance::awaiting`]) and named from the process state (which receive waits on a message, which
//! link a channel stands for, which channel the isolated scopes queue on). Only `frame_facts`
//! looks at a frame's progress.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use super::activities::{BranchState, EventHandlerState, ForEachState, RunningHandlers, ScopeStage, ScopeState};
use super::state::{lookup, ProcessState};
use super::time::date_time_text;
use super::{Deployed, Frame, FrameState, MessageKey, PROCESS};
use crate::model::process::{ActivityId, ActivityKind};
use crate::runtime::{Awaiting, ChannelId, Instance, InstanceStatus, Tasklet, TaskletId, TaskletState, Timestamp};
use crate::xml::Value;

/// Everything about one instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceReport {
    pub process: String,
    #[serde(serialize_with = "as_text")]
    pub status: InstanceStatus,
    /// The instance in one line: `waiting: message on client.approve (orderId=42); timer at …`.
    pub summary: String,
    /// When the report was made (the engine's clock: an instance's own time moves only when it runs).
    pub now: Moment,
    /// What the instance waits for (see [`InstanceOverview::waiting`]).
    pub waiting: Vec<Wait>,
    pub tasklets: Vec<TaskletReport>,
    pub variables: Vec<VariableReport>,
    /// Requests received and not answered yet.
    pub open_requests: Vec<OpenRequest>,
    /// The timers set, in the order they will fire.
    pub timers: Vec<Due>,
    /// Completed activities, oldest first (the last few thousand).
    pub trace: Vec<ActivityReport>,
}

/// An instance in one line, for lists of instances (cheaper than a full [`InstanceReport`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceOverview {
    pub process: String,
    #[serde(serialize_with = "as_text")]
    pub status: InstanceStatus,
    /// `waiting: message on customer.confirmPayment (orderId=7); timer at 2026-12-08T00:00:00Z`,
    /// `running`, `completed`...
    pub summary: String,
    /// What the outside world can do to move the instance on: messages it waits for, timers,
    /// partners' replies to its invokes. When there is none (the instance runs, or its tasklets wait
    /// only for each other), every wait that is not merely on its own children. In the order of the
    /// tasklets, each once.
    pub waiting: Vec<Wait>,
}

/// One tasklet: a thread of the instance (the main one, a flow's branch, a forEach iteration, an
/// event handler).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskletReport {
    #[serde(serialize_with = "as_text")]
    pub id: TaskletId,
    /// The activity it is in: its innermost frame.
    pub activity: FrameReport,
    #[serde(flatten)]
    pub state: TaskletStatus,
    /// The activities it is inside, outermost first.
    pub frames: Vec<FrameReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskletStatus {
    /// It has work to do and runs at the instance's next turn.
    Runnable,
    /// Blocked until the first of these happens (several for a pick, one otherwise).
    Waiting {
        waits: Vec<Wait>,
    },
    Finished,
    Killed,
}

/// What a blocked tasklet waits for.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Wait {
    /// A receive, an onMessage or an onEvent: a message on `partner_link.operation`, for the
    /// correlation sets it correlates on (not those it initiates).
    Message { partner_link: String, operation: String, correlations: Vec<CorrelationReport> },
    /// A wait, an onAlarm (or its `repeatEvery`), a pick's alarm.
    Timer(Due),
    /// A target activity waits until this incoming link is determined.
    Link { link: String },
    /// A request-response invoke waits for the partner's reply.
    Reply { partner_link: String, operation: String },
    /// A flow's branches, a parallel forEach's iterations, or a scope's event handlers (beside its
    /// main activity): `open` of them still run.
    Children { of: Children, open: u32 },
    /// An isolated scope waits for the isolated scope that runs to end.
    Isolation,
    /// A branch that ended waits for the activity that spawned it to take its result.
    Parent,
    /// Something this report has no BPEL name for (the runtime's own words).
    Other { what: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Children {
    /// A flow's branches.
    Branches,
    /// A parallel forEach's iterations.
    Iterations,
    /// A scope's (or the process's) event handlers: its onEvents and onAlarms, and the handler
    /// instances they started.
    EventHandlers,
}

/// A correlation set a message must match: its values, once initiated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorrelationReport {
    pub set: String,
    /// `None`: not initiated yet.
    pub values: Option<Vec<PropertyValue>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyValue {
    /// The property's local name (`orderId`).
    pub property: String,
    pub namespace: Option<String>,
    pub value: String,
}

/// A point in time: as `xsd:dateTime` text (UTC) and in milliseconds since the Unix epoch, on the
/// engine's clock (virtual in scenarios and the REPL, the system's in `serve`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub at: String,
    pub millis: i64,
}

/// When a timer is due, and how long from the instance's time that is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    pub at: String,
    pub millis: i64,
    pub in_millis: i64,
}

/// An activity as a person finds it in the source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActivityReport {
    /// Its element name: `receive`, `flow`... (`process` for the process itself).
    pub kind: String,
    pub name: Option<String>,
    /// One-based, as editors show it.
    pub line: u32,
}

/// One frame of a tasklet: an activity, or a part of one (a branch it spawned, a handler).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameReport {
    #[serde(flatten)]
    pub activity: ActivityReport,
    #[serde(flatten)]
    pub role: FrameRole,
    /// A branch's bottom frame: the activity that spawned the branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawned_by: Option<ActivityReport>,
}

/// What part of its activity a frame runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum FrameRole {
    /// The activity itself.
    Activity,
    /// The start of a spawned branch running the activity (it reports the branch's end).
    Branch,
    /// An onEvent of the activity's event handlers, waiting for its messages (by index).
    OnEvent { index: u32 },
    /// An onAlarm of the activity's event handlers (by index).
    OnAlarm { index: u32 },
    /// The scope's fault handler (or its default one).
    FaultHandler,
    /// The scope's compensation handler (or its default one).
    CompensationHandler,
    /// The scope's termination handler (or its default one).
    TerminationHandler,
    /// Running the compensation handlers of completed child scopes, one by one.
    Compensating,
    /// Running the termination handlers of terminated branches' scopes, then rethrowing the fault.
    Terminating,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariableReport {
    /// The scope that declares it (`process`, or the scope's name).
    pub scope: String,
    pub name: String,
    /// `None`: not initialized.
    pub value: Option<String>,
    /// False once its scope instance is over.
    pub live: bool,
}

/// A request received and not answered yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenRequest {
    pub partner_link: String,
    pub operation: String,
    pub message_exchange: Option<String>,
}

fn as_text<T: fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

// ---------------------------------------------------------------------------------------------
// Frames: the one place that reads a frame's progress

/// What inspection needs of a frame's progress.
struct FrameFacts {
    role: FrameRole,
    /// The channels its spawned children report on, and what they are.
    children: Option<(Children, Vec<ChannelId>)>,
    /// The bottom frame of a spawned branch: the channel it reports the branch's end on.
    reports_to: Option<ChannelId>,
}

fn frame_facts(frame: &Frame) -> FrameFacts {
    let mut facts = FrameFacts { role: FrameRole::Activity, children: None, reports_to: None };
    match &frame.state {
        FrameState::Branch(BranchState { report }) => {
            facts.role = FrameRole::Branch;
            facts.reports_to = Some(*report);
        }
        FrameState::Flow(branches) | FrameState::ForEach(ForEachState::Parallel(branches)) => {
            facts.children = Some((Children::Branches, vec![branches.report]));
        }
        FrameState::Scope(ScopeState { stage, handlers, .. }) => {
            facts.role = match stage {
                ScopeStage::Handling | ScopeStage::Defaulting => FrameRole::FaultHandler,
                ScopeStage::Compensate | ScopeStage::Compensating => FrameRole::CompensationHandler,
                ScopeStage::Terminate | ScopeStage::Terminating => FrameRole::TerminationHandler,
                ScopeStage::Init | ScopeStage::Body => FrameRole::Activity,
            };
            if let Some(RunningHandlers { events, body, .. }) = handlers {
                facts.children = Some((Children::EventHandlers, vec![*events, *body]));
            }
        }
        FrameState::EventHandler(EventHandlerState::Event { index, .. }) => facts.role = FrameRole::OnEvent { index: *index },
        FrameState::EventHandler(EventHandlerState::Alarm { index, .. }) => facts.role = FrameRole::OnAlarm { index: *index },
        FrameState::Compensating(_) => facts.role = FrameRole::Compensating,
        FrameState::Terminating(_) => facts.role = FrameRole::Terminating,
        FrameState::Start
        | FrameState::Skipped
        | FrameState::Ready
        | FrameState::Sequence(_)
        | FrameState::If(_)
        | FrameState::Loop(_)
        | FrameState::Receive(_)
        | FrameState::Pick(_)
        | FrameState::Invoke(_)
        | FrameState::Wait(_)
        | FrameState::ForEach(ForEachState::Serial(_)) => {}
    }
    facts
}

// ---------------------------------------------------------------------------------------------
// Building reports

/// What the tasklets of an instance wait on among themselves, gathered once per report.
struct Channels {
    /// Live tasklets reporting on each channel (the bottom frames of spawned branches).
    reporters: BTreeMap<ChannelId, u32>,
    /// The link each channel a target waits on stands for.
    links: BTreeMap<ChannelId, String>,
    /// Where isolated scopes queue for their turn.
    isolation: Option<ChannelId>,
}

impl Deployed {
    /// `<receive name="ReceiveEcho"> (line 30)`.
    pub fn describe(&self, id: ActivityId) -> String {
        self.activity_report(id).to_string()
    }

    /// The activity's kind, name and line.
    pub fn activity_report(&self, id: ActivityId) -> ActivityReport {
        let process = self.process();
        let line_of = |offset: u32| self.lines.line_col(&self.unit.text, offset as usize).line.saturating_add(1);
        if id == PROCESS {
            return ActivityReport { kind: "process".into(), name: Some(self.name().to_string()), line: line_of(process.span.start) };
        }
        match process.activities.get(id.0 as usize) {
            Some(activity) => ActivityReport {
                kind: activity.kind.tag().to_string(),
                name: activity.name.as_ref().map(|n| n.value.clone()),
                line: line_of(activity.span.start),
            },
            None => ActivityReport { kind: "activity".into(), name: Some(format!("#{}", id.0)), line: 0 },
        }
    }

    /// A tasklet's frames, outermost first. The bottom frame of a spawned branch names the activity
    /// that spawned it: the onEvent or onAlarm above it, or the activity's parent in the process
    /// (the flow, the forEach, the scope whose main activity or handler it runs).
    fn frame_reports(&self, frames: &[Frame]) -> Vec<FrameReport> {
        let roles: Vec<FrameRole> = frames.iter().map(|f| frame_facts(f).role).collect();
        frames
            .iter()
            .zip(&roles)
            .enumerate()
            .map(|(i, (frame, &role))| {
                let spawned_by = (role == FrameRole::Branch).then(|| match roles.get(i + 1) {
                    Some(FrameRole::OnEvent { .. } | FrameRole::OnAlarm { .. }) => Some(frame.activity),
                    _ => self.process().activities.get(frame.activity.0 as usize).map(|a| a.parent.unwrap_or(PROCESS)),
                });
                FrameReport {
                    activity: self.activity_report(frame.activity),
                    role,
                    spawned_by: spawned_by.flatten().map(|a| self.activity_report(a)),
                }
            })
            .collect()
    }

    /// The instance in one line (what the instance list shows), at time `now`.
    pub fn overview(&self, instance: &Instance<Deployed>, now: Timestamp) -> InstanceOverview {
        let now = now.max(instance.now());
        let channels = self.channels(instance);
        let per_tasklet: Vec<Vec<Wait>> = instance.tasklets().map(|t| self.waits(instance, now, &channels, &t)).collect();
        let waiting = instance_waits(per_tasklet.iter().flatten());
        InstanceOverview {
            process: self.name().to_string(),
            status: instance.status(),
            summary: summary(instance.status(), &waiting),
            waiting,
        }
    }

    /// Everything about the instance, at time `now` (timers say how far away they are from it).
    pub fn inspect(&self, instance: &Instance<Deployed>, now: Timestamp) -> InstanceReport {
        let state: &ProcessState = instance.shared();
        let now = now.max(instance.now());
        let channels = self.channels(instance);
        let tasklets: Vec<TaskletReport> = instance.tasklets().map(|t| self.tasklet_report(instance, now, &channels, &t)).collect();
        let waiting = instance_waits(tasklets.iter().flat_map(|t| match &t.state {
            TaskletStatus::Waiting { waits } => waits.as_slice(),
            _ => &[],
        }));
        InstanceReport {
            process: self.name().to_string(),
            status: instance.status(),
            summary: summary(instance.status(), &waiting),
            now: Moment { at: date_time_text(now), millis: now.as_millis() },
            waiting,
            tasklets,
            variables: self.variables(state),
            open_requests: state
                .exchanges
                .iter()
                .map(|x| OpenRequest {
                    partner_link: x.partner_link.clone(),
                    operation: x.operation.clone(),
                    message_exchange: x.message_exchange.clone(),
                })
                .collect(),
            timers: instance.timers().map(|(_, due)| Due::new(due, now)).collect(),
            trace: state.trace.iter().map(|a| self.activity_report(*a)).collect(),
        }
    }

    fn channels(&self, instance: &Instance<Deployed>) -> Channels {
        let state = instance.shared();
        let mut reporters: BTreeMap<ChannelId, u32> = BTreeMap::new();
        for tasklet in instance.tasklets() {
            if let Some(channel) = tasklet.frames.first().and_then(|f| frame_facts(f).reports_to) {
                *reporters.entry(channel).or_insert(0) += 1;
            }
        }
        let mut links = BTreeMap::new();
        for (_, env) in state.scope_instances() {
            let names = &self.decl(env.decl).links;
            for (name, (_, channel)) in names.iter().zip(&env.links) {
                if let Some(channel) = channel {
                    links.insert(*channel, name.clone());
                }
            }
        }
        Channels { reporters, links, isolation: state.isolation_waiters }
    }

    fn tasklet_report(
        &self,
        instance: &Instance<Deployed>,
        now: Timestamp,
        channels: &Channels,
        tasklet: &Tasklet<'_, Frame>,
    ) -> TaskletReport {
        let frames = self.frame_reports(tasklet.frames);
        let activity = frames.last().cloned().unwrap_or_else(|| FrameReport {
            activity: self.activity_report(PROCESS),
            role: FrameRole::Activity,
            spawned_by: None,
        });
        let state = match tasklet.state {
            TaskletState::Runnable => TaskletStatus::Runnable,
            TaskletState::Blocked(_) => TaskletStatus::Waiting { waits: self.waits(instance, now, channels, tasklet) },
            TaskletState::Finished => TaskletStatus::Finished,
            TaskletState::Killed => TaskletStatus::Killed,
        };
        TaskletReport { id: tasklet.id, activity, state, frames }
    }

    /// What a blocked tasklet waits for, in BPEL's words.
    fn waits(&self, instance: &Instance<Deployed>, now: Timestamp, channels: &Channels, tasklet: &Tasklet<'_, Frame>) -> Vec<Wait> {
        let top = tasklet.frames.last();
        let facts = top.map(frame_facts);
        let mut waits: Vec<Wait> = Vec::new();
        for awaiting in instance.awaiting(tasklet.id) {
            let wait = match awaiting {
                Awaiting::Message(key) => self.message_wait(instance.shared(), tasklet.id, key),
                Awaiting::Timer { due, .. } => Wait::Timer(Due::new(due, now)),
                Awaiting::Answer(request) => match top.map(|f| f.activity).and_then(|a| self.process().activity_kind(a)) {
                    Some(ActivityKind::Invoke(invoke)) => Wait::Reply {
                        partner_link: invoke.message.partner_link.as_ref().map_or_else(String::new, |n| n.value.clone()),
                        operation: invoke.message.operation.as_ref().map_or_else(String::new, |n| n.value.clone()),
                    },
                    _ => Wait::Other { what: format!("the answer to request {request}") },
                },
                Awaiting::Recv(channel) if Some(channel) == channels.isolation => Wait::Isolation,
                Awaiting::Recv(channel) => {
                    if let Some(link) = channels.links.get(&channel) {
                        Wait::Link { link: link.clone() }
                    } else if let Some((of, reporting)) =
                        facts.as_ref().and_then(|f| f.children.as_ref()).filter(|(_, c)| c.contains(&channel))
                    {
                        let open: u32 = reporting.iter().map(|c| channels.reporters.get(c).copied().unwrap_or(0)).sum();
                        // a scope with event handlers: its main activity is one of the reporters
                        let open = if *of == Children::EventHandlers { open.saturating_sub(1) } else { open };
                        Wait::Children { of: *of, open }
                    } else {
                        Wait::Other { what: format!("a value on channel {channel}") }
                    }
                }
                Awaiting::Send(channel) if facts.as_ref().and_then(|f| f.reports_to) == Some(channel) => Wait::Parent,
                Awaiting::Send(channel) => Wait::Other { what: format!("a receiver on channel {channel}") },
                Awaiting::Join(group) => Wait::Other { what: format!("the end of the tasklets of group {group}") },
            };
            // a scope with event handlers waits on two channels of its children: one wait
            if !waits.contains(&wait) {
                waits.push(wait);
            }
        }
        waits
    }

    fn message_wait(&self, state: &ProcessState, tasklet: TaskletId, key: &MessageKey) -> Wait {
        let waiter = state.waiting.iter().find(|w| w.tasklet == tasklet && w.key == *key);
        let correlations = waiter.map_or_else(Vec::new, |w| w.sets.iter().map(|set| self.correlation(state, w.env, set)).collect());
        Wait::Message { partner_link: key.partner_link.clone(), operation: key.operation.clone(), correlations }
    }

    fn correlation(&self, state: &ProcessState, env: super::EnvId, set: &str) -> CorrelationReport {
        let found = lookup(self, state, env, |d| d.correlation_sets.iter().position(|c| c.name == set)).and_then(|slot| {
            let e = state.env(slot.env)?;
            let properties = &self.decl(e.decl).correlation_sets.get(slot.index)?.properties;
            let values = e.correlations.get(slot.index)?.as_ref()?;
            Some(
                properties
                    .iter()
                    .zip(values)
                    .map(|(p, v)| PropertyValue { property: p.local.clone(), namespace: p.namespace.clone(), value: v.clone() })
                    .collect(),
            )
        });
        CorrelationReport { set: set.to_string(), values: found }
    }

    fn variables(&self, state: &ProcessState) -> Vec<VariableReport> {
        let mut variables = Vec::new();
        for (_, env) in state.scope_instances() {
            let scope = match env.scope {
                Some(PROCESS) => "process".to_string(),
                Some(id) => {
                    self.process().activities.get(id.0 as usize).and_then(|a| a.name.as_ref()).map_or("scope".into(), |n| n.value.clone())
                }
                None => "handler".to_string(),
            };
            for (decl, value) in self.decl(env.decl).variables.iter().zip(&env.values) {
                variables.push(VariableReport {
                    scope: scope.clone(),
                    name: decl.name.clone(),
                    value: value.as_ref().map(value_text),
                    live: env.live,
                });
            }
        }
        variables
    }
}

impl Due {
    fn new(due: Timestamp, now: Timestamp) -> Due {
        Due { at: date_time_text(due), millis: due.as_millis(), in_millis: due.as_millis().saturating_sub(now.as_millis()) }
    }
}

/// What the instance waits for, from its tasklets' waits: see [`InstanceOverview::waiting`].
fn instance_waits<'a>(all: impl Iterator<Item = &'a Wait> + Clone) -> Vec<Wait> {
    let outside = |w: &&Wait| matches!(w, Wait::Message { .. } | Wait::Timer(_) | Wait::Reply { .. });
    let inside = |w: &&Wait| !matches!(w, Wait::Children { .. } | Wait::Parent);
    let mut chosen: Vec<Wait> = Vec::new();
    let mut add = |w: &Wait| {
        if !chosen.contains(w) {
            chosen.push(w.clone());
        }
    };
    if all.clone().any(|w| outside(&w)) {
        all.filter(outside).for_each(&mut add);
    } else {
        all.filter(inside).for_each(&mut add);
    }
    chosen
}

fn summary(status: InstanceStatus, waiting: &[Wait]) -> String {
    if status != InstanceStatus::Running || waiting.is_empty() {
        return status.to_string();
    }
    let waits: Vec<String> = waiting.iter().map(Wait::to_string).collect();
    format!("waiting: {}", waits.join("; "))
}

/// A value as XML text: a message's parts one after the other, an element as itself.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Element(element) => element.to_xml(),
        Value::Message(message) => message.parts.iter().map(|p| format!("{}: {}", p.name, p.value.to_xml())).collect::<Vec<_>>().join("\n"),
    }
}

// ---------------------------------------------------------------------------------------------
// For people

impl fmt::Display for ActivityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "<{} name=\"{name}\">", self.kind)?,
            None => write!(f, "<{}>", self.kind)?,
        }
        if self.line > 0 {
            write!(f, " (line {})", self.line)?;
        }
        Ok(())
    }
}

impl fmt::Display for FrameReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.activity;
        match self.role {
            FrameRole::Activity => write!(f, "{a}"),
            FrameRole::Branch => match &self.spawned_by {
                Some(parent) => write!(f, "branch of {parent}"),
                None => write!(f, "branch running {a}"),
            },
            FrameRole::OnEvent { index } => write!(f, "onEvent #{} of {a}", index + 1),
            FrameRole::OnAlarm { index } => write!(f, "onAlarm #{} of {a}", index + 1),
            FrameRole::FaultHandler => write!(f, "fault handler of {a}"),
            FrameRole::CompensationHandler => write!(f, "compensation handler of {a}"),
            FrameRole::TerminationHandler => write!(f, "termination handler of {a}"),
            FrameRole::Compensating => write!(f, "compensating inside {a}"),
            FrameRole::Terminating => write!(f, "terminating inside {a}"),
        }
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Message { partner_link, operation, correlations } => {
                write!(f, "message on {partner_link}.{operation}")?;
                if !correlations.is_empty() {
                    let sets: Vec<String> = correlations.iter().map(CorrelationReport::to_string).collect();
                    write!(f, " ({})", sets.join("; "))?;
                }
                Ok(())
            }
            Wait::Timer(due) => write!(f, "timer at {}", due.at),
            Wait::Link { link } => write!(f, "link {link}"),
            Wait::Reply { partner_link, operation } => write!(f, "reply from {partner_link}.{operation}"),
            Wait::Children { of, open } => match of {
                Children::Branches => write!(f, "{open} open branch{}", if *open == 1 { "" } else { "es" }),
                Children::Iterations => write!(f, "{open} open iteration{}", plural(*open)),
                Children::EventHandlers => write!(f, "its main activity and {open} open event handler{}", plural(*open)),
            },
            Wait::Isolation => f.write_str("its turn to run an isolated scope"),
            Wait::Parent => f.write_str("its parent to take its result"),
            Wait::Other { what } => f.write_str(what),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl fmt::Display for CorrelationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.values {
            Some(values) => {
                let pairs: Vec<String> = values.iter().map(|p| format!("{}={}", p.property, p.value)).collect();
                f.write_str(&pairs.join(", "))
            }
            None => write!(f, "correlation set {} not initiated", self.set),
        }
    }
}

impl fmt::Display for TaskletStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskletStatus::Runnable => f.write_str("runnable"),
            TaskletStatus::Waiting { waits } if waits.is_empty() => f.write_str("waiting for nothing it can name"),
            TaskletStatus::Waiting { waits } => {
                let waits: Vec<String> = waits.iter().map(Wait::to_string).collect();
                write!(f, "waiting for {}", waits.join(" or "))
            }
            TaskletStatus::Finished => f.write_str("finished"),
            TaskletStatus::Killed => f.write_str("killed"),
        }
    }
}

impl fmt::Display for TaskletReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}: {}", self.id, self.activity, self.state)
    }
}

impl fmt::Display for InstanceOverview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.process, self.summary)
    }
}

impl fmt::Display for InstanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {} (at {})", self.process, self.summary, self.now.at)?;
        if !self.tasklets.is_empty() {
            writeln!(f, "tasklets:")?;
            for tasklet in &self.tasklets {
                writeln!(f, "  {tasklet}")?;
                let path: Vec<String> = tasklet.frames.iter().map(FrameReport::to_string).collect();
                writeln!(f, "    inside {}", path.join(" > "))?;
            }
        }
        if !self.variables.is_empty() {
            writeln!(f, "variables:")?;
            for v in &self.variables {
                let value = v.value.as_deref().unwrap_or("(not initialized)").replace('\n', "\n      ");
                let over = if v.live { "" } else { " (scope over)" };
                writeln!(f, "  {}.{}{over} = {value}", v.scope, v.name)?;
            }
        }
        if !self.open_requests.is_empty() {
            let open: Vec<String> = self.open_requests.iter().map(|r| format!("{}.{}", r.partner_link, r.operation)).collect();
            writeln!(f, "open requests: {}", open.join(", "))?;
        }
        if !self.timers.is_empty() {
            let timers: Vec<&str> = self.timers.iter().map(|t| t.at.as_str()).collect();
            writeln!(f, "timers: {}", timers.join(", "))?;
        }
        if let Some(last) = self.trace.last() {
            writeln!(f, "last completed: {last} ({} in the trace)", self.trace.len())?;
        }
        Ok(())
    }
}
