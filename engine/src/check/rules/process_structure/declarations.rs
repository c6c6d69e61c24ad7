//! Declarations: partner links (SA00016, SA00017), unique names per scope (SA00018, SA00023,
//! SA00044), variable names (SA00024) and variable types (SA00025).

use super::support::{remove_attributes, remove_element, scope_decls};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::*;
use crate::model::QNameRef;
use crate::resolve::{DeclId, SymbolKind};
use crate::span::Span;

pub(super) const SA00016: Rule = Rule {
    code: "SA00016",
    tier: Tier::Process,
    summary: "a <partnerLink> must specify myRole, partnerRole, or both",
    why: "A partner link is the conversation between the process and a partner; without a role it says \
          neither what the process offers nor what it calls.",
    failing: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT"/>"#,
    fixed: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>"#,
    check: check_partner_link_roles,
};

fn check_partner_link_roles(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        for partner_link in &decls.partner_links {
            if partner_link.my_role.is_some() || partner_link.partner_role.is_some() {
                continue;
            }
            let (span, name) = match &partner_link.name {
                Some(name) => (name.span, format!("partner link `{}`", name.value)),
                None => (super::support::tag_name(cx.text, partner_link.span), "this partner link".to_string()),
            };
            out.push(
                Diagnostic::error("SA00016", cx.file, span, format!("{name} has neither myRole nor partnerRole"))
                    .with_help("add myRole=\"...\" for the role the process plays, partnerRole=\"...\" for the partner's, or both"),
            );
        }
    }
}

pub(super) const SA00017: Rule = Rule {
    code: "SA00017",
    tier: Tier::Process,
    summary: "initializePartnerRole must not be used on a partner link without partnerRole",
    why: "initializePartnerRole says when the partner's endpoint is set; a partner link without a \
          partner role has no partner endpoint.",
    failing: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service" initializePartnerRole="yes"/>"#,
    fixed: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>"#,
    check: check_initialize_partner_role,
};

fn check_initialize_partner_role(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        for partner_link in &decls.partner_links {
            let Some(initialize) = &partner_link.initialize_partner_role else { continue };
            if partner_link.partner_role.is_some() {
                continue;
            }
            let name = partner_link.name.as_ref().map_or(String::new(), |n| format!(" `{}`", n.value));
            let mut diagnostic = Diagnostic::error(
                "SA00017",
                cx.file,
                initialize.span,
                format!("partner link{name} has no partnerRole, so initializePartnerRole does not apply"),
            )
            .with_help("remove initializePartnerRole, or add the partnerRole it is meant for");
            if let Some(fix) = remove_attributes(cx.text, cx.file, &[initialize.span], "Remove initializePartnerRole") {
                diagnostic = diagnostic.with_fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

pub(super) const SA00018: Rule = Rule {
    code: "SA00018",
    tier: Tier::Process,
    summary: "partner link names must be unique within one <partnerLinks>",
    why: "A name must say which partner link it means; two declarations of one name in the same scope \
          make every use ambiguous.",
    failing: r#"<partnerLinks>
  <partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>
  <partnerLink name="client" partnerLinkType="tns:OtherLT" partnerRole="other"/>
</partnerLinks>"#,
    fixed: r#"<partnerLinks>
  <partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>
  <partnerLink name="other" partnerLinkType="tns:OtherLT" partnerRole="other"/>
</partnerLinks>"#,
    check: check_duplicate_partner_links,
};

pub(super) const SA00023: Rule = Rule {
    code: "SA00023",
    tier: Tier::Process,
    summary: "variable names must be unique within one <variables>",
    why: "A name must say which variable it means; two declarations of one name in the same scope make \
          every use ambiguous.",
    failing: r#"<variables>
  <variable name="order" messageType="tns:orderMessage"/>
  <variable name="order" element="tns:order"/>
</variables>"#,
    fixed: r#"<variables>
  <variable name="order" messageType="tns:orderMessage"/>
  <variable name="orderDocument" element="tns:order"/>
</variables>"#,
    check: check_duplicate_variables,
};

pub(super) const SA00044: Rule = Rule {
    code: "SA00044",
    tier: Tier::Process,
    summary: "correlation set names must be unique within one <correlationSets>",
    why: "A name must say which correlation set it means; two declarations of one name in the same \
          scope make every use ambiguous.",
    failing: r#"<correlationSets>
  <correlationSet name="order" properties="tns:orderId"/>
  <correlationSet name="order" properties="tns:customerId"/>
</correlationSets>"#,
    fixed: r#"<correlationSets>
  <correlationSet name="order" properties="tns:orderId"/>
  <correlationSet name="customer" properties="tns:customerId"/>
</correlationSets>"#,
    check: check_duplicate_correlation_sets,
};

fn check_duplicate_partner_links(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let named = decls.partner_links.iter().map(|p| (p.name.as_ref(), p.span));
        report_duplicates(cx, "SA00018", "partner link", named, out);
    }
}

fn check_duplicate_variables(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let named = decls.variables.iter().map(|v| (v.name.as_ref(), v.span));
        report_duplicates(cx, "SA00023", "variable", named, out);
    }
}

fn check_duplicate_correlation_sets(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let named = decls.correlation_sets.iter().map(|c| (c.name.as_ref(), c.span));
        report_duplicates(cx, "SA00044", "correlation set", named, out);
    }
}

/// Reports every declaration of one block whose name an earlier one already has. A declaration
/// written exactly like the first can simply be removed.
fn report_duplicates<'a>(
    cx: &RuleContext<'_>,
    code: &'static str,
    what: &str,
    declarations: impl Iterator<Item = (Option<&'a Name>, Span)>,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: Vec<(&Name, Span)> = Vec::new();
    for (name, element) in declarations {
        let Some(name) = name else { continue };
        let Some(&(first, first_element)) = seen.iter().find(|(n, _)| n.value == name.value) else {
            seen.push((name, element));
            continue;
        };
        let mut diagnostic =
            Diagnostic::error(code, cx.file, name.span, format!("{what} `{}` is declared twice in the same scope", name.value))
                .with_related(cx.file, first.span, "first declared here")
                .with_help(format!("rename one of them, or declare the second {what} in an enclosing or enclosed scope"));
        if element.slice(cx.text) == first_element.slice(cx.text) {
            diagnostic = diagnostic.with_fix(remove_element(cx.text, cx.file, element, "Remove the duplicate declaration"));
        }
        out.push(diagnostic);
    }
}

pub(super) const SA00024: Rule = Rule {
    code: "SA00024",
    tier: Tier::Process,
    summary: "variable names must not contain `.`",
    why: "In expressions `$order.item` means the part `item` of the variable `order`; a dot inside a \
          variable name would make that ambiguous, so BPELVariableName excludes it.",
    failing: r#"<variable name="order.total" type="xsd:int"/>"#,
    fixed: r#"<variable name="order_total" type="xsd:int"/>"#,
    check: check_variable_names,
};

fn check_variable_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let symbols = cx.symbols;
    for (index, declaration) in symbols.declarations.iter().enumerate() {
        if declaration.kind != SymbolKind::Variable || !declaration.name.contains('.') {
            continue;
        }
        let id = DeclId(index as u32);
        let renamed = declaration.name.replace('.', "_");
        let mut edits = vec![TextEdit { file: cx.file, span: declaration.span, replacement: renamed.clone() }];
        edits.extend(symbols.references_to(id).filter(|r| r.name == declaration.name).map(|r| TextEdit {
            file: cx.file,
            span: r.span,
            replacement: renamed.clone(),
        }));
        out.push(
            Diagnostic::error("SA00024", cx.file, declaration.span, format!("variable name `{}` contains `.`", declaration.name))
                .with_help("in expressions `$name.part` selects a message part, so variable names may not contain dots")
                .with_fix(Fix { title: format!("Rename to `{renamed}`"), edits }),
        );
    }
    for reference in &symbols.references {
        let dotted_declaration = reference.target.is_some_and(|id| symbols.declaration(id).name.contains('.'));
        if reference.kind == SymbolKind::Variable && reference.name.contains('.') && !dotted_declaration {
            out.push(
                Diagnostic::error(
                    "SA00024",
                    cx.file,
                    reference.span,
                    format!("`{}` is not a variable name: it contains `.`", reference.name),
                )
                .with_help(
                    "to use a part of a message variable, give the part in `part=\"...\"` or write `$variable.part` in an expression",
                ),
            );
        }
    }
}

pub(super) const SA00025: Rule = Rule {
    code: "SA00025",
    tier: Tier::Process,
    summary: "a <variable> must have exactly one of messageType, type and element",
    why: "A variable holds either a WSDL message, a value of an XML Schema type, or an XML Schema \
          element; its declaration must say which, once.",
    failing: r#"<variable name="order" messageType="tns:orderMessage" element="tns:order"/>"#,
    fixed: r#"<variable name="order" messageType="tns:orderMessage"/>"#,
    check: check_variable_types,
};

fn check_variable_types(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        for variable in &decls.variables {
            let ty = &variable.ty;
            let given: Vec<(&str, &QNameRef)> = [("messageType", &ty.message_type), ("type", &ty.type_), ("element", &ty.element)]
                .into_iter()
                .filter_map(|(attribute, value)| Some((attribute, value.as_ref()?)))
                .collect();
            let name = variable.name.as_ref().map_or(String::new(), |n| format!(" `{}`", n.value));
            match given.as_slice() {
                [] => {
                    let span = variable.name.as_ref().map_or_else(|| super::support::tag_name(cx.text, variable.span), |n| n.span);
                    out.push(
                        Diagnostic::error("SA00025", cx.file, span, format!("variable{name} has no type"))
                            .with_help("give it exactly one of messageType=\"...\", type=\"...\" or element=\"...\""),
                    );
                }
                [_] => {}
                [(first, _), rest @ ..] => {
                    let others: Vec<&str> = rest.iter().map(|(attribute, _)| *attribute).collect();
                    out.push(
                        Diagnostic::error(
                            "SA00025",
                            cx.file,
                            rest[0].1.span,
                            format!("variable{name} has {first} and also {}; a variable has exactly one type", others.join(" and ")),
                        )
                        .with_help("keep the one attribute that says what the variable holds"),
                    );
                }
            }
        }
    }
}
