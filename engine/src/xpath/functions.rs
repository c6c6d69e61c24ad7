//! The functions an XPath 1.0 expression of a WS-BPEL process may call: the XPath 1.0 core
//! library and the functions WS-BPEL 2.0 adds (§8.3, §8.4).

use super::ast::Name;

/// The namespace of the WS-BPEL functions (that of executable processes).
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

pub const GET_VARIABLE_PROPERTY: &str = "getVariableProperty";

/// The namespace of Apache ODE's XPath extension functions (ODE 1.3, "XPath Extensions"): XPath 2.0
/// functions in ODE, and here.
pub const ODE_EXTENSION_NS: &str = "http://www.apache.org/ode/type/extension";

/// Apache ODE's XPath extension functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OdeFunction {
    SplitToElements,
    CombineUrl,
    ComposeUrl,
    ExpandTemplate,
    DomToString,
    InsertBefore,
    InsertAfter,
    InsertAsFirstInto,
    InsertAsLastInto,
    Delete,
    Rename,
    ProcessProperty,
}

/// Each ODE function: its name and its least and greatest number of arguments. ODE 1.3 reads both
/// the hyphenated names and the older camel-case ones (`splitToElements`, ...).
const ODE_FUNCTIONS: &[(&str, OdeFunction, usize, usize)] = &[
    ("split-to-elements", OdeFunction::SplitToElements, 3, 4),
    ("splitToElements", OdeFunction::SplitToElements, 3, 4),
    ("combine-url", OdeFunction::CombineUrl, 2, 2),
    ("combineUrl", OdeFunction::CombineUrl, 2, 2),
    ("compose-url", OdeFunction::ComposeUrl, 2, usize::MAX),
    ("composeUrl", OdeFunction::ComposeUrl, 2, usize::MAX),
    ("expand-template", OdeFunction::ExpandTemplate, 2, usize::MAX),
    ("expandTemplate", OdeFunction::ExpandTemplate, 2, usize::MAX),
    ("dom-to-string", OdeFunction::DomToString, 1, 1),
    ("domToString", OdeFunction::DomToString, 1, 1),
    ("insert-before", OdeFunction::InsertBefore, 2, 3),
    ("insert-after", OdeFunction::InsertAfter, 2, 3),
    ("insert-as-first-into", OdeFunction::InsertAsFirstInto, 2, 2),
    ("insert-as-last-into", OdeFunction::InsertAsLastInto, 2, 2),
    ("delete", OdeFunction::Delete, 1, 2),
    ("rename", OdeFunction::Rename, 2, 2),
    ("process-property", OdeFunction::ProcessProperty, 1, 1),
];

impl OdeFunction {
    /// The ODE function `name` names, with its arity range; `None` for a name ODE does not define.
    pub fn find(name: &Name) -> Option<(OdeFunction, usize, usize)> {
        if name.namespace.as_deref() != Some(ODE_EXTENSION_NS) {
            return None;
        }
        ODE_FUNCTIONS.iter().find(|(local, ..)| *local == name.local).map(|&(_, function, min, max)| (function, min, max))
    }

    pub fn name(self) -> &'static str {
        ODE_FUNCTIONS.iter().find(|(_, f, ..)| *f == self).map_or("", |(local, ..)| local)
    }
}
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
