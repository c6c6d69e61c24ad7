//! A folder's deploy.xml checked against its processes through `check::deployment`, the texts
//! given to the loader (as an editor's unsaved buffers would be).

use std::path::PathBuf;

use bpel_engine::check::analyze;
use bpel_engine::check::deployment::deployment;
use bpel_engine::diagnostic::codes;
use bpel_engine::model::QName;
use bpel_engine::parse::Loader;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/draft")
}

/// The diagnostics of `deploy_xml` as (code, text at the span, message), and the deployment.
fn check(deploy_xml: &str) -> (Vec<(&'static str, String, String)>, Option<bpel_engine::check::deployment::Deployment>) {
    let mut loader = Loader::new();
    loader.set_text(&folder().join("deploy.xml"), deploy_xml);
    let analysis = analyze(&mut loader, &folder().join("orders.bpel")).unwrap();
    let found = deployment(&mut loader, &folder(), &[&analysis.unit]).unwrap();
    let diagnostics = found
        .iter()
        .flat_map(|d| d.diagnostics.iter())
        .map(|d| (d.code, d.span.slice(deploy_xml).to_string(), d.message.clone()))
        .collect();
    (diagnostics, found)
}

const HEAD: &str =
    r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:d="urn:example:draft" xmlns:o="urn:example:orders">"#;

#[test]
fn a_consistent_descriptor_resolves_ports_and_properties() {
    let (diagnostics, found) = check(&format!(
        r#"{HEAD}<process name="d:OrderDraft"><property name="d:region"> EU </property>
        <provide partnerLink="client"><service name="o:OrderService" port="OrderPort"/></provide></process></deploy>"#
    ));
    assert_eq!(diagnostics, vec![]);
    let found = found.unwrap();
    let (name, deployment) = &found.processes[0];
    assert_eq!(*name, QName::new(Some("urn:example:draft"), "OrderDraft"));
    assert!(deployment.active);
    let port = &deployment.provides["client"];
    assert_eq!(port.port, "OrderPort");
    assert_eq!(port.address.as_deref(), Some("http://localhost:8080/ode/processes/OrderService"));
    assert_eq!(deployment.properties, vec![(QName::new(Some("urn:example:draft"), "region"), "EU".to_string())]);
}

#[test]
fn roles_and_ports_that_do_not_fit_are_contradictions() {
    let (diagnostics, _) = check(&format!(
        r#"{HEAD}<process name="d:OrderDraft">
        <provide partnerLink="client"><service name="o:OrderService" port="NoPort"/></provide>
        <invoke partnerLink="client"><service name="o:OrderService" port="OrderPort"/></invoke></process></deploy>"#
    ));
    let contradictions: Vec<(&str, &str)> =
        diagnostics.iter().filter(|d| d.0 == codes::DEPLOY_CONTRADICTION).map(|d| (d.1.as_str(), d.2.as_str())).collect();
    assert!(contradictions.contains(&("NoPort", "the service `o:OrderService` has no port `NoPort`")), "{contradictions:?}");
    assert!(contradictions.iter().any(|(at, message)| *at == "client" && message.contains("has no partnerRole")), "{contradictions:?}");
}

#[test]
fn a_process_the_descriptor_does_not_list_is_not_activated() {
    let (diagnostics, found) = check(&format!(r#"{HEAD}</deploy>"#));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].1, "deploy");
    assert!(diagnostics[0].2.contains("not activated"), "{diagnostics:?}");
    assert!(found.unwrap().of(&analyze(&mut Loader::new(), &folder().join("orders.bpel")).unwrap().unit.process.unwrap()).is_none());
}

#[test]
fn a_folder_without_a_descriptor_has_none() {
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &folder().join("orders.bpel")).unwrap();
    assert!(deployment(&mut loader, &folder(), &[&analysis.unit]).unwrap().is_none());
}
