//! A copy between whole message variables needs the same message type on both sides, and a
//! message variable can only be copied to or from another one (SA00043).

use super::{Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityKind, AssignOperation, From, FromForm, Name, ScopeDecls, To, Variable};
use crate::model::QNameRef;
use crate::resolve::{DeclaredType, ProcessDefinitions};
use crate::span::Span;

pub(super) const SA00043: Rule = Rule {
    code: "SA00043",
    tier: Tier::Wsdl,
    summary: "A copy assigns a message variable to something that is not a variable of the same message type (or the other way round).",
    why: "A whole message variable holds all parts of a WSDL message. It can only be copied to or from \
          another variable of the same message type; a part, an element, a literal or an endpoint \
          reference has another shape, and a message of another type has other parts.",
    failing: r#"<variable name="req" messageType="tns:orderRequest"/>
<variable name="res" messageType="tns:orderResponse"/>
<assign><copy><from variable="req"/><to variable="res"/></copy></assign>"#,
    fixed: r#"<assign><copy><from variable="req" part="order"/><to variable="res" part="order"/></copy></assign>"#,
    check: check_copies,
};

/// What one side of a copy selects, as far as message types go.
enum Selection<'a> {
    /// A whole variable of a message type.
    Message { variable: &'a Name, message_type: &'a QNameRef },
    /// Something that is not a message: what it is, and where it is written.
    Other { what: String, span: Span },
    /// An expression or an untyped variable: not known statically.
    Unknown,
}

fn check_copies(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for activity in &cx.process.activities {
        match &activity.kind {
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    let AssignOperation::Copy(copy) = operation else { continue };
                    if let (Some(from), Some(to)) = (&copy.from, &copy.to) {
                        compare(cx, from_selection(&index, from), to_selection(&index, to), out);
                    }
                }
            }
            ActivityKind::Scope(scope) => initializers(cx, &index, &scope.decls, out),
            _ => {}
        }
    }
    initializers(cx, &index, &cx.process.scope, out);
}

/// `<variable><from>...</from></variable>`: the initializer is copied into the variable.
fn initializers(cx: &RuleContext<'_>, index: &ProcessDefinitions<'_>, decls: &ScopeDecls, out: &mut Vec<Diagnostic>) {
    for variable in &decls.variables {
        let Some(from) = &variable.from else { continue };
        compare(cx, from_selection(index, from), declared_variable(variable), out);
    }
}

fn declared_variable(variable: &Variable) -> Selection<'_> {
    match (&variable.name, &variable.ty.message_type) {
        (Some(name), Some(message_type)) => Selection::Message { variable: name, message_type },
        (Some(name), None) if variable.ty.element.is_some() || variable.ty.type_.is_some() => {
            Selection::Other { what: format!("variable `{}`, which is not a message variable", name.value), span: name.span }
        }
        _ => Selection::Unknown,
    }
}

fn whole_variable<'a>(index: &ProcessDefinitions<'a>, variable: &'a Name) -> Selection<'a> {
    match index.variable_type(variable) {
        Some(DeclaredType::Message(message_type)) => Selection::Message { variable, message_type },
        Some(DeclaredType::Element(_) | DeclaredType::Type(_) | DeclaredType::Counter) => {
            Selection::Other { what: format!("variable `{}`, which is not a message variable", variable.value), span: variable.span }
        }
        Some(DeclaredType::Unknown) | None => Selection::Unknown,
    }
}

fn variable_selection<'a>(index: &ProcessDefinitions<'a>, variable: &'a Name, part: &Option<Name>, has_query: bool) -> Selection<'a> {
    match part {
        Some(part) => Selection::Other { what: format!("part `{}` of variable `{}`", part.value, variable.value), span: variable.span },
        None if has_query => Selection::Other { what: format!("a query into variable `{}`", variable.value), span: variable.span },
        None => whole_variable(index, variable),
    }
}

fn from_selection<'a>(index: &ProcessDefinitions<'a>, from: &'a From) -> Selection<'a> {
    // A from-spec that mixes forms is SA00032's; what it selects is not known.
    let forms = [from.variable.is_some(), from.partner_link.is_some(), from.literal.is_some(), from.expression.is_some()];
    if forms.into_iter().filter(|&present| present).count() > 1 {
        return Selection::Unknown;
    }
    match (from.form(), &from.variable) {
        (FromForm::VariablePart, Some(variable)) => variable_selection(index, variable, &from.part, from.query.is_some()),
        (FromForm::PartnerLink, _) => Selection::Other { what: "an endpoint reference".to_string(), span: from.span },
        (FromForm::Property, _) => Selection::Other { what: "a property value".to_string(), span: from.span },
        (FromForm::Literal, _) => Selection::Other { what: "a literal".to_string(), span: from.span },
        _ => Selection::Unknown,
    }
}

fn to_selection<'a>(index: &ProcessDefinitions<'a>, to: &'a To) -> Selection<'a> {
    let forms = [to.variable.is_some(), to.partner_link.is_some(), to.expression.is_some()];
    if forms.into_iter().filter(|&present| present).count() > 1 {
        return Selection::Unknown;
    }
    if to.partner_link.is_some() {
        return Selection::Other { what: "a partner link".to_string(), span: to.span };
    }
    if to.property.is_some() {
        return Selection::Other { what: "a property value".to_string(), span: to.span };
    }
    match &to.variable {
        Some(variable) => variable_selection(index, variable, &to.part, to.query.is_some()),
        None => Selection::Unknown,
    }
}

fn compare(cx: &RuleContext<'_>, from: Selection<'_>, to: Selection<'_>, out: &mut Vec<Diagnostic>) {
    let diagnostic = match (from, to) {
        (Selection::Message { variable: source, message_type: a }, Selection::Message { variable: target, message_type: b }) => {
            if a.name.is_none() || b.name.is_none() || a.name == b.name {
                return;
            }
            // The standard makes this a static error; betsy's executable suite (Assign-
            // MismatchedAssignmentFailure) expects the process to deploy and fault with
            // bpel:mismatchedAssignmentFailure at run time. A warning serves both.
            Diagnostic::warning(
                SA00043.code,
                cx.file,
                target.span,
                format!(
                    "variable `{}` of message type `{}` is copied into variable `{}` of message type `{}`; this faults with bpel:mismatchedAssignmentFailure",
                    source.value, a.text, target.value, b.text
                ),
            )
            .with_related(cx.file, source.span, "the source variable")
            .with_help("copy between variables of the same message type, or copy part by part")
        }
        (Selection::Message { variable, message_type }, Selection::Other { what, .. }) => Diagnostic::error(
            SA00043.code,
            cx.file,
            variable.span,
            format!("message variable `{}` (`{}`) is copied into {what}", variable.value, message_type.text),
        )
        .with_help("copy a part of the message (`part=\"...\"`) instead of the whole message"),
        (Selection::Other { what, span }, Selection::Message { variable, message_type }) => Diagnostic::error(
            SA00043.code,
            cx.file,
            variable.span,
            format!("{what} is copied into message variable `{}` (`{}`)", variable.value, message_type.text),
        )
        .with_related(cx.file, span, "the source")
        .with_help("copy into a part of the message (`part=\"...\"`) instead of the whole message"),
        _ => return,
    };
    out.push(diagnostic);
}
