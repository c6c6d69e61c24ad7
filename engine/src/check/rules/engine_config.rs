//! Tier 5: what this engine supports. Expressions and queries in XPath 1.0 or 2.0 (SA00004), and no
//! extension that a process may declare mandatory (SA00009).

use super::xpath_rules::sites::{is_xpath, sites};
use super::{Rule, RuleContext, Tier};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::*;
use crate::source::FileId;
use crate::xpath::{XPATH_1_0, XPATH_2_0, XQUERY_1_0};

/// The extension namespaces this engine understands (`<extension namespace="..." mustUnderstand="yes">`).
pub const SUPPORTED_EXTENSIONS: &[&str] = &[];

pub(super) static RULES: &[Rule] = &[SA00004, SA00009];

const SA00004: Rule = Rule {
    code: "SA00004",
    tier: Tier::Engine,
    summary: "every expressionLanguage and queryLanguage must be one the engine supports (XPath 1.0 or 2.0)",
    why: "A process whose expressions the engine cannot evaluate cannot run; the standard requires \
          rejecting it up front. This engine evaluates XPath 1.0, WS-BPEL's default language \
          (urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0), and XPath 2.0 \
          (urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0, Apache ODE's default); not XQuery 1.0.",
    failing: r#"<process ... expressionLanguage="urn:oasis:names:tc:wsbpel:2.0:sublang:xquery1.0">"#,
    fixed: r#"<process ... expressionLanguage="urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0">"#,
    check: check_languages,
};

/// A language attribute and whether it names an expression or a query language.
struct LanguageAttribute<'a> {
    file: FileId,
    name: &'a Name,
    query: bool,
}

fn check_languages<'a>(cx: &RuleContext<'a>, out: &mut Vec<Diagnostic>) {
    let mut attributes: Vec<LanguageAttribute<'a>> = Vec::new();
    let mut add = |name: Option<&'a Name>, file: FileId, query: bool| {
        attributes.extend(name.map(|name| LanguageAttribute { file, name, query }));
    };
    add(cx.process.expression_language.as_ref(), cx.file, false);
    add(cx.process.query_language.as_ref(), cx.file, true);
    for site in sites(cx.process) {
        add(site.expression.language.as_ref(), cx.file, site.role.is_query());
    }
    for (from, to) in from_and_to_specs(cx.process) {
        add(from.and_then(|f| f.expression_language.as_ref()), cx.file, false);
        add(to.and_then(|t| t.expression_language.as_ref()), cx.file, false);
    }
    for alias in cx.definitions.all_property_aliases() {
        add(alias.item.query.as_ref().and_then(|q| q.query_language.as_ref()), alias.file(), true);
    }
    // A from-spec's expression carries its from's expressionLanguage: report each attribute once.
    attributes.sort_by_key(|a| (a.file, a.name.span.start));
    attributes.dedup_by_key(|a| (a.file, a.name.span));
    for attribute in attributes.iter().filter(|a| !is_xpath(Some(&a.name.value))) {
        out.push(unsupported_language(attribute));
    }
}

fn unsupported_language(attribute: &LanguageAttribute<'_>) -> Diagnostic {
    let kind = if attribute.query { "query language" } else { "expression language" };
    let uri = attribute.name.value.trim();
    if uri == XQUERY_1_0 {
        let message = format!("the {kind} `{uri}` is XQuery 1.0, which this engine does not evaluate: it evaluates XPath 1.0 and 2.0");
        // an XQuery (FLWOR, constructors) is rarely XPath as it stands: no one-click fix
        return Diagnostic::error("SA00004", attribute.file, attribute.name.span, message).with_help(format!(
            "rewrite the expressions in XPath 2.0 (`{XPATH_2_0}`) or XPath 1.0 (`{XPATH_1_0}`, the default when the attribute is left out)"
        ));
    }
    let message = format!("the {kind} `{uri}` is not supported: this engine evaluates XPath 1.0 and XPath 2.0");
    Diagnostic::error("SA00004", attribute.file, attribute.name.span, message)
        .with_help(format!("use `{XPATH_1_0}` (the default: or leave the attribute out) or `{XPATH_2_0}`"))
        .with_fix(Fix {
            title: "Use XPath 1.0".into(),
            edits: vec![TextEdit { file: attribute.file, span: attribute.name.span, replacement: XPATH_1_0.into() }],
        })
}

/// Every from-spec and to-spec: of copies, and the from-specs of variable initializers.
fn from_and_to_specs(process: &Process) -> Vec<(Option<&From>, Option<&To>)> {
    let mut out = Vec::new();
    let scopes = process.activities.iter().filter_map(|a| match &a.kind {
        ActivityKind::Scope(scope) => Some(&scope.decls),
        _ => None,
    });
    for decls in std::iter::once(&process.scope).chain(scopes) {
        out.extend(decls.variables.iter().map(|v| (v.from.as_ref(), None)));
    }
    for activity in &process.activities {
        let ActivityKind::Assign(assign) = &activity.kind else { continue };
        for operation in &assign.operations {
            if let AssignOperation::Copy(copy) = operation {
                out.push((copy.from.as_ref(), copy.to.as_ref()));
            }
        }
    }
    out
}

const SA00009: Rule = Rule {
    code: "SA00009",
    tier: Tier::Engine,
    summary: "a mandatory extension (mustUnderstand=\"yes\") must be one the engine supports",
    why: "mustUnderstand=\"yes\" says the process is wrong without the extension's semantics; an engine \
          that does not implement them must refuse the process rather than run it differently. This \
          engine implements no extensions.",
    failing: r#"<extensions><extension namespace="urn:example:ext" mustUnderstand="yes"/></extensions>"#,
    fixed: r#"<extensions><extension namespace="urn:example:ext" mustUnderstand="no"/></extensions>"#,
    check: check_mandatory_extensions,
};

fn check_mandatory_extensions(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for extension in &cx.process.extensions {
        let Some(must_understand) = extension.must_understand.as_ref().filter(|m| m.value) else { continue };
        let namespace = extension.namespace.as_ref();
        if namespace.is_some_and(|ns| SUPPORTED_EXTENSIONS.contains(&ns.value.trim())) {
            continue;
        }
        let (span, shown) = match namespace {
            Some(ns) => (ns.span, format!("`{}`", ns.value.trim())),
            None => (extension.span, "without a namespace".to_string()),
        };
        out.push(
            Diagnostic::error("SA00009", cx.file, span, format!("the extension {shown} is mandatory (mustUnderstand=\"yes\"), but this engine does not support it"))
                .with_help("this engine supports no extensions: remove the extension and what uses it, or make it optional with mustUnderstand=\"no\" if the process is correct without it")
                .with_fix(Fix {
                    title: "Make the extension optional (mustUnderstand=\"no\")".into(),
                    edits: vec![TextEdit { file: cx.file, span: must_understand.span, replacement: "no".into() }],
                }),
        );
    }
}
