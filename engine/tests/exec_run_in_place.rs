//! Run in place on the examples and on small processes: sample messages that the XSD accepts,
//! sample runs that pass (invokes answered with samples, timers reached on the virtual clock),
//! activity counts, where an uncaught fault was thrown, scenarios in the same report shape, and
//! checkpoints of a run's instances that a new engine restores.

use std::path::{Path, PathBuf};

use bpel_engine::exec::messages::{message_from_body, Direction};
use bpel_engine::exec::run_in_place::{
    run_sample, run_sample_path, run_sample_reporting, run_scenario, run_scenario_reporting, Run, RunOptions, RunReport, RunStep,
};
use bpel_engine::exec::sample::{sample_message, sample_start_message, start_activities, Role, SampleError};
use bpel_engine::exec::scenario::Scenario;
use bpel_engine::exec::{Deployed, Engine};
use bpel_engine::runtime::InstanceStatus;
use bpel_engine::xml::{validate_variable, Value, VarType};

const EXAMPLES: [&str; 4] = ["echo/echo", "calculator/calculator", "order-approval/order-approval", "long-running/long-running"];

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(format!("{name}.bpel"))
}

fn deployed(path: &Path) -> Deployed {
    Deployed::load(path).unwrap_or_else(|e| panic!("{e}"))
}

fn sample_run(path: &Path, options: &RunOptions) -> Run {
    run_sample_path(path, options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn steps(report: &RunReport) -> String {
    report
        .steps
        .iter()
        .map(|s| format!("[{}] {}\n    {}", if s.ok { "ok" } else { "FAILED" }, s.description, s.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The count of the activity whose description contains `needle` (0 if it never completed).
fn count_of(report: &RunReport, needle: &str) -> u64 {
    report.activity_counts.iter().find(|c| c.site.description.contains(needle)).map_or(0, |c| c.count)
}

#[test]
fn the_start_message_of_every_example_is_valid_per_its_schema() {
    for name in EXAMPLES {
        let deployed = deployed(&example(name));
        let start = start_activities(&deployed);
        assert!(!start.is_empty(), "{name} has a start activity");
        let sample = sample_start_message(&deployed).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (sample.partner_link.as_str(), sample.operation.as_str()),
            (start[0].partner_link.as_str(), start[0].operation.as_str())
        );
        let ty = deployed.message_type(&sample.message_type).unwrap();
        assert_eq!(sample.parts.len(), ty.parts.len(), "{name}: one body element per part");
        let message = message_from_body(&ty, &sample.body().unwrap());
        let validation =
            validate_variable(&deployed.unit.definitions, "sample", &VarType::Message(ty.clone()), Some(&Value::Message(message)))
                .unwrap_or_else(|fault| panic!("{name}: the sample {:?} is not valid: {fault}", sample.parts));
        assert!(validation.unchecked.is_empty(), "{name}: {:?}", validation.unchecked);

        // and the engine takes it: a new instance, no fault
        let mut engine = Engine::new();
        let process = engine.deploy_compiled(deployed);
        let (instance, _) = engine.send(process, &sample.partner_link, &sample.operation, &sample.body().unwrap()).unwrap();
        assert_ne!(engine.instance(instance).unwrap().instance.status(), InstanceStatus::Faulted, "{name}");
    }
}

#[test]
fn an_rpc_sample_is_wrapped_on_the_wire_and_named_after_its_parts_for_the_engine() {
    let deployed = deployed(&example("calculator/calculator"));
    let sample = sample_message(&deployed, "client", "add", Role::Mine, Direction::Input).unwrap();
    let parts: Vec<&str> = sample.parts.iter().map(|p| p.xml.as_str()).collect();
    assert_eq!(parts, ["<a>0</a>", "<b>0</b>"]);
    assert_eq!(sample.wire.len(), 1);
    assert!(sample.wire[0].contains(":add ") && sample.wire[0].contains("<a>0</a><b>0</b>"), "{}", sample.wire[0]);
    let reply = sample_message(&deployed, "client", "add", Role::Mine, Direction::Output).unwrap();
    assert!(reply.wire[0].contains("addResponse") && reply.wire[0].contains("<sum>0</sum>"), "{:?}", reply.wire);

    assert!(matches!(sample_message(&deployed, "nobody", "add", Role::Mine, Direction::Input), Err(SampleError::NoPartnerLink(_))));
    assert!(matches!(sample_message(&deployed, "client", "add", Role::Partner, Direction::Input), Err(SampleError::NoOperation { .. })));
    assert!(matches!(sample_message(&deployed, "client", "subtract", Role::Mine, Direction::Input), Err(SampleError::NoOperation { .. })));
}

#[test]
fn a_sample_run_passes_on_every_example() {
    for name in EXAMPLES {
        let run = sample_run(&example(name), &RunOptions::default());
        let report = &run.report;
        assert!(report.passed, "{name}:\n{}", steps(report));
        assert_eq!(report.instances.len(), 1, "{name}");
        assert!(report.steps[0].description.starts_with("send "), "{name}: {}", steps(report));
        assert!(!report.activity_counts.is_empty(), "{name}");
        assert!(report.instances[0].variables.iter().any(|v| v.value.is_some()), "{name}: {:?}", report.instances[0].variables);
    }
}

#[test]
fn the_echo_reply_echoes_the_sample_text() {
    let deployed = deployed(&example("echo/echo"));
    let sample = sample_start_message(&deployed).unwrap();
    let text = sample.parts[0].xml.split('>').nth(1).and_then(|rest| rest.split('<').next()).unwrap().to_string();
    assert!(!text.is_empty(), "{:?}", sample.parts);
    let run = run_sample(deployed, &RunOptions::default()).unwrap();
    let instance = &run.report.instances[0];
    assert_eq!(instance.status, "completed");
    let reply = instance.reply.as_deref().unwrap();
    assert!(reply.contains("echoResponse") && reply.contains(&format!(">{text}<")), "{reply}");
    assert_eq!(instance.fault, None);
    let response = instance.variables.iter().find(|v| v.name == "response").unwrap();
    assert!(response.value.as_deref().unwrap().contains(&format!(">{text}<")), "{response:?}");
    for activity in ["ReceiveEcho", "CopyText", "ReplyEcho", "Main"] {
        assert_eq!(count_of(&run.report, &format!("\"{activity}\"")), 1, "{activity}: {:?}", run.report.activity_counts);
    }
}

#[test]
fn order_approval_invokes_the_approver_who_is_answered_with_a_sample() {
    let path = example("order-approval/order-approval");
    let sample = sample_start_message(&deployed(&path)).unwrap();
    // the sample's amount (0) is approved at once: edit it as a user would, above the limit
    let edited: Vec<String> = sample.parts.iter().map(|p| p.xml.replace(":amount>0<", ":amount>5000<")).collect();
    assert_ne!(edited, sample.parts.iter().map(|p| p.xml.clone()).collect::<Vec<_>>(), "the sample has an amount of 0");
    let run = sample_run(&path, &RunOptions { body: Some(edited), ..RunOptions::default() });
    let report = &run.report;
    assert!(report.passed, "{}", steps(report));
    let answer = report.steps.iter().find(|s| s.description.contains("approver.approve")).unwrap_or_else(|| panic!("{}", steps(report)));
    assert!(answer.ok && answer.description.contains("with a sample"), "{}", steps(report));
    assert!(answer.detail.contains(">5000<") && answer.detail.contains("approval"), "{}", answer.detail);
    let instance = &report.instances[0];
    assert_eq!(instance.status, "completed", "{}", steps(report));
    assert!(instance.reply.as_deref().unwrap().contains(">approved<"), "{:?}", instance.reply);
    assert_eq!(count_of(report, "<invoke"), 1, "{:?}", report.activity_counts);

    // the sample as generated: no call is made
    let run = sample_run(&path, &RunOptions::default());
    assert!(run.report.passed, "{}", steps(&run.report));
    assert!(!run.report.steps.iter().any(|s| s.description.contains("approver")), "{}", steps(&run.report));
    assert_eq!(count_of(&run.report, "<invoke"), 0);
}

#[test]
fn long_running_reaches_its_alarm_on_the_virtual_clock_and_completes() {
    let run = sample_run(&example("long-running/long-running"), &RunOptions::default());
    let report = &run.report;
    assert!(report.passed, "{}", steps(report));
    let advance =
        report.steps.iter().find(|s| s.description.starts_with("advance the clock")).unwrap_or_else(|| panic!("{}", steps(report)));
    assert!(advance.description.contains("2026-01-04T00:00:00Z") && advance.description.contains("+3d"), "{}", advance.description);
    assert!(report.steps.iter().any(|s| s.description.contains("notifier.orderClosed (one-way)")), "{}", steps(report));
    assert_eq!(report.instances[0].status, "completed");
    assert_eq!(count_of(report, "MarkCancelled"), 1);
    assert_eq!(count_of(report, "MarkPaid"), 0);
    let closing = report.instances[0].variables.iter().find(|v| v.name == "closing").unwrap();
    assert!(closing.value.as_deref().unwrap().contains(">cancelled<"), "{closing:?}");

    // a limit of two days stops before the alarm, with a note, and the instance still waits
    let short = RunOptions { max_virtual_millis: 2 * 86_400_000, ..RunOptions::default() };
    let run = sample_run(&example("long-running/long-running"), &short);
    assert!(run.report.passed);
    assert_eq!(run.report.instances[0].status, "running");
    assert!(run.report.notes.iter().any(|n| n.contains("beyond the limit")), "{:?}", run.report.notes);
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounded")
}

/// The loop fixture of exec_bounded with `body` in its while, in a fresh folder.
fn loop_process(name: &str, body: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("bpel-run-in-place-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixtures().join("loop.wsdl"), dir.join("loop.wsdl")).unwrap();
    let template = std::fs::read_to_string(fixtures().join("loop.bpel.in")).unwrap();
    let path = dir.join("loop.bpel");
    std::fs::write(&path, template.replace("BODY", body)).unwrap();
    (dir, path)
}

fn rounds(count: u32) -> RunOptions {
    RunOptions {
        body: Some(vec![format!(r#"<t:count xmlns:t="http://example.com/bpel/tests/loop">{count}</t:count>"#)]),
        ..RunOptions::default()
    }
}

#[test]
fn activity_counts_follow_a_loop_of_three_rounds() {
    let (dir, path) = loop_process(
        "count",
        r#"<sequence name="Round"><assign name="Increment"><copy><from>$i + 1</from><to variable="i"/></copy></assign></sequence>"#,
    );
    let run = sample_run(&path, &rounds(3));
    let _ = std::fs::remove_dir_all(&dir);
    let report = &run.report;
    assert!(report.passed, "{}", steps(report));
    assert_eq!(count_of(report, "\"Round\""), 3, "{:?}", report.activity_counts);
    assert_eq!(count_of(report, "\"Increment\""), 3);
    assert_eq!(count_of(report, "<while"), 1);
    assert_eq!(count_of(report, "<wait"), 1, "the day's wait after the loop is reached on the virtual clock");
    assert_eq!(report.instances[0].status, "completed");
    let i = report.instances[0].variables.iter().find(|v| v.name == "i").unwrap();
    assert!(i.value.as_deref().unwrap().contains(">3<"), "{i:?}");
    // every count points at its activity's element in the process text
    let text = std::fs::read_to_string(fixtures().join("loop.bpel.in")).unwrap().replace(
        "BODY",
        r#"<sequence name="Round"><assign name="Increment"><copy><from>$i + 1</from><to variable="i"/></copy></assign></sequence>"#,
    );
    let round = report.activity_counts.iter().find(|c| c.site.description.contains("\"Round\"")).unwrap();
    assert!(text[round.site.span.start as usize..round.site.span.end as usize].starts_with("<sequence name=\"Round\">"));
}

#[test]
fn an_uncaught_fault_names_the_activity_that_threw_it() {
    for (name, body) in [
        ("throw", r#"<throw name="Boom" faultName="tns:boom"/>"#),
        // thrown in a branch: the flow takes it from the branch, but did not throw it
        ("flow", r#"<flow name="Both"><empty name="Quiet"/><throw name="Boom" faultName="tns:boom"/></flow>"#),
        // caught and rethrown the first round: the rethrow is where the uncaught fault comes from
        (
            "rethrow",
            r#"<scope name="Guarded"><faultHandlers><catchAll><rethrow name="Again"/></catchAll></faultHandlers>
               <throw name="Boom" faultName="tns:boom"/></scope>"#,
        ),
    ] {
        let (dir, path) = loop_process(name, body);
        let run = sample_run(&path, &rounds(1));
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let report = &run.report;
        assert!(!report.passed, "{name}: {}", steps(report));
        let instance = &report.instances[0];
        assert_eq!(instance.status, "faulted", "{name}");
        assert!(instance.fault.as_deref().unwrap().contains("boom"), "{name}: {:?}", instance.fault);
        let at = instance.thrown_at.as_ref().unwrap_or_else(|| panic!("{name}: no site: {report:?}"));
        let expected = if name == "rethrow" { "<rethrow name=\"Again\">" } else { "<throw name=\"Boom\">" };
        assert!(at.description.starts_with(expected), "{name}: {}", at.description);
        let element = &text[at.span.start as usize..at.span.end as usize];
        assert!(element.starts_with(&expected.replace("\">", "\"")), "{name}: {element}");
    }
}

#[test]
fn every_example_scenario_passes_in_the_run_report_shape() {
    for name in EXAMPLES {
        let scenario_path = example(name).with_extension("scenario.toml");
        let scenario = Scenario::load(&scenario_path).unwrap();
        let run = run_scenario(&example(name), &scenario_path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = &run.report;
        assert!(report.passed, "{name}:\n{}", steps(report));
        assert_eq!(report.steps.len(), scenario.steps.len(), "{name}");
        assert!(report.steps.iter().all(|s| s.ok));
        assert!(!report.instances.is_empty() && !report.activity_counts.is_empty(), "{name}");
        assert!(report.instances.iter().any(|i| i.reply.is_some()), "{name}: {:?}", report.instances);
    }
    // a scenario that expects what does not happen fails, step by step
    let dir = std::env::temp_dir().join(format!("bpel-run-in-place-{}-scenario", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrong = std::fs::read_to_string(example("echo/echo").with_extension("scenario.toml")).unwrap().replacen(
        "hello, world</echo:echoResponse>",
        "goodbye</echo:echoResponse>",
        1,
    );
    std::fs::write(dir.join("wrong.scenario.toml"), wrong).unwrap();
    let run = run_scenario(&example("echo/echo"), &dir.join("wrong.scenario.toml")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!run.report.passed);
    assert!(!run.report.steps[0].ok && run.report.steps[0].detail.contains("goodbye"), "{}", steps(&run.report));
    assert!(run.report.steps[1].ok);
}

#[test]
fn a_checkpoint_of_a_run_restores_in_a_new_engine_and_carries_on() {
    let path = example("long-running/long-running");
    let short = RunOptions { max_virtual_millis: 86_400_000, ..RunOptions::default() };
    let run = sample_run(&path, &short);
    let instance = run.report.instances[0].id;
    assert_eq!(run.report.instances[0].status, "running");
    let bytes = run.save_checkpoint(instance).unwrap();
    assert!(run.save_checkpoint(bpel_engine::exec::InstanceId(999)).is_err());

    let mut engine = Engine::starting_at(run.engine().now());
    let process = engine.deploy(&path).unwrap();
    let restored = engine.restore(process, None, &bytes).unwrap();
    assert_eq!(engine.instance(restored).unwrap().instance.status(), InstanceStatus::Running);
    engine.advance(3 * 86_400_000);
    assert_eq!(engine.instance(restored).unwrap().instance.status(), InstanceStatus::Completed);
    let calls = engine.drain_invocations();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].partner_link.as_str(), calls[0].operation.as_str()), ("notifier", "orderClosed"));
}

#[test]
fn the_report_serializes_with_the_fields_the_language_server_returns() {
    let run = sample_run(&example("echo/echo"), &RunOptions::default());
    let json = serde_json::to_value(&run.report).unwrap();
    assert_eq!(json["passed"], true);
    assert!(json["steps"][0]["description"].is_string() && json["steps"][0]["ok"].is_boolean() && json["steps"][0]["detail"].is_string());
    assert_eq!(json["instances"][0]["id"], 1);
    assert_eq!(json["instances"][0]["status"], "completed");
    assert!(json["instances"][0]["reply"].as_str().unwrap().contains("echoResponse"));
    assert!(json["instances"][0].get("fault").is_none());
    assert!(json["activity_counts"][0]["count"].is_u64() && json["activity_counts"][0]["span"].is_object());
}

#[test]
fn a_run_that_would_go_on_stops_at_its_step_limit() {
    let (dir, path) = loop_process(
        "limit",
        r#"<sequence name="Round"><wait name="Hour"><for>'PT1H'</for></wait><assign><copy><from>$i + 1</from><to variable="i"/></copy></assign></sequence>"#,
    );
    let run = sample_run(&path, &RunOptions { max_steps: 4, ..rounds(100) });
    let _ = std::fs::remove_dir_all(&dir);
    let report = &run.report;
    assert!(report.passed, "no fault: {}", steps(report));
    // the request and three hours, then the closing step
    assert_eq!(report.steps.len(), 5, "{}", steps(report));
    assert_eq!(report.steps.iter().filter(|s| s.description.starts_with("advance the clock")).count(), 3);
    assert_eq!(count_of(report, "\"Hour\""), 3);
    assert_eq!(report.instances[0].status, "running");
    assert!(report.notes.iter().any(|n| n.contains("after 4 steps")), "{:?}", report.notes);
}

#[test]
fn a_scenario_that_expects_an_uncaught_fault_passes_and_names_where_it_was_thrown() {
    let (dir, path) = loop_process("scenario-fault", r#"<throw name="Boom" faultName="tns:boom"/>"#);
    let scenario = dir.join("boom.scenario.toml");
    std::fs::write(
        &scenario,
        r#"
[[step]]
send = "client.start"
body = '<t:count xmlns:t="http://example.com/bpel/tests/loop">2</t:count>'

[[step]]
expect_status = "faulted"
"#,
    )
    .unwrap();
    let run = run_scenario(&path, &scenario).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report = &run.report;
    assert!(report.passed, "{}", steps(report));
    assert_eq!(report.steps.len(), 2);
    let instance = &report.instances[0];
    assert_eq!(instance.status, "faulted");
    assert!(instance.thrown_at.as_ref().is_some_and(|at| at.description.starts_with("<throw name=\"Boom\">")), "{instance:?}");
}

#[test]
fn progress_hears_of_every_step_as_it_is_done() {
    let path = example("long-running/long-running");
    let mut heard: Vec<RunStep> = Vec::new();
    let run = run_sample_reporting(deployed(&path), &RunOptions::default(), |step| heard.push(step.clone())).unwrap();
    assert!(heard.len() >= 3, "{}", steps(&run.report));
    assert_eq!(heard, run.report.steps);

    let scenario = Scenario::load(&path.with_extension("scenario.toml")).unwrap();
    let mut heard: Vec<RunStep> = Vec::new();
    let run = run_scenario_reporting(deployed(&path), &scenario, |step| heard.push(step.clone())).unwrap();
    assert_eq!(heard.len(), scenario.steps.len());
    assert_eq!(heard, run.report.steps);
}

fn betsy(path: &str) -> PathBuf {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let file = shared.join("conformance/betsy").join(path);
    assert!(file.is_file(), "betsy conformance suite not found at {} (set BPEL_SHARED)", file.display());
    file
}

#[test]
fn a_pick_that_creates_the_instance_offers_each_on_message_and_the_first_is_run() {
    let path = betsy("cfpatterns/WCP16-DeferredChoice.bpel");
    let deployed = deployed(&path);
    let start = start_activities(&deployed);
    let operations: Vec<&str> = start.iter().map(|s| s.operation.as_str()).collect();
    assert_eq!(operations, ["startProcessSync", "startProcessSyncString"]);
    assert!(start.iter().all(|s| s.kind == "onMessage" && s.activity == start[0].activity));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text[start[1].span.start as usize..].starts_with("<onMessage partnerLink=\"MyRoleLink\" operation=\"startProcessSyncString\""));

    let run = sample_run(&path, &RunOptions::default());
    assert!(run.report.passed, "{}", steps(&run.report));
    assert!(run.report.steps[0].description.starts_with("send MyRoleLink.startProcessSync "), "{}", steps(&run.report));
    assert_eq!(run.report.instances[0].status, "completed");
    assert!(run.report.instances[0].reply.is_some());
    assert_eq!(count_of(&run.report, "\"ReplyToInitialReceive\""), 1, "{:?}", run.report.activity_counts);
    assert_eq!(count_of(&run.report, "\"ReplyToInitialReceiveString\""), 0);
}
