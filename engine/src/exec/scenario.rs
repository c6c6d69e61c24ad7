//! Scenarios: a process driven without a network, step by step, with expectations.
//!
//! A scenario is a TOML file (the format is documented in `docs/scenarios.md`):
//!
//! ```toml
//! description = "a large order goes to the approver, who approves it"
//!
//! [[step]]
//! send = "client.submitOrder"                 # partner link . operation
//! body = "<ord:order xmlns:ord='urn:o'>...</ord:order>"
//! expect_reply = "<ord:orderResult xmlns:ord='urn:o'>...</ord:orderResult>"
//!
//! [[step]]
//! expect_invoke = "approver.approve"          # the process called its partner
//! reply = "<apr:approval xmlns:apr='urn:a'>...</apr:approval>"
//!
//! [[step]]
//! advance = "P3D"                             # move the virtual clock
//!
//! [[step]]
//! checkpoint = true                           # save and restore every instance
//!
//! [[step]]
//! expect_status = "completed"
//! assert = "$orderResult.result/ord:status = 'approved'"
//! ```
//!
//! A reply that is not there yet when its `send` step ends (the process first calls a partner, say)
//! is checked again after every later step, and fails the scenario if it never comes. The same
//! scenarios serve `bpel run`, the REPL, the language server's run-in-place and the tests.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::engine::{Engine, InstanceId, Invocation, ProcessId};
use super::messages::{fault_message_type, message_from_body, message_type, operation, Direction};
use super::time::{date_time, duration_millis};
use crate::fault::Fault;
use crate::model::QName;
use crate::runtime::ExchangeId;
use crate::soap;
use crate::xml::{Message, Value, XmlElement};

/// A scenario file, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The process the scenario drives, relative to the scenario file (a command line may name
    /// it instead).
    pub process: Option<String>,
    /// What the scenario shows, for the report.
    pub description: Option<String>,
    /// When the virtual clock starts (`xsd:dateTime`); default 2026-01-01T00:00:00Z, so that runs
    /// are reproducible.
    pub start: Option<String>,
    #[serde(rename = "step", default)]
    pub steps: Vec<StepSpec>,
}

/// One step: one action (`send`, `expect_invoke`, `advance`, `checkpoint`) and the expectations
/// that go with it, or expectations alone (`expect_status`, `assert`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Send a request: `partnerLink.operation`, with `body` (the SOAP body's element).
    pub send: Option<String>,
    pub body: Option<String>,
    /// The reply expected for `send`: XML, compared after canonicalisation.
    pub expect_reply: Option<String>,
    /// A fault expected instead: its QName (`prefix:local` with the process's prefixes) or local name.
    pub expect_fault: Option<String>,
    /// The process called this partner operation (`partnerLink.operation`), in order.
    pub expect_invoke: Option<String>,
    /// The request expected in that call (canonical XML).
    pub request: Option<String>,
    /// Answer the call with this body...
    pub reply: Option<String>,
    /// ...or with this fault (QName with the process's prefixes), whose data is `fault_body`.
    pub fault: Option<String>,
    pub fault_body: Option<String>,
    /// Answer only after this much virtual time (`xsd:duration`).
    pub delay: Option<String>,
    /// Move the virtual clock by an `xsd:duration`.
    pub advance: Option<String>,
    /// Save every instance to a checkpoint and restore it.
    pub checkpoint: Option<bool>,
    /// The current instance's status: `running`, `completed`, `faulted` or `terminated`.
    pub expect_status: Option<String>,
    /// An XPath 1.0 condition over the current instance's process variables that must be true.
    pub assert: Option<String>,
}

/// Why a scenario file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid scenario: {message}")]
    Syntax { path: PathBuf, message: String },
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { path: path.to_path_buf(), source })?;
        Scenario::parse(&text).map_err(|message| ScenarioError::Syntax { path: path.to_path_buf(), message })
    }

    pub fn parse(text: &str) -> Result<Scenario, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The virtual time the scenario starts at.
    pub fn start_time(&self) -> Result<crate::runtime::Timestamp, String> {
        match &self.start {
            Some(text) => date_time(text).ok_or_else(|| format!("`start = \"{text}\"` is not an xsd:dateTime")),
            None => Ok(crate::runtime::Timestamp(1_767_225_600_000)), // 2026-01-01T00:00:00Z
        }
    }
}

/// How one step went.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// 1-based.
    pub number: usize,
    /// What the step did, in a few words.
    pub action: String,
    /// What happened, line by line (replies, calls, status changes).
    pub events: Vec<String>,
    /// The expectations that did not hold.
    pub failures: Vec<Mismatch>,
    /// The replies (or faults) instances sent during the step, in order.
    pub replies: Vec<(InstanceId, Result<Message, Fault>)>,
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub what: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n    expected: {}\n    actual:   {}", self.what, self.expected, self.actual)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub steps: Vec<StepReport>,
    /// Expectations on replies that never came.
    pub unanswered: Vec<Mismatch>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.unanswered.is_empty() && self.steps.iter().all(|s| s.failures.is_empty())
    }
}

/// An expected reply not yet seen.
struct Pending {
    step: usize,
    exchange: ExchangeId,
    expect: ReplyExpectation,
    /// The partner link and operation the request went to (for the reply's wire form).
    target: (String, String),
}

#[derive(Clone)]
enum ReplyExpectation {
    Reply(String),
    Fault(String),
    Any,
}

/// Runs a scenario against a deployed process.
pub fn run(engine: &mut Engine, process: ProcessId, scenario: &Scenario) -> Report {
    run_observed(engine, process, scenario, |_, _| {})
}

/// Like [`run`], handing the engine and the step's report to `after_step` once each step is done
/// (to checkpoint every instance along a run, or show each step's state).
pub fn run_observed(
    engine: &mut Engine,
    process: ProcessId,
    scenario: &Scenario,
    mut after_step: impl FnMut(&Engine, &StepReport),
) -> Report {
    let mut runner = Runner { engine, process, current: None, calls: Vec::new(), pending: Vec::new(), replies: Vec::new() };
    let mut report = Report::default();
    for (index, step) in scenario.steps.iter().enumerate() {
        let mut out =
            StepReport { number: index + 1, action: describe(step), events: Vec::new(), failures: Vec::new(), replies: Vec::new() };
        runner.step(step, &mut out);
        runner.collect(&mut out);
        runner.settle_pending(&mut out);
        after_step(runner.engine, &out);
        report.steps.push(out);
    }
    for pending in runner.pending.drain(..) {
        report.unanswered.push(Mismatch {
            what: format!("the reply to step {}", pending.step),
            expected: match pending.expect {
                ReplyExpectation::Reply(xml) => xml,
                ReplyExpectation::Fault(name) => format!("the fault {name}"),
                ReplyExpectation::Any => "a reply".to_string(),
            },
            actual: "no reply came".to_string(),
        });
    }
    report
}

struct Runner<'e> {
    engine: &'e mut Engine,
    process: ProcessId,
    /// The instance the last `send` went to.
    current: Option<InstanceId>,
    /// Partner calls not yet expected by a step, oldest first.
    calls: Vec<Invocation>,
    pending: Vec<Pending>,
    /// Replies not yet matched to a pending expectation.
    replies: Vec<(ExchangeId, Result<Message, Fault>)>,
}

impl Runner<'_> {
    fn step(&mut self, step: &StepSpec, out: &mut StepReport) {
        if let Some(target) = &step.send {
            self.send(step, target, out);
        }
        if let Some(target) = &step.expect_invoke {
            self.expect_invoke(step, target, out);
        }
        if let Some(duration) = &step.advance {
            match duration_millis(duration) {
                Some(millis) => self.engine.advance(millis),
                None => out.failures.push(mismatch("advance", "an xsd:duration such as PT1H or P3D", duration)),
            }
        }
        if step.checkpoint == Some(true) {
            let ids: Vec<InstanceId> = self.engine.instances().map(|(id, _)| id).collect();
            for id in ids {
                let result = match self.engine.checkpoint(id) {
                    Some(Ok(bytes)) => self.engine.restore(self.process, Some(id), &bytes).map(|_| bytes.len()).map_err(|e| e.to_string()),
                    Some(Err(e)) => Err(e.to_string()),
                    None => continue,
                };
                match result {
                    Ok(len) => out.events.push(format!("instance {id}: saved ({len} bytes) and restored")),
                    Err(e) => out.failures.push(mismatch(&format!("checkpoint of instance {id}"), "a save and restore", &e)),
                }
            }
        }
        if let Some(expected) = &step.expect_status {
            let actual = self.current.and_then(|id| self.engine.instance(id)).map(|l| l.instance.status().to_string());
            let actual = actual.unwrap_or_else(|| "no instance".to_string());
            if !actual.eq_ignore_ascii_case(expected.trim()) {
                out.failures.push(mismatch("the instance's status", expected, &actual));
            }
        }
        if let Some(condition) = &step.assert {
            let Some(id) = self.current else {
                out.failures.push(mismatch(&format!("assert {condition}"), "an instance", "no request has been sent yet"));
                return;
            };
            match self.engine.evaluate(id, condition) {
                Ok(value) if value.boolean() => {}
                Ok(value) => out.failures.push(mismatch(&format!("assert {condition}"), "true", &format!("false ({})", value.string()))),
                Err(fault) => out.failures.push(mismatch(&format!("assert {condition}"), "true", &format!("the fault {fault}"))),
            }
        }
    }

    fn send(&mut self, step: &StepSpec, target: &str, out: &mut StepReport) {
        let Some((partner_link, operation_name)) = target.split_once('.') else {
            out.failures.push(mismatch("send", "partnerLink.operation", target));
            return;
        };
        let body = match step.body.as_deref().map(XmlElement::parse) {
            Some(Ok(body)) => self.unwrap_body(partner_link, operation_name, true, body),
            Some(Err(e)) => {
                out.failures.push(mismatch("the body", "well-formed XML", &e.to_string()));
                return;
            }
            None => Vec::new(),
        };
        match self.engine.send(self.process, partner_link, operation_name, &body) {
            Ok((instance, exchange)) => {
                out.events.push(format!("delivered to instance {instance}"));
                self.current = Some(instance);
                let expect = match (&step.expect_reply, &step.expect_fault) {
                    (Some(xml), _) => Some(ReplyExpectation::Reply(xml.clone())),
                    (None, Some(name)) => Some(ReplyExpectation::Fault(name.clone())),
                    _ => None,
                };
                let request_response = self
                    .engine
                    .process(self.process)
                    .and_then(|d| operation(d, partner_link, operation_name, true))
                    .is_some_and(|op| op.output.is_some());
                if request_response {
                    self.pending.push(Pending {
                        step: out.number,
                        exchange,
                        expect: expect.unwrap_or(ReplyExpectation::Any),
                        target: (partner_link.to_string(), operation_name.to_string()),
                    });
                }
            }
            Err(error) => match &step.expect_fault {
                Some(_) => out.events.push(format!("refused: {error}")),
                None => out.failures.push(mismatch("send", "the message delivered", &error.to_string())),
            },
        }
    }

    fn expect_invoke(&mut self, step: &StepSpec, target: &str, out: &mut StepReport) {
        self.collect(out);
        let Some((partner_link, operation_name)) = target.split_once('.') else {
            out.failures.push(mismatch("expect_invoke", "partnerLink.operation", target));
            return;
        };
        let Some(index) = self.calls.iter().position(|c| c.partner_link == partner_link && c.operation == operation_name) else {
            let made: Vec<String> = self.calls.iter().map(|c| format!("{}.{}", c.partner_link, c.operation)).collect();
            let actual = if made.is_empty() { "no call".to_string() } else { format!("calls of {}", made.join(", ")) };
            out.failures.push(mismatch("the process calls its partner", target, &actual));
            return;
        };
        let call = self.calls.remove(index);
        if let Some(expected) = &step.request {
            let wire = self.wire(partner_link, operation_name, false, false, &call.message);
            compare_xml("the request", expected, &wire, out);
        }
        if let Some(delay) = &step.delay {
            match duration_millis(delay) {
                Some(millis) => self.engine.advance(millis),
                None => out.failures.push(mismatch("delay", "an xsd:duration", delay)),
            }
        }
        let Some(deployed) = self.engine.process(self.process) else { return };
        let op = operation(deployed, partner_link, operation_name, false);
        let answer = if let Some(name) = &step.fault {
            let data = match step.fault_body.as_deref().map(XmlElement::parse) {
                Some(Ok(body)) => Some(body),
                Some(Err(e)) => {
                    out.failures.push(mismatch("the fault body", "well-formed XML", &e.to_string()));
                    None
                }
                None => None,
            };
            Some(Err(partner_fault(deployed, partner_link, operation_name, name, data, "the scenario")))
        } else if let Some(body) = &step.reply {
            match (XmlElement::parse(body), op.and_then(|op| message_type(deployed, op, Direction::Output))) {
                (Ok(body), Some(ty)) => Some(Ok(message_from_body(&ty, &self.unwrap_body(partner_link, operation_name, false, body)))),
                (Err(e), _) => {
                    out.failures.push(mismatch("the reply body", "well-formed XML", &e.to_string()));
                    None
                }
                (Ok(_), None) => {
                    out.failures.push(mismatch("reply", "a request-response operation", &format!("{target} is one-way")));
                    None
                }
            }
        } else {
            None
        };
        if let Some(answer) = answer {
            if call.one_way {
                out.failures.push(mismatch("answer", "a request-response call", "a one-way call"));
                return;
            }
            self.engine.answer(call.instance, call.request, answer);
        }
    }

    fn unwrap_body(&self, partner_link: &str, operation: &str, my_role: bool, body: XmlElement) -> Vec<XmlElement> {
        match self.engine.process(self.process) {
            Some(deployed) => body_parts(deployed, partner_link, operation, my_role, body),
            None => vec![body],
        }
    }

    fn wire(&self, partner_link: &str, operation: &str, my_role: bool, response: bool, message: &Message) -> Message {
        match self.engine.process(self.process) {
            Some(deployed) => wire_message(deployed, partner_link, operation, my_role, response, message),
            None => message.clone(),
        }
    }

    /// What the engine produced since the last look: calls and replies.
    fn collect(&mut self, out: &mut StepReport) {
        for call in self.engine.drain_invocations() {
            out.events.push(format!(
                "instance {} calls {}.{}{} with {}",
                call.instance,
                call.partner_link,
                call.operation,
                if call.one_way { " (one-way)" } else { "" },
                message_text(&call.message)
            ));
            self.calls.push(call);
        }
        for reply in self.engine.drain_replies() {
            out.events.push(match &reply.result {
                Ok(message) => format!("instance {} replies {}", reply.instance, message_text(message)),
                Err(fault) => format!("instance {} replies with the fault {fault}", reply.instance),
            });
            out.replies.push((reply.instance, reply.result.clone()));
            self.replies.push((reply.exchange, reply.result));
        }
    }

    /// Checks the pending reply expectations whose replies have come.
    fn settle_pending(&mut self, out: &mut StepReport) {
        let mut still = Vec::new();
        for pending in std::mem::take(&mut self.pending) {
            let Some(index) = self.replies.iter().position(|(x, _)| *x == pending.exchange) else {
                still.push(pending);
                continue;
            };
            let (_, result) = self.replies.remove(index);
            let what = format!("the reply to step {}", pending.step);
            match (pending.expect, result) {
                (ReplyExpectation::Any, _) => {}
                (ReplyExpectation::Reply(expected), Ok(message)) => {
                    let wire = self.wire(&pending.target.0, &pending.target.1, true, true, &message);
                    compare_xml(&what, &expected, &wire, out)
                }
                (ReplyExpectation::Reply(expected), Err(fault)) => {
                    out.failures.push(mismatch(&what, &expected, &format!("the fault {fault}")))
                }
                (ReplyExpectation::Fault(name), Err(fault)) => {
                    if !fault_is(&fault, &name, self.engine.process(self.process)) {
                        out.failures.push(mismatch(&what, &format!("the fault {name}"), &format!("the fault {fault}")));
                    }
                }
                (ReplyExpectation::Fault(name), Ok(message)) => {
                    out.failures.push(mismatch(&what, &format!("the fault {name}"), &message_text(&message)))
                }
            }
        }
        self.pending = still;
    }
}

fn mismatch(what: &str, expected: &str, actual: &str) -> Mismatch {
    Mismatch { what: what.to_string(), expected: expected.to_string(), actual: actual.to_string() }
}

fn describe(step: &StepSpec) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &step.send {
        parts.push(format!("send {t}"));
    }
    if let Some(t) = &step.expect_invoke {
        parts.push(format!("expect a call of {t}"));
    }
    if let Some(d) = &step.advance {
        parts.push(format!("advance the clock by {d}"));
    }
    if step.checkpoint == Some(true) {
        parts.push("checkpoint and restore".to_string());
    }
    if let Some(s) = &step.expect_status {
        parts.push(format!("expect status {s}"));
    }
    if let Some(a) = &step.assert {
        parts.push(format!("assert {a}"));
    }
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    }
}

/// A message's parts as XML, for the report.
pub fn message_text(message: &Message) -> String {
    match message.parts.as_slice() {
        [part] => part.value.to_xml(),
        parts => parts.iter().map(|p| format!("{}={}", p.name, p.value.to_xml())).collect::<Vec<_>>().join(" "),
    }
}

/// Compares a message with expected XML after canonicalisation: the one part's element, or a
/// wrapper whose children are the parts.
fn compare_xml(what: &str, expected: &str, message: &Message, out: &mut StepReport) {
    let expected_element = match XmlElement::parse(expected) {
        Ok(e) => e,
        Err(e) => {
            out.failures.push(mismatch(what, "well-formed XML in the scenario", &e.to_string()));
            return;
        }
    };
    let same = match message.parts.as_slice() {
        [part] => part.value.canonical_eq(&expected_element),
        parts => {
            let children: Vec<&XmlElement> = expected_element.child_elements().collect();
            children.len() == parts.len() && parts.iter().zip(children).all(|(p, c)| p.value.canonical_eq(c))
        }
    };
    if !same {
        out.failures.push(mismatch(what, &expected_element.canonical(), &message_text(message)));
    }
}

/// The message parts of a SOAP body as the operation's binding puts them on the wire (an rpc
/// wrapper holds one accessor per part; a document body is the parts). `my_role`: an operation the
/// process offers, else one of its partners'.
pub fn body_parts(deployed: &super::Deployed, partner_link: &str, operation: &str, my_role: bool, body: XmlElement) -> Vec<XmlElement> {
    match binding(deployed, partner_link, operation, my_role) {
        Some(op) => soap::request_parts(&op, std::slice::from_ref(&body)),
        None => vec![body],
    }
}

fn binding(deployed: &super::Deployed, partner_link: &str, operation: &str, my_role: bool) -> Option<soap::BoundOperation> {
    let decl = deployed.partner_link_decl(partner_link)?;
    let port_type = if my_role { decl.my_port_type.as_ref()? } else { decl.partner_port_type.as_ref()? };
    soap::operation_binding(&deployed.unit.definitions, port_type, operation)
}

/// A message as its operation's binding puts it on the wire (for comparing with the XML a
/// scenario expects, for showing it).
pub fn wire_message(
    deployed: &super::Deployed,
    partner_link: &str,
    operation: &str,
    my_role: bool,
    response: bool,
    message: &Message,
) -> Message {
    match binding(deployed, partner_link, operation, my_role) {
        Some(op) if op.style == soap::Style::Rpc => {
            let mut wire = Message::new(message.message_type.clone());
            for (i, element) in soap::message_body(&op, message, response).into_iter().enumerate() {
                wire.set_part(&format!("body{i}"), element);
            }
            wire
        }
        _ => message.clone(),
    }
}

/// A fault a partner answers a call of `operation` with: `name` written as [`resolve_qname`] reads
/// it, its data a message of the operation's fault type of that name when the WSDL declares one
/// (else the element as it is). `origin` says who answered, for the fault's message.
pub fn partner_fault(
    deployed: &super::Deployed,
    partner_link: &str,
    operation_name: &str,
    name: &str,
    data: Option<XmlElement>,
    origin: &str,
) -> Fault {
    let qname = resolve_qname(deployed, name);
    let ty = operation(deployed, partner_link, operation_name, false).and_then(|op| fault_message_type(deployed, op, &qname.local));
    let data = data.map(|element| match ty {
        Some(ty) => Value::Message(message_from_body(&ty, &[element])),
        None => Value::Element(element),
    });
    Fault::new(qname, data, format!("answered by {origin}"))
}

/// A QName written with the process's namespace prefixes (`prefix:local`), or `{ns}local`.
pub fn resolve_qname(deployed: &super::Deployed, text: &str) -> QName {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('{') {
        if let Some((ns, local)) = rest.split_once('}') {
            return QName::new(Some(ns), local);
        }
    }
    let process = deployed.process();
    let scope = process.activity.map_or(process.namespaces.root(), |a| process.activity(a).namespaces);
    match text.split_once(':') {
        Some((prefix, local)) => QName::new(process.namespaces.lookup(scope, Some(prefix)), local),
        None => QName::new(None, text),
    }
}

fn fault_is(fault: &Fault, name: &str, deployed: Option<&super::Deployed>) -> bool {
    if !name.contains(':') && !name.starts_with('{') {
        return fault.name.local == name.trim();
    }
    deployed.is_some_and(|d| resolve_qname(d, name) == fault.name)
}
