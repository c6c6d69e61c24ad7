//! Partners that misbehave: each way a partner can fail gives the process a fault it can catch,
//! within a bounded time, and the server keeps serving.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::{envelope, temp_dir, workspace, Server};

/// The order-approval example with a catchAll in its approval scope that replies `rejected` with
/// the fault's name as the comment (so the client sees which fault the process caught).
fn catching_order_approval(dir: &std::path::Path) {
    for file in ["order-approval.bpel", "order.wsdl", "approver.wsdl"] {
        let mut text = std::fs::read_to_string(workspace().join("examples/order-approval").join(file)).unwrap();
        if file.ends_with(".bpel") {
            let catch_all = r#"
                <catchAll>
                    <sequence>
                        <assign>
                            <copy><from>'rejected'</from><to>$orderResult.result/ord:status</to></copy>
                            <copy><from>'caught a partner fault'</from><to>$orderResult.result/ord:comment</to></copy>
                        </assign>
                        <reply partnerLink="client" portType="ord:OrderPortType" operation="submitOrder" variable="orderResult"/>
                    </sequence>
                </catchAll>
            </faultHandlers>"#;
            text = text.replacen("</faultHandlers>", catch_all, 1);
        }
        std::fs::write(dir.join(file), text).unwrap();
    }
}

/// A fake partner answering every request the same raw way (`None`: never answers).
fn fake_partner(answer: Option<&'static str>) -> u16 {
    match answer {
        Some(raw) => raw_partner(raw, false),
        None => raw_partner("", true),
    }
}

/// A fake partner that starts its answer (`begun`) and then says nothing more, holding the connection.
fn stalling_partner(begun: &'static str) -> u16 {
    raw_partner(begun, true)
}

/// A fake partner: reads each request, writes `answer`, then lets the connection close or, with
/// `hold`, keeps it open and says nothing more.
fn raw_partner(answer: &'static str, hold: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buffer = [0u8; 65536];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(answer.as_bytes());
            let _ = stream.flush();
            if hold {
                held.push(stream);
            }
        }
    });
    port
}

fn http(status: &str, body: &str) -> &'static str {
    Box::leak(
        format!("HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .into_boxed_str(),
    )
}

const LARGE_ORDER: &str = r#"<ord:order xmlns:ord="http://example.com/bpel/examples/order"><ord:id>X-1</ord:id><ord:customer>Max</ord:customer><ord:amount>5000</ord:amount></ord:order>"#;

#[test]
fn every_partner_failure_is_a_fault_the_process_catches() {
    let dir = temp_dir("partners");
    catching_order_approval(&dir);
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases: Vec<(&str, String)> = vec![
        ("connection refused", format!("http://127.0.0.1:{closed_port}/approve")),
        ("unresolvable host", "http://no-such-host.invalid/approve".to_string()),
        ("not a URL", "approver-somewhere".to_string()),
        ("HTTP 301", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("301 Moved Permanently", ""))))),
        ("HTTP 404", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("404 Not Found", "no"))))),
        ("HTTP 503", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("503 Service Unavailable", "busy"))))),
        ("empty body", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("200 OK", ""))))),
        ("malformed body", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("200 OK", "<soapenv:Envelope><oops"))))),
        ("not SOAP", format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("200 OK", "<html><body>hello</body></html>"))))),
        (
            "a reply that does not fit the WSDL",
            format!("http://127.0.0.1:{}/approve", fake_partner(Some(http("200 OK", &envelope("<x:somethingElse xmlns:x='urn:x'/>"))))),
        ),
        ("never answers", format!("http://127.0.0.1:{}/approve", fake_partner(None))),
        (
            "a reply not valid against the schema (invalidVariables)",
            format!(
                "http://127.0.0.1:{}/approve",
                fake_partner(Some(http(
                    "200 OK",
                    &envelope("<a:approval xmlns:a='http://example.com/bpel/examples/approver'><a:orderId>X-1</a:orderId></a:approval>")
                )))
            ),
        ),
    ];
    let dir_s = dir.display().to_string();
    for (what, address) in cases {
        let partner = format!("approver={address}");
        let server = Server::start(&[&dir_s, "--port", "0", "--in-memory", "--invoke-timeout", "2", "--partner", &partner]);
        let started = Instant::now();
        let answer = server.post("/order-approval", "http://example.com/bpel/examples/order/submitOrder", &envelope(LARGE_ORDER));
        let took = started.elapsed();
        assert_eq!(answer.status, 200, "{what}: {answer:?}\n{}", server.output());
        assert!(answer.body.contains("caught a partner fault"), "{what}: the process's catchAll ran: {answer:?}");
        assert!(took < Duration::from_secs(10), "{what}: answered in {took:?}");
        // and the server still serves
        let small = LARGE_ORDER.replace("5000", "10").replace("X-1", "X-2");
        let answer = server.post("/order-approval", "http://example.com/bpel/examples/order/submitOrder", &envelope(&small));
        assert!(answer.status == 200 && answer.body.contains(">approved<"), "{what}: then {answer:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without a handler, the partner's failure is the process's fault, and the client gets it as a
/// SOAP fault naming it.
#[test]
fn an_uncaught_partner_failure_reaches_the_client_as_a_soap_fault() {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let examples = workspace().join("examples").display().to_string();
    let partner = format!("approver=http://127.0.0.1:{closed_port}/approve");
    let server = Server::start(&[&examples, "--port", "0", "--in-memory", "--partner", &partner]);
    let answer = server.post("/order-approval", "http://example.com/bpel/examples/order/submitOrder", &envelope(LARGE_ORDER));
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("unreachable") && answer.body.contains("urn:bpel:engine:partner"), "{answer:?}");
}

/// ODE's deploy.xml beside the process picks the WSDL port a partner link invokes.
#[test]
fn deploy_xml_chooses_the_partner_port() {
    let dir = temp_dir("deploy-xml");
    for file in ["order-approval.bpel", "order.wsdl"] {
        std::fs::copy(workspace().join("examples/order-approval").join(file), dir.join(file)).unwrap();
    }
    // a partner that approves everything, on a second port of the approver's WSDL service
    let approval = envelope(
        r#"<apr:approval xmlns:apr="http://example.com/bpel/examples/approver"><apr:orderId>X-1</apr:orderId><apr:approvedBy>deploy.xml</apr:approvedBy></apr:approval>"#,
    );
    let port = fake_partner(Some(http("200 OK", &approval)));
    let wsdl = std::fs::read_to_string(workspace().join("examples/order-approval/approver.wsdl")).unwrap().replace(
        "    </wsdl:service>",
        &format!(
            "        <wsdl:port name=\"LocalPort\" binding=\"tns:ApproverBinding\">\n            <soap:address location=\"http://127.0.0.1:{port}/approve\"/>\n        </wsdl:port>\n    </wsdl:service>"
        ),
    );
    std::fs::write(dir.join("approver.wsdl"), wsdl).unwrap();
    std::fs::write(
        dir.join("deploy.xml"),
        r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:p="http://example.com/bpel/examples/order-approval/process" xmlns:apr="http://example.com/bpel/examples/approver">
  <process name="p:OrderApproval">
    <invoke partnerLink="approver"><service name="apr:ApproverService" port="LocalPort"/></invoke>
  </process>
</deploy>"#,
    )
    .unwrap();
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory", "--invoke-timeout", "5"]);
    let answer = server.post("/order-approval", "http://example.com/bpel/examples/order/submitOrder", &envelope(LARGE_ORDER));
    assert_eq!(answer.status, 200, "{answer:?}\n{}", server.output());
    assert!(answer.body.contains("approved by deploy.xml"), "{answer:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A partner that sends half its answer and stalls is a `timeout` fault after the partner link's own
/// timeout (`--partner-timeout`), which the process catches; one that says nothing at all, after the
/// default of 10 s: well before the caller's request gives up (60 s), so the caller gets the
/// process's answer, not a timeout of its own.
#[test]
fn partner_timeouts_per_partner_link_and_by_default() {
    let dir = temp_dir("partner-timeouts");
    catching_order_approval(&dir);
    let dir_s = dir.display().to_string();
    let reply = envelope(r#"<apr:approval xmlns:apr="http://example.com/bpel/examples/approver"><apr:orderId>X-1</apr:orderId>"#);
    let half = Box::leak(
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{reply}", reply.len() * 2).into_boxed_str(),
    );
    let cases = [
        ("half an answer, then nothing", stalling_partner(half), vec!["--partner-timeout", "approver=2"], 2),
        (
            "headers only, then nothing",
            stalling_partner("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n"),
            vec!["--partner-timeout", "approver=2"],
            2,
        ),
        ("nothing at all, default timeout", fake_partner(None), vec![], 10),
    ];
    for (what, port, flags, seconds) in cases {
        let partner = format!("approver=http://127.0.0.1:{port}/approve");
        let mut args = vec![dir_s.as_str(), "--port", "0", "--in-memory", "--partner", &partner];
        args.extend(flags);
        let server = Server::start(&args);
        let started = Instant::now();
        let answer = server.post("/order-approval", "http://example.com/bpel/examples/order/submitOrder", &envelope(LARGE_ORDER));
        let took = started.elapsed();
        assert_eq!(answer.status, 200, "{what}: {answer:?}\n{}", server.output());
        assert!(answer.body.contains("caught a partner fault"), "{what}: the process's catchAll ran: {answer:?}");
        let expected = Duration::from_secs(seconds);
        assert!(took >= expected && took < expected + Duration::from_secs(5), "{what}: answered after {took:?}, expected {expected:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_partner_timeout_is_a_usage_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bpel"))
        .args(["serve", ".", "--in-memory", "--partner-timeout", "approver=soon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--partner-timeout takes LINK=SECONDS"));
}
