//! The messages of message activities against their WSDL operations: correlation patterns
//! (SA00046), which variables and parts an exchange needs (SA00047), variable types (SA00048,
//! SA00058, SA00087), and `toPart`/`fromPart` names (SA00050, SA00053, SA00054).

use super::{listing, replace, Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::{FromPart, Invoke, Name, ToPart};
use crate::model::wsdl::{Message, Operation, OperationMessage};
use crate::parse::loader::Def;
use crate::parse::Definitions;
use crate::resolve::{message_activities, start_tag_name, DeclaredType, MessageActivity, ProcessDefinitions};
use crate::span::Span;

pub(super) const SA00046: Rule = Rule {
    code: "SA00046",
    tier: Tier::Wsdl,
    summary: "An invoke's correlation has a pattern for a one-way operation, or none for a request-response one.",
    why: "On `<invoke>`, a correlation's `pattern` says which message it applies to: the request, the \
          response, or both. A one-way operation has only a request, so the pattern is meaningless there; \
          a request-response operation has two messages, so it must be said which one.",
    failing: r#"<invoke partnerLink="shipper" operation="ship" inputVariable="req" outputVariable="res">
  <correlations><correlation set="order" initiate="yes"/></correlations>
</invoke>"#,
    fixed: r#"<invoke partnerLink="shipper" operation="ship" inputVariable="req" outputVariable="res">
  <correlations><correlation set="order" initiate="yes" pattern="request"/></correlations>
</invoke>"#,
    check: check_correlation_patterns,
};

pub(super) const SA00047: Rule = Rule {
    code: "SA00047",
    tier: Tier::Wsdl,
    summary: "A message activity lacks the variable (or parts) its operation's message needs, or has parts for a message without any.",
    why: "Each message an operation exchanges must be taken from or put into something: a variable, or \
          `<toParts>`/`<fromParts>`. A one-way invoke sends only its input; a request-response invoke also \
          receives an output. A message without parts needs no variable, and has nothing for \
          `<toParts>`/`<fromParts>` to name.",
    failing: r#"<!-- startOrder is request-response -->
<invoke partnerLink="shop" operation="startOrder" inputVariable="req"/>"#,
    fixed: r#"<invoke partnerLink="shop" operation="startOrder" inputVariable="req" outputVariable="res"/>"#,
    check: check_exchanges,
};

pub(super) const SA00048: Rule = Rule {
    code: "SA00048",
    tier: Tier::Schema,
    summary: "An invoke's inputVariable or outputVariable does not have the type of the operation's message.",
    why: "The variables of an invoke hold the operation's input and output messages: each must be a \
          variable of that message type, or, when the message has exactly one part defined by an element, \
          a variable of that element.",
    failing: r#"<!-- ship: input tns:shipRequest -->
<variable name="req" messageType="tns:orderRequest"/>
<invoke partnerLink="shipper" operation="ship" inputVariable="req"/>"#,
    fixed: r#"<variable name="req" messageType="tns:shipRequest"/>
<invoke partnerLink="shipper" operation="ship" inputVariable="req"/>"#,
    check: check_invoke_variables,
};

pub(super) const SA00050: Rule = Rule {
    code: "SA00050",
    tier: Tier::Wsdl,
    summary: "`<toParts>` does not give every part of the message sent.",
    why: "`<toParts>` builds the whole message an invoke or reply sends, part by part; a part without a \
          `<toPart>` would be sent uninitialized.",
    failing: r#"<!-- message tns:address has parts street and city -->
<reply partnerLink="client" operation="lookup">
  <toParts><toPart part="street" fromVariable="street"/></toParts>
</reply>"#,
    fixed: r#"<reply partnerLink="client" operation="lookup">
  <toParts>
    <toPart part="street" fromVariable="street"/>
    <toPart part="city" fromVariable="city"/>
  </toParts>
</reply>"#,
    check: check_complete_to_parts,
};

pub(super) const SA00053: Rule = Rule {
    code: "SA00053",
    tier: Tier::Wsdl,
    summary: "A `<fromPart>` names a part the received message does not have.",
    why: "`<fromPart part=\"p\">` copies part `p` of the message received (the input of a receive, \
          onMessage or onEvent, the output of an invoke); a part the message does not define holds nothing.",
    failing: r#"<!-- message tns:orderRequest has the part order -->
<receive partnerLink="client" operation="order">
  <fromParts><fromPart part="ordr" toVariable="order"/></fromParts>
</receive>"#,
    fixed: r#"<receive partnerLink="client" operation="order">
  <fromParts><fromPart part="order" toVariable="order"/></fromParts>
</receive>"#,
    check: check_from_part_names,
};

pub(super) const SA00054: Rule = Rule {
    code: "SA00054",
    tier: Tier::Wsdl,
    summary: "A `<toPart>` names a part the sent message does not have.",
    why: "`<toPart part=\"p\">` fills part `p` of the message sent (the input of an invoke, the output \
          of a reply); the message must define that part.",
    failing: r#"<!-- message tns:orderResponse has the part confirmation -->
<reply partnerLink="client" operation="order">
  <toParts><toPart part="confirmaton" fromVariable="conf"/></toParts>
</reply>"#,
    fixed: r#"<reply partnerLink="client" operation="order">
  <toParts><toPart part="confirmation" fromVariable="conf"/></toParts>
</reply>"#,
    check: check_to_part_names,
};

pub(super) const SA00058: Rule = Rule {
    code: "SA00058",
    tier: Tier::Schema,
    summary: "A receive's (or onMessage's) or reply's variable does not have the type of the operation's message.",
    why: "A receive stores the operation's input message in its variable, a reply sends its variable as \
          the output message: the variable must be of that message type, or, when the message has exactly \
          one part defined by an element, of that element.",
    failing: r#"<!-- order: input tns:orderRequest -->
<variable name="req" messageType="tns:orderResponse"/>
<receive partnerLink="client" operation="order" variable="req" createInstance="yes"/>"#,
    fixed: r#"<variable name="req" messageType="tns:orderRequest"/>
<receive partnerLink="client" operation="order" variable="req" createInstance="yes"/>"#,
    check: check_receive_reply_variables,
};

pub(super) const SA00087: Rule = Rule {
    code: "SA00087",
    tier: Tier::Schema,
    summary: "An onEvent's messageType or element is not the type of the operation's input message.",
    why: "An onEvent declares its variable by `messageType` (or `element`); the event's message is \
          stored in it, so the type must be the operation's input message (or the element of its single \
          element part).",
    failing: r#"<!-- cancel: input tns:cancelRequest -->
<onEvent partnerLink="client" operation="cancel" variable="c" messageType="tns:orderRequest">"#,
    fixed: r#"<onEvent partnerLink="client" operation="cancel" variable="c" messageType="tns:cancelRequest">"#,
    check: check_on_event_types,
};

/// One message a message activity exchanges, and what holds its data.
struct Exchange<'a> {
    /// The process receives the message (else it sends it).
    received: bool,
    message: Option<Def<'a, Message>>,
    /// The variable attribute and its name (`variable`, `inputVariable`, `outputVariable`).
    variable: Option<&'a Name>,
    variable_attribute: &'static str,
    from_parts: Option<&'a [FromPart]>,
    to_parts: Option<&'a [ToPart]>,
}

impl Exchange<'_> {
    fn has_parts_element(&self) -> bool {
        self.from_parts.is_some() || self.to_parts.is_some()
    }

    fn parts_element(&self) -> &'static str {
        if self.received {
            "fromParts"
        } else {
            "toParts"
        }
    }
}

/// What a rule needs to look at one message activity: the activity, its operation and its exchanges.
struct Resolved<'a> {
    activity: MessageActivity<'a>,
    operation: Def<'a, Operation>,
    exchanges: Vec<Exchange<'a>>,
}

/// The message activities that `wanted` selects and whose operation is known, with their
/// exchanges. Selecting first spares the lookups of the activities a rule does not look at.
fn resolved<'a>(index: &ProcessDefinitions<'a>, wanted: impl Fn(&MessageActivity<'a>) -> bool) -> Vec<Resolved<'a>> {
    message_activities(index.process)
        .into_iter()
        .filter(|activity| wanted(activity))
        .filter_map(|activity| {
            let operation = index.operation(&activity)?;
            let exchanges = exchanges(index, &activity, operation)?;
            Some(Resolved { activity, operation, exchanges })
        })
        .collect()
}

/// The messages of `activity`: `None` when a reply names a fault the operation does not have.
fn exchanges<'a>(
    index: &ProcessDefinitions<'a>,
    activity: &MessageActivity<'a>,
    operation: Def<'a, Operation>,
) -> Option<Vec<Exchange<'a>>> {
    let input = operation.item.input.as_ref();
    let output = operation.item.output.as_ref();
    let exchange =
        |received: bool, operation_message: Option<&'a OperationMessage>, variable: Option<&'a Name>, variable_attribute| Exchange {
            received,
            message: index.message(operation_message.and_then(|m| m.message.as_ref())),
            variable,
            variable_attribute,
            from_parts: if received { activity.from_parts() } else { None },
            to_parts: if received { None } else { activity.to_parts() },
        };
    Some(match *activity {
        MessageActivity::Receive(_, receive) => vec![exchange(true, input, receive.variable.as_ref(), "variable")],
        MessageActivity::OnMessage(_, on_message) => vec![exchange(true, input, on_message.variable.as_ref(), "variable")],
        MessageActivity::OnEvent(on_event) => vec![exchange(true, input, on_event.variable.as_ref(), "variable")],
        MessageActivity::Reply(_, reply) => {
            let message = match &reply.fault_name {
                Some(fault_name) => {
                    let fault = operation.item.fault(&fault_name.name.as_ref()?.local)?;
                    let message = index.message(fault.message.as_ref());
                    return Some(vec![Exchange { message, ..exchange(false, None, reply.variable.as_ref(), "variable") }]);
                }
                None => output,
            };
            vec![exchange(false, message, reply.variable.as_ref(), "variable")]
        }
        MessageActivity::Invoke(_, invoke) => {
            let mut out = vec![exchange(false, input, invoke.input_variable.as_ref(), "inputVariable")];
            if operation.item.is_request_response() {
                out.push(exchange(true, output, invoke.output_variable.as_ref(), "outputVariable"));
            }
            out
        }
    })
}

fn message_name(message: &Def<'_, Message>) -> String {
    message.name.value.clone()
}

// SA00046 -----------------------------------------------------------------------------------------

fn check_correlation_patterns(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for activity in message_activities(cx.process) {
        if !matches!(activity, MessageActivity::Invoke(..)) || activity.correlations().is_empty() {
            continue;
        }
        let Some(operation) = index.operation(&activity) else { continue };
        let name = &operation.name.value;
        for correlation in activity.correlations() {
            match (&correlation.pattern, operation.is_one_way(), operation.is_request_response()) {
                (Some(pattern), true, _) => {
                    let mut diagnostic = Diagnostic::error(
                        SA00046.code,
                        cx.file,
                        pattern.span,
                        format!("operation `{name}` is one-way: a correlation of its invoke takes no pattern"),
                    );
                    if let Some(fix) = super::remove_attribute(cx, pattern.span, "Remove the pattern attribute".to_string()) {
                        diagnostic = diagnostic.with_fix(fix);
                    }
                    out.push(diagnostic);
                }
                (None, _, true) => {
                    let span = correlation.set.as_ref().map_or(correlation.span, |set| set.span);
                    out.push(
                        Diagnostic::error(
                            SA00046.code,
                            cx.file,
                            span,
                            format!("operation `{name}` is request-response: this correlation needs a pattern"),
                        )
                        .with_help(
                            "add pattern=\"request\", \"response\" or \"request-response\": the message(s) the correlation applies to",
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

// SA00047 -----------------------------------------------------------------------------------------

fn check_exchanges(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, |_| true) {
        for exchange in &resolved.exchanges {
            exchange_holders(cx, &resolved, exchange, out);
        }
        if let MessageActivity::Invoke(_, invoke) = resolved.activity {
            if resolved.operation.is_one_way() {
                one_way_outputs(cx, &resolved, invoke, out);
            }
        }
    }
}

fn exchange_holders(cx: &RuleContext<'_>, resolved: &Resolved<'_>, exchange: &Exchange<'_>, out: &mut Vec<Diagnostic>) {
    let Some(message) = &exchange.message else { return };
    let activity = &resolved.activity;
    let element = exchange.parts_element();
    if message.parts.is_empty() {
        if !exchange.has_parts_element() {
            return;
        }
        let first_part =
            exchange.from_parts.and_then(|p| p.first()).map(|p| p.span).or(exchange.to_parts.and_then(|p| p.first()).map(|p| p.span));
        let span = parts_element(cx.text, activity, element, first_part);
        let mut diagnostic = Diagnostic::error(
            SA00047.code,
            cx.file,
            span.map_or(activity.tag_span(cx.text), |s| start_tag_name(cx.text, s)),
            format!("message `{}` has no parts, so <{}> must not have <{element}>", message_name(message), activity.tag()),
        );
        if let Some(span) = span {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Remove <{element}>"),
                edits: vec![TextEdit { file: cx.file, span: with_leading_space(cx.text, span), replacement: String::new() }],
            });
        }
        out.push(diagnostic);
    } else if exchange.variable.is_none() && !exchange.has_parts_element() {
        let direction = if exchange.received { "receives" } else { "sends" };
        out.push(
            Diagnostic::error(
                SA00047.code,
                cx.file,
                activity.tag_span(cx.text),
                format!(
                    "<{}> {direction} message `{}` of operation `{}` but has neither {} nor <{element}>",
                    activity.tag(),
                    message_name(message),
                    resolved.operation.name.value,
                    exchange.variable_attribute
                ),
            )
            .with_help(format!("add a {} attribute naming a variable of that message type, or <{element}>", exchange.variable_attribute)),
        );
    }
}

/// An outputVariable or `<fromParts>` on an invoke of a one-way operation: there is no output.
fn one_way_outputs(cx: &RuleContext<'_>, resolved: &Resolved<'_>, invoke: &Invoke, out: &mut Vec<Diagnostic>) {
    let name = &resolved.operation.name.value;
    if let Some(variable) = &invoke.output_variable {
        let mut diagnostic = Diagnostic::error(
            SA00047.code,
            cx.file,
            variable.span,
            format!("operation `{name}` is one-way: its invoke receives nothing to put into outputVariable"),
        );
        if let Some(fix) = super::remove_attribute(cx, variable.span, "Remove outputVariable".to_string()) {
            diagnostic = diagnostic.with_fix(fix);
        }
        out.push(diagnostic);
    }
    if invoke.from_parts.is_some() {
        let first_part = invoke.from_parts.as_ref().and_then(|p| p.first()).map(|p| p.span);
        let span = parts_element(cx.text, &resolved.activity, "fromParts", first_part);
        out.push(Diagnostic::error(
            SA00047.code,
            cx.file,
            span.map_or(resolved.activity.tag_span(cx.text), |s| start_tag_name(cx.text, s)),
            format!("operation `{name}` is one-way: its invoke receives nothing for <fromParts>"),
        ));
    }
}

// SA00048, SA00058, SA00087 -----------------------------------------------------------------------

fn check_invoke_variables(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_variable_types(cx, out, &SA00048, |activity| matches!(activity, MessageActivity::Invoke(..)));
}

fn check_receive_reply_variables(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    check_variable_types(cx, out, &SA00058, |activity| {
        matches!(activity, MessageActivity::Receive(..) | MessageActivity::Reply(..) | MessageActivity::OnMessage(..))
    });
}

fn check_on_event_types(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, |activity| matches!(activity, MessageActivity::OnEvent(_))) {
        let MessageActivity::OnEvent(on_event) = resolved.activity else { continue };
        let Some(message) = resolved.exchanges.first().and_then(|e| e.message) else { continue };
        let (declared, reference) = match (&on_event.message_type, &on_event.element) {
            (Some(reference), _) => (DeclaredType::Message(reference), reference),
            (None, Some(reference)) => (DeclaredType::Element(reference), reference),
            (None, None) => continue,
        };
        if !is_defined(cx.definitions, declared) {
            continue;
        }
        let Some(problem) = type_mismatch(declared, &message) else { continue };
        out.push(
            Diagnostic::error(
                SA00087.code,
                cx.file,
                reference.span,
                format!(
                    "onEvent declares its variable as {}, but operation `{}` receives message `{}`{problem}",
                    describe(declared),
                    resolved.operation.name.value,
                    message_name(&message)
                ),
            )
            .with_related(message.file(), message.name.span, "the message is defined here"),
        );
    }
}

fn check_variable_types(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>, rule: &Rule, applies: fn(&MessageActivity<'_>) -> bool) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, applies) {
        for exchange in &resolved.exchanges {
            let (Some(variable), Some(message)) = (exchange.variable, exchange.message) else { continue };
            let Some(declared) = index.variable_type(variable) else { continue };
            if !is_defined(cx.definitions, declared) {
                continue;
            }
            let Some(problem) = type_mismatch(declared, &message) else { continue };
            let direction = if exchange.received { "receives" } else { "sends" };
            let mut diagnostic = Diagnostic::error(
                rule.code,
                cx.file,
                variable.span,
                format!(
                    "variable `{}` is {}, but operation `{}` {direction} message `{}`{problem}",
                    variable.value,
                    describe(declared),
                    resolved.operation.name.value,
                    message_name(&message)
                ),
            )
            .with_related(message.file(), message.name.span, "the message is defined here");
            if let Some(declaration) = index.declaration(variable) {
                diagnostic = diagnostic.with_related(cx.file, declaration.span, "the variable is declared here");
            }
            out.push(diagnostic);
        }
    }
}

fn describe(declared: DeclaredType<'_>) -> String {
    match declared {
        DeclaredType::Message(reference) => format!("of message type `{}`", reference.text),
        DeclaredType::Element(reference) => format!("of element `{}`", reference.text),
        DeclaredType::Type(reference) => format!("of type `{}`", reference.text),
        DeclaredType::Counter => "a forEach counter".to_string(),
        DeclaredType::Unknown => "untyped".to_string(),
    }
}

/// Whether the type a variable is declared with is defined (an undefined one is SA00010's).
fn is_defined(definitions: &Definitions, declared: DeclaredType<'_>) -> bool {
    match declared {
        DeclaredType::Message(r) => r.name.as_ref().is_some_and(|name| definitions.message(name).is_some()),
        DeclaredType::Element(r) => r.name.as_ref().is_some_and(|name| definitions.element(name).is_some()),
        DeclaredType::Type(r) => r.name.as_ref().is_some_and(|name| definitions.has_type(name)),
        DeclaredType::Counter | DeclaredType::Unknown => true,
    }
}

/// Why a variable of type `declared` cannot hold `message` (appended to the message), or `None`
/// when it can or its type is not known.
fn type_mismatch(declared: DeclaredType<'_>, message: &Def<'_, Message>) -> Option<String> {
    match declared {
        DeclaredType::Message(reference) => {
            let name = reference.name.as_ref()?;
            (*name != message.qname()).then(String::new)
        }
        DeclaredType::Element(reference) => {
            let name = reference.name.as_ref()?;
            match message.parts.as_slice() {
                [part] => match part.element.as_ref().and_then(|e| e.name.as_ref()) {
                    Some(element) if element == name => None,
                    Some(_) => Some(format!(" whose single part `{}` is another element", part.name.value)),
                    None => Some(format!(" whose single part `{}` is typed by a type, not an element", part.name.value)),
                },
                parts => {
                    Some(format!(" with {} parts: an element variable only fits a message with exactly one element part", parts.len()))
                }
            }
        }
        DeclaredType::Type(_) | DeclaredType::Counter => {
            Some(": use a variable of that message type (or of the element of its single part)".to_string())
        }
        DeclaredType::Unknown => None,
    }
}

// SA00050, SA00053, SA00054 -----------------------------------------------------------------------

fn check_complete_to_parts(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, |activity| activity.to_parts().is_some()) {
        for exchange in &resolved.exchanges {
            let (Some(to_parts), Some(message)) = (exchange.to_parts, exchange.message) else { continue };
            let missing: Vec<&str> = message
                .parts
                .iter()
                .map(|p| p.name.value.as_str())
                .filter(|name| !to_parts.iter().any(|t| t.part.as_ref().is_some_and(|p| p.value == *name)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let activity = &resolved.activity;
            let span = parts_element(cx.text, activity, "toParts", to_parts.first().map(|p| p.span))
                .map_or(activity.tag_span(cx.text), |s| start_tag_name(cx.text, s));
            out.push(
                Diagnostic::error(
                    SA00050.code,
                    cx.file,
                    span,
                    format!("<toParts> gives no <toPart> for part {} of message `{}`", listing(missing), message_name(&message)),
                )
                .with_related(message.file(), message.name.span, "the message is defined here"),
            );
        }
    }
}

fn check_from_part_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, |activity| activity.from_parts().is_some()) {
        for exchange in &resolved.exchanges {
            let (Some(parts), Some(message)) = (exchange.from_parts, exchange.message) else { continue };
            let names: Vec<&Name> = parts.iter().filter_map(|p| p.part.as_ref()).collect();
            unknown_parts(cx, &SA00053, &names, &message, "received", out);
        }
    }
}

fn check_to_part_names(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for resolved in resolved(&index, |activity| activity.to_parts().is_some()) {
        for exchange in &resolved.exchanges {
            let (Some(parts), Some(message)) = (exchange.to_parts, exchange.message) else { continue };
            let names: Vec<&Name> = parts.iter().filter_map(|p| p.part.as_ref()).collect();
            unknown_parts(cx, &SA00054, &names, &message, "sent", out);
        }
    }
}

fn unknown_parts(
    cx: &RuleContext<'_>,
    rule: &Rule,
    names: &[&Name],
    message: &Def<'_, Message>,
    direction: &str,
    out: &mut Vec<Diagnostic>,
) {
    if message.parts.is_empty() {
        return; // parts for a message without any: SA00047
    }
    let unused: Vec<&str> =
        message.parts.iter().map(|p| p.name.value.as_str()).filter(|part| !names.iter().any(|n| n.value == *part)).collect();
    for name in names {
        if message.part(&name.value).is_some() {
            continue;
        }
        let mut diagnostic = Diagnostic::error(
            rule.code,
            cx.file,
            name.span,
            format!("the {direction} message `{}` has no part `{}`", message_name(message), name.value),
        )
        .with_help(format!("its parts are: {}", listing(message.parts.iter().map(|p| p.name.value.as_str()))))
        .with_related(message.file(), message.name.span, "the message is defined here");
        if let [only] = unused.as_slice() {
            diagnostic = diagnostic.with_fix(replace(cx, name.span, only.to_string(), format!("Change to `{only}`")));
        }
        out.push(diagnostic);
    }
}

// Locating child elements in the text -------------------------------------------------------------

/// The `<toParts>` or `<fromParts>` element (`local`, with any prefix) of the message activity
/// at `activity`: the one that holds `first_part` when there is one. Without it, an invoke's is
/// its last such child (they follow its inline handlers), anyone else's its first (they precede
/// the nested activity of an onMessage or onEvent).
fn parts_element(text: &str, activity: &MessageActivity<'_>, local: &str, first_part: Option<Span>) -> Option<Span> {
    let within = activity.span();
    let (start, end) = (within.start as usize + 1, within.end as usize);
    let (region_end, last) = match first_part {
        Some(part) => (part.start as usize, true),
        None => (end, matches!(activity, MessageActivity::Invoke(..))),
    };
    let body = text.get(start..region_end)?;
    let mut tags = start_tags(body, local);
    let (offset, qualified) = if last { tags.last()? } else { tags.next()? };
    let tag_start = start + offset;
    Some(Span::new(tag_start, element_end(text, tag_start, &qualified).unwrap_or(end)))
}

/// The start tags named `local` (with any prefix) in `body`: their offsets and qualified names.
fn start_tags<'t>(body: &'t str, local: &'t str) -> impl Iterator<Item = (usize, String)> + 't {
    body.match_indices(local).filter_map(move |(at, _)| {
        let before = &body[..at];
        let name_start = before.rfind(|c: char| c == '<' || c.is_whitespace() || c == '>' || c == '/')?;
        let prefix = &before[name_start + 1..];
        let is_start_tag = before[name_start..].starts_with('<') && (prefix.is_empty() || prefix.ends_with(':'));
        let follows_name = body[at + local.len()..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        (is_start_tag && follows_name).then(|| (name_start, format!("{prefix}{local}")))
    })
}

/// The end of the element whose start tag begins at `start`.
fn element_end(text: &str, start: usize, qualified_name: &str) -> Option<usize> {
    let rest = text.get(start..)?;
    let tag_end = rest.find('>')?;
    if rest[..tag_end].ends_with('/') {
        return Some(start + tag_end + 1);
    }
    let close = format!("</{qualified_name}");
    let close_at = rest.find(&close)?;
    let close_end = rest[close_at..].find('>')?;
    Some(start + close_at + close_end + 1)
}

/// `span` with the white space before it on its line (and that line break), so that removing it
/// leaves no blank line.
fn with_leading_space(text: &str, span: Span) -> Span {
    let before = text.get(..span.start as usize).unwrap_or("");
    let mut start = before.trim_end_matches([' ', '\t']).len();
    if before[..start].ends_with('\n') {
        start -= 1;
        if before[..start].ends_with('\r') {
            start -= 1;
        }
    }
    Span::new(start, span.end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_tags_are_found_with_or_without_prefix() {
        let body = r#"invoke a="fromParts"><bpel:fromParts><fromPart part="x"/></bpel:fromParts><fromParts/>"#;
        let tags: Vec<(usize, String)> = start_tags(body, "fromParts").collect();
        assert_eq!(tags, [(21, "bpel:fromParts".to_string()), (74, "fromParts".to_string())]);
        assert_eq!(
            element_end(body, 21, "bpel:fromParts").map(|end| &body[21..end]),
            Some(r#"<bpel:fromParts><fromPart part="x"/></bpel:fromParts>"#)
        );
        assert_eq!(element_end(body, 74, "fromParts").map(|end| &body[74..end]), Some("<fromParts/>"));
    }
}
