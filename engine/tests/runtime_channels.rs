//! Unit tests for every channel rule: rendezvous in both orders, FIFO waiters, balance, choice (first
//! match, withdrawal of the other arms, timeouts), kill while blocked, dropping channels. Each runs the
//! toy program with a checkpoint written and restored after every step, so each also checks that the
//! rule survives a checkpoint.
//!
//! Trace lines read `tasklet routine@ip what`: `t1.0 r1@0 arm 0 Received(7)` is tasklet 1 (generation
//! 0), running routine 1, whose operation 0 completed on arm 0 with the value 7.

#[path = "runtime_support/toy.rs"]
mod toy;

use bpel_engine::runtime::{BlockedOn, ChannelId, Op, RunOutcome, TaskletId, TaskletState};
use toy::{drive, program_trace, Arm, Driver, Input, Mode, Toy, ToyOp::*};

fn trace(toy: &Toy, inputs: &[Input]) -> Vec<String> {
    program_trace(&drive(toy, inputs, Mode::CheckpointEveryStep))
}

const T1: TaskletId = TaskletId::new(1, 0);
const T2: TaskletId = TaskletId::new(2, 0);
const CH0: ChannelId = ChannelId::new(0, 1);
const CH1: ChannelId = ChannelId::new(1, 1);

#[test]
fn rendezvous_sender_first() {
    // t1 sends and waits; t2 comes to receive: it takes the value and keeps running, t1 is woken after
    let toy = Toy::new(1, vec![vec![Spawn(1), Spawn(2), Join], vec![Send(0, 7)], vec![Balance(0), Recv(0), Balance(0)]]);
    assert_eq!(
        trace(&toy, &[]),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 spawned t2.0",
            "t2.0 r2@0 balance Some(1)",
            "t2.0 r2@1 arm 0 Received(7)",
            "t2.0 r2@2 balance Some(0)",
            "t1.0 r1@0 arm 0 Sent",
            "t0.0 r0@2 arm 0 Joined",
        ]
    );
}

#[test]
fn rendezvous_receiver_first() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Spawn(2), Join], vec![Recv(0)], vec![Balance(0), Send(0, 9), Balance(0)]]);
    assert_eq!(
        trace(&toy, &[]),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 spawned t2.0",
            "t2.0 r2@0 balance Some(-1)",
            "t2.0 r2@1 arm 0 Sent",
            "t2.0 r2@2 balance Some(0)",
            "t1.0 r1@0 arm 0 Received(9)",
            "t0.0 r0@2 arm 0 Joined",
        ]
    );
}

#[test]
fn senders_wait_in_fifo_order() {
    let toy = Toy::new(
        1,
        vec![
            vec![Spawn(1), Spawn(2), Spawn(3), Yield, Balance(0), Recv(0), Recv(0), Recv(0), Balance(0), Join],
            vec![Send(0, 1)],
            vec![Send(0, 2)],
            vec![Send(0, 3)],
        ],
    );
    let lines = trace(&toy, &[]);
    let main: Vec<&String> = lines.iter().filter(|l| l.starts_with("t0.0") && !l.contains("spawned")).collect();
    assert_eq!(
        main,
        [
            "t0.0 r0@3 yield",
            "t0.0 r0@4 balance Some(3)",
            "t0.0 r0@5 arm 0 Received(1)",
            "t0.0 r0@6 arm 0 Received(2)",
            "t0.0 r0@7 arm 0 Received(3)",
            "t0.0 r0@8 balance Some(0)",
            "t0.0 r0@9 arm 0 Joined",
        ]
    );
    // the senders are woken in the order they were served
    let woken: Vec<&String> = lines.iter().filter(|l| l.contains("Sent")).collect();
    assert_eq!(woken, ["t1.0 r1@0 arm 0 Sent", "t2.0 r2@0 arm 0 Sent", "t3.0 r3@0 arm 0 Sent"]);
}

#[test]
fn receivers_wait_in_fifo_order() {
    let toy = Toy::new(
        1,
        vec![vec![Spawn(1), Spawn(1), Spawn(1), Yield, Balance(0), Send(0, 10), Send(0, 20), Send(0, 30), Balance(0), Join], vec![Recv(0)]],
    );
    let lines = trace(&toy, &[]);
    assert!(lines.contains(&"t0.0 r0@4 balance Some(-3)".to_string()), "{lines:#?}");
    let got: Vec<&String> = lines.iter().filter(|l| l.contains("Received")).collect();
    assert_eq!(got, ["t1.0 r1@0 arm 0 Received(10)", "t2.0 r1@0 arm 0 Received(20)", "t3.0 r1@0 arm 0 Received(30)"]);
}

#[test]
fn balance_counts_waiters_on_each_side() {
    let toy = Toy::new(2, vec![vec![Spawn(1), Spawn(1), Spawn(2), Recv(1), Wait(0)], vec![Recv(0)], vec![Send(1, 5), Send(1, 6)]]);
    let mut d = Driver::new(&toy, Mode::Whole);
    d.settle();
    assert_eq!(d.inst.balance(CH0), Some(-2));
    // t3 sent 5 to main (which was waiting); its second send waits
    assert_eq!(d.inst.balance(CH1), Some(1));
    assert_eq!(d.inst.state(T1), Some(TaskletState::Blocked(BlockedOn::Recv(CH0))));
    assert_eq!(d.inst.state(TaskletId::new(3, 0)), Some(TaskletState::Blocked(BlockedOn::Send(CH1))));
    assert_eq!(d.inst.balance(ChannelId::new(7, 1)), None);
}

#[test]
fn choice_takes_the_first_ready_arm_in_arm_order() {
    // senders wait on both channels; the choice lists channel 1 first, so channel 1 wins
    let toy = Toy::new(
        2,
        vec![
            vec![Spawn(1), Spawn(2), Yield, Choice(vec![Arm::Recv(1), Arm::Recv(0)]), Balance(0), Balance(1)],
            vec![Send(0, 100)],
            vec![Send(1, 200)],
        ],
    );
    let lines = trace(&toy, &[]);
    assert!(lines.contains(&"t0.0 r0@3 arm 0 Received(200)".to_string()), "{lines:#?}");
    assert!(lines.contains(&"t0.0 r0@4 balance Some(1)".to_string()), "the sender on channel 0 still waits: {lines:#?}");
    assert!(lines.contains(&"t0.0 r0@5 balance Some(0)".to_string()), "{lines:#?}");
}

#[test]
fn choice_withdraws_the_losing_arms() {
    // main waits on a receive from 0 and 1, a timer and a message; t1 sends on 1 after a yield
    let toy = Toy::new(
        2,
        vec![
            vec![
                Spawn(1),
                Choice(vec![Arm::Recv(0), Arm::Recv(1), Arm::Sleep(100), Arm::Wait(0)]),
                Balance(0),
                Balance(1),
                Recv(0),
                Join,
                Wait(1),
            ],
            vec![Yield, Balance(0), Balance(1), Send(1, 5), Send(0, 6)],
        ],
    );
    let record = drive(&toy, &[Input::Message(0, 1), Input::Advance(500)], Mode::CheckpointEveryStep);
    let lines = program_trace(&record);
    assert_eq!(
        lines,
        [
            "t0.0 r0@0 spawned t1.0",
            "t1.0 r1@0 yield",
            "t1.0 r1@1 balance Some(-1)",
            "t1.0 r1@2 balance Some(-1)",
            "t1.0 r1@3 arm 0 Sent",
            "t0.0 r0@1 arm 1 Received(5)",
            // the receive on 0 was withdrawn: t1's send on 0 finds nobody and waits
            "t0.0 r0@2 balance Some(1)",
            "t0.0 r0@3 balance Some(0)",
            "t0.0 r0@4 arm 0 Received(6)",
            "t1.0 r1@4 arm 0 Sent",
            "t0.0 r0@5 arm 0 Joined",
        ]
    );
    let all = record.trace.join("\n");
    // the timer was set and cancelled; the message wait was withdrawn: the message is kept
    assert!(all.contains("out TimerSet { timer: TimerId { slot: 0, gen: 1 }, due: Timestamp(1700000000100) }"), "{all}");
    assert!(all.contains("out TimerCancelled { timer: TimerId { slot: 0, gen: 1 } }"), "{all}");
    assert!(all.contains("exchange: ExchangeId(1) } -> Buffered"), "{all}");
    assert!(!all.contains("TimerFired"), "{all}");
}

#[test]
fn choice_times_out() {
    let toy = Toy::new(1, vec![vec![Choice(vec![Arm::Recv(0), Arm::Sleep(50)]), Now, Balance(0)]]);
    let record = drive(&toy, &[Input::Advance(30), Input::Advance(30)], Mode::CheckpointEveryStep);
    assert_eq!(program_trace(&record), ["t0.0 r0@0 arm 1 TimerFired", "t0.0 r0@1 now 50", "t0.0 r0@2 balance Some(0)"]);
    assert!(!record.trace.iter().any(|l| l.contains("TimerCancelled")));
}

#[test]
fn choice_of_a_send_and_a_receive_on_one_channel() {
    // t1 offers to send on 0 or to receive from 0; t2 receives: it matches t1's send arm
    let toy = Toy::new(
        1,
        vec![vec![Spawn(1), Spawn(2), Join], vec![Choice(vec![Arm::Recv(0), Arm::Send(0, 42)]), Balance(0)], vec![Balance(0), Recv(0)]],
    );
    assert_eq!(
        trace(&toy, &[]),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 spawned t2.0",
            "t2.0 r2@0 balance Some(0)",
            "t2.0 r2@1 arm 0 Received(42)",
            "t1.0 r1@0 arm 1 Sent",
            "t1.0 r1@1 balance Some(0)",
            "t0.0 r0@2 arm 0 Joined",
        ]
    );
}

#[test]
fn choice_with_several_send_arms_sends_the_value_of_the_arm_taken() {
    let toy = Toy::new(
        2,
        vec![vec![Spawn(1), Spawn(2), Join], vec![Choice(vec![Arm::Send(0, 1), Arm::Send(1, 2), Arm::Send(0, 3)])], vec![Recv(1)]],
    );
    let lines = trace(&toy, &[]);
    assert!(lines.contains(&"t2.0 r2@0 arm 0 Received(2)".to_string()), "{lines:#?}");
    assert!(lines.contains(&"t1.0 r1@0 arm 1 Sent".to_string()), "{lines:#?}");
}

#[test]
fn kill_while_blocked_withdraws_every_wait() {
    let toy = Toy::new(
        2,
        vec![
            vec![Spawn(1), Yield, KillLast { tree: false }, Balance(0), Balance(1), Choice(vec![Arm::Recv(1), Arm::Sleep(1)])],
            vec![Choice(vec![Arm::Recv(0), Arm::Send(1, 8), Arm::Sleep(100), Arm::Wait(0)])],
        ],
    );
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    d.settle();
    assert_eq!(d.inst.state(T1), Some(TaskletState::Killed));
    d.input(&Input::Message(0, 1));
    d.input(&Input::Advance(500));
    d.settle();
    let record = d.record();
    assert_eq!(
        program_trace(&record),
        [
            "t0.0 r0@0 spawned t1.0",
            "t0.0 r0@1 yield",
            "t0.0 r0@2 kill t1.0 tree false: true",
            "t0.0 r0@3 balance Some(0)",
            "t0.0 r0@4 balance Some(0)",
            // nobody offers on 1 any more: the timeout wins
            "t0.0 r0@5 arm 1 TimerFired",
        ]
    );
    let all = record.trace.join("\n");
    assert!(all.contains("out TimerCancelled { timer: TimerId { slot: 0, gen: 1 } }"), "{all}");
    assert!(all.contains("-> Buffered"), "the killed tasklet's message wait is gone: {all}");
}

#[test]
fn killing_a_blocked_sender_drops_its_offer() {
    let toy = Toy::new(1, vec![vec![Spawn(1), Yield, KillLast { tree: false }, Spawn(2), Join], vec![Send(0, 1)], vec![Recv(0)]]);
    let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
    d.settle();
    // the receiver waits: the killed sender's value is gone with it
    assert_eq!(d.inst.balance(CH0), Some(-1));
    assert_eq!(d.inst.state(TaskletId::new(1, 1)), Some(TaskletState::Blocked(BlockedOn::Recv(CH0))));
}

#[test]
fn dropping_channels() {
    let toy = Toy::new(
        2,
        vec![
            vec![Spawn(1), Yield, DropChannel(0), DropChannel(1), DropChannel(1), Recv(1), Choice(vec![Arm::Sleep(5), Arm::Send(1, 3)])],
            vec![Recv(0)],
        ],
    );
    let lines = trace(&toy, &[]);
    assert_eq!(
        lines[2..],
        [
            "t0.0 r0@2 drop: Err(Busy { channel: ChannelId { slot: 0, gen: 1 }, senders: 0, receivers: 1 })",
            "t0.0 r0@3 drop: Ok(())",
            "t0.0 r0@4 drop: Err(NoSuchChannel(ChannelId { slot: 1, gen: 1 }))",
            "t0.0 r0@5 arm 0 Closed",
            // a closed channel completes at once, so it wins over a timer
            "t0.0 r0@6 arm 1 Closed",
        ]
    );
}

#[test]
fn a_stale_channel_id_does_not_reach_a_new_channel_in_its_slot() {
    struct P;
    impl bpel_engine::runtime::Program for P {
        type State = ();
        type Frame = u8;
        type Value = u64;
        type Key = ();
        fn step(&self, cx: &mut bpel_engine::runtime::StepContext<'_, Self>) -> bpel_engine::runtime::Step<u64, ()> {
            match cx.frame().copied() {
                Some(0) => {
                    let a = cx.new_channel();
                    cx.drop_channel(a).unwrap();
                    let b = cx.new_channel();
                    assert_eq!(a.slot(), b.slot());
                    assert_ne!(a, b);
                    assert_eq!(cx.balance(a), None);
                    assert_eq!(cx.balance(b), Some(0));
                    cx.replace(1);
                    bpel_engine::runtime::Step::Block(Op::Send(a, 1))
                }
                _ => {
                    let r = cx.resume().unwrap();
                    assert_eq!(r.outcome, bpel_engine::runtime::Outcome::Closed);
                    bpel_engine::runtime::Step::Finish
                }
            }
        }
    }
    let mut inst = bpel_engine::runtime::Instance::<P>::new(0, toy::START);
    assert_eq!(inst.run(&P, &bpel_engine::runtime::VirtualClock::new(toy::START), 10), RunOutcome::Finished);
    let _ = T2;
}
