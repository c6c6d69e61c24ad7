//! A small harness for the xml tests: loads a betsy process, declares its variables with their
//! resolved types, plays the receive by hand, and runs its assigns and validates in document
//! order (the basic Assign-* tests are straight sequences: receive, assign..., reply).

#![allow(dead_code)]

use std::path::PathBuf;

use bpel_engine::fault::Fault;
use bpel_engine::model::process::{ActivityKind, Process, ScopeDecls};
use bpel_engine::parse::{load_process, Loader, ProcessUnit};
use bpel_engine::xml::copy::{apply, evaluate_from, Target};
use bpel_engine::xml::{
    assign, validate_variable, AliasTable, CompiledExpressions, CopyEnv, EndpointReference, Message, StylesheetCache, Value, VarType,
    VariableList, XPathEnv, XmlElement,
};

/// The betsy folder: `$BPEL_SHARED/conformance/betsy`, or `shared/` beside the repository.
pub fn betsy_dir() -> PathBuf {
    let shared = match std::env::var_os("BPEL_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let dir = shared.join("conformance/betsy");
    assert!(dir.join("cases.json").is_file(), "betsy conformance suite not found at {} (set BPEL_SHARED)", dir.display());
    dir
}

/// Every executable betsy process (not the must-reject `sa-rules/`), sorted.
pub fn executable_processes() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in ["basic", "scopes", "structured", "cfpatterns"] {
        let Ok(entries) = std::fs::read_dir(betsy_dir().join(group)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "bpel") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub struct Harness {
    pub unit: ProcessUnit,
    pub compiled: CompiledExpressions,
    pub aliases: AliasTable,
    pub stylesheets: StylesheetCache,
    pub vars: VariableList,
}

/// Every variable declared in the process or one of its scopes (a later declaration of a name
/// wins: the harness has no scopes).
fn declared(process: &Process) -> Vec<&bpel_engine::model::process::Variable> {
    let mut out: Vec<_> = process.scope.variables.iter().collect();
    for id in process.activity_ids() {
        if let ActivityKind::Scope(scope) = &process.activity(id).kind {
            out.extend(scope.decls.variables.iter());
        }
    }
    out
}

fn partner_links(decls: &ScopeDecls, out: &mut Vec<String>) {
    out.extend(decls.partner_links.iter().filter_map(|p| p.name.as_ref().map(|n| n.value.clone())));
}

impl Harness {
    pub fn load(relative: &str) -> Harness {
        Harness::load_path(betsy_dir().join(relative))
    }

    pub fn load_path(path: PathBuf) -> Harness {
        let mut loader = Loader::new();
        let unit = load_process(&mut loader, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let aliases = AliasTable::new(&unit.definitions);
        let stylesheets = StylesheetCache::relative_to(&path);
        let mut vars = VariableList::new();
        let mut links = Vec::new();
        if let Some(process) = &unit.process {
            for variable in declared(process) {
                let Some(name) = &variable.name else { continue };
                if let Ok(ty) = VarType::resolve(&variable.ty, &unit.definitions) {
                    vars.declare(&name.value, ty, None);
                }
            }
            partner_links(&process.scope, &mut links);
            for id in process.activity_ids() {
                if let ActivityKind::Scope(scope) = &process.activity(id).kind {
                    partner_links(&scope.decls, &mut links);
                }
            }
        }
        for link in links {
            vars.partner_links.push((
                link.clone(),
                Some(EndpointReference::new(&format!("http://localhost:8080/{link}"))),
                Some(EndpointReference::new("http://localhost:2000/bpel-testpartner")),
            ));
        }
        let mut harness = Harness { unit, compiled: CompiledExpressions::new(), aliases, stylesheets, vars };
        harness.initialize_variables();
        harness
    }

    pub fn process(&self) -> &Process {
        self.unit.process.as_ref().expect("a process")
    }

    /// The variables' inline initializations (`<variable><from>`), in order.
    fn initialize_variables(&mut self) {
        let Harness { unit, compiled, aliases, stylesheets, vars } = self;
        let Some(process) = &unit.process else { return };
        let env = CopyEnv {
            file: unit.file,
            scopes: &process.namespaces,
            compiled,
            xpath: XPathEnv { properties: aliases, stylesheets, process_properties: &[] },
            definitions: Some(&unit.definitions),
        };
        for variable in declared(process) {
            let (Some(name), Some(from)) = (&variable.name, &variable.from) else { continue };
            if let Ok(Some(source)) = evaluate_from(env, vars, from, false) {
                let _ = apply(vars, source, &Target::Variable(name.value.clone()), false);
            }
        }
    }

    /// Sets a message variable as a receive would: its one part, an element holding `text`.
    pub fn receive(&mut self, variable: &str, text: &str) {
        let (message_type, part, element) = {
            let found = bpel_engine::xml::Variables::variable(&self.vars, variable).expect("a variable");
            let VarType::Message(message_type) = found.ty else { panic!("{variable} is not a message variable") };
            let part = &message_type.parts[0];
            let bpel_engine::xml::PartKind::Element(element) = &part.kind else { panic!("an element part") };
            (message_type.name.clone(), part.name.clone(), element.clone())
        };
        let value = XmlElement::with_text(element.namespace.as_deref(), &element.local, text);
        let message = Message::new(message_type).with_part(&part, value);
        bpel_engine::xml::Store::set_variable(&mut self.vars, variable, Value::Message(message)).unwrap();
    }

    /// Runs every assign and validate in document order; stops at the first fault, or at the first
    /// invoke (which needs a partner).
    pub fn run(&mut self) -> Result<(), Fault> {
        let Harness { unit, compiled, aliases, stylesheets, vars } = self;
        let process = unit.process.as_ref().expect("a process");
        let env = CopyEnv {
            file: unit.file,
            scopes: &process.namespaces,
            compiled,
            xpath: XPathEnv { properties: aliases, stylesheets, process_properties: &[] },
            definitions: Some(&unit.definitions),
        };
        for id in process.activity_ids() {
            match &process.activity(id).kind {
                ActivityKind::Assign(operation) => assign(env, vars, operation)?,
                ActivityKind::Validate(validate) => {
                    for name in &validate.variables {
                        let found = bpel_engine::xml::Variables::variable(vars, &name.value).expect("a declared variable");
                        validate_variable(&unit.definitions, &name.value, found.ty, found.value)?;
                    }
                }
                ActivityKind::Invoke(_) => return Ok(()),
                _ => {}
            }
        }
        Ok(())
    }

    pub fn value(&self, variable: &str) -> Option<&Value> {
        self.vars.value(variable)
    }

    /// The text of a message variable's part.
    pub fn part_text(&self, variable: &str, part: &str) -> Option<String> {
        self.value(variable)?.as_message()?.part(part).map(|e| e.text())
    }
}
