//! The soak harness (issue 16; run by `bench/soak.sh`): a million requests at 256 connections
//! against `bpel serve` with its durable store, while the server's resident memory is sampled
//! every second.
//!
//!   soak BPEL echo|long-running [--requests N] [--connections C] [--curve FILE]
//!
//! `echo`: examples/echo, each request its own text, each answer checked to carry it back.
//! `long-running`: examples/long-running with its settlement wait cut from an hour to a second
//! (so that paid orders end and leave the store while the load goes on): each connection places an
//! order (200, `awaiting payment`) and pays it (202), two requests per order; the notifier is a
//! counting partner on loopback, and at the end every order must have been told `paid` exactly
//! once. Any other answer, a broken connection or a missing notice is an error.
//!
//! Prints the requests, errors, throughput and the memory curve (resident KiB against requests
//! done) at tenths of the run; the whole curve goes to FILE (TSV: seconds, requests, KiB).
//! Exits 1 when there was an error. Bounded: every connection has a 60 s read timeout, the server
//! is killed at the end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bpel_tests::load::{
    confirm_payment, copy_example, echo, flag_values, harness_main, place_order, resident_kib, whole_number, Connection, Served,
};
use bpel_tests::notifier::Notifier;

struct Options {
    bpel: std::path::PathBuf,
    example: String,
    requests: u64,
    connections: u64,
    curve: Option<std::path::PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: soak BPEL echo|long-running [--requests N] [--connections C] [--curve FILE]";
    let bpel = args.next().ok_or(usage)?.into();
    let example = args.next().ok_or(usage)?;
    if !matches!(example.as_str(), "echo" | "long-running") {
        return Err(usage.into());
    }
    let mut options = Options { bpel, example, requests: 1_000_000, connections: 256, curve: None };
    for (flag, value) in flag_values(args, usage)? {
        match flag.as_str() {
            "--requests" => options.requests = whole_number(&flag, &value)?,
            "--connections" => options.connections = whole_number(&flag, &value)?,
            "--curve" => options.curve = Some(value.into()),
            _ => return Err(format!("unknown option {flag}\n{usage}")),
        }
    }
    Ok(options)
}

fn main() {
    harness_main("soak", options(), soak);
}

/// One sample of the server's memory.
struct Sample {
    seconds: f64,
    requests: u64,
    kib: u64,
}

fn soak(options: &Options) -> Result<bool, String> {
    let work = std::env::temp_dir().join(format!("bpel-soak-{}-{}", options.example, std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let deploy = work.join("deploy");
    let long_running = options.example == "long-running";
    copy_example(&options.example, &deploy, &[("'PT1H'", "'PT1S'")])?;
    let notifier = Notifier::start(Duration::ZERO).map_err(|e| format!("notifier: {e}"))?;
    let mut args: Vec<String> =
        vec![deploy.display().to_string(), "--port".into(), "0".into(), "--store".into(), work.join("store.redb").display().to_string()];
    if long_running {
        args.extend(["--partner".into(), format!("notifier={}", notifier.url())]);
    }
    let mut server = Served::start(&options.bpel, &args, &work.join("server.log"), Duration::from_secs(60))?;
    let path = if long_running { "/shop" } else { "/echo" };
    let pid = server.pid();

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let sampler = {
        let (done, stop) = (done.clone(), stop_sampling.clone());
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(kib) = resident_kib(pid) {
                    samples.push(Sample { seconds: started.elapsed().as_secs_f64(), requests: done.load(Ordering::Relaxed), kib });
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            samples
        })
    };
    let per_connection = options.requests.div_ceil(options.connections);
    let workers: Vec<_> = (0..options.connections)
        .map(|c| {
            let (address, done, errors, example) = (server.address.clone(), done.clone(), errors.clone(), options.example.clone());
            let first = c * per_connection;
            let last = (first + per_connection).min(options.requests);
            std::thread::spawn(move || drive(&address, path, &example, c, first..last, &done, &errors))
        })
        .collect();
    let mut orders = Vec::new();
    for worker in workers {
        orders.extend(worker.join().map_err(|_| "a load thread panicked".to_string())?);
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let requests = done.load(Ordering::Relaxed);
    let mut errors = errors.load(Ordering::Relaxed);

    let mut notice_report = String::new();
    if long_running {
        // each paid order is told `paid` a second later
        let deadline = Instant::now() + Duration::from_secs(120);
        while notifier.deliveries() < orders.len() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_secs(2));
        let tally = notifier.tally();
        let mut missing = 0u64;
        let mut wrong = 0u64;
        for order in &orders {
            match tally.effects_by_order.get(order).map(Vec::as_slice) {
                Some([outcome]) if outcome == "paid" => {}
                Some(_) => wrong += 1,
                None => missing += 1,
            }
        }
        errors += missing + wrong + tally.malformed as u64;
        notice_report = format!(
            "notices: {} orders placed and paid, {} told `paid` once, {} not told, {} told otherwise or twice; {} deliveries, {} repeated, {} malformed\n",
            orders.len(),
            orders.len() as u64 - missing - wrong,
            missing,
            wrong,
            tally.deliveries,
            tally.repeated_deliveries,
            tally.malformed
        );
    }
    stop_sampling.store(true, Ordering::Relaxed);
    let samples = sampler.join().map_err(|_| "the sampler panicked".to_string())?;
    let still_running = server.child.try_wait().ok().flatten().is_none();
    server.kill();

    if let Some(file) = &options.curve {
        let mut text = String::from("seconds\trequests\trss_kib\n");
        for sample in &samples {
            text.push_str(&format!("{:.1}\t{}\t{}\n", sample.seconds, sample.requests, sample.kib));
        }
        std::fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    print!("{}", report(options, requests, errors, load_seconds, &samples));
    print!("{notice_report}");
    if !still_running {
        println!("the server exited during the run: see {}", server.log.display());
        errors += 1;
    }
    if errors == 0 {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("server log: {}", server.log.display());
    }
    Ok(errors == 0)
}

/// One connection's share of the load; for long-running, the orders it placed and paid.
fn drive(
    address: &str,
    path: &str,
    example: &str,
    connection_index: u64,
    requests: std::ops::Range<u64>,
    done: &AtomicU64,
    errors: &AtomicU64,
) -> Vec<String> {
    let mut orders = Vec::new();
    let mut connection = None;
    let mut request = requests.start;
    while request < requests.end {
        let live = match &mut connection {
            Some(live) => live,
            None => match Connection::open(address, Duration::from_secs(60)) {
                Ok(live) => connection.insert(live),
                Err(error) => {
                    eprintln!("soak: connection {connection_index}: {error}");
                    errors.fetch_add(requests.end - request, Ordering::Relaxed);
                    return orders;
                }
            },
        };
        let (sent, fine) = if example == "echo" {
            let text = format!("soak-{request}");
            match live.post(path, &echo(&text)) {
                Ok(answer) => (1, answer.status == 200 && answer.body.contains(&format!(">{text}<"))),
                Err(_) => (1, false),
            }
        } else {
            let order = format!("s{request}");
            let placed = live.post(path, &place_order(&order));
            let placed_fine = placed.as_ref().is_ok_and(|a| a.status == 200 && a.body.contains(&format!(">{order}<")));
            if placed_fine {
                let paid = live.post(path, &confirm_payment(&order));
                let paid_fine = paid.as_ref().is_ok_and(|a| a.status == 202);
                if paid_fine {
                    orders.push(order);
                }
                (2, paid_fine)
            } else {
                (1, false)
            }
        };
        done.fetch_add(sent, Ordering::Relaxed);
        if !fine {
            errors.fetch_add(1, Ordering::Relaxed);
            connection = None;
        }
        request += sent;
    }
    orders
}

fn report(options: &Options, requests: u64, errors: u64, seconds: f64, samples: &[Sample]) -> String {
    let mut out = format!(
        "{}: {requests} requests over {} connections in {seconds:.1} s ({:.0}/s), {errors} error(s)\n",
        options.example,
        options.connections,
        requests as f64 / seconds.max(f64::EPSILON)
    );
    let Some(last) = samples.last() else { return out };
    out.push_str("resident memory (MiB) at each tenth of the requests:");
    for tenth in 1..=10 {
        let mark = options.requests * tenth / 10;
        if let Some(sample) = samples.iter().find(|s| s.requests >= mark).or(Some(last)) {
            out.push_str(&format!(" {:.0}", sample.kib as f64 / 1024.0));
        }
    }
    out.push('\n');
    // warm-up: the first fifth of the requests
    let warm = samples.iter().find(|s| s.requests >= options.requests / 5).unwrap_or(last);
    let after: Vec<&Sample> = samples.iter().filter(|s| s.seconds >= warm.seconds).collect();
    let peak = after.iter().map(|s| s.kib).max().unwrap_or(warm.kib);
    let mib = |kib: u64| kib as f64 / 1024.0;
    out.push_str(&format!(
        "after warm-up (a fifth of the requests, {:.0} s): {:.0} MiB; peak after it {:.0} MiB; at the end {:.0} MiB ({:+.1} % of the warm-up figure)\n",
        warm.seconds,
        mib(warm.kib),
        mib(peak),
        mib(last.kib),
        (last.kib as f64 - warm.kib as f64) * 100.0 / warm.kib.max(1) as f64
    ));
    out
}
