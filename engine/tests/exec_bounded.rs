//! Instance state stays bounded over a long life: a `while` that runs a scope, a flow or a parallel
//! forEach ten thousand times keeps a checkpoint about as small as after ten rounds, because
//! finished scope instances, flow branches and iterations are collected; with a compensation
//! handler in the loop every round stays compensable, so the state grows as WS-BPEL requires.

use std::path::{Path, PathBuf};

use bpel_engine::exec::{Engine, InstanceId};
use bpel_engine::xml::XmlElement;

const INCREMENT: &str = "<assign><copy><from>$i + 1</from><to variable=\"i\"/></copy></assign>";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounded")
}

/// The loop process with `body` as the while's activity, written beside its WSDL in `dir`.
fn loop_process(dir: &Path, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let template = std::fs::read_to_string(fixtures().join("loop.bpel.in")).unwrap();
    std::fs::copy(fixtures().join("loop.wsdl"), dir.join("loop.wsdl")).unwrap();
    let path = dir.join("loop.bpel");
    std::fs::write(&path, template.replace("BODY", body)).unwrap();
    path
}

struct Run {
    checkpoint_len: usize,
    scope_instances: usize,
}

/// Starts an instance that loops `rounds` times, runs it until it waits (after the loop), and
/// measures it.
fn run(process: &Path, rounds: u32) -> Run {
    let mut engine = Engine::new();
    let id = engine.deploy(process).unwrap_or_else(|e| panic!("{e}"));
    let count = XmlElement::parse(&format!(r#"<t:count xmlns:t="http://example.com/bpel/tests/loop">{rounds}</t:count>"#)).unwrap();
    let (instance, _) = engine.send(id, "client", "start", &[count]).unwrap();
    assert_waits_after_the_loop(&engine, instance, rounds);
    let checkpoint_len = engine.checkpoint(instance).unwrap().unwrap().len();
    let scope_instances = engine.instance(instance).unwrap().instance.shared().scope_instance_count();
    Run { checkpoint_len, scope_instances }
}

fn assert_waits_after_the_loop(engine: &Engine, instance: InstanceId, rounds: u32) {
    let i = engine.variable(instance, "i").map(bpel_engine::exec::inspect::value_text).unwrap_or_default();
    assert!(i.contains(&format!(">{rounds}<")), "the loop ran {rounds} rounds: i = {i}");
    assert_eq!(engine.next_timer().map(|t| t.0 > 0), Some(true), "the instance waits on its timer after the loop");
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("bpel-bounded-{}-{name}", std::process::id()))
}

/// The checkpoint after 10,000 rounds is within twice the one after 10.
fn assert_bounded(name: &str, body: &str) {
    let dir = scratch(name);
    let process = loop_process(&dir, body);
    let few = run(&process, 10);
    let many = run(&process, 10_000);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        many.checkpoint_len <= 2 * few.checkpoint_len,
        "{name}: the checkpoint grew from {} bytes after 10 rounds to {} after 10,000",
        few.checkpoint_len,
        many.checkpoint_len
    );
    assert!(many.scope_instances <= few.scope_instances.max(2), "{name}: {} scope instances after 10,000 rounds", many.scope_instances);
}

#[test]
fn a_scope_in_a_loop_leaves_nothing_behind() {
    assert_bounded("scope", &format!("<scope><variables><variable name=\"local\" type=\"xsd:string\"/></variables>{INCREMENT}</scope>"));
}

#[test]
fn a_scope_with_a_fault_handler_in_a_loop_leaves_nothing_behind() {
    let body = format!(
        "<scope><faultHandlers><catchAll><empty/></catchAll></faultHandlers>\
         <sequence><scope><empty/></scope>{INCREMENT}</sequence></scope>"
    );
    assert_bounded("fault-handler", &body);
}

#[test]
fn a_flow_in_a_loop_leaves_nothing_behind() {
    let body = format!(
        "<flow><links><link name=\"l\"/></links>\
         <empty><sources><source linkName=\"l\"/></sources></empty>\
         <sequence><targets><target linkName=\"l\"/></targets>{INCREMENT}</sequence></flow>"
    );
    assert_bounded("flow", &body);
}

#[test]
fn a_parallel_for_each_in_a_loop_leaves_nothing_behind() {
    let body = format!(
        "<sequence><forEach counterName=\"k\" parallel=\"yes\"><startCounterValue>1</startCounterValue>\
         <finalCounterValue>3</finalCounterValue><scope><empty/></scope></forEach>{INCREMENT}</sequence>"
    );
    assert_bounded("for-each", &body);
}

#[test]
fn a_scope_with_event_handlers_in_a_loop_leaves_nothing_behind() {
    let body =
        format!("<scope><eventHandlers><onAlarm><for>'PT1H'</for><scope><empty/></scope></onAlarm></eventHandlers>{INCREMENT}</scope>");
    assert_bounded("event-handlers", &body);
}

#[test]
fn a_faulting_flow_in_a_loop_leaves_nothing_behind() {
    // one branch throws while the other waits in a scope: the flow terminates it and its scope's
    // termination handler runs, the fault is caught around the flow
    let body = format!(
        "<scope><faultHandlers><catchAll>{INCREMENT}</catchAll></faultHandlers>\
         <flow><throw faultName=\"tns:boom\"/><scope><wait><for>'PT1H'</for></wait></scope></flow></scope>"
    );
    assert_bounded("faulting-flow", &body);
}

#[test]
fn compensable_scopes_in_a_loop_are_kept_as_the_standard_requires() {
    let dir = scratch("compensable");
    let body = format!("<scope><compensationHandler><empty/></compensationHandler>{INCREMENT}</scope>");
    let process = loop_process(&dir, &body);
    let few = run(&process, 10);
    let many = run(&process, 10_000);
    let _ = std::fs::remove_dir_all(&dir);
    // every completed round can still be compensated by the process: one scope instance each
    assert_eq!(few.scope_instances, 1 + 10);
    assert_eq!(many.scope_instances, 1 + 10_000);
    assert!(many.checkpoint_len > 100 * few.checkpoint_len / 2, "{} vs {}", many.checkpoint_len, few.checkpoint_len);
}

#[test]
fn the_trace_keeps_the_last_activities_only() {
    let dir = scratch("trace");
    let process = loop_process(&dir, &format!("<scope>{INCREMENT}</scope>"));
    let mut engine = Engine::new();
    let mut deployed = bpel_engine::exec::Deployed::load(&process).unwrap();
    deployed.trace_limit = 5;
    let id = engine.deploy_compiled(deployed);
    let count = XmlElement::parse(r#"<t:count xmlns:t="http://example.com/bpel/tests/loop">100</t:count>"#).unwrap();
    let (instance, _) = engine.send(id, "client", "start", &[count]).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report = engine.inspect(instance).unwrap();
    assert_eq!(report.trace.len(), 5, "{:?}", report.trace);
    let last = report.trace.last().unwrap().to_string();
    assert!(last.contains("<while>"), "the newest entry is the loop, the last activity to complete: {last}");
}
