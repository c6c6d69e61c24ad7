//! Property tests (issue 3's acceptance): random programs of tasklets and channels, driven by a random
//! script of messages, invoke answers, timer events and clock advances.
//!
//! - Checkpointing after every step (write, read back, continue from the copy) gives the same trace of
//!   events and effects, and the same final state, as the uninterrupted run.
//! - Any slicing of the run into budgets gives the same.
//! - Two runs with the same inputs give identical traces.

#[path = "runtime_support/toy.rs"]
mod toy;

use proptest::prelude::*;
use toy::{drive, Arm, Input, Mode, Toy, ToyOp};

fn arm() -> impl Strategy<Value = Arm> {
    prop_oneof![
        (0..3u8, 0..100u64).prop_map(|(c, v)| Arm::Send(c, v)),
        (0..3u8).prop_map(Arm::Recv),
        (1..60u32).prop_map(Arm::Sleep),
        (0..2u8).prop_map(Arm::Wait),
    ]
}

/// An operation of routine `i` of `n` (a routine spawns and calls only later routines, so that
/// programs stay finite).
fn op(i: u8, n: u8) -> impl Strategy<Value = ToyOp> {
    let later = move |x: u8| if i + 1 < n { Some(i + 1 + x % (n - i - 1)) } else { None };
    prop_oneof![
        6 => (0..3u8, 0..100u64).prop_map(|(c, v)| ToyOp::Send(c, v)),
        6 => (0..3u8).prop_map(ToyOp::Recv),
        3 => prop::collection::vec(arm(), 1..4).prop_map(ToyOp::Choice),
        4 => any::<u8>().prop_map(move |x| later(x).map_or(ToyOp::Yield, ToyOp::Spawn)),
        1 => any::<u8>().prop_map(move |x| later(x).map_or(ToyOp::Yield, ToyOp::Call)),
        2 => Just(ToyOp::Join),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(nth, tree)| ToyOp::Kill { nth, tree }),
        1 => any::<bool>().prop_map(|tree| ToyOp::KillLast { tree }),
        2 => (1..60u32).prop_map(ToyOp::Sleep),
        2 => (0..2u8).prop_map(ToyOp::Wait),
        2 => (0..2u8, 0..100u64).prop_map(|(k, v)| ToyOp::Invoke(k, v)),
        1 => (0..100u64).prop_map(ToyOp::Emit),
        1 => (0..100u64).prop_map(ToyOp::Reply),
        2 => Just(ToyOp::Yield),
        1 => Just(ToyOp::Finish),
        1 => (0..3u8).prop_map(ToyOp::DropChannel),
        1 => (0..3u8).prop_map(ToyOp::Balance),
        1 => (0..100u64).prop_map(ToyOp::Fault),
    ]
}

fn program() -> impl Strategy<Value = Toy> {
    (1..=2u8, 2..=4u8).prop_flat_map(|(channels, n)| {
        // main first spawns some of the other routines (so that channels have two sides), then
        // does whatever it was generated to do
        let spawns = prop::collection::vec(1..n, 1..4);
        let routines: Vec<_> = (0..n).map(|i| prop::collection::vec(op(i, n), 0..9)).collect();
        (spawns, routines).prop_map(move |(spawns, mut routines)| {
            let prefix = spawns.into_iter().map(ToyOp::Spawn);
            routines[0].splice(0..0, prefix);
            Toy::new(channels, routines)
        })
    })
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => (1..80u32).prop_map(Input::Advance),
        3 => (0..2u8, 0..100u64).prop_map(|(k, v)| Input::Message(k, v)),
        3 => (any::<u8>(), any::<bool>(), 0..100u64).prop_map(|(nth, ok, value)| Input::Answer { nth, ok, value }),
        1 => any::<u8>().prop_map(Input::FireTimer),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn checkpoint_after_every_step_and_any_slicing_change_nothing(toy in program(), inputs in prop::collection::vec(input(), 0..16)) {
        let whole = drive(&toy, &inputs, Mode::Whole);
        let again = drive(&toy, &inputs, Mode::Whole);
        prop_assert_eq!(&whole, &again, "two runs with the same inputs differ");
        let checkpointed = drive(&toy, &inputs, Mode::CheckpointEveryStep);
        prop_assert_eq!(&whole.trace, &checkpointed.trace);
        prop_assert_eq!(&whole.final_state, &checkpointed.final_state);
        let sliced = drive(&toy, &inputs, Mode::Sliced(&[1, 2, 3, 7]));
        prop_assert_eq!(&whole, &sliced);
    }
}

/// The generator reaches the interesting cases: a sample of programs exercises rendezvous, choices,
/// timers, kills, joins, messages and answers (guards against a generator that only makes programs
/// which deadlock at once).
#[test]
fn the_generated_programs_exercise_the_runtime() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..300 {
        let toy = program().new_tree(&mut runner).unwrap().current();
        let inputs = prop::collection::vec(input(), 0..16).new_tree(&mut runner).unwrap().current();
        let record = drive(&toy, &inputs, Mode::Whole);
        for line in &record.trace {
            for (needle, name) in [
                ("arm 0 Received", "received"),
                ("arm 0 Sent", "sent"),
                ("arm 1 ", "choice arm 1"),
                ("TimerFired", "timer"),
                ("TimerCancelled", "timer cancelled"),
                ("tree true: true", "kill tree"),
                ("Joined", "joined"),
                ("Message {", "message"),
                ("Answered", "answer"),
                ("Failed", "failure"),
                ("Buffered", "buffered"),
                ("Closed", "closed"),
                ("Completed", "completed"),
                ("Faulted", "faulted"),
                ("Terminated", "terminated"),
            ] {
                if line.contains(needle) {
                    *seen.entry(name).or_default() += 1;
                }
            }
        }
    }
    for name in [
        "received",
        "sent",
        "choice arm 1",
        "timer",
        "timer cancelled",
        "kill tree",
        "joined",
        "message",
        "answer",
        "failure",
        "buffered",
        "closed",
        "completed",
        "faulted",
        "terminated",
    ] {
        assert!(seen.get(name).copied().unwrap_or(0) >= 5, "the generator rarely reaches `{name}`: {seen:?}");
    }
}
