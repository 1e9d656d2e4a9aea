//! The receiver's connection limits, kept out of the routes: per-connection deadlines, which
//! connections may be reclaimed at the cap, and the closing handshake after a refusal. The body
//! cap and memory budget are in `body.rs`, the process limits in `process.rs`.
//!
//! hyper parses and frames; what hyper does not do for us lives here. Its `header_read_timeout`
//! only closes the connection, while protocol.md §7 wants a client that is too slow to get 408, so
//! every connection carries a [`ConnState`] that its I/O wrapper ([`Tracked`]) and the service
//! update, and the connection task turns into one deadline at a time ([`ConnState::deadline`]).
//! Nothing here prints.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// The largest request head (request line and headers) accepted; larger ones get 431.
pub const MAX_HEAD: usize = 64 * 1024;
/// Connections served at once unless configured otherwise (`serve --max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// After a refusal, how long the receiver keeps reading (and discarding) what the client still
/// sends, so that closing does not reset the connection before the client has read the answer.
pub const LINGER: Duration = Duration::from_millis(500);
/// At most this much is discarded while lingering.
const LINGER_BYTES: usize = 8 * 1024 * 1024;
/// A connection whose first request has sent nothing is closed this soon after a stop begins:
/// long enough for a client queued in the backlog to have its request read.
const STOP_GRACE: Duration = Duration::from_millis(50);
/// A request still being handled this long after its deadline is abandoned (the store is stuck).
const BUSY_GRACE: Duration = Duration::from_secs(30);
/// A keep-alive connection is closed at its first idle moment this long after it was accepted,
/// so connections that send a request every few seconds cannot hold their slots for ever.
pub const KEEP_ALIVE_LIFETIME: Duration = Duration::from_secs(60);

/// Where one connection stands, shared by its I/O wrapper, its service and its task.
#[derive(Debug)]
pub struct ConnState {
    inner: Mutex<Phase>,
}

#[derive(Debug)]
struct Phase {
    /// A request is in the service (its body being read, or being handled).
    busy: bool,
    /// Requests answered so far.
    served: u64,
    /// When the connection was accepted, or the last request answered.
    since: Instant,
    /// When the first byte after `since` arrived (the start of the next request).
    first_byte: Option<Instant>,
    /// When the request now in the service started.
    started: Instant,
    /// The head now arriving, as it arrived: the history keeps it, and it says whether the head
    /// had a Content-Length (hyper drops it when Transfer-Encoding is also there, and the request
    /// must then be refused).
    head: HeadCopy,
    /// The last answer is an event stream (the inspector's `/_/api/events`): it stays open with no
    /// deadline until it ends itself, which it does when the receiver stops.
    streaming: bool,
    /// When the connection was accepted.
    accepted: Instant,
    /// Chosen to make room at the connection cap: close at the first moment nothing is in
    /// progress.
    reclaim: bool,
    /// Wakes the connection's task (to notice `reclaim`).
    waker: Option<std::task::Waker>,
}

/// Which connections may be closed to make room at the cap: never one with a request in the
/// service, nor an event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaim {
    /// Answered at least one request and waits for the next with nothing sent: taken first.
    IdleKeepAlive,
    /// Has sent nothing, or part of a head: taken when no idle keep-alive is left.
    IncompleteHead,
}

/// The request head now arriving, copied once as it is read (the history keeps these bytes as the
/// request's head), up to the empty line that ends it. The end is found with `memchr` over the
/// new bytes only, not a byte-at-a-time state machine.
#[derive(Debug, Default)]
struct HeadCopy {
    bytes: Vec<u8>,
    /// The empty line was seen: `bytes` is the whole head.
    done: bool,
    /// Over [`MAX_HEAD`]: hyper refuses the request, nothing is kept.
    over: bool,
}

impl HeadCopy {
    fn feed(&mut self, new: &[u8]) {
        if self.done || self.over {
            return;
        }
        if self.bytes.is_empty() {
            self.bytes.reserve(new.len().clamp(512, MAX_HEAD));
        }
        // A terminator split across reads ends within the two bytes already kept.
        let from = self.bytes.len().saturating_sub(2);
        let room = (MAX_HEAD + 4).saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&new[..new.len().min(room)]);
        for at in memchr::memchr_iter(b'\n', &self.bytes[from..]).map(|i| from + i) {
            // `\n\n` or `\n\r\n` after the request line ends the head (hyper accepts bare LF too).
            let end = match self.bytes.get(at + 1..) {
                Some([b'\n', ..]) => at + 2,
                Some([b'\r', b'\n', ..]) => at + 3,
                _ => continue,
            };
            self.bytes.truncate(end);
            self.done = true;
            return;
        }
        if self.bytes.len() > MAX_HEAD {
            self.over = true;
            self.bytes = Vec::new();
        }
    }
}

/// Whether a request head holds a header called `name` (ASCII case-insensitive).
pub fn head_has(head: &[u8], name: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .skip(1)
        .any(|line| line.iter().position(|&b| b == b':').is_some_and(|colon| line[..colon].eq_ignore_ascii_case(name)))
}

/// What the connection task must do when a deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The request head did not arrive in time: answer 408 and close.
    Head,
    /// An idle keep-alive connection, or an idle one during a stop: close quietly.
    Idle,
    /// A request outlived its deadline by far: drop the connection.
    Stuck,
    /// Taken to make room at the connection cap: close quietly.
    Reclaimed,
}

impl ConnState {
    /// A connection accepted now.
    pub fn new() -> ConnState {
        let now = Instant::now();
        ConnState {
            inner: Mutex::new(Phase {
                busy: false,
                served: 0,
                since: now,
                first_byte: None,
                started: now,
                head: HeadCopy::default(),
                streaming: false,
                accepted: now,
                reclaim: false,
                waker: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived from the client.
    fn saw_bytes(&self, bytes: &[u8]) {
        let mut p = self.lock();
        if !p.busy {
            if p.first_byte.is_none() {
                p.first_byte = Some(Instant::now());
            }
            p.head.feed(bytes);
        }
    }

    /// A request reached the service; returns when it started (the first request of a connection
    /// starts when the connection was accepted, later ones at their first byte) and its head as
    /// it arrived, when the connection saw all of it (not for a request pipelined behind another
    /// in the same read).
    pub fn begin(&self) -> (Instant, Option<Vec<u8>>) {
        let mut p = self.lock();
        let started = if p.served == 0 { p.since } else { p.first_byte.unwrap_or_else(Instant::now) };
        p.busy = true;
        p.started = started;
        let head = std::mem::take(&mut p.head);
        (started, head.done.then_some(head.bytes))
    }

    /// The service answered the request.
    pub fn end(&self) {
        let mut p = self.lock();
        p.busy = false;
        p.served += 1;
        p.since = Instant::now();
        p.first_byte = None;
        p.head = HeadCopy::default();
    }

    /// The answer just given is an event stream: no idle deadline while it lasts (it carries
    /// `Connection: close`, so the connection ends with it).
    pub fn streaming(&self) {
        self.lock().streaming = true;
    }

    /// When the request now arriving started: its first byte, or the accept or last answer.
    pub fn pending_since(&self) -> Instant {
        let p = self.lock();
        p.first_byte.unwrap_or(p.since)
    }

    /// Nothing is in progress: no request in the service and no byte of a next one.
    pub fn idle(&self) -> bool {
        let p = self.lock();
        !p.busy && p.first_byte.is_none()
    }

    /// Whether the connection has never sent a byte (a silent socket, not a request).
    pub fn silent(&self) -> bool {
        let p = self.lock();
        p.served == 0 && p.first_byte.is_none() && !p.busy
    }

    /// What kind of room closing this connection would make, if it may be closed.
    pub fn reclaimable(&self) -> Option<Reclaim> {
        kind(&self.lock())
    }

    /// Marks the connection to be closed for room at the cap and wakes its task, if it still is
    /// of `want`'s kind; true when it was marked.
    pub fn reclaim(&self, want: Reclaim) -> bool {
        let mut p = self.lock();
        if kind(&p) != Some(want) {
            return false;
        }
        p.reclaim = true;
        if let Some(w) = p.waker.take() {
            w.wake();
        }
        true
    }

    /// The next deadline and what it means. `stopping` shortens an idle connection's wait. `waker`
    /// is the connection task's, woken when the connection is reclaimed.
    pub fn deadline(&self, read_timeout: Duration, stopping: bool, waker: &std::task::Waker) -> (Instant, Expiry) {
        let mut p = self.lock();
        if !p.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            p.waker = Some(waker.clone());
        }
        if p.reclaim && !p.busy {
            return (Instant::now(), Expiry::Reclaimed);
        }
        if p.streaming {
            let far = Instant::now() + Duration::from_secs(24 * 3600);
            return (if stopping { p.since } else { far }, Expiry::Idle);
        }
        if p.busy {
            return (p.started + read_timeout + BUSY_GRACE, Expiry::Stuck);
        }
        match (p.first_byte, p.served) {
            (None, 0) if stopping => (p.since + STOP_GRACE, Expiry::Idle),
            (None, 0) => (p.since + read_timeout, Expiry::Head),
            (None, _) if stopping => (Instant::now(), Expiry::Idle),
            (None, _) => ((p.since + read_timeout).min(p.accepted + KEEP_ALIVE_LIFETIME), Expiry::Idle),
            (Some(first), 0) => (p.since.min(first) + read_timeout, Expiry::Head),
            (Some(first), _) => (first + read_timeout, Expiry::Head),
        }
    }
}

fn kind(p: &Phase) -> Option<Reclaim> {
    if p.busy || p.streaming || p.reclaim {
        return None;
    }
    Some(if p.served > 0 && p.first_byte.is_none() { Reclaim::IdleKeepAlive } else { Reclaim::IncompleteHead })
}

impl Default for ConnState {
    fn default() -> Self {
        ConnState::new()
    }
}

/// The client's socket, telling its [`ConnState`] when bytes arrive.
pub struct Tracked {
    /// The socket.
    pub stream: TcpStream,
    state: std::sync::Arc<ConnState>,
}

impl Tracked {
    /// Wraps an accepted socket.
    pub fn new(stream: TcpStream, state: std::sync::Arc<ConnState>) -> Tracked {
        Tracked { stream, state }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.state.saw_bytes(&buf.filled()[before..]);
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Ends a connection politely: stop sending (the client sees the end of the answer), then read and
/// discard what it still sends for a short while, so closing does not reset the connection before
/// the client has read the answer.
pub async fn linger(mut stream: TcpStream, first: &[u8]) {
    if !first.is_empty() {
        let write = tokio::time::timeout(LINGER, stream.write_all(first));
        if !matches!(write.await, Ok(Ok(()))) {
            return;
        }
    }
    if stream.shutdown().await.is_err() {
        return;
    }
    let until = tokio::time::Instant::now() + LINGER;
    let mut chunk = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    while total < LINGER_BYTES {
        match tokio::time::timeout_at(until, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_phase() {
        let t = Duration::from_secs(5);
        let s = ConnState::new();
        assert_eq!(
            s.deadline(t, false, std::task::Waker::noop()).1,
            Expiry::Head,
            "a first request must arrive in time"
        );
        assert_eq!(s.deadline(t, true, std::task::Waker::noop()).1, Expiry::Idle);
        let (started, _) = s.begin();
        assert_eq!(s.deadline(t, false, std::task::Waker::noop()), (started + t + BUSY_GRACE, Expiry::Stuck));
        s.end();
        assert!(s.idle());
        assert_eq!(s.deadline(t, false, std::task::Waker::noop()).1, Expiry::Idle, "keep-alive waits close quietly");
        s.saw_bytes(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r");
        assert!(!s.idle());
        s.saw_bytes(b"\ncOntent-LENGTH: 5\r\n\r");
        assert_eq!(s.deadline(t, false, std::task::Waker::noop()).1, Expiry::Head);
        s.saw_bytes(b"\n5\r\nhello\r\n0\r\n\r\n");
        let (_, head) = s.begin();
        let head = head.expect("the head arrived whole, across reads");
        assert_eq!(
            head, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\ncOntent-LENGTH: 5\r\n\r\n",
            "the body is not the head"
        );
        assert!(head_has(&head, b"content-length"), "any case");
        assert!(!head_has(&head, b"x"));
        s.end();
        s.saw_bytes(b"POST / HTTP/1.1\nX: 1\n\nContent-Length: 5\r\n");
        let head = s.begin().1.expect("bare LF ends a head too");
        assert!(!head_has(&head, b"content-length"), "the body is not the head");
        s.end();
        s.saw_bytes(b"POST / HTTP/1.1\r\nX: 1\r\n");
        assert_eq!(s.begin().1, None, "a head not seen whole is not kept");
        s.end();
        s.saw_bytes(&[b'x'; MAX_HEAD + 10]);
        s.saw_bytes(b"\r\n\r\n");
        assert_eq!(s.begin().1, None, "an oversized head is not kept");
    }

    #[test]
    fn keep_alive_connections_have_a_bounded_lifetime() {
        let t = Duration::from_secs(5);
        let s = ConnState::new();
        s.begin();
        s.end();
        let (at, kind) = s.deadline(t, false, std::task::Waker::noop());
        assert_eq!(kind, Expiry::Idle);
        assert!(at > Instant::now(), "a fresh keep-alive connection may wait");
        s.lock().accepted = Instant::now() - KEEP_ALIVE_LIFETIME - Duration::from_secs(1);
        let (at, kind) = s.deadline(t, false, std::task::Waker::noop());
        assert!(kind == Expiry::Idle && at <= Instant::now(), "past its lifetime it closes when idle");
    }

    #[test]
    fn only_connections_with_nothing_in_progress_are_reclaimed() {
        let t = Duration::from_secs(5);
        let s = ConnState::new();
        assert_eq!(s.reclaimable(), Some(Reclaim::IncompleteHead), "silent");
        s.begin();
        assert_eq!(s.reclaimable(), None, "a request in the service is never taken");
        assert!(!s.reclaim(Reclaim::IncompleteHead));
        s.end();
        assert_eq!(s.reclaimable(), Some(Reclaim::IdleKeepAlive));
        assert!(!s.reclaim(Reclaim::IncompleteHead), "of another kind now");
        assert!(s.reclaim(Reclaim::IdleKeepAlive));
        assert_eq!(s.deadline(t, false, std::task::Waker::noop()).1, Expiry::Reclaimed);
        assert_eq!(s.reclaimable(), None, "taken once");
        let streaming = ConnState::new();
        streaming.streaming();
        assert_eq!(streaming.reclaimable(), None, "event streams are not taken");
    }
}
