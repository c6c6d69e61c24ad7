//! Compensation: a `<compensateScope>` must target a scope or invoke that has something to
//! compensate with (SA00078), and the outermost scope inside a fault, compensation or termination
//! handler must not have a compensation handler, which nothing could ever run (SA00079).

use super::super::{Rule, RuleContext, Tier};
use super::{capitalize, describe, handler_tag, is_handler, removal_span, tag_name_span};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::{ActivityId, ActivityKind, Placement, Process, ScopeDecls};
use crate::span::Span;

/// The handlers that make up an FCT-handler (fault, compensation, termination).
fn is_fct_handler(placement: Placement) -> bool {
    matches!(placement, Placement::Catch(_) | Placement::CatchAll | Placement::CompensationHandler | Placement::TerminationHandler)
}

fn decls(process: &Process, owner: Option<ActivityId>) -> Option<&ScopeDecls> {
    match owner {
        None => Some(&process.scope),
        Some(id) => match &process.activity(id).kind {
            ActivityKind::Scope(scope) => Some(&scope.decls),
            ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
            _ => None,
        },
    }
}

/// The element span of the handler holding `id` (its `<catch>`, `<compensationHandler>`...).
fn handler_span(process: &Process, id: ActivityId, placement: Placement) -> Option<Span> {
    let decls = decls(process, process.activity(id).parent)?;
    match placement {
        Placement::Catch(i) => decls.fault_handlers.as_ref()?.catches.get(i).map(|c| c.span),
        Placement::CatchAll => decls.fault_handlers.as_ref()?.catch_all.as_ref().map(|h| h.span),
        Placement::CompensationHandler => decls.compensation_handler.as_ref().map(|h| h.span),
        Placement::TerminationHandler => decls.termination_handler.as_ref().map(|h| h.span),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// SA00078

pub(super) const SA00078: Rule = Rule {
    code: "SA00078",
    tier: Tier::Process,
    summary: "The target of <compensateScope> must be a scope or invoke with a fault handler or a compensation handler.",
    why: "compensateScope runs the compensation of one inner scope or invoke. One without faultHandlers or \
          a compensationHandler has nothing to run, so naming it is a mistake.",
    failing: r#"<faultHandlers>
  <catchAll>
    <compensateScope target="Booking"/>
  </catchAll>
</faultHandlers>
<scope name="Booking">
  <invoke name="Book" .../>
</scope>"#,
    fixed: r#"<faultHandlers>
  <catchAll>
    <compensateScope target="Booking"/>
  </catchAll>
</faultHandlers>
<scope name="Booking">
  <compensationHandler>
    <invoke name="CancelBooking" .../>
  </compensationHandler>
  <invoke name="Book" .../>
</scope>"#,
    check: check_compensation_targets,
};

fn check_compensation_targets(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    for activity in &process.activities {
        let ActivityKind::CompensateScope(compensate) = &activity.kind else { continue };
        let Some(target_name) = compensate.target.as_ref() else { continue };
        let Some(associated) = associated_scope(process, activity.id) else { continue };
        let Some(target) = immediately_enclosed(process, associated, &target_name.value) else { continue };
        let target_activity = process.activity(target);
        let handlers = match &target_activity.kind {
            ActivityKind::Scope(scope) => &scope.decls,
            ActivityKind::Invoke(invoke) => &invoke.handlers,
            _ => continue,
        };
        if handlers.fault_handlers.is_some() || handlers.compensation_handler.is_some() {
            continue;
        }
        let kind = target_activity.kind.tag();
        out.push(
            Diagnostic::error(
                "SA00078",
                cx.file,
                target_name.span,
                format!(
                    "{} has neither faultHandlers nor a compensationHandler: <compensateScope> has nothing to compensate",
                    capitalize(&describe(target_activity))
                ),
            )
            .with_related(
                cx.file,
                target_activity.name.as_ref().map_or(target_activity.tag_span, |n| n.span),
                format!("the target <{kind}>"),
            )
            .with_help(format!("give the <{kind}> a <compensationHandler> that undoes its work, or compensate another scope")),
        );
    }
}

/// The scope (`Some`) or process (`None`) whose fault, compensation or termination handler holds
/// `id`; `Some(None)` for the process. `None` when `id` is in no such handler.
fn associated_scope(process: &Process, id: ActivityId) -> Option<Option<ActivityId>> {
    let mut current = id;
    loop {
        let placement = process.placement(current);
        let parent = process.activity(current).parent;
        if is_fct_handler(placement) {
            return Some(parent);
        }
        current = parent?;
    }
}

/// The scope or invoke named `name` immediately enclosed by `owner` (the process when `None`):
/// in its body or event handlers, with no scope in between (the scope of an `onEvent` aside).
fn immediately_enclosed(process: &Process, owner: Option<ActivityId>, name: &str) -> Option<ActivityId> {
    process.activities.iter().map(|a| a.id).find(|&candidate| {
        let activity = process.activity(candidate);
        matches!(activity.kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_))
            && activity.name.as_ref().is_some_and(|n| n.value == name)
            && directly_under(process, candidate, owner)
    })
}

/// Whether the path from `id` up to `owner` passes no scope and no fault, compensation or
/// termination handler.
fn directly_under(process: &Process, id: ActivityId, owner: Option<ActivityId>) -> bool {
    let mut current = id;
    loop {
        if is_fct_handler(process.placement(current)) {
            return false;
        }
        let parent = process.activity(current).parent;
        if parent == owner {
            return true;
        }
        let Some(parent) = parent else { return false };
        let event_scope = matches!(process.placement(parent), Placement::OnEvent(_));
        if matches!(process.activity(parent).kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_)) && !event_scope {
            return false;
        }
        current = parent;
    }
}

// ---------------------------------------------------------------------------------------------
// SA00079

pub(super) const SA00079: Rule = Rule {
    code: "SA00079",
    tier: Tier::Process,
    summary: "The root scope inside a fault, compensation or termination handler must not have a compensation handler.",
    why: "A handler's work is never compensated: once the handler finished there is nobody left to call the \
          compensation handler of the outermost scope inside it, so that handler could never run.",
    failing: r#"<catchAll>
  <scope>
    <compensationHandler>
      <empty/>
    </compensationHandler>
    <invoke name="Notify" .../>
  </scope>
</catchAll>"#,
    fixed: r#"<catchAll>
  <scope>
    <invoke name="Notify" .../>
  </scope>
</catchAll>"#,
    check: check_root_handler_scopes,
};

fn check_root_handler_scopes(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    for activity in &process.activities {
        let ActivityKind::Scope(scope) = &activity.kind else { continue };
        let Some(handler) = &scope.decls.compensation_handler else { continue };
        let Some((holder, placement)) = enclosing_fct_handler(process, activity.id) else { continue };
        let handler_name = handler_tag(placement);
        let mut diagnostic = Diagnostic::error(
            "SA00079",
            cx.file,
            tag_name_span(cx.text, handler.span),
            format!(
                "{} is the root scope of a <{handler_name}>, so its compensation handler could never run",
                capitalize(&describe(activity))
            ),
        )
        .with_help("remove the compensation handler; work done inside a handler is not compensated")
        .with_fix(Fix {
            title: "Remove the compensation handler".to_string(),
            edits: vec![TextEdit { file: cx.file, span: removal_span(cx.text, handler.span), replacement: String::new() }],
        });
        if let Some(span) = handler_span(process, holder, placement) {
            diagnostic = diagnostic.with_related(cx.file, tag_name_span(cx.text, span), format!("the <{handler_name}> it stands in"));
        }
        out.push(diagnostic);
    }
}

/// The activity directly in an FCT-handler, and that handler, when the scope `id` is the outermost
/// scope inside it (no other scope, and no event handler, in between).
fn enclosing_fct_handler(process: &Process, id: ActivityId) -> Option<(ActivityId, Placement)> {
    let mut current = id;
    loop {
        let placement = process.placement(current);
        if is_fct_handler(placement) {
            return Some((current, placement));
        }
        if is_handler(placement) {
            return None;
        }
        let parent = process.activity(current).parent?;
        if matches!(process.activity(parent).kind, ActivityKind::Scope(_)) {
            return None;
        }
        current = parent;
    }
}
