//! What an expression may start from: a WS-BPEL expression has no context node (SA00027), and the
//! expression of a to-spec must select something to assign to, from a variable (SA00033).

use super::sites::{self, sites, Role};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::xpath::{BinaryOp, Expr, ExprKind, PathStart};

pub(super) const SA00027: Rule = Rule {
    code: "SA00027",
    tier: Tier::XPath,
    summary: "an XPath expression must not use a location path: it has no context node",
    why: "A WS-BPEL expression is evaluated with no context node, so a path like `order/id`, `/order` \
          or `.` has nothing to start from. Paths start from a variable instead. Reported as a warning: \
          evaluating such a path faults with bpel:subLanguageExecutionFault, which conformance suites \
          test at run time.",
    failing: r#"<condition>order/amount > 1000</condition>"#,
    fixed: r#"<condition>$order.payload/amount > 1000</condition>"#,
    check: check_no_context_node,
};

fn check_no_context_node(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for site in sites(cx.process).into_iter().filter(|site| !site.role.is_query()) {
        let Some(expr) = sites::parsed_ok(cx, &site) else { continue };
        expr.visit(&mut |node, at| {
            let ExprKind::Path(path) = &node.kind else { return true };
            if at.in_predicate || !path.is_location_path() {
                return true;
            }
            let path_text = sites::snippet(site.expression, node.span);
            let start = if matches!(path.start, PathStart::Root) { "the root of the context node's document" } else { "the context node" };
            out.push(
                Diagnostic::warning("SA00027", cx.file, sites::source_span(cx, site.expression, node.span), format!(
                    "`{path_text}` in {} is a location path: it starts from {start}, but WS-BPEL expressions have no context node",
                    site.role.element()
                ))
                .with_help("start the path from a variable: `$variable/...` or `$variable.part/...`; evaluating it as written faults with bpel:subLanguageExecutionFault"),
            );
            false
        });
    }
}

pub(super) const SA00033: Rule = Rule {
    code: "SA00033",
    tier: Tier::XPath,
    summary: "the expression of a <to> must begin with a variable reference",
    why: "A to-spec says where the copied value goes: an expression there must select a node of a \
          variable, so it starts with `$variable`.",
    failing: r#"<to>concat($order.id, '-1')</to>"#,
    fixed: r#"<to>$invoice.payload/orderId</to>"#,
    check: check_to_expression,
};

fn check_to_expression(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for site in sites(cx.process).into_iter().filter(|site| site.role == Role::To) {
        let Some(expr) = sites::parsed_ok(cx, &site) else { continue };
        if starts_with_variable(expr) {
            continue;
        }
        let text = sites::snippet(site.expression, expr.span);
        out.push(
            Diagnostic::error(
                "SA00033",
                cx.file,
                sites::source_span(cx, site.expression, expr.span),
                format!("the expression of a <to> must begin with a variable reference, but `{text}` is {}", describe(expr)),
            )
            .with_help("select the destination from a variable: `$variable`, `$variable.part` or `$variable.part/path`"),
        );
    }
}

/// `$v`, `$v[...]`, `$v/path`: a path whose first primary is a variable reference.
fn starts_with_variable(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Variable(_) => true,
        ExprKind::Filter { primary, .. } => starts_with_variable(primary),
        ExprKind::Path(path) => match &path.start {
            PathStart::Expr(start) => starts_with_variable(start),
            PathStart::ContextNode | PathStart::Root => false,
        },
        _ => false,
    }
}

fn describe(expr: &Expr) -> &'static str {
    match &expr.kind {
        ExprKind::Binary { op: BinaryOp::Union, .. } => "a union of node-sets",
        ExprKind::Binary { .. } | ExprKind::Negate(_) => "a computed value",
        ExprKind::Literal(_) => "a string",
        ExprKind::Number(_) => "a number",
        ExprKind::FunctionCall(_) => "a function call",
        ExprKind::Path(path) if path.is_location_path() => "a location path",
        _ => "not a variable's node",
    }
}
