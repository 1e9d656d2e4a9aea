//! Accepting connections and driving each one as a tokio task: hyper's HTTP/1.1 connection under
//! the deadlines of [`super::limits`].
//!
//! At the connection cap a new connection makes room by closing the oldest one with nothing in
//! progress ([`reclaim_one`]: idle keep-alive connections first, then ones that have sent nothing
//! or part of a head); only when every connection is in the middle of a request is the new one
//! accepted and closed at once, which costs the receiver almost nothing, rather than queued. Idle
//! closes are counted ([`super::state::Shared::idle_closed`]), never logged one by one. Each connection task polls hyper and its one
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
use super::limits::{self, ConnState, Expiry, Reclaim, Tracked};
use super::service::{self, ConnCtx};
use super::state::Shared;

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The receiver's port: Top.gg's routes and `/health`, under `--max-connections`.
    Receiver,
    /// The inspector's own port: the page, its API and `/connections`, under its own small cap
    /// ([`INSPECTOR_CONNECTIONS`]), so its event streams never take a delivery's place.
    Inspector,
}

/// Connections the inspector's listener serves at once (pages, API calls, event streams).
pub(super) const INSPECTOR_CONNECTIONS: usize = 64;

/// Accepts until the stop, then serves what is already queued in the backlog: those clients
/// connected before the stop and get an answer rather than a reset.
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, side: Side) {
    // Resolves at once for a stop requested before it was first polled: nothing to race.
    let stopped = shared.stop.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(stream, peer, &shared, side),
                // Out of file descriptors, or a reset before accept: back off and keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await {
        admit(stream, peer, &shared, side);
    }
}

/// How many of the oldest connections are looked at for one to reclaim.
const RECLAIM_SCAN: usize = 4096;

/// Starts a task for a new connection. At its listener's cap, the receiver's makes room
/// ([`reclaim_one`]); when it cannot (every connection is mid-request), and on the inspector's
/// listener, the new connection is closed at once.
fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>, side: Side) {
    let admitted = shared.active.send_if_modified(|active| {
        let (n, cap) = match side {
            Side::Receiver => (&mut active.0, shared.config.max_connections),
            Side::Inspector => (&mut active.1, INSPECTOR_CONNECTIONS),
        };
        // The reclaimed connection closes at its task's next poll; until then the new one is
        // counted over the cap.
        if *n >= cap && !(side == Side::Receiver && reclaim_one(shared)) {
            return false;
        }
        *n += 1;
        true
    });
    if !admitted {
        return;
    }
    let state = Arc::new(ConnState::new());
    let seq = shared.conn_seq.fetch_add(1, Ordering::Relaxed);
    if side == Side::Receiver {
        shared.conns.lock().unwrap_or_else(|e| e.into_inner()).insert(seq, state.clone());
    }
    let slot = Slot(shared.clone(), side, seq);
    tokio::spawn(async move {
        serve_connection(stream, peer, &slot.0, side, state).await;
    });
}

/// Marks the oldest connection with nothing in progress to close: an idle keep-alive one if any
/// among the oldest [`RECLAIM_SCAN`], else one that has sent nothing or part of a head. False when
/// all of them are mid-request.
fn reclaim_one(shared: &Shared) -> bool {
    let conns = shared.conns.lock().unwrap_or_else(|e| e.into_inner());
    let mut incomplete = None;
    for state in conns.values().take(RECLAIM_SCAN) {
        match state.reclaimable() {
            Some(Reclaim::IdleKeepAlive) if state.reclaim(Reclaim::IdleKeepAlive) => {
                shared.reclaimed.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            Some(Reclaim::IncompleteHead) if incomplete.is_none() => incomplete = Some(state.clone()),
            _ => {}
        }
    }
    drop(conns);
    let taken = incomplete.is_some_and(|s| s.reclaim(Reclaim::IncompleteHead));
    if taken {
        shared.reclaimed.fetch_add(1, Ordering::Relaxed);
    }
    taken
}

/// A connection's place under its cap, given back when its task ends, even by a panic.
struct Slot(Arc<Shared>, Side, u64);

impl Drop for Slot {
    fn drop(&mut self) {
        if self.1 == Side::Receiver {
            self.0.conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.2);
        }
        // Wakes the shutdown when it waits for the last connection.
        self.0.active.send_modify(|active| match self.1 {
            Side::Receiver => active.0 -= 1,
            Side::Inspector => active.1 -= 1,
        });
    }
}

enum End {
    Done(hyper::Result<()>),
    Expired(Expiry),
}

type ServiceFuture = Pin<Box<dyn Future<Output = Result<hyper::Response<Body>, std::convert::Infallible>> + Send>>;

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    side: Side,
    state: Arc<ConnState>,
) {
    let _ = stream.set_nodelay(true);
    let ctx = Arc::new(ConnCtx { shared: shared.clone(), state: state.clone(), peer: Some(peer), side });
    // Boxed so the service and its future are Unpin, which poll_without_shutdown needs.
    let svc = service_fn(move |req| Box::pin(service::serve(req, ctx.clone())) as ServiceFuture);
    let mut conn = shared.http.serve_connection(TokioIo::new(Tracked::new(stream, state.clone())), svc);

    let read_timeout = shared.config.read_timeout;
    // Ready at once when the stop came before this connection: nothing to race.
    let stop_wait = shared.stop.stopped();
    tokio::pin!(stop_wait);
    let mut stopping = false;
    let sleep = tokio::time::sleep(read_timeout);
    tokio::pin!(sleep);
    let end = std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = conn.poll_without_shutdown(cx) {
            return Poll::Ready(End::Done(r));
        }
        if !stopping && stop_wait.as_mut().poll(cx).is_ready() {
            stopping = true;
        }
        // The deadline moves as the connection changes phase (a request begins, is answered, the
        // next one's first byte arrives); each wake-up of hyper re-reads it.
        loop {
            let (at, expiry) = state.deadline(read_timeout, stopping, cx.waker());
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
                log_hyper_refusal(shared, e, &state, peer, side);
            }
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, b"").await;
        }
        End::Expired(Expiry::Head) => {
            let ms = read_timeout.as_millis();
            let detail = format!("no complete request head within {ms} ms");
            let raw = http::raw_refusal(408, "Request Timeout", "timeout", &detail);
            if state.silent() {
                // A socket that never sent a byte is not a request: counted, not logged or kept.
                shared.idle_closed.fetch_add(1, Ordering::Relaxed);
            } else {
                service::refused_head(shared, 408, "timeout", detail, state.pending_since(), Some(peer), side);
            }
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, &raw).await;
        }
        End::Expired(Expiry::Idle) => {
            shared.idle_closed.fetch_add(1, Ordering::Relaxed);
            let stream = conn.into_parts().io.into_inner().stream;
            limits::linger(stream, b"").await;
        }
        // Nothing was in progress: closed at once (the socket closes as the connection is
        // dropped), so its slot is free for the connection that asked for it.
        End::Expired(Expiry::Reclaimed) => {}
        // The socket is closed as the connection is dropped.
        End::Expired(Expiry::Stuck) => {}
    }
}

/// hyper answered a malformed or oversized head itself (400, 431); a head cut short gets no
/// answer. Either way the request gets its log line.
fn log_hyper_refusal(shared: &Shared, e: &hyper::Error, state: &ConnState, peer: SocketAddr, side: Side) {
    let (status, verdict, detail) = if e.is_parse_too_large() {
        (431, "head-too-large", "the request head is over the size limit".to_string())
    } else if e.is_parse() || e.is_parse_version_h2() {
        (400, "bad-request", format!("the request head is malformed ({e})"))
    } else if e.is_incomplete_message() && !state.idle() {
        (400, "bad-request", "the client closed the connection in the middle of the request head".to_string())
    } else {
        return;
    };
    service::refused_head(shared, status, verdict, detail, state.pending_since(), Some(peer), side);
}
