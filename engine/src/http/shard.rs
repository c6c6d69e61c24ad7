//! A shard: a worker thread that owns an [`Engine`] and its instances outright (no lock on instance
//! state). It takes commands in batches; after each batch it commits what changed to the store
//! (one transaction: group commit), and only then answers requests and calls partners, so nothing
//! leaves the process before it is durable.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::router::Router;
use crate::exec::inspect::{InstanceOverview, InstanceReport};
use crate::exec::{Engine, InstanceId, Invocation, ProcessId, RequestId};
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
}

/// Administration.
pub enum Admin {
    List(oneshot::Sender<Vec<InstanceSummary>>),
    Inspect(InstanceId, oneshot::Sender<Option<InstanceReport>>),
    Checkpoint(InstanceId, oneshot::Sender<Option<Result<Vec<u8>, String>>>),
    Restore(ProcessId, Vec<u8>, oneshot::Sender<Result<InstanceId, String>>),
    Terminate(InstanceId, oneshot::Sender<bool>),
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
}

/// At most this many commands make one batch (one store commit).
const BATCH: usize = 1024;

/// Above this many requests waiting for a reply, those whose client is gone are forgotten.
const PENDING_SWEEP: usize = 4096;

impl Shard {
    pub fn new(
        index: usize,
        engine: Engine,
        commands: Receiver<Command>,
        store: Arc<dyn Store>,
        router: Arc<Router>,
        partners: Arc<dyn Partners>,
    ) -> Shard {
        Shard { index, engine, commands, store, router, partners, pending: BTreeMap::new() }
    }

    /// Runs until [`Command::Stop`] or until every sender is gone.
    pub fn run(mut self) {
        loop {
            let now = SystemClock.now();
            let wait = match self.engine.next_timer() {
                Some(due) => Duration::from_millis((due.0 - now.0).clamp(0, 3_600_000) as u64),
                None => Duration::from_secs(3600),
            };
            let mut commands = Vec::new();
            match self.commands.recv_timeout(wait) {
                Ok(command) => commands.push(command),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while commands.len() < BATCH {
                match self.commands.try_recv() {
                    Ok(command) => commands.push(command),
                    Err(_) => break,
                }
            }
            if !self.batch(commands) {
                return;
            }
        }
    }

    /// One batch: apply, commit, then let the effects out. False when asked to stop.
    fn batch(&mut self, commands: Vec<Command>) -> bool {
        self.engine.advance_to(SystemClock.now());
        let mut responses: Vec<(oneshot::Sender<Answer>, Answer)> = Vec::new();
        let mut batch = Batch::default();
        let mut go_on = true;
        for command in commands {
            match command {
                Command::Request { process, partner_link, operation, body, respond } => {
                    let one_way = self
                        .engine
                        .process(process)
                        .and_then(|d| crate::exec::messages::operation(d, &partner_link, &operation, true))
                        .is_some_and(|op| op.output.is_none());
                    match self.engine.send(process, &partner_link, &operation, &body) {
                        Ok((_, exchange)) if !one_way => {
                            self.pending.insert(exchange, respond);
                        }
                        Ok(_) => responses.push((respond, Answer::Accepted)),
                        Err(error) => responses.push((respond, Answer::Refused(error.to_string()))),
                    }
                }
                Command::Answer { instance, request, result } => {
                    self.engine.answer(instance, request, result);
                    batch.calls_answered.push((instance.0, request.0));
                }
                Command::Sent { instance, request } => batch.calls_answered.push((instance.0, request.0)),
                Command::Admin(admin) => self.admin(admin, &mut batch),
                Command::Stop => go_on = false,
            }
        }
        for reply in self.engine.drain_replies() {
            if let Some(respond) = self.pending.remove(&reply.exchange) {
                responses.push((respond, Answer::Reply(reply.result)));
            }
        }
        if self.pending.len() > PENDING_SWEEP {
            // requests whose client gave up (timed out, hung up) wait for nothing
            self.pending.retain(|_, respond| !respond.is_closed());
        }
        let calls = self.engine.drain_invocations();
        let durable = self.store.durable();
        for id in self.engine.drain_touched() {
            match self.engine.instance(id) {
                Some(live) if durable => {
                    let Some(deployed) = self.engine.process(live.process) else { continue };
                    match crate::checkpoint::save(&live.instance, deployed.hash) {
                        Ok(checkpoint) => batch.save.push(SavedInstance {
                            id: id.0,
                            process: deployed.name().to_string(),
                            definition: deployed.hash.0,
                            checkpoint,
                        }),
                        Err(error) => eprintln!("shard {}: instance {id} cannot be saved: {error}", self.index),
                    }
                }
                Some(_) => {}
                None => {
                    batch.delete.push(id.0);
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
                    Ok(bytes) => batch.calls_made.push(SavedCall { instance: call.instance.0, request: call.request.0, call: bytes }),
                    Err(error) => eprintln!("shard {}: a call of instance {} cannot be saved: {error}", self.index, call.instance),
                }
            }
            if let Err(error) = self.store.commit(&batch) {
                // nothing of this batch may leave: the caller hears why
                eprintln!("shard {}: {error}", self.index);
                for (respond, _) in responses {
                    let _ = respond.send(Answer::Refused(format!("the instance store failed: {error}")));
                }
                return go_on;
            }
        }
        for (respond, answer) in responses {
            let _ = respond.send(answer);
        }
        for call in calls {
            self.partners.call(self.index, call);
        }
        go_on
    }

    fn admin(&mut self, admin: Admin, batch: &mut Batch) {
        match admin {
            Admin::List(respond) => {
                let list = self
                    .engine
                    .instances()
                    .filter_map(|(id, live)| {
                        let overview = self.engine.process(live.process)?.overview(&live.instance, self.engine.now());
                        Some(InstanceSummary { id: id.0, overview })
                    })
                    .collect();
                let _ = respond.send(list);
            }
            Admin::Inspect(id, respond) => {
                let _ = respond.send(self.engine.inspect(id));
            }
            Admin::Checkpoint(id, respond) => {
                let _ = respond.send(self.engine.checkpoint(id).map(|r| r.map_err(|e| e.to_string())));
            }
            Admin::Restore(process, bytes, respond) => {
                let restored = self.engine.restore(process, None, &bytes);
                if let Ok(id) = restored {
                    // the router learns where its correlation values now lead
                    for (process, set, values) in self.engine.correlations_of(id) {
                        self.router.publish(&crate::exec::engine::Correlated { instance: id, process, set, values });
                    }
                }
                let _ = respond.send(restored.map_err(|e| e.to_string()));
            }
            Admin::Terminate(id, respond) => {
                let terminated = self.engine.terminate(id);
                if terminated {
                    batch.delete.push(id.0);
                }
                let _ = respond.send(terminated);
            }
        }
    }

    /// Sends this shard's commands.
    pub fn channel() -> (Sender<Command>, Receiver<Command>) {
        std::sync::mpsc::channel()
    }
}
