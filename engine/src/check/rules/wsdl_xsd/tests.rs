//! Spans and fixes of the WSDL/XSD rules, on small processes against `tests/sa/SA00021/Shop.wsdl`.

use std::path::PathBuf;

use crate::check::{analyze_text, Analysis};
use crate::diagnostic::{Diagnostic, Fix};
use crate::parse::Loader;

const IMPORT: &str = r#"<import namespace="urn:example:shop" location="Shop.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>"#;

fn process(import: &str, body: &str) -> String {
    format!(
        r#"<process name="P" targetNamespace="urn:p" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable" xmlns:shop="urn:example:shop">
  {import}
  <partnerLinks>
    <partnerLink name="client" partnerLinkType="shop:ShopLT" myRole="shop"/>
    <partnerLink name="partner" partnerLinkType="shop:ShopLT" partnerRole="shop"/>
  </partnerLinks>
  <variables>
    <variable name="order" messageType="shop:orderMsg"/>
    <variable name="confirmation" messageType="shop:confirmationMsg"/>
    <variable name="cancellation" messageType="shop:cancelMsg"/>
  </variables>
  <correlationSets><correlationSet name="byOrder" properties="shop:orderId"/></correlationSets>
  {body}
</process>"#
    )
}

fn analyze(text: &str) -> Analysis {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/sa/SA00021/Test.bpel");
    analyze_text(&mut Loader::new(), &path, text)
}

/// The one diagnostic of `code`, and the text its span covers.
fn only<'a>(analysis: &'a Analysis, text: &'a str, code: &str) -> (&'a Diagnostic, &'a str) {
    let found: Vec<&Diagnostic> = analysis.diagnostics().iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "{code}: {:#?}", analysis.diagnostics());
    (found[0], found[0].span.slice(text))
}

fn apply(text: &str, fix: &Fix) -> String {
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_string();
    for edit in edits {
        out.replace_range(edit.span.range(), &edit.replacement);
    }
    out
}

/// The errors of this group's rules and of the layers below (reading, references, imports);
/// the other rules have tests of their own.
fn errors(analysis: &Analysis) -> Vec<&Diagnostic> {
    let ours = |code: &str| !code.starts_with("SA") || super::RULES.iter().any(|rule| rule.code == code);
    analysis.diagnostics().iter().filter(|d| d.is_error() && ours(d.code)).collect()
}

/// Applies the diagnostic's fix and checks that no error is left.
fn fix_resolves(text: &str, diagnostic: &Diagnostic) -> String {
    let fixed = apply(text, diagnostic.fix.as_ref().expect("a fix"));
    let analysis = analyze(&fixed);
    assert!(errors(&analysis).is_empty(), "after the fix:\n{fixed}\n{:#?}", errors(&analysis));
    fixed
}

const RECEIVE: &str = r#"<receive partnerLink="client" operation="placeOrder" variable="order" createInstance="yes"/>"#;

fn sequence(items: &[&str]) -> String {
    format!("<sequence>{}</sequence>", items.join("\n"))
}

const REPLY: &str = r#"<reply partnerLink="client" operation="placeOrder" variable="confirmation"/>"#;

#[test]
fn a_clean_process_has_no_diagnostic() {
    let text = process(IMPORT, &sequence(&[RECEIVE, REPLY]));
    let analysis = analyze(&text);
    assert!(errors(&analysis).is_empty(), "{:#?}", analysis.diagnostics());
}

#[test]
fn sa00005_points_at_the_port_type_and_offers_the_role_s() {
    let receive = r#"<receive partnerLink="client" portType="shop:OrderPT" operation="placeOrder" variable="order" createInstance="yes"/>"#;
    let text = process(IMPORT, &sequence(&[receive, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00005");
    assert_eq!(span, "shop:OrderPT");
    assert!(analysis.diagnostics().iter().all(|d| d.code != "SA00010"), "a mismatch is not also a missing import");
    let fixed = fix_resolves(&text, diagnostic);
    assert!(fixed.contains(r#"portType="shop:ShopPT""#));
}

#[test]
fn sa00010_reports_unknown_definitions_and_undeclared_partner_links() {
    let text = process(IMPORT, &sequence(&[RECEIVE, r#"<reply partnerLink="cliant" operation="placeOrder" variable="confirmation"/>"#]))
        .replace(r#"messageType="shop:cancelMsg""#, r#"messageType="shop:cancelMessage""#);
    let analysis = analyze(&text);
    let spans: Vec<&str> = analysis.diagnostics().iter().filter(|d| d.code == "SA00010").map(|d| d.span.slice(&text)).collect();
    assert_eq!(spans, ["shop:cancelMessage", "cliant"]);
}

#[test]
fn sa00011_offers_the_document_s_namespace() {
    let import = IMPORT.replace(r#"namespace="urn:example:shop""#, r#"namespace="urn:example:shops""#);
    let text = process(&import, &sequence(&[RECEIVE, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00011");
    assert_eq!(span, "urn:example:shops");
    fix_resolves(&text, diagnostic);
}

#[test]
fn sa00012_offers_to_add_the_namespace() {
    let import = IMPORT.replace(r#"namespace="urn:example:shop" "#, "");
    let text = process(&import, &sequence(&[RECEIVE, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00012");
    assert_eq!(span, "import");
    let fixed = fix_resolves(&text, diagnostic);
    assert!(fixed.contains(r#"<import namespace="urn:example:shop" location"#));
}

#[test]
fn sa00013_offers_the_import_type_the_location_suggests() {
    let import = IMPORT.replace("http://schemas.xmlsoap.org/wsdl/", "wsdl");
    let text = process(&import, &sequence(&[RECEIVE, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00013");
    assert_eq!(span, "wsdl");
    let fixed = apply(&text, diagnostic.fix.as_ref().expect("a fix"));
    assert!(fixed.contains(r#"importType="http://schemas.xmlsoap.org/wsdl/""#));
}

#[test]
fn sa00046_removes_a_pattern_on_a_one_way_invoke() {
    let invoke = r#"<invoke partnerLink="partner" operation="cancel" inputVariable="cancellation">
      <correlations><correlation set="byOrder" initiate="no" pattern="request"/></correlations>
    </invoke>"#;
    let receive = r#"<receive partnerLink="client" operation="placeOrder" variable="order" createInstance="yes">
      <correlations><correlation set="byOrder" initiate="yes"/></correlations>
    </receive>"#;
    let text = process(IMPORT, &sequence(&[receive, invoke, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00046");
    assert_eq!(span, "request");
    let fixed = fix_resolves(&text, diagnostic);
    assert!(fixed.contains(r#"<correlation set="byOrder" initiate="no"/>"#));
}

#[test]
fn sa00047_points_at_an_invoke_without_output() {
    let invoke = r#"<invoke partnerLink="partner" operation="placeOrder" inputVariable="order"/>"#;
    let text = process(IMPORT, &sequence(&[RECEIVE, invoke, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00047");
    assert_eq!(span, "invoke");
    assert!(diagnostic.message.contains("outputVariable"), "{}", diagnostic.message);
}

#[test]
fn sa00047_removes_parts_of_a_message_without_parts() {
    let ping = r#"<receive partnerLink="client" operation="ping">
      <fromParts>
        <fromPart part="nothing" toVariable="x"/>
      </fromParts>
    </receive>"#;
    let text = process(IMPORT, &sequence(&[RECEIVE, REPLY, ping]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00047");
    assert_eq!(span, "fromParts");
    assert!(analysis.diagnostics().iter().all(|d| d.code != "SA00053"), "an unknown part of a message without parts is SA00047's");
    let fixed = fix_resolves(&text, diagnostic);
    assert!(fixed.contains("<receive partnerLink=\"client\" operation=\"ping\">\n    </receive>"), "{fixed}");
}

#[test]
fn sa00053_offers_the_unused_part() {
    let receive = r#"<receive partnerLink="client" operation="placeOrder" createInstance="yes">
      <fromParts><fromPart part="ordr" toVariable="o"/></fromParts>
    </receive>"#;
    let text = process(IMPORT, &sequence(&[receive, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00053");
    assert_eq!(span, "ordr");
    assert_eq!(diagnostic.fix.as_ref().map(|f| f.edits[0].replacement.as_str()), Some("order"));
}

#[test]
fn sa00058_points_at_the_variable() {
    let receive = r#"<receive partnerLink="client" operation="placeOrder" variable="confirmation" createInstance="yes"/>"#;
    let text = process(IMPORT, &sequence(&[receive, REPLY]));
    let analysis = analyze(&text);
    let (diagnostic, span) = only(&analysis, &text, "SA00058");
    assert_eq!(span, "confirmation");
    assert!(diagnostic.message.contains("orderMsg"), "{}", diagnostic.message);
}

/// The SA00010 diagnostics of a process of `tests/sa/SA00010`, each as the name of the file it is
/// in, the text of its span, and the file and text of its related location.
fn property_type_reports(process_file: &str) -> Vec<(String, String, String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/sa/SA00010").join(process_file);
    let mut loader = Loader::new();
    let analysis = crate::check::analyze(&mut loader, &path).expect("the test process is readable");
    let at = |file, span: crate::span::Span| {
        let source = loader.sources.get(file);
        let name = source.path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        (name, span.slice(&source.text).to_string())
    };
    analysis
        .diagnostics()
        .iter()
        .filter(|d| d.code == "SA00010")
        .map(|d| {
            let (file, text) = at(d.file, d.span);
            let (related_file, related_text) = d.related.first().map(|r| at(r.file, r.span)).unwrap_or_default();
            (file, text, related_file, related_text)
        })
        .collect()
}

#[test]
fn sa00010_reports_an_undefined_type_of_a_correlation_property_in_the_wsdl() {
    let found = property_type_reports("fail-correlation-property-type-undefined.bpel");
    let expected = ("MisspelledTypeProperties.wsdl", "shop:OrderNumbr", "fail-correlation-property-type-undefined.bpel", "props:orderId");
    assert_eq!(found, vec![(expected.0.into(), expected.1.into(), expected.2.into(), expected.3.into())]);
}

#[test]
fn sa00010_reports_an_undefined_element_of_an_aliased_property_in_the_wsdl() {
    let found = property_type_reports("fail-aliased-property-element-undefined.bpel");
    let expected = ("MissingElementProperties.wsdl", "shop:client", "MissingElementProperties.wsdl", "vprop:propertyAlias");
    assert_eq!(found, vec![(expected.0.into(), expected.1.into(), expected.2.into(), expected.3.into())]);
}

#[test]
fn sa00010_accepts_property_types_of_the_imported_schemas_and_built_in_ones() {
    assert_eq!(property_type_reports("pass-property-types-defined.bpel"), vec![]);
    // `tests/sa/SA00021/Shop.wsdl` types its properties with xsd:string.
    let receive = r#"<receive partnerLink="client" operation="placeOrder" variable="order" createInstance="yes">
      <correlations><correlation set="byOrder" initiate="yes"/></correlations>
    </receive>"#;
    let text = process(IMPORT, &sequence(&[receive, REPLY]));
    let analysis = analyze(&text);
    assert!(errors(&analysis).is_empty(), "{:#?}", analysis.diagnostics());
}
