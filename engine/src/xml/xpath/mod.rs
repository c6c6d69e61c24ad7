//! XPath 1.0 evaluation over variable values, with sxd-xpath, as WS-BPEL 2.0 §8.2–§8.3 define it.
//!
//! - **Compiling**: [`Compiled::new`] checks an expression once with the engine's own parser
//!   ([`crate::xpath`]), which knows BPEL's `$variable.part` syntax, finds the variables, the
//!   namespace prefixes and the BPEL functions it uses, and classifies the trivial forms (a literal,
//!   `$var.part`, the query `.`) that are evaluated without sxd-xpath at all. [`CompiledExpressions`]
//!   caches compiled expressions per process, by source position. sxd-xpath's own compiled form is
//!   not `Send`; it is cached per thread, by text.
//! - **Bindings** (§8.2.2): `$var.part` and `$var` are bound to a node-set of one element (an
//!   element variable or element part: the element; a complex-typed variable or part: its container
//!   element), or, for simple types, to an XPath boolean, number or string (see
//!   [`crate::xml::SimpleKind`]). A message variable is only reachable through its parts. Each bound value
//!   becomes a document of its own, so `/` and `..` never leave it. A `$name` that is no variable
//!   may be a link, whose status is a boolean (join conditions).
//! - **Context**: an expression has no context node (§8.2.4): a relative or absolute location path
//!   outside a predicate, or a context-dependent function without argument (`string()`,
//!   `position()`...), is a `subLanguageExecutionFault`. A query (`<query>`, a property alias's
//!   query) is evaluated with the value it belongs to as context node.
//! - **Results**: booleans, numbers, strings, or node-sets whose nodes come back in document order
//!   with their [`Location`] in the variable values (so that `<to>` can write there) and an owned
//!   copy of the node.
//! - **Faults**: a syntax error, an unknown function or variable, or a type error is
//!   `subLanguageExecutionFault`; a reference to an uninitialized variable or part is
//!   `uninitializedVariable`; `bpel:getVariableProperty` and `bpel:doXslTransform` raise their own
//!   (see [`super::functions`]).
//!
//! Known differences from XPath 1.0 (sxd-xpath 0.4): `number()` of a string accepts Rust's float
//! syntax (`1e5` is 100000, not NaN); `string()` of -0 is `-0`. Values computed by this module
//! (bindings, fast paths, [`format_number`]) follow XPath 1.0.
//!
//! Three layers (see the list in [`crate::xml`]): `interface` (the role of an expression, the
//! variables it sees, results), `compile` (text to [`Compiled`]), and `evaluate` (running it, with
//! the BPEL functions of [`super::functions`]). This file only gathers what they offer.

pub(crate) mod compile;
pub(crate) mod evaluate;
pub(crate) mod interface;
pub(crate) mod xee;

pub use compile::{Compiled, CompiledExpressions, ExprKey};
pub use evaluate::{
    evaluate, evaluate_boolean, evaluate_number, evaluate_string, evaluate_unsigned, property_node, sxd_evaluations, XPathEnv,
};
pub use interface::{
    format_number, xpath_number, Location, NodeValue, QueryContext, VariableRef, Variables, XPathNode, XPathRole, XPathValue, BPEL_NS,
};
