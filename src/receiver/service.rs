//! The router: one hyper request in, one answer and one [`Record`] out. In order: the limits
//! ([`super::limits`]: 501 for transfer codings other than chunked, 413 before reading an oversized
//! body, 408 when it does not arrive in time, 400 for broken framing), the body, then the
//! inspector ([`super::inspector`], whose replays come back here) or the endpoints of `routes.rs`,
//! then forward mode ([`super::forward`]), then the record: logged, published to the inspector's
//! events and queued for the history. Statuses follow protocol.md §7. Nothing here prints.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::body::Incoming;

use super::body::{BodyError, read_body};
use super::conn::Side;
use super::forward;
use super::http::{Body, Request, shorten};
use super::inspector::{self, Handled};
use super::limits::{ConnState, head_has};
use super::record::{Record, peek_type};
use super::routes;
use super::state::Shared;
use super::store::REFUSED_BODY_KEPT;
use crate::protocol::handshake;
use crate::protocol::signature::TRACE_HEADER;
use crate::protocol::time::now_unix_nanos;
use crate::protocol::{ANSWERED_BY_HEADER, DISAGREEMENT_HEADER};

/// Everything one connection's service needs.
pub(super) struct ConnCtx {
    /// The receiver's shared state.
    pub shared: Arc<Shared>,
    /// The connection's phase, for deadlines and the head scan.
    pub state: Arc<ConnState>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The listener the connection came in on.
    pub side: Side,
}

/// Marks an answer that is the developer's app's (forward mode); every other answer is serve's.
#[derive(Clone, Copy)]
struct FromApp;

/// The hyper service: one request in, one answer out. Never fails: every problem is an answer.
pub(super) async fn serve(
    req: hyper::Request<Incoming>,
    ctx: Arc<ConnCtx>,
) -> Result<hyper::Response<Body>, Infallible> {
    let (started, head) = ctx.state.begin();
    // Counted while in the service, given back even when the connection drops the future.
    struct Busy<'a>(&'a Shared);
    impl Drop for Busy<'_> {
        fn drop(&mut self) {
            self.0.busy.fetch_sub(1, Ordering::Relaxed);
        }
    }
    ctx.shared.busy.fetch_add(1, Ordering::Relaxed);
    let busy = Busy(&ctx.shared);
    let mut resp = answer(req, &ctx, started, head).await;
    drop(busy);
    if ctx.side == Side::Receiver && ctx.shared.forwarder.is_some() && resp.extensions().get::<FromApp>().is_none() {
        // Forward mode: say which answers are serve's own, so they are not taken for the app's.
        resp.headers_mut().insert(ANSWERED_BY_HEADER, http::HeaderValue::from_static("serve"));
    }
    ctx.state.end();
    if resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes() == b"text/event-stream") {
        ctx.state.streaming();
    }
    Ok(resp)
}

async fn answer(
    req: hyper::Request<Incoming>,
    ctx: &Arc<ConnCtx>,
    started: Instant,
    head: Option<Vec<u8>>,
) -> hyper::Response<Body> {
    let shared = &ctx.shared;
    let (parts, incoming) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let target = parts.uri.path_and_query().map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_string());
    let refuse = |status: u16, verdict: &'static str, detail: String| {
        let r = Record::refusal(status, verdict, detail, Some((&method, &target)), started, ctx.peer);
        refused(shared, r, ctx.side)
    };
    if parts.headers.contains_key(TRANSFER_ENCODING) && head.as_deref().is_some_and(|h| head_has(h, b"content-length"))
    {
        // Both framings at once is how requests are smuggled past proxies. hyper lets
        // Transfer-Encoding win and drops Content-Length, so the head as it arrived tells.
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
    let request = Request { method, target, headers: parts.headers, body, started, head: head.map(Bytes::from) };
    if ctx.side == Side::Inspector {
        // The inspector's own traffic is not recorded (the page would watch itself); a request
        // refused for want of the token is logged, without its query (which may hold a token).
        let (method, path) = (request.method.clone(), request.path().to_string());
        return match shared.inspector.answer(request, shared.stop.clone()).await {
            Handled::Answer(resp) => resp,
            Handled::Refused { status, verdict, detail } => {
                let r = Record::refusal(status, verdict, detail, Some((&method, &path)), started, ctx.peer);
                refused(shared, r, Side::Inspector)
            }
            Handled::Replay { request, of, mode } => {
                let (_, id, status) = handle(shared, request, None, Some(of)).await;
                inspector::replayed(id, status, of, &mode)
            }
        };
    }
    handle(shared, request, ctx.peer, None).await.0
}

/// Routes a whole request (from the network, or a replay of history entry `replay_of`), forwards
/// it in forward mode, then records it; returns the answer, the record's id and the status given.
async fn handle(
    shared: &Arc<Shared>,
    request: Request,
    peer: Option<SocketAddr>,
    replay_of: Option<i64>,
) -> (hyper::Response<Body>, i64, u16) {
    let started = request.started;
    // An app mounted under the forward URL's path hands out the mirror of the mapping
    // (`/topgg/webhooks/<id>`): it is routed and forwarded as the route it stands for, and
    // recorded with the target that arrived.
    let routed = shared.forwarder.as_ref().and_then(|f| f.mirror().canonical(&request.target));
    let routed = routed.map(|target| Request { target, ..request.clone() });
    let forward = shared
        .forwarder
        .as_ref()
        .filter(|_| forward::forwardable(&request.method, routed.as_ref().unwrap_or(&request).path()));
    if shared.forwarder.is_some()
        && let Some(what) = forward::traversal(&request.target)
    {
        // Never forwarded: an app (or a proxy before it) could resolve it to another path.
        let detail = format!("{} has {what}, which forward mode never passes on", shorten(request.path()));
        let r = Record::refusal(400, "bad-request", detail, Some((&request.method, &request.target)), started, peer);
        let status = r.status;
        let (resp, id) = (refusal_response(&r), finish(shared, Record { replay_of, ..r }));
        return (resp, id, status);
    }
    // The config URL commits to SQLite (an fsync), captures are file writes: both run off the
    // async workers so they never stall other connections. Deliveries only read memory and queue
    // their history row.
    let blocking = routed.as_ref().unwrap_or(&request).path() == "/integration" || shared.captures.is_some();
    let (mut resp, mut record, request, routed) = if blocking {
        let s = shared.clone();
        match tokio::task::spawn_blocking(move || {
            let (resp, record) = route(&s, routed.as_ref().unwrap_or(&request), &request, peer);
            (resp, record, request, routed)
        })
        .await
        {
            Ok(done) => done,
            Err(_) => {
                let r =
                    Record::refusal(500, "internal-error", "the request handler failed".into(), None, started, peer);
                let status = r.status;
                let (resp, id) = (refusal_response(&r), finish(shared, r));
                return (resp, id, status);
            }
        }
    } else {
        let (resp, record) = route(shared, routed.as_ref().unwrap_or(&request), &request, peer);
        (resp, record, request, routed)
    };
    let own = routed.as_ref().unwrap_or(&request);
    // Forward mode: the app answers each Top.gg route, whatever the receiver's own verdict.
    if let Some(f) = forward {
        let a = f.send(&own.method, &own.target, &own.headers, &own.body).await;
        if let Some(e) = &a.record.error {
            record.warning = Some(format!("forward failed: {e}"));
        } else if record.event.as_deref() == Some("integration.create") && a.status == 200 {
            if let Some(w) = forward::bypass_warning(&a.body, &shared.base_url, Some(&f.mirror())) {
                record.warning = Some(w);
            }
        }
        if record.verdict == "ok"
            && record.event.as_deref() == Some("integration.create")
            && record.connection.is_some()
        {
            // The connection is stored only when the app's answer is a valid handshake.
            let ct = a.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
            let judged = handshake::judge(a.status, ct, &a.body, None);
            let id = record.connection.clone().unwrap_or_default();
            if a.record.error.is_none() && judged.handshake.is_some() {
                let (s, req) = (shared.clone(), own.clone());
                match tokio::task::spawn_blocking(move || routes::store_forwarded(&s, &req)).await {
                    Ok(Ok(replaced)) => record.retry = replaced,
                    Ok(Err(why)) => record.warning = Some(format!("connection {id} not stored: {why}")),
                    Err(_) => record.warning = Some(format!("connection {id} not stored: the store task failed")),
                }
            } else {
                routes::release(own, shared);
                let why = a.record.error.clone().or_else(|| judged.problems.first().cloned()).unwrap_or_default();
                record.warning =
                    Some(format!("the app's answer is not a valid handshake ({why}): connection {id} not stored"));
            }
        }
        record.status = a.status;
        // For the sentence that says who is wrong when the app refuses what serve verified.
        record.secret_fingerprint = verifying_secret(shared, own.path()).map(|s| s.fingerprint());
        resp = a.response();
        if a.record.error.is_none() {
            resp.extensions_mut().insert(FromApp);
        }
        record.forwarded = Some(a.record);
    }
    if shared.stop.is_stopped() {
        // Stopping: this is the connection's last answer.
        resp.headers_mut().insert(CONNECTION, http::HeaderValue::from_static("close"));
    }
    record.latency = started.elapsed();
    record.replay_of = replay_of;
    if let Some(d) = record.disagreement() {
        // Told to the sender as well as logged: `simulate` says who is wrong too.
        resp.headers_mut().insert(DISAGREEMENT_HEADER, http::HeaderValue::from_static(d.code));
    }
    let status = record.status;
    (resp, finish(shared, record), status)
}

/// The secret the receiver verifies a request for `path` with, when there is one.
fn verifying_secret(shared: &Shared, path: &str) -> Option<crate::protocol::secret::Secret> {
    if path == "/integration" {
        return Some(shared.config.integration_secret.clone());
    }
    shared.store.secret_of(path.strip_prefix("/webhooks/")?)
}

/// The endpoint's answer to `req`, the capture, and the record (with the raw request, `wire`: the
/// request as it arrived, which differs from `req` only in the target of a mirrored path).
fn route(shared: &Shared, req: &Request, wire: &Request, peer: Option<SocketAddr>) -> (hyper::Response<Body>, Record) {
    let time_unix_nanos = now_unix_nanos() - req.started.elapsed().as_nanos() as i128;
    let seq = shared.captures.as_ref().map(|c| c.next_seq());
    let out = routes::outcome(shared, req);
    // The raw request, serialised once for the capture and the history.
    let raw = (shared.config.history > 0 || seq.is_some()).then(|| wire.to_raw());
    // The history keeps only a prefix of the body of a request refused before verification
    // (anyone who can reach the port can send one; a replayed signature did verify), and of a body
    // too large for a quarter of `--history-bytes`.
    let unverified = (400..500).contains(&out.status) && out.verdict != "replayed-signature";
    let keep_whole = !unverified && (raw.as_ref().map_or(0, Vec::len) as u64) <= shared.config.history_bytes / 4;
    let body_cut = (!keep_whole && req.body.len() > REFUSED_BODY_KEPT).then_some(req.body.len() as u64);

    let mut warning = out.warning.clone();
    // Refused requests are captured only when asked: anyone who can reach the port can send them.
    let wanted = out.status < 400 || shared.config.capture_refused;
    let capture = match (seq, &shared.captures, &raw) {
        (Some(seq), Some(captures), Some(raw)) if wanted => {
            match captures.save(seq, out.event.as_deref().unwrap_or("request"), raw) {
                Ok(file) => Some(file),
                Err(why) => {
                    warning.get_or_insert(why);
                    None
                }
            }
        }
        _ => None,
    };
    let resp = out.response();
    let record = Record {
        id: 0,
        time_unix_nanos,
        peer,
        method: req.method.clone(),
        path: wire.target.chars().take(256).collect(),
        // A refused request's body was never parsed; the list still wants to say what it was.
        event: out.event.or_else(|| (out.status >= 400).then(|| peek_type(&req.body)).flatten()),
        connection: out.connection,
        verdict: out.verdict.to_string(),
        detail: out.detail,
        status: out.status,
        latency: std::time::Duration::ZERO,
        trace: req.header(TRACE_HEADER).map(|t| t.chars().take(128).collect()),
        retry: out.retry,
        warning,
        capture,
        request: match body_cut {
            Some(_) if shared.config.history > 0 => {
                let mut c = wire.to_capture();
                c.body.truncate(REFUSED_BODY_KEPT);
                Some(c.to_http())
            }
            _ => raw.filter(|_| shared.config.history > 0),
        },
        body_cut,
        replay_of: None,
        forwarded: None,
        secret_fingerprint: None,
    };
    (resp, record)
}

/// The answer to a refusal made before the endpoints saw the request: it closes the connection,
/// since the rest of the request may still be arriving.
fn refusal_response(r: &Record) -> hyper::Response<Body> {
    let mut resp = super::http::error(r.status, &r.verdict, r.detail.as_deref().unwrap_or(""));
    resp.headers_mut().insert(CONNECTION, http::HeaderValue::from_static("close"));
    resp
}

/// Logs a refusal made before the endpoints saw the request, records it (on the receiver's port
/// only: the inspector's traffic never enters the history), and builds its answer.
fn refused(shared: &Shared, r: Record, side: Side) -> hyper::Response<Body> {
    let resp = refusal_response(&r);
    match side {
        Side::Receiver => {
            finish(shared, r);
        }
        Side::Inspector => shared.store.log_only(r),
    }
    resp
}

/// Logs and records a request hyper refused before the service saw it (a malformed or oversized
/// head); hyper has already answered it.
pub(super) fn refused_head(
    shared: &Shared,
    status: u16,
    verdict: &'static str,
    detail: String,
    started: Instant,
    peer: Option<SocketAddr>,
    side: Side,
) {
    let r = Record::refusal(status, verdict, detail, None, started, peer);
    match side {
        Side::Receiver => {
            finish(shared, r);
        }
        Side::Inspector => shared.store.log_only(r),
    }
}

/// The end of every request: the record gets its history id, goes to the inspector's live events,
/// and is handed to the store's journal (its log line and history row, written after the answer).
/// Returns the id (0 with the history off).
fn finish(shared: &Shared, mut record: Record) -> i64 {
    record.id = shared.store.next_id();
    if record.id != 0 {
        shared.inspector.events().publish(&record);
    }
    shared.store.record(record)
}
