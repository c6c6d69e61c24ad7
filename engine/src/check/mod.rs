//! Analysis of a process: read it with its imports, resolve its names, parse its XPath
//! expressions once, and collect every diagnostic. The command line (`bpel check`), the language
//! server and deployment all go through [`analyze`]; a long-lived host keeps several analyses
//! current through a [`Workspace`].

pub mod deployment;
mod expressions;
pub mod rules;
pub mod workspace;

pub use expressions::{ParsedExpressions, ProcessExpression};
pub use workspace::Workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::parse::{self, Loader, ProcessUnit};
use crate::resolve::{self, SymbolIndex};

/// A process read, resolved and checked.
#[derive(Debug)]
pub struct Analysis {
    pub unit: ProcessUnit,
    pub symbols: SymbolIndex,
    /// The XPath expressions and queries of the process and of the property aliases it imports.
    pub expressions: ParsedExpressions,
}

impl Analysis {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.unit.diagnostics
    }

    pub fn has_errors(&self) -> bool {
        self.unit.has_errors()
    }
}

/// Analyzes the process file at `path`, read through the loader. Only an unreadable file is an `Err`.
pub fn analyze(loader: &mut Loader, path: &Path) -> std::io::Result<Analysis> {
    parse::load_process(loader, path).map(finish)
}

/// Analyzes `text` as the process at `path` (imports resolve relative to `path`). The text replaces
/// the one `loader.sources` held for `path`, under the same `FileId`: re-analysing an edited text
/// does not grow the loader.
pub fn analyze_text(loader: &mut Loader, path: &Path, text: impl Into<Arc<str>>) -> Analysis {
    finish(parse::parse_process(loader, path, text))
}

fn finish(mut unit: ProcessUnit) -> Analysis {
    let (symbols, expressions) = match &unit.process {
        Some(process) => {
            let symbols = resolve::resolve(process);
            unit.diagnostics.extend(symbols.diagnostics(unit.file));
            let expressions = ParsedExpressions::parse(unit.file, process, &unit.definitions);
            let rule_diagnostics = {
                let cx = rules::RuleContext {
                    unit: &unit,
                    process,
                    definitions: &unit.definitions,
                    symbols: &symbols,
                    file: unit.file,
                    text: &unit.text,
                    expressions: &expressions,
                };
                rules::check(&cx)
            };
            unit.diagnostics.extend(rule_diagnostics);
            if unit.dialect == parse::Dialect::Ode {
                ode_leniency(&mut unit.diagnostics);
            }
            (symbols, expressions)
        }
        None => (SymbolIndex::default(), ParsedExpressions::default()),
    };
    unit.diagnostics.sort_by_key(|d| (d.file, d.span.start, d.span.end));
    unit.diagnostics.dedup();
    Analysis { unit, symbols, expressions }
}

/// What Apache ODE accepted and the standard does not, as warnings (the rule still named): a
/// `messageExchange` used by a receive and its reply without a declaration (SA00061; the engine
/// pairs them by the name, as ODE did).
fn ode_leniency(diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics.iter_mut().filter(|d| d.code == "SA00061" && d.is_error()) {
        diagnostic.severity = crate::Severity::Warning;
        diagnostic.message.push_str(" (accepted in Apache ODE's dialect: the receive and its reply are paired by this name)");
    }
}

/// The `.bpel` files named by `paths`: files as given, folders searched recursively, in a stable
/// order. Paths that cannot be read are returned with their error.
pub fn process_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
            Err(error) => errors.push((path.clone(), error)),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, std::io::Error)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push((dir.to_path_buf(), error));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, files, errors);
        } else if path.extension().is_some_and(|ext| ext == "bpel") {
            files.push(path);
        }
    }
}
