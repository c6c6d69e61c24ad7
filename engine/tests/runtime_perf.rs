//! Rough figures against issue 3's targets, for the runtime's author (the real benchmarks are
//! `engine/benches/runtime.rs`, run through `bench/compare.sh`). Ignored by default; run with
//! `cargo test -p bpel-engine --release --test runtime_perf -- --ignored --nocapture`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use bpel_engine::checkpoint::{self, DefinitionHash};
use bpel_engine::runtime::{ChannelId, GroupId, Instance, Op, Program, RunOutcome, Step, StepContext, Timestamp, VirtualClock};
use serde::{Deserialize, Serialize};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Frame {
    /// Main: spawn `n` children into a group, then join it.
    Spawner {
        n: u32,
        group: Option<GroupId>,
    },
    /// Receive from a channel, then finish.
    Waiter(ChannelId),
    /// Ping `left` round trips: send on `ping`, receive on `pong`.
    Ping {
        ping: ChannelId,
        pong: ChannelId,
        left: u64,
        sent: bool,
    },
    /// Echo forever: receive on `ping`, send back on `pong`.
    Echo {
        ping: ChannelId,
        pong: ChannelId,
        got: Option<u64>,
    },
    Nothing,
}

struct Bench;

impl Program for Bench {
    type Frame = Frame;
    type Value = u64;
    type Key = ();

    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, ()> {
        let resume = cx.resume();
        let Some(frame) = cx.frame_mut() else { return Step::Finish };
        match frame {
            Frame::Spawner { n, group } => match group {
                Some(g) => {
                    let _ = g;
                    Step::Finish
                }
                None => {
                    let n = *n;
                    let g = cx.new_group();
                    for _ in 0..n {
                        cx.spawn(g, Frame::Nothing);
                    }
                    cx.replace(Frame::Spawner { n, group: Some(g) });
                    Step::Block(Op::Join(g))
                }
            },
            Frame::Waiter(ch) => match resume {
                None => Step::Block(Op::Recv(*ch)),
                Some(_) => Step::Finish,
            },
            Frame::Ping { ping, pong, left, sent } => {
                if *sent {
                    // the answer came
                    *sent = false;
                    *left -= 1;
                    if *left == 0 {
                        return Step::Finish;
                    }
                    Step::Block(Op::Send(*ping, *left))
                } else if resume.is_some() {
                    *sent = true;
                    Step::Block(Op::Recv(*pong))
                } else {
                    Step::Block(Op::Send(*ping, *left))
                }
            }
            Frame::Echo { ping, pong, got } => match (resume, got.take()) {
                (Some(r), None) => match r.outcome {
                    bpel_engine::runtime::Outcome::Received(v) => {
                        *got = Some(v);
                        Step::Block(Op::Send(*pong, v))
                    }
                    _ => Step::Finish,
                },
                _ => Step::Block(Op::Recv(*ping)),
            },
            Frame::Nothing => Step::Finish,
        }
    }
}

const T0: Timestamp = Timestamp(0);

fn pingpong(n: u64) -> f64 {
    let clock = VirtualClock::new(T0);
    let (ping, pong) = (ChannelId::new(0, 1), ChannelId::new(1, 1));
    // main pings; a second tasklet echoes
    let mut inst = Instance::<Bench>::new(Frame::Ping { ping, pong, left: n, sent: false }, T0);
    assert_eq!((inst.new_channel(), inst.new_channel()), (ping, pong));
    inst.spawn(Frame::Echo { ping, pong, got: None });
    let start = Instant::now();
    assert_eq!(inst.run(&Bench, &clock, u64::MAX), RunOutcome::Finished);
    n as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore]
fn pingpong_only() {
    println!("ping-pong: {:.1} M round trips/s (target 20)", pingpong(20_000_000) / 1e6);
}

fn idle(n: usize, shared: bool) -> Instance<Bench> {
    let clock = VirtualClock::new(T0);
    let first = ChannelId::new(0, 1);
    let mut inst = Instance::<Bench>::new(Frame::Waiter(first), T0);
    inst.new_channel();
    for _ in 1..n {
        let ch = if shared { first } else { inst.new_channel() };
        inst.spawn(Frame::Waiter(ch));
    }
    assert_eq!(inst.run(&Bench, &clock, u64::MAX), RunOutcome::Idle);
    inst
}

#[test]
#[ignore]
fn checkpoint_only() {
    let hash = DefinitionHash::of_texts("bench", []);
    let inst = idle(1_000, false);
    let start = Instant::now();
    let mut bytes = Vec::new();
    for _ in 0..20_000 {
        bytes = checkpoint::save(&inst, hash).unwrap();
    }
    println!("checkpoint: {:.1} µs", start.elapsed().as_secs_f64() * 1e6 / 20_000.0);
    let start = Instant::now();
    for _ in 0..20_000 {
        let back: Instance<Bench> = checkpoint::load(&bytes, hash).unwrap();
        drop(back);
    }
    println!("restore (and drop): {:.1} µs", start.elapsed().as_secs_f64() * 1e6 / 20_000.0);
}

#[test]
#[ignore]
fn figures() {
    let clock = VirtualClock::new(T0);

    println!("ping-pong: {:.1} M round trips/s (target 20)", pingpong(5_000_000) / 1e6);

    // spawn
    let n = 2_000_000u32;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let mut inst = Instance::<Bench>::new(Frame::Spawner { n, group: None }, T0);
        let start = Instant::now();
        assert_eq!(inst.run(&Bench, &clock, u64::MAX), RunOutcome::Finished);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("spawn: {:.1} M tasklets/s (target 10)", n as f64 / best / 1e6);

    // idle memory
    for shared in [false, true] {
        let n = 1_000_000usize;
        let before = LIVE.load(Ordering::Relaxed);
        let first = ChannelId::new(0, 1);
        let mut inst = Instance::<Bench>::new(Frame::Waiter(first), T0);
        inst.new_channel();
        for _ in 1..n {
            let ch = if shared { first } else { inst.new_channel() };
            inst.spawn(Frame::Waiter(ch));
        }
        assert_eq!(inst.run(&Bench, &clock, u64::MAX), RunOutcome::Idle);
        let per = (LIVE.load(Ordering::Relaxed) - before) as f64 / n as f64;
        println!("idle memory, {} channel: {per:.1} B/tasklet (target 128)", if shared { "shared" } else { "own" });
        drop(inst);
    }

    // checkpoint and restore, 1,000 blocked tasklets
    let hash = DefinitionHash::of_texts("bench", []);
    let first = ChannelId::new(0, 1);
    let mut inst = Instance::<Bench>::new(Frame::Waiter(first), T0);
    inst.new_channel();
    for _ in 1..1_000 {
        let ch = inst.new_channel();
        inst.spawn(Frame::Waiter(ch));
    }
    assert_eq!(inst.run(&Bench, &clock, u64::MAX), RunOutcome::Idle);
    let mut save = Vec::new();
    let mut load = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..501 {
        let start = Instant::now();
        bytes = checkpoint::save(&inst, hash).unwrap();
        save.push(start.elapsed());
        let start = Instant::now();
        let back: Instance<Bench> = checkpoint::load(&bytes, hash).unwrap();
        load.push(start.elapsed());
        drop(back);
    }
    save.sort();
    load.sort();
    println!(
        "checkpoint: {:.1} µs, restore: {:.1} µs (target 100 each), {:.1} B/tasklet in the file (target 64)",
        save[250].as_secs_f64() * 1e6,
        load[250].as_secs_f64() * 1e6,
        bytes.len() as f64 / 1_000.0
    );
}
