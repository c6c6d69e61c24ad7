//! `bpel`: the command line face of bpel-engine. Each verb lives in its own module and holds no
//! process semantics: it asks the engine and prints.

mod check;
mod lsp;
mod render;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A toolkit for WS-BPEL 2.0 processes.
#[derive(Parser)]
#[command(name = "bpel", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check processes: XML, structure, references and imports.
    ///
    /// Exits 0 when no error was found (warnings allowed), 1 when errors were found,
    /// 2 on a usage error or an unreadable path.
    Check(check::CheckArgs),
    /// Run a process on scenarios: messages in, expected replies and partner calls, a virtual clock.
    ///
    /// Exits 0 when every expectation held, 1 when one did not (or the process has errors),
    /// 2 on a usage error or an unreadable file.
    Run(run::RunArgs),
    /// Serve a folder's processes over HTTP/SOAP 1.1, with a durable store, until Ctrl-C.
    ///
    /// Prints each process's endpoints (GET ENDPOINT?wsdl for its WSDL) and the address it
    /// listens on. Exits 2 when it cannot start.
    Serve(serve::ServeArgs),
    /// Language server for editors: LSP over stdin/stdout (start it from the editor).
    ///
    /// Diagnostics as `bpel check` reports them, for open processes and open WSDL/XSD files,
    /// kept current while you type; navigation, rename, completion, hover, quick fixes, symbols,
    /// formatting, semantic tokens; run in place (code lenses, `bpel.run`). Exits 0 after the
    /// client's shutdown and exit, 1 on exit without shutdown, 2 when it cannot start.
    Lsp(lsp::LspArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Lsp(args) => lsp::run(args),
    }
}
