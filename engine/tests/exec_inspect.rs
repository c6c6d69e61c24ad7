//! Inspection in BPEL's words: one real process per kind of wait, driven through the engine, and the
//! report's typed fields, its text and its JSON checked.

use std::path::{Path, PathBuf};

use bpel_engine::exec::inspect::{
    Children, CorrelationReport, Due, FrameRole, InstanceReport, PropertyValue, TaskletReport, TaskletStatus, Wait,
};
use bpel_engine::exec::time::date_time;
use bpel_engine::exec::{Engine, InstanceId, ProcessId};
use bpel_engine::runtime::{InstanceStatus, Timestamp};
use bpel_engine::xml::XmlElement;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inspect").join(name)
}

fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(path)
}

fn at(text: &str) -> Timestamp {
    date_time(text).unwrap()
}

fn element(xml: &str) -> XmlElement {
    XmlElement::parse(xml).unwrap()
}

/// The line of the first line of `path` that contains `needle`, one-based.
fn line_of(path: &Path, needle: &str) -> u32 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
}

/// An engine on a virtual clock with `process` deployed and one instance started with `key`.
fn started(process: &Path, key: &str) -> (Engine, ProcessId, InstanceId) {
    let mut engine = Engine::starting_at(at("2026-12-07T23:00:00Z"));
    let id = engine.deploy(process).unwrap();
    let (instance, _) =
        engine.send(id, "client", "start", &[element(&format!("<i:start xmlns:i='urn:inspect'><i:key>{key}</i:key></i:start>"))]).unwrap();
    (engine, id, instance)
}

/// The tasklet whose innermost activity is named `name`.
fn tasklet<'a>(report: &'a InstanceReport, name: &str) -> &'a TaskletReport {
    report
        .tasklets
        .iter()
        .find(|t| t.activity.activity.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no tasklet in {name}:\n{report}"))
}

fn waits(tasklet: &TaskletReport) -> &[Wait] {
    match &tasklet.state {
        TaskletStatus::Waiting { waits } => waits,
        other => panic!("{tasklet} is {other:?}"),
    }
}

#[test]
fn a_receive_waits_for_a_message_with_its_correlation_values() {
    let path = fixture("flow.bpel");
    let (engine, _, instance) = started(&path, "job-7");
    let report = engine.inspect(instance).unwrap();
    let receive = tasklet(&report, "AwaitGo");
    assert_eq!(receive.activity.activity.kind, "receive");
    assert_eq!(receive.activity.activity.line, line_of(&path, "<receive name=\"AwaitGo\""));
    assert_eq!(receive.activity.role, FrameRole::Activity);
    let expected = Wait::Message {
        partner_link: "client".into(),
        operation: "go".into(),
        correlations: vec![CorrelationReport {
            set: "job".into(),
            values: Some(vec![PropertyValue { property: "key".into(), namespace: Some("urn:inspect".into()), value: "job-7".into() }]),
        }],
    };
    assert_eq!(waits(receive), std::slice::from_ref(&expected));
    assert_eq!(expected.to_string(), "message on client.go (key=job-7)");
    let line = line_of(&path, "<receive name=\"AwaitGo\"");
    assert!(
        receive
            .to_string()
            .ends_with(&format!("in <receive name=\"AwaitGo\"> (line {line}): waiting for message on client.go (key=job-7)")),
        "{receive}"
    );
    // the frames from the process down to the receive, and the branch that runs it
    let frames: Vec<String> = receive.frames.iter().map(|f| f.to_string()).collect();
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(receive.frames[0].role, FrameRole::Branch);
    let flow_line = line_of(&path, "<flow name=\"Work\"");
    assert_eq!(frames[0], format!("branch of <flow name=\"Work\"> (line {flow_line})"));
    assert_eq!(receive.frames[0].spawned_by.as_ref().and_then(|a| a.name.as_deref()), Some("Work"));

    // the instance waits for the message and the timer: nothing else moves it
    assert_eq!(report.waiting[0], expected);
    assert_eq!(report.summary, "waiting: message on client.go (key=job-7); timer at 2026-12-08T00:00:00Z");
    assert!(report.to_string().starts_with("InspectFlow: waiting: message on client.go (key=job-7); timer at"), "{report}");
}

#[test]
fn a_wait_shows_its_timer_and_counts_as_waiting() {
    let path = fixture("flow.bpel");
    let (mut engine, _, instance) = started(&path, "job-1");
    let report = engine.inspect(instance).unwrap();
    let hold = tasklet(&report, "Hold");
    assert_eq!(hold.activity.activity.kind, "wait");
    let due = Due { at: "2026-12-08T00:00:00Z".into(), millis: at("2026-12-08T00:00:00Z").as_millis(), in_millis: 3_600_000 };
    assert_eq!(waits(hold), [Wait::Timer(due.clone())]);
    assert!(hold.to_string().ends_with("waiting for timer at 2026-12-08T00:00:00Z"), "{hold}");
    assert_eq!(report.timers, [due]);
    assert_eq!(report.now.at, "2026-12-07T23:00:00Z");

    // half an hour later, the same timer is half an hour away
    engine.advance(1_800_000);
    let report = engine.inspect(instance).unwrap();
    assert!(matches!(waits(tasklet(&report, "Hold")), [Wait::Timer(Due { in_millis: 1_800_000, .. })]), "{report}");

    // the long-running example, paid: its `<wait>` is all the instance waits for
    let mut engine = Engine::starting_at(at("2026-12-07T12:00:00Z"));
    let process = engine.deploy(&example("long-running/long-running.bpel")).unwrap();
    let shop = "http://example.com/bpel/examples/shop";
    let order = element(&format!(
        "<s:placeOrder xmlns:s='{shop}'><s:orderId>42</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>"
    ));
    let (instance, _) = engine.send(process, "customer", "placeOrder", &[order]).unwrap();
    let payment = element(&format!(
        "<s:confirmPayment xmlns:s='{shop}'><s:orderId>42</s:orderId><s:paymentReference>P</s:paymentReference></s:confirmPayment>"
    ));
    engine.send(process, "customer", "confirmPayment", &[payment]).unwrap();
    let overview = engine.overview(instance).unwrap();
    assert_eq!(overview.summary, "waiting: timer at 2026-12-07T13:00:00Z");
    assert!(matches!(overview.waiting.as_slice(), [Wait::Timer(Due { in_millis: 3_600_000, .. })]), "{overview:?}");
    let report = engine.inspect(instance).unwrap();
    assert_eq!(tasklet(&report, "LetPaymentSettle").activity.activity.kind, "wait");
}

#[test]
fn a_pick_waits_for_the_first_of_its_message_and_its_alarm() {
    let mut engine = Engine::starting_at(at("2026-12-05T00:00:00Z"));
    let process = engine.deploy(&example("long-running/long-running.bpel")).unwrap();
    let order = element(
        "<s:placeOrder xmlns:s='http://example.com/bpel/examples/shop'><s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>",
    );
    let (instance, _) = engine.send(process, "customer", "placeOrder", &[order]).unwrap();
    let report = engine.inspect(instance).unwrap();
    let pick = tasklet(&report, "AwaitPayment");
    assert_eq!(pick.activity.activity.kind, "pick");
    assert_eq!(pick.state.to_string(), "waiting for message on customer.confirmPayment (orderId=7) or timer at 2026-12-08T00:00:00Z");
    assert_eq!(report.summary, "waiting: message on customer.confirmPayment (orderId=7); timer at 2026-12-08T00:00:00Z");
}

#[test]
fn a_target_waits_for_its_link() {
    let path = fixture("flow.bpel");
    let (mut engine, process, instance) = started(&path, "job-2");
    let report = engine.inspect(instance).unwrap();
    let target = tasklet(&report, "AfterGo");
    assert_eq!(target.activity.activity.kind, "empty");
    assert_eq!(target.activity.activity.line, line_of(&path, "<empty name=\"AfterGo\""));
    assert_eq!(waits(target), [Wait::Link { link: "goReceived".into() }]);
    assert!(target.to_string().ends_with("waiting for link goReceived"), "{target}");

    // once `go` came, the link is determined and the target ran
    engine.send(process, "client", "go", &[element("<i:go xmlns:i='urn:inspect'><i:key>job-2</i:key></i:go>")]).unwrap();
    let report = engine.inspect(instance).unwrap();
    assert!(report.tasklets.iter().all(|t| t.activity.activity.name.as_deref() != Some("AfterGo")), "{report}");
    assert!(report.trace.iter().any(|a| a.name.as_deref() == Some("AfterGo")), "{report}");
}

#[test]
fn a_flow_waits_for_its_open_branches() {
    let path = fixture("flow.bpel");
    let (mut engine, process, instance) = started(&path, "job-3");
    let report = engine.inspect(instance).unwrap();
    let flow = tasklet(&report, "Work");
    assert_eq!(flow.activity.activity.kind, "flow");
    assert_eq!(flow.id, engine.instance(instance).unwrap().instance.main());
    assert_eq!(waits(flow), [Wait::Children { of: Children::Branches, open: 4 }]);
    assert!(flow.to_string().ends_with("waiting for 4 open branches"), "{flow}");
    let outer: Vec<Option<&str>> = flow.frames.iter().map(|f| f.activity.name.as_deref()).collect();
    assert_eq!(outer, [Some("InspectFlow"), Some("Main"), Some("Work")]);
    assert_eq!(flow.frames[0].activity.kind, "process");

    engine.send(process, "client", "go", &[element("<i:go xmlns:i='urn:inspect'><i:key>job-3</i:key></i:go>")]).unwrap();
    let report = engine.inspect(instance).unwrap();
    assert_eq!(waits(tasklet(&report, "Work")), [Wait::Children { of: Children::Branches, open: 2 }]);
    // a correlated message is no longer awaited: the timer is all that moves the instance
    assert_eq!(report.summary, "waiting: timer at 2026-12-08T00:00:00Z");
}

#[test]
fn an_isolated_scope_waits_its_turn() {
    let path = fixture("flow.bpel");
    let (mut engine, _, instance) = started(&path, "job-4");
    let report = engine.inspect(instance).unwrap();
    let second = tasklet(&report, "Second");
    assert_eq!(second.activity.activity.kind, "scope");
    assert_eq!(waits(second), [Wait::Isolation]);
    assert!(second.to_string().ends_with("waiting for its turn to run an isolated scope"), "{second}");
    // the first isolated scope holds the turn while it waits an hour; then the second runs
    engine.advance(3_600_000);
    let report = engine.inspect(instance).unwrap();
    assert!(report.trace.iter().any(|a| a.name.as_deref() == Some("Queued")), "{report}");
}

#[test]
fn an_invoke_waits_for_its_reply() {
    let path = example("order-approval/order-approval.bpel");
    let mut engine = Engine::starting_at(at("2026-12-07T00:00:00Z"));
    let process = engine.deploy(&path).unwrap();
    let order = element(
        "<ord:order xmlns:ord='http://example.com/bpel/examples/order'><ord:id>B-2</ord:id><ord:customer>Brian</ord:customer><ord:amount>5000</ord:amount></ord:order>",
    );
    let (instance, _) = engine.send(process, "client", "submitOrder", &[order]).unwrap();
    let report = engine.inspect(instance).unwrap();
    let invoke = tasklet(&report, "InvokeApprover");
    assert_eq!(invoke.activity.activity.kind, "invoke");
    assert_eq!(invoke.activity.activity.line, line_of(&path, "<invoke name=\"InvokeApprover\""));
    assert_eq!(waits(invoke), [Wait::Reply { partner_link: "approver".into(), operation: "approve".into() }]);
    assert_eq!(report.summary, "waiting: reply from approver.approve");
    let open: Vec<String> = report.open_requests.iter().map(|r| format!("{}.{}", r.partner_link, r.operation)).collect();
    assert_eq!(open, ["client.submitOrder"]);
    let frames: Vec<&str> = invoke.frames.iter().filter_map(|f| f.activity.name.as_deref()).collect();
    assert_eq!(frames, ["OrderApproval", "Main", "Approval", "Decide", "AboveLimit", "AskApprover", "InvokeApprover"]);
}

#[test]
fn a_scope_waits_for_its_event_handlers() {
    let path = fixture("events.bpel");
    let (mut engine, process, instance) = started(&path, "job-5");
    let report = engine.inspect(instance).unwrap();
    let scope = tasklet(&report, "Watched");
    assert_eq!(scope.activity.role, FrameRole::Activity);
    assert_eq!(waits(scope), [Wait::Children { of: Children::EventHandlers, open: 2 }]);
    assert!(scope.to_string().ends_with("waiting for its main activity and 2 open event handlers"), "{scope}");

    // the onEvent listens with the process's correlation, the onAlarm waits a day
    let listener = report.tasklets.iter().find(|t| t.activity.role == FrameRole::OnEvent { index: 0 }).expect("the onEvent");
    assert_eq!(listener.activity.activity.name.as_deref(), Some("Watched"));
    assert_eq!(listener.state.to_string(), "waiting for message on client.ping (key=job-5)");
    assert!(listener.to_string().contains("in onEvent #1 of <scope name=\"Watched\">"), "{listener}");
    let alarm = report.tasklets.iter().find(|t| t.activity.role == FrameRole::OnAlarm { index: 0 }).expect("the onAlarm");
    assert_eq!(alarm.state.to_string(), "waiting for timer at 2026-12-08T23:00:00Z");
    assert_eq!(
        report.summary,
        "waiting: message on client.ping (key=job-5); timer at 2026-12-08T23:00:00Z; message on client.go (key=job-5)"
    );

    // a ping starts a handler instance, which ends at once; the alarm fires after a day
    engine.send(process, "client", "ping", &[element("<i:ping xmlns:i='urn:inspect'><i:key>job-5</i:key></i:ping>")]).unwrap();
    engine.advance(24 * 3_600_000);
    let report = engine.inspect(instance).unwrap();
    assert!(report.trace.iter().any(|a| a.name.as_deref() == Some("Pinged")), "{report}");
    assert!(report.trace.iter().any(|a| a.name.as_deref() == Some("DayPassed")), "{report}");
    // the listener is still open; the alarm is done
    assert_eq!(waits(tasklet(&report, "Watched")), [Wait::Children { of: Children::EventHandlers, open: 1 }]);

    engine.send(process, "client", "go", &[element("<i:go xmlns:i='urn:inspect'><i:key>job-5</i:key></i:go>")]).unwrap();
    let report = engine.inspect(instance).unwrap();
    assert_eq!(report.status, InstanceStatus::Completed);
    assert_eq!(report.summary, "completed");
    assert!(report.tasklets.is_empty() && report.waiting.is_empty(), "{report}");
}

#[test]
fn the_report_as_json_has_stable_field_names() {
    let path = fixture("flow.bpel");
    let (engine, _, instance) = started(&path, "job-6");
    let report = engine.inspect(instance).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["process"], "InspectFlow");
    assert_eq!(json["status"], "running");
    assert_eq!(json["now"]["at"], "2026-12-07T23:00:00Z");
    let tasklets = json["tasklets"].as_array().unwrap();
    let receive = tasklets.iter().find(|t| t["activity"]["name"] == "AwaitGo").unwrap();
    assert_eq!(receive["activity"]["kind"], "receive");
    assert_eq!(receive["activity"]["role"], "activity");
    assert_eq!(receive["activity"]["line"], line_of(&path, "<receive name=\"AwaitGo\""));
    assert_eq!(receive["state"], "waiting");
    let wait = &receive["waits"][0];
    assert_eq!(wait["kind"], "message");
    assert_eq!(wait["partner_link"], "client");
    assert_eq!(wait["operation"], "go");
    assert_eq!(wait["correlations"][0]["set"], "job");
    assert_eq!(wait["correlations"][0]["values"][0]["property"], "key");
    assert_eq!(wait["correlations"][0]["values"][0]["value"], "job-6");
    assert_eq!(receive["frames"][0]["role"], "branch");
    let hold = tasklets.iter().find(|t| t["activity"]["name"] == "Hold").unwrap();
    assert_eq!(
        hold["waits"][0],
        serde_json::json!({"kind": "timer", "at": "2026-12-08T00:00:00Z", "millis": at("2026-12-08T00:00:00Z").as_millis(), "in_millis": 3_600_000})
    );
    let flow = tasklets.iter().find(|t| t["activity"]["name"] == "Work").unwrap();
    assert_eq!(flow["waits"][0], serde_json::json!({"kind": "children", "of": "branches", "open": 4}));
    let target = tasklets.iter().find(|t| t["activity"]["name"] == "AfterGo").unwrap();
    assert_eq!(target["waits"][0], serde_json::json!({"kind": "link", "link": "goReceived"}));
    let second = tasklets.iter().find(|t| t["activity"]["name"] == "Second").unwrap();
    assert_eq!(second["waits"][0], serde_json::json!({"kind": "isolation"}));
    assert_eq!(json["summary"], report.summary);
    assert_eq!(json["waiting"].as_array().unwrap().len(), 2);
    assert_eq!(json["variables"].as_array().unwrap().iter().filter(|v| v["name"] == "start").count(), 1);
}
