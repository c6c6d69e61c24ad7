//! The REPL and the outside world: its checkpoints go to `bpel serve`'s admin restore and finish
//! there, `serve`'s checkpoints load in the REPL, and `mock LINK.OP forward URL` calls a real
//! partner over HTTP/SOAP. Real processes, real loopback sockets.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use support::{envelope, eventually, request, request_bytes, temp_dir, workspace, Server};

const SHOP: &str = "http://example.com/bpel/examples/shop";
const APPROVER: &str = "http://example.com/bpel/examples/approver";

/// A partner on a loopback port: hands each request's body to the test, answers with `answer`.
fn partner(answer: String) -> (u16, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, rx)
}

fn repl_script(name: &str, paths: &[&str], commands: &str) -> (Option<i32>, String) {
    let file = temp_dir(&format!("repl-serve-{name}")).join("session");
    std::fs::write(&file, commands).unwrap();
    let mut args = vec!["repl"];
    args.extend_from_slice(paths);
    args.extend(["--script", file.to_str().unwrap()]);
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).current_dir(workspace()).args(&args).output().expect("run bpel repl");
    let text = format!("{}\nstderr:\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

fn place_order(id: u32) -> String {
    format!(
        r#"<shop:placeOrder xmlns:shop="{SHOP}"><shop:orderId>{id}</shop:orderId><shop:customer>Ada</shop:customer><shop:amount>99.50</shop:amount></shop:placeOrder>"#
    )
}

fn confirm_payment(id: u32, reference: &str) -> String {
    format!(
        r#"<shop:confirmPayment xmlns:shop="{SHOP}"><shop:orderId>{id}</shop:orderId><shop:paymentReference>{reference}</shop:paymentReference></shop:confirmPayment>"#
    )
}

#[test]
fn a_checkpoint_saved_in_the_repl_finishes_in_serve() {
    let ckpt = temp_dir("repl-to-serve").join("paid.ckpt");
    // paid in the REPL: the instance waits out the payment's settling hour (on the virtual clock)
    let (code, out) = repl_script(
        "save",
        &["examples/long-running"],
        &format!(
            "send customer.placeOrder {}\nsend customer.confirmPayment {}\nsave {}\n",
            place_order(42),
            confirm_payment(42, "PAY-7"),
            ckpt.display()
        ),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("waiting: timer at 2026-01-01T01:00:00Z"), "{out}");

    let (notifier, calls) = partner(String::new());
    let address = format!("notifier=http://127.0.0.1:{notifier}/notify");
    let examples = workspace().join("examples/long-running");
    let server =
        Server::start(&[examples.to_str().unwrap(), "--port", "0", "--in-memory", "--admin-token", "t0ken", "--partner", &address]);
    let auth = [("Authorization", "Bearer t0ken")];
    let bytes = std::fs::read(&ckpt).unwrap();
    let restored = request_bytes(server.port, "POST", "/admin/restore?process=LongRunningOrder", &auth, &bytes);
    assert_eq!(restored.status, 200, "{restored:?}\n{}", server.output());
    let id = serde_json::from_str::<serde_json::Value>(&restored.body).unwrap()["restored"].as_u64().unwrap();

    // by serve's clock the hour is long over: the notifier hears that order 42 was paid
    let call = calls.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no notifier call:\n{}", server.output()));
    assert!(call.contains("<ntf:outcome>paid</ntf:outcome>") || call.contains(">paid<"), "{call}");
    assert!(call.contains("payment PAY-7"), "{call}");
    assert!(call.contains(">42<"), "{call}");
    let finished =
        eventually(Duration::from_secs(20), || request(server.port, "GET", &format!("/admin/instances/{id}"), &auth, "").status == 404);
    assert!(finished, "the instance ended and left serve:\n{}", server.output());
}

#[test]
fn a_checkpoint_taken_from_serve_loads_in_the_repl() {
    let examples = workspace().join("examples/long-running");
    let server = Server::start(&[examples.to_str().unwrap(), "--port", "0", "--in-memory", "--admin-token", "t0ken"]);
    let auth = [("Authorization", "Bearer t0ken")];
    let placed = server.post("/shop", &format!("{SHOP}/placeOrder"), &envelope(&place_order(42)));
    assert_eq!(placed.status, 200, "{placed:?}");
    let list = request(server.port, "GET", "/admin/instances", &auth, "");
    let instances: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let id = instances[0]["id"].as_u64().unwrap_or_else(|| panic!("an instance: {list:?}"));
    let checkpoint = request(server.port, "GET", &format!("/admin/instances/{id}/checkpoint"), &auth, "");
    assert_eq!(checkpoint.status, 200, "{checkpoint:?}");
    let ckpt = temp_dir("serve-to-repl").join("served.ckpt");
    std::fs::write(&ckpt, &checkpoint.bytes).unwrap();

    let (code, out) = repl_script(
        "restore",
        &["examples/long-running"],
        &format!("restore {}\nreceives\nsend customer.confirmPayment {}\nadvance PT1H\n", ckpt.display(), confirm_payment(42, "PAY-8")),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("restored #1, an instance of LongRunningOrder"), "{out}");
    assert!(out.contains("clock: ") && out.contains("(moved to the instance's time)"), "{out}");
    assert!(out.contains("message on customer.confirmPayment (orderId=42)"), "{out}");
    assert!(out.contains("customer.confirmPayment reached #1 of LongRunningOrder (by correlation)"), "{out}");
    assert!(out.contains("→ notifier.orderClosed (one-way) from #1"), "{out}");
    assert!(out.contains("<ntf:outcome>paid</ntf:outcome><ntf:detail>payment PAY-8</ntf:detail>"), "{out}");
    assert!(out.contains("#1 LongRunningOrder: completed"), "{out}");
}

#[test]
fn mock_forward_calls_the_partner_over_http() {
    let answer = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><apr:approval xmlns:apr="{APPROVER}"><apr:orderId>B-2</apr:orderId><apr:approvedBy>Eve</apr:approvedBy></apr:approval></soapenv:Body></soapenv:Envelope>"#
    );
    let (port, calls) = partner(answer);
    let (code, out) = repl_script(
        "forward",
        &["examples/order-approval"],
        &format!(
            "mock approver.approve forward http://127.0.0.1:{port}/approve\nmock\nsend client.submitOrder <ord:order xmlns:ord=\"http://example.com/bpel/examples/order\"><ord:id>B-2</ord:id><ord:customer>Brian</ord:customer><ord:amount>5000</ord:amount></ord:order>\nmock approver.approve forward ftp://nowhere\n"
        ),
    );
    assert_eq!(code, Some(1), "the ftp URL is refused: {out}");
    assert!(out.contains("line 4: error: `ftp://nowhere` is not a URL the engine's client can call"), "{out}");
    let request = calls.recv_timeout(Duration::from_secs(5)).expect("the partner was called");
    assert!(request.contains("Envelope") && request.contains(">B-2<") && request.contains(">5000<"), "{request}");
    assert!(out.contains(&format!("approver.approve: answered by http://127.0.0.1:{port}/approve")), "{out}");
    assert!(out.contains("← approver.approve answers #1 (mock): <"), "{out}");
    assert!(out.contains("approved by Eve"), "{out}");
    assert!(out.contains("#1 OrderApproval: completed"), "{out}");
}
