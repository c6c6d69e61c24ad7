//! Control flow: start activities (SA00056), message exchanges (SA00060), links (SA00064–SA00072),
//! compensation targets and handlers (SA00078, SA00079) and peer scopes (SA00082).
//!
//! The link rules share a [`links::LinkTable`] (every link and every `<source>`/`<target>`, resolved to
//! its declaring flow); the ordering rules share a [`graph::Graph`] (which activity must end before
//! which other one starts).

mod exchange;
mod graph;
mod handlers;
mod links;
mod order;
mod start;

use super::Rule;
use crate::model::process::{Activity, ActivityId, ActivityKind, Placement, Process};
use crate::span::Span;

pub(super) static RULES: &[Rule] = &[
    start::SA00056,
    exchange::SA00060,
    links::SA00064,
    links::SA00065,
    links::SA00066,
    links::SA00067,
    links::SA00068,
    links::SA00069,
    links::SA00070,
    links::SA00071,
    order::SA00072,
    handlers::SA00078,
    handlers::SA00079,
    order::SA00082,
];

/// `<assign> `Name`` or `an unnamed <assign>`, for messages.
fn describe(activity: &Activity) -> String {
    match &activity.name {
        Some(name) if !name.value.is_empty() => format!("<{}> `{}`", activity.kind.tag(), name.value),
        _ => format!("an unnamed <{}>", activity.kind.tag()),
    }
}

/// The span that names an activity: its name attribute, or its tag.
fn name_or_tag_span(activity: &Activity) -> Span {
    activity.name.as_ref().map_or(activity.tag_span, |name| name.span)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The handlers an activity may stand in, beyond the main body and the branches of its parent.
fn is_handler(placement: Placement) -> bool {
    matches!(
        placement,
        Placement::Catch(_)
            | Placement::CatchAll
            | Placement::CompensationHandler
            | Placement::TerminationHandler
            | Placement::OnEvent(_)
            | Placement::EventOnAlarm(_)
    )
}

/// For every activity, whether it stands directly in a handler (of a scope, an invoke or the
/// process) rather than in a body or a branch: like `is_handler(process.placement(id))`, for all
/// activities at once.
fn handler_roots(process: &Process) -> Vec<bool> {
    let mut out = vec![false; process.activities.len()];
    let mark = |decls: &crate::model::process::ScopeDecls, out: &mut Vec<bool>| {
        let mut handlers = Vec::new();
        decls.collect_activities(&mut handlers);
        for id in handlers {
            if let Some(slot) = out.get_mut(id.0 as usize) {
                *slot = true;
            }
        }
    };
    mark(&process.scope, &mut out);
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::Scope(scope) => mark(&scope.decls, &mut out),
            ActivityKind::Invoke(invoke) => mark(&invoke.handlers, &mut out),
            _ => {}
        }
    }
    out
}

/// The handler element name for a placement, for messages.
fn handler_tag(placement: Placement) -> &'static str {
    match placement {
        Placement::Catch(_) => "catch",
        Placement::CatchAll => "catchAll",
        Placement::CompensationHandler => "compensationHandler",
        Placement::TerminationHandler => "terminationHandler",
        Placement::OnEvent(_) => "onEvent",
        Placement::EventOnAlarm(_) => "onAlarm",
        Placement::OnMessage(_) => "onMessage",
        Placement::PickOnAlarm(_) => "onAlarm",
        Placement::Body => "body",
    }
}

/// The activity of the compensation handler of a scope or invoke: the only child that does not
/// end before its parent does (it runs after the scope completed).
fn compensation_handler_activity(kind: &ActivityKind) -> Option<ActivityId> {
    let decls = match kind {
        ActivityKind::Scope(scope) => &scope.decls,
        ActivityKind::Invoke(invoke) => &invoke.handlers,
        _ => return None,
    };
    decls.compensation_handler.as_ref().and_then(|handler| handler.activity)
}

/// Whether `ancestor` is `id` or encloses it.
fn is_within(process: &Process, id: ActivityId, ancestor: ActivityId) -> bool {
    id == ancestor || process.ancestors(id).any(|a| a == ancestor)
}

/// The span to delete to remove an element: whole lines when the element stands alone on them.
fn removal_span(text: &str, span: Span) -> Span {
    let (start, end) = (span.start as usize, span.end as usize);
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else { return span };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = after.find('\n').map_or(text.len(), |i| end + i);
    let blank_before = before[line_start..].chars().all(|c| c == ' ' || c == '\t');
    let blank_after = text[end..line_end].trim().is_empty();
    if blank_before && blank_after {
        Span::new(line_start, (line_end + 1).min(text.len()))
    } else {
        span
    }
}

/// The element name in the start tag of the element at `element` (`catch` in `<bpel:catch ...>`).
fn tag_name_span(text: &str, element: Span) -> Span {
    let start = element.start as usize + 1;
    let Some(rest) = text.get(start..) else { return element };
    if !text[..start].ends_with('<') {
        return element;
    }
    let len = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
    Span::new(start, start + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_takes_whole_lines_only_when_the_element_stands_alone() {
        let text = "<a>\n    <b/>\n</a>";
        let b = Span::new(8, 12);
        assert_eq!(removal_span(text, b).slice(text), "    <b/>\n");
        let inline = "<a><b/></a>";
        assert_eq!(removal_span(inline, Span::new(3, 7)).slice(inline), "<b/>");
    }

    #[test]
    fn tag_name_span_skips_the_angle_bracket() {
        let text = "x <bpel:catch faultName=\"a\">";
        assert_eq!(tag_name_span(text, Span::new(2, text.len())).slice(text), "bpel:catch");
    }
}
