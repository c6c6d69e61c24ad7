//! The bounds of a forEach when they are constants: counters are xsd:unsignedInt values (SA00074),
//! and a completion condition cannot wait for more branches than there are iterations (SA00075).
//! The standard says static analysis MAY detect these; at run time they are the faults
//! bpel:invalidExpressionValue and bpel:invalidBranchCondition, which conformance suites test. So
//! they are warnings: the process stays deployable and faults as the standard says.

use super::sites::{self, Role, Site};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::span::Span;
use crate::xpath::fold::{constant, Value};

pub(super) const SA00074: Rule = Rule {
    code: "SA00074",
    tier: Tier::XPath,
    summary: "startCounterValue and finalCounterValue must be xsd:unsignedInt values (checked when they are constants)",
    why: "The forEach counter runs over unsigned integers (0 to 4294967295); any other value faults \
          with bpel:invalidExpressionValue when the forEach starts. Detected here when the expression \
          is a constant, as a warning.",
    failing: r#"<forEach counterName="i" parallel="no"><startCounterValue>-1</startCounterValue><finalCounterValue>3</finalCounterValue>..."#,
    fixed: r#"<forEach counterName="i" parallel="no"><startCounterValue>1</startCounterValue><finalCounterValue>3</finalCounterValue>..."#,
    check: check_counter_values,
};

/// The value of a constant bound of a forEach.
struct Bound<'p> {
    site: Site<'p>,
    value: Value,
    /// The expression without the whitespace around it.
    span: Span,
}

impl Bound<'_> {
    fn read<'p>(cx: &RuleContext<'p>, expression: &'p Option<Expression>, role: Role, activity: ActivityId) -> Option<Bound<'p>> {
        let site = Site { expression: expression.as_ref()?, role, activity: Some(activity) };
        let expr = sites::parsed_ok(cx, &site)?;
        Some(Bound { site, value: constant(expr)?, span: expr.span })
    }

    fn shown(&self) -> String {
        match &self.value {
            Value::String(text) => format!("'{text}'"),
            other => other.to_xpath_string(),
        }
    }

    fn warning(&self, cx: &RuleContext<'_>, code: &'static str, message: String) -> Diagnostic {
        Diagnostic::warning(code, cx.file, sites::source_span(cx, self.site.expression, self.span), message)
    }
}

fn for_eaches(process: &Process) -> impl Iterator<Item = (ActivityId, &ForEach)> {
    process.activities.iter().filter_map(|activity| match &activity.kind {
        ActivityKind::ForEach(for_each) => Some((activity.id, for_each)),
        _ => None,
    })
}

fn check_counter_values(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (id, for_each) in for_eaches(cx.process) {
        for (expression, role) in [(&for_each.start, Role::StartCounter), (&for_each.final_, Role::FinalCounter)] {
            let Some(bound) = Bound::read(cx, expression, role, id) else { continue };
            if bound.value.as_unsigned_int().is_some() {
                continue;
            }
            out.push(
                bound
                    .warning(cx, "SA00074", format!("{} is {}, not an xsd:unsignedInt (0 to 4294967295)", role.element(), bound.shown()))
                    .with_help(
                        "when the forEach starts, this faults with bpel:invalidExpressionValue; use a whole number from 0 to 4294967295",
                    ),
            );
        }
    }
}

pub(super) const SA00075: Rule = Rule {
    code: "SA00075",
    tier: Tier::XPath,
    summary: "the branches of a forEach completion condition must not exceed its iterations (checked when they are constants)",
    why: "A completion condition that waits for more branches than the forEach runs can never be met; \
          it faults with bpel:invalidBranchCondition. Detected here when the counters and branches are \
          constants, as a warning.",
    failing: r#"<startCounterValue>1</startCounterValue><finalCounterValue>3</finalCounterValue><completionCondition><branches>5</branches></completionCondition>"#,
    fixed: r#"<startCounterValue>1</startCounterValue><finalCounterValue>3</finalCounterValue><completionCondition><branches>2</branches></completionCondition>"#,
    check: check_branches,
};

fn check_branches(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (id, for_each) in for_eaches(cx.process) {
        let Some(condition) = &for_each.completion_condition else { continue };
        let Some(branches) = Bound::read(cx, &condition.branches, Role::Branches, id) else { continue };
        let Some(count) = branches.value.as_unsigned_int() else {
            out.push(
                branches
                    .warning(cx, "SA00075", format!("<branches> is {}, not an xsd:unsignedInt (0 to 4294967295)", branches.shown()))
                    .with_help(
                        "when the completion condition is evaluated, this faults with bpel:invalidExpressionValue; use a whole number",
                    ),
            );
            continue;
        };
        let counter = |expression, role| Bound::read(cx, expression, role, id).and_then(|b| b.value.as_unsigned_int());
        let (Some(start), Some(last)) = (counter(&for_each.start, Role::StartCounter), counter(&for_each.final_, Role::FinalCounter))
        else {
            continue;
        };
        // With start > final the forEach runs no iteration and completes at once.
        if last < start {
            continue;
        }
        let iterations = u64::from(last) - u64::from(start) + 1;
        if u64::from(count) > iterations {
            out.push(
                branches
                    .warning(cx, "SA00075", format!("the completion condition waits for {count} branches, but the forEach runs only {iterations} (counter {start} to {last})"))
                    .with_help("this faults with bpel:invalidBranchCondition; wait for at most as many branches as there are iterations"),
            );
        }
    }
}
