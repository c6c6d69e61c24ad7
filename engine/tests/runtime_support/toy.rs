//! A toy program for the runtime's tests: each tasklet runs a routine, a list of operations, with an
//! instruction pointer in its frame. Every operation that completes leaves a line in the trace (a
//! one-way invoke to a "trace ..." target), so that two runs can be compared effect by effect.
//!
//! Included by the `runtime_*.rs` tests with `#[path]`; its layout (frames, values, keys) is also the
//! layout of the checkpoint fixtures, so change it only together with them.

#![allow(dead_code)]

use bpel_engine::checkpoint::{self, DefinitionHash};
use bpel_engine::runtime::{
    ChannelId, Delivery, Effect, Event, ExchangeId, GroupId, Instance, Op, Program, RequestId, RunOutcome, Step, StepContext, TaskletId,
    TimerId, Timestamp, VirtualClock,
};
use serde::{Deserialize, Serialize};

/// An arm of a choice.
#[derive(Clone, Debug, PartialEq)]
pub enum Arm {
    Send(u8, u64),
    Recv(u8),
    Sleep(u32),
    Wait(u8),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ToyOp {
    /// Send a value on channel n (blocks).
    Send(u8, u64),
    /// Receive on channel n (blocks).
    Recv(u8),
    Choice(Vec<Arm>),
    /// Spawn a tasklet running routine r into this tasklet's group (made at the first spawn).
    Spawn(u8),
    /// Join this tasklet's group (no-op without one).
    Join,
    /// Kill the n-th live tasklet (modulo their number), with or without its descendants.
    Kill {
        nth: u8,
        tree: bool,
    },
    /// Kill the tasklet last spawned by this one.
    KillLast {
        tree: bool,
    },
    Sleep(u32),
    /// Wait for a message on key "k{n}".
    Wait(u8),
    /// Invoke partner "p{n}" with a value and wait for the answer.
    Invoke(u8, u64),
    /// A one-way invoke of "emit".
    Emit(u64),
    /// Reply to the last message this tasklet received.
    Reply(u64),
    Yield,
    Finish,
    DropChannel(u8),
    Fault(u64),
    /// Jump (unit tests only: the property tests keep programs finite).
    Goto(u16),
    /// Trace the balance of channel n.
    Balance(u8),
    /// Push a frame running routine r on this tasklet's stack (a call); it returns at its end.
    Call(u8),
    /// Trace the instance's time (relative to `START`).
    Now,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToyFrame {
    pub routine: u8,
    pub ip: u16,
    pub group: Option<GroupId>,
    pub last: Option<TaskletId>,
    pub exchange: Option<ExchangeId>,
}

impl ToyFrame {
    pub fn start(routine: u8) -> ToyFrame {
        ToyFrame { routine, ip: 0, group: None, last: None, exchange: None }
    }
}

/// A program: channels (created by the host before the first run, see [`Toy::instance`]) and
/// routines; routine 0 is the main tasklet's.
#[derive(Clone, Debug)]
pub struct Toy {
    pub channels: u8,
    pub routines: Vec<Vec<ToyOp>>,
}

pub const START: Timestamp = Timestamp(1_700_000_000_000);

impl Toy {
    pub fn new(channels: u8, routines: Vec<Vec<ToyOp>>) -> Toy {
        Toy { channels, routines }
    }

    /// A fresh instance at `START` with the program's channels.
    pub fn instance(&self) -> Instance<Toy> {
        let mut inst = Instance::new(ToyFrame::start(0), START);
        for i in 0..self.channels {
            let ch = inst.new_channel();
            assert_eq!(ch, self.ch(i));
        }
        inst
    }

    pub fn ch(&self, n: u8) -> ChannelId {
        ChannelId::new(u32::from(n % self.channels.max(1)), 1)
    }

    pub fn hash(&self) -> DefinitionHash {
        DefinitionHash::of_texts(&format!("{:?}", self.routines), [format!("channels {}", self.channels).as_str()])
    }

    fn op(&self, arm: &Arm) -> Op<u64, String> {
        match *arm {
            Arm::Send(c, v) => Op::Send(self.ch(c), v),
            Arm::Recv(c) => Op::Recv(self.ch(c)),
            Arm::Sleep(ms) => Op::Sleep(u64::from(ms)),
            Arm::Wait(k) => Op::Message(format!("k{k}")),
        }
    }
}

fn show(t: Option<TaskletId>) -> String {
    t.map_or("none".into(), |t| t.to_string())
}

fn trace(cx: &mut StepContext<'_, Toy>, frame: &ToyFrame, what: String) {
    let id = cx.id();
    cx.invoke_one_way(format!("trace {id} r{}@{} {what}", frame.routine, frame.ip), 0);
}

fn advance(cx: &mut StepContext<'_, Toy>, mut frame: ToyFrame) {
    frame.ip += 1;
    cx.replace(frame);
}

impl Program for Toy {
    type State = ();
    type Frame = ToyFrame;
    type Value = u64;
    type Key = String;

    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, String> {
        let Some(frame) = cx.frame().cloned() else { return Step::Finish };
        let Some(op) = self.routines.get(usize::from(frame.routine)).and_then(|r| r.get(usize::from(frame.ip))) else {
            // end of the routine: return to the caller's frame, or finish
            cx.pop();
            return Step::Continue;
        };
        if let Some(resume) = cx.resume() {
            let mut frame = frame;
            if let bpel_engine::runtime::Outcome::Message { exchange, .. } = resume.outcome {
                frame.exchange = Some(exchange);
            }
            trace(cx, &frame, format!("arm {} {:?}", resume.arm, resume.outcome));
            advance(cx, frame);
            return Step::Continue;
        }
        match op {
            ToyOp::Send(c, v) => Step::Block(Op::Send(self.ch(*c), *v)),
            ToyOp::Recv(c) => Step::Block(Op::Recv(self.ch(*c))),
            ToyOp::Choice(arms) => Step::Choose(arms.iter().map(|a| self.op(a)).collect()),
            ToyOp::Sleep(ms) => Step::Block(Op::Sleep(u64::from(*ms))),
            ToyOp::Wait(k) => Step::Block(Op::Message(format!("k{k}"))),
            ToyOp::Invoke(k, v) => {
                let request = cx.invoke(format!("p{k}"), *v);
                Step::Block(Op::Answer(request))
            }
            ToyOp::Join => match frame.group {
                Some(g) => Step::Block(Op::Join(g)),
                None => {
                    trace(cx, &frame, "join: no group".into());
                    advance(cx, frame);
                    Step::Continue
                }
            },
            ToyOp::Spawn(r) => {
                let mut frame = frame;
                let g = match frame.group {
                    Some(g) => g,
                    None => cx.new_group(),
                };
                let child = cx.spawn(g, ToyFrame::start(*r));
                if child.is_none() {
                    // the group was joined already: a new one
                    let g = cx.new_group();
                    frame.group = Some(g);
                    frame.last = cx.spawn(g, ToyFrame::start(*r));
                } else {
                    frame.group = Some(g);
                    frame.last = child;
                }
                trace(cx, &frame, format!("spawned {}", show(frame.last)));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Kill { nth, tree } => {
                let live: Vec<TaskletId> = cx.live_tasklets().collect();
                let target = live[usize::from(*nth) % live.len()];
                let killed = cx.kill(target, *tree);
                trace(cx, &frame, format!("kill {target} tree {tree}: {killed}"));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::KillLast { tree } => {
                let killed = frame.last.is_some_and(|t| cx.kill(t, *tree));
                trace(cx, &frame, format!("kill {} tree {tree}: {killed}", show(frame.last)));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Emit(v) => {
                cx.invoke_one_way("emit".into(), *v);
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Reply(v) => {
                if let Some(ex) = frame.exchange {
                    cx.reply(ex, *v);
                }
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Yield => {
                trace(cx, &frame, "yield".into());
                advance(cx, frame);
                Step::Yield
            }
            ToyOp::Finish => {
                trace(cx, &frame, "finish".into());
                Step::Finish
            }
            ToyOp::DropChannel(c) => {
                let r = cx.drop_channel(self.ch(*c));
                trace(cx, &frame, format!("drop: {r:?}"));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Fault(v) => Step::Fault(*v),
            ToyOp::Goto(ip) => {
                let mut frame = frame;
                frame.ip = *ip;
                cx.replace(frame);
                Step::Continue
            }
            ToyOp::Balance(c) => {
                let b = cx.balance(self.ch(*c));
                trace(cx, &frame, format!("balance {b:?}"));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Now => {
                let t = cx.now().as_millis() - START.as_millis();
                trace(cx, &frame, format!("now {t}"));
                advance(cx, frame);
                Step::Continue
            }
            ToyOp::Call(r) => {
                advance(cx, frame);
                cx.push(ToyFrame::start(*r));
                Step::Continue
            }
        }
    }
}

/// Something from outside, in a scripted run.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Advance(u32),
    Message(u8, u64),
    /// Answer the n-th open request (modulo their number), with a value or a fault.
    Answer {
        nth: u8,
        ok: bool,
        value: u64,
    },
    /// Tell the instance that the n-th timer it ever set fired (stale ones are ignored).
    FireTimer(u8),
}

/// How a scripted run is driven.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// One run call per input, with an unlimited budget.
    Whole,
    /// One step per run call, with a checkpoint written and restored after each.
    CheckpointEveryStep,
    /// Run calls of these budgets in turn (cycling).
    Sliced(&'static [u64]),
}

/// A scripted run's record: every event in, every delivery, every effect out (with the state of the
/// instance at the end, as checkpoint bytes).
#[derive(Debug, PartialEq)]
pub struct Record {
    pub trace: Vec<String>,
    pub final_state: Vec<u8>,
}

pub struct Driver<'a> {
    pub toy: &'a Toy,
    pub inst: Instance<Toy>,
    pub clock: VirtualClock,
    pub mode: Mode,
    pub trace: Vec<String>,
    open_requests: Vec<RequestId>,
    timers: Vec<TimerId>,
    next_exchange: u64,
    slice: usize,
    /// Checkpoints written (in `CheckpointEveryStep` mode), and a hash of all their bytes.
    pub checkpoints: usize,
    pub fingerprint: u64,
}

impl<'a> Driver<'a> {
    pub fn new(toy: &'a Toy, mode: Mode) -> Driver<'a> {
        Driver {
            toy,
            inst: toy.instance(),
            clock: VirtualClock::new(START),
            mode,
            trace: Vec::new(),
            open_requests: Vec::new(),
            timers: Vec::new(),
            next_exchange: 1,
            slice: 0,
            checkpoints: 0,
            fingerprint: 0,
        }
    }

    /// A driver continuing from an instance (restored from a file, say) with the clock at `now`.
    pub fn resume(toy: &'a Toy, inst: Instance<Toy>, now: Timestamp, mode: Mode) -> Driver<'a> {
        Driver { inst, clock: VirtualClock::new(now), ..Driver::new(toy, mode) }
    }

    fn drain(&mut self) {
        for e in self.inst.drain_effects().collect::<Vec<_>>() {
            match &e {
                Effect::Invoke { request, one_way: false, .. } => self.open_requests.push(*request),
                Effect::TimerSet { timer, .. } => self.timers.push(*timer),
                _ => {}
            }
            self.trace.push(format!("out {e:?}"));
        }
    }

    fn roundtrip(&mut self) {
        let hash = self.toy.hash();
        let bytes = checkpoint::save(&self.inst, hash).expect("checkpoint");
        let back: Instance<Toy> = checkpoint::load(&bytes, hash).expect("restore");
        let again = checkpoint::save(&back, hash).expect("checkpoint of the restored instance");
        assert_eq!(bytes, again, "a restored instance must write the same checkpoint");
        self.inst = back;
        self.checkpoints += 1;
        self.fingerprint = checkpoint::checksum(&[&self.fingerprint.to_le_bytes(), &bytes]);
    }

    /// Runs until idle or finished.
    pub fn settle(&mut self) -> RunOutcome {
        let mut calls = 0u64;
        loop {
            let budget = match self.mode {
                Mode::Whole => u64::MAX,
                Mode::CheckpointEveryStep => 1,
                Mode::Sliced(budgets) => {
                    let b = budgets[self.slice % budgets.len()];
                    self.slice += 1;
                    b
                }
            };
            let outcome = self.inst.run(self.toy, &self.clock, budget);
            if self.mode == Mode::CheckpointEveryStep {
                // before draining: effects not yet drained are part of the state too
                self.roundtrip();
            }
            self.drain();
            calls += 1;
            assert!(calls < 10_000_000, "runaway program");
            if outcome != RunOutcome::BudgetExhausted {
                return outcome;
            }
        }
    }

    pub fn input(&mut self, input: &Input) {
        match *input {
            Input::Advance(ms) => {
                self.clock.advance_millis(u64::from(ms));
                self.trace.push(format!("in advance {ms} -> {}", self.clock.now()));
            }
            Input::Message(k, v) => {
                let exchange = ExchangeId(self.next_exchange);
                self.next_exchange += 1;
                self.deliver(Event::Message { key: format!("k{k}"), value: v, exchange });
            }
            Input::Answer { nth, ok, value } => {
                if self.open_requests.is_empty() {
                    self.trace.push("in answer: none open".into());
                } else {
                    let request = self.open_requests.remove(usize::from(nth) % self.open_requests.len());
                    self.deliver(if ok { Event::Answered { request, value } } else { Event::Failed { request, fault: value } });
                }
            }
            Input::FireTimer(nth) => {
                if self.timers.is_empty() {
                    self.trace.push("in fire: no timer".into());
                } else {
                    let timer = self.timers[usize::from(nth) % self.timers.len()];
                    self.deliver(Event::TimerFired(timer));
                }
            }
        }
        if self.mode == Mode::CheckpointEveryStep {
            self.roundtrip();
        }
    }

    pub fn deliver(&mut self, event: Event<u64, String>) -> Delivery {
        let d = self.inst.deliver(event.clone());
        self.trace.push(format!("in {event:?} -> {d:?}"));
        d
    }

    pub fn record(mut self) -> Record {
        self.trace.push(format!("status {:?}", self.inst.status()));
        let final_state = checkpoint::save(&self.inst, self.toy.hash()).expect("checkpoint");
        Record { trace: self.trace, final_state }
    }
}

/// Runs a program against a script of inputs, settling before and after each.
pub fn drive(toy: &Toy, inputs: &[Input], mode: Mode) -> Record {
    let mut d = Driver::new(toy, mode);
    d.settle();
    for input in inputs {
        d.input(input);
        d.settle();
    }
    d.record()
}

/// The trace lines a program wrote itself ("trace ..." invokes), without the rest.
pub fn program_trace(record: &Record) -> Vec<String> {
    record
        .trace
        .iter()
        .filter_map(|l| {
            let start = l.find("target: \"trace ")?;
            let rest = &l[start + 15..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}
