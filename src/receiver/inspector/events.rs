//! The inspector's live events: every recorded request, as it is answered, to each page that
//! listens on `GET /_/api/events` (server-sent events).
//!
//! Publishing never waits: a subscriber that falls behind misses entries (and is told to reload
//! its list) rather than holding up a request. Each entry is serialised once, when published, and
//! the same bytes go to every subscriber; at most [`MAX_SUBSCRIBERS`] streams are open at once
//! (the page needs one per tab), and they live on the inspector's listener, outside the
//! receiver's connection cap.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

use crate::receiver::http::{self, Body};
use crate::receiver::record::Record;
use crate::stop::Stop;

/// How many new entries a slow subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 512;
/// How often an idle event stream says it is alive, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Event streams open at once; past it a new one gets 503.
pub const MAX_SUBSCRIBERS: usize = 32;

/// The broadcast of new entries, each as its server-sent event, serialised once.
pub struct Events {
    tx: broadcast::Sender<Bytes>,
    open: Arc<AtomicUsize>,
}

impl Default for Events {
    fn default() -> Self {
        Events { tx: broadcast::channel(EVENT_BACKLOG).0, open: Arc::default() }
    }
}

/// A stream's place under [`MAX_SUBSCRIBERS`], given back when its task ends.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Events {
    /// Serialises a new entry once and sends the bytes to every subscriber; costs nothing when no
    /// page listens.
    pub fn publish(&self, r: &Record) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Bytes::from(sse_event(r)));
        }
    }

    /// Every entry published from now on, as its event's bytes. A subscriber that falls more than
    /// a few hundred entries behind misses the oldest of them (`RecvError::Lagged`) and should
    /// reload the list.
    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.tx.subscribe()
    }

    /// `text/event-stream`: one event per new entry until the client leaves or `stop` is stopped;
    /// `None` when [`MAX_SUBSCRIBERS`] streams are open already. The answer closes its connection
    /// when it ends.
    pub fn stream(&self, headers: &[(String, String)], stop: Stop) -> Option<hyper::Response<Body>> {
        let taken =
            self.open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_SUBSCRIBERS).then_some(n + 1));
        if taken.is_err() {
            return None;
        }
        let place = Place(self.open.clone());
        let mut rx = self.subscribe();
        let (tx, body) = mpsc::channel::<Bytes>(64);
        tokio::spawn(async move {
            let _place = place;
            let stopped = stop.stopped();
            tokio::pin!(stopped);
            if tx.send(Bytes::from_static(b": connected\n\n")).await.is_err() {
                return;
            }
            loop {
                let frame = tokio::select! {
                    got = rx.recv() => match got {
                        Ok(frame) => frame,
                        // Fell behind: the page reloads its list.
                        Err(RecvError::Lagged(n)) => Bytes::from(format!("event: lagged\ndata: {n}\n\n")),
                        Err(RecvError::Closed) => break,
                    },
                    _ = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
                    _ = &mut stopped => break,
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
        Some(r)
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
    fn each_entry_is_serialised_once_for_every_subscriber() {
        let events = Events::default();
        events.publish(&Record { id: 5, ..Default::default() });
        let (mut a, mut b) = (events.subscribe(), events.subscribe());
        events.publish(&Record { id: 6, request: Some(b"raw".to_vec()), ..Default::default() });
        let (fa, fb) = (a.try_recv().unwrap(), b.try_recv().unwrap());
        assert_eq!(fa.as_ptr(), fb.as_ptr(), "the same bytes, not two serialisations");
        let text = String::from_utf8(fa.to_vec()).unwrap();
        assert!(text.starts_with("id: 6\nevent: request\ndata: {\"id\":6,"), "{text}");
        assert!(!text.contains("raw"), "no request bytes in an event");
    }

    #[tokio::test]
    async fn subscribers_are_capped() {
        let events = Events::default();
        let stop = Stop::new();
        let open: Vec<_> =
            (0..MAX_SUBSCRIBERS).map(|_| events.stream(&[], stop.clone()).expect("under the cap")).collect();
        assert!(events.stream(&[], stop.clone()).is_none(), "one over the cap");
        drop(open);
        // The stream tasks notice their bodies are gone and give their places back.
        let mut again = None;
        for _ in 0..100 {
            again = events.stream(&[], stop.clone());
            if again.is_some() {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(again.is_some(), "a closed stream's place is given back");
    }
}
