//! What the fuzz targets share: the examples and a few betsy files compiled in, a loader that
//! never touches the disk, the examples deployed once, and the panic hook set-up.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bpel_engine::check::analyze_text;
use bpel_engine::exec::scenario::{self, Scenario};
use bpel_engine::exec::{Deployed, Engine, InstanceId, ProcessId};
use bpel_engine::parse::loader::{FileSystem, ReadError};
use bpel_engine::parse::Loader;

/// The folder every in-memory text lives under; processes sit in `PROCESS_DIR`.
pub const ROOT: &str = "/fuzz";
pub const PROCESS_DIR: &str = "/fuzz/p";

macro_rules! example {
    ($name:literal, $bpel:literal, [$($doc:literal),*], $scenario:literal) => {
        Example {
            name: $name,
            bpel: (concat!($name, "/", $bpel), include_str!(concat!("../../examples/", $name, "/", $bpel))),
            documents: &[$(($doc, include_str!(concat!("../../examples/", $name, "/", $doc)))),*],
            scenario: include_str!(concat!("../../examples/", $name, "/", $scenario)),
        }
    };
}

macro_rules! betsy {
    ($path:literal) => {
        ($path, include_str!(concat!("../../../shared/conformance/betsy/", $path)))
    };
}

/// An example of the repository: its process, the documents beside it, its scenario.
pub struct Example {
    pub name: &'static str,
    /// (path relative to examples/, text)
    pub bpel: (&'static str, &'static str),
    /// (file name, text), all beside the process.
    pub documents: &'static [(&'static str, &'static str)],
    pub scenario: &'static str,
}

pub const EXAMPLES: &[Example] = &[
    example!("echo", "echo.bpel", ["echo.wsdl"], "echo.scenario.toml"),
    example!("calculator", "calculator.bpel", ["calculator.wsdl"], "calculator.scenario.toml"),
    example!("long-running", "long-running.bpel", ["notifier.wsdl", "shop.wsdl"], "long-running.scenario.toml"),
    example!("order-approval", "order-approval.bpel", ["approver.wsdl", "order.wsdl"], "order-approval.scenario.toml"),
];

/// Betsy's shared WSDLs, found beside the processes (`TestInterface.wsdl`) and one folder up
/// (`../TestInterface.wsdl`), as the suite lays them out.
pub const BETSY_DOCUMENTS: &[(&str, &str)] = &[betsy!("TestInterface.wsdl"), betsy!("TestPartner.wsdl")];

/// A few betsy processes (importing `../TestInterface.wsdl`) as starting texts.
pub const BETSY_PROCESSES: &[(&str, &str)] = &[
    betsy!("basic/Assign-Property.bpel"),
    betsy!("structured/Flow-Links-JoinCondition.bpel"),
    betsy!("scopes/Scope-FaultHandlers.bpel"),
    betsy!("structured/ForEach-Parallel.bpel"),
];

/// A betsy process importing an XSD of its own (the XSD mode of `process_check` replaces it).
pub const BETSY_XSD_PROCESS: (&str, &str) = betsy!("sa-rules/SA00014/SA00014-3/SA00014-ImportRedefine_inWSDL_group.bpel");
pub const BETSY_XSD_DOCUMENTS: &[(&str, &str)] = &[
    betsy!("sa-rules/SA00014/SA00014-3/TestIF_ImportRedefine_inWSDL_group.wsdl"),
    betsy!("sa-rules/SA00014/SA00014-3/CalculatorSchema_WithSimpleTypeGroupAndAttributeGroup.xsd"),
];

/// Sets the panic hook back to the standard one. libfuzzer-sys installs a hook that aborts on
/// every panic, caught or not; the engine catches sxd-xpath's panics on purpose (xml/xpath), so
/// that hook would report them as crashes. A panic that escapes the target still aborts: the
/// fuzz_target! wrapper catches it and aborts itself.
pub fn init() {
    let _ = std::panic::take_hook();
}

/// A file system with no files: the loader reads only its overlay's texts.
#[derive(Debug, Default)]
pub struct NoDisk;

impl FileSystem for NoDisk {
    fn read(&self, path: &Path) -> Result<Arc<str>, ReadError> {
        Err(ReadError::Io(io::Error::new(io::ErrorKind::NotFound, format!("{} is not in memory", path.display()))))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(normalize(path))
    }
}

/// `path` with `.` and `..` resolved lexically (no file is ever consulted).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// A loader over [`NoDisk`] holding every example's documents and betsy's shared WSDLs beside
/// `PROCESS_DIR` (and one folder up, for `../TestInterface.wsdl`).
pub fn memory_loader() -> Loader {
    let mut loader = Loader::with_file_system(NoDisk);
    for example in EXAMPLES {
        for (name, text) in example.documents {
            loader.set_text(&Path::new(PROCESS_DIR).join(name), *text);
        }
    }
    for (name, text) in BETSY_DOCUMENTS {
        loader.set_text(&Path::new(PROCESS_DIR).join(name), *text);
        loader.set_text(&Path::new(ROOT).join(name), *text);
    }
    for (path, text) in BETSY_XSD_DOCUMENTS {
        let name = Path::new(path).file_name().expect("a file name");
        loader.set_text(&Path::new(PROCESS_DIR).join(name), *text);
    }
    loader
}

/// The path a process text is analysed at.
pub fn process_path(name: &str) -> PathBuf {
    Path::new(PROCESS_DIR).join(format!("{name}.bpel"))
}

/// Every example, analysed from memory and deployed, once.
pub fn deployed_examples() -> &'static [Arc<Deployed>] {
    static DEPLOYED: OnceLock<Vec<Arc<Deployed>>> = OnceLock::new();
    DEPLOYED.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|example| {
                let mut loader = memory_loader();
                let analysis = analyze_text(&mut loader, &process_path(example.name), example.bpel.1);
                let deployed = Deployed::from_analysis(analysis).unwrap_or_else(|e| panic!("example {} deploys: {e}", example.name));
                Arc::new(deployed)
            })
            .collect()
    })
}

/// The example a scenario names with `process = "..."` (by file name), else the first one.
pub fn example_for(scenario: &Scenario) -> usize {
    let named = scenario.process.as_deref().and_then(|p| Path::new(p).file_name()).and_then(|n| n.to_str());
    EXAMPLES
        .iter()
        .position(|e| Some(Path::new(e.bpel.0).file_name().and_then(|n| n.to_str()).unwrap_or("")) == Some(named.unwrap_or("")))
        .unwrap_or(0)
}

/// A fresh engine with example `index` deployed.
pub fn engine_with(index: usize) -> (Engine, ProcessId) {
    engine_at(index, Engine::new())
}

/// `engine` (new, perhaps started at another time) with example `index` deployed.
pub fn engine_at(index: usize, mut engine: Engine) -> (Engine, ProcessId) {
    let process = engine.deploy_shared(deployed_examples()[index % EXAMPLES.len()].clone());
    (engine, process)
}

/// Checkpoints of real instances: every instance of every example's scenario after every step,
/// as (example index, checkpoint bytes). Computed once.
pub fn example_checkpoints() -> &'static [(usize, Vec<u8>)] {
    static CHECKPOINTS: OnceLock<Vec<(usize, Vec<u8>)>> = OnceLock::new();
    CHECKPOINTS.get_or_init(|| {
        let mut out = Vec::new();
        for (index, example) in EXAMPLES.iter().enumerate() {
            let scenario = Scenario::parse(example.scenario).expect("the example's scenario parses");
            let start = scenario.start_time().expect("the example's start time");
            let (mut engine, process) = engine_at(index, Engine::starting_at(start));
            let engine = &mut engine;
            scenario::run_observed(engine, process, &scenario, |engine, _| {
                let ids: Vec<InstanceId> = engine.instances().map(|(id, _)| id).collect();
                for id in ids {
                    if let Some(Ok(bytes)) = engine.checkpoint(id) {
                        out.push((index, bytes));
                    }
                }
            });
        }
        out
    })
}

/// Text from fuzz bytes: invalid UTF-8 replaced, so every input reaches the parsers.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
