//! A process written the way Apache ODE's users wrote theirs, in XPath 2.0 (ODE's default):
//! `bpel check` finds nothing wrong with it, still finds what is wrong in XPath 2.0 expressions,
//! the editor's index places variables and parts inside them, and its scenario runs in process.
//! (`repl/tests/serve_xpath2.rs` serves the same folder over HTTP.)

use std::path::{Path, PathBuf};

use bpel_engine::check::{analyze, analyze_text, Analysis};
use bpel_engine::exec::scenario::{self, Scenario};
use bpel_engine::exec::Engine;
use bpel_engine::parse::Loader;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ode").join(name)
}

fn process_text() -> String {
    std::fs::read_to_string(fixture("orders.bpel")).unwrap()
}

fn analyze_changed(from: &str, to: &str) -> (String, Analysis) {
    let text = process_text();
    assert!(text.contains(from), "the fixture holds `{from}`");
    let text = text.replacen(from, to, 1);
    let mut loader = Loader::new();
    let analysis = analyze_text(&mut loader, &fixture("orders.bpel"), text.as_str());
    (text, analysis)
}

fn diagnostics(analysis: &Analysis) -> Vec<(&'static str, String)> {
    analysis.diagnostics().iter().map(|d| (d.code, d.message.clone())).collect()
}

#[test]
fn the_ode_process_checks_clean() {
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &fixture("orders.bpel")).unwrap();
    assert_eq!(diagnostics(&analysis), vec![], "no false positive on XPath 2.0");
    assert!(analysis.expressions.len() >= 12, "every expression and query parsed: {}", analysis.expressions.len());
}

#[test]
fn the_checks_that_standard_and_ode_agree_on_still_fire_in_xpath2() {
    let sum = "sum(for $item in $request.order/o:item return $item/o:qty * $item/o:price)";
    let (_, undeclared) = analyze_changed(sum, "sum(for $item in $requets.order/o:item return $item/o:qty)");
    assert!(
        diagnostics(&undeclared).iter().any(|(code, m)| *code == "BPEL0100" && m.contains("requets")),
        "{:?}",
        diagnostics(&undeclared)
    );
    let (_, part) = analyze_changed(sum, "sum(for $item in $request.ordr/o:item return $item/o:qty)");
    assert!(
        diagnostics(&part).iter().any(|(code, m)| *code == "XPATH002" && m.contains("no part `ordr`")),
        "an unknown part: {:?}",
        diagnostics(&part)
    );
    let (_, syntax) = analyze_changed(sum, "sum(for $item in $request.order/o:item $item)");
    assert!(
        diagnostics(&syntax).iter().any(|(_, m)| m.contains("expected `,` or `return`")),
        "an XPath 2.0 syntax error: {:?}",
        diagnostics(&syntax)
    );
    let (_, property) = analyze_changed("bpel:getVariableProperty('request', 'o:customer')", "bpel:getVariableProperty('request')");
    assert!(
        diagnostics(&property).iter().any(|(code, _)| code.starts_with("SA0003")),
        "getVariableProperty's arity: {:?}",
        diagnostics(&property)
    );
    let (_, xquery) = analyze_changed(
        "queryLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0\"",
        "queryLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xquery1.0\"",
    );
    assert!(diagnostics(&xquery).iter().any(|(code, m)| *code == "SA00004" && m.contains("XQuery 1.0")), "{:?}", diagnostics(&xquery));
    let (_, xpath1) = analyze_changed(
        "expressionLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0\"",
        "expressionLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0\"",
    );
    let ode_in_xpath1: Vec<_> = diagnostics(&xpath1).into_iter().filter(|(code, _)| *code == "XPATH003").collect();
    assert_eq!(ode_in_xpath1.len(), 5, "each ODE function called from XPath 1.0: {ode_in_xpath1:?}");
    assert!(ode_in_xpath1[0].1.contains("ode:insert-as-last-into is one of Apache ODE's XPath extension functions"), "{ode_in_xpath1:?}");
}

#[test]
fn the_index_places_variables_and_parts_inside_xpath2_expressions() {
    let mut loader = Loader::new();
    let analysis = analyze(&mut loader, &fixture("orders.bpel")).unwrap();
    let text = process_text();
    let declaration_at = text.find("name=\"request\"").unwrap() + "name=\"".len();
    let declaration = analysis.symbols.definition_at(declaration_at).expect("the declaration of `request`");
    let inside_for = text.find("in $request.order").unwrap() + "in $".len() + 1;
    assert_eq!(analysis.symbols.definition_at(inside_for), Some(declaration), "`$request` inside a for expression");
    let item_at = text.find("return $item").unwrap() + "return $".len();
    assert_eq!(analysis.symbols.definition_at(item_at), None, "`$item` is bound by the for, not a process variable");
}

fn run_scenario(path: &Path) -> bpel_engine::exec::scenario::Report {
    let scenario = Scenario::load(path).unwrap();
    let mut engine = Engine::starting_at(scenario.start_time().unwrap());
    let id = engine.deploy(&fixture("orders.bpel")).unwrap_or_else(|e| panic!("{e:?}"));
    scenario::run(&mut engine, id, &scenario)
}

#[test]
fn the_ode_process_runs_its_scenario_in_process() {
    let report = run_scenario(&fixture("orders.scenario.toml"));
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.steps.len(), 3);
}
