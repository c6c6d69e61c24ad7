//! Where the fault-handling activities may stand: `<rethrow>` only in a fault handler (SA00006),
//! `<compensateScope>` and `<compensate>` only in a fault, compensation or termination handler
//! (SA00007, SA00008), and what a `<compensateScope>` may name (SA00077).

use super::support::{handler_name, placements};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;

pub(super) const SA00006: Rule = Rule {
    code: "SA00006",
    tier: Tier::Process,
    summary: "<rethrow> may only be used inside a fault handler (<catch> or <catchAll>)",
    why: "<rethrow> throws again the fault that the enclosing fault handler caught; outside a fault \
          handler there is no such fault.",
    failing: r#"<sequence>
  <invoke .../>
  <rethrow/>
</sequence>"#,
    fixed: r#"<faultHandlers>
  <catchAll>
    <sequence><empty/><rethrow/></sequence>
  </catchAll>
</faultHandlers>"#,
    check: check_rethrow,
};

fn check_rethrow(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        if !matches!(activity.kind, ActivityKind::Rethrow) {
            continue;
        }
        let nearest = placements(cx.process, activity.id).map(|(_, _, placement)| placement).find(|p| handler_name(*p).is_some());
        let message = match nearest {
            Some(Placement::Catch(_) | Placement::CatchAll) => continue,
            Some(other) => format!(
                "<rethrow> stands in {}; it may only be used inside a fault handler (<catch> or <catchAll>)",
                handler_name(other).unwrap_or("a handler")
            ),
            None => "<rethrow> is not inside a fault handler; it may only be used in a <catch> or <catchAll>".to_string(),
        };
        out.push(
            Diagnostic::error("SA00006", cx.file, activity.tag_span, message)
                .with_help("to signal a fault from here, use <throw faultName=\"...\"/>"),
        );
    }
}

pub(super) const SA00007: Rule = Rule {
    code: "SA00007",
    tier: Tier::Process,
    summary: "<compensateScope> may only be used in a fault handler, a compensation handler or a termination handler",
    why: "Compensation undoes completed work of enclosed scopes, which only makes sense while handling \
          a fault, compensating or terminating the enclosing scope.",
    failing: r#"<sequence>
  <scope name="Booking">...</scope>
  <compensateScope target="Booking"/>
</sequence>"#,
    fixed: r#"<faultHandlers>
  <catchAll><compensateScope target="Booking"/></catchAll>
</faultHandlers>"#,
    check: check_compensate_scope_placement,
};

pub(super) const SA00008: Rule = Rule {
    code: "SA00008",
    tier: Tier::Process,
    summary: "<compensate> may only be used in a fault handler, a compensation handler or a termination handler",
    why: "Compensation undoes completed work of enclosed scopes, which only makes sense while handling \
          a fault, compensating or terminating the enclosing scope.",
    failing: r#"<sequence>
  <scope name="Booking">...</scope>
  <compensate/>
</sequence>"#,
    fixed: r#"<faultHandlers>
  <catchAll><compensate/></catchAll>
</faultHandlers>"#,
    check: check_compensate_placement,
};

fn check_compensate_scope_placement(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_compensation_placement(cx, "SA00007", |kind| matches!(kind, ActivityKind::CompensateScope(_)), out);
}

fn check_compensate_placement(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_compensation_placement(cx, "SA00008", |kind| matches!(kind, ActivityKind::Compensate), out);
}

fn check_compensation_placement(cx: &RuleContext<'_>, code: &'static str, wanted: fn(&ActivityKind) -> bool, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        if !wanted(&activity.kind) || fct_handler(cx.process, activity.id).is_some() {
            continue;
        }
        let tag = activity.kind.tag();
        out.push(
            Diagnostic::error(
                code,
                cx.file,
                activity.tag_span,
                format!("<{tag}> is not inside a <catch>, <catchAll>, <compensationHandler> or <terminationHandler>"),
            )
            .with_help(format!("move the <{tag}> into a fault, compensation or termination handler of the scope whose work it undoes")),
        );
    }
}

/// The innermost fault, compensation or termination handler around `id`: the activity that holds
/// it (`None`: the process) and which handler it is.
fn fct_handler(process: &Process, id: ActivityId) -> Option<(Option<ActivityId>, Placement)> {
    placements(process, id).find_map(|(_, holder, placement)| is_fct(placement).then_some((holder, placement)))
}

fn is_fct(placement: Placement) -> bool {
    matches!(placement, Placement::Catch(_) | Placement::CatchAll | Placement::CompensationHandler | Placement::TerminationHandler)
}

pub(super) const SA00077: Rule = Rule {
    code: "SA00077",
    tier: Tier::Process,
    summary:
        "compensateScope/@target must name a scope or invoke immediately enclosed by the scope whose handler holds the <compensateScope>",
    why: "A handler can only compensate the work of the scopes (and invokes) directly inside its own \
          scope, including those of the scope's event handlers; other names cannot be compensated from there.",
    failing: r#"<scope name="Outer">
  <faultHandlers>
    <catchAll><compensateScope target="Inner"/></catchAll>
  </faultHandlers>
  <sequence>
    <scope name="Middle"><scope name="Inner">...</scope></scope>
  </sequence>
</scope>"#,
    fixed: r#"<scope name="Outer">
  <faultHandlers>
    <catchAll><compensateScope target="Middle"/></catchAll>
  </faultHandlers>
  <sequence>
    <scope name="Middle"><scope name="Inner">...</scope></scope>
  </sequence>
</scope>"#,
    check: check_compensate_scope_target,
};

fn check_compensate_scope_target(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    for activity in &process.activities {
        let ActivityKind::CompensateScope(compensate) = &activity.kind else { continue };
        let Some(target) = &compensate.target else { continue };
        // Outside any handler is SA00007's concern.
        let Some((owner, _)) = fct_handler(process, activity.id) else { continue };
        let candidates: Vec<ActivityId> = process
            .activities
            .iter()
            .filter(|a| matches!(a.kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_)))
            .filter(|a| immediately_enclosing(process, a.id) == Some(owner))
            .map(|a| a.id)
            .collect();
        if candidates.iter().any(|&id| process.activity(id).name.as_ref().is_some_and(|n| n.value == target.value)) {
            continue;
        }
        let names: Vec<&str> = candidates.iter().filter_map(|&id| process.activity(id).name.as_ref().map(|n| n.value.as_str())).collect();
        let owner_name = owner.map_or("the process".to_string(), |id| describe(process.activity(id)));
        let help = if names.is_empty() {
            format!("{owner_name} encloses no named scope or invoke that could be compensated")
        } else {
            format!("the scopes and invokes it can compensate are: {}", names.join(", "))
        };
        out.push(
            Diagnostic::error(
                "SA00077",
                cx.file,
                target.span,
                format!(
                    "`{}` is not a scope or invoke immediately enclosed by {owner_name}, whose handler holds this <compensateScope>",
                    target.value
                ),
            )
            .with_help(help),
        );
    }
}

fn describe(activity: &Activity) -> String {
    match &activity.name {
        Some(name) => format!("{} `{}`", activity.kind.tag(), name.value),
        None => format!("the unnamed <{}>", activity.kind.tag()),
    }
}

/// The scope or invoke (`None`: the process) that immediately encloses `id` through its main
/// activity or its event handlers; `None` when `id` stands in a fault, compensation or termination
/// handler of it instead.
fn immediately_enclosing(process: &Process, id: ActivityId) -> Option<Option<ActivityId>> {
    let mut child = id;
    loop {
        if is_fct(process.placement(child)) {
            return None;
        }
        match process.activity(child).parent {
            None => return Some(None),
            Some(parent) if matches!(process.activity(parent).kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_)) => {
                return Some(Some(parent))
            }
            Some(parent) => child = parent,
        }
    }
}
