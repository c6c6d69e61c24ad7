//! The engine facade on the examples: inspection, checkpoints of real instances, and forged
//! checkpoints that must be refused or run without a panic.

use std::path::PathBuf;

use bpel_engine::checkpoint::{checksum, CheckpointError, HEADER_LEN};
use bpel_engine::exec::{Engine, InstanceId, ProcessId};
use bpel_engine::runtime::InstanceStatus;
use bpel_engine::xml::XmlElement;
use proptest::prelude::*;

fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(path)
}

const SHOP: &str = "http://example.com/bpel/examples/shop";

/// The long-running example with one order placed: its instance waits for the payment.
fn waiting_order() -> (Engine, ProcessId, InstanceId) {
    let mut engine = Engine::new();
    let process = engine.deploy(&example("long-running/long-running.bpel")).unwrap();
    let body = XmlElement::parse(&format!(
        r#"<s:placeOrder xmlns:s="{SHOP}"><s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>"#
    ))
    .unwrap();
    let (instance, _) = engine.send(process, "customer", "placeOrder", &[body]).unwrap();
    assert_eq!(engine.drain_replies().len(), 1, "the order is acknowledged");
    (engine, process, instance)
}

#[test]
fn inspection_shows_what_the_instance_waits_for() {
    let (engine, _, instance) = waiting_order();
    let report = engine.inspect(instance).unwrap();
    assert_eq!(report.status, InstanceStatus::Running);
    assert_eq!(report.process, "LongRunningOrder");
    let waiting: Vec<String> = report.waiting.iter().map(|w| w.to_string()).collect();
    assert_eq!(waiting.len(), 2, "{report}");
    assert_eq!(waiting[0], "message on customer.confirmPayment (orderId=7)");
    assert!(waiting[1].starts_with("timer at "), "{report}");
    assert_eq!(report.timers.len(), 1, "the three-day alarm");
    assert_eq!(report.timers[0].in_millis, 3 * 24 * 3600 * 1000);
    assert!(report.trace.iter().any(|t| t.to_string().contains("<reply name=\"AcknowledgeOrder\">")), "{:?}", report.trace);
    let order = report.variables.iter().find(|v| v.name == "placeOrder").unwrap();
    assert!(order.value.as_deref().is_some_and(|v| v.contains(">7<")), "{order:?}");
    let payment = report.variables.iter().find(|v| v.name == "payment").unwrap();
    assert_eq!(payment.value, None, "not received yet");
    assert!(report.tasklets.iter().any(|t| t.frames.iter().any(|f| f.to_string().contains("<pick name=\"AwaitPayment\">"))), "{report}");
}

#[test]
fn a_restored_instance_carries_on_and_a_foreign_checkpoint_is_refused() {
    let (mut engine, process, instance) = waiting_order();
    let bytes = engine.checkpoint(instance).unwrap().unwrap();

    // the same instance, restored into a new engine, times out after three days
    let mut other = Engine::new();
    let again = other.deploy(&example("long-running/long-running.bpel")).unwrap();
    let restored = other.restore(again, None, &bytes).unwrap();
    other.advance(3 * 24 * 3600 * 1000);
    let calls = other.drain_invocations();
    assert_eq!(calls.len(), 1, "the notifier hears of the cancellation");
    assert!(calls[0].message.parts[0].value.to_xml().contains("cancelled"));
    assert_eq!(other.instance(restored).unwrap().instance.status(), InstanceStatus::Completed);

    // another process's engine refuses it
    let echo = engine.deploy(&example("echo/echo.bpel")).unwrap();
    assert!(matches!(engine.restore(echo, None, &bytes), Err(CheckpointError::DefinitionMismatch { .. })));
    let _ = process;
}

#[test]
fn a_message_to_an_instance_idle_for_days_starts_its_waits_at_the_current_time() {
    let (mut engine, _, instance) = waiting_order();
    engine.advance(2 * 24 * 3600 * 1000);
    let body = XmlElement::parse(&format!(
        r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>7</s:orderId><s:paymentReference>P</s:paymentReference></s:confirmPayment>"#
    ))
    .unwrap();
    engine.send(ProcessId(0), "customer", "confirmPayment", &[body]).unwrap();
    // the payment settles for an hour from now, not from when the instance last ran
    assert!(engine.drain_invocations().is_empty(), "the notifier was called before the payment settled");
    engine.advance(3600 * 1000 - 1);
    assert!(engine.drain_invocations().is_empty(), "the notifier was called before the payment settled");
    engine.advance(1);
    assert_eq!(engine.drain_invocations().len(), 1, "the notifier hears of the payment an hour after it");
    assert_eq!(engine.instance(instance).unwrap().instance.status(), InstanceStatus::Completed);
}

/// Rewrites the checksum of a checkpoint whose body was changed, as a forger would.
fn reseal(bytes: &mut [u8]) {
    let sum = checksum(&[&bytes[..34], &bytes[HEADER_LEN..]]);
    bytes[34..42].copy_from_slice(&sum.to_le_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A forged checkpoint (bytes changed, checksum recomputed) is refused, or restores into an
    /// instance that runs without a panic.
    #[test]
    fn forged_checkpoints_never_panic(changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let (mut engine, process, instance) = waiting_order();
        let mut bytes = engine.checkpoint(instance).unwrap().unwrap();
        let body = bytes.len() - HEADER_LEN;
        for (at, value) in changes {
            let i = HEADER_LEN + at.index(body);
            bytes[i] = value;
        }
        reseal(&mut bytes);
        if let Ok(id) = engine.restore(process, Some(instance), &bytes) {
            let _ = engine.inspect(id);
            let payment = XmlElement::parse(&format!(
                r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>7</s:orderId><s:paymentReference>P</s:paymentReference></s:confirmPayment>"#
            )).unwrap();
            let _ = engine.send(process, "customer", "confirmPayment", &[payment]);
            engine.advance(4 * 24 * 3600 * 1000);
        }
    }
}
