//! The betsy conformance runner, in process: every executable test of `cases.json` against the
//! engine on a virtual clock, with betsy's test partner (README §5) played by [`TestPartner`], and
//! the test cases judged by betsy's rules (README §3.3).

use std::collections::BTreeMap;
use std::path::Path;

use bpel_engine::exec::{Engine, ExchangeId, InstanceId, Invocation, ProcessId};
use bpel_engine::fault::Fault;
use bpel_engine::model::QName;
use bpel_engine::xml::{Message, XmlElement};
use serde_json::Value as Json;

pub const TEST_PARTNER_NS: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner";
const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// How long (virtual time) a request waits for its reply, as betsy's soapUI timeout.
const REQUEST_TIMEOUT_MS: u64 = 15_000;
/// How long the partner's concurrency probe (input 100) sleeps.
const PROBE_MS: u64 = 1_000;

/// One executable test of cases.json.
pub struct Case {
    pub name: String,
    pub group: String,
    pub bpel_path: String,
    pub json: Json,
}

pub fn cases(betsy: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(betsy.join("cases.json")).expect("read cases.json");
    let all: Json = serde_json::from_str(&text).expect("cases.json is JSON");
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|c| c["group"] != "sa-rules")
        .map(|c| Case {
            name: c["name"].as_str().unwrap_or("?").to_string(),
            group: c["group"].as_str().unwrap_or("?").to_string(),
            bpel_path: c["bpel_path"].as_str().unwrap_or("").to_string(),
            json: c.clone(),
        })
        .collect()
}

/// betsy's test partner (README §5.1, the code that runs in betsy master).
#[derive(Default)]
pub struct TestPartner {
    /// Input-100 calls since the last reset.
    probes: u64,
    /// Concurrent input-100 calls detected since the last reset.
    concurrent: u64,
    /// Input-100 calls in flight: (instance, request, due time).
    in_flight: Vec<(InstanceId, bpel_engine::runtime::RequestId, i64)>,
}

impl TestPartner {
    /// The partner's answer to `startProcessSync(input)` for the queries (101, 102, 103).
    pub fn query(&mut self, input: i64) -> i64 {
        match input {
            101 => self.concurrent as i64,
            102 => self.probes as i64,
            103 => {
                self.probes = 0;
                self.concurrent = 0;
                0
            }
            other => other,
        }
    }

    /// Handles one call of a process. Returns the answer now, or `None` when the call is a probe
    /// that answers later (or a one-way call).
    fn call(&mut self, engine: &Engine, call: &Invocation) -> Option<Result<Message, Fault>> {
        if call.one_way {
            return None;
        }
        // the partner reads its input element; any other body is not a request it knows
        let request = call.message.parts.first().filter(|p| p.value.is(Some(TEST_PARTNER_NS), "testElementSyncRequest"));
        let Some(request) = request else {
            let got = call.message.parts.first().map(|p| p.value.name().to_string()).unwrap_or_default();
            return Some(Err(Fault::new(QName::new(Some(SOAP_ENV_NS), "Client"), None, format!("unknown request element {got}"))));
        };
        let input: i64 = request.value.text().trim().parse().unwrap_or(0);
        let dummy = call.address.as_deref().is_some_and(|a| a.ends_with("/bpel-assigned-testpartner"));
        if dummy {
            return Some(Ok(response(0)));
        }
        match input {
            // an undeclared SOAP fault: faultcode soapenv:Server, detail <tp:Error/>; the engine names
            // such a fault after the detail's element, as the HTTP edge does
            -5 => {
                let detail = XmlElement::new(Some(TEST_PARTNER_NS), "Error");
                Some(Err(Fault::new(detail.name(), Some(bpel_engine::xml::Value::Element(detail)), "expected Error")))
            }
            -6 => {
                let detail = XmlElement::with_text(Some(TEST_PARTNER_NS), "testElementFault", "-6");
                let data = Message::new(QName::new(Some(TEST_PARTNER_NS), "faultMessage")).with_part("outputPart", detail);
                Some(Err(Fault::new(
                    QName::new(Some(TEST_PARTNER_NS), "CustomFault"),
                    Some(bpel_engine::xml::Value::Message(data)),
                    "expected Error",
                )))
            }
            100 => {
                self.probes += 1;
                self.in_flight.push((call.instance, call.request, engine.now().0 + PROBE_MS as i64));
                None
            }
            x => Some(Ok(response(self.query(x)))),
        }
    }
}

fn response(value: i64) -> Message {
    let element = XmlElement::with_text(Some(TEST_PARTNER_NS), "testElementSyncResponse", &value.to_string());
    Message::new(QName::new(Some(TEST_PARTNER_NS), "executeProcessSyncResponse")).with_part("outputPart", element)
}

/// The outcome of one test.
pub struct Outcome {
    pub passed: bool,
    /// Why it failed: the first test case step that did not hold.
    pub reason: String,
}

/// Runs one betsy test: a fresh engine, its test cases in order.
pub fn run(betsy: &Path, case: &Case, checkpoint_every_step: bool) -> Outcome {
    let mut engine = Engine::new();
    engine.checkpoint_every_step = checkpoint_every_step;
    let mut partner = TestPartner::default();
    let mut process: Option<ProcessId> = None;
    let test_cases = case.json["test_cases"].as_array().cloned().unwrap_or_default();
    for test_case in &test_cases {
        let number = test_case["number"].as_i64().unwrap_or(0);
        for step in test_case["steps"].as_array().cloned().unwrap_or_default() {
            let result = run_step(betsy, case, &mut engine, &mut partner, &mut process, &step);
            if let Err(why) = result {
                return Outcome { passed: false, reason: format!("TC{number}: {}: {why}", step["summary"].as_str().unwrap_or("step")) };
            }
        }
    }
    if checkpoint_every_step && engine.checkpoint_round_trips == 0 {
        return Outcome { passed: false, reason: "no checkpoint was taken".into() };
    }
    if let Some((instance, error)) = engine.checkpoint_failures.first() {
        return Outcome { passed: false, reason: format!("checkpoint round trip of instance {instance} failed: {error}") };
    }
    Outcome { passed: true, reason: String::new() }
}

fn run_step(
    betsy: &Path,
    case: &Case,
    engine: &mut Engine,
    partner: &mut TestPartner,
    process: &mut Option<ProcessId>,
    step: &Json,
) -> Result<(), String> {
    match step["step"].as_str() {
        Some("checkDeployment") => {
            if process.is_none() {
                match engine.deploy(&betsy.join(&case.bpel_path)) {
                    Ok(id) => *process = Some(id),
                    Err(error) => {
                        return if step["expect"] == "not_deployed" { Ok(()) } else { Err(format!("not deployed: {error}")) };
                    }
                }
            }
            if step["expect"] == "not_deployed" {
                return Err("deployed, but should have been refused".into());
            }
            Ok(())
        }
        Some("wait") => {
            let ms = step["ms"].as_u64().unwrap_or(0);
            settle(engine, partner, ms);
            Ok(())
        }
        Some("send") if step["service"] == "testPartner" => {
            let input = step["input"].as_i64().unwrap_or(0);
            let output = partner.query(input);
            check_value(&step["expect"], Some(output), None)
        }
        Some("send") => {
            let Some(process) = *process else { return Err("the process is not deployed".into()) };
            let body = XmlElement::parse(step["request_body"].as_str().unwrap_or("")).map_err(|e| format!("bad request body: {e}"))?;
            let operation = step["operation"].as_str().unwrap_or("");
            let Some(partner_link) = my_partner_link(engine, process, operation) else {
                return Err(format!("the process offers no `{operation}`"));
            };
            let sent = engine.send(process, &partner_link, operation, &[body]);
            let one_way = step["one_way"].as_bool().unwrap_or(false);
            if one_way {
                // HTTP 202 when the message was accepted
                sent.map_err(|e| format!("not accepted: {e}"))?;
                settle(engine, partner, 0);
                return Ok(());
            }
            let expect = &step["expect"];
            let (_, exchange) = match sent {
                Ok(sent) => sent,
                Err(error) => {
                    // the engine refused the request: a SOAP fault on the wire
                    let fault = Fault::new(QName::new(Some(SOAP_ENV_NS), "Client"), None, error.to_string());
                    return judge(expect, None, Some(Err(fault)));
                }
            };
            let reply = await_reply(engine, partner, exchange);
            judge(expect, None, reply)
        }
        other => Err(format!("unknown step {other:?}")),
    }
}

/// The partner link whose myRole offers `operation`.
fn my_partner_link(engine: &Engine, process: ProcessId, operation: &str) -> Option<String> {
    let deployed = engine.process(process)?;
    deployed.decls.iter().flat_map(|d| &d.partner_links).find_map(|p| {
        let port_type = p.my_port_type.as_ref()?;
        deployed.unit.definitions.operation(port_type, operation).map(|_| p.name.clone())
    })
}

/// Answers the process's partner calls and lets virtual time pass until the reply to `exchange`
/// comes, or nothing is left to happen within the request timeout.
fn await_reply(engine: &mut Engine, partner: &mut TestPartner, exchange: ExchangeId) -> Option<Result<Message, Fault>> {
    let deadline = engine.now().0 + REQUEST_TIMEOUT_MS as i64;
    let mut replies: BTreeMap<ExchangeId, Result<Message, Fault>> = BTreeMap::new();
    loop {
        for reply in engine.drain_replies() {
            replies.insert(reply.exchange, reply.result);
        }
        if let Some(reply) = replies.remove(&exchange) {
            return Some(reply);
        }
        if answer_calls(engine, partner) {
            continue;
        }
        // nothing to do now: the next thing that happens in time
        let next = [engine.next_timer().map(|t| t.0), partner.in_flight.iter().map(|c| c.2).min()].into_iter().flatten().min();
        match next {
            Some(at) if at <= deadline => {
                let by = (at - engine.now().0).max(0) as u64;
                engine.advance(by);
                answer_due_probes(engine, partner);
            }
            _ => {
                let by = (deadline - engine.now().0).max(0) as u64;
                engine.advance(by);
                for reply in engine.drain_replies() {
                    replies.insert(reply.exchange, reply.result);
                }
                return replies.remove(&exchange);
            }
        }
    }
}

/// Answers the calls the engine made; true if there were any.
fn answer_calls(engine: &mut Engine, partner: &mut TestPartner) -> bool {
    let calls = engine.drain_invocations();
    if calls.is_empty() {
        return false;
    }
    for call in calls {
        if let Some(answer) = partner.call(engine, &call) {
            engine.answer(call.instance, call.request, answer);
        }
    }
    true
}

/// Answers the probes whose sleep is over: 100 if another probe was in flight meanwhile.
fn answer_due_probes(engine: &mut Engine, partner: &mut TestPartner) {
    let now = engine.now().0;
    let due: Vec<_> = partner.in_flight.iter().filter(|c| c.2 <= now).copied().collect();
    if due.is_empty() {
        return;
    }
    let overlapping = partner.in_flight.len() > 1;
    partner.in_flight.retain(|c| c.2 > now);
    for (instance, request, _) in due {
        let value = if overlapping {
            partner.concurrent += 1;
            100
        } else {
            0
        };
        engine.answer(instance, request, Ok(response(value)));
    }
}

/// Lets `ms` of virtual time pass, answering calls on the way.
fn settle(engine: &mut Engine, partner: &mut TestPartner, ms: u64) {
    let end = engine.now().0 + ms as i64;
    loop {
        while answer_calls(engine, partner) {}
        engine.drain_replies();
        let next = [engine.next_timer().map(|t| t.0), partner.in_flight.iter().map(|c| c.2).min()].into_iter().flatten().min();
        match next {
            Some(at) if at <= end => {
                engine.advance((at - engine.now().0).max(0) as u64);
                answer_due_probes(engine, partner);
            }
            _ => {
                engine.advance((end - engine.now().0).max(0) as u64);
                while answer_calls(engine, partner) {}
                return;
            }
        }
    }
}

/// Judges a reply by betsy's assertions (README §3.3).
fn judge(expect: &Json, _partner_output: Option<i64>, reply: Option<Result<Message, Fault>>) -> Result<(), String> {
    if expect["exit"] == true {
        return match reply {
            None | Some(Err(_)) => Ok(()),
            Some(Ok(message)) => Err(format!("a normal reply came back: {}", text_of(&message))),
        };
    }
    // `output_string: "unchecked"` is cases.json's "value not checked"
    let only_no_fault =
        expect.as_object().is_some_and(|o| o.iter().all(|(k, v)| k == "no_soap_fault" || (k == "output_string" && v == "unchecked")));
    let Some(reply) = reply else {
        // "not a SOAP fault" alone holds for a request left open on purpose (betsy's notes say so
        // for ReceiveReply-ConflictingRequestFault)
        return if only_no_fault { Ok(()) } else { Err("no reply within 15 s".into()) };
    };
    if let Some(token) = expect["fault_contains"].as_str() {
        return match reply {
            Err(fault) => {
                let raw = fault_text(&fault);
                if !raw.contains(token) {
                    return Err(format!("the fault `{raw}` does not contain `{token}`"));
                }
                if let Some(output) = expect["output"].as_i64() {
                    let value = fault.data().and_then(|d| match d {
                        bpel_engine::xml::Value::Message(m) => m.parts.first().map(|p| p.value.text()),
                        bpel_engine::xml::Value::Element(e) => Some(e.text()),
                    });
                    let value = value.and_then(|v| v.trim().parse::<i64>().ok());
                    if value != Some(output) {
                        return Err(format!("the fault data is {value:?}, expected {output}"));
                    }
                }
                Ok(())
            }
            Ok(message) => Err(format!("expected a fault containing `{token}`, got the reply {}", text_of(&message))),
        };
    }
    match reply {
        Err(fault) => Err(format!("unexpected fault: {}", fault_text(&fault))),
        Ok(message) => {
            let text = text_of(&message);
            check_value(expect, text.trim().parse::<i64>().ok(), Some(&text))
        }
    }
}

/// The value expectations of a step (output, output_string, at least, the partner's answers).
pub fn check_value(expect: &Json, number: Option<i64>, text: Option<&str>) -> Result<(), String> {
    if let Some(output) = expect["output"].as_i64() {
        if number != Some(output) {
            return Err(format!("expected {output}, got {}", text.map_or(format!("{number:?}"), str::to_string)));
        }
    }
    if let Some(output) = expect["output_string"].as_str().filter(|o| *o != "unchecked") {
        if text != Some(output) {
            return Err(format!("expected `{output}`, got {text:?}"));
        }
    }
    if let Some(least) = expect["output_at_least"].as_i64() {
        if number.is_none_or(|n| n < least) {
            return Err(format!("expected at least {least}, got {number:?}"));
        }
    }
    if let Some(gt) = expect["partner_output_gt"].as_i64() {
        if number.is_none_or(|n| n <= gt) {
            return Err(format!("the partner says {number:?}, expected more than {gt}"));
        }
    }
    if let Some(output) = expect["partner_output"].as_i64() {
        if number != Some(output) {
            return Err(format!("the partner says {number:?}, expected {output}"));
        }
    }
    Ok(())
}

fn text_of(message: &Message) -> String {
    message.parts.first().map(|p| p.value.text()).unwrap_or_default()
}

/// What a SOAP fault of this fault would contain: the faultcode's local name, the message, the
/// detail.
pub fn fault_text(fault: &Fault) -> String {
    let detail = match fault.data() {
        Some(bpel_engine::xml::Value::Message(m)) => m.parts.iter().map(|p| p.value.to_xml()).collect::<String>(),
        Some(bpel_engine::xml::Value::Element(e)) => e.to_xml(),
        None => String::new(),
    };
    format!("{} {} {}", fault.name.local, fault.message, detail)
}

/// Outcomes per group, for the table the betsy tests print.
#[derive(Default)]
pub struct Tally {
    /// Group → (passed, total, failing names with reasons).
    groups: BTreeMap<String, (usize, usize, Vec<String>)>,
    /// `group/name` of every test that passed.
    pub passing: Vec<String>,
}

impl Tally {
    pub fn add(&mut self, case: &Case, outcome: &Outcome) {
        let entry = self.groups.entry(case.group.clone()).or_default();
        entry.1 += 1;
        if outcome.passed {
            entry.0 += 1;
            self.passing.push(format!("{}/{}", case.group, case.name));
        } else {
            entry.2.push(format!("{}: {}", case.name, outcome.reason.replace('\n', " ⏎ ")));
        }
    }

    /// A markdown table per group, then the failing tests with their reasons.
    pub fn table(&self) -> String {
        let mut out = String::from("| group | passed | total |\n|---|---|---|\n");
        let (mut passed_all, mut total_all) = (0, 0);
        for (group, (passed, total, _)) in &self.groups {
            out.push_str(&format!("| {group} | {passed} | {total} |\n"));
            passed_all += passed;
            total_all += total;
        }
        out.push_str(&format!("| **all** | **{passed_all}** | **{total_all}** |\n\nFailing:\n"));
        for (group, (_, _, failing)) in &self.groups {
            for failure in failing {
                out.push_str(&format!("- {group}/{failure}\n"));
            }
        }
        out
    }

    /// The lines of a passing-set file (`group/name`) that did not pass here.
    pub fn lost(&self, gate: &str) -> Vec<String> {
        gate.lines().map(str::trim).filter(|l| !l.is_empty() && !self.passing.iter().any(|p| p == l)).map(str::to_string).collect()
    }
}
