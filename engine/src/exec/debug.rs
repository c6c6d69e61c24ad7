//! What a debugger (the REPL) needs of the engine beyond running: breakpoints that stop an instance
//! before an activity starts, and one tasklet step at a time with what it did (up to the start of
//! the next activity, in a process deployed for debugging).
//!
//! Breakpoints are an [`Observer`] set on the process when it is deployed
//! ([`Engine::deploy_debuggable`](super::Engine::deploy_debuggable)): no part of any instance, so
//! nothing of them is checkpointed. An activity is stopped at when its parent starts it; the first
//! activity of a spawned branch (a flow's branch, an event handler) starts with the branch and is
//! not stopped at.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use super::inspect::{ActivityReport, TaskletReport};
use super::observer::Observer;
use crate::model::process::ActivityId;

/// The breakpoints of one deployed process, and the one hit last (until the engine takes it).
#[derive(Default)]
pub struct Breakpoints {
    activities: Mutex<BTreeSet<ActivityId>>,
    /// Stop before every activity (a single step).
    stepping: AtomicBool,
    hit: Mutex<Option<ActivityId>>,
}

impl Breakpoints {
    pub fn set(&self, activities: BTreeSet<ActivityId>) {
        if let Ok(mut set) = self.activities.lock() {
            *set = activities;
        }
    }

    /// Whether nothing would stop an instance.
    pub fn is_empty(&self) -> bool {
        !self.stepping.load(Ordering::Relaxed) && self.activities.lock().map_or(true, |set| set.is_empty())
    }

    /// Stops before every activity while on (a single step stops before the next activity).
    pub fn set_stepping(&self, on: bool) {
        self.stepping.store(on, Ordering::Relaxed);
    }

    /// The activity stopped at since the last call.
    pub fn take_hit(&self) -> Option<ActivityId> {
        self.hit.lock().ok().and_then(|mut hit| hit.take())
    }
}

impl Observer for Breakpoints {
    fn pause_before(&self, activity: ActivityId) -> bool {
        let stop = self.stepping.load(Ordering::Relaxed) || self.activities.lock().is_ok_and(|set| set.contains(&activity));
        if stop {
            if let Ok(mut hit) = self.hit.lock() {
                *hit = Some(activity);
            }
        }
        stop
    }
}

/// What one step of an instance did ([`Engine::step`](super::Engine::step)).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// The tasklets the step changed: the one that ran, those it spawned, woke or ended.
    pub changed: Vec<TaskletChange>,
    /// Activities completed during the step, in order.
    pub completed: Vec<ActivityReport>,
    /// Nothing is left to run without a message, an answer or the clock.
    pub idle: bool,
    /// The step stopped before this activity: the next one to start (a process deployed with
    /// [`Engine::deploy_debuggable`](super::Engine::deploy_debuggable) steps activity by activity),
    /// or a breakpoint's.
    pub paused_at: Option<ActivityReport>,
}

/// One tasklet before and after a step (`None`: it did not exist, or it is gone).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskletChange {
    pub before: Option<TaskletReport>,
    pub after: Option<TaskletReport>,
}

impl std::fmt::Display for TaskletChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.before, &self.after) {
            (Some(before), Some(after)) if before.activity == after.activity => write!(f, "{after}"),
            (Some(before), Some(after)) => write!(f, "{} {} -> {}: {}", after.id, before.activity, after.activity, after.state),
            (None, Some(after)) => write!(f, "new {after}"),
            (Some(before), None) => write!(f, "{} ended (was in {})", before.id, before.activity),
            (None, None) => Ok(()),
        }
    }
}
