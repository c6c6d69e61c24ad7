//! Variable values and what runs on them: the XML value model ([`value`]), declared types
//! ([`types`]), XPath 1.0 and 2.0 evaluation (sxd-xpath, xee-xpath) and BPEL's bindings and functions ([`xpath`],
//! [`functions`], [`aliases`]), the XSLT subset of `bpel:doXslTransform` ([`xslt`]), the `<copy>`
//! semantics of `<assign>` ([`copy`]), and validation ([`validate`]).
//!
//! # Layers
//!
//! Each file uses only the files listed before it, never one after it, so no two files depend on
//! each other (`engine/tests/xml_layers.rs` reads this list and checks every import; a file imports
//! from the file that defines a thing, not through a `mod.rs`, which only gathers re-exports).
//! Test modules may use any layer.
//!
//! 1. `text`: XML as text for the faces (is a typed body complete, indented values).
//! 2. `value`: the values themselves, plain data.
//! 3. `write`: values as XML text and in canonical form.
//! 4. `types`: declared types of variables and parts.
//! 5. `validate`: values checked against the imported schemas.
//! 6. `dom`: values to and from sxd-document trees.
//! 7. `xpath::interface`: what XPath works with: the variables an expression sees, the context of
//!    a query, results and XPath's conversions.
//! 8. `xpath::compile`: expression text (with BPEL's `$var.part` and namespaces) to a `Compiled`.
//! 9. `aliases`: property aliases, their queries compiled.
//! 10. `xslt`: the XSLT subset, its XPath compiled.
//! 11. `functions`: `bpel:getVariableProperty` and `bpel:doXslTransform` as sxd-xpath functions.
//! 12. `ode`: Apache ODE's XPath extension functions, on evaluated arguments.
//! 13. `xpath::xee`: values to and from xee-xpath for XPath 2.0 (xot documents, sequences).
//! 14. `xpath::evaluate`: running a `Compiled` (with those functions and property aliases), with
//!     sxd-xpath (XPath 1.0) or xee-xpath (XPath 2.0).
//! 15. `copy`: `<assign>` and its copies.
//!
//! # Architecture invariants
//!
//! - **Values are data.** [`value::Value`] and everything in it derive serde and hold no
//!   references, hash maps or closures: they live in checkpoints.
//! - **No panic from input.** Malformed XML, XPath, stylesheets and values give a standard
//!   [`crate::fault::Fault`]; recursion over values is bounded by [`value::MAX_DEPTH`]; sxd-xpath is
//!   called behind `catch_unwind`.
//! - **No I/O while running**, except [`xslt::StylesheetCache`] reading a stylesheet file on first
//!   use (preload it at deployment to avoid even that).
//! - **The trivial path stays trivial.** Copies between variables and parts, literals, and the
//!   expressions `$var`, `$var.part`, `'text'`, numbers and the query `.` never reach sxd-xpath.

pub mod aliases;
pub mod copy;
pub mod dom;
pub mod functions;
pub(crate) mod ode;
pub mod text;
pub mod types;
pub mod validate;
pub mod value;
pub mod write;
pub mod xpath;
pub mod xslt;

pub use aliases::{Alias, AliasTable, NoAliases, PropertyAliases};
pub use copy::{assign, execute_copy, stage, Changes, CopyEnv, EndpointReference, Source, Staged, Store, Target, VariableList};
pub use types::{MessageType, PartKind, PartType, SimpleKind, TypeRef, VarType};
pub use validate::{validate_message, validate_variable, Validation};
pub use value::{Message, NamespaceDecl, Part, Value, XmlAttribute, XmlElement, XmlNode};
pub use xpath::{
    evaluate, evaluate_boolean, evaluate_number, evaluate_string, evaluate_unsigned, property_node, Compiled, CompiledExpressions,
    Location, NodeValue, QueryContext, VariableRef, Variables, XPathEnv, XPathNode, XPathRole, XPathValue,
};
pub use xslt::{NoStylesheets, Stylesheet, StylesheetCache, StylesheetError, Stylesheets};

#[cfg(test)]
mod tests {
    /// Deployed processes share these across worker threads; instance state travels between them.
    #[test]
    fn shared_parts_are_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<super::CompiledExpressions>();
        shared::<super::Compiled>();
        shared::<super::AliasTable>();
        shared::<super::StylesheetCache>();
        shared::<super::Stylesheet>();
        shared::<super::Value>();
        shared::<crate::fault::Fault>();
    }
}
