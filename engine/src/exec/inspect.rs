//! What an instance looks like from outside, in words: its tasklets and their frames, variables,
//! open receives and requests, timers, and the trace of completed activities. For the REPL, the
//! language server and `serve`'s admin endpoints.

use super::state::ProcessState;
use super::{Deployed, Frame, FrameState, PROCESS};
use crate::model::process::ActivityId;
use crate::runtime::{Instance, InstanceStatus, TaskletId, TaskletState, Timestamp};
use crate::xml::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct InstanceReport {
    pub process: String,
    pub status: InstanceStatus,
    pub now: Timestamp,
    pub tasklets: Vec<TaskletReport>,
    pub variables: Vec<VariableReport>,
    /// Receives, onMessages and onEvents waiting: `partnerLink.operation`.
    pub waiting: Vec<String>,
    /// Requests received and not answered yet: `partnerLink.operation`.
    pub open_requests: Vec<String>,
    pub timers: Vec<Timestamp>,
    /// Completed activities, oldest first (the last few thousand).
    pub trace: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskletReport {
    pub id: TaskletId,
    pub state: TaskletState,
    /// Bottom first.
    pub frames: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariableReport {
    /// The scope that declares it (`process`, or the scope's name).
    pub scope: String,
    pub name: String,
    /// `None`: not initialized.
    pub value: Option<String>,
    /// False once its scope instance is over.
    pub live: bool,
}

impl Deployed {
    /// `<receive name="ReceiveEcho">` at line 30.
    pub fn describe(&self, id: ActivityId) -> String {
        if id == PROCESS {
            return format!("<process name=\"{}\">", self.name());
        }
        let Some(activity) = self.process().activities.get(id.0 as usize) else { return format!("activity #{}", id.0) };
        let line = self.lines.line_col(&self.unit.text, activity.span.start as usize).line;
        match &activity.name {
            Some(name) => format!("<{} name=\"{}\"> (line {line})", activity.kind.tag(), name.value),
            None => format!("<{}> (line {line})", activity.kind.tag()),
        }
    }

    fn describe_frame(&self, frame: &Frame) -> String {
        let what = self.describe(frame.activity);
        match &frame.state {
            FrameState::Branch(_) => format!("branch running {what}"),
            FrameState::EventHandler(super::activities::EventHandlerState::Event { .. }) => format!("event handler of {what}"),
            FrameState::EventHandler(super::activities::EventHandlerState::Alarm { .. }) => format!("alarm of {what}"),
            FrameState::Compensating(_) => format!("compensating for {what}"),
            FrameState::Terminating(_) => format!("terminating inside {what}"),
            FrameState::Receive(_)
            | FrameState::Pick(super::activities::PickState::Waiting)
            | FrameState::Wait(_)
            | FrameState::Invoke(super::activities::InvokeState::Waiting) => {
                format!("{what}, waiting")
            }
            _ => what,
        }
    }

    pub fn inspect(&self, instance: &Instance<Deployed>) -> InstanceReport {
        let state: &ProcessState = instance.shared();
        let tasklets = instance
            .tasklets()
            .map(|t| TaskletReport { id: t.id, state: t.state, frames: t.frames.iter().map(|f| self.describe_frame(f)).collect() })
            .collect();
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
        let alive = |t: TaskletId| matches!(instance.state(t), Some(TaskletState::Blocked(_)));
        InstanceReport {
            process: self.name().to_string(),
            status: instance.status(),
            now: instance.now(),
            tasklets,
            variables,
            waiting: state
                .waiting
                .iter()
                .filter(|w| alive(w.tasklet))
                .map(|w| format!("{}.{}", w.key.partner_link, w.key.operation))
                .collect(),
            open_requests: state.exchanges.iter().map(|x| format!("{}.{}", x.partner_link, x.operation)).collect(),
            timers: instance.timers().map(|(_, due)| due).collect(),
            trace: state.trace.iter().map(|a| self.describe(*a)).collect(),
        }
    }
}

/// A value as XML text: a message's parts one after the other, an element as itself.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Element(element) => element.to_xml(),
        Value::Message(message) => message.parts.iter().map(|p| format!("{}: {}", p.name, p.value.to_xml())).collect::<Vec<_>>().join("\n"),
    }
}
