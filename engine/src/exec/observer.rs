//! Watching what instances do as they run, for hosts that report on a run (run-in-place counts how
//! often each activity completed and finds where a fault was thrown). An observer is set on a
//! [`Deployed`](super::Deployed) before it is deployed; it is no part of any instance, so nothing of
//! it is checkpointed, and a process without one (every process `serve` runs) pays one `None` check.

use crate::fault::Fault;
use crate::model::process::ActivityId;

/// Told, as each step of an instance of the process runs, what happened. Calls come from the
/// thread running the instance, in the order things happen; they must be cheap and must not panic.
pub trait Observer: Send + Sync {
    /// `activity` completed normally (skipped activities and the process itself are not reported).
    fn completed(&self, _activity: ActivityId) {}

    /// `activity` ended with `fault`. `passed_on`: the fault is a child's that the activity does
    /// not handle; otherwise the activity threw it itself (a `<throw>`, a failed expression, an
    /// invoke's partner fault, a flow taking a branch's fault). When `activity` is
    /// [`PROCESS`](super::PROCESS), the fault ends the instance.
    fn faulted(&self, _activity: ActivityId, _fault: &Fault, _passed_on: bool) {}

    /// Asked as a parent activity starts its child `activity`: true stops the tasklet's step right
    /// there, the child not started yet (a debugger's breakpoint, [`super::debug::Breakpoints`]).
    fn pause_before(&self, _activity: ActivityId) -> bool {
        false
    }
}
