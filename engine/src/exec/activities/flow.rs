//! `<flow>`: its children as concurrent branches, with its links in a scope instance of their own.

use super::branches::{await_reports, spawn};
use super::frame as fresh;
use crate::exec::deploy::DeclOwner;
use crate::exec::{Act, Deployed, Frame, FrameState, Input};
use crate::model::process::Flow;
use crate::runtime::StepContext;

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, flow: &Flow) -> Act {
    if let FrameState::Flow(_) = frame.state {
        return await_reports(cx, frame, input, false);
    }
    if flow.activities.is_empty() {
        return Act::Done;
    }
    let decl = d.decl_for(frame.activity, DeclOwner::Flow);
    let links = cx.shared_mut().new_env(d, decl, Some(frame.env), None);
    let branches = flow.activities.iter().map(|&child| (fresh(child, links), links)).collect();
    frame.state = FrameState::Flow(spawn(cx, branches, None, false));
    await_reports(cx, frame, Input::None, false)
}
