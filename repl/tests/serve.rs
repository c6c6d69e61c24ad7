//! `bpel serve` as users and their clients meet it: the real binary on loopback, a real SOAP
//! client (zeep), hostile requests, the admin endpoints.

mod support;

use support::{envelope, request, workspace, Server};

const ECHO_NS: &str = "http://example.com/bpel/examples/echo";
const ECHO_ACTION: &str = "http://example.com/bpel/examples/echo/echo";

fn echo_request(text: &str) -> String {
    envelope(&format!(r#"<e:echo xmlns:e="{ECHO_NS}">{text}</e:echo>"#))
}

fn examples() -> String {
    workspace().join("examples").display().to_string()
}

/// zeep (PyPI) loads each example's WSDL from the server and calls its operations. CI installs
/// zeep (`.ci/run`); without it this test fails and says how to get it.
#[test]
fn a_real_soap_client_calls_the_examples() {
    let probe = std::process::Command::new("python3").args(["-c", "import zeep"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs Python 3 with zeep: `python3 -m pip install zeep` (.ci/run installs it)"
    );
    let server = Server::start(&[&examples(), "--port", "0", "--in-memory"]);
    let script = workspace().join("repl/tests/zeep/call_examples.py");
    let output =
        std::process::Command::new("python3").arg(&script).arg(format!("http://127.0.0.1:{}", server.port)).output().expect("run python3");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "zeep:\n{text}\nserver:\n{}", server.output());
    assert!(text.contains("all calls answered as expected"), "{text}");
}

#[test]
fn hostile_requests_get_clear_answers_and_the_server_keeps_serving() {
    let server = Server::start(&[&examples(), "--port", "0", "--in-memory", "--max-body", "1048576"]);
    let port = server.port;
    let still_serving = |after: &str| {
        let answer = server.post("/echo", ECHO_ACTION, &echo_request("still here"));
        assert_eq!(answer.status, 200, "after {after}: {answer:?}");
        assert!(answer.body.contains(">still here<"), "after {after}: {answer:?}");
    };
    still_serving("nothing");

    // malformed XML
    let answer = server.post(
        "/echo",
        ECHO_ACTION,
        "<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body><oops>",
    );
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("soapenv:Client") && answer.body.contains("not a SOAP 1.1 envelope"), "{answer:?}");
    still_serving("malformed XML");

    // names that are not XML names (XML 1.0 §2.3): not well-formed, refused before any instance sees them
    for body in [r#"<e:echo xmlns:e="urn:e"><1a>x</1a></e:echo>"#, r#"<e:echo xmlns:e="urn:e" -x="1">x</e:echo>"#] {
        let answer = server.post("/echo", ECHO_ACTION, &envelope(body));
        assert_eq!(answer.status, 500, "{body}: {answer:?}");
        assert!(answer.body.contains("soapenv:Client") && answer.body.contains("is not a name"), "{body}: {answer:?}");
    }
    still_serving("malformed names");

    // well-formed, but not valid against the operation's schema (an element inside an xsd:string)
    let answer = server.post("/echo", ECHO_ACTION, &envelope(&format!(r#"<e:echo xmlns:e="{ECHO_NS}"><e:nested/></e:echo>"#)));
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("soapenv:Client") && answer.body.contains("does not fit the input"), "{answer:?}");
    still_serving("a request not valid against its schema");

    // an entity bomb ("billion laughs"): refused without expanding anything
    let mut entities = String::from("<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        entities.push_str(&format!("<!ENTITY lol{i} \"{}\">", format!("&lol{};", i - 1).repeat(10)));
    }
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [{entities}]>{}",
        envelope(&format!(r#"<e:echo xmlns:e="{ECHO_NS}">&lol9;</e:echo>"#))
    );
    let answer = server.post("/echo", ECHO_ACTION, &bomb);
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(!answer.body.contains("lollol"), "nothing was expanded");
    still_serving("an entity bomb");

    // an external entity: never resolved
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]>{}",
        envelope(&format!(r#"<e:echo xmlns:e="{ECHO_NS}">&secret;</e:echo>"#))
    );
    let answer = server.post("/echo", ECHO_ACTION, &xxe);
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(!answer.body.contains("root:"), "the file was not read");
    still_serving("an external entity");

    // a 100 MB body: refused by its declared length, before it is read
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        100 * 1024 * 1024
    );
    let answer = support::raw(port, head.as_bytes()).unwrap();
    assert_eq!(answer.status, 413, "{answer:?}");
    still_serving("a 100 MB Content-Length");

    // the same without a length (chunked): refused once the limit is passed
    let mut chunked = String::from(
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    let chunk = "x".repeat(64 * 1024);
    for _ in 0..40 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let answer = support::raw(port, chunked.as_bytes()).unwrap();
    assert_eq!(answer.status, 413, "{answer:?}");
    still_serving("a chunked body over the limit");

    // a wrong SOAPAction
    let answer = server.post("/echo", "urn:no-such-action", &echo_request("x"));
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("urn:no-such-action"), "the answer names the action: {answer:?}");
    still_serving("a wrong SOAPAction");

    // an unknown path
    let answer = server.post("/no/such/endpoint", ECHO_ACTION, &echo_request("x"));
    assert_eq!(answer.status, 404, "{answer:?}");
    still_serving("an unknown path");

    // an unknown operation (an element no operation takes), without SOAPAction
    let answer = request(port, "POST", "/echo", &[("Content-Type", "text/xml")], &envelope("<x:dance xmlns:x='urn:x'/>"));
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("dance"), "the answer names the element: {answer:?}");
    still_serving("an unknown operation");

    // not SOAP 1.1, and the wrong method
    let soap12 = "<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><env:Body/></env:Envelope>";
    assert_eq!(server.post("/echo", ECHO_ACTION, soap12).status, 500);
    assert_eq!(request(port, "DELETE", "/echo", &[], "").status, 405);
    still_serving("SOAP 1.2 and DELETE");
}

#[test]
fn admin_endpoints_need_the_token() {
    let server = Server::start(&[&examples(), "--port", "0", "--in-memory", "--admin-token", "s3cret", "--shards", "2"]);
    let port = server.port;
    let order = |id: &str| {
        envelope(&format!(
            r#"<s:placeOrder xmlns:s="http://example.com/bpel/examples/shop"><s:orderId>{id}</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>"#
        ))
    };
    for id in ["a1", "a2", "a3"] {
        let answer = server.post("/shop", "http://example.com/bpel/examples/shop/placeOrder", &order(id));
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    assert_eq!(request(port, "GET", "/admin/instances", &[], "").status, 401);
    assert_eq!(request(port, "GET", "/admin/instances", &[("Authorization", "Bearer wrong")], "").status, 401);
    let auth = [("Authorization", "Bearer s3cret")];
    let list = request(port, "GET", "/admin/instances", &auth, "");
    assert_eq!(list.status, 200, "{list:?}");
    let instances: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let ids: Vec<u64> = instances.as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{list:?}");
    // each waits for its payment, by its order id, and for the three-day alarm
    let mut orders = Vec::new();
    for instance in instances.as_array().unwrap() {
        let payment = &instance["waiting"][0];
        let order = payment["correlations"][0]["values"][0]["value"].as_str().unwrap();
        orders.push(order.to_string());
        assert_eq!(instance["process"], "LongRunningOrder", "{list:?}");
        assert_eq!(instance["status"], "running", "{list:?}");
        let summary = instance["summary"].as_str().unwrap();
        assert!(summary.starts_with(&format!("waiting: message on customer.confirmPayment (orderId={order}); timer at ")), "{summary}");
        assert_eq!(payment["kind"], "message", "{list:?}");
        assert_eq!(payment["partner_link"], "customer", "{list:?}");
        assert_eq!(payment["operation"], "confirmPayment", "{list:?}");
        assert_eq!(instance["waiting"][1]["kind"], "timer", "{list:?}");
        assert!(instance["waiting"][1]["in_millis"].as_i64().unwrap() <= 3 * 24 * 3600 * 1000, "{list:?}");
    }
    orders.sort();
    assert_eq!(orders, ["a1", "a2", "a3"], "{list:?}");

    let inspect = request(port, "GET", &format!("/admin/instances/{}", ids[0]), &auth, "");
    assert_eq!(inspect.status, 200);
    let report: serde_json::Value = serde_json::from_str(&inspect.body).unwrap();
    assert_eq!(report["id"], ids[0]);
    let pick = report["tasklets"].as_array().unwrap().iter().find(|t| t["activity"]["name"] == "AwaitPayment").expect("the pick's tasklet");
    assert_eq!(pick["activity"]["kind"], "pick", "{inspect:?}");
    assert_eq!(pick["state"], "waiting", "{inspect:?}");
    let kinds: Vec<&str> = pick["waits"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message", "timer"], "{inspect:?}");
    assert!(report["variables"].as_array().unwrap().iter().any(|v| v["name"] == "placeOrder"), "{inspect:?}");

    let checkpoint = request(port, "GET", &format!("/admin/instances/{}/checkpoint", ids[1]), &auth, "");
    assert_eq!(checkpoint.status, 200);
    assert!(checkpoint.bytes.starts_with(b"BPELCKPT"), "a checkpoint file");

    // restored from the file, as a new instance that waits like the original
    let restored = support::request_bytes(port, "POST", "/admin/restore?process=LongRunningOrder", &auth, &checkpoint.bytes);
    assert_eq!(restored.status, 200, "{restored:?}");
    let restored: serde_json::Value = serde_json::from_str(&restored.body).unwrap();
    let new_id = restored["restored"].as_u64().unwrap();
    assert!(!ids.contains(&new_id));
    let inspect = request(port, "GET", &format!("/admin/instances/{new_id}"), &auth, "");
    let report: serde_json::Value = serde_json::from_str(&inspect.body).unwrap();
    assert_eq!(report["summary"], instances[1]["summary"], "the restored instance waits as the original: {inspect:?}");
    // a file that is not a checkpoint is refused with the reason
    let refused = support::request_bytes(port, "POST", "/admin/restore?process=LongRunningOrder", &auth, b"not a checkpoint");
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.body.contains("magic bytes"), "{refused:?}");
    request(port, "POST", &format!("/admin/instances/{new_id}/terminate"), &auth, "");

    let terminated = request(port, "POST", &format!("/admin/instances/{}/terminate", ids[2]), &auth, "");
    assert_eq!(terminated.status, 200, "{terminated:?}");
    let list = request(port, "GET", "/admin/instances", &auth, "");
    let left: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(left.as_array().unwrap().len(), 2, "{list:?}");
}
