//! The engine's debugger API on the long-running example: breakpoints stop an instance before an
//! activity, `step` runs one tasklet step and says what changed, the clock can be set back.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bpel_engine::exec::{Deployed, Engine, InstanceId, ProcessId};
use bpel_engine::runtime::InstanceStatus;
use bpel_engine::xml::XmlElement;

const SHOP: &str = "http://example.com/bpel/examples/shop";

fn debuggable() -> (Engine, ProcessId) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/long-running/long-running.bpel");
    let mut engine = Engine::new();
    let process = engine.deploy_debuggable(Deployed::load(&path).unwrap());
    (engine, process)
}

fn place_order(engine: &mut Engine, process: ProcessId) -> InstanceId {
    let body = XmlElement::parse(&format!(
        r#"<s:placeOrder xmlns:s="{SHOP}"><s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>"#
    ))
    .unwrap();
    engine.send(process, "customer", "placeOrder", &[body]).unwrap().0
}

fn activity_named(engine: &Engine, process: ProcessId, name: &str) -> bpel_engine::model::process::ActivityId {
    let deployed = engine.process(process).unwrap();
    deployed.process().activities.iter().find(|a| a.name.as_ref().is_some_and(|n| n.value == name)).unwrap().id
}

#[test]
fn a_breakpoint_stops_before_the_activity_and_resume_goes_on() {
    let (mut engine, process) = debuggable();
    let reply = activity_named(&engine, process, "AcknowledgeOrder");
    assert!(engine.set_breakpoints(process, BTreeSet::from([reply])));
    let id = place_order(&mut engine, process);
    assert_eq!(engine.paused().collect::<Vec<_>>(), vec![(id, reply)]);
    assert!(engine.drain_replies().is_empty(), "stopped before the reply");
    let report = engine.inspect(id).unwrap();
    assert!(report.trace.iter().any(|a| a.name.as_deref() == Some("PrepareMessages")), "{report}");

    assert_eq!(engine.resume(), vec![id]);
    assert_eq!(engine.drain_replies().len(), 1, "the reply went out once resumed");
    assert_eq!(engine.paused().count(), 0);
    assert_eq!(engine.instance(id).unwrap().instance.status(), InstanceStatus::Running);
}

#[test]
fn steps_go_one_at_a_time_and_name_what_changed() {
    let (mut engine, process) = debuggable();
    let assign = activity_named(&engine, process, "PrepareMessages");
    engine.set_breakpoints(process, BTreeSet::from([assign]));
    let id = place_order(&mut engine, process);
    let first = engine.step(id).unwrap();
    let names = |a: &[bpel_engine::exec::inspect::ActivityReport]| a.iter().filter_map(|a| a.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&first.completed), ["PrepareMessages"], "one activity per step: {first:?}");
    assert_eq!(first.paused_at.and_then(|a| a.name).as_deref(), Some("AcknowledgeOrder"), "the next activity");
    let mut completed = names(&first.completed);
    let mut steps = 1;
    loop {
        let report = engine.step(id).unwrap();
        steps += 1;
        completed.extend(report.completed.iter().filter_map(|a| a.name.clone()));
        if report.idle || steps > 100 {
            break;
        }
        assert!(!report.changed.is_empty() || !report.completed.is_empty(), "a step that runs changes something: {report:?}");
    }
    assert!(completed.contains(&"PrepareMessages".to_string()), "{completed:?}");
    assert!(completed.contains(&"AcknowledgeOrder".to_string()), "{completed:?}");
    assert_eq!(engine.drain_replies().len(), 1);
    assert!(engine.step(InstanceId(99)).is_none());
}

#[test]
fn the_clock_can_be_set_back_with_a_checkpoint() {
    let (mut engine, process) = debuggable();
    let id = place_order(&mut engine, process);
    let at_order = engine.now();
    let bytes = engine.checkpoint(id).unwrap().unwrap();
    engine.advance(3 * 24 * 3600 * 1000 + 1);
    assert_eq!(engine.instance(id).unwrap().instance.status(), InstanceStatus::Completed, "cancelled after three days");
    engine.set_clock(at_order);
    engine.restore(process, Some(id), &bytes).unwrap();
    assert_eq!(engine.now(), at_order);
    assert_eq!(engine.instance(id).unwrap().instance.status(), InstanceStatus::Running);
    assert_eq!(engine.next_timer().map(|t| t.0 - at_order.0), Some(3 * 24 * 3600 * 1000));
}

#[test]
fn an_expression_is_evaluated_where_an_activity_runs() {
    let (mut engine, process) = debuggable();
    let id = place_order(&mut engine, process);
    let pick = activity_named(&engine, process, "AwaitPayment");
    let value = engine.evaluate_at(id, pick, "string($placeOrder.order/shop:orderId)").unwrap();
    assert_eq!(value.string(), "7");
    let notify = activity_named(&engine, process, "NotifyOrderClosed");
    let fault = engine.evaluate_at(id, notify, "1").unwrap_err();
    assert!(fault.to_string().contains("is not running in instance #1"), "{fault}");
}
