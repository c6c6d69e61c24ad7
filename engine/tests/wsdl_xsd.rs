//! WSDL and XSD loading against the betsy suite's documents, and the loader's behaviour on
//! imports: caching, cycles, missing and broken files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bpel_engine::diagnostic::codes;
use bpel_engine::model::wsdl::{OperationStyle, SoapStyle, SoapUse, SoapVersion};
use bpel_engine::model::xsd::{self, SchemaSet, ValueError, XSD_NS};
use bpel_engine::model::QName;
use bpel_engine::parse::loader::{ConflictReason, DefinitionKind, Definitions, ImportKind, LoadError, LoadedDocument, Loader};
use bpel_engine::parse::wsdl::read_wsdl;
use bpel_engine::parse::xsd::read_schema_document;
use bpel_engine::syntax::parse_xml;
use bpel_engine::FileId;

const TI: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface";
const TP: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner";
const MONTHS: &str = "http://dsg.wiai.uniba.de/betsy/xsd/months";

fn betsy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/betsy")
}

fn q(namespace: &str, local: &str) -> QName {
    QName::new(Some(namespace), local)
}

fn xs(local: &str) -> QName {
    q(XSD_NS, local)
}

fn load(loader: &mut Loader, path: &Path, kind: ImportKind) -> Arc<LoadedDocument> {
    loader.load(path, kind).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn errors(document: &LoadedDocument) -> Vec<String> {
    document.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code, d.message)).collect()
}

/// A folder of its own under the system temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("bpel-wsdl-xsd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files_with_extensions(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_with_extensions(&path, out);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("wsdl" | "xsd")) {
            out.push(path);
        }
    }
}

#[test]
fn every_betsy_wsdl_and_xsd_loads() {
    let mut files = Vec::new();
    files_with_extensions(&betsy(), &mut files);
    assert!(files.len() > 800, "expected the betsy suite at {}, found {} files", betsy().display(), files.len());
    let mut loader = Loader::new();
    let mut broken = Vec::new();
    for path in &files {
        let kind = if path.extension().is_some_and(|e| e == "wsdl") { ImportKind::Wsdl } else { ImportKind::Schema };
        let document = load(&mut loader, path, kind);
        let definitions = Definitions::from_documents(std::slice::from_ref(&document));
        if document.has_errors() {
            broken.push(format!("{}: {:?}", path.display(), errors(&document)));
        }
        // Walk everything: the definitions must be reachable without panics.
        for kind in DefinitionKind::ALL {
            let _ = kind.describe();
        }
        for message in definitions.iter::<bpel_engine::model::wsdl::Message>() {
            assert!(definitions.locate(DefinitionKind::Message, &message.qname()).is_some());
        }
        for element in definitions.iter::<xsd::ElementDecl>() {
            let _ = definitions.sample_element(&element.qname());
        }
    }
    // The only broken documents are the SA00014 redefine whose schemaLocation points outside its folder.
    assert!(broken.iter().all(|b| b.contains("SA00014-2") && b.contains(codes::IMPORT_NOT_FOUND)), "{broken:#?}");
    assert_eq!(broken.len(), 1, "{broken:#?}");
}

#[test]
fn test_interface_has_the_facts_of_the_readme() {
    let mut loader = Loader::new();
    let document = load(&mut loader, &betsy().join("TestInterface.wsdl"), ImportKind::Wsdl);
    assert!(document.diagnostics.is_empty(), "{:?}", document.diagnostics);
    assert_eq!(document.kind, Some(ImportKind::Wsdl));
    let definitions = Definitions::from_documents(std::slice::from_ref(&document));
    let wsdl = document.wsdl.as_ref().expect("a WSDL");
    assert_eq!(wsdl.target_namespace(), Some(TI));

    let plt = definitions.partner_link_type(&q(TI, "TestInterfacePartnerLinkType")).expect("partnerLinkType");
    assert_eq!(plt.roles.len(), 1);
    assert_eq!(plt.roles[0].name.value, "testInterfaceRole");
    assert_eq!(plt.roles[0].port_type.as_ref().and_then(|p| p.name.clone()), Some(q(TI, "TestInterfacePortType")));

    let property = definitions.property(&q(TI, "correlationId")).expect("property");
    assert_eq!(property.type_.as_ref().and_then(|t| t.name.clone()), Some(xs("int")));
    assert!(property.element.is_none());
    let aliases: Vec<(String, String)> = definitions
        .property_aliases(&q(TI, "correlationId"))
        .map(|a| {
            (a.message_type.as_ref().and_then(|m| m.name.clone()).expect("messageType").local, a.part.as_ref().expect("part").value.clone())
        })
        .collect();
    let expected = [
        ("executeProcessSyncRequest", "inputPart"),
        ("executeProcessSyncStringRequest", "inputPart"),
        ("executeProcessSyncResponse", "outputPart"),
        ("executeProcessAsyncRequest", "inputPart"),
    ];
    assert_eq!(aliases, expected.map(|(m, p)| (m.to_string(), p.to_string())));

    for (element, type_) in [
        ("testElementSyncRequest", "int"),
        ("testElementAsyncRequest", "int"),
        ("testElementSyncResponse", "int"),
        ("testElementSyncFault", "int"),
        ("testElementSyncStringRequest", "int"),
        ("testElementSyncStringResponse", "string"),
    ] {
        let decl = definitions.element(&q(TI, element)).unwrap_or_else(|| panic!("element {element}"));
        let xsd::ElementType::Named(named) = &decl.type_ else { panic!("{element} has a named type") };
        assert_eq!(named.name, Some(xs(type_)), "{element}");
    }

    let messages = [
        ("executeProcessSyncRequest", "inputPart", "testElementSyncRequest"),
        ("executeProcessAsyncRequest", "inputPart", "testElementAsyncRequest"),
        ("executeProcessSyncResponse", "outputPart", "testElementSyncResponse"),
        ("executeProcessSyncFault", "payload", "testElementSyncFault"),
        ("executeProcessSyncStringRequest", "inputPart", "testElementSyncStringRequest"),
        ("executeProcessSyncStringResponse", "outputPart", "testElementSyncStringResponse"),
    ];
    assert_eq!(definitions.iter::<bpel_engine::model::wsdl::Message>().count(), messages.len());
    for (message, part, element) in messages {
        let message = definitions.message(&q(TI, message)).expect("message");
        assert_eq!(message.parts.len(), 1);
        assert_eq!(message.parts[0].name.value, part);
        assert_eq!(message.parts[0].element.as_ref().and_then(|e| e.name.clone()), Some(q(TI, element)));
    }

    let port_type = q(TI, "TestInterfacePortType");
    let async_op = definitions.operation(&port_type, "startProcessAsync").expect("startProcessAsync");
    assert_eq!(async_op.style, Some(OperationStyle::OneWay));
    assert_eq!(async_op.input.as_ref().and_then(|i| i.name.as_ref()).map(|n| n.value.as_str()), Some("asyncInput"));
    assert!(async_op.output.is_none() && async_op.faults.is_empty());
    let sync_op = definitions.operation(&port_type, "startProcessSync").expect("startProcessSync");
    assert_eq!(sync_op.style, Some(OperationStyle::RequestResponse));
    assert_eq!(
        sync_op.input.as_ref().and_then(|i| i.message.as_ref()).and_then(|m| m.name.clone()),
        Some(q(TI, "executeProcessSyncRequest"))
    );
    assert_eq!(
        sync_op.output.as_ref().and_then(|o| o.message.as_ref()).and_then(|m| m.name.clone()),
        Some(q(TI, "executeProcessSyncResponse"))
    );
    assert_eq!(sync_op.faults.len(), 1);
    assert_eq!(sync_op.faults[0].name.value, "syncFault");
    assert_eq!(sync_op.faults[0].message.as_ref().and_then(|m| m.name.clone()), Some(q(TI, "executeProcessSyncFault")));
    let string_op = definitions.operation(&port_type, "startProcessSyncString").expect("startProcessSyncString");
    assert_eq!(string_op.style, Some(OperationStyle::RequestResponse));
    assert!(string_op.faults.is_empty());
    assert_eq!(string_op.output.as_ref().and_then(|o| o.name.as_ref()).map(|n| n.value.as_str()), Some("syncOutputString"));

    let binding = definitions.binding(&q(TI, "TestInterfacePortTypeBinding")).expect("binding");
    assert_eq!(binding.port_type.as_ref().and_then(|p| p.name.clone()), Some(port_type.clone()));
    let soap = binding.soap.as_ref().expect("soap:binding");
    assert_eq!((soap.version, soap.style()), (SoapVersion::Soap11, SoapStyle::Document));
    assert_eq!(soap.transport.as_ref().map(|t| t.value.as_str()), Some("http://schemas.xmlsoap.org/soap/http"));
    let actions: Vec<(&str, Option<&str>)> =
        binding.operations.iter().map(|o| (o.name.value.as_str(), o.soap_action.as_ref().map(|a| a.value.as_str()))).collect();
    assert_eq!(
        actions,
        [("startProcessAsync", Some("async")), ("startProcessSync", Some("sync")), ("startProcessSyncString", Some("syncString"))]
    );
    for operation in &binding.operations {
        assert_eq!(operation.effective_style(&binding), SoapStyle::Document);
        for message in operation.input.iter().chain(&operation.output) {
            assert_eq!(message.body.as_ref().and_then(|b| b.use_.as_ref()).map(|u| u.value), Some(SoapUse::Literal));
        }
    }
    let fault =
        binding.operation("startProcessSync").and_then(|o| o.fault("syncFault")).and_then(|f| f.soap_fault.as_ref()).expect("soap:fault");
    assert_eq!(fault.name.as_ref().map(|n| n.value.as_str()), Some("syncFault"));
    assert_eq!(fault.use_.as_ref().map(|u| u.value), Some(SoapUse::Literal));

    let service = definitions.service(&q(TI, "TestInterfaceService")).expect("service");
    assert_eq!(service.ports.len(), 1);
    assert_eq!(service.ports[0].name.value, "TestInterfacePort");
    assert_eq!(service.ports[0].binding.as_ref().and_then(|b| b.name.clone()), Some(q(TI, "TestInterfacePortTypeBinding")));
    assert_eq!(service.ports[0].address.as_ref().map(|a| a.value.as_str()), Some("ENDPOINT_URL"));

    let location = definitions.locate(DefinitionKind::Message, &q(TI, "executeProcessSyncFault")).expect("location");
    assert_eq!(location.file, document.file);
    assert_eq!(location.name_span.slice(&document.text), "executeProcessSyncFault");
    assert!(location.span.slice(&document.text).starts_with("<message name=\"executeProcessSyncFault\">"));
    assert!(definitions.conflicts().is_empty(), "{:?}", definitions.conflicts());
}

#[test]
fn test_partner_has_the_facts_of_the_readme() {
    let mut loader = Loader::new();
    let ti = load(&mut loader, &betsy().join("TestInterface.wsdl"), ImportKind::Wsdl);
    let tp = load(&mut loader, &betsy().join("TestPartner.wsdl"), ImportKind::Wsdl);
    assert!(tp.diagnostics.is_empty(), "{:?}", tp.diagnostics);
    let definitions = Definitions::from_documents(&[ti, tp.clone()]);

    let plt = definitions.partner_link_type(&q(TP, "TestPartnerLinkType")).expect("partnerLinkType");
    assert_eq!(
        plt.role("testPartnerRole").and_then(|r| r.port_type.as_ref()).and_then(|p| p.name.clone()),
        Some(q(TP, "TestPartnerPortType"))
    );

    assert!(definitions.property(&q(TP, "correlationId")).is_none(), "the property lives in TestInterface.wsdl");
    let aliases: Vec<_> = definitions.property_aliases(&q(TI, "correlationId")).filter(|a| a.file() == tp.file).collect();
    let message_types: Vec<QName> = aliases.iter().filter_map(|a| a.message_type.as_ref().and_then(|m| m.name.clone())).collect();
    assert_eq!(
        message_types,
        [q(TP, "executeProcessSyncRequest"), q(TP, "executeProcessSyncResponse"), q(TP, "executeProcessAsyncRequest")]
    );
    assert_eq!(definitions.property_aliases(&q(TI, "correlationId")).count(), 7);

    for element in ["testElementSyncRequest", "testElementAsyncRequest", "testElementSyncResponse", "testElementFault"] {
        assert!(definitions.element(&q(TP, element)).is_some(), "{element}");
    }
    assert!(definitions.message(&q(TP, "emptyMessage")).expect("emptyMessage").parts.is_empty());
    let fault_message = definitions.message(&q(TP, "faultMessage")).expect("faultMessage");
    assert_eq!(
        fault_message.part("outputPart").and_then(|p| p.element.as_ref()).and_then(|e| e.name.clone()),
        Some(q(TP, "testElementFault"))
    );

    let port_type = q(TP, "TestPartnerPortType");
    assert!(definitions.operation(&port_type, "startProcessAsync").expect("async").is_one_way());
    let sync = definitions.operation(&port_type, "startProcessSync").expect("sync");
    assert!(sync.is_request_response());
    assert_eq!(sync.fault("CustomFault").and_then(|f| f.message.as_ref()).and_then(|m| m.name.clone()), Some(q(TP, "faultMessage")));
    let empty = definitions.operation(&port_type, "startProcessWithEmptyMessage").expect("empty");
    assert!(empty.is_one_way());
    assert_eq!(empty.input.as_ref().and_then(|i| i.message.as_ref()).and_then(|m| m.name.clone()), Some(q(TP, "emptyMessage")));

    let binding = definitions.binding(&q(TP, "TestPartnerPortTypeBinding")).expect("binding");
    assert!(binding.operations.iter().all(|o| o.soap_action.is_none()));
    assert_eq!(binding.soap.as_ref().map(|s| s.style()), Some(SoapStyle::Document));
    let service = definitions.service(&q(TP, "TestService")).expect("service");
    assert_eq!(service.ports[0].name.value, "TestPort");
    assert_eq!(service.ports[0].address.as_ref().map(|a| a.value.as_str()), Some("http://PARTNER_IP_AND_PORT/bpel-testpartner"));
}

#[test]
fn months_validates_month_integers() {
    let mut loader = Loader::new();
    let document = load(&mut loader, &betsy().join("basic/months.xsd"), ImportKind::Schema);
    assert!(document.diagnostics.is_empty(), "{:?}", document.diagnostics);
    let definitions = Definitions::from_documents(&[document]);
    let month = q(MONTHS, "monthInteger");
    assert!(definitions.has_type(&month));
    assert_eq!(definitions.validate_simple_value(&month, "5"), Ok(()));
    assert_eq!(definitions.validate_simple_value(&month, " 12\n"), Ok(()));
    assert!(matches!(definitions.validate_simple_value(&month, "13"), Err(ValueError::Invalid(m)) if m.contains("maxInclusive")));
    assert!(matches!(definitions.validate_simple_value(&month, "0"), Err(ValueError::Invalid(m)) if m.contains("minInclusive")));
    assert!(matches!(definitions.validate_simple_value(&month, "x"), Err(ValueError::Invalid(_))));
    assert!(matches!(definitions.validate_simple_value(&q(MONTHS, "nope"), "1"), Err(ValueError::Schema(_))));
}

#[test]
fn sample_of_a_test_interface_element_is_in_its_namespace() {
    let mut loader = Loader::new();
    let document = load(&mut loader, &betsy().join("TestInterface.wsdl"), ImportKind::Wsdl);
    let definitions = Definitions::from_documents(&[document]);
    let sample = definitions.sample_element(&q(TI, "testElementSyncRequest")).expect("sample");
    assert!(sample.notes.is_empty(), "{:?}", sample.notes);
    let xml = parse_xml(&sample.xml);
    assert!(xml.errors.is_empty(), "{:?}", xml.errors);
    let root = xml.root.expect("root");
    assert!(root.is(TI, "testElementSyncRequest"), "{}", sample.xml);
    assert_eq!(definitions.validate_element_text(&q(TI, "testElementSyncRequest"), &root.text()), Ok(()));
    let string = definitions.sample_element(&q(TI, "testElementSyncStringResponse")).expect("sample");
    assert!(string.xml.contains(">string<"), "{}", string.xml);
    assert!(definitions.sample_element(&q(TI, "nope")).is_err());
}

#[test]
fn a_missing_import_is_reported_on_the_import_element() {
    let dir = TempDir::new("missing");
    let text = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">
  <import namespace="urn:b" location="missing.wsdl"/>
  <types>
    <xsd:schema targetNamespace="urn:a">
      <xsd:import namespace="urn:c" schemaLocation="sub/missing.xsd"/>
      <xsd:import namespace="urn:d"/>
    </xsd:schema>
  </types>
</definitions>"#;
    let path = dir.write("a.wsdl", text);
    let mut loader = Loader::new();
    let document = load(&mut loader, &path, ImportKind::Wsdl);
    let not_found: Vec<&str> =
        document.diagnostics.iter().filter(|d| d.code == codes::IMPORT_NOT_FOUND).map(|d| d.span.slice(text)).collect();
    assert_eq!(
        not_found,
        [r#"<import namespace="urn:b" location="missing.wsdl"/>"#, r#"<xsd:import namespace="urn:c" schemaLocation="sub/missing.xsd"/>"#]
    );
    assert_eq!(document.diagnostics.len(), 2, "{:?}", document.diagnostics);
    assert!(document.imports.is_empty());
    assert!(matches!(loader.load(&dir.0.join("nope.wsdl"), ImportKind::Wsdl), Err(LoadError::NotFound { .. })));
}

#[test]
fn a_broken_nested_import_is_reported_with_its_first_error() {
    let dir = TempDir::new("broken");
    dir.write(
        "b.xsd",
        r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b"><xsd:element name="e" type="xsd:int">"#,
    );
    let text = r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"><xsd:import namespace="urn:b" schemaLocation="b.xsd"/></xsd:schema>"#;
    let path = dir.write("a.xsd", text);
    let mut loader = Loader::new();
    let document = load(&mut loader, &path, ImportKind::Schema);
    let broken = document.diagnostics.iter().find(|d| d.code == codes::IMPORT_BROKEN).expect("IMPORT_BROKEN");
    assert_eq!(broken.span.slice(text), r#"<xsd:import namespace="urn:b" schemaLocation="b.xsd"/>"#);
    assert_eq!(broken.related.len(), 1);
    assert_eq!(document.imports.len(), 1);
    assert!(document.imports[0].diagnostics.iter().any(|d| d.code == codes::XML_SYNTAX));
    // What could be read is still there.
    let definitions = Definitions::from_documents(&[document]);
    assert!(definitions.element(&q("urn:b", "e")).is_some());
}

#[test]
fn namespace_and_kind_mismatches_are_reported() {
    let dir = TempDir::new("mismatch");
    dir.write("b.xsd", r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:other"/>"#);
    dir.write("c.wsdl", r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:c"/>"#);
    let text = r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"><xsd:import namespace="urn:b" schemaLocation="b.xsd"/><xsd:include schemaLocation="c.wsdl"/></xsd:schema>"#;
    let path = dir.write("a.xsd", text);
    let mut loader = Loader::new();
    let document = load(&mut loader, &path, ImportKind::Schema);
    let found: Vec<(&str, &str)> = document.diagnostics.iter().map(|d| (d.code, d.span.slice(text))).collect();
    assert_eq!(found, [(codes::IMPORT_BROKEN, "urn:b"), (codes::IMPORT_BROKEN, r#"<xsd:include schemaLocation="c.wsdl"/>"#)]);
    assert!(matches!(
        loader.load(&path, ImportKind::Wsdl),
        Err(LoadError::KindMismatch { expected: ImportKind::Wsdl, found: ImportKind::Schema, .. })
    ));
    assert!(matches!(loader.load_location(&path, "http://example.com/x.wsdl", ImportKind::Wsdl), Err(LoadError::Remote { .. })));
    assert!(matches!(loader.load(&dir.0.join("https://example.com/x.wsdl"), ImportKind::Wsdl), Err(LoadError::Remote { .. })));
}

#[test]
fn documents_are_loaded_once_and_cycles_end() {
    let dir = TempDir::new("cycle");
    let a = dir.write(
        "a.wsdl",
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:a"><import namespace="urn:b" location="b.wsdl"/><message name="ma"/></definitions>"#,
    );
    std::fs::create_dir_all(dir.0.join("sub")).expect("sub");
    dir.write(
        "b.wsdl",
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:b"><import namespace="urn:a" location="a.wsdl"/><import namespace="urn:b" location="./b.wsdl"/><message name="mb"/></definitions>"#,
    );
    let mut loader = Loader::new();
    let first = load(&mut loader, &a, ImportKind::Wsdl);
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    assert_eq!(loader.sources.len(), 2);
    let again = load(&mut loader, &dir.0.join("sub/../a.wsdl"), ImportKind::Wsdl);
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(loader.sources.len(), 2);

    let b = load(&mut loader, &dir.0.join("b.wsdl"), ImportKind::Wsdl);
    assert!(Arc::ptr_eq(&b, &first.imports[0]));
    assert_eq!(b.cyclic_imports.len(), 2, "back to a, and to itself");
    for roots in [vec![first.clone()], vec![b.clone()]] {
        let definitions = Definitions::from_documents(&roots);
        assert_eq!(definitions.documents().len(), 2);
        assert!(definitions.message(&q("urn:a", "ma")).is_some());
        assert!(definitions.message(&q("urn:b", "mb")).is_some());
        assert!(definitions.is_root(roots[0].file));
    }
}

#[test]
fn truncated_wsdl_never_panics() {
    let text = std::fs::read_to_string(betsy().join("TestInterface.wsdl")).expect("TestInterface.wsdl");
    for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
        let document = parse_xml(&text[..end]);
        let mut diagnostics = Vec::new();
        if let Some(wsdl) = read_wsdl(FileId(0), &document, &mut diagnostics) {
            for schema in &wsdl.schemas {
                let _ = xsd::sample_element(schema, &q(TI, "testElementSyncRequest"));
            }
        }
        for diagnostic in &diagnostics {
            assert!(diagnostic.span.end as usize <= end, "span past the end: {diagnostic:?}");
        }
    }
    let dir = TempDir::new("truncated");
    let path = dir.write("t.wsdl", &text[..text.len() / 2]);
    let mut loader = Loader::new();
    let document = load(&mut loader, &path, ImportKind::Wsdl);
    assert!(document.diagnostics.iter().any(|d| d.code == codes::XML_SYNTAX));
    assert!(document.wsdl.as_ref().is_some_and(|w| !w.messages.is_empty()));
}

#[test]
fn duplicate_and_redefined_definitions_are_conflicts() {
    let sa14 = betsy().join("sa-rules/SA00014");
    let mut loader = Loader::new();
    let ti = load(&mut loader, &sa14.join("SA00014-13/TestInterface.wsdl"), ImportKind::Wsdl);
    let double = load(&mut loader, &sa14.join("SA00014-13/TestIF-DoubleMessage.wsdl"), ImportKind::Wsdl);
    let definitions = Definitions::from_documents(&[ti.clone(), double.clone()]);
    let conflicts = definitions.conflicts();
    assert!(
        conflicts.iter().any(|c| c.kind == DefinitionKind::Message
            && c.name == q(TI, "executeProcessSyncRequest")
            && c.reason == ConflictReason::Different
            && c.first.file == ti.file
            && c.second.file == double.file),
        "{conflicts:#?}"
    );
    assert_eq!(definitions.message(&q(TI, "executeProcessSyncRequest")).map(|m| m.file()), Some(ti.file), "the first import wins");

    let base = load(&mut loader, &sa14.join("SA00014-7/CalculatorSchema_WithSimpleTypeGroupAndAttributeGroup.xsd"), ImportKind::Schema);
    let redefined = load(&mut loader, &sa14.join("SA00014-7/CalculatorSchema_Redefined_group.xsd"), ImportKind::Schema);
    assert!(redefined.diagnostics.is_empty(), "{:?}", redefined.diagnostics);
    assert!(Arc::ptr_eq(&redefined.imports[0], &base), "the redefined schema is loaded once");
    let definitions = Definitions::from_documents(&[base.clone(), redefined.clone()]);
    let calc = "http://xml.netbeans.org/schema/CalculatorSchema";
    let conflict = definitions.conflicts().iter().find(|c| c.reason == ConflictReason::Redefined).expect("a redefinition");
    assert_eq!((conflict.kind, &conflict.name), (DefinitionKind::Group, &q(calc, "myCustomGroup")));
    assert_eq!(definitions.group(&q(calc, "myCustomGroup")).map(|g| g.file()), Some(redefined.file), "the redefinition wins");

    // The same text in two files is a conflict of its own kind, for the checker to weigh.
    let other = load(&mut loader, &betsy().join("TestInterface.wsdl"), ImportKind::Wsdl);
    let definitions = Definitions::from_documents(&[ti, other]);
    assert!(definitions.conflicts().iter().all(|c| c.reason == ConflictReason::Identical));
    assert!(!definitions.conflicts().is_empty());
}

#[test]
fn property_alias_queries_keep_their_namespaces() {
    let text = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:vprop="http://docs.oasis-open.org/wsbpel/2.0/varprop" xmlns:tns="urn:a" targetNamespace="urn:a">
  <vprop:property name="id" type="xsd:int" xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>
  <vprop:propertyAlias propertyName="tns:id" element="tns:order">
    <vprop:query xmlns:o="urn:orders" queryLanguage="urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0">o:id</vprop:query>
  </vprop:propertyAlias>
  <vprop:propertyAlias propertyName="nope:id" messageType="tns:m" part="p"/>
</definitions>"#;
    let document = parse_xml(text);
    let mut diagnostics = Vec::new();
    let wsdl = read_wsdl(FileId(0), &document, &mut diagnostics).expect("wsdl");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!((diagnostics[0].code, diagnostics[0].span.slice(text)), (codes::UNBOUND_PREFIX, "nope:id"));
    let query = wsdl.property_aliases[0].query.as_ref().expect("query");
    assert_eq!(query.text, "o:id");
    assert_eq!(query.text_span.slice(text), "o:id");
    assert!(query.namespaces.contains(&(Some("o".to_string()), "urn:orders".to_string())));
    assert_eq!(wsdl.namespaces.lookup(query.scope, Some("tns")), Some("urn:a"));
    assert_eq!(wsdl.property_aliases[1].property_name.as_ref().map(|p| p.name.is_none()), Some(true));
}

#[test]
fn wsdl_errors_point_at_the_offending_text() {
    let text = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:plnk="http://docs.oasis-open.org/wsbpel/2.0/plnktype" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:x="urn:ext" targetNamespace="urn:a" xmlns:tns="urn:a">
  <x:anything><message/></x:anything>
  <message><part name="p" element="tns:e"/></message>
  <portType name="pt">
    <operation name="none"/>
    <operation name="solicit"><output message="tns:m"/><input message="tns:m"/></operation>
    <operation name="notify"><output message="tns:m"/></operation>
    <opration name="typo"/>
  </portType>
  <binding name="b" type="tns:pt"><soap:binding style="documnt"/></binding>
  <plnk:partnerLinkType name="plt"/>
  <service name="s"><port name="p"><soap:address/></port></service>
</definitions>"#;
    let document = parse_xml(text);
    assert!(document.errors.is_empty());
    let mut diagnostics = Vec::new();
    let wsdl = read_wsdl(FileId(0), &document, &mut diagnostics).expect("wsdl");
    let found: Vec<(&str, &str)> = diagnostics.iter().map(|d| (d.code, d.span.slice(text))).collect();
    assert_eq!(
        found,
        [
            (codes::MISSING_REQUIRED, "message"),
            (codes::MISSING_REQUIRED, "none"),
            (codes::UNEXPECTED_ELEMENT, "opration"),
            (codes::INVALID_VALUE, "documnt"),
            (codes::MISSING_REQUIRED, "port"),
            (codes::MISSING_REQUIRED, "soap:address"),
            (codes::MISSING_REQUIRED, "plt"),
        ]
    );
    let styles: Vec<Option<OperationStyle>> = wsdl.port_types[0].operations.iter().map(|o| o.style).collect();
    assert_eq!(styles, [None, Some(OperationStyle::SolicitResponse), Some(OperationStyle::Notification)]);
    assert_eq!(wsdl.messages.len(), 0);
}

const SCHEMA: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:simpleType name="code"><xs:restriction base="xs:token"><xs:enumeration value="ADD"/><xs:enumeration value="SUB"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="short3"><xs:restriction base="xs:string"><xs:minLength value="3"/><xs:maxLength value="5"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="zip"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{5}"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="ints"><xs:list itemType="xs:int"/></xs:simpleType>
  <xs:simpleType name="twoInts"><xs:restriction base="t:ints"><xs:length value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="intOrDate"><xs:union memberTypes="xs:int xs:date"/></xs:simpleType>
  <xs:simpleType name="above10"><xs:restriction base="xs:decimal"><xs:minExclusive value="10"/><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="loop"><xs:restriction base="t:loop"/></xs:simpleType>
  <xs:complexType name="price"><xs:simpleContent><xs:extension base="t:above10"><xs:attribute name="currency" type="xs:string" use="required"/></xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="base"><xs:sequence><xs:element name="id" type="xs:int"/></xs:sequence><xs:attribute name="version" type="xs:int" fixed="2"/></xs:complexType>
  <xs:complexType name="order">
    <xs:complexContent><xs:extension base="t:base">
      <xs:sequence>
        <xs:element name="code" type="t:code"/>
        <xs:element name="item" maxOccurs="unbounded" minOccurs="2"><xs:complexType><xs:attribute name="n" type="t:short3"/></xs:complexType></xs:element>
        <xs:choice><xs:element ref="t:price"/><xs:element name="free" type="xs:boolean"/></xs:choice>
        <xs:element name="next" type="t:order" minOccurs="0"/>
        <xs:group ref="t:extra"/>
      </xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:group name="extra"><xs:sequence><xs:element name="when" type="xs:dateTime"/><xs:any minOccurs="0"/></xs:sequence></xs:group>
  <xs:element name="price" type="t:price"/>
  <xs:element name="order" type="t:order"/>
  <xs:element name="loose"/>
  <xs:element name="one" type="xs:int" fixed="1"/>
</xs:schema>"#;

fn schema() -> xsd::Schema {
    let document = parse_xml(SCHEMA);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    let mut diagnostics = Vec::new();
    let schema = read_schema_document(FileId(0), &document, &mut diagnostics).expect("schema");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    schema
}

#[test]
fn simple_values_are_validated_against_facets_lists_and_unions() {
    let schema = schema();
    let check = |type_: &str, value: &str| xsd::validate_simple_value(&schema, &q("urn:t", type_), value);
    assert_eq!(check("code", " ADD "), Ok(()));
    assert!(matches!(check("code", "MUL"), Err(ValueError::Invalid(m)) if m.contains("`ADD`, `SUB`")));
    assert_eq!(check("short3", "abcd"), Ok(()));
    assert!(matches!(check("short3", "ab"), Err(ValueError::Invalid(_))));
    assert!(matches!(check("short3", "abcdef"), Err(ValueError::Invalid(_))));
    assert!(matches!(check("zip", "12345"), Err(ValueError::Unsupported(m)) if m.contains("pattern")));
    assert_eq!(check("ints", "1 2  3"), Ok(()));
    assert_eq!(check("ints", ""), Ok(()));
    assert!(matches!(check("ints", "1 x"), Err(ValueError::Invalid(m)) if m.contains("`x`")));
    assert_eq!(check("twoInts", "1 2"), Ok(()));
    assert!(matches!(check("twoInts", "1 2 3"), Err(ValueError::Invalid(_))));
    assert_eq!(check("intOrDate", "2024-01-31"), Ok(()));
    assert_eq!(check("intOrDate", "-4"), Ok(()));
    assert!(matches!(check("intOrDate", "soon"), Err(ValueError::Invalid(_))));
    assert_eq!(check("above10", "10.01"), Ok(()));
    assert!(matches!(check("above10", "10"), Err(ValueError::Invalid(_))));
    assert!(matches!(check("above10", "10.001"), Err(ValueError::Invalid(_))));
    assert_eq!(check("price", "12.50"), Ok(()), "simple content");
    assert!(matches!(check("loop", "1"), Err(ValueError::Schema(_))));
    assert!(matches!(check("order", "1"), Err(ValueError::Unsupported(_))));
    let builtin = |type_: &str, value: &str| xsd::validate_simple_value(&schema, &xs(type_), value);
    assert_eq!(builtin("dateTime", "2024-02-29T12:00:00Z"), Ok(()));
    assert!(builtin("dateTime", "2023-02-29T12:00:00Z").is_err());
    assert_eq!(builtin("duration", "P3DT4H"), Ok(()));
    assert_eq!(builtin("boolean", "true"), Ok(()));
    assert!(builtin("boolean", "yes").is_err());
    assert!(builtin("double", "1e400").is_ok(), "out-of-range doubles round to infinity, as XML Schema 1.0 allows");
    assert!(matches!(builtin("integr", "1"), Err(ValueError::Schema(_))));
    assert_eq!(xsd::validate_element_text(&schema, &q("urn:t", "loose"), "<anything/>"), Ok(()));
    assert_eq!(xsd::validate_element_text(&schema, &q("urn:t", "one"), " 01 "), Ok(()));
    assert!(matches!(xsd::validate_element_text(&schema, &q("urn:t", "one"), "2"), Err(ValueError::Invalid(m)) if m.contains("fixed")));
}

#[test]
fn samples_fill_every_declared_child_and_attribute() {
    let schema = schema();
    let sample = xsd::sample_element(&schema, &q("urn:t", "order")).expect("sample");
    let expected = concat!(
        r#"<tns:order xmlns:tns="urn:t" version="2">"#,
        "<tns:id>0</tns:id>",
        "<tns:code>ADD</tns:code>",
        r#"<tns:item n="strin"/><tns:item n="strin"/>"#,
        r#"<tns:price currency="string">11</tns:price>"#,
        "<tns:when>2000-01-01T00:00:00Z</tns:when>",
        "</tns:order>"
    );
    assert_eq!(sample.xml, expected);
    assert!(sample.notes.is_empty(), "{:?}", sample.notes);
    let root = parse_xml(&sample.xml).root.expect("well-formed");
    assert!(root.is("urn:t", "order"));
    assert!(schema.find_element(&q("urn:t", "order")).is_some());

    let price = xsd::sample_of_type(&schema, &QName::new(None, "amount"), &q("urn:t", "price")).expect("typed sample");
    assert_eq!(price.xml, r#"<amount currency="string">11</amount>"#);
    let pair = xsd::sample_of_type(&schema, &QName::new(None, "v"), &q("urn:t", "twoInts")).expect("typed sample");
    assert_eq!(pair.xml, "<v>0 0</v>");
    let union = xsd::sample_of_type(&schema, &QName::new(None, "v"), &q("urn:t", "intOrDate")).expect("typed sample");
    assert_eq!(union.xml, "<v>0</v>");
    let zip = xsd::sample_of_type(&schema, &QName::new(None, "zip"), &q("urn:t", "zip")).expect("typed sample");
    assert_eq!(zip.notes.len(), 1, "the pattern is not honoured: {:?}", zip.notes);
}

#[test]
fn samples_of_hostile_schemas_stay_small() {
    let nested = "<xs:sequence minOccurs=\"100\" maxOccurs=\"unbounded\">".repeat(12)
        + "<xs:element name=\"x\" type=\"xs:int\" minOccurs=\"100\" maxOccurs=\"100\"/>"
        + &"</xs:sequence>".repeat(12);
    let text = format!(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:h" targetNamespace="urn:h">
  <xs:element name="big"><xs:complexType>{nested}</xs:complexType></xs:element>
  <xs:element name="long"><xs:simpleType><xs:restriction base="xs:string"><xs:length value="4000000000"/></xs:restriction></xs:simpleType></xs:element>
  <xs:complexType name="node"><xs:sequence><xs:element name="child" type="t:node"/></xs:sequence></xs:complexType>
  <xs:element name="tree" type="t:node"/>
  <xs:group name="g"><xs:sequence><xs:group ref="t:g"/></xs:sequence></xs:group>
  <xs:element name="loop"><xs:complexType><xs:group ref="t:g"/><xs:attributeGroup ref="t:ag"/></xs:complexType></xs:element>
  <xs:attributeGroup name="ag"><xs:attributeGroup ref="t:ag"/></xs:attributeGroup>
</xs:schema>"#
    );
    let document = parse_xml(&text);
    let mut diagnostics = Vec::new();
    let schema = read_schema_document(FileId(0), &document, &mut diagnostics).expect("schema");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let started = std::time::Instant::now();
    let big = xsd::sample_element(&schema, &q("urn:h", "big")).expect("sample");
    assert!(big.xml.len() < 2_000_000, "{} bytes", big.xml.len());
    assert!(big.notes.iter().any(|n| n.contains("too big")), "{:?}", big.notes);
    let long = xsd::sample_element(&schema, &q("urn:h", "long")).expect("sample");
    assert!(long.xml.len() < 100 && !long.notes.is_empty(), "{long:?}");
    let tree = xsd::sample_element(&schema, &q("urn:h", "tree")).expect("sample");
    assert_eq!(tree.xml, r#"<tns:tree xmlns:tns="urn:h"><child/></tns:tree>"#);
    assert!(tree.notes.iter().any(|n| n.contains("recursive")), "{:?}", tree.notes);
    let looped = xsd::sample_element(&schema, &q("urn:h", "loop")).expect("sample");
    assert!(!looped.notes.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
}
