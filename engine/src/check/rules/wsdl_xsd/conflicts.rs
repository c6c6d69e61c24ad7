//! The imported documents must not define a component twice, nor redefine one (SA00014).

use std::collections::{HashMap, HashSet};

use super::{Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::Diagnostic;
use crate::model::wsdl::Operation;
use crate::parse::loader::{Conflict, ConflictReason};
use crate::source::FileId;

pub(super) const SA00014: Rule = Rule {
    code: "SA00014",
    tier: Tier::Schema,
    summary: "The imported documents define a component twice, or redefine one with xsd:redefine.",
    why: "A QName must stand for one definition. When two imported documents (or one document twice) \
          define the same element, type, group, message, port type, partner link type or property, or an \
          `xsd:redefine` replaces one, the process could be read against either definition; WS-BPEL \
          rejects such a process rather than guess.",
    failing: r#"<!-- A.wsdl and B.wsdl, both targetNamespace="urn:orders" -->
<message name="orderRequest"><part name="order" element="tns:order"/></message>"#,
    fixed: r#"<!-- only A.wsdl defines orderRequest; B.wsdl imports A.wsdl or uses its own name -->
<message name="orderRequest"><part name="order" element="tns:order"/></message>"#,
    check: check_conflicts,
};

fn check_conflicts(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for conflict in cx.definitions.conflicts() {
        out.push(diagnostic(conflict));
    }
    operations_across_documents(cx, out);
}

/// An operation name that port types of two documents with the same target namespace both define.
/// WSDL 1.1 scopes operation names by port type, but a process that imports both documents names
/// an operation of that namespace ambiguously (WSDL 2.0 gives operations namespace-wide QNames,
/// and BPELlint reads SA00014 the same way).
fn operations_across_documents(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut namespaces: Vec<Option<&str>> =
        cx.definitions.documents().iter().filter_map(|d| Some(d.wsdl.as_ref()?.target_namespace())).collect();
    namespaces.sort_unstable();
    if !namespaces.windows(2).any(|pair| pair[0] == pair[1]) {
        return; // no two WSDL documents share a namespace
    }
    let mut first_by_name: HashMap<(Option<&str>, &str), (FileId, &Operation)> = HashMap::new();
    for document in cx.definitions.documents() {
        let Some(wsdl) = &document.wsdl else { continue };
        let namespace = wsdl.target_namespace();
        let mut in_this_document = HashSet::new();
        for operation in wsdl.port_types.iter().flat_map(|p| &p.operations) {
            let key = (namespace, operation.name.value.as_str());
            if !in_this_document.insert(key) {
                continue;
            }
            let Some(&(first_file, first)) = first_by_name.get(&key) else {
                first_by_name.insert(key, (document.file, operation));
                continue;
            };
            out.push(
                Diagnostic::error(
                    SA00014.code,
                    document.file,
                    operation.name.span,
                    format!(
                        "operation `{}` of namespace `{}` is defined again by another imported document",
                        operation.name.value,
                        namespace.unwrap_or("")
                    ),
                )
                .with_help("keep the operations of a namespace in one document, or give them distinct names")
                .with_related(first_file, first.name.span, "the other definition"),
            );
        }
    }
}

fn diagnostic(conflict: &Conflict) -> Diagnostic {
    let kind = conflict.kind.describe();
    let name = &conflict.name.local;
    let namespace = conflict.name.namespace.as_deref().unwrap_or("");
    let (message, related, help) = match conflict.reason {
        ConflictReason::SameDocument => (
            format!("{kind} `{name}` is defined twice in this document"),
            "the first definition",
            "remove or rename one of the two definitions",
        ),
        ConflictReason::Different => (
            format!("{kind} `{name}` of namespace `{namespace}` is defined differently by two imported documents"),
            "the other definition",
            "keep one definition: import the document that has it instead of repeating it",
        ),
        ConflictReason::Identical => (
            format!("{kind} `{name}` of namespace `{namespace}` is defined again by another imported document"),
            "the other definition",
            "keep one definition: import the document that has it instead of repeating it",
        ),
        ConflictReason::Redefined => (
            format!("{kind} `{name}` of namespace `{namespace}` is redefined with xsd:redefine"),
            "the original definition",
            "define a new component with its own name instead of redefining an imported one",
        ),
    };
    Diagnostic::error(SA00014.code, conflict.second.file, conflict.second.name_span, message).with_help(help).with_related(
        conflict.first.file,
        conflict.first.name_span,
        related,
    )
}
