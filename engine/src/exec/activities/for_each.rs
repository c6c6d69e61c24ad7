//! `<forEach>`: its scope once per counter value, one after the other or all at once, until the
//! completion condition holds.

use serde::{Deserialize, Serialize};

use super::branches::{await_reports, spawn, Branches};
use super::scope::{new_instance, start_frame, terminate};
use super::{on_child, unsigned};
use crate::exec::{Act, Deployed, EnvId, Frame, FrameState, Input};
use crate::fault::{Fault, StandardFault};
use crate::model::process::ForEach;
use crate::runtime::StepContext;
use crate::xml::Value;

/// A forEach runs its iterations one after the other, or all at once as branches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ForEachState {
    Serial(SerialState),
    Parallel(Branches),
}

/// A serial forEach: the next counter value, the last, how many iterations completed, the
/// completion condition's target, and the scope instance of the iteration running now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SerialState {
    pub next: u64,
    pub last: u64,
    pub succeeded: u32,
    pub target: Option<u32>,
    pub current: Option<EnvId>,
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, for_each: &ForEach) -> Act {
    match frame.state.clone() {
        FrameState::ForEach(ForEachState::Parallel(branches)) => awaiting(cx, frame, branches, input, successful_only(for_each)),
        FrameState::ForEach(ForEachState::Serial(SerialState { next, last, succeeded, target, current })) => {
            if let Some(act) = on_child(&input) {
                return act;
            }
            let handled = current.and_then(|c| cx.shared().env(c)).is_some_and(|e| e.fault.is_some());
            let counts = matches!(input, Input::Child(Ok(()))) && !(handled && successful_only(for_each));
            let succeeded = succeeded + u32::from(counts);
            if target.is_some_and(|target| succeeded >= target) {
                return Act::Done;
            }
            if next > last {
                return match target {
                    Some(target) if succeeded < target => failure(succeeded, target),
                    _ => Act::Done,
                };
            }
            match iteration(d, cx, frame.env, for_each, next) {
                Some((child, own)) => {
                    let serial = SerialState { next: next + 1, last, succeeded, target, current: Some(own) };
                    frame.state = FrameState::ForEach(ForEachState::Serial(serial));
                    Act::Push(child)
                }
                None => Act::Done,
            }
        }
        _ => start(d, cx, frame, for_each),
    }
}

fn start(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, for_each: &ForEach) -> Act {
    let bounds = (|| -> Result<(u64, u64, Option<u32>), Fault> {
        let start = for_each.start.as_ref().ok_or_else(|| invalid("no <startCounterValue>"))?;
        let last = for_each.final_.as_ref().ok_or_else(|| invalid("no <finalCounterValue>"))?;
        let start = u64::from(unsigned(d, cx, frame.env, start)?);
        let last = u64::from(unsigned(d, cx, frame.env, last)?);
        let target = match for_each.completion_condition.as_ref().and_then(|c| c.branches.as_ref()) {
            Some(branches) => Some(unsigned(d, cx, frame.env, branches)?),
            None => None,
        };
        Ok((start, last, target))
    })();
    let (first, last, target) = match bounds {
        Ok(bounds) => bounds,
        Err(fault) => return Act::Fault(fault),
    };
    let count = if last >= first { last - first + 1 } else { 0 };
    if let Some(target) = target.filter(|target| u64::from(*target) > count) {
        return Act::Fault(Fault::standard(
            StandardFault::InvalidBranchCondition,
            format!("the completion condition asks for {target} branches of {count}"),
        ));
    }
    if target == Some(0) || count == 0 {
        return Act::Done;
    }
    let parallel = for_each.parallel.as_ref().is_some_and(|p| p.value);
    if !parallel {
        frame.state = FrameState::ForEach(ForEachState::Serial(SerialState { next: first, last, succeeded: 0, target, current: None }));
        return Act::Again;
    }
    let branches = (first..=last).filter_map(|n| iteration(d, cx, frame.env, for_each, n)).collect();
    let only = successful_only(for_each);
    let branches = spawn(cx, branches, target, only);
    awaiting(cx, frame, branches, Input::None, only)
}

fn awaiting(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, mut branches: Branches, input: Input, successful_only: bool) -> Act {
    let result = await_reports(cx, &mut branches, input, successful_only);
    frame.state = FrameState::ForEach(ForEachState::Parallel(branches));
    result.unwrap_or_else(|(branches, fault)| terminate(cx, frame, branches, fault))
}

fn successful_only(for_each: &ForEach) -> bool {
    for_each.completion_condition.as_ref().and_then(|c| c.successful_branches_only.as_ref()).is_some_and(|s| s.value)
}

/// The scope of iteration `n` and its scope instance, whose counter variable holds `n`.
fn iteration(d: &Deployed, cx: &mut StepContext<'_, Deployed>, env: EnvId, for_each: &ForEach, n: u64) -> Option<(Frame, EnvId)> {
    let scope = for_each.scope?;
    let own = new_instance(d, cx, scope, Some(env));
    if let Some(counter) = &for_each.counter_name {
        if let Some(e) = cx.shared_mut().env_mut(own) {
            if let Some(slot) = e.values.first_mut() {
                *slot = Some(Value::simple(&counter.value, &n.to_string()));
            }
        }
    }
    Some((start_frame(scope, env, own), own))
}

fn invalid(why: &str) -> Fault {
    Fault::standard(StandardFault::InvalidExpressionValue, why.to_string())
}

fn failure(succeeded: u32, target: u32) -> Act {
    Act::Fault(Fault::standard(
        StandardFault::CompletionConditionFailure,
        format!("only {succeeded} iteration(s) completed; the completion condition needs {target}"),
    ))
}
