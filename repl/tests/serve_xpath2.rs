//! The ODE-style XPath 2.0 process of `engine/tests/fixtures/ode` served by `bpel serve` with its
//! deploy.xml: the provided port answers, computed with xee-xpath and ODE's extension functions
//! (the region from the deploy.xml's process property), over real HTTP on loopback.

mod support;

use support::{envelope, temp_dir, workspace, Server};

const FIRST: &str = r#"<o:order xmlns:o="urn:example:ode-orders"><o:id>A-1</o:id><o:customer> ada  </o:customer><o:item><o:sku>ab-1</o:sku><o:qty>2</o:qty><o:price>12.5</o:price></o:item><o:item><o:sku>cd-2</o:sku><o:qty>3</o:qty><o:price>30</o:price></o:item></o:order>"#;
const BULK: &str = r#"<o:order xmlns:o="urn:example:ode-orders"><o:id>B-2</o:id><o:customer>Bo</o:customer><o:item><o:sku>x</o:sku><o:qty>200</o:qty><o:price>9.99</o:price></o:item></o:order>"#;

#[test]
fn bpel_serve_runs_the_xpath2_process_at_its_provided_port() {
    let dir = temp_dir("serve-xpath2");
    for name in ["orders.bpel", "orders.wsdl", "deploy.xml"] {
        std::fs::copy(workspace().join("engine/tests/fixtures/ode").join(name), dir.join(name)).unwrap();
    }
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0"]);
    assert!(server.output().contains("/ode/processes/OrderService"), "{}", server.output());

    let answer = server.post("/ode/processes/OrderService", "urn:example:ode-orders:place", &envelope(FIRST));
    assert_eq!(answer.status, 200, "{answer:?}\n{}", server.output());
    for expected in [
        "<o:id>A-1</o:id>",
        "<o:total>115</o:total>",
        "<o:lines>2</o:lines>",
        "<o:band>medium</o:band>",
        "<o:skus>AB-1,CD-2</o:skus>",
        "<o:customer>ADA</o:customer>",
        "tag>CD-2</",
        "<o:link>http://shop.example.com/orders/A-1/invoice</o:link>",
        "<o:region>EU</o:region>",
    ] {
        assert!(answer.body.contains(expected), "{expected} in {}", answer.body);
    }
    let answer = server.post("/ode/processes/OrderService", "urn:example:ode-orders:place", &envelope(BULK));
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("<o:band>large+bulk</o:band>") && answer.body.contains("<o:total>1998</o:total>"), "{}", answer.body);

    // An item whose quantity is no integer never reaches `xsd:integer(...)`: the schema refuses it.
    let broken = BULK.replace("<o:qty>200</o:qty>", "<o:qty>many</o:qty>");
    let answer = server.post("/ode/processes/OrderService", "urn:example:ode-orders:place", &envelope(&broken));
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.body.contains("soapenv:Client") && answer.body.contains("not a valid xs:int"), "{}", answer.body);
    let _ = std::fs::remove_dir_all(&dir);
}
