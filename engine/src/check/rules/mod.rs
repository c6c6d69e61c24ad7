//! The static-analysis rules of WS-BPEL 2.0 (Appendix B, SA00001–SA00095; SA00049 does not exist
//! in the standard). One [`Rule`] per code: what it checks, why, a failing and a fixed example, and
//! the function that checks it. Grouped in files by what a rule needs (the tiers of
//! `shared/spec/sa-rules.md`).

mod engine_config;
mod process_flow;
mod process_structure;
mod wsdl_xsd;
pub(crate) mod xpath_rules;

use super::ParsedExpressions;
use crate::diagnostic::Diagnostic;
use crate::model::process::Process;
use crate::parse::{Definitions, ProcessUnit};
use crate::resolve::SymbolIndex;
use crate::source::FileId;

/// What a rule needs to be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The process document alone.
    Process,
    /// Imported WSDL documents.
    Wsdl,
    /// XML Schema type information.
    Schema,
    /// XPath 1.0 expressions parsed.
    XPath,
    /// What this engine supports (languages, extensions).
    Engine,
}

pub struct Rule {
    /// `SA000NN`.
    pub code: &'static str,
    pub tier: Tier,
    /// One line: what the rule rejects.
    pub summary: &'static str,
    /// Why the standard has the rule, in plain words.
    pub why: &'static str,
    /// A process fragment that breaks the rule, and the same fragment fixed.
    pub failing: &'static str,
    pub fixed: &'static str,
    pub check: fn(&RuleContext<'_>, &mut Vec<Diagnostic>),
}

impl Rule {
    /// The rule explained, as `bpel check --explain CODE` prints it and the language server shows
    /// it: the summary, why, then the failing and the fixed example as indented (Markdown) code
    /// blocks.
    pub fn explain_markdown(&self) -> String {
        format!(
            "{}: {}\n\nWhy: {}\n\nRejected:\n\n{}\n\nAccepted:\n\n{}\n",
            self.code,
            self.summary,
            self.why,
            indent_block(self.failing),
            indent_block(self.fixed)
        )
    }
}

/// `text` without its surrounding blank lines, each line indented by four spaces.
fn indent_block(text: &str) -> String {
    text.trim_matches('\n').lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}

/// Everything a rule may look at.
pub struct RuleContext<'a> {
    pub unit: &'a ProcessUnit,
    pub process: &'a Process,
    pub definitions: &'a Definitions,
    pub symbols: &'a SymbolIndex,
    pub file: FileId,
    /// The process's source text.
    pub text: &'a str,
    /// Every XPath expression and query, parsed once for all rules.
    pub expressions: &'a ParsedExpressions,
}

/// Every rule, in code order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    let mut rules: Vec<&'static Rule> = process_structure::RULES
        .iter()
        .chain(process_flow::RULES)
        .chain(wsdl_xsd::RULES)
        .chain(xpath_rules::RULES)
        .chain(engine_config::RULES)
        .collect();
    rules.sort_by_key(|rule| rule.code);
    rules.into_iter()
}

/// The rule with this code (`SA00056` or `56`).
pub fn find(code: &str) -> Option<&'static Rule> {
    let wanted = normalize_code(code)?;
    all().find(|rule| rule.code == wanted)
}

/// `56`, `sa56`, `SA00056` -> `SA00056`.
pub fn normalize_code(code: &str) -> Option<String> {
    let digits = code.trim().trim_start_matches(['S', 's']).trim_start_matches(['A', 'a']);
    let number: u32 = digits.parse().ok()?;
    Some(format!("SA{number:05}"))
}

/// The code that the standard skips: there is no SA00049.
pub const MISSING_CODE: &str = "SA00049";

/// Runs every rule.
pub fn check(cx: &RuleContext<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for rule in all() {
        (rule.check)(cx, &mut diagnostics);
    }
    xpath_rules::check_syntax(cx, &mut diagnostics);
    xpath_rules::check_expression_parts(cx, &mut diagnostics);
    diagnostics
}
