//! A plain HTTP/1.1 keep-alive client for the load harnesses (`src/bin/order-load.rs`,
//! `src/bin/soak.rs`, `src/bin/kill-load.rs`): one blocking connection per thread, one request
//! at a time, the answer read whole (Content-Length framed, as `bpel serve` answers). Kept this
//! small so that the client costs little beside the server under load.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const SHOP_NS: &str = "http://example.com/bpel/examples/shop";
pub const ECHO_NS: &str = "http://example.com/bpel/examples/echo";

/// The examples' requests, as SOAP bodies with their SOAPAction.
pub fn place_order(order: &str) -> (String, String) {
    (
        format!("{SHOP_NS}/placeOrder"),
        format!(
            r#"<s:placeOrder xmlns:s="{SHOP_NS}"><s:orderId>{order}</s:orderId><s:customer>C</s:customer><s:amount>5</s:amount></s:placeOrder>"#
        ),
    )
}

pub fn confirm_payment(order: &str) -> (String, String) {
    (
        format!("{SHOP_NS}/confirmPayment"),
        format!(
            r#"<s:confirmPayment xmlns:s="{SHOP_NS}"><s:orderId>{order}</s:orderId><s:paymentReference>R-{order}</s:paymentReference></s:confirmPayment>"#
        ),
    )
}

pub fn echo(text: &str) -> (String, String) {
    (format!("{ECHO_NS}/echo"), format!(r#"<e:echo xmlns:e="{ECHO_NS}">{text}</e:echo>"#))
}

/// An answer: the HTTP status and the body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One keep-alive connection to `host:port`.
pub struct Connection {
    address: String,
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(address: &str, timeout: Duration) -> Result<Connection, String> {
        let stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Connection { address: address.to_string(), writer, reader: BufReader::new(stream) })
    }

    /// POSTs a SOAP 1.1 envelope around `body` to `path`; an error is a connection that broke.
    pub fn post(&mut self, path: &str, (action, body): &(String, String)) -> Result<Answer, String> {
        let envelope = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
        );
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nSOAPAction: \"{action}\"\r\nContent-Length: {}\r\n\r\n{envelope}",
            self.address,
            envelope.len()
        );
        self.writer.write_all(request.as_bytes()).map_err(|e| format!("write: {e}"))?;
        self.read_answer()
    }

    fn read_answer(&mut self) -> Result<Answer, String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).map_err(|e| format!("read: {e}"))? == 0 {
            return Err("the server closed the connection".into());
        }
        let status =
            line.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| format!("not an HTTP answer: {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
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
        self.reader.read_exact(&mut body).map_err(|e| format!("read body: {e}"))?;
        Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// `http://HOST:PORT/PATH` → (`HOST:PORT`, `/PATH`).
pub fn split_url(url: &str) -> Option<(String, String)> {
    let (address, path) = url.strip_prefix("http://")?.split_once('/')?;
    Some((address.to_string(), format!("/{path}")))
}

/// The resident set size of process `pid` in KiB (Linux `/proc`), if it can be read.
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// The `p`-quantile (0..=1) of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p) as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A `bpel serve` child process with its output in a file.
pub struct Served {
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`
    pub address: String,
    pub log: std::path::PathBuf,
}

impl Served {
    /// Starts `bpel serve ARGS...` (which should include `--port 0`) with its stdout and stderr
    /// in `log`, and waits up to `within` for its `listening on http://ADDRESS` line.
    pub fn start(bpel: &std::path::Path, args: &[String], log: &std::path::Path, within: Duration) -> Result<Served, String> {
        let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let child = std::process::Command::new(bpel)
            .arg("serve")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bpel.display()))?;
        let mut served = Served { child, address: String::new(), log: log.to_path_buf() };
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            let output = served.output();
            if let Some(address) = output.split("listening on http://").nth(1).and_then(|rest| rest.split_whitespace().next()) {
                served.address = address.trim_end_matches('/').to_string();
                return Ok(served);
            }
            if let Ok(Some(status)) = served.child.try_wait() {
                return Err(format!("bpel serve exited ({status}) before listening:\n{output}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = served.child.kill();
        let _ = served.child.wait();
        Err(format!("bpel serve did not listen within {within:?}:\n{}", served.output()))
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9` (SIGKILL), and the exit collected.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A copy of `examples/NAME` in `into`, with `(from, to)` replacements in its `.bpel` files (to
/// shorten its timers for a harness).
pub fn copy_example(name: &str, into: &std::path::Path, replacements: &[(&str, &str)]) -> Result<(), String> {
    let from = crate::workspace_dir().join("examples").join(name);
    std::fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
    for entry in std::fs::read_dir(&from).map_err(|e| format!("{}: {e}", from.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else { continue };
        if !matches!(extension, "bpel" | "wsdl" | "xsd") {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if extension == "bpel" {
            for (old, new) in replacements {
                text = text.replace(old, new);
            }
        }
        let target = into.join(path.file_name().unwrap_or_default());
        std::fs::write(&target, text).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}

/// A small deterministic random number generator (xorshift64*), so that a harness's run can be
/// repeated from its printed seed.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..high` (`low` when the range is empty).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            low
        } else {
            low + self.next_u64() % (high - low)
        }
    }
}

/// The `--flag value` pairs of a harness's command line (after its positional arguments).
pub fn flag_values(args: impl Iterator<Item = String>, usage: &str) -> Result<Vec<(String, String)>, String> {
    let mut args = args;
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// The whole number > 0 given to `flag`.
pub fn whole_number(flag: &str, value: &str) -> Result<u64, String> {
    value.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| format!("{flag} takes a whole number > 0, not `{value}`"))
}

/// A harness's `main`: exits 2 on a usage error, 1 when the run could not be made or found a
/// fault (`run` answers false), 0 otherwise.
pub fn harness_main<O>(name: &str, options: Result<O, String>, run: impl FnOnce(&O) -> Result<bool, String>) {
    let options = match options {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{name}: {message}");
            std::process::exit(2);
        }
    };
    match run(&options) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(message) => {
            eprintln!("{name}: {message}");
            std::process::exit(1);
        }
    }
}
