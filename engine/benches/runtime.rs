//! Tasklet runtime benchmarks, and tokio run side by side as a baseline (issue 3, "Benchmarks").
//!
//! A bench binary (`harness = false`), not criterion: the figures are rates, bytes and medians that
//! `bench/compare.sh` puts in one table next to Go and Python greenlet. Run it through that script, or:
//!
//! ```text
//! cargo bench -p bpel-engine --bench runtime -- [--json] [--quick] [--wall] [--iters N] [--impl ours|tokio] [BENCH...]
//! ```
//!
//! `--iters N` runs each rate bench once, with exactly N iterations, instead of calibrating against
//! the clock: for profilers (`valgrind --tool=callgrind`, `perf`), whose slowdown would otherwise
//! change how many iterations are measured.
//!
//! `--json` prints one line per figure: `{"bench": "...", "impl": "...", "value": N, "unit": "..."}`.
//! Everything runs on the calling thread (tokio with its current_thread runtime); pin it with
//! `taskset -c 0`. Run a memory bench in a process of its own (compare.sh does): the figure is the
//! growth of live heap bytes, and an earlier bench's leftovers (a grown run queue) would skew it.
//!
//! Benches (each impl measures those it has):
//! - `idle_mem_own`: bytes per idle tasklet blocked on a receive from its own channel (tasklet, channel
//!   and its registration), 1 M of them. Ours: a flow-like main tasklet spawns them into one group and
//!   joins it; the figure is everything the instance holds, over N. tokio: a task awaiting its own
//!   oneshot (task + oneshot + the sender kept in a Vec).
//! - `idle_mem_shared`: bytes per idle tasklet blocked on a receive from one channel they all share
//!   (tasklet + its registration in the channel's wait queue), 1 M of them. (ours only)
//! - `pingpong`: round trips/s between two tasklets over two rendezvous channels. tokio: two tasks over
//!   two `mpsc` channels of capacity 1 (the nearest thing tokio has to a rendezvous).
//! - `pingpong_oneshot`: tokio only: round trips/s where every message travels on a fresh oneshot pair.
//! - `spawn`: tasklets/s, spawning batches of 100,000 trivial tasklets and running each batch to
//!   completion. Ours: a tasklet spawns each batch into a group and joins it (a flow); tokio: tasks
//!   counted down by the main future.
//! - `checkpoint`, `restore`, `checkpoint_bytes`: an instance with 1,000 tasklets blocked on channels
//!   of their own (and the flow's tasklet joining them): median µs of `checkpoint::save` (and, as
//!   `checkpoint_reused_buffer`, of `save_into` a reused Vec), median µs of `checkpoint::load` (all its
//!   checks included), file bytes per tasklet (and `checkpoint_bytes_shared`: all on one channel). (ours
//!   only)
//!
//! Our toy programs keep frames at 16 bytes or less, an instruction pointer and a channel id or a
//! counter, the size the runtime is laid out for (an `ActivityId` and a little progress).
//!
//! Rates are per second of the process's CPU time (`--wall`: of wall-clock time), so that other load
//! on a shared machine does not count; the checkpoint figures are medians of wall-clock samples.
//! Memory is measured by a counting global allocator: live bytes requested (not the allocator's own
//! rounding and headers), counted per thread, so it costs a thread-local add per allocation and no
//! atomic, and every impl pays the same.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------------
// Counting allocator

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Live heap bytes allocated by this thread and not yet freed.
fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

// ---------------------------------------------------------------------------------------------------
// Measuring

/// Measures what a rate is computed from: by default the process's CPU time (user + system), so that
/// other load on the machine, which takes the core away from us now and then, does not count against
/// us; with `--wall`, wall-clock time. Every program in bench/ measures its rates the same way.
#[derive(Clone, Copy)]
struct Stopwatch {
    wall: Instant,
    cpu: Option<Duration>,
}

static WALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Stopwatch {
    fn start() -> Stopwatch {
        let cpu = if WALL.load(std::sync::atomic::Ordering::Relaxed) { None } else { process_cpu_time() };
        Stopwatch { wall: Instant::now(), cpu }
    }

    fn elapsed(&self) -> Duration {
        match self.cpu {
            Some(start) => process_cpu_time().map_or_else(|| self.wall.elapsed(), |now| now.saturating_sub(start)),
            None => self.wall.elapsed(),
        }
    }
}

/// CPU time of this process: clock_gettime(CLOCK_PROCESS_CPUTIME_ID), from the C library std links.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn process_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid pointer to a timespec of the platform's layout (64-bit Linux: two i64).
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn process_cpu_time() -> Option<Duration> {
    None
}

struct Config {
    /// Wall time for one rate measurement.
    duration: Duration,
    /// `--iters N`: one run of exactly N iterations per rate, no calibration.
    fixed_iters: Option<u64>,
    /// Tasklets for the memory benches.
    idle_n: usize,
    /// Runs of checkpoint and restore (the median is reported).
    checkpoint_runs: usize,
}

/// Runs `run(iters) -> elapsed` with growing `iters` until one call takes a tenth of the budget, then
/// five timed calls of about a fifth each; returns the median rate in iterations per second.
fn rate(cfg: &Config, mut run: impl FnMut(u64) -> Duration) -> f64 {
    if let Some(iters) = cfg.fixed_iters {
        return iters as f64 / run(iters).as_secs_f64();
    }
    let mut iters = 1_000u64;
    loop {
        let took = run(iters);
        if took >= cfg.duration / 10 || iters >= 1 << 40 {
            let per_iter = took.as_secs_f64() / iters as f64;
            iters = ((cfg.duration.as_secs_f64() / 5.0 / per_iter) as u64).max(1);
            break;
        }
        iters *= 4;
    }
    let mut rates: Vec<f64> = (0..5).map(|_| iters as f64 / run(iters).as_secs_f64()).collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

fn median_micros(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e6
}

struct Out {
    json: bool,
}

impl Out {
    fn emit(&self, bench: &str, imp: &str, value: f64, unit: &str) {
        if self.json {
            // Names and units are ours and hold no characters that need escaping.
            println!("{{\"bench\": \"{bench}\", \"impl\": \"{imp}\", \"value\": {value}, \"unit\": \"{unit}\"}}");
        } else {
            println!("{imp:>6} {bench:<18} {value:>16.1} {unit}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// tokio baseline (current_thread runtime: one thread, no work stealing, like our scheduler)

mod tokio_baseline {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::{mpsc, oneshot};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().expect("a current_thread runtime")
    }

    fn block_on<F: Future>(rt: &tokio::runtime::Runtime, f: F) -> F::Output {
        rt.block_on(f)
    }

    /// Two tasks, two mpsc channels of capacity 1: `iters` round trips.
    pub fn pingpong_mpsc(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
        block_on(rt, async move {
            let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
            let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
            let echo = tokio::spawn(async move {
                while let Some(v) = ping_rx.recv().await {
                    if pong_tx.send(v).await.is_err() {
                        break;
                    }
                }
            });
            let start = super::Stopwatch::start();
            let pinger = tokio::spawn(async move {
                for i in 0..iters {
                    ping_tx.send(i).await.expect("echo alive");
                    pong_rx.recv().await.expect("echo alive");
                }
            });
            pinger.await.expect("pinger");
            let took = start.elapsed();
            echo.await.expect("echo");
            took
        })
    }

    /// Two tasks; each message is carried by a fresh oneshot, and carries the sender on which the answer
    /// is expected: two oneshot pairs per round trip.
    pub fn pingpong_oneshot(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
        /// A ping: where to send the answer.
        struct Ping(oneshot::Sender<Pong>);
        /// A pong: where to send the next ping.
        struct Pong(oneshot::Sender<Ping>);
        block_on(rt, async move {
            let (first_tx, first_rx) = oneshot::channel::<Ping>();
            let echo = tokio::spawn(async move {
                let mut ping_rx = first_rx;
                while let Ok(Ping(reply_tx)) = ping_rx.await {
                    let (next_tx, next_rx) = oneshot::channel::<Ping>();
                    ping_rx = next_rx;
                    if reply_tx.send(Pong(next_tx)).is_err() {
                        break;
                    }
                }
            });
            let start = super::Stopwatch::start();
            let pinger = tokio::spawn(async move {
                let mut ping_tx = first_tx;
                for _ in 0..iters {
                    let (reply_tx, reply_rx) = oneshot::channel::<Pong>();
                    assert!(ping_tx.send(Ping(reply_tx)).is_ok(), "echo alive");
                    ping_tx = reply_rx.await.expect("echo alive").0;
                }
                // dropping ping_tx ends the echo task
            });
            pinger.await.expect("pinger");
            let took = start.elapsed();
            echo.await.expect("echo");
            took
        })
    }

    /// Spawn `iters` trivial tasks in batches and run each batch to completion.
    pub fn spawn(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
        const BATCH: u64 = 100_000;
        block_on(rt, async move {
            let done = Arc::new(AtomicUsize::new(0));
            let start = super::Stopwatch::start();
            let mut left = iters;
            while left > 0 {
                let batch = left.min(BATCH);
                done.store(0, Ordering::Relaxed);
                for _ in 0..batch {
                    let done = done.clone();
                    drop(tokio::spawn(async move {
                        done.fetch_add(1, Ordering::Relaxed);
                    }));
                }
                while done.load(Ordering::Relaxed) < batch as usize {
                    tokio::task::yield_now().await;
                }
                left -= batch;
            }
            start.elapsed()
        })
    }

    /// Live bytes per task blocked on its own oneshot: `n` tasks each awaiting a receiver, their senders
    /// kept in a Vec (part of the cost: 8 bytes each). Measured inside the runtime once every task has
    /// been polled and parked.
    pub fn idle_mem_oneshot(n: usize) -> f64 {
        let rt = runtime();
        let before = super::live_bytes();
        let (per, senders) = block_on(&rt, async move {
            let parked = Arc::new(AtomicUsize::new(0));
            let mut senders = Vec::with_capacity(n);
            for _ in 0..n {
                let (tx, rx) = oneshot::channel::<u64>();
                senders.push(tx);
                let parked = parked.clone();
                drop(tokio::spawn(async move {
                    parked.fetch_add(1, Ordering::Relaxed);
                    let _ = rx.await;
                }));
            }
            while parked.load(Ordering::Relaxed) < n {
                tokio::task::yield_now().await;
            }
            ((super::live_bytes() - before) as f64 / n as f64, senders)
        });
        // wake them all and let them finish before the runtime goes
        block_on(&rt, async move {
            for tx in senders {
                let _ = tx.send(1);
            }
            tokio::task::yield_now().await;
        });
        per
    }

    pub fn run(cfg: &super::Config, out: &super::Out, benches: &[String]) {
        let rt = runtime();
        for bench in benches {
            match bench.as_str() {
                "pingpong" => out.emit("pingpong", "tokio", super::rate(cfg, |n| pingpong_mpsc(&rt, n)), "round trips/s"),
                "pingpong_oneshot" => {
                    out.emit("pingpong_oneshot", "tokio", super::rate(cfg, |n| pingpong_oneshot(&rt, n)), "round trips/s")
                }
                "spawn" => out.emit("spawn", "tokio", super::rate(cfg, |n| spawn(&rt, n)), "tasklets/s"),
                "idle_mem_own" => out.emit("idle_mem_own", "tokio", idle_mem_oneshot(cfg.idle_n), "B/tasklet"),
                _ => {} // not a tokio bench
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------

const ALL_BENCHES: &[&str] =
    &["idle_mem_own", "idle_mem_shared", "pingpong", "pingpong_oneshot", "spawn", "checkpoint", "restore", "checkpoint_bytes"];

fn main() {
    let mut json = false;
    let mut quick = false;
    let mut fixed_iters = None;
    let mut impls: Vec<String> = Vec::new();
    let mut benches: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--quick" => quick = true,
            "--impl" => impls.push(args.next().unwrap_or_default()),
            "--wall" => WALL.store(true, std::sync::atomic::Ordering::Relaxed),
            "--iters" => match args.next().and_then(|n| n.parse::<u64>().ok()).filter(|&n| n > 0) {
                Some(n) => fixed_iters = Some(n),
                None => {
                    eprintln!("runtime bench: --iters needs a positive number");
                    std::process::exit(2);
                }
            },
            "--bench" => {} // cargo bench passes it to harness = false binaries
            "-h" | "--help" => {
                println!(
                    "usage: runtime [--json] [--quick] [--wall] [--iters N] [--impl ours|tokio]... [BENCH...]\nbenches: {}",
                    ALL_BENCHES.join(" ")
                );
                return;
            }
            a if a.starts_with('-') => {
                eprintln!("runtime bench: unknown option {a}");
                std::process::exit(2);
            }
            name => {
                if !ALL_BENCHES.contains(&name) {
                    eprintln!("runtime bench: unknown bench {name} (one of: {})", ALL_BENCHES.join(" "));
                    std::process::exit(2);
                }
                benches.push(name.to_string());
            }
        }
    }
    if impls.is_empty() {
        impls = vec!["ours".into(), "tokio".into()];
    }
    if benches.is_empty() {
        benches = ALL_BENCHES.iter().map(|b| b.to_string()).collect();
    }
    let cfg = if quick {
        Config { duration: Duration::from_millis(200), fixed_iters, idle_n: 100_000, checkpoint_runs: 51 }
    } else {
        Config { duration: Duration::from_secs(2), fixed_iters, idle_n: 1_000_000, checkpoint_runs: 501 }
    };
    let out = Out { json };
    let started = Instant::now();
    for imp in &impls {
        match imp.as_str() {
            "ours" => ours::run(&cfg, &out, &benches),
            "tokio" => tokio_baseline::run(&cfg, &out, &benches),
            other => {
                eprintln!("runtime bench: unknown impl {other} (ours or tokio)");
                std::process::exit(2);
            }
        }
    }
    if !json {
        eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
    }
}

// ---------------------------------------------------------------------------------------------------
// ours: the tasklet runtime, driven by two toy programs whose frames are instruction pointers

mod ours {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use bpel_engine::checkpoint::{self, DefinitionHash};
    use bpel_engine::runtime::{
        ChannelId, Instance, InstanceStatus, Op, Outcome, Program, RunOutcome, Step, StepContext, StepOf, Timestamp, VirtualClock,
    };
    use serde::{Deserialize, Serialize};

    // --- a flow of waiters, and a spawner ------------------------------------------------------------

    /// Frames kept as small as a BPEL activity frame should be (an id and a little progress): 16 bytes.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub enum Frame {
        /// Like a flow: spawns `n` waiters in a group (each on a channel of its own, or all on one) and
        /// joins them.
        Flow { n: u32, own: bool, ip: u8 },
        /// Receives once from `ch`, then finishes.
        Waiter { ch: ChannelId, ip: u8 },
        /// Spawns `left` tasklets in groups of `batch` and joins each group before the next.
        Spawner { left: u32, batch: u32, ip: u8 },
        /// Finishes at once.
        Nop,
    }

    pub struct Toy;

    impl Program for Toy {
        type State = ();
        type Frame = Frame;
        type Value = u64;
        type Key = ();

        fn step(&self, cx: &mut StepContext<'_, Self>) -> StepOf<Self> {
            match *cx.frame().expect("a frame") {
                Frame::Flow { n, own, ip: 0 } => {
                    let group = cx.new_group();
                    let shared = (!own).then(|| cx.new_channel());
                    for _ in 0..n {
                        let ch = match shared {
                            Some(ch) => ch,
                            None => cx.new_channel(),
                        };
                        cx.spawn(group, Frame::Waiter { ch, ip: 0 });
                    }
                    cx.replace(Frame::Flow { n, own, ip: 1 });
                    Step::Block(Op::Join(group))
                }
                Frame::Flow { .. } => Step::Finish,
                Frame::Waiter { ch, ip: 0 } => {
                    cx.replace(Frame::Waiter { ch, ip: 1 });
                    Step::Block(Op::Recv(ch))
                }
                Frame::Waiter { .. } => Step::Finish,
                Frame::Spawner { left, batch, ip } => {
                    if ip == 1 {
                        let _ = cx.resume(); // Joined
                    }
                    if left == 0 {
                        return Step::Finish;
                    }
                    let now = left.min(batch);
                    let group = cx.new_group();
                    for _ in 0..now {
                        cx.spawn(group, Frame::Nop);
                    }
                    cx.replace(Frame::Spawner { left: left - now, batch, ip: 1 });
                    Step::Block(Op::Join(group))
                }
                Frame::Nop => Step::Finish,
            }
        }
    }

    // --- ping-pong -----------------------------------------------------------------------------------

    /// 16 bytes like the other toy frames: a channel id is rebuilt from its slot (both channels are
    /// fresh, generation 1).
    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub enum PpFrame {
        /// ip 0: make the channels and the echo; 1: send; 2: receive; 3: count, then send or finish.
        Pinger { ping: u32, pong: u32, left: u32, ip: u8 },
        /// ip 0: receive a ping; 1: send it back as the pong.
        Echo { ping: u32, pong: u32, ip: u8 },
    }

    fn chan(slot: u32) -> ChannelId {
        ChannelId::new(slot, 1)
    }

    pub struct PingPong;

    impl Program for PingPong {
        type State = ();
        type Frame = PpFrame;
        type Value = u64;
        type Key = ();

        fn step(&self, cx: &mut StepContext<'_, Self>) -> StepOf<Self> {
            match cx.frame_mut().expect("a frame") {
                &mut PpFrame::Pinger { left, ip: 0, .. } => {
                    let (ping, pong) = (cx.new_channel(), cx.new_channel());
                    assert_eq!((chan(ping.slot()), chan(pong.slot())), (ping, pong));
                    cx.spawn_detached(PpFrame::Echo { ping: ping.slot(), pong: pong.slot(), ip: 0 });
                    cx.replace(PpFrame::Pinger { ping: ping.slot(), pong: pong.slot(), left, ip: 1 });
                    Step::Yield // let the echo block on its receive first
                }
                PpFrame::Pinger { ping, left, ip: ip @ 1, .. } => {
                    if *left == 0 {
                        return Step::Finish;
                    }
                    *ip = 2;
                    Step::Block(Op::Send(chan(*ping), u64::from(*left)))
                }
                PpFrame::Pinger { pong, ip: ip @ 2, .. } => {
                    *ip = 3;
                    let pong = *pong;
                    debug_assert!(matches!(cx.resume().map(|r| r.outcome), Some(Outcome::Sent)));
                    Step::Block(Op::Recv(chan(pong)))
                }
                PpFrame::Pinger { ping, left, ip, .. } => {
                    *left -= 1;
                    *ip = 2;
                    let (ping, left) = (*ping, *left);
                    let back = cx.resume().map(|r| r.outcome);
                    debug_assert_eq!(back, Some(Outcome::Received(u64::from(left) + 1)));
                    if left == 0 {
                        return Step::Finish;
                    }
                    Step::Block(Op::Send(chan(ping), u64::from(left)))
                }
                PpFrame::Echo { ping, ip: ip @ 0, .. } => {
                    *ip = 1;
                    Step::Block(Op::Recv(chan(*ping)))
                }
                PpFrame::Echo { ping, pong, ip } => {
                    let (ping, pong) = (*ping, *pong);
                    if *ip == 1 {
                        *ip = 2;
                        match cx.resume().map(|r| r.outcome) {
                            Some(Outcome::Received(v)) => Step::Block(Op::Send(chan(pong), v)),
                            other => panic!("echo: {other:?}"),
                        }
                    } else {
                        *ip = 1;
                        Step::Block(Op::Recv(chan(ping)))
                    }
                }
            }
        }
    }

    // --- the benches ---------------------------------------------------------------------------------

    fn clock() -> VirtualClock {
        VirtualClock::new(Timestamp::EPOCH)
    }

    /// Runs to the end (or to idle) in one go.
    fn run_all<P: Program>(program: &P, instance: &mut Instance<P>) -> RunOutcome {
        instance.run(program, &clock(), u64::MAX)
    }

    /// An instance whose main tasklet is a flow of `n` waiters, run until every waiter is blocked.
    fn blocked_flow(n: u32, own: bool) -> Instance<Toy> {
        let mut instance = Instance::new(Frame::Flow { n, own, ip: 0 }, Timestamp::EPOCH);
        let outcome = run_all(&Toy, &mut instance);
        assert_eq!(outcome, RunOutcome::Idle);
        instance
    }

    /// Live bytes per blocked waiter: everything the instance holds after setup, over `n`.
    pub fn idle_mem(n: usize, own: bool) -> f64 {
        let before = super::live_bytes();
        let instance = blocked_flow(n as u32, own);
        let per = (super::live_bytes() - before) as f64 / n as f64;
        assert_eq!(instance.live_tasklets(), n + 1);
        assert_eq!(instance.runnable(), 0);
        drop(instance);
        per
    }

    pub fn pingpong(iters: u64) -> Duration {
        let start = super::Stopwatch::start();
        let mut instance = Instance::new(
            PpFrame::Pinger { ping: 0, pong: 0, left: u32::try_from(iters).expect("fewer than 4 G round trips"), ip: 0 },
            Timestamp::EPOCH,
        );
        let outcome = run_all(&PingPong, &mut instance);
        let took = start.elapsed();
        assert_eq!((outcome, instance.status()), (RunOutcome::Finished, InstanceStatus::Completed));
        took
    }

    pub fn spawn(iters: u64) -> Duration {
        let left = u32::try_from(iters).expect("fewer than 4 G spawns");
        let start = super::Stopwatch::start();
        let mut instance = Instance::new(Frame::Spawner { left, batch: 100_000, ip: 0 }, Timestamp::EPOCH);
        let outcome = run_all(&Toy, &mut instance);
        let took = start.elapsed();
        assert_eq!((outcome, instance.status()), (RunOutcome::Finished, InstanceStatus::Completed));
        took
    }

    const CHECKPOINT_TASKLETS: u32 = 1_000;

    fn definition() -> DefinitionHash {
        DefinitionHash::of_texts("<process name='bench'/>", [])
    }

    /// Median µs of `checkpoint::save` (a fresh Vec each time) of a flow of 1,000 blocked waiters, each
    /// on a channel of its own; and of `save_into` a reused buffer.
    pub fn checkpoint(runs: usize) -> (f64, f64) {
        let instance = blocked_flow(CHECKPOINT_TASKLETS, true);
        let hash = definition();
        let fresh = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let bytes = checkpoint::save(black_box(&instance), hash).expect("saves");
                let took = start.elapsed();
                black_box(bytes);
                took
            })
            .collect();
        let mut buf = Vec::new();
        let reused = (0..runs)
            .map(|_| {
                buf.clear();
                let start = Instant::now();
                checkpoint::save_into(black_box(&instance), hash, &mut buf).expect("saves");
                start.elapsed()
            })
            .collect();
        (super::median_micros(fresh), super::median_micros(reused))
    }

    /// Median µs of `checkpoint::load` (checks included) of the same instance; dropping it is not timed.
    pub fn restore(runs: usize) -> f64 {
        let hash = definition();
        let bytes = checkpoint::save(&blocked_flow(CHECKPOINT_TASKLETS, true), hash).expect("saves");
        let samples = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let instance: Instance<Toy> = checkpoint::load(black_box(&bytes), hash).expect("restores");
                let took = start.elapsed();
                assert_eq!(instance.live_tasklets(), CHECKPOINT_TASKLETS as usize + 1);
                drop(instance);
                took
            })
            .collect();
        super::median_micros(samples)
    }

    /// File bytes per blocked tasklet (whole file, header included, over 1,000), own channels and shared.
    pub fn checkpoint_bytes() -> (f64, f64) {
        let hash = definition();
        let own = checkpoint::save(&blocked_flow(CHECKPOINT_TASKLETS, true), hash).expect("saves").len();
        let shared = checkpoint::save(&blocked_flow(CHECKPOINT_TASKLETS, false), hash).expect("saves").len();
        (own as f64 / f64::from(CHECKPOINT_TASKLETS), shared as f64 / f64::from(CHECKPOINT_TASKLETS))
    }

    pub fn run(cfg: &super::Config, out: &super::Out, benches: &[String]) {
        if !out.json {
            eprintln!(
                "sizes: Toy frame {} B, its Frames {} B; PingPong frame {} B; Outcome<u64> {} B",
                size_of::<Frame>(),
                size_of::<bpel_engine::runtime::Frames<Frame>>(),
                size_of::<PpFrame>(),
                size_of::<Outcome<u64>>()
            );
        }
        for bench in benches {
            match bench.as_str() {
                "idle_mem_own" => out.emit("idle_mem_own", "ours", idle_mem(cfg.idle_n, true), "B/tasklet"),
                "idle_mem_shared" => out.emit("idle_mem_shared", "ours", idle_mem(cfg.idle_n, false), "B/tasklet"),
                "pingpong" => out.emit("pingpong", "ours", super::rate(cfg, pingpong), "round trips/s"),
                "spawn" => out.emit("spawn", "ours", super::rate(cfg, spawn), "tasklets/s"),
                "checkpoint" => {
                    let (fresh, reused) = checkpoint(cfg.checkpoint_runs);
                    out.emit("checkpoint", "ours", fresh, "µs");
                    out.emit("checkpoint_reused_buffer", "ours", reused, "µs");
                }
                "restore" => out.emit("restore", "ours", restore(cfg.checkpoint_runs), "µs"),
                "checkpoint_bytes" => {
                    let (own, shared) = checkpoint_bytes();
                    out.emit("checkpoint_bytes", "ours", own, "B/tasklet");
                    out.emit("checkpoint_bytes_shared", "ours", shared, "B/tasklet");
                }
                _ => {} // not ours (pingpong_oneshot)
            }
        }
    }
}
