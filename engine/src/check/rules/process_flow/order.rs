//! Cycles: links must not make an activity wait for itself (SA00072), and peer scopes must not
//! depend on each other both ways (SA00082).

use std::collections::BTreeSet;

use super::super::{Rule, RuleContext, Tier};
use super::graph::{event, Event, Graph};
use super::links::LinkTable;
use super::{capitalize, describe, name_or_tag_span};
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityId, ActivityKind, Process};

pub(super) const SA00072: Rule = Rule {
    code: "SA00072",
    tier: Tier::Process,
    summary: "Links must not create a control cycle.",
    why: "A link's target starts only after its source completed. If the target must itself come first \
          (it precedes the source in a sequence, encloses it, or links to it), neither can ever run: the \
          flow deadlocks.",
    failing: r#"<flow>
  <links>
    <link name="AtoB"/>
    <link name="BtoA"/>
  </links>
  <invoke name="A">
    <targets><target linkName="BtoA"/></targets>
    <sources><source linkName="AtoB"/></sources>
  </invoke>
  <invoke name="B">
    <targets><target linkName="AtoB"/></targets>
    <sources><source linkName="BtoA"/></sources>
  </invoke>
</flow>"#,
    fixed: r#"<flow>
  <links>
    <link name="AtoB"/>
  </links>
  <invoke name="A">
    <sources><source linkName="AtoB"/></sources>
  </invoke>
  <invoke name="B">
    <targets><target linkName="AtoB"/></targets>
  </invoke>
</flow>"#,
    check: check_control_cycles,
};

/// The links of `table` that lie on a cycle of `graph`, grouped by cycle, in document order.
fn cyclic_links(graph: &Graph) -> Vec<Vec<usize>> {
    let component = graph.components();
    let mut cycles: Vec<(u32, Vec<usize>)> = Vec::new();
    for edge in &graph.link_edges {
        if component[edge.from] != component[edge.to] {
            continue;
        }
        let id = component[edge.from];
        match cycles.iter_mut().find(|(c, _)| *c == id) {
            Some((_, links)) if !links.contains(&edge.link) => links.push(edge.link),
            Some(_) => {}
            None => cycles.push((id, vec![edge.link])),
        }
    }
    cycles
        .into_iter()
        .map(|(_, mut links)| {
            links.sort_unstable();
            links
        })
        .collect()
}

fn check_control_cycles(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    if table.links.is_empty() {
        return;
    }
    let graph = Graph::events(cx.process, &table);
    for cycle in cyclic_links(&graph) {
        let Some(&first) = cycle.first() else { continue };
        let link = &table.links[first];
        let Some(name) = link.name else { continue };
        let message = match cycle.as_slice() {
            [_] => single_link_cycle(cx.process, &table, first),
            _ => {
                let names: Vec<String> = cycle.iter().map(|&l| format!("`{}`", table.link_name(l))).collect();
                let activities: Vec<String> =
                    cycle_activities(&table, &cycle).into_iter().map(|a| describe(cx.process.activity(a))).collect();
                format!(
                    "links {} form a control cycle through {}: each of them waits, through the others, for itself",
                    join_and(&names),
                    join_and(&activities)
                )
            }
        };
        let mut diagnostic = Diagnostic::error("SA00072", cx.file, name.span, message)
            .with_help("remove or reverse one of the links on the cycle, so that every link points forward in the flow");
        for &other in &cycle[1..] {
            if let Some(other_name) = table.links[other].name {
                diagnostic = diagnostic.with_related(cx.file, other_name.span, format!("link `{}` is on the same cycle", other_name.value));
            }
        }
        out.push(diagnostic);
    }
}

/// The sources and targets of `links`, in document order, each once.
fn cycle_activities(table: &LinkTable<'_>, links: &[usize]) -> Vec<ActivityId> {
    let mut out: Vec<ActivityId> = links
        .iter()
        .flat_map(|&l| table.links[l].sources.iter().chain(&table.links[l].targets))
        .map(|&end| table.ends[end].activity)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn single_link_cycle(process: &Process, table: &LinkTable<'_>, link: usize) -> String {
    let declared = &table.links[link];
    let name = table.link_name(link);
    let source = table.activities(declared, super::links::Role::Source);
    let target = table.activities(declared, super::links::Role::Target);
    match (source.first(), target.first()) {
        (Some(s), Some(t)) if s == t => {
            format!("link `{name}` has {} as both source and target: it would wait for itself", describe(process.activity(*s)))
        }
        (Some(s), Some(t)) => format!(
            "link `{name}` creates a control cycle: its target {} cannot start before its source {} completes, which waits for the target",
            describe(process.activity(*t)),
            describe(process.activity(*s)),
        ),
        _ => format!("link `{name}` creates a control cycle"),
    }
}

pub(super) const SA00082: Rule = Rule {
    code: "SA00082",
    tier: Tier::Process,
    summary: "Peer scopes must not depend on each other both ways through links.",
    why: "Completed scopes are compensated in the reverse order of their completion, which links decide: a \
          scope that a link leaves must complete before the scope that link enters. If links run both ways \
          between two scopes of the same parent, neither order holds and default compensation is undefined.",
    failing: r#"<flow>
  <links><link name="AtoB"/><link name="BtoA"/></links>
  <scope name="Left">
    <sequence>
      <invoke name="A1"><sources><source linkName="AtoB"/></sources></invoke>
      <invoke name="A2"><targets><target linkName="BtoA"/></targets></invoke>
    </sequence>
  </scope>
  <scope name="Right">
    <invoke name="B"><targets><target linkName="AtoB"/></targets>
      <sources><source linkName="BtoA"/></sources></invoke>
  </scope>
</flow>"#,
    fixed: r#"<flow>
  <links><link name="AtoB"/><link name="BtoA2"/></links>
  <scope name="Left">
    <invoke name="A1"><sources><source linkName="AtoB"/></sources></invoke>
  </scope>
  <scope name="Right">
    <invoke name="B"><targets><target linkName="AtoB"/></targets>
      <sources><source linkName="BtoA2"/></sources></invoke>
  </scope>
  <invoke name="A2"><targets><target linkName="BtoA2"/></targets></invoke>
</flow>"#,
    check: check_peer_scope_cycles,
};

/// For every activity, its nearest enclosing `<scope>` (`None`: the process).
fn enclosing_scopes(process: &Process) -> Vec<Option<ActivityId>> {
    let mut out: Vec<Option<ActivityId>> = Vec::with_capacity(process.activities.len());
    for activity in &process.activities {
        // Parents come before their children in the arena.
        let scope = activity.parent.and_then(|parent| match process.activity(parent).kind {
            ActivityKind::Scope(_) => Some(parent),
            _ => out.get(parent.0 as usize).copied().flatten(),
        });
        out.push(scope);
    }
    out
}

fn check_peer_scope_cycles(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    if table.links.is_empty() {
        return;
    }
    let process = cx.process;
    let scopes = enclosing_scopes(process);
    // The scope levels whose peers some link connects: the scope enclosing the link's flow.
    let levels: BTreeSet<Option<ActivityId>> = table
        .links
        .iter()
        .filter(|link| !link.sources.is_empty() && !link.targets.is_empty())
        .map(|link| scopes[link.flow.0 as usize])
        .collect();
    let mut fine_cycles: Option<Vec<usize>> = None;
    for level in levels {
        let representative = representatives(process, &scopes, level);
        let is_peer = |id: ActivityId| matches!(process.activity(id).kind, ActivityKind::Scope(_));
        let graph = Graph::build(process, &table, process.activities.len() * 2, |id, e| {
            let unit = representative[id.0 as usize]?;
            // A peer scope is one node: it starts and ends as a whole.
            Some(if is_peer(unit) { event(unit, Event::Start) } else { event(unit, e) })
        });
        let component = graph.components();
        for peers in peer_cycles(process, &representative, &component) {
            let links: Vec<usize> = links_within(&graph, &component, component[event(peers[0], Event::Start)]);
            // A cycle of the activities themselves is SA00072's to report.
            let fine = fine_cycles.get_or_insert_with(|| cyclic_links(&Graph::events(process, &table)).concat());
            if links.iter().any(|l| fine.contains(l)) {
                continue;
            }
            out.push(peer_cycle_diagnostic(cx, &table, &peers, &links));
        }
    }
}

/// For each activity, the unit that stands for it at `level`: itself if its nearest enclosing scope
/// is `level`, else the peer scope (a scope directly under `level`) that encloses it; `None` outside.
fn representatives(process: &Process, scopes: &[Option<ActivityId>], level: Option<ActivityId>) -> Vec<Option<ActivityId>> {
    let mut out: Vec<Option<ActivityId>> = Vec::with_capacity(process.activities.len());
    for activity in &process.activities {
        let unit = if scopes[activity.id.0 as usize] == level {
            Some(activity.id)
        } else {
            activity.parent.and_then(|parent| out.get(parent.0 as usize).copied().flatten())
        };
        out.push(unit);
    }
    out
}

/// The groups of two or more peer scopes that lie on one cycle, each group in document order.
fn peer_cycles(process: &Process, representative: &[Option<ActivityId>], component: &[u32]) -> Vec<Vec<ActivityId>> {
    let mut groups: Vec<(u32, Vec<ActivityId>)> = Vec::new();
    for activity in &process.activities {
        let id = activity.id;
        if representative[id.0 as usize] != Some(id) || !matches!(activity.kind, ActivityKind::Scope(_)) {
            continue;
        }
        let c = component[event(id, Event::Start)];
        match groups.iter_mut().find(|(g, _)| *g == c) {
            Some((_, members)) => members.push(id),
            None => groups.push((c, vec![id])),
        }
    }
    groups.into_iter().map(|(_, members)| members).filter(|members| members.len() > 1).collect()
}

/// The links whose edge lies inside component `c`.
fn links_within(graph: &Graph, component: &[u32], c: u32) -> Vec<usize> {
    let mut links: Vec<usize> =
        graph.link_edges.iter().filter(|e| component[e.from] == c && component[e.to] == c).map(|e| e.link).collect();
    links.sort_unstable();
    links.dedup();
    links
}

fn peer_cycle_diagnostic(cx: &RuleContext<'_>, table: &LinkTable<'_>, peers: &[ActivityId], links: &[usize]) -> Diagnostic {
    let process = cx.process;
    let names: Vec<String> = peers.iter().map(|&p| describe(process.activity(p))).collect();
    let link_names: Vec<String> = links.iter().map(|&l| format!("`{}`", table.link_name(l))).collect();
    let names = join_and(&names);
    let link_names = join_and(&link_names);
    let first = process.activity(peers[0]);
    let mut diagnostic = Diagnostic::error(
        "SA00082",
        cx.file,
        name_or_tag_span(first),
        format!(
            "{} depend on each other through links {}: each would have to complete before the other starts",
            capitalize(&names),
            link_names
        ),
    )
    .with_help("let the links between these sibling scopes run one way only, or move the linked activities out of the scopes");
    for &peer in &peers[1..] {
        diagnostic = diagnostic.with_related(cx.file, name_or_tag_span(process.activity(peer)), "the other scope of the cycle");
    }
    for &link in links {
        if let Some(name) = table.links[link].name {
            diagnostic = diagnostic.with_related(cx.file, name.span, format!("link `{}`", name.value));
        }
    }
    diagnostic
}
