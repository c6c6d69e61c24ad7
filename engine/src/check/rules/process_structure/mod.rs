//! Tier 1: the rules that need the process document alone (SA00088 also looks at the imported WSDL
//! to see whether the correlation set an onEvent resolves to fits its message). One file per family
//! of rules.

mod copy_spec;
mod declarations;
mod event_handlers;
mod fault_handlers;
mod message_exchanges;
mod message_parts;
mod placement;
mod scopes;
mod start_activities;
mod support;

use super::Rule;

pub(super) static RULES: &[Rule] = &[
    fault_handlers::SA00003,
    placement::SA00006,
    placement::SA00007,
    placement::SA00008,
    start_activities::SA00015,
    declarations::SA00016,
    declarations::SA00017,
    declarations::SA00018,
    declarations::SA00023,
    declarations::SA00024,
    declarations::SA00025,
    copy_spec::SA00032,
    copy_spec::SA00034,
    copy_spec::SA00035,
    copy_spec::SA00036,
    copy_spec::SA00037,
    copy_spec::SA00038,
    declarations::SA00044,
    message_parts::SA00051,
    message_parts::SA00052,
    message_parts::SA00055,
    start_activities::SA00057,
    message_parts::SA00059,
    message_exchanges::SA00061,
    start_activities::SA00062,
    message_parts::SA00063,
    scopes::SA00076,
    placement::SA00077,
    fault_handlers::SA00080,
    fault_handlers::SA00081,
    event_handlers::SA00083,
    event_handlers::SA00084,
    event_handlers::SA00085,
    event_handlers::SA00086,
    event_handlers::SA00088,
    event_handlers::SA00089,
    event_handlers::SA00090,
    scopes::SA00091,
    scopes::SA00092,
    fault_handlers::SA00093,
    event_handlers::SA00095,
];
