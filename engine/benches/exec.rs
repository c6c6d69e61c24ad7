//! Executable-semantics benchmarks (issue 4, "Benchmark"): instances per second of whole processes
//! run in-process through the [`Engine`] facade, with a plain-Rust baseline run side by side.
//!
//! A bench binary (`harness = false`), not criterion, in the style of `benches/runtime.rs`:
//!
//! ```text
//! cargo bench -p bpel-engine --bench exec -- [--json] [--quick] [--wall] [--impl ours|baseline]... [BENCH...]
//! ```
//!
//! `--json` prints one line per figure: `{"bench": "...", "impl": "...", "value": N, "unit": "..."}`;
//! the ratio is `impl: "ours/baseline"`, the verdict against the target a line with `"pass": true|false`.
//! Everything runs on the calling thread: pin it with `taskset -c 0`. Rates are per second of the
//! process's CPU time (`--wall`: of wall-clock time), so that other load on a shared machine does
//! not count.
//!
//! The processes are in `benches/processes/` (checked by `bpel check` like any other):
//! - `echo`: `echo.bpel`: receive (createInstance) on a request-response operation, one assign
//!   copying the request's part to the response's, reply. Target: >= 200,000 instances/s.
//! - `foreach100`: `foreach100.bpel`: receive, a parallel forEach from 1 to 100 whose scope assigns
//!   the counter to a scope variable, an assign copying the request's part to the response's, reply.
//!
//! Ours, per instance: `Engine::send` of a clone of a request element parsed once, then
//! `Engine::drain_replies`, checking that exactly one reply came back, `Ok`, with the request's
//! text in the expected element (a wrong or missing reply is counted; any makes the bench say so
//! and exit 1). Each process is deployed once with `Engine::deploy`, outside the timing, into an
//! engine with `keep_finished = false` (as `serve` runs it: an ended instance is dropped at once);
//! `Engine::drain_touched` is called every 1,024 instances, as a host that saves touched instances
//! in batches would, so that nothing accumulates. After each measurement the bench checks that the
//! engine holds no instance and reports how much the resident memory grew (`*_rss_growth`).
//!
//! The baseline, per request: the least an echo service does in plain Rust: read the request body's
//! XML text with quick-xml, take its text, write the reply element as a string. For foreach100 the
//! same plus, a hundred times, the counter written as text into a fresh string (what each branch's
//! assign computes). The baseline reads XML text and ours does not (it is handed a parsed element),
//! so the ratio flatters ours a little.
//!
//! `xpath` (issue 15): the echo with a condition the XPath library evaluates
//! (`string-length($request.payload) > 0`) and a `$var.part` copy, once in XPath 1.0 (sxd-xpath) and
//! once in XPath 2.0 (xee-xpath): `echo_xpath1.bpel` and `echo_xpath2.bpel`, which differ only in
//! their `expressionLanguage`. Measured in alternating rounds on the same thread; the figure is the
//! rate of the XPath 2.0 form over the XPath 1.0 form, and the target is that XPath 2.0 is within
//! 25 % (`xpath2/xpath1 >= 0.8`).
//!
//! `retained` measures the other mode, `keep_finished = true` (the REPL's and scenarios' default:
//! ended instances stay for inspection): one engine, N echo instances, the rate of the first and of
//! the last 200, and the resident memory each retained instance costs.
//!
//! `--impl ours|baseline` runs one side only (for profiling: `perf record --call-graph dwarf` on
//! the binary in `target/release/deps` with `--impl ours`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bpel_engine::exec::{Engine, ProcessId};
use bpel_engine::xml::XmlElement;

// The allocator the `bpel` binary runs with, so that the figures are what `bpel run` / `serve` do.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The target of issue 4 for the echo process, instances per second on one core.
const ECHO_TARGET: f64 = 200_000.0;

const NS: &str = "http://example.com/bpel/bench";
const REQUEST_TEXT: &str = "hello, bench &amp; co";
/// `REQUEST_TEXT` read as XML.
const EXPECTED_TEXT: &str = "hello, bench & co";

// ---------------------------------------------------------------------------------------------------
// Measuring (as in benches/runtime.rs)

/// Measures what a rate is computed from: by default the process's CPU time (user + system); with
/// `--wall`, wall-clock time.
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

/// Resident set size of this process in bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

struct Config {
    /// CPU (or wall) time for one rate measurement.
    duration: Duration,
    /// Instances the `retained` bench makes in one engine.
    retained_n: u64,
    /// Which sides run (`--impl ours|baseline`; both by default).
    ours: bool,
    baseline: bool,
}

/// Runs `run(iters) -> elapsed` with growing `iters` until one call takes a tenth of the budget, then
/// five timed calls of about a fifth each; returns the median rate in iterations per second.
fn rate(cfg: &Config, mut run: impl FnMut(u64) -> Duration) -> f64 {
    let mut iters = 100u64;
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

struct Out {
    json: bool,
}

impl Out {
    fn emit(&self, bench: &str, imp: &str, value: f64, unit: &str) {
        if self.json {
            // Names and units are ours and hold no characters that need escaping.
            println!("{{\"bench\": \"{bench}\", \"impl\": \"{imp}\", \"value\": {value}, \"unit\": \"{unit}\"}}");
        } else {
            let precision = if unit == "ratio" { 4 } else { 1 };
            println!("{imp:>14} {bench:<22} {value:>16.precision$} {unit}");
        }
    }

    fn verdict(&self, bench: &str, value: f64, target: f64, unit: &str) -> bool {
        let pass = value >= target;
        if self.json {
            println!("{{\"bench\": \"{bench}\", \"impl\": \"target\", \"value\": {target}, \"unit\": \"{unit}\", \"pass\": {pass}}}");
        } else {
            println!("{:>14} {bench:<22} {target:>16.1} {unit}: {}", "target", if pass { "PASS" } else { "FAIL" });
        }
        pass
    }
}

// ---------------------------------------------------------------------------------------------------
// The processes, driven through the engine

/// One bench process: where it is, how it is called, what its reply must be.
struct Bench {
    name: &'static str,
    file: &'static str,
    operation: &'static str,
    request_local: &'static str,
    response_local: &'static str,
}

const ECHO: Bench = Bench { name: "echo", file: "echo.bpel", operation: "echo", request_local: "echo", response_local: "echoResponse" };
const ECHO_XPATH1: Bench =
    Bench { name: "echo_xpath1", file: "echo_xpath1.bpel", operation: "echo", request_local: "echo", response_local: "echoResponse" };
const ECHO_XPATH2: Bench =
    Bench { name: "echo_xpath2", file: "echo_xpath2.bpel", operation: "echo", request_local: "echo", response_local: "echoResponse" };
/// The least rate of the XPath 2.0 echo over the XPath 1.0 one (issue 15: within 25 %).
const XPATH2_TARGET: f64 = 0.8;
const FOREACH100: Bench =
    Bench { name: "foreach100", file: "foreach100.bpel", operation: "fan", request_local: "fan", response_local: "fanResponse" };

const PARTNER_LINK: &str = "client";

fn processes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/processes")
}

/// The request body's text (what a SOAP body would carry).
fn request_text(bench: &Bench) -> String {
    format!("<{local} xmlns=\"{NS}\">{REQUEST_TEXT}</{local}>", local = bench.request_local)
}

/// Wrong or missing replies seen by any bench of this run.
static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// The first wrong reply, for the message.
static FIRST_FAILURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn fail(what: String) {
    FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut first = FIRST_FAILURE.lock().unwrap_or_else(|e| e.into_inner());
    if first.is_none() {
        *first = Some(what);
    }
}

/// A deployed process in an engine of its own, and the request to send it.
struct Driver<'a> {
    bench: &'a Bench,
    engine: Engine,
    process: ProcessId,
    body: &'a XmlElement,
    sent: u64,
}

/// How often the driver drains the engine's touched instances.
const DRAIN_TOUCHED_EVERY: u64 = 1024;

impl<'a> Driver<'a> {
    fn new(bench: &'a Bench, path: &Path, body: &'a XmlElement, keep_finished: bool) -> Driver<'a> {
        let mut engine = Engine::new();
        engine.keep_finished = keep_finished;
        let process = engine.deploy(path).unwrap_or_else(|e| panic!("{} does not deploy: {e}", path.display()));
        Driver { bench, engine, process, body, sent: 0 }
    }

    /// Creates one instance and checks its reply.
    #[inline]
    fn one(&mut self) {
        self.sent += 1;
        if self.sent.is_multiple_of(DRAIN_TOUCHED_EVERY) {
            drop(self.engine.drain_touched());
        }
        match self.engine.send(self.process, PARTNER_LINK, self.bench.operation, std::slice::from_ref(&self.body.clone())) {
            Ok(_) => {}
            Err(e) => return fail(format!("{}: send: {e}", self.bench.name)),
        }
        let replies = self.engine.drain_replies();
        let [reply] = replies.as_slice() else {
            return fail(format!("{}: {} replies, expected one", self.bench.name, replies.len()));
        };
        let message = match &reply.result {
            Ok(message) => message,
            Err(fault) => return fail(format!("{}: a fault reply: {fault:?}", self.bench.name)),
        };
        match message.part("payload") {
            Some(part) if part.is(Some(NS), self.bench.response_local) && part.text() == EXPECTED_TEXT => {}
            other => fail(format!("{}: a wrong reply: {other:?}", self.bench.name)),
        }
    }

    /// `iters` instances, timed.
    fn run(&mut self, iters: u64) -> Duration {
        let start = Stopwatch::start();
        for _ in 0..iters {
            self.one();
        }
        start.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------------
// The baseline: the same answers in plain Rust

mod baseline {
    use std::hint::black_box;
    use std::time::Duration;

    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// The request element's text, read with quick-xml (`None`: not one element with text).
    fn request_text(xml: &str) -> Option<String> {
        let mut reader = Reader::from_str(xml);
        let mut text = String::new();
        let mut depth = 0u32;
        loop {
            match reader.read_event().ok()? {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.checked_sub(1)?,
                Event::Text(t) if depth == 1 => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) if depth == 1 => {
                    if let Some(c) = r.resolve_char_ref().ok()? {
                        text.push(c);
                        continue;
                    }
                    text.push_str(match &*r {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => return None,
                    });
                }
                Event::Eof => return (depth == 0).then_some(text),
                _ => {}
            }
        }
    }

    /// The reply element as text.
    fn reply(local: &str, text: &str) -> String {
        format!("<{local} xmlns=\"{}\">{}</{local}>", super::NS, quick_xml::escape::escape(text))
    }

    /// One echo request: read, take the text, write the reply.
    pub fn echo_one(request: &str, response_local: &str) -> String {
        let text = request_text(request).unwrap_or_default();
        reply(response_local, &text)
    }

    /// One foreach100 request: the same, plus a hundred counters written as text (what each
    /// branch's assign computes), each into a string of its own.
    pub fn foreach_one(request: &str, response_local: &str) -> String {
        let text = request_text(request).unwrap_or_default();
        for i in 1..=100u32 {
            black_box(i.to_string());
        }
        reply(response_local, &text)
    }

    pub fn run(one: fn(&str, &str) -> String, request: &str, response_local: &str, expected: &str, iters: u64) -> Duration {
        let start = super::Stopwatch::start();
        for _ in 0..iters {
            let out = one(black_box(request), response_local);
            if black_box(out.as_str()) != expected {
                super::fail(format!("baseline: a wrong reply {out}"));
            }
        }
        start.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------------

const ALL_BENCHES: &[&str] = &["echo", "foreach100", "xpath", "retained"];

/// Ours and the baseline for one process, side by side; the ratio; the verdict when there is a target.
fn rate_bench(cfg: &Config, out: &Out, bench: &Bench, baseline_one: fn(&str, &str) -> String, target: Option<f64>) -> bool {
    let path = processes_dir().join(bench.file);
    let request = request_text(bench);
    let body = XmlElement::parse(&request).expect("the request parses");
    let expected = format!("<{local} xmlns=\"{NS}\">{}</{local}>", quick_xml::escape::escape(EXPECTED_TEXT), local = bench.response_local);
    let ours = cfg.ours.then(|| {
        let mut driver = Driver::new(bench, &path, &body, false);
        let rss_before = resident_bytes();
        let ours = rate(cfg, |n| driver.run(n));
        let rss_after = resident_bytes();
        drop(driver.engine.drain_touched());
        let left = driver.engine.instances().count();
        if left > 0 {
            fail(format!("{}: {left} instances left in the engine after the run", bench.name));
        }
        (ours, rss_before.zip(rss_after).map(|(before, after)| after as f64 - before as f64))
    });
    let (ours, rss_growth) = (ours.map(|o| o.0), ours.and_then(|o| o.1));
    let base = cfg.baseline.then(|| rate(cfg, |n| baseline::run(baseline_one, &request, bench.response_local, &expected, n)));
    if let Some(ours) = ours {
        out.emit(bench.name, "ours", ours, "instances/s");
    }
    if let Some(growth) = rss_growth {
        out.emit(&format!("{}_rss_growth", bench.name), "ours", growth / 1024.0, "KiB");
    }
    if let Some(base) = base {
        out.emit(bench.name, "baseline", base, "instances/s");
    }
    if let (Some(ours), Some(base)) = (ours, base) {
        out.emit(bench.name, "ours/baseline", ours / base, "ratio");
    }
    match (ours, target) {
        (Some(ours), Some(target)) => out.verdict(bench.name, ours, target, "instances/s"),
        _ => true,
    }
}

/// The echo in XPath 1.0 and in XPath 2.0, in alternating rounds: each form's best rate, and the
/// ratio against its target.
fn xpath_bench(cfg: &Config, out: &Out) -> bool {
    const ROUNDS: usize = 3;
    let body = XmlElement::parse(&request_text(&ECHO_XPATH1)).expect("the request parses");
    let mut first = Driver::new(&ECHO_XPATH1, &processes_dir().join(ECHO_XPATH1.file), &body, false);
    let mut second = Driver::new(&ECHO_XPATH2, &processes_dir().join(ECHO_XPATH2.file), &body, false);
    let (mut xpath1, mut xpath2) = (0.0f64, 0.0f64);
    for _ in 0..ROUNDS {
        xpath1 = xpath1.max(rate(cfg, |n| first.run(n)));
        xpath2 = xpath2.max(rate(cfg, |n| second.run(n)));
    }
    out.emit(ECHO_XPATH1.name, "ours", xpath1, "instances/s");
    out.emit(ECHO_XPATH2.name, "ours", xpath2, "instances/s");
    out.emit("echo_xpath", "xpath2/xpath1", xpath2 / xpath1, "ratio");
    out.verdict("echo_xpath", xpath2 / xpath1, XPATH2_TARGET, "ratio")
}

/// One engine keeping ended instances, `n` echo instances: the rate of the first and of the last
/// `WINDOW` (with about `n` ended instances kept), and the resident memory each kept instance costs.
fn retained(cfg: &Config, out: &Out) {
    const WINDOW: u64 = 200;
    let n = cfg.retained_n.max(2 * WINDOW);
    let path = processes_dir().join(ECHO.file);
    let body = XmlElement::parse(&request_text(&ECHO)).expect("the request parses");
    // warm up the allocator and the process's caches in an engine of their own
    Driver::new(&ECHO, &path, &body, false).run(WINDOW);
    let mut driver = Driver::new(&ECHO, &path, &body, true);
    let rss_before = resident_bytes();
    let first = driver.run(WINDOW).as_secs_f64() / WINDOW as f64;
    driver.run(n - 2 * WINDOW);
    let last = driver.run(WINDOW).as_secs_f64() / WINDOW as f64;
    let rss_after = resident_bytes();
    let retained = driver.engine.instances().count();
    if retained as u64 != n {
        fail(format!("retained: {retained} instances kept of {n}"));
    }
    out.emit("echo_retained_first", "ours", 1.0 / first, "instances/s");
    out.emit(&format!("echo_retained_last_{}k", n / 1000), "ours", 1.0 / last, "instances/s");
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        out.emit("echo_retained_rss", "ours", after.saturating_sub(before) as f64 / n as f64, "B/instance");
    }
}

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
            "--wall" => WALL.store(true, std::sync::atomic::Ordering::Relaxed),
            "--bench" => {} // cargo bench passes it to harness = false binaries
            "-h" | "--help" => {
                println!(
                    "usage: exec [--json] [--quick] [--wall] [--impl ours|baseline]... [BENCH...]\nbenches: {}",
                    ALL_BENCHES.join(" ")
                );
                return;
            }
            a if a.starts_with('-') => {
                eprintln!("exec bench: unknown option {a}");
                std::process::exit(2);
            }
            name => {
                if !ALL_BENCHES.contains(&name) {
                    eprintln!("exec bench: unknown bench {name} (one of: {})", ALL_BENCHES.join(" "));
                    std::process::exit(2);
                }
                benches.push(name.to_string());
            }
        }
    }
    if let Some(other) = impls.iter().find(|i| !matches!(i.as_str(), "ours" | "baseline")) {
        eprintln!("exec bench: unknown impl {other} (ours or baseline)");
        std::process::exit(2);
    }
    let (ours, baseline) =
        if impls.is_empty() { (true, true) } else { (impls.iter().any(|i| i == "ours"), impls.iter().any(|i| i == "baseline")) };
    if benches.is_empty() {
        benches = ALL_BENCHES.iter().map(|b| b.to_string()).collect();
    }
    let cfg = if quick {
        Config { duration: Duration::from_millis(300), retained_n: 10_000, ours, baseline }
    } else {
        Config { duration: Duration::from_secs(2), retained_n: 20_000, ours, baseline }
    };
    let out = Out { json };
    let started = Instant::now();
    let mut pass = true;
    for bench in &benches {
        match bench.as_str() {
            "echo" => pass &= rate_bench(&cfg, &out, &ECHO, baseline::echo_one, Some(ECHO_TARGET)),
            "foreach100" => pass &= rate_bench(&cfg, &out, &FOREACH100, baseline::foreach_one, None),
            "xpath" if ours => pass &= xpath_bench(&cfg, &out),
            "xpath" => {}
            "retained" if ours => retained(&cfg, &out),
            "retained" => {}
            _ => unreachable!("checked above"),
        }
    }
    let failures = FAILURES.load(std::sync::atomic::Ordering::Relaxed);
    if !json {
        eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
    }
    if failures > 0 {
        let first = FIRST_FAILURE.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default();
        eprintln!("exec bench: {failures} wrong or missing replies; the first: {first}");
        std::process::exit(1);
    }
    if !pass && !json {
        eprintln!("exec bench: below target");
    }
}
