//! Scopes: the forEach counter is not redeclared (SA00076), isolated scopes do not nest (SA00091),
//! and the scopes directly inside one scope have distinct names (SA00092).

use std::collections::HashMap;

use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;

pub(super) const SA00076: Rule = Rule {
    code: "SA00076",
    tier: Tier::Process,
    summary: "the <scope> of a <forEach> must not declare a variable named like the forEach's counterName",
    why: "The forEach declares its counter as a variable of its scope; a second declaration of that \
          name in the same scope would hide it.",
    failing: r#"<forEach counterName="i" parallel="no">
  ...
  <scope>
    <variables><variable name="i" type="xsd:int"/></variables>
    ...
  </scope>
</forEach>"#,
    fixed: r#"<forEach counterName="i" parallel="no">
  ...
  <scope>
    <variables><variable name="total" type="xsd:int"/></variables>
    ...
  </scope>
</forEach>"#,
    check: check_for_each_counter,
};

fn check_for_each_counter(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::ForEach(for_each) = &activity.kind else { continue };
        let (Some(counter), Some(scope)) = (&for_each.counter_name, for_each.scope) else { continue };
        let ActivityKind::Scope(scope) = &cx.process.activity(scope).kind else { continue };
        for variable in &scope.decls.variables {
            let Some(name) = variable.name.as_ref().filter(|n| n.value == counter.value) else { continue };
            out.push(
                Diagnostic::error(
                    "SA00076",
                    cx.file,
                    name.span,
                    format!("`{}` is already the counter of the enclosing <forEach>; its scope may not declare it again", name.value),
                )
                .with_related(cx.file, counter.span, "the forEach declares its counter here")
                .with_help("rename the variable, or the forEach's counterName"),
            );
        }
    }
}

pub(super) const SA00091: Rule = Rule {
    code: "SA00091",
    tier: Tier::Process,
    summary: "an isolated scope must not contain another isolated scope",
    why: "An isolated scope already controls concurrent access to the variables and partner links it \
          shares; nesting isolation inside it has no defined meaning.",
    failing: r#"<scope isolated="yes">
  <scope isolated="yes">...</scope>
</scope>"#,
    fixed: r#"<scope isolated="yes">
  <scope>...</scope>
</scope>"#,
    check: check_nested_isolated_scopes,
};

fn isolated(activity: &Activity) -> Option<&crate::span::Spanned<bool>> {
    match &activity.kind {
        ActivityKind::Scope(scope) => scope.isolated.as_ref().filter(|i| i.value),
        _ => None,
    }
}

fn check_nested_isolated_scopes(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    for activity in &process.activities {
        let Some(inner) = isolated(activity) else { continue };
        let Some(outer) = process.ancestors(activity.id).find_map(|id| isolated(process.activity(id))) else { continue };
        out.push(
            Diagnostic::error("SA00091", cx.file, inner.span, "this isolated scope is inside another isolated scope")
                .with_related(cx.file, outer.span, "the enclosing isolated scope")
                .with_help("the enclosing scope already isolates it: remove isolated=\"yes\" here")
                .with_fix(super::support::replace(cx.file, inner.span, "no", "Make this scope not isolated")),
        );
    }
}

pub(super) const SA00092: Rule = Rule {
    code: "SA00092",
    tier: Tier::Process,
    summary: "the scopes immediately enclosed by one scope must have distinct names",
    why: "Compensation handlers name the scopes they compensate (<compensateScope target=\"...\">); two \
          enclosed scopes of one name could not be told apart.",
    failing: r#"<sequence>
  <scope name="Booking">...</scope>
  <scope name="Booking">...</scope>
</sequence>"#,
    fixed: r#"<sequence>
  <scope name="BookFlight">...</scope>
  <scope name="BookHotel">...</scope>
</sequence>"#,
    check: check_scope_names,
};

fn check_scope_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    let mut seen: HashMap<(Option<ActivityId>, &str), &Name> = HashMap::new();
    for activity in &process.activities {
        if !matches!(activity.kind, ActivityKind::Scope(_)) {
            continue;
        }
        let Some(name) = &activity.name else { continue };
        let enclosing = process.ancestors(activity.id).find(|&id| matches!(process.activity(id).kind, ActivityKind::Scope(_)));
        match seen.get(&(enclosing, name.value.as_str())) {
            Some(first) => {
                let within =
                    enclosing.and_then(|id| process.activity(id).name.as_ref()).map_or(String::new(), |n| format!(" `{}`", n.value));
                let container = if enclosing.is_some() { format!("scope{within}") } else { "the process".to_string() };
                out.push(
                    Diagnostic::error(
                        "SA00092",
                        cx.file,
                        name.span,
                        format!("{container} already encloses a scope named `{}`", name.value),
                    )
                    .with_related(cx.file, first.span, "the first scope of that name")
                    .with_help("give each scope directly inside one scope its own name"),
                );
            }
            None => {
                seen.insert((enclosing, name.value.as_str()), name);
            }
        }
    }
}
