//! SA00056: nothing but start activities, `<scope>`, `<flow>` and `<sequence>` may run before or
//! beside the start activity that creates the process instance.
//!
//! An activity is fine when some start activity must have completed before it starts (it follows
//! one in a sequence, through a link, or sits in a start `<pick>`'s branch): by then the instance
//! exists. With several start activities (all `initiate="join"`), one having completed is enough:
//! the others then act as plain receives. Handlers are left out: they run only once their scope
//! runs, and an event handler of the process only after the instance was created.

use super::super::{Rule, RuleContext, Tier};
use super::graph::{event, Event, Graph};
use super::links::LinkTable;
use super::{capitalize, describe, handler_roots};
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityId, ActivityKind, Placement, Process};

pub(super) const SA00056: Rule = Rule {
    code: "SA00056",
    tier: Tier::Process,
    summary: "Only start activities, <scope>, <flow> and <sequence> may run before or in parallel with a start activity.",
    why: "A process instance is created by the message its start activity receives. Anything else that could \
          run before that message, or beside the start activity, would run in an instance that does not \
          exist yet.",
    failing: r#"<sequence>
  <assign>
    <copy><from>0</from><to variable="count"/></copy>
  </assign>
  <receive partnerLink="client" operation="order" variable="order"
           createInstance="yes"/>
  ...
</sequence>"#,
    fixed: r#"<sequence>
  <receive partnerLink="client" operation="order" variable="order"
           createInstance="yes"/>
  <assign>
    <copy><from>0</from><to variable="count"/></copy>
  </assign>
  ...
</sequence>"#,
    check: check_start_activities_first,
};

fn is_start_activity(kind: &ActivityKind) -> bool {
    match kind {
        ActivityKind::Receive(receive) => receive.create_instance.as_ref().is_some_and(|c| c.value),
        ActivityKind::Pick(pick) => pick.create_instance.as_ref().is_some_and(|c| c.value),
        _ => false,
    }
}

fn may_precede_start(kind: &ActivityKind) -> bool {
    is_start_activity(kind) || matches!(kind, ActivityKind::Scope(_) | ActivityKind::Flow(_) | ActivityKind::Sequence(_))
}

fn check_start_activities_first(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    let starts: Vec<ActivityId> = process.activities.iter().filter(|a| is_start_activity(&a.kind)).map(|a| a.id).collect();
    let Some(&first_start) = starts.first() else { return };
    if starts_everything(process) {
        return;
    }
    let table = LinkTable::new(process);
    let graph = Graph::events(process, &table);
    let in_body = main_body(process);
    let seeds = starts.iter().flat_map(|&start| created_events(process, start)).chain(links_out_of_handlers(&table, &in_body));
    let after_creation = graph.reachable(seeds);
    let mut reported = vec![false; process.activities.len()];
    for activity in &process.activities {
        let id = activity.id;
        if !in_body[id.0 as usize]
            || may_precede_start(&activity.kind)
            || after_creation[event(id, Event::Start)]
            || is_start_pick_alarm(process, id)
        {
            continue;
        }
        reported[id.0 as usize] = true;
        if activity.parent.is_some_and(|parent| reported[parent.0 as usize]) {
            continue;
        }
        let start = process.activity(first_start);
        out.push(
            Diagnostic::error(
                "SA00056",
                cx.file,
                activity.tag_span,
                format!(
                    "{} may run before the process instance is created: only start activities, <scope>, <flow> and <sequence> may come before or beside {}",
                    capitalize(&describe(activity)),
                    describe(start)
                ),
            )
            .with_related(cx.file, start.tag_span, "the start activity (createInstance=\"yes\")")
            .with_help("move the activity after the start activity, so that it runs once the instance exists"),
        );
    }
}

/// An `onAlarm` branch of a start `<pick>`: SA00062 forbids it outright.
fn is_start_pick_alarm(process: &Process, id: ActivityId) -> bool {
    matches!(process.placement(id), Placement::PickOnAlarm(_))
        && process.activity(id).parent.is_some_and(|parent| is_start_activity(&process.activity(parent).kind))
}

/// Whether a start activity is the first thing the process does: reached from the process's
/// activity through first items of sequences and bodies of scopes only. Everything else in the body
/// then comes after it (links only add waiting), the common shape that needs no graph.
fn starts_everything(process: &Process) -> bool {
    let mut current = process.activity;
    while let Some(id) = current {
        let kind = &process.activity(id).kind;
        current = match kind {
            _ if is_start_activity(kind) => return true,
            ActivityKind::Sequence(items) => items.first().copied(),
            ActivityKind::Scope(scope) => scope.activity,
            _ => return false,
        };
    }
    false
}

/// The events after which the instance created by `start` exists: the start activity's end and, for
/// a `<pick>`, the start of each branch (the message has arrived).
fn created_events(process: &Process, start: ActivityId) -> Vec<usize> {
    let mut out = vec![event(start, Event::End)];
    if let ActivityKind::Pick(pick) = &process.activity(start).kind {
        out.extend(pick.on_messages.iter().filter_map(|m| m.activity).map(|branch| event(branch, Event::Start)));
    }
    out
}

/// The starts of the targets of links that leave a handler. Such a link is settled when its source
/// in the handler completes, or when the handler's scope ends without running it: either way after
/// the scope's body ran, and a body that could run before the instance exists is reported itself.
fn links_out_of_handlers<'t>(table: &'t LinkTable<'_>, in_body: &'t [bool]) -> impl Iterator<Item = usize> + 't {
    table
        .links
        .iter()
        .filter(|link| link.sources.iter().any(|&s| !in_body[table.ends[s].activity.0 as usize]))
        .flat_map(|link| link.targets.iter().map(|&t| event(table.ends[t].activity, Event::Start)))
}

/// Which activities belong to the process's main activity rather than to a handler.
fn main_body(process: &Process) -> Vec<bool> {
    let handler_roots = handler_roots(process);
    let mut out: Vec<bool> = Vec::with_capacity(process.activities.len());
    for activity in &process.activities {
        let inside = match activity.parent {
            None => process.activity == Some(activity.id),
            Some(parent) => out.get(parent.0 as usize).copied().unwrap_or(false) && !handler_roots[activity.id.0 as usize],
        };
        out.push(inside);
    }
    out
}
