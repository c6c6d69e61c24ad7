//! `bpel`: the command line face of bpel-engine. Each verb lives in its own module and holds no
//! process semantics: it asks the engine and prints.

mod check;
mod lsp;
mod render;
mod repl;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A toolkit for WS-BPEL 2.0 processes.
///
/// Without arguments, in a terminal: the REPL on the current folder (`bpel repl .`).
#[derive(Parser)]
#[command(name = "bpel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
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
    /// Explore processes at a prompt: send messages, watch partner calls and tasklets, move the
    /// virtual clock, save and restore checkpoints, rewind.
    ///
    /// `bpel repl [PATH...]` loads the processes of these files or folders first. With `--script
    /// FILE`, or commands on stdin when it is not a terminal, runs the commands in order, echoing
    /// each: exits 1 at the first that fails (an unknown command, bad XML, a fault nobody caught, a
    /// refused checkpoint) saying on which line, 0 otherwise. The clock is virtual and starts at
    /// 2026-01-01T00:00:00Z unless `--start` says otherwise.
    Repl(repl::ReplArgs),
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("repl", |repl| repl.after_long_help(repl::commands_help()));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match cli.command {
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Lsp(args)) => lsp::run(args),
        Some(Command::Repl(args)) => repl::run(args),
        None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => repl::run(repl::ReplArgs::current_folder()),
        None => {
            let _ = Cli::command().print_help();
            ExitCode::from(2)
        }
    }
}
