//! The engine facade: deploy processes, route messages to instances (creating them, correlating
//! them), run instances on a clock, hand out what they ask of the world (replies, invokes), take
//! back what the world answers, inspect, checkpoint and restore.
//!
//! The engine does no I/O either: a host (the command line's scenarios, the REPL, `serve`) moves
//! messages between it and the network or the user.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::debug::{Breakpoints, StepReport, TaskletChange};
use super::deploy::{DeployError, Deployed};
use super::messages::{self, message_from_body, message_type, operation, Direction};
use super::{Frame, FrameState, MessageKey, Payload, PROCESS};
use crate::checkpoint::{self, CheckpointError};
use crate::fault::{Fault, StandardFault};
use crate::model::process::ActivityId;
use crate::model::QName;
use crate::runtime::{Clock, Effect, Event, ExchangeId, Instance, InstanceStatus, RequestId, RunOutcome, Timestamp, VirtualClock};
use crate::xml::{Message, XmlElement};

/// A deployed process, by deployment order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct ProcessId(pub usize);

/// An instance, numbered from 1 in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct InstanceId(pub u64);

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An answer to an inbound request.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub instance: InstanceId,
    pub exchange: ExchangeId,
    pub result: Result<Message, Fault>,
}

/// A call of a partner an instance made.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Invocation {
    pub instance: InstanceId,
    pub process: ProcessId,
    pub request: RequestId,
    pub partner_link: String,
    pub operation: String,
    pub address: Option<String>,
    pub message: Message,
    pub one_way: bool,
}

/// Why a message could not be delivered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SendError {
    #[error("no process {0:?} is deployed")]
    NoSuchProcess(ProcessId),
    #[error("the process offers no operation `{operation}` on partner link `{partner_link}`")]
    NoSuchOperation { partner_link: String, operation: String },
    #[error("no instance waits for this message on `{partner_link}`.`{operation}`, and it does not create one")]
    NoInstance { partner_link: String, operation: String },
    #[error("the message does not carry the correlation values: {0}")]
    Correlation(Fault),
    #[error("the request does not fit the input of `{operation}`: {why}")]
    WrongMessage { operation: String, why: String },
    /// The message is for an instance that was evicted from memory ([`Engine::evict`]): the host
    /// restores it from its store ([`Engine::restore`] with its id) and sends the message again.
    /// Nothing of the message was taken.
    #[error("the message is for instance {0}, which is in the store, not in memory")]
    Evicted(InstanceId),
}

/// One instance and what it belongs to.
pub struct Live {
    pub process: ProcessId,
    pub instance: Instance<Deployed>,
}

/// A correlation set an instance initiated: a host that routes messages between engines indexes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Correlated {
    pub instance: InstanceId,
    pub process: ProcessId,
    pub set: String,
    pub values: Vec<String>,
}

/// How far one run of the instances may go before the engine reports a runaway instance.
const STEPS_PER_RUN: u64 = 5_000_000;

/// How many steps an instance runs between two collections of its finished scope instances (a
/// loop that opens a scope per round stays bounded within one run, too).
const STEPS_PER_COLLECTION: u64 = 4096;

/// Frees the scope instances nothing refers to any more ([`super::ProcessState::collect`]).
fn collect_scope_instances(instance: &mut Instance<Deployed>) {
    if instance.shared().envs.len() <= 1 {
        return;
    }
    let roots: Vec<super::EnvId> = instance.tasklets().flat_map(|t| t.frames.iter().flat_map(Frame::env_ids)).collect();
    instance.shared_mut().collect(roots);
}

pub struct Engine {
    processes: Vec<Arc<Deployed>>,
    instances: BTreeMap<InstanceId, Live>,
    next_instance: u64,
    /// Instance ids are `next_instance`, then every `id_step`-th number (shards share one space).
    id_step: u64,
    /// When each instance's next timer is due, both ways round.
    timers: std::collections::BTreeSet<(i64, InstanceId)>,
    timer_of: BTreeMap<InstanceId, i64>,
    /// Instances that ran since the last [`Engine::drain_touched`] (a durable host saves them).
    touched: std::collections::BTreeSet<InstanceId>,
    /// Correlation sets initiated since the last [`Engine::drain_correlations`].
    correlations: Vec<Correlated>,
    /// Keep ended instances for inspection (the REPL, scenarios); `serve` drops them.
    pub keep_finished: bool,
    /// The breakpoints of processes deployed with [`Engine::deploy_debuggable`].
    breakpoints: BTreeMap<ProcessId, Arc<Breakpoints>>,
    /// Instances stopped at a breakpoint, before the activity.
    paused: BTreeMap<InstanceId, crate::model::process::ActivityId>,
    /// Running instances by the correlation values they initiated, both ways round.
    index: BTreeMap<(ProcessId, String, Vec<String>), InstanceId>,
    index_of: BTreeMap<InstanceId, Vec<(ProcessId, String, Vec<String>)>>,
    next_exchange: u64,
    clock: VirtualClock,
    replies: Vec<Reply>,
    invocations: Vec<Invocation>,
    /// For every open exchange, the instance it belongs to.
    exchanges: BTreeMap<ExchangeId, InstanceId>,
    /// Instances taken out of memory while idle, with their process: their correlation values and
    /// timer stay indexed here, their state is the host's to keep (a durable store) and to give
    /// back with [`Engine::restore`] when a message or their timer wakes them.
    evicted: BTreeMap<InstanceId, ProcessId>,
    /// Checkpoint and restore every instance after every step (a test mode proving that a
    /// checkpoint anywhere loses nothing).
    pub checkpoint_every_step: bool,
    /// Round trips that failed in that mode (the instance then carried on unrestored).
    pub checkpoint_failures: Vec<(InstanceId, String)>,
    /// How many round trips that mode made.
    pub checkpoint_round_trips: u64,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// An engine on a virtual clock starting now (so that a deadline in the past is past).
    pub fn new() -> Engine {
        Engine::starting_at(crate::runtime::SystemClock.now())
    }

    /// An engine on a virtual clock starting at `start` (scenarios fix it to be reproducible).
    pub fn starting_at(start: Timestamp) -> Engine {
        Engine {
            processes: Vec::new(),
            instances: BTreeMap::new(),
            next_instance: 1,
            id_step: 1,
            timers: Default::default(),
            timer_of: BTreeMap::new(),
            touched: Default::default(),
            correlations: Vec::new(),
            keep_finished: true,
            breakpoints: BTreeMap::new(),
            paused: BTreeMap::new(),
            index: BTreeMap::new(),
            index_of: BTreeMap::new(),
            next_exchange: 1,
            clock: VirtualClock::new(start),
            replies: Vec::new(),
            invocations: Vec::new(),
            exchanges: BTreeMap::new(),
            evicted: BTreeMap::new(),
            checkpoint_every_step: false,
            checkpoint_failures: Vec::new(),
            checkpoint_round_trips: 0,
        }
    }

    pub fn deploy(&mut self, path: &Path) -> Result<ProcessId, DeployError> {
        let deployed = Deployed::load(path)?;
        Ok(self.deploy_compiled(deployed))
    }

    pub fn deploy_compiled(&mut self, deployed: Deployed) -> ProcessId {
        self.deploy_shared(Arc::new(deployed))
    }

    /// Deploys a process compiled once and shared with other engines (the shards of `serve`).
    pub fn deploy_shared(&mut self, deployed: Arc<Deployed>) -> ProcessId {
        self.processes.push(deployed);
        ProcessId(self.processes.len() - 1)
    }

    /// Numbers new instances `first`, `first + step`, `first + 2 step`...: engines that share one
    /// id space (shards) each take their own residue.
    pub fn number_instances(&mut self, first: u64, step: u64) {
        self.next_instance = first.max(1);
        self.id_step = step.max(1);
    }

    /// Makes sure new instance ids are above `id` (after a recovery), keeping the residue.
    pub fn skip_ids_through(&mut self, id: u64) {
        while self.next_instance <= id {
            self.next_instance += self.id_step;
        }
    }

    /// The highest instance id given out so far (0: none yet).
    pub fn last_instance_id(&self) -> u64 {
        self.next_instance.saturating_sub(self.id_step)
    }

    fn new_instance_id(&mut self) -> InstanceId {
        let id = InstanceId(self.next_instance);
        self.next_instance += self.id_step;
        id
    }

    pub fn process(&self, id: ProcessId) -> Option<&Deployed> {
        self.processes.get(id.0).map(|p| &**p)
    }

    pub fn processes(&self) -> impl Iterator<Item = (ProcessId, &Deployed)> {
        self.processes.iter().enumerate().map(|(i, p)| (ProcessId(i), &**p))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn instance(&self, id: InstanceId) -> Option<&Live> {
        self.instances.get(&id)
    }

    pub fn instances(&self) -> impl Iterator<Item = (InstanceId, &Live)> {
        self.instances.iter().map(|(id, live)| (*id, live))
    }

    /// Delivers a request (the elements of a SOAP body) to the instance it belongs to, creating
    /// one if the operation starts the process, and runs the instances until they are idle.
    pub fn send(
        &mut self,
        process: ProcessId,
        partner_link: &str,
        operation_name: &str,
        body: &[XmlElement],
    ) -> Result<(InstanceId, ExchangeId), SendError> {
        let deployed = self.processes.get(process.0).cloned().ok_or(SendError::NoSuchProcess(process))?;
        let no_operation = || SendError::NoSuchOperation { partner_link: partner_link.to_string(), operation: operation_name.to_string() };
        let op = operation(&deployed, partner_link, operation_name, true).ok_or_else(no_operation)?;
        let ty = message_type(&deployed, op, Direction::Input).ok_or_else(no_operation)?;
        let message = message_from_body(&ty, body);
        if let Some(why) = messages::invalid_inbound(&deployed, &ty, &message) {
            return Err(SendError::WrongMessage { operation: operation_name.to_string(), why });
        }
        let target = self.route(process, &deployed, partner_link, operation_name, &message)?;
        if let Some(id) = target.filter(|id| self.evicted.contains_key(id)) {
            return Err(SendError::Evicted(id));
        }
        let exchange = ExchangeId(self.next_exchange);
        self.next_exchange += 1;
        let id = match target {
            Some(id) => {
                self.catch_up(id);
                id
            }
            None => self.create(process),
        };
        if op.output.is_some() {
            self.exchanges.insert(exchange, id);
        }
        let key = MessageKey { partner_link: partner_link.to_string(), operation: operation_name.to_string() };
        if let Some(live) = self.instances.get_mut(&id) {
            live.instance.deliver(Event::Message { key, value: Payload::Message(message), exchange });
        }
        self.run_instance(id);
        Ok((id, exchange))
    }

    fn create(&mut self, process: ProcessId) -> InstanceId {
        let id = self.new_instance_id();
        let main = Frame { activity: PROCESS, env: super::EnvId(0), state: FrameState::Start };
        let instance = Instance::new(main, self.clock.now());
        self.instances.insert(id, Live { process, instance });
        id
    }

    /// Which running instance a message belongs to (`None`: a new one), by correlation.
    fn route(
        &self,
        process: ProcessId,
        deployed: &Deployed,
        partner_link: &str,
        operation: &str,
        message: &Message,
    ) -> Result<Option<InstanceId>, SendError> {
        let routing = messages::routing(deployed, partner_link, operation, message).map_err(SendError::Correlation)?;
        for (set, values) in routing.keys {
            if let Some(id) = self.index.get(&(process, set, values)) {
                return Ok(Some(*id));
            }
        }
        if routing.creates {
            return Ok(None);
        }
        if !routing.correlated {
            // no correlation to go by: the oldest running instance of the process
            let running = self.instances.iter().find(|(_, l)| l.process == process && l.instance.status() == InstanceStatus::Running);
            if let Some((id, _)) = running {
                return Ok(Some(*id));
            }
        }
        Err(SendError::NoInstance { partner_link: partner_link.to_string(), operation: operation.to_string() })
    }

    /// Indexes the correlation sets an instance has initiated (after a restore).
    fn index_instance(&mut self, id: InstanceId) {
        let Some(live) = self.instances.get(&id) else { return };
        let Some(deployed) = self.processes.get(live.process.0) else { return };
        let process = live.process;
        let mut keys = Vec::new();
        for (_, env) in live.instance.shared().scope_instances() {
            for (set, values) in deployed.decl(env.decl).correlation_sets.iter().zip(&env.correlations) {
                if let Some(values) = values {
                    keys.push((set.name.clone(), values.clone()));
                }
            }
        }
        for (set, values) in keys {
            self.add_to_index(id, process, set, values);
        }
    }

    fn add_to_index(&mut self, id: InstanceId, process: ProcessId, set: String, values: Vec<String>) {
        let key = (process, set, values);
        self.index.insert(key.clone(), id);
        self.index_of.entry(id).or_default().push(key);
    }

    fn drop_from_index(&mut self, id: InstanceId) {
        for key in self.index_of.remove(&id).unwrap_or_default() {
            if self.index.get(&key) == Some(&id) {
                self.index.remove(&key);
            }
        }
    }

    /// The correlation sets an instance has initiated, with their values.
    pub fn correlations_of(&self, id: InstanceId) -> Vec<(ProcessId, String, Vec<String>)> {
        self.index_of.get(&id).cloned().unwrap_or_default()
    }

    /// Answers an invoke.
    pub fn answer(&mut self, instance: InstanceId, request: RequestId, result: Result<Message, Fault>) {
        self.catch_up(instance);
        if let Some(live) = self.instances.get_mut(&instance) {
            let event = match result {
                Ok(message) => Event::Answered { request, value: Payload::Message(message) },
                Err(fault) => Event::Failed { request, fault: Payload::Fault(fault) },
            };
            live.instance.deliver(event);
        }
        self.run_instance(instance);
    }

    /// Runs an instance up to the clock before an event is delivered to it: an instance runs only
    /// when something wakes it, so its own time may lag, and what the event starts (a wait, an
    /// alarm) must be timed from now. A host calls it before a checkpoint, so that the file
    /// carries the time it was taken at.
    pub fn catch_up(&mut self, id: InstanceId) {
        let behind = self.instances.get(&id).is_some_and(|l| l.instance.now() < self.clock.now());
        if behind {
            self.run_instance(id);
        }
    }

    /// Moves the virtual clock and runs what the time wakes.
    pub fn advance(&mut self, millis: u64) {
        self.clock.advance_millis(millis);
        self.run_due();
    }

    /// Moves the clock to `now` (a host on real time calls this before each batch of work); a time
    /// in the past changes nothing.
    pub fn advance_to(&mut self, now: Timestamp) {
        self.clock.advance_to(now);
        self.run_due();
    }

    /// Runs the instances whose timers are due.
    fn run_due(&mut self) {
        let now = self.clock.now().0;
        // an evicted instance's timer waits until its host gives the instance back (see `evicted_due`)
        while let Some(&(due, id)) = self.timers.iter().take_while(|(due, _)| *due <= now).find(|(_, id)| !self.evicted.contains_key(id)) {
            self.timers.remove(&(due, id));
            self.timer_of.remove(&id);
            self.run_instance(id);
        }
    }

    /// Takes an idle instance out of memory, keeping what finds it again: its correlation values
    /// and its timer. Only an instance that waits for nothing but messages and timers can go (not
    /// one that is running, stopped at a breakpoint, owes a reply to an open request or waits for a
    /// partner's answer): its host must have saved it as it is now, and gives it back with
    /// [`Engine::restore`] when [`Engine::send`] answers [`SendError::Evicted`] or its timer is due
    /// ([`Engine::evicted_due`]). Whether it went.
    pub fn evict(&mut self, id: InstanceId) -> bool {
        let Some(live) = self.instances.get(&id) else { return false };
        let instance = &live.instance;
        let idle = instance.status() == InstanceStatus::Running
            && instance.runnable() == 0
            && instance.shared().exchanges.is_empty()
            && !self.paused.contains_key(&id)
            && instance
                .tasklets()
                .all(|tasklet| !instance.awaiting(tasklet.id).iter().any(|wait| matches!(wait, crate::runtime::Awaiting::Answer(_))));
        if !idle {
            return false;
        }
        let process = live.process;
        self.instances.remove(&id);
        self.evicted.insert(id, process);
        true
    }

    /// Whether an instance is out of memory ([`Engine::evict`]).
    pub fn is_evicted(&self, id: InstanceId) -> bool {
        self.evicted.contains_key(&id)
    }

    /// The evicted instances, with their processes.
    pub fn evicted(&self) -> impl Iterator<Item = (InstanceId, ProcessId)> + '_ {
        self.evicted.iter().map(|(id, process)| (*id, *process))
    }

    /// The evicted instances whose timer is due at `now`: a host restores them before it moves
    /// the clock there.
    pub fn evicted_due(&self, now: Timestamp) -> Vec<InstanceId> {
        self.timers.iter().take_while(|(due, _)| *due <= now.0).map(|(_, id)| *id).filter(|id| self.evicted.contains_key(id)).collect()
    }

    /// Runs every instance until it is idle or ended.
    pub fn run(&mut self) {
        let ids: Vec<InstanceId> = self.instances.keys().copied().collect();
        for id in ids {
            self.run_instance(id);
        }
    }

    fn run_instance(&mut self, id: InstanceId) {
        self.run_instance_for(id, STEPS_PER_RUN);
    }

    /// Runs an instance for at most `max_steps` tasklet steps, stopping early at a breakpoint;
    /// returns how the last run ended.
    fn run_instance_for(&mut self, id: InstanceId, max_steps: u64) -> RunOutcome {
        let Some(live) = self.instances.get_mut(&id) else { return RunOutcome::Finished };
        let Some(deployed) = self.processes.get(live.process.0).cloned() else { return RunOutcome::Finished };
        let breakpoints = self.breakpoints.get(&live.process).filter(|b| !b.is_empty()).cloned();
        let one_by_one = self.checkpoint_every_step || breakpoints.is_some();
        let mut steps = 0;
        let mut outcome;
        loop {
            let budget = if one_by_one { 1 } else { STEPS_PER_COLLECTION.min(max_steps - steps) };
            outcome = live.instance.run(&*deployed, &self.clock, budget);
            steps += budget;
            if let Some(activity) = breakpoints.as_ref().and_then(|b| b.take_hit()) {
                self.paused.insert(id, activity);
                break;
            }
            collect_scope_instances(&mut live.instance);
            if self.checkpoint_every_step {
                // a restored copy carries on: whatever the instance is, it survives the round trip
                let round_trip = checkpoint::save(&live.instance, deployed.hash)
                    .and_then(|bytes| checkpoint::load::<Deployed>(&bytes, deployed.hash))
                    .and_then(|restored| {
                        super::fit::instance_fits(&deployed, &restored).map(|()| restored).map_err(CheckpointError::Inconsistent)
                    });
                match round_trip {
                    Ok(restored) => {
                        live.instance = restored;
                        self.checkpoint_round_trips += 1;
                    }
                    Err(error) => self.checkpoint_failures.push((id, error.to_string())),
                }
            }
            if outcome != RunOutcome::BudgetExhausted || steps >= max_steps {
                break;
            }
        }
        let effects: Vec<_> = live.instance.drain_effects().collect();
        let status = live.instance.status();
        let process = live.process;
        let initiated: Vec<(String, Vec<String>)> = live.instance.shared_mut().initiated.drain(..).collect();
        self.touched.insert(id);
        if let Some(old) = self.timer_of.remove(&id) {
            self.timers.remove(&(old, id));
        }
        if let Some(due) = live.instance.next_timer() {
            self.timers.insert((due.0, id));
            self.timer_of.insert(id, due.0);
        }
        for effect in effects {
            match effect {
                Effect::Reply { exchange, value, fault } => {
                    let result = match (value, fault) {
                        (Payload::Message(message), false) => Ok(message),
                        (Payload::Fault(fault), _) => Err(fault),
                        (other, _) => {
                            Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("an unexpected reply {other:?}")))
                        }
                    };
                    self.exchanges.remove(&exchange);
                    self.replies.push(Reply { instance: id, exchange, result });
                }
                Effect::Invoke { request, target, value, one_way } => {
                    let (address, message) = match value {
                        Payload::Request { address, message } => (address, message),
                        Payload::Message(message) => (None, message),
                        _ => continue,
                    };
                    self.invocations.push(Invocation {
                        instance: id,
                        process,
                        request,
                        partner_link: target.partner_link,
                        operation: target.operation,
                        address,
                        message,
                        one_way,
                    });
                }
                Effect::Faulted(Payload::Fault(fault)) => self.close_exchanges(id, Err(fault)),
                Effect::Faulted(_) => {}
                Effect::Terminated => self.close_exchanges(
                    id,
                    Err(Fault::new(
                        QName::new(Some(crate::fault::STANDARD_FAULT_NS), "processTerminated"),
                        None,
                        "the process instance was terminated by <exit>",
                    )),
                ),
                Effect::Completed => self.close_exchanges(
                    id,
                    Err(Fault::standard(StandardFault::MissingReply, "the process instance completed without replying to this request")),
                ),
                Effect::TimerSet { .. } | Effect::TimerCancelled { .. } => {}
            }
        }
        for (set, values) in initiated {
            self.correlations.push(Correlated { instance: id, process, set: set.clone(), values: values.clone() });
            self.add_to_index(id, process, set, values);
        }
        if status != InstanceStatus::Running {
            self.drop_from_index(id);
            if !self.keep_finished {
                self.instances.remove(&id);
            }
        }
        outcome
    }

    /// The instances that ran since the last call (a durable host saves them; one that is no
    /// longer in [`Engine::instance`] has ended and been dropped).
    pub fn drain_touched(&mut self) -> Vec<InstanceId> {
        std::mem::take(&mut self.touched).into_iter().collect()
    }

    /// The correlation sets instances initiated since the last call.
    pub fn drain_correlations(&mut self) -> Vec<Correlated> {
        std::mem::take(&mut self.correlations)
    }

    /// Terminates an instance as `exit` would: its open requests are answered with a fault.
    pub fn terminate(&mut self, id: InstanceId) -> bool {
        let Some(live) = self.instances.get_mut(&id) else { return false };
        let main = live.instance.main();
        let killed = live.instance.kill(main, true);
        self.run_instance(id);
        killed
    }

    /// Drops an instance (ended, or terminated by an administrator).
    pub fn remove(&mut self, id: InstanceId) -> Option<Live> {
        self.drop_from_index(id);
        self.evicted.remove(&id);
        self.paused.remove(&id);
        if let Some(due) = self.timer_of.remove(&id) {
            self.timers.remove(&(due, id));
        }
        self.exchanges.retain(|_, owner| *owner != id);
        self.instances.remove(&id)
    }

    /// Answers every request of an ended instance that is still open.
    fn close_exchanges(&mut self, id: InstanceId, result: Result<Message, Fault>) {
        let open: Vec<ExchangeId> = self.exchanges.iter().filter(|(_, i)| **i == id).map(|(x, _)| *x).collect();
        for exchange in open {
            self.exchanges.remove(&exchange);
            self.replies.push(Reply { instance: id, exchange, result: result.clone() });
        }
    }

    pub fn drain_replies(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.replies)
    }

    pub fn drain_invocations(&mut self) -> Vec<Invocation> {
        std::mem::take(&mut self.invocations)
    }

    /// The instance as a checkpoint file's bytes.
    pub fn checkpoint(&self, id: InstanceId) -> Option<Result<Vec<u8>, CheckpointError>> {
        let live = self.instances.get(&id)?;
        let deployed = self.processes.get(live.process.0)?;
        Some(checkpoint::save(&live.instance, deployed.hash))
    }

    /// Replaces (or creates) instance `id` of `process` with a checkpoint's.
    pub fn restore(&mut self, process: ProcessId, id: Option<InstanceId>, bytes: &[u8]) -> Result<InstanceId, CheckpointError> {
        let Some(deployed) = self.processes.get(process.0) else { return Err(CheckpointError::NoSuchProcess) };
        let instance = checkpoint::load::<Deployed>(bytes, deployed.hash)?;
        super::fit::instance_fits(deployed, &instance).map_err(CheckpointError::Inconsistent)?;
        let id = match id {
            Some(id) => id,
            None => self.new_instance_id(),
        };
        for exchange in &instance.shared().exchanges {
            self.exchanges.insert(exchange.exchange, id);
        }
        if let Some(old) = self.timer_of.remove(&id) {
            self.timers.remove(&(old, id));
        }
        if let Some(due) = instance.next_timer() {
            self.timers.insert((due.0, id));
            self.timer_of.insert(id, due.0);
        }
        self.skip_ids_through(id.0);
        self.drop_from_index(id);
        self.evicted.remove(&id);
        self.paused.remove(&id);
        self.instances.insert(id, Live { process, instance });
        self.index_instance(id);
        Ok(id)
    }

    /// The value of a variable visible from the process scope of an instance (or any scope
    /// instance that declares it, innermost live first).
    pub fn variable(&self, id: InstanceId, name: &str) -> Option<&crate::xml::Value> {
        let live = self.instances.get(&id)?;
        let deployed = self.processes.get(live.process.0)?;
        let state = live.instance.shared();
        state.scope_instances().rev().find_map(|(_, env)| {
            let index = deployed.decl(env.decl).variables.iter().position(|v| v.name == name)?;
            env.values.get(index)?.as_ref()
        })
    }

    /// Evaluates an expression, in the process's expression language (XPath 1.0 unless it declares
    /// XPath 2.0), over an instance's variables as the process scope sees them, with the prefixes
    /// the process declares.
    pub fn evaluate(&mut self, id: InstanceId, expression: &str) -> Result<crate::xml::XPathValue, Fault> {
        let unknown = || Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no instance {id}"));
        let live = self.instances.get_mut(&id).ok_or_else(unknown)?;
        let deployed = self.processes.get(live.process.0).cloned().ok_or_else(unknown)?;
        let process = deployed.process();
        let scope = process.activity.map_or(process.namespaces.root(), |a| process.activity(a).namespaces);
        let compiled = crate::xml::Compiled::new_in(
            expression,
            &process.namespaces.in_scope(scope),
            crate::xml::XPathRole::Expression,
            deployed.expression_language(),
        );
        let view = super::state::View { deployed: &deployed, state: live.instance.shared_mut(), env: super::EnvId(0) };
        crate::xml::evaluate(&compiled, &view, deployed.xpath_env(), None)
    }

    /// Evaluates an expression (in the process's expression language) as `activity` of the instance sees it now: in the scope
    /// instance it runs in (its variables and those of the enclosing scopes), with the prefixes in
    /// scope at the activity. A fault when the activity is not running in the instance.
    pub fn evaluate_at(&mut self, id: InstanceId, activity: ActivityId, expression: &str) -> Result<crate::xml::XPathValue, Fault> {
        let fault = |why: String| Fault::standard(StandardFault::SubLanguageExecutionFault, why);
        let live = self.instances.get_mut(&id).ok_or_else(|| fault(format!("no instance {id}")))?;
        let deployed = self.processes.get(live.process.0).cloned().ok_or_else(|| fault(format!("no instance {id}")))?;
        let env = live
            .instance
            .tasklets()
            .flat_map(|t| t.frames.iter().filter(|f| f.activity == activity).map(|f| f.env).collect::<Vec<_>>())
            .next()
            .ok_or_else(|| fault(format!("{} is not running in instance {id}", deployed.describe(activity))))?;
        let process = deployed.process();
        let scope = process.activities.get(activity.0 as usize).map_or(process.namespaces.root(), |a| a.namespaces);
        let compiled = crate::xml::Compiled::new_in(
            expression,
            &process.namespaces.in_scope(scope),
            crate::xml::XPathRole::Expression,
            deployed.expression_language(),
        );
        let view = super::state::View { deployed: &deployed, state: live.instance.shared_mut(), env };
        crate::xml::evaluate(&compiled, &view, deployed.xpath_env(), None)
    }

    /// The instance in words: tasklets, variables, open receives, timers, trace.
    pub fn inspect(&self, id: InstanceId) -> Option<super::inspect::InstanceReport> {
        let live = self.instances.get(&id)?;
        Some(self.processes.get(live.process.0)?.inspect(&live.instance, self.clock.now()))
    }

    /// An instance in one line (what lists of instances show).
    pub fn overview(&self, id: InstanceId) -> Option<super::inspect::InstanceOverview> {
        let live = self.instances.get(&id)?;
        Some(self.processes.get(live.process.0)?.overview(&live.instance, self.clock.now()))
    }

    /// When the next timer of any instance is due (`None`: no timer).
    pub fn next_timer(&self) -> Option<Timestamp> {
        self.timers.first().map(|(due, _)| Timestamp(*due))
    }
}

// ---------------------------------------------------------------------------------------------
// For debuggers (the REPL): breakpoints, single steps, the clock moved back

impl Engine {
    /// Deploys a process that can stop at breakpoints ([`Engine::set_breakpoints`]); its observer,
    /// if any, is replaced.
    pub fn deploy_debuggable(&mut self, mut deployed: Deployed) -> ProcessId {
        let breakpoints = Arc::new(Breakpoints::default());
        deployed.observer = Some(breakpoints.clone());
        let id = self.deploy_compiled(deployed);
        self.breakpoints.insert(id, breakpoints);
        id
    }

    /// Stops instances of `process` before any of `activities` starts; false when the process was
    /// not deployed with [`Engine::deploy_debuggable`].
    pub fn set_breakpoints(&mut self, process: ProcessId, activities: std::collections::BTreeSet<ActivityId>) -> bool {
        match self.breakpoints.get(&process) {
            Some(breakpoints) => {
                breakpoints.set(activities);
                true
            }
            None => false,
        }
    }

    /// The instances stopped at a breakpoint, with the activity they stopped before.
    pub fn paused(&self) -> impl Iterator<Item = (InstanceId, ActivityId)> + '_ {
        self.paused.iter().map(|(id, activity)| (*id, *activity))
    }

    /// Runs every instance stopped at a breakpoint on, until idle or its next breakpoint.
    pub fn resume(&mut self) -> Vec<InstanceId> {
        let paused: Vec<InstanceId> = std::mem::take(&mut self.paused).into_keys().collect();
        for id in &paused {
            self.run_instance(*id);
        }
        paused
    }

    /// Runs one tasklet step of an instance (timers due on the clock fire first when nothing else
    /// can run) and says what it changed; `None`: no such instance. In a process deployed with
    /// [`Engine::deploy_debuggable`] the step ends before the next activity starts, and the instance
    /// stays stopped there (as at a breakpoint) until stepped, resumed or woken.
    pub fn step(&mut self, id: InstanceId) -> Option<StepReport> {
        let before = self.inspect(id)?;
        self.paused.remove(&id);
        let stepping = self.instances.get(&id).and_then(|l| self.breakpoints.get(&l.process)).cloned();
        if let Some(breakpoints) = &stepping {
            breakpoints.set_stepping(true);
        }
        let outcome = self.run_instance_for(id, 1);
        if let Some(breakpoints) = &stepping {
            breakpoints.set_stepping(false);
        }
        let after = self.inspect(id)?;
        let mut changed: Vec<TaskletChange> = Vec::new();
        for old in &before.tasklets {
            let new = after.tasklets.iter().find(|t| t.id == old.id);
            if new != Some(old) {
                changed.push(TaskletChange { before: Some(old.clone()), after: new.cloned() });
            }
        }
        for new in after.tasklets.iter().filter(|t| !before.tasklets.iter().any(|old| old.id == t.id)) {
            changed.push(TaskletChange { before: None, after: Some(new.clone()) });
        }
        let live = self.instances.get(&id)?;
        let deployed = self.processes.get(live.process.0)?;
        let trace = &live.instance.shared().trace;
        // the trace is a bounded queue: once full, a step's completions are not counted
        let grown = trace.len().saturating_sub(before.trace.len());
        Some(StepReport {
            changed,
            completed: trace.iter().skip(trace.len().saturating_sub(grown)).map(|a| deployed.activity_report(*a)).collect(),
            idle: outcome != RunOutcome::BudgetExhausted,
            paused_at: self.paused.get(&id).map(|a| deployed.activity_report(*a)),
        })
    }

    /// Sets the virtual clock to `to`, also back in time: a debugger restoring instances from
    /// checkpoints taken earlier moves the clock back with them.
    pub fn set_clock(&mut self, to: Timestamp) {
        self.clock = VirtualClock::new(to);
    }
}

pub use super::messages::Direction as MessageDirection;
