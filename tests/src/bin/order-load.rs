//! A load generator for the long-running example over HTTP (bench/evict.sh): `CONNECTIONS`
//! keep-alive connections on loopback, each sending its share of `COUNT` requests, one at a time.
//! Each request carries its own order id (`PREFIX` + a number from `FIRST` on), so every
//! `placeOrder` starts an instance and every `confirmPayment` reaches a different one.
//!
//!   order-load URL place|pay COUNT CONNECTIONS [FIRST] [PREFIX]
//!
//! Prints one line: `requests=N ok=N errors=N seconds=S rps=R p50_ms=A p99_ms=B` (latency from
//! the first byte written to the whole answer read). Exits 1 when a request could not be made.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const SHOP: &str = "http://example.com/bpel/examples/shop";

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
    let Some((address, path)) = url.strip_prefix("http://").and_then(|rest| rest.split_once('/')) else {
        eprintln!("order-load: URL must be http://HOST:PORT/PATH");
        std::process::exit(2);
    };
    let (address, path) = (address.to_string(), format!("/{path}"));
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
    let percentile = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p) as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "requests={} ok={ok} errors={errors} seconds={seconds:.2} rps={:.0} p50_ms={:.3} p99_ms={:.3}",
        ok + errors,
        (ok + errors) as f64 / seconds,
        percentile(0.50),
        percentile(0.99)
    );
}

struct Outcome {
    ok: u64,
    errors: u64,
    latencies: Vec<Duration>,
}

fn run(address: &str, path: &str, kind: &str, prefix: &str, ids: impl Iterator<Item = u64>) -> Result<Outcome, String> {
    let stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut outcome = Outcome { ok: 0, errors: 0, latencies: Vec::new() };
    for id in ids {
        let (operation, body) = match kind {
            "place" => (
                "placeOrder",
                format!(
                    r#"<s:placeOrder xmlns:s="{SHOP}"><s:orderId>{prefix}{id}</s:orderId><s:customer>C</s:customer><s:amount>5</s:amount></s:placeOrder>"#
                ),
            ),
            _ => (
                "confirmPayment",
                format!(
                    r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>{prefix}{id}</s:orderId><s:paymentReference>R</s:paymentReference></s:confirmPayment>"#
                ),
            ),
        };
        let envelope = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
        );
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml\r\nSOAPAction: \"{SHOP}/{operation}\"\r\nContent-Length: {}\r\n\r\n{envelope}",
            envelope.len()
        );
        let sent = Instant::now();
        writer.write_all(request.as_bytes()).map_err(|e| format!("write: {e}"))?;
        let status = read_response(&mut reader)?;
        outcome.latencies.push(sent.elapsed());
        if (200..300).contains(&status) {
            outcome.ok += 1;
        } else {
            outcome.errors += 1;
        }
    }
    Ok(outcome)
}

/// Reads one HTTP/1.1 response (Content-Length framed); its status.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<u16, String> {
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
    let status =
        line.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| format!("not an HTTP answer: {line:?}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|e| format!("read body: {e}"))?;
    Ok(status)
}
