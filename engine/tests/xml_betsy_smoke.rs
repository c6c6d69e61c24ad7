//! Every expression, query and copy of the 215 executable betsy processes through the xml layer:
//! each compiles (except the deliberately broken conditions of If-SubLanguageExecutionFault*),
//! and evaluating or running it answers — a value or a standard fault — and never panics.

mod xml_support;

use bpel_engine::model::process::{ActivityKind, AssignOperation, Expression, Process};
use bpel_engine::xml::copy::{execute_copy, Staged};
use bpel_engine::xml::xpath::{evaluate_boolean, evaluate_string, evaluate_unsigned};
use bpel_engine::xml::{Compiled, CopyEnv, XPathEnv, XPathRole};
use xml_support::{executable_processes, Harness};

/// Every expression of a process (conditions, timers, counters, link conditions, from/to
/// expressions) with its role, and every query.
fn expressions(process: &Process) -> Vec<(&Expression, XPathRole)> {
    let mut out = Vec::new();
    for id in process.activity_ids() {
        let activity = process.activity(id);
        if let Some(targets) = &activity.targets {
            out.extend(targets.join_condition.iter().map(|e| (e, XPathRole::Expression)));
        }
        if let Some(sources) = &activity.sources {
            out.extend(sources.sources.iter().filter_map(|s| s.transition_condition.as_ref()).map(|e| (e, XPathRole::Expression)));
        }
        match &activity.kind {
            ActivityKind::If(if_) => {
                out.extend(if_.condition.iter().map(|e| (e, XPathRole::Expression)));
                out.extend(if_.else_ifs.iter().filter_map(|b| b.condition.as_ref()).map(|e| (e, XPathRole::Expression)));
            }
            ActivityKind::While(w) => out.extend(w.condition.iter().map(|e| (e, XPathRole::Expression))),
            ActivityKind::RepeatUntil(r) => out.extend(r.condition.iter().map(|e| (e, XPathRole::Expression))),
            ActivityKind::Wait(timer) => out.extend(timer.for_.iter().chain(timer.until.iter()).map(|e| (e, XPathRole::Expression))),
            ActivityKind::ForEach(f) => {
                out.extend(f.start.iter().chain(f.final_.iter()).map(|e| (e, XPathRole::Expression)));
                out.extend(f.completion_condition.iter().filter_map(|c| c.branches.as_ref()).map(|e| (e, XPathRole::Expression)));
            }
            ActivityKind::Pick(pick) => {
                for alarm in &pick.on_alarms {
                    out.extend(alarm.timer.for_.iter().chain(alarm.timer.until.iter()).map(|e| (e, XPathRole::Expression)));
                }
            }
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    let AssignOperation::Copy(copy) = operation else { continue };
                    if let Some(from) = &copy.from {
                        out.extend(from.expression.iter().map(|e| (e, XPathRole::Expression)));
                        out.extend(from.query.iter().map(|e| (e, XPathRole::Query)));
                    }
                    if let Some(to) = &copy.to {
                        out.extend(to.expression.iter().map(|e| (e, XPathRole::Expression)));
                        out.extend(to.query.iter().map(|e| (e, XPathRole::Query)));
                    }
                }
            }
            ActivityKind::Scope(scope) => {
                if let Some(handlers) = &scope.decls.event_handlers {
                    for alarm in &handlers.on_alarms {
                        let timer = alarm.timer.for_.iter().chain(alarm.timer.until.iter()).chain(alarm.repeat_every.iter());
                        out.extend(timer.map(|e| (e, XPathRole::Expression)));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_betsy_expression_compiles_and_evaluates_without_panic() {
    let processes = executable_processes();
    assert_eq!(processes.len(), 215, "the executable betsy processes");
    let mut compile_errors = Vec::new();
    let (mut evaluated, mut copies, mut evaluated_xpath2) = (0, 0, 0);
    for path in &processes {
        let mut harness = Harness::load_path(path.clone());
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if bpel_engine::xml::Variables::variable(&harness.vars, "InitData")
            .is_some_and(|v| matches!(v.ty, bpel_engine::xml::VarType::Message(_)))
        {
            harness.receive("InitData", "2");
        }
        let Harness { unit, compiled, aliases, stylesheets, vars } = &mut harness;
        let Some(process) = &unit.process else { continue };
        let env = CopyEnv {
            file: unit.file,
            scopes: &process.namespaces,
            compiled,
            xpath: XPathEnv { properties: aliases, stylesheets, process_properties: &[] },
            definitions: Some(&unit.definitions),
        };
        for (expression, role) in expressions(process) {
            // betsy's processes are XPath 1.0, the default
            let compiled = Compiled::expression(expression, &process.namespaces, role, None);
            if let Some(error) = compiled.error() {
                compile_errors.push(format!("{name}: `{}`: {error}", expression.text));
                continue;
            }
            if role == XPathRole::Expression {
                let _ = evaluate_boolean(&compiled, vars, env.xpath);
                let _ = evaluate_string(&compiled, vars, env.xpath);
                let _ = evaluate_unsigned(&compiled, vars, env.xpath);
                evaluated += 1;
                // the same text read as XPath 2.0 (xee-xpath): another answer perhaps, never a panic
                let as_xpath2 = Compiled::expression(expression, &process.namespaces, role, Some(bpel_engine::xpath::XPATH_2_0));
                if as_xpath2.error().is_none() {
                    let _ = evaluate_boolean(&as_xpath2, vars, env.xpath);
                    let _ = evaluate_string(&as_xpath2, vars, env.xpath);
                    let _ = bpel_engine::xml::evaluate(&as_xpath2, vars, env.xpath, None);
                    evaluated_xpath2 += 1;
                }
            }
        }
        for id in process.activity_ids() {
            let ActivityKind::Assign(assign) = &process.activity(id).kind else { continue };
            for operation in &assign.operations {
                let AssignOperation::Copy(copy) = operation else { continue };
                let mut staged = Staged::new(&*vars);
                let _ = execute_copy(env, &mut staged, copy);
                copies += 1;
            }
        }
    }
    compile_errors.retain(|e| !e.starts_with("If-SubLanguageExecutionFault"));
    assert!(compile_errors.is_empty(), "{compile_errors:#?}");
    assert!(evaluated > 300 && copies > 400, "{evaluated} expressions, {copies} copies");
    assert!(evaluated_xpath2 > 250, "{evaluated_xpath2} expressions evaluated as XPath 2.0");
}
