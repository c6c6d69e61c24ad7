//! Shared by the tests that run `bpel serve` in process: a raw HTTP/1.1 client over a real
//! loopback socket, a partner that counts the calls it gets, and a store that fails on demand.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bpel_engine::store::{Batch, Recovered, SavedCall, SavedInstance, Store, StoreError};

pub const SHOP: &str = "http://example.com/bpel/examples/shop";
pub const TOKEN: &str = "test-token";

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh, empty folder under the system's temp folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpel-engine-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies an example's files into `dir`, passing the process text through `edit`.
pub fn example_into(example: &str, dir: &Path, edit: impl Fn(String) -> String) {
    for entry in std::fs::read_dir(workspace().join("examples").join(example)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        match path.extension().and_then(|e| e.to_str()) {
            Some("bpel") => std::fs::write(dir.join(name), edit(std::fs::read_to_string(&path).unwrap())).unwrap(),
            Some("wsdl" | "xsd") => {
                std::fs::copy(&path, dir.join(name)).unwrap();
            }
            _ => {}
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// One request on a fresh connection (`Connection: close`); the whole answer.
pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut bytes =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len())
            .into_bytes();
    for (name, value) in headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let bytes = answer[head_end..].to_vec();
    Response { status, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
}

/// A SOAP 1.1 request with `body` inside the envelope's body.
pub fn soap(port: u16, path: &str, action: &str, body: &str) -> Response {
    let envelope = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    );
    let action = format!("\"{action}\"");
    request(port, "POST", path, &[("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", &action)], envelope.as_bytes())
}

pub fn admin(port: u16, method: &str, path: &str, body: &[u8]) -> Response {
    let auth = format!("Bearer {TOKEN}");
    request(port, method, path, &[("Authorization", &auth)], body)
}

pub fn place_order(port: u16, id: u32) -> Response {
    soap(
        port,
        "/shop",
        &format!("{SHOP}/placeOrder"),
        &format!(
            r#"<s:placeOrder xmlns:s="{SHOP}"><s:orderId>{id}</s:orderId><s:customer>Ada</s:customer><s:amount>1</s:amount></s:placeOrder>"#
        ),
    )
}

pub fn confirm_payment(port: u16, id: u32) -> Response {
    soap(
        port,
        "/shop",
        &format!("{SHOP}/confirmPayment"),
        &format!(
            r#"<s:confirmPayment xmlns:s="{SHOP}"><s:orderId>{id}</s:orderId><s:paymentReference>P-{id}</s:paymentReference></s:confirmPayment>"#
        ),
    )
}

/// Waits until `check` holds, up to `limit`.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A partner on loopback that counts the requests it gets and answers each with `200 OK` and a
/// fixed body, once `hold` is off.
pub struct CountingPartner {
    pub port: u16,
    pub calls: Arc<AtomicUsize>,
    pub hold: Arc<AtomicBool>,
}

impl CountingPartner {
    /// Answers at once with an empty body (for one-way calls).
    pub fn start() -> CountingPartner {
        CountingPartner::answering(String::new())
    }

    /// Answers with `body` (a SOAP envelope, or nothing).
    pub fn answering(body: String) -> CountingPartner {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(AtomicUsize::new(0));
        let hold = Arc::new(AtomicBool::new(false));
        let (counter, held) = (calls.clone(), hold.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if read_request(&mut stream) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                while held.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let head =
                    format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(format!("{head}{body}").as_bytes());
            }
        });
        CountingPartner { port, calls, hold }
    }

    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Reads one request's head and its `Content-Length` bytes of body. False if it did not come whole.
fn read_request(stream: &mut TcpStream) -> bool {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length =
                head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
            if data.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return false,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A durable store in memory whose commits (and, separately, reads) fail while a switch is on.
#[derive(Default)]
pub struct FlakyStore {
    instances: Mutex<BTreeMap<u64, SavedInstance>>,
    calls: Mutex<BTreeMap<(u64, u64), SavedCall>>,
    pub fail_commits: AtomicBool,
    pub fail_loads: AtomicBool,
    pub failed_commits: AtomicUsize,
}

impl FlakyStore {
    pub fn instance_ids(&self) -> Vec<u64> {
        self.instances.lock().unwrap().keys().copied().collect()
    }

    pub fn fail_commits(&self, on: bool) {
        self.fail_commits.store(on, Ordering::SeqCst);
    }
}

impl Store for FlakyStore {
    fn recover(&self) -> Result<Recovered, StoreError> {
        Ok(Recovered {
            instances: self.instances.lock().unwrap().values().cloned().collect(),
            calls: self.calls.lock().unwrap().values().cloned().collect(),
            ..Recovered::default()
        })
    }

    fn load(&self, id: u64) -> Result<Option<SavedInstance>, StoreError> {
        if self.fail_loads.load(Ordering::SeqCst) {
            return Err(StoreError::Failed("the disk cannot be read (test switch)".into()));
        }
        Ok(self.instances.lock().unwrap().get(&id).cloned())
    }

    fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        if self.fail_commits.load(Ordering::SeqCst) {
            self.failed_commits.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Failed("the disk is full (test switch)".into()));
        }
        let mut instances = self.instances.lock().unwrap();
        let mut calls = self.calls.lock().unwrap();
        for saved in &batch.save {
            instances.insert(saved.id, saved.clone());
        }
        for call in &batch.calls_made {
            calls.insert((call.instance, call.request), call.clone());
        }
        for key in &batch.calls_answered {
            calls.remove(key);
        }
        for id in &batch.delete {
            // its calls stay until answered, as in the redb store
            instances.remove(id);
        }
        Ok(())
    }

    fn durable(&self) -> bool {
        true
    }
}
