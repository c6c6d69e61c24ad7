//! Admin endpoints (they need the token given with `--admin-token`, as `Authorization: Bearer
//! TOKEN`):
//!
//! | request | answer |
//! |---|---|
//! | `GET /admin/instances` | JSON list: id, process, status, summary, what it waits for |
//! | `GET /admin/instances/{id}` | JSON: the id and `exec::inspect::InstanceReport` (tasklets with their activity and waits, variables, open requests, timers, trace) |
//! | `GET /admin/instances/{id}/checkpoint` | the instance as a checkpoint file |
//! | `POST /admin/instances/{id}/terminate` | terminates it (as `exit` would) |
//! | `POST /admin/restore?process=NAME` (body: a checkpoint file) | JSON: the new instance's id |

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::oneshot;

use super::router::Router;
use super::shard::{Admin, AdminError, Command, InstanceSummary};
use crate::exec::{Deployed, InstanceId, ProcessId};

/// What the admin endpoints need of the server (the server builds one per admin request).
pub struct AdminState<'a> {
    pub token: Option<&'a str>,
    pub processes: &'a [Arc<Deployed>],
    pub router: &'a Router,
    pub(super) shards: &'a [Mutex<Sender<Command>>],
}

impl AdminState<'_> {
    pub fn ask(&self, shard: usize, admin: Admin) -> bool {
        self.shards.get(shard).and_then(|s| s.lock().ok()).is_some_and(|s| s.send(Command::Admin(admin)).is_ok())
    }

    pub fn shards(&self) -> usize {
        self.shards.len()
    }
}

/// Lists every shard's instances.
pub async fn list(admin: &AdminState<'_>) -> Vec<InstanceSummary> {
    let mut out = Vec::new();
    for shard in 0..admin.shards() {
        let (respond, answer) = oneshot::channel();
        if admin.ask(shard, Admin::List(respond)) {
            if let Ok(list) = answer.await {
                out.extend(list);
            }
        }
    }
    out.sort_by_key(|s| s.id);
    out
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn json(value: &serde_json::Value) -> Reply {
    reply(StatusCode::OK, "application/json", value.to_string())
}

fn error(status: StatusCode, message: &str) -> Reply {
    reply(status, "application/json", serde_json::json!({ "error": message }).to_string())
}

/// Compares without an early exit, so the time taken does not tell how much of a guess was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn handle(admin: AdminState<'_>, request: Request<Incoming>) -> Reply {
    let Some(token) = admin.token else {
        return error(StatusCode::NOT_FOUND, "the admin endpoints are off: start the server with --admin-token");
    };
    let given = request.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same(g.trim(), token)) {
        return error(StatusCode::UNAUTHORIZED, "the admin endpoints need `Authorization: Bearer TOKEN`");
    }
    let path = request.uri().path().trim_end_matches('/').to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = request.method().clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["admin", "instances"]) => {
            let list = list(&admin).await;
            json(&serde_json::to_value(list).unwrap_or_default())
        }
        (Method::GET, ["admin", "instances", id]) => {
            let Some(id) = instance(id) else { return error(StatusCode::BAD_REQUEST, "an instance id is a number") };
            let (respond, answer) = oneshot::channel();
            if !admin.ask(admin.router.shard_of(id), Admin::Inspect(id, respond)) {
                return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
            }
            match answer.await {
                Ok(Some(report)) => {
                    let mut body = serde_json::to_value(&report).unwrap_or_default();
                    if let Some(fields) = body.as_object_mut() {
                        fields.insert("id".into(), id.0.into());
                    }
                    json(&body)
                }
                _ => error(StatusCode::NOT_FOUND, "no such instance"),
            }
        }
        (Method::GET, ["admin", "instances", id, "checkpoint"]) => {
            let Some(id) = instance(id) else { return error(StatusCode::BAD_REQUEST, "an instance id is a number") };
            let (respond, answer) = oneshot::channel();
            if !admin.ask(admin.router.shard_of(id), Admin::Checkpoint(id, respond)) {
                return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
            }
            match answer.await {
                Ok(Some(Ok(bytes))) => reply(StatusCode::OK, "application/octet-stream", bytes),
                Ok(Some(Err(message))) => error(StatusCode::INTERNAL_SERVER_ERROR, &message),
                _ => error(StatusCode::NOT_FOUND, "no such instance"),
            }
        }
        (Method::POST, ["admin", "instances", id, "terminate"]) => {
            let Some(id) = instance(id) else { return error(StatusCode::BAD_REQUEST, "an instance id is a number") };
            let (respond, answer) = oneshot::channel();
            if !admin.ask(admin.router.shard_of(id), Admin::Terminate(id, respond)) {
                return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
            }
            match answer.await {
                Ok(Ok(true)) => json(&serde_json::json!({ "terminated": id.0 })),
                Ok(Ok(false)) => error(StatusCode::NOT_FOUND, "no such running instance"),
                Ok(Err(why)) => error(StatusCode::INTERNAL_SERVER_ERROR, &why.to_string()),
                Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping"),
            }
        }
        (Method::POST, ["admin", "restore"]) => {
            let name = query.split('&').find_map(|kv| kv.strip_prefix("process=")).unwrap_or("");
            let Some(process) = admin.processes.iter().position(|p| p.name() == name) else {
                return error(StatusCode::BAD_REQUEST, "name a deployed process: /admin/restore?process=NAME");
            };
            let Ok(body) = Limited::new(request.into_body(), 256 * 1024 * 1024).collect().await else {
                return error(StatusCode::PAYLOAD_TOO_LARGE, "the checkpoint is too large");
            };
            let (respond, answer) = oneshot::channel();
            // a restored instance gets a new id on the first shard
            if !admin.ask(0, Admin::Restore(ProcessId(process), body.to_bytes().to_vec(), respond)) {
                return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
            }
            match answer.await {
                Ok(Ok(id)) => json(&serde_json::json!({ "restored": id.0 })),
                Ok(Err(AdminError::Refused(why))) => error(StatusCode::BAD_REQUEST, &format!("the checkpoint is refused: {why}")),
                Ok(Err(AdminError::NotDurable(why))) => error(StatusCode::INTERNAL_SERVER_ERROR, &why),
                Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "unknown admin request: see GET /admin/instances"),
    }
}

fn instance(text: &str) -> Option<InstanceId> {
    text.parse().ok().map(InstanceId)
}
