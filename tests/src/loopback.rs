//! A test HTTP/1.1 server on loopback (the betsy partner of [`crate::partner`], the notifier of
//! [`crate::notifier`]): binds `127.0.0.1` on a free port and serves each connection (keep-alive)
//! as a task of a tokio runtime on a thread of its own, so synchronous code can start one and
//! read what it recorded. It stops when dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// The running server.
pub struct LoopbackServer {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Binds, then serves every request with the handler `make` returns for the bound address
    /// (a handler that needs its own address, as a WSDL with the partner's URL does, gets it).
    pub fn start<H, Fut>(name: &str, make: impl FnOnce(SocketAddr) -> H) -> std::io::Result<LoopbackServer>
    where
        H: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let std_listener = StdTcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let address = std_listener.local_addr()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let handler = Arc::new(make(address));
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", address.port()))
            .spawn(move || runtime.block_on(serve(listener, handler, stopped)))?;
        Ok(LoopbackServer { address, shutdown: Some(shutdown), thread: Some(thread) })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts until told to stop; each connection is a task. Returning drops the runtime with it,
/// and so every open connection.
async fn serve<H, Fut>(listener: tokio::net::TcpListener, handler: Arc<H>, mut stopped: oneshot::Receiver<()>)
where
    H: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let handler = Arc::clone(&handler);
                    tokio::spawn(async move {
                        let service = service_fn(move |request| handler(request));
                        let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}
