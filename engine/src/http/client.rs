//! Partners over HTTP: each call an instance makes is a SOAP request on a pooled hyper client. A
//! partner that misbehaves (refuses the connection, cannot be resolved, answers with an HTTP error,
//! an empty, malformed or non-SOAP body, a reply that does not fit the WSDL, or never answers in
//! time) gives a fault the process can catch: never a crash, never a hung instance.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::shard::{Command, Partners};
use crate::exec::messages::{fault_message_type, message_from_body, misfit, operation};
use crate::exec::{Deployed, Invocation};
use crate::fault::Fault;
use crate::model::QName;
use crate::soap::{self, BoundOperation};
use crate::store::call_key;
use crate::xml::{Message, Value, XmlElement};

/// The namespace of the faults a call raises when the partner cannot be talked to.
pub const PARTNER_FAULT_NS: &str = "urn:bpel:engine:partner";

/// The largest response body read from a partner.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

pub struct HttpPartners {
    client: Client<HttpConnector, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
    shards: Vec<Mutex<Sender<Command>>>,
    processes: Vec<Arc<Deployed>>,
    /// Partner link name → address, from the command line or `deploy.xml` (per process).
    overrides: Vec<BTreeMap<String, String>>,
    timeouts: CallTimeouts,
    /// The store's identity, the first part of each call's idempotency key.
    store_id: u128,
}

/// How long a partner call waits for the partner's whole answer.
#[derive(Clone, Debug)]
pub struct CallTimeouts {
    pub default: Duration,
    /// By partner link name, over `default`.
    pub by_partner_link: BTreeMap<String, Duration>,
}

impl CallTimeouts {
    pub fn of(&self, partner_link: &str) -> Duration {
        self.by_partner_link.get(partner_link).copied().unwrap_or(self.default)
    }
}

impl HttpPartners {
    pub fn new(
        runtime: tokio::runtime::Handle,
        shards: Vec<Sender<Command>>,
        processes: Vec<Arc<Deployed>>,
        overrides: Vec<BTreeMap<String, String>>,
        timeouts: CallTimeouts,
        store_id: u128,
    ) -> HttpPartners {
        let mut connector = HttpConnector::new();
        // the whole call is bounded by its timeout; connecting alone never waits longer than this
        connector.set_connect_timeout(Some(Duration::from_secs(10)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        HttpPartners { client, runtime, shards: shards.into_iter().map(Mutex::new).collect(), processes, overrides, timeouts, store_id }
    }

    fn feed(&self, shard: usize, command: Command) {
        if let Some(sender) = self.shards.get(shard).and_then(|s| s.lock().ok()) {
            let _ = sender.send(command);
        }
    }
}

fn fault(local: &str, message: String) -> Fault {
    Fault::new(QName::new(Some(PARTNER_FAULT_NS), local), None, message)
}

impl Partners for HttpPartners {
    fn call(&self, shard: usize, invocation: Invocation) {
        let Some(deployed) = self.processes.get(invocation.process.0).cloned() else { return };
        let address = self
            .overrides
            .get(invocation.process.0)
            .and_then(|o| o.get(&invocation.partner_link))
            .cloned()
            .or_else(|| invocation.address.clone());
        let client = self.client.clone();
        let timeout = self.timeouts.of(&invocation.partner_link);
        let key = call_key(self.store_id, invocation.instance.0, invocation.request.0);
        let senders: Vec<Sender<Command>> = self.shards.iter().filter_map(|s| s.lock().ok().map(|s| s.clone())).collect();
        drop(self.runtime.spawn(async move {
            let one_way = invocation.one_way;
            let result = tokio::time::timeout(timeout, call(&client, &deployed, &invocation, address.as_deref(), Some(&key)))
                .await
                .unwrap_or_else(|_| {
                    Err(fault(
                        "timeout",
                        format!("the partner `{}` did not answer within {} s", invocation.partner_link, timeout.as_secs_f64()),
                    ))
                });
            let command = if one_way {
                if let Err(error) = &result {
                    tracing::warn!("one-way call of {}.{} failed: {error}", invocation.partner_link, invocation.operation);
                }
                Command::Sent { instance: invocation.instance, request: invocation.request }
            } else {
                if let Err(error) = &result {
                    // the process gets the fault and may handle it
                    tracing::debug!("call of {}.{} failed: {error}", invocation.partner_link, invocation.operation);
                }
                Command::Answer { instance: invocation.instance, request: invocation.request, result }
            };
            if let Some(sender) = senders.get(shard) {
                let _ = sender.send(command);
            }
        }));
    }
}

impl HttpPartners {
    /// Makes the calls saved before a restart again (at least once).
    pub fn resume(&self, shard: usize, invocation: Invocation) {
        self.call(shard, invocation);
    }

    /// Feeds a command to a shard (for tests and the server).
    pub fn send_to_shard(&self, shard: usize, command: Command) {
        self.feed(shard, command);
    }
}

/// One call of a partner at `address`, outside any server (the REPL's `mock ... forward URL`): the
/// same request, and the same faults for every way the partner fails, as a served instance's call.
pub async fn call_once(deployed: &Deployed, invocation: &Invocation, address: &str, timeout: Duration) -> Result<Message, Fault> {
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    tokio::time::timeout(timeout, call(&client, deployed, invocation, Some(address), None)).await.unwrap_or_else(|_| {
        Err(fault("timeout", format!("the partner `{}` did not answer within {} s", invocation.partner_link, timeout.as_secs())))
    })
}

/// The SOAP binding of the partner's operation: from the WSDL port of the partner role's port type.
fn binding(deployed: &Deployed, partner_link: &str, operation_name: &str) -> Option<BoundOperation> {
    let port_type = deployed.partner_link_decl(partner_link)?.partner_port_type.as_ref()?;
    soap::operation_binding(&deployed.unit.definitions, port_type, operation_name)
}

async fn call(
    client: &Client<HttpConnector, Full<Bytes>>,
    deployed: &Deployed,
    invocation: &Invocation,
    address: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<Message, Fault> {
    let partner = &invocation.partner_link;
    let Some(address) = address else {
        return Err(fault(
            "unresolvable",
            format!("the partner link `{partner}` has no address: give one in deploy.xml or with --partner {partner}=URL"),
        ));
    };
    let uri: hyper::Uri = address
        .parse()
        .map_err(|e| fault("unresolvable", format!("the address `{address}` of partner link `{partner}` is not a URL: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(fault("unresolvable", format!("the address `{address}` of partner link `{partner}` is not an http:// URL")));
    }
    let bound = binding(deployed, partner, &invocation.operation);
    let body = match &bound {
        Some(op) => soap::envelope(&soap::message_body(op, &invocation.message, false)),
        None => soap::envelope(&invocation.message.parts.iter().map(|p| p.value.clone()).collect::<Vec<XmlElement>>()),
    };
    let action = bound.as_ref().and_then(|op| op.soap_action.clone()).unwrap_or_default();
    let mut request =
        hyper::Request::post(uri).header("content-type", "text/xml; charset=utf-8").header("soapaction", format!("\"{action}\""));
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| fault("unresolvable", format!("cannot build the request to `{address}`: {e}")))?;
    let response = client.request(request).await.map_err(|e| fault("unreachable", format!("cannot reach `{address}`: {e}")))?;
    let status = response.status();
    let bytes = Limited::new(response.into_body(), MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| fault("malformedResponse", format!("cannot read the answer of `{address}`: {e}")))?
        .to_bytes();
    if invocation.one_way {
        return if status.is_success() { Ok(Message::new(QName::new(None, "none"))) } else { Err(status_fault(address, status)) };
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| fault("notSoap", format!("`{address}` answered with a body that is not UTF-8 text")))?;
    if text.trim().is_empty() {
        return Err(if status.is_success() {
            fault("malformedResponse", format!("`{address}` answered HTTP {status} with an empty body"))
        } else {
            status_fault(address, status)
        });
    }
    let envelope = match soap::parse_envelope(text) {
        Ok(envelope) => envelope,
        Err(_) if !status.is_success() && status.as_u16() != 500 => return Err(status_fault(address, status)),
        Err(error) => {
            return Err(fault(
                "notSoap",
                format!("`{address}` answered HTTP {status} with something that is not a SOAP 1.1 envelope: {error}"),
            ))
        }
    };
    match soap::parse_fault(&envelope) {
        Ok(Some(soap_fault)) => return Err(partner_fault(deployed, invocation, soap_fault)),
        Ok(None) => {}
        Err(error) => {
            return Err(fault("malformedResponse", format!("`{address}` answered with a SOAP fault that cannot be read: {error}")))
        }
    }
    if !status.is_success() {
        return Err(status_fault(address, status));
    }
    let Some(op) = bound else {
        return Err(fault("unexpectedReply", format!("no SOAP binding of `{}.{}` is known", partner, invocation.operation)));
    };
    let Some(output) = &op.output else {
        return Err(fault("unexpectedReply", format!("`{}` is one-way, yet `{address}` answered", invocation.operation)));
    };
    let message = message_from_body(output, &soap::request_parts(&op, &envelope.body));
    if let Some(why) = misfit(output, &message) {
        return Err(fault("unexpectedReply", format!("the answer of `{address}` does not fit the WSDL: {why}")));
    }
    Ok(message)
}

fn status_fault(address: &str, status: hyper::StatusCode) -> Fault {
    fault("httpStatus", format!("`{address}` answered HTTP {status}"))
}

/// A SOAP fault from a partner as a BPEL fault: a fault the WSDL declares for the operation (its
/// detail is the fault message's element) by its name in the port type's namespace; otherwise
/// named after the detail's element, or the faultcode.
fn partner_fault(deployed: &Deployed, invocation: &Invocation, soap_fault: soap::SoapFault) -> Fault {
    let detail = soap_fault.detail.first().cloned();
    let op = operation(deployed, &invocation.partner_link, &invocation.operation, false);
    let port_type_ns =
        deployed.partner_link_decl(&invocation.partner_link).and_then(|d| d.partner_port_type.as_ref()).and_then(|p| p.namespace.clone());
    if let (Some(op), Some(element)) = (op, &detail) {
        for declared in &op.faults {
            let Some(ty) = fault_message_type(deployed, op, &declared.name.value) else { continue };
            let matches = ty.parts.iter().any(|p| matches!(&p.kind, crate::xml::PartKind::Element(name) if element.has_name(name)));
            if matches {
                let name = QName::new(port_type_ns.as_deref(), &declared.name.value);
                return Fault::new(name, Some(Value::Message(message_from_body(&ty, std::slice::from_ref(element)))), soap_fault.string);
            }
        }
    }
    match detail {
        Some(element) => Fault::new(element.name(), Some(Value::Element(element)), soap_fault.string),
        None => Fault::new(soap_fault.code, None, soap_fault.string),
    }
}
