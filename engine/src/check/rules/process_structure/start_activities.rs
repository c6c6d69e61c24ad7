//! The activities that create process instances: there is one (SA00015), several of them agree on
//! a correlation set (SA00057), and a creating pick waits for messages only (SA00062).

use super::support::{add_attribute, replace, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::span::Span;

pub(super) const SA00015: Rule = Rule {
    code: "SA00015",
    tier: Tier::Process,
    summary: "a process must have a <receive> or <pick> with createInstance=\"yes\"",
    why: "An instance of an executable process is created when a message arrives for a start \
          activity; without one, no instance can ever be created.",
    failing: r#"<sequence>
  <receive partnerLink="client" operation="order" variable="order"/>
  ...
</sequence>"#,
    fixed: r#"<sequence>
  <receive partnerLink="client" operation="order" variable="order" createInstance="yes"/>
  ...
</sequence>"#,
    check: check_has_start_activity,
};

fn create_instance(activity: &Activity) -> Option<Option<&crate::span::Spanned<bool>>> {
    match &activity.kind {
        ActivityKind::Receive(receive) => Some(receive.create_instance.as_ref()),
        ActivityKind::Pick(pick) => Some(pick.create_instance.as_ref()),
        _ => None,
    }
}

fn check_has_start_activity(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    let candidates: Vec<(&Activity, Option<&crate::span::Spanned<bool>>)> =
        process.activities.iter().filter_map(|a| Some((a, create_instance(a)?))).collect();
    if candidates.iter().any(|(_, flag)| flag.is_some_and(|f| f.value)) {
        return;
    }
    let mut diagnostic = Diagnostic::error(
        "SA00015",
        cx.file,
        tag_name(cx.text, process.span),
        "the process has no start activity: no <receive> or <pick> has createInstance=\"yes\"",
    )
    .with_help("set createInstance=\"yes\" on the <receive> or <pick> that starts the process");
    if let Some(&(first, flag)) = candidates.first() {
        let tag = first.kind.tag();
        let title = format!("Set createInstance=\"yes\" on the first <{tag}>");
        let fix = match flag {
            Some(flag) => replace(cx.file, flag.span, "yes", title),
            None => add_attribute(cx.file, first.tag_span, "createInstance", "yes", title),
        };
        diagnostic = diagnostic.with_related(cx.file, first.tag_span, format!("the first <{tag}>")).with_fix(fix);
    }
    out.push(diagnostic);
}

pub(super) const SA00057: Rule = Rule {
    code: "SA00057",
    tier: Tier::Process,
    summary: "several start activities that use correlation sets must share one, with initiate=\"join\" on all",
    why: "When a process can be started by several messages, the later ones must find the instance the \
          first one created: they do so through a correlation set that all of them join.",
    failing: r#"<flow>
  <receive createInstance="yes" operation="order" ...>
    <correlations><correlation set="deal" initiate="yes"/></correlations>
  </receive>
  <receive createInstance="yes" operation="payment" ...>
    <correlations><correlation set="deal" initiate="join"/></correlations>
  </receive>
</flow>"#,
    fixed: r#"<flow>
  <receive createInstance="yes" operation="order" ...>
    <correlations><correlation set="deal" initiate="join"/></correlations>
  </receive>
  <receive createInstance="yes" operation="payment" ...>
    <correlations><correlation set="deal" initiate="join"/></correlations>
  </receive>
</flow>"#,
    check: check_start_correlations,
};

/// A message event that can create the instance: a creating receive, or an onMessage of a creating pick.
struct StartEvent<'p> {
    tag: Span,
    description: String,
    correlations: &'p [Correlation],
}

fn start_events<'p>(cx: &RuleContext<'p>) -> (usize, Vec<StartEvent<'p>>) {
    let mut activities = 0;
    let mut events = Vec::new();
    for activity in &cx.process.activities {
        match &activity.kind {
            ActivityKind::Receive(receive) if receive.create_instance.as_ref().is_some_and(|c| c.value) => {
                activities += 1;
                events.push(StartEvent {
                    tag: activity.tag_span,
                    description: describe("receive", activity.name.as_ref(), &receive.message),
                    correlations: &receive.correlations,
                });
            }
            ActivityKind::Pick(pick) if pick.create_instance.as_ref().is_some_and(|c| c.value) => {
                activities += 1;
                events.extend(pick.on_messages.iter().map(|on_message| StartEvent {
                    tag: tag_name(cx.text, on_message.span),
                    description: describe("onMessage", None, &on_message.message),
                    correlations: &on_message.correlations,
                }));
            }
            _ => {}
        }
    }
    (activities, events)
}

fn describe(tag: &str, name: Option<&Name>, message: &MessageSpec) -> String {
    match (name, &message.operation) {
        (Some(name), _) => format!("<{tag}> `{}`", name.value),
        (None, Some(operation)) => format!("the <{tag}> for `{}`", operation.value),
        (None, None) => format!("a <{tag}>"),
    }
}

/// What identifies a correlation set: the declaration it resolves to, else its name.
fn set_key(cx: &RuleContext<'_>, set: &Name) -> String {
    match cx.symbols.reference_at(set.span).and_then(|r| r.target) {
        Some(id) => format!("#{}", id.0),
        None => set.value.clone(),
    }
}

fn check_start_correlations(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (activities, events) = start_events(cx);
    if activities < 2 || events.len() < 2 || events.iter().all(|e| e.correlations.is_empty()) {
        return;
    }
    let keys: Vec<Vec<String>> =
        events.iter().map(|e| e.correlations.iter().filter_map(|c| Some(set_key(cx, c.set.as_ref()?))).collect()).collect();
    let common: Vec<&String> = keys[0].iter().filter(|key| keys.iter().all(|k| k.contains(key))).collect();
    if common.is_empty() {
        out.push(no_shared_set(cx, &events, &keys));
        return;
    }
    for (event, event_keys) in events.iter().zip(&keys) {
        for (correlation, key) in event.correlations.iter().filter(|c| c.set.is_some()).zip(event_keys) {
            if common.contains(&key) && correlation.initiate.as_ref().map(|i| i.value) != Some(Initiate::Join) {
                out.push(not_joined(cx, event, correlation));
            }
        }
    }
}

fn no_shared_set(cx: &RuleContext<'_>, events: &[StartEvent<'_>], keys: &[Vec<String>]) -> Diagnostic {
    let reference = keys.iter().position(|k| !k.is_empty()).unwrap_or(0);
    let odd = (0..events.len())
        .find(|&i| i != reference && !keys[i].iter().any(|k| keys[reference].contains(k)))
        .unwrap_or(if reference == 0 { 1 } else { 0 });
    let (event, other) = (&events[odd], &events[reference]);
    Diagnostic::error(
        "SA00057",
        cx.file,
        event.tag,
        format!("{} and {} can both create the instance but share no correlation set", event.description, other.description),
    )
    .with_related(cx.file, other.tag, format!("{} starts the process too", other.description))
    .with_help("when several activities can start the process, all of them must use one common correlation set with initiate=\"join\"")
}

fn not_joined(cx: &RuleContext<'_>, event: &StartEvent<'_>, correlation: &Correlation) -> Diagnostic {
    let set = correlation.set.as_ref().map_or("", |s| s.value.as_str());
    let (span, written, fix) = match &correlation.initiate {
        Some(initiate) => {
            let written = initiate.span.slice(cx.text).to_string();
            (initiate.span, written, replace(cx.file, initiate.span, "join", "Set initiate=\"join\""))
        }
        None => {
            let set_span = correlation.set.as_ref().map_or(correlation.span, |s| s.span);
            let after_set = Span::new(set_span.start as usize, set_span.end as usize + 1);
            (set_span, "no".to_string(), add_attribute(cx.file, after_set, "initiate", "join", "Add initiate=\"join\""))
        }
    };
    Diagnostic::error(
        "SA00057",
        cx.file,
        span,
        format!(
            "correlation set `{set}` is shared by all start activities, so {} must join it (initiate=\"join\"), not initiate=\"{written}\"",
            event.description
        ),
    )
    .with_help("whichever start message comes first creates the instance; the others must join the same correlation")
    .with_fix(fix)
}

pub(super) const SA00062: Rule = Rule {
    code: "SA00062",
    tier: Tier::Process,
    summary: "a <pick> with createInstance=\"yes\" must not have an <onAlarm>",
    why: "A creating pick waits for the message that creates the instance; before that there is no \
          instance whose clock an alarm could follow.",
    failing: r#"<pick createInstance="yes">
  <onMessage partnerLink="client" operation="order" variable="order">...</onMessage>
  <onAlarm><for>'PT1H'</for><exit/></onAlarm>
</pick>"#,
    fixed: r#"<pick createInstance="yes">
  <onMessage partnerLink="client" operation="order" variable="order">...</onMessage>
</pick>"#,
    check: check_creating_pick_alarms,
};

fn check_creating_pick_alarms(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Pick(pick) = &activity.kind else { continue };
        let Some(create) = pick.create_instance.as_ref().filter(|c| c.value) else { continue };
        for alarm in &pick.on_alarms {
            out.push(
                Diagnostic::error(
                    "SA00062",
                    cx.file,
                    tag_name(cx.text, alarm.span),
                    "a <pick> with createInstance=\"yes\" cannot have an <onAlarm>",
                )
                .with_related(cx.file, create.span, "this pick creates the instance")
                .with_help("move the timeout to a later <pick> (without createInstance) or an event handler"),
            );
        }
    }
}
