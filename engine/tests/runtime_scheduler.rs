//! Unit tests for the scheduler, tasklets, clocks and the instance boundary: spawn and join, kill
//! (itself, trees, the main tasklet), completion and faults, the step budget and round robin, the
//! virtual clock's order, events in (messages, answers, timers) and effects out.

#[path = "runtime_support/toy.rs"]
mod toy;

use bpel_engine::runtime::{
    BlockedOn, Delivery, Effect, Event, ExchangeId, Instance, InstanceStatus, Op, Outcome, Program, RequestId, RunOutcome, Step,
    StepContext, TaskletId, TaskletState, TimerId, Timestamp, VirtualClock,
};
use toy::{drive, program_trace, Arm, Driver, Input, Mode, Toy, ToyOp::*, START};

fn trace(toy: &Toy, inputs: &[Input]) -> Vec<String> {
    program_trace(&drive(toy, inputs, Mode::CheckpointEveryStep))
}

#[test]
fn join_waits_for_every_member() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Spawn(2), Spawn(1), Join, Now], vec![Yield, Yield], vec![Sleep(10)]]);
    let lines = trace(&toy, &[Input::Advance(10)]);
    let tail: Vec<&str> = lines.iter().map(String::as_str).skip(3).collect();
    assert_eq!(
        tail,
        [
            "t1.0 r1@0 yield",
            "t3.0 r1@0 yield",
            "t1.0 r1@1 yield",
            "t3.0 r1@1 yield",
            // t1 and t3 are done; the group waits for t2's timer
            "t2.0 r2@0 arm 0 TimerFired",
            "t0.0 r0@3 arm 0 Joined",
            "t0.0 r0@4 now 10",
        ]
    );
}

#[test]
fn joining_a_group_whose_members_are_done_completes_at_once() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Yield, Yield, Join, Join], vec![]]);
    assert_eq!(
        trace(&toy, &[]),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 yield",
            "t0.0 r0@2 yield",
            "t0.0 r0@3 arm 0 Joined",
            // the group is gone once joined; joining its id again is still "joined"
            "t0.0 r0@4 arm 0 Joined",
        ]
    );
}

#[test]
fn a_killed_member_counts_as_done() {
    // t1 and t2 wait on receives; main kills t2, sends to t1, and joins both
    let toy = Toy::new(1, vec![vec![Spawn(1), Spawn(1), Yield, KillLast { tree: false }, Send(0, 4), Join], vec![Recv(0)]]);
    assert_eq!(
        trace(&toy, &[]),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 spawned t2.0",
            "t0.0 r0@2 yield",
            "t0.0 r0@3 kill t2.0 tree false: true",
            "t0.0 r0@4 arm 0 Sent",
            "t1.0 r1@0 arm 0 Received(4)",
            "t0.0 r0@5 arm 0 Joined",
        ]
    );
}

#[test]
fn killing_a_tree_kills_the_descendants_and_only_them() {
    // main spawns t1 (which spawns t2, which spawns t3) and t4; each waits on a receive
    let toy = Toy::new(
        1,
        vec![
            vec![Spawn(1), Spawn(4), Yield, Yield, Yield, Wait(0)],
            vec![Spawn(2), Recv(0)],
            vec![Spawn(3), Recv(0)],
            vec![Recv(0)],
            vec![Recv(0)],
        ],
    );
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    // run until main's yields are done, then kill t2's tree from outside
    d.settle();
    let main = d.inst.main();
    assert_eq!(main, TaskletId::new(0, 0));
    let ids: Vec<TaskletId> = d.inst.tasklets().map(|t| t.id).collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    let (t1, t2, t3, t4) = (TaskletId::new(1, 0), TaskletId::new(3, 0), TaskletId::new(4, 0), TaskletId::new(2, 0));
    // slots: t1 = 1, t4 = 2 (main spawned it second), t2 = 3, t3 = 4
    assert_eq!(d.inst.tasklet(t4).unwrap().frames[0].routine, 4);
    assert_eq!(d.inst.tasklet(t2).unwrap().frames[0].routine, 2);
    assert_eq!(d.inst.tasklet(t3).unwrap().frames[0].routine, 3);
    assert!(d.inst.kill(t2, true));
    assert_eq!(d.inst.state(t2), Some(TaskletState::Killed));
    assert_eq!(d.inst.state(t3), Some(TaskletState::Killed));
    assert_eq!(d.inst.state(t1), Some(TaskletState::Blocked(BlockedOn::Recv(toy.ch(0)))));
    assert_eq!(d.inst.state(t4), Some(TaskletState::Blocked(BlockedOn::Recv(toy.ch(0)))));
    assert_eq!(d.inst.balance(toy.ch(0)), Some(-2));
    // killing t1 alone leaves nobody else
    assert!(d.inst.kill(t1, false));
    assert!(!d.inst.kill(t1, false), "a dead tasklet cannot be killed again");
    assert_eq!(d.inst.balance(toy.ch(0)), Some(-1));
    d.inst.validate().unwrap();
}

#[test]
fn a_tasklet_can_kill_itself() {
    // t1 is the second live tasklet: Kill { nth: 1 } kills itself; its step's result is ignored
    let toy = Toy::new(1, vec![vec![Spawn(1), Join, Now], vec![Kill { nth: 1, tree: false }, Emit(5)]]);
    let record = drive(&toy, &[], Mode::CheckpointEveryStep);
    assert_eq!(
        program_trace(&record),
        ["t0.0 r0@0 spawned t1.0", "t1.0 r1@0 kill t1.0 tree false: true", "t0.0 r0@1 arm 0 Joined", "t0.0 r0@2 now 0"]
    );
    assert!(!record.trace.iter().any(|l| l.contains("\"emit\"")));
}

#[test]
fn the_main_tasklet_finishing_completes_the_instance_and_kills_the_rest() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Yield], vec![Sleep(100)]]);
    let record = drive(&toy, &[Input::Advance(1_000)], Mode::CheckpointEveryStep);
    let effects: Vec<&String> = record.trace.iter().filter(|l| !l.contains("trace ")).collect();
    assert_eq!(
        effects,
        [
            "out TimerSet { timer: TimerId { slot: 0, gen: 1 }, due: Timestamp(1700000000100) }",
            "out TimerCancelled { timer: TimerId { slot: 0, gen: 1 } }",
            "out Completed",
            "in advance 1000 -> 1700000001000ms",
            "status Completed",
        ]
    );
}

#[test]
fn a_fault_ends_the_instance() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Recv(0)], vec![Emit(1), Fault(77), Emit(2)]]);
    let record = drive(&toy, &[], Mode::CheckpointEveryStep);
    let effects: Vec<&String> = record.trace.iter().filter(|l| !l.contains("trace ")).collect();
    assert_eq!(
        effects,
        ["out Invoke { request: RequestId(1), target: \"emit\", value: 1, one_way: true }", "out Faulted(77)", "status Faulted"]
    );
}

#[test]
fn killing_the_main_tasklet_terminates_the_instance() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Recv(0)], vec![Kill { nth: 0, tree: false }, Emit(1)]]);
    let record = drive(&toy, &[Input::Message(0, 1)], Mode::CheckpointEveryStep);
    assert_eq!(record.trace.last().unwrap(), "status Terminated");
    assert!(record.trace.iter().any(|l| l == "out Terminated"));
    assert!(record.trace.iter().any(|l| l.ends_with("-> Ignored")), "an ended instance ignores events: {:#?}", record.trace);
    assert!(!record.trace.iter().any(|l| l.contains("\"emit\"")));
}

#[test]
fn frames_push_and_pop() {
    // routine 1 is called: its frame is pushed on main's stack, and popped when it ends
    let toy = Toy::new(1, vec![vec![Call(1), Now], vec![Call(2), Emit(1)], vec![Emit(2)]]);
    let mut d = Driver::new(&toy, Mode::Whole);
    assert_eq!(d.inst.run(&toy, &d.clock, 2), RunOutcome::BudgetExhausted);
    let stack: Vec<u8> = d.inst.tasklet(d.inst.main()).unwrap().frames.iter().map(|f| f.routine).collect();
    assert_eq!(stack, [0, 1, 2]);
    d.settle();
    let values: Vec<&String> = d.trace.iter().filter(|l| l.contains("\"emit\"")).collect();
    assert_eq!(values.len(), 2);
    assert!(values[0].contains("value: 2") && values[1].contains("value: 1"));
    assert_eq!(d.inst.status(), InstanceStatus::Completed);
}

#[test]
fn the_budget_bounds_a_run_and_the_queue_is_round_robin() {
    // two tasklets loop forever, yielding; a budget of 7 steps gives each its turn in order
    let toy = Toy::new(1, vec![vec![Spawn(1), Spawn(1), Join], vec![Yield, Goto(0)]]);
    let mut d = Driver::new(&toy, Mode::Whole);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(d.inst.run(&toy, &d.clock, 7));
    }
    assert_eq!(outcomes, [RunOutcome::BudgetExhausted; 3]);
    let yields: Vec<String> = d
        .inst
        .drain_effects()
        .filter_map(|e| match e {
            Effect::Invoke { target, .. } if target.contains("yield") => Some(target[6..10].to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(yields[..6], ["t1.0", "t2.0", "t1.0", "t2.0", "t1.0", "t2.0"]);
    // a busy instance does not starve another: each gets its budget
    let mut other = Driver::new(&toy, Mode::Whole);
    assert_eq!(other.inst.run(&toy, &other.clock, 5), RunOutcome::BudgetExhausted);
}

#[test]
fn continue_keeps_the_tasklet_running_across_budgets() {
    // a step that continues is resumed first after the budget runs out: slicing changes nothing
    let toy = Toy::new(1, vec![vec![Spawn(1), Emit(1), Emit(2), Emit(3), Emit(4), Join], vec![Emit(9)]]);
    let whole = drive(&toy, &[], Mode::Whole);
    for budgets in [&[1u64][..], &[2], &[3, 1]] {
        let budgets: &'static [u64] = Box::leak(budgets.to_vec().into_boxed_slice());
        assert_eq!(drive(&toy, &[], Mode::Sliced(budgets)), whole);
    }
    let emits: Vec<&String> = whole.trace.iter().filter(|l| l.contains("\"emit\"")).collect();
    assert!(emits[3].contains("value: 4") && emits[4].contains("value: 9"), "{emits:#?}");
}

#[test]
fn the_virtual_clock_fires_timers_in_due_order_ties_by_creation() {
    let toy = Toy::new(
        1,
        vec![
            vec![Spawn(1), Spawn(2), Spawn(3), Spawn(4), Spawn(5), Join, Now],
            vec![Sleep(30), Now],
            vec![Sleep(10), Now],
            vec![Sleep(20), Now],
            vec![Sleep(10), Now, Sleep(5), Now],
            vec![Sleep(10), Now],
        ],
    );
    // one advance past all of them: each fires at its own time, in order
    let lines = trace(&toy, &[Input::Advance(100)]);
    let now: Vec<&str> = lines.iter().filter(|l| l.contains(" now ")).map(String::as_str).collect();
    assert_eq!(
        now,
        [
            "t2.0 r2@1 now 10",
            "t4.0 r4@1 now 10",
            "t5.0 r5@1 now 10",
            // woken at 10, t4 slept 5 more: it fires before the timer due at 20
            "t4.0 r4@3 now 15",
            "t3.0 r3@1 now 20",
            "t1.0 r1@1 now 30",
            // the last member finished at 30
            "t0.0 r0@6 now 30",
        ]
    );
    // the same in small steps
    let steps: Vec<Input> = (0..20).map(|_| Input::Advance(5)).collect();
    let small = trace(&toy, &steps);
    assert_eq!(lines, small);
}

#[test]
fn time_moves_only_when_the_instance_is_idle() {
    // Sleep(0) completes at once
    let toy = Toy::new(1, vec![vec![Now, Sleep(50), Now, Wait(0), Now, Sleep(0), Now]]);
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    d.clock.advance_millis(20);
    d.settle();
    // the first step ran at the creation time, then the instance idled and took the clock's time
    assert_eq!(d.inst.now(), Timestamp(START.0 + 20));
    assert_eq!(d.inst.next_timer(), Some(Timestamp(START.0 + 50)));
    d.input(&Input::Advance(1_000));
    d.settle();
    d.input(&Input::Message(0, 3));
    d.settle();
    let lines = program_trace(&d.record());
    assert_eq!(
        lines,
        [
            "t0.0 r0@0 now 0",
            "t0.0 r0@1 arm 0 TimerFired",
            "t0.0 r0@2 now 50",
            "t0.0 r0@3 arm 0 Message { value: 3, exchange: ExchangeId(1) }",
            "t0.0 r0@4 now 1020",
            "t0.0 r0@5 arm 0 TimerFired",
            "t0.0 r0@6 now 1020"
        ]
    );
}

#[test]
fn messages_wait_in_the_inbox_until_received() {
    let toy = Toy::new(1, vec![vec![Yield, Wait(0), Reply(11), Wait(0), Wait(1)]]);
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    assert_eq!(d.deliver(Event::Message { key: "k0".into(), value: 1, exchange: ExchangeId(7) }), Delivery::Buffered);
    assert_eq!(d.deliver(Event::Message { key: "k0".into(), value: 2, exchange: ExchangeId(8) }), Delivery::Buffered);
    assert_eq!(d.inst.inbox().count(), 2);
    d.settle();
    assert_eq!(d.inst.inbox().count(), 0);
    assert_eq!(d.inst.state(d.inst.main()), Some(TaskletState::Blocked(BlockedOn::Message)));
    assert_eq!(d.deliver(Event::Message { key: "k1".into(), value: 3, exchange: ExchangeId(9) }), Delivery::Woke(d.inst.main()));
    d.settle();
    let record = d.record();
    let lines = program_trace(&record);
    assert_eq!(
        lines,
        [
            "t0.0 r0@0 yield",
            "t0.0 r0@1 arm 0 Message { value: 1, exchange: ExchangeId(7) }",
            "t0.0 r0@3 arm 0 Message { value: 2, exchange: ExchangeId(8) }",
            "t0.0 r0@4 arm 0 Message { value: 3, exchange: ExchangeId(9) }",
        ]
    );
    assert!(record.trace.iter().any(|l| l == "out Reply { exchange: ExchangeId(7), value: 11, fault: false }"));
}

#[test]
fn invoke_answers_and_failures() {
    let toy = Toy::new(1, vec![vec![Invoke(0, 5), Invoke(1, 6), Emit(0)]]);
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    d.settle();
    let waiting = |d: &Driver| match d.inst.state(d.inst.main()) {
        Some(TaskletState::Blocked(BlockedOn::Answer(r))) => r,
        other => panic!("main is {other:?}"),
    };
    let first = waiting(&d);
    assert_eq!(first, RequestId(0));
    assert_eq!(d.deliver(Event::Answered { request: RequestId(99), value: 1 }), Delivery::Ignored);
    assert_eq!(d.deliver(Event::Answered { request: first, value: 50 }), Delivery::Woke(d.inst.main()));
    assert_eq!(d.deliver(Event::Answered { request: first, value: 51 }), Delivery::Ignored);
    d.settle();
    // (the toy's trace lines are one-way invokes: they take request ids too)
    let second = waiting(&d);
    assert_eq!(d.deliver(Event::Failed { request: second, fault: 60 }), Delivery::Woke(d.inst.main()));
    d.settle();
    let record = d.record();
    assert_eq!(program_trace(&record), ["t0.0 r0@0 arm 0 Answered(50)", "t0.0 r0@1 arm 0 Failed(60)"]);
    assert!(record.trace.iter().any(|l| l == "out Invoke { request: RequestId(0), target: \"p0\", value: 5, one_way: false }"));
}

/// A program whose tasklet invokes, yields, and only then waits: the early answer is kept.
struct EarlyAnswer;

impl Program for EarlyAnswer {
    type State = ();
    type Frame = (u8, Option<RequestId>);
    type Value = u64;
    type Key = String;

    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, String> {
        match cx.frame().copied() {
            Some((0, _)) => {
                let r = cx.invoke("partner".into(), 1);
                cx.replace((1, Some(r)));
                Step::Yield
            }
            Some((1, Some(r))) => {
                cx.replace((2, None));
                Step::Choose(vec![Op::Sleep(1_000), Op::Answer(r), Op::Answer(RequestId(99))])
            }
            _ => {
                let resume = cx.resume();
                assert_eq!(resume.as_ref().map(|r| r.arm), Some(1));
                assert_eq!(resume.map(|r| r.outcome), Some(Outcome::Answered(7)));
                Step::Finish
            }
        }
    }
}

#[test]
fn an_answer_that_comes_before_the_wait_is_kept() {
    let clock = VirtualClock::new(START);
    let mut inst = Instance::<EarlyAnswer>::new((0, None), START);
    assert_eq!(inst.run(&EarlyAnswer, &clock, 1), RunOutcome::BudgetExhausted);
    assert_eq!(inst.deliver(Event::Answered { request: RequestId(0), value: 7 }), Delivery::Buffered);
    assert_eq!(inst.run(&EarlyAnswer, &clock, 100), RunOutcome::Finished);
    assert_eq!(inst.status(), InstanceStatus::Completed);
    let effects: Vec<_> = inst.drain_effects().collect();
    assert_eq!(effects, [Effect::Invoke { request: RequestId(0), target: "partner".into(), value: 1, one_way: false }, Effect::Completed]);
}

#[test]
fn timers_fired_by_the_host_and_stale_timer_events() {
    let toy = Toy::new(1, vec![vec![Choice(vec![Arm::Sleep(10_000), Arm::Wait(0)]), Now, Sleep(10), Now]]);
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    d.settle();
    let timer = TimerId::new(0, 1);
    assert_eq!(d.inst.timers().collect::<Vec<_>>(), [(timer, Timestamp(START.0 + 10_000))]);
    // the host's timer went off (its clock ahead of ours): the instance takes the timer's time
    assert_eq!(d.deliver(Event::TimerFired(timer)), Delivery::Woke(d.inst.main()));
    assert_eq!(d.deliver(Event::TimerFired(timer)), Delivery::Ignored);
    d.settle();
    d.input(&Input::Advance(20_000));
    d.settle();
    assert_eq!(d.deliver(Event::TimerFired(timer)), Delivery::Ignored);
    assert_eq!(
        program_trace(&d.record()),
        ["t0.0 r0@0 arm 0 TimerFired", "t0.0 r0@1 now 10000", "t0.0 r0@2 arm 0 TimerFired", "t0.0 r0@3 now 10010"]
    );
}

#[test]
fn host_spawned_tasklets_and_channels() {
    // the shape a benchmark uses: tasklets spawned from outside, each blocked on its own channel
    struct Waiter;
    impl Program for Waiter {
        type State = ();
        type Frame = bpel_engine::runtime::ChannelId;
        type Value = u64;
        type Key = ();
        fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, ()> {
            match (cx.resume(), cx.frame().copied()) {
                (Some(_), _) | (None, None) => Step::Finish,
                (None, Some(ch)) => Step::Block(Op::Recv(ch)),
            }
        }
    }
    let clock = VirtualClock::new(START);
    // a main tasklet waiting on a channel that does not exist finishes at once
    let mut inst = Instance::<Waiter>::new(bpel_engine::runtime::ChannelId::new(999, 1), START);
    assert_eq!(inst.run(&Waiter, &clock, u64::MAX), RunOutcome::Finished);
    // main waits on channel 0, made right after; 99 more tasklets on channels of their own
    let mut inst = Instance::<Waiter>::new(bpel_engine::runtime::ChannelId::new(0, 1), START);
    inst.reserve(100, 100);
    assert_eq!(inst.new_channel(), bpel_engine::runtime::ChannelId::new(0, 1));
    for _ in 1..100 {
        let ch = inst.new_channel();
        inst.spawn(ch).unwrap();
    }
    assert_eq!(inst.runnable(), 100);
    assert_eq!(inst.run(&Waiter, &clock, u64::MAX), RunOutcome::Idle);
    assert_eq!(inst.live_tasklets(), 100);
    assert_eq!(inst.runnable(), 0);
    assert!(inst.tasklets().all(|t| matches!(t.state, TaskletState::Blocked(BlockedOn::Recv(_)))));
}
