//! SA00056: nothing but start activities, `<scope>`, `<flow>` and `<sequence>` may run before or
//! beside the start activity that creates the process instance.
//!
//! An activity is fine when some start activity must have completed before it starts (it follows
//! one in a sequence, through a link, or sits in a start `<pick>`'s branch): by then the instance
//! exists. With several start activities (all `initiate="join"`), one having completed is enough:
//! the others then act as plain receives. Handlers are left out: they run only once their scope
//! runs, and an event handler of the process only after the instance was created.
//!
//! Seen from each start activity, the rule also says where one may stand: enclosed only by
//! sequences, flows, scopes and start picks, in no handler, and after nothing but start activities,
//! scopes, flows and sequences (see [`report_misplaced_starts`]).

use super::super::{Rule, RuleContext, Tier};
use super::graph::{event, Event, Graph};
use super::links::LinkTable;
use super::{capitalize, describe, handler_roots, handler_tag, is_handler, is_within, tag_name_span};
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityId, ActivityKind, Placement, Process};

pub(super) const SA00056: Rule = Rule {
    code: "SA00056",
    tier: Tier::Process,
    summary: "Only start activities, <scope>, <flow> and <sequence> may run before or in parallel with a start activity.",
    why: "A process instance is created by the message its start activity receives. Anything else that could \
          run before that message, or beside the start activity, would run in an instance that does not \
          exist yet. So a start activity cannot stand in a handler, nor inside an <if>, a loop or a <pick> \
          that is not itself a start activity, nor after (in a <sequence>, or as the target of a link) an \
          activity other than a start activity, <scope>, <flow> or <sequence>.",
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
    // The common shape needs no graph: one start activity that the process begins with.
    if starts.is_empty() || (starts.len() == 1 && starts_everything(process)) {
        return;
    }
    let table = LinkTable::new(process);
    let graph = Graph::events(process, &table);
    let in_body = main_body(process);
    let too_early = report_activities_before_creation(cx, &starts, &table, &graph, &in_body, out);
    report_misplaced_starts(cx, &starts, &graph, &in_body, &too_early, out);
}

/// Reports the activities that may run before any instance exists; returns which ones were found
/// (the children of a reported activity are found but not reported again).
fn report_activities_before_creation(
    cx: &RuleContext<'_>,
    starts: &[ActivityId],
    table: &LinkTable<'_>,
    graph: &Graph,
    in_body: &[bool],
    out: &mut Vec<Diagnostic>,
) -> Vec<bool> {
    let process = cx.process;
    let mut reported = vec![false; process.activities.len()];
    let Some(&first_start) = starts.first() else { return reported };
    if starts_everything(process) {
        return reported;
    }
    let seeds = starts.iter().flat_map(|&start| created_events(process, start)).chain(links_out_of_handlers(table, in_body));
    let after_creation = graph.reachable(seeds);
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
    reported
}

/// Reports each start activity that stands where it cannot be one. WS-BPEL 2.0 §10.4 defines a
/// start activity as a `<receive>` or `<pick>` with createInstance="yes" and says: "Activities other
/// than the following: start activities, `<scope>`, `<flow>` and `<sequence>` MUST NOT be performed
/// prior to or simultaneously with start activities" (SA00056). So a start activity may be enclosed
/// only by those (an `<if>`, a loop or a non-start `<pick>` is performed before it), may not stand
/// in a handler (which runs only inside an existing instance), and nothing else, `<empty>`
/// included, may precede it: not in a `<sequence>`, nor as the source of a link it waits for,
/// nor inside a `<scope>` or `<flow>` that precedes it. Activities already reported as running
/// before the instance exists are not reported again through the start activity they precede.
fn report_misplaced_starts(
    cx: &RuleContext<'_>,
    starts: &[ActivityId],
    graph: &Graph,
    in_body: &[bool],
    too_early: &[bool],
    out: &mut Vec<Diagnostic>,
) {
    let process = cx.process;
    let mut encloses_start = vec![false; process.activities.len()];
    for &start in starts {
        for ancestor in process.ancestors(start) {
            encloses_start[ancestor.0 as usize] = true;
        }
    }
    // The activities that may not come before a start activity, other than its enclosing ones
    // (reported as such): each labels every event it happens before, the nearest one winning.
    let culprits = process.activities.iter().filter(|a| {
        let index = a.id.0 as usize;
        in_body[index] && !may_precede_start(&a.kind) && !too_early[index] && !encloses_start[index]
    });
    let preceded_by = graph.nearest_before(culprits.map(|a| (event(a.id, Event::Start), a.id)));
    for &start in starts {
        if let Some(diagnostic) = misplaced_in(cx, start, too_early) {
            out.push(diagnostic);
        } else if let Some(&Some(culprit)) = preceded_by.get(event(start, Event::Start)) {
            if !is_within(process, culprit, start) {
                out.push(preceded_start(cx, start, culprit));
            }
        }
    }
}

/// The diagnostic for a start activity in a handler, or enclosed by an activity that is performed
/// before it and is neither a `<scope>`, a `<flow>`, a `<sequence>` nor a start activity.
fn misplaced_in(cx: &RuleContext<'_>, start: ActivityId, too_early: &[bool]) -> Option<Diagnostic> {
    let process = cx.process;
    let activity = process.activity(start);
    let mut child = start;
    loop {
        let placement = process.placement(child);
        let parent = process.activity(child).parent;
        if is_handler(placement) {
            let holder = parent.map_or_else(|| "the process".to_string(), |p| describe(process.activity(p)));
            let span = parent.map_or_else(|| tag_name_span(cx.text, process.span), |p| process.activity(p).tag_span);
            return Some(
                Diagnostic::error(
                    "SA00056",
                    cx.file,
                    activity.tag_span,
                    format!(
                        "{} cannot be a start activity: it stands in {} of {holder}, and handlers run only in a process instance that already exists",
                        capitalize(&describe(activity)),
                        with_article(handler_tag(placement))
                    ),
                )
                .with_related(cx.file, span, "the handler belongs to this activity")
                .with_help("remove createInstance=\"yes\" (the handler receives in the running instance), or move the activity into the process's main activity"),
            );
        }
        let parent = parent?;
        let enclosing = process.activity(parent);
        let encloses_start = match &enclosing.kind {
            ActivityKind::Sequence(_) | ActivityKind::Flow(_) | ActivityKind::Scope(_) => true,
            kind => is_start_activity(kind),
        };
        if !encloses_start && !too_early[parent.0 as usize] {
            return Some(
                Diagnostic::error(
                    "SA00056",
                    cx.file,
                    activity.tag_span,
                    format!(
                        "{} cannot be a start activity inside {}: only start activities, <scope>, <flow> and <sequence> may be performed before it",
                        capitalize(&describe(activity)),
                        describe(enclosing)
                    ),
                )
                .with_related(cx.file, enclosing.tag_span, format!("this <{}> is performed before the start activity", enclosing.kind.tag()))
                .with_help("move the start activity out of it, or remove createInstance=\"yes\""),
            );
        }
        child = parent;
    }
}

/// `a <catch>`, `an <onAlarm>`.
fn with_article(tag: &str) -> String {
    let article = if tag.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} <{tag}>")
}

/// The diagnostic for a start activity that `culprit` must precede (in a sequence, through a link,
/// or from inside an activity that does).
fn preceded_start(cx: &RuleContext<'_>, start: ActivityId, culprit: ActivityId) -> Diagnostic {
    let (activity, culprit) = (cx.process.activity(start), cx.process.activity(culprit));
    Diagnostic::error(
        "SA00056",
        cx.file,
        activity.tag_span,
        format!(
            "{} cannot be a start activity: {} is performed before it, and only start activities, <scope>, <flow> and <sequence> may be",
            capitalize(&describe(activity)),
            describe(culprit)
        ),
    )
    .with_related(cx.file, culprit.tag_span, "performed before the start activity")
    .with_help("make the start activity the first thing the process does, or remove createInstance=\"yes\"")
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::check::analyze_text;
    use crate::parse::Loader;

    /// A process of `tests/sa/SA00056` (so that `shop.wsdl` resolves) with `body` as its activity.
    fn process(body: &str) -> String {
        format!(
            r#"<process name="P" targetNamespace="urn:p" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable" xmlns:shop="http://example.com/bpel/tests/shop">
  <import namespace="http://example.com/bpel/tests/shop" location="shop.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>
  <partnerLinks><partnerLink name="client" partnerLinkType="shop:ShopLinkType" myRole="shop"/></partnerLinks>
  <variables>
    <variable name="request" messageType="shop:OrderRequest"/>
    <variable name="response" messageType="shop:OrderResponse"/>
  </variables>
  {body}
</process>"#
        )
    }

    const FIRST: &str = r#"<receive name="First" createInstance="yes" partnerLink="client" operation="order" variable="request"/>"#;
    const SECOND: &str = r#"<receive name="Second" createInstance="yes" partnerLink="client" operation="cancel" variable="request"/>"#;
    const PLAIN: &str = r#"<receive name="Second" partnerLink="client" operation="cancel" variable="request"/>"#;

    /// The SA00056 diagnostics of `body`: the text of the element each one is at, and its related notes.
    fn sa00056(body: &str) -> Vec<(String, Vec<String>)> {
        let text = process(body);
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/sa/SA00056/Test.bpel");
        let analysis = analyze_text(&mut Loader::new(), &path, text.as_str());
        // Spans are tag names: read from the `<` before them.
        let from_tag = |span: crate::span::Span| -> String {
            text.get(span.start.saturating_sub(1) as usize..).unwrap_or_default().chars().take(24).collect()
        };
        analysis
            .diagnostics()
            .iter()
            .filter(|d| d.code == "SA00056")
            .map(|d| (from_tag(d.span), d.related.iter().map(|r| format!("{}: {}", from_tag(r.span), r.message)).collect()))
            .collect()
    }

    /// A start activity `SECOND` placed by `place` after a first one is reported at its own tag,
    /// with `culprit` (the start of the related location's text); `PLAIN` in its place is not.
    fn reported_at_start(place: impl Fn(&str) -> String, culprit: &str) {
        let found = sa00056(&format!("<sequence>{FIRST}{}</sequence>", place(SECOND)));
        assert_eq!(found.len(), 1, "{found:#?}");
        let (at, related) = &found[0];
        assert!(at.starts_with(r#"<receive name="Second""#), "reported at {at}");
        assert!(related.iter().any(|r| r.starts_with(culprit)), "related {related:?}, expected {culprit}");
        let plain = sa00056(&format!("<sequence>{FIRST}{}</sequence>", place(PLAIN)));
        assert!(plain.is_empty(), "a receive without createInstance there: {plain:#?}");
    }

    #[test]
    fn a_start_activity_inside_an_if_or_a_loop_is_reported() {
        reported_at_start(|r| format!("<if><condition>true()</condition>{r}</if>"), "<if>");
        reported_at_start(|r| format!("<if><condition>true()</condition><empty/><else>{r}</else></if>"), "<if>");
        reported_at_start(|r| format!("<while><condition>false()</condition>{r}</while>"), "<while>");
        reported_at_start(|r| format!("<repeatUntil>{r}<condition>true()</condition></repeatUntil>"), "<repeatUntil>");
        reported_at_start(
            |r| {
                format!(
                    r#"<forEach counterName="i" parallel="yes"><startCounterValue>1</startCounterValue><finalCounterValue>2</finalCounterValue><scope>{r}</scope></forEach>"#
                )
            },
            "<forEach",
        );
    }

    #[test]
    fn a_start_activity_in_a_pick_that_does_not_start_the_process_is_reported() {
        let on_message =
            |r: &str| format!(r#"<pick><onMessage partnerLink="client" operation="cancel" variable="request">{r}</onMessage></pick>"#);
        reported_at_start(on_message, "<pick>");
        let on_alarm = |r: &str| {
            format!(
                r#"<pick><onMessage partnerLink="client" operation="cancel" variable="request"><empty/></onMessage><onAlarm><for>'PT1S'</for>{r}</onAlarm></pick>"#
            )
        };
        reported_at_start(on_alarm, "<pick>");
    }

    #[test]
    fn a_start_activity_in_a_handler_is_reported() {
        reported_at_start(
            |r| format!("<scope><faultHandlers><catch faultName=\"shop:late\">{r}</catch></faultHandlers><empty/></scope>"),
            "<scope>",
        );
        reported_at_start(|r| format!("<scope><faultHandlers><catchAll>{r}</catchAll></faultHandlers><empty/></scope>"), "<scope>");
        reported_at_start(|r| format!("<scope><compensationHandler>{r}</compensationHandler><empty/></scope>"), "<scope>");
        reported_at_start(|r| format!("<scope><terminationHandler>{r}</terminationHandler><empty/></scope>"), "<scope>");
        reported_at_start(
            |r| format!("<scope><eventHandlers><onAlarm><for>'PT1S'</for><scope>{r}</scope></onAlarm></eventHandlers><empty/></scope>"),
            "<scope>",
        );
        let on_event = |r: &str| {
            format!(
                r#"<scope><eventHandlers><onEvent partnerLink="client" operation="cancel" messageType="shop:OrderRequest" variable="late"><scope>{r}</scope></onEvent></eventHandlers><empty/></scope>"#
            )
        };
        reported_at_start(on_event, "<scope>");
        // An event handler of the process itself.
        let found = sa00056(&format!(
            "<eventHandlers><onAlarm><for>'PT1S'</for><scope>{SECOND}</scope></onAlarm></eventHandlers><sequence>{FIRST}</sequence>"
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].0.starts_with(r#"<receive name="Second""#), "{found:#?}");
        assert!(found[0].1[0].starts_with("<process name="), "{found:#?}");
    }

    #[test]
    fn a_start_activity_after_another_activity_is_reported() {
        reported_at_start(|r| format!("<empty name=\"Idle\"/>{r}"), "<empty name=\"Idle\"");
        reported_at_start(|r| format!("<scope><sequence><empty name=\"Idle\"/></sequence></scope>{r}"), "<empty name=\"Idle\"");
        reported_at_start(|r| format!("<sequence><flow><empty name=\"Idle\"/></flow>{r}</sequence>"), "<empty name=\"Idle\"");
    }

    #[test]
    fn a_start_activity_waiting_for_a_link_from_another_activity_is_reported() {
        let linked = |source: &str| {
            let target = SECOND.replace("/>", "><targets><target linkName=\"l\"/></targets></receive>");
            format!(r#"<flow><links><link name="l"/></links>{source}{target}</flow>"#)
        };
        let found = sa00056(&format!(
            "<sequence>{FIRST}{}</sequence>",
            linked(r#"<empty name="Idle"><sources><source linkName="l"/></sources></empty>"#)
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].0.starts_with(r#"<receive name="Second""#) && found[0].1[0].starts_with("<empty name=\"Idle\""), "{found:#?}");
        // A link from a start activity, or from a scope holding only one, may lead to a start activity.
        let from_start = FIRST.replace("/>", "><sources><source linkName=\"l\"/></sources></receive>");
        assert_eq!(sa00056(&linked(&from_start)), vec![]);
        assert_eq!(sa00056(&linked(&format!("<scope><sources><source linkName=\"l\"/></sources>{FIRST}</scope>"))), vec![]);
        // The target being a scope that encloses the start activity changes nothing.
        let scope_target = format!(
            r#"<flow><links><link name="l"/></links><empty name="Idle"><sources><source linkName="l"/></sources></empty><scope><targets><target linkName="l"/></targets>{SECOND}</scope></flow>"#
        );
        let found = sa00056(&format!("<sequence>{FIRST}{scope_target}</sequence>"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].0.starts_with(r#"<receive name="Second""#), "{found:#?}");
    }

    #[test]
    fn start_activities_may_follow_start_activities_scopes_flows_and_sequences() {
        assert_eq!(sa00056(&format!("<sequence>{FIRST}{SECOND}</sequence>")), vec![]);
        assert_eq!(sa00056(&format!("<sequence><scope><flow>{FIRST}</flow></scope><sequence>{SECOND}</sequence></sequence>")), vec![]);
        assert_eq!(sa00056(&format!("<flow>{FIRST}<scope>{SECOND}</scope></flow>")), vec![]);
        // In a branch of a start pick: the pick is a start activity.
        let pick = format!(
            r#"<pick createInstance="yes"><onMessage partnerLink="client" operation="order" variable="request">{SECOND}</onMessage></pick>"#
        );
        assert_eq!(sa00056(&pick), vec![]);
    }

    #[test]
    fn an_activity_already_reported_before_the_only_start_is_not_reported_again_at_it() {
        let found = sa00056(&format!("<sequence><empty name=\"Idle\"/>{SECOND}</sequence>"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].0.starts_with("<empty name=\"Idle\""), "{found:#?}");
        let found = sa00056(&format!("<if><condition>true()</condition>{SECOND}</if>"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].0.starts_with("<if>"), "{found:#?}");
    }
}
