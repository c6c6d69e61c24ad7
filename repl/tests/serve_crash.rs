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

/// The notifier partner: records each notice (order id → outcomes) and answers 202.
/// Order id → the outcomes the notifier was told, in order.
type Notices = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

fn notifier() -> (u16, Notices) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let notices = Arc::new(Mutex::new(BTreeMap::<String, Vec<String>>::new()));
    let seen = notices.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
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
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&data).into_owned();
            let field =
                |name: &str| text.split(&format!("{name}>")).nth(1).and_then(|rest| rest.split('<').next()).unwrap_or("").to_string();
            seen.lock().unwrap().entry(field("orderId")).or_default().push(field("outcome"));
            let _ = stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, notices)
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
