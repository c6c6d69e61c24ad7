//! Apache ODE's deploy.xml, read once: `bpel serve` publishes a partner link at the port its
//! `<provide>` names (and `?wsdl` says so), leaves out a process that is not active, and reports
//! a descriptor that contradicts the folder, as `bpel check` does.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{envelope, request, temp_dir, workspace, Server};

fn draft_fixture(name: &str) -> PathBuf {
    workspace().join("engine/tests/fixtures/draft").join(name)
}

/// An ODE user's deployment folder: the order process (written for ODE's WS-BPEL 2.0 draft) and
/// its WSDL with a second port at another address.
fn ode_folder(dir: &Path, deploy_xml: &str) {
    std::fs::copy(draft_fixture("orders.bpel"), dir.join("orders.bpel")).unwrap();
    let wsdl = std::fs::read_to_string(draft_fixture("orders.wsdl")).unwrap().replace(
        "  </service>",
        "    <port name=\"ShopPort\" binding=\"tns:OrderBinding\">\n      <soap:address location=\"http://localhost:8080/shop/orders\"/>\n    </port>\n  </service>",
    );
    std::fs::write(dir.join("orders.wsdl"), wsdl).unwrap();
    std::fs::write(dir.join("deploy.xml"), deploy_xml).unwrap();
}

const ORDER: &str =
    r#"<o:order xmlns:o="urn:example:orders"><o:id>D-1</o:id><o:customer>Ada</o:customer><o:amount>250</o:amount></o:order>"#;

#[test]
fn a_provided_port_is_where_the_process_answers_and_what_its_wsdl_says() {
    let dir = temp_dir("deploy-provide");
    ode_folder(
        &dir,
        r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:d="urn:example:draft" xmlns:o="urn:example:orders">
  <process name="d:OrderDraft">
    <active>true</active>
    <property name="d:region">EU</property>
    <provide partnerLink="client"><service name="o:OrderService" port="ShopPort"/></provide>
  </process>
</deploy>"#,
    );
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory"]);
    let output = server.output();
    assert!(output.contains(&format!("http://127.0.0.1:{}/shop/orders", server.port)), "{output}");
    assert!(!output.contains("/ode/processes/OrderService"), "only the provided port is published:\n{output}");

    let answer = server.post("/shop/orders", "urn:example:orders:place", &envelope(ORDER));
    assert_eq!(answer.status, 200, "{answer:?}\n{}", server.output());
    assert!(answer.body.contains(">medium<") && answer.body.contains(">D-1<"), "{answer:?}");
    assert_eq!(server.post("/ode/processes/OrderService", "urn:example:orders:place", &envelope(ORDER)).status, 404);

    let wsdl = request(server.port, "GET", "/shop/orders?wsdl", &[], "");
    assert_eq!(wsdl.status, 200);
    assert!(wsdl.body.contains(&format!("location=\"http://127.0.0.1:{}/shop/orders\"", server.port)), "{}", wsdl.body);
    let _ = std::fs::remove_dir_all(&dir);
}

const CONTRADICTING: &str = r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:d="urn:example:draft" xmlns:o="urn:example:orders">
  <process name="d:OrderDraft">
    <provide partnerLink="client"><service name="o:NoSuchService" port="ShopPort"/></provide>
    <invoke partnerLink="shipper"><service name="o:OrderService" port="OrderPort"/></invoke>
  </process>
  <process name="d:Elsewhere"/>
</deploy>"#;

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].lines().count() + usize::from(text[..text.find(needle).unwrap()].ends_with('\n'))
}

#[test]
fn bpel_check_reports_what_the_descriptor_contradicts_where_it_says_it() {
    let dir = temp_dir("deploy-check");
    ode_folder(&dir, CONTRADICTING);
    let output =
        Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", &dir.display().to_string()]).env("NO_COLOR", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let deploy = dir.join("deploy.xml").display().to_string();
    for (needle, message) in [
        ("o:NoSuchService", "defines the service `o:NoSuchService`"),
        ("shipper", "has no partner link `shipper`"),
        ("d:Elsewhere", "no process of this folder is named"),
    ] {
        let line = line_of(CONTRADICTING, needle);
        let column = CONTRADICTING.lines().nth(line - 1).unwrap().find(needle).unwrap() + 1;
        assert!(stdout.contains(&format!("{deploy}:{line}:{column}: error[DEPLOY0002]")), "{needle} at {line}:{column}\n{stdout}");
        assert!(stdout.contains(message), "{message}\n{stdout}");
    }
    // the draft process itself is clean but for its warning
    assert!(stdout.contains("warning[BPEL0005]"), "{stdout}");
    // checking the process file alone checks its folder's descriptor too
    let single = Command::new(env!("CARGO_BIN_EXE_bpel"))
        .args(["check", &dir.join("orders.bpel").display().to_string()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(single.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&single.stdout).matches("error[DEPLOY0002]").count(), 3);

    // bpel serve says the same at start and does not activate what the descriptor gets wrong
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory"]);
    let output = server.output();
    assert!(output.contains("DEPLOY0002") && output.contains("has no partner link `shipper`"), "{output}");
    assert!(output.contains("0 process(es) deployed, 1 refused") && output.contains("deploy.xml has errors"), "{output}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_inactive_process_is_not_served() {
    let dir = temp_dir("deploy-inactive");
    ode_folder(
        &dir,
        r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:d="urn:example:draft">
  <process name="d:OrderDraft"><active>false</active></process>
</deploy>"#,
    );
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory"]);
    let output = server.output();
    assert!(output.contains("says <active>false</active>"), "{output}");
    assert_eq!(server.post("/ode/processes/OrderService", "urn:example:orders:place", &envelope(ORDER)).status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_listed_process_with_errors_is_refused_alone() {
    let dir = temp_dir("deploy-broken");
    ode_folder(
        &dir,
        r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:d="urn:example:draft">
  <process name="d:OrderDraft"/>
  <process name="d:Broken"/>
</deploy>"#,
    );
    let broken = std::fs::read_to_string(dir.join("orders.bpel"))
        .unwrap()
        .replace(r#"name="OrderDraft""#, r#"name="Broken""#)
        .replace(r#"operation="place" variable="response"/>"#, r#"operation="place" variable="nope"/>"#);
    std::fs::write(dir.join("broken.bpel"), broken).unwrap();
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory"]);
    let output = server.output();
    assert!(output.contains("1 process(es) deployed, 1 refused"), "{output}");
    assert!(output.contains("broken.bpel: it has errors") && !output.contains("DEPLOY0002"), "{output}");
    assert_eq!(server.post("/ode/processes/OrderService", "urn:example:orders:place", &envelope(ORDER)).status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}
