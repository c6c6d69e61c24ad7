//! `bpel lsp`: the language server over stdin/stdout (crate bpel-lsp).

use std::process::ExitCode;

use tracing_subscriber::filter::LevelFilter;

#[derive(clap::Args)]
pub struct LspArgs {
    /// What the server logs on stderr (stdout carries the protocol): error, warn, info, debug or
    /// trace.
    #[arg(long, value_name = "LEVEL", default_value = "warn")]
    log: LevelFilter,
}

/// Exit 0 after `shutdown` then `exit`, 1 when the client exited without `shutdown` (as LSP
/// asks), 2 when the server cannot start.
pub fn run(args: LspArgs) -> ExitCode {
    let installed =
        tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).without_time().with_max_level(args.log).try_init();
    if let Err(error) = installed {
        eprintln!("warning: logging is not set up: {error}");
    }
    match bpel_lsp::serve_stdio() {
        Ok(bpel_lsp::Ended::AfterShutdown) => ExitCode::SUCCESS,
        Ok(bpel_lsp::Ended::WithoutShutdown) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: cannot start the language server: {error}");
            ExitCode::from(2)
        }
    }
}
