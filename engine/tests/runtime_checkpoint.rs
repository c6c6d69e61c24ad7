//! Checkpoint files: the header, refusal of another process definition, corrupt and truncated input
//! (an error, never a panic), the fixtures written by earlier versions (they must keep loading), and
//! a fingerprint of the layout (a change to it must come with a new format version).

#[path = "runtime_support/toy.rs"]
mod toy;

use std::path::PathBuf;

use bpel_engine::checkpoint::{self, CheckpointError, DefinitionHash, FORMAT_VERSION, HEADER_LEN, MAGIC};
use bpel_engine::runtime::{BlockedOn, Event, Instance, Op, Program, RunOutcome, Step, StepContext, TaskletState, Timestamp, VirtualClock};
use toy::{drive, Arm, Driver, Input, Mode, Toy, ToyOp::*, START};

/// A program and script that go through every kind of wait, outcome and effect, ending the instance
/// by completing (0), faulting (1) or terminating (2).
fn the_works(ending: u8) -> (Toy, Vec<Input>) {
    let end = match ending {
        0 => vec![],
        1 => vec![Fault(9)],
        _ => vec![Kill { nth: 0, tree: false }],
    };
    let main = [
        vec![Spawn(1), Spawn(2), Spawn(3), Spawn(4), Spawn(5), Spawn(6), Yield, Wait(0), Reply(5), Invoke(0, 1), Sleep(200), Emit(3)],
        end,
    ]
    .concat();
    let toy = Toy::new(
        3,
        vec![
            main,
            vec![Send(0, 10), Choice(vec![Arm::Recv(1), Arm::Sleep(100)]), Balance(0)],
            vec![Choice(vec![Arm::Send(0, 20), Arm::Send(1, 21), Arm::Wait(1)]), Recv(0)],
            vec![Recv(0), Recv(1), Sleep(30), Send(1, 33)],
            vec![Invoke(1, 40), Wait(1), Call(7), Finish],
            vec![Sleep(50), DropChannel(2), Recv(2), Yield],
            vec![Spawn(7), Spawn(7), Spawn(8), KillLast { tree: true }, Join, Choice(vec![Arm::Send(1, 60), Arm::Sleep(5)])],
            vec![Sleep(20), Emit(70)],
            vec![Spawn(7), Recv(1)],
        ],
    );
    let inputs = vec![
        Input::Advance(10),
        Input::Message(0, 1),
        Input::Answer { nth: 0, ok: true, value: 100 },
        Input::Message(1, 2),
        Input::Advance(40),
        Input::Answer { nth: 0, ok: false, value: 200 },
        Input::Advance(100),
        Input::FireTimer(0),
        Input::Message(1, 3),
        Input::Advance(1_000),
    ];
    (toy, inputs)
}

#[test]
fn the_works_goes_through_everything() {
    for ending in 0..3 {
        let (toy, inputs) = the_works(ending);
        let record = drive(&toy, &inputs, Mode::CheckpointEveryStep);
        let all = record.trace.join("\n");
        for needle in [
            "arm 0 Sent",
            "arm 1 Sent",
            "Received(",
            "TimerFired",
            "Message {",
            "Answered(",
            "Failed(",
            "Joined",
            "Closed",
            "out Reply",
            "one_way: false",
            "TimerCancelled",
            "tree true: true",
            "-> Buffered",
        ] {
            assert!(all.contains(needle), "ending {ending}: no `{needle}` in\n{all}");
        }
        let status = ["status Completed", "status Faulted", "status Terminated"][usize::from(ending)];
        assert!(all.ends_with(status), "{all}");
        assert_eq!(record, drive(&toy, &inputs, Mode::Whole));
    }
}

// ---------------------------------------------------------------------------------------------------
// Layout fingerprint

/// A hash of every checkpoint written along the three runs of `the_works`, one after every step: the
/// layout of every type in a checkpoint (tasklets, registrations, channels, groups, timers, inbox,
/// requests, effects, outcomes, the toy's frames) shows in it.
fn layout_fingerprint() -> (u64, usize) {
    let mut fingerprint = 0u64;
    let mut count = 0;
    for ending in 0..3 {
        let (toy, inputs) = the_works(ending);
        let mut d = Driver::new(&toy, Mode::CheckpointEveryStep);
        d.settle();
        for input in &inputs {
            d.input(input);
            d.settle();
        }
        fingerprint = checkpoint::checksum(&[&fingerprint.to_le_bytes(), &d.fingerprint.to_le_bytes()]);
        count += d.checkpoints;
    }
    (fingerprint, count)
}

/// The layout of format version 2 (the runtime's layout is that of version 1, whose fingerprint was
/// 0x7171_ff70_f6ee_f7e9: only the version in the header moved it). The fingerprint also moves when
/// the runtime's behaviour changes the states the scenario goes through; then the fixtures show
/// whether the layout is still the same.
const LAYOUT_V2: u64 = 0xa44b_0fbc_bf51_45f0;

#[test]
fn the_layout_changes_only_with_the_format_version() {
    let (fingerprint, checkpoints) = layout_fingerprint();
    assert!(checkpoints > 200, "{checkpoints}");
    assert_eq!(
        (FORMAT_VERSION, fingerprint),
        (2, LAYOUT_V2),
        "the checkpoint layout changed ({fingerprint:#018x}). A checkpoint written by the previous build no longer \
         reads the same: bump checkpoint::FORMAT_VERSION, keep a reader for the old version (its fixtures in \
         tests/fixtures/checkpoints must still load), write fixtures of the new version (BPEL_BLESS_CHECKPOINTS=1), \
         and record the new fingerprint here"
    );
}

// ---------------------------------------------------------------------------------------------------
// Fixtures: checkpoints written by earlier builds

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoints")
}

/// What a fixture's instance does next, whatever state it is in.
fn continuation() -> Vec<Input> {
    vec![Input::Message(0, 7), Input::Message(1, 8), Input::Advance(60), Input::Advance(1_000), Input::Message(1, 9)]
}

/// Continues a restored instance and records what it does (plus the clock it was restored at).
fn continue_from(toy: &Toy, inst: Instance<Toy>, clock: Timestamp) -> String {
    let mut d = Driver::resume(toy, inst, clock, Mode::Whole);
    d.settle();
    for input in &continuation() {
        d.input(input);
        d.settle();
    }
    let record = d.record();
    format!("clock {}\n{}\n", clock.as_millis(), record.trace.join("\n"))
}

/// Writes this version's fixtures (run with BPEL_BLESS_CHECKPOINTS=1): the_works (ending 0) at its
/// start, after half its inputs, and at its end. Files of earlier versions are never touched.
fn bless() {
    let (toy, inputs) = the_works(0);
    let dir = fixtures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut d = Driver::new(&toy, Mode::Whole);
    d.settle();
    let mut points = vec![("start", checkpoint::save(&d.inst, toy.hash()).unwrap(), d.clock.now())];
    for (i, input) in inputs.iter().enumerate() {
        d.input(input);
        d.settle();
        if i == inputs.len() / 2 {
            points.push(("middle", checkpoint::save(&d.inst, toy.hash()).unwrap(), d.clock.now()));
        }
    }
    points.push(("end", checkpoint::save(&d.inst, toy.hash()).unwrap(), d.clock.now()));
    for (name, bytes, clock) in points {
        let stem = format!("v{FORMAT_VERSION}_the_works_{name}");
        let inst: Instance<Toy> = checkpoint::load(&bytes, toy.hash()).unwrap();
        std::fs::write(dir.join(format!("{stem}.ckpt")), &bytes).unwrap();
        std::fs::write(dir.join(format!("{stem}.expected")), continue_from(&toy, inst, clock)).unwrap();
    }
}

#[test]
fn checkpoints_of_earlier_builds_still_load_and_continue() {
    if std::env::var_os("BPEL_BLESS_CHECKPOINTS").is_some() {
        bless();
    }
    let (toy, _) = the_works(0);
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/checkpoints")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ckpt"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 3, "{fixtures:?}");
    let mut versions = std::collections::BTreeSet::new();
    for path in fixtures {
        let bytes = std::fs::read(&path).unwrap();
        let header = checkpoint::read_header(&bytes).unwrap();
        versions.insert(header.version);
        let inst: Instance<Toy> = checkpoint::load(&bytes, toy.hash()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let clock = expected.lines().next().and_then(|l| l.strip_prefix("clock ")).and_then(|c| c.parse().ok()).unwrap();
        assert_eq!(continue_from(&toy, inst, Timestamp(clock)), expected, "{}", path.display());
    }
    assert!(versions.contains(&1), "the version 1 fixtures are gone: {versions:?}");
}

// ---------------------------------------------------------------------------------------------------
// Header, refusals, corruption

/// Checkpoints of the_works at several points of its run.
fn samples() -> (Toy, Vec<Vec<u8>>) {
    let (toy, inputs) = the_works(0);
    let mut d = Driver::new(&toy, Mode::Whole);
    let mut out = Vec::new();
    d.settle();
    out.push(checkpoint::save(&d.inst, toy.hash()).unwrap());
    for input in &inputs[..5] {
        d.input(input);
        d.settle();
        out.push(checkpoint::save(&d.inst, toy.hash()).unwrap());
    }
    (toy, out)
}

#[test]
fn the_header() {
    let (toy, samples) = samples();
    let bytes = &samples[1];
    assert_eq!(bytes[..8], MAGIC);
    assert_eq!(&bytes[..8], b"BPELCKPT");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), FORMAT_VERSION);
    let header = checkpoint::read_header(bytes).unwrap();
    assert_eq!(header.version, FORMAT_VERSION);
    assert_eq!(header.definition, toy.hash());
    assert_eq!(header.body_len as usize, bytes.len() - HEADER_LEN);
    assert_eq!(&bytes[10..26], &toy.hash().0.to_le_bytes());
    assert_eq!(header.checksum, checkpoint::checksum(&[&bytes[..34], &bytes[HEADER_LEN..]]));
}

#[test]
fn another_process_definition_is_refused_naming_both_hashes() {
    let (toy, samples) = samples();
    let other = DefinitionHash::of_texts("<process name='edited'/>", []);
    let err = checkpoint::load::<Toy>(&samples[2], other).unwrap_err();
    assert!(matches!(err, CheckpointError::DefinitionMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&toy.hash().to_string()) && msg.contains(&other.to_string()), "{msg}");
    assert!(msg.contains("another process definition"), "{msg}");
}

#[test]
fn not_a_checkpoint_and_unknown_versions() {
    let (toy, samples) = samples();
    let hash = toy.hash();
    assert!(matches!(checkpoint::load::<Toy>(b"<process/>", hash), Err(CheckpointError::NotACheckpoint)));
    assert!(matches!(checkpoint::load::<Toy>(b"", hash), Err(CheckpointError::TruncatedHeader { len: 0, .. })));
    let mut future = samples[0].clone();
    future[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = checkpoint::load::<Toy>(&future, hash).unwrap_err();
    assert!(matches!(err, CheckpointError::UnsupportedVersion { found: 3, oldest: 1, newest: 2 }), "{err:?}");
    assert!(err.to_string().contains("version 3 is not supported"), "{err}");
    let mut longer = samples[0].clone();
    longer.push(0);
    assert!(matches!(checkpoint::load::<Toy>(&longer, hash), Err(CheckpointError::TrailingBytes { extra: 1 })));
}

#[test]
fn every_truncation_is_an_error() {
    let (toy, samples) = samples();
    for bytes in &samples {
        for len in 0..bytes.len() {
            match checkpoint::load::<Toy>(&bytes[..len], toy.hash()) {
                Err(CheckpointError::TruncatedHeader { .. }) => assert!(len < HEADER_LEN),
                Err(CheckpointError::TruncatedBody { .. }) => assert!(len >= HEADER_LEN),
                other => panic!("cut at {len}: {other:?}"),
            }
        }
        assert!(checkpoint::load::<Toy>(bytes, toy.hash()).is_ok());
    }
}

#[test]
fn every_flipped_byte_is_an_error() {
    let (toy, samples) = samples();
    for bytes in &samples {
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let err = checkpoint::load::<Toy>(&b, toy.hash()).err().unwrap_or_else(|| panic!("byte {i} ^ {flip:#x} went unnoticed"));
                let expected = match i {
                    0..8 => matches!(err, CheckpointError::NotACheckpoint),
                    8..10 => matches!(err, CheckpointError::UnsupportedVersion { .. }),
                    26..34 => matches!(err, CheckpointError::TruncatedBody { .. } | CheckpointError::TrailingBytes { .. }),
                    _ => matches!(err, CheckpointError::Corrupt { .. }),
                };
                assert!(expected, "byte {i} ^ {flip:#x}: {err:?}");
            }
        }
    }
}

/// A program that must not be trusted with what it finds in its frames either: the toy treats a
/// frame it does not know as finished.
fn run_restored(toy: &Toy, inst: Instance<Toy>) {
    let mut d = Driver::resume(toy, inst, START, Mode::Whole);
    for input in [Input::Advance(10), Input::Message(0, 1), Input::Message(1, 2), Input::Advance(100_000)] {
        match d.inst.run(toy, &d.clock, 10_000) {
            RunOutcome::BudgetExhausted => return,
            _ => d.input(&input),
        }
    }
    d.inst.validate().unwrap();
    let bytes = checkpoint::save(&d.inst, toy.hash()).unwrap();
    checkpoint::load::<Toy>(&bytes, toy.hash()).unwrap();
}

#[test]
fn corrupt_bodies_with_a_valid_checksum_are_refused_or_run_without_panic() {
    let (toy, samples) = samples();
    let (mut refused, mut loaded) = (0, 0);
    for bytes in &samples {
        for i in HEADER_LEN..bytes.len() {
            for value in [0x00u8, 0x01, 0x02, 0x7f, 0x80, 0xff, bytes[i] ^ 0x01, bytes[i].wrapping_add(1)] {
                if value == bytes[i] {
                    continue;
                }
                let mut b = bytes.clone();
                b[i] = value;
                let sum = checkpoint::checksum(&[&b[..34], &b[HEADER_LEN..]]);
                b[34..42].copy_from_slice(&sum.to_le_bytes());
                match checkpoint::load::<Toy>(&b, toy.hash()) {
                    Ok(inst) => {
                        loaded += 1;
                        run_restored(&toy, inst);
                    }
                    Err(CheckpointError::Decode(_) | CheckpointError::Invalid(_) | CheckpointError::UnusedBytes { .. }) => refused += 1,
                    Err(e) => panic!("byte {i} = {value:#x}: {e:?}"),
                }
            }
        }
    }
    assert!(refused > 1_000 && loaded > 1_000, "refused {refused}, loaded {loaded}");
}

// ---------------------------------------------------------------------------------------------------
// Size

/// One tasklet per channel, blocked receiving from it (the benchmark's idle tasklet).
struct Waiter;

impl Program for Waiter {
    type State = ();
    type Frame = bpel_engine::runtime::ChannelId;
    type Value = u64;
    type Key = ();

    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, ()> {
        match (cx.resume(), cx.frame().copied()) {
            (None, Some(ch)) => Step::Block(Op::Recv(ch)),
            _ => Step::Finish,
        }
    }
}

fn idle_instance(n: u32, shared: bool) -> Instance<Waiter> {
    let clock = VirtualClock::new(START);
    let first = bpel_engine::runtime::ChannelId::new(0, 1);
    let mut inst = Instance::<Waiter>::new(first, START);
    assert_eq!(inst.new_channel(), first);
    for _ in 0..n {
        let ch = if shared { first } else { inst.new_channel() };
        inst.spawn(ch);
    }
    assert_eq!(inst.run(&Waiter, &clock, u64::MAX), RunOutcome::Idle);
    inst
}

#[test]
fn an_idle_tasklet_takes_few_bytes_in_a_checkpoint() {
    let hash = DefinitionHash::of_texts("waiter", []);
    for shared in [false, true] {
        let small = checkpoint::save(&idle_instance(0, shared), hash).unwrap().len();
        let big_instance = idle_instance(1_000, shared);
        assert!(big_instance.tasklets().all(|t| matches!(t.state, TaskletState::Blocked(BlockedOn::Recv(_)))));
        let big = checkpoint::save(&big_instance, hash).unwrap();
        let per = (big.len() - small) as f64 / 1_000.0;
        eprintln!("shared channel {shared}: {per} bytes per idle tasklet");
        assert!(per <= 40.0, "{per} bytes per idle tasklet (target 64)");
        let back: Instance<Waiter> = checkpoint::load(&big, hash).unwrap();
        assert_eq!(back.live_tasklets(), 1_001);
        let mut back = back;
        let _ = back.deliver(Event::TimerFired(bpel_engine::runtime::TimerId::new(0, 1)));
    }
}
