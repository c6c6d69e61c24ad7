//! The long-running example's notifier partner (`examples/long-running/notifier.wsdl`, one-way
//! `orderClosed`) as a real SOAP 1.1 server on loopback that counts what it is told, for the soak
//! and kill -9 harnesses (`src/bin/soak.rs`, `src/bin/kill-load.rs`).
//!
//! Every call is recorded with its `Idempotency-Key` header (what `bpel serve` sends with each
//! partner call, the same for every attempt of one call): a repeated key is a delivery made again
//! (after a crash), not a second effect; two keys for one order are an effect made twice. Answers
//! 202 after [`Notifier::start`]'s delay, so that calls are in flight when a server is killed.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bpel_engine::soap::parse_envelope;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use crate::loopback::LoopbackServer;

const MAX_BODY: usize = 1 << 16;

/// One `orderClosed` the notifier was told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The `Idempotency-Key` header (`None`: the call carried none).
    pub key: Option<String>,
    pub order: String,
    pub outcome: String,
}

/// What the notices add up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Calls received.
    pub deliveries: usize,
    /// Distinct idempotency keys: effects.
    pub effects: usize,
    /// Deliveries whose key had been seen before (calls made again after a crash).
    pub repeated_deliveries: usize,
    /// Calls without a key.
    pub without_key: usize,
    /// Malformed calls (not an `orderClosed` in a SOAP envelope).
    pub malformed: usize,
    /// Order → the outcomes of its distinct effects, in arrival order.
    pub effects_by_order: BTreeMap<String, Vec<String>>,
}

impl Tally {
    /// Orders that had more than one effect.
    pub fn orders_with_effects_twice(&self) -> Vec<&str> {
        self.effects_by_order.iter().filter(|(_, outcomes)| outcomes.len() > 1).map(|(order, _)| order.as_str()).collect()
    }
}

#[derive(Default)]
struct Record {
    notices: Vec<Notice>,
    malformed: usize,
}

struct Shared {
    delay: Duration,
    /// How long the first call is held instead (a call in flight when a server is killed).
    hold_first: Option<Duration>,
    record: Mutex<Record>,
}

/// The running notifier; dropping it stops it.
pub struct Notifier {
    shared: Arc<Shared>,
    server: LoopbackServer,
}

impl Notifier {
    /// Binds `127.0.0.1` on a free port; each call is answered `delay` after it arrived.
    pub fn start(delay: Duration) -> std::io::Result<Notifier> {
        Notifier::start_holding_first(delay, None)
    }

    /// As [`Notifier::start`], but the first call is answered only `hold_first` after it arrived
    /// (its record is kept at once): a test can kill the caller while the call is in flight.
    pub fn start_holding_first(delay: Duration, hold_first: Option<Duration>) -> std::io::Result<Notifier> {
        let shared = Arc::new(Shared { delay, hold_first, record: Mutex::new(Record::default()) });
        let state = Arc::clone(&shared);
        let server = LoopbackServer::start("bpel-notifier", move |_| move |request| handle(Arc::clone(&state), request))?;
        Ok(Notifier { shared, server })
    }

    /// `http://127.0.0.1:PORT/notifier`
    pub fn url(&self) -> String {
        format!("http://{}/notifier", self.server.address())
    }

    /// Order → the outcomes it was told, one per call received (repeated calls included).
    pub fn outcomes_by_order(&self) -> BTreeMap<String, Vec<String>> {
        let mut by_order = BTreeMap::<String, Vec<String>>::new();
        for notice in self.notices() {
            by_order.entry(notice.order).or_default().push(notice.outcome);
        }
        by_order
    }

    pub fn notices(&self) -> Vec<Notice> {
        self.shared.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).notices.clone()
    }

    /// Calls received so far (cheap, unlike [`Notifier::tally`]).
    pub fn deliveries(&self) -> usize {
        self.shared.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).notices.len()
    }

    pub fn tally(&self) -> Tally {
        let record = self.shared.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut tally = Tally { deliveries: record.notices.len(), malformed: record.malformed, ..Tally::default() };
        let mut keys = BTreeSet::new();
        for notice in &record.notices {
            let new_effect = match &notice.key {
                Some(key) => keys.insert(key.clone()),
                None => {
                    tally.without_key += 1;
                    true
                }
            };
            if new_effect {
                tally.effects += 1;
                tally.effects_by_order.entry(notice.order.clone()).or_default().push(notice.outcome.clone());
            } else {
                tally.repeated_deliveries += 1;
            }
        }
        tally
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let key = request.headers().get("idempotency-key").and_then(|value| value.to_str().ok()).map(str::to_string);
    let body = Limited::new(request.into_body(), MAX_BODY).collect().await.map(|collected| collected.to_bytes());
    let notice = body.ok().and_then(|bytes| read_notice(&bytes, key));
    let accepted = notice.is_some();
    let first = {
        let mut record = shared.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match notice {
            Some(notice) => record.notices.push(notice),
            None => record.malformed += 1,
        }
        record.notices.len() + record.malformed == 1
    };
    let wait = if first { shared.hold_first.unwrap_or(shared.delay) } else { shared.delay };
    tokio::time::sleep(wait).await;
    let status = if accepted { StatusCode::ACCEPTED } else { StatusCode::BAD_REQUEST };
    Ok(Response::builder().status(status).body(Full::new(Bytes::new())).unwrap_or_default())
}

fn read_notice(body: &[u8], key: Option<String>) -> Option<Notice> {
    let envelope = parse_envelope(std::str::from_utf8(body).ok()?).ok()?;
    let closed = envelope.body.iter().find(|element| element.name().local == "orderClosed")?;
    let field = |name: &str| closed.child_elements().find(|child| child.name().local == name).map(|child| child.string_value());
    Some(Notice { key, order: field("orderId")?, outcome: field("outcome")? })
}
