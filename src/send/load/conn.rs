//! Plain HTTP/1.1 without a client library, for load mode: encode a [`Request`] as bytes, and
//! read an answer from bytes as they arrive ([`AnswerReader`], sans-IO, so the load engine can
//! drive it from an event loop). Heads and chunk sizes are parsed by httparse, the parser hyper
//! uses, so what load mode accepts is what a hyper client accepts.
//!
//! reqwest's blocking client hands every request to a background runtime thread and back, which
//! costs more CPU than the receiver under test spends answering it; load mode exists to measure
//! the receiver. Only `http://` URLs with no proxy in the environment go this way (see
//! [`eligible`]); everything else uses [`crate::send::client::Client`]. Answers may use
//! `Content-Length`, chunked encoding, or end at close; interim 1xx answers are skipped; heads
//! are capped at [`HEAD_MAX`] and bodies are read only up to [`BODY_READ_MAX`], so a peer that
//! never stops sending costs bounded memory and time. Nothing here prints.
//!
//! Why not hyper's `client::conn::http1` (issue 25 allows this client only if hyper would cost
//! throughput), measured 2026-12-04 on the 2-CPU development machine against `serve`, 50,000
//! votes at concurrency 32, client CPU from `perf stat` per request, three runs each, alternating:
//! - this client with votes rendered from [`super::votes::Template`]: user time 2.1–4.9 µs,
//!   task-clock 11.5–15.3 µs (two event loops then; `bench/simulate` has the current figures);
//! - hyper resending one prepared request (a cloned `HeaderMap` and body, no signing at all, so
//!   a lower bound): user 4.3–6.9 µs, task-clock 13.4–16.6 µs;
//! - hyper with each vote signed and built as a request: task-clock 16.6–19.8 µs, user 7.2–10.1 µs.
//!
//! hyper's own work (the `HeaderMap`, its encoder, a parsed response head) costs about twice this
//! client's user time before any signing, and it cannot send the votes' bytes as they are: it
//! writes header names in lower case (or all in title case), where a single delivery sends
//! `Content-Type` and `User-Agent` next to `x-topgg-signature`, and the original case is only
//! kept through an extension hyper keeps private.

use std::io::Write;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::send::client::{AttemptError, Request, Response};
use crate::send::target::{Url, describe_target};

/// Whether a URL can be sent to directly: plain http, and no proxy variable set.
pub fn eligible(url: &Url) -> bool {
    let proxy_vars = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
    url.scheme() == "http" && !proxy_vars.iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Writes `req` as an HTTP/1.1 request (with `Host` and `Content-Length`) into `out`, replacing
/// what was there.
pub fn encode(req: &Request, out: &mut Vec<u8>) {
    let url = &req.url;
    out.clear();
    let _ = write!(out, "{} {}", req.method, url.path());
    if let Some(q) = url.query() {
        let _ = write!(out, "?{q}");
    }
    let _ = write!(out, " HTTP/1.1\r\nHost: {}", url.host_str().unwrap_or_default());
    if let Some(p) = url.port() {
        let _ = write!(out, ":{p}");
    }
    out.extend_from_slice(b"\r\n");
    for (n, v) in &req.headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", req.body.len());
    out.extend_from_slice(&req.body);
}

/// At most this much of an answer's head (status line, headers, and any trailers) is read.
pub const HEAD_MAX: usize = 64 * 1024;
/// At most this much of an answer's body is kept; the rest is read and discarded.
pub const BODY_KEPT: usize = 8 * 1024;
/// After this much body the answer is cut: its status stands and the connection is dropped, so an
/// endless body costs neither memory nor the whole timeout.
pub const BODY_READ_MAX: u64 = 1024 * 1024;
/// A chunk-size line (size and extensions) longer than this is refused.
const CHUNK_LINE_MAX: usize = 4 * 1024;
/// Headers parsed per answer head.
const HEADERS_MAX: usize = 128;

/// A final answer. Its headers are read for framing and keep-alive only, not kept: load mode
/// counts statuses, and copying every header into strings cost more than the rest of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The status code (never 1xx: interim answers are skipped).
    pub status: u16,
    /// The decoded body, at most [`BODY_KEPT`] bytes of it.
    pub body: Vec<u8>,
    /// Whether the body was longer than what was kept or read ([`BODY_KEPT`], [`BODY_READ_MAX`]).
    pub cut: bool,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

/// What the bytes so far amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    Incomplete,
    /// A whole answer.
    Done(Parsed),
    /// Not an HTTP answer; the sentence says why.
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    UntilClose,
    Done,
}

/// Reads one answer from bytes as they arrive, in bounded memory: the head is parsed by httparse
/// once whole (at most [`HEAD_MAX`]), interim 1xx answers are skipped, and the body is decoded
/// (Content-Length, chunked via `httparse::parse_chunk_size`, or until close) keeping only its
/// first [`BODY_KEPT`] bytes.
#[derive(Debug)]
pub struct AnswerReader {
    pending: Vec<u8>,
    state: State,
    received: u64,
    status: u16,
    body: Vec<u8>,
    body_seen: u64,
    cut: bool,
    keep_alive: bool,
}

impl Default for AnswerReader {
    fn default() -> Self {
        Self::new()
    }
}

impl AnswerReader {
    /// A reader waiting for a status line.
    pub fn new() -> Self {
        AnswerReader {
            pending: Vec::with_capacity(1024),
            state: State::Head,
            received: 0,
            status: 0,
            body: Vec::new(),
            body_seen: 0,
            cut: false,
            keep_alive: true,
        }
    }

    /// Starts over for the next answer, keeping the allocations.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.state = State::Head;
        self.received = 0;
        self.status = 0;
        self.body.clear();
        self.body_seen = 0;
        self.cut = false;
        self.keep_alive = true;
    }

    /// Whether no byte at all has arrived (a kept-alive socket closed by the peer looks like this).
    pub fn untouched(&self) -> bool {
        self.received == 0
    }

    /// Feeds the bytes that arrived; `eof` says the peer closed (which ends a body without a
    /// length). Once `Done` or `Invalid`, the reader must be [`reset`](Self::reset) before reuse.
    pub fn push(&mut self, bytes: &[u8], eof: bool) -> Progress {
        self.received += bytes.len() as u64;
        self.pending.extend_from_slice(bytes);
        match self.advance() {
            Err(e) => Progress::Invalid(e),
            Ok(()) if self.state == State::Done => self.finish(),
            Ok(()) if eof && self.state == State::UntilClose => {
                self.keep_alive = false;
                self.finish()
            }
            Ok(()) if eof => Progress::Invalid(if self.received == 0 {
                "closed the connection without answering".into()
            } else {
                "closed the connection before a whole answer".into()
            }),
            Ok(()) => Progress::Incomplete,
        }
    }

    fn finish(&mut self) -> Progress {
        // Bytes after the answer were never asked for: the socket is not safe to reuse.
        if !self.pending.is_empty() {
            self.keep_alive = false;
        }
        Progress::Done(Parsed {
            status: self.status,
            body: std::mem::take(&mut self.body),
            cut: self.cut,
            keep_alive: self.keep_alive,
        })
    }

    /// Consumes as much of `pending` as the state allows.
    fn advance(&mut self) -> Result<(), String> {
        loop {
            match self.state {
                State::Done => return Ok(()),
                State::Head => {
                    if !self.head()? {
                        return Ok(());
                    }
                }
                State::Length(left) | State::ChunkData(left) => {
                    let chunked = matches!(self.state, State::ChunkData(_));
                    let n = left.min(self.pending.len() as u64) as usize;
                    if n == 0 {
                        return Ok(());
                    }
                    self.take_body(n);
                    if self.state == State::Done {
                        continue;
                    }
                    self.state = match (chunked, left - n as u64) {
                        (false, 0) => State::Done,
                        (false, left) => State::Length(left),
                        (true, 0) => State::ChunkEnd,
                        (true, left) => State::ChunkData(left),
                    };
                }
                State::UntilClose => {
                    self.take_body(self.pending.len());
                    return Ok(());
                }
                State::ChunkEnd => {
                    if self.pending.len() < 2 {
                        return Ok(());
                    }
                    if &self.pending[..2] != b"\r\n" {
                        return Err("sent a chunk not followed by CRLF".into());
                    }
                    self.pending.drain(..2);
                    self.state = State::ChunkSize;
                }
                State::ChunkSize => {
                    // httparse reads an empty size as 0; a size must have a digit.
                    if self.pending.first().is_some_and(|b| !b.is_ascii_hexdigit()) {
                        return Err("sent a chunk size that is not hex".into());
                    }
                    match httparse::parse_chunk_size(&self.pending) {
                        Ok(httparse::Status::Complete((used, size))) => {
                            self.pending.drain(..used);
                            self.state = if size == 0 { State::Trailers } else { State::ChunkData(size) };
                        }
                        Ok(httparse::Status::Partial) if self.pending.len() > CHUNK_LINE_MAX => {
                            return Err(format!("sent a chunk-size line over {} KiB", CHUNK_LINE_MAX / 1024));
                        }
                        Ok(httparse::Status::Partial) => return Ok(()),
                        Err(_) => return Err("sent a chunk size that is not hex".into()),
                    }
                }
                State::Trailers => {
                    let mut slots = [httparse::EMPTY_HEADER; HEADERS_MAX];
                    match httparse::parse_headers(&self.pending, &mut slots) {
                        Ok(httparse::Status::Complete((used, _))) => {
                            self.pending.drain(..used);
                            self.state = State::Done;
                        }
                        Ok(httparse::Status::Partial) if self.pending.len() > HEAD_MAX => {
                            return Err(format!("sent trailers over {} KiB", HEAD_MAX / 1024));
                        }
                        Ok(httparse::Status::Partial) => return Ok(()),
                        Err(e) => return Err(format!("sent malformed trailers ({e})")),
                    }
                }
            }
        }
    }

    /// Counts `n` body bytes off the front of `pending`, keeping the first [`BODY_KEPT`].
    fn take_body(&mut self, n: usize) {
        let room = BODY_KEPT.saturating_sub(self.body.len()).min(n);
        self.body.extend_from_slice(&self.pending[..room]);
        self.body_seen += n as u64;
        self.pending.drain(..n);
        if self.body_seen > BODY_KEPT as u64 {
            self.cut = true;
        }
        if self.body_seen >= BODY_READ_MAX {
            // Stop reading: the rest would only be discarded, and may never end.
            self.keep_alive = false;
            self.state = State::Done;
        }
    }

    /// Parses the head if it is whole; `Ok(false)` when more bytes are needed.
    fn head(&mut self) -> Result<bool, String> {
        // Uninitialised slots: zeroing 128 of them (4 KiB) cost more than parsing a short head.
        let mut slots = [std::mem::MaybeUninit::<httparse::Header<'_>>::uninit(); HEADERS_MAX];
        let mut resp = httparse::Response::new(&mut []);
        let parsed =
            httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut resp, &self.pending, &mut slots);
        let used = match parsed {
            Ok(httparse::Status::Complete(used)) if used <= HEAD_MAX => used,
            Ok(_) if self.pending.len() > HEAD_MAX => {
                return Err(format!("sent an answer head over {} KiB", HEAD_MAX / 1024));
            }
            Ok(_) => return Ok(false),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(format!("sent an answer with more than {HEADERS_MAX} headers"));
            }
            Err(e) => {
                let first = self.pending.split(|&b| b == b'\n').next().unwrap_or_default();
                let shown: String = String::from_utf8_lossy(first).trim_end().chars().take(60).collect();
                return Err(format!("sent {shown:?}, which is not an HTTP answer ({e})"));
            }
        };
        let status = resp.code.unwrap_or_default();
        let http10 = resp.version == Some(0);
        let framing = Framing::of(resp.headers);
        self.pending.drain(..used);
        if status == 101 {
            return Err("switched protocols (101) although no upgrade was asked for".into());
        }
        if (100..200).contains(&status) {
            // 100 Continue, 102 Processing, 103 Early Hints: the final answer follows.
            return Ok(true);
        }
        self.keep_alive = !http10 && !framing.close;
        self.status = status;
        self.state = if status == 204 || status == 304 {
            State::Done
        } else if let Some(chunked) = framing.last_coding_chunked {
            if chunked {
                State::ChunkSize
            } else {
                // Not chunked last: the body runs to the close (RFC 9112 §6.3).
                self.keep_alive = false;
                State::UntilClose
            }
        } else if let Some(length) = framing.length {
            match length? {
                0 => State::Done,
                len => State::Length(len),
            }
        } else {
            self.keep_alive = false;
            State::UntilClose
        };
        Ok(true)
    }
}

/// What an answer's headers say about its framing, read from httparse's slices without copying.
struct Framing {
    /// `Connection: close`.
    close: bool,
    /// Whether the last transfer coding is `chunked`; `None` without `Transfer-Encoding`.
    last_coding_chunked: Option<bool>,
    /// The `Content-Length` (the first, which the others must repeat); `None` without one.
    length: Option<Result<u64, String>>,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> Self {
        let values = |name: &'static str| {
            headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.trim_ascii())
        };
        let close = values("connection")
            .any(|c| c.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close")));
        let last_coding_chunked = values("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .last()
            .map(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        let parse = |v: &[u8]| {
            std::str::from_utf8(v)
                .ok()
                .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let length = values("content-length").next().map(|first| {
            let Some(len) = parse(first) else {
                return Err(format!(
                    "sent Content-Length {:?}, which is not a number",
                    clip(&String::from_utf8_lossy(first))
                ));
            };
            if values("content-length").any(|v| parse(v) != Some(len)) {
                return Err("sent Content-Length headers that disagree".into());
            }
            Ok(len)
        });
        Framing { close, last_coding_chunked, length }
    }
}

/// The first 40 characters of a header value, for a message.
fn clip(v: &str) -> String {
    v.chars().take(40).collect()
}

pub(super) async fn connect(url: &Url) -> Result<TcpStream, AttemptError> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| AttemptError::Connect { target: describe_target(url), reason: crate::error::io_reason(&e) })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// An answer as load mode keeps it: the response, and whether its body was cut
/// (see [`AnswerReader`]).
pub(super) struct Answer {
    pub response: Response,
    pub cut: bool,
}

/// Sends the encoded request `out` and reads one answer, skipping interim 1xx answers. A
/// kept-alive socket the server closed meanwhile gets one retry on a fresh socket, as browsers do.
/// The answer's latency counts from `started`, the attempt's start (one clock reading fewer).
pub(super) async fn exchange(
    conn: &mut Option<TcpStream>,
    url: &Url,
    out: &[u8],
    reader: &mut AnswerReader,
    chunk: &mut [u8],
    started: Instant,
) -> Result<Answer, AttemptError> {
    let failed = |what: &str, e: &std::io::Error| {
        AttemptError::Other(format!("{what} {} failed: {}", describe_target(url), crate::error::io_reason(e)))
    };
    'fresh: for fresh in [false, true] {
        let reused = conn.is_some() && !fresh;
        let mut stream = match conn.take() {
            Some(s) if !fresh => s,
            _ => connect(url).await?,
        };
        if let Err(e) = stream.write_all(out).await {
            if reused {
                continue 'fresh;
            }
            return Err(failed("sending to", &e));
        }
        reader.reset();
        loop {
            let n = match stream.read(chunk).await {
                Ok(n) => n,
                Err(_) if reused && reader.untouched() => continue 'fresh,
                Err(e) => return Err(failed("reading the answer from", &e)),
            };
            if n == 0 && reused && reader.untouched() {
                continue 'fresh;
            }
            match reader.push(&chunk[..n], n == 0) {
                Progress::Incomplete => {}
                Progress::Done(p) => {
                    if p.keep_alive {
                        *conn = Some(stream);
                    }
                    let response = Response {
                        status: p.status,
                        headers: Vec::new(),
                        body: p.body,
                        truncated: p.cut,
                        latency: started.elapsed(),
                    };
                    return Ok(Answer { response, cut: p.cut });
                }
                Progress::Invalid(e) => return Err(AttemptError::Other(format!("{} {e}", describe_target(url)))),
            }
        }
    }
    Err(AttemptError::Closed { target: describe_target(url) })
}

#[cfg(test)]
mod tests;
