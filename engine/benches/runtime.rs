//! Tasklet runtime benchmarks, and tokio run side by side as a baseline (issue 3, "Benchmarks").
//!
//! A bench binary (`harness = false`), not criterion: the figures are rates, bytes and medians that
//! `bench/compare.sh` puts in one table next to Go and Python greenlet. Run it through that script, or:
//!
//! ```text
//! cargo bench -p bpel-engine --bench runtime -- [--json] [--quick] [--impl ours|tokio] [BENCH...]
//! ```
//!
//! `--json` prints one line per figure: `{"bench": "...", "impl": "...", "value": N, "unit": "..."}`.
//! Everything runs on the calling thread (tokio with its current_thread runtime); pin it with
//! `taskset -c 0`. Run a memory bench in a process of its own (compare.sh does): the figure is the
//! growth of live heap bytes, and an earlier bench's leftovers (a grown run queue) would skew it.
//!
//! Benches (each impl measures those it has):
//! - `idle_mem_own`: bytes per idle tasklet blocked on a receive from its own channel (tasklet + channel
//!   + its registration), 1 M of them. tokio: a task awaiting its own oneshot.
//! - `idle_mem_shared`: bytes per idle tasklet blocked on a receive from one channel they all share
//!   (tasklet + its registration in the channel's wait queue), 1 M of them. (ours only)
//! - `pingpong`: round trips/s between two tasklets over two rendezvous channels. tokio: two tasks over
//!   two `mpsc` channels of capacity 1 (the nearest thing tokio has to a rendezvous).
//! - `pingpong_oneshot`: tokio only: round trips/s where every message travels on a fresh oneshot pair.
//! - `spawn`: tasklets/s, spawning batches of trivial tasklets and running each batch to completion.
//! - `checkpoint`, `restore`, `checkpoint_bytes`: an instance with 1,000 tasklets blocked on channels:
//!   median µs to write its checkpoint, median µs to restore it, file bytes per tasklet. (ours only)
//!
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

struct Config {
    /// Wall time for one rate measurement.
    duration: Duration,
    /// Tasklets for the memory benches.
    idle_n: usize,
    /// Runs of checkpoint and restore (the median is reported).
    checkpoint_runs: usize,
}

/// Runs `run(iters) -> elapsed` with growing `iters` until one call takes a tenth of the budget, then
/// five timed calls of about a fifth each; returns the median rate in iterations per second.
fn rate(cfg: &Config, mut run: impl FnMut(u64) -> Duration) -> f64 {
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
    use std::time::{Duration, Instant};

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
            let start = Instant::now();
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
            let start = Instant::now();
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
            let start = Instant::now();
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
    let mut impls: Vec<String> = Vec::new();
    let mut benches: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--quick" => quick = true,
            "--impl" => impls.push(args.next().unwrap_or_default()),
            "--bench" => {} // cargo bench passes it to harness = false binaries
            "-h" | "--help" => {
                println!("usage: runtime [--json] [--quick] [--impl ours|tokio]... [BENCH...]\nbenches: {}", ALL_BENCHES.join(" "));
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
        Config { duration: Duration::from_millis(200), idle_n: 100_000, checkpoint_runs: 51 }
    } else {
        Config { duration: Duration::from_secs(2), idle_n: 1_000_000, checkpoint_runs: 501 }
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
// ours: the tasklet runtime, driven by a toy program

mod ours {
    pub fn run(_cfg: &super::Config, _out: &super::Out, _benches: &[String]) {
        let _ = super::median_micros;
        eprintln!("runtime bench: the tasklet runtime is not there yet");
    }
}
