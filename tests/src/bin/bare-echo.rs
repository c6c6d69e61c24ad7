//! The load baseline for `bpel serve`: betsy's echo service (`startProcessSync(x)` answers `x`) as
//! a bare hyper server, with nothing of a process engine in between. `bench/serve.sh` compares the
//! engine against it: this is the ceiling on this machine.
//!
//!   bare-echo --port N      (127.0.0.1:N; 0 picks a free port)
//!
//! Prints exactly one line, `listening on http://127.0.0.1:PORT`, then answers every POST (any
//! path) whose SOAP 1.1 body holds one element with the text of that element, inside
//! `{…/testinterface}testElementSyncResponse`. The body is read with quick-xml's namespace-aware
//! reader. A body that is not such an envelope gets 400 and a `soapenv:Client` fault. Multi-threaded
//! tokio runtime (one worker per core), HTTP/1.1 with keep-alive.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const TESTINTERFACE_NS: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface";
const MAX_BODY: usize = 1 << 20;

fn main() {
    let port = match parse_args(std::env::args().skip(1)) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("bare-echo: {message}\nusage: bare-echo --port N   (0 picks a free port)");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bare-echo: cannot start the tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(serve(port)) {
        eprintln!("bare-echo: {error}");
        std::process::exit(1);
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<u16, String> {
    let mut port = None;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" => args.next().ok_or("--port needs a value")?,
            other if other.starts_with("--port=") => other["--port=".len()..].to_string(),
            "-h" | "--help" => return Err("an echo SOAP service on 127.0.0.1, the load baseline of bench/serve.sh".to_string()),
            other => return Err(format!("unknown argument {other}")),
        };
        port = Some(value.parse::<u16>().map_err(|_| format!("--port {value}: not a port number"))?);
    }
    port.ok_or_else(|| "--port is required".to_string())
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let address = listener.local_addr()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")?;
        stdout.flush()?;
    }
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                eprintln!("bare-echo: accept: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service_fn(handle)).await;
        });
    }
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST {
        return Ok(respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "POST a SOAP 1.1 request\n".to_string()));
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return Ok(fault(&format!("cannot read the request: {error}"))),
    };
    Ok(match echo_text(&body) {
        Ok(text) => respond(
            StatusCode::OK,
            "text/xml; charset=utf-8",
            envelope(&format!(r#"<testElementSyncResponse xmlns="{TESTINTERFACE_NS}">{text}</testElementSyncResponse>"#)),
        ),
        Err(message) => fault(&message),
    })
}

/// The text (still escaped, so it can be written back as it is) of the element inside
/// `soapenv:Body`, trimmed.
fn echo_text(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|error| format!("the request is not UTF-8: {error}"))?;
    let mut reader = NsReader::from_str(text);
    let mut depth = 0usize;
    let mut in_body = false;
    let mut element_depth = None;
    let mut out = String::new();
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|error| format!("not well-formed XML: {error}"))?;
        let soap = matches!(namespace, ResolveResult::Bound(ns) if ns.as_ref() == SOAP_ENV_NS);
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth == 1 && !(soap && start.local_name().as_ref() == "Envelope") {
                    return Err("the request is not a SOAP 1.1 envelope".to_string());
                }
                if depth == 2 && soap && start.local_name().as_ref() == "Body" {
                    in_body = true;
                } else if in_body && depth == 3 && element_depth.is_none() {
                    element_depth = Some(depth);
                }
            }
            Event::Empty(_) => {
                if depth == 0 {
                    return Err("the request is not a SOAP 1.1 envelope".to_string());
                }
                if in_body && depth == 2 && element_depth.is_none() {
                    return Ok(String::new());
                }
            }
            Event::End(_) => {
                if element_depth == Some(depth) {
                    return Ok(out.trim().to_string());
                }
                if in_body && depth == 2 {
                    return Err("the SOAP Body holds no element".to_string());
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(content) if element_depth.is_some() => {
                out.push_str(&content);
            }
            Event::GeneralRef(reference) if element_depth.is_some() => {
                out.push('&');
                out.push_str(&reference);
                out.push(';');
            }
            Event::CData(data) if element_depth.is_some() => {
                for c in data.chars() {
                    match c {
                        '<' => out.push_str("&lt;"),
                        '&' => out.push_str("&amp;"),
                        '>' => out.push_str("&gt;"),
                        c => out.push(c),
                    }
                }
            }
            Event::Eof => return Err("no element inside a SOAP Body".to_string()),
            _ => {}
        }
    }
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn fault(message: &str) -> Response<Full<Bytes>> {
    let message = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    respond(
        StatusCode::BAD_REQUEST,
        "text/xml; charset=utf-8",
        envelope(&format!("<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>{message}</faultstring></soapenv:Fault>")),
    )
}

fn respond(status: StatusCode, content_type: &'static str, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}
