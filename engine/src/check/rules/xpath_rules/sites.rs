//! Where a process holds expressions and queries, and how to read one: in its language (XPath 1.0
//! or not), with its namespaces, mapping spans inside it back to the source.

use crate::check::rules::RuleContext;
use crate::model::process::*;
use crate::model::wsdl::{PropertyAlias, Query as AliasQuery};
use crate::parse::loader::Def;
use crate::parse::Definitions;
use crate::span::Span;
use crate::xpath::{Expr, Language, SourceMap, XPathError};

/// What an expression is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// `<condition>` of if, elseif, while and repeatUntil.
    Condition,
    TransitionCondition,
    JoinCondition,
    /// `<for>` of wait and onAlarm.
    Duration,
    /// `<until>` of wait and onAlarm.
    Deadline,
    RepeatEvery,
    StartCounter,
    FinalCounter,
    Branches,
    /// The expression of a `<from>` in a copy.
    From,
    /// The expression of a `<to>`.
    To,
    /// The expression of a variable's inline `<from>`.
    VariableInit,
    /// A `<query>` of a from-spec or to-spec.
    Query,
}

impl Role {
    pub(crate) fn is_query(self) -> bool {
        self == Role::Query
    }

    /// The element, as the message names it.
    pub(crate) fn element(self) -> &'static str {
        match self {
            Role::Condition => "<condition>",
            Role::TransitionCondition => "<transitionCondition>",
            Role::JoinCondition => "<joinCondition>",
            Role::Duration => "<for>",
            Role::Deadline => "<until>",
            Role::RepeatEvery => "<repeatEvery>",
            Role::StartCounter => "<startCounterValue>",
            Role::FinalCounter => "<finalCounterValue>",
            Role::Branches => "<branches>",
            Role::From | Role::VariableInit => "<from>",
            Role::To => "<to>",
            Role::Query => "<query>",
        }
    }
}

/// One expression or query of the process.
#[derive(Clone, Copy)]
pub(crate) struct Site<'p> {
    pub expression: &'p Expression,
    pub role: Role,
    /// The activity it belongs to (`None` for the process's own variables and event handlers).
    pub activity: Option<ActivityId>,
}

/// Every expression and query of the process.
pub(crate) fn sites(process: &Process) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    decls_sites(&process.scope, None, &mut out);
    for activity in &process.activities {
        activity_sites(activity, &mut out);
    }
    out
}

fn push<'p>(out: &mut Vec<Site<'p>>, expression: &'p Option<Expression>, role: Role, activity: Option<ActivityId>) {
    if let Some(expression) = expression {
        out.push(Site { expression, role, activity });
    }
}

fn decls_sites<'p>(decls: &'p ScopeDecls, activity: Option<ActivityId>, out: &mut Vec<Site<'p>>) {
    for variable in &decls.variables {
        if let Some(from) = &variable.from {
            push(out, &from.expression, Role::VariableInit, activity);
            push(out, &from.query, Role::Query, activity);
        }
    }
    if let Some(event_handlers) = &decls.event_handlers {
        for alarm in &event_handlers.on_alarms {
            alarm_sites(alarm, activity, out);
        }
    }
}

fn alarm_sites<'p>(alarm: &'p OnAlarm, activity: Option<ActivityId>, out: &mut Vec<Site<'p>>) {
    timer_sites(&alarm.timer, activity, out);
    push(out, &alarm.repeat_every, Role::RepeatEvery, activity);
}

fn timer_sites<'p>(timer: &'p Timer, activity: Option<ActivityId>, out: &mut Vec<Site<'p>>) {
    push(out, &timer.for_, Role::Duration, activity);
    push(out, &timer.until, Role::Deadline, activity);
}

fn activity_sites<'p>(activity: &'p Activity, out: &mut Vec<Site<'p>>) {
    let id = Some(activity.id);
    if let Some(targets) = &activity.targets {
        push(out, &targets.join_condition, Role::JoinCondition, id);
    }
    for source in activity.sources.iter().flat_map(|s| &s.sources) {
        push(out, &source.transition_condition, Role::TransitionCondition, id);
    }
    match &activity.kind {
        ActivityKind::Assign(assign) => {
            for operation in &assign.operations {
                let AssignOperation::Copy(copy) = operation else { continue };
                if let Some(from) = &copy.from {
                    push(out, &from.expression, Role::From, id);
                    push(out, &from.query, Role::Query, id);
                }
                if let Some(to) = &copy.to {
                    push(out, &to.expression, Role::To, id);
                    push(out, &to.query, Role::Query, id);
                }
            }
        }
        ActivityKind::Wait(timer) => timer_sites(timer, id, out),
        ActivityKind::If(if_) => {
            push(out, &if_.condition, Role::Condition, id);
            for branch in &if_.else_ifs {
                push(out, &branch.condition, Role::Condition, id);
            }
        }
        ActivityKind::While(while_) => push(out, &while_.condition, Role::Condition, id),
        ActivityKind::RepeatUntil(repeat) => push(out, &repeat.condition, Role::Condition, id),
        ActivityKind::ForEach(for_each) => {
            push(out, &for_each.start, Role::StartCounter, id);
            push(out, &for_each.final_, Role::FinalCounter, id);
            if let Some(condition) = &for_each.completion_condition {
                push(out, &condition.branches, Role::Branches, id);
            }
        }
        ActivityKind::Pick(pick) => {
            for alarm in &pick.on_alarms {
                alarm_sites(alarm, id, out);
            }
        }
        ActivityKind::Scope(scope) => decls_sites(&scope.decls, id, out),
        _ => {}
    }
}

/// Whether a language URI (absent: the default) is one the engine runs (XPath 1.0 or 2.0).
pub(crate) fn is_xpath(language: Option<&str>) -> bool {
    Language::from_uri(language).is_some()
}

/// The language a site is written in: its own attribute, else the process default.
pub(crate) fn language<'p>(process: &'p Process, site: &Site<'p>) -> Option<&'p str> {
    let default = if site.role.is_query() { &process.query_language } else { &process.expression_language };
    site.expression.language.as_ref().or(default.as_ref()).map(|name| name.value.as_str())
}

/// The site as the analysis parsed it ([`crate::check::ParsedExpressions`]), or `None` when it is
/// not written in XPath 1.0 or 2.0 (SA00004 reports that).
pub(crate) fn parsed<'a>(cx: &RuleContext<'a>, site: &Site<'_>) -> Option<&'a Result<Expr, XPathError>> {
    cx.expressions.get(cx.file, site.expression.span)
}

/// The site as parsed, when it is XPath 1.0 or 2.0 and has no syntax error.
pub(crate) fn parsed_ok<'a>(cx: &RuleContext<'a>, site: &Site<'_>) -> Option<&'a Expr> {
    parsed(cx, site)?.as_ref().ok()
}

/// Maps spans inside the expression text to the process source.
pub(crate) fn source_map(cx: &RuleContext<'_>, expression: &Expression) -> SourceMap {
    SourceMap::new(cx.text, &expression.text, expression.text_span)
}

/// The source span of `inner` (relative to the expression text).
pub(crate) fn source_span(cx: &RuleContext<'_>, expression: &Expression, inner: Span) -> Span {
    source_map(cx, expression).span(inner)
}

/// The source text of `inner` as written in the expression.
pub(crate) fn snippet(expression: &Expression, inner: Span) -> String {
    let text = inner.slice(&expression.text);
    const MAX: usize = 60;
    if text.len() <= MAX {
        return text.to_string();
    }
    let cut = (0..=MAX).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    format!("{}…", &text[..cut])
}

/// The XPath 1.0 queries of the property aliases the process imports.
pub(crate) fn xpath_alias_queries(definitions: &Definitions) -> impl Iterator<Item = (Def<'_, PropertyAlias>, &AliasQuery)> {
    definitions.all_property_aliases().filter_map(|alias| {
        let query = alias.item.query.as_ref()?;
        is_xpath(query.query_language.as_ref().map(|l| l.value.as_str())).then_some((alias, query))
    })
}
