//! `bpel serve DIR`: the folder's processes over HTTP/SOAP, until Ctrl-C.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bpel_engine::http::server::{self, ServeConfig};
use bpel_engine::parse::Loader;
use tracing_subscriber::filter::LevelFilter;

use crate::render;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The folder whose processes (.bpel, searched recursively) are served.
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// The port to listen on (0: any free port; the address is printed).
    #[arg(long, short, default_value_t = 8080)]
    port: u16,

    /// The address to listen on. Loopback by default: say 0.0.0.0 to serve other machines.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,

    /// The embedded store instances are kept in (default: DIR/.bpel/store.redb). Every reply and
    /// partner call leaves only after the state that led to it is on disk.
    #[arg(long, value_name = "PATH", conflicts_with = "in_memory")]
    store: Option<PathBuf>,

    /// Keep instances in memory only: faster, and nothing survives a restart.
    #[arg(long)]
    in_memory: bool,

    /// Worker threads that own the instances (default: half the cores, at least one).
    #[arg(long, value_name = "N")]
    shards: Option<usize>,

    /// A partner link's address, over the WSDL's and deploy.xml's: `--partner approver=http://host:9000/approve`.
    #[arg(long, value_name = "LINK=URL")]
    partner: Vec<String>,

    /// Turns on the admin endpoints (/admin/...), which then need `Authorization: Bearer TOKEN`.
    /// Also read from BPEL_ADMIN_TOKEN.
    #[arg(long, value_name = "TOKEN", env = "BPEL_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,

    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body: usize,

    /// Seconds a request waits for the process's reply.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    request_timeout: u64,

    /// Seconds a partner call waits for the partner's whole answer before the invoke faults with
    /// `partner:timeout` (which the process may catch).
    #[arg(long, value_name = "SECONDS", default_value_t = server::DEFAULT_INVOKE_TIMEOUT.as_secs())]
    invoke_timeout: u64,

    /// Seconds the calls of one partner link wait, over --invoke-timeout: `--partner-timeout approver=30`.
    #[arg(long, value_name = "LINK=SECONDS")]
    partner_timeout: Vec<String>,

    /// Seconds an instance may wait for a message or a timer before it leaves memory (the store
    /// keeps it; its message or timer reads it back). Without it, instances stay in memory.
    #[arg(long, value_name = "SECONDS", conflicts_with = "in_memory", value_parser = clap::value_parser!(u64).range(1..))]
    idle_evict: Option<u64>,

    /// What the server logs on stderr, from the most to the least severe level shown. Without it:
    /// errors and warnings, as plain lines.
    #[arg(long, value_name = "LEVEL")]
    log: Option<LogLevel>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl From<LogLevel> for LevelFilter {
    fn from(level: LogLevel) -> LevelFilter {
        match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

/// The engine logs through `tracing`; the binary alone decides where that goes: stderr. By default
/// only warnings and errors, each as the bare message (what `serve` printed before it logged through
/// `tracing`); with `--log`, the chosen level, each line with its level and module.
fn install_logging(level: Option<LogLevel>) {
    let explicit = level.is_some();
    let max = level.map_or(LevelFilter::WARN, LevelFilter::from);
    let installed = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_level(explicit)
        .with_target(explicit)
        .with_max_level(max)
        .try_init();
    if let Err(error) = installed {
        eprintln!("warning: logging is not set up: {error}");
    }
}

/// Exit 0 after Ctrl-C, 2 when the server cannot start (folder, port, store).
pub fn run(args: ServeArgs) -> ExitCode {
    install_logging(args.log);
    let mut partners = BTreeMap::new();
    for pair in &args.partner {
        let Some((link, url)) = pair.split_once('=') else {
            eprintln!("error: --partner takes LINK=URL, got `{pair}`");
            return ExitCode::from(2);
        };
        partners.insert(link.trim().to_string(), url.trim().to_string());
    }
    let mut partner_timeouts = BTreeMap::new();
    for pair in &args.partner_timeout {
        let seconds = pair.split_once('=').and_then(|(link, seconds)| Some((link.trim(), seconds.trim().parse::<u64>().ok()?)));
        match seconds {
            Some((link, seconds)) if !link.is_empty() && seconds > 0 => {
                partner_timeouts.insert(link.to_string(), Duration::from_secs(seconds));
            }
            _ => {
                eprintln!("error: --partner-timeout takes LINK=SECONDS (a whole number above 0), got `{pair}`");
                return ExitCode::from(2);
            }
        }
    }
    let store = if args.in_memory { None } else { Some(args.store.clone().unwrap_or_else(|| args.dir.join(".bpel").join("store.redb"))) };
    if let Some(parent) = store.as_ref().and_then(|s| s.parent()) {
        if let Err(error) = std::fs::create_dir_all(parent) {
            eprintln!("error: cannot create {}: {error}", parent.display());
            return ExitCode::from(2);
        }
    }
    let mut config = ServeConfig::new(&args.dir);
    config.port = args.port;
    config.bind = args.bind;
    config.store = store.clone();
    if let Some(shards) = args.shards {
        config.shards = shards.max(1);
    }
    config.partners = partners;
    config.admin_token = args.admin_token.filter(|t| !t.is_empty());
    config.max_body = args.max_body;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.invoke_timeout = Duration::from_secs(args.invoke_timeout.max(1));
    config.partner_timeouts = partner_timeouts;
    config.idle_evict = args.idle_evict.map(Duration::from_secs);
    let running = match server::start(config) {
        Ok(running) => running,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "bpel serve: {} process(es) deployed, {} refused", running.served.len(), running.refused.len());
    for served in &running.served {
        let _ = writeln!(out, "  {} ({})", served.name, served.path.display());
        for endpoint in &served.endpoints {
            let _ = writeln!(out, "    {endpoint}  (WSDL: {endpoint}?wsdl)");
        }
    }
    if !running.deployment_diagnostics.is_empty() {
        let _ = render::human(&mut out, &running.deployment_sources, &running.deployment_diagnostics);
    }
    for refused in &running.refused {
        let _ = writeln!(out, "  refused {}: {}", refused.path.display(), refused.reason);
        if !refused.diagnostics.is_empty() {
            let mut loader = Loader::new();
            if let Ok(analysis) = bpel_engine::check::analyze(&mut loader, &refused.path) {
                let _ = render::human(&mut out, &loader.sources, analysis.diagnostics());
            }
        }
    }
    match &store {
        Some(path) => {
            let _ = writeln!(out, "store: {} (durable)", path.display());
        }
        None => {
            let _ = writeln!(out, "store: in memory (nothing survives a restart)");
        }
    }
    if running.recovered > 0 {
        let _ = writeln!(out, "recovered {} instance(s) from the store", running.recovered);
    }
    for note in &running.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "admin endpoints: {}", if running.admin { "on (/admin/instances)" } else { "off (--admin-token turns them on)" });
    let _ = writeln!(out, "listening on http://{}", running.address);
    let _ = out.flush();
    drop(out);
    running.wait();
    ExitCode::SUCCESS
}
