//! Message exchanges pair a `<reply>` with the inbound message activity it answers: the name must
//! resolve to a messageExchange declared in a scope around both, and both must use it (SA00061).

use super::support::{placements, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::resolve::{undeclared, DeclId};
use crate::span::Span;

pub(super) const SA00061: Rule = Rule {
    code: "SA00061",
    tier: Tier::Process,
    summary: "a messageExchange must be declared in a scope enclosing both the <reply> and the activity that received the request",
    why: "A message exchange ties a <reply> to the receive, onMessage or onEvent whose request it \
          answers. Both must name the same one (or both none, for the default exchange), declared in \
          a scope that encloses both.",
    failing: r#"<receive partnerLink="client" operation="ask" variable="q" createInstance="yes"/>
<reply partnerLink="client" operation="ask" variable="a" messageExchange="question"/>"#,
    fixed: r#"<messageExchanges><messageExchange name="question"/></messageExchanges>
...
<receive partnerLink="client" operation="ask" variable="q" createInstance="yes" messageExchange="question"/>
<reply partnerLink="client" operation="ask" variable="a" messageExchange="question"/>"#,
    check: check_message_exchanges,
};

/// Which message exchange an activity uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exchange {
    /// A declared messageExchange.
    Declared(DeclId),
    /// The default exchange of the process (`None`), or of the associated scope of an onEvent or
    /// the scope of a parallel forEach.
    Default(Option<ActivityId>),
    /// A name that resolves to nothing (reported as such).
    Unresolved,
}

/// What a partner link reference stands for: its declaration, else its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PartnerLinkKey<'p> {
    Declared(DeclId),
    Named(&'p str),
}

/// A receive, onMessage or onEvent, or a reply: what pairs them.
struct Endpoint<'p> {
    partner_link: Option<PartnerLinkKey<'p>>,
    operation: Option<&'p str>,
    exchange: Exchange,
    /// Where to point at: the messageExchange attribute or the element's name.
    span: Span,
    tag: Span,
    element: &'static str,
    name: Option<&'p Name>,
}

impl Endpoint<'_> {
    fn description(&self) -> String {
        match self.name {
            Some(name) => format!("<{}> `{}`", self.element, name.value),
            None => format!("the <{}>", self.element),
        }
    }
}

fn check_message_exchanges(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for reference in cx.symbols.unresolved_for_rule("SA00061") {
        let message = format!("message exchange `{}` is not declared in any scope around this activity", reference.name);
        let help = "declare it in <messageExchanges> of a scope (or the process) that encloses both the reply and the activity that received the request";
        out.push(undeclared(reference, "SA00061", cx.file, message, help.to_string()));
    }
    let (inbound, replies) = endpoints(cx);
    for reply in &replies {
        if reply.exchange == Exchange::Unresolved || reply.operation.is_none() {
            continue;
        }
        let answered =
            inbound.iter().any(|i| i.partner_link == reply.partner_link && i.operation == reply.operation && i.exchange == reply.exchange);
        if !answered {
            out.push(unpaired(cx, reply, &inbound));
        }
    }
}

fn unpaired(cx: &RuleContext<'_>, reply: &Endpoint<'_>, inbound: &[Endpoint<'_>]) -> Diagnostic {
    let operation = reply.operation.unwrap_or("");
    let exchange = match reply.exchange {
        Exchange::Default(None) => "the process's default message exchange".to_string(),
        Exchange::Default(Some(scope)) => match &cx.process.activity(scope).name {
            Some(name) => format!("the default message exchange of scope `{}`", name.value),
            None => "the default message exchange of its event handler or parallel forEach scope".to_string(),
        },
        _ => format!("message exchange `{}`", reply.span.slice(cx.text)),
    };
    let mut diagnostic = Diagnostic::error(
        "SA00061",
        cx.file,
        reply.span,
        format!(
            "{} answers `{operation}` on {exchange}, but no receive, onMessage or onEvent in reach uses it for that operation",
            reply.description()
        ),
    )
    .with_help("give the reply and the activity that received the request the same messageExchange (or none), declared in a scope that encloses both");
    let same_operation = inbound.iter().filter(|i| i.partner_link == reply.partner_link && i.operation == reply.operation);
    for other in same_operation.take(3) {
        diagnostic = diagnostic.with_related(
            cx.file,
            other.tag,
            format!("{} receives `{operation}` on another message exchange", other.description()),
        );
    }
    diagnostic
}

fn endpoints<'p>(cx: &RuleContext<'p>) -> (Vec<Endpoint<'p>>, Vec<Endpoint<'p>>) {
    let process = cx.process;
    let mut inbound = Vec::new();
    let mut replies = Vec::new();
    for on_event in super::support::scope_decls(process).flat_map(|(_, d)| d.event_handlers.iter().flat_map(|h| &h.on_events)) {
        let tag = tag_name(cx.text, on_event.span);
        inbound.push(endpoint(cx, &on_event.message, on_event.scope, tag, "onEvent", None));
    }
    for activity in &process.activities {
        let name = activity.name.as_ref();
        match &activity.kind {
            ActivityKind::Receive(receive) => {
                let holder = default_holder(process, activity.id);
                inbound.push(endpoint(cx, &receive.message, holder, activity.tag_span, "receive", name));
            }
            ActivityKind::Pick(pick) => {
                let holder = default_holder(process, activity.id);
                for on_message in &pick.on_messages {
                    let tag = tag_name(cx.text, on_message.span);
                    inbound.push(endpoint(cx, &on_message.message, holder, tag, "onMessage", None));
                }
            }
            ActivityKind::Reply(reply) => {
                let holder = default_holder(process, activity.id);
                replies.push(endpoint(cx, &reply.message, holder, activity.tag_span, "reply", name));
            }
            _ => {}
        }
    }
    (inbound, replies)
}

fn endpoint<'p>(
    cx: &RuleContext<'p>,
    message: &'p MessageSpec,
    holder: Option<ActivityId>,
    tag: Span,
    element: &'static str,
    name: Option<&'p Name>,
) -> Endpoint<'p> {
    let partner_link = message.partner_link.as_ref().map(|link| match cx.symbols.reference_at(link.span).and_then(|r| r.target) {
        Some(id) => PartnerLinkKey::Declared(id),
        None => PartnerLinkKey::Named(link.value.as_str()),
    });
    let (exchange, span) = match &message.message_exchange {
        Some(exchange) => match cx.symbols.reference_at(exchange.span).and_then(|r| r.target) {
            Some(id) => (Exchange::Declared(id), exchange.span),
            None => (Exchange::Unresolved, exchange.span),
        },
        None => (Exchange::Default(holder), tag),
    };
    Endpoint { partner_link, operation: message.operation.as_ref().map(|o| o.value.as_str()), exchange, span, tag, element, name }
}

/// The scope whose default message exchange an activity uses: the associated scope of the
/// onEvent or the scope of the parallel forEach it stands in, else the process (`None`).
fn default_holder(process: &Process, id: ActivityId) -> Option<ActivityId> {
    placements(process, id).find_map(|(child, holder, placement)| {
        let parallel_for_each = holder.is_some_and(|h| match &process.activity(h).kind {
            ActivityKind::ForEach(for_each) => for_each.parallel.as_ref().is_some_and(|p| p.value),
            _ => false,
        });
        (matches!(placement, Placement::OnEvent(_)) || parallel_for_each).then_some(child)
    })
}
