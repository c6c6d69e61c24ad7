//! betsy's test partner (`bpel_tests::partner`) over real loopback HTTP: every request here is a raw
//! HTTP/1.1 POST written to a `std::net::TcpStream`, as a process engine's invoke would send it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bpel_engine::xml::XmlElement;
use bpel_tests::partner::{Call, Endpoint, Operation, PartnerOptions, TestPartner, DUMMY_PATH, PATH, SOAP_ENV_NS, TESTPARTNER_NS};

const TIMEOUT: Duration = Duration::from_secs(15);

struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn envelope(&self) -> XmlElement {
        let envelope = XmlElement::parse(&self.body).unwrap_or_else(|error| panic!("not XML ({error}): {}", self.body));
        assert!(envelope.is(Some(SOAP_ENV_NS), "Envelope"), "not a SOAP envelope: {}", self.body);
        envelope
    }

    /// The element inside `soapenv:Body`.
    fn body_element(&self) -> XmlElement {
        let envelope = self.envelope();
        let body = envelope.child_elements().find(|e| e.is(Some(SOAP_ENV_NS), "Body")).expect("a Body");
        let element = body.child_elements().next().expect("an element in the Body").clone();
        element
    }

    /// The value of `tp:testElementSyncResponse`.
    fn value(&self) -> i64 {
        assert_eq!(self.status, 200, "{}", self.body);
        assert!(self.header("content-type").is_some_and(|t| t.starts_with("text/xml")), "content type {:?}", self.header("content-type"));
        let element = self.body_element();
        assert!(element.is(Some(TESTPARTNER_NS), "testElementSyncResponse"), "{}", self.body);
        element.text().trim().parse().unwrap_or_else(|_| panic!("not an integer: {}", self.body))
    }

    /// (faultcode, faultstring, detail's child) of a SOAP fault.
    fn fault(&self) -> (String, String, Option<XmlElement>) {
        let fault = self.body_element();
        assert!(fault.is(Some(SOAP_ENV_NS), "Fault"), "not a fault: {}", self.body);
        let child = |name: &str| fault.child_elements().find(|e| e.is(None, name)).cloned();
        let code = child("faultcode").expect("faultcode").text();
        let string = child("faultstring").expect("faultstring").text();
        let detail = child("detail").and_then(|d| d.child_elements().next().cloned());
        (code, string, detail)
    }
}

fn envelope(inner: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\">\n   <soapenv:Header/>\n   <soapenv:Body>\n      {inner}\n   </soapenv:Body>\n</soapenv:Envelope>"
    )
}

fn sync_request(value: &str) -> String {
    envelope(&format!(r#"<tp:testElementSyncRequest xmlns:tp="{TESTPARTNER_NS}">{value}</tp:testElementSyncRequest>"#))
}

fn async_request(value: &str) -> String {
    envelope(&format!(r#"<testElementAsyncRequest xmlns="{TESTPARTNER_NS}">{value}</testElementAsyncRequest>"#))
}

/// Reads one HTTP/1.1 response (Content-Length framed, or up to the end of the connection).
fn read_response(stream: &mut TcpStream) -> HttpResponse {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut buffer).expect("read the response head");
        assert!(n > 0, "connection closed before a full response head: {:?}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8(raw[..header_end].to_vec()).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    assert!(status_line.starts_with("HTTP/1.1 "), "status line {status_line:?}");
    let status = status_line[9..12].parse().expect("a status code");
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header line");
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect();
    let mut body = raw[header_end + 4..].to_vec();
    let length = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.parse::<usize>().expect("a length"));
    match length {
        Some(length) => {
            while body.len() < length {
                let n = stream.read(&mut buffer).expect("read the body");
                assert!(n > 0, "connection closed inside the body");
                body.extend_from_slice(&buffer[..n]);
            }
            body.truncate(length);
        }
        None => {
            stream.read_to_end(&mut body).expect("read the body");
        }
    }
    HttpResponse { status, headers, body: String::from_utf8(body).expect("a UTF-8 body") }
}

fn write_post(stream: &mut TcpStream, address: SocketAddr, path: &str, body: &str, close: bool) {
    let connection = if close { "close" } else { "keep-alive" };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send the request");
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, TIMEOUT).expect("connect to the partner");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// One POST on a connection of its own.
fn post(address: SocketAddr, path: &str, body: &str) -> HttpResponse {
    let mut stream = connect(address);
    write_post(&mut stream, address, path, body, true);
    read_response(&mut stream)
}

fn sync(partner: &TestPartner, value: i64) -> i64 {
    post(partner.address(), PATH, &sync_request(&value.to_string())).value()
}

#[test]
fn url_names_the_loopback_address() {
    let partner = TestPartner::start().unwrap();
    assert!(partner.address().ip().is_loopback());
    assert_ne!(partner.address().port(), 0);
    assert_eq!(partner.url(), format!("http://127.0.0.1:{}/bpel-testpartner", partner.address().port()));
    assert_eq!(partner.dummy_url(), format!("http://127.0.0.1:{}/bpel-assigned-testpartner", partner.address().port()));
}

#[test]
fn echoes_any_other_input() {
    let partner = TestPartner::start().unwrap();
    for value in [5, 0, -1, 42, 99, 104, 2_147_483_647] {
        assert_eq!(sync(&partner, value), value);
    }
    // Whitespace around the number, and a default namespace instead of a prefix.
    let response = post(
        partner.address(),
        PATH,
        &envelope(&format!(r#"<testElementSyncRequest xmlns="{TESTPARTNER_NS}"> 7 </testElementSyncRequest>"#)),
    );
    assert_eq!(response.value(), 7);
    assert!(response.body.contains(&format!(r#"<tp:testElementSyncResponse xmlns:tp="{TESTPARTNER_NS}">7</tp:testElementSyncResponse>"#)));
    assert_eq!(partner.calls().len(), 8);
    assert_eq!(partner.calls()[0], Call { endpoint: Endpoint::Regular, operation: Operation::StartProcessSync, input: Some(5) });
}

#[test]
fn undeclared_fault_for_minus_five() {
    let partner = TestPartner::start().unwrap();
    let response = post(partner.address(), PATH, &sync_request("-5"));
    assert_eq!(response.status, 500);
    let (code, string, detail) = response.fault();
    assert_eq!(code, "soapenv:Server");
    assert_eq!(string, "expected Error");
    let detail = detail.expect("a detail");
    assert!(detail.is(Some(TESTPARTNER_NS), "Error"), "{}", response.body);
    assert!(!detail.has_child_elements() && detail.text().is_empty());
    assert!(response.body.contains(&format!(r#"<tp:Error xmlns:tp="{TESTPARTNER_NS}"/>"#)), "{}", response.body);
}

#[test]
fn declared_fault_for_minus_six() {
    let partner = TestPartner::start().unwrap();
    let response = post(partner.address(), PATH, &sync_request("-6"));
    assert_eq!(response.status, 500);
    let (code, string, detail) = response.fault();
    assert_eq!(code, "soapenv:Server");
    assert_eq!(string, "expected Error");
    let detail = detail.expect("a detail");
    assert!(detail.is(Some(TESTPARTNER_NS), "testElementFault"), "{}", response.body);
    assert_eq!(detail.text(), "-6");
}

#[test]
fn one_way_operations_answer_202_with_no_body() {
    let partner = TestPartner::start().unwrap();
    for body in [
        async_request("1"),
        async_request("100"),
        envelope(""),
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body/></soapenv:Envelope>".to_string(),
        envelope(r#"<unknown xmlns="urn:elsewhere">1</unknown>"#),
    ] {
        let response = post(partner.address(), PATH, &body);
        assert_eq!(response.status, 202, "{body}");
        assert_eq!(response.body, "", "{body}");
    }
    let operations: Vec<_> = partner.calls().into_iter().map(|call| (call.operation, call.input)).collect();
    assert_eq!(
        operations,
        [
            (Operation::StartProcessAsync, Some(1)),
            (Operation::StartProcessAsync, Some(100)),
            (Operation::StartProcessWithEmptyMessage, None),
            (Operation::StartProcessWithEmptyMessage, None),
            (Operation::StartProcessWithEmptyMessage, None),
        ]
    );
    // As in betsy master, a one-way 100 is not a probe call.
    assert_eq!(sync(&partner, 102), 0);
}

#[test]
fn one_way_probes_counted_when_asked() {
    let partner = TestPartner::start_with(PartnerOptions { count_one_way_probes: true }).unwrap();
    assert_eq!(post(partner.address(), PATH, &async_request("100")).status, 202);
    assert_eq!(post(partner.address(), PATH, &async_request("100")).status, 202);
    assert_eq!(sync(&partner, 102), 2);
    assert_eq!(sync(&partner, 101), 0);
}

#[test]
fn concurrency_protocol() {
    let partner = TestPartner::start().unwrap();
    let address = partner.address();
    assert_eq!(sync(&partner, 103), 0);
    assert_eq!(sync(&partner, 101), 0);
    assert_eq!(sync(&partner, 102), 0);

    // A probe alone: it stays in flight for a second and sees nobody.
    let started = Instant::now();
    assert_eq!(sync(&partner, 100), 0);
    assert!(started.elapsed() >= Duration::from_millis(1000), "{:?}", started.elapsed());
    assert_eq!(sync(&partner, 101), 0);
    assert_eq!(sync(&partner, 102), 1);

    // Two in parallel, from two threads: they overlap, and the first to finish sees the other.
    let started = Instant::now();
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(move || post(address, PATH, &sync_request("100")).value())).collect();
    let mut answers: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    answers.sort();
    // Served concurrently (a sleep that blocked the runtime would take two seconds).
    assert!(started.elapsed() < Duration::from_millis(1900), "{:?}", started.elapsed());
    assert!(answers.iter().all(|&a| a == 0 || a == 100), "{answers:?}");
    assert_eq!(answers[1], 100, "{answers:?}");
    let concurrent = answers.iter().filter(|&&a| a == 100).count() as i64;
    assert_eq!(sync(&partner, 101), concurrent);
    assert!(sync(&partner, 101) > 0);
    assert_eq!(sync(&partner, 102), 3);
    assert_eq!(partner.query(101), concurrent);
    assert_eq!(partner.query(102), 3);
    assert_eq!(partner.counters().in_flight(), 0);

    // Reset, over HTTP and without.
    assert_eq!(sync(&partner, 103), 0);
    assert_eq!((sync(&partner, 101), sync(&partner, 102)), (0, 0));
    assert_eq!(sync(&partner, 100), 0);
    assert_eq!(partner.query(102), 1);
    assert_eq!(partner.query(103), 0);
    assert_eq!((partner.query(101), partner.query(102)), (0, 0));
    assert_eq!(partner.query(7), 7);
}

#[test]
fn dummy_partner_always_answers_zero() {
    let partner = TestPartner::start().unwrap();
    for value in ["5", "-5", "-6", "100", "101", "0"] {
        let started = Instant::now();
        let response = post(partner.address(), DUMMY_PATH, &sync_request(value));
        assert_eq!(response.value(), 0, "input {value}");
        assert!(started.elapsed() < Duration::from_millis(900), "the dummy does not probe");
    }
    assert_eq!(post(partner.address(), DUMMY_PATH, &async_request("3")).status, 202);
    assert_eq!(post(partner.address(), DUMMY_PATH, &envelope("")).status, 202);
    assert_eq!(partner.query(102), 0);
    assert!(partner.calls().iter().all(|call| call.endpoint == Endpoint::Dummy));
    assert_eq!(partner.calls().len(), 8);
}

#[test]
fn malformed_requests_get_400_and_a_client_fault() {
    let partner = TestPartner::start().unwrap();
    for body in [
        "this is not XML".to_string(),
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>".to_string(),
        "<Envelope><Body/></Envelope>".to_string(),
        format!("<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\"><soapenv:Header/></soapenv:Envelope>"),
        sync_request("five"),
        sync_request(""),
        async_request("1.5"),
        String::new(),
    ] {
        let response = post(partner.address(), PATH, &body);
        assert_eq!(response.status, 400, "{body:?}: {}", response.body);
        let (code, string, _) = response.fault();
        assert_eq!(code, "soapenv:Client", "{body:?}");
        assert!(!string.is_empty());
    }
    assert!(partner.calls().is_empty());
    // And the partner keeps serving.
    assert_eq!(sync(&partner, 11), 11);
}

#[test]
fn other_paths_and_methods() {
    let partner = TestPartner::start().unwrap();
    assert_eq!(post(partner.address(), "/elsewhere", &sync_request("1")).status, 404);
    let mut stream = connect(partner.address());
    write!(stream, "DELETE {PATH} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", partner.address()).unwrap();
    assert_eq!(read_response(&mut stream).status, 405);
    // GET ?wsdl publishes the suite's TestPartner.wsdl with this partner's address.
    let mut stream = connect(partner.address());
    write!(stream, "GET {PATH}?wsdl HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", partner.address()).unwrap();
    let response = read_response(&mut stream);
    assert_eq!(response.status, 200);
    assert!(response.body.contains("definitions>"));
    assert!(response.body.contains(&partner.url()), "the WSDL names http://{}{PATH}", partner.ip_and_port());
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let partner = TestPartner::start().unwrap();
    let mut stream = connect(partner.address());
    for value in 1..=5 {
        write_post(&mut stream, partner.address(), PATH, &sync_request(&value.to_string()), false);
        assert_eq!(read_response(&mut stream).value(), value);
    }
    write_post(&mut stream, partner.address(), PATH, &async_request("6"), false);
    assert_eq!(read_response(&mut stream).status, 202);
    write_post(&mut stream, partner.address(), PATH, &sync_request("-6"), false);
    assert_eq!(read_response(&mut stream).status, 500);
    write_post(&mut stream, partner.address(), PATH, &sync_request("7"), true);
    assert_eq!(read_response(&mut stream).value(), 7);
}

#[test]
fn stops_when_dropped() {
    let partner = TestPartner::start().unwrap();
    let address = partner.address();
    assert_eq!(sync(&partner, 1), 1);
    // A client in the middle of a probe must not keep the partner from stopping.
    let mut waiting = connect(address);
    write_post(&mut waiting, address, PATH, &sync_request("100"), true);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(partner);
    assert!(started.elapsed() < Duration::from_millis(900), "drop waited for the probe: {:?}", started.elapsed());
    assert!(TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_err(), "still listening after drop");
    let mut rest = Vec::new();
    let _ = waiting.read_to_end(&mut rest);
    assert!(rest.is_empty(), "an answer after drop: {:?}", String::from_utf8_lossy(&rest));
}
