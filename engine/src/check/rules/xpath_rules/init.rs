//! Variable initializers in scopes around a start activity call only idempotent functions (SA00026).

use std::collections::HashSet;

use super::sites::{self, Role, Site};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::xpath::functions::is_idempotent;

pub(super) const SA00026: Rule = Rule {
    code: "SA00026",
    tier: Tier::XPath,
    summary: "variables initialized in a scope that holds a start activity may call only idempotent functions",
    why: "The variables of a scope that holds a start activity are initialized when the instance is \
          created, possibly before the message that creates it is matched; only functions that give \
          the same result whenever they are called may be used there. This engine knows the XPath 1.0 \
          core functions and the WS-BPEL functions to be idempotent; nothing is known of others.",
    failing: r#"<variable name="created" type="xsd:dateTime"><from>ext:now()</from></variable>"#,
    fixed: r#"<variable name="created" type="xsd:dateTime"><from>'2024-01-01T00:00:00Z'</from></variable>"#,
    check: check_idempotent_initializers,
};

fn check_idempotent_initializers(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let holders = scopes_holding_start_activities(cx.process);
    if holders.is_empty() {
        return;
    }
    let decls =
        std::iter::once((None, &cx.process.scope)).chain(cx.process.activities.iter().filter_map(|activity| match &activity.kind {
            ActivityKind::Scope(scope) => Some((Some(activity.id), &scope.decls)),
            _ => None,
        }));
    for (owner, decls) in decls.filter(|(owner, _)| holders.contains(owner)) {
        for variable in &decls.variables {
            let Some(from) = &variable.from else { continue };
            for (expression, role) in [(&from.expression, Role::VariableInit), (&from.query, Role::Query)] {
                let Some(expression) = expression else { continue };
                check_initializer(cx, Site { expression, role, activity: owner }, variable, owner, out);
            }
        }
    }
}

fn check_initializer(cx: &RuleContext<'_>, site: Site<'_>, variable: &Variable, owner: Option<ActivityId>, out: &mut Vec<Diagnostic>) {
    let Some(expr) = sites::parsed_ok(cx, &site) else { return };
    let variable_name = variable.name.as_ref().map_or("this variable".to_string(), |n| format!("variable `{}`", n.value));
    let scope = match owner.and_then(|id| cx.process.activity(id).name.as_ref()) {
        Some(name) => format!("scope `{}`", name.value),
        None if owner.is_none() => "the process".to_string(),
        None => "its scope".to_string(),
    };
    for (call, node) in expr.function_calls() {
        if is_idempotent(&call.name) {
            continue;
        }
        out.push(
            Diagnostic::error(
                "SA00026",
                cx.file,
                sites::source_span(cx, site.expression, node.span),
                format!(
                    "{variable_name} is initialized in {scope}, which holds a start activity, with `{}()`, a function not known to be idempotent",
                    call.name.qualified()
                ),
            )
            .with_help("initialize it with XPath 1.0 core functions and WS-BPEL functions only, or assign it after the start activity"),
        );
    }
}

/// The scopes (and the process, as `None`) that hold a start activity: a receive or a pick with
/// createInstance="yes".
fn scopes_holding_start_activities(process: &Process) -> HashSet<Option<ActivityId>> {
    let mut holders = HashSet::new();
    for activity in &process.activities {
        let start = match &activity.kind {
            ActivityKind::Receive(receive) => receive.create_instance.as_ref().is_some_and(|c| c.value),
            ActivityKind::Pick(pick) => pick.create_instance.as_ref().is_some_and(|c| c.value),
            _ => false,
        };
        if !start {
            continue;
        }
        holders.insert(None);
        for ancestor in process.ancestors(activity.id) {
            if matches!(process.activity(ancestor).kind, ActivityKind::Scope(_)) && !holders.insert(Some(ancestor)) {
                break; // the scopes further out were marked by an earlier start activity
            }
        }
    }
    holders
}
