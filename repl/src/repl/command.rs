//! A command line to a typed [`Command`], and the REPL's errors, each saying what to do next.

use bpel_engine::exec::time::{date_time, duration_millis};
use bpel_engine::exec::InstanceId;
use bpel_engine::runtime::Timestamp;

use super::help;

/// `partnerLink.operation`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub partner_link: String,
    pub operation: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.partner_link, self.operation)
    }
}

/// A message body: XML written inline, or a file holding it.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Inline(String),
    File(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum MockAction {
    Reply(Body),
    Fault { name: String, body: Option<Body> },
    Delay { text: String, millis: u64 },
    Forward(String),
    Off,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Help(Option<String>),
    Load(Vec<String>),
    Reload,
    Processes,
    Template {
        process: Option<String>,
        target: Target,
    },
    Send {
        process: Option<String>,
        target: Target,
        body: Body,
    },
    Reply {
        instance: Option<InstanceId>,
        target: Target,
        body: Body,
    },
    Fault {
        instance: Option<InstanceId>,
        target: Target,
        name: String,
        body: Option<Body>,
    },
    Mock(Option<(Target, MockAction)>),
    Instances,
    Use(InstanceId),
    Tasklets(Option<InstanceId>),
    Vars {
        instance: Option<InstanceId>,
        name: Option<String>,
    },
    /// `activity`: evaluate where that activity runs (its name or line), else in the process scope.
    Eval {
        instance: Option<InstanceId>,
        activity: Option<String>,
        expression: String,
    },
    Trace(Option<InstanceId>),
    Receives(Option<InstanceId>),
    Timers,
    Step(Option<InstanceId>),
    Run,
    Break(String),
    Breaks,
    Delete(usize),
    Continue,
    Clock,
    Advance {
        text: String,
        millis: u64,
    },
    Until(Timestamp),
    Terminate(Option<InstanceId>),
    Save {
        instance: Option<InstanceId>,
        file: String,
    },
    Restore(String),
    Back(usize),
    History,
    Quit,
}

/// Why a command failed, in words that say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ReplError {
    #[error("unknown command `{0}`: `help` lists the commands")]
    UnknownCommand(String),
    #[error("usage: {usage} (`help {name}` shows an example)")]
    Usage { name: &'static str, usage: &'static str },
    #[error("`{0}` is not an instance id: write `#3` or `3` (`instances` lists them)")]
    BadId(String),
    #[error("`{0}` is not LINK.OP (a partner link and an operation, e.g. `customer.placeOrder`): `processes` lists them")]
    BadTarget(String),
    #[error("`{0}` is not an xsd:duration: write e.g. `PT1H`, `P2D`, `PT30S`")]
    BadDuration(String),
    #[error("`{0}` is not an xsd:dateTime: write e.g. `2026-01-03T12:00:00Z`")]
    BadDateTime(String),
    #[error("`{0}` is not a number")]
    BadNumber(String),
    #[error("no process loaded: `load examples/echo`")]
    NoProcess,
    #[error("no process `{0}` is loaded: `processes` lists them")]
    UnknownProcess(String),
    #[error("no loaded process offers `{0}`: `processes` lists the operations")]
    NoOperation(Target),
    #[error("several processes offer `{target}` ({processes}): name one, e.g. `send {first} {target} ...`")]
    Ambiguous { target: Target, processes: String, first: String },
    #[error("no current instance: `send` a message that starts one, `restore` a checkpoint or `use ID`")]
    NoCurrentInstance,
    #[error("no instance {0}: `instances` lists them")]
    UnknownInstance(InstanceId),
    #[error("the body is not well-formed XML: {0}")]
    BadXml(String),
    #[error("the body holds no element: write the message's XML, or @FILE")]
    EmptyBody,
    #[error("the XML body that started on line {line} never closes (an empty line gives up on a body)")]
    UnclosedBody { line: usize },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{0}")]
    Send(#[from] bpel_engine::exec::SendError),
    #[error("no template: {0}")]
    Sample(#[from] bpel_engine::exec::sample::SampleError),
    #[error("instance {instance} has no call of `{target}` waiting for an answer: `instances` shows what each waits for")]
    NoWaitingCall { instance: InstanceId, target: Target },
    #[error("instance {0} ended with a fault nobody caught: `tasklets {0}` and `trace {0}` show where it was")]
    Faulted(InstanceId),
    #[error("the checkpoint of instance {instance} failed: {why}")]
    Checkpoint { instance: InstanceId, why: String },
    #[error("the checkpoint is refused: {0}")]
    RestoreRefused(String),
    #[error("the checkpoint belongs to none of the loaded processes (or its process changed since it was saved): load the process it was saved from")]
    NoProcessForCheckpoint,
    #[error("the current instance has {have} step(s) to go back to, not {asked}: `history` lists them")]
    NoHistory { asked: usize, have: usize },
    #[error("no activity `{0}` in the loaded processes: give an activity's name or a line of its process")]
    NoActivity(String),
    #[error("no breakpoint {0}: `breaks` lists them")]
    NoBreakpoint(usize),
    #[error("the expression faulted: {0}")]
    Eval(String),
    #[error("instance {instance} has no variable `{name}`: `vars` lists them")]
    NoVariable { instance: InstanceId, name: String },
    #[error("no mock for `{0}`: `mock` lists the mocks")]
    NoMock(Target),
    #[error("`{0}` is not a URL the engine's client can call: write http://HOST:PORT/PATH")]
    BadUrl(String),
    #[error("cannot start the HTTP client to forward the call: {0}")]
    Forward(String),
}

pub type Result<T, E = ReplError> = std::result::Result<T, E>;

/// The words of a command line, taken one at a time; the rest stays as written (a body, an XPath).
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let trimmed = self.rest.trim_start();
        if trimmed.is_empty() {
            self.rest = trimmed;
            return None;
        }
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (word, rest) = trimmed.split_at(end);
        self.rest = rest;
        Some(word)
    }

    fn peek(&self) -> Option<&'a str> {
        Words { rest: self.rest }.next()
    }

    fn rest(&self) -> &'a str {
        self.rest.trim()
    }
}

pub fn parse_id(word: &str) -> Result<InstanceId> {
    word.trim_start_matches('#').parse::<u64>().map(InstanceId).map_err(|_| ReplError::BadId(word.to_string()))
}

fn looks_like_id(word: &str) -> bool {
    let digits = word.strip_prefix('#').unwrap_or(word);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

pub fn parse_target(word: &str) -> Result<Target> {
    match word.split_once('.') {
        Some((link, op)) if !link.is_empty() && !op.is_empty() && !op.contains('.') => {
            Ok(Target { partner_link: link.to_string(), operation: op.to_string() })
        }
        _ => Err(ReplError::BadTarget(word.to_string())),
    }
}

fn body(text: &str) -> Option<Body> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if let Some(file) = text.strip_prefix('@') {
        Some(Body::File(file.trim().to_string()))
    } else {
        Some(Body::Inline(text.to_string()))
    }
}

fn usage(name: &'static str) -> ReplError {
    let usage = help::find(name).map_or(name, |h| h.usage);
    ReplError::Usage { name, usage }
}

/// An optional instance id first: `#N`, or `N` when `bare` allows it and, with `more`, more follows.
fn optional_id(words: &mut Words<'_>, more: bool, bare: bool) -> Result<Option<InstanceId>> {
    let Some(word) = words.peek() else { return Ok(None) };
    let hashed = word.starts_with('#');
    if !(hashed || (bare && looks_like_id(word))) {
        return Ok(None);
    }
    let mut after = Words { rest: words.rest };
    after.next();
    if more && after.peek().is_none() && !hashed {
        return Ok(None);
    }
    words.next();
    parse_id(word).map(Some)
}

fn no_more(words: &Words<'_>, name: &'static str) -> Result<()> {
    if words.rest().is_empty() {
        Ok(())
    } else {
        Err(usage(name))
    }
}

/// Parses one command (a body may span lines: the caller joins them first). `None`: an empty line
/// or a comment (`# ...`).
pub fn parse(line: &str) -> Result<Option<Command>> {
    let mut words = Words { rest: line };
    let Some(name) = words.next() else { return Ok(None) };
    if name.starts_with("//") || (name.starts_with('#') && !looks_like_id(name)) {
        return Ok(None);
    }
    let command = match name {
        "help" | "?" => Command::Help(words.next().map(str::to_string)),
        "load" => {
            let paths: Vec<String> = std::iter::from_fn(|| words.next()).map(str::to_string).collect();
            if paths.is_empty() {
                return Err(usage("load"));
            }
            Command::Load(paths)
        }
        "reload" => simple(&words, "reload", Command::Reload)?,
        "processes" => simple(&words, "processes", Command::Processes)?,
        "template" => {
            let (process, target) = process_and_target(&mut words, "template")?;
            no_more(&words, "template")?;
            Command::Template { process, target }
        }
        "send" => {
            let (process, target) = process_and_target(&mut words, "send")?;
            let body = body(words.rest()).ok_or_else(|| usage("send"))?;
            Command::Send { process, target, body }
        }
        "reply" => {
            let instance = optional_id(&mut words, true, true)?;
            let target = parse_target(words.next().ok_or_else(|| usage("reply"))?)?;
            let body = body(words.rest()).ok_or_else(|| usage("reply"))?;
            Command::Reply { instance, target, body }
        }
        "fault" => {
            let instance = optional_id(&mut words, true, true)?;
            let target = parse_target(words.next().ok_or_else(|| usage("fault"))?)?;
            let name = words.next().ok_or_else(|| usage("fault"))?.to_string();
            Command::Fault { instance, target, name, body: body(words.rest()) }
        }
        "mock" => match words.next() {
            None => Command::Mock(None),
            Some(word) => {
                let target = parse_target(word)?;
                let action = match words.next() {
                    Some("reply") => MockAction::Reply(body(words.rest()).ok_or_else(|| usage("mock"))?),
                    Some("fault") => {
                        let name = words.next().ok_or_else(|| usage("mock"))?.to_string();
                        MockAction::Fault { name, body: body(words.rest()) }
                    }
                    Some("delay") => {
                        let text = words.next().ok_or_else(|| usage("mock"))?;
                        no_more(&words, "mock")?;
                        let millis = duration_millis(text).ok_or_else(|| ReplError::BadDuration(text.to_string()))?;
                        MockAction::Delay { text: text.to_string(), millis }
                    }
                    Some("forward") => {
                        let url = words.next().ok_or_else(|| usage("mock"))?;
                        no_more(&words, "mock")?;
                        MockAction::Forward(url.to_string())
                    }
                    Some("off") => simple(&words, "mock", MockAction::Off)?,
                    _ => return Err(usage("mock")),
                };
                Command::Mock(Some((target, action)))
            }
        },
        "instances" => simple(&words, "instances", Command::Instances)?,
        "use" => {
            let id = parse_id(words.next().ok_or_else(|| usage("use"))?)?;
            no_more(&words, "use")?;
            Command::Use(id)
        }
        "tasklets" => Command::Tasklets(only_id(&mut words, "tasklets")?),
        "vars" => {
            let instance = optional_id(&mut words, false, true)?;
            let name = words.next().map(|n| n.trim_start_matches('$').to_string());
            no_more(&words, "vars")?;
            Command::Vars { instance, name }
        }
        "eval" => {
            let instance = optional_id(&mut words, true, false)?;
            let mut activity = None;
            if words.peek() == Some("in") {
                words.next();
                activity = Some(words.next().ok_or_else(|| usage("eval"))?.to_string());
            }
            let expression = words.rest().to_string();
            if expression.is_empty() {
                return Err(usage("eval"));
            }
            Command::Eval { instance, activity, expression }
        }
        "trace" => Command::Trace(only_id(&mut words, "trace")?),
        "receives" => Command::Receives(only_id(&mut words, "receives")?),
        "timers" => simple(&words, "timers", Command::Timers)?,
        "step" => Command::Step(only_id(&mut words, "step")?),
        "run" => simple(&words, "run", Command::Run)?,
        "break" => {
            let spec = words.rest();
            if spec.is_empty() {
                return Err(usage("break"));
            }
            Command::Break(spec.to_string())
        }
        "breaks" => simple(&words, "breaks", Command::Breaks)?,
        "delete" => {
            let word = words.next().ok_or_else(|| usage("delete"))?;
            no_more(&words, "delete")?;
            Command::Delete(word.parse().map_err(|_| ReplError::BadNumber(word.to_string()))?)
        }
        "continue" | "c" => simple(&words, "continue", Command::Continue)?,
        "clock" => simple(&words, "clock", Command::Clock)?,
        "advance" => {
            let text = words.next().ok_or_else(|| usage("advance"))?;
            no_more(&words, "advance")?;
            let millis = duration_millis(text).ok_or_else(|| ReplError::BadDuration(text.to_string()))?;
            Command::Advance { text: text.to_string(), millis }
        }
        "until" => {
            let text = words.next().ok_or_else(|| usage("until"))?;
            no_more(&words, "until")?;
            Command::Until(date_time(text).ok_or_else(|| ReplError::BadDateTime(text.to_string()))?)
        }
        "terminate" => Command::Terminate(only_id(&mut words, "terminate")?),
        "save" => {
            let instance = optional_id(&mut words, true, true)?;
            let file = words.rest();
            if file.is_empty() {
                return Err(usage("save"));
            }
            Command::Save { instance, file: file.to_string() }
        }
        "restore" => {
            let file = words.rest();
            if file.is_empty() {
                return Err(usage("restore"));
            }
            Command::Restore(file.to_string())
        }
        "back" => {
            let steps = match words.next() {
                Some(word) => word.parse().map_err(|_| ReplError::BadNumber(word.to_string()))?,
                None => 1,
            };
            no_more(&words, "back")?;
            Command::Back(steps)
        }
        "history" => simple(&words, "history", Command::History)?,
        "quit" | "exit" => simple(&words, "quit", Command::Quit)?,
        other => return Err(ReplError::UnknownCommand(other.chars().take(60).collect())),
    };
    Ok(Some(command))
}

fn simple<T>(words: &Words<'_>, name: &'static str, value: T) -> Result<T> {
    no_more(words, name).map(|()| value)
}

fn only_id(words: &mut Words<'_>, name: &'static str) -> Result<Option<InstanceId>> {
    let id = words.next().map(parse_id).transpose()?;
    no_more(words, name)?;
    Ok(id)
}

/// `[PROCESS] LINK.OP`: a first word with no dot is a process name.
fn process_and_target(words: &mut Words<'_>, name: &'static str) -> Result<(Option<String>, Target)> {
    let first = words.next().ok_or_else(|| usage(name))?;
    if first.contains('.') {
        return Ok((None, parse_target(first)?));
    }
    let target = words.next().ok_or_else(|| ReplError::BadTarget(first.to_string()))?;
    Ok((Some(first.to_string()), parse_target(target)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_ids_and_processes() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("  # a comment").unwrap(), None);
        assert_eq!(parse("tasklets #2").unwrap(), Some(Command::Tasklets(Some(InstanceId(2)))));
        assert_eq!(parse("vars 3 order").unwrap(), Some(Command::Vars { instance: Some(InstanceId(3)), name: Some("order".into()) }));
        assert_eq!(parse("vars $order").unwrap(), Some(Command::Vars { instance: None, name: Some("order".into()) }));
        assert_eq!(parse("eval 1 + 2").unwrap(), Some(Command::Eval { instance: None, activity: None, expression: "1 + 2".into() }));
        assert_eq!(
            parse("eval #1 1 + 2").unwrap(),
            Some(Command::Eval { instance: Some(InstanceId(1)), activity: None, expression: "1 + 2".into() })
        );
        assert_eq!(parse("eval 42").unwrap(), Some(Command::Eval { instance: None, activity: None, expression: "42".into() }));
        assert_eq!(
            parse("eval in Main $x").unwrap(),
            Some(Command::Eval { instance: None, activity: Some("Main".into()), expression: "$x".into() })
        );
        let send = parse("send Shop customer.placeOrder <a/>").unwrap();
        assert_eq!(
            send,
            Some(Command::Send {
                process: Some("Shop".into()),
                target: Target { partner_link: "customer".into(), operation: "placeOrder".into() },
                body: Body::Inline("<a/>".into()),
            })
        );
        assert!(matches!(parse("advance P2D").unwrap(), Some(Command::Advance { millis: 172_800_000, .. })));
        assert!(matches!(parse("advance soon"), Err(ReplError::BadDuration(_))));
        assert!(matches!(parse("frobnicate"), Err(ReplError::UnknownCommand(_))));
        assert!(matches!(parse("send customer"), Err(ReplError::BadTarget(_))));
        assert!(matches!(parse("clock now"), Err(ReplError::Usage { name: "clock", .. })));
        assert_eq!(parse("save #1 a b.ckpt").unwrap(), Some(Command::Save { instance: Some(InstanceId(1)), file: "a b.ckpt".into() }));
    }
}
