//! The SOAP 1.1 envelope decoder as the server uses it on a request body: `soap::parse_envelope`,
//! then, for every example, the choice of operation (`soap::select_operation` over the operations
//! of each endpoint the server would route, with a SOAPAction taken from the input's first line),
//! the message parts (`soap::request_parts`) and `Engine::send` of them to a fresh engine. The
//! client's side too: `soap::parse_fault` and the mustUnderstand headers of a partner's answer.
#![no_main]

use std::sync::OnceLock;

use bpel_engine::exec::deploy::DeclOwner;
use bpel_engine::exec::PROCESS;
use bpel_engine::soap::{self, BoundOperation};
use bpel_fuzz::{deployed_examples, engine_with};
use libfuzzer_sys::fuzz_target;

/// (example, partner link, the operations of one of its SOAP endpoints), as `bpel serve` routes them.
fn routes() -> &'static [(usize, String, Vec<BoundOperation>)] {
    static ROUTES: OnceLock<Vec<(usize, String, Vec<BoundOperation>)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut out = Vec::new();
        for (index, deployed) in deployed_examples().iter().enumerate() {
            let definitions = &deployed.unit.definitions;
            let endpoints = soap::endpoints(definitions);
            for partner_link in &deployed.decl(deployed.decl_for(PROCESS, DeclOwner::Scope)).partner_links {
                let Some(port_type) = &partner_link.my_port_type else { continue };
                for endpoint in endpoints.iter().filter(|e| e.port_type == *port_type) {
                    out.push((index, partner_link.name.clone(), soap::bound_operations(definitions, &endpoint.binding)));
                }
            }
        }
        assert!(out.len() >= 4, "every example has an endpoint");
        out
    })
}

fuzz_target!(init: bpel_fuzz::init(), |data: &[u8]| {
    let text = bpel_fuzz::text(data);
    let (action, body) = match text.split_once('\n') {
        Some((first, rest)) if !first.trim_start().starts_with('<') => (Some(first), rest),
        _ => (None, &*text),
    };
    let Ok(envelope) = soap::parse_envelope(body) else { return };
    let _ = soap::must_understand_headers(&envelope);
    let _ = soap::parse_fault(&envelope);
    for (index, partner_link, operations) in routes() {
        let deployed = &deployed_examples()[*index];
        let Ok(operation) = soap::select_operation(operations, action, &envelope.body, &deployed.unit.definitions) else { continue };
        let parts = soap::request_parts(operation, &envelope.body);
        let (mut engine, process) = engine_with(*index);
        if engine.send(process, partner_link, &operation.operation, &parts).is_ok() {
            for reply in engine.drain_replies() {
                if let Ok(message) = &reply.result {
                    let _ = soap::envelope(&soap::message_body(operation, message, true));
                }
            }
        }
    }
});
