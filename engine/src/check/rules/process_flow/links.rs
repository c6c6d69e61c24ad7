//! Links: declared once per flow (SA00064), used only inside the flow that declares them (SA00065),
//! with one source and one target (SA00066), at most one per pair of activities (SA00067), named
//! once per activity (SA00068, SA00069), and never entering a loop, an event handler, a compensation
//! handler (SA00070) or a fault or termination handler (SA00071).

use std::collections::HashMap;

use super::super::{Rule, RuleContext, Tier};
use super::{capitalize, describe, handler_tag, is_handler, is_within, removal_span};
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::{ActivityId, ActivityKind, Link, Name, Placement, Process};
use crate::span::Span;

/// Whether a reference is a `<source>` or a `<target>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Source,
    Target,
}

impl Role {
    fn tag(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Target => "target",
        }
    }
}

/// A `<link>` of a flow, with the `<source>` and `<target>` elements that resolve to it.
pub(super) struct DeclaredLink<'p> {
    pub flow: ActivityId,
    pub decl: &'p Link,
    pub name: Option<&'p Name>,
    /// The earlier link of the same name in the same flow, when this one repeats it (SA00064):
    /// references resolve to the earlier one.
    pub repeats: Option<usize>,
    /// Indices into [`LinkTable::ends`].
    pub sources: Vec<usize>,
    pub targets: Vec<usize>,
}

/// A `<source>` or `<target>` element.
pub(super) struct LinkEnd<'p> {
    pub activity: ActivityId,
    pub role: Role,
    pub name: &'p Name,
    /// The link it resolves to, in the nearest enclosing flow that declares the name.
    pub link: Option<usize>,
}

/// Every link of a process and every use of one, resolved.
pub(super) struct LinkTable<'p> {
    pub links: Vec<DeclaredLink<'p>>,
    pub ends: Vec<LinkEnd<'p>>,
}

impl<'p> LinkTable<'p> {
    pub fn new(process: &'p Process) -> LinkTable<'p> {
        let mut table = LinkTable { links: Vec::new(), ends: Vec::new() };
        // The index of the first link of each flow, by activity.
        let mut first_link: HashMap<ActivityId, usize> = HashMap::new();
        for activity in &process.activities {
            if let ActivityKind::Flow(flow) = &activity.kind {
                first_link.insert(activity.id, table.links.len());
                table.declare(activity.id, &flow.links);
            }
            let targets = activity.targets.iter().flat_map(|t| &t.targets).map(|t| (Role::Target, &t.link_name));
            let sources = activity.sources.iter().flat_map(|s| &s.sources).map(|s| (Role::Source, &s.link_name));
            for (role, name) in targets.chain(sources) {
                let Some(name) = name else { continue };
                let link = resolve(process, &first_link, activity.id, &name.value);
                table.use_link(LinkEnd { activity: activity.id, role, name, link });
            }
        }
        table
    }

    fn declare(&mut self, flow: ActivityId, links: &'p [Link]) {
        let start = self.links.len();
        for decl in links {
            let name = decl.name.as_ref();
            let repeats = name.and_then(|name| {
                self.links[start..].iter().position(|earlier| earlier.name.is_some_and(|n| n.value == name.value)).map(|i| start + i)
            });
            self.links.push(DeclaredLink { flow, decl, name, repeats, sources: Vec::new(), targets: Vec::new() });
        }
    }

    fn use_link(&mut self, end: LinkEnd<'p>) {
        let index = self.ends.len();
        if let Some(link) = end.link.and_then(|link| self.links.get_mut(link)) {
            match end.role {
                Role::Source => link.sources.push(index),
                Role::Target => link.targets.push(index),
            }
        }
        self.ends.push(end);
    }

    /// The distinct activities that are the source (or target) of `link`, in document order.
    pub fn activities(&self, link: &DeclaredLink<'_>, role: Role) -> Vec<ActivityId> {
        let ends = match role {
            Role::Source => &link.sources,
            Role::Target => &link.targets,
        };
        let mut out: Vec<ActivityId> = ends.iter().map(|&e| self.ends[e].activity).collect();
        out.dedup();
        out
    }

    pub fn link_name(&self, link: usize) -> &str {
        self.links[link].name.map_or("", |n| n.value.as_str())
    }
}

/// The link named `name` in the nearest flow enclosing `activity` that declares one.
fn resolve(process: &Process, first_link: &HashMap<ActivityId, usize>, activity: ActivityId, name: &str) -> Option<usize> {
    process.ancestors(activity).find_map(|ancestor| {
        let ActivityKind::Flow(flow) = &process.activity(ancestor).kind else { return None };
        let position = flow.links.iter().position(|link| link.name.as_ref().is_some_and(|n| n.value == name))?;
        Some(first_link.get(&ancestor)? + position)
    })
}

fn flow_phrase(process: &Process, flow: ActivityId) -> String {
    match &process.activity(flow).name {
        Some(name) if !name.value.is_empty() => format!("<flow> `{}`", name.value),
        _ => "its <flow>".to_string(),
    }
}

fn removal(cx: &RuleContext<'_>, title: String, span: Span) -> Fix {
    Fix { title, edits: vec![TextEdit { file: cx.file, span: removal_span(cx.text, span), replacement: String::new() }] }
}

// ---------------------------------------------------------------------------------------------
// SA00064

pub(super) const SA00064: Rule = Rule {
    code: "SA00064",
    tier: Tier::Process,
    summary: "A link name must be unique among the links of its <flow>.",
    why: "A <source> or <target> names its link; two links of one name in the same flow would make that \
          reference ambiguous.",
    failing: r#"<flow>
  <links>
    <link name="toShip"/>
    <link name="toShip"/>
  </links>
  ...
</flow>"#,
    fixed: r#"<flow>
  <links>
    <link name="toShip"/>
  </links>
  ...
</flow>"#,
    check: check_unique_link_names,
};

fn check_unique_link_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    for link in &table.links {
        let (Some(first), Some(name)) = (link.repeats, link.name) else { continue };
        let first_name = table.links[first].name.map_or(table.links[first].decl.span, |n| n.span);
        out.push(
            Diagnostic::error(
                "SA00064",
                cx.file,
                name.span,
                format!("link `{}` is declared twice in {}", name.value, flow_phrase(cx.process, link.flow)),
            )
            .with_related(cx.file, first_name, "first declared here")
            .with_help("rename one of the two links, or remove the duplicate")
            .with_fix(removal(cx, format!("Remove the duplicate link `{}`", name.value), link.decl.span)),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SA00065

pub(super) const SA00065: Rule = Rule {
    code: "SA00065",
    tier: Tier::Process,
    summary: "The linkName of a <source> or <target> must name a link declared in an enclosing <flow>.",
    why: "A link belongs to the flow that declares it and only synchronizes activities inside that flow; \
          a name that no enclosing flow declares connects to nothing.",
    failing: r#"<flow>
  <links><link name="toShip"/></links>
  <invoke name="Bill">
    <sources><source linkName="toShipping"/></sources>
  </invoke>
  <invoke name="Ship">
    <targets><target linkName="toShip"/></targets>
  </invoke>
</flow>"#,
    fixed: r#"<flow>
  <links><link name="toShip"/></links>
  <invoke name="Bill">
    <sources><source linkName="toShip"/></sources>
  </invoke>
  <invoke name="Ship">
    <targets><target linkName="toShip"/></targets>
  </invoke>
</flow>"#,
    check: check_declared_links,
};

fn check_declared_links(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    for end in table.ends.iter().filter(|end| end.link.is_none() && !end.name.value.is_empty()) {
        let name = &end.name.value;
        let mut diagnostic = Diagnostic::error(
            "SA00065",
            cx.file,
            end.name.span,
            format!("link `{name}` is not declared in any <flow> enclosing this <{}>", end.role.tag()),
        );
        let elsewhere = table.links.iter().find(|link| link.name.is_some_and(|n| &n.value == name));
        diagnostic = match elsewhere.and_then(|link| link.name) {
            Some(declared) => diagnostic
                .with_related(
                    cx.file,
                    declared.span,
                    "a link of this name is declared here, in a <flow> that does not enclose the activity",
                )
                .with_help("a link can only connect activities inside the <flow> that declares it: move the activity into that flow"),
            None => diagnostic.with_help(format!("declare <link name=\"{name}\"/> in the <links> of a <flow> that encloses this activity")),
        };
        out.push(diagnostic);
    }
}

// ---------------------------------------------------------------------------------------------
// SA00066

pub(super) const SA00066: Rule = Rule {
    code: "SA00066",
    tier: Tier::Process,
    summary: "Every link of a <flow> must have exactly one source activity and exactly one target activity.",
    why: "A link carries the status of one activity to one other: without a source its target would wait \
          forever, without a target its status goes nowhere, and with two sources or targets it is not \
          one edge of the flow's graph.",
    failing: r#"<flow>
  <links><link name="toShip"/></links>
  <invoke name="Bill">
    <sources><source linkName="toShip"/></sources>
  </invoke>
  <invoke name="Ship"/>
</flow>"#,
    fixed: r#"<flow>
  <links><link name="toShip"/></links>
  <invoke name="Bill">
    <sources><source linkName="toShip"/></sources>
  </invoke>
  <invoke name="Ship">
    <targets><target linkName="toShip"/></targets>
  </invoke>
</flow>"#,
    check: check_link_ends,
};

fn check_link_ends(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    for link in table.links.iter().filter(|link| link.repeats.is_none()) {
        let Some(name) = link.name else { continue };
        let sources = table.activities(link, Role::Source);
        let targets = table.activities(link, Role::Target);
        let flow = flow_phrase(cx.process, link.flow);
        if sources.is_empty() && targets.is_empty() {
            out.push(
                Diagnostic::error(
                    "SA00066",
                    cx.file,
                    name.span,
                    format!("link `{}` is never used: no activity in {flow} is its source or its target", name.value),
                )
                .with_help("give the link a source and a target, or remove it")
                .with_fix(removal(cx, format!("Remove the unused link `{}`", name.value), link.decl.span)),
            );
            continue;
        }
        for (role, activities) in [(Role::Source, &sources), (Role::Target, &targets)] {
            if let Some(diagnostic) = end_count_problem(cx, &table, link, name, role, activities, &flow) {
                out.push(diagnostic);
            }
        }
    }
}

fn end_count_problem(
    cx: &RuleContext<'_>,
    table: &LinkTable<'_>,
    link: &DeclaredLink<'_>,
    name: &Name,
    role: Role,
    activities: &[ActivityId],
    flow: &str,
) -> Option<Diagnostic> {
    let tag = role.tag();
    match activities {
        [] => Some(
            Diagnostic::error(
                "SA00066",
                cx.file,
                name.span,
                format!("link `{}` has no {tag}: no activity in {flow} has a <{tag} linkName=\"{}\"/>", name.value, name.value),
            )
            .with_help(format!(
                "add <{tag} linkName=\"{}\"/> to the <{tag}s> of the activity the link should {}",
                name.value,
                if role == Role::Source { "leave" } else { "reach" }
            )),
        ),
        [_] => None,
        [first, rest @ ..] => {
            let listed: Vec<String> = activities.iter().map(|&a| describe(cx.process.activity(a))).collect();
            let mut diagnostic = Diagnostic::error(
                "SA00066",
                cx.file,
                name.span,
                format!("link `{}` has {} {tag}s ({}); a link has exactly one", name.value, activities.len(), listed.join(", ")),
            )
            .with_help(format!("declare one link per connection: give each extra {tag} a link of its own"));
            let ends = if role == Role::Source { &link.sources } else { &link.targets };
            for &end in ends.iter().filter(|&&e| rest.contains(&table.ends[e].activity) && table.ends[e].activity != *first) {
                diagnostic = diagnostic.with_related(cx.file, table.ends[end].name.span, format!("another {tag} of `{}`", name.value));
            }
            Some(diagnostic)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SA00067

pub(super) const SA00067: Rule = Rule {
    code: "SA00067",
    tier: Tier::Process,
    summary: "At most one link may connect the same source and target activities.",
    why: "Two links between the same two activities say the same thing twice; their transition conditions \
          belong in one link.",
    failing: r#"<invoke name="Bill">
  <sources>
    <source linkName="paid"/>
    <source linkName="alsoPaid"/>
  </sources>
</invoke>
<invoke name="Ship">
  <targets>
    <target linkName="paid"/>
    <target linkName="alsoPaid"/>
  </targets>
</invoke>"#,
    fixed: r#"<invoke name="Bill">
  <sources><source linkName="paid"/></sources>
</invoke>
<invoke name="Ship">
  <targets><target linkName="paid"/></targets>
</invoke>"#,
    check: check_distinct_connections,
};

fn check_distinct_connections(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    // (source activity, target activity) -> the first <source> connecting them.
    let mut connections: HashMap<(ActivityId, ActivityId), usize> = HashMap::new();
    for (index, end) in table.ends.iter().enumerate() {
        let (Role::Source, Some(link)) = (end.role, end.link) else { continue };
        for target in table.activities(&table.links[link], Role::Target) {
            let first = *connections.entry((end.activity, target)).or_insert(index);
            let Some(first_link) = table.ends[first].link.filter(|&l| l != link) else { continue };
            let source_activity = cx.process.activity(end.activity);
            out.push(
                Diagnostic::error(
                    "SA00067",
                    cx.file,
                    end.name.span,
                    format!(
                        "links `{}` and `{}` both connect {} to {}; at most one link may join two activities",
                        table.link_name(first_link),
                        table.link_name(link),
                        describe(source_activity),
                        describe(cx.process.activity(target)),
                    ),
                )
                .with_related(cx.file, table.ends[first].name.span, "the first link between them")
                .with_help("keep one link and merge the transition conditions into it"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SA00068, SA00069

pub(super) const SA00068: Rule = Rule {
    code: "SA00068",
    tier: Tier::Process,
    summary: "The <source> elements of an activity must name distinct links.",
    why: "An activity is the source of a link once; a second <source> for the same link is a duplicate \
          whose transition condition would compete with the first.",
    failing: r#"<invoke name="Bill">
  <sources>
    <source linkName="paid"/>
    <source linkName="paid"/>
  </sources>
</invoke>"#,
    fixed: r#"<invoke name="Bill">
  <sources>
    <source linkName="paid"/>
  </sources>
</invoke>"#,
    check: check_distinct_sources,
};

pub(super) const SA00069: Rule = Rule {
    code: "SA00069",
    tier: Tier::Process,
    summary: "The <target> elements of an activity must name distinct links.",
    why: "An activity is the target of a link once; a second <target> for the same link is a duplicate \
          and makes the join condition's link status ambiguous.",
    failing: r#"<invoke name="Ship">
  <targets>
    <target linkName="paid"/>
    <target linkName="paid"/>
  </targets>
</invoke>"#,
    fixed: r#"<invoke name="Ship">
  <targets>
    <target linkName="paid"/>
  </targets>
</invoke>"#,
    check: check_distinct_targets,
};

fn check_distinct_sources(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_distinct_names(cx, out, Role::Source, "SA00068");
}

fn check_distinct_targets(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_distinct_names(cx, out, Role::Target, "SA00069");
}

fn check_distinct_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>, role: Role, code: &'static str) {
    let tag = role.tag();
    for activity in &cx.process.activities {
        let ends: Vec<(&Name, Span)> = match role {
            Role::Source => {
                activity.sources.iter().flat_map(|s| &s.sources).filter_map(|s| Some((s.link_name.as_ref()?, s.span))).collect()
            }
            Role::Target => {
                activity.targets.iter().flat_map(|t| &t.targets).filter_map(|t| Some((t.link_name.as_ref()?, t.span))).collect()
            }
        };
        for (i, (name, element)) in ends.iter().enumerate() {
            let Some((first, _)) = ends[..i].iter().find(|(earlier, _)| earlier.value == name.value) else { continue };
            out.push(
                Diagnostic::error(
                    code,
                    cx.file,
                    name.span,
                    format!("{} names link `{}` in two <{tag}> elements", capitalize(&describe(activity)), name.value),
                )
                .with_related(cx.file, first.span, format!("the first <{tag}> of `{}`", name.value))
                .with_fix(removal(cx, format!("Remove the duplicate <{tag}>"), *element)),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SA00070, SA00071

pub(super) const SA00070: Rule = Rule {
    code: "SA00070",
    tier: Tier::Process,
    summary: "A link must not cross the boundary of a <while>, <repeatUntil>, <forEach>, event handler or \
              <compensationHandler>.",
    why: "The body of a loop or a handler may run many times, or never, or long after the flow finished; \
          a link from inside to outside (or back) would have no single status to carry. Links used inside \
          such a construct must be declared by a flow inside it.",
    failing: r#"<flow>
  <links><link name="next"/></links>
  <while>
    <condition>$more</condition>
    <invoke name="Fetch">
      <sources><source linkName="next"/></sources>
    </invoke>
  </while>
  <invoke name="Report">
    <targets><target linkName="next"/></targets>
  </invoke>
</flow>"#,
    fixed: r#"<sequence>
  <while>
    <condition>$more</condition>
    <invoke name="Fetch"/>
  </while>
  <invoke name="Report"/>
</sequence>"#,
    check: check_repeatable_boundaries,
};

pub(super) const SA00071: Rule = Rule {
    code: "SA00071",
    tier: Tier::Process,
    summary: "A link crossing a <catch>, <catchAll> or <terminationHandler> boundary must be outbound: \
              source inside the handler, target outside the handler's scope.",
    why: "A fault or termination handler runs only when its scope fails or is terminated, after the \
          scope's own activities stopped; an activity inside it cannot wait for a link from outside, and \
          a link out of it may only reach activities that still run, outside that scope.",
    failing: r#"<flow>
  <links><link name="done"/></links>
  <scope name="Work">
    <faultHandlers>
      <catchAll>
        <invoke name="Alert">
          <targets><target linkName="done"/></targets>
        </invoke>
      </catchAll>
    </faultHandlers>
    ...
  </scope>
  <invoke name="Audit">
    <sources><source linkName="done"/></sources>
  </invoke>
</flow>"#,
    fixed: r#"<flow>
  <links><link name="done"/></links>
  <scope name="Work">
    <faultHandlers>
      <catchAll>
        <invoke name="Alert">
          <sources><source linkName="done"/></sources>
        </invoke>
      </catchAll>
    </faultHandlers>
    ...
  </scope>
  <invoke name="Audit">
    <targets><target linkName="done"/></targets>
  </invoke>
</flow>"#,
    check: check_handler_boundaries,
};

/// A boundary between an activity and the flow that declares its link.
#[derive(Clone, Copy)]
enum Boundary {
    /// The body of a `while`, `repeatUntil` or `forEach`: the activity is the loop.
    Loop(ActivityId),
    /// A handler of a scope or invoke (`None`: of the process).
    Handler(Placement, Option<ActivityId>),
}

impl Boundary {
    fn repeatable(self) -> bool {
        match self {
            Boundary::Loop(_) => true,
            Boundary::Handler(placement, _) => {
                matches!(placement, Placement::CompensationHandler | Placement::OnEvent(_) | Placement::EventOnAlarm(_))
            }
        }
    }

    fn describe(self, process: &Process) -> String {
        match self {
            Boundary::Loop(id) => describe(process.activity(id)),
            Boundary::Handler(placement, owner) => format!("the <{}> of {}", handler_tag(placement), owner_phrase(process, owner)),
        }
    }
}

/// The boundaries crossed on the way from `activity` up to `flow` (exclusive), innermost first.
fn crossings(process: &Process, activity: ActivityId, flow: ActivityId) -> Vec<Boundary> {
    let mut out = Vec::new();
    let mut current = activity;
    while current != flow {
        let placement = process.placement(current);
        let parent = process.activity(current).parent;
        if is_handler(placement) {
            out.push(Boundary::Handler(placement, parent));
        }
        let Some(parent) = parent else { break };
        if matches!(process.activity(parent).kind, ActivityKind::While(_) | ActivityKind::RepeatUntil(_) | ActivityKind::ForEach(_)) {
            out.push(Boundary::Loop(parent));
        }
        current = parent;
    }
    out
}

fn owner_phrase(process: &Process, owner: Option<ActivityId>) -> String {
    owner.map_or_else(|| "the process".to_string(), |id| describe(process.activity(id)))
}

fn check_repeatable_boundaries(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    for end in &table.ends {
        let Some(link) = end.link else { continue };
        let declared = &table.links[link];
        let Some(boundary) = crossings(cx.process, end.activity, declared.flow).into_iter().find(|b| b.repeatable()) else { continue };
        let what = boundary.describe(cx.process);
        let mut diagnostic = Diagnostic::error(
            "SA00070",
            cx.file,
            end.name.span,
            format!("link `{}` crosses the boundary of {what}: its <{}> is inside, but the link is declared outside", end.name.value, end.role.tag()),
        )
        .with_help(format!("links used inside a loop, an event handler or a compensation handler must be declared by a <flow> inside it; declare the link there, or move both ends outside {what}"));
        if let Some(name) = declared.name {
            diagnostic = diagnostic.with_related(cx.file, name.span, "the link is declared here");
        }
        out.push(diagnostic);
    }
}

fn check_handler_boundaries(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let table = LinkTable::new(cx.process);
    for end in &table.ends {
        let Some(link) = end.link else { continue };
        let declared = &table.links[link];
        for boundary in crossings(cx.process, end.activity, declared.flow) {
            let Boundary::Handler(Placement::Catch(_) | Placement::CatchAll | Placement::TerminationHandler, owner) = boundary else {
                continue;
            };
            let handler = boundary.describe(cx.process);
            let problem = match end.role {
                Role::Target => {
                    Some(format!("link `{}` enters {handler}: a link may only leave a fault or termination handler", end.name.value))
                }
                Role::Source => inbound_target(cx.process, &table, declared, owner).map(|target| {
                    format!(
                        "link `{}` leaves {handler} but its target {} is inside that {}; it must lead outside",
                        end.name.value,
                        describe(cx.process.activity(target)),
                        owner.map_or("process", |o| cx.process.activity(o).kind.tag()),
                    )
                }),
            };
            if let Some(message) = problem {
                let mut diagnostic = Diagnostic::error("SA00071", cx.file, end.name.span, message)
                    .with_help("make the activity inside the handler the link's source, and put its target outside the handler's scope");
                if let Some(name) = declared.name {
                    diagnostic = diagnostic.with_related(cx.file, name.span, "the link is declared here");
                }
                out.push(diagnostic);
                break;
            }
        }
    }
}

/// A target of `link` inside the scope (or invoke) `owner` whose handler the link leaves.
fn inbound_target(process: &Process, table: &LinkTable<'_>, link: &DeclaredLink<'_>, owner: Option<ActivityId>) -> Option<ActivityId> {
    let owner = owner?;
    table.activities(link, Role::Target).into_iter().find(|&target| is_within(process, target, owner))
}
