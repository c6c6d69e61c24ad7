//! Shared by the tests that start `bpel serve`: the server as a child process (killed when dropped)
//! and a raw HTTP/1.1 client over a real loopback socket.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh, empty folder under the system's temp folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpel-{name}-{}-{:?}", std::process::id(), std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `bpel serve ARGS...`, running until dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Everything it printed so far.
    pub output: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bpel"))
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bpel serve");
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    output.lock().unwrap().push_str(&format!("{line}\n"));
                    if let Some(address) = line.strip_prefix("listening on http://") {
                        let _ = tx.send(address.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()));
                    }
                }
            });
        }
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    output.lock().unwrap().push_str(&format!("stderr: {line}\n"));
                }
            });
        }
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(port)) => port,
            _ => {
                let _ = child.kill();
                panic!("bpel serve did not start:\n{}", output.lock().unwrap());
            }
        };
        Server { child, port, output }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn post(&self, path: &str, soap_action: &str, body: &str) -> Response {
        post(self.port, path, soap_action, body)
    }

    /// `kill -9`.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The body as bytes (for binary answers such as checkpoint files).
    pub bytes: Vec<u8>,
}

/// Sends raw bytes, reads the whole answer (the request says `Connection: close`).
pub fn raw(port: u16, request: &[u8]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    // the server may answer (and close) before the whole request is written: that is fine
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let bytes = answer[head_end..].to_vec();
    Ok(Response { status, body: String::from_utf8_lossy(&bytes).into_owned(), bytes })
}

pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    request_bytes(port, method, path, headers, body.as_bytes())
}

pub fn request_bytes(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut bytes =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len())
            .into_bytes();
    for (name, value) in headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    raw(port, &bytes).unwrap_or(Response { status: 0, body: String::new(), bytes: Vec::new() })
}

pub fn post(port: u16, path: &str, soap_action: &str, body: &str) -> Response {
    let action = format!("\"{soap_action}\"");
    request(port, "POST", path, &[("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", &action)], body)
}

pub fn envelope(body: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

/// Waits until `check` holds, up to `limit`.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}
