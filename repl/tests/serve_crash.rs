//! Crash recovery: under a bounded load on loopback, `kill -9` the server, restart it on the same
//! store. Every request answered before the kill has its instance, waiting instances carry on when
//! their next message comes, timers still fire, and no call is made twice.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// Order id → the outcomes the notifier was told, in order.
type Notices = Arc<Mutex<BTreeMap<String, Vec<String>>>>;
/// Every call the notifier received: its `Idempotency-Key` header and its order id.
type Deliveries = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// The notifier partner: records each call (and each notice: order id → outcomes) and answers 202;
/// with `hold_first`, the first call is answered only that long after it arrived (each connection
/// has a thread of its own, so the others are not held).
fn notifier_holding(hold_first: Option<Duration>) -> (u16, Notices, Deliveries) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let notices = Notices::default();
    let deliveries = Deliveries::default();
    let (seen, delivered) = (notices.clone(), deliveries.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (seen, delivered) = (seen.clone(), delivered.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut data = Vec::new();
                let mut buffer = [0u8; 8192];
                // read the head, then as much body as Content-Length says
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    data.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&data);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = header(head, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&data).into_owned();
                let field =
                    |name: &str| text.split(&format!("{name}>")).nth(1).and_then(|rest| rest.split('<').next()).unwrap_or("").to_string();
                let key = text.split_once("\r\n\r\n").and_then(|(head, _)| header(head, "idempotency-key"));
                let first = {
                    let mut delivered = delivered.lock().unwrap();
                    delivered.push((key, field("orderId")));
                    delivered.len() == 1
                };
                seen.lock().unwrap().entry(field("orderId")).or_default().push(field("outcome"));
                if let (true, Some(hold)) = (first, hold_first) {
                    std::thread::sleep(hold);
                }
                let _ = stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            });
        }
    });
    (port, notices, deliveries)
}

fn notifier() -> (u16, Notices) {
    let (port, notices, _) = notifier_holding(None);
    (port, notices)
}

/// The value of header `name` (lower case) in an HTTP head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_string())
    })
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
    let (notifier_port, notices) = notifier();
    let partner = format!("notifier=http://127.0.0.1:{notifier_port}/notifier");
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
    let all_told = eventually(Duration::from_secs(20), || notices.lock().unwrap().len() == 12);
    let notices = notices.lock().unwrap().clone();
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
    let (notifier_port, notices) = notifier();
    let partner = format!("notifier=http://127.0.0.1:{notifier_port}/notifier");
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
    let all_told = eventually(Duration::from_secs(20), || notices.lock().unwrap().len() == 6);
    let told = notices.lock().unwrap().clone();
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
    let (notifier_port, notices, deliveries) = notifier_holding(Some(Duration::from_secs(30)));
    let partner = format!("notifier=http://127.0.0.1:{notifier_port}/notifier");
    let (dir_s, store_s) = (dir.display().to_string(), store.display().to_string());
    let args = [dir_s.as_str(), "--port", "0", "--store", &store_s, "--partner", &partner];
    let server = Server::start(&args);
    assert_eq!(place(&server, "k1"), 200);
    assert_eq!(pay(&server, "k1"), 202);
    // a second later the instance calls the notifier and ends; the notifier holds the call
    assert!(eventually(Duration::from_secs(10), || deliveries.lock().unwrap().len() == 1), "{}", server.output());
    server.kill();

    let restarted = Server::start(&args);
    let again = eventually(Duration::from_secs(10), || deliveries.lock().unwrap().len() == 2);
    let calls = deliveries.lock().unwrap().clone();
    assert!(again, "the call was made again after the restart: {calls:?}\n{}", restarted.output());
    let first_key = calls[0].0.clone().expect("the call carries an Idempotency-Key");
    assert_eq!(calls[1], (Some(first_key.clone()), "k1".to_string()), "the same call, the same key");

    assert_eq!(place(&restarted, "k2"), 200);
    assert_eq!(pay(&restarted, "k2"), 202);
    assert!(eventually(Duration::from_secs(10), || deliveries.lock().unwrap().len() == 3), "{}", restarted.output());
    let calls = deliveries.lock().unwrap().clone();
    let second_key = calls[2].0.clone().expect("the call carries an Idempotency-Key");
    assert_eq!(calls[2].1, "k2");
    assert_ne!(second_key, first_key, "another instance's call has another key");
    assert_eq!(notices.lock().unwrap().get("k1").map(Vec::len), Some(2), "k1's notice delivered twice, with one key");
    let _ = std::fs::remove_dir_all(&dir);
}
