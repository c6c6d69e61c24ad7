//! The REPL at a terminal: rustyline with the session's completions (Tab), hints (the rest of the
//! last matching command from the history, else the command's usage), the command word and XML
//! bodies highlighted, and the history kept across sessions in the platform's data directory.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::help::COMMANDS;
use super::session::Session;

/// The line editor's helper: it reads the session (which the command loop changes between lines).
pub struct ReplHelper {
    pub session: Rc<RefCell<Session>>,
    history: HistoryHinter,
    /// Whether to colour (not when NO_COLOR is set).
    colour: bool,
}

impl ReplHelper {
    pub fn new(session: Rc<RefCell<Session>>) -> ReplHelper {
        ReplHelper { session, history: HistoryHinter::new(), colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, candidates) = self.session.borrow().complete(line, pos);
        Ok((start, candidates.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect()))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, context: &Context<'_>) -> Option<String> {
        if pos < line.len() || line.trim().is_empty() {
            return None;
        }
        self.history.hint(line, pos, context).or_else(|| usage_hint(line))
    }
}

/// After a command's name and a space, what the command takes: `send ` shows `[PROCESS] LINK.OP BODY`.
fn usage_hint(line: &str) -> Option<String> {
    let name = line.strip_suffix(' ')?;
    if name.contains(char::is_whitespace) {
        return None;
    }
    let command = COMMANDS.iter().find(|c| c.name == name)?;
    let arguments = command.usage.strip_prefix(command.name)?.trim_start();
    (!arguments.is_empty()).then(|| arguments.to_string())
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const TAG: &str = "\x1b[36m";
const ATTRIBUTE: &str = "\x1b[33m";
const STRING: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _: usize) -> Cow<'l, str> {
        if !self.colour || line.is_empty() {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_line(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if !self.colour {
            return Cow::Borrowed(hint);
        }
        Cow::Owned(format!("{DIM}{hint}{RESET}"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        // every edit may change a tag's colour; moving the cursor does not
        kind != CmdKind::MoveCursor
    }
}

/// The command word in bold; inside XML: tag names, attribute names and quoted values in colour.
/// Only escape sequences are added, so the displayed width stays that of the text.
fn highlight_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let command_end = line.find(char::is_whitespace).unwrap_or(line.len());
    let leading = line.len() - line.trim_start().len();
    if leading == 0 && command_end > 0 && !line.starts_with('<') {
        out.push_str(BOLD);
        out.push_str(&line[..command_end]);
        out.push_str(RESET);
    } else {
        out.push_str(&line[..command_end]);
    }
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    let mut name_pending = false;
    let rest = &line[command_end..];
    let mut chars = rest.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match (in_tag, quote, c) {
            (_, Some(q), c) if c == q => {
                out.push(c);
                out.push_str(RESET);
                quote = None;
            }
            (_, Some(_), c) => out.push(c),
            (false, None, '<') => {
                in_tag = true;
                name_pending = true;
                out.push_str(TAG);
                out.push('<');
                if let Some(&(_, next)) = chars.peek() {
                    if matches!(next, '/' | '?' | '!') {
                        out.push(next);
                        chars.next();
                    }
                }
            }
            (true, None, '>') => {
                out.push_str(TAG);
                out.push('>');
                out.push_str(RESET);
                in_tag = false;
            }
            (true, None, '"' | '\'') => {
                out.push_str(STRING);
                out.push(c);
                quote = Some(c);
            }
            (true, None, c) if c.is_whitespace() => {
                if name_pending {
                    out.push_str(RESET);
                    name_pending = false;
                }
                out.push(c);
                if chars.peek().is_some_and(|&(_, n)| !n.is_whitespace() && !matches!(n, '/' | '>')) {
                    out.push_str(ATTRIBUTE);
                }
            }
            (true, None, '=') => {
                out.push_str(RESET);
                out.push('=');
            }
            (true, None, '/') => {
                out.push_str(TAG);
                out.push('/');
            }
            (_, None, c) => out.push(c),
        }
    }
    out.push_str(RESET);
    out
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

/// Where the history is kept: `BPEL_HISTORY` if set; else `bpel/history` in the platform's data
/// directory (`$XDG_DATA_HOME` or `~/.local/share` on Linux and other Unixes, `~/Library/Application
/// Support` on macOS, `%APPDATA%` on Windows); empty variables count as unset. `None`: no home
/// to keep it in.
pub fn history_file() -> Option<PathBuf> {
    history_file_in(|name| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from))
}

/// [`history_file`] with the environment as `variable` says it is.
fn history_file_in(variable: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = variable("BPEL_HISTORY") {
        return Some(path);
    }
    let data = if cfg!(windows) {
        variable("APPDATA")
    } else if cfg!(target_os = "macos") {
        variable("HOME").map(|home| home.join("Library/Application Support"))
    } else {
        variable("XDG_DATA_HOME").or_else(|| variable("HOME").map(|home| home.join(".local/share")))
    };
    Some(data?.join("bpel").join("history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn highlighting_only_adds_colours() {
        for line in [
            "send customer.placeOrder <s:placeOrder xmlns:s=\"urn:s\"><s:orderId>42</s:orderId></s:placeOrder>",
            "reply 3 approver.approve <a x='1' y = \"2\"/>",
            "help",
            "   <unfinished attr=\"no end",
            "eval $order.payload/s:amount > 3",
            "send <?xml version='1.0'?><!-- c --><a>é ü 名</a>",
        ] {
            let highlighted = highlight_line(line);
            assert_eq!(strip(&highlighted), line);
        }
        let highlighted = highlight_line("send a.b <x y=\"1\">t</x>");
        assert!(highlighted.starts_with(&format!("{BOLD}send{RESET}")));
        assert!(highlighted.contains(&format!("{STRING}\"1\"{RESET}")), "{highlighted:?}");
        assert!(highlighted.contains(&format!("{TAG}<x")), "{highlighted:?}");
    }

    #[test]
    fn a_command_name_and_a_space_hint_its_arguments() {
        assert_eq!(usage_hint("send ").as_deref(), Some("[PROCESS] LINK.OP BODY"));
        assert_eq!(usage_hint("send"), None);
        assert_eq!(usage_hint("send x "), None);
        assert_eq!(usage_hint("nonsense "), None);
    }

    #[test]
    #[cfg(all(unix, not(target_os = "macos")))]
    fn the_history_lives_in_the_data_directory_unless_told() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| PathBuf::from(v))
        };
        assert_eq!(history_file_in(env(&[("HOME", "/home/ada")])), Some(PathBuf::from("/home/ada/.local/share/bpel/history")));
        assert_eq!(history_file_in(env(&[("HOME", "/home/ada"), ("XDG_DATA_HOME", "/data")])), Some(PathBuf::from("/data/bpel/history")));
        assert_eq!(history_file_in(env(&[("HOME", "/home/ada"), ("BPEL_HISTORY", "/tmp/h")])), Some(PathBuf::from("/tmp/h")));
        assert_eq!(history_file_in(env(&[])), None);
    }
}
