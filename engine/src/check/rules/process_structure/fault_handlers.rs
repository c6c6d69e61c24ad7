//! Fault handlers: what they may catch (SA00003), that they catch something (SA00080), the fault
//! variable of a catch (SA00081), and no two catches alike (SA00093).

use super::support::{remove_attributes, remove_element, scope_decls, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::model::QNameRef;
use crate::parse::BPEL_NS;
use crate::span::Spanned;

/// The standard faults a process may not catch when it exits on them (`bpel:joinFailure` is not one).
const EXITING_STANDARD_FAULTS: &[&str] = &[
    "ambiguousReceive",
    "completionConditionFailure",
    "conflictingReceive",
    "conflictingRequest",
    "correlationViolation",
    "invalidBranchCondition",
    "invalidExpressionValue",
    "invalidVariables",
    "mismatchedAssignmentFailure",
    "missingReply",
    "missingRequest",
    "scopeInitializationFailure",
    "selectionFailure",
    "subLanguageExecutionFault",
    "uninitializedPartnerRole",
    "uninitializedVariable",
    "unsupportedReference",
    "xsltInvalidSource",
    "xsltStylesheetNotFound",
];

pub(super) const SA00003: Rule = Rule {
    code: "SA00003",
    tier: Tier::Process,
    summary: "a scope that exits on standard faults must not catch a standard fault",
    why: "With exitOnStandardFault=\"yes\" the process ends as soon as a standard fault (other than \
          bpel:joinFailure) is thrown, so a <catch> for such a fault in that scope, or in a scope that \
          inherits the setting, could never run.",
    failing: r#"<scope exitOnStandardFault="yes">
  <faultHandlers>
    <catch faultName="bpel:selectionFailure"><empty/></catch>
  </faultHandlers>
  ...
</scope>"#,
    fixed: r#"<scope exitOnStandardFault="no">
  <faultHandlers>
    <catch faultName="bpel:selectionFailure"><empty/></catch>
  </faultHandlers>
  ...
</scope>"#,
    check: check_standard_fault_catches,
};

fn check_standard_fault_catches(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (owner, decls) in scope_decls(cx.process) {
        let Some(handlers) = &decls.fault_handlers else { continue };
        let Some(setting) = exit_on_standard_fault(cx.process, owner).filter(|s| s.value) else { continue };
        for catch in &handlers.catches {
            let Some(fault) = &catch.fault_name else { continue };
            let Some(local) = standard_fault(fault) else { continue };
            let whose = match owner {
                _ if setting.span.start < decls_start(cx.process, owner) => "inherited from an enclosing scope",
                None => "set on the process",
                Some(_) => "set on this scope",
            };
            out.push(
                Diagnostic::error(
                    "SA00003",
                    cx.file,
                    fault.span,
                    format!("this <catch> for the standard fault `{local}` can never run: exitOnStandardFault is `yes` ({whose})"),
                )
                .with_related(cx.file, setting.span, "exitOnStandardFault=\"yes\" makes the process exit on standard faults")
                .with_help("remove the <catch>, or set exitOnStandardFault=\"no\" on the scope that holds it"),
            );
        }
    }
}

/// The local name of a WS-BPEL standard fault that exitOnStandardFault covers.
fn standard_fault(fault: &QNameRef) -> Option<&str> {
    let name = fault.name.as_ref()?;
    let local = name.local.as_str();
    (name.namespace.as_deref() == Some(BPEL_NS) && EXITING_STANDARD_FAULTS.contains(&local)).then_some(local)
}

/// The exitOnStandardFault in force for the handlers of `owner`: its own, else the nearest
/// enclosing scope's, else the process's.
fn exit_on_standard_fault(process: &Process, owner: Option<ActivityId>) -> Option<&Spanned<bool>> {
    let scopes = owner.into_iter().chain(owner.into_iter().flat_map(|id| process.ancestors(id)));
    for id in scopes {
        if let ActivityKind::Scope(scope) = &process.activity(id).kind {
            if let Some(setting) = &scope.exit_on_standard_fault {
                return Some(setting);
            }
        }
    }
    process.exit_on_standard_fault.as_ref()
}

/// Where the element that owns the handlers starts (the process for `None`).
fn decls_start(process: &Process, owner: Option<ActivityId>) -> u32 {
    owner.map_or(process.span.start, |id| process.activity(id).span.start)
}

pub(super) const SA00080: Rule = Rule {
    code: "SA00080",
    tier: Tier::Process,
    summary: "<faultHandlers> must contain at least one <catch> or <catchAll>",
    why: "An empty <faultHandlers> handles nothing; the schema requires at least one handler.",
    failing: r#"<scope>
  <faultHandlers/>
  ...
</scope>"#,
    fixed: r#"<scope>
  <faultHandlers>
    <catchAll><empty/></catchAll>
  </faultHandlers>
  ...
</scope>"#,
    check: check_empty_fault_handlers,
};

fn check_empty_fault_handlers(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let Some(handlers) = &decls.fault_handlers else { continue };
        if !handlers.catches.is_empty() || handlers.catch_all.is_some() {
            continue;
        }
        out.push(
            Diagnostic::error("SA00080", cx.file, tag_name(cx.text, handlers.span), "<faultHandlers> has no <catch> and no <catchAll>")
                .with_help("add a <catch> or a <catchAll>, or remove the empty <faultHandlers>")
                .with_fix(remove_element(cx.text, cx.file, handlers.span, "Remove the empty <faultHandlers>")),
        );
    }
}

pub(super) const SA00081: Rule = Rule {
    code: "SA00081",
    tier: Tier::Process,
    summary: "a <catch> with faultVariable needs exactly one of faultMessageType and faultElement, and they need faultVariable",
    why: "The fault variable of a <catch> is declared by the catch itself; its type comes from \
          faultMessageType or faultElement, so one of them, and only one, must be given with it, and \
          neither makes sense without the variable.",
    failing: r#"<catch faultName="tns:oops" faultVariable="fault">
  <empty/>
</catch>"#,
    fixed: r#"<catch faultName="tns:oops" faultVariable="fault" faultElement="tns:oopsDetail">
  <empty/>
</catch>"#,
    check: check_catch_fault_variable,
};

fn check_catch_fault_variable(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        for catch in decls.fault_handlers.iter().flat_map(|h| &h.catches) {
            check_catch(cx, catch, out);
        }
    }
}

fn check_catch(cx: &RuleContext<'_>, catch: &Catch, out: &mut Vec<Diagnostic>) {
    let types: Vec<&QNameRef> = [&catch.fault_message_type, &catch.fault_element].into_iter().flatten().collect();
    match (&catch.fault_variable, types.as_slice()) {
        (Some(variable), []) => out.push(
            Diagnostic::error(
                "SA00081",
                cx.file,
                variable.span,
                format!("fault variable `{}` has no type: give the <catch> a faultMessageType or a faultElement", variable.value),
            )
            .with_help("faultMessageType names a WSDL message, faultElement a global XML Schema element"),
        ),
        (Some(variable), [_, second]) => {
            let diagnostic = Diagnostic::error(
                "SA00081",
                cx.file,
                second.span,
                format!("fault variable `{}` has both faultMessageType and faultElement; it takes exactly one", variable.value),
            )
            .with_help("keep the one that matches the fault data");
            out.push(diagnostic);
        }
        (None, [first, ..]) => {
            let spans: Vec<_> = types.iter().map(|t| t.span).collect();
            let mut diagnostic = Diagnostic::error(
                "SA00081",
                cx.file,
                first.span,
                format!("`{}` types a fault variable, but the <catch> has no faultVariable", first.text),
            )
            .with_help("add faultVariable=\"...\" to receive the fault data, or remove the type");
            if let Some(fix) = remove_attributes(cx.text, cx.file, &spans, "Remove the fault type") {
                diagnostic = diagnostic.with_fix(fix);
            }
            out.push(diagnostic);
        }
        _ => {}
    }
}

pub(super) const SA00093: Rule = Rule {
    code: "SA00093",
    tier: Tier::Process,
    summary: "no two <catch> of one <faultHandlers> may catch the same fault name and fault type",
    why: "The catch that handles a fault is chosen by its faultName and the type of its fault data; \
          two identical catches would make that choice ambiguous.",
    failing: r#"<faultHandlers>
  <catch faultName="tns:oops"><empty/></catch>
  <catch faultName="tns:oops"><exit/></catch>
</faultHandlers>"#,
    fixed: r#"<faultHandlers>
  <catch faultName="tns:oops"><empty/></catch>
</faultHandlers>"#,
    check: check_duplicate_catches,
};

/// What selects a catch: fault name, message type, element (resolved when possible).
type CatchSignature = (Option<String>, Option<String>, Option<String>);

fn signature(catch: &Catch) -> CatchSignature {
    let key = |name: &Option<QNameRef>| name.as_ref().map(|n| n.name.as_ref().map_or_else(|| n.text.clone(), |q| q.to_string()));
    (key(&catch.fault_name), key(&catch.fault_message_type), key(&catch.fault_element))
}

fn check_duplicate_catches(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let Some(handlers) = &decls.fault_handlers else { continue };
        let mut seen: Vec<(CatchSignature, &Catch)> = Vec::new();
        for catch in &handlers.catches {
            let key = signature(catch);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                out.push(duplicate_catch(cx, catch, first));
            } else {
                seen.push((key, catch));
            }
        }
    }
}

fn duplicate_catch(cx: &RuleContext<'_>, catch: &Catch, first: &Catch) -> Diagnostic {
    let names: Vec<String> =
        [("faultName", &catch.fault_name), ("faultMessageType", &catch.fault_message_type), ("faultElement", &catch.fault_element)]
            .into_iter()
            .filter_map(|(attribute, value)| Some(format!("{attribute}=\"{}\"", value.as_ref()?.text)))
            .collect();
    let what = if names.is_empty() { "no fault name and no fault type".to_string() } else { names.join(" ") };
    let mut diagnostic = Diagnostic::error(
        "SA00093",
        cx.file,
        tag_name(cx.text, catch.span),
        format!("this <catch> catches the same fault as an earlier one ({what})"),
    )
    .with_related(cx.file, tag_name(cx.text, first.span), "the first <catch> for this fault")
    .with_help("merge the two handlers into one <catch>");
    if catch.span.slice(cx.text) == first.span.slice(cx.text) {
        diagnostic = diagnostic.with_fix(remove_element(cx.text, cx.file, catch.span, "Remove the duplicate <catch>"));
    }
    diagnostic
}
