//! The HTTP/1.1 server: accepting connections (keep-alive, no Nagle), the
//! per-connection hyper service, graceful shutdown, and [`SimHandle`] for an
//! in-process simulator. One listener serves TCSS, STS and `organization`;
//! requests are routed by `X-TC-Action` (the private `handler` module documents the order of checks).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::counters::Counters;
use crate::fleet::Fleet;

mod actions;
mod delay;
mod handler;
pub mod organization;
mod rate;
mod reply;
pub mod sts;
mod verify;

use handler::State;

pub use handler::{MAX_BODY_BYTES, MAX_SKEW_SECS};

/// How long shutdown waits for open connections to finish their answers.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP stream that aborts (RST) instead of closing cleanly when a simulated reset asked for it.
struct ResetOnDrop {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            // Best effort: without SO_LINGER=0 the peer sees a plain close, still no answer.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResetOnDrop {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResetOnDrop {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `fleet` on `listener` until `shutdown` resolves, then stops accepting,
/// ends hanging requests and waits (up to 5 s) for open connections.
/// Fails with `InvalidInput` if the fleet does not validate.
pub async fn serve(
    listener: TcpListener,
    fleet: Fleet,
    counters: Arc<Counters>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    fleet
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let (tx, rx) = watch::channel(false);
    let state = Arc::new(State::new(fleet, counters, rx));
    run(listener, state, tx, shutdown).await
}

async fn run(
    listener: TcpListener,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    // No header-read timeout: it would also cut idle keep-alive connections,
    // which real clients keep in their pools.
    builder
        .keep_alive(true)
        .auto_date_header(false)
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    let builder = Arc::new(builder);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(Arc::clone(&state), Arc::clone(&builder), stream));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "simulator accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.abort_all();
    }
    Ok(())
}

async fn connection(
    state: Arc<State>,
    builder: Arc<hyper::server::conn::http1::Builder>,
    stream: TcpStream,
) {
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ResetOnDrop {
        inner: stream,
        reset: Arc::clone(&reset),
    });
    let svc_state = Arc::clone(&state);
    let svc = service_fn(move |req| Arc::clone(&svc_state).handle(req, Arc::clone(&reset)));
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    let mut stop = state.shutdown.clone();
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// A simulator running on the current tokio runtime. Dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Binds `addr` (e.g. `127.0.0.1:0`) and serves `fleet` on a spawned task.
pub async fn spawn(fleet: Fleet, addr: &str) -> io::Result<SimHandle> {
    fleet
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    let state = Arc::new(State::new(fleet, Arc::new(Counters::new()), rx));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, Arc::clone(&state), tx, async move {
        // Resolves on an explicit shutdown and when the handle is dropped.
        let _ = stop_rx.await;
    }));
    Ok(SimHandle {
        addr: local,
        state,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, to use as a TCSS or STS endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The live counters.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.state.counters)
    }

    /// The fleet being served.
    pub fn fleet(&self) -> &Fleet {
        &self.state.fleet
    }

    /// Moves the simulator's clock (every account) by `secs`; for tests of
    /// token expiry and clock skew without waiting.
    pub fn advance_clock(&self, secs: i64) {
        self.state.advance_clock(secs);
    }

    /// Revokes every temporary credential issued so far: their next use is
    /// answered `AuthFailure.TokenFailure` (a revoked role session). Returns
    /// how many were revoked.
    pub fn revoke_temporary_credentials(&self) -> usize {
        self.state.revoke_temporary_credentials()
    }

    /// Every temporary SecretId, SecretKey and token issued so far: tests
    /// check that none of them reaches a report or a log.
    pub fn temporary_secrets(&self) -> Vec<String> {
        self.state.temporary_secrets()
    }

    /// The simulator's current Unix time (before any account offset).
    pub fn now_unix(&self) -> i64 {
        self.state.now()
    }

    /// Stops accepting, ends hanging requests and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
