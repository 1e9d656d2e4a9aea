//! The receiver's hyper service: from a hyper request to the answer, the log line and the history
//! row. The limits come first ([`super::limits`]: 501 for transfer codings other than chunked, 413
//! before reading an oversized body, 408 when it does not arrive in time, 400 for broken
//! framing), then the routing `match` of `route` hands a whole [`Request`] to the endpoints of
//! `routes.rs`. Statuses follow protocol.md §7. Nothing here prints: every request ends in
//! one [`RequestLog`] handed to the caller's callback.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::{Value, json};

use super::limits::{BodyError, ConnState, read_body};
use super::routes;
use super::{RequestLog, Shared};
use crate::protocol::capture::Capture;
use crate::protocol::signature::TRACE_HEADER;
use crate::protocol::time::now_unix_nanos;

/// The body of every answer: boxed so a route can stream (server-sent events) as well as send a
/// whole buffer.
pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// One request, read whole, as the endpoints see it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, `GET`, …
    pub method: String,
    /// The request target as sent, query string included.
    pub target: String,
    /// Headers in arrival order (names lowercase, as hyper gives them).
    pub headers: Vec<(String, String)>,
    /// The body, exact bytes (chunked bodies decoded).
    pub body: Bytes,
    /// When the request started (the first byte, or the connection's accept for its first one).
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

    /// The request as a capture: valid HTTP as stored, so a chunked body is written whole with
    /// its decoded Content-Length and no Transfer-Encoding.
    pub fn to_capture(&self) -> Capture {
        let chunked = self.header("transfer-encoding").is_some();
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| {
                !(chunked && (n.eq_ignore_ascii_case("transfer-encoding") || n.eq_ignore_ascii_case("trailer")))
            })
            .cloned()
            .collect();
        if chunked {
            headers.push(("content-length".into(), self.body.len().to_string()));
        }
        Capture { method: self.method.clone(), path: self.target.clone(), headers, body: self.body.to_vec() }
    }
}

/// What handling a request decided, before it becomes a response and a log line.
pub struct Outcome {
    /// The status to answer.
    pub status: u16,
    /// `ok` or the refusal's reason code.
    pub verdict: &'static str,
    /// One sentence of detail.
    pub detail: Option<String>,
    /// The JSON body of a 200.
    pub body: Option<Value>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    /// The event type, when the body said.
    pub event: Option<String>,
    /// The connection the request was for.
    pub connection: Option<String>,
    /// A `vote.create` seen before.
    pub retry: bool,
    /// Accepted, with something worth a look.
    pub warning: Option<String>,
}

impl Outcome {
    /// Accepted with this status.
    pub fn ok(status: u16) -> Outcome {
        Outcome {
            status,
            verdict: "ok",
            detail: None,
            body: None,
            allow: None,
            event: None,
            connection: None,
            retry: false,
            warning: None,
        }
    }

    /// Refused with this status, reason code and sentence.
    pub fn refuse(status: u16, verdict: &'static str, detail: impl Into<String>) -> Outcome {
        Outcome { verdict, detail: Some(detail.into()), ..Outcome::ok(status) }
    }

    /// Adds a warning.
    pub fn warn(mut self, w: impl Into<String>) -> Outcome {
        self.warning = Some(w.into());
        self
    }
}

/// Everything one connection's service needs.
pub(super) struct ConnCtx {
    /// The receiver's shared state.
    pub shared: Arc<Shared>,
    /// The connection's phase, for deadlines and the head scan.
    pub state: Arc<ConnState>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
}

/// The hyper service: one request in, one answer out. Never fails: every problem is an answer.
pub(super) async fn serve(
    req: hyper::Request<Incoming>,
    ctx: Arc<ConnCtx>,
) -> Result<hyper::Response<Body>, Infallible> {
    let started = ctx.state.begin();
    let resp = answer(req, &ctx, started).await;
    ctx.state.end();
    Ok(resp)
}

async fn answer(req: hyper::Request<Incoming>, ctx: &Arc<ConnCtx>, started: Instant) -> hyper::Response<Body> {
    let shared = &ctx.shared;
    let (parts, incoming) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_string());
    let refuse = |status: u16, verdict: &'static str, detail: String| {
        let log = refusal_log(status, verdict, detail, Some((&method, &target)), started, ctx.peer);
        finish_refusal(shared, log)
    };
    if parts.headers.contains_key(TRANSFER_ENCODING) && ctx.state.head_had_content_length() {
        // Both framings at once is how requests are smuggled past proxies. hyper lets
        // Transfer-Encoding win and drops Content-Length, so the head scan of limits.rs saw it.
        return refuse(400, "bad-request", "both Transfer-Encoding and Content-Length are set".into());
    }
    if let Some(te) = parts.headers.get(TRANSFER_ENCODING) {
        // hyper decodes chunked only; another coding (gzip, chunked) would reach the signature
        // check still encoded, and proxies disagree about such requests: refuse them.
        let te = String::from_utf8_lossy(te.as_bytes()).to_string();
        if !te.trim().eq_ignore_ascii_case("chunked") {
            let shown: String = te.chars().take(60).collect();
            return refuse(
                501,
                "unsupported-encoding",
                format!("Transfer-Encoding {shown:?} is not supported (send chunked or Content-Length)"),
            );
        }
    }
    let cap = shared.config.max_body;
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > cap as u64) {
        return refuse(413, "too-large", format!("the body is {n} bytes, over the {cap} byte limit"));
    }
    let deadline = started + shared.config.read_timeout;
    let (body, _held) = match read_body(incoming, cap, deadline, &shared.body_budget, declared).await {
        Ok(b) => b,
        Err(e) => {
            let ms = shared.config.read_timeout.as_millis();
            let what = |n: usize| match declared {
                Some(len) => format!("{n} of {len} body bytes"),
                None => format!("{n} body bytes"),
            };
            let (status, verdict, detail) = match e {
                BodyError::TooLarge => (413, "too-large", format!("the chunked body is over the {cap} byte limit")),
                BodyError::Timeout(n) => (408, "timeout", format!("only {} arrived within {ms} ms", what(n))),
                BodyError::Closed(n) => {
                    (400, "bad-request", format!("the client closed the connection after {}", what(n)))
                }
                BodyError::Malformed => (400, "bad-request", "the chunked body is malformed".to_string()),
                BodyError::Busy => {
                    (503, "busy", "too many large bodies are being received at once; try again shortly".to_string())
                }
            };
            return refuse(status, verdict, detail);
        }
    };
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let request = Request { method, target, headers, body, started };
    // The config URL commits to SQLite (an fsync), captures are file writes, and /connections
    // copies and sorts every connection: all of them run off the async workers so they never
    // stall other connections. Deliveries only read memory and queue their history row.
    let blocking = matches!(request.path(), "/integration" | "/connections") || shared.captures.is_some();
    let (resp, mut log, request) = if blocking {
        let s = shared.clone();
        let peer = ctx.peer;
        match tokio::task::spawn_blocking(move || {
            let (resp, log) = route(&s, &request, peer);
            (resp, log, request)
        })
        .await
        {
            Ok(done) => done,
            Err(_) => {
                let log =
                    refusal_log(500, "internal-error", "the request handler failed".into(), None, started, ctx.peer);
                return finish_refusal(shared, log);
            }
        }
    } else {
        let (resp, log) = route(shared, &request, ctx.peer);
        (resp, log, request)
    };
    log.latency = started.elapsed();
    (shared.log)(&log);
    record(shared, &log, Some(&request));
    resp
}

/// Logs and records a refusal made before the endpoints saw the request, and builds its answer
/// (which closes the connection: the rest of the request may still be arriving).
fn finish_refusal(shared: &Shared, log: RequestLog) -> hyper::Response<Body> {
    let mut resp = error_response(log.status, log.verdict, log.detail.as_deref().unwrap_or(""));
    resp.headers_mut().insert(CONNECTION, http::HeaderValue::from_static("close"));
    (shared.log)(&log);
    record(shared, &log, None);
    resp
}

/// Logs and records a request hyper refused before the service saw it (a malformed or oversized
/// head); hyper has already answered it.
pub(super) fn log_refused_head(
    shared: &Shared,
    status: u16,
    verdict: &'static str,
    detail: String,
    started: Instant,
    peer: Option<SocketAddr>,
) {
    let log = refusal_log(status, verdict, detail, None, started, peer);
    (shared.log)(&log);
    record(shared, &log, None);
}

/// The routing `match`: the endpoint for the path and method, then the capture and the log line.
/// Endpoints that answer from a whole request belong in the `match`; one that must answer
/// before the body is read, or stream its answer (a [`Body`] of server-sent events), belongs in
/// [`answer`] ahead of `read_body`.
fn route(shared: &Shared, req: &Request, peer: Option<SocketAddr>) -> (hyper::Response<Body>, RequestLog) {
    let time_unix_nanos = now_unix_nanos() - req.started.elapsed().as_nanos() as i128;
    let seq = shared.captures.as_ref().map(|c| c.next_seq());
    let path = req.path();
    let method = req.method.as_str();
    let get = matches!(method, "GET" | "HEAD");
    let out = match path {
        "/health" if get => Outcome { body: Some(json!({"status": "ok"})), ..Outcome::ok(200) },
        "/connections" if get => Outcome { body: Some(routes::connections_json(shared)), ..Outcome::ok(200) },
        "/health" | "/connections" => routes::not_allowed("GET"),
        "/integration" if method == "POST" => routes::config_url(shared, req),
        "/legacy" if method == "POST" => routes::legacy(shared, req),
        "/integration" | "/legacy" => routes::not_allowed("POST"),
        p => match p.strip_prefix("/webhooks/") {
            Some(id) if id.is_empty() || id.contains('/') => Outcome::refuse(
                404,
                "not-found",
                format!("{} is not a webhook URL (POST /webhooks/<connection_id>)", shorten(path)),
            ),
            Some(_) if method != "POST" => routes::not_allowed("POST"),
            Some(id) => routes::webhook(shared, req, id),
            None => Outcome::refuse(
                404,
                "not-found",
                format!(
                    "nothing at {}: the endpoints are /integration, /webhooks/<id>, /legacy, /health, /connections",
                    shorten(path)
                ),
            ),
        },
    };

    let mut warning = out.warning;
    // Refused requests are captured only when asked: anyone who can reach the port can send them.
    let wanted = out.status < 400 || shared.config.capture_refused;
    let capture = match (seq, &shared.captures) {
        (Some(seq), Some(captures)) if wanted => {
            let label = out.event.as_deref().unwrap_or("request");
            match captures.write(seq, label, &req.to_capture().to_http()) {
                Ok(file) => Some(file),
                Err(e) => {
                    warning.get_or_insert_with(|| {
                        format!(
                            "could not write a capture in {}: {}",
                            captures.dir().display(),
                            crate::error::io_reason(&e)
                        )
                    });
                    None
                }
            }
        }
        _ => None,
    };

    let mut resp = match &out.body {
        Some(v) if out.status == 200 => json_response(200, v),
        _ if out.status >= 400 => error_response(out.status, out.verdict, out.detail.as_deref().unwrap_or("")),
        _ => empty_response(out.status),
    };
    if let Some(allow) = out.allow {
        resp.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    }
    if shared.stop.load(Ordering::Relaxed) {
        // Stopping: this is the connection's last answer.
        resp.headers_mut().insert(CONNECTION, http::HeaderValue::from_static("close"));
    }
    let log = RequestLog {
        time_unix_nanos,
        peer,
        method: req.method.clone(),
        path: req.target.chars().take(256).collect(),
        event: out.event,
        connection: out.connection,
        verdict: out.verdict,
        detail: out.detail,
        status: out.status,
        latency: Duration::ZERO,
        trace: req.header(TRACE_HEADER).map(|t| t.chars().take(128).collect()),
        retry: out.retry,
        warning,
        capture,
    };
    (resp, log)
}

/// A client's path as quoted in a detail sentence: a 60 KB target must not make a 60 KB log line.
fn shorten(path: &str) -> String {
    match path.char_indices().nth(100) {
        Some((at, _)) => format!("{}…", &path[..at]),
        None => path.to_string(),
    }
}

fn empty_response(status: u16) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Full::new(Bytes::new()).boxed());
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

fn json_response(status: u16, value: &Value) -> hyper::Response<Body> {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)).boxed());
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}

/// A JSON `{"error": code, "message": detail}` answer, the shape of every refusal.
fn error_response(status: u16, code: &str, message: &str) -> hyper::Response<Body> {
    json_response(status, &json!({ "error": code, "message": message }))
}

/// The raw bytes of a refusal written by the connection task itself (408 for a head that did not
/// arrive in time, where hyper has no request to answer).
pub(super) fn raw_refusal(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    let mut body = serde_json::to_vec(&json!({ "error": code, "message": message })).unwrap_or_default();
    body.push(b'\n');
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Queues a request for the store's history: the log line's fields and the raw request (in the
/// capture format), when it was read.
fn record(shared: &Shared, log: &RequestLog, req: Option<&Request>) {
    if shared.config.history == 0 {
        return;
    }
    let request = req.map(|r| r.to_capture().to_http());
    shared.store.record(super::history::HistoryEntry {
        id: 0,
        time_unix_nanos: log.time_unix_nanos as i64,
        method: log.method.clone(),
        path: log.path.chars().take(256).collect(),
        event: log.event.clone(),
        connection: log.connection.clone(),
        verdict: log.verdict.to_string(),
        detail: log.detail.clone(),
        status: log.status,
        latency_us: log.latency.as_micros() as i64,
        trace: log.trace.clone(),
        retry: log.retry,
        request,
    });
}

fn refusal_log(
    status: u16,
    verdict: &'static str,
    detail: String,
    request: Option<(&str, &str)>,
    started: Instant,
    peer: Option<SocketAddr>,
) -> RequestLog {
    RequestLog {
        time_unix_nanos: now_unix_nanos() - started.elapsed().as_nanos() as i128,
        peer,
        method: request.map_or_else(|| "-".into(), |r| r.0.to_string()),
        path: request.map_or_else(|| "-".into(), |r| r.1.chars().take(256).collect()),
        event: None,
        connection: None,
        verdict,
        detail: Some(detail),
        status,
        latency: started.elapsed(),
        trace: None,
        retry: false,
        warning: None,
        capture: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_captures_are_stored_with_their_decoded_length() {
        let r = Request {
            method: "POST".into(),
            target: "/webhooks/1".into(),
            headers: vec![("transfer-encoding".into(), "chunked".into()), ("x-topgg-trace".into(), "t".into())],
            body: Bytes::from_static(b"{}"),
            started: Instant::now(),
        };
        let raw = r.to_capture().to_http();
        assert_eq!(raw, b"POST /webhooks/1 HTTP/1.1\r\nx-topgg-trace: t\r\ncontent-length: 2\r\n\r\n{}");
    }
}
