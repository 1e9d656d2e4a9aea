//! The receiver's HTTP/1.1 layer: reading one request at a time from a connection with a size cap
//! and a deadline, and writing a response in one write.
//!
//! Hand-written over `std::net` rather than on tiny_http 0.12 because the receiver must answer 408 to
//! a client that sends nothing in time (tiny_http sets no read timeout, and on Unix a timed-out read
//! is `WouldBlock`, which it treats as a silent close), must refuse an oversized body with 413 before
//! reading it, and must survive accept errors under load (tiny_http's accept thread stops for good on
//! the first one). It supports what Top.gg and curl send: `Content-Length` and chunked bodies,
//! keep-alive, pipelining and `Expect: 100-continue`. It never prints.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Limits one connection's requests obey.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest body accepted; larger ones get 413.
    pub max_body: usize,
    /// The largest request head (request line and headers) accepted; larger ones get 431.
    pub max_head: usize,
    /// How long a client may take to send a whole request (head and body) before it gets 408.
    pub read_timeout: Duration,
}

/// How often a blocked read wakes up to look at the deadline and the stop flag.
pub const POLL_SLICE: Duration = Duration::from_millis(100);

/// One request, read whole.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, `GET`, …
    pub method: String,
    /// The request target as sent, query string included.
    pub target: String,
    /// Headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, exact bytes.
    pub body: Vec<u8>,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// When the first byte of the request arrived (or the connection was accepted).
    pub started: Instant,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }
}

/// A request the HTTP layer refused before the application saw it.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The status to answer.
    pub status: u16,
    /// The stable verdict code for logs (`too-large`, `timeout`, `bad-request`, …).
    pub verdict: &'static str,
    /// One sentence saying what was wrong.
    pub detail: String,
    /// The method, when the request line was readable.
    pub method: Option<String>,
    /// The target, when the request line was readable.
    pub target: Option<String>,
    /// When the request started.
    pub started: Instant,
    /// Whether unread request bytes may still be arriving (drain them before closing).
    pub unread_body: bool,
}

/// What reading the next request gave.
#[derive(Debug)]
pub enum Next {
    /// A whole request.
    Request(Request),
    /// The client closed or went idle between requests, or the server is stopping: close quietly.
    Closed,
    /// Answer this status and close.
    Refused(Refusal),
}

/// One client connection: the socket and the bytes read past the last request.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    limits: Limits,
    accepted: Instant,
    served: u64,
    /// Read buffer, kept so each read does not zero a fresh one.
    chunk: Box<[u8; 16 * 1024]>,
}

impl Conn {
    /// Wraps an accepted socket; sets the poll read timeout and a write timeout.
    pub fn new(stream: TcpStream, limits: Limits) -> io::Result<Conn> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL_SLICE.min(limits.read_timeout).max(Duration::from_millis(1))))?;
        stream.set_write_timeout(Some(limits.read_timeout.max(Duration::from_secs(1))))?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(8192),
            limits,
            accepted: Instant::now(),
            served: 0,
            chunk: Box::new([0u8; 16 * 1024]),
        })
    }

    /// The socket, for writing responses.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Reads the next request. A client that sends nothing of its first request in time gets 408;
    /// an idle keep-alive connection is closed quietly, as is any idle connection once `stop` is set.
    pub fn next_request(&mut self, stop: &AtomicBool) -> Next {
        let first = self.served == 0;
        let mut started = if first && self.buf.is_empty() { Some(self.accepted) } else { None };
        if !self.buf.is_empty() {
            started = Some(Instant::now());
        }
        let wait_from = Instant::now();
        let head_end = loop {
            if let Some(end) = find_head_end(&self.buf) {
                break end;
            }
            if self.buf.len() > self.limits.max_head {
                return Next::Refused(self.refusal(
                    431,
                    "head-too-large",
                    "the request head is over the size limit".into(),
                    started,
                ));
            }
            let deadline = started.unwrap_or(wait_from) + self.limits.read_timeout;
            match self.fill() {
                Ok(0) => {
                    if self.buf.is_empty() {
                        return Next::Closed;
                    }
                    return Next::Refused(self.refusal(
                        400,
                        "bad-request",
                        "the client closed the connection in the middle of the request head".into(),
                        started,
                    ));
                }
                Ok(_) => {
                    let first_byte = *started.get_or_insert_with(Instant::now);
                    // A client trickling bytes never lets a read time out: check the clock here too.
                    if Instant::now() >= first_byte + self.limits.read_timeout && find_head_end(&self.buf).is_none() {
                        return Next::Refused(self.head_timeout(first_byte));
                    }
                }
                Err(e) if is_timeout(&e) => {
                    let idle = self.buf.is_empty();
                    if idle && (stop.load(Ordering::Relaxed) || (!first && Instant::now() >= deadline)) {
                        return Next::Closed;
                    }
                    if Instant::now() >= deadline {
                        return Next::Refused(self.head_timeout(started.unwrap_or(wait_from)));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Closed,
            }
        };
        let started = started.unwrap_or(wait_from);
        let (head_len, body_start) = head_end;
        let head = match parse_head(&self.buf[..head_len]) {
            Ok(h) => h,
            Err((status, detail)) => {
                let mut r = self.refusal(
                    status,
                    if status == 505 { "http-version" } else { "bad-request" },
                    detail,
                    Some(started),
                );
                r.unread_body = true;
                return Next::Refused(r);
            }
        };
        self.buf.drain(..body_start);
        let with_request = |mut r: Refusal| {
            r.method = Some(head.method.clone());
            r.target = Some(head.target.clone());
            Next::Refused(r)
        };
        let deadline = started + self.limits.read_timeout;
        let body = if head.chunked {
            if head.expect_continue && self.buf.is_empty() {
                let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            match self.read_chunked(deadline) {
                Ok(body) => body,
                Err(Short::TooLarge) => {
                    let mut r = self.refusal(
                        413,
                        "too-large",
                        format!("the chunked body is over the {} byte limit", self.limits.max_body),
                        Some(started),
                    );
                    r.unread_body = true;
                    return with_request(r);
                }
                Err(short) => return self.short_body(short, "chunked body".into(), started, with_request),
            }
        } else {
            if head.content_length > self.limits.max_body as u64 {
                let mut r = self.refusal(
                    413,
                    "too-large",
                    format!("the body is {} bytes, over the {} byte limit", head.content_length, self.limits.max_body),
                    Some(started),
                );
                r.unread_body = true;
                return with_request(r);
            }
            let len = head.content_length as usize;
            if head.expect_continue && self.buf.len() < len {
                let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            if let Err(short) = self.wait_for(|b| b.len() >= len, deadline) {
                let what = format!("{} of {len} body bytes", self.buf.len());
                return self.short_body(short, what, started, with_request);
            }
            let rest = self.buf.split_off(len);
            std::mem::replace(&mut self.buf, rest)
        };
        self.served += 1;
        Next::Request(Request {
            method: head.method,
            target: head.target,
            headers: head.headers,
            body,
            keep_alive: head.keep_alive,
            started,
        })
    }

    /// Reads until `enough(buffer)` holds, or the deadline passes, or the client goes away.
    fn wait_for(&mut self, enough: impl Fn(&[u8]) -> bool, deadline: Instant) -> Result<(), Short> {
        while !enough(&self.buf) {
            match self.fill() {
                Ok(0) => return Err(Short::Eof),
                Ok(_) => {
                    if Instant::now() >= deadline && !enough(&self.buf) {
                        return Err(Short::Timeout);
                    }
                }
                Err(e) if is_timeout(&e) => {
                    if Instant::now() >= deadline {
                        return Err(Short::Timeout);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Short::Broken),
            }
        }
        Ok(())
    }

    /// Decodes a `Transfer-Encoding: chunked` body, refusing it once it passes the cap.
    fn read_chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, Short> {
        let mut body = Vec::new();
        loop {
            let line_end = |b: &[u8]| b.windows(2).position(|w| w == b"\r\n");
            self.wait_for(|b| line_end(b).is_some() || b.len() > 1024, deadline)?;
            let end = line_end(&self.buf).ok_or(Short::Malformed)?;
            let line = std::str::from_utf8(&self.buf[..end]).map_err(|_| Short::Malformed)?;
            let size_hex = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_hex, 16).map_err(|_| Short::Malformed)?;
            self.buf.drain(..end + 2);
            if size == 0 {
                // Trailer fields, then the blank line.
                loop {
                    self.wait_for(|b| line_end(b).is_some() || b.len() > 8192, deadline)?;
                    let end = line_end(&self.buf).ok_or(Short::Malformed)?;
                    self.buf.drain(..end + 2);
                    if end == 0 {
                        return Ok(body);
                    }
                }
            }
            if body.len().saturating_add(size) > self.limits.max_body {
                return Err(Short::TooLarge);
            }
            self.wait_for(|b| b.len() >= size + 2, deadline)?;
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err(Short::Malformed);
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
        }
    }

    /// The refusal for a body that did not arrive whole.
    fn short_body(&self, short: Short, what: String, started: Instant, with_request: impl Fn(Refusal) -> Next) -> Next {
        let ms = self.limits.read_timeout.as_millis();
        let mut r = match short {
            Short::Broken => return Next::Closed,
            Short::Eof => self.refusal(
                400,
                "bad-request",
                format!("the client closed the connection after {what}"),
                Some(started),
            ),
            Short::Timeout => {
                self.refusal(408, "timeout", format!("only {what} arrived within {ms} ms"), Some(started))
            }
            Short::Malformed | Short::TooLarge => {
                self.refusal(400, "bad-request", "the chunked body is malformed".into(), Some(started))
            }
        };
        r.unread_body = !matches!(short, Short::Eof);
        with_request(r)
    }

    fn head_timeout(&self, started: Instant) -> Refusal {
        let ms = self.limits.read_timeout.as_millis();
        self.refusal(408, "timeout", format!("no complete request head within {ms} ms"), Some(started))
    }

    fn refusal(&self, status: u16, verdict: &'static str, detail: String, started: Option<Instant>) -> Refusal {
        Refusal {
            status,
            verdict,
            detail,
            method: None,
            target: None,
            started: started.unwrap_or_else(Instant::now),
            unread_body: false,
        }
    }

    fn fill(&mut self) -> io::Result<usize> {
        let n = self.stream.read(&mut self.chunk[..])?;
        self.buf.extend_from_slice(&self.chunk[..n]);
        Ok(n)
    }

    /// After a refusal: stop sending, then read and discard what the client still sends for a short
    /// while, so closing does not reset the connection before the client has read the answer.
    pub fn linger(&mut self, limit: Duration) {
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let until = Instant::now() + limit;
        let mut chunk = [0u8; 16 * 1024];
        let mut total = 0usize;
        while Instant::now() < until && total < 64 * 1024 * 1024 {
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
}

/// Why a body could not be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Short {
    /// The client closed the connection.
    Eof,
    /// The deadline passed.
    Timeout,
    /// The socket failed.
    Broken,
    /// Chunked framing was wrong.
    Malformed,
    /// Over the cap.
    TooLarge,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// The end of the head (excluding the blank line) and the start of the body.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some((nl, nl + 2)),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some((nl, nl + 3)),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    content_length: u64,
    chunked: bool,
    keep_alive: bool,
    expect_continue: bool,
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn parse_head(raw: &[u8]) -> Result<Head, (u16, String)> {
    let bad = |m: String| (400, m);
    let text = std::str::from_utf8(raw).map_err(|_| bad("the request head is not UTF-8".into()))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(format!("{:?} is not a request line like \"POST /path HTTP/1.1\"", shorten(line))));
    };
    if !is_token(method) || !(target.starts_with('/') || target == "*") || target.bytes().any(|b| b.is_ascii_control())
    {
        return Err(bad(format!("{:?} is not a request line like \"POST /path HTTP/1.1\"", shorten(line))));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") => return Err((505, format!("{v} is not supported; use HTTP/1.1"))),
        _ => return Err(bad(format!("{:?} is not an HTTP version", shorten(version)))),
    };
    let mut headers = Vec::new();
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut connection_close = http10;
    let mut expect_continue = false;
    for l in lines {
        let Some((name, value)) = l.split_once(':') else {
            return Err(bad(format!("header line {:?} has no colon", shorten(l))));
        };
        if !is_token(name) {
            return Err(bad(format!("header name {:?} is not valid", shorten(name))));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            // Control characters have no place in a header, and would reach terminals via the log.
            return Err(bad(format!("header {:?} has a control character in its value", shorten(name))));
        }
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("Content-Length {:?} is not a number", shorten(value))));
            }
            let n: u64 = value.parse().unwrap_or(u64::MAX);
            if content_length.is_some_and(|c| c != n) {
                return Err(bad("two different Content-Length headers".into()));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or_default().trim();
            if !last.eq_ignore_ascii_case("chunked") {
                return Err(bad(format!(
                    "Transfer-Encoding {:?} is not supported (send chunked or Content-Length)",
                    shorten(value)
                )));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                connection_close = true;
            } else if v.contains("keep-alive") {
                connection_close = false;
            }
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
        headers.push((name.to_string(), value.to_string()));
    }
    if chunked && content_length.is_some() {
        // Both framings at once is how requests are smuggled past proxies: refuse it.
        return Err(bad("both Transfer-Encoding and Content-Length are set".into()));
    }
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        content_length: content_length.unwrap_or(0),
        chunked,
        keep_alive: !connection_close,
        expect_continue,
    })
}

fn shorten(s: &str) -> String {
    s.chars().take(60).collect()
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// Extra headers (`Allow`, a forwarded app's headers, …).
    pub headers: Vec<(String, String)>,
    /// The body (never sent for 204 and 1xx).
    pub body: Vec<u8>,
    /// Send the headers of this response without its body (an answer to HEAD).
    pub head_only: bool,
}

impl Response {
    /// A response with no body.
    pub fn empty(status: u16) -> Response {
        Response { status, content_type: None, headers: Vec::new(), body: Vec::new(), head_only: false }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        let mut body = serde_json::to_vec(value).unwrap_or_default();
        body.push(b'\n');
        Response { status, content_type: Some("application/json"), headers: Vec::new(), body, head_only: false }
    }

    /// A JSON `{"error": code, "message": detail}` response, the shape of every refusal.
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        Response::json(status, &serde_json::json!({ "error": code, "message": message }))
    }

    /// The raw bytes, status line to body; `close` adds `Connection: close`.
    pub fn to_bytes(&self, close: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.body.len());
        out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", self.status, reason_phrase(self.status)).as_bytes());
        if let Some(ct) = self.content_type {
            out.extend_from_slice(b"Content-Type: ");
            out.extend_from_slice(ct.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        for (n, v) in &self.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        let bodyless = self.status == 204 || self.status == 304 || self.status < 200;
        if !bodyless {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !bodyless && !self.head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// The standard reason phrase for the statuses the receiver uses.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parsing() {
        let h = parse_head(b"POST /x?a=1 HTTP/1.1\r\nContent-Length: 2\r\nConnection: close").unwrap();
        assert_eq!(
            (h.method.as_str(), h.target.as_str(), h.content_length, h.keep_alive),
            ("POST", "/x?a=1", 2, false)
        );
        assert!(parse_head(b"GET / HTTP/1.0").is_ok_and(|h| !h.keep_alive));
        assert_eq!(parse_head(b"GET / HTTP/2.0").err().map(|e| e.0), Some(505));
        for bad in
            [&b"GET /"[..], b"GET / HTTP/1.1\r\nnocolon", b"GET x HTTP/1.1", b"G T / HTTP/1.1", b"\xff / HTTP/1.1"]
        {
            assert_eq!(parse_head(bad).err().map(|e| e.0), Some(400), "{bad:?}");
        }
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: -1").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nx-topgg-trace: a\x1b[2Jb").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nx-topgg-trace: a\tb").is_ok());
    }

    #[test]
    fn transfer_encoding_rules() {
        assert!(parse_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked").is_ok_and(|h| h.chunked));
        assert!(parse_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3").is_err());
    }

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"a\r\n\r\nbody"), Some((2, 5)));
        assert_eq!(find_head_end(b"a\n\nbody"), Some((1, 3)));
        assert_eq!(find_head_end(b"a\r\nb"), None);
    }

    #[test]
    fn no_body_on_204() {
        let bytes = Response::empty(204).to_bytes(false);
        assert_eq!(bytes, b"HTTP/1.1 204 No Content\r\n\r\n");
    }
}
