//! SA00060: where two inbound message activities (IMAs) on the same partner link and operation
//! can be open at once, each pair of IMA and `<reply>` must be marked with a `messageExchange`.
//!
//! Only request-response operations count (some `<reply>` answers them), and only IMAs without a
//! messageExchange, in the same implicit default exchange (the process's, or that of an `onEvent`
//! scope or a parallel `forEach` scope, which each instance gets anew). Two IMAs are reported when
//! one must have received its message before the other starts, and every reply that could answer
//! it comes only after the other one received too: two requests are then certainly open together.
//! IMAs that may wait side by side (in parallel flow branches) are left to the runtime, which the
//! standard gives faults for (`bpel:conflictingReceive`, `bpel:ambiguousReceive`); so are IMAs in
//! exclusive branches of an `<if>` or `<pick>`, and IMAs in different handlers.

use std::collections::HashMap;

use super::super::{Rule, RuleContext, Tier};
use super::graph::{event, Event, Graph};
use super::links::LinkTable;
use super::{capitalize, describe, handler_roots};
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityId, ActivityKind, MessageSpec, Placement, Process};
use crate::span::Span;

pub(super) const SA00060: Rule = Rule {
    code: "SA00060",
    tier: Tier::Process,
    summary: "A messageExchange must pair IMAs and replies where several on the same partner link and operation can be open at once.",
    why: "A <reply> finds the request it answers by partner link, operation and message exchange. If two \
          requests on the same operation can be waiting for their replies at the same time, only an \
          explicit messageExchange says which reply answers which.",
    failing: r#"<flow>
  <sequence>
    <receive partnerLink="client" operation="quote" variable="a"/>
    <reply partnerLink="client" operation="quote" variable="ra"/>
  </sequence>
  <sequence>
    <receive partnerLink="client" operation="quote" variable="b"/>
    <reply partnerLink="client" operation="quote" variable="rb"/>
  </sequence>
</flow>"#,
    fixed: r#"<messageExchanges>
  <messageExchange name="first"/>
  <messageExchange name="second"/>
</messageExchanges>
<flow>
  <sequence>
    <receive partnerLink="client" operation="quote" variable="a" messageExchange="first"/>
    <reply partnerLink="client" operation="quote" variable="ra" messageExchange="first"/>
  </sequence>
  <sequence>
    <receive partnerLink="client" operation="quote" variable="b" messageExchange="second"/>
    <reply partnerLink="client" operation="quote" variable="rb" messageExchange="second"/>
  </sequence>
</flow>"#,
    check: check_open_exchanges,
};

/// Where messages of one exchange meet: partner link, operation, and the scope owning the
/// implicit default messageExchange (`None`: the process).
type Key<'p> = (&'p str, &'p str, Option<ActivityId>);

/// An inbound message activity without a messageExchange: a `<receive>` or an `<onMessage>`.
struct Ima<'p> {
    /// The receive, or the pick of the onMessage.
    activity: ActivityId,
    /// Where it stands for exclusive branches: the receive, or the onMessage's own activity.
    position: ActivityId,
    start: usize,
    /// The node after which its message has arrived.
    received: usize,
    operation_span: Span,
    on_message: bool,
    key: Key<'p>,
}

fn check_open_exchanges(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let process = cx.process;
    if !may_reuse_an_operation(process) {
        return;
    }
    let places = Places::new(process);
    let (imas, replies) = collect(process, &places);
    let mut groups: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
    for (i, ima) in imas.iter().enumerate() {
        if replies.iter().any(|(key, _)| *key == ima.key) {
            groups.entry(ima.key).or_default().push(i);
        }
    }
    if !groups.values().any(|members| members.len() > 1) {
        return;
    }
    let table = LinkTable::new(process);
    let graph = Graph::events(process, &table);
    let mut reached: HashMap<usize, Vec<bool>> = HashMap::new();
    let mut conflicts: Vec<(usize, usize)> = Vec::new();
    for members in groups.values().filter(|members| members.len() > 1) {
        let group_replies: Vec<ActivityId> = replies.iter().filter(|(key, _)| *key == imas[members[0]].key).map(|(_, r)| *r).collect();
        for (n, &later) in members.iter().enumerate() {
            let conflict = members[..n].iter().find_map(|&earlier| {
                let (a, b) = (&imas[earlier], &imas[later]);
                let comparable = a.activity != b.activity
                    && places.region[a.position.0 as usize] == places.region[b.position.0 as usize]
                    && !exclusive(process, a.position, b.position);
                if !comparable {
                    return None;
                }
                let a_first = open_together(&graph, &mut reached, a, b, &group_replies)?;
                Some(if a_first { (earlier, later) } else { (later, earlier) })
            });
            conflicts.extend(conflict);
        }
    }
    conflicts.sort_unstable_by_key(|&(_, second)| imas[second].operation_span.start);
    for (first, second) in conflicts {
        out.push(diagnostic(cx, &imas[first], &imas[second]));
    }
}

/// Whether `a` and `b` certainly both hold a request that is not yet answered: `Some(true)` when `a`
/// received first, `Some(false)` when `b` did.
fn open_together(graph: &Graph, reached: &mut HashMap<usize, Vec<bool>>, a: &Ima<'_>, b: &Ima<'_>, replies: &[ActivityId]) -> Option<bool> {
    let a_then_b = reachable_from(graph, reached, a.received)[b.start];
    let b_then_a = reachable_from(graph, reached, b.received)[a.start];
    let second = match (a_then_b, b_then_a) {
        // Receives waiting side by side are the runtime's business (bpel:conflictingReceive,
        // bpel:ambiguousReceive): which one gets a message first is not known statically.
        (false, false) => return None,
        (true, _) => b,
        (false, true) => a,
    };
    // The first received before the second started: it is still open if every reply comes later.
    let after_second = reachable_from(graph, reached, second.received);
    replies.iter().all(|&reply| after_second[event(reply, Event::Start)]).then_some(a_then_b)
}

fn reachable_from<'r>(graph: &Graph, reached: &'r mut HashMap<usize, Vec<bool>>, node: usize) -> &'r [bool] {
    reached.entry(node).or_insert_with(|| graph.reachable([node]))
}

fn diagnostic(cx: &RuleContext<'_>, first: &Ima<'_>, second: &Ima<'_>) -> Diagnostic {
    let (partner_link, operation, _) = second.key;
    let name = |ima: &Ima<'_>| {
        let activity = describe(cx.process.activity(ima.activity));
        if ima.on_message {
            format!("the <onMessage> of {activity}")
        } else {
            activity
        }
    };
    Diagnostic::error(
        "SA00060",
        cx.file,
        second.operation_span,
        format!(
            "{} receives on partner link `{partner_link}`, operation `{operation}` while the request {} received is still waiting for its reply; without a messageExchange, a <reply> cannot tell which of the two it answers",
            capitalize(&name(second)),
            name(first)
        ),
    )
    .with_related(cx.file, first.operation_span, "the request still open")
    .with_help("declare <messageExchange>s in an enclosing scope and name one on each of these activities and on its <reply>")
}

/// Whether two IMAs without a messageExchange share a partner link and operation that some reply
/// answers: the cheap test before any analysis.
fn may_reuse_an_operation(process: &Process) -> bool {
    let mut imas: Vec<(&str, &str)> = Vec::new();
    let mut replies: Vec<(&str, &str)> = Vec::new();
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::Receive(receive) => imas.extend(plain(&receive.message)),
            ActivityKind::Pick(pick) => imas.extend(pick.on_messages.iter().filter_map(|m| plain(&m.message))),
            ActivityKind::Reply(reply) => replies.extend(plain(&reply.message)),
            _ => {}
        }
    }
    imas.sort_unstable();
    imas.windows(2).any(|pair| pair[0] == pair[1] && replies.contains(&pair[0]))
}

fn plain(message: &MessageSpec) -> Option<(&str, &str)> {
    key(message, None).map(|((partner_link, operation, _), _)| (partner_link, operation))
}

/// For every activity: the scope owning its default message exchange, and the handler it runs in.
struct Places {
    exchange_owner: Vec<Option<ActivityId>>,
    /// The activity that stands directly in the innermost handler around it (`None`: main body).
    region: Vec<Option<ActivityId>>,
}

impl Places {
    fn new(process: &Process) -> Places {
        let n = process.activities.len();
        let handler_roots = handler_roots(process);
        let mut places = Places { exchange_owner: Vec::with_capacity(n), region: Vec::with_capacity(n) };
        for activity in &process.activities {
            let id = activity.id;
            let parent_owner = activity.parent.and_then(|p| places.exchange_owner.get(p.0 as usize).copied().flatten());
            let parent_region = activity.parent.and_then(|p| places.region.get(p.0 as usize).copied().flatten());
            let owns_exchange = matches!(activity.kind, ActivityKind::Scope(_))
                && (activity.parent.is_some_and(|p| is_parallel_for_each(process, p))
                    || (handler_roots[id.0 as usize] && matches!(process.placement(id), Placement::OnEvent(_))));
            let in_handler = handler_roots[id.0 as usize] || (activity.parent.is_none() && process.activity != Some(id));
            places.exchange_owner.push(if owns_exchange { Some(id) } else { parent_owner });
            places.region.push(if in_handler { Some(id) } else { parent_region });
        }
        places
    }
}

fn is_parallel_for_each(process: &Process, id: ActivityId) -> bool {
    matches!(&process.activity(id).kind, ActivityKind::ForEach(for_each) if for_each.parallel.as_ref().is_some_and(|p| p.value))
}

/// The IMAs and replies without a messageExchange, with their keys.
#[allow(clippy::type_complexity)]
fn collect<'p>(process: &'p Process, places: &Places) -> (Vec<Ima<'p>>, Vec<(Key<'p>, ActivityId)>) {
    let mut imas = Vec::new();
    let mut replies = Vec::new();
    for activity in &process.activities {
        let id = activity.id;
        let owner = places.exchange_owner[id.0 as usize];
        match &activity.kind {
            ActivityKind::Receive(receive) => {
                if let Some((key, operation_span)) = key(&receive.message, owner) {
                    let received = event(id, Event::End);
                    imas.push(Ima {
                        activity: id,
                        position: id,
                        start: event(id, Event::Start),
                        received,
                        operation_span,
                        on_message: false,
                        key,
                    });
                }
            }
            ActivityKind::Pick(pick) => {
                for on_message in &pick.on_messages {
                    let Some((key, operation_span)) = key(&on_message.message, owner) else { continue };
                    let branch = on_message.activity;
                    let received = branch.map_or(event(id, Event::End), |b| event(b, Event::Start));
                    let position = branch.unwrap_or(id);
                    imas.push(Ima {
                        activity: id,
                        position,
                        start: event(id, Event::Start),
                        received,
                        operation_span,
                        on_message: true,
                        key,
                    });
                }
            }
            ActivityKind::Reply(reply) => {
                if let Some((key, _)) = key(&reply.message, owner) {
                    replies.push((key, id));
                }
            }
            _ => {}
        }
    }
    (imas, replies)
}

fn key(message: &MessageSpec, owner: Option<ActivityId>) -> Option<(Key<'_>, Span)> {
    if message.message_exchange.as_ref().is_some_and(|m| !m.value.is_empty()) {
        return None;
    }
    let partner_link = message.partner_link.as_ref()?;
    let operation = message.operation.as_ref()?;
    Some(((partner_link.value.as_str(), operation.value.as_str(), owner), operation.span))
}

/// Whether `a` and `b` stand in different branches of one `<if>` or `<pick>`.
fn exclusive(process: &Process, a: ActivityId, b: ActivityId) -> bool {
    let a_chain: Vec<ActivityId> = std::iter::once(a).chain(process.ancestors(a)).collect();
    let Some(common) = std::iter::once(b).chain(process.ancestors(b)).find(|x| a_chain.contains(x)) else { return false };
    common != a && common != b && matches!(process.activity(common).kind, ActivityKind::If(_) | ActivityKind::Pick(_))
}
