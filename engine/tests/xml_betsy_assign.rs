//! The betsy assign, validate and variable tests, run through the xml layer: the receive is played
//! by hand, the assigns and validates run in document order, and the reply variable (or the
//! fault) is what betsy's expectation says.

mod xml_support;

use bpel_engine::fault::StandardFault;
use bpel_engine::xml::{Value, VarType, Variables};
use xml_support::Harness;

/// Runs `process` (under `basic/`) with `input` and returns the reply's number, or the fault.
fn run(process: &str, input: &str) -> Result<f64, StandardFault> {
    let mut harness = Harness::load(&format!("basic/{process}.bpel"));
    harness.receive("InitData", input);
    match harness.run() {
        Ok(()) => {
            let text = harness.part_text("ReplyData", "outputPart").unwrap_or_else(|| panic!("{process}: no reply value"));
            Ok(text.trim().parse::<f64>().unwrap_or_else(|_| panic!("{process}: reply `{text}` is not a number")))
        }
        Err(fault) => Err(fault.standard_kind().unwrap_or_else(|| panic!("{process}: not a standard fault: {fault}"))),
    }
}

#[test]
fn assigns_that_echo_the_input() {
    for process in [
        "Assign-Copy-Query",
        "Assign-Copy-QueryLanguage",
        "Assign-To-Query",
        "Assign-To-QueryLanguage",
        "Assign-Element-Variable",
        "Assign-Expression-From",
        "Assign-Expression-To",
        "Assign-ExpressionLanguage-From",
        "Assign-ExpressionLanguage-To",
        "Assign-Property",
        "Assign-To-Property",
        "Assign-Copy-GetVariableProperty",
        "Assign-Copy-DoXslTransform",
    ] {
        assert_eq!(run(process, "5"), Ok(5.0), "{process}");
    }
}

#[test]
fn assigns_with_literals_and_defaults() {
    assert_eq!(run("Assign-Literal", "5"), Ok(1.0));
    assert_eq!(run("Assign-Copy-IgnoreMissingFromData", "5"), Ok(-1.0));
    assert_eq!(run("Variables-DefaultInitialization", "5"), Ok(10.0));
}

#[test]
fn assigns_that_fault() {
    assert_eq!(run("Assign-SelectionFailure", "1"), Err(StandardFault::SelectionFailure));
    assert_eq!(run("Assign-MismatchedAssignmentFailure", "1"), Err(StandardFault::MismatchedAssignmentFailure));
    assert_eq!(run("Assign-Copy-KeepSrcElementName", "1"), Err(StandardFault::MismatchedAssignmentFailure));
    assert_eq!(run("Assign-Copy-DoXslTransform-InvalidSourceFault", "1"), Err(StandardFault::XsltInvalidSource));
    assert_eq!(run("Assign-Copy-DoXslTransform-XsltStylesheetNotFound", "1"), Err(StandardFault::XsltStylesheetNotFound));
    assert_eq!(run("Assign-Copy-DoXslTransform-SubLanguageExecutionFault", "1"), Err(StandardFault::SubLanguageExecutionFault));
    assert_eq!(run("Assign-PartnerLink-UnsupportedReference", "1"), Err(StandardFault::UnsupportedReference));
}

#[test]
fn validation_on_assign_and_by_validate() {
    assert_eq!(run("Assign-Validate", "13"), Err(StandardFault::InvalidVariables));
    assert_eq!(run("Assign-Validate", "12"), Ok(12.0));
    assert_eq!(run("Validate", "13"), Err(StandardFault::InvalidVariables));
    assert_eq!(run("Validate", "1"), Ok(1.0));
    assert_eq!(run("Validate-InvalidVariables", "1"), Err(StandardFault::InvalidVariables));
}

#[test]
fn a_faulting_assign_changes_nothing() {
    let mut harness = Harness::load("basic/Assign-VariablesUnchangedInspiteOfFault.bpel");
    harness.receive("InitData", "1");
    let fault = harness.run().unwrap_err();
    assert!(fault.is(StandardFault::SelectionFailure), "{fault}");
    assert_eq!(harness.part_text("ReplyData", "outputPart").map(|t| t.trim().to_string()), Some("-1".to_string()));
}

#[test]
fn replies_keep_the_declared_element_name() {
    let mut harness = Harness::load("basic/Assign-Expression-From.bpel");
    harness.receive("InitData", "5");
    harness.run().unwrap();
    let Some(Value::Message(reply)) = harness.value("ReplyData") else { panic!() };
    let part = reply.part("outputPart").unwrap();
    let expected = bpel_engine::xml::XmlElement::parse(
        r#"<testElementSyncResponse xmlns="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface">5</testElementSyncResponse>"#,
    )
    .unwrap();
    assert!(part.canonical_eq(&expected), "{}", part.to_xml());
}

#[test]
fn partner_links_take_endpoint_references() {
    let mut harness = Harness::load("basic/Assign-PartnerLink.bpel");
    harness.receive("InitData", "5");
    harness.run().unwrap();
    let (_, _, partner) = harness.vars.partner_links.iter().find(|(n, _, _)| n == "TestPartnerLink").unwrap();
    assert_eq!(partner.as_ref().map(|e| e.address.as_str()), Some("http://PARTNER_IP_AND_PORT/bpel-assigned-testpartner"));
    assert_eq!(harness.part_text("PartnerInitData", "inputPart").as_deref(), Some("5"));

    let mut harness = Harness::load("basic/Assign-PartnerLink-PartnerRole.bpel");
    harness.vars.partner_links.iter_mut().find(|(n, _, _)| n == "TestPartnerLink").unwrap().2 =
        Some(bpel_engine::xml::EndpointReference::new("http://localhost:2000/bpel-testpartner"));
    harness.receive("InitData", "5");
    harness.run().unwrap();
    let (_, _, overwritten) = harness.vars.partner_links.iter().find(|(n, _, _)| n == "OverwritePartnerLink").unwrap();
    assert_eq!(overwritten.as_ref().map(|e| e.address.as_str()), Some("http://localhost:2000/bpel-testpartner"));
}

#[test]
fn assign_int_initializes_the_partner_request() {
    let mut harness = Harness::load("basic/Assign-Int.bpel");
    harness.receive("InitData", "1");
    harness.run().unwrap();
    let Some(Value::Message(request)) = harness.value("PartnerInitData") else { panic!("the first assign ran") };
    let part = request.part("inputPart").unwrap();
    assert!(part.is(Some("http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner"), "testElementSyncRequest"));
    assert_eq!(part.text(), "10");
}

#[test]
fn uninitialized_reads_fault() {
    let harness = Harness::load("basic/Variables-UninitializedVariableFault-Reply.bpel");
    let found = harness.vars.variable("ReplyData").unwrap();
    assert!(matches!(found.ty, VarType::Message(_)));
    assert!(found.value.is_none());
}
