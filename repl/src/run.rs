//! `bpel run PROCESS --scenario FILE`: a scenario on the virtual clock, step by step.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bpel_engine::check::analyze;
use bpel_engine::exec::scenario::{self, Report, Scenario};
use bpel_engine::exec::{DeployError, Deployed, Engine};
use bpel_engine::parse::Loader;

use crate::check::DialectArg;
use crate::render;

#[derive(clap::Args)]
pub struct RunArgs {
    /// The process (.bpel). Optional when the scenario names its process.
    #[arg(value_name = "PROCESS")]
    process: Option<PathBuf>,

    /// Scenario files (TOML, see docs/scenarios.md); each runs on a fresh engine.
    #[arg(long, short, required = true, num_args = 1.., value_name = "FILE")]
    scenario: Vec<PathBuf>,

    /// How to read the process: `standard`, `ode` (Apache ODE's lenient dialect) or `auto` (ODE's
    /// when the process's folder holds a deploy.xml).
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
}

/// Exit 0 when every expectation of every scenario held, 1 when one did not (or the process was
/// refused), 2 on a usage or I/O error.
pub fn run(args: RunArgs) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for path in &args.scenario {
        match run_one(&mut out, args.process.as_deref(), path, args.dialect) {
            Ok(true) => {}
            Ok(false) => failed = true,
            Err(message) => {
                let _ = out.flush();
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_one(out: &mut impl Write, process: Option<&Path>, path: &Path, dialect: DialectArg) -> Result<bool, String> {
    let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
    let process_path = match (process, &scenario.process) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => path.parent().unwrap_or(Path::new(".")).join(p),
        (None, None) => return Err(format!("{}: name the process on the command line or with `process = \"...\"`", path.display())),
    };
    let start = scenario.start_time().map_err(|e| format!("{}: {e}", path.display()))?;
    let mut engine = Engine::starting_at(start);
    let mut loader = Loader::new();
    let dialect = dialect.for_process(&mut loader, &process_path);
    let id = match Deployed::load_in(&process_path, Some(dialect)) {
        Ok(deployed) => engine.deploy_compiled(deployed),
        Err(DeployError::Io { path, source }) => return Err(format!("cannot read {path}: {source}")),
        Err(DeployError::Invalid { .. }) => {
            let _ = writeln!(out, "{} cannot run: it has errors", process_path.display());
            loader.dialect = dialect;
            if let Ok(analysis) = analyze(&mut loader, &process_path) {
                let _ = render::human(out, &loader.sources, analysis.diagnostics());
            }
            return Ok(false);
        }
    };
    let name = engine.process(id).map(|p| p.name().to_string()).unwrap_or_default();
    let _ = writeln!(out, "{} on {} ({})", path.display(), name, process_path.display());
    if let Some(description) = &scenario.description {
        let _ = writeln!(out, "  {description}");
    }
    let report = scenario::run(&mut engine, id, &scenario);
    print_report(out, &report).map_err(|e| e.to_string())?;
    Ok(report.passed())
}

fn print_report(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for step in &report.steps {
        let verdict = if step.failures.is_empty() { "ok" } else { "FAILED" };
        writeln!(out, "  {:>2}. {} ... {verdict}", step.number, step.action)?;
        for event in &step.events {
            writeln!(out, "        {event}")?;
        }
        for failure in &step.failures {
            writeln!(out, "      ✗ {}", failure.to_string().replace('\n', "\n      "))?;
        }
    }
    for failure in &report.unanswered {
        writeln!(out, "  ✗ {}", failure.to_string().replace('\n', "\n  "))?;
    }
    let failed: usize = report.steps.iter().map(|s| s.failures.len()).sum::<usize>() + report.unanswered.len();
    if failed == 0 {
        writeln!(out, "passed: {} steps, every expectation held", report.steps.len())
    } else {
        writeln!(out, "FAILED: {failed} expectation(s) did not hold")
    }
}
