//! `<compensate>` and `<compensateScope>`: run the compensation handlers of completed child scopes
//! of the scope whose handler this is, latest completed first.

use super::scope::take_completed;
use crate::exec::{Act, Deployed, EnvId, Frame, Input, Phase, ScopePhase, ScopeStage};
use crate::model::process::CompensateScope;
use crate::runtime::StepContext;

/// The scope instance whose handler the activity runs in.
fn enclosing_scope(cx: &StepContext<'_, Deployed>, env: EnvId) -> Option<EnvId> {
    let state = cx.shared();
    state.chain(env).find(|e| state.env(*e).is_some_and(|e| e.scope.is_some()))
}

pub fn compensate_all(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input) -> Act {
    if !matches!(frame.phase, Phase::Compensating { .. }) {
        let pending = enclosing_scope(cx, frame.env).map(|s| take_completed(cx, s)).unwrap_or_default();
        frame.phase = Phase::Compensating { pending };
    }
    run_list(cx, frame, input)
}

pub fn compensate_scope(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    frame: &mut Frame,
    input: Input,
    target: &CompensateScope,
) -> Act {
    if !matches!(frame.phase, Phase::Compensating { .. }) {
        let name = target.target.as_ref().map(|t| t.value.as_str()).unwrap_or("");
        let mut pending = Vec::new();
        if let Some(scope) = enclosing_scope(cx, frame.env) {
            let process = d.process();
            let state = cx.shared_mut();
            let completed = state.env(scope).map(|e| e.completed.clone()).unwrap_or_default();
            let named = |id: &EnvId| {
                state
                    .env(*id)
                    .and_then(|e| e.scope)
                    .is_some_and(|a| a != crate::exec::PROCESS && process.activity(a).name.as_ref().is_some_and(|n| n.value == name))
            };
            pending = completed.iter().rev().copied().filter(named).collect();
            if let Some(e) = state.env_mut(scope) {
                e.completed.retain(|id| !pending.contains(id));
            }
        }
        frame.phase = Phase::Compensating { pending };
    }
    run_list(cx, frame, input)
}

/// Steps a [`Phase::Compensating`] frame: the next scope instance's compensation handler.
pub fn run_list(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input) -> Act {
    if let Input::Child(Err(fault)) = input {
        return Act::Fault(fault);
    }
    let Phase::Compensating { pending } = &mut frame.phase else { return Act::Done };
    if pending.is_empty() {
        return Act::Done;
    }
    let next = pending.remove(0);
    let Some(scope) = cx.shared().env(next).and_then(|e| e.scope) else { return Act::Again };
    let parent = cx.shared().env(next).and_then(|e| e.parent).unwrap_or(next);
    Act::Push(Frame {
        activity: scope,
        env: parent,
        phase: Phase::Scope(ScopePhase { own: next, stage: ScopeStage::Compensate, handlers: None }),
    })
}
