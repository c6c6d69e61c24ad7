//! `serve` when the store fails: nothing of a batch that could not be made durable leaves the
//! server (no reply, no partner call), each caller hears why in a SOAP fault, and the instances go
//! back to their last committed state, from which they carry on once the store works again.

#![cfg(feature = "serve")]

mod serve_support;

use std::sync::Arc;
use std::time::Duration;

use bpel_engine::http::server::{start_with_store, Running, ServeConfig};
use serve_support::*;

/// The long-running example without the hour a payment settles: a payment closes the order at
/// once, telling the notifier.
fn paying_at_once(dir: &std::path::Path) {
    example_into("long-running", dir, |text| {
        let start = text.find("<wait name=\"LetPaymentSettle\">").expect("the example's wait");
        let end = start + text[start..].find("</wait>").expect("its end") + "</wait>".len();
        format!("{}{}", &text[..start], &text[end..])
    });
}

fn serve(dir: &std::path::Path, store: Arc<FlakyStore>, notifier: &CountingPartner) -> Running {
    let mut config = ServeConfig::new(dir);
    config.port = 0;
    config.shards = 1;
    config.admin_token = Some(TOKEN.to_string());
    config.partners.insert("notifier".into(), format!("http://127.0.0.1:{}/notifier", notifier.port));
    start_with_store(config, store).expect("the server starts")
}

fn instances(port: u16) -> Vec<serde_json::Value> {
    let list = admin(port, "GET", "/admin/instances", b"");
    assert_eq!(list.status, 200, "{list:?}");
    serde_json::from_str::<serde_json::Value>(&list.body).unwrap().as_array().unwrap().clone()
}

/// A SOAP 1.1 fault from the server side, saying the work could not be made durable.
fn assert_not_durable(answer: &Response) {
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("<faultcode>soapenv:Server</faultcode>") || answer.body.contains(":Server</faultcode>"), "{answer:?}");
    assert!(answer.body.contains("could not be made durable"), "{answer:?}");
    assert!(answer.body.contains("the disk is full"), "the store's reason is given: {answer:?}");
}

#[test]
fn a_batch_the_store_refuses_leaves_nothing_and_the_instance_carries_on_from_the_store() {
    let dir = temp_dir("store-failure");
    paying_at_once(&dir);
    let store = Arc::new(FlakyStore::default());
    let notifier = CountingPartner::start();
    let server = serve(&dir, store.clone(), &notifier);
    let port = server.address.port();

    // a new instance whose first batch fails: the caller gets a fault, the instance is gone
    store.fail_commits(true);
    assert_not_durable(&place_order(port, 1));
    assert!(instances(port).is_empty(), "the instance made in the failed batch was dropped");
    assert!(store.instance_ids().is_empty());

    // the store works again: the same order is taken, and committed
    store.fail_commits(false);
    let placed = place_order(port, 1);
    assert_eq!(placed.status, 200, "{placed:?}");
    assert!(placed.body.contains("awaiting payment"), "{placed:?}");
    let ids = store.instance_ids();
    assert_eq!(ids.len(), 1, "committed");
    let id = ids[0];

    // the payment's batch fails: no notice goes to the partner, the payer hears why
    store.fail_commits(true);
    assert_not_durable(&confirm_payment(port, 1));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(notifier.count(), 0, "no partner call left the failed batch");
    let inspect = admin(port, "GET", &format!("/admin/instances/{id}"), b"");
    assert_eq!(inspect.status, 200, "the instance is back: {inspect:?}");
    assert!(inspect.body.contains("customer.confirmPayment"), "it waits for the payment again: {inspect:?}");

    // the store works again: the instance carries on from what was committed, and only then is
    // the partner told
    store.fail_commits(false);
    let paid = confirm_payment(port, 1);
    assert_eq!(paid.status, 202, "{paid:?}");
    assert!(eventually(Duration::from_secs(10), || notifier.count() == 1), "the notifier is told once: {}", notifier.count());
    assert!(eventually(Duration::from_secs(10), || instances(port).is_empty()), "the order is closed");
    assert!(eventually(Duration::from_secs(10), || store.instance_ids().is_empty()), "and gone from the store");
    assert!(store.failed_commits.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shard_that_cannot_read_its_instances_back_stops_and_says_so() {
    let dir = temp_dir("store-failure-stop");
    paying_at_once(&dir);
    let store = Arc::new(FlakyStore::default());
    let notifier = CountingPartner::start();
    let server = serve(&dir, store.clone(), &notifier);
    let port = server.address.port();
    assert_eq!(place_order(port, 2).status, 200);

    store.fail_commits(true);
    store.fail_loads.store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = confirm_payment(port, 2);
    assert_not_durable(&failed);
    assert!(failed.body.contains("shard 0 has stopped") && failed.body.contains("cannot be read back"), "{failed:?}");
    // the shard stopped: later requests are refused with the reason, never left hanging
    store.fail_commits(false);
    store.fail_loads.store(false, std::sync::atomic::Ordering::SeqCst);
    let after = place_order(port, 3);
    assert_eq!(after.status, 500, "{after:?}");
    assert!(after.body.contains("shard 0 has stopped") && after.body.contains("restart the server"), "{after:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(notifier.count(), 0, "nothing of the failed batch left");
    assert_eq!(store.instance_ids().len(), 1, "the store still holds the order as committed");
    let _ = std::fs::remove_dir_all(&dir);
}

const APPROVER: &str = "http://example.com/bpel/examples/approver";

#[test]
fn a_partner_answer_in_a_failed_batch_is_applied_again_once_the_store_works() {
    let dir = temp_dir("store-failure-answer");
    example_into("order-approval", &dir, |text| text);
    let store = Arc::new(FlakyStore::default());
    let approver = CountingPartner::answering(format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a:approval xmlns:a="{APPROVER}"><a:orderId>X-1</a:orderId><a:approvedBy>Grace</a:approvedBy></a:approval></soapenv:Body></soapenv:Envelope>"#
    ));
    approver.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut config = ServeConfig::new(&dir);
    config.port = 0;
    config.shards = 1;
    config.admin_token = Some(TOKEN.to_string());
    config.partners.insert("approver".into(), format!("http://127.0.0.1:{}/approve", approver.port));
    let server = start_with_store(config, store.clone()).expect("the server starts");
    let port = server.address.port();

    // a large order: the instance asks the approver, who holds its answer
    let client = std::thread::spawn(move || {
        soap(
            port,
            "/order-approval",
            "http://example.com/bpel/examples/order/submitOrder",
            r#"<ord:order xmlns:ord="http://example.com/bpel/examples/order"><ord:id>X-1</ord:id><ord:customer>Max</ord:customer><ord:amount>5000</ord:amount></ord:order>"#,
        )
    });
    assert!(eventually(Duration::from_secs(10), || approver.count() == 1), "the approver is asked");
    assert_eq!(store.instance_ids().len(), 1, "the instance waiting for the approval is committed");

    // the approval arrives while the store fails: the client hears why, the instance goes back to
    // waiting for the approval, and the answer is applied again with every later batch
    store.fail_commits(true);
    approver.hold.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_not_durable(&client.join().unwrap());
    let failures = || store.failed_commits.load(std::sync::atomic::Ordering::SeqCst);
    assert!(eventually(Duration::from_secs(10), || failures() >= 3), "the answer is applied again: {} failed commits", failures());
    let waiting = instances(port);
    assert_eq!(waiting.len(), 1, "{waiting:?}");

    // the store works again: the kept answer finishes the instance; the approver is not asked again
    store.fail_commits(false);
    assert!(eventually(Duration::from_secs(10), || instances(port).is_empty()), "the instance completes: {:?}", instances(port));
    assert!(store.instance_ids().is_empty());
    assert_eq!(approver.count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
