//! `ide::completion`: what is offered at the cursor, and which text it replaces, on a small
//! process with its WSDL written to a temporary folder and on the examples; and no panic at any
//! offset of the examples and of betsy files, nor on thousands of random truncations.

use std::path::{Path, PathBuf};

use bpel_engine::check::{analyze, analyze_text, Analysis};
use bpel_engine::ide::completion::{complete, CompletionKind, Completions};
use bpel_engine::parse::Loader;
use bpel_engine::span::Span;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("bpel-ide-completion-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(std::fs::canonicalize(&path).expect("canonical temp dir"))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WSDL: &str = r#"<?xml version="1.0"?>
<definitions name="Shop" targetNamespace="urn:shop"
    xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="urn:shop"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:plnk="http://docs.oasis-open.org/wsbpel/2.0/plnktype"
    xmlns:vprop="http://docs.oasis-open.org/wsbpel/2.0/varprop">
  <types>
    <xsd:schema targetNamespace="urn:shop" elementFormDefault="qualified">
      <xsd:complexType name="OrderType"><xsd:sequence><xsd:element name="id" type="xsd:string"/></xsd:sequence></xsd:complexType>
      <xsd:element name="Order" type="tns:OrderType"/>
    </xsd:schema>
  </types>
  <message name="requestMsg"><part name="payload" type="xsd:string"/><part name="id" type="xsd:int"/></message>
  <message name="responseMsg"><part name="answer" type="xsd:string"/></message>
  <message name="failureMsg"><part name="reason" type="xsd:string"/></message>
  <portType name="ServicePT">
    <operation name="start"><input message="tns:requestMsg"/><output message="tns:responseMsg"/></operation>
    <operation name="query"><input message="tns:requestMsg"/></operation>
  </portType>
  <portType name="PartnerPT">
    <operation name="call"><input message="tns:requestMsg"/><output message="tns:responseMsg"/><fault name="callFailed" message="tns:failureMsg"/></operation>
    <operation name="notify"><input message="tns:requestMsg"/></operation>
  </portType>
  <plnk:partnerLinkType name="ServiceLT"><plnk:role name="service" portType="tns:ServicePT"/></plnk:partnerLinkType>
  <plnk:partnerLinkType name="PartnerLT"><plnk:role name="partner" portType="tns:PartnerPT"/></plnk:partnerLinkType>
  <vprop:property name="orderId" type="xsd:int"/>
</definitions>
"#;

/// The process; `|` marks the cursor of each test and is removed before analysis.
const PROCESS: &str = r#"<process name="Shop" targetNamespace="urn:shop:process"
    xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable"
    xmlns:tns="urn:shop" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <import namespace="urn:shop" location="shop.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>
  <partnerLinks>
    <partnerLink name="client" partnerLinkType="tns:ServiceLT" myRole="service"/>
    <partnerLink name="partner" partnerLinkType="tns:PartnerLT" partnerRole="partner"/>
  </partnerLinks>
  <variables>
    <variable name="request" messageType="tns:requestMsg"/>
    <variable name="response" messageType="tns:responseMsg"/>
    <variable name="count" type="xsd:int"/>
  </variables>
  <correlationSets>
    <correlationSet name="byOrder" properties="tns:orderId"/>
  </correlationSets>
  <sequence name="Main">
    <receive name="Start" partnerLink="client" operation="start" variable="request" createInstance="yes">
      <correlations><correlation set="byOrder" initiate="yes"/></correlations>
    </receive>
    <scope name="Work">
      <variables>
        <variable name="inner" type="xsd:string"/>
      </variables>
      <flow name="Parallel">
        <links><link name="first"/><link name="second"/></links>
        <empty name="A"><sources><source linkName="first"/></sources></empty>
        <empty name="B"><targets><joinCondition>$first</joinCondition><target linkName="first"/></targets></empty>
      </flow>
    </scope>
    <if name="Check">
      <condition>$count &gt; 1</condition>
      <empty/>
    </if>
    <invoke name="Call" partnerLink="partner" operation="call" inputVariable="request" outputVariable="response"/>
    <reply name="Answer" partnerLink="client" operation="start" variable="response"/>
  </sequence>
</process>
"#;

struct Fixture {
    _dir: TempDir,
    analysis: Analysis,
    offset: usize,
}

impl Fixture {
    /// The process with `find` replaced by `replace_with`, in which `|` marks the cursor.
    fn new(find: &str, replace_with: &str) -> Fixture {
        assert!(PROCESS.contains(find), "the process has no `{find}`");
        let marked = PROCESS.replacen(find, replace_with, 1);
        let offset = marked.find('|').expect("a cursor mark");
        let text = marked.replacen('|', "", 1);
        let dir = TempDir::new(&format!("{}", offset));
        dir.write("shop.wsdl", WSDL);
        let path = dir.write("shop.bpel", &text);
        let mut loader = Loader::new();
        let analysis = analyze(&mut loader, &path).expect("analysis");
        Fixture { _dir: dir, analysis, offset }
    }

    fn complete(&self) -> Completions {
        complete(&self.analysis, self.analysis.unit.file, self.offset)
    }

    fn text(&self, span: Span) -> &str {
        span.slice(&self.analysis.unit.text)
    }
}

fn labels(completions: &Completions) -> Vec<&str> {
    completions.items.iter().map(|item| item.label.as_str()).collect()
}

fn assert_offers(completions: &Completions, expected: &[&str]) {
    let labels = labels(completions);
    for label in expected {
        assert!(labels.contains(label), "`{label}` missing from {labels:?}");
    }
}

fn assert_not_offered(completions: &Completions, unexpected: &[&str]) {
    let labels = labels(completions);
    for label in unexpected {
        assert!(!labels.contains(label), "`{label}` offered: {labels:?}");
    }
}

#[test]
fn a_variable_value_offers_the_variables_in_scope_and_replaces_what_is_typed() {
    let fixture = Fixture::new(r#"variable="request" createInstance"#, r#"variable="re|" createInstance"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "re");
    assert_eq!(completions.replace.end as usize, fixture.offset);
    assert_offers(&completions, &["request", "response", "count"]);
    assert_not_offered(&completions, &["inner", "client"]);
    let request = completions.items.iter().find(|i| i.label == "request").unwrap();
    assert_eq!(request.kind, CompletionKind::Variable);
    assert_eq!(request.detail.as_deref(), Some("messageType tns:requestMsg"));
}

#[test]
fn a_variable_inside_a_scope_sees_the_scope_s_own() {
    let fixture =
        Fixture::new(r#"<empty name="A">"#, r#"<assign><copy><from variable="|"/><to variable="count"/></copy></assign><empty name="A">"#);
    let completions = fixture.complete();
    assert_eq!(completions.replace, Span::empty_at(fixture.offset));
    assert_offers(&completions, &["inner", "request", "count"]);
}

#[test]
fn the_whole_value_token_is_replaced_when_the_cursor_is_inside_it() {
    let fixture = Fixture::new(r#"variable="request" createInstance"#, r#"variable="re|quest" createInstance"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "request");
}

#[test]
fn elements_inside_a_sequence_are_activities_with_snippets_and_its_end_tag() {
    let fixture = Fixture::new(r#"<if name="Check">"#, r#"<|<if name="Check">"#);
    let completions = fixture.complete();
    assert_eq!(completions.replace, Span::empty_at(fixture.offset));
    assert_offers(&completions, &["receive", "invoke", "scope", "flow", "forEach", "pick", "assign", "empty", "targets", "/sequence"]);
    assert_not_offered(&completions, &["variable", "variables", "partnerLink", "condition", "process"]);
    let receive = completions.items.iter().find(|i| i.label == "receive").unwrap();
    assert_eq!(receive.kind, CompletionKind::Element);
    let snippet = receive.snippet.as_deref().unwrap();
    assert!(snippet.starts_with("receive ") && snippet.contains("partnerLink=\"${2:partnerLink}\""), "{snippet}");
    assert!(snippet.contains("operation=\"${3:operation}\"") && snippet.contains("variable=\"${4:variable}\""), "{snippet}");
    let scope = completions.items.iter().find(|i| i.label == "scope").unwrap();
    assert!(scope.snippet.as_deref().unwrap().contains("<faultHandlers>"));
    let flow = completions.items.iter().find(|i| i.label == "flow").unwrap();
    assert!(flow.snippet.as_deref().unwrap().contains("<links>"));
    let pick = completions.items.iter().find(|i| i.label == "pick").unwrap();
    assert!(pick.snippet.as_deref().unwrap().contains("<onAlarm>"));
    let close = completions.items.iter().find(|i| i.label == "/sequence").unwrap();
    assert_eq!(close.insert_text, "/sequence>");
}

#[test]
fn a_half_typed_element_name_is_replaced() {
    let fixture = Fixture::new(r#"<if name="Check">"#, r#"<rec|<if name="Check">"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "rec");
    assert_offers(&completions, &["receive"]);
}

#[test]
fn elements_in_plain_content_insert_the_angle_bracket() {
    let fixture = Fixture::new("<correlationSets>\n", "<correlationSets>\n|");
    let completions = fixture.complete();
    assert_offers(&completions, &["correlationSet", "/correlationSets"]);
    assert_not_offered(&completions, &["receive"]);
    let item = completions.items.iter().find(|i| i.label == "correlationSet").unwrap();
    assert!(item.insert_text.starts_with("<correlationSet"));
    assert_eq!(item.snippet.as_deref(), Some("<correlationSet name=\"${1}\" properties=\"${2}\"/>$0"));
}

#[test]
fn a_scope_offers_its_declaration_blocks_but_not_twice() {
    let fixture = Fixture::new("      </variables>\n", "      </variables>\n|");
    let completions = fixture.complete();
    assert_offers(&completions, &["partnerLinks", "faultHandlers", "compensationHandler", "sequence"]);
    assert_not_offered(&completions, &["variables", "variable"]);
}

#[test]
fn attribute_names_are_those_of_the_element_not_yet_written() {
    let fixture = Fixture::new(r#"<invoke name="Call" partnerLink="partner""#, r#"<invoke name="Call" partnerLink="partner" |"#);
    let completions = fixture.complete();
    assert_offers(&completions, &["portType", "suppressJoinFailure"]);
    // Written after the cursor as well as before it.
    assert_not_offered(&completions, &["name", "partnerLink", "operation", "inputVariable", "variable", "createInstance"]);
    let port_type = completions.items.iter().find(|i| i.label == "portType").unwrap();
    assert_eq!(port_type.kind, CompletionKind::Attribute);
    assert_eq!(port_type.snippet.as_deref(), Some("portType=\"$1\"$0"));

    let fixture = Fixture::new(r#"<receive name="Start" partnerLink"#, r#"<receive name="Start" mess| partnerLink"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "mess");
    assert_offers(&completions, &["messageExchange", "portType"]);
    assert_not_offered(&completions, &["createInstance", "variable"]);

    // Right before another attribute: nothing of it is replaced.
    let fixture = Fixture::new(r#"<receive name="Start" partnerLink"#, r#"<receive name="Start" |partnerLink"#);
    let completions = fixture.complete();
    assert_eq!(completions.replace, Span::empty_at(fixture.offset));
    assert_offers(&completions, &["messageExchange"]);
}

#[test]
fn operations_are_those_of_the_partner_link_s_role() {
    let fixture = Fixture::new(r#"partnerLink="partner" operation="call""#, r#"partnerLink="partner" operation="|""#);
    let completions = fixture.complete();
    assert_offers(&completions, &["call", "notify"]);
    assert_not_offered(&completions, &["start", "query"]);
    let call = completions.items.iter().find(|i| i.label == "call").unwrap();
    assert_eq!(call.kind, CompletionKind::Operation);
    assert!(call.documentation.as_deref().unwrap().contains("fault callFailed"));

    let fixture = Fixture::new(
        r#"partnerLink="client" operation="start" variable="request""#,
        r#"partnerLink="client" operation="s|" variable="request""#,
    );
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "s");
    assert_offers(&completions, &["start", "query"]);
    assert_not_offered(&completions, &["call", "notify"]);
}

#[test]
fn port_types_follow_the_partner_link_and_partner_links_are_in_scope() {
    let fixture = Fixture::new(r#"<invoke name="Call" partnerLink="partner""#, r#"<invoke name="Call" portType="|" partnerLink="partner""#);
    let completions = fixture.complete();
    assert_eq!(labels(&completions), vec!["tns:PartnerPT"]);

    let fixture = Fixture::new(r#"<invoke name="Call" partnerLink="partner""#, r#"<invoke name="Call" partnerLink="|""#);
    let completions = fixture.complete();
    assert_offers(&completions, &["client", "partner"]);
    assert_eq!(completions.items[0].kind, CompletionKind::PartnerLink);
}

#[test]
fn type_names_come_from_the_imports_with_their_prefix() {
    let fixture = Fixture::new(r#"<variable name="count" type="xsd:int"/>"#, r#"<variable name="count" type="|"/>"#);
    let completions = fixture.complete();
    assert_offers(&completions, &["tns:OrderType", "xsd:string", "xsd:int", "xsd:dateTime"]);

    let fixture = Fixture::new(r#"<variable name="count" type="xsd:int"/>"#, r#"<variable name="count" messageType="tns:re|"/>"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "tns:re");
    assert_offers(&completions, &["tns:requestMsg", "tns:responseMsg", "tns:failureMsg"]);

    let fixture = Fixture::new(r#"<variable name="count" type="xsd:int"/>"#, r#"<variable name="count" element="|"/>"#);
    assert_offers(&fixture.complete(), &["tns:Order"]);

    let fixture = Fixture::new(r#"properties="tns:orderId""#, r#"properties="|""#);
    assert_offers(&fixture.complete(), &["tns:orderId"]);

    let fixture =
        Fixture::new(r#"partnerLinkType="tns:PartnerLT" partnerRole="partner""#, r#"partnerLinkType="tns:PartnerLT" partnerRole="|""#);
    assert_eq!(labels(&fixture.complete()), vec!["partner"]);
}

#[test]
fn links_correlation_sets_and_fault_names() {
    let fixture = Fixture::new(r#"<source linkName="first"/>"#, r#"<source linkName="|"/>"#);
    let completions = fixture.complete();
    assert_offers(&completions, &["first", "second"]);
    assert_eq!(completions.items.len(), 2);

    let fixture = Fixture::new(r#"<correlation set="byOrder""#, r#"<correlation set="|""#);
    assert_eq!(labels(&fixture.complete()), vec!["byOrder"]);

    let fixture = Fixture::new(r#"<correlation set="byOrder" initiate="yes"/>"#, r#"<correlation set="byOrder" initiate="|"/>"#);
    assert_eq!(labels(&fixture.complete()), vec!["yes", "join", "no"]);

    let fixture = Fixture::new(r#"createInstance="yes""#, r#"createInstance="|""#);
    assert_eq!(labels(&fixture.complete()), vec!["yes", "no"]);

    let fixture = Fixture::new("<empty/>\n    </if>", "<throw faultName=\"|\"/>\n    </if>");
    let completions = fixture.complete();
    assert_offers(&completions, &["tns:callFailed", "selectionFailure", "uninitializedVariable"]);
    assert_eq!(completions.items.iter().find(|i| i.label == "tns:callFailed").unwrap().kind, CompletionKind::Fault);
}

#[test]
fn xpath_offers_variables_parts_and_functions() {
    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>$req| &gt; 1</condition>");
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "$req");
    assert_offers(&completions, &["$request", "$response"]);
    assert_not_offered(&completions, &["$inner", "concat"]);

    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>$request.|</condition>");
    let completions = fixture.complete();
    assert_eq!(completions.replace, Span::empty_at(fixture.offset));
    assert_eq!(labels(&completions), vec!["payload", "id"]);
    assert_eq!(completions.items[0].kind, CompletionKind::Part);

    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>$request.pa| = 'x'</condition>");
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "pa");

    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>conc|</condition>");
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "conc");
    assert_offers(&completions, &["concat", "count", "bpel:getVariableProperty", "bpel:doXslTransform", "$count"]);
    let concat = completions.items.iter().find(|i| i.label == "concat").unwrap();
    assert_eq!(concat.kind, CompletionKind::Function);
    assert_eq!(concat.snippet.as_deref(), Some("concat(${1:string}, ${2:string})$0"));
    assert_eq!(concat.detail.as_deref(), Some("concat(string, string, string*) -> string"));

    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>bpel:get|</condition>");
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "bpel:get");
    assert_offers(&completions, &["bpel:getVariableProperty"]);

    let fixture = Fixture::new("<condition>$count &gt; 1</condition>", "<condition>'$req|'</condition>");
    assert!(fixture.complete().items.is_empty(), "nothing inside a string literal");

    // Apache ODE's extension functions after a prefix bound to their namespace
    let fixture = Fixture::new(
        "<condition>$count &gt; 1</condition>",
        r#"<condition xmlns:ode="http://www.apache.org/ode/type/extension">ode:ins|</condition>"#,
    );
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "ode:ins");
    assert_offers(&completions, &["ode:insert-as-last-into", "ode:split-to-elements", "ode:process-property"]);
}

#[test]
fn xpath_in_copy_and_join_conditions() {
    let fixture =
        Fixture::new(r#"<empty name="A">"#, r#"<assign><copy><from>$in|</from><to variable="count"/></copy></assign><empty name="A">"#);
    assert_offers(&fixture.complete(), &["$inner", "$request"]);

    let fixture =
        Fixture::new(r#"<empty name="A">"#, r#"<assign><copy><from>|</from><to variable="count"/></copy></assign><empty name="A">"#);
    assert_offers(&fixture.complete(), &["$inner", "literal", "query", "concat"]);

    let fixture = Fixture::new("<joinCondition>$first</joinCondition>", "<joinCondition>$|</joinCondition>");
    let completions = fixture.complete();
    assert_offers(&completions, &["$first", "$second"]);
    assert_not_offered(&completions, &["$request"]);
}

#[test]
fn part_values_follow_the_variable_of_the_same_element() {
    let fixture = Fixture::new(
        r#"<empty name="A">"#,
        r#"<assign><copy><from variable="request" part="|"/><to variable="count"/></copy></assign><empty name="A">"#,
    );
    assert_eq!(labels(&fixture.complete()), vec!["payload", "id"]);
}

#[test]
fn from_part_and_to_part_offer_the_parts_of_the_operation_s_message() {
    let fixture = Fixture::new(
        r#"operation="call" inputVariable="request" outputVariable="response"/>"#,
        r#"operation="call"><toParts><toPart part="|" fromVariable="request"/></toParts><fromParts><fromPart part="answer" toVariable="response"/></fromParts></invoke>"#,
    );
    assert_eq!(labels(&fixture.complete()), vec!["payload", "id"]);
    let fixture = Fixture::new(
        r#"operation="call" inputVariable="request" outputVariable="response"/>"#,
        r#"operation="call"><fromParts><fromPart part="|" toVariable="response"/></fromParts></invoke>"#,
    );
    assert_eq!(labels(&fixture.complete()), vec!["answer"]);
}

#[test]
fn end_tags_comments_and_other_files_offer_nothing_wrong() {
    let fixture = Fixture::new("    </if>", "    </|");
    let completions = fixture.complete();
    assert_eq!(labels(&completions), vec!["/if"]);

    let fixture = Fixture::new("  <sequence name=\"Main\">", "  <!-- <rec| -->\n  <sequence name=\"Main\">");
    assert!(fixture.complete().items.is_empty());

    let fixture = Fixture::new("<empty/>", "<empty/>|");
    let other_file = bpel_engine::FileId(fixture.analysis.unit.file.0 + 100);
    assert!(complete(&fixture.analysis, other_file, fixture.offset).items.is_empty());
    assert!(complete(&fixture.analysis, fixture.analysis.unit.file, usize::MAX).items.is_empty());
}

#[test]
fn completion_works_on_the_examples() {
    let path = examples_dir().join("echo/echo.bpel");
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &path).expect("echo");
    let text = analysis.unit.text.to_string();
    let offset = text.find(r#"variable="request" createInstance"#).unwrap() + r#"variable=""#.len();
    let completions = complete(&analysis, analysis.unit.file, offset);
    assert_eq!(completions.replace.slice(&text), "request");
    assert_offers(&completions, &["request", "response"]);
    let offset = text.find(r#"operation="echo" variable="request""#).unwrap() + r#"operation=""#.len();
    assert_eq!(labels(&complete(&analysis, analysis.unit.file, offset)), vec!["echo"]);
    let offset = text.find(r#"<to variable="response" part="payload"/>"#).unwrap() + r#"<to variable="response" part=""#.len();
    assert_offers(&complete(&analysis, analysis.unit.file, offset), &["payload"]);
}

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn betsy_dir() -> PathBuf {
    match std::env::var_os("BPEL_SHARED") {
        Some(dir) => PathBuf::from(dir).join("conformance/betsy"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/betsy"),
    }
}

fn bpel_files(dir: &Path) -> Vec<PathBuf> {
    let (files, errors) = bpel_engine::check::process_files(&[dir.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    files
}

/// ~20 betsy processes across the groups, and every example.
fn sample_files() -> Vec<PathBuf> {
    let mut files = bpel_files(&examples_dir());
    assert!(files.len() >= 4, "examples not found");
    let betsy = betsy_dir();
    for group in ["basic", "structured", "scopes", "cfpatterns"] {
        let all = bpel_files(&betsy.join(group));
        assert!(!all.is_empty(), "betsy group {group} not found at {}", betsy.display());
        let step = (all.len() / 5).max(1);
        files.extend(all.into_iter().step_by(step).take(5));
    }
    files
}

#[test]
fn completion_at_every_offset_never_panics() {
    let mut loader = Loader::new();
    let mut offered = 0usize;
    for path in sample_files() {
        let analysis = analyze(&mut loader, &path).expect("readable");
        let text = analysis.unit.text.clone();
        for offset in 0..=text.len() {
            let completions = complete(&analysis, analysis.unit.file, offset);
            let replace = completions.replace;
            assert!(replace.start <= replace.end && replace.end as usize <= text.len(), "{}: {offset}: {replace:?}", path.display());
            assert!(text.is_char_boundary(replace.start as usize) && text.is_char_boundary(replace.end as usize));
            offered += completions.items.len();
        }
    }
    assert!(offered > 0);
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }
}

#[test]
fn random_truncations_never_panic() {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut loader = Loader::new();
    let files = sample_files();
    for round in 0..2000 {
        let path = &files[round % files.len()];
        let text = std::fs::read_to_string(path).expect("read");
        let mut cut = random.below(text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        // Keep a random tail too, so that the cursor sits in broken text with text after it.
        let mut resume = cut + random.below(40);
        while resume < text.len() && !text.is_char_boundary(resume) {
            resume += 1;
        }
        let edited = format!("{}{}", &text[..cut], text.get(resume..).unwrap_or(""));
        let analysis = analyze_text(&mut loader, path, edited.clone());
        for offset in [cut, edited.len(), random.below(edited.len() + 1)] {
            let completions = complete(&analysis, analysis.unit.file, offset);
            assert!(completions.replace.end as usize <= edited.len(), "{}: cut {cut}, offset {offset}", path.display());
        }
    }
}

/// Where each element of the schema table can stand in a process, `{}` for the element.
fn host(element: &str) -> Option<&'static str> {
    let host = match element {
        "process" | "literal" | "documentation" | "extensionActivity" | "extensionAssignOperation" => return None,
        "import" => "{}<empty/>",
        "extensions" | "partnerLinks" | "messageExchanges" | "variables" | "correlationSets" | "faultHandlers" | "eventHandlers" => {
            "{}<empty/>"
        }
        "extension" => "<extensions>{}</extensions><empty/>",
        "partnerLink" => "<partnerLinks>{}</partnerLinks><empty/>",
        "messageExchange" => "<messageExchanges>{}</messageExchanges><empty/>",
        "variable" => "<variables>{}</variables><empty/>",
        "correlationSet" => "<correlationSets>{}</correlationSets><empty/>",
        "catch" | "catchAll" => "<faultHandlers>{}</faultHandlers><empty/>",
        "onEvent" | "onAlarm" => "<eventHandlers>{}</eventHandlers><empty/>",
        "compensationHandler" | "terminationHandler" => "<scope>{}<empty/></scope>",
        "copy" => "<assign>{}</assign>",
        "from" | "to" => "<assign><copy>{}</copy></assign>",
        "query" => r#"<assign><copy><from variable="v">{}</from><to variable="v"/></copy></assign>"#,
        "onMessage" => "<pick>{}</pick>",
        "correlations" | "fromParts" => r#"<receive partnerLink="p" operation="o">{}</receive>"#,
        "toParts" => r#"<reply partnerLink="p" operation="o">{}</reply>"#,
        "correlation" => r#"<invoke partnerLink="p" operation="o"><correlations>{}</correlations></invoke>"#,
        "fromPart" => r#"<receive partnerLink="p" operation="o"><fromParts>{}</fromParts></receive>"#,
        "toPart" => r#"<reply partnerLink="p" operation="o"><toParts>{}</toParts></reply>"#,
        "links" => "<flow>{}<empty/></flow>",
        "link" => "<flow><links>{}</links><empty/></flow>",
        "targets" | "sources" => "<empty>{}</empty>",
        "target" | "joinCondition" => "<empty><targets>{}</targets></empty>",
        "source" => "<empty><sources>{}</sources></empty>",
        "transitionCondition" => r#"<empty><sources><source linkName="l">{}</source></sources></empty>"#,
        "condition" => "<while>{}<empty/></while>",
        "elseif" | "else" => "<if><condition>true()</condition><empty/>{}</if>",
        "for" | "until" => "<wait>{}</wait>",
        "repeatEvery" => "<eventHandlers><onAlarm>{}<scope><empty/></scope></onAlarm></eventHandlers><empty/>",
        "startCounterValue" | "finalCounterValue" | "completionCondition" => {
            r#"<forEach counterName="i" parallel="no">{}<scope><empty/></scope></forEach>"#
        }
        "branches" => {
            r#"<forEach counterName="i" parallel="no"><completionCondition>{}</completionCondition><scope><empty/></scope></forEach>"#
        }
        _ => "{}",
    };
    Some(host)
}

fn parse_diagnostics(body: &str) -> Vec<String> {
    let text = format!(
        r#"<process name="p" targetNamespace="urn:p" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable">{body}</process>"#
    );
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, Path::new("/nonexistent/table.bpel"), text);
    analysis
        .diagnostics()
        .iter()
        .filter(|d| d.code == bpel_engine::diagnostic::codes::UNEXPECTED_ELEMENT)
        .map(|d| d.message.clone())
        .collect()
}

/// The completion table and the parser say the same: every attribute and child element the
/// table offers, the parser reads without complaint; an attribute the table does not know, it rejects.
#[test]
fn the_schema_table_agrees_with_the_parser() {
    use bpel_engine::ide::completion::{element_attributes, element_children, ELEMENTS};
    let mut checked = 0;
    for spec in ELEMENTS {
        let Some(host) = host(spec.name) else { continue };
        let attributes: String = element_attributes(spec.name).iter().map(|a| format!(r#" {a}="yes""#)).collect();
        let complaints = parse_diagnostics(&host.replace("{}", &format!("<{}{attributes}/>", spec.name)));
        let about_attributes: Vec<&String> = complaints.iter().filter(|m| m.contains("has no attribute")).collect();
        assert!(about_attributes.is_empty(), "<{}>: {about_attributes:?}", spec.name);
        let rejected = parse_diagnostics(&host.replace("{}", &format!(r#"<{} bogusAttribute="x"/>"#, spec.name)));
        // (The parser does not look at the attributes of some elements that take none.)
        assert!(
            attributes.is_empty() || rejected.iter().any(|m| m.contains("bogusAttribute")),
            "<{}> accepts any attribute: {rejected:?}",
            spec.name
        );
        for child in element_children(spec.name) {
            if bpel_engine::parse::process::ACTIVITY_TAGS.contains(&child) {
                continue;
            }
            let complaints = parse_diagnostics(&host.replace("{}", &format!("<{}><{child}/></{}>", spec.name, spec.name)));
            let wrong = format!("<{child}> is not allowed inside <{}>", spec.name);
            assert!(!complaints.contains(&wrong), "{wrong}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} children checked");
    let misplaced = parse_diagnostics("<sequence><variable/></sequence>");
    assert!(misplaced.contains(&"<variable> is not allowed inside <sequence>".to_string()), "the message checked for: {misplaced:?}");
}

/// What an editor sends while a value or tag is being typed: the text is broken at the cursor.
#[test]
fn half_typed_text_still_gets_values_from_the_model() {
    // An unclosed attribute value.
    let fixture = Fixture::new(r#"variable="request" createInstance="yes">"#, r#"variable="re|"#);
    let completions = fixture.complete();
    assert_eq!(fixture.text(completions.replace), "re");
    assert_offers(&completions, &["request", "response"]);

    let fixture = Fixture::new(
        r#"partnerLink="partner" operation="call" inputVariable="request" outputVariable="response"/>"#,
        r#"partnerLink="partner" operation="|"#,
    );
    let completions = fixture.complete();
    assert_offers(&completions, &["call", "notify"]);
    assert_not_offered(&completions, &["start"]);

    // A lone `<` inside the scope's flow.
    let fixture = Fixture::new(r#"<empty name="A">"#, r#"<|<empty name="A">"#);
    let completions = fixture.complete();
    assert_offers(&completions, &["empty", "sequence", "/flow"]);
    // The flow has its <links> already.
    assert_not_offered(&completions, &["links", "variables"]);

    // `$` just typed in a condition of a broken if.
    let fixture = Fixture::new("<condition>$count &gt; 1</condition>\n      <empty/>\n    </if>", "<condition>$|");
    let completions = fixture.complete();
    assert_offers(&completions, &["$request", "$count"]);
}

#[test]
fn a_process_with_a_bpel_prefix_gets_prefixed_names() {
    let marked = r#"<bpel:process name="p" targetNamespace="urn:p" xmlns:bpel="http://docs.oasis-open.org/wsbpel/2.0/process/executable">
  <bpel:variables><bpel:variable name="v" type="xsd:int" xmlns:xsd="http://www.w3.org/2001/XMLSchema"/></bpel:variables>
  <bpel:sequence>
    <bpel:throw faultName="|"/>
    <|
  </bpel:sequence>
</bpel:process>"#;
    let first = marked.find('|').unwrap();
    let text = marked.replacen('|', "", 1);
    let second = text.find('|').unwrap();
    let text = text.replacen('|', "", 1);
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, Path::new("/nonexistent/prefixed.bpel"), text);
    let faults = complete(&analysis, analysis.unit.file, first);
    assert_offers(&faults, &["bpel:selectionFailure"]);
    let elements = complete(&analysis, analysis.unit.file, second);
    assert_offers(&elements, &["bpel:receive", "bpel:scope", "/bpel:sequence"]);
    let scope = elements.items.iter().find(|i| i.label == "bpel:scope").unwrap();
    assert!(scope.snippet.as_deref().unwrap().contains("<bpel:faultHandlers>"));
}
