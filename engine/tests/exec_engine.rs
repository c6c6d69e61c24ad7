//! The engine facade on the examples: inspection, checkpoints of real instances, and forged
//! checkpoints that must be refused or run without a panic.

use std::path::PathBuf;

use bpel_engine::checkpoint::{checksum, CheckpointError, HEADER_LEN};
use bpel_engine::exec::{Engine, InstanceId, ProcessId, SendError};
use bpel_engine::model::QName;
use bpel_engine::runtime::InstanceStatus;
use bpel_engine::xml::{Message, XmlElement};
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

const ORDER: &str = "http://example.com/bpel/examples/order";
const APPROVER: &str = "http://example.com/bpel/examples/approver";

/// Requests are validated against the operation's message and its schema before any instance
/// sees them: an invalid one is refused and nothing is created or stored.
#[test]
fn a_request_that_is_not_valid_against_its_schema_is_refused_and_creates_nothing() {
    let mut engine = Engine::new();
    let process = engine.deploy(&example("long-running/long-running.bpel")).unwrap();
    let order = |inner: &str| XmlElement::parse(&format!(r#"<s:placeOrder xmlns:s="{SHOP}">{inner}</s:placeOrder>"#)).unwrap();
    let cases = [
        ("<s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>lots</s:amount>", "lots"),
        ("<s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount><s:coupon>X</s:coupon>", "coupon"),
        ("<s:orderId>7</s:orderId><s:amount>1</s:amount>", "customer"),
    ];
    for (inner, says) in cases {
        match engine.send(process, "customer", "placeOrder", &[order(inner)]) {
            Err(SendError::WrongMessage { why, .. }) => assert!(why.contains(says), "{inner}: {why}"),
            other => panic!("{inner}: refused as a wrong message, not {other:?}"),
        }
    }
    assert_eq!(engine.instances().count(), 0, "no instance was created");
    assert!(engine.drain_replies().is_empty());
    let valid = order("<s:orderId>7</s:orderId><s:customer>Ada</s:customer><s:amount>1.50</s:amount>");
    assert!(engine.send(process, "customer", "placeOrder", &[valid]).is_ok());
}

/// A partner's answer that is not valid against the operation's output is the standard fault
/// `invalidVariables` at the invoke, before anything of it is stored; a valid one goes through.
#[test]
fn a_partner_answer_that_is_not_valid_is_invalid_variables_at_the_invoke() {
    let outcome = |approval: &str| {
        let mut engine = Engine::new();
        let process = engine.deploy(&example("order-approval/order-approval.bpel")).unwrap();
        let order = XmlElement::parse(&format!(
            r#"<o:order xmlns:o="{ORDER}"><o:id>X-1</o:id><o:customer>Max</o:customer><o:amount>5000</o:amount></o:order>"#
        ))
        .unwrap();
        engine.send(process, "client", "submitOrder", &[order]).unwrap();
        let calls = engine.drain_invocations();
        assert_eq!(calls.len(), 1, "the approver is asked");
        let answer = XmlElement::parse(&format!(r#"<a:approval xmlns:a="{APPROVER}">{approval}</a:approval>"#)).unwrap();
        let message = Message::new(QName::new(Some(APPROVER), "ApprovalResponse")).with_part("approval", answer);
        engine.answer(calls[0].instance, calls[0].request, Ok(message));
        let replies = engine.drain_replies();
        assert_eq!(replies.len(), 1);
        replies.into_iter().next().unwrap().result
    };
    let approved = outcome("<a:orderId>X-1</a:orderId><a:approvedBy>Eve</a:approvedBy>").expect("a valid answer goes through");
    assert!(format!("{approved:?}").contains("approved by Eve"), "{approved:?}");
    for (approval, says) in
        [("<a:orderId>X-1</a:orderId>", "approvedBy"), ("<a:orderId>X-1</a:orderId><a:approvedBy><b/></a:approvedBy>", "approvedBy")]
    {
        let fault = outcome(approval).expect_err("the process faults");
        assert_eq!(fault.name, QName::new(Some(bpel_engine::fault::STANDARD_FAULT_NS), "invalidVariables"), "{fault:?}");
        assert!(fault.to_string().contains("ApprovalResponse") && fault.to_string().contains(says), "{fault}");
    }
}

/// An idle instance leaves memory and keeps what finds it again: a message for it (by correlation)
/// is answered with `Evicted` and nothing is taken until its host restores it; its timer is listed
/// as due; one that waits for a partner's answer stays.
#[test]
fn an_evicted_instance_is_found_by_its_message_and_by_its_timer() {
    let payment = || {
        XmlElement::parse(&format!(
            r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>7</s:orderId><s:paymentReference>P</s:paymentReference></s:confirmPayment>"#
        ))
        .unwrap()
    };
    // by its message
    let (mut engine, process, instance) = waiting_order();
    let saved = engine.checkpoint(instance).unwrap().unwrap();
    assert!(engine.evict(instance));
    assert!(engine.is_evicted(instance) && engine.instance(instance).is_none());
    assert_eq!(engine.send(process, "customer", "confirmPayment", &[payment()]), Err(SendError::Evicted(instance)));
    assert_eq!(engine.restore(process, Some(instance), &saved).unwrap(), instance);
    assert!(!engine.is_evicted(instance));
    let (reached, _) = engine.send(process, "customer", "confirmPayment", &[payment()]).unwrap();
    assert_eq!(reached, instance, "the same instance, by correlation");
    engine.advance(3600 * 1000);
    assert_eq!(engine.drain_invocations().len(), 1, "the notifier hears of the payment");

    // by its timer: the three-day alarm
    let (mut engine, process, instance) = waiting_order();
    let saved = engine.checkpoint(instance).unwrap().unwrap();
    assert!(engine.evict(instance));
    let three_days = engine.now().0 + 3 * 24 * 3600 * 1000;
    assert!(engine.evicted_due(bpel_engine::runtime::Timestamp(three_days - 1)).is_empty());
    assert_eq!(engine.evicted_due(bpel_engine::runtime::Timestamp(three_days)), vec![instance]);
    // moving the clock without giving it back runs nothing and keeps its timer
    engine.advance(3 * 24 * 3600 * 1000);
    assert!(engine.drain_invocations().is_empty());
    assert_eq!(engine.evicted_due(engine.now()), vec![instance]);
    engine.restore(process, Some(instance), &saved).unwrap();
    engine.advance(0);
    let calls = engine.drain_invocations();
    assert_eq!(calls.len(), 1, "the alarm fired once the instance was back");
    assert!(format!("{:?}", calls[0].message).contains("cancelled"), "the order was cancelled: {calls:?}");

    // waiting for a partner's answer: stays
    let mut engine = Engine::new();
    let process = engine.deploy(&example("order-approval/order-approval.bpel")).unwrap();
    let order = XmlElement::parse(&format!(
        r#"<o:order xmlns:o="{ORDER}"><o:id>X-1</o:id><o:customer>Max</o:customer><o:amount>5000</o:amount></o:order>"#
    ))
    .unwrap();
    let (waiting, _) = engine.send(process, "client", "submitOrder", &[order]).unwrap();
    assert!(!engine.evict(waiting), "it owes its client a reply and waits for the approver");
}
