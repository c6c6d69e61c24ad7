//! The functions an XPath 1.0 expression of a WS-BPEL process may call: the XPath 1.0 core
//! library and the functions WS-BPEL 2.0 adds (§8.3, §8.4).

use super::ast::Name;

/// The namespace of the WS-BPEL functions (that of executable processes).
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

pub const GET_VARIABLE_PROPERTY: &str = "getVariableProperty";
pub const DO_XSL_TRANSFORM: &str = "doXslTransform";

/// What a function returns, when it is known without evaluating it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultType {
    NodeSet,
    String,
    Number,
    Boolean,
}

/// The XPath 1.0 core function library (XPath 1.0 §4): name and result type.
const CORE: &[(&str, ResultType)] = &[
    ("last", ResultType::Number),
    ("position", ResultType::Number),
    ("count", ResultType::Number),
    ("id", ResultType::NodeSet),
    ("local-name", ResultType::String),
    ("namespace-uri", ResultType::String),
    ("name", ResultType::String),
    ("string", ResultType::String),
    ("concat", ResultType::String),
    ("starts-with", ResultType::Boolean),
    ("contains", ResultType::Boolean),
    ("substring-before", ResultType::String),
    ("substring-after", ResultType::String),
    ("substring", ResultType::String),
    ("string-length", ResultType::Number),
    ("normalize-space", ResultType::String),
    ("translate", ResultType::String),
    ("boolean", ResultType::Boolean),
    ("not", ResultType::Boolean),
    ("true", ResultType::Boolean),
    ("false", ResultType::Boolean),
    ("lang", ResultType::Boolean),
    ("number", ResultType::Number),
    ("sum", ResultType::Number),
    ("floor", ResultType::Number),
    ("ceiling", ResultType::Number),
    ("round", ResultType::Number),
];

/// The result type of a core library function (`None` for any other name).
pub fn core_result_type(name: &Name) -> Option<ResultType> {
    if name.prefix.is_some() {
        return None;
    }
    CORE.iter().find(|(n, _)| *n == name.local).map(|(_, t)| *t)
}

pub fn is_core(name: &Name) -> bool {
    core_result_type(name).is_some()
}

/// A function of the WS-BPEL namespace (whether or not WS-BPEL defines that name).
pub fn is_bpel(name: &Name) -> bool {
    name.namespace.as_deref() == Some(BPEL_NS)
}

/// Whether calling the function twice with the same arguments gives the same result with no
/// other effect. The core library and the WS-BPEL functions are; nothing is known of others.
pub fn is_idempotent(name: &Name) -> bool {
    is_core(name) || name.is(BPEL_NS, GET_VARIABLE_PROPERTY) || name.is(BPEL_NS, DO_XSL_TRANSFORM)
}
