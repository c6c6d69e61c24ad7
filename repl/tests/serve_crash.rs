//! Crash recovery: under a bounded load on loopback, `kill -9` the server, restart it on the same
//! store. Every request answered before the kill has its instance, waiting instances carry on when
//! their next message comes, timers still fire, and no call is made twice.

mod support;

use std::time::Duration;

use bpel_tests::notifier::Notifier;

use support::{envelope, eventually, temp_dir, workspace, Server};

const SHOP: &str = "http://example.com/bpel/examples/shop";

/// The long-running example with its timers shortened: payments settle in 1 s, orders without
/// payment are cancelled after 4 s.
fn quick_shop(dir: &std::path::Path) {
    for file in ["long-running.bpel", "shop.wsdl", "notifier.wsdl"] {
        let text = std::fs::read_to_string(workspace().join("examples/long-running").join(file)).unwrap();
        let text = text.replace("'PT1H'", "'PT1S'").replace("'P3D'", "'PT4S'");
        std::fs::write(dir.join(file), text).unwrap();
    }
}

/// The notifier partner (`bpel_tests::notifier`, which records each call with its
/// `Idempotency-Key` and answers 202) and its address for `--partner`.
fn notifier() -> (Notifier, String) {
    notifier_holding(None)
}

fn notifier_holding(hold_first: Option<Duration>) -> (Notifier, String) {
    let notifier = Notifier::start_holding_first(Duration::ZERO, hold_first).expect("notifier starts");
    let partner = format!("notifier={}", notifier.url());
    (notifier, partner)
}

fn place(server: &Server, id: &str) -> u16 {
    let body = envelope(&format!(
        r#"<s:placeOrder xmlns:s="{SHOP}"><s:orderId>{id}</s:orderId><s:customer>C</s:customer><s:amount>5</s:amount></s:placeOrder>"#
    ));
    let answer = server.post("/shop", &format!("{SHOP}/placeOrder"), &body);
    assert!(answer.status != 200 || answer.body.contains(&format!(">{id}<")), "{answer:?}");
    answer.status
}

fn pay(server: &Server, id: &str) -> u16 {
    let body = envelope(&format!(
        r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>{id}</s:orderId><s:paymentReference>R-{id}</s:paymentReference></s:confirmPayment>"#
    ));
    server.post("/shop", &format!("{SHOP}/confirmPayment"), &body).status
}

#[test]
fn instances_survive_kill_9() {
    let dir = temp_dir("crash");
    quick_shop(&dir);
    let store = dir.join("store.redb");
    let (notifier, partner) = notifier();
    let (dir_s, store_s) = (dir.display().to_string(), store.display().to_string());
    let args = [dir_s.as_str(), "--port", "0", "--store", &store_s, "--shards", "2", "--partner", &partner];
    let server = Server::start(&args);

    // bounded load: 12 orders from 3 client threads, each acknowledged
    let ids: Vec<String> = (1..=12).map(|i| format!("o{i}")).collect();
    std::thread::scope(|scope| {
        for chunk in ids.chunks(4) {
            let server = &server;
            scope.spawn(move || {
                for id in chunk {
                    assert_eq!(place(server, id), 200, "order {id} acknowledged");
                }
            });
        }
    });
    for id in &ids[..3] {
        assert_eq!(pay(&server, id), 202, "payment of {id} taken");
    }
    // o1..o3 now settle for a second; o4..o12 wait for their payment
    server.kill();

    let restarted = Server::start(&args);
    assert!(restarted.output().contains("recovered 12 instance(s)"), "{}", restarted.output());
    for id in &ids[3..6] {
        assert_eq!(pay(&restarted, id), 202, "payment of {id} reaches its recovered instance");
    }
    let all_told = eventually(Duration::from_secs(20), || notifier.outcomes_by_order().len() == 12);
    let notices = notifier.outcomes_by_order();
    assert!(all_told, "notices: {notices:?}\nserver:\n{}", restarted.output());
    for (i, id) in ids.iter().enumerate() {
        let expected = if i < 6 { "paid" } else { "cancelled" };
        assert_eq!(notices.get(id), Some(&vec![expected.to_string()]), "order {id}: exactly one `{expected}` notice; all: {notices:?}");
    }
    // every instance has ended: nothing is left in the store for a third start
    drop(restarted);
    let third = Server::start(&args);
    assert!(!third.output().contains("recovered"), "{}", third.output());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--idle-evict`: instances that wait leave memory (the admin list says they are in the store);
/// a payment reads its instance back by correlation, and an instance nobody pays is read back by
/// its timer (due seconds after it left memory) and cancelled; each notice exactly once.
#[test]
fn idle_instances_leave_memory_and_come_back_for_their_message_or_timer() {
    let dir = temp_dir("evict");
    quick_shop(&dir);
    let store = dir.join("store.redb");
    let (notifier, partner) = notifier();
    let (dir_s, store_s) = (dir.display().to_string(), store.display().to_string());
    let args = [
        dir_s.as_str(),
        "--port",
        "0",
        "--store",
        &store_s,
        "--shards",
        "2",
        "--partner",
        &partner,
        "--idle-evict",
        "1",
        "--admin-token",
        "t0k",
    ];
    let server = Server::start(&args);
    let ids: Vec<String> = (1..=6).map(|i| format!("e{i}")).collect();
    for id in &ids {
        assert_eq!(place(&server, id), 200, "order {id} acknowledged");
    }
    let list = |server: &Server| {
        let answer = support::request(server.port, "GET", "/admin/instances", &[("Authorization", "Bearer t0k")], "");
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body
    };
    let all_out = eventually(Duration::from_secs(3), || list(&server).matches("idle: in the store").count() == 6);
    assert!(all_out, "every waiting instance left memory within its idle second and the sweep: {}", list(&server));
    // e1..e3 are paid: each payment reads its instance back; e4..e6 are cancelled by their timers
    for id in &ids[..3] {
        assert_eq!(pay(&server, id), 202, "payment of {id} reaches its evicted instance");
    }
    let all_told = eventually(Duration::from_secs(20), || notifier.outcomes_by_order().len() == 6);
    let told = notifier.outcomes_by_order();
    assert!(all_told, "notices: {told:?}\nserver:\n{}", server.output());
    for (i, id) in ids.iter().enumerate() {
        let expected = if i < 3 { "paid" } else { "cancelled" };
        assert_eq!(told.get(id), Some(&vec![expected.to_string()]), "order {id}: exactly one `{expected}` notice; all: {told:?}");
    }
    let all_ended = eventually(Duration::from_secs(5), || !list(&server).contains("\"id\""));
    assert!(all_ended, "every instance ended: {}", list(&server));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A one-way call is made at least once even when its instance ended in the batch that made it
/// (the notice is the long-running example's last activity): the server is killed while the
/// notifier holds the call; after the restart the call is made again with the same
/// `Idempotency-Key`, so the notifier can tell it is the same call. Instance ids are not given out
/// again after the restart (the ended instance's id is kept in the store), so a new order's call
/// has a key of its own.
#[test]
fn a_call_in_flight_at_a_kill_is_made_again_with_its_key() {
    let dir = temp_dir("crash-key");
    quick_shop(&dir);
    let store = dir.join("store.redb");
    let (notifier, partner) = notifier_holding(Some(Duration::from_secs(30)));
    let deliveries = || notifier.notices().into_iter().map(|n| (n.key, n.order)).collect::<Vec<_>>();
    let (dir_s, store_s) = (dir.display().to_string(), store.display().to_string());
    let args = [dir_s.as_str(), "--port", "0", "--store", &store_s, "--partner", &partner];
    let server = Server::start(&args);
    assert_eq!(place(&server, "k1"), 200);
    assert_eq!(pay(&server, "k1"), 202);
    // a second later the instance calls the notifier and ends; the notifier holds the call
    assert!(eventually(Duration::from_secs(10), || deliveries().len() == 1), "{}", server.output());
    server.kill();

    let restarted = Server::start(&args);
    let again = eventually(Duration::from_secs(10), || deliveries().len() == 2);
    let calls = deliveries();
    assert!(again, "the call was made again after the restart: {calls:?}\n{}", restarted.output());
    let first_key = calls[0].0.clone().expect("the call carries an Idempotency-Key");
    assert_eq!(calls[1], (Some(first_key.clone()), "k1".to_string()), "the same call, the same key");

    assert_eq!(place(&restarted, "k2"), 200);
    assert_eq!(pay(&restarted, "k2"), 202);
    assert!(eventually(Duration::from_secs(10), || deliveries().len() == 3), "{}", restarted.output());
    let calls = deliveries();
    let second_key = calls[2].0.clone().expect("the call carries an Idempotency-Key");
    assert_eq!(calls[2].1, "k2");
    assert_ne!(second_key, first_key, "another instance's call has another key");
    assert_eq!(notifier.outcomes_by_order().get("k1").map(Vec::len), Some(2), "k1's notice delivered twice, with one key");
    let _ = std::fs::remove_dir_all(&dir);
}
