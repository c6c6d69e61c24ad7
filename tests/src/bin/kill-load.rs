//! The kill -9 harness (issue 16; run by `bench/kill9.sh`): `bpel serve` on
//! examples/long-running (settlement cut from an hour to a second) with its durable store, under
//! load from C connections (each places an order, then pays it), killed with SIGKILL at a random
//! moment, restarted on the same store, K times; then a last start finishes the work.
//!
//!   kill-load BPEL [--kills K] [--connections C] [--seed N]
//!
//! What it holds the server to, and counts:
//! - every acknowledged order (placeOrder answered 200) is there after each restart: its payment,
//!   sent after the restart, is taken (202); one refused is an order lost;
//! - every acknowledged order is told `paid` to the notifier in the end, and no order has two
//!   effects: the notifier (a counting partner on loopback, answering after 20 ms so that calls are
//!   in flight at the kills) tells a repeated call from a new one by the `Idempotency-Key` header
//!   `bpel serve` sends, the same for every attempt of one call;
//! - a request in flight at a kill is not acknowledged: its order may or may not exist, and its
//!   payment is sent again after the restart (then taken or refused; both are fine).
//!
//! Prints the counts; exits 1 when an order was lost, told twice, not told, or told otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bpel_tests::load::{confirm_payment, copy_example, flag_values, harness_main, place_order, whole_number, Connection, Random, Served};
use bpel_tests::notifier::Notifier;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    /// placeOrder sent, no answer (the server was killed).
    PlaceUnanswered,
    /// placeOrder answered 200.
    Placed,
    /// confirmPayment sent, no answer; whether the order was acknowledged before.
    PayUnanswered { acknowledged: bool },
    /// confirmPayment answered 202.
    Paid,
    /// Never placed: the payment after the restart was refused and its placeOrder was never answered.
    NotThere,
    /// Acknowledged, and its payment after a restart refused: the server lost it.
    Lost,
}

#[derive(Default)]
struct Ledger {
    orders: BTreeMap<String, Order>,
    next: u64,
    /// Acknowledged orders whose payment after a restart was refused, with the answer.
    lost: Vec<(String, String)>,
    /// Answers that were neither the expected one nor a broken connection.
    unexpected: Vec<String>,
    acknowledged_requests: u64,
    /// Orders whose placeOrder was never answered (a kill) and whose payment after the restart was taken.
    found_unanswered: u64,
    /// Order → what happened to it besides the expected answers (for the report).
    history: BTreeMap<String, Vec<String>>,
}

impl Ledger {
    /// The orders that still need their payment, and whether each must be taken.
    fn backlog(&self) -> Vec<(String, bool)> {
        self.orders
            .iter()
            .filter_map(|(order, state)| match state {
                Order::Placed => Some((order.clone(), true)),
                Order::PlaceUnanswered | Order::PayUnanswered { .. } => Some((order.clone(), false)),
                Order::Paid | Order::NotThere | Order::Lost => None,
            })
            .collect()
    }
}

struct Options {
    bpel: std::path::PathBuf,
    kills: u32,
    connections: usize,
    seed: u64,
}

fn options() -> Result<Options, String> {
    let usage = "usage: kill-load BPEL [--kills K] [--connections C] [--seed N]";
    let mut args = std::env::args().skip(1);
    let bpel = args.next().ok_or(usage)?.into();
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    let mut options = Options { bpel, kills: 20, connections: 16, seed };
    for (flag, value) in flag_values(args, usage)? {
        match flag.as_str() {
            "--kills" => options.kills = u32::try_from(whole_number(&flag, &value)?).map_err(|_| "--kills is too large".to_string())?,
            "--connections" => options.connections = whole_number(&flag, &value)? as usize,
            "--seed" => options.seed = whole_number(&flag, &value)?,
            _ => return Err(format!("unknown option {flag}\n{usage}")),
        }
    }
    Ok(options)
}

fn main() {
    harness_main("kill-load", options(), run);
}

fn run(options: &Options) -> Result<bool, String> {
    let work = std::env::temp_dir().join(format!("bpel-kill-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let deploy = work.join("deploy");
    copy_example("long-running", &deploy, &[("'PT1H'", "'PT1S'")])?;
    let notifier = Notifier::start(Duration::from_millis(20)).map_err(|e| format!("notifier: {e}"))?;
    let args: Vec<String> = vec![
        deploy.display().to_string(),
        "--port".into(),
        "0".into(),
        "--store".into(),
        work.join("store.redb").display().to_string(),
        "--shards".into(),
        "2".into(),
        "--partner".into(),
        format!("notifier={}", notifier.url()),
    ];
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut random = Random::new(options.seed);
    println!("kill-load: seed {} ({} kills, {} connections)", options.seed, options.kills, options.connections);
    let mut recovered_total = 0usize;
    for round in 1..=options.kills + 1 {
        let last = round == options.kills + 1;
        let log = work.join(format!("server-{round}.log"));
        let mut server = Served::start(&options.bpel, &args, &log, Duration::from_secs(120))?;
        let recovered = recovered_count(&server.output());
        recovered_total += recovered;
        let backlog = lock(&ledger).backlog();
        let backlog_len = backlog.len();
        let backlog = Arc::new(Mutex::new(backlog));
        let started = Instant::now();
        // the last round pays what is left and places nothing new
        let place_new = !last;
        let workers: Vec<_> = (0..options.connections)
            .map(|_| {
                let (address, ledger, backlog) = (server.address.clone(), ledger.clone(), backlog.clone());
                std::thread::spawn(move || drive(&address, &ledger, &backlog, place_new))
            })
            .collect();
        let before = lock(&ledger).acknowledged_requests;
        if last {
            for worker in workers {
                let _ = worker.join();
            }
        } else {
            std::thread::sleep(Duration::from_millis(random.between(200, 2500)));
            server.kill();
            for worker in workers {
                let _ = worker.join();
            }
        }
        let acknowledged = lock(&ledger).acknowledged_requests - before;
        println!(
            "round {round:>2}: recovered {recovered:>4} instance(s); {backlog_len:>4} payment(s) owed; {acknowledged:>5} request(s) acknowledged; {} after {:.2} s",
            if last { "finished" } else { "killed" },
            started.elapsed().as_secs_f64()
        );
        if last {
            // every paid order is told a second later
            let expected: BTreeSet<String> =
                lock(&ledger).orders.iter().filter(|(_, s)| **s == Order::Paid).map(|(o, _)| o.clone()).collect();
            let deadline = Instant::now() + Duration::from_secs(60);
            let all_told = || {
                let tally = notifier.tally();
                expected.iter().all(|o| tally.effects_by_order.contains_key(o))
            };
            while !all_told() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
            std::thread::sleep(Duration::from_secs(2));
            drop(server);
        }
    }
    let ledger = lock(&ledger);
    let tally = notifier.tally();
    let acknowledged: Vec<&String> = ledger
        .orders
        .iter()
        .filter(|(_, s)| matches!(s, Order::Placed | Order::Paid | Order::Lost | Order::PayUnanswered { acknowledged: true }))
        .map(|(o, _)| o)
        .collect();
    let not_told: Vec<&&String> = acknowledged.iter().filter(|o| !tally.effects_by_order.contains_key(**o)).collect();
    let told_twice = tally.orders_with_effects_twice();
    let told_otherwise: Vec<&String> =
        tally.effects_by_order.iter().filter(|(_, outcomes)| outcomes.iter().any(|o| o != "paid")).map(|(o, _)| o).collect();
    println!(
        "orders acknowledged: {}, of which placed without an answer (a kill) and found after the restart: {}",
        acknowledged.len(),
        ledger.found_unanswered
    );
    println!("instances recovered over all restarts: {recovered_total}");
    println!(
        "notifier: {} deliveries, {} effects (distinct idempotency keys), {} repeated deliveries of a call after a restart, {} without a key, {} malformed",
        tally.deliveries, tally.effects, tally.repeated_deliveries, tally.without_key, tally.malformed
    );
    println!("acknowledged orders lost (payment refused after a restart): {}", ledger.lost.len());
    println!("acknowledged orders never told: {}", not_told.len());
    println!("orders with an effect twice: {}", told_twice.len());
    println!("orders told something other than `paid`: {}", told_otherwise.len());
    println!("unexpected answers: {}", ledger.unexpected.len());
    for (order, answer) in ledger.lost.iter().take(5) {
        println!("  lost {order}: {answer}");
    }
    for order in not_told.iter().take(5) {
        println!("  never told {order}: {:?}", ledger.history.get(**order));
    }
    for order in told_twice.iter().take(5) {
        println!("  told twice {order}: {:?}", tally.effects_by_order.get(*order));
    }
    for answer in ledger.unexpected.iter().take(5) {
        println!("  unexpected: {answer}");
    }
    let fine = ledger.lost.is_empty()
        && not_told.is_empty()
        && told_twice.is_empty()
        && told_otherwise.is_empty()
        && ledger.unexpected.is_empty()
        && tally.without_key == 0
        && tally.malformed == 0;
    println!("{}", if fine { "PASS" } else { "FAIL" });
    if fine {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("server logs: {}", work.display());
    }
    Ok(fine)
}

fn lock(ledger: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `recovered N instance(s)` in the server's output.
fn recovered_count(output: &str) -> usize {
    output.split("recovered ").nth(1).and_then(|rest| rest.split_whitespace().next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// One connection: first the payments owed from before the restart, then (unless `place_new`
/// is false) new orders, each placed and paid, until the server goes away.
fn drive(address: &str, ledger: &Mutex<Ledger>, backlog: &Mutex<Vec<(String, bool)>>, place_new: bool) {
    let Ok(mut connection) = Connection::open(address, Duration::from_secs(30)) else { return };
    loop {
        let owed = backlog.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        if let Some((order, must_be_taken)) = owed {
            if !pay(&mut connection, ledger, &order, must_be_taken) {
                return;
            }
            continue;
        }
        if !place_new {
            return;
        }
        let order = {
            let mut ledger = lock(ledger);
            ledger.next += 1;
            let order = format!("k{}", ledger.next);
            ledger.orders.insert(order.clone(), Order::PlaceUnanswered);
            order
        };
        match connection.post("/shop", &place_order(&order)) {
            Ok(answer) if answer.status == 200 && answer.body.contains(&format!(">{order}<")) => {
                let mut ledger = lock(ledger);
                ledger.orders.insert(order.clone(), Order::Placed);
                ledger.acknowledged_requests += 1;
            }
            Ok(answer) => {
                let mut ledger = lock(ledger);
                ledger.orders.insert(order.clone(), Order::NotThere);
                ledger.unexpected.push(format!("placeOrder {order}: HTTP {} {}", answer.status, answer.body));
                continue;
            }
            Err(_) => return,
        }
        if !pay(&mut connection, ledger, &order, true) {
            return;
        }
    }
}

/// Sends the payment of `order`; false when the connection broke (the server was killed).
fn pay(connection: &mut Connection, ledger: &Mutex<Ledger>, order: &str, must_be_taken: bool) -> bool {
    let acknowledged = {
        let mut ledger = lock(ledger);
        let acknowledged = matches!(ledger.orders.get(order), Some(Order::Placed | Order::PayUnanswered { acknowledged: true }));
        ledger.orders.insert(order.to_string(), Order::PayUnanswered { acknowledged });
        acknowledged
    };
    match connection.post("/shop", &confirm_payment(order)) {
        Ok(answer) if answer.status == 202 => {
            let mut ledger = lock(ledger);
            if ledger.orders.get(order) == Some(&Order::PayUnanswered { acknowledged: false }) && !must_be_taken {
                ledger.found_unanswered += 1;
            }
            ledger.orders.insert(order.to_string(), Order::Paid);
            ledger.acknowledged_requests += 1;
            true
        }
        Ok(answer) => {
            let mut ledger = lock(ledger);
            if must_be_taken {
                ledger.lost.push((order.to_string(), format!("HTTP {} {}", answer.status, answer.body)));
                ledger.orders.insert(order.to_string(), Order::Lost);
            } else if acknowledged {
                ledger
                    .history
                    .entry(order.to_string())
                    .or_default()
                    .push(format!("payment again refused: HTTP {} {}", answer.status, answer.body));
                // its payment, unanswered before the kill, was taken then: the notice will tell
                ledger.orders.insert(order.to_string(), Order::Paid);
            } else {
                ledger.orders.insert(order.to_string(), Order::NotThere);
            }
            true
        }
        Err(_) => {
            lock(ledger).history.entry(order.to_string()).or_default().push("payment unanswered".into());
            false
        }
    }
}
