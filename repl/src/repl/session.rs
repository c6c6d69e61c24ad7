//! What a REPL session holds (the engine, the loaded processes, the current instance, mocks,
//! breakpoints, the checkpoints of the current instance's steps) and the command handlers. Every
//! question about a process goes to the engine; this file only moves messages and prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use bpel_engine::check::{analyze, process_files};
use bpel_engine::checkpoint::CheckpointError;
use bpel_engine::exec::inspect::{TaskletStatus, Wait};
use bpel_engine::exec::messages::{message_from_body, message_type, operation, Direction};
use bpel_engine::exec::sample::{sample_answer, sample_message, Role};
use bpel_engine::exec::scenario::{body_parts, message_text, partner_fault, wire_message};
use bpel_engine::exec::time::date_time_text;
use bpel_engine::exec::{Deployed, Engine, ExchangeId, InstanceId, Invocation, ProcessId};
use bpel_engine::fault::Fault;
use bpel_engine::model::process::ActivityId;
use bpel_engine::parse::Loader;
use bpel_engine::runtime::{InstanceStatus, Timestamp};
use bpel_engine::xml::{Message, NodeValue, XPathValue, XmlElement};
use bpel_engine::{Diagnostic, Severity};

use super::command::{Body, Command, MockAction, ReplError, Result, Target};
use super::help;
use crate::render;
use bpel_engine::xml::text as xml_text;

/// How long a forwarded call may take.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// Clock moves one command may make (timers firing, delayed answers) before it stops, so that an
/// alarm repeating every millisecond cannot hold the REPL.
const MAX_CLOCK_MOVES: usize = 10_000;

/// After a command: go on, or leave the REPL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// A process deployed in the session.
struct Loaded {
    id: ProcessId,
    name: String,
    path: PathBuf,
}

/// How calls of one partner operation are answered.
#[derive(Clone, Debug, Default)]
struct Mock {
    answer: Option<Answer>,
    delay: Option<(String, u64)>,
}

#[derive(Clone, Debug)]
enum Answer {
    Reply(String),
    Fault { name: String, body: Option<String> },
    Forward(String),
}

/// A mocked answer due later on the virtual clock.
#[derive(Clone, Debug)]
struct Delayed {
    due: Timestamp,
    call: Invocation,
    answer: Option<Answer>,
}

/// A step of the current instance `back` can return to.
#[derive(Clone)]
struct Step {
    label: String,
    instance: InstanceId,
    process: ProcessId,
    bytes: Vec<u8>,
    clock: Timestamp,
    waiting: Vec<Invocation>,
    delayed: Vec<Delayed>,
    trace: Vec<Stamped>,
}

/// A completed activity and the virtual time the REPL saw it complete.
#[derive(Clone, Debug)]
struct Stamped {
    activity: String,
    at: Timestamp,
}

struct Breakpoint {
    spec: String,
    at: Vec<(ProcessId, ActivityId)>,
}

pub struct Session {
    engine: Engine,
    /// The paths given to `load`, in order: what `reload` reads again.
    paths: Vec<PathBuf>,
    processes: Vec<Loaded>,
    current: Option<InstanceId>,
    mocks: BTreeMap<Target, Mock>,
    /// Request-response calls nobody answered yet.
    waiting: Vec<Invocation>,
    delayed: Vec<Delayed>,
    breakpoints: Vec<Breakpoint>,
    history: Vec<Step>,
    traces: BTreeMap<InstanceId, Vec<Stamped>>,
    /// What each instance looked like after the last command (its one-line summary).
    summaries: BTreeMap<InstanceId, String>,
    paused_seen: BTreeSet<InstanceId>,
    /// The requests sent with `send`, for naming their replies.
    exchanges: BTreeMap<ExchangeId, (ProcessId, Target)>,
    out: String,
}

macro_rules! say {
    ($session:expr, $($arg:tt)*) => {{
        let _ = writeln!($session.out, $($arg)*);
    }};
}

impl Session {
    /// A session on a virtual clock starting at `start`, nothing loaded.
    pub fn new(start: Timestamp) -> Session {
        Session {
            engine: Engine::starting_at(start),
            paths: Vec::new(),
            processes: Vec::new(),
            current: None,
            mocks: BTreeMap::new(),
            waiting: Vec::new(),
            delayed: Vec::new(),
            breakpoints: Vec::new(),
            history: Vec::new(),
            traces: BTreeMap::new(),
            summaries: BTreeMap::new(),
            paused_seen: BTreeSet::new(),
            exchanges: BTreeMap::new(),
            out: String::new(),
        }
    }

    /// What the commands printed since the last call.
    pub fn take_output(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The names of the loaded processes.
    pub fn process_names(&self) -> impl Iterator<Item = &str> {
        self.processes.iter().map(|p| p.name.as_str())
    }

    pub(super) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(super) fn current(&self) -> Option<InstanceId> {
        self.current
    }

    pub(super) fn deployed(&self) -> impl Iterator<Item = (&str, &Deployed)> {
        self.processes.iter().filter_map(|p| Some((p.name.as_str(), self.engine.process(p.id)?)))
    }

    /// Runs one command; `label` is the command as typed (for `history`).
    pub fn execute(&mut self, command: Command, label: &str) -> Result<Flow> {
        match command {
            Command::Help(None) => say!(self, "{}", help::overview()),
            Command::Help(Some(name)) => match help::find(&name) {
                Some(command) => say!(self, "{}", help::detail(command)),
                None => return Err(ReplError::UnknownCommand(name)),
            },
            Command::Load(paths) => self.load(&paths.iter().map(PathBuf::from).collect::<Vec<_>>())?,
            Command::Reload => self.reload()?,
            Command::Processes => self.list_processes()?,
            Command::Template { process, target } => self.template(process.as_deref(), &target)?,
            Command::Send { process, target, body } => {
                self.send(process.as_deref(), &target, &body)?;
                self.record(label);
            }
            Command::Reply { instance, target, body } => {
                let id = self.waiting_instance(instance, &target)?;
                let xml = read_body(&body)?;
                let call = self.take_waiting(id, &target)?;
                let answer = self.reply_message(&call, &xml)?;
                say!(self, "← {target} answers {id}: {}", self.wire_text(&call, &answer, false));
                self.engine.answer(call.instance, call.request, Ok(answer));
                self.settle()?;
                self.record(label);
            }
            Command::Fault { instance, target, name, body } => {
                let id = self.waiting_instance(instance, &target)?;
                let body = body.as_ref().map(read_body).transpose()?;
                let call = self.take_waiting(id, &target)?;
                let fault = self.fault_answer(&call, &name, body.as_deref())?;
                say!(self, "← {target} answers {id} with the fault {}", fault.name);
                self.engine.answer(call.instance, call.request, Err(fault));
                self.settle()?;
                self.record(label);
            }
            Command::Mock(None) => self.list_mocks(),
            Command::Mock(Some((target, action))) => self.mock(target, action)?,
            Command::Instances => self.list_instances(),
            Command::Use(id) => {
                let overview = self.engine.overview(id).ok_or(ReplError::UnknownInstance(id))?;
                if self.current != Some(id) {
                    self.history.clear();
                }
                self.current = Some(id);
                say!(self, "current instance: {id} {overview}");
            }
            Command::Tasklets(id) => self.tasklets(id)?,
            Command::Vars { instance, name } => self.vars(instance, name.as_deref())?,
            Command::Eval { instance, activity, expression } => self.eval(instance, activity.as_deref(), &expression)?,
            Command::Trace(id) => self.trace(id)?,
            Command::Receives(id) => self.receives(id)?,
            Command::Timers => self.timers(),
            Command::Step(id) => {
                if self.step(id)? {
                    self.record(label);
                }
            }
            Command::Run => {
                self.require_process()?;
                self.engine.resume();
                self.engine.run();
                self.settle()?;
                self.record(label);
            }
            Command::Break(spec) => self.add_breakpoint(&spec)?,
            Command::Breaks => self.list_breakpoints(),
            Command::Delete(number) => {
                if number == 0 || number > self.breakpoints.len() {
                    return Err(ReplError::NoBreakpoint(number));
                }
                let removed = self.breakpoints.remove(number - 1);
                self.apply_breakpoints();
                say!(self, "deleted breakpoint {number} ({})", removed.spec);
            }
            Command::Continue => {
                let resumed = self.engine.resume();
                if resumed.is_empty() {
                    say!(self, "no instance is stopped at a breakpoint");
                }
                self.paused_seen.clear();
                self.settle()?;
                self.record(label);
            }
            Command::Clock => {
                say!(self, "{}", date_time_text(self.engine.now()));
                let next = self.next_due();
                match next {
                    Some(due) => say!(self, "next timer: {}", date_time_text(due)),
                    None => say!(self, "no timer set"),
                }
            }
            Command::Advance { millis, .. } => {
                let target = self.engine.now().plus_millis(millis);
                self.move_clock_to(target)?;
                self.record(label);
            }
            Command::Until(target) => {
                self.move_clock_to(target)?;
                self.record(label);
            }
            Command::Terminate(id) => {
                let id = self.instance_id(id)?;
                if self.engine.terminate(id) {
                    say!(self, "terminated {id}");
                } else {
                    say!(self, "{id} had ended already");
                }
                self.settle()?;
                self.record(label);
            }
            Command::Save { instance, file } => self.save(instance, &file)?,
            Command::Restore(file) => {
                self.restore(&file)?;
                self.record(label);
            }
            Command::Back(steps) => self.back(steps)?,
            Command::History => self.list_history(),
            Command::Quit => return Ok(Flow::Quit),
        }
        Ok(Flow::Continue)
    }

    // -----------------------------------------------------------------------------------------
    // Loading

    /// Deploys the processes of `paths`, printing their diagnostics as `bpel check` does.
    pub fn load(&mut self, paths: &[PathBuf]) -> Result<()> {
        let (files, unreadable) = process_files(paths);
        if let Some((path, error)) = unreadable.into_iter().next() {
            return Err(ReplError::Read { path: path.display().to_string(), source: std::io::Error::other(error.to_string()) });
        }
        if files.is_empty() {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(ReplError::Read { path: names.join(", "), source: std::io::Error::other("no .bpel file there") });
        }
        for path in paths {
            if !self.paths.contains(path) {
                self.paths.push(path.clone());
            }
        }
        let mut loader = Loader::new();
        let mut seen = BTreeSet::new();
        for file in files {
            let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
            if self.processes.iter().any(|p| p.path.canonicalize().unwrap_or_else(|_| p.path.clone()) == canonical) {
                say!(self, "{} is loaded already (`reload` reads it again)", file.display());
                continue;
            }
            let analysis = match analyze(&mut loader, &file) {
                Ok(analysis) => analysis,
                Err(error) => {
                    say!(self, "cannot read {}: {error}", file.display());
                    continue;
                }
            };
            // an imported WSDL shared by several processes reports its problems once
            let diagnostics: Vec<Diagnostic> =
                analysis.diagnostics().iter().filter(|d| seen.insert((d.file, d.span, d.code, d.message.clone()))).cloned().collect();
            let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
            if !diagnostics.is_empty() {
                let mut report = Vec::new();
                let _ = render::human(&mut report, &loader.sources, &diagnostics);
                self.out.push_str(&String::from_utf8_lossy(&report));
            }
            if errors > 0 {
                say!(self, "{}: not deployed, it has {errors} error(s); the other processes are kept", file.display());
                continue;
            }
            match Deployed::from_analysis(analysis) {
                Ok(deployed) => {
                    let name = deployed.name().to_string();
                    let id = self.engine.deploy_debuggable(deployed);
                    say!(self, "loaded {name} from {}", file.display());
                    self.processes.push(Loaded { id, name, path: file });
                }
                Err(error) => say!(self, "{}: not deployed: {error}", file.display()),
            }
        }
        self.apply_breakpoints();
        Ok(())
    }

    /// Reads every loaded path again on a fresh engine at the same time, carrying the instances
    /// over by checkpoint (one whose process no longer fits is dropped, and the REPL says so).
    fn reload(&mut self) -> Result<()> {
        self.require_process()?;
        let mut carried: Vec<(InstanceId, String, Vec<u8>)> = Vec::new();
        for (id, live) in self.engine.instances() {
            let name = self.engine.process(live.process).map(|p| p.name().to_string()).unwrap_or_default();
            if let Some(Ok(bytes)) = self.engine.checkpoint(id) {
                carried.push((id, name, bytes));
            }
        }
        let old_names: BTreeMap<ProcessId, String> = self.processes.iter().map(|p| (p.id, p.name.clone())).collect();
        let paths = std::mem::take(&mut self.paths);
        let now = self.engine.now();
        let old_engine = std::mem::replace(&mut self.engine, Engine::starting_at(now));
        let old_processes = std::mem::take(&mut self.processes);
        if let Err(error) = self.load(&paths) {
            // nothing is lost: the session stays as it was
            self.engine = old_engine;
            self.processes = old_processes;
            self.paths = paths;
            return Err(error);
        }
        self.exchanges.clear();
        let new_id = |name: &str| self.processes.iter().find(|p| p.name == name).map(|p| p.id);
        let mut lines = Vec::new();
        let mut dropped = BTreeSet::new();
        for (id, name, bytes) in carried {
            let restored = match new_id(&name) {
                Some(process) => self.engine.restore(process, Some(id), &bytes).map_err(|e| e.to_string()),
                None => Err(format!("{name} is not loaded any more")),
            };
            match restored {
                Ok(_) => lines.push(format!("{id} carried over")),
                Err(why) => {
                    dropped.insert(id);
                    lines.push(format!("{id} dropped: {why}"));
                }
            }
        }
        for line in lines {
            say!(self, "{line}");
        }
        let remap = |call: &mut Invocation| old_names.get(&call.process).and_then(|name| new_id(name)).map(|p| call.process = p).is_some();
        let mut waiting = std::mem::take(&mut self.waiting);
        waiting.retain_mut(|call| !dropped.contains(&call.instance) && remap(call));
        let mut delayed = std::mem::take(&mut self.delayed);
        delayed.retain_mut(|d| !dropped.contains(&d.call.instance) && remap(&mut d.call));
        self.waiting = waiting;
        self.delayed = delayed;
        self.history.clear();
        if self.current.is_some_and(|id| dropped.contains(&id)) {
            self.current = None;
        }
        let specs: Vec<String> = self.breakpoints.drain(..).map(|b| b.spec).collect();
        for spec in specs {
            if let Err(error) = self.add_breakpoint(&spec) {
                say!(self, "breakpoint `{spec}` dropped: {error}");
            }
        }
        Ok(())
    }

    fn require_process(&self) -> Result<()> {
        if self.processes.is_empty() {
            Err(ReplError::NoProcess)
        } else {
            Ok(())
        }
    }

    fn list_processes(&mut self) -> Result<()> {
        self.require_process()?;
        let mut text = String::new();
        for loaded in &self.processes {
            let Some(deployed) = self.engine.process(loaded.id) else { continue };
            let _ = writeln!(text, "{} ({})", loaded.name, loaded.path.display());
            let mut links: Vec<&bpel_engine::exec::deploy::PartnerLinkDecl> = Vec::new();
            for decl in &deployed.decls {
                for link in &decl.partner_links {
                    if !links.iter().any(|l| l.name == link.name) {
                        links.push(link);
                    }
                }
            }
            for link in links {
                for (role, port_type, mine) in [("myRole", &link.my_port_type, true), ("partnerRole", &link.partner_port_type, false)] {
                    let Some(port_type) = port_type else { continue };
                    let Some(def) = deployed.unit.definitions.port_type(port_type) else { continue };
                    let _ = writeln!(text, "  {} ({role}, port type {}):", link.name, port_type.local);
                    for op in &def.item.operations {
                        let name = &op.name.value;
                        let shape = |direction| {
                            operation(deployed, &link.name, name, mine)
                                .and_then(|op| message_type(deployed, op, direction))
                                .map(|ty| message_shape(&ty))
                        };
                        let input = shape(Direction::Input).unwrap_or_else(|| "?".into());
                        match shape(Direction::Output) {
                            Some(output) => {
                                let _ = writeln!(text, "    {}.{name}: {input} -> {output}", link.name);
                            }
                            None => {
                                let _ = writeln!(text, "    {}.{name}: {input} (one-way)", link.name);
                            }
                        }
                    }
                }
            }
        }
        self.out.push_str(&text);
        Ok(())
    }

    /// The process a command is for: the one named, or the one offering `target` (in `my_role` or,
    /// failing that, as a partner's operation).
    fn process_for(&self, name: Option<&str>, target: &Target) -> Result<ProcessId> {
        self.require_process()?;
        if let Some(name) = name {
            return self.processes.iter().find(|p| p.name == name).map(|p| p.id).ok_or_else(|| ReplError::UnknownProcess(name.into()));
        }
        for my_role in [true, false] {
            let offering: Vec<&Loaded> = self
                .processes
                .iter()
                .filter(|p| {
                    self.engine.process(p.id).is_some_and(|d| operation(d, &target.partner_link, &target.operation, my_role).is_some())
                })
                .collect();
            match offering.as_slice() {
                [] => continue,
                [one] => return Ok(one.id),
                several => {
                    return Err(ReplError::Ambiguous {
                        target: target.clone(),
                        processes: several.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                        first: several[0].name.clone(),
                    })
                }
            }
        }
        Err(ReplError::NoOperation(target.clone()))
    }

    fn deployed_of(&self, process: ProcessId) -> Result<&Deployed> {
        self.engine.process(process).ok_or(ReplError::NoProcess)
    }

    fn template(&mut self, process: Option<&str>, target: &Target) -> Result<()> {
        let id = self.process_for(process, target)?;
        let deployed = self.deployed_of(id)?;
        let (pl, op) = (&target.partner_link, &target.operation);
        // what the process takes, else a partner's reply to write, else what the process sends it
        let sample = sample_message(deployed, pl, op, Role::Mine, Direction::Input).or_else(|mine| {
            sample_message(deployed, pl, op, Role::Partner, Direction::Output)
                .or_else(|_| sample_message(deployed, pl, op, Role::Partner, Direction::Input))
                .map_err(|_| mine)
        })?;
        let text = sample.wire.iter().map(|w| xml_text::indent(w)).collect::<Vec<_>>().join("\n");
        say!(self, "{text}");
        for note in sample.notes {
            say!(self, "note: {note}");
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Messages

    fn send(&mut self, process: Option<&str>, target: &Target, body: &Body) -> Result<()> {
        let process = self.process_for(process, target)?;
        let xml = read_body(body)?;
        let elements = parse_elements(&xml)?;
        let deployed = self.deployed_of(process)?;
        let parts = match <[XmlElement; 1]>::try_from(elements) {
            Ok([one]) => body_parts(deployed, &target.partner_link, &target.operation, true, one),
            Err(several) => several,
        };
        let known: BTreeSet<InstanceId> = self.engine.instances().map(|(id, _)| id).collect();
        let name = deployed.name().to_string();
        let (id, exchange) = self.engine.send(process, &target.partner_link, &target.operation, &parts)?;
        if known.contains(&id) {
            say!(self, "{target} reached {id} of {name} (by correlation)");
        } else {
            say!(self, "{target} started {id}, a new instance of {name}");
        }
        if self.current != Some(id) {
            self.history.clear();
        }
        self.current = Some(id);
        self.exchanges.insert(exchange, (process, target.clone()));
        self.settle()
    }

    /// Takes what the engine produced (replies, partner calls), answers calls that are mocked,
    /// until nothing new comes; then reports what changed. Fails when an instance ended with a
    /// fault nobody caught.
    fn settle(&mut self) -> Result<()> {
        for _ in 0..MAX_CLOCK_MOVES {
            for reply in self.engine.drain_replies() {
                let named = self.exchanges.remove(&reply.exchange);
                let what = named.as_ref().map_or_else(|| "a request".to_string(), |(_, t)| t.to_string());
                match &reply.result {
                    Ok(message) => {
                        let text = match &named {
                            Some((process, target)) => match self.engine.process(*process) {
                                Some(d) => message_text(&wire_message(d, &target.partner_link, &target.operation, true, true, message)),
                                None => message_text(message),
                            },
                            None => message_text(message),
                        };
                        say!(self, "← {} replies to {what}: {text}", reply.instance);
                    }
                    Err(fault) => say!(self, "← {} replies to {what} with the fault {fault}", reply.instance),
                }
            }
            let calls = self.engine.drain_invocations();
            if calls.is_empty() {
                break;
            }
            for call in calls {
                self.handle_call(call)?;
            }
        }
        self.report_changes()
    }

    fn handle_call(&mut self, call: Invocation) -> Result<()> {
        let target = Target { partner_link: call.partner_link.clone(), operation: call.operation.clone() };
        let one_way = if call.one_way { " (one-way)" } else { "" };
        say!(self, "→ {target}{one_way} from {}: {}", call.instance, self.wire_text(&call, &call.message, true));
        if call.one_way {
            return Ok(());
        }
        let Some(mock) = self.mocks.get(&target).cloned() else {
            say!(
                self,
                "  {} waits for the answer: `reply {} {target} BODY` or `fault {} {target} QNAME` (`template {target}` gives a sample)",
                call.instance,
                call.instance,
                call.instance
            );
            self.waiting.push(call);
            return Ok(());
        };
        if let Some((text, millis)) = &mock.delay {
            let due = self.engine.now().plus_millis(*millis);
            say!(self, "  answered (mock) after {text}, at {}", date_time_text(due));
            self.delayed.push(Delayed { due, call, answer: mock.answer });
            return Ok(());
        }
        self.answer_with(call, mock.answer.as_ref())
    }

    /// Answers a call as a mock says (`None`: a sample reply).
    fn answer_with(&mut self, call: Invocation, answer: Option<&Answer>) -> Result<()> {
        let target = Target { partner_link: call.partner_link.clone(), operation: call.operation.clone() };
        let result = match answer {
            None => Ok(sample_answer(self.deployed_of(call.process)?, &call.partner_link, &call.operation)?),
            Some(Answer::Reply(xml)) => self.reply_message(&call, xml).map(Ok)?,
            Some(Answer::Fault { name, body }) => Err(self.fault_answer(&call, name, body.as_deref())?),
            Some(Answer::Forward(url)) => self.forward(&call, url)?,
        };
        match &result {
            Ok(message) => say!(self, "← {target} answers {} (mock): {}", call.instance, self.wire_text(&call, message, false)),
            Err(fault) => say!(self, "← {target} answers {} (mock) with the fault {fault}", call.instance),
        }
        self.engine.answer(call.instance, call.request, result);
        Ok(())
    }

    fn forward(&self, call: &Invocation, url: &str) -> Result<Result<Message, Fault>> {
        let deployed = self.deployed_of(call.process)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| ReplError::Forward(e.to_string()))?;
        Ok(runtime.block_on(bpel_engine::http::client::call_once(deployed, call, url, FORWARD_TIMEOUT)))
    }

    /// A partner's message as the operation's binding puts it on the wire.
    fn wire_text(&self, call: &Invocation, message: &Message, request: bool) -> String {
        match self.engine.process(call.process) {
            Some(d) => message_text(&wire_message(d, &call.partner_link, &call.operation, false, !request, message)),
            None => message_text(message),
        }
    }

    fn reply_message(&self, call: &Invocation, xml: &str) -> Result<Message> {
        let deployed = self.deployed_of(call.process)?;
        let target = Target { partner_link: call.partner_link.clone(), operation: call.operation.clone() };
        let ty = operation(deployed, &call.partner_link, &call.operation, false)
            .and_then(|op| message_type(deployed, op, Direction::Output))
            .ok_or(ReplError::NoOperation(target))?;
        let elements = parse_elements(xml)?;
        let parts = match <[XmlElement; 1]>::try_from(elements) {
            Ok([one]) => body_parts(deployed, &call.partner_link, &call.operation, false, one),
            Err(several) => several,
        };
        Ok(message_from_body(&ty, &parts))
    }

    fn fault_answer(&self, call: &Invocation, name: &str, body: Option<&str>) -> Result<Fault> {
        let deployed = self.deployed_of(call.process)?;
        let data = match body {
            None => None,
            Some(xml) => Some(parse_elements(xml)?.into_iter().next().ok_or(ReplError::EmptyBody)?),
        };
        Ok(partner_fault(deployed, &call.partner_link, &call.operation, name, data, "the REPL"))
    }

    /// The instance a `reply` or `fault` is for: the one given; else the current one when its call
    /// of `target` waits, else the only instance whose call of `target` waits.
    fn waiting_instance(&self, id: Option<InstanceId>, target: &Target) -> Result<InstanceId> {
        if id.is_some() {
            return self.instance_id(id);
        }
        let waits = |c: &&Invocation| c.partner_link == target.partner_link && c.operation == target.operation;
        let mut callers: Vec<InstanceId> = self.waiting.iter().filter(waits).map(|c| c.instance).collect();
        callers.dedup();
        match callers.as_slice() {
            _ if self.current.is_some_and(|c| callers.contains(&c)) => self.instance_id(None),
            [only] => Ok(*only),
            _ => self.instance_id(None),
        }
    }

    fn take_waiting(&mut self, id: InstanceId, target: &Target) -> Result<Invocation> {
        let index = self
            .waiting
            .iter()
            .position(|c| c.instance == id && c.partner_link == target.partner_link && c.operation == target.operation)
            .ok_or_else(|| ReplError::NoWaitingCall { instance: id, target: target.clone() })?;
        Ok(self.waiting.remove(index))
    }

    fn mock(&mut self, target: Target, action: MockAction) -> Result<()> {
        self.process_for(None, &target)?;
        let entry = self.mocks.entry(target.clone()).or_default();
        match action {
            MockAction::Reply(body) => entry.answer = Some(Answer::Reply(read_body(&body)?)),
            MockAction::Fault { name, body } => {
                entry.answer = Some(Answer::Fault { name, body: body.as_ref().map(read_body).transpose()? })
            }
            MockAction::Delay { text, millis } => entry.delay = Some((text, millis)),
            MockAction::Forward(url) => {
                if !url.starts_with("http://") {
                    return Err(ReplError::BadUrl(url));
                }
                entry.answer = Some(Answer::Forward(url))
            }
            MockAction::Off => {
                self.mocks.remove(&target).ok_or_else(|| ReplError::NoMock(target.clone()))?;
                say!(self, "calls of {target} wait for `reply` again");
                return Ok(());
            }
        }
        let description = self.mocks.get(&target).map(describe_mock).unwrap_or_default();
        say!(self, "calls of {target} are answered {description}");
        // calls already waiting are answered now
        let ready: Vec<Invocation> = {
            let (ready, rest) = std::mem::take(&mut self.waiting)
                .into_iter()
                .partition(|c| c.partner_link == target.partner_link && c.operation == target.operation);
            self.waiting = rest;
            ready
        };
        for call in ready {
            self.handle_call_answer(call)?;
        }
        self.settle()
    }

    /// A waiting call answered by its (new) mock.
    fn handle_call_answer(&mut self, call: Invocation) -> Result<()> {
        let target = Target { partner_link: call.partner_link.clone(), operation: call.operation.clone() };
        let Some(mock) = self.mocks.get(&target).cloned() else { return Ok(()) };
        if let Some((_, millis)) = &mock.delay {
            let due = self.engine.now().plus_millis(*millis);
            self.delayed.push(Delayed { due, call, answer: mock.answer });
            return Ok(());
        }
        self.answer_with(call, mock.answer.as_ref())
    }

    fn list_mocks(&mut self) {
        if self.mocks.is_empty() {
            say!(self, "no mocks: partner calls wait for `reply` or `fault`");
        }
        let lines: Vec<String> = self.mocks.iter().map(|(t, m)| format!("{t}: answered {}", describe_mock(m))).collect();
        for line in lines {
            say!(self, "{line}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // What changed after a command

    fn report_changes(&mut self) -> Result<()> {
        let mut faulted = None;
        let ids: Vec<InstanceId> = self.engine.instances().map(|(id, _)| id).collect();
        for id in ids {
            let Some(overview) = self.engine.overview(id) else { continue };
            let line = overview.to_string();
            if self.summaries.get(&id) != Some(&line) {
                say!(self, "{id} {line}");
                if overview.status == InstanceStatus::Faulted
                    && self.summaries.get(&id).is_none_or(|old| !old.ends_with(&InstanceStatus::Faulted.to_string()))
                {
                    faulted = Some(id);
                }
                self.summaries.insert(id, line);
            }
            if overview.status != InstanceStatus::Running {
                // an ended instance waits for no answer any more
                self.waiting.retain(|c| c.instance != id);
                self.delayed.retain(|d| d.call.instance != id);
            }
            self.stamp(id);
        }
        let paused: Vec<(InstanceId, ActivityId)> = self.engine.paused().collect();
        for (id, activity) in paused {
            if self.paused_seen.insert(id) {
                let at = self.engine.instance(id).and_then(|l| self.engine.process(l.process)).map(|d| d.describe(activity));
                say!(self, "{id} stopped at a breakpoint, before {}: `step`, `continue`", at.unwrap_or_default());
            }
        }
        self.paused_seen.retain(|id| self.engine.paused().any(|(p, _)| p == *id));
        match faulted {
            Some(id) => Err(ReplError::Faulted(id)),
            None => Ok(()),
        }
    }

    /// Stamps the activities an instance completed since the last look with the clock's time.
    fn stamp(&mut self, id: InstanceId) {
        let Some(report) = self.engine.inspect(id) else { return };
        let now = self.engine.now();
        let stamps = self.traces.entry(id).or_default();
        stamps.truncate(report.trace.len());
        for activity in report.trace.iter().skip(stamps.len()) {
            stamps.push(Stamped { activity: activity.to_string(), at: now });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Inspection

    fn instance_id(&self, id: Option<InstanceId>) -> Result<InstanceId> {
        let id = match id {
            Some(id) => id,
            None => {
                self.require_process()?;
                self.current.ok_or(ReplError::NoCurrentInstance)?
            }
        };
        match self.engine.instance(id) {
            Some(_) => Ok(id),
            None => Err(ReplError::UnknownInstance(id)),
        }
    }

    fn list_instances(&mut self) {
        let lines: Vec<String> = self
            .engine
            .instances()
            .filter_map(|(id, _)| {
                let overview = self.engine.overview(id)?;
                let marker = if self.current == Some(id) { "*" } else { " " };
                let paused = if self.engine.paused().any(|(p, _)| p == id) { " (stopped at a breakpoint)" } else { "" };
                Some(format!("{marker}{id} {overview}{paused}"))
            })
            .collect();
        if lines.is_empty() {
            say!(self, "no instances yet: `send` a message that starts one");
        }
        for line in lines {
            say!(self, "{line}");
        }
        let waiting: Vec<String> =
            self.waiting.iter().map(|c| format!("  {} waits for the answer of {}.{}", c.instance, c.partner_link, c.operation)).collect();
        for line in waiting {
            say!(self, "{line}");
        }
    }

    fn tasklets(&mut self, id: Option<InstanceId>) -> Result<()> {
        let id = self.instance_id(id)?;
        let report = self.engine.inspect(id).ok_or(ReplError::UnknownInstance(id))?;
        say!(self, "{id} {}: {}", report.process, report.summary);
        for tasklet in &report.tasklets {
            say!(self, "  {}: {}", tasklet.id, tasklet.state);
            for (depth, frame) in tasklet.frames.iter().enumerate() {
                say!(self, "    {}{frame}", "  ".repeat(depth));
            }
        }
        Ok(())
    }

    fn vars(&mut self, id: Option<InstanceId>, name: Option<&str>) -> Result<()> {
        let id = self.instance_id(id)?;
        let report = self.engine.inspect(id).ok_or(ReplError::UnknownInstance(id))?;
        let chosen: Vec<_> = report.variables.iter().filter(|v| name.is_none_or(|n| v.name == n)).collect();
        if chosen.is_empty() {
            return match name {
                Some(name) => Err(ReplError::NoVariable { instance: id, name: name.to_string() }),
                None => {
                    say!(self, "{id} has no variables");
                    Ok(())
                }
            };
        }
        for variable in chosen {
            let over = if variable.live { "" } else { " (scope over)" };
            match &variable.value {
                None => say!(self, "{}.{}{over}: not initialized", variable.scope, variable.name),
                Some(value) => {
                    say!(self, "{}.{}{over}:", variable.scope, variable.name);
                    say!(self, "{}", indent_value(value, "  "));
                }
            }
        }
        Ok(())
    }

    fn eval(&mut self, id: Option<InstanceId>, activity: Option<&str>, expression: &str) -> Result<()> {
        let id = self.instance_id(id)?;
        let value = match activity {
            None => self.engine.evaluate(id, expression),
            Some(spec) => {
                let process = self.engine.instance(id).map(|l| l.process).ok_or(ReplError::UnknownInstance(id))?;
                let activity = self
                    .find_activities(spec)
                    .into_iter()
                    .find(|(p, _)| *p == process)
                    .ok_or_else(|| ReplError::NoActivity(spec.to_string()))?
                    .1;
                self.engine.evaluate_at(id, activity, expression)
            }
        }
        .map_err(|fault| ReplError::Eval(fault.to_string()))?;
        let text = match value {
            XPathValue::Nodes(nodes) if nodes.is_empty() => "(no nodes)".to_string(),
            XPathValue::Nodes(nodes) => nodes
                .iter()
                .map(|n| match &n.node {
                    NodeValue::Element(element) => xml_text::indent(&element.to_xml()),
                    other => other.string_value(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            XPathValue::String(text) => format!("\"{text}\""),
            other => other.string(),
        };
        say!(self, "{text}");
        Ok(())
    }

    fn trace(&mut self, id: Option<InstanceId>) -> Result<()> {
        let id = self.instance_id(id)?;
        self.stamp(id);
        let lines: Vec<String> =
            self.traces.get(&id).into_iter().flatten().map(|s| format!("  {}  {}", date_time_text(s.at), s.activity)).collect();
        if lines.is_empty() {
            say!(self, "{id} has completed no activity yet");
        }
        for line in lines {
            say!(self, "{line}");
        }
        Ok(())
    }

    fn receives(&mut self, id: Option<InstanceId>) -> Result<()> {
        let id = self.instance_id(id)?;
        let report = self.engine.inspect(id).ok_or(ReplError::UnknownInstance(id))?;
        let mut lines = Vec::new();
        for tasklet in &report.tasklets {
            if let TaskletStatus::Waiting { waits } = &tasklet.state {
                for wait in waits.iter().filter(|w| matches!(w, Wait::Message { .. })) {
                    lines.push(format!("  {wait}, in {}", tasklet.activity));
                }
            }
        }
        if lines.is_empty() {
            say!(self, "{id} has no open receive");
        }
        for line in lines {
            say!(self, "{line}");
        }
        Ok(())
    }

    fn timers(&mut self) {
        let mut all: Vec<(i64, String)> = Vec::new();
        for (id, _) in self.engine.instances() {
            if let Some(report) = self.engine.inspect(id) {
                for due in &report.timers {
                    all.push((due.millis, format!("  {}  {id} {} (in {})", due.at, report.process, span_text(due.in_millis))));
                }
            }
        }
        for delayed in &self.delayed {
            all.push((
                delayed.due.0,
                format!(
                    "  {}  mocked answer of {}.{} to {}",
                    date_time_text(delayed.due),
                    delayed.call.partner_link,
                    delayed.call.operation,
                    delayed.call.instance
                ),
            ));
        }
        all.sort();
        if all.is_empty() {
            say!(self, "no timers");
        }
        for (_, line) in all {
            say!(self, "{line}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Control

    /// One step; whether it ran anything.
    fn step(&mut self, id: Option<InstanceId>) -> Result<bool> {
        let id = self.instance_id(id)?;
        let report = self.engine.step(id).ok_or(ReplError::UnknownInstance(id))?;
        if report.changed.is_empty() && report.completed.is_empty() {
            say!(self, "nothing to run in {id}: it waits (`tasklets` shows for what)");
        }
        for change in &report.changed {
            say!(self, "  {change}");
        }
        for activity in &report.completed {
            say!(self, "  completed {activity}");
        }
        if let Some(at) = &report.paused_at {
            say!(self, "  next: {at} (`step`, `continue`)");
            self.paused_seen.insert(id);
        }
        self.settle()?;
        Ok(!report.changed.is_empty() || !report.completed.is_empty())
    }

    /// The activities `spec` names in the loaded processes: by name, or by line (the activity
    /// starting on it, else the last one starting before it).
    fn find_activities(&self, spec: &str) -> Vec<(ProcessId, ActivityId)> {
        let mut at = Vec::new();
        for loaded in &self.processes {
            let Some(deployed) = self.engine.process(loaded.id) else { continue };
            let process = deployed.process();
            let found: Vec<ActivityId> = match spec.parse::<u32>() {
                Ok(line) => {
                    let exact: Vec<ActivityId> =
                        process.activities.iter().filter(|a| deployed.activity_report(a.id).line == line).map(|a| a.id).collect();
                    if exact.is_empty() {
                        process
                            .activities
                            .iter()
                            .filter(|a| deployed.activity_report(a.id).line <= line)
                            .map(|a| a.id)
                            .last()
                            .into_iter()
                            .collect()
                    } else {
                        exact
                    }
                }
                Err(_) => process.activities.iter().filter(|a| a.name.as_ref().is_some_and(|n| n.value == spec)).map(|a| a.id).collect(),
            };
            at.extend(found.into_iter().map(|a| (loaded.id, a)));
        }
        at
    }

    fn add_breakpoint(&mut self, spec: &str) -> Result<()> {
        self.require_process()?;
        let at = self.find_activities(spec);
        if at.is_empty() {
            return Err(ReplError::NoActivity(spec.to_string()));
        }
        let described: Vec<String> =
            at.iter().filter_map(|(p, a)| self.engine.process(*p).map(|d| format!("{} in {}", d.describe(*a), d.name()))).collect();
        self.breakpoints.push(Breakpoint { spec: spec.to_string(), at });
        self.apply_breakpoints();
        say!(self, "breakpoint {}: before {}", self.breakpoints.len(), described.join(", "));
        Ok(())
    }

    fn apply_breakpoints(&mut self) {
        for loaded in &self.processes {
            let set: BTreeSet<ActivityId> =
                self.breakpoints.iter().flat_map(|b| b.at.iter()).filter(|(p, _)| *p == loaded.id).map(|(_, a)| *a).collect();
            self.engine.set_breakpoints(loaded.id, set);
        }
    }

    fn list_breakpoints(&mut self) {
        if self.breakpoints.is_empty() {
            say!(self, "no breakpoints: `break ACTIVITY|LINE` sets one");
        }
        let lines: Vec<String> = self
            .breakpoints
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let places: Vec<String> =
                    b.at.iter()
                        .filter_map(|(p, a)| self.engine.process(*p).map(|d| format!("{} in {}", d.describe(*a), d.name())))
                        .collect();
                format!("  {}: {} ({})", i + 1, b.spec, places.join(", "))
            })
            .collect();
        for line in lines {
            say!(self, "{line}");
        }
    }

    fn next_due(&self) -> Option<Timestamp> {
        let delayed = self.delayed.iter().map(|d| d.due).min();
        match (self.engine.next_timer(), delayed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves the clock to `target` through every timer and delayed answer due on the way, each at
    /// its own time.
    fn move_clock_to(&mut self, target: Timestamp) -> Result<()> {
        self.require_process()?;
        let mut moves = 0;
        while let Some(due) = self.next_due().filter(|due| *due <= target) {
            moves += 1;
            if moves > MAX_CLOCK_MOVES {
                say!(self, "stopped after {MAX_CLOCK_MOVES} timers at {}: `advance` again to go on", date_time_text(self.engine.now()));
                return self.settle();
            }
            self.engine.advance_to(due);
            let (ready, later): (Vec<Delayed>, Vec<Delayed>) = std::mem::take(&mut self.delayed).into_iter().partition(|d| d.due <= due);
            self.delayed = later;
            for delayed in ready {
                self.answer_with(delayed.call, delayed.answer.as_ref())?;
            }
            self.settle()?;
        }
        self.engine.advance_to(target);
        self.settle()?;
        say!(self, "clock: {}", date_time_text(self.engine.now()));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Checkpoints and time travel

    fn save(&mut self, id: Option<InstanceId>, file: &str) -> Result<()> {
        let id = self.instance_id(id)?;
        // the file carries the instance's time: the clock's (unless it is stopped at a breakpoint)
        if !self.engine.paused().any(|(paused, _)| paused == id) {
            self.engine.catch_up(id);
        }
        let bytes = match self.engine.checkpoint(id) {
            Some(Ok(bytes)) => bytes,
            Some(Err(error)) => return Err(ReplError::Checkpoint { instance: id, why: error.to_string() }),
            None => return Err(ReplError::UnknownInstance(id)),
        };
        std::fs::write(file, &bytes).map_err(|source| ReplError::Write { path: file.to_string(), source })?;
        say!(self, "saved {id} to {file} ({} bytes)", bytes.len());
        Ok(())
    }

    fn restore(&mut self, file: &str) -> Result<()> {
        self.require_process()?;
        let bytes = std::fs::read(file).map_err(|source| ReplError::Read { path: file.to_string(), source })?;
        let candidates: Vec<(ProcessId, String)> = self.processes.iter().map(|p| (p.id, p.name.clone())).collect();
        for (process, name) in candidates {
            match self.engine.restore(process, None, &bytes) {
                Ok(id) => {
                    let saved_at = self.engine.instance(id).map(|l| l.instance.now()).unwrap_or(self.engine.now());
                    say!(self, "restored {id}, an instance of {name} (its time: {})", date_time_text(saved_at));
                    if saved_at > self.engine.now() {
                        self.engine.advance_to(saved_at);
                        say!(self, "clock: {} (moved to the instance's time)", date_time_text(self.engine.now()));
                    }
                    self.current = Some(id);
                    self.history.clear();
                    return self.settle();
                }
                Err(CheckpointError::DefinitionMismatch { .. }) => continue,
                Err(error) => return Err(ReplError::RestoreRefused(error.to_string())),
            }
        }
        Err(ReplError::NoProcessForCheckpoint)
    }

    /// Keeps the current instance's state after a command, for `back`.
    fn record(&mut self, label: &str) {
        let Some(id) = self.current else { return };
        let Some(live) = self.engine.instance(id) else { return };
        let process = live.process;
        let Some(Ok(bytes)) = self.engine.checkpoint(id) else { return };
        self.history.push(Step {
            label: label.lines().next().unwrap_or_default().chars().take(100).collect(),
            instance: id,
            process,
            bytes,
            clock: self.engine.now(),
            waiting: self.waiting.iter().filter(|c| c.instance == id).cloned().collect(),
            delayed: self.delayed.iter().filter(|d| d.call.instance == id).cloned().collect(),
            trace: self.traces.get(&id).cloned().unwrap_or_default(),
        });
    }

    fn back(&mut self, steps: usize) -> Result<()> {
        let id = self.instance_id(None)?;
        let have = self.history.len().saturating_sub(1);
        if steps == 0 || steps > have {
            return Err(ReplError::NoHistory { asked: steps, have });
        }
        let index = self.history.len() - 1 - steps;
        let step = self.history[index].clone();
        self.engine.set_clock(step.clock);
        self.engine.restore(step.process, Some(step.instance), &step.bytes).map_err(|e| ReplError::RestoreRefused(e.to_string()))?;
        self.waiting.retain(|c| c.instance != id);
        self.waiting.extend(step.waiting);
        self.delayed.retain(|d| d.call.instance != id);
        self.delayed.extend(step.delayed);
        self.traces.insert(id, step.trace);
        self.history.truncate(index + 1);
        say!(self, "back at step {}: {} (clock {})", index + 1, step.label, date_time_text(step.clock));
        self.summaries.remove(&id);
        self.settle()
    }

    fn list_history(&mut self) {
        if self.history.is_empty() {
            say!(self, "no steps yet: `send`, `advance`, `step`... record them");
        }
        let lines: Vec<String> = self
            .history
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  {:>2}. {}  {}  ({} back)", i + 1, date_time_text(s.clock), s.label, self.history.len() - 1 - i))
            .collect();
        for line in lines {
            say!(self, "{line}");
        }
    }
}

fn describe_mock(mock: &Mock) -> String {
    let answer = match &mock.answer {
        None => "with a sample reply".to_string(),
        Some(Answer::Reply(xml)) => format!("with {}", xml.split_whitespace().collect::<Vec<_>>().join(" ")),
        Some(Answer::Fault { name, .. }) => format!("with the fault {name}"),
        Some(Answer::Forward(url)) => format!("by {url}"),
    };
    match &mock.delay {
        Some((text, _)) => format!("{answer} after {text}"),
        None => answer,
    }
}

/// `(order: element placeOrder)`: a WSDL message's parts.
fn message_shape(ty: &bpel_engine::xml::MessageType) -> String {
    let parts: Vec<String> = ty
        .parts
        .iter()
        .map(|p| match &p.kind {
            bpel_engine::xml::PartKind::Element(name) => format!("{}: element {}", p.name, name.local),
            bpel_engine::xml::PartKind::Type(ty) => format!("{}: type {}", p.name, ty.name.local),
        })
        .collect();
    format!("{}({})", ty.name.local, parts.join(", "))
}

fn span_text(millis: i64) -> String {
    let seconds = millis / 1000;
    let (days, hours, minutes, secs) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    let mut text = String::new();
    for (value, unit) in [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")] {
        if value != 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    if text.is_empty() {
        format!("{millis}ms")
    } else {
        text
    }
}

/// A variable's value indented: a message's parts (`part: <xml>`, one after the other) each under
/// its name.
fn indent_value(value: &str, pad: &str) -> String {
    // a part starts a line with `name: <`; the XML of a part may hold line breaks itself
    let mut parts: Vec<(Option<&str>, String)> = Vec::new();
    for line in value.split('\n') {
        let part = line.split_once(": <").filter(|(name, _)| is_part_name(name));
        match (part, parts.last_mut()) {
            (Some((name, xml)), _) => parts.push((Some(name), format!("<{xml}"))),
            (None, Some((_, xml))) => {
                xml.push('\n');
                xml.push_str(line);
            }
            (None, None) => parts.push((None, line.to_string())),
        }
    }
    let mut out = Vec::new();
    for (name, xml) in parts {
        let inner = match name {
            Some(name) => {
                out.push(format!("{pad}{name}:"));
                format!("{pad}  ")
            }
            None => pad.to_string(),
        };
        out.extend(xml_text::indent(&xml).lines().map(|l| format!("{inner}{l}")));
    }
    out.join("\n")
}

fn is_part_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn read_body(body: &Body) -> Result<String> {
    match body {
        Body::Inline(xml) => Ok(xml.clone()),
        Body::File(path) => std::fs::read_to_string(path).map_err(|source| ReplError::Read { path: path.clone(), source }),
    }
}

/// The elements of a body (one, or several parts one after the other).
fn parse_elements(xml: &str) -> Result<Vec<XmlElement>> {
    let trimmed = xml.trim();
    let trimmed = match trimmed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, body)| body),
        None => trimmed,
    };
    let wrapper = XmlElement::parse(&format!("<body>{trimmed}</body>")).map_err(|e| ReplError::BadXml(e.to_string()))?;
    let elements: Vec<XmlElement> = wrapper.child_elements().cloned().collect();
    if elements.is_empty() {
        return Err(ReplError::EmptyBody);
    }
    Ok(elements)
}
