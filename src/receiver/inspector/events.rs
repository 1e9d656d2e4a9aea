//! The inspector's live events: every recorded request, as it is answered, to each page that
//! listens on `GET /_/api/events` (server-sent events).
//!
//! Publishing never waits: a subscriber that falls behind misses entries (and is told to reload
//! its list) rather than holding up a request.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};

use crate::receiver::http::{self, Body};
use crate::receiver::record::Record;

/// How many new entries a slow subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 512;
/// How often an idle event stream says it is alive, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The broadcast of new entries.
pub struct Events {
    tx: broadcast::Sender<Record>,
}

impl Default for Events {
    fn default() -> Self {
        Events { tx: broadcast::channel(EVENT_BACKLOG).0 }
    }
}

impl Events {
    /// Sends a new entry (without its request bytes) to every subscriber; costs nothing when no
    /// page listens.
    pub fn publish(&self, r: &Record) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Record { request: None, ..r.clone() });
        }
    }

    /// Every entry published from now on. A subscriber that falls more than a few hundred entries
    /// behind misses the oldest of them (`RecvError::Lagged`) and should reload the list.
    pub fn subscribe(&self) -> broadcast::Receiver<Record> {
        self.tx.subscribe()
    }

    /// `text/event-stream`: one event per new entry until the client leaves or `stop` turns true.
    /// The answer closes its connection when it ends.
    pub fn stream(&self, headers: &[(String, String)], mut stop: watch::Receiver<bool>) -> hyper::Response<Body> {
        let mut rx = self.subscribe();
        let (tx, body) = mpsc::channel::<Bytes>(64);
        tokio::spawn(async move {
            if tx.send(Bytes::from_static(b": connected\n\n")).await.is_err() {
                return;
            }
            loop {
                let frame = tokio::select! {
                    got = rx.recv() => match got {
                        Ok(e) => Bytes::from(sse_event(&e)),
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
        let head = http::full(200, headers, Bytes::new());
        *r.headers_mut() = head.headers().clone();
        r.headers_mut().insert(::http::header::CONNECTION, ::http::HeaderValue::from_static("close"));
        r
    }
}

/// One server-sent event for a new entry: `id: N`, `event: request`, `data: <list item>`.
pub fn sse_event(e: &Record) -> Vec<u8> {
    format!("id: {}\nevent: request\ndata: {}\n\n", e.id, e.to_json()).into_bytes()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_see_the_entry_at_once_without_its_bytes() {
        let events = Events::default();
        events.publish(&Record { id: 5, ..Default::default() });
        let mut rx = events.subscribe();
        events.publish(&Record { id: 6, request: Some(b"raw".to_vec()), ..Default::default() });
        let got = rx.try_recv().unwrap();
        assert_eq!((got.id, got.request.as_deref()), (6, None));
        assert!(String::from_utf8(sse_event(&got)).unwrap().starts_with("id: 6\nevent: request\ndata: {\"id\":6,"));
    }
}
