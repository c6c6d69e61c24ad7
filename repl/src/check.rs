//! `bpel check PATH...`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use bpel_engine::check::deployment::deployment;
use bpel_engine::check::{analyze, process_files, rules};
use bpel_engine::parse::{Dialect, Loader};
use bpel_engine::{Diagnostic, Severity};

use crate::render;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Process files (.bpel) or folders to search for them.
    #[arg(required_unless_present = "explain", value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Explain a static-analysis rule (e.g. `SA00056` or `56`): what it checks, why, and a failing
    /// and a fixed example.
    #[arg(long, value_name = "CODE", conflicts_with = "paths")]
    explain: Option<String>,

    /// Output format: `human` (source snippets) or `json` (one document, for tools).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// How to read the processes: `standard` (WS-BPEL 2.0 as written), `ode` (accept, with a
    /// warning each, what Apache ODE accepted), or `auto`: ODE's dialect for a process whose folder
    /// holds a deploy.xml, else the standard.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectArg {
    Auto,
    Standard,
    Ode,
}

impl DialectArg {
    /// The dialect to read the process at `path` in.
    pub fn for_process(self, loader: &mut Loader, path: &std::path::Path) -> Dialect {
        match self {
            DialectArg::Auto => Dialect::of_folder(loader, path.parent().unwrap_or(std::path::Path::new("."))),
            DialectArg::Standard => Dialect::Standard,
            DialectArg::Ode => Dialect::Ode,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: CheckArgs) -> ExitCode {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    let (files, unreadable) = process_files(&args.paths);
    let mut loader = Loader::new();
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut io_errors: Vec<String> = unreadable.iter().map(|(path, error)| format!("{}: {error}", path.display())).collect();
    if files.is_empty() && io_errors.is_empty() {
        io_errors
            .push(format!("no .bpel file found in {}", args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")));
    }
    // Each folder's deploy.xml (Apache ODE's descriptor) is checked against the folder's processes.
    let mut by_folder: std::collections::BTreeMap<PathBuf, Vec<bpel_engine::check::Analysis>> = Default::default();
    let mut ode_dialect = 0;
    for path in &files {
        loader.dialect = args.dialect.for_process(&mut loader, path);
        ode_dialect += usize::from(loader.dialect == Dialect::Ode);
        match analyze(&mut loader, path) {
            Ok(analysis) => {
                all.extend(analysis.unit.diagnostics.iter().cloned());
                by_folder.entry(path.parent().map(PathBuf::from).unwrap_or_default()).or_default().push(analysis);
            }
            Err(error) => io_errors.push(format!("{}: {error}", path.display())),
        }
    }
    for (folder, analyses) in &mut by_folder {
        if !folder.join("deploy.xml").exists() {
            continue;
        }
        // The descriptor speaks of every process of its folder, also those not named on the command line.
        let siblings = std::fs::read_dir(folder).map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect::<Vec<_>>());
        for sibling in siblings.unwrap_or_default() {
            if sibling.extension().is_some_and(|ext| ext == "bpel") && !files.contains(&sibling) {
                loader.dialect = args.dialect.for_process(&mut loader, &sibling);
                if let Ok(analysis) = analyze(&mut loader, &sibling) {
                    analyses.push(analysis);
                }
            }
        }
        let units: Vec<&bpel_engine::parse::ProcessUnit> = analyses.iter().map(|a| &a.unit).collect();
        match deployment(&mut loader, folder, &units) {
            Ok(Some(found)) => all.extend(found.diagnostics),
            Ok(None) => {}
            Err(error) => io_errors.push(format!("{}: {error}", folder.join("deploy.xml").display())),
        }
    }
    // An imported WSDL shared by several processes reports its problems once.
    let mut seen = std::collections::HashSet::new();
    all.retain(|d| seen.insert((d.file, d.span, d.code, d.message.clone())));

    let errors = all.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = all.iter().filter(|d| d.severity == Severity::Warning).count();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Human => render::human(&mut out, &loader.sources, &all),
        Format::Json => render::json(&mut out, &loader.sources, &all, files.len(), &io_errors),
    };
    if let Err(error) = written.and_then(|_| out.flush()) {
        eprintln!("error: cannot write the report: {error}");
        return ExitCode::from(2);
    }
    for error in &io_errors {
        eprintln!("error: {error}");
    }
    if matches!(args.format, Format::Human) {
        let mode = match (ode_dialect, files.len()) {
            (0, _) => Dialect::Standard.describe().to_string(),
            (ode, all) if ode == all => Dialect::Ode.describe().to_string(),
            (ode, _) => format!("{ode} in {} (beside a deploy.xml), the others {}", Dialect::Ode.describe(), Dialect::Standard.describe()),
        };
        eprintln!("checked {} file(s): {errors} error(s), {warnings} warning(s); read as {mode}", files.len());
    }
    if !io_errors.is_empty() {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(code: &str) -> ExitCode {
    let Some(normalized) = rules::normalize_code(code) else {
        eprintln!("error: `{code}` is not a rule code; rules are SA00001 to SA00095");
        return ExitCode::from(2);
    };
    if normalized == rules::MISSING_CODE {
        println!("{normalized} does not exist: the WS-BPEL 2.0 standard's numbering of static-analysis rules skips it (94 rules, SA00001 to SA00095).");
        return ExitCode::SUCCESS;
    }
    let Some(rule) = rules::find(&normalized) else {
        eprintln!("error: no rule {normalized}; rules are SA00001 to SA00095 (SA00049 does not exist)");
        return ExitCode::from(2);
    };
    print!("{}", rule.explain_markdown());
    ExitCode::SUCCESS
}
