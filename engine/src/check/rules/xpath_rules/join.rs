//! Join conditions: Boolean operators over the status of the activity's incoming links, and
//! nothing else (SA00073); in particular no WS-BPEL function (SA00028).

use super::sites::{self, sites, Role, Site};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::xpath::functions::is_bpel;
use crate::xpath::{BinaryOp, Expr, ExprKind};

/// Every join condition that parses, with the activity it belongs to.
fn join_conditions<'p>(cx: &RuleContext<'p>) -> Vec<(Site<'p>, &'p Expr)> {
    let joins = sites(cx.process).into_iter().filter(|site| site.role == Role::JoinCondition);
    joins.filter_map(|site| Some((site, sites::parsed_ok(cx, &site)?))).collect()
}

pub(super) const SA00028: Rule = Rule {
    code: "SA00028",
    tier: Tier::XPath,
    summary: "a join condition must not call WS-BPEL functions",
    why: "A join condition decides from the status of incoming links alone; WS-BPEL functions read \
          variables and stylesheets, which a join condition may not depend on.",
    failing: r#"<joinCondition>$approved and bpel:getVariableProperty('order', 'tns:urgent')</joinCondition>"#,
    fixed: r#"<joinCondition>$approved and $checked</joinCondition>"#,
    check: check_no_bpel_functions,
};

fn check_no_bpel_functions(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (site, expr) in join_conditions(cx) {
        for (call, node) in expr.function_calls() {
            if !is_bpel(&call.name) {
                continue;
            }
            out.push(
                Diagnostic::error(
                    "SA00028",
                    cx.file,
                    sites::source_span(cx, site.expression, node.span),
                    format!("the join condition calls the WS-BPEL function `{}`", call.name.qualified()),
                )
                .with_help("a join condition may only combine the status of incoming links ($link) with and, or and not()"),
            );
        }
    }
}

pub(super) const SA00073: Rule = Rule {
    code: "SA00073",
    tier: Tier::XPath,
    summary: "a join condition may use only Boolean operators and the status of the activity's incoming links",
    why: "A join condition is evaluated when the status of every incoming link is known, before the \
          activity runs; it decides from those statuses alone.",
    failing: r#"<targets><joinCondition>$approved and $order.amount > 100</joinCondition><target linkName="approved"/></targets>"#,
    fixed: r#"<targets><joinCondition>$approved or $checked</joinCondition><target linkName="approved"/><target linkName="checked"/></targets>"#,
    check: check_boolean_over_links,
};

fn check_boolean_over_links(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (site, expr) in join_conditions(cx) {
        let Some(activity) = site.activity.map(|id| cx.process.activity(id)) else { continue };
        let links: Vec<&str> =
            activity.targets.iter().flat_map(|t| &t.targets).filter_map(|t| t.link_name.as_ref()).map(|n| n.as_str()).collect();
        let mut offenders = Vec::new();
        not_boolean_over_links(expr, &links, &mut offenders);
        for (node, why) in offenders {
            let text = sites::snippet(site.expression, node.span);
            out.push(
                Diagnostic::error(
                    "SA00073",
                    cx.file,
                    sites::source_span(cx, site.expression, node.span),
                    format!("in the join condition, `{text}` {why}"),
                )
                .with_help(format!("combine the incoming links' status with and, or and not(): {}", incoming(&links))),
            );
        }
    }
}

/// The parts of `expr` that are not Boolean operators over the links, each with why.
fn not_boolean_over_links<'e>(expr: &'e Expr, links: &[&str], out: &mut Vec<(&'e Expr, String)>) {
    match &expr.kind {
        ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, left, right } => {
            not_boolean_over_links(left, links, out);
            not_boolean_over_links(right, links, out);
        }
        ExprKind::Binary { op, .. } if op.is_comparison() => out.push((expr, "is a comparison, not a Boolean operator".into())),
        ExprKind::FunctionCall(call) if is_bpel(&call.name) => {} // SA00028
        ExprKind::FunctionCall(call) if call.name.prefix.is_none() => match (call.name.local.as_str(), call.args.as_slice()) {
            ("not", [operand]) => not_boolean_over_links(operand, links, out),
            ("true" | "false", []) => {}
            _ => out.push((expr, "is a function call; only not(), true() and false() may be used".into())),
        },
        ExprKind::FunctionCall(_) => out.push((expr, "is a function call; only not(), true() and false() may be used".into())),
        ExprKind::Variable(variable) => {
            let is_link = variable.name.prefix.is_none() && variable.part.is_none() && links.contains(&variable.name.local.as_str());
            if !is_link {
                out.push((expr, "is not the status of an incoming link of this activity".into()));
            }
        }
        _ => out.push((expr, "is not a Boolean operator or the status of an incoming link".into())),
    }
}

fn incoming(links: &[&str]) -> String {
    match links {
        [] => "this activity has no incoming link (<target>)".to_string(),
        _ => format!("its incoming links are {}", links.iter().map(|l| format!("${l}")).collect::<Vec<_>>().join(", ")),
    }
}
