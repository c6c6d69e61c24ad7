//! The betsy conformance runner over HTTP: every test deployed as betsy deploys it (README §3.4:
//! one flat folder, `../` stripped, `ENDPOINT_URL` and `PARTNER_IP_AND_PORT` filled in), served by
//! a real `bpel serve` child process, with betsy's test partner as a real SOAP server
//! ([`TestPartner`]) on loopback, the SOAP requests of README §3.2 sent over a plain TCP socket and
//! judged by betsy's rules (README §3.3) exactly as the in-process runner ([`crate::betsy`]) judges
//! them, 15 s per request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bpel_engine::xml::XmlElement;
use serde_json::Value as Json;

use crate::betsy::{check_value, Case, Outcome};
use crate::partner::TestPartner;

const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// betsy's soapUI timeout per request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(15_000);
/// How long `bpel serve` may take to say where it listens.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long connecting to loopback may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `bpel serve --request-timeout`: longer than the client's, so the client gives up first.
const SERVER_REQUEST_TIMEOUT_S: u64 = 20;

/// Runs one betsy test over HTTP against a fresh `bpel serve` (the binary at `bpel_binary`) with a
/// fresh test partner. Everything started is stopped again, also when the test fails.
pub fn run_http(bpel_binary: &Path, betsy: &Path, case: &Case) -> Outcome {
    match run_inner(bpel_binary, betsy, case) {
        Ok(()) => Outcome { passed: true, reason: String::new() },
        Err(reason) => Outcome { passed: false, reason },
    }
}

fn run_inner(bpel_binary: &Path, betsy: &Path, case: &Case) -> Result<(), String> {
    let partner = TestPartner::start().map_err(|e| format!("cannot start the test partner: {e}"))?;
    let dir = TempDir::new(&case.name)?;
    package(betsy, case, &dir.0, &partner.ip_and_port())?;
    let mut server = Server::start(bpel_binary, &dir.0)?;
    let endpoint_path = format!("/{}TestInterface", case.name);
    let test_cases = case.json["test_cases"].as_array().cloned().unwrap_or_default();
    for test_case in &test_cases {
        let number = test_case["number"].as_i64().unwrap_or(0);
        for step in test_case["steps"].as_array().cloned().unwrap_or_default() {
            if let Err(why) = run_step(&mut server, &partner, &endpoint_path, &step) {
                return Err(format!("TC{number}: {}: {why}", step["summary"].as_str().unwrap_or("step")));
            }
        }
    }
    // the server is killed before the partner stops (fields drop after this body; be explicit)
    drop(server);
    drop(partner);
    drop(dir);
    Ok(())
}

/// README §3.4: the .bpel and its deployment files in one flat folder, every `../` removed,
/// `ENDPOINT_URL` and `PARTNER_IP_AND_PORT` filled in.
fn package(betsy: &Path, case: &Case, dir: &Path, partner: &str) -> Result<(), String> {
    let mut files: Vec<String> = vec![case.bpel_path.clone()];
    files.extend(case.json["deployment_files"].as_array().into_iter().flatten().filter_map(|f| f.as_str()).map(str::to_string));
    // Scope-FaultHandlers-Invoke imports TestPartner.wsdl although its builder does not list it
    // (README §8 item 5; its notes say to provide it)
    let bpel_text = std::fs::read_to_string(betsy.join(&case.bpel_path)).map_err(|e| format!("cannot read {}: {e}", case.bpel_path))?;
    if bpel_text.contains("TestPartner.wsdl") && !files.iter().any(|f| f.ends_with("TestPartner.wsdl")) {
        files.push("TestPartner.wsdl".to_string());
    }
    let endpoint = format!("http://127.0.0.1:0/{}TestInterface", case.name);
    for file in &files {
        let source = betsy.join(file);
        let text = std::fs::read_to_string(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let text = text.replace("../", "").replace("ENDPOINT_URL", &endpoint).replace("PARTNER_IP_AND_PORT", partner);
        let name = Path::new(file).file_name().ok_or_else(|| format!("bad file name {file}"))?;
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    }
    Ok(())
}

fn run_step(server: &mut Server, partner: &TestPartner, endpoint_path: &str, step: &Json) -> Result<(), String> {
    match step["step"].as_str() {
        Some("checkDeployment") => {
            let response = http(server.address, "GET", &format!("{endpoint_path}?wsdl"), &[], "", REQUEST_TIMEOUT);
            let deployed = matches!(&response, Ok(r) if r.status == 200 && r.body.contains("definitions>"));
            match (step["expect"].as_str(), deployed) {
                (Some("not_deployed"), true) => Err("deployed, but should have been refused".into()),
                (Some("not_deployed"), false) | (_, true) => Ok(()),
                (_, false) => {
                    Err(format!("not deployed: GET {endpoint_path}?wsdl gave {}; server output:\n{}", describe(&response), server.output()))
                }
            }
        }
        Some("wait") => {
            std::thread::sleep(Duration::from_millis(step["ms"].as_u64().unwrap_or(0)));
            Ok(())
        }
        Some("send") if step["service"] == "testPartner" => {
            // README §8 item 2: the partner queries are answered by the partner itself, as the
            // in-process runner does
            let input = step["input"].as_i64().unwrap_or(0);
            check_value(&step["expect"], Some(partner.query(input)), None)
        }
        Some("send") => {
            let envelope = format!(
                "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\">\n   <soapenv:Header/>\n   <soapenv:Body>\n      {}\n   </soapenv:Body>\n</soapenv:Envelope>",
                step["request_body"].as_str().unwrap_or("")
            );
            let action = format!("\"{}\"", step["soap_action"].as_str().unwrap_or(""));
            let headers = [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", action.as_str())];
            let response = http(server.address, "POST", endpoint_path, &headers, &envelope, REQUEST_TIMEOUT);
            judge(step, response)
        }
        other => Err(format!("unknown step {other:?}")),
    }
}

/// Judges a response by betsy's assertions (README §3.3), as `crate::betsy`'s `judge` does.
fn judge(step: &Json, response: Result<HttpResponse, HttpError>) -> Result<(), String> {
    let expect = &step["expect"];
    if step["one_way"].as_bool().unwrap_or(false) {
        let status = expect["http_status"].as_u64().unwrap_or(202);
        return match response {
            Ok(r) if u64::from(r.status) == status => Ok(()),
            other => Err(format!("expected HTTP {status}, got {}", describe(&other))),
        };
    }
    if expect["exit"] == true {
        return match response {
            Err(HttpError::Timeout | HttpError::NoResponse(_)) => Ok(()),
            Err(HttpError::Other(e)) => Err(format!("request failed: {e}")),
            Ok(r) if r.status == 200 && r.body.trim().is_empty() => Ok(()),
            Ok(r) if r.status == 500 => Ok(()),
            Ok(r)
                if ["processTerminated", "terminating the process instance", "process instance is being terminated"]
                    .iter()
                    .any(|t| r.raw.contains(t)) =>
            {
                Ok(())
            }
            Ok(r) => Err(format!("a normal reply came back (process instance still active): {}", r.summary())),
        };
    }
    // `output_string: "unchecked"` is cases.json's "value not checked"
    let only_no_fault =
        expect.as_object().is_some_and(|o| o.iter().all(|(k, v)| k == "no_soap_fault" || (k == "output_string" && v == "unchecked")));
    let response = match response {
        Ok(r) => r,
        Err(HttpError::Timeout) if only_no_fault => return Ok(()),
        Err(HttpError::Timeout) => return Err("no reply within 15 s".into()),
        Err(e) => return Err(format!("no reply: {}", e.describe())),
    };
    let soap_body = soap_body(&response.body);
    if let Some(token) = expect["fault_contains"].as_str() {
        let fault = soap_body.as_ref().ok().and_then(|b| b.child_elements().find(|c| c.is(Some(SOAP_ENV_NS), "Fault")).cloned());
        let Some(fault) = fault.filter(|_| response.status == 500) else {
            return Err(format!("expected a SOAP fault containing `{token}`, got {}", response.summary()));
        };
        if !response.raw.contains(token) {
            return Err(format!("the fault does not contain `{token}`: {}", response.summary()));
        }
        if let Some(output) = expect["output"].as_i64() {
            let detail = fault.child_elements().find(|c| c.local == "detail");
            let value = detail.and_then(|d| {
                d.string_value()
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .or_else(|| d.child_elements().next().and_then(|c| c.string_value().trim().parse().ok()))
            });
            if value != Some(output) {
                return Err(format!("the fault data is {value:?}, expected {output}: {}", response.summary()));
            }
        }
        return Ok(());
    }
    let body = match soap_body {
        Ok(body) => body,
        Err(why) => return Err(format!("not a SOAP response ({why}): {}", response.summary())),
    };
    let first = body.child_elements().next();
    if first.is_some_and(|f| f.is(Some(SOAP_ENV_NS), "Fault")) || response.status != 200 {
        return Err(format!("unexpected fault: {}", response.summary()));
    }
    let text = first.map(|f| f.string_value()).unwrap_or_default();
    check_value(expect, text.trim().parse::<i64>().ok(), Some(&text)).map_err(|why| format!("{why} ({})", response.summary()))
}

/// The soapenv:Body of a SOAP 1.1 envelope.
fn soap_body(text: &str) -> Result<XmlElement, String> {
    let envelope = XmlElement::parse(text).map_err(|e| format!("not XML: {}", e.message))?;
    if !envelope.is(Some(SOAP_ENV_NS), "Envelope") {
        return Err(format!("the root is {}, not a SOAP 1.1 Envelope", envelope.local));
    }
    let body = envelope.child_elements().find(|c| c.is(Some(SOAP_ENV_NS), "Body")).cloned();
    body.ok_or_else(|| "the envelope has no Body".to_string())
}

// ---------------------------------------------------------------------------------------------
// the server child process

/// A running `bpel serve`; killed (and waited for) when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    output: Arc<Mutex<String>>,
}

impl Server {
    fn start(bpel_binary: &Path, dir: &Path) -> Result<Server, String> {
        let mut child = Command::new(bpel_binary)
            .arg("serve")
            .arg(dir)
            .args(["--port", "0", "--in-memory", "--request-timeout", &SERVER_REQUEST_TIMEOUT_S.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bpel_binary.display()))?;
        let output = Arc::new(Mutex::new(String::new()));
        let (lines, listening) = mpsc::channel::<String>();
        // both pipes are drained for the whole life of the child, so it never blocks on a full pipe
        if let Some(stdout) = child.stdout.take() {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    push_line(&output, &line);
                    let _ = lines.send(line);
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    push_line(&output, &line);
                }
            });
        }
        let mut server = Server { child, address: SocketAddr::from(([127, 0, 0, 1], 0)), output };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match listening.recv_timeout(left) {
                Ok(line) => {
                    if let Some(address) = line.split("listening on http://").nth(1) {
                        let address = address.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
                        server.address = address.parse().map_err(|e| format!("bad address in `{line}`: {e}"))?;
                        return Ok(server);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "bpel serve did not say where it listens within {STARTUP_TIMEOUT:?}; output:\n{}",
                        server.output()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                    std::thread::sleep(Duration::from_millis(50)); // let the stderr reader finish
                    return Err(format!("bpel serve exited ({status}) before listening; output:\n{}", server.output()));
                }
            }
        }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn push_line(output: &Mutex<String>, line: &str) {
    let mut output = output.lock().unwrap_or_else(|p| p.into_inner());
    // enough for a diagnosis, bounded
    if output.len() < 64 * 1024 {
        output.push_str(line);
        output.push('\n');
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh folder under the system's temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<TempDir, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("bpel-betsy-http-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// a minimal HTTP/1.1 client (one request per connection)

pub struct HttpResponse {
    pub status: u16,
    /// The decoded body.
    pub body: String,
    /// Status line, headers and decoded body: what soapUI's "Contains" sees.
    pub raw: String,
}

impl HttpResponse {
    fn summary(&self) -> String {
        format!("HTTP {}: {}", self.status, shorten(&self.body, 600))
    }
}

pub enum HttpError {
    /// Nothing (complete) came back within the timeout.
    Timeout,
    /// The connection closed (or was reset) without a complete response.
    NoResponse(String),
    /// Could not connect, or could not send.
    Other(String),
}

impl HttpError {
    fn describe(&self) -> String {
        match self {
            HttpError::Timeout => "timed out".into(),
            HttpError::NoResponse(why) => format!("no response ({why})"),
            HttpError::Other(why) => why.clone(),
        }
    }
}

fn describe(response: &Result<HttpResponse, HttpError>) -> String {
    match response {
        Ok(r) => r.summary(),
        Err(e) => e.describe(),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// One request with `Connection: close`; the whole exchange must end within `timeout`.
pub fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Result<HttpResponse, HttpError> {
    let deadline = Instant::now() + timeout;
    let mut stream =
        TcpStream::connect_timeout(&address, CONNECT_TIMEOUT).map_err(|e| HttpError::Other(format!("cannot connect to {address}: {e}")))?;
    let _ = stream.set_nodelay(true);
    stream.set_write_timeout(Some(timeout)).map_err(|e| HttpError::Other(e.to_string()))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).map_err(|e| HttpError::Other(format!("cannot send: {e}")))?;
    let _ = stream.flush();

    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if let Some(response) = parse_response(&received, false) {
            return Ok(response);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        stream.set_read_timeout(Some(left)).map_err(|e| HttpError::Other(e.to_string()))?;
        match stream.read(&mut buffer) {
            Ok(0) => {
                return parse_response(&received, true).ok_or_else(|| {
                    HttpError::NoResponse(if received.is_empty() {
                        "the connection closed with nothing sent".into()
                    } else {
                        format!("the connection closed mid-response: {}", shorten(&String::from_utf8_lossy(&received), 300))
                    })
                });
            }
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return Err(HttpError::Timeout),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return parse_response(&received, true).ok_or_else(|| HttpError::NoResponse(format!("read failed: {e}")));
            }
        }
    }
}

/// A complete response in `data`, or `None` while it is incomplete (`eof`: the peer closed, so a
/// body without a length ends here).
fn parse_response(data: &[u8], eof: bool) -> Option<HttpResponse> {
    let head_end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let rest = &data[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
    }
    let body: Vec<u8> = if (100..200).contains(&status) {
        // an interim response (100 Continue): skip it
        return parse_response(rest, eof);
    } else if status == 204 || status == 304 {
        Vec::new()
    } else if chunked {
        match dechunk(rest) {
            Some(body) => body,
            None if eof => rest.to_vec(),
            None => return None,
        }
    } else if let Some(length) = length {
        if rest.len() < length {
            if eof {
                rest.to_vec()
            } else {
                return None;
            }
        } else {
            rest[..length].to_vec()
        }
    } else if eof {
        rest.to_vec()
    } else {
        return None;
    };
    let body = String::from_utf8_lossy(&body).to_string();
    let raw = format!("{head}\r\n\r\n{body}");
    Some(HttpResponse { status, body, raw })
}

/// The body of a complete chunked transfer, or `None` while incomplete.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        if data.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "abc"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc", false).is_none());
        let r = parse_response(b"HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", false).unwrap();
        assert_eq!((r.status, r.body.as_str()), (500, "abcde"));
        let r = parse_response(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n", false).unwrap();
        assert_eq!((r.status, r.body.as_str()), (202, ""));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", false).is_none());
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", true).unwrap().body, "abc");
    }
}
