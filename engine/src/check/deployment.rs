//! A folder's Apache ODE deployment descriptor (`deploy.xml`), read once through the loader and
//! checked against the processes of the folder: what `bpel check` reports on a folder and what
//! `bpel serve` deploys by.

use std::path::{Path, PathBuf};

use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::Process;
use crate::model::QName;
use crate::parse::deploy_xml::{self, DeployDescriptor, ProcessDeployment};
use crate::parse::{Loader, ProcessUnit, ReadError};

/// A folder's `deploy.xml`, read and checked.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub path: PathBuf,
    pub descriptor: DeployDescriptor,
    /// Each process of the folder the descriptor names, with what it says of it.
    pub processes: Vec<(QName, ProcessDeployment)>,
    /// Diagnostics in `deploy.xml` (its file is `descriptor.file` in the loader's sources).
    pub diagnostics: Vec<Diagnostic>,
}

impl Deployment {
    /// What the descriptor says of `process`: `None` when it does not list it (ODE activates only
    /// the processes its descriptor lists).
    pub fn of(&self, process: &Process) -> Option<&ProcessDeployment> {
        let name = deploy_xml::process_qname(process)?;
        self.processes.iter().find(|(n, _)| *n == name).map(|(_, deployment)| deployment)
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads `dir/deploy.xml` through the loader and checks it against `processes` (those of the
/// folder). `Ok(None)` when the folder has none; an unreadable one is an `Err`.
pub fn deployment(loader: &mut Loader, dir: &Path, processes: &[&ProcessUnit]) -> std::io::Result<Option<Deployment>> {
    let path = dir.join(deploy_xml::FILE_NAME);
    let text = match loader.read_text(&path) {
        Ok(text) => text,
        Err(ReadError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(ReadError::Io(error)) => return Err(error),
        Err(other) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {other}", path.display()))),
    };
    let file = loader.sources.add(&path, text.clone());
    let (descriptor, mut diagnostics) = deploy_xml::read_deploy_xml(file, &text);
    let mut resolved = Vec::new();
    for entry in &descriptor.processes {
        let Some(name) = &entry.name.name else { continue };
        let unit = processes.iter().find(|unit| unit.process.as_ref().and_then(deploy_xml::process_qname).as_ref() == Some(name));
        let Some((unit, process)) = unit.and_then(|unit| Some((unit, unit.process.as_ref()?))) else {
            let known: Vec<String> =
                processes.iter().filter_map(|u| u.process.as_ref().and_then(deploy_xml::process_qname)).map(|q| q.to_string()).collect();
            diagnostics.push(
                Diagnostic::error(
                    codes::DEPLOY_CONTRADICTION,
                    file,
                    entry.name.span,
                    format!("no process of this folder is named `{name}`"),
                )
                .with_help(format!("the folder's processes: {}", if known.is_empty() { "none".into() } else { known.join(", ") })),
            );
            continue;
        };
        let (deployment, found) = deploy_xml::resolve(entry, file, process, &unit.definitions);
        diagnostics.extend(found);
        resolved.push((name.clone(), deployment));
    }
    if let Some(root) = descriptor.root {
        for unit in processes {
            let Some(name) = unit.process.as_ref().and_then(deploy_xml::process_qname) else { continue };
            if !descriptor.processes.iter().any(|entry| entry.name.name.as_ref() == Some(&name)) {
                diagnostics.push(Diagnostic::warning(
                    codes::DEPLOY_CONTRADICTION,
                    file,
                    root,
                    format!("the process `{name}` ({}) is not listed here, so it is not activated", unit.path.display()),
                ));
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Ok(Some(Deployment { path, descriptor, processes: resolved, diagnostics }))
}
