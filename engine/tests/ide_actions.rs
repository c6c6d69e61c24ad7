//! `ide::actions`: declaring an undeclared variable from its use (the type inferred from the
//! message activity, else `xsd:string`, else no action), importing a WSDL/XSD beside the process
//! for a namespace it uses without importing it, the rules behind diagnostics; each action applied
//! and the result analysed again. The examples are edited in memory (`analyze_text`), so their
//! WSDLs resolve from examples/.

use std::path::PathBuf;

use bpel_engine::check::rules;
use bpel_engine::check::{analyze_text, Analysis};
use bpel_engine::ide::actions::{code_actions, diagnostic_rules_markdown, rules_in, Action, ActionKind, ImportCandidate, ImportKind};
use bpel_engine::parse::Loader;
use bpel_engine::span::Span;

fn example(relative: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(relative);
    let text = std::fs::read_to_string(&path).expect("the example is readable");
    (path, text)
}

fn analysed(path: &std::path::Path, text: &str) -> Analysis {
    analyze_text(&mut Loader::new(), path, text.to_string())
}

/// The span of the `nth` occurrence of `needle` in `text`.
fn span_of(text: &str, needle: &str, nth: usize) -> Span {
    let start = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} is in the text")).0;
    Span::new(start, start + needle.len())
}

fn codes(analysis: &Analysis) -> Vec<&'static str> {
    analysis.diagnostics().iter().map(|d| d.code).collect()
}

/// The actions at `span`, of `kind`.
fn actions_at(analysis: &Analysis, span: Span, kind: ActionKind, candidates: &[ImportCandidate]) -> Vec<Action> {
    code_actions(analysis, span, candidates).into_iter().filter(|a| a.kind == kind).collect()
}

fn apply(text: &str, action: &Action) -> String {
    let mut edits = action.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_string();
    for edit in edits {
        out.replace_range(edit.span.range(), &edit.replacement);
    }
    out
}

#[test]
fn a_reply_variable_is_declared_with_the_operation_output_beside_its_siblings() {
    let (path, text) = example("echo/echo.bpel");
    let broken = text.replace(r#"operation="echo" variable="response""#, r#"operation="echo" variable="answer""#);
    let analysis = analysed(&path, &broken);
    assert_eq!(codes(&analysis), ["BPEL0100"]);
    let at = span_of(&broken, r#""answer""#, 0);
    let actions = actions_at(&analysis, Span::empty_at(at.start as usize + 2), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Declare variable `answer` in the process");
    let fixed = apply(&broken, &actions[0]);
    assert!(
        fixed.contains(
            "        <variable name=\"response\" messageType=\"echo:EchoResponse\"/>\n        <variable name=\"answer\" messageType=\"echo:EchoResponse\"/>\n    </variables>"
        ),
        "{fixed}"
    );
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");
}

#[test]
fn a_receive_variable_is_declared_with_the_operation_input() {
    let (path, text) = example("echo/echo.bpel");
    let broken = text.replace(r#"operation="echo" variable="request""#, r#"operation="echo" variable="incoming""#);
    let analysis = analysed(&path, &broken);
    let actions = actions_at(&analysis, span_of(&broken, "incoming", 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&broken, &actions[0]);
    assert!(fixed.contains(r#"<variable name="incoming" messageType="echo:EchoRequest"/>"#), "{fixed}");
    let after = analysed(&path, &fixed);
    assert!(!after.diagnostics().iter().any(|d| d.code == "BPEL0100"), "{:?}", after.diagnostics());
}

/// order-approval without the `<variables>` of its scope `Approval`: the invoke's variables are
/// declared in a new `<variables>` of that scope, before its fault handlers.
#[test]
fn invoke_variables_get_the_input_and_output_messages_in_a_new_variables_of_the_scope() {
    let (path, text) = example("order-approval/order-approval.bpel");
    let block = "            <variables>\n                <variable name=\"approvalRequest\" messageType=\"apr:ApprovalRequest\"/>\n                <variable name=\"approvalResponse\" messageType=\"apr:ApprovalResponse\"/>\n            </variables>\n\n";
    assert!(text.contains(block));
    let broken = text.replacen(block, "", 1);
    let analysis = analysed(&path, &broken);
    assert!(codes(&analysis).contains(&"BPEL0100"));

    let input = actions_at(&analysis, span_of(&broken, r#"inputVariable="approvalRequest""#, 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(input.len(), 1, "{input:?}");
    assert_eq!(input[0].title, "Declare variable `approvalRequest` in the scope `Approval`");
    let fixed = apply(&broken, &input[0]);
    let expected = "        <scope name=\"Approval\">\n            <variables>\n                <variable name=\"approvalRequest\" messageType=\"apr:ApprovalRequest\"/>\n            </variables>\n            <faultHandlers>";
    assert!(fixed.contains(expected), "{fixed}");
    let after = analysed(&path, &fixed);
    assert!(!after.diagnostics().iter().any(|d| d.message.contains("`approvalRequest`")), "{:?}", after.diagnostics());

    // then the output variable, beside the first one
    let output = actions_at(&after, span_of(&fixed, r#"outputVariable="approvalResponse""#, 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(output.len(), 1, "{output:?}");
    let fixed = apply(&fixed, &output[0]);
    assert!(
        fixed.contains("messageType=\"apr:ApprovalRequest\"/>\n                <variable name=\"approvalResponse\" messageType=\"apr:ApprovalResponse\"/>\n            </variables>"),
        "{fixed}"
    );
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");
}

#[test]
fn a_process_without_variables_gets_them_after_its_partner_links_set_apart_like_its_siblings() {
    let (path, text) = example("echo/echo.bpel");
    let block = "    <variables>\n        <variable name=\"request\" messageType=\"echo:EchoRequest\"/>\n        <variable name=\"response\" messageType=\"echo:EchoResponse\"/>\n    </variables>\n\n";
    assert!(text.contains(block));
    let broken = text.replacen(block, "", 1);
    let analysis = analysed(&path, &broken);
    let actions = actions_at(&analysis, span_of(&broken, r#"operation="echo" variable="response""#, 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&broken, &actions[0]);
    let expected = "    </partnerLinks>\n\n    <variables>\n        <variable name=\"response\" messageType=\"echo:EchoResponse\"/>\n    </variables>\n\n    <sequence";
    assert!(fixed.contains(expected), "{fixed}");
    let after = analysed(&path, &fixed);
    assert!(!after.diagnostics().iter().any(|d| d.message.contains("`response`")), "{:?}", after.diagnostics());
}

/// The echo example with BPEL's elements written `bpel:NAME`.
fn prefixed_echo() -> (PathBuf, String) {
    let (path, text) = example("echo/echo.bpel");
    let mut text = text.replace(
        r#"xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable""#,
        r#"xmlns:bpel="http://docs.oasis-open.org/wsbpel/2.0/process/executable""#,
    );
    for name in ["process", "import", "partnerLink", "variable", "sequence", "receive", "assign", "copy", "from", "to ", "to>", "reply"] {
        text = text.replace(&format!("<{name}"), &format!("<bpel:{name}")).replace(&format!("</{name}"), &format!("</bpel:{name}"));
    }
    (path, text)
}

#[test]
fn empty_and_self_closing_variables_and_prefixed_bpel_elements() {
    let (path, text) = prefixed_echo();
    assert_eq!(codes(&analysed(&path, &text)), Vec::<&str>::new(), "{text}");
    let block_start = text.find("    <bpel:variables>").unwrap();
    let block_end = text.find("</bpel:variables>").unwrap() + "</bpel:variables>".len();
    let without_response = |block: &str| {
        let mut edited = text.clone();
        edited.replace_range(block_start..block_end, block);
        edited.replace(r#"operation="echo" variable="request""#, r#"operation="echo" variable="incoming""#)
    };
    let expected =
        "    <bpel:variables>\n        <bpel:variable name=\"incoming\" messageType=\"echo:EchoRequest\"/>\n    </bpel:variables>";
    for block in ["    <bpel:variables/>", "    <bpel:variables>\n    </bpel:variables>", "    <bpel:variables></bpel:variables>"] {
        let broken = without_response(block);
        let analysis = analysed(&path, &broken);
        let actions = actions_at(&analysis, span_of(&broken, "incoming", 0), ActionKind::DeclareVariable, &[]);
        assert_eq!(actions.len(), 1, "{block}: {actions:?}");
        let fixed = apply(&broken, &actions[0]);
        assert!(fixed.contains(expected), "{block}:\n{fixed}");
        let after = analysed(&path, &fixed);
        assert!(!after.diagnostics().iter().any(|d| d.message.contains("`incoming`")), "{:?}", after.diagnostics());
    }
    // a comment inside is kept
    let broken = without_response("    <bpel:variables><!-- none yet --></bpel:variables>");
    let analysis = analysed(&path, &broken);
    let actions = actions_at(&analysis, span_of(&broken, "incoming", 0), ActionKind::DeclareVariable, &[]);
    let fixed = apply(&broken, &actions[0]);
    assert!(fixed.contains("<bpel:variables>\n        <bpel:variable name=\"incoming\" messageType=\"echo:EchoRequest\"/><!-- none yet --></bpel:variables>"), "{fixed}");
}

#[test]
fn a_variable_used_only_in_xpath_is_a_string_when_xml_schema_has_a_prefix_and_gets_no_action_when_not() {
    let (path, text) = example("echo/echo.bpel");
    let broken = text.replace(r#"<from variable="request" part="payload"/>"#, "<from>$greeting</from>");
    let analysis = analysed(&path, &broken);
    assert!(codes(&analysis).contains(&"BPEL0100"), "{:?}", analysis.diagnostics());
    let use_at = span_of(&broken, "greeting", 0);
    assert_eq!(actions_at(&analysis, use_at, ActionKind::DeclareVariable, &[]), Vec::new(), "no prefix is bound to XML Schema");

    let with_xsd = broken.replace(
        r#"xmlns:echo="http://example.com/bpel/examples/echo">"#,
        r#"xmlns:echo="http://example.com/bpel/examples/echo" xmlns:xs="http://www.w3.org/2001/XMLSchema">"#,
    );
    let analysis = analysed(&path, &with_xsd);
    let actions = actions_at(&analysis, span_of(&with_xsd, "greeting", 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&with_xsd, &actions[0]);
    assert!(fixed.contains(r#"<variable name="greeting" type="xs:string"/>"#), "{fixed}");
    let after = analysed(&path, &fixed);
    assert!(!after.diagnostics().iter().any(|d| d.code == "BPEL0100"), "{:?}", after.diagnostics());
}

/// The echo example with its message namespace's prefix bound not at the process but on the
/// elements given (`<partnerLinks`, `<variables`...), and the reply's variable undeclared.
fn echo_with_prefix_on(elements: &[&str]) -> (PathBuf, String) {
    let (path, text) = example("echo/echo.bpel");
    let binding = r#" xmlns:echo="http://example.com/bpel/examples/echo""#;
    let mut edited = text.replacen(binding, "", 1).replace(r#"variable="response"/>"#, r#"variable="answer"/>"#);
    for element in elements {
        edited = edited.replacen(element, &format!("{element}{binding}"), 1);
    }
    (path, edited)
}

#[test]
fn the_message_prefix_is_the_one_bound_where_the_declaration_goes_else_no_action() {
    let (path, text) = echo_with_prefix_on(&["<partnerLinks", "<variables", "<receive", "<reply"]);
    let analysis = analysed(&path, &text);
    let actions = actions_at(&analysis, span_of(&text, "answer", 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&text, &actions[0]);
    assert!(fixed.contains(r#"<variable name="answer" messageType="echo:EchoResponse"/>"#), "{fixed}");
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");

    // bound on the activities only: no prefix where the declaration would go
    let (path, text) = echo_with_prefix_on(&["<partnerLinks", "<receive", "<reply"]);
    let analysis = analysed(&path, &text);
    assert!(codes(&analysis).contains(&"BPEL0100"), "{:?}", analysis.diagnostics());
    let actions = actions_at(&analysis, span_of(&text, "answer", 0), ActionKind::DeclareVariable, &[]);
    assert_eq!(actions, Vec::new());
}

#[test]
fn other_diagnostics_and_declared_names_get_no_declaration() {
    let (path, text) = example("echo/echo.bpel");
    let analysis = analysed(&path, &text);
    let whole = Span::new(0, text.len());
    assert_eq!(code_actions(&analysis, whole, &[]), Vec::new(), "a clean process has no actions");
    // an undeclared partner link is not a variable
    let broken = text.replace(
        r#"partnerLink="client" portType="echo:EchoPortType"
            operation="echo" variable="response""#,
        r#"partnerLink="nobody" portType="echo:EchoPortType"
            operation="echo" variable="response""#,
    );
    let analysis = analysed(&path, &broken);
    assert!(!analysis.diagnostics().is_empty());
    assert!(actions_at(&analysis, whole, ActionKind::DeclareVariable, &[]).is_empty());
}

fn echo_wsdl_candidate() -> ImportCandidate {
    let (_, wsdl) = example("echo/echo.wsdl");
    ImportCandidate::from_text("echo.wsdl", &wsdl).expect("the WSDL has a target namespace")
}

#[test]
fn candidates_are_read_from_wsdl_and_xsd_texts() {
    let candidate = echo_wsdl_candidate();
    assert_eq!(candidate.namespace, "http://example.com/bpel/examples/echo");
    assert_eq!(candidate.kind, ImportKind::Wsdl);
    let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:types"/>"#;
    let schema = ImportCandidate::from_text("types/t.xsd", xsd).unwrap();
    assert_eq!((schema.kind, schema.namespace.as_str(), schema.location.as_str()), (ImportKind::Xsd, "urn:types", "types/t.xsd"));
    assert_eq!(ImportCandidate::from_text("x.xsd", r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>"#), None);
    assert_eq!(ImportCandidate::from_text("x.wsdl", "<definitions targetNamespace=\"urn:a\"/>"), None, "not in WSDL's namespace");
    assert_eq!(ImportCandidate::from_text("x.wsdl", "<broken"), None);
}

#[test]
fn a_missing_import_is_added_for_the_file_with_that_target_namespace() {
    let (path, text) = example("echo/echo.bpel");
    let import = "    <import namespace=\"http://example.com/bpel/examples/echo\"\n        location=\"echo.wsdl\"\n        importType=\"http://schemas.xmlsoap.org/wsdl/\"/>\n\n";
    assert!(text.contains(import));
    let broken = text.replacen(import, "", 1);
    let analysis = analysed(&path, &broken);
    assert!(codes(&analysis).iter().all(|c| *c == "SA00010"), "{:?}", analysis.diagnostics());

    let unrelated = ImportCandidate { location: "other.wsdl".into(), namespace: "urn:other".into(), kind: ImportKind::Wsdl };
    let at = span_of(&broken, "echo:EchoRequest", 0);
    let actions = actions_at(&analysis, at, ActionKind::AddImport, &[unrelated.clone(), echo_wsdl_candidate()]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].title, "Import `echo.wsdl` (namespace `http://example.com/bpel/examples/echo`)");
    let fixed = apply(&broken, &actions[0]);
    assert!(
        fixed.contains(
            "xmlns:echo=\"http://example.com/bpel/examples/echo\">\n    <import namespace=\"http://example.com/bpel/examples/echo\" location=\"echo.wsdl\" importType=\"http://schemas.xmlsoap.org/wsdl/\"/>\n"
        ),
        "{fixed}"
    );
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");

    // no candidate with the namespace: no action; a namespace already imported: no action
    assert!(actions_at(&analysis, at, ActionKind::AddImport, &[unrelated]).is_empty());
    let analysis = analysed(&path, &text);
    assert!(actions_at(&analysis, Span::new(0, text.len()), ActionKind::AddImport, &[echo_wsdl_candidate()]).is_empty());
}

#[test]
fn a_second_import_goes_after_the_last_one() {
    let (path, text) = example("order-approval/order-approval.bpel");
    let import = "    <import namespace=\"http://example.com/bpel/examples/approver\"\n        location=\"approver.wsdl\"\n        importType=\"http://schemas.xmlsoap.org/wsdl/\"/>\n";
    let broken = text.replacen(import, "", 1);
    let analysis = analysed(&path, &broken);
    let (_, wsdl) = example("order-approval/approver.wsdl");
    let candidate = ImportCandidate::from_text("approver.wsdl", &wsdl).unwrap();
    let actions = actions_at(&analysis, span_of(&broken, "apr:ApproverPartnerLinkType", 0), ActionKind::AddImport, &[candidate]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&broken, &actions[0]);
    assert!(
        fixed.contains("location=\"order.wsdl\"\n        importType=\"http://schemas.xmlsoap.org/wsdl/\"/>\n    <import namespace=\"http://example.com/bpel/examples/approver\" location=\"approver.wsdl\""),
        "{fixed}"
    );
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");
}

#[test]
fn an_import_into_a_process_with_prefixed_bpel_elements_has_the_prefix() {
    let (path, text) = prefixed_echo();
    let start = text.find("    <bpel:import").unwrap();
    let end = start + text[start..].find("/>").unwrap() + 2;
    let mut broken = text.clone();
    broken.replace_range(start..end, "");
    let analysis = analysed(&path, &broken);
    let actions = actions_at(&analysis, span_of(&broken, "echo:EchoRequest", 0), ActionKind::AddImport, &[echo_wsdl_candidate()]);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let fixed = apply(&broken, &actions[0]);
    assert!(fixed.contains(r#"<bpel:import namespace="http://example.com/bpel/examples/echo" location="echo.wsdl""#), "{fixed}");
    assert_eq!(codes(&analysed(&path, &fixed)), Vec::<&str>::new(), "{fixed}");
}

#[test]
fn the_rules_behind_diagnostics_explain_and_hover() {
    let (path, text) = example("echo/echo.bpel");
    let broken = text.replace("echo:EchoRequest", "echo:NoSuchMessage");
    let analysis = analysed(&path, &broken);
    let at = span_of(&broken, "echo:NoSuchMessage", 0);
    let found: Vec<&str> = rules_in(&analysis, at).iter().map(|r| r.code).collect();
    assert_eq!(found, ["SA00010"]);
    let markdown = diagnostic_rules_markdown(&analysis, at.start as usize + 3).expect("a rule covers the offset");
    let rule = rules::find("SA00010").unwrap();
    assert!(markdown.starts_with("**SA00010**: ") && markdown.contains(rule.summary) && markdown.contains(rule.why), "{markdown}");
    assert_eq!(diagnostic_rules_markdown(&analysis, 0), None);
    // a BPEL0100 is no rule of the standard
    let undeclared = text.replace(r#"variable="response"/>"#, r#"variable="nope"/>"#);
    let analysis = analysed(&path, &undeclared);
    assert!(rules_in(&analysis, Span::new(0, undeclared.len())).is_empty());
}

#[test]
fn an_explanation_is_markdown_with_the_examples_as_code_blocks() {
    let rule = rules::find("56").unwrap();
    let markdown = rule.explain_markdown();
    assert!(markdown.starts_with(&format!("SA00056: {}\n\nWhy: ", rule.summary)), "{markdown}");
    // an indented code block must follow a blank line to be one
    let first_example_line = rule.failing.trim_matches('\n').lines().next().unwrap();
    assert!(markdown.contains(&format!("Rejected:\n\n    {first_example_line}")), "{markdown}");
    assert!(markdown.contains("\n\nAccepted:\n\n    "), "{markdown}");
}

/// Every truncation of every example, with every candidate: no panic, and every edit inside the text.
#[test]
fn no_panic_on_truncated_texts() {
    let candidate = echo_wsdl_candidate();
    for relative in ["echo/echo.bpel", "order-approval/order-approval.bpel", "long-running/long-running.bpel"] {
        let (path, text) = example(relative);
        let mut loader = Loader::new();
        for end in (0..text.len()).step_by(37).chain([text.len()]) {
            let Some(truncated) = text.get(..end) else { continue };
            let analysis = analyze_text(&mut loader, &path, truncated.to_string());
            for offset in (0..=end).step_by(211) {
                for action in code_actions(&analysis, Span::new(offset, end), std::slice::from_ref(&candidate)) {
                    assert!(action.edits.iter().all(|e| e.span.end as usize <= end), "{relative} at {end}: {action:?}");
                }
                let _ = diagnostic_rules_markdown(&analysis, offset);
            }
        }
    }
}
