//! The admin restore endpoint of a running server against forged checkpoints: real checkpoints of
//! example instances whose content was changed (bytes, the shared process state, the frames) and
//! whose checksum was made right again. Each answer is a success or a 4xx with the reason, and the
//! server keeps serving: no input reaches a panic in a shard.

#![cfg(feature = "serve")]

mod serve_support;

use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use bpel_engine::checkpoint::{self, checksum, HEADER_LEN};
use bpel_engine::exec::deploy::DeclId;
use bpel_engine::exec::state::{Env, OpenExchange, ProcessState, Race, Waiter};
use bpel_engine::exec::{Deployed, EnvId, Frame, MessageKey};
use bpel_engine::http::server::{start_with_store, Running, ServeConfig};
use bpel_engine::model::process::ActivityId;
use bpel_engine::runtime::{ChannelId, ExchangeId, GroupId, Instance, TaskletId};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serve_support::*;

const ORDER: &str = "http://example.com/bpel/examples/order";

/// A number where the interesting ones are: small (near the real sizes), and the extremes.
fn number() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..12, 1 => Just(u32::MAX), 1 => Just(u32::MAX - 1), 1 => any::<u32>()]
}

/// A change to what the tasklets of an instance share.
#[derive(Clone, Debug)]
enum StateChange {
    EnvDecl(Index, u32),
    EnvParent(Index, u32),
    EnvCompleted(Index, u32),
    EnvScope(Index, u32),
    /// Grow (true) or shrink a scope instance's variables, partner links, correlation sets, links.
    EnvValues(Index, bool),
    EnvPartners(Index, bool),
    EnvCorrelations(Index, bool),
    EnvLinks(Index, bool),
    CorrelationValues(Index, Index, u32),
    LinkChannel(Index, Index, u32, u32),
    Exchange(u64, bool),
    Waiter {
        tasklet: u32,
        activity: u32,
        env: u32,
    },
    Race {
        report: u32,
        group: u32,
        remaining: u32,
    },
    Isolation(u32, u32),
    Deferred {
        group: u32,
        report: u32,
        env: u32,
    },
    Trace(u32),
    DropEnv,
    AddEnv(u32, u32),
}

fn state_change() -> impl Strategy<Value = StateChange> {
    prop_oneof![
        (any::<Index>(), number()).prop_map(|(e, n)| StateChange::EnvDecl(e, n)),
        (any::<Index>(), number()).prop_map(|(e, n)| StateChange::EnvParent(e, n)),
        (any::<Index>(), number()).prop_map(|(e, n)| StateChange::EnvCompleted(e, n)),
        (any::<Index>(), number()).prop_map(|(e, n)| StateChange::EnvScope(e, n)),
        (any::<Index>(), any::<bool>()).prop_map(|(e, g)| StateChange::EnvValues(e, g)),
        (any::<Index>(), any::<bool>()).prop_map(|(e, g)| StateChange::EnvPartners(e, g)),
        (any::<Index>(), any::<bool>()).prop_map(|(e, g)| StateChange::EnvCorrelations(e, g)),
        (any::<Index>(), any::<bool>()).prop_map(|(e, g)| StateChange::EnvLinks(e, g)),
        (any::<Index>(), any::<Index>(), 0u32..4).prop_map(|(e, c, n)| StateChange::CorrelationValues(e, c, n)),
        (any::<Index>(), any::<Index>(), number(), number()).prop_map(|(e, l, s, g)| StateChange::LinkChannel(e, l, s, g)),
        (any::<u64>(), any::<bool>()).prop_map(|(x, known)| StateChange::Exchange(x, known)),
        (number(), number(), number()).prop_map(|(tasklet, activity, env)| StateChange::Waiter { tasklet, activity, env }),
        (number(), number(), number()).prop_map(|(report, group, remaining)| StateChange::Race { report, group, remaining }),
        (number(), number()).prop_map(|(t, c)| StateChange::Isolation(t, c)),
        (number(), number(), number()).prop_map(|(group, report, env)| StateChange::Deferred { group, report, env }),
        number().prop_map(StateChange::Trace),
        Just(StateChange::DropEnv),
        (number(), number()).prop_map(|(d, p)| StateChange::AddEnv(d, p)),
    ]
}

/// How a checkpoint is forged.
#[derive(Clone, Debug)]
enum Forgery {
    /// Bytes of the body changed.
    Bytes(Vec<(Index, u8)>),
    /// The decoded shared state changed, then saved again.
    State(Vec<StateChange>),
    /// One frame's activity or scope instance replaced, or bytes inside its encoding changed.
    Frame { tasklet: Index, frame: Index, activity: Option<u32>, env: Option<u32>, bytes: Vec<(Index, u8)> },
}

fn forgery() -> impl Strategy<Value = Forgery> {
    let bytes = || proptest::collection::vec((any::<Index>(), any::<u8>()), 1..4);
    prop_oneof![
        bytes().prop_map(Forgery::Bytes),
        proptest::collection::vec(state_change(), 1..3).prop_map(Forgery::State),
        (
            any::<Index>(),
            any::<Index>(),
            proptest::option::of(number()),
            proptest::option::of(number()),
            proptest::collection::vec((any::<Index>(), any::<u8>()), 0..3)
        )
            .prop_map(|(tasklet, frame, activity, env, bytes)| Forgery::Frame { tasklet, frame, activity, env, bytes }),
    ]
}

/// Rewrites the checksum of a checkpoint whose body was changed, as a forger would.
fn reseal(bytes: &mut [u8]) {
    let sum = checksum(&[&bytes[..34], &bytes[HEADER_LEN..]]);
    bytes[34..42].copy_from_slice(&sum.to_le_bytes());
}

fn apply(change: &StateChange, instance: &mut Instance<Deployed>) {
    let state = instance.shared_mut();
    match change {
        StateChange::EnvDecl(e, n) => {
            if let Some(env) = env_mut(state, e) {
                env.decl = Some(DeclId(*n))
            }
        }
        StateChange::EnvParent(e, n) => {
            if let Some(env) = env_mut(state, e) {
                env.parent = Some(EnvId(*n))
            }
        }
        StateChange::EnvCompleted(e, n) => {
            if let Some(env) = env_mut(state, e) {
                env.completed.push(EnvId(*n))
            }
        }
        StateChange::EnvScope(e, n) => {
            if let Some(env) = env_mut(state, e) {
                env.scope = Some(ActivityId(*n))
            }
        }
        StateChange::EnvValues(e, grow) => {
            if let Some(env) = env_mut(state, e) {
                resize(&mut env.values, *grow)
            }
        }
        StateChange::EnvPartners(e, grow) => {
            if let Some(env) = env_mut(state, e) {
                resize(&mut env.partners, *grow)
            }
        }
        StateChange::EnvCorrelations(e, grow) => {
            if let Some(env) = env_mut(state, e) {
                resize(&mut env.correlations, *grow)
            }
        }
        StateChange::EnvLinks(e, grow) => {
            if let Some(env) = env_mut(state, e) {
                resize(&mut env.links, *grow)
            }
        }
        StateChange::CorrelationValues(e, c, n) => {
            if let Some(env) = env_mut(state, e) {
                let sets = &mut env.correlations;
                if !sets.is_empty() {
                    let c = c.index(sets.len());
                    sets[c] = Some((0..*n).map(|i| format!("v{i}")).collect());
                }
            }
        }
        StateChange::LinkChannel(e, l, slot, gen) => {
            if let Some(env) = env_mut(state, e) {
                let links = &mut env.links;
                if !links.is_empty() {
                    let l = l.index(links.len());
                    links[l].1 = Some(ChannelId::new(*slot, *gen));
                }
            }
        }
        StateChange::Exchange(x, known) => state.exchanges.push(OpenExchange {
            partner_link: if *known { "customer".into() } else { "nowhere".into() },
            operation: if *known { "placeOrder".into() } else { "nothing".into() },
            message_exchange: None,
            exchange: ExchangeId(*x),
        }),
        StateChange::Waiter { tasklet, activity, env } => state.waiting.push(Waiter {
            tasklet: TaskletId::new(*tasklet, 0),
            activity: ActivityId(*activity),
            key: MessageKey { partner_link: "customer".into(), operation: "confirmPayment".into() },
            env: EnvId(*env),
            sets: vec!["order".into(), "nothing".into()],
        }),
        StateChange::Race { report, group, remaining } => state.races.push(Race {
            report: ChannelId::new(*report, 0),
            group: GroupId::new(*group, 0),
            remaining: *remaining,
            successful_only: remaining % 2 == 0,
        }),
        StateChange::Isolation(t, c) => {
            state.isolation = Some(TaskletId::new(*t, 0));
            state.isolation_waiters = Some(ChannelId::new(*c, 0));
        }
        StateChange::Deferred { group, report, env } => {
            state.deferred_handlers = Some((GroupId::new(*group, 0), ChannelId::new(*report, 0), EnvId(*env)))
        }
        StateChange::Trace(n) => state.trace.push_back(ActivityId(*n)),
        StateChange::DropEnv => drop(state.envs.pop()),
        StateChange::AddEnv(decl, parent) => {
            let mut env = state.envs.iter().rev().find_map(|e| e.clone()).unwrap_or_default();
            env.decl = Some(DeclId(*decl));
            env.parent = Some(EnvId(*parent));
            state.envs.push(Some(env));
        }
    }
}

/// The scope instance in use that `i` picks, if there is any.
fn env_mut<'a>(state: &'a mut ProcessState, i: &Index) -> Option<&'a mut Env> {
    let in_use: Vec<usize> = state.envs.iter().enumerate().filter(|(_, e)| e.is_some()).map(|(n, _)| n).collect();
    if in_use.is_empty() {
        return None;
    }
    state.envs[in_use[i.index(in_use.len())]].as_mut()
}

fn resize<T: Default>(values: &mut Vec<T>, grow: bool) {
    if grow {
        values.push(T::default());
    } else {
        values.pop();
    }
}

/// A forged copy of `original` (a checkpoint of an instance of `deployed`).
fn forge(original: &[u8], deployed: &Deployed, forgery: &Forgery) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match forgery {
        Forgery::Bytes(changes) => {
            let body = bytes.len() - HEADER_LEN;
            for (at, value) in changes {
                bytes[HEADER_LEN + at.index(body)] = *value;
            }
        }
        Forgery::State(changes) => {
            let mut instance = checkpoint::load::<Deployed>(original, deployed.hash).expect("the real checkpoint loads");
            for change in changes {
                apply(change, &mut instance);
            }
            bytes = checkpoint::save(&instance, deployed.hash).expect("a changed state still encodes");
        }
        Forgery::Frame { tasklet, frame, activity, env, bytes: changes } => {
            let instance = checkpoint::load::<Deployed>(original, deployed.hash).expect("the real checkpoint loads");
            let tasklets: Vec<_> = instance.tasklets().filter(|t| !t.frames.is_empty()).collect();
            let frames = tasklets[tasklet.index(tasklets.len())].frames;
            let old = &frames[frame.index(frames.len())];
            let new =
                Frame { activity: activity.map_or(old.activity, ActivityId), env: env.map_or(old.env, EnvId), state: old.state.clone() };
            let old_bytes = postcard::to_stdvec(old).unwrap();
            let mut new_bytes = postcard::to_stdvec(&new).unwrap();
            for (at, value) in changes {
                let i = at.index(new_bytes.len());
                new_bytes[i] = *value;
            }
            // frames are serde data inside the body: the first encoding of this frame is the one
            let at = bytes[HEADER_LEN..]
                .windows(old_bytes.len())
                .position(|w| w == old_bytes.as_slice())
                .expect("the frame's encoding is in the body")
                + HEADER_LEN;
            bytes.splice(at..at + old_bytes.len(), new_bytes);
            let body_len = (bytes.len() - HEADER_LEN) as u64;
            bytes[26..34].copy_from_slice(&body_len.to_le_bytes());
        }
    }
    reseal(&mut bytes);
    bytes
}

/// Whether a forgery certainly names something that is not there (an index past the process's
/// declarations, scope instances, activities, or the instance's tasklets, channels and groups), so
/// that the endpoint must refuse it. `false`: it may or may not fit.
fn names_nothing(forgery: &Forgery, deployed: &Deployed, original: &[u8]) -> bool {
    let instance = checkpoint::load::<Deployed>(original, deployed.hash).expect("the real checkpoint loads");
    let state = instance.shared();
    let envs = state.envs.len() as u32;
    let arena = deployed.process().activities.len() as u32;
    let no_activity = |n: u32| n >= arena && n != u32::MAX;
    let in_use: Vec<&Env> = state.envs.iter().flatten().collect();
    let env_at = |e: &Index| (!in_use.is_empty()).then(|| in_use[e.index(in_use.len())]);
    match forgery {
        Forgery::Bytes(_) => false,
        Forgery::Frame { activity, env, bytes, .. } => {
            bytes.is_empty() && (activity.is_some_and(no_activity) || env.is_some_and(|n| n >= envs))
        }
        Forgery::State(changes) => {
            let [change] = changes.as_slice() else { return false };
            match change {
                StateChange::EnvDecl(_, n) => *n as usize >= deployed.decls.len(),
                StateChange::EnvParent(_, n) | StateChange::EnvCompleted(_, n) => *n >= envs,
                StateChange::EnvScope(_, n) => no_activity(*n),
                StateChange::EnvValues(_, grow)
                | StateChange::EnvPartners(_, grow)
                | StateChange::EnvCorrelations(_, grow)
                | StateChange::EnvLinks(_, grow) => *grow,
                StateChange::CorrelationValues(e, c, n) => env_at(e).is_some_and(|env| {
                    let sets = &deployed.decl(env.decl).correlation_sets;
                    !sets.is_empty() && sets[c.index(sets.len())].properties.len() != *n as usize
                }),
                StateChange::LinkChannel(e, _, slot, gen) => {
                    env_at(e).is_some_and(|env| !env.links.is_empty()) && !instance.has_channel_slot(ChannelId::new(*slot, *gen))
                }
                StateChange::Exchange(_, known) => !known,
                StateChange::Waiter { tasklet, activity, env } => {
                    !instance.has_tasklet_slot(TaskletId::new(*tasklet, 0)) || no_activity(*activity) || *env >= envs
                }
                StateChange::Race { report, group, .. } => {
                    !instance.has_channel_slot(ChannelId::new(*report, 0)) || !instance.has_group_slot(GroupId::new(*group, 0))
                }
                StateChange::Isolation(t, c) => {
                    !instance.has_tasklet_slot(TaskletId::new(*t, 0)) || !instance.has_channel_slot(ChannelId::new(*c, 0))
                }
                StateChange::Deferred { group, report, env } => {
                    !instance.has_group_slot(GroupId::new(*group, 0))
                        || !instance.has_channel_slot(ChannelId::new(*report, 0))
                        || *env >= envs
                }
                StateChange::Trace(n) => no_activity(*n),
                StateChange::AddEnv(decl, parent) => *decl as usize >= deployed.decls.len() || *parent > envs,
                StateChange::DropEnv => false,
            }
        }
    }
}

struct Example {
    process: &'static str,
    deployed: Deployed,
    checkpoint: Vec<u8>,
}

fn serve(dir: &Path, approver: &CountingPartner) -> Running {
    let mut config = ServeConfig::new(dir);
    config.port = 0;
    config.shards = 1;
    config.admin_token = Some(TOKEN.to_string());
    config.partners.insert("approver".into(), format!("http://127.0.0.1:{}/approve", approver.port));
    config.partners.insert("notifier".into(), format!("http://127.0.0.1:{}/notify", approver.port));
    start_with_store(config, Arc::new(FlakyStore::default())).expect("the server starts")
}

fn checkpoint_of(port: u16, id: u64) -> Vec<u8> {
    let answer = admin(port, "GET", &format!("/admin/instances/{id}/checkpoint"), b"");
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.bytes
}

fn new_id(answer: &Response) -> Option<u64> {
    let json: serde_json::Value = serde_json::from_str(&answer.body).ok()?;
    json["restored"].as_u64()
}

/// How the forged checkpoints fared.
#[derive(Default)]
struct Tally {
    restored: AtomicUsize,
    refused: AtomicUsize,
}

/// One forged checkpoint through the endpoint; then the restored instance (if any) is inspected,
/// sent the message it waits for, and terminated; then the server must still take a new order.
fn attempt(port: u16, example: &Example, forgery: &Forgery, order: u32, tally: &Tally) -> Result<(), TestCaseError> {
    let forged = forge(&example.checkpoint, &example.deployed, forgery);
    let answer = admin(port, "POST", &format!("/admin/restore?process={}", example.process), &forged);
    if names_nothing(forgery, &example.deployed, &example.checkpoint) {
        prop_assert!((400..500).contains(&answer.status), "a state that names nothing was not refused: {answer:?}");
    }
    match answer.status {
        200 => {
            tally.restored.fetch_add(1, Ordering::SeqCst);
            let id = new_id(&answer).ok_or_else(|| TestCaseError::fail(format!("no id in {answer:?}")))?;
            let inspect = admin(port, "GET", &format!("/admin/instances/{id}"), b"");
            prop_assert!(matches!(inspect.status, 200 | 404), "inspect: {inspect:?}");
            let list = admin(port, "GET", "/admin/instances", b"");
            prop_assert_eq!(list.status, 200, "list: {:?}", list);
            // the message the original waits for: a forged instance may take it
            let delivered = confirm_payment(port, 7);
            prop_assert!(delivered.status != 0 && delivered.status != 503, "payment: {:?}", delivered);
            let terminated = admin(port, "POST", &format!("/admin/instances/{id}/terminate"), b"");
            prop_assert!(matches!(terminated.status, 200 | 404), "terminate: {terminated:?}");
        }
        400..=499 => {
            tally.refused.fetch_add(1, Ordering::SeqCst);
            let json: serde_json::Value = serde_json::from_str(&answer.body)
                .map_err(|_| TestCaseError::fail(format!("a refusal without a JSON reason: {answer:?}")))?;
            let reason = json["error"].as_str().unwrap_or_default();
            prop_assert!(!reason.is_empty(), "a refusal without a reason: {answer:?}");
        }
        _ => return Err(TestCaseError::fail(format!("neither success nor a 4xx: {answer:?}"))),
    }
    let placed = place_order(port, order);
    prop_assert_eq!(placed.status, 200, "the server no longer serves: {:?}", placed);
    Ok(())
}

#[test]
fn forged_checkpoints_through_the_admin_endpoint_are_refused_or_restored_and_the_server_keeps_serving() {
    let dir = temp_dir("admin-restore");
    for example in ["long-running", "order-approval"] {
        let sub = dir.join(example);
        std::fs::create_dir_all(&sub).unwrap();
        example_into(example, &sub, |text| text);
    }
    // the approver never answers: the order-approval instance keeps waiting for it
    let approver = CountingPartner::answering(String::new());
    approver.hold.store(true, Ordering::SeqCst);
    let server = serve(&dir, &approver);
    let port = server.address.port();

    // real instances: an order waiting for its payment (a pick with an alarm, a correlation set)
    // and a large order waiting for the approver (an invoke inside a scope)
    assert_eq!(place_order(port, 7).status, 200);
    let large = format!(
        r#"<ord:order xmlns:ord="{ORDER}"><ord:id>X-1</ord:id><ord:customer>Max</ord:customer><ord:amount>5000</ord:amount></ord:order>"#
    );
    let client = std::thread::spawn(move || soap(port, "/order-approval", &format!("{ORDER}/submitOrder"), &large));
    assert!(eventually(std::time::Duration::from_secs(10), || approver.count() == 1), "the approver is asked");
    let examples = [
        Example {
            process: "LongRunningOrder",
            deployed: Deployed::load(&dir.join("long-running/long-running.bpel")).unwrap(),
            checkpoint: checkpoint_of(port, 1),
        },
        Example {
            process: "OrderApproval",
            deployed: Deployed::load(&dir.join("order-approval/order-approval.bpel")).unwrap(),
            checkpoint: checkpoint_of(port, 2),
        },
    ];
    // the real checkpoints restore
    for example in &examples {
        let answer = admin(port, "POST", &format!("/admin/restore?process={}", example.process), &example.checkpoint);
        assert_eq!(answer.status, 200, "{answer:?}");
    }

    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let order = AtomicU32::new(100);
    let tally = Tally::default();
    let outcome = runner.run(&(0..examples.len(), forgery()), |(which, forgery)| {
        attempt(port, &examples[which], &forgery, order.fetch_add(1, Ordering::SeqCst), &tally)
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    // both ends are reached: forgeries that still fit run, the others are refused
    let (restored, refused) = (tally.restored.load(Ordering::SeqCst), tally.refused.load(Ordering::SeqCst));
    assert!(restored > 0 && refused > 0, "restored {restored}, refused {refused}");
    let list = admin(port, "GET", "/admin/instances", b"");
    assert_eq!(list.status, 200, "{list:?}");
    drop(client);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
