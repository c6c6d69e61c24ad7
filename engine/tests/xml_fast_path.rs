//! The echo path stays off sxd-xpath: betsy's ReceiveReply assign (part to part, no query) and the
//! trivial expression forms never evaluate through sxd-xpath. (Speed is measured by benchmarks, not
//! here.)

mod xml_support;

use bpel_engine::xml::xpath::sxd_evaluations;
use bpel_engine::xml::Value;
use xml_support::Harness;

#[test]
fn the_echo_copy_does_not_use_sxd_xpath() {
    for process in
        ["basic/ReceiveReply.bpel", "basic/Assign-Expression-From.bpel", "basic/Assign-Copy-Query.bpel", "basic/Assign-To-Query.bpel"]
    {
        let mut harness = Harness::load(process);
        harness.receive("InitData", "5");
        let before = sxd_evaluations();
        harness.run().unwrap();
        assert_eq!(sxd_evaluations(), before, "{process} went through sxd-xpath");
        let Some(Value::Message(reply)) = harness.value("ReplyData") else { panic!("{process}: no reply") };
        assert_eq!(reply.part("outputPart").map(|p| p.text()).as_deref(), Some("5"));
    }
    // A real expression does.
    let mut harness = Harness::load("basic/Assign-SelectionFailure.bpel");
    harness.receive("InitData", "5");
    let before = sxd_evaluations();
    let _ = harness.run();
    assert_eq!(sxd_evaluations(), before + 1);
}
