//! Accepting connections and driving each one as a tokio task: hyper's HTTP/1.1 connection under
//! the deadlines of [`super::limits`].
//!
//! Past the connection cap a new connection is accepted and closed at once, which costs the
//! receiver almost nothing, rather than queued. Each connection task polls hyper and its one
//! current deadline together; when the deadline wins, the task takes the socket back from hyper
//! (`into_parts`) to answer 408 itself or close quietly. Every connection ends with
//! [`limits::linger`], so a client still sending does not get a reset before it reads the answer.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use super::http::{self, Body};
use super::limits::{self, ConnState, Expiry, Tracked};
use super::service::{self, ConnCtx};
use super::state::Shared;

/// Accepts until the stop, then serves what is already queued in the backlog: those clients
/// connected before the stop and get an answer rather than a reset.
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.stop_tx.subscribe();
    // A stop sent before the subscription is not seen by `changed`, but it set the flag first.
    while !shared.stop.load(Ordering::SeqCst) {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(stream, peer, &shared),
                // Out of file descriptors, or a reset before accept: back off and keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await {
        admit(stream, peer, &shared);
    }
}

/// Starts a task for a new connection, or closes it at once past the cap.
fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    {
        let mut active = shared.active.lock().unwrap_or_else(|e| e.into_inner());
        if *active >= shared.config.max_connections {
            return;
        }
        *active += 1;
    }
    let slot = Slot(shared.clone());
    tokio::spawn(async move {
        serve_connection(stream, peer, &slot.0).await;
    });
}

/// A connection's place under the cap, given back when its task ends, even by a panic.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        let mut active = self.0.active.lock().unwrap_or_else(|e| e.into_inner());
        *active -= 1;
        self.0.idle.notify_all();
    }
}

enum End {
    Done(hyper::Result<()>),
    Expired(Expiry),
}

type ServiceFuture = Pin<Box<dyn Future<Output = Result<hyper::Response<Body>, std::convert::Infallible>> + Send>>;

async fn serve_connection(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let state = Arc::new(ConnState::new());
    let ctx = Arc::new(ConnCtx { shared: shared.clone(), state: state.clone(), peer: Some(peer) });
    // Boxed so the service and its future are Unpin, which poll_without_shutdown needs.
    let svc = service_fn(move |req| Box::pin(service::serve(req, ctx.clone())) as ServiceFuture);
    let mut conn = shared.http.serve_connection(TokioIo::new(Tracked::new(stream, state.clone())), svc);

    let read_timeout = shared.config.read_timeout;
    let mut stop_rx = shared.stop_tx.subscribe();
    let stop_wait = stop_rx.changed();
    tokio::pin!(stop_wait);
    let mut stopping = shared.stop.load(Ordering::SeqCst);
    let sleep = tokio::time::sleep(read_timeout);
    tokio::pin!(sleep);
    let end = std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = conn.poll_without_shutdown(cx) {
            return Poll::Ready(End::Done(r));
        }
        if !stopping && (stop_wait.as_mut().poll(cx).is_ready() || shared.stop.load(Ordering::SeqCst)) {
            stopping = true;
        }
        // The deadline moves as the connection changes phase (a request begins, is answered, the
        // next one's first byte arrives); each wake-up of hyper re-reads it.
        loop {
            let (at, expiry) = state.deadline(read_timeout, stopping);
            if Instant::now() >= at {
                return Poll::Ready(End::Expired(expiry));
            }
            let at = tokio::time::Instant::from_std(at);
            if sleep.deadline() != at {
                sleep.as_mut().reset(at);
            }
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    })
    .await;

    match end {
        End::Done(r) => {
            if let Err(e) = &r {
                log_hyper_refusal(shared, e, &state, peer);
            }
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, b"").await;
        }
        End::Expired(Expiry::Head) => {
            let ms = read_timeout.as_millis();
            let detail = format!("no complete request head within {ms} ms");
            let raw = http::raw_refusal(408, "Request Timeout", "timeout", &detail);
            service::refused_head(shared, 408, "timeout", detail, state.pending_since(), Some(peer));
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, &raw).await;
        }
        End::Expired(Expiry::Idle) => {
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, b"").await;
        }
        // The socket is closed as the connection is dropped.
        End::Expired(Expiry::Stuck) => {}
    }
}

/// hyper answered a malformed or oversized head itself (400, 431); a head cut short gets no
/// answer. Either way the request gets its log line.
fn log_hyper_refusal(shared: &Shared, e: &hyper::Error, state: &ConnState, peer: SocketAddr) {
    let (status, verdict, detail) = if e.is_parse_too_large() {
        (431, "head-too-large", "the request head is over the size limit".to_string())
    } else if e.is_parse() || e.is_parse_version_h2() {
        (400, "bad-request", format!("the request head is malformed ({e})"))
    } else if e.is_incomplete_message() && !state.idle() {
        (400, "bad-request", "the client closed the connection in the middle of the request head".to_string())
    } else {
        return;
    };
    service::refused_head(shared, status, verdict, detail, state.pending_since(), Some(peer));
}
