//! (rules of this group are being written)

use super::Rule;

pub(super) static RULES: &[Rule] = &[];
