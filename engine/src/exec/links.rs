//! Links of a flow: an activity with `<targets>` waits until every incoming link is determined, then
//! its join condition decides whether it runs; an activity that completes sets its outgoing links
//! from their transition conditions; an activity that will not run sets the links leaving its subtree
//! to false (dead-path elimination).

use super::state::View;
use super::{Deployed, Frame, FrameState, Payload, PROCESS};
use crate::fault::{Fault, StandardFault};
use crate::model::process::ActivityId;
use crate::runtime::{Op, StepContext};
use crate::xml::evaluate_boolean;

/// What the incoming links say before an activity starts.
pub enum Gate {
    /// Run the activity.
    Open,
    /// A link is not determined yet: wait on this operation, then look again.
    Wait(Op<Payload, super::MessageKey>),
    /// The join condition is false and join failures are suppressed: skip the activity.
    Skip,
    /// The join condition is false: `joinFailure`.
    Fail(Fault),
}

pub fn gate(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame) -> Gate {
    if frame.activity == PROCESS {
        return Gate::Open;
    }
    let activity = d.process().activity(frame.activity);
    let Some(targets) = &activity.targets else { return Gate::Open };
    let mut statuses = Vec::new();
    for target in &targets.targets {
        let Some(name) = &target.link_name else { continue };
        let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
        let Some(slot) = view.link_slot(&name.value) else { continue };
        let Some(link) = cx.shared_mut().env_mut(slot.env).and_then(|e| e.links.get_mut(slot.index)) else { continue };
        match link.0 {
            Some(status) => statuses.push(status),
            None => {
                let channel = match link.1 {
                    Some(channel) => channel,
                    None => {
                        let channel = cx.new_channel();
                        if let Some(link) = cx.shared_mut().env_mut(slot.env).and_then(|e| e.links.get_mut(slot.index)) {
                            link.1 = Some(channel);
                        }
                        channel
                    }
                };
                return Gate::Wait(Op::Recv(channel));
            }
        }
    }
    let go = match &targets.join_condition {
        Some(condition) => {
            let compiled = d.compiled.expression(d.unit.file, condition, &d.process().namespaces);
            let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
            match evaluate_boolean(&compiled, &view, d.xpath_env()) {
                Ok(go) => go,
                Err(fault) => return Gate::Fail(fault),
            }
        }
        None => statuses.iter().any(|s| *s),
    };
    if go {
        Gate::Open
    } else if suppresses_join_failure(d, frame.activity) {
        Gate::Skip
    } else {
        Gate::Fail(Fault::standard(StandardFault::JoinFailure, format!("the join condition of <{}> is false", activity.kind.tag())))
    }
}

/// `suppressJoinFailure` of the activity, inherited from the nearest ancestor that says, or the
/// process's (default no).
fn suppresses_join_failure(d: &Deployed, id: ActivityId) -> bool {
    let process = d.process();
    std::iter::once(id)
        .chain(process.ancestors(id))
        .find_map(|a| process.activity(a).suppress_join_failure.as_ref().map(|s| s.value))
        .or_else(|| process.suppress_join_failure.as_ref().map(|s| s.value))
        .unwrap_or(false)
}

/// Sets a link's status and wakes a target waiting for it.
fn set(d: &Deployed, cx: &mut StepContext<'_, Deployed>, env: super::EnvId, name: &str, status: bool, only_if_open: bool) {
    let view = View { deployed: d, state: cx.shared_mut(), env };
    let Some(slot) = view.link_slot(name) else { return };
    let Some(link) = cx.shared_mut().env_mut(slot.env).and_then(|e| e.links.get_mut(slot.index)) else { return };
    if only_if_open && link.0.is_some() {
        return;
    }
    link.0 = Some(status);
    // a link has one target, which waits at most once: its channel is done with
    if let Some(channel) = link.1.take() {
        cx.offer(channel, Payload::Done);
        let _ = cx.drop_channel(channel);
    }
}

/// After an activity completed normally: its outgoing links, by their transition conditions (a
/// condition that cannot be evaluated counts as false), and the trace.
pub fn completed(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame) {
    if frame.activity == PROCESS || matches!(frame.state, FrameState::Branch(_) | FrameState::Skipped) {
        return;
    }
    cx.shared_mut().record(frame.activity, d.trace_limit);
    if let Some(observer) = &d.observer {
        observer.completed(frame.activity);
    }
    let activity = d.process().activity(frame.activity);
    let Some(sources) = &activity.sources else { return };
    for source in &sources.sources {
        let Some(name) = &source.link_name else { continue };
        let status = match &source.transition_condition {
            Some(condition) => {
                let compiled = d.compiled.expression(d.unit.file, condition, &d.process().namespaces);
                let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
                evaluate_boolean(&compiled, &view, d.xpath_env()).unwrap_or(false)
            }
            None => true,
        };
        set(d, cx, frame.env, &name.value, status, false);
    }
}

/// Dead-path elimination: every link leaving `activity`'s subtree that is not determined yet
/// becomes false.
pub fn eliminate(d: &Deployed, cx: &mut StepContext<'_, Deployed>, activity: Option<ActivityId>, env: super::EnvId) {
    let Some(names) = activity.and_then(|a| d.sourced_links.get(&a)) else { return };
    for name in names {
        set(d, cx, env, name, false, true);
    }
}
