//! A message activity takes its data either from a variable or part by part, not both: SA00051
//! (invoke input), SA00052 (invoke output), SA00055 (receive), SA00059 (reply), SA00063 (onMessage).

use super::support::{remove_attributes, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::span::Span;

pub(super) const SA00051: Rule = Rule {
    code: "SA00051",
    tier: Tier::Process,
    summary: "an <invoke> with <toPart> elements must not have an inputVariable",
    why: "The outgoing message is built either from the inputVariable or from the <toPart>s; giving \
          both leaves it unclear which one is sent.",
    failing: r#"<invoke partnerLink="shop" operation="order" inputVariable="order">
  <toParts><toPart part="item" fromVariable="item"/></toParts>
</invoke>"#,
    fixed: r#"<invoke partnerLink="shop" operation="order">
  <toParts><toPart part="item" fromVariable="item"/></toParts>
</invoke>"#,
    check: check_invoke_input,
};

pub(super) const SA00052: Rule = Rule {
    code: "SA00052",
    tier: Tier::Process,
    summary: "an <invoke> with <fromPart> elements must not have an outputVariable",
    why: "The reply is stored either in the outputVariable or part by part through the <fromPart>s; \
          giving both leaves it unclear where it goes.",
    failing: r#"<invoke partnerLink="shop" operation="order" inputVariable="order" outputVariable="receipt">
  <fromParts><fromPart part="total" toVariable="total"/></fromParts>
</invoke>"#,
    fixed: r#"<invoke partnerLink="shop" operation="order" inputVariable="order">
  <fromParts><fromPart part="total" toVariable="total"/></fromParts>
</invoke>"#,
    check: check_invoke_output,
};

pub(super) const SA00055: Rule = Rule {
    code: "SA00055",
    tier: Tier::Process,
    summary: "a <receive> with <fromPart> elements must not have a variable",
    why: "The message received is stored either in the variable or part by part through the \
          <fromPart>s; giving both leaves it unclear where it goes.",
    failing: r#"<receive partnerLink="client" operation="order" variable="order">
  <fromParts><fromPart part="item" toVariable="item"/></fromParts>
</receive>"#,
    fixed: r#"<receive partnerLink="client" operation="order">
  <fromParts><fromPart part="item" toVariable="item"/></fromParts>
</receive>"#,
    check: check_receive,
};

pub(super) const SA00059: Rule = Rule {
    code: "SA00059",
    tier: Tier::Process,
    summary: "a <reply> with <toPart> elements must not have a variable",
    why: "The reply is built either from the variable or from the <toPart>s; giving both leaves it \
          unclear which one is sent.",
    failing: r#"<reply partnerLink="client" operation="order" variable="receipt">
  <toParts><toPart part="total" fromVariable="total"/></toParts>
</reply>"#,
    fixed: r#"<reply partnerLink="client" operation="order">
  <toParts><toPart part="total" fromVariable="total"/></toParts>
</reply>"#,
    check: check_reply,
};

pub(super) const SA00063: Rule = Rule {
    code: "SA00063",
    tier: Tier::Process,
    summary: "an <onMessage> with <fromPart> elements must not have a variable",
    why: "The message received is stored either in the variable or part by part through the \
          <fromPart>s; giving both leaves it unclear where it goes.",
    failing: r#"<onMessage partnerLink="client" operation="cancel" variable="cancel">
  <fromParts><fromPart part="reason" toVariable="reason"/></fromParts>
  <exit/>
</onMessage>"#,
    fixed: r#"<onMessage partnerLink="client" operation="cancel">
  <fromParts><fromPart part="reason" toVariable="reason"/></fromParts>
  <exit/>
</onMessage>"#,
    check: check_on_message,
};

/// What a variable attribute and a parts list of one activity are.
struct Clash<'a> {
    code: &'static str,
    /// `inputVariable`, `variable`...
    attribute: &'static str,
    variable: &'a Name,
    /// `toPart` or `fromPart`.
    part: &'static str,
    parts: Span,
    activity: &'static str,
}

fn report(cx: &RuleContext<'_>, clash: Clash<'_>, out: &mut Vec<Diagnostic>) {
    let Clash { code, attribute, variable, part, parts, activity } = clash;
    let mut diagnostic = Diagnostic::error(
        code,
        cx.file,
        variable.span,
        format!("this <{activity}> has <{part}> elements, so it may not also have {attribute}=\"{}\"", variable.value),
    )
    .with_related(cx.file, parts, format!("the <{part}>s"))
    .with_help(format!("use either {attribute} or the <{part}>s"));
    if let Some(fix) = remove_attributes(cx.text, cx.file, &[variable.span], format!("Remove {attribute}")) {
        diagnostic = diagnostic.with_fix(fix);
    }
    out.push(diagnostic);
}

fn first_part<T>(parts: &Option<Vec<T>>, span: impl Fn(&T) -> Span) -> Option<Span> {
    parts.as_ref()?.first().map(span)
}

fn check_invoke_input(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Invoke(invoke) = &activity.kind else { continue };
        let (Some(variable), Some(parts)) = (&invoke.input_variable, first_part(&invoke.to_parts, |p| p.span)) else { continue };
        let parts = tag_name(cx.text, parts);
        report(cx, Clash { code: "SA00051", attribute: "inputVariable", variable, part: "toPart", parts, activity: "invoke" }, out);
    }
}

fn check_invoke_output(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Invoke(invoke) = &activity.kind else { continue };
        let (Some(variable), Some(parts)) = (&invoke.output_variable, first_part(&invoke.from_parts, |p| p.span)) else { continue };
        let parts = tag_name(cx.text, parts);
        report(cx, Clash { code: "SA00052", attribute: "outputVariable", variable, part: "fromPart", parts, activity: "invoke" }, out);
    }
}

fn check_receive(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Receive(receive) = &activity.kind else { continue };
        let (Some(variable), Some(parts)) = (&receive.variable, first_part(&receive.from_parts, |p| p.span)) else { continue };
        let parts = tag_name(cx.text, parts);
        report(cx, Clash { code: "SA00055", attribute: "variable", variable, part: "fromPart", parts, activity: "receive" }, out);
    }
}

fn check_reply(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Reply(reply) = &activity.kind else { continue };
        let (Some(variable), Some(parts)) = (&reply.variable, first_part(&reply.to_parts, |p| p.span)) else { continue };
        let parts = tag_name(cx.text, parts);
        report(cx, Clash { code: "SA00059", attribute: "variable", variable, part: "toPart", parts, activity: "reply" }, out);
    }
}

fn check_on_message(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for activity in &cx.process.activities {
        let ActivityKind::Pick(pick) = &activity.kind else { continue };
        for on_message in &pick.on_messages {
            let (Some(variable), Some(parts)) = (&on_message.variable, first_part(&on_message.from_parts, |p| p.span)) else { continue };
            let parts = tag_name(cx.text, parts);
            report(cx, Clash { code: "SA00063", attribute: "variable", variable, part: "fromPart", parts, activity: "onMessage" }, out);
        }
    }
}
