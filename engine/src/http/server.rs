//! `bpel serve`: every process of a folder served over HTTP/SOAP 1.1 (the HTTP contract of
//! DESIGN.md). The tokio runtime does I/O only; instances live in shards ([`super::shard`]), each a
//! thread of its own; the store makes each batch of work durable before its replies leave.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;

use super::admin::AdminState;
use super::client::{CallTimeouts, HttpPartners};
use super::router::Router;
use super::shard::{Answer, Command, Partners, Shard};
use crate::check::deployment::Deployment;
use crate::diagnostic::Diagnostic;
use crate::exec::{DeployError, Deployed, Engine, InstanceId, Invocation, ProcessId};
use crate::fault::Fault;
use crate::soap::{self, BoundOperation, SoapFault};
use crate::store::{MemoryStore, RedbStore, Store, StoreError};
use crate::xml::Value;

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub dir: PathBuf,
    pub bind: IpAddr,
    /// 0: any free port.
    pub port: u16,
    /// `None`: in memory only.
    pub store: Option<PathBuf>,
    pub shards: usize,
    /// Partner link name → address, for every process (over the WSDL's and deploy.xml's).
    pub partners: BTreeMap<String, String>,
    /// Admin endpoints need this token (`Authorization: Bearer TOKEN`); `None`: admin is off.
    pub admin_token: Option<String>,
    pub max_body: usize,
    /// How long a request waits for the process's reply.
    pub request_timeout: Duration,
    /// How long a partner call waits for the partner's whole answer, unless `partner_timeouts`
    /// names its partner link. Shorter than `request_timeout`, so that a caller whose request
    /// waits on a silent partner gets the partner's fault (or the process's handling of it).
    pub invoke_timeout: Duration,
    /// Partner link name → how long its calls wait, for every process.
    pub partner_timeouts: BTreeMap<String, Duration>,
    /// An instance that waits this long for a message or a timer leaves memory (it is in the
    /// store) and is read back when one comes. `None`: instances stay in memory. Needs a store.
    pub idle_evict: Option<Duration>,
}

/// How long a partner call waits by default.
pub const DEFAULT_INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

impl ServeConfig {
    pub fn new(dir: impl Into<PathBuf>) -> ServeConfig {
        ServeConfig {
            dir: dir.into(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            store: None,
            // half the cores own instances, the other half do I/O: measured on 2 cores, one shard
            // beside two I/O threads serves about 20 % more than two (less switching between threads)
            shards: std::thread::available_parallelism().map_or(1, |n| n.get() / 2).max(1),
            partners: BTreeMap::new(),
            admin_token: None,
            max_body: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            invoke_timeout: DEFAULT_INVOKE_TIMEOUT,
            partner_timeouts: BTreeMap::new(),
            idle_evict: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {address}: {source}")]
    Bind { address: SocketAddr, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(std::io::Error),
}

/// A process that was deployed, and where.
#[derive(Clone, Debug)]
pub struct Served {
    pub name: String,
    pub path: PathBuf,
    pub endpoints: Vec<String>,
}

/// A process that was refused, and why.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub reason: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// A running server.
pub struct Running {
    pub address: SocketAddr,
    pub served: Vec<Served>,
    pub refused: Vec<Refused>,
    /// Instances found in the store and carried on.
    pub recovered: usize,
    /// Notes about recovery (instances that could not be restored, and why).
    pub notes: Vec<String>,
    /// What the folders' `deploy.xml` files contradict or leave out, in `deployment_sources`.
    pub deployment_diagnostics: Vec<Diagnostic>,
    pub deployment_sources: crate::source::Sources,
    /// Whether the admin endpoints are on.
    pub admin: bool,
    runtime: Option<tokio::runtime::Runtime>,
    shards: Vec<Sender<Command>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    stop: Option<oneshot::Sender<()>>,
}

/// One SOAP endpoint: a path served for a process's partner link.
struct Route {
    process: ProcessId,
    partner_link: String,
    operations: Vec<BoundOperation>,
    /// The WSDL text that defines the service, served at `?wsdl`.
    wsdl: Option<Arc<str>>,
}

struct State {
    routes: BTreeMap<String, Route>,
    processes: Vec<Arc<Deployed>>,
    shards: Vec<Mutex<Sender<Command>>>,
    router: Arc<Router>,
    config: ServeConfig,
    address: SocketAddr,
}

impl Running {
    /// Blocks until Ctrl-C (or [`Running::shutdown`] from another thread through the stop handle).
    pub fn wait(mut self) {
        if let Some(runtime) = &self.runtime {
            let stop = self.stop.take();
            runtime.block_on(async move {
                let _ = tokio::signal::ctrl_c().await;
                drop(stop);
            });
        }
        self.shutdown();
    }

    /// Stops serving, lets the shards finish their batch, and returns.
    pub fn shutdown(&mut self) {
        drop(self.stop.take());
        for shard in &self.shards {
            let _ = shard.send(Command::Stop);
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Deploys the folder, recovers the store's instances, binds and serves (in background threads).
pub fn start(config: ServeConfig) -> Result<Running, ServeError> {
    let store: Arc<dyn Store> = match &config.store {
        Some(path) => Arc::new(RedbStore::open(path)?),
        None => Arc::new(MemoryStore::default()),
    };
    start_with_store(config, store)
}

/// [`start`] with a store of the caller's choosing (`config.store` is not looked at): another
/// [`Store`] implementation, or one that fails on demand in a test.
pub fn start_with_store(config: ServeConfig, store: Arc<dyn Store>) -> Result<Running, ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bpel-io").build().map_err(ServeError::Runtime)?;
    let requested = SocketAddr::new(config.bind, config.port);
    let listener =
        runtime.block_on(tokio::net::TcpListener::bind(requested)).map_err(|source| ServeError::Bind { address: requested, source })?;
    let address = listener.local_addr().map_err(|source| ServeError::Bind { address: requested, source })?;

    let (files, unreadable) = crate::check::process_files(std::slice::from_ref(&config.dir));
    if let Some((path, source)) = unreadable.into_iter().next() {
        return Err(ServeError::Folder { path, source });
    }
    let mut processes: Vec<Arc<Deployed>> = Vec::new();
    let mut served = Vec::new();
    let mut refused = Vec::new();
    let mut routes: BTreeMap<String, Route> = BTreeMap::new();
    let mut overrides: Vec<BTreeMap<String, String>> = Vec::new();
    let mut loaded: Vec<(PathBuf, Deployed)> = Vec::new();
    for path in files {
        match Deployed::load(&path) {
            Ok(deployed) => loaded.push((path, deployed)),
            Err(DeployError::Invalid { diagnostics, .. }) => {
                refused.push(Refused { path, reason: "it has errors".to_string(), diagnostics });
            }
            Err(DeployError::Io { source, .. }) => refused.push(Refused { path, reason: source.to_string(), diagnostics: Vec::new() }),
        }
    }
    // Each folder's deploy.xml, read once and checked against the folder's processes (those
    // refused for their errors included, read again as far as they go, so that the descriptor's
    // entry for one of them is not taken for a process that does not exist).
    let mut deployment_loader = crate::parse::Loader::new();
    let invalid: Vec<crate::parse::ProcessUnit> = refused
        .iter()
        .filter(|r| !r.diagnostics.is_empty())
        .filter_map(|r| crate::parse::load_process(&mut deployment_loader, &r.path).ok())
        .collect();
    let mut deployments: BTreeMap<PathBuf, Deployment> = BTreeMap::new();
    let folders: std::collections::BTreeSet<PathBuf> =
        loaded.iter().map(|(path, _)| folder_of(path)).chain(invalid.iter().map(|unit| folder_of(&unit.path))).collect();
    for folder in folders {
        let units: Vec<&crate::parse::ProcessUnit> = loaded
            .iter()
            .map(|(_, deployed)| &deployed.unit)
            .chain(invalid.iter())
            .filter(|unit| folder_of(&unit.path) == folder)
            .collect();
        match crate::check::deployment::deployment(&mut deployment_loader, &folder, &units) {
            Ok(Some(deployment)) => {
                deployments.insert(folder, deployment);
            }
            Ok(None) => {}
            Err(source) => return Err(ServeError::Folder { path: folder.join(crate::parse::deploy_xml::FILE_NAME), source }),
        }
    }
    let deployment_diagnostics: Vec<Diagnostic> = deployments.values().flat_map(|d| d.diagnostics.iter().cloned()).collect();
    for (path, mut deployed) in loaded {
        if let Some(deployment) = deployments.get(&folder_of(&path)) {
            let described = deployed.unit.process.as_ref().and_then(|process| deployment.of(process)).cloned();
            let reason = match &described {
                _ if deployment.has_errors() => Some(format!("{} has errors", deployment.path.display())),
                None => Some(format!("{} does not list it, so it is not activated", deployment.path.display())),
                Some(described) if !described.active => Some(format!("{} says <active>false</active>", deployment.path.display())),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                refused.push(Refused { path, reason, diagnostics: Vec::new() });
                continue;
            }
            deployed.deployment = described.unwrap_or_default();
        }
        deployed.base_address = format!("http://{address}");
        let deployed = Arc::new(deployed);
        let id = ProcessId(processes.len());
        let mut endpoints = Vec::new();
        for (route_path, route) in routes_of(&deployed, id) {
            if routes.contains_key(&route_path) {
                refused.push(Refused {
                    path: path.clone(),
                    reason: format!("its endpoint {route_path} is served already by another process"),
                    diagnostics: Vec::new(),
                });
                continue;
            }
            endpoints.push(format!("http://{address}{route_path}"));
            routes.insert(route_path, route);
        }
        let mut partner_addresses: BTreeMap<String, String> =
            deployed.deployment.invokes.iter().filter_map(|(link, port)| Some((link.clone(), port.address.clone()?))).collect();
        partner_addresses.extend(config.partners.clone());
        overrides.push(partner_addresses);
        served.push(Served { name: deployed.name().to_string(), path: path.clone(), endpoints });
        processes.push(deployed);
    }

    let shards_count = config.shards.max(1);
    let router = Arc::new(Router::new(shards_count));
    let mut engines: Vec<Engine> = (0..shards_count)
        .map(|shard| {
            let mut engine = Engine::new();
            engine.keep_finished = false;
            engine.number_instances(router.first_id(shard), shards_count as u64);
            for deployed in &processes {
                engine.deploy_shared(deployed.clone());
            }
            engine
        })
        .collect();

    // carry on with what the store holds
    let recovered_state = store.recover()?;
    let mut notes = Vec::new();
    let mut recovered = 0;
    let highest = recovered_state.instances.iter().map(|i| i.id).max().unwrap_or(0).max(recovered_state.instances_through);
    for engine in &mut engines {
        engine.skip_ids_through(highest);
    }
    for saved in &recovered_state.instances {
        let Some(process) = processes.iter().position(|p| p.hash.0 == saved.definition) else {
            notes.push(format!(
                "instance #{} of `{}` is kept in the store: its process (as it was then) is not deployed",
                saved.id, saved.process
            ));
            continue;
        };
        let id = InstanceId(saved.id);
        let engine = &mut engines[router.shard_of(id)];
        match engine.restore(ProcessId(process), Some(id), &saved.checkpoint) {
            Ok(_) => {
                recovered += 1;
                for (process, set, values) in engine.correlations_of(id) {
                    router.publish(&crate::exec::engine::Correlated { instance: id, process, set, values });
                }
            }
            Err(error) => notes.push(format!("instance #{} of `{}` cannot be restored: {error}", saved.id, saved.process)),
        }
    }

    let (senders, receivers): (Vec<_>, Vec<_>) = (0..shards_count).map(|_| Shard::channel()).unzip();
    let partners = Arc::new(HttpPartners::new(
        runtime.handle().clone(),
        senders.clone(),
        processes.clone(),
        overrides,
        CallTimeouts { default: config.invoke_timeout, by_partner_link: config.partner_timeouts.clone() },
        recovered_state.store_id,
    ));
    let mut threads = Vec::new();
    for (index, (engine, commands)) in engines.into_iter().zip(receivers).enumerate() {
        let mut shard = Shard::new(index, engine, commands, store.clone(), router.clone(), partners.clone() as Arc<dyn Partners>);
        if store.durable() {
            shard.evict_after(config.idle_evict);
        }
        let thread = std::thread::Builder::new().name(format!("bpel-shard-{index}")).spawn(move || shard.run());
        match thread {
            Ok(thread) => threads.push(thread),
            Err(error) => return Err(ServeError::Runtime(error)),
        }
    }
    // calls made before the restart and not answered: again
    for saved in recovered_state.calls {
        match postcard::from_bytes::<Invocation>(&saved.call) {
            Ok(invocation) => partners.resume(router.shard_of(invocation.instance), invocation),
            Err(error) => notes.push(format!("a saved call of instance #{} cannot be read: {error}", saved.instance)),
        }
    }

    let state = Arc::new(State {
        routes,
        processes,
        shards: senders.iter().cloned().map(Mutex::new).collect(),
        router,
        config: config.clone(),
        address,
    });
    let (stop, stopped) = oneshot::channel::<()>();
    runtime.spawn(accept(listener, state, stopped));
    let admin = config.admin_token.is_some();
    Ok(Running {
        address,
        served,
        refused,
        recovered,
        notes,
        deployment_diagnostics,
        deployment_sources: deployment_loader.sources,
        admin,
        runtime: Some(runtime),
        shards: senders,
        threads,
        stop: Some(stop),
    })
}

/// The endpoints of a process: one per SOAP port of each of its myRole port types.
fn routes_of(deployed: &Deployed, id: ProcessId) -> Vec<(String, Route)> {
    let definitions = &deployed.unit.definitions;
    let endpoints = soap::endpoints(definitions);
    let mut out = Vec::new();
    for partner_link in &deployed.decl(deployed.decl_for(crate::exec::PROCESS, crate::exec::deploy::DeclOwner::Scope)).partner_links {
        let Some(port_type) = &partner_link.my_port_type else { continue };
        // deploy.xml's <provide> picks the port; without one, every port of the port type is served
        let provided = deployed.deployment.provides.get(&partner_link.name);
        let chosen = |e: &&soap::Endpoint| match provided {
            Some(port) => e.service == port.service && e.port == port.port,
            None => e.port_type == *port_type,
        };
        for endpoint in endpoints.iter().filter(chosen) {
            let path = url_path(&endpoint.address).unwrap_or_else(|| format!("/{}/{}", deployed.name(), partner_link.name));
            // the WSDL document that defines the service
            let file = definitions.locate(crate::parse::loader::DefinitionKind::Service, &endpoint.service).map(|l| l.file);
            let wsdl = definitions.documents().iter().find(|doc| Some(doc.file) == file).map(|doc| doc.text.clone());
            out.push((
                path,
                Route {
                    process: id,
                    partner_link: partner_link.name.clone(),
                    operations: soap::bound_operations(definitions, &endpoint.binding),
                    wsdl,
                },
            ));
        }
    }
    out
}

/// The path of an `http://host:port/path` address (`None` for a placeholder that is no URL).
fn url_path(address: &str) -> Option<String> {
    let rest = address.strip_prefix("http://").or_else(|| address.strip_prefix("https://"))?;
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("/");
    Some(if path.is_empty() { "/".to_string() } else { path.to_string() })
}

/// The folder a process file is in (the folder its `deploy.xml` would be in).
fn folder_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

async fn accept(listener: tokio::net::TcpListener, state: Arc<State>, mut stopped: oneshot::Receiver<()>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&state, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn text(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn soap_fault(status: StatusCode, fault: &SoapFault) -> Reply {
    text(status, "text/xml; charset=utf-8", soap::fault_envelope(fault))
}

fn client_fault(message: impl Into<String>) -> Reply {
    soap_fault(StatusCode::INTERNAL_SERVER_ERROR, &SoapFault::client(message.into()))
}

async fn handle(state: &State, request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    if path.starts_with("/admin/") || path == "/admin" {
        return super::admin::handle(state_admin(state), request).await;
    }
    let Some(route) = state.routes.get(&path) else {
        if path == "/" && request.method() == Method::GET {
            let list: String = state.routes.keys().map(|p| format!("http://{}{p}?wsdl\n", state.address)).collect();
            return text(StatusCode::OK, "text/plain; charset=utf-8", format!("bpel serve: the processes' endpoints\n{list}"));
        }
        return text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", format!("no process is served at {path}\n"));
    };
    match *request.method() {
        Method::GET if query.eq_ignore_ascii_case("wsdl") => match &route.wsdl {
            Some(wsdl) => {
                let own = format!("http://{}{path}", state.address);
                let published = soap::publish_wsdl(wsdl, |old| {
                    (url_path(old).as_deref() == Some(path.as_str()) || url_path(old).is_none()).then(|| own.clone())
                });
                text(StatusCode::OK, "text/xml; charset=utf-8", published)
            }
            None => text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "the WSDL of this endpoint is not known\n"),
        },
        Method::POST => post(state, route, request).await,
        _ => {
            let mut response =
                text(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "use POST for SOAP requests, GET ?wsdl for the WSDL\n");
            response.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("GET, POST"));
            response
        }
    }
}

async fn post(state: &State, route: &Route, request: Request<Incoming>) -> Reply {
    let max = state.config.max_body;
    let declared = request.headers().get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return too_large(max);
    }
    let soap_action = request.headers().get("soapaction").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = match Limited::new(request.into_body(), max).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return too_large(max),
    };
    let Ok(body) = std::str::from_utf8(&body) else { return client_fault("the request is not UTF-8 text") };
    let envelope = match soap::parse_envelope(body) {
        Ok(envelope) => envelope,
        Err(error) => return client_fault(format!("the request is not a SOAP 1.1 envelope: {error}")),
    };
    let Some(deployed) = state.processes.get(route.process.0) else { return client_fault("the process is gone") };
    let operation = match soap::select_operation(&route.operations, soap_action.as_deref(), &envelope.body, &deployed.unit.definitions) {
        Ok(operation) => operation,
        Err(error) => return client_fault(error.to_string()),
    };
    let parts = soap::request_parts(operation, &envelope.body);
    let shard = state.router.route(deployed, route.process, &route.partner_link, &operation.operation, &parts);
    tracing::trace!("request for {}.{} to shard {shard}", route.partner_link, operation.operation);
    let (respond, answer) = oneshot::channel();
    let command = Command::Request {
        process: route.process,
        partner_link: route.partner_link.clone(),
        operation: operation.operation.clone(),
        body: parts,
        respond,
    };
    if !send_to(state, shard, command) {
        return soap_fault(
            StatusCode::SERVICE_UNAVAILABLE,
            &SoapFault::server("the server is shutting down, or the shard for this request has stopped (see the server's log)"),
        );
    }
    match tokio::time::timeout(state.config.request_timeout, answer).await {
        Ok(Ok(Answer::Reply(Ok(message)))) => {
            text(StatusCode::OK, "text/xml; charset=utf-8", soap::envelope(&soap::message_body(operation, &message, true)))
        }
        Ok(Ok(Answer::Reply(Err(fault)))) => soap_fault(StatusCode::INTERNAL_SERVER_ERROR, &fault_of(&fault)),
        Ok(Ok(Answer::Accepted)) => text(StatusCode::ACCEPTED, "text/plain", ""),
        Ok(Ok(Answer::Refused(message))) => client_fault(message),
        Ok(Ok(Answer::NotDurable(message))) => soap_fault(StatusCode::INTERNAL_SERVER_ERROR, &SoapFault::server(message)),
        Ok(Err(_)) => soap_fault(StatusCode::SERVICE_UNAVAILABLE, &SoapFault::server("the request was dropped (the server is stopping)")),
        Err(_) => soap_fault(
            StatusCode::GATEWAY_TIMEOUT,
            &SoapFault::server(format!("the process did not reply within {} s", state.config.request_timeout.as_secs())),
        ),
    }
}

fn too_large(max: usize) -> Reply {
    let mut response =
        text(StatusCode::PAYLOAD_TOO_LARGE, "text/plain; charset=utf-8", format!("the request body is larger than {max} bytes\n"));
    response.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
    response
}

/// A BPEL fault as a SOAP fault: faultcode its QName, faultstring its message, detail its data.
pub fn fault_of(fault: &Fault) -> SoapFault {
    let detail = match fault.data() {
        Some(Value::Message(message)) => message.parts.iter().map(|p| p.value.clone()).collect(),
        Some(Value::Element(element)) => vec![element.clone()],
        None => Vec::new(),
    };
    let string = if fault.message.is_empty() { fault.name.local.clone() } else { format!("{}: {}", fault.name.local, fault.message) };
    SoapFault { code: fault.name.clone(), string, actor: None, detail }
}

fn send_to(state: &State, shard: usize, command: Command) -> bool {
    state.shards.get(shard).and_then(|s| s.lock().ok()).is_some_and(|s| s.send(command).is_ok())
}

fn state_admin(state: &State) -> AdminState<'_> {
    AdminState { token: state.config.admin_token.as_deref(), processes: &state.processes, router: &state.router, shards: &state.shards }
}
