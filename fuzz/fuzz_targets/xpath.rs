//! XPath 1.0 on arbitrary text: the engine's parser (`xpath::parse`), constant folding and the
//! printer (what it prints parses again and prints the same), then compilation and evaluation:
//! `Engine::evaluate` over a real instance of the long-running example waiting for its payment
//! (its variables, the process's prefixes), and the same text as a query relative to a small
//! fixed element (`xml::evaluate` with a `QueryContext`).
#![no_main]

use std::cell::RefCell;

use bpel_engine::exec::scenario::{self, Scenario};
use bpel_engine::exec::{Engine, InstanceId};
use bpel_engine::xml::{self, Compiled, QueryContext, VariableRef, Variables, XPathEnv, XPathRole, XmlElement};
use bpel_engine::xpath::{self, fold, NoNamespaces};
use bpel_fuzz::{engine_with, EXAMPLES};
use libfuzzer_sys::fuzz_target;

const LONG_RUNNING: usize = 2;

thread_local! {
    /// The long-running example with one order placed: its instance waits for the payment.
    static WAITING: RefCell<(Engine, InstanceId)> = RefCell::new(waiting_instance());
}

fn waiting_instance() -> (Engine, InstanceId) {
    assert_eq!(EXAMPLES[LONG_RUNNING].name, "long-running");
    let mut scenario = Scenario::parse(EXAMPLES[LONG_RUNNING].scenario).expect("the scenario parses");
    scenario.steps.truncate(1);
    let (mut engine, process) = engine_with(LONG_RUNNING);
    assert!(scenario::run(&mut engine, process, &scenario).passed(), "the order is placed");
    let id = engine.instances().map(|(id, _)| id).next().expect("the instance waits");
    (engine, id)
}

struct NoVariables;

impl Variables for NoVariables {
    fn variable(&self, _name: &str) -> Option<VariableRef<'_>> {
        None
    }
}

fn query_context() -> XmlElement {
    XmlElement::parse(r#"<o:order xmlns:o="urn:o" id="7"><o:item n="1">a</o:item><o:item n="2">b<c/></o:item>text</o:order>"#)
        .expect("the context element parses")
}

fuzz_target!(init: bpel_fuzz::init(), |data: &[u8]| {
    let text = bpel_fuzz::text(data);
    if let Ok(expr) = xpath::parse(&text, &NoNamespaces) {
        let _ = fold::constant(&expr);
        let printed = expr.to_string();
        let again = xpath::parse(&printed, &NoNamespaces).unwrap_or_else(|e| panic!("the printed expression parses: {e}\n{printed}"));
        assert_eq!(again.to_string(), printed, "printing is stable");
    }
    WAITING.with(|waiting| {
        let (engine, id) = &mut *waiting.borrow_mut();
        let _ = engine.evaluate(*id, &text);
    });
    let context = query_context();
    let bindings = vec![(Some("o".to_string()), "urn:o".to_string())];
    let compiled = Compiled::new(&text, &bindings, XPathRole::Query);
    let query = QueryContext { element: &context, variable: Some("order"), part: None };
    let _ = xml::evaluate(&compiled, &NoVariables, XPathEnv::none(), Some(query));
});
