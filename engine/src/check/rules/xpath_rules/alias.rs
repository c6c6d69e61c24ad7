//! Property alias queries use neither WS-BPEL variables nor WS-BPEL functions (SA00029).

use super::sites::xpath_alias_queries;
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::xpath::functions::is_bpel;
use crate::xpath::{ExprKind, SourceMap};

pub(super) const SA00029: Rule = Rule {
    code: "SA00029",
    tier: Tier::XPath,
    summary: "a property alias query must not use WS-BPEL variables or WS-BPEL functions",
    why: "A property alias query is evaluated on a message part or a value, outside any process \
          instance: there is no variable to read, and no process for a WS-BPEL function to work in.",
    failing: r#"<vprop:propertyAlias propertyName="tns:orderId" messageType="tns:order" part="body"><vprop:query>$order.body/id</vprop:query></vprop:propertyAlias>"#,
    fixed: r#"<vprop:propertyAlias propertyName="tns:orderId" messageType="tns:order" part="body"><vprop:query>tns:id</vprop:query></vprop:propertyAlias>"#,
    check: check_alias_queries,
};

fn check_alias_queries(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (alias, query) in xpath_alias_queries(cx.definitions) {
        if !query.text.contains('$') && !query.text.contains(':') {
            continue; // neither a variable nor a prefixed function name
        }
        let Some(Ok(expr)) = cx.expressions.get(alias.file(), query.span) else { continue };
        let map = SourceMap::new(&alias.document.text, &query.text, query.text_span);
        let property = alias.property_name.as_ref().map_or(String::new(), |p| format!(" of `{}`", p.text));
        expr.visit(&mut |node, _| {
            let what = match &node.kind {
                ExprKind::Variable(variable) => format!("refers to the variable `${}`", variable.name.qualified()),
                ExprKind::FunctionCall(call) if is_bpel(&call.name) => format!("calls the WS-BPEL function `{}`", call.name.qualified()),
                _ => return true,
            };
            out.push(
                Diagnostic::error("SA00029", alias.file(), map.span(node.span), format!("the query of the property alias{property} {what}"))
                    .with_help("a property alias query selects from the part, type or element the alias names, with a relative path such as `tns:order/tns:id`"),
            );
            true
        });
    }
}
