//! A shard: a worker thread that owns an [`Engine`] and its instances outright (no lock on instance
//! state). It takes commands in batches; after each batch it commits what changed to the store
//! (one transaction: group commit), and only then answers requests and calls partners, so nothing
//! leaves the process before it is durable.
//!
//! A batch that cannot be made durable (an instance or a call that cannot be encoded, a commit the
//! store refuses) lets nothing out: each caller waiting on it gets [`Answer::NotDurable`], the
//! instances it touched are read back from the store as last committed (those it created are
//! dropped), and the partner answers it applied are applied again in the next batches. A shard
//! whose store cannot give its instances back stops, and answers everything after with the reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::router::Router;
use crate::exec::inspect::{InstanceOverview, InstanceReport};
use crate::exec::{Engine, InstanceId, Invocation, ProcessId, RequestId, SendError};
use crate::fault::Fault;
use crate::runtime::{Clock, ExchangeId, SystemClock};
use crate::store::{Batch, SavedCall, SavedInstance, Store};
use crate::xml::{Message, XmlElement};

/// What a shard is asked to do.
pub enum Command {
    /// A request for a process: `respond` gets its reply (or the acceptance of a one-way message).
    Request {
        process: ProcessId,
        partner_link: String,
        operation: String,
        body: Vec<XmlElement>,
        respond: oneshot::Sender<Answer>,
    },
    /// A partner answered a call.
    Answer {
        instance: InstanceId,
        request: RequestId,
        result: Result<Message, Fault>,
    },
    /// A one-way call went out.
    Sent {
        instance: InstanceId,
        request: RequestId,
    },
    Admin(Admin),
    Stop,
}

/// How a request ends.
#[derive(Debug)]
pub enum Answer {
    Reply(Result<Message, Fault>),
    /// A one-way message was taken (and is durable).
    Accepted,
    /// The engine could not take the request (no instance waits for it, say).
    Refused(String),
    /// The work the request led to could not be made durable (an instance could not be encoded,
    /// or the store failed): none of it left the server, and the instances are back at their last
    /// committed state.
    NotDurable(String),
}

/// Administration.
pub enum Admin {
    List(oneshot::Sender<Vec<InstanceSummary>>),
    Inspect(InstanceId, oneshot::Sender<Option<InstanceReport>>),
    Checkpoint(InstanceId, oneshot::Sender<Option<Result<Vec<u8>, String>>>),
    /// Restores a checkpoint as a new instance: its id, or why it was refused.
    Restore(ProcessId, Vec<u8>, oneshot::Sender<Result<InstanceId, AdminError>>),
    /// Terminates an instance: whether a running instance was terminated.
    Terminate(InstanceId, oneshot::Sender<Result<bool, AdminError>>),
}

/// Why an administrative change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request itself is at fault (a checkpoint that is corrupt or does not fit the process).
    #[error("{0}")]
    Refused(String),
    /// The change was made but could not be made durable, so it was undone.
    #[error("{0}")]
    NotDurable(String),
}

/// One line of `GET /admin/instances`: the id and [`crate::exec::inspect::InstanceOverview`]'s
/// fields (process, status, summary, waiting).
#[derive(Clone, Debug, serde::Serialize)]
pub struct InstanceSummary {
    pub id: u64,
    #[serde(flatten)]
    pub overview: InstanceOverview,
}

/// Makes the calls instances ask for, and feeds the answers back to the shard.
pub trait Partners: Send + Sync {
    fn call(&self, shard: usize, invocation: Invocation);
}

pub struct Shard {
    pub index: usize,
    pub engine: Engine,
    pub commands: Receiver<Command>,
    pub store: Arc<dyn Store>,
    pub router: Arc<Router>,
    pub partners: Arc<dyn Partners>,
    /// Requests waiting for their reply, by exchange.
    pending: BTreeMap<ExchangeId, oneshot::Sender<Answer>>,
    /// Partner answers of a batch that could not be made durable, to apply again (with when they
    /// first failed): the instances went back to a state that still waits for them.
    retry: Vec<(Option<Instant>, Command)>,
    /// The last batch could not be made durable: timers wait a little before they fire again, so
    /// that a broken store is not hammered.
    failing: bool,
    /// Idle instances leave memory after this long (`--idle-evict`; only over a durable store).
    idle_evict: Option<Duration>,
    /// When each instance in memory last ran, while `idle_evict` is set.
    last_active: HashMap<InstanceId, Instant>,
    /// When idle instances were last looked for.
    last_sweep: Instant,
    /// Instance ids up to this one are reserved in the store ([`Batch::instances_through`]):
    /// a batch writes a new reservation only when the shard gives out an id beyond it.
    ids_reserved_through: u64,
}

/// How far ahead instance ids are reserved in the store at a time: one small write per this many
/// ids instead of one per batch (after a restart, ids go on above the reservation).
const ID_RESERVATION: u64 = 1 << 16;

/// At most this many commands make one batch (one store commit).
const BATCH: usize = 1024;

/// Above this many requests waiting for a reply, those whose client is gone are forgotten.
const PENDING_SWEEP: usize = 4096;

/// A partner's answer is applied again in every batch for this long after its first batch failed to
/// be made durable; then it is dropped (the call stays in the store's outbox and is made again at
/// the next start).
const RETRY_FOR: Duration = Duration::from_secs(60);

/// While answers wait to be applied again, the shard tries at least this often.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// What leaves the shard once the batch that made it is durable.
enum Outgoing {
    Answer(oneshot::Sender<Answer>, Answer),
    Restored(oneshot::Sender<Result<InstanceId, AdminError>>, InstanceId),
    Terminated(oneshot::Sender<Result<bool, AdminError>>, bool),
}

impl Outgoing {
    fn send(self) {
        // a requester that has gone away hears nothing: that is fine
        match self {
            Outgoing::Answer(respond, answer) => drop(respond.send(answer)),
            Outgoing::Restored(respond, id) => drop(respond.send(Ok(id))),
            Outgoing::Terminated(respond, terminated) => drop(respond.send(Ok(terminated))),
        }
    }

    fn refuse(self, why: &str) {
        match self {
            Outgoing::Answer(respond, _) => drop(respond.send(Answer::NotDurable(why.to_string()))),
            Outgoing::Restored(respond, _) => drop(respond.send(Err(AdminError::NotDurable(why.to_string())))),
            Outgoing::Terminated(respond, _) => drop(respond.send(Err(AdminError::NotDurable(why.to_string())))),
        }
    }
}

/// An administrative read: answered at the end of its batch, so it sees only committed state.
enum Read {
    List(oneshot::Sender<Vec<InstanceSummary>>),
    Inspect(InstanceId, oneshot::Sender<Option<InstanceReport>>),
    Checkpoint(InstanceId, oneshot::Sender<Option<Result<Vec<u8>, String>>>),
}

impl Read {
    /// What a stopped shard answers: nothing is there.
    fn refuse(self) {
        match self {
            Read::List(respond) => drop(respond.send(Vec::new())),
            Read::Inspect(_, respond) => drop(respond.send(None)),
            Read::Checkpoint(_, respond) => drop(respond.send(None)),
        }
    }
}

/// What a batch has done that is not durable yet.
#[derive(Default)]
struct Work {
    outgoing: Vec<Outgoing>,
    /// Requests of this batch that wait for a reply from a later step.
    opened: Vec<ExchangeId>,
    /// Partner answers applied in this batch.
    answers: Vec<(Option<Instant>, Command)>,
    /// Instances restored by an administrator (saved with the batch, though they did not run).
    restored: Vec<InstanceId>,
    /// Administrative reads, answered once the batch is committed or undone.
    reads: Vec<Read>,
    batch: Batch,
}

impl Shard {
    pub fn new(
        index: usize,
        engine: Engine,
        commands: Receiver<Command>,
        store: Arc<dyn Store>,
        router: Arc<Router>,
        partners: Arc<dyn Partners>,
    ) -> Shard {
        Shard {
            index,
            engine,
            commands,
            store,
            router,
            partners,
            pending: BTreeMap::new(),
            retry: Vec::new(),
            failing: false,
            idle_evict: None,
            last_active: HashMap::new(),
            last_sweep: Instant::now(),
            ids_reserved_through: 0,
        }
    }

    /// Lets instances that wait for a message or a timer leave memory after `idle` (the store
    /// keeps them; the shard reads one back when its message or timer comes).
    pub fn evict_after(&mut self, idle: Option<Duration>) {
        self.idle_evict = idle;
        let now = Instant::now();
        self.last_active = match idle {
            Some(_) => self.engine.instances().map(|(id, _)| (id, now)).collect(),
            None => HashMap::new(),
        };
    }

    /// How often idle instances are looked for.
    fn sweep_every(&self) -> Option<Duration> {
        self.idle_evict.map(|idle| idle.clamp(Duration::from_millis(100), Duration::from_secs(1)))
    }

    /// Reads an evicted instance back from the store into the engine.
    fn wake(&mut self, id: InstanceId) -> Result<(), String> {
        let saved = self.store.load(id.0).map_err(|e| e.to_string())?.ok_or_else(|| format!("the store does not hold instance {id}"))?;
        let process = self
            .engine
            .evicted()
            .find(|(evicted, _)| *evicted == id)
            .map(|(_, process)| process)
            .ok_or_else(|| format!("instance {id} is not out of memory"))?;
        self.engine.restore(process, Some(id), &saved.checkpoint).map_err(|e| e.to_string())?;
        self.last_active.insert(id, Instant::now());
        Ok(())
    }

    /// After a committed batch: the instances it touched are active now (those that ended are
    /// forgotten); those idle for longer than `idle_evict` leave memory (the store holds them as
    /// they are, since every change is committed with its batch).
    fn evict_idle(&mut self, touched: &[InstanceId]) {
        let (Some(idle), Some(every)) = (self.idle_evict, self.sweep_every()) else { return };
        let now = Instant::now();
        for id in touched {
            if self.engine.instance(*id).is_some() {
                self.last_active.insert(*id, now);
            } else {
                self.last_active.remove(id);
            }
        }
        if now.duration_since(self.last_sweep) < every {
            return;
        }
        self.last_sweep = now;
        let idle_ones: Vec<InstanceId> =
            self.last_active.iter().filter(|(_, since)| now.duration_since(**since) >= idle).map(|(id, _)| *id).collect();
        let mut evicted = 0;
        for id in idle_ones {
            if self.engine.evict(id) {
                self.last_active.remove(&id);
                evicted += 1;
            } else if self.engine.instance(id).is_some() {
                // busy (a partner's answer, a reply it owes): looked at again after another idle time
                self.last_active.insert(id, now);
            } else {
                self.last_active.remove(&id);
            }
        }
        if evicted > 0 {
            tracing::debug!("shard {}: {evicted} idle instance(s) left memory", self.index);
        }
    }

    /// Runs until [`Command::Stop`], until every sender is gone, or until the shard's instances
    /// can neither be made durable nor be read back from the store.
    pub fn run(mut self) {
        loop {
            let now = SystemClock.now();
            let mut wait = match self.engine.next_timer() {
                Some(due) => Duration::from_millis((due.0 - now.0).clamp(0, 3_600_000) as u64),
                None => Duration::from_secs(3600),
            };
            if self.failing {
                wait = wait.max(RETRY_PAUSE);
            }
            if !self.retry.is_empty() {
                wait = wait.min(RETRY_PAUSE);
            }
            if let Some(every) = self.sweep_every() {
                wait = wait.min(every);
            }
            let mut commands = std::mem::take(&mut self.retry);
            match self.commands.recv_timeout(wait) {
                Ok(command) => commands.push((None, command)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while commands.len() < BATCH {
                match self.commands.try_recv() {
                    Ok(command) => commands.push((None, command)),
                    Err(_) => break,
                }
            }
            if !self.batch(commands) {
                return;
            }
        }
    }

    /// One batch: apply, commit, then let the effects out. False when the shard must stop.
    fn batch(&mut self, commands: Vec<(Option<Instant>, Command)>) -> bool {
        let now = SystemClock.now();
        for id in self.engine.evicted_due(now) {
            if let Err(why) = self.wake(id) {
                // its timer stays due: tried again after a pause
                tracing::error!("shard {}: instance {id} cannot be read back from the store for its timer: {why}", self.index);
                self.failing = true;
            }
        }
        self.engine.advance_to(now);
        let durable = self.store.durable();
        let mut work = Work::default();
        let mut go_on = true;
        for (failed_since, command) in commands {
            match command {
                Command::Request { process, partner_link, operation, body, respond } => {
                    let one_way = self
                        .engine
                        .process(process)
                        .and_then(|d| crate::exec::messages::operation(d, &partner_link, &operation, true))
                        .is_some_and(|op| op.output.is_none());
                    let mut sent = self.engine.send(process, &partner_link, &operation, &body);
                    if let Err(SendError::Evicted(id)) = sent {
                        sent = match self.wake(id) {
                            Ok(()) => self.engine.send(process, &partner_link, &operation, &body),
                            Err(why) => {
                                tracing::error!("shard {}: instance {id} cannot be read back from the store: {why}", self.index);
                                Err(SendError::Evicted(id))
                            }
                        };
                    }
                    match sent {
                        Ok((_, exchange)) if !one_way => {
                            self.pending.insert(exchange, respond);
                            work.opened.push(exchange);
                        }
                        Ok(_) => work.outgoing.push(Outgoing::Answer(respond, Answer::Accepted)),
                        Err(error) => {
                            tracing::debug!("shard {}: {partner_link}.{operation} refused: {error}", self.index);
                            work.outgoing.push(Outgoing::Answer(respond, Answer::Refused(error.to_string())));
                        }
                    }
                }
                Command::Answer { instance, request, result } => {
                    work.batch.calls_answered.push((instance.0, request.0));
                    if durable {
                        work.answers.push((failed_since, Command::Answer { instance, request, result: result.clone() }));
                    }
                    self.engine.answer(instance, request, result);
                }
                Command::Sent { instance, request } => {
                    work.batch.calls_answered.push((instance.0, request.0));
                    if durable {
                        work.answers.push((failed_since, Command::Sent { instance, request }));
                    }
                }
                Command::Admin(admin) => self.admin(admin, &mut work),
                Command::Stop => go_on = false,
            }
        }
        for reply in self.engine.drain_replies() {
            if let Some(respond) = self.pending.remove(&reply.exchange) {
                work.outgoing.push(Outgoing::Answer(respond, Answer::Reply(reply.result)));
            }
        }
        if self.pending.len() > PENDING_SWEEP {
            // requests whose client gave up (timed out, hung up) wait for nothing
            self.pending.retain(|_, respond| !respond.is_closed());
        }
        let calls = self.engine.drain_invocations();
        let mut touched = self.engine.drain_touched();
        touched.extend(work.restored.iter().copied());
        touched.sort_unstable();
        touched.dedup();
        let mut unsaved = None;
        for &id in &touched {
            match self.engine.instance(id) {
                Some(live) if durable => {
                    let Some(deployed) = self.engine.process(live.process) else { continue };
                    match crate::checkpoint::save(&live.instance, deployed.hash) {
                        Ok(checkpoint) => work.batch.save.push(SavedInstance {
                            id: id.0,
                            process: deployed.name().to_string(),
                            definition: deployed.hash.0,
                            checkpoint,
                        }),
                        Err(error) => {
                            unsaved.get_or_insert_with(|| format!("instance {id} cannot be encoded: {error}"));
                        }
                    }
                }
                Some(_) => {}
                None => {
                    work.batch.delete.push(id.0);
                    self.router.forget(id);
                }
            }
        }
        for correlated in self.engine.drain_correlations() {
            self.router.publish(&correlated);
        }
        if durable {
            for call in &calls {
                match postcard::to_stdvec(call) {
                    Ok(bytes) => work.batch.calls_made.push(SavedCall { instance: call.instance.0, request: call.request.0, call: bytes }),
                    Err(error) => {
                        unsaved.get_or_insert_with(|| format!("a call of instance {} cannot be encoded: {error}", call.instance));
                    }
                }
            }
            let last_id = self.engine.last_instance_id();
            if last_id > self.ids_reserved_through {
                work.batch.instances_through = last_id.saturating_add(ID_RESERVATION);
            }
            let failure = match unsaved {
                Some(why) => Some(why),
                None => self.store.commit(&work.batch).err().map(|error| error.to_string()),
            };
            self.failing = failure.is_some();
            if failure.is_none() {
                self.ids_reserved_through = self.ids_reserved_through.max(work.batch.instances_through);
            }
            if failure.is_none() && !work.batch.is_empty() {
                tracing::debug!(
                    "shard {}: committed {} instance(s) saved, {} ended, {} call(s) made, {} answered",
                    self.index,
                    work.batch.save.len(),
                    work.batch.delete.len(),
                    work.batch.calls_made.len(),
                    work.batch.calls_answered.len()
                );
            }
            if let Some(why) = failure {
                // nothing of this batch may leave: the callers hear why, the instances go back
                let reads = std::mem::take(&mut work.reads);
                if let Some(stop) = self.undo(work, &touched, &why) {
                    for read in reads {
                        read.refuse();
                    }
                    self.refuse_all(&stop);
                    return false;
                }
                for read in reads {
                    self.read(read);
                }
                return go_on;
            }
        }
        for outgoing in work.outgoing {
            outgoing.send();
        }
        for read in std::mem::take(&mut work.reads) {
            self.read(read);
        }
        for call in calls {
            self.partners.call(self.index, call);
        }
        self.evict_idle(&touched);
        go_on
    }

    /// After a batch that could not be made durable: the instances it touched go back to what the
    /// store holds (those it created are dropped), every caller waiting on it gets a fault, and the
    /// partner answers it applied wait for the next batch. When the store cannot give the
    /// instances back, the reason the shard must stop (its instances no longer match the store).
    fn undo(&mut self, work: Work, touched: &[InstanceId], why: &str) -> Option<String> {
        let why = format!("the work could not be made durable, nothing of it was done: {why}");
        tracing::error!("shard {}: {why}", self.index);
        let mut stopped = None;
        for &id in touched {
            if let Err(error) = self.reload(id) {
                stopped = Some(format!(
                    "shard {} has stopped: instance {id} cannot be read back from the store after a failed batch ({error}); \
                     restart the server to carry on from what the store holds",
                    self.index
                ));
                break;
            }
        }
        let why = match &stopped {
            Some(stop) => format!("{why}; {stop}"),
            None => why,
        };
        for outgoing in work.outgoing {
            outgoing.refuse(&why);
        }
        for exchange in work.opened {
            if let Some(respond) = self.pending.remove(&exchange) {
                let _ = respond.send(Answer::NotDurable(why.clone()));
            }
        }
        if let Some(stop) = stopped {
            tracing::error!("{stop}");
            return Some(stop);
        }
        let now = Instant::now();
        for (failed_since, answer) in work.answers {
            let since = failed_since.unwrap_or(now);
            if now.duration_since(since) < RETRY_FOR {
                self.retry.push((Some(since), answer));
            } else if let Command::Answer { instance, request, .. } | Command::Sent { instance, request } = answer {
                tracing::error!(
                    "shard {}: the answer to call {} of instance {instance} could not be made durable for {} s: \
                     dropped (the call is made again at the next start)",
                    self.index,
                    request.0,
                    RETRY_FOR.as_secs()
                );
            }
        }
        None
    }

    /// A stopped shard: every request waiting and every one still to come is told why, until the
    /// server stops (partner answers stay in the store's outbox for the next start).
    fn refuse_all(&mut self, why: &str) {
        for (_, respond) in std::mem::take(&mut self.pending) {
            let _ = respond.send(Answer::NotDurable(why.to_string()));
        }
        while let Ok(command) = self.commands.recv() {
            if matches!(command, Command::Stop) {
                return;
            }
            refuse(command, why);
        }
    }

    /// Answers an administrative read.
    fn read(&self, read: Read) {
        match read {
            Read::List(respond) => {
                let list = self
                    .engine
                    .instances()
                    .filter_map(|(id, live)| {
                        let overview = self.engine.process(live.process)?.overview(&live.instance, self.engine.now());
                        Some(InstanceSummary { id: id.0, overview })
                    })
                    .chain(self.engine.evicted().filter_map(|(id, process)| {
                        let overview = InstanceOverview {
                            process: self.engine.process(process)?.name().to_string(),
                            status: crate::runtime::InstanceStatus::Running,
                            summary: "idle: in the store, read back on its next message or timer".to_string(),
                            waiting: Vec::new(),
                        };
                        Some(InstanceSummary { id: id.0, overview })
                    }))
                    .collect();
                let _ = respond.send(list);
            }
            Read::Inspect(id, respond) => {
                let _ = respond.send(self.engine.inspect(id));
            }
            Read::Checkpoint(id, respond) => {
                let _ = respond.send(self.engine.checkpoint(id).map(|r| r.map_err(|e| e.to_string())));
            }
        }
    }

    /// Puts instance `id` back to its last committed state (or drops it if none was committed).
    fn reload(&mut self, id: InstanceId) -> Result<(), String> {
        self.engine.remove(id);
        self.router.forget(id);
        let Some(saved) = self.store.load(id.0).map_err(|e| e.to_string())? else { return Ok(()) };
        let process = self
            .engine
            .processes()
            .find(|(_, deployed)| deployed.hash.0 == saved.definition)
            .map(|(process, _)| process)
            .ok_or_else(|| format!("its process `{}` (as it was then) is not deployed", saved.process))?;
        self.engine.restore(process, Some(id), &saved.checkpoint).map_err(|e| e.to_string())?;
        for (process, set, values) in self.engine.correlations_of(id) {
            self.router.publish(&crate::exec::engine::Correlated { instance: id, process, set, values });
        }
        Ok(())
    }

    fn admin(&mut self, admin: Admin, work: &mut Work) {
        if let Admin::Inspect(id, _) | Admin::Checkpoint(id, _) | Admin::Terminate(id, _) = &admin {
            if self.engine.is_evicted(*id) {
                if let Err(why) = self.wake(*id) {
                    tracing::error!("shard {}: instance {id} cannot be read back from the store: {why}", self.index);
                }
            }
        }
        match admin {
            Admin::List(respond) => work.reads.push(Read::List(respond)),
            Admin::Inspect(id, respond) => work.reads.push(Read::Inspect(id, respond)),
            Admin::Checkpoint(id, respond) => work.reads.push(Read::Checkpoint(id, respond)),
            Admin::Restore(process, bytes, respond) => match self.engine.restore(process, None, &bytes) {
                Ok(id) => {
                    // the router learns where its correlation values now lead
                    for (process, set, values) in self.engine.correlations_of(id) {
                        self.router.publish(&crate::exec::engine::Correlated { instance: id, process, set, values });
                    }
                    work.restored.push(id);
                    work.outgoing.push(Outgoing::Restored(respond, id));
                }
                Err(error) => {
                    let _ = respond.send(Err(AdminError::Refused(error.to_string())));
                }
            },
            Admin::Terminate(id, respond) => {
                let terminated = self.engine.terminate(id);
                work.outgoing.push(Outgoing::Terminated(respond, terminated));
            }
        }
    }

    /// Sends this shard's commands.
    pub fn channel() -> (Sender<Command>, Receiver<Command>) {
        std::sync::mpsc::channel()
    }
}

/// What a stopped shard answers: every requester hears why; partner answers stay in the store's
/// outbox for the next start.
fn refuse(command: Command, why: &str) {
    let not_durable = || AdminError::NotDurable(why.to_string());
    match command {
        Command::Request { respond, .. } => drop(respond.send(Answer::NotDurable(why.to_string()))),
        Command::Admin(Admin::List(respond)) => Read::List(respond).refuse(),
        Command::Admin(Admin::Inspect(id, respond)) => Read::Inspect(id, respond).refuse(),
        Command::Admin(Admin::Checkpoint(id, respond)) => Read::Checkpoint(id, respond).refuse(),
        Command::Admin(Admin::Restore(_, _, respond)) => drop(respond.send(Err(not_durable()))),
        Command::Admin(Admin::Terminate(_, respond)) => drop(respond.send(Err(not_durable()))),
        Command::Answer { .. } | Command::Sent { .. } | Command::Stop => {}
    }
}
