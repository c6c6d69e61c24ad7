//! Processes in the WS-BPEL 2.0 draft namespace (`.../ws/2004/03/business-process/`), as Apache
//! ODE's users wrote them, read as WS-BPEL 2.0; BPEL4WS 1.1 refused with a message that says so.

use std::path::PathBuf;

use bpel_engine::check::{analyze, analyze_text, Analysis};
use bpel_engine::diagnostic::{codes, Severity};
use bpel_engine::exec::Engine;
use bpel_engine::model::process::ActivityKind;
use bpel_engine::parse::Loader;
use bpel_engine::xml::XmlElement;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/draft").join(name)
}

fn errors(analysis: &Analysis) -> Vec<String> {
    analysis.diagnostics().iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
}

const DRAFT_HEADER: &str = r#"<process name="P" targetNamespace="urn:p" xmlns="http://schemas.xmlsoap.org/ws/2004/03/business-process/" xmlns:bpws="http://schemas.xmlsoap.org/ws/2004/03/business-process/" xmlns:tns="urn:example:orders">
  <import importType="http://schemas.xmlsoap.org/wsdl/" location="orders.wsdl" namespace="urn:example:orders"/>
  <partnerLinks><partnerLink name="client" partnerLinkType="tns:OrderLinkType" myRole="service"/></partnerLinks>
  <variables><variable name="request" messageType="tns:orderRequest"/></variables>"#;

fn analyze_draft(body: &str) -> (String, Analysis) {
    let text = format!("{DRAFT_HEADER}\n{body}\n</process>");
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &fixture("test.bpel"), text.as_str());
    (text, analysis)
}

const START: &str =
    r#"<receive partnerLink="client" portType="tns:OrderPortType" operation="place" variable="request" createInstance="yes"/>"#;

#[test]
fn an_ode_draft_process_is_clean_but_for_the_warning_that_names_the_namespace() {
    let path = fixture("orders.bpel");
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &path).unwrap();
    assert_eq!(errors(&analysis), Vec::<String>::new());
    let text = std::fs::read_to_string(&path).unwrap();
    let warning = analysis
        .diagnostics()
        .iter()
        .find(|d| d.code == codes::DRAFT_NAMESPACE && d.file == analysis.unit.file)
        .expect("the draft warning");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.span.slice(&text), "process");
    assert!(warning.message.contains("http://schemas.xmlsoap.org/ws/2004/03/business-process/"), "{}", warning.message);
    assert!(warning.message.contains("read as WS-BPEL 2.0"), "{}", warning.message);

    // The model is WS-BPEL 2.0, its positions those of the draft's text.
    let process = analysis.unit.process.as_ref().unwrap();
    let switch = process.activities.iter().find(|a| a.name.as_ref().is_some_and(|n| n.value == "classify")).unwrap();
    let ActivityKind::If(if_) = &switch.kind else { panic!("the switch is an if: {:?}", switch.kind) };
    assert_eq!(switch.tag_span.slice(&text), "switch");
    assert_eq!(if_.else_ifs.len(), 1);
    assert!(if_.else_.is_some());
    let condition = if_.condition.as_ref().unwrap();
    assert_eq!(condition.text, "$request.payload/tns:amount > 1000");
    assert!(condition.text_span.slice(&text).starts_with("bpws:getVariableData('request'"));
    let refuse = process.activities.iter().find(|a| a.name.as_ref().is_some_and(|n| n.value == "refuse")).unwrap();
    assert!(matches!(refuse.kind, ActivityKind::Exit));
    assert_eq!(refuse.tag_span.slice(&text), "terminate");
}

/// The answer to an order: the reply's text, or the fault's.
fn place(engine: &mut Engine, process: bpel_engine::exec::ProcessId, id: &str, customer: &str, amount: &str) -> Result<String, String> {
    let body = XmlElement::parse(&format!(
        r#"<o:order xmlns:o="urn:example:orders"><o:id>{id}</o:id><o:customer>{customer}</o:customer><o:amount>{amount}</o:amount></o:order>"#
    ))
    .unwrap();
    engine.send(process, "client", "place", &[body]).unwrap();
    let replies = engine.drain_replies();
    let reply = replies.into_iter().next().expect("an answer");
    reply.result.map(|message| message.parts[0].value.to_xml()).map_err(|fault| format!("{fault:?}"))
}

#[test]
fn the_draft_process_runs_as_its_author_meant() {
    let mut engine = Engine::new();
    let process = engine.deploy(&fixture("orders.bpel")).unwrap();
    let large = place(&mut engine, process, "A-1", "Ada", "5000").expect("a normal reply");
    assert!(large.contains(">A-1<") && large.contains(">large<") && large.contains(">Ada<"), "{large}");
    let medium = place(&mut engine, process, "A-2", "Bob", "500").expect("a normal reply");
    assert!(medium.contains(">medium<"), "{medium}");
    let small = place(&mut engine, process, "A-3", "Cy", "5").expect("a normal reply");
    assert!(small.contains(">small<"), "{small}");
    // <terminate> (read as <exit>) ends the instance before its reply: the request gets a fault.
    let refused = place(&mut engine, process, "A-4", "", "5").unwrap_err();
    assert!(refused.contains("terminated by <exit>"), "{refused}");
}

#[test]
fn renamed_constructs_read_as_their_successors() {
    let (text, analysis) = analyze_draft(
        r#"<scope name="outer">
    <faultHandlers><catchAll><compensate scope="inner"/></catchAll></faultHandlers>
    <eventHandlers><onAlarm><for>'PT1H'</for><empty name="tick"/></onAlarm></eventHandlers>
    <sequence>
      <receive partnerLink="client" portType="tns:OrderPortType" operation="place" createInstance="yes">
        <fromPart part="payload" toVariable="request"/>
      </receive>
      <scope name="inner" variableAccessSerializable="no">
        <compensationHandler><empty/></compensationHandler>
        <empty/>
      </scope>
      <if><condition>true()</condition><then><empty name="yes"/></then><else><empty/></else></if>
      <forEach counterName="i" parallel="yes">
        <startCounterValue>1</startCounterValue><finalCounterValue>3</finalCounterValue>
        <completionCondition><branches countCompletedBranchesOnly="yes">2</branches></completionCondition>
        <scope><empty/></scope>
      </forEach>
      <reply partnerLink="client" portType="tns:OrderPortType" operation="place" variable="request"/>
    </sequence>
  </scope>"#,
    );
    let process = analysis.unit.process.as_ref().unwrap();
    let compensate = process.activities.iter().find(|a| matches!(a.kind, ActivityKind::CompensateScope(_))).expect("compensateScope");
    let ActivityKind::CompensateScope(target) = &compensate.kind else { unreachable!() };
    assert_eq!(target.target.as_ref().unwrap().value, "inner");
    assert_eq!(target.target.as_ref().unwrap().span.slice(&text), "inner");
    let receive = process.activities.iter().find_map(|a| match &a.kind {
        ActivityKind::Receive(receive) => Some(receive),
        _ => None,
    });
    let from_parts = receive.unwrap().from_parts.as_ref().expect("fromParts");
    assert_eq!(from_parts[0].to_variable.as_ref().unwrap().span.slice(&text), "request");
    let if_ = process.activities.iter().find_map(|a| match &a.kind {
        ActivityKind::If(if_) => Some(if_),
        _ => None,
    });
    let then = if_.unwrap().activity.expect("the activity inside <then>");
    assert_eq!(process.activity(then).name.as_ref().unwrap().value, "yes");
    // The Sep 2005 draft's onAlarm held any activity; 2.0 wants a scope around it.
    let tick = process.activities.iter().find(|a| a.name.as_ref().is_some_and(|n| n.value == "tick")).unwrap();
    let wrapper = process.activity(tick.parent.unwrap());
    assert!(matches!(wrapper.kind, ActivityKind::Scope(_)));
    assert_eq!(wrapper.span, tick.span);
    let branches = process.activities.iter().find_map(|a| match &a.kind {
        ActivityKind::ForEach(for_each) => for_each.completion_condition.as_ref(),
        _ => None,
    });
    let only_successful = branches.unwrap().successful_branches_only.as_ref().unwrap();
    assert!(only_successful.value);
    assert_eq!(only_successful.span.slice(&text), "yes");
    assert!(
        !analysis.diagnostics().iter().any(|d| d.code == codes::UNEXPECTED_ELEMENT || d.code == codes::DRAFT_UNSUPPORTED),
        "{:#?}",
        analysis.diagnostics()
    );
}

#[test]
fn constructs_without_a_2_0_meaning_are_refused_by_name() {
    let text = format!(
        "{}\n  <compensationHandler><empty/></compensationHandler>\n  <sequence>{START}<assign><copy><from>bpws:getVariableData(concat('req', 'uest'))</from><to variable=\"request\"/></copy></assign></sequence>\n</process>",
        DRAFT_HEADER.replace(r#"name="P""#, r#"name="P" abstractProcess="yes""#)
    );
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &fixture("test.bpel"), text.as_str());
    let refused: Vec<(&str, &str)> = analysis
        .diagnostics()
        .iter()
        .filter(|d| d.code == codes::DRAFT_UNSUPPORTED)
        .map(|d| (d.span.slice(&text), d.message.as_str()))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(refused.iter().any(|(at, message)| *at == "abstractProcess" && message.contains("abstractProcess=\"yes\"")));
    assert!(refused.iter().any(|(at, message)| *at == "compensationHandler" && message.contains("<compensationHandler>")));
    assert!(refused.iter().any(|(at, message)| at.contains("getVariableData") && message.contains("getVariableData(concat")));
}

#[test]
fn a_query_that_does_not_start_at_the_element_part_is_refused() {
    let (_, analysis) = analyze_draft(&format!(
        "<sequence>{START}<assign><copy><from>bpws:getVariableData('request', 'payload', '/tns:other/tns:id')</from><to variable=\"request\" part=\"payload\"/></copy></assign></sequence>"
    ));
    let refused = analysis.diagnostics().iter().find(|d| d.code == codes::DRAFT_UNSUPPORTED).expect("refused");
    assert!(refused.message.contains("does not start with the part's element"), "{}", refused.message);
}

#[test]
fn bpel4ws_1_1_is_refused_with_what_it_is() {
    let text = r#"<process name="Old" targetNamespace="urn:old" xmlns="http://schemas.xmlsoap.org/ws/2003/03/business-process/"><empty/></process>"#;
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &fixture("old.bpel"), text);
    let diagnostic = analysis.diagnostics().iter().find(|d| d.code == codes::WRONG_ROOT).expect("refused");
    assert!(diagnostic.message.contains("BPEL4WS 1.1"), "{}", diagnostic.message);
    assert!(diagnostic.message.contains("needs WS-BPEL 2.0"), "{}", diagnostic.message);
    assert_eq!(diagnostic.span.slice(text), "process");
    assert!(analysis.unit.process.is_none());
}

/// ODE's draft processes often declared XPath 2.0: the draft's `getVariableData` and `getLinkStatus`
/// are rewritten in XPath 2.0 expressions too, and the result checks clean.
#[test]
fn draft_calls_are_rewritten_in_xpath2_expressions() {
    let header = DRAFT_HEADER.replacen(
        "<process name=\"P\"",
        "<process name=\"P\" expressionLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0\"",
        1,
    );
    let text = format!(
        r#"{header}
<flow>
  <links><link name="l"/></links>
  <sequence>
    {START}
    <if><condition>if (bpws:getVariableData('request', 'payload', '/tns:order/tns:amount') gt 100) then true() else false()</condition>
      <empty><sources><source linkName="l"/></sources></empty>
    </if>
  </sequence>
  <empty><targets><joinCondition>bpws:getLinkStatus('l')</joinCondition><target linkName="l"/></targets></empty>
</flow>
</process>"#
    );
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &fixture("test.bpel"), text.as_str());
    let process = analysis.unit.process.as_ref().unwrap();
    let mut texts = Vec::new();
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::If(if_) => texts.extend(if_.condition.as_ref().map(|c| c.text.clone())),
            _ => texts.extend(activity.targets.as_ref().and_then(|t| t.join_condition.as_ref()).map(|c| c.text.clone())),
        }
    }
    assert!(texts.iter().any(|t| t.contains("$request.payload") && !t.contains("getVariableData")), "{texts:?}");
    assert!(texts.iter().any(|t| t.trim() == "$l"), "{texts:?}");
    assert_eq!(errors(&analysis), Vec::<String>::new());
}
