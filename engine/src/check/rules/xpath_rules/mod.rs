//! Tier 4: the rules that need XPath 1.0 expressions and queries parsed (`crate::xpath`), and the
//! syntax errors of those expressions (XPATH001, not a rule of the standard). One file per family.

mod alias;
mod calls;
mod context;
mod copies;
mod counters;
mod init;
mod join;
mod selection;
pub(crate) mod sites;
mod syntax;

pub(super) use selection::check_expression_parts;
pub(super) use syntax::check_syntax;

use super::Rule;

pub(super) static RULES: &[Rule] = &[
    init::SA00026,
    context::SA00027,
    join::SA00028,
    alias::SA00029,
    calls::SA00030,
    calls::SA00031,
    context::SA00033,
    calls::SA00039,
    calls::SA00040,
    calls::SA00041,
    copies::SA00042,
    join::SA00073,
    counters::SA00074,
    counters::SA00075,
    copies::SA00094,
];
