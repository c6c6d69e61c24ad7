//! `<scope>` and the process itself: a scope instance with its variables, the main activity, event
//! handlers running beside it, fault handlers when it faults, and its compensation handler
//! installed when it completes.

use serde::{Deserialize, Serialize};

use super::assign::copy_env;
use super::branches::{release, BranchState, Branches};
use super::messaging::{accept, wait_for};
use super::wait::timer_op;
use super::{frame as fresh, string};
use crate::exec::deploy::DeclOwner;
use crate::exec::links::eliminate;
use crate::exec::state::View;
use crate::exec::time::duration_millis;
use crate::exec::{Act, Deployed, EnvId, Frame, FrameState, Input, Payload, PROCESS};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{ActivityId, ActivityKind, ScopeDecls};
use crate::runtime::{ChannelId, GroupId, Op, Outcome, StepContext, TaskletState};
use crate::xml::copy::{apply, evaluate_from, Target};
use crate::xml::{Message, Value, VarType};

/// A scope instance (`own`) and what it is doing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeState {
    pub own: EnvId,
    pub stage: ScopeStage,
    /// With event handlers, the body runs as a tasklet of their group.
    pub handlers: Option<RunningHandlers>,
}

/// A scope's event handlers at work: their group, the channel they report on, and the body's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningHandlers {
    pub group: GroupId,
    pub events: ChannelId,
    pub body: ChannelId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeStage {
    /// The scope instance exists (made by a forEach or onEvent that set its first variable), the
    /// body has not started.
    Init,
    /// The main activity runs.
    Body,
    /// A fault handler runs.
    Handling,
    /// The default fault handler compensates the children; the fault is rethrown after.
    Defaulting,
    /// Asked to compensate: the compensation handler (explicit or default) is about to run.
    Compensate,
    /// The compensation handler runs.
    Compensating,
    /// Terminated: the termination handler (explicit or default) is about to run.
    Terminate,
    /// The termination handler runs; its faults go nowhere.
    Terminating,
}

/// One event handler of a scope (by its index among the scope's onEvents or onAlarms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventHandlerState {
    /// Waits for its message, spawning a handler instance per message into the event handlers'
    /// group, which reports on `report`.
    Event { index: u32, group: GroupId, report: ChannelId },
    /// Waits for its timer; `fired` once its activity has run.
    Alarm { index: u32, fired: bool },
}

/// Compensation handlers of these scope instances still to run, first in the list first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompensatingState {
    pub pending: Vec<EnvId>,
}

/// The frame of a scope (or an invoke's implicit scope) whose instance `own` exists, at `stage`.
pub fn stage_frame(scope: ActivityId, env: EnvId, own: EnvId, stage: ScopeStage) -> Frame {
    Frame { activity: scope, env, state: FrameState::Scope(ScopeState { own, stage, handlers: None }) }
}

/// The declarations of a scope activity or of the process.
pub fn decls(d: &Deployed, scope: ActivityId) -> Option<&ScopeDecls> {
    if scope == PROCESS {
        return Some(&d.process().scope);
    }
    match &d.process().activity(scope).kind {
        ActivityKind::Scope(s) => Some(&s.decls),
        ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
        _ => None,
    }
}

fn body(d: &Deployed, scope: ActivityId) -> Option<ActivityId> {
    if scope == PROCESS {
        return d.process().activity;
    }
    match &d.process().activity(scope).kind {
        ActivityKind::Scope(s) => s.activity,
        _ => None,
    }
}

/// The frame that starts a scope whose instance `own` is already made (a forEach iteration, an
/// onEvent's handler).
pub fn start_frame(scope: ActivityId, env: EnvId, own: EnvId) -> Frame {
    stage_frame(scope, env, own, ScopeStage::Init)
}

/// A new instance of `scope`'s declarations under `parent`.
pub fn new_instance(d: &Deployed, cx: &mut StepContext<'_, Deployed>, scope: ActivityId, parent: Option<EnvId>) -> EnvId {
    let decl = d.decl_for(scope, DeclOwner::Scope);
    cx.shared_mut().new_env(d, decl, parent, Some(scope))
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input) -> Act {
    let id = frame.activity;
    match frame.state.clone() {
        FrameState::Ready => {
            if let Some(wait) = isolate(d, cx, id) {
                return wait;
            }
            let parent = (id != PROCESS).then_some(frame.env);
            let own = new_instance(d, cx, id, parent);
            begin(d, cx, frame, own)
        }
        FrameState::Scope(ScopeState { own, stage: ScopeStage::Init, .. }) => {
            if let Some(wait) = isolate(d, cx, id) {
                return wait;
            }
            begin(d, cx, frame, own)
        }
        FrameState::Scope(state) => in_scope(d, cx, frame, input, state),
        FrameState::EventHandler(EventHandlerState::Event { index, group, report }) => on_event(d, cx, frame, input, index, group, report),
        FrameState::EventHandler(EventHandlerState::Alarm { index, fired }) => on_alarm(d, cx, frame, input, index, fired),
        FrameState::Compensating(_) => run_compensations(cx, frame, input),
        _ => Act::Fault(Fault::standard(StandardFault::SubLanguageExecutionFault, "a scope frame in an unexpected state")),
    }
}

/// Initializes the variables, starts the event handlers and the main activity.
fn begin(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, own: EnvId) -> Act {
    let id = frame.activity;
    if let Err(fault) = initialize(d, cx, own) {
        return Act::Fault(fault);
    }
    let Some(decls) = decls(d, id) else { return Act::Done };
    let main = body(d, id);
    let has_handlers = decls.event_handlers.as_ref().is_some_and(|h| !h.on_events.is_empty() || !h.on_alarms.is_empty());
    if !has_handlers {
        frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Body, handlers: None });
        return match main {
            Some(main) => Act::Push(fresh(main, own)),
            None => Act::Again,
        };
    }
    let group = cx.new_group();
    let events = cx.new_channel();
    let body_channel = cx.new_channel();
    if id == PROCESS {
        // the process's event handlers start with the instance, once its start activity is done
        cx.shared_mut().deferred_handlers = Some((group, events, own));
    } else {
        spawn_handlers(d, cx, id, own, group, events);
    }
    if let Some(main) = main {
        cx.spawn_frames(group, vec![branch(main, own, body_channel), fresh(main, own)]);
    }
    let handlers = RunningHandlers { group, events, body: body_channel };
    frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Body, handlers: Some(handlers) });
    Act::Choose(vec![Op::Recv(body_channel), Op::Recv(events)])
}

fn spawn_handlers(d: &Deployed, cx: &mut StepContext<'_, Deployed>, scope: ActivityId, own: EnvId, group: GroupId, events: ChannelId) {
    let Some(handlers) = decls(d, scope).and_then(|s| s.event_handlers.as_ref()) else { return };
    for index in 0..handlers.on_events.len() as u32 {
        let event =
            Frame { activity: scope, env: own, state: FrameState::EventHandler(EventHandlerState::Event { index, group, report: events }) };
        cx.spawn_frames(group, vec![branch(scope, own, events), event]);
    }
    for index in 0..handlers.on_alarms.len() as u32 {
        let alarm = Frame { activity: scope, env: own, state: FrameState::EventHandler(EventHandlerState::Alarm { index, fired: false }) };
        cx.spawn_frames(group, vec![branch(scope, own, events), alarm]);
    }
}

/// The start activity is done: the process's event handlers begin.
pub fn enable_process_handlers(d: &Deployed, cx: &mut StepContext<'_, Deployed>) {
    if let Some((group, events, own)) = cx.shared_mut().deferred_handlers.take() {
        spawn_handlers(d, cx, PROCESS, own, group, events);
    }
}

fn branch(activity: ActivityId, env: EnvId, report: ChannelId) -> Frame {
    Frame { activity, env, state: FrameState::Branch(BranchState { report }) }
}

/// The inline initializations of the scope's variables (`<variable><from>`), in order.
fn initialize(d: &Deployed, cx: &mut StepContext<'_, Deployed>, own: EnvId) -> Result<(), Fault> {
    let Some(env) = cx.shared().env(own) else { return Ok(()) };
    let decl = d.decl(env.decl);
    for variable in &decl.variables {
        let Some((owner, index)) = variable.init else { continue };
        let Some(from) = decls(d, owner).and_then(|s| s.variables.get(index)).and_then(|v| v.from.as_ref()) else { continue };
        let mut view = View { deployed: d, state: cx.shared_mut(), env: own };
        let source = evaluate_from(copy_env(d), &view, from, false)?;
        if let Some(source) = source {
            apply(&mut view, source, &Target::Variable(variable.name.clone()), false)?;
        }
    }
    Ok(())
}

fn in_scope(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, state: ScopeState) -> Act {
    let ScopeState { own, stage, handlers } = state;
    match stage {
        ScopeStage::Body => {
            let result = match (input, handlers) {
                (Input::Child(result), _) => result,
                (Input::None, None) => Ok(()), // a scope without a main activity
                (Input::Resumed(resume), Some(RunningHandlers { group, events, body })) => {
                    let from_body = resume.arm == 0;
                    let result = match resume.outcome {
                        Outcome::Received(Payload::Fault(fault)) => Err(fault),
                        _ if !from_body => return Act::Choose(vec![Op::Recv(body), Op::Recv(events)]),
                        _ => Ok(()),
                    };
                    cx.kill_group(group);
                    release(cx, group, &[events, body]);
                    result
                }
                (_, Some(RunningHandlers { events, body, .. })) => return Act::Choose(vec![Op::Recv(body), Op::Recv(events)]),
                (Input::Resumed(_), None) => Ok(()),
            };
            match result {
                Ok(()) => complete(d, cx, frame, own),
                Err(fault) => handle_fault(d, cx, frame, own, fault),
            }
        }
        ScopeStage::Handling => match input {
            Input::Child(Ok(())) => {
                eliminate(d, cx, Some(frame.activity).filter(|a| *a != PROCESS).or(body(d, frame.activity)), frame.env);
                close(cx, own);
                Act::Done
            }
            Input::Child(Err(fault)) => {
                close(cx, own);
                Act::Fault(fault)
            }
            _ => Act::Done,
        },
        ScopeStage::Defaulting => {
            let fault = cx.shared().env(own).and_then(|e| e.fault.clone());
            close(cx, own);
            match input {
                Input::Child(Err(fault)) => Act::Fault(fault),
                _ => Act::Fault(fault.unwrap_or_else(|| Fault::standard(StandardFault::SubLanguageExecutionFault, "a scope faulted"))),
            }
        }
        ScopeStage::Compensate => {
            frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Compensating, handlers: None });
            let handler = decls(d, frame.activity).and_then(|s| s.compensation_handler.as_ref()).and_then(|h| h.activity);
            handler_or_default(cx, frame.activity, own, handler)
        }
        ScopeStage::Compensating => {
            close(cx, own);
            match input {
                Input::Child(Err(fault)) => Act::Fault(fault),
                _ => Act::Done,
            }
        }
        ScopeStage::Terminate => {
            frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Terminating, handlers: None });
            let handler = decls(d, frame.activity).and_then(|s| s.termination_handler.as_ref()).and_then(|h| h.activity);
            handler_or_default(cx, frame.activity, own, handler)
        }
        ScopeStage::Terminating => {
            // a fault in a termination handler is not propagated (WS-BPEL 2.0 §12.6)
            close(cx, own);
            Act::Done
        }
        ScopeStage::Init => Act::Again,
    }
}

/// An isolated scope runs only while no other isolated scope of the instance runs (WS-BPEL 2.0
/// §12.8: isolated scopes are serializable with respect to each other). `Some`: wait for the one
/// that runs.
fn isolate(d: &Deployed, cx: &mut StepContext<'_, Deployed>, scope: ActivityId) -> Option<Act> {
    let isolated =
        matches!(&d.process().activity_kind(scope), Some(ActivityKind::Scope(s)) if s.isolated.as_ref().is_some_and(|i| i.value));
    if !isolated {
        return None;
    }
    let me = cx.id();
    let holder = cx.shared().isolation;
    // a holder that was killed (its scope terminated) holds nothing
    let free = holder.is_none_or(|h| h == me || !matches!(cx.state(h), Some(TaskletState::Runnable | TaskletState::Blocked(_))));
    if free {
        cx.shared_mut().isolation = Some(me);
        return None;
    }
    let channel = match cx.shared().isolation_waiters {
        Some(channel) => channel,
        None => {
            let channel = cx.new_channel();
            cx.shared_mut().isolation_waiters = Some(channel);
            channel
        }
    };
    Some(Act::Block(Op::Recv(channel)))
}

/// The isolated scope this tasklet runs is over: the next waiting one may go.
fn release_isolation(cx: &mut StepContext<'_, Deployed>) {
    let me = cx.id();
    if cx.shared().isolation != Some(me) {
        return;
    }
    cx.shared_mut().isolation = None;
    if let Some(channel) = cx.shared().isolation_waiters {
        cx.offer(channel, Payload::Done);
    }
}

/// Runs a scope's handler activity, or the default handler of every kind: compensate the scope's
/// completed children, latest first.
fn handler_or_default(cx: &mut StepContext<'_, Deployed>, scope: ActivityId, own: EnvId, handler: Option<ActivityId>) -> Act {
    match handler {
        Some(handler) => Act::Push(fresh(handler, own)),
        None => {
            let pending = take_completed(cx, own);
            Act::Push(Frame { activity: scope, env: own, state: FrameState::Compensating(CompensatingState { pending }) })
        }
    }
}

/// The scope completed: if it can be compensated (it has a compensation handler, or a completed
/// child scope that has one, which its default handler would run), it is installed in the
/// enclosing scope; otherwise nothing will refer to its instance again and it is collected.
fn complete(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, own: EnvId) -> Act {
    release_isolation(cx);
    if frame.activity != PROCESS {
        let explicit = decls(d, frame.activity).is_some_and(|s| s.compensation_handler.is_some());
        let state = cx.shared_mut();
        let compensable = explicit || state.env(own).is_some_and(|e| !e.completed.is_empty());
        if compensable {
            install_compensation(state, frame.env, own);
        }
    }
    Act::Done
}

/// Makes the compensation handler of the completed scope instance `own` (a scope's, or an invoke's)
/// reachable from the nearest enclosing scope instance of `env`.
pub fn install_compensation(state: &mut crate::exec::ProcessState, env: EnvId, own: EnvId) {
    let enclosing = state.chain(env).find(|e| state.env(*e).is_some_and(|e| e.scope.is_some()));
    if let Some(enclosing) = enclosing.and_then(|e| state.env_mut(e)) {
        enclosing.completed.push(own);
    }
}

/// The scope instance is done with (its values stay until nothing refers to it any more).
fn close(cx: &mut StepContext<'_, Deployed>, own: EnvId) {
    release_isolation(cx);
    if let Some(env) = cx.shared_mut().env_mut(own) {
        env.live = false;
    }
}

/// The completed child scopes of `own`, latest first, taken (each is compensated once).
pub fn take_completed(cx: &mut StepContext<'_, Deployed>, own: EnvId) -> Vec<EnvId> {
    let Some(env) = cx.shared_mut().env_mut(own) else { return Vec::new() };
    let mut pending = std::mem::take(&mut env.completed);
    pending.reverse();
    pending
}

fn exits_on_standard_fault(d: &Deployed, scope: ActivityId) -> bool {
    let process = d.process();
    let own = |id: ActivityId| match &process.activity(id).kind {
        ActivityKind::Scope(s) => s.exit_on_standard_fault.as_ref().map(|v| v.value),
        _ => None,
    };
    let scopes = if scope == PROCESS { Vec::new() } else { std::iter::once(scope).chain(process.ancestors(scope)).collect() };
    scopes.into_iter().find_map(own).or_else(|| process.exit_on_standard_fault.as_ref().map(|v| v.value)).unwrap_or(false)
}

fn handle_fault(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, own: EnvId, fault: Fault) -> Act {
    // every standard fault but joinFailure exits (WS-BPEL 2.0 §12.5)
    let exits = fault.standard_kind().is_some_and(|k| k != StandardFault::JoinFailure);
    if exits && exits_on_standard_fault(d, frame.activity) {
        let main = cx.main();
        cx.kill(main, true);
        return Act::Done;
    }
    if let Some(env) = cx.shared_mut().env_mut(own) {
        env.fault = Some(fault.clone());
    }
    let handler = decls(d, frame.activity).and_then(|s| select_handler(s, &fault));
    match handler {
        Some(handler) => {
            frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Handling, handlers: None });
            match catch_frame(d, cx, frame.activity, own, handler, &fault) {
                Some(child) => Act::Push(child),
                None => Act::Again,
            }
        }
        None => {
            frame.state = FrameState::Scope(ScopeState { own, stage: ScopeStage::Defaulting, handlers: None });
            handler_or_default(cx, frame.activity, own, None)
        }
    }
}

/// A fault handler of a scope (or an invoke): the index of the catch (`None`: catchAll) and its
/// activity.
#[derive(Clone, Copy, Debug)]
pub struct HandlerRef {
    pub catch: Option<usize>,
    pub activity: Option<ActivityId>,
}

/// The handler for `fault` (WS-BPEL 2.0 §12.5): a catch naming the fault and matching its data's
/// type, then one naming it without a variable, then one matching the data's type alone, then
/// catchAll.
pub fn select_handler(decls: &ScopeDecls, fault: &Fault) -> Option<HandlerRef> {
    let handlers = decls.fault_handlers.as_ref()?;
    let mut best: Option<(u8, usize)> = None;
    for (index, catch) in handlers.catches.iter().enumerate() {
        let name = catch.fault_name.as_ref().and_then(|n| n.name.as_ref());
        let name_matches = name.map(|n| *n == fault.name);
        if name_matches == Some(false) {
            continue;
        }
        let typed = catch.fault_message_type.is_some() || catch.fault_element.is_some();
        let type_matches = typed && data_matches(catch, fault.data());
        let score = match (name_matches, typed, type_matches) {
            (Some(true), true, true) => 4,
            (Some(true), false, _) => 3,
            (None, true, true) => 2,
            _ => continue,
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, index));
        }
    }
    match best {
        Some((_, index)) => Some(HandlerRef { catch: Some(index), activity: handlers.catches[index].activity }),
        None => handlers.catch_all.as_ref().map(|h| HandlerRef { catch: None, activity: h.activity }),
    }
}

fn data_matches(catch: &crate::model::process::Catch, data: Option<&Value>) -> bool {
    let Some(data) = data else { return false };
    if let Some(message_type) = catch.fault_message_type.as_ref().and_then(|m| m.name.as_ref()) {
        return matches!(data, Value::Message(m) if m.message_type == *message_type);
    }
    if let Some(element) = catch.fault_element.as_ref().and_then(|e| e.name.as_ref()) {
        return match data {
            Value::Element(e) => e.has_name(element),
            Value::Message(m) => m.parts.len() == 1 && m.parts[0].value.has_name(element),
        };
    }
    false
}

/// The frame of a fault handler's activity, in a scope instance holding its fault variable.
pub fn catch_frame(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    owner: ActivityId,
    env: EnvId,
    handler: HandlerRef,
    fault: &Fault,
) -> Option<Frame> {
    let activity = handler.activity?;
    let decl = handler.catch.and_then(|i| d.decl_for(owner, DeclOwner::Catch(i as u32)));
    let catch_env = cx.shared_mut().new_env(d, decl, Some(env), None);
    if let Some(e) = cx.shared_mut().env_mut(catch_env) {
        e.fault = Some(fault.clone());
    }
    let variable = d.decl(decl).variables.first().cloned();
    if let (Some(variable), Some(data)) = (variable, fault.data()) {
        let value = match (&variable.ty, data) {
            (Some(VarType::Message(_)), Value::Message(_)) | (Some(VarType::Element(_)), Value::Element(_)) => data.clone(),
            (Some(VarType::Element(_)), Value::Message(m)) if m.parts.len() == 1 => Value::Element(m.parts[0].value.clone()),
            (Some(VarType::Message(ty)), Value::Element(e)) => {
                let part = ty.parts.first().map_or("part", |p| p.name.as_str());
                Value::Message(Message::new(ty.name.clone()).with_part(part, e.clone()))
            }
            _ => data.clone(),
        };
        if let Some(e) = cx.shared_mut().env_mut(catch_env) {
            if let Some(slot) = e.values.first_mut() {
                *slot = Some(value);
            }
        }
    }
    Some(fresh(activity, catch_env))
}

/// An onEvent: wait for its message, start a handler instance for it, wait again.
fn on_event(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    frame: &mut Frame,
    input: Input,
    index: u32,
    group: GroupId,
    report: ChannelId,
) -> Act {
    let Some(event) = decls(d, frame.activity).and_then(|s| s.event_handlers.as_ref()).and_then(|h| h.on_events.get(index as usize)) else {
        return Act::Done;
    };
    if let Input::Resumed(resume) = input {
        if let Outcome::Message { value: Payload::Message(message), exchange } = resume.outcome {
            let Some(scope) = event.scope else {
                return Act::Block(wait_for(cx, event.scope.unwrap_or(frame.activity), frame.env, &event.message, &event.correlations));
            };
            let own = new_instance(d, cx, scope, Some(frame.env));
            let variable = event.variable.as_ref().map(|v| v.value.as_str());
            if let Err(fault) =
                accept(d, cx, own, &event.message, variable, event.from_parts.as_deref(), &event.correlations, &message, exchange)
            {
                return Act::Fault(fault);
            }
            cx.spawn_frames(group, vec![branch(scope, frame.env, report), start_frame(scope, frame.env, own)]);
        }
    }
    Act::Block(wait_for(cx, event.scope.unwrap_or(frame.activity), frame.env, &event.message, &event.correlations))
}

/// An onAlarm: wait for its timer, run its activity, and again every `repeatEvery`.
fn on_alarm(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, index: u32, fired: bool) -> Act {
    let Some(alarm) = decls(d, frame.activity).and_then(|s| s.event_handlers.as_ref()).and_then(|h| h.on_alarms.get(index as usize)) else {
        return Act::Done;
    };
    match input {
        Input::Child(Err(fault)) => Act::Fault(fault),
        Input::Resumed(_) => {
            frame.state = FrameState::EventHandler(EventHandlerState::Alarm { index, fired: true });
            match alarm.activity {
                Some(activity) => Act::Push(fresh(activity, frame.env)),
                None => Act::Done,
            }
        }
        Input::Child(Ok(())) | Input::None => {
            if !fired {
                if alarm.timer.for_.is_none() && alarm.timer.until.is_none() {
                    // repeatEvery alone: the first time after one period
                } else {
                    return match timer_op(d, cx, frame.env, &alarm.timer) {
                        Ok(op) => Act::Block(op),
                        Err(fault) => Act::Fault(fault),
                    };
                }
            }
            let Some(repeat) = &alarm.repeat_every else { return Act::Done };
            match string(d, cx, frame.env, repeat).map(|text| duration_millis(&text)) {
                Ok(Some(millis)) if millis > 0 => Act::Block(Op::Sleep(millis)),
                Ok(_) => Act::Fault(Fault::standard(StandardFault::InvalidExpressionValue, "repeatEvery is not a positive xsd:duration")),
                Err(fault) => Act::Fault(fault),
            }
        }
    }
}

/// Steps a [`FrameState::Compensating`] frame: the next scope instance's compensation handler.
pub fn run_compensations(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input) -> Act {
    if let Input::Child(Err(fault)) = input {
        return Act::Fault(fault);
    }
    let FrameState::Compensating(CompensatingState { pending }) = &mut frame.state else { return Act::Done };
    if pending.is_empty() {
        return Act::Done;
    }
    let next = pending.remove(0);
    let Some(scope) = cx.shared().env(next).and_then(|e| e.scope) else { return Act::Again };
    let parent = cx.shared().env(next).and_then(|e| e.parent).unwrap_or(next);
    Act::Push(stage_frame(scope, parent, next, ScopeStage::Compensate))
}

/// The termination handlers of these scope instances (terminated with their branches) still to
/// run, then the fault that terminated them propagates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TerminatingState {
    pub pending: Vec<EnvId>,
    pub fault: Fault,
}

/// Terminates spawned branches because of `fault`: kills them, runs the termination handlers of
/// the scopes they were running (innermost first), then propagates the fault.
pub fn terminate(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, branches: Branches, fault: Fault) -> Act {
    let pending = running_scopes(cx, branches.group);
    cx.kill_group(branches.group);
    release(cx, branches.group, &[branches.report]);
    if pending.is_empty() {
        return Act::Fault(fault);
    }
    frame.state = FrameState::Terminating(TerminatingState { pending, fault });
    Act::Again
}

/// The scope instances running their main activity in the tasklets of `group`, innermost first.
fn running_scopes(cx: &StepContext<'_, Deployed>, group: GroupId) -> Vec<EnvId> {
    let mut out = Vec::new();
    for tasklet in cx.group_tasklets(group).into_iter().rev() {
        let Some(frames) = cx.frames_of(tasklet) else { continue };
        for frame in frames.iter().rev() {
            if let FrameState::Scope(scope) = &frame.state {
                if scope.stage == ScopeStage::Body && frame.activity != crate::exec::PROCESS {
                    out.push(scope.own);
                }
            }
        }
    }
    out
}

/// Steps a terminating frame: the next termination handler, then the fault.
pub fn terminate_step(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame) -> Act {
    let FrameState::Terminating(TerminatingState { pending, fault }) = &mut frame.state else { return Act::Done };
    if pending.is_empty() {
        return Act::Fault(fault.clone());
    }
    let own = pending.remove(0);
    let Some(env) = cx.shared().env(own) else { return Act::Again };
    let (Some(scope), parent) = (env.scope, env.parent.unwrap_or(own)) else { return Act::Again };
    Act::Push(stage_frame(scope, parent, own, ScopeStage::Terminate))
}
