//! `check::analyze_text` on small processes written for one situation each.

use std::path::PathBuf;

use bpel_engine::check::{analyze_text, Analysis};
use bpel_engine::parse::Loader;

const HEADER: &str = r#"<process name="P" targetNamespace="urn:p" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable" xmlns:ti="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface">"#;

fn betsy_path(name: &str) -> PathBuf {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    shared.join("conformance/betsy/basic").join(name)
}

fn analyze(body: &str) -> (String, Analysis) {
    let text = format!(
        r#"{HEADER}
  <import namespace="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface" location="../TestInterface.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>
  <partnerLinks><partnerLink name="MyRoleLink" partnerLinkType="ti:TestInterfacePartnerLinkType" myRole="testInterfaceRole"/></partnerLinks>
  <variables><variable name="InitData" messageType="ti:executeProcessSyncRequest"/></variables>
{body}
</process>"#
    );
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &betsy_path("Test.bpel"), text.as_str());
    (text, analysis)
}

fn codes(analysis: &Analysis) -> Vec<&'static str> {
    analysis.diagnostics().iter().map(|d| d.code).collect()
}

#[test]
fn a_clean_process_has_no_diagnostic() {
    let (_, analysis) = analyze(
        r#"<receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>"#,
    );
    assert_eq!(codes(&analysis), Vec::<&str>::new(), "{:#?}", analysis.diagnostics());
}

#[test]
fn a_misspelled_variable_gets_a_fix() {
    let (text, analysis) = analyze(
        r#"<receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitDat" createInstance="yes"/>"#,
    );
    let diagnostic = analysis.diagnostics().iter().find(|d| d.code == "BPEL0100").expect("undeclared variable");
    assert_eq!(diagnostic.span.slice(&text), "InitDat");
    let fix = diagnostic.fix.as_ref().expect("a fix");
    assert_eq!(fix.edits[0].replacement, "InitData");
}

#[test]
fn variables_in_expressions_resolve_and_misses_are_reported_at_the_name() {
    let (text, analysis) = analyze(
        r#"<sequence>
    <receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>
    <if><condition>$InitData.inputPart &gt; 0 and $Nope.x = 1</condition><empty/></if>
  </sequence>"#,
    );
    let misses: Vec<&str> = analysis.diagnostics().iter().filter(|d| d.code == "BPEL0100").map(|d| d.span.slice(&text)).collect();
    // The condition holds an entity reference, so positions fall back to the whole expression text.
    assert_eq!(misses.len(), 1);
    assert!(misses[0].contains("$Nope"));
}

#[test]
fn unknown_operation_and_port_type_are_unresolved_definitions() {
    let (text, analysis) = analyze(
        r#"<receive partnerLink="MyRoleLink" operation="noSuchOperation" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>"#,
    );
    let diagnostic = analysis.diagnostics().iter().find(|d| d.code == "SA00010").expect("unresolved operation");
    assert_eq!(diagnostic.span.slice(&text), "noSuchOperation");
    assert!(diagnostic.help.as_deref().unwrap_or("").contains("startProcessSync"));
}

#[test]
fn a_missing_import_is_reported_at_its_location() {
    let text = format!(
        r#"{HEADER}<import namespace="urn:x" location="nowhere.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/><empty/></process>"#
    );
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &betsy_path("Test.bpel"), text.as_str());
    let diagnostic = analysis.diagnostics().iter().find(|d| d.code == "IMP0001").expect("import not found");
    assert_eq!(diagnostic.span.slice(&text), "nowhere.wsdl");
}

#[test]
fn unknown_attributes_and_elements_are_reported_and_extensions_kept() {
    let (text, analysis) = analyze(r#"<empty bogus="1" xmlns:ext="urn:ext" ext:note="kept"><nonsense/></empty>"#);
    let spans: Vec<(&str, &str)> = analysis.diagnostics().iter().map(|d| (d.code, d.span.slice(&text))).collect();
    assert!(spans.contains(&("BPEL0001", "bogus")), "{spans:?}");
    assert!(spans.contains(&("BPEL0001", "nonsense")), "{spans:?}");
    let process = analysis.unit.process.as_ref().unwrap();
    let empty = process.activity(process.activity.unwrap());
    assert_eq!(empty.extension_attributes.len(), 1);
    assert_eq!(empty.extension_attributes[0].value, "kept");
}

#[test]
fn a_bpel_1_1_process_is_refused_with_a_hint() {
    let mut loader = Loader::new();
    let text =
        r#"<process name="Old" targetNamespace="urn:o" xmlns="http://schemas.xmlsoap.org/ws/2003/03/business-process/"><empty/></process>"#;
    let analysis = analyze_text(&mut loader, &betsy_path("Old.bpel"), text);
    assert!(analysis.unit.process.is_none());
    let diagnostic = &analysis.diagnostics()[0];
    assert_eq!(diagnostic.code, "BPEL0004");
    assert!(diagnostic.help.as_deref().unwrap().contains("1.1"));
}

#[test]
fn references_find_their_declarations_and_back() {
    let (text, analysis) = analyze(
        r#"<sequence>
    <receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>
    <assign><copy><from variable="InitData" part="inputPart"/><to variable="InitData" part="inputPart"/></copy></assign>
  </sequence>"#,
    );
    let declaration_at = text.find("name=\"InitData\"").unwrap() + "name=\"".len();
    let declaration = analysis.symbols.definition_at(declaration_at).expect("the declaration itself");
    assert_eq!(analysis.symbols.references_to(declaration).count(), 3);
    let use_at = text.find("variable=\"InitData\" part").unwrap() + "variable=\"".len() + 2;
    assert_eq!(analysis.symbols.definition_at(use_at), Some(declaration));
}

/// SA00004: XPath 2.0 (Apache ODE's default) is accepted; XQuery 1.0 is named, without a fix; an
/// unknown URI is reported as such, with a fix to XPath 1.0.
#[test]
fn an_unsupported_language_is_named() {
    let analysed = |attribute: &str, value: &str| {
        analyze(&format!(
            r#"<sequence>
    <receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>
    <if><condition {attribute}="{value}">$InitData.inputPart &gt; 0</condition><empty/></if>
  </sequence>"#
        ))
    };
    let (_, xpath2) = analysed("expressionLanguage", "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0");
    assert!(xpath2.diagnostics().is_empty(), "{:?}", xpath2.diagnostics());
    let language = |attribute: &str, value: &str| {
        let (text, analysis) = analyze(&format!(
            r#"<sequence>
    <receive partnerLink="MyRoleLink" operation="startProcessSync" portType="ti:TestInterfacePortType" variable="InitData" createInstance="yes"/>
    <if><condition {attribute}="{value}">$InitData.inputPart &gt; 0</condition><empty/></if>
  </sequence>"#
        ));
        let diagnostic = analysis.diagnostics().iter().find(|d| d.code == "SA00004").cloned().expect("SA00004");
        assert_eq!(diagnostic.span.slice(&text), value);
        diagnostic
    };
    let xquery = language("expressionLanguage", "urn:oasis:names:tc:wsbpel:2.0:sublang:xquery1.0");
    assert!(xquery.message.contains("is XQuery 1.0"), "{}", xquery.message);
    assert!(xquery.fix.is_none(), "no one-click fix from XQuery");
    let other = language("expressionLanguage", "urn:example:javascript");
    assert!(other.message.contains("`urn:example:javascript` is not supported"), "{}", other.message);
    assert_eq!(other.fix.as_ref().map(|f| f.edits[0].replacement.as_str()), Some("urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0"));
}
