//! The from-spec and to-spec of `<copy>` and of variable initializers: one of the allowed forms
//! (SA00032), `part` only on message variables (SA00034), partner link roles (SA00035-SA00037) and
//! literal values (SA00038).

use super::support::{copies, direct_text, from_specs, remove_attributes, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::resolve::{DeclaredType, ProcessDefinitions};
use crate::span::Span;
use crate::syntax::Node;

pub(super) const SA00032: Rule = Rule {
    code: "SA00032",
    tier: Tier::Process,
    summary: "<from> and <to> must use exactly one of the forms the standard defines",
    why: "A from-spec is a variable (with optional part and query), a partner link endpoint, a variable \
          property, an expression or a literal; a to-spec is a variable (with optional part and \
          query), a partner link, a variable property or an expression. Mixing the attributes and \
          children of two forms leaves it unclear what is copied.",
    failing: r#"<copy>
  <from variable="order" part="item" expressionLanguage="urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0"/>
  <to variable="item"/>
</copy>"#,
    fixed: r#"<copy>
  <from variable="order" part="item"/>
  <to variable="item"/>
</copy>"#,
    check: check_copy_forms,
};

/// An attribute, child or text that takes part in selecting the form of a from-spec or to-spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Variable,
    Part,
    PartnerLink,
    EndpointReference,
    Property,
    ExpressionLanguage,
    Query,
    Literal,
    Expression,
}

impl Piece {
    fn describe(self) -> &'static str {
        match self {
            Piece::Variable => "`variable`",
            Piece::Part => "`part`",
            Piece::PartnerLink => "`partnerLink`",
            Piece::EndpointReference => "`endpointReference`",
            Piece::Property => "`property`",
            Piece::ExpressionLanguage => "`expressionLanguage`",
            Piece::Query => "a <query>",
            Piece::Literal => "a <literal>",
            Piece::Expression => "an expression",
        }
    }

    fn is_attribute(self) -> bool {
        !matches!(self, Piece::Query | Piece::Literal | Piece::Expression)
    }
}

/// A form, with the pieces it needs and the ones it allows besides.
struct Form {
    name: &'static str,
    required: &'static [Piece],
    optional: &'static [Piece],
}

const FROM_FORMS: &[Form] = &[
    Form { name: "literal", required: &[Piece::Literal], optional: &[] },
    Form { name: "partner link", required: &[Piece::PartnerLink, Piece::EndpointReference], optional: &[] },
    Form { name: "property", required: &[Piece::Variable, Piece::Property], optional: &[] },
    Form { name: "variable", required: &[Piece::Variable], optional: &[Piece::Part, Piece::Query] },
    Form { name: "expression", required: &[Piece::Expression], optional: &[Piece::ExpressionLanguage] },
];

const TO_FORMS: &[Form] = &[
    Form { name: "partner link", required: &[Piece::PartnerLink], optional: &[] },
    Form { name: "property", required: &[Piece::Variable, Piece::Property], optional: &[] },
    Form { name: "variable", required: &[Piece::Variable], optional: &[Piece::Part, Piece::Query] },
    Form { name: "expression", required: &[Piece::Expression], optional: &[Piece::ExpressionLanguage] },
];

type Pieces = Vec<(Piece, Span)>;

fn from_pieces(cx: &RuleContext<'_>, from: &From) -> Pieces {
    let mut pieces = Vec::new();
    let mut add = |piece, span: Option<Span>| pieces.extend(span.map(|s| (piece, s)));
    add(Piece::Variable, from.variable.as_ref().map(|n| n.span));
    add(Piece::Part, from.part.as_ref().map(|n| n.span));
    add(Piece::PartnerLink, from.partner_link.as_ref().map(|n| n.span));
    add(Piece::EndpointReference, from.endpoint_reference.as_ref().map(|n| n.span));
    add(Piece::Property, from.property.as_ref().map(|n| n.span));
    add(Piece::ExpressionLanguage, from.expression_language.as_ref().map(|n| n.span));
    add(Piece::Query, from.query.as_ref().map(|q| tag_name(cx.text, q.span)));
    add(Piece::Literal, from.literal.as_ref().map(|l| tag_name(cx.text, l.span)));
    add(Piece::Expression, direct_text(cx.text, from.span));
    pieces
}

fn to_pieces(cx: &RuleContext<'_>, to: &To) -> Pieces {
    let mut pieces = Vec::new();
    let mut add = |piece, span: Option<Span>| pieces.extend(span.map(|s| (piece, s)));
    add(Piece::Variable, to.variable.as_ref().map(|n| n.span));
    add(Piece::Part, to.part.as_ref().map(|n| n.span));
    add(Piece::PartnerLink, to.partner_link.as_ref().map(|n| n.span));
    add(Piece::Property, to.property.as_ref().map(|n| n.span));
    add(Piece::ExpressionLanguage, to.expression_language.as_ref().map(|n| n.span));
    add(Piece::Query, to.query.as_ref().map(|q| tag_name(cx.text, q.span)));
    add(Piece::Expression, direct_text(cx.text, to.span));
    pieces
}

fn check_copy_forms(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for from in from_specs(cx.process) {
        check_form(cx, "from", from.span, &from_pieces(cx, from), FROM_FORMS, out);
    }
    for to in copies(cx.process).filter_map(|copy| copy.to.as_ref()) {
        check_form(cx, "to", to.span, &to_pieces(cx, to), TO_FORMS, out);
    }
}

/// The first form (in the order of `forms`) whose pieces are all there, or failing that the
/// first one some of whose required pieces are there.
fn chosen_form<'f>(pieces: &Pieces, forms: &'f [Form]) -> Option<&'f Form> {
    let has = |piece: &Piece| pieces.iter().any(|(p, _)| p == piece);
    forms.iter().find(|form| form.required.iter().all(has)).or_else(|| forms.iter().find(|form| form.required.iter().any(has)))
}

fn check_form(cx: &RuleContext<'_>, element: &str, span: Span, pieces: &Pieces, forms: &[Form], out: &mut Vec<Diagnostic>) {
    let variants = || forms.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    let Some(form) = chosen_form(pieces, forms) else {
        let message = match pieces.first() {
            Some((piece, _)) => format!("<{element}> has {} but says nothing to copy", piece.describe()),
            None => format!("<{element}> is empty: it says nothing to copy"),
        };
        let at = pieces.first().map_or_else(|| tag_name(cx.text, span), |(_, s)| *s);
        out.push(
            Diagnostic::error("SA00032", cx.file, at, message).with_help(format!("a <{element}> takes one of these forms: {}", variants())),
        );
        return;
    };
    let has = |piece: &Piece| pieces.iter().any(|(p, _)| p == piece);
    let allowed = |piece: &Piece| form.required.contains(piece) || form.optional.contains(piece);
    if form.required.iter().all(has) && pieces.iter().all(|(p, _)| allowed(p)) {
        return;
    }
    let missing: Vec<&str> = form.required.iter().filter(|p| !has(p)).map(|p| p.describe()).collect();
    let extras: Vec<&(Piece, Span)> = pieces.iter().filter(|(p, _)| !allowed(p)).collect();
    if !missing.is_empty() {
        let at = pieces.first().map_or(span, |(_, s)| *s);
        out.push(
            Diagnostic::error(
                "SA00032",
                cx.file,
                at,
                format!("the {} form of <{element}> also needs {}", form.name, missing.join(" and ")),
            )
            .with_help(format!("a <{element}> takes one of these forms: {}", variants())),
        );
        return;
    }
    let Some(&&(_, first_extra)) = extras.first() else { return };
    let listed: Vec<&str> = extras.iter().map(|(p, _)| p.describe()).collect();
    let mut diagnostic = Diagnostic::error(
        "SA00032",
        cx.file,
        first_extra,
        format!("<{element}> uses the {} form, which does not take {}", form.name, listed.join(", ")),
    )
    .with_help(format!("a <{element}> takes exactly one of these forms: {}", variants()));
    if extras.iter().all(|(p, _)| p.is_attribute()) {
        let spans: Vec<Span> = extras.iter().map(|(_, s)| *s).collect();
        if let Some(fix) = remove_attributes(cx.text, cx.file, &spans, format!("Remove {}", listed.join(", "))) {
            diagnostic = diagnostic.with_fix(fix);
        }
    }
    out.push(diagnostic);
}

pub(super) const SA00034: Rule = Rule {
    code: "SA00034",
    tier: Tier::Process,
    summary: "`part` in <from> or <to> needs a variable of a WSDL message type",
    why: "Only message variables have parts; a variable of an XML Schema type or element is selected \
          as a whole, or inside with a <query>.",
    failing: r#"<variable name="total" type="xsd:int"/>
...
<to variable="total" part="value"/>"#,
    fixed: r#"<variable name="total" type="xsd:int"/>
...
<to variable="total"/>"#,
    check: check_parts_of_message_variables,
};

fn check_parts_of_message_variables(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let from = copies(cx.process).filter_map(|c| c.from.as_ref()).map(|f| (&f.variable, &f.part));
    let to = copies(cx.process).filter_map(|c| c.to.as_ref()).map(|t| (&t.variable, &t.part));
    let with_parts: Vec<(&Name, &Name)> =
        from.chain(to).filter_map(|(variable, part)| Some((variable.as_ref()?, part.as_ref()?))).collect();
    if with_parts.is_empty() {
        return;
    }
    let definitions = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for (variable, part) in with_parts {
        let Some(ty) = definitions.variable_type(variable) else { continue };
        let what = match ty {
            DeclaredType::Element(element) => format!("is of element `{}`", element.text),
            DeclaredType::Type(type_) => format!("is of type `{}`", type_.text),
            DeclaredType::Counter => "is a forEach counter".to_string(),
            DeclaredType::Message(_) | DeclaredType::Unknown => continue,
        };
        let mut diagnostic = Diagnostic::error(
            "SA00034",
            cx.file,
            part.span,
            format!("variable `{}` {what}, not a WSDL message, so it has no part `{}`", variable.value, part.value),
        )
        .with_help("select inside the variable with a <query> instead of `part`");
        if let Some(fix) = remove_attributes(cx.text, cx.file, &[part.span], "Remove `part`") {
            diagnostic = diagnostic.with_fix(fix);
        }
        out.push(diagnostic);
    }
}

pub(super) const SA00035: Rule = Rule {
    code: "SA00035",
    tier: Tier::Process,
    summary: "<from partnerLink endpointReference=\"myRole\"> needs a partner link with myRole",
    why: "The process's own endpoint of a partner link exists only if the partner link declares the \
          role the process plays (myRole).",
    failing: r#"<partnerLink name="shop" partnerLinkType="tns:ShopLT" partnerRole="shop"/>
...
<from partnerLink="shop" endpointReference="myRole"/>"#,
    fixed: r#"<partnerLink name="shop" partnerLinkType="tns:ShopLT" partnerRole="shop"/>
...
<from partnerLink="shop" endpointReference="partnerRole"/>"#,
    check: check_from_my_role,
};

pub(super) const SA00036: Rule = Rule {
    code: "SA00036",
    tier: Tier::Process,
    summary: "<from partnerLink endpointReference=\"partnerRole\"> needs a partner link with partnerRole",
    why: "The partner's endpoint of a partner link exists only if the partner link declares the \
          partner's role (partnerRole).",
    failing: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>
...
<from partnerLink="client" endpointReference="partnerRole"/>"#,
    fixed: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>
...
<from partnerLink="client" endpointReference="myRole"/>"#,
    check: check_from_partner_role,
};

fn check_from_my_role(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_from_endpoint(cx, Role::MyRole, out);
}

fn check_from_partner_role(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_from_endpoint(cx, Role::PartnerRole, out);
}

fn check_from_endpoint(cx: &RuleContext<'_>, wanted: Role, out: &mut Vec<Diagnostic>) {
    let (code, attribute) = match wanted {
        Role::MyRole => ("SA00035", "myRole"),
        Role::PartnerRole => ("SA00036", "partnerRole"),
    };
    let endpoints: Vec<(&From, &Name)> = from_specs(cx.process)
        .filter(|from| from.endpoint_reference.as_ref().is_some_and(|e| e.value == wanted))
        .filter_map(|from| Some((from, from.partner_link.as_ref()?)))
        .collect();
    if endpoints.is_empty() {
        return;
    }
    let definitions = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for (from, name) in endpoints {
        let Some(partner_link) = definitions.partner_link(name) else { continue };
        let role = match wanted {
            Role::MyRole => &partner_link.my_role,
            Role::PartnerRole => &partner_link.partner_role,
        };
        if role.is_some() {
            continue;
        }
        let endpoint = if wanted == Role::MyRole { "the process's own endpoint" } else { "the partner's endpoint" };
        out.push(missing_role(cx, code, endpoint_span(from), name, partner_link, attribute, &format!("there is no {endpoint} to copy")));
    }
}

fn endpoint_span(from: &From) -> Span {
    from.endpoint_reference.as_ref().map_or(from.span, |e| e.span)
}

fn missing_role(
    cx: &RuleContext<'_>,
    code: &'static str,
    span: Span,
    name: &Name,
    partner_link: &PartnerLink,
    attribute: &str,
    purpose: &str,
) -> Diagnostic {
    let declared = partner_link.name.as_ref().map_or(partner_link.span, |n| n.span);
    Diagnostic::error(code, cx.file, span, format!("partner link `{}` has no {attribute}, so {purpose}", name.value))
        .with_related(cx.file, declared, format!("`{}` is declared here without {attribute}", name.value))
        .with_help(format!("add {attribute}=\"...\" to the partner link, or use the role it declares"))
}

pub(super) const SA00037: Rule = Rule {
    code: "SA00037",
    tier: Tier::Process,
    summary: "<to partnerLink> needs a partner link with partnerRole",
    why: "Copying to a partner link sets the partner's endpoint, which exists only if the partner \
          link declares the partner's role (partnerRole).",
    failing: r#"<partnerLink name="client" partnerLinkType="tns:ClientLT" myRole="service"/>
...
<to partnerLink="client"/>"#,
    fixed: r#"<partnerLink name="shop" partnerLinkType="tns:ShopLT" partnerRole="shop"/>
...
<to partnerLink="shop"/>"#,
    check: check_to_partner_role,
};

fn check_to_partner_role(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let targets: Vec<&Name> = copies(cx.process).filter_map(|c| c.to.as_ref()?.partner_link.as_ref()).collect();
    if targets.is_empty() {
        return;
    }
    let definitions = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for name in targets {
        let Some(partner_link) = definitions.partner_link(name) else { continue };
        if partner_link.partner_role.is_none() {
            out.push(missing_role(
                cx,
                "SA00037",
                name.span,
                name,
                partner_link,
                "partnerRole",
                "there is no partner endpoint to assign to",
            ));
        }
    }
}

pub(super) const SA00038: Rule = Rule {
    code: "SA00038",
    tier: Tier::Process,
    summary: "a <literal> must hold a single element or text only",
    why: "A literal from-spec yields one value: one element, or one text node. Several elements (or an \
          element mixed with text) are not one value.",
    failing: r#"<from>
  <literal><item>1</item><item>2</item></literal>
</from>"#,
    fixed: r#"<from>
  <literal><items><item>1</item><item>2</item></items></literal>
</from>"#,
    check: check_literals,
};

fn check_literals(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for literal in from_specs(cx.process).filter_map(|f| f.literal.as_ref()) {
        let elements: Vec<&crate::syntax::Element> = literal.element.child_elements().collect();
        let text = literal.element.children.iter().find_map(|node| match node {
            Node::Text(text) if !text.value.trim().is_empty() => Some(text.span),
            _ => None,
        });
        let problem = match (elements.as_slice(), text) {
            ([_, second, ..], _) => {
                Some((second.name_span, format!("this <literal> holds {} elements; it may hold only one", elements.len())))
            }
            ([_], Some(text)) => {
                Some((text, "this <literal> mixes an element with text; it may hold one element or text only".to_string()))
            }
            _ => None,
        };
        if let Some((span, message)) = problem {
            let span = if span.is_empty() { tag_name(cx.text, literal.span) } else { span };
            out.push(
                Diagnostic::error("SA00038", cx.file, span, message)
                    .with_related(cx.file, tag_name(cx.text, literal.span), "the literal")
                    .with_help("wrap the content in one element, or copy the pieces with several <copy>s"),
            );
        }
    }
}
