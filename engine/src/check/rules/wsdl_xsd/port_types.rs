//! Port types a WS-BPEL process can work with: only one-way and request-response operations
//! (SA00001), and no overloaded operation names (SA00002).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::{import_of, Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::Diagnostic;
use crate::model::process::ActivityKind;
use crate::model::wsdl::{OperationStyle, PortType};
use crate::model::QName;
use crate::parse::LoadedDocument;

pub(super) const SA00001: Rule = Rule {
    code: "SA00001",
    tier: Tier::Wsdl,
    summary: "An imported port type has a solicit-response or notification operation.",
    why: "WS-BPEL only provides and calls services: a process receives a request (and may reply) or invokes \
          a partner. An operation that starts with an output (the service speaking first) has no WS-BPEL \
          activity to carry it, so the standard rejects any process that refers to such a port type.",
    failing: r#"<portType name="Events">
  <operation name="notify">
    <output message="tns:event"/>
  </operation>
</portType>"#,
    fixed: r#"<portType name="Events">
  <operation name="notify">
    <input message="tns:event"/>
  </operation>
</portType>"#,
    check: check_operation_styles,
};

pub(super) const SA00002: Rule = Rule {
    code: "SA00002",
    tier: Tier::Wsdl,
    summary: "A port type has two operations of the same name (overloading).",
    why: "A WS-BPEL activity names its operation by name only (`operation=\"op\"`), so overloaded \
          operations (WSDL 1.1 allows them, told apart by their messages) cannot be addressed.",
    failing: r#"<portType name="Calc">
  <operation name="add"><input message="tns:ints"/></operation>
  <operation name="add"><input message="tns:floats"/></operation>
</portType>"#,
    fixed: r#"<portType name="Calc">
  <operation name="addInts"><input message="tns:ints"/></operation>
  <operation name="addFloats"><input message="tns:floats"/></operation>
</portType>"#,
    check: check_overloaded_operations,
};

/// The port types the process can refer to: every port type of the documents it imports itself,
/// and those of other documents that a role of one of its partner links names.
fn port_types<'a>(cx: &RuleContext<'a>) -> Vec<(&'a LoadedDocument, &'a PortType)> {
    let mut used: Option<HashSet<&QName>> = None;
    let mut out = Vec::new();
    for document in cx.definitions.documents() {
        let Some(wsdl) = &document.wsdl else { continue };
        if cx.definitions.is_root(document.file) {
            out.extend(wsdl.port_types.iter().map(|port_type| (document.as_ref(), port_type)));
            continue;
        }
        let used = used.get_or_insert_with(|| used_port_types(cx));
        for port_type in &wsdl.port_types {
            if used.contains(&wsdl.qname(&port_type.name.value)) {
                out.push((document.as_ref(), port_type));
            }
        }
    }
    out
}

fn used_port_types<'a>(cx: &RuleContext<'a>) -> HashSet<&'a QName> {
    let scopes = std::iter::once(&cx.process.scope).chain(cx.process.activities.iter().filter_map(|a| match &a.kind {
        ActivityKind::Scope(scope) => Some(&scope.decls),
        _ => None,
    }));
    let link_types = scopes
        .flat_map(|decls| &decls.partner_links)
        .filter_map(|link| cx.definitions.partner_link_type(link.partner_link_type.as_ref()?.name.as_ref()?));
    link_types.flat_map(|link_type| link_type.item.roles.iter().filter_map(|role| role.port_type.as_ref()?.name.as_ref())).collect()
}

fn check_operation_styles(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (document, port_type) in port_types(cx) {
        for operation in &port_type.operations {
            let kind = match operation.style {
                Some(OperationStyle::SolicitResponse) => "a solicit-response operation (output, then input)",
                Some(OperationStyle::Notification) => "a notification operation (output only)",
                _ => continue,
            };
            let mut diagnostic = Diagnostic::error(
                SA00001.code,
                document.file,
                operation.name.span,
                format!("operation `{}` of port type `{}` is {kind}", operation.name.value, port_type.name.value),
            )
            .with_help("WS-BPEL supports only one-way (input) and request-response (input, then output) operations");
            if let Some(import) = import_of(cx, document.file) {
                diagnostic = diagnostic.with_related(cx.file, import.span, "the document is imported here");
            }
            out.push(diagnostic);
        }
    }
}

fn check_overloaded_operations(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (document, port_type) in port_types(cx) {
        overloaded_operations(document, port_type, out);
    }
}

fn overloaded_operations(document: &LoadedDocument, port_type: &PortType, out: &mut Vec<Diagnostic>) {
    let mut first_by_name = HashMap::new();
    for operation in &port_type.operations {
        let first = match first_by_name.entry(operation.name.value.as_str()) {
            Entry::Occupied(first) => *first.get(),
            Entry::Vacant(vacant) => {
                vacant.insert(operation);
                continue;
            }
        };
        out.push(
            Diagnostic::error(
                SA00002.code,
                document.file,
                operation.name.span,
                format!("port type `{}` has a second operation named `{}`", port_type.name.value, operation.name.value),
            )
            .with_help("give each operation of a port type its own name")
            .with_related(document.file, first.name.span, "the first operation of this name"),
        );
    }
}
