//! The forms of the calls to WS-BPEL's XPath functions: bpel:getVariableProperty (SA00030,
//! SA00031) and bpel:doXslTransform (SA00039–SA00041).

use super::sites::{self, sites, Site};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::xpath::functions::{BPEL_NS, DO_XSL_TRANSFORM, GET_VARIABLE_PROPERTY};
use crate::xpath::{is_qname, Expr, ExprKind, FunctionCall, InScope, Namespaces};

/// A call to a WS-BPEL function, found in one of the process's expressions.
struct Call<'a> {
    site: Site<'a>,
    call: &'a FunctionCall,
    expr: &'a Expr,
}

/// Calls `f` with every call to `bpel:{function}` in the process.
fn for_each_call(cx: &RuleContext<'_>, function: &str, mut f: impl FnMut(&Call<'_>)) {
    for site in sites(cx.process) {
        // Most expressions never mention the function: no need to parse them.
        if !site.expression.text.contains(function) {
            continue;
        }
        let Some(expr) = sites::parsed_ok(cx, &site) else { continue };
        for (call, expr) in expr.function_calls() {
            if call.name.is(BPEL_NS, function) {
                f(&Call { site, call, expr });
            }
        }
    }
}

impl Call<'_> {
    fn error(&self, cx: &RuleContext<'_>, code: &'static str, target: &Expr, message: String) -> Diagnostic {
        Diagnostic::error(code, cx.file, sites::source_span(cx, self.site.expression, target.span), message)
    }

    fn name(&self) -> String {
        self.call.name.qualified()
    }

    /// What an argument is, in words, when it is not a string literal.
    fn describe(&self, arg: &Expr) -> String {
        let kind = match &arg.kind {
            ExprKind::Variable(_) => "a variable reference",
            ExprKind::FunctionCall(_) => "a function call",
            ExprKind::Path(path) if path.is_location_path() => "a location path",
            ExprKind::Path(_) | ExprKind::Filter { .. } => "a path",
            ExprKind::Number(_) => "a number",
            _ => "a computed value",
        };
        format!("`{}` is {kind}", sites::snippet(self.site.expression, arg.span))
    }

    /// Whether the prefix of a QName literal is bound where the expression is written.
    fn prefix_is_bound(&self, cx: &RuleContext<'_>, qname: &str) -> Result<(), String> {
        let Some((prefix, _)) = qname.split_once(':') else { return Ok(()) };
        let namespaces = InScope { scopes: &cx.process.namespaces, scope: self.site.expression.namespaces };
        match namespaces.namespace(prefix) {
            Some(_) => Ok(()),
            None => Err(prefix.to_string()),
        }
    }
}

pub(super) const SA00030: Rule = Rule {
    code: "SA00030",
    tier: Tier::XPath,
    summary: "the arguments of bpel:getVariableProperty must be quoted string literals",
    why: "The variable and the property are named, not computed: the process can then be checked and \
          the property alias found before it runs.",
    failing: r#"<from>bpel:getVariableProperty($order, 'tns:orderId')</from>"#,
    fixed: r#"<from>bpel:getVariableProperty('order', 'tns:orderId')</from>"#,
    check: check_get_variable_property_arguments,
};

fn check_get_variable_property_arguments(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for_each_call(cx, GET_VARIABLE_PROPERTY, |call| {
        let count = call.call.args.len();
        if count != 2 {
            out.push(
                call.error(
                    cx,
                    "SA00030",
                    call.expr,
                    format!("{} takes two arguments, the variable name and the property name; here it has {count}", call.name()),
                )
                .with_help("write bpel:getVariableProperty('variable', 'prefix:property')"),
            );
        }
        for arg in call.call.args.iter().filter(|arg| arg.as_literal().is_none()) {
            let mut diagnostic = call
                .error(cx, "SA00030", arg, format!("the arguments of {} must be quoted strings, but {}", call.name(), call.describe(arg)))
                .with_help("name the variable and the property in quotes: bpel:getVariableProperty('variable', 'prefix:property')");
            if let Some(fix) = quote_variable_fix(cx, call, arg) {
                diagnostic = diagnostic.with_fix(fix);
            }
            out.push(diagnostic);
        }
    });
}

/// `$order` as the variable argument: the fix is to quote its name.
fn quote_variable_fix(cx: &RuleContext<'_>, call: &Call<'_>, arg: &Expr) -> Option<Fix> {
    let ExprKind::Variable(variable) = &arg.kind else { return None };
    let first = std::ptr::eq(call.call.args.first()?, arg);
    let map = sites::source_map(cx, call.site.expression);
    if !first || variable.part.is_some() || variable.name.prefix.is_some() || !map.is_exact() {
        return None;
    }
    let name = &variable.name.local;
    Some(Fix {
        title: format!("Write the variable name as a string: '{name}'"),
        edits: vec![TextEdit { file: cx.file, span: map.span(arg.span), replacement: format!("'{name}'") }],
    })
}

pub(super) const SA00031: Rule = Rule {
    code: "SA00031",
    tier: Tier::XPath,
    summary: "the second argument of bpel:getVariableProperty must be a string literal holding a QName",
    why: "The second argument names a property (a QName of an imported WSDL); anything else cannot \
          name one.",
    failing: r#"<from>bpel:getVariableProperty('order', 'order id')</from>"#,
    fixed: r#"<from>bpel:getVariableProperty('order', 'tns:orderId')</from>"#,
    check: check_get_variable_property_name,
};

fn check_get_variable_property_name(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for_each_call(cx, GET_VARIABLE_PROPERTY, |call| {
        let Some(arg) = call.call.args.get(1) else { return };
        let Some(value) = arg.as_literal() else { return };
        if !is_qname(value) {
            out.push(
                call.error(cx, "SA00031", arg, format!("the property name '{value}' given to {} is not a QName", call.name()))
                    .with_help("name the property as prefix:localName, with the prefix bound to the namespace of the WSDL that defines it"),
            );
        } else if let Err(prefix) = call.prefix_is_bound(cx, value) {
            out.push(
                call.error(cx, "SA00031", arg, format!("the property name '{value}' uses the prefix `{prefix}`, which is not declared"))
                    .with_help(format!("declare xmlns:{prefix}=\"...\" with the namespace of the WSDL that defines the property")),
            );
        }
    });
}

pub(super) const SA00039: Rule = Rule {
    code: "SA00039",
    tier: Tier::XPath,
    summary: "the first argument of bpel:doXslTransform must be a string literal (the stylesheet URI)",
    why: "The stylesheet is named, not computed, so that it can be found and compiled when the process \
          is deployed.",
    failing: r#"<from>bpel:doXslTransform($stylesheet, $order)</from>"#,
    fixed: r#"<from>bpel:doXslTransform('order-to-invoice.xsl', $order)</from>"#,
    check: check_stylesheet_argument,
};

fn check_stylesheet_argument(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for_each_call(cx, DO_XSL_TRANSFORM, |call| {
        let Some(arg) = call.call.args.first().filter(|arg| arg.as_literal().is_none()) else { return };
        out.push(
            call.error(
                cx,
                "SA00039",
                arg,
                format!("the stylesheet of {} must be given as a quoted URI, but {}", call.name(), call.describe(arg)),
            )
            .with_help("write the stylesheet's URI in quotes: bpel:doXslTransform('style.xsl', $source)"),
        );
    });
}

pub(super) const SA00040: Rule = Rule {
    code: "SA00040",
    tier: Tier::XPath,
    summary: "bpel:doXslTransform takes a stylesheet, a source, then parameters in name/value pairs",
    why: "Each stylesheet parameter after the second argument is a name followed by its value; an odd \
          count leaves a parameter without a value.",
    failing: r#"<from>bpel:doXslTransform('style.xsl', $order, 'tns:currency')</from>"#,
    fixed: r#"<from>bpel:doXslTransform('style.xsl', $order, 'tns:currency', 'EUR')</from>"#,
    check: check_parameter_pairs,
};

fn check_parameter_pairs(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for_each_call(cx, DO_XSL_TRANSFORM, |call| {
        let count = call.call.args.len();
        let message = if count < 2 {
            let arguments = if count == 1 { "1 argument".to_string() } else { format!("{count} arguments") };
            format!("{} needs at least the stylesheet URI and the source node-set; here it has {arguments}", call.name())
        } else if count % 2 == 1 {
            let name = sites::snippet(call.site.expression, call.call.args[count - 1].span);
            format!("the parameters of {} come in name/value pairs, but the parameter {name} has no value", call.name())
        } else {
            return;
        };
        out.push(
            call.error(cx, "SA00040", call.expr, message)
                .with_help("write bpel:doXslTransform('style.xsl', $source, 'prefix:param1', value1, 'prefix:param2', value2, ...)"),
        );
    });
}

pub(super) const SA00041: Rule = Rule {
    code: "SA00041",
    tier: Tier::XPath,
    summary: "the parameter names of bpel:doXslTransform must be string literals holding QNames",
    why: "The 3rd, 5th... arguments name global parameters of the stylesheet; XSLT names them with \
          QNames, fixed when the process is written.",
    failing: r#"<from>bpel:doXslTransform('style.xsl', $order, $name, 'EUR')</from>"#,
    fixed: r#"<from>bpel:doXslTransform('style.xsl', $order, 'tns:currency', 'EUR')</from>"#,
    check: check_parameter_names,
};

fn check_parameter_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for_each_call(cx, DO_XSL_TRANSFORM, |call| {
        for arg in call.call.args.iter().skip(2).step_by(2) {
            let message = match arg.as_literal() {
                None => format!("the parameter names of {} must be quoted QNames, but {}", call.name(), call.describe(arg)),
                Some(value) if !is_qname(value) => format!("the stylesheet parameter name '{value}' is not a QName"),
                Some(value) => match call.prefix_is_bound(cx, value) {
                    Ok(()) => continue,
                    Err(prefix) => format!("the stylesheet parameter name '{value}' uses the prefix `{prefix}`, which is not declared"),
                },
            };
            out.push(
                call.error(cx, "SA00041", arg, message)
                    .with_help("name each stylesheet parameter with a quoted QName: 'prefix:name' or 'name'"),
            );
        }
    });
}
