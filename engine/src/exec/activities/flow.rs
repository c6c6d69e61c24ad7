//! `<flow>`: its children as concurrent branches, with its links in a scope instance of their own.

use super::branches::{await_reports, spawn, Branches};
use super::frame as fresh;
use super::scope::terminate;
use crate::exec::deploy::DeclOwner;
use crate::exec::{Act, Deployed, Frame, FrameState, Input};
use crate::model::process::Flow;
use crate::runtime::StepContext;

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, flow: &Flow) -> Act {
    if let FrameState::Flow(branches) = frame.state {
        return awaiting(cx, frame, branches, input);
    }
    if flow.activities.is_empty() {
        return Act::Done;
    }
    let decl = d.decl_for(frame.activity, DeclOwner::Flow);
    let links = cx.shared_mut().new_env(d, decl, Some(frame.env), None);
    let branches = flow.activities.iter().map(|&child| (fresh(child, links), links)).collect();
    let branches = spawn(cx, branches, None, false);
    awaiting(cx, frame, branches, Input::None)
}

fn awaiting(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, mut branches: Branches, input: Input) -> Act {
    let result = await_reports(cx, &mut branches, input, false);
    frame.state = FrameState::Flow(branches);
    result.unwrap_or_else(|(branches, fault)| terminate(cx, frame, branches, fault))
}
