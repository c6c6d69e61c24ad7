//! What an `<import>` says must agree with the document it loads: its namespace (SA00011, SA00012)
//! and its kind (SA00013).

use super::{replace, Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::model::process::Import;
use crate::parse::{LoadedDocument, WSDL_IMPORT_TYPE, XSD_IMPORT_TYPE};
use crate::resolve::start_tag_name;
use crate::span::Span;

pub(super) const SA00011: Rule = Rule {
    code: "SA00011",
    tier: Tier::Wsdl,
    summary: "An import's namespace differs from the target namespace of the document it imports.",
    why: "The `namespace` attribute of `<import>` states which namespace the imported definitions are in; \
          a document with another target namespace is not the one the process asked for.",
    failing: r#"<import namespace="urn:orders" location="Shipping.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>
<!-- Shipping.wsdl: targetNamespace="urn:shipping" -->"#,
    fixed: r#"<import namespace="urn:shipping" location="Shipping.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>"#,
    check: check_import_namespaces,
};

pub(super) const SA00012: Rule = Rule {
    code: "SA00012",
    tier: Tier::Wsdl,
    summary: "An import without a namespace loads a document that has a target namespace.",
    why: "Leaving out `namespace` on `<import>` says that the imported definitions have no namespace; \
          a document with a target namespace contradicts it.",
    failing: r#"<import location="Shipping.wsdl" importType="http://schemas.xmlsoap.org/wsdl/"/>
<!-- Shipping.wsdl: targetNamespace="urn:shipping" -->"#,
    fixed: r#"<import namespace="urn:shipping" location="Shipping.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>"#,
    check: check_missing_import_namespaces,
};

pub(super) const SA00013: Rule = Rule {
    code: "SA00013",
    tier: Tier::Wsdl,
    summary: "An import's importType is neither the WSDL 1.1 nor the XML Schema 1.0 namespace.",
    why: "`importType` tells the processor how to read the imported document. WS-BPEL 2.0 defines two \
          values: `http://schemas.xmlsoap.org/wsdl/` for WSDL 1.1 and `http://www.w3.org/2001/XMLSchema` \
          for XML Schema 1.0; any other value names a document kind the process cannot use.",
    failing: r#"<import namespace="urn:shipping" location="Shipping.wsdl" importType="wsdl"/>"#,
    fixed: r#"<import namespace="urn:shipping" location="Shipping.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>"#,
    check: check_import_types,
};

/// The process's imports with the documents they loaded.
fn loaded_imports<'a>(cx: &RuleContext<'a>) -> impl Iterator<Item = (&'a Import, &'a LoadedDocument)> {
    cx.process.imports.iter().zip(&cx.unit.imports).filter_map(|(import, document)| {
        let document = document.as_deref()?;
        document.kind.is_some().then_some((import, document))
    })
}

fn target_namespace_span(document: &LoadedDocument) -> Option<Span> {
    let wsdl = document.wsdl.as_ref().and_then(|w| w.target_namespace.as_ref());
    let schema = document.schema.as_ref().and_then(|s| s.target_namespace.as_ref());
    wsdl.or(schema).map(|name| name.span)
}

fn check_import_namespaces(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (import, document) in loaded_imports(cx) {
        let Some(namespace) = &import.namespace else { continue };
        let found = document.target_namespace();
        if found == Some(namespace.value.as_str()) {
            continue;
        }
        let location = import.location.as_ref().map_or("", |l| l.value.as_str());
        let (message, fix) = match found {
            Some(found) => (
                format!("`{location}` has the target namespace `{found}`, but is imported as `{}`", namespace.value),
                replace(cx, namespace.span, found.to_string(), format!("Import it as `{found}`")),
            ),
            None => (
                format!("`{location}` has no target namespace, but is imported as `{}`", namespace.value),
                match super::remove_attribute(cx, namespace.span, "Remove the namespace attribute".to_string()) {
                    Some(fix) => fix,
                    None => continue,
                },
            ),
        };
        let mut diagnostic = Diagnostic::error(SA00011.code, cx.file, namespace.span, message).with_fix(fix);
        if let Some(span) = target_namespace_span(document) {
            diagnostic = diagnostic.with_related(document.file, span, "the document's target namespace");
        }
        out.push(diagnostic);
    }
}

fn check_missing_import_namespaces(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (import, document) in loaded_imports(cx) {
        let Some(found) = document.target_namespace() else { continue };
        if import.namespace.is_some() {
            continue;
        }
        let tag = start_tag_name(cx.text, import.span);
        let location = import.location.as_ref().map_or("", |l| l.value.as_str());
        let mut diagnostic = Diagnostic::error(
            SA00012.code,
            cx.file,
            tag,
            format!("this import has no namespace, but `{location}` has the target namespace `{found}`"),
        )
        .with_fix(Fix {
            title: format!("Add namespace=\"{found}\""),
            edits: vec![TextEdit { file: cx.file, span: Span::empty_at(tag.end as usize), replacement: format!(" namespace=\"{found}\"") }],
        });
        if let Some(span) = target_namespace_span(document) {
            diagnostic = diagnostic.with_related(document.file, span, "the document's target namespace");
        }
        out.push(diagnostic);
    }
}

fn check_import_types(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for import in &cx.process.imports {
        let Some(import_type) = &import.import_type else { continue };
        if matches!(import_type.value.as_str(), WSDL_IMPORT_TYPE | XSD_IMPORT_TYPE) {
            continue;
        }
        let mut diagnostic = Diagnostic::error(
            SA00013.code,
            cx.file,
            import_type.span,
            format!("`{}` is not an import type WS-BPEL knows", import_type.value),
        )
        .with_help(format!("use `{WSDL_IMPORT_TYPE}` for a WSDL 1.1 document or `{XSD_IMPORT_TYPE}` for an XML Schema"));
        if let Some((kind, uri)) = likely_import_type(import) {
            diagnostic = diagnostic.with_fix(replace(cx, import_type.span, uri.to_string(), format!("Import it as {kind}")));
        }
        out.push(diagnostic);
    }
}

/// The import type a location's file extension suggests.
fn likely_import_type(import: &Import) -> Option<(&'static str, &'static str)> {
    let location = import.location.as_ref()?.value.to_ascii_lowercase();
    if location.ends_with(".wsdl") {
        Some(("WSDL 1.1", WSDL_IMPORT_TYPE))
    } else if location.ends_with(".xsd") {
        Some(("XML Schema", XSD_IMPORT_TYPE))
    } else {
        None
    }
}
