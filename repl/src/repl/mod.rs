//! `bpel repl [PATH...]` (and bare `bpel` in a terminal): explore processes at a prompt. Send
//! messages, watch partner calls and tasklets, move the virtual clock, save and restore checkpoints,
//! rewind. `--script FILE` (or commands on stdin when it is not a terminal) runs commands in order.
//!
//! The REPL holds no BPEL semantics: [`session`] asks the engine and prints.

mod command;
mod complete;
mod help;
mod session;
mod terminal;

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use bpel_engine::exec::time::date_time;
use bpel_engine::xml::text as xml_text;

pub use command::ReplError;
use session::{Flow, Session};

#[derive(clap::Args)]
pub struct ReplArgs {
    /// Process files (.bpel) or folders to load at the start.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Run the commands of FILE in order, echoing each; exit 1 at the first one that fails.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,

    /// In a script, go on after a failing command (the exit code is still 1).
    #[arg(long, requires = "script")]
    keep_going: bool,

    /// When the virtual clock starts (xsd:dateTime).
    #[arg(long, value_name = "DATETIME", default_value = "2026-01-01T00:00:00Z")]
    start: String,
}

impl ReplArgs {
    /// Bare `bpel`: the REPL on the current folder.
    pub fn current_folder() -> ReplArgs {
        ReplArgs { paths: vec![PathBuf::from(".")], script: None, keep_going: false, start: "2026-01-01T00:00:00Z".into() }
    }
}

/// The command list `bpel repl --help` ends with.
pub fn commands_help() -> String {
    help::overview()
}

pub fn run(args: ReplArgs) -> ExitCode {
    let Some(start) = date_time(&args.start) else {
        eprintln!("error: `{}` is not an xsd:dateTime: write e.g. 2026-01-01T00:00:00Z", args.start);
        return ExitCode::from(2);
    };
    let mut session = Session::new(start);
    let script = match &args.script {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        },
        None if !std::io::stdin().is_terminal() => {
            let mut bytes = Vec::new();
            if let Err(error) = std::io::stdin().read_to_end(&mut bytes) {
                eprintln!("error: cannot read the commands on stdin: {error}");
                return ExitCode::from(2);
            }
            Some(bytes)
        }
        None => None,
    };
    let loaded = if args.paths.is_empty() { Ok(()) } else { session.load(&args.paths) };
    print!("{}", session.take_output());
    if let Err(error) = loaded {
        eprintln!("error: {error}");
        if script.is_some() {
            return ExitCode::from(1);
        }
    }
    match script {
        Some(bytes) => run_script(&mut session, &String::from_utf8_lossy(&bytes), args.keep_going),
        None => interactive(session),
    }
}

/// One command as read: its text (a body may span lines) and the line it starts on.
struct Entry {
    line: usize,
    text: String,
}

/// Splits a script into commands: a command whose XML body is not closed at the end of its line
/// goes on over the next lines until it is, or until an empty line.
fn entries(script: &str) -> Vec<Result<Entry, (usize, ReplError)>> {
    let mut out = Vec::new();
    let mut lines = script.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    while let Some((number, line)) = lines.next() {
        let mut text = line.to_string();
        let mut closed = true;
        if takes_body(&text) && xml_text::unfinished(&text) {
            closed = false;
            for (_, next) in lines.by_ref() {
                if next.trim().is_empty() {
                    break;
                }
                text.push('\n');
                text.push_str(next);
                if !xml_text::unfinished(&text) {
                    closed = true;
                    break;
                }
            }
        }
        out.push(if closed { Ok(Entry { line: number, text }) } else { Err((number, ReplError::UnclosedBody { line: number })) });
    }
    out
}

/// Whether a command takes an XML body (which may span lines).
fn takes_body(text: &str) -> bool {
    matches!(text.split_whitespace().next(), Some("send" | "reply" | "fault" | "mock"))
}

fn run_script(session: &mut Session, script: &str, keep_going: bool) -> ExitCode {
    let stdout = std::io::stdout();
    let mut failed = false;
    for entry in entries(script) {
        let (line, result) = match entry {
            Ok(entry) => {
                if entry.text.trim().is_empty() {
                    continue;
                }
                let _ = writeln!(stdout.lock(), "bpel> {}", entry.text.replace('\n', "\n...   "));
                let result =
                    command::parse(&entry.text).and_then(|command| command.map_or(Ok(Flow::Continue), |c| session.execute(c, &entry.text)));
                (entry.line, result)
            }
            Err((line, error)) => (line, Err(error)),
        };
        let _ = stdout.lock().write_all(session.take_output().as_bytes());
        let _ = stdout.lock().flush();
        match result {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(error) => {
                eprintln!("line {line}: error: {error}");
                failed = true;
                if !keep_going {
                    break;
                }
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn interactive(session: Session) -> ExitCode {
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .max_history_size(10_000)
        .map(|builder| builder.build());
    let editor = config.and_then(rustyline::Editor::<terminal::ReplHelper, rustyline::history::DefaultHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("error: cannot start the line editor: {error}");
            return ExitCode::from(2);
        }
    };
    let session = Rc::new(RefCell::new(session));
    editor.set_helper(Some(terminal::ReplHelper::new(session.clone())));
    let history = terminal::history_file();
    if let Some(path) = &history {
        // a first session has no history yet
        let _ = editor.load_history(path);
    }
    println!("bpel REPL: `help` lists the commands, Tab completes, `quit` (or Ctrl-D) leaves");
    loop {
        let mut text = match editor.readline("bpel> ") {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
        while takes_body(&text) && xml_text::unfinished(&text) {
            match editor.readline("...   ") {
                Ok(more) if more.trim().is_empty() => break,
                Ok(more) => {
                    text.push('\n');
                    text.push_str(&more);
                }
                Err(_) => break,
            }
        }
        if text.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text.as_str());
        if let Some(path) = &history {
            save_history(&mut editor, path);
        }
        let result = if takes_body(&text) && xml_text::unfinished(&text) {
            Err(ReplError::UnclosedBody { line: 1 })
        } else {
            let mut session = session.borrow_mut();
            command::parse(&text).and_then(|command| command.map_or(Ok(Flow::Continue), |c| session.execute(c, &text)))
        };
        print!("{}", session.borrow_mut().take_output());
        let _ = std::io::stdout().flush();
        match result {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue) => {}
            Err(error) => eprintln!("error: {error}"),
        }
    }
    ExitCode::SUCCESS
}

/// Keeps the history after every command, so a REPL that is killed loses nothing of it.
fn save_history<H: rustyline::Helper>(editor: &mut rustyline::Editor<H, rustyline::history::DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(error) = editor.save_history(path) {
        eprintln!("warning: cannot keep the history in {}: {error}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use bpel_engine::runtime::Timestamp;

    use super::*;

    #[test]
    fn a_script_body_spans_lines_until_it_closes_and_an_empty_line_gives_up() {
        let script = "load x\nsend a.b <a>\n  <b>1</b>\n</a>\nsend a.b <a>\n\nclock\n";
        let entries: Vec<_> = entries(script).into_iter().map(|e| e.map(|e| (e.line, e.text)).map_err(|(l, _)| l)).collect();
        assert_eq!(
            entries,
            vec![
                Ok((1, "load x".to_string())),
                Ok((2, "send a.b <a>\n  <b>1</b>\n</a>".to_string())),
                Err(5),
                Ok((7, "clock".to_string())),
            ]
        );
    }

    #[test]
    fn the_clock_starts_where_scenarios_start_it() {
        assert_eq!(date_time("2026-01-01T00:00:00Z"), Some(Timestamp(1_767_225_600_000)));
    }
}
