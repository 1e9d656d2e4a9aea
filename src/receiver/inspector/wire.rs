//! The inspector on the receiver's hyper service: an [`Ask`] from a [`Request`], the [`Reply`] as
//! a hyper response (an event stream as a body fed by a task), and [`Host`] for the receiver.
//!
//! Inspector calls run off the async workers: reading the history waits for the recorder, and a
//! replay may wait on a forwarded app.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{Ask, Host, Reply};
use crate::protocol::capture::Capture;
use crate::protocol::secret::Secret;
use crate::receiver::Shared;
use crate::receiver::history::HistoryEntry;
use crate::receiver::service::{self, Body, Request};
use crate::receiver::store::Store;

/// How often an idle event stream says it is alive, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The request as the inspector's access rule sees it.
pub(in crate::receiver) fn ask(req: &Request, peer: Option<SocketAddr>) -> Ask<'_> {
    Ask {
        method: &req.method,
        target: &req.target,
        headers: &req.headers,
        body: &req.body,
        peer_loopback: peer.is_some_and(|p| p.ip().is_loopback()),
    }
}

/// Answers an inspector request.
pub(in crate::receiver) async fn answer(
    shared: Arc<Shared>,
    req: Request,
    peer: Option<SocketAddr>,
) -> hyper::Response<Body> {
    let s = shared.clone();
    let reply = tokio::task::spawn_blocking(move || super::answer(&*s, &s.inspector, &ask(&req, peer))).await;
    match reply {
        Ok(Reply::Full { status, headers, body }) => {
            let mut r = hyper::Response::new(Full::new(Bytes::from(body)).boxed());
            *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            put_headers(&mut r, &headers);
            r
        }
        Ok(Reply::Events(rx)) => events(&shared, rx),
        Err(_) => {
            let mut r =
                hyper::Response::new(Full::new(Bytes::from_static(b"{\"error\":\"internal-error\"}\n")).boxed());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

fn put_headers(r: &mut hyper::Response<Body>, headers: &[(String, String)]) {
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(n.as_bytes()), http::HeaderValue::from_str(v)) {
            r.headers_mut().append(n, v);
        }
    }
}

/// A body fed by a channel: the event stream's frames as a task produces them.
struct Stream(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Stream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// `text/event-stream`: one event per new history entry until the client leaves or the receiver
/// stops. The answer closes its connection when it ends.
fn events(shared: &Arc<Shared>, mut rx: tokio::sync::broadcast::Receiver<HistoryEntry>) -> hyper::Response<Body> {
    let (tx, body) = mpsc::channel::<Bytes>(64);
    let mut stop = shared.stop_tx.subscribe();
    tokio::spawn(async move {
        if tx.send(Bytes::from_static(b": connected\n\n")).await.is_err() {
            return;
        }
        loop {
            let frame = tokio::select! {
                got = rx.recv() => match got {
                    Ok(e) => Bytes::from(super::sse_event(&e)),
                    // Fell behind: the page reloads its list.
                    Err(RecvError::Lagged(n)) => Bytes::from(format!("event: lagged\ndata: {n}\n\n")),
                    Err(RecvError::Closed) => break,
                },
                _ = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
                _ = stop.changed() => break,
                _ = tx.closed() => break,
            };
            if tx.send(frame).await.is_err() {
                break;
            }
        }
    });
    let mut r = hyper::Response::new(Stream(body).boxed());
    put_headers(&mut r, &super::event_head());
    r.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    r
}

impl Host for Shared {
    fn store(&self) -> &Store {
        &self.store
    }

    fn integration_secret(&self) -> &Secret {
        &self.config.integration_secret
    }

    fn tolerance(&self) -> u64 {
        self.config.tolerance
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn connections_json(&self, show_secrets: bool) -> Value {
        crate::receiver::routes::connections_json(self, show_secrets)
    }

    /// Runs the request through the same routing as one from the network (forwarding it in
    /// forward mode), logs it and records it as a replay.
    fn replay(&self, request: Capture, replay_of: i64) -> (i64, u16) {
        let req = Request {
            method: request.method,
            target: request.path,
            headers: request.headers,
            body: Bytes::from(request.body),
            started: Instant::now(),
        };
        let (_, mut log) = service::route(self, &req, None);
        log.latency = req.started.elapsed();
        log.replay_of = Some(replay_of);
        (self.log)(&log);
        (service::record(self, &log, Some(&req)), log.status)
    }
}
