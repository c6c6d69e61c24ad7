//! Whether a restored instance fits the process it is restored against. A checkpoint's checksum
//! says its bytes are the ones written, not that they were written for this process or by this
//! engine: a forged or foreign state may name activities past the process's arena, scope instances
//! that do not exist, declarations, variables, partner links, correlation sets or links the process
//! does not have, or tasklets, channels and groups that never existed in the instance. Each of these
//! is refused here, before the instance runs, with what does not fit.
//!
//! References that were valid once and are stale now (a waiter whose tasklet has ended, a channel
//! id whose slot was reused) are part of ordinary running state and are not refused: the runtime
//! checks generations itself. What is refused is what names nothing at all.

use super::activities::{Branches, EventHandlerState, ForEachState, RunningHandlers, ScopeState};
use super::deploy::Deployed;
use super::state::{Env, ProcessState};
use super::{EnvId, Frame, FrameState, PROCESS};
use crate::model::process::ActivityId;
use crate::runtime::{ChannelId, GroupId, Instance, TaskletId};

/// Checks the frames of every tasklet and the shared state of `instance` against `deployed`.
pub fn instance_fits(deployed: &Deployed, instance: &Instance<Deployed>) -> Result<(), String> {
    let fit = Fit { deployed, instance, state: instance.shared() };
    for tasklet in instance.tasklets() {
        for frame in tasklet.frames {
            fit.frame(frame)?;
        }
    }
    for (id, env) in fit.state.scope_instances() {
        fit.env(env).map_err(|why| format!("scope instance #{}: {why}", id.0))?;
    }
    for free in &fit.state.free_envs {
        if fit.state.env(*free).is_some() || free.0 as usize >= fit.state.envs.len() {
            return Err(format!("the free list names scope instance #{}, which is in use or past the end", free.0));
        }
    }
    fit.shared()
}

struct Fit<'a> {
    deployed: &'a Deployed,
    instance: &'a Instance<Deployed>,
    state: &'a ProcessState,
}

/// The channels and groups a frame's state refers to (its scope instances: [`Frame::env_ids`]).
fn runtime_refs(state: &FrameState) -> (Vec<ChannelId>, Vec<GroupId>) {
    match state {
        FrameState::Flow(Branches { group, report, .. })
        | FrameState::ForEach(ForEachState::Parallel(Branches { group, report, .. }))
        | FrameState::EventHandler(EventHandlerState::Event { group, report, .. }) => (vec![*report], vec![*group]),
        FrameState::Scope(ScopeState { handlers: Some(RunningHandlers { group, events, body }), .. }) => {
            (vec![*events, *body], vec![*group])
        }
        FrameState::Branch(branch) => (vec![branch.report], Vec::new()),
        FrameState::Start
        | FrameState::Skipped
        | FrameState::Ready
        | FrameState::Sequence(_)
        | FrameState::If(_)
        | FrameState::Loop(_)
        | FrameState::Receive(_)
        | FrameState::Pick(_)
        | FrameState::Invoke(_)
        | FrameState::Wait(_)
        | FrameState::ForEach(ForEachState::Serial(_))
        | FrameState::Scope(ScopeState { handlers: None, .. })
        | FrameState::EventHandler(EventHandlerState::Alarm { .. })
        | FrameState::Compensating(_)
        | FrameState::Terminating(_) => (Vec::new(), Vec::new()),
    }
}

impl Fit<'_> {
    fn activity(&self, id: ActivityId, what: &str) -> Result<(), String> {
        let arena = self.deployed.process().activities.len();
        if id == PROCESS || (id.0 as usize) < arena {
            Ok(())
        } else {
            Err(format!("{what} names activity #{}, the process has {arena}", id.0))
        }
    }

    fn env_id(&self, id: EnvId, what: &str) -> Result<(), String> {
        match self.state.env(id) {
            Some(_) => Ok(()),
            None => Err(format!("{what} names scope instance #{}, which the instance does not have", id.0)),
        }
    }

    fn tasklet(&self, id: TaskletId, what: &str) -> Result<(), String> {
        if self.instance.has_tasklet_slot(id) {
            Ok(())
        } else {
            Err(format!("{what} names tasklet {id}, which never existed in the instance"))
        }
    }

    fn channel(&self, id: ChannelId, what: &str) -> Result<(), String> {
        if self.instance.has_channel_slot(id) {
            Ok(())
        } else {
            Err(format!("{what} names channel {id}, which never existed in the instance"))
        }
    }

    fn group(&self, id: GroupId, what: &str) -> Result<(), String> {
        if self.instance.has_group_slot(id) {
            Ok(())
        } else {
            Err(format!("{what} names group {id}, which never existed in the instance"))
        }
    }

    /// The operations the process receives on: what open exchanges and waiters may name.
    fn inbound(&self, partner_link: &str, operation: &str, what: &str) -> Result<(), String> {
        if self.deployed.inbound.contains_key(&(partner_link.to_string(), operation.to_string())) {
            Ok(())
        } else {
            Err(format!("{what} names `{partner_link}`.`{operation}`, on which the process receives nothing"))
        }
    }

    fn frame(&self, frame: &Frame) -> Result<(), String> {
        self.activity(frame.activity, "a frame")?;
        // the process's own frame runs before its scope instance exists
        if !(frame.activity == PROCESS && self.state.envs.is_empty()) {
            for env in frame.env_ids() {
                self.env_id(env, "a frame")?;
            }
        }
        let (channels, groups) = runtime_refs(&frame.state);
        for channel in channels {
            self.channel(channel, "a frame's state")?;
        }
        for group in groups {
            self.group(group, "a frame's state")?;
        }
        Ok(())
    }

    fn env(&self, env: &Env) -> Result<(), String> {
        if let Some(id) = env.decl.filter(|id| id.0 as usize >= self.deployed.decls.len()) {
            return Err(format!("it names declaration #{}, the process has {}", id.0, self.deployed.decls.len()));
        }
        let decl = self.deployed.decl(env.decl);
        let sizes = [
            ("variables", env.values.len(), decl.variables.len()),
            ("partner links", env.partners.len(), decl.partner_links.len()),
            ("correlation sets", env.correlations.len(), decl.correlation_sets.len()),
            ("links", env.links.len(), decl.links.len()),
        ];
        for (what, found, declared) in sizes {
            if found != declared {
                return Err(format!("it holds {found} {what}, its declaration has {declared}"));
            }
        }
        for (set, values) in decl.correlation_sets.iter().zip(&env.correlations) {
            if let Some(values) = values {
                if values.len() != set.properties.len() {
                    return Err(format!(
                        "correlation set `{}` holds {} value(s) for {} propert(ies)",
                        set.name,
                        values.len(),
                        set.properties.len()
                    ));
                }
            }
        }
        for channel in env.links.iter().filter_map(|(_, channel)| *channel) {
            self.channel(channel, "a link")?;
        }
        if let Some(parent) = env.parent {
            self.env_id(parent, "its parent")?;
        }
        for completed in &env.completed {
            self.env_id(*completed, "a completed child")?;
        }
        if let Some(scope) = env.scope {
            self.activity(scope, "it")?;
        }
        Ok(())
    }

    fn shared(&self) -> Result<(), String> {
        let state = self.state;
        let mut exchanges = std::collections::BTreeSet::new();
        for open in &state.exchanges {
            self.inbound(&open.partner_link, &open.operation, "an open request")?;
            if !exchanges.insert(open.exchange) {
                return Err(format!("request {} is open twice", open.exchange.0));
            }
        }
        for waiter in &state.waiting {
            self.tasklet(waiter.tasklet, "a waiting receive")?;
            self.activity(waiter.activity, "a waiting receive")?;
            self.env_id(waiter.env, "a waiting receive")?;
            self.inbound(&waiter.key.partner_link, &waiter.key.operation, "a waiting receive")?;
            for set in &waiter.sets {
                if !self.deployed.decls.iter().any(|d| d.correlation_sets.iter().any(|c| &c.name == set)) {
                    return Err(format!("a waiting receive correlates on `{set}`, a correlation set the process does not declare"));
                }
            }
        }
        for race in &state.races {
            self.channel(race.report, "a completion condition")?;
            self.group(race.group, "a completion condition")?;
        }
        if let Some(tasklet) = state.isolation {
            self.tasklet(tasklet, "the isolated scope")?;
        }
        if let Some(channel) = state.isolation_waiters {
            self.channel(channel, "the isolated scopes' queue")?;
        }
        if let Some((group, channel, env)) = state.deferred_handlers {
            self.group(group, "the process's event handlers")?;
            self.channel(channel, "the process's event handlers")?;
            self.env_id(env, "the process's event handlers")?;
        }
        for (set, _) in &state.initiated {
            if !self.deployed.decls.iter().any(|d| d.correlation_sets.iter().any(|c| &c.name == set)) {
                return Err(format!("an initiated correlation set `{set}` is not declared by the process"));
            }
        }
        for activity in &state.trace {
            self.activity(*activity, "the trace")?;
        }
        Ok(())
    }
}
