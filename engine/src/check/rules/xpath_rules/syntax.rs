//! XPath syntax errors (XPATH001), undeclared prefixes (BPEL0010) and ODE's XPath 2.0 functions
//! called from XPath 1.0 (XPATH003) in every expression and query
//! of the process and in the property alias queries it imports. Not a rule of the standard: an
//! expression that does not parse cannot be checked further, nor run.

use super::sites::{self, sites, xpath_alias_queries};
use crate::check::rules::RuleContext;
use crate::diagnostic::{codes, Diagnostic};
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::functions::OdeFunction;
use crate::xpath::{Expr, Language, SourceMap, XPathError};

pub(in crate::check::rules) fn check_syntax(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for site in sites(cx.process) {
        let Some(parsed) = sites::parsed(cx, &site) else { continue };
        let expression = site.expression;
        let written = Written {
            file: cx.file,
            map: sites::source_map(cx, expression),
            text: &expression.text,
            element_span: expression.span,
            what: site.role.element(),
            language: cx.expressions.language(cx.file, expression.span).unwrap_or_default(),
        };
        written.report(parsed, out);
    }
    for (alias, query) in xpath_alias_queries(cx.definitions) {
        let Some(parsed) = cx.expressions.get(alias.file(), query.span) else { continue };
        let written = Written {
            file: alias.file(),
            map: SourceMap::new(&alias.document.text, &query.text, query.text_span),
            text: &query.text,
            element_span: query.span,
            what: "the <vprop:query> of a property alias",
            language: cx.expressions.language(alias.file(), query.span).unwrap_or_default(),
        };
        written.report(parsed, out);
    }
}

/// An expression as written in a file.
struct Written<'a> {
    file: FileId,
    map: SourceMap,
    text: &'a str,
    /// The element holding it.
    element_span: Span,
    what: &'a str,
    language: Language,
}

impl Written<'_> {
    fn report(&self, parsed: &Result<Expr, XPathError>, out: &mut Vec<Diagnostic>) {
        match parsed {
            Err(_) if self.text.trim().is_empty() => out.push(
                // An empty expression is a fault when evaluated (bpel:subLanguageExecutionFault),
                // which conformance suites expect at run time: warn, do not refuse the process.
                Diagnostic::warning(codes::XPATH_SYNTAX, self.file, self.element_span, format!("{} is empty", self.what))
                    .with_help("evaluating an empty expression faults with bpel:subLanguageExecutionFault; write an expression"),
            ),
            Err(error) => out.push(
                Diagnostic::error(
                    codes::XPATH_SYNTAX,
                    self.file,
                    self.map.span(error.span),
                    format!("XPath syntax error in {}: {}", self.what, error.message),
                )
                .with_help(format!(
                    "this {} is {}; BPEL variables are written `$variable` or `$variable.part`",
                    if self.what == "<query>" { "query" } else { "expression" },
                    self.language.name()
                )),
            ),
            Ok(expr) => {
                self.report_unbound_prefixes(expr, out);
                self.report_ode_functions_in_xpath1(expr, out);
            }
        }
    }

    /// Apache ODE's extension functions are XPath 2.0 functions (in ODE, and here).
    fn report_ode_functions_in_xpath1(&self, expr: &Expr, out: &mut Vec<Diagnostic>) {
        if self.language != Language::XPath1 {
            return;
        }
        for (call, _) in expr.function_calls() {
            if OdeFunction::find(&call.name).is_none() {
                continue;
            }
            out.push(
                Diagnostic::error(
                    codes::FUNCTION_NOT_IN_LANGUAGE,
                    self.file,
                    self.map.span(call.name.span),
                    format!("{} is one of Apache ODE's XPath extension functions, which are XPath 2.0 functions", call.name.qualified()),
                )
                .with_help(format!(
                    "declare expressionLanguage=\"{}\" (and queryLanguage) on the process, as ODE's default is",
                    crate::xpath::XPATH_2_0
                )),
            );
        }
    }

    fn report_unbound_prefixes(&self, expr: &Expr, out: &mut Vec<Diagnostic>) {
        for name in expr.names() {
            let Some(prefix) = name.prefix.as_deref().filter(|_| name.is_unbound()) else { continue };
            let prefix_span = Span { start: name.span.start, end: name.span.start + prefix.len() as u32 };
            out.push(
                Diagnostic::error(
                    codes::UNBOUND_PREFIX,
                    self.file,
                    self.map.span(prefix_span),
                    format!("`{}`: the namespace prefix `{prefix}` is not declared", name.qualified()),
                )
                .with_help(format!("declare it with xmlns:{prefix}=\"...\" on this element or an enclosing one")),
            );
        }
    }
}
