//! The inspector: a web page at `/_/` and its API under `/_/api/`, over the request history.
//!
//! Routes: `GET /_/` (the page), `GET /_/app.js`, `GET /_/style.css`, `GET /_/api/requests`,
//! `GET /_/api/requests/{id}`, `GET /_/api/requests/{id}/raw`, `POST /_/api/requests/{id}/replay`,
//! `GET /_/api/events` (server-sent events), `GET /_/api/connections`. Transport-neutral: the
//! server hands in an [`Ask`] and writes the [`Reply`]; inspector requests are never recorded in
//! the history (the page would otherwise watch itself).
//!
//! Safety: a request is *local* when it comes from a loopback peer for a loopback `Host`. Bound to
//! loopback (the default), only local requests are answered (a tunnel forwarding to the port
//! carries a public `Host`, and a DNS-rebinding page a foreign one); bound elsewhere, every API
//! call needs the token printed at start, as `x-topgg-int-token` or `?token=`. Replay is POST-only
//! and needs a JSON body (which a cross-site form cannot send). No CORS headers are ever sent; the
//! page carries a strict Content-Security-Policy and inserts request content as text only.

pub mod api;
pub(in crate::receiver) mod wire;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::history::HistoryEntry;
use super::store::Store;
use crate::protocol::capture::Capture;
use crate::protocol::secret::{Secret, constant_time_eq};
use crate::protocol::signature::{self, SIGNATURE_HEADER};

/// The header that carries the token.
pub const TOKEN_HEADER: &str = "x-topgg-int-token";
/// The page's Content-Security-Policy: its own script and style only, no inline code.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
// Linked from the page so the browser does not ask for /favicon.ico, which would be recorded.
const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// The inspector's settings.
#[derive(Debug, Clone)]
pub struct InspectorConfig {
    /// Required from non-local clients; `None` refuses them all (the loopback default).
    pub token: Option<Secret>,
    /// `serve --show-secrets`: webhook secrets and `Authorization` values in full.
    pub show_secrets: bool,
}

/// What the inspector needs from the receiver it runs in.
pub trait Host: Send + Sync {
    /// The store with the history and connections.
    fn store(&self) -> &Store;
    /// The integration secret (verifies config-URL requests).
    fn integration_secret(&self) -> &Secret;
    /// The replay window, seconds.
    fn tolerance(&self) -> u64;
    /// The receiver's base URL.
    fn base_url(&self) -> &str;
    /// The JSON of `GET /connections`.
    fn connections_json(&self, show_secrets: bool) -> Value;
    /// Handles this request as if it had arrived now (forwarding it in forward mode) and records
    /// it as a replay of `replay_of`; returns the new entry's id and status.
    fn replay(&self, request: Capture, replay_of: i64) -> (i64, u16);
}

/// One request, as the transport read it.
pub struct Ask<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The target, query string included.
    pub target: &'a str,
    /// The headers.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
    /// Whether the peer's address is loopback.
    pub peer_loopback: bool,
}

impl Ask<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn split(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((self.target, ""))
    }
}

/// The answer, for the transport to write.
pub enum Reply {
    /// A whole response.
    Full {
        /// The status.
        status: u16,
        /// Headers, `Content-Type` included.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// A `text/event-stream`: write [`event_head`], then one [`sse_event`] per entry received.
    Events(broadcast::Receiver<HistoryEntry>),
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        let mut body = serde_json::to_vec(v).unwrap_or_default();
        body.push(b'\n');
        Reply::Full { status, headers: base_headers("application/json"), body }
    }

    fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply::json(status, &json!({"error": code, "message": message.into()}))
    }
}

fn base_headers(content_type: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), content_type.into()),
        ("X-Content-Type-Options".into(), "nosniff".into()),
        ("Cache-Control".into(), "no-store".into()),
        // The page URL may carry ?token=: never send it on as a referrer.
        ("Referrer-Policy".into(), "no-referrer".into()),
    ]
}

/// Whether the inspector answers this path (`/_` and everything under `/_/`).
pub fn owns(path: &str) -> bool {
    path == "/_" || path.starts_with("/_/")
}

/// The head of an event stream.
pub fn event_head() -> Vec<(String, String)> {
    let mut h = base_headers("text/event-stream");
    h.retain(|(n, _)| n != "Cache-Control");
    h.push(("Cache-Control".into(), "no-cache".into()));
    h
}

/// One server-sent event for a new entry: `id: N`, `event: request`, `data: <list item>`.
pub fn sse_event(e: &HistoryEntry) -> Vec<u8> {
    format!("id: {}\nevent: request\ndata: {}\n\n", e.id, api::list_item(e)).into_bytes()
}

/// Whether `host` (a `Host` header) names a loopback address.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl InspectorConfig {
    /// `Ok` when the request may see the inspector (and `/connections`), else the refusal.
    pub fn allow(&self, ask: &Ask<'_>) -> Result<(), (u16, String)> {
        let local = ask.peer_loopback && ask.header("host").is_some_and(loopback_host);
        let (_, query) = ask.split();
        let given = ask.header(TOKEN_HEADER).map(str::to_string).or_else(|| api::query_param(query, "token"));
        match (&self.token, given) {
            (Some(t), Some(g)) if constant_time_eq(t.expose().as_bytes(), g.as_bytes()) => Ok(()),
            (Some(_), Some(_)) => Err((401, format!("the {TOKEN_HEADER} token does not match the one serve printed"))),
            _ if local => Ok(()),
            (Some(_), None) => Err((
                401,
                format!("the inspector needs the token serve printed at start ({TOKEN_HEADER} header or ?token=)"),
            )),
            (None, _) => Err((
                403,
                "the inspector answers only on loopback (http://127.0.0.1:PORT/_/); this request came from \
                 elsewhere or for another host, e.g. through a tunnel: bind to a non-loopback address to use a token"
                    .to_string(),
            )),
        }
    }
}

/// Answers one inspector request.
pub fn answer(host: &dyn Host, cfg: &InspectorConfig, ask: &Ask<'_>) -> Reply {
    let (path, query) = ask.split();
    // A client's path as quoted in an error sentence: bounded.
    let shown: String = path.chars().take(100).collect();
    let asset = match path {
        "/_" | "/_/" | "/_/index.html" => Some((INDEX_HTML, "text/html; charset=utf-8")),
        "/_/app.js" => Some((APP_JS, "text/javascript; charset=utf-8")),
        "/_/style.css" => Some((STYLE_CSS, "text/css; charset=utf-8")),
        "/_/favicon.svg" => Some((FAVICON_SVG, "image/svg+xml")),
        _ => None,
    };
    // The page itself holds no request data; its API calls carry the token.
    if let Some((text, ct)) = asset {
        if ask.method != "GET" && ask.method != "HEAD" {
            return not_allowed("GET");
        }
        let mut headers = base_headers(ct);
        headers.push(("Content-Security-Policy".into(), CSP.into()));
        headers.push(("X-Frame-Options".into(), "DENY".into()));
        return Reply::Full { status: 200, headers, body: text.as_bytes().to_vec() };
    }
    if let Err((status, why)) = cfg.allow(ask) {
        return Reply::error(status, if status == 401 { "token-required" } else { "not-local" }, why);
    }
    let Some(rest) = path.strip_prefix("/_/api/") else {
        return Reply::error(
            404,
            "not-found",
            format!("nothing at {shown}: the inspector is at /_/ and its API at /_/api/"),
        );
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let get = ask.method == "GET" || ask.method == "HEAD";
    match segments.as_slice() {
        ["requests"] if get => list(host, query),
        ["events"] if get => Reply::Events(host.store().subscribe()),
        ["connections"] if get => Reply::json(200, &host.connections_json(cfg.show_secrets)),
        ["requests", id] if get => {
            with_entry(host, id, |e| Reply::json(200, &api::detail(&e, &detail_context(host, cfg, &e))))
        }
        ["requests", id, "raw"] if get => with_entry(host, id, |e| match &e.request {
            Some(raw) => Reply::Full {
                status: 200,
                headers: base_headers("message/http"),
                body: api::raw_bytes(raw, cfg.show_secrets),
            },
            None => Reply::error(404, "no-bytes", format!("request {} was refused before it could be read", e.id)),
        }),
        ["requests", id, "replay"] if ask.method == "POST" => with_entry(host, id, |e| replay(host, ask, &e)),
        ["requests", _, "replay"] => not_allowed("POST"),
        ["requests"] | ["events"] | ["connections"] | ["requests", _] | ["requests", _, "raw"] => not_allowed("GET"),
        _ => Reply::error(
            404,
            "not-found",
            format!(
                "nothing at {shown}: the API has /_/api/requests, /_/api/requests/ID, …/raw, …/replay, /_/api/events and /_/api/connections"
            ),
        ),
    }
}

fn not_allowed(allow: &str) -> Reply {
    match Reply::error(405, "method-not-allowed", format!("only {allow} is allowed here")) {
        Reply::Full { status, mut headers, body } => {
            headers.push(("Allow".into(), allow.into()));
            Reply::Full { status, headers, body }
        }
        r => r,
    }
}

fn list(host: &dyn Host, query: &str) -> Reply {
    let q = match api::parse_query(query) {
        Ok(q) => q,
        Err(why) => return Reply::error(400, "bad-query", why),
    };
    match host.store().history(&q) {
        Ok(rows) => {
            let next = if rows.len() == q.limit { rows.last().map(|e| e.id) } else { None };
            let items: Vec<Value> = rows.iter().map(api::list_item).collect();
            Reply::json(200, &json!({"requests": items, "next_before": next}))
        }
        Err(e) => Reply::error(500, "store-failed", e.to_string()),
    }
}

fn with_entry(host: &dyn Host, id: &str, f: impl FnOnce(HistoryEntry) -> Reply) -> Reply {
    let Ok(n) = id.parse::<i64>() else {
        return Reply::error(400, "bad-id", format!("{id:?} is not a request id (a whole number)"));
    };
    match host.store().history_entry(n) {
        Ok(Some(e)) => f(e),
        Ok(None) => {
            Reply::error(404, "not-found", format!("no request {n} in the history (trimmed, or never recorded)"))
        }
        Err(e) => Reply::error(500, "store-failed", e.to_string()),
    }
}

/// The secret the receiver verifies `e`'s path with.
fn detail_context(host: &dyn Host, cfg: &InspectorConfig, e: &HistoryEntry) -> api::DetailContext {
    let (secret, no_secret) = secret_for(host, e);
    api::DetailContext {
        secret,
        no_secret,
        tolerance: host.tolerance(),
        show_secrets: cfg.show_secrets,
        base_url: host.base_url().to_string(),
    }
}

type SecretFor = (Option<(Secret, String)>, Option<String>);

fn secret_for(host: &dyn Host, e: &HistoryEntry) -> SecretFor {
    let path = e.path.split_once('?').map_or(e.path.as_str(), |(p, _)| p);
    if path == "/integration" {
        return (Some((host.integration_secret().clone(), "integration secret".into())), None);
    }
    if let Some(id) = path.strip_prefix("/webhooks/") {
        return match host.store().secret_of(id) {
            Some(s) => (Some((s, format!("webhook secret of connection {id}"))), None),
            None => (None, Some(format!("no connection {id} is stored now, so its webhook secret is unknown"))),
        };
    }
    (None, Some(format!("{path} is not signed with a Top.gg signature")))
}

fn replay(host: &dyn Host, ask: &Ask<'_>, e: &HistoryEntry) -> Reply {
    let json_body = ask.header("content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
    if !json_body {
        return Reply::error(
            415,
            "json-required",
            "send the replay as Content-Type: application/json, {\"mode\": \"verbatim\"|\"resign\"}",
        );
    }
    let mode = serde_json::from_slice::<Value>(ask.body)
        .ok()
        .and_then(|v| v.get("mode").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "verbatim".into());
    let Some(mut capture) = e.request.as_deref().and_then(|r| Capture::parse(r).ok()) else {
        return Reply::error(
            409,
            "no-bytes",
            format!("request {} was refused before it could be read; nothing to replay", e.id),
        );
    };
    match mode.as_str() {
        "verbatim" => {}
        "resign" => {
            let (secret, why) = secret_for(host, e);
            let Some((secret, _)) = secret else {
                let why = why.unwrap_or_default();
                return Reply::error(409, "cannot-resign", format!("request {} cannot be re-signed: {why}", e.id));
            };
            let value = signature::sign(&secret, crate::protocol::time::now_unix(), &capture.body);
            match capture.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(SIGNATURE_HEADER)) {
                Some((_, v)) => *v = value,
                None => capture.headers.push((SIGNATURE_HEADER.into(), value)),
            }
        }
        other => {
            return Reply::error(400, "bad-mode", format!("mode {other:?} is not \"verbatim\" or \"resign\""));
        }
    }
    let (id, status) = host.replay(capture, e.id);
    Reply::json(200, &json!({"id": id, "status": status, "replay_of": e.id, "mode": mode}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1:8080", "localhost:1", "[::1]:9", "LOCALHOST", "127.0.0.2"] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["example.com", "abc.ngrok.app:443", "10.0.0.1:80", "[2001:db8::1]:1", "127.0.0.1.nip.io"] {
            assert!(!loopback_host(h), "{h}");
        }
    }
}
