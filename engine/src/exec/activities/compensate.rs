//! `<compensate>` and `<compensateScope>`: run the compensation handlers of completed child scopes
//! of the scope whose handler this is, latest completed first (running them is the scope's part:
//! [`scope::run_compensations`]).

use super::scope::{self, take_completed, CompensatingState};
use crate::exec::{Act, Deployed, EnvId, Frame, FrameState, Input};
use crate::model::process::CompensateScope;
use crate::runtime::StepContext;

/// The scope instance whose handler the activity runs in.
fn enclosing_scope(cx: &StepContext<'_, Deployed>, env: EnvId) -> Option<EnvId> {
    let state = cx.shared();
    state.chain(env).find(|e| state.env(*e).is_some_and(|e| e.scope.is_some()))
}

pub fn compensate_all(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input) -> Act {
    if !matches!(frame.state, FrameState::Compensating(_)) {
        let pending = enclosing_scope(cx, frame.env).map(|s| take_completed(cx, s)).unwrap_or_default();
        frame.state = FrameState::Compensating(CompensatingState { pending });
    }
    scope::run_compensations(cx, frame, input)
}

pub fn compensate_scope(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    frame: &mut Frame,
    input: Input,
    target: &CompensateScope,
) -> Act {
    if !matches!(frame.state, FrameState::Compensating(_)) {
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
        frame.state = FrameState::Compensating(CompensatingState { pending });
    }
    scope::run_compensations(cx, frame, input)
}
