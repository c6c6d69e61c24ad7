//! betsy's test partner (`../shared/conformance/betsy/README.md` §5.1, betsy master's
//! `TestPartnerPortTypeRegular` + `ConcurrencyDetector`) as a real SOAP 1.1 server on loopback.
//!
//! [`TestPartner::start`] binds `127.0.0.1:0` and serves on a thread of its own with its own tokio
//! runtime, so synchronous test code can start one, point a process's partner link at
//! [`TestPartner::url`], and read the counters afterwards. It stops when dropped.
//!
//! | path | operation (body element, namespace `tp`) | answer |
//! |---|---|---|
//! | [`PATH`] | `startProcessSync` (`testElementSyncRequest`) | 200 `testElementSyncResponse`, or 500 fault for -5 / -6 (see [`sync_answer`]) |
//! | [`PATH`] | `startProcessAsync` (`testElementAsyncRequest`) | 202, empty |
//! | [`PATH`] | `startProcessWithEmptyMessage` (empty body, or any other element) | 202, empty |
//! | [`DUMMY_PATH`] | the same operations | `startProcessSync` always answers 0; one-way 202 |
//! | either | `GET ?wsdl` | `TestPartner.wsdl` with `PARTNER_IP_AND_PORT` filled in (when the suite is found) |
//!
//! Anything that is not a SOAP 1.1 envelope (not XML, another root, no `Body`, a request whose
//! value is not an integer) gets HTTP 400 with a `soapenv:Client` fault.
//!
//! Deliberate leniency: the request elements are also accepted in the `ti` (test interface)
//! namespace, because betsy master sends its 101/102/103 queries that way (README §8, item 2).
//! Betsy's own partner would answer those with a dispatch fault.
//!
//! # Concurrency probe (input 100)
//!
//! Count the call, sleep [`PROBE_DELAY`] (a tokio sleep: other requests keep being served), then
//! answer 100 and count one concurrent access if another 100-call is still in flight, else 0. Two
//! probes that overlap therefore give one concurrent access (the first to finish sees the other);
//! 101 returns the concurrent accesses, 102 the number of 100-calls, 103 resets both. As in betsy
//! master, one-way calls are not counted unless [`PartnerOptions::count_one_way_probes`] is set
//! (README §8, item 3).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bpel_engine::xml::XmlElement;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

use crate::loopback::LoopbackServer;

pub const TESTPARTNER_NS: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner";
pub const TESTINTERFACE_NS: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface";
pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The regular partner's path.
pub const PATH: &str = "/bpel-testpartner";
/// The dummy partner's path (Assign-PartnerLink): `startProcessSync` always answers 0.
pub const DUMMY_PATH: &str = "/bpel-assigned-testpartner";

/// `startProcessSync(-5)`: a SOAP fault that is not the WSDL's `CustomFault`.
pub const UNDECLARED_FAULT: i64 = -5;
/// `startProcessSync(-6)`: the WSDL fault `CustomFault` (detail `tp:testElementFault`).
pub const DECLARED_FAULT: i64 = -6;
/// The concurrency probe.
pub const PROBE: i64 = 100;
/// Query: concurrent accesses since the last reset.
pub const QUERY_CONCURRENT_ACCESSES: i64 = 101;
/// Query: 100-calls since the last reset.
pub const QUERY_PROBE_CALLS: i64 = 102;
/// Reset the counters (answers 0).
pub const RESET: i64 = 103;
/// How long a probe stays in flight.
pub const PROBE_DELAY: Duration = Duration::from_millis(1000);

/// Request bodies larger than this are refused (413).
const MAX_BODY: usize = 1 << 20;

/// Which of the two partners a call reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// [`PATH`]
    Regular,
    /// [`DUMMY_PATH`]
    Dummy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    StartProcessSync,
    StartProcessAsync,
    StartProcessWithEmptyMessage,
}

/// A well-formed call the partner received, in arrival order (recorded before it is answered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub endpoint: Endpoint,
    pub operation: Operation,
    /// The integer sent (`None` for `startProcessWithEmptyMessage`).
    pub input: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct PartnerOptions {
    /// Count `startProcessAsync(100)` as a 100-call (for 102), which betsy master does not do, so
    /// that WCP12-MultipleInstancesWithoutSynchronization(-Partial) can pass (README §8, item 3).
    /// No concurrency is detected for one-way calls.
    pub count_one_way_probes: bool,
}

/// The concurrency detector's counters.
#[derive(Debug, Default)]
pub struct Counters {
    in_flight: AtomicI64,
    probe_calls: AtomicI64,
    concurrent_accesses: AtomicI64,
}

impl Counters {
    /// 100-calls since the last reset (what 102 answers).
    pub fn probe_calls(&self) -> i64 {
        self.probe_calls.load(Ordering::SeqCst)
    }

    /// Concurrent accesses detected since the last reset (what 101 answers).
    pub fn concurrent_accesses(&self) -> i64 {
        self.concurrent_accesses.load(Ordering::SeqCst)
    }

    /// 100-calls being answered right now (not reset by 103).
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// What 103 does.
    pub fn reset(&self) {
        self.probe_calls.store(0, Ordering::SeqCst);
        self.concurrent_accesses.store(0, Ordering::SeqCst);
    }

    async fn probe(&self) -> i64 {
        /// Leaves the in-flight count right even when the client goes away mid-sleep (hyper then
        /// drops this future).
        struct InFlight<'a>(&'a AtomicI64);
        impl Drop for InFlight<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.probe_calls.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlight(&self.in_flight);
        tokio::time::sleep(PROBE_DELAY).await;
        let concurrent = self.in_flight.load(Ordering::SeqCst) > 1;
        drop(guard);
        if concurrent {
            self.concurrent_accesses.fetch_add(1, Ordering::SeqCst);
            PROBE
        } else {
            0
        }
    }
}

struct Shared {
    address: SocketAddr,
    options: PartnerOptions,
    counters: Counters,
    calls: Mutex<Vec<Call>>,
}

/// The running partner. Dropping it stops the server (and its thread).
pub struct TestPartner {
    shared: Arc<Shared>,
    _server: LoopbackServer,
}

impl TestPartner {
    /// Starts the partner as betsy master's, on `127.0.0.1` and a free port.
    pub fn start() -> std::io::Result<TestPartner> {
        TestPartner::start_with(PartnerOptions::default())
    }

    pub fn start_with(options: PartnerOptions) -> std::io::Result<TestPartner> {
        let mut shared = None;
        let server = LoopbackServer::start("bpel-testpartner", |address| {
            let state = Arc::new(Shared { address, options, counters: Counters::default(), calls: Mutex::new(Vec::new()) });
            shared = Some(Arc::clone(&state));
            move |request| handle(Arc::clone(&state), request)
        })?;
        let shared = shared.ok_or_else(|| std::io::Error::other("the test partner did not start"))?;
        Ok(TestPartner { shared, _server: server })
    }

    pub fn address(&self) -> SocketAddr {
        self.shared.address
    }

    /// `http://127.0.0.1:PORT/bpel-testpartner`
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.shared.address)
    }

    /// `http://127.0.0.1:PORT/bpel-assigned-testpartner`
    pub fn dummy_url(&self) -> String {
        format!("http://{}{DUMMY_PATH}", self.shared.address)
    }

    /// `127.0.0.1:PORT`, what betsy substitutes for `PARTNER_IP_AND_PORT`.
    pub fn ip_and_port(&self) -> String {
        self.shared.address.to_string()
    }

    /// Answers 101, 102 and 103 as `startProcessSync` over HTTP would, without HTTP and without
    /// recording a call. Any other input is echoed with no side effect (100 does not probe, -5/-6
    /// do not fault).
    pub fn query(&self, input: i64) -> i64 {
        let counters = &self.shared.counters;
        match input {
            QUERY_CONCURRENT_ACCESSES => counters.concurrent_accesses(),
            QUERY_PROBE_CALLS => counters.probe_calls(),
            RESET => {
                counters.reset();
                0
            }
            other => other,
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// Every well-formed call received so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Forgets the recorded calls (the counters stay; see [`TestPartner::query`] with 103).
    pub fn clear_calls(&self) {
        self.shared.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

impl std::fmt::Debug for TestPartner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPartner").field("address", &self.shared.address).finish_non_exhaustive()
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let endpoint = match request.uri().path() {
        PATH => Endpoint::Regular,
        DUMMY_PATH => Endpoint::Dummy,
        other => return Ok(plain(StatusCode::NOT_FOUND, &format!("no service at {other}; the test partner is at {PATH}\n"))),
    };
    let wants_wsdl = request.uri().query().is_some_and(|query| query.eq_ignore_ascii_case("wsdl"));
    match *request.method() {
        Method::POST => {}
        Method::GET if wants_wsdl => return Ok(wsdl(&shared)),
        _ => return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "POST a SOAP 1.1 request, or GET ?wsdl\n")),
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            return Ok(fault(StatusCode::PAYLOAD_TOO_LARGE, "soapenv:Client", &format!("request larger than {MAX_BODY} bytes"), ""));
        }
        Err(error) => return Ok(fault(StatusCode::BAD_REQUEST, "soapenv:Client", &format!("cannot read the request: {error}"), "")),
    };
    let call = match read_call(endpoint, &body) {
        Ok(call) => call,
        Err(message) => return Ok(fault(StatusCode::BAD_REQUEST, "soapenv:Client", &message, "")),
    };
    shared.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(call.clone());
    Ok(match (call.operation, call.input) {
        (Operation::StartProcessSync, Some(input)) => match endpoint {
            Endpoint::Dummy => sync_response(0),
            Endpoint::Regular => match sync_answer(&shared.counters, input).await {
                SyncAnswer::Value(value) => sync_response(value),
                SyncAnswer::UndeclaredFault => fault(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "soapenv:Server",
                    "expected Error",
                    &format!(r#"<tp:Error xmlns:tp="{TESTPARTNER_NS}"/>"#),
                ),
                SyncAnswer::DeclaredFault(value) => fault(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "soapenv:Server",
                    "expected Error",
                    &format!(r#"<tp:testElementFault xmlns:tp="{TESTPARTNER_NS}">{value}</tp:testElementFault>"#),
                ),
            },
        },
        (Operation::StartProcessAsync, input) => {
            if endpoint == Endpoint::Regular && input == Some(PROBE) && shared.options.count_one_way_probes {
                shared.counters.probe_calls.fetch_add(1, Ordering::SeqCst);
            }
            accepted()
        }
        _ => accepted(),
    })
}

/// What the regular partner's `startProcessSync` does with `input`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncAnswer {
    Value(i64),
    /// -5: faultcode `soapenv:Server`, detail `<tp:Error/>`.
    UndeclaredFault,
    /// -6: the WSDL's `CustomFault`, detail `<tp:testElementFault>` holding the value.
    DeclaredFault(i64),
}

/// `startProcessSync(input)` of the regular partner (100 sleeps [`PROBE_DELAY`]).
pub async fn sync_answer(counters: &Counters, input: i64) -> SyncAnswer {
    match input {
        UNDECLARED_FAULT => SyncAnswer::UndeclaredFault,
        DECLARED_FAULT => SyncAnswer::DeclaredFault(input),
        PROBE => SyncAnswer::Value(counters.probe().await),
        QUERY_CONCURRENT_ACCESSES => SyncAnswer::Value(counters.concurrent_accesses()),
        QUERY_PROBE_CALLS => SyncAnswer::Value(counters.probe_calls()),
        RESET => {
            counters.reset();
            SyncAnswer::Value(0)
        }
        echo => SyncAnswer::Value(echo),
    }
}

/// The operation and input of a request body, or why it is not a SOAP 1.1 request.
fn read_call(endpoint: Endpoint, body: &[u8]) -> Result<Call, String> {
    let text = std::str::from_utf8(body).map_err(|error| format!("the request is not UTF-8: {error}"))?;
    let envelope = XmlElement::parse(text).map_err(|error| format!("the request is not well-formed XML: {error}"))?;
    if !envelope.is(Some(SOAP_ENV_NS), "Envelope") {
        return Err(format!(
            "the request is not a SOAP 1.1 envelope: its root is {{{}}}{}",
            envelope.namespace.as_deref().unwrap_or(""),
            envelope.local
        ));
    }
    let body = envelope.child_elements().find(|child| child.is(Some(SOAP_ENV_NS), "Body")).ok_or("the SOAP envelope has no Body")?;
    let Some(element) = body.child_elements().next() else {
        return Ok(Call { endpoint, operation: Operation::StartProcessWithEmptyMessage, input: None });
    };
    let ours = matches!(element.namespace.as_deref(), Some(TESTPARTNER_NS | TESTINTERFACE_NS));
    let operation = match element.local.as_str() {
        "testElementSyncRequest" if ours => Operation::StartProcessSync,
        "testElementAsyncRequest" if ours => Operation::StartProcessAsync,
        _ => return Ok(Call { endpoint, operation: Operation::StartProcessWithEmptyMessage, input: None }),
    };
    let value = element.string_value();
    let input = value.trim().parse::<i64>().map_err(|_| format!("{} must hold an integer, not {:?}", element.local, value))?;
    Ok(Call { endpoint, operation, input: Some(input) })
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn xml_response(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

fn sync_response(value: i64) -> Response<Full<Bytes>> {
    xml_response(
        StatusCode::OK,
        envelope(&format!(r#"<tp:testElementSyncResponse xmlns:tp="{TESTPARTNER_NS}">{value}</tp:testElementSyncResponse>"#)),
    )
}

/// A SOAP 1.1 fault; `detail` is XML (nothing when empty).
fn fault(status: StatusCode, code: &str, string: &str, detail: &str) -> Response<Full<Bytes>> {
    let detail = if detail.is_empty() { String::new() } else { format!("<detail>{detail}</detail>") };
    xml_response(
        status,
        envelope(&format!(
            "<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{}</faultstring>{detail}</soapenv:Fault>",
            escape(string)
        )),
    )
}

fn accepted() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The suite's `TestPartner.wsdl` with this partner's address, as JAX-WS would publish it.
fn wsdl(shared: &Shared) -> Response<Full<Bytes>> {
    let path = crate::shared_dir().join("conformance/betsy/TestPartner.wsdl");
    match std::fs::read_to_string(&path) {
        Ok(text) => xml_response(StatusCode::OK, text.replace("PARTNER_IP_AND_PORT", &shared.address.to_string())),
        Err(error) => plain(StatusCode::NOT_FOUND, &format!("no WSDL: cannot read {}: {error}\n", path.display())),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(inner: &str) -> Vec<u8> {
        envelope(inner).into_bytes()
    }

    #[test]
    fn reads_the_three_operations() {
        let sync = read_call(
            Endpoint::Regular,
            &request(&format!(r#"<tp:testElementSyncRequest xmlns:tp="{TESTPARTNER_NS}"> 7 </tp:testElementSyncRequest>"#)),
        );
        assert_eq!(sync, Ok(Call { endpoint: Endpoint::Regular, operation: Operation::StartProcessSync, input: Some(7) }));
        let one_way = read_call(
            Endpoint::Dummy,
            &request(&format!(r#"<testElementAsyncRequest xmlns="{TESTPARTNER_NS}">-1</testElementAsyncRequest>"#)),
        );
        assert_eq!(one_way, Ok(Call { endpoint: Endpoint::Dummy, operation: Operation::StartProcessAsync, input: Some(-1) }));
        let empty = read_call(Endpoint::Regular, &request(""));
        assert_eq!(empty, Ok(Call { endpoint: Endpoint::Regular, operation: Operation::StartProcessWithEmptyMessage, input: None }));
        let unknown = read_call(Endpoint::Regular, &request(r#"<other xmlns="urn:x">1</other>"#));
        assert_eq!(unknown.map(|call| call.operation), Ok(Operation::StartProcessWithEmptyMessage));
    }

    #[test]
    fn refuses_what_is_not_a_soap_request() {
        assert!(read_call(Endpoint::Regular, b"<a>").is_err());
        assert!(read_call(Endpoint::Regular, b"<a/>").is_err());
        assert!(read_call(Endpoint::Regular, b"\xff\xfe").is_err());
        assert!(read_call(Endpoint::Regular, format!(r#"<s:Envelope xmlns:s="{SOAP_ENV_NS}"/>"#).as_bytes()).is_err());
        let text = request(&format!(r#"<tp:testElementSyncRequest xmlns:tp="{TESTPARTNER_NS}">five</tp:testElementSyncRequest>"#));
        assert!(read_call(Endpoint::Regular, &text).is_err());
    }

    #[test]
    fn faults_escape_their_text() {
        let response = fault(StatusCode::BAD_REQUEST, "soapenv:Client", "a <b> & c", "");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(escape("a <b> & \"c\""), "a &lt;b&gt; &amp; &quot;c&quot;");
    }
}
