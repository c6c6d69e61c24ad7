//! A load generator for the long-running example over HTTP (bench/evict.sh): `CONNECTIONS`
//! keep-alive connections on loopback, each sending its share of `COUNT` requests, one at a time.
//! Each request carries its own order id (`PREFIX` + a number from `FIRST` on), so every
//! `placeOrder` starts an instance and every `confirmPayment` reaches a different one.
//!
//!   order-load URL place|pay COUNT CONNECTIONS [FIRST] [PREFIX]
//!
//! Prints one line: `requests=N ok=N errors=N seconds=S rps=R p50_ms=A p99_ms=B` (latency from
//! the first byte written to the whole answer read). Exits 1 when a request could not be made.

use std::time::{Duration, Instant};

use bpel_tests::load::{confirm_payment, percentile_ms, place_order, split_url, Connection};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: order-load URL place|pay COUNT CONNECTIONS [FIRST] [PREFIX]");
        std::process::exit(2);
    }
    let url = &args[1];
    let kind = args[2].clone();
    let (Ok(count), Ok(connections)) = (args[3].parse::<u64>(), args[4].parse::<u64>()) else {
        eprintln!("order-load: COUNT and CONNECTIONS are numbers");
        std::process::exit(2);
    };
    let first = args.get(5).and_then(|a| a.parse::<u64>().ok()).unwrap_or(1);
    let prefix = args.get(6).cloned().unwrap_or_else(|| "o".to_string());
    let Some((address, path)) = split_url(url) else {
        eprintln!("order-load: URL must be http://HOST:PORT/PATH");
        std::process::exit(2);
    };
    let connections = connections.clamp(1, count.max(1));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|c| {
            let (address, path, kind, prefix) = (address.clone(), path.clone(), kind.clone(), prefix.clone());
            // connection c sends the ids first + c, first + c + connections, ...
            std::thread::spawn(move || run(&address, &path, &kind, &prefix, (first + c..first + count).step_by(connections as usize)))
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut ok, mut errors) = (0u64, 0u64);
    for worker in workers {
        match worker.join() {
            Ok(Ok(result)) => {
                ok += result.ok;
                errors += result.errors;
                latencies.extend(result.latencies);
            }
            Ok(Err(error)) => {
                eprintln!("order-load: {error}");
                std::process::exit(1);
            }
            Err(_) => std::process::exit(1),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "requests={} ok={ok} errors={errors} seconds={seconds:.2} rps={:.0} p50_ms={:.3} p99_ms={:.3}",
        ok + errors,
        (ok + errors) as f64 / seconds,
        percentile_ms(&latencies, 0.50),
        percentile_ms(&latencies, 0.99)
    );
}

struct Outcome {
    ok: u64,
    errors: u64,
    latencies: Vec<Duration>,
}

fn run(address: &str, path: &str, kind: &str, prefix: &str, ids: impl Iterator<Item = u64>) -> Result<Outcome, String> {
    let mut connection = Connection::open(address, Duration::from_secs(60))?;
    let mut outcome = Outcome { ok: 0, errors: 0, latencies: Vec::new() };
    for id in ids {
        let order = format!("{prefix}{id}");
        let request = if kind == "place" { place_order(&order) } else { confirm_payment(&order) };
        let sent = Instant::now();
        let answer = connection.post(path, &request)?;
        outcome.latencies.push(sent.elapsed());
        if answer.ok() {
            outcome.ok += 1;
        } else {
            outcome.errors += 1;
        }
    }
    Ok(outcome)
}
