//! What the tasklets of one instance share: scope instances ([`Env`]) with their variables, partner
//! link endpoints, correlation sets and link statuses; the open message exchanges; the trace.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::deploy::{DeclId, Deployed};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{ActivityId, Role};
use crate::runtime::{ChannelId, ExchangeId};
use crate::xml::{EndpointReference, Store, Value, VariableRef, Variables};

/// Index of a scope instance in [`ProcessState::envs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EnvId(pub u32);

/// One scope instance: the values of what its declaration ([`DeclId`]) declares.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Env {
    /// `None`: a scope instance that declares nothing (an invoke's implicit scope, a catch without
    /// a fault variable, a flow without links).
    pub decl: Option<DeclId>,
    pub parent: Option<EnvId>,
    pub values: Vec<Option<Value>>,
    /// The partner role endpoint of each partner link, once assigned (or from the deployment).
    pub partners: Vec<Option<EndpointReference>>,
    /// Each correlation set's property values, once initiated.
    pub correlations: Vec<Option<Vec<String>>>,
    /// Each link's status once determined, and the channel a target waiting for it listens on.
    pub links: Vec<(Option<bool>, Option<ChannelId>)>,
    /// Child scopes that completed with a compensation handler, in completion order.
    pub completed: Vec<EnvId>,
    /// The fault a fault handler of this scope handles (for `rethrow`).
    pub fault: Option<Fault>,
    /// The scope activity whose instance this is (for compensateScope and the trace).
    pub scope: Option<ActivityId>,
    /// False once the scope instance is done with (its compensation handler ran, or it faulted).
    pub live: bool,
}

/// An inbound request not answered yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenExchange {
    pub partner_link: String,
    pub operation: String,
    pub message_exchange: Option<String>,
    pub exchange: ExchangeId,
}

/// A receive, onMessage or onEvent waiting for a message (for conflictingReceive and
/// ambiguousReceive).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waiter {
    pub tasklet: crate::runtime::TaskletId,
    /// The waiting activity (parallel instances of one activity do not conflict with each other).
    pub activity: ActivityId,
    pub key: super::MessageKey,
    pub env: EnvId,
    /// The correlation sets it correlates on (not those it initiates).
    pub sets: Vec<String>,
}

/// The completion condition of a parallel forEach, as its iterations see it: the iteration that
/// completes the count terminates its siblings before they take another step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Race {
    pub report: ChannelId,
    pub group: crate::runtime::GroupId,
    pub remaining: u32,
    pub successful_only: bool,
}

/// Everything an instance's activities share.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessState {
    /// Scope instances by [`EnvId`]; `None`: a slot freed by [`ProcessState::collect`], to be reused.
    pub envs: Vec<Option<Env>>,
    /// The free slots of `envs`, the next to reuse last.
    pub free_envs: Vec<EnvId>,
    pub exchanges: Vec<OpenExchange>,
    pub waiting: Vec<Waiter>,
    /// Parallel forEach iterations racing to a completion condition.
    pub races: Vec<Race>,
    /// The tasklet running an isolated scope, and the channel the isolated scopes waiting for it
    /// listen on.
    pub isolation: Option<crate::runtime::TaskletId>,
    pub isolation_waiters: Option<ChannelId>,
    /// Correlation sets initiated since the engine last looked: name and values.
    pub initiated: Vec<(String, Vec<String>)>,
    /// The process's event handlers wait for the start activity: their group, report channel and
    /// the process's scope instance.
    pub deferred_handlers: Option<(crate::runtime::GroupId, ChannelId, EnvId)>,
    /// The last activities to complete, oldest first (at most the deployment's
    /// [`Deployed::trace_limit`]; older ones are dropped).
    pub trace: VecDeque<ActivityId>,
}

impl ProcessState {
    /// A new scope instance of `decl` under `parent`, its variables and links unset.
    pub fn new_env(&mut self, deployed: &Deployed, decl: Option<DeclId>, parent: Option<EnvId>, scope: Option<ActivityId>) -> EnvId {
        let d = deployed.decl(decl);
        let env = Env {
            decl,
            parent,
            values: vec![None; d.variables.len()],
            partners: d.partner_links.iter().map(|p| p.default_address.as_deref().map(EndpointReference::new)).collect(),
            correlations: vec![None; d.correlation_sets.len()],
            links: vec![(None, None); d.links.len()],
            completed: Vec::new(),
            fault: None,
            scope,
            live: true,
        };
        if let Some(id) = self.free_envs.pop() {
            if let Some(slot) = self.envs.get_mut(id.0 as usize).filter(|slot| slot.is_none()) {
                *slot = Some(env);
                return id;
            }
        }
        self.envs.push(Some(env));
        EnvId(self.envs.len() as u32 - 1)
    }

    pub fn env(&self, id: EnvId) -> Option<&Env> {
        self.envs.get(id.0 as usize)?.as_ref()
    }

    pub fn env_mut(&mut self, id: EnvId) -> Option<&mut Env> {
        self.envs.get_mut(id.0 as usize)?.as_mut()
    }

    /// The scope instances in use, by id.
    pub fn scope_instances(&self) -> impl DoubleEndedIterator<Item = (EnvId, &Env)> + '_ {
        self.envs.iter().enumerate().filter_map(|(i, env)| Some((EnvId(i as u32), env.as_ref()?)))
    }

    /// How many scope instances are in use.
    pub fn scope_instance_count(&self) -> usize {
        self.envs.len() - self.free_envs.len()
    }

    /// Frees every scope instance that nothing can reach any more, so that an instance's state stays
    /// bounded however long it runs: `roots` are the instances its frames refer to; from them, their
    /// enclosing instances and the completed child scopes whose compensation handlers may still run
    /// (WS-BPEL 2.0 §12.4) are reachable, and so is the process's own. A finished scope without a compensation handler that can
    /// run, a finished flow's links and a finished forEach iteration are not.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = EnvId>) {
        let mut reachable = vec![false; self.envs.len()];
        let mut pending: Vec<EnvId> = roots.into_iter().collect();
        if let Some((_, _, own)) = self.deferred_handlers {
            pending.push(own);
        }
        // the process's own scope instance outlives its frames: a finished instance's variables
        // stay readable
        pending.extend(self.scope_instances().filter(|(_, env)| env.scope == Some(super::PROCESS)).map(|(id, _)| id));
        while let Some(id) = pending.pop() {
            let Some(mark) = reachable.get_mut(id.0 as usize) else { continue };
            if *mark {
                continue;
            }
            let Some(env) = self.env(id) else { continue };
            *mark = true;
            pending.extend(env.parent);
            pending.extend(env.completed.iter().copied());
        }
        for (index, slot) in self.envs.iter_mut().enumerate() {
            if slot.is_some() && !reachable[index] {
                *slot = None;
                self.free_envs.push(EnvId(index as u32));
            }
        }
        // free slots at the end are dropped rather than kept for reuse
        while matches!(self.envs.last(), Some(None)) {
            self.envs.pop();
        }
        let len = self.envs.len() as u32;
        self.free_envs.retain(|id| id.0 < len);
        // reuse low slots first: the state's size follows what is in use
        self.free_envs.sort_unstable_by(|a, b| b.cmp(a));
        let envs = &self.envs;
        self.waiting.retain(|w| envs.get(w.env.0 as usize).is_some_and(Option::is_some));
    }

    /// The scope instances from `env` outward.
    pub fn chain(&self, env: EnvId) -> impl Iterator<Item = EnvId> + '_ {
        let mut next = Some(env);
        let mut guard = self.envs.len() + 1;
        std::iter::from_fn(move || {
            let current = next?;
            guard = guard.checked_sub(1)?;
            next = self.env(current).and_then(|e| e.parent);
            Some(current)
        })
    }

    /// Records a completed activity in the trace, which keeps the last `limit`.
    pub fn record(&mut self, activity: ActivityId, limit: usize) {
        if limit == 0 {
            return;
        }
        while self.trace.len() >= limit {
            self.trace.pop_front();
        }
        self.trace.push_back(activity);
    }
}

/// Where a name declared in a scope lives: the scope instance and the index in its declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub env: EnvId,
    pub index: usize,
}

/// The variables, partner links and links visible from one scope instance: what expressions and
/// assignments read and write.
pub struct View<'a> {
    pub deployed: &'a Deployed,
    pub state: &'a mut ProcessState,
    pub env: EnvId,
}

impl View<'_> {
    pub fn variable_slot(&self, name: &str) -> Option<Slot> {
        lookup(self.deployed, self.state, self.env, |d| d.variables.iter().position(|v| v.name == name))
    }

    pub fn partner_slot(&self, name: &str) -> Option<Slot> {
        lookup(self.deployed, self.state, self.env, |d| d.partner_links.iter().position(|p| p.name == name))
    }

    pub fn correlation_slot(&self, name: &str) -> Option<Slot> {
        lookup(self.deployed, self.state, self.env, |d| d.correlation_sets.iter().position(|c| c.name == name))
    }

    pub fn link_slot(&self, name: &str) -> Option<Slot> {
        lookup(self.deployed, self.state, self.env, |d| d.links.iter().position(|l| l == name))
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        let slot = self.variable_slot(name)?;
        self.state.env(slot.env)?.values.get(slot.index)?.as_ref()
    }
}

/// Finds a name from `env` outward: `find` says where it is in a declaration.
pub fn lookup(deployed: &Deployed, state: &ProcessState, env: EnvId, find: impl Fn(&super::deploy::Decl) -> Option<usize>) -> Option<Slot> {
    state.chain(env).find_map(|id| {
        let e = state.env(id)?;
        find(deployed.decl(e.decl)).map(|index| Slot { env: id, index })
    })
}

impl Variables for View<'_> {
    fn variable(&self, name: &str) -> Option<VariableRef<'_>> {
        let slot = self.variable_slot(name)?;
        let env = self.state.env(slot.env)?;
        let decl = self.deployed.decl(env.decl).variables.get(slot.index)?;
        let ty = decl.ty.as_ref()?;
        Some(VariableRef { ty, value: env.values.get(slot.index)?.as_ref() })
    }

    fn link_status(&self, name: &str) -> Option<bool> {
        let slot = self.link_slot(name)?;
        self.state.env(slot.env)?.links.get(slot.index)?.0
    }
}

impl Store for View<'_> {
    fn variables(&self) -> &dyn Variables {
        self
    }

    fn set_variable(&mut self, name: &str, value: Value) -> Result<(), Fault> {
        let Some(slot) = self.variable_slot(name) else {
            return Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no variable `{name}` is in scope")));
        };
        if let Some(v) = self.state.env_mut(slot.env).and_then(|e| e.values.get_mut(slot.index)) {
            *v = Some(value);
        }
        Ok(())
    }

    fn endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault> {
        let Some(slot) = self.partner_slot(partner_link) else {
            return Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no partner link `{partner_link}` is in scope")));
        };
        let Some(env) = self.state.env(slot.env) else {
            return Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no partner link `{partner_link}` is in scope")));
        };
        let decl = &self.deployed.decl(env.decl).partner_links[slot.index];
        match role {
            Role::MyRole => Ok(EndpointReference::new(&self.deployed.my_address(&decl.name))),
            Role::PartnerRole => env.partners[slot.index].clone().ok_or_else(|| {
                Fault::standard(
                    StandardFault::UninitializedPartnerRole,
                    format!("the partner role of partner link `{partner_link}` has no endpoint yet"),
                )
            }),
        }
    }

    fn set_partner_endpoint(&mut self, partner_link: &str, endpoint: EndpointReference) -> Result<(), Fault> {
        let Some(slot) = self.partner_slot(partner_link) else {
            return Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no partner link `{partner_link}` is in scope")));
        };
        if let Some(p) = self.state.env_mut(slot.env).and_then(|e| e.partners.get_mut(slot.index)) {
            *p = Some(endpoint);
        }
        Ok(())
    }
}
