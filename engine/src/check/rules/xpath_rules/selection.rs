//! What a from-spec or to-spec selects, as far as it is known before running: an element (with its
//! name when a declaration gives it), something that is certainly not an element, or unknown.

use super::sites::{self, sites, Role, Site};
use crate::check::rules::RuleContext;
use crate::diagnostic::{codes, Diagnostic, Fix, TextEdit};
use crate::model::process::*;
use crate::model::xsd::BuiltinType;
use crate::model::QName;
use crate::resolve::{Declaration, SymbolKind};
use crate::span::Span;
use crate::syntax::Node;
use crate::xpath::functions::{core_result_type, ResultType, BPEL_NS, GET_VARIABLE_PROPERTY};
use crate::xpath::{Axis, BinaryOp, Expr, ExprKind, NodeTest, NodeType};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Selection {
    /// An element information item; its name when the variable's or part's declaration gives it.
    Element(Option<QName>),
    /// Certainly not an element: what it is instead, in words.
    Other(String),
    Unknown,
}

impl Selection {
    fn other(what: impl Into<String>) -> Selection {
        Selection::Other(what.into())
    }
}

/// How a variable is declared.
enum Declared<'p> {
    Message(&'p QName),
    Element(&'p QName),
    Type(&'p QName),
    /// A forEach counter: an xsd:unsignedInt.
    Counter,
    Unknown,
}

pub(super) fn from_selection(cx: &RuleContext<'_>, from: &From, activity: Option<ActivityId>) -> Selection {
    match from.form() {
        FromForm::Literal => from.literal.as_ref().map_or(Selection::Unknown, literal_selection),
        // An endpoint reference is a service-ref element.
        FromForm::PartnerLink => Selection::Element(None),
        FromForm::Property => Selection::other("a property value"),
        FromForm::VariablePart => variable_spec_selection(cx, from.variable.as_ref(), from.part.as_ref(), from.query.as_ref(), activity),
        FromForm::Expression => from.expression.as_ref().map_or(Selection::Unknown, |e| expression_selection(cx, e, Role::From, activity)),
        FromForm::Empty => Selection::Unknown,
    }
}

pub(super) fn to_selection(cx: &RuleContext<'_>, to: &To, activity: Option<ActivityId>) -> Selection {
    if to.partner_link.is_some() {
        Selection::Unknown
    } else if to.property.is_some() {
        Selection::other("a property value")
    } else if to.variable.is_some() {
        variable_spec_selection(cx, to.variable.as_ref(), to.part.as_ref(), to.query.as_ref(), activity)
    } else {
        to.expression.as_ref().map_or(Selection::Unknown, |e| expression_selection(cx, e, Role::To, activity))
    }
}

fn literal_selection(literal: &Literal) -> Selection {
    let mut elements = literal.element.child_elements();
    let has_text = literal.element.children.iter().any(|node| matches!(node, Node::Text(text) if !text.value.trim().is_empty()));
    match (elements.next(), elements.next(), has_text) {
        (Some(element), None, false) => Selection::Element(Some(QName::new(element.namespace.as_deref(), &element.local))),
        (None, _, _) => Selection::other("a text literal"),
        _ => Selection::Unknown,
    }
}

/// `variable` [`part`] [`<query>`].
fn variable_spec_selection(
    cx: &RuleContext<'_>,
    variable: Option<&Name>,
    part: Option<&Name>,
    query: Option<&Query>,
    activity: Option<ActivityId>,
) -> Selection {
    if let Some(query) = query {
        let site = Site { expression: query, role: Role::Query, activity };
        return sites::parsed_ok(cx, &site).map_or(Selection::Unknown, path_selection);
    }
    let Some(variable) = variable else { return Selection::Unknown };
    let declared = reference_at(cx, variable.span).map_or(Declared::Unknown, |d| declared(cx, d));
    variable_selection(cx, &declared, part.map(|p| p.as_str()))
}

fn expression_selection(cx: &RuleContext<'_>, expression: &Expression, role: Role, activity: Option<ActivityId>) -> Selection {
    let Some(expr) = sites::parsed_ok(cx, &Site { expression, role, activity }) else { return Selection::Unknown };
    match &expr.kind {
        ExprKind::Literal(_) => Selection::other("a string"),
        ExprKind::Number(_) | ExprKind::Negate(_) => Selection::other("a number"),
        ExprKind::Binary { op, .. } if op.is_arithmetic() => Selection::other("a number"),
        ExprKind::Binary { op: BinaryOp::Union | BinaryOp::Intersect | BinaryOp::Except | BinaryOp::Range, .. } => Selection::Unknown,
        ExprKind::Binary { .. } => Selection::other("a boolean"),
        ExprKind::FunctionCall(call) if call.name.is(BPEL_NS, GET_VARIABLE_PROPERTY) => Selection::other("a property value"),
        ExprKind::FunctionCall(call) => match core_result_type(&call.name) {
            Some(ResultType::String) => Selection::other("a string"),
            Some(ResultType::Number) => Selection::other("a number"),
            Some(ResultType::Boolean) => Selection::other("a boolean"),
            Some(ResultType::NodeSet) | None => Selection::Unknown,
        },
        ExprKind::Variable(variable) if variable.name.prefix.is_none() => {
            let declared = reference_in(cx, expression, &variable.name.local).map_or(Declared::Unknown, |d| declared(cx, d));
            variable_selection(cx, &declared, variable.part.as_deref())
        }
        ExprKind::Path(_) => path_selection(expr),
        _ => Selection::Unknown,
    }
}

/// A path ending in an attribute or a text node selects no element.
fn path_selection(expr: &Expr) -> Selection {
    let ExprKind::Path(path) = &expr.kind else { return Selection::Unknown };
    match path.steps.last() {
        Some(step) if step.axis == Axis::Attribute => Selection::other("an attribute"),
        Some(step) if step.test == NodeTest::NodeType(NodeType::Text) => Selection::other("a text node"),
        _ => Selection::Unknown,
    }
}

fn variable_selection(cx: &RuleContext<'_>, declared: &Declared<'_>, part: Option<&str>) -> Selection {
    match (declared, part) {
        (Declared::Message(_), None) => Selection::other("a whole message variable"),
        (Declared::Message(message), Some(part)) => {
            let Some(part) = cx.definitions.message(message).and_then(|m| m.item.part(part)) else { return Selection::Unknown };
            if let Some(element) = part.element.as_ref().and_then(|e| e.name.clone()) {
                return Selection::Element(Some(element));
            }
            match part.type_.as_ref().and_then(|t| t.name.as_ref()) {
                Some(ty) if is_simple(cx, ty) == Some(true) => Selection::Other(format!("a value of the simple type `{}`", ty.local)),
                _ => Selection::Unknown,
            }
        }
        (Declared::Element(element), None) => Selection::Element(Some((*element).clone())),
        (Declared::Type(ty), None) if is_simple(cx, ty) == Some(true) => {
            Selection::Other(format!("a value of the simple type `{}`", ty.local))
        }
        (Declared::Counter, None) => Selection::other("the forEach counter, an xsd:unsignedInt"),
        _ => Selection::Unknown,
    }
}

fn is_simple(cx: &RuleContext<'_>, ty: &QName) -> Option<bool> {
    match BuiltinType::from_qname(ty) {
        Some(builtin) => Some(builtin.is_simple()),
        None => cx.definitions.type_def(ty).map(|def| def.item.is_simple()),
    }
}

/// The declaration a variable name written in an attribute (at `span`) resolves to.
fn reference_at<'a>(cx: &RuleContext<'a>, span: Span) -> Option<&'a Declaration> {
    let reference = cx.symbols.references.iter().find(|r| r.kind == SymbolKind::Variable && r.span == span)?;
    reference.target.map(|id| cx.symbols.declaration(id))
}

/// The declaration `$name` in `expression` resolves to.
fn reference_in<'a>(cx: &RuleContext<'a>, expression: &Expression, name: &str) -> Option<&'a Declaration> {
    let within = |span: Span| expression.text_span.start <= span.start && span.end <= expression.text_span.end;
    let reference = cx.symbols.references.iter().find(|r| r.kind == SymbolKind::Variable && r.name == name && within(r.span))?;
    reference.target.map(|id| cx.symbols.declaration(id))
}

/// How the variable `declaration` declares is typed: a `<variable>`, an onEvent's variable, a
/// catch's fault variable or a forEach counter.
fn declared<'p>(cx: &RuleContext<'p>, declaration: &Declaration) -> Declared<'p> {
    let process = cx.process;
    let element = declaration.element_span;
    if let Some(variable) = decls_of(process, declaration.owner).and_then(|d| d.variables.iter().find(|v| v.span == element)) {
        return typed(variable.ty.message_type.as_ref(), variable.ty.element.as_ref(), variable.ty.type_.as_ref());
    }
    let Some(owner) = declaration.owner else { return Declared::Unknown };
    let parent = process.activity(owner).parent;
    if let Some(parent) = parent.map(|p| process.activity(p)) {
        if parent.span == element && matches!(parent.kind, ActivityKind::ForEach(_)) {
            return Declared::Counter;
        }
    }
    let Some(holder) = decls_of(process, parent) else { return Declared::Unknown };
    match process.placement(owner) {
        Placement::OnEvent(i) => match holder.event_handlers.as_ref().and_then(|h| h.on_events.get(i)).filter(|e| e.span == element) {
            Some(on_event) => typed(on_event.message_type.as_ref(), on_event.element.as_ref(), None),
            None => Declared::Unknown,
        },
        Placement::Catch(i) => match holder.fault_handlers.as_ref().and_then(|h| h.catches.get(i)).filter(|c| c.span == element) {
            Some(catch) => typed(catch.fault_message_type.as_ref(), catch.fault_element.as_ref(), None),
            None => Declared::Unknown,
        },
        _ => Declared::Unknown,
    }
}

fn typed<'p>(
    message: Option<&'p crate::model::QNameRef>,
    element: Option<&'p crate::model::QNameRef>,
    ty: Option<&'p crate::model::QNameRef>,
) -> Declared<'p> {
    let name = |r: Option<&'p crate::model::QNameRef>| r.and_then(|r| r.name.as_ref());
    match (name(message), name(element), name(ty)) {
        (Some(message), None, None) => Declared::Message(message),
        (None, Some(element), None) => Declared::Element(element),
        (None, None, Some(ty)) => Declared::Type(ty),
        _ => Declared::Unknown,
    }
}

/// The declarations of the process (`None`), a scope or an invoke.
fn decls_of(process: &Process, owner: Option<ActivityId>) -> Option<&ScopeDecls> {
    let Some(id) = owner else { return Some(&process.scope) };
    match &process.activity(id).kind {
        ActivityKind::Scope(scope) => Some(&scope.decls),
        ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
        _ => None,
    }
}

/// `$variable.part` in an expression or query whose variable is declared with a message type that
/// has no such part (XPATH002; evaluating it faults with bpel:subLanguageExecutionFault). Not a
/// rule of the standard; the `part` attributes are SA00053/SA00054's.
pub(in crate::check::rules) fn check_expression_parts(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for site in sites(cx.process) {
        if !site.expression.text.contains('.') {
            continue;
        }
        let Some(expr) = sites::parsed_ok(cx, &site) else { continue };
        let map = sites::source_map(cx, site.expression);
        for variable in expr.variables() {
            let (Some(part), Some(part_span), None) = (&variable.part, variable.part_span, &variable.name.prefix) else { continue };
            let Some(declaration) = reference_in(cx, site.expression, &variable.name.local) else { continue };
            let Declared::Message(message_name) = declared(cx, declaration) else { continue };
            let Some(message) = cx.definitions.message(message_name) else { continue };
            if message.item.part(part).is_some() || message.item.parts.is_empty() {
                continue;
            }
            let parts: Vec<&str> = message.item.parts.iter().map(|p| p.name.value.as_str()).collect();
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_PART,
                cx.file,
                map.span(part_span),
                format!("the message `{message_name}` of variable `{}` has no part `{part}`", variable.name.local),
            )
            .with_help(format!("its parts are: {}", parts.join(", ")))
            .with_related(message.file(), message.item.name.span, "the message is defined here");
            if let ([only], true) = (parts.as_slice(), map.is_exact()) {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Change to `{only}`"),
                    edits: vec![TextEdit { file: cx.file, span: map.span(part_span), replacement: only.to_string() }],
                });
            }
            out.push(diagnostic);
        }
    }
}
