//! The inspector: a web page at `/_/` and its API under `/_/api/`, over the request history.
//!
//! Routes: `GET /_/` (the page), `GET /_/app.js`, `GET /_/style.css`, `GET /_/api/requests`,
//! `GET /_/api/requests/{id}`, `GET /_/api/requests/{id}/raw`, `POST /_/api/requests/{id}/replay`,
//! `GET /_/api/events` (server-sent events, [`events`]), `GET /_/api/connections`, and
//! `GET /connections` (the same list, for scripts). It takes the
//! receiver's [`Request`] and answers it, except a replay, which it hands back to the service to
//! route like any request ([`Handled::Replay`]); it never calls into the service or the routes.
//! Inspector requests are never recorded in the history (the page would otherwise watch itself).
//!
//! Safety: the inspector answers only on its own listener (loopback by default), never on the
//! receiver's port, so a tunnel pointed at the receiver cannot reach it. Every API call, on every
//! bind, needs the token printed at start, as `x-topgg-int-token` or `?token=` (the printed page
//! URL carries it once and the page keeps it): no peer address or `Host` is trusted, since a tunnel
//! agent or a relay on the same machine connects from loopback and can write any `Host`. The page
//! itself (HTML, CSS, JS) holds no request data and needs no token. Replay is POST-only and needs a
//! JSON body (which a cross-site form cannot send). No CORS headers are ever sent; the page carries
//! a strict Content-Security-Policy and inserts request content as text only.

pub mod api;
pub mod events;

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};

use self::events::Events;
use super::forward::Mirror;
use super::http::{self, Body, Request};
use super::record::Record;
use super::store::{self, Store};
use crate::protocol::capture::{Capture, shell_quote};
use crate::protocol::secret::{Secret, constant_time_eq};
use crate::protocol::signature::{self, SIGNATURE_HEADER};
use crate::stop::Stop;

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
    /// Required by every API call.
    pub token: Secret,
    /// `serve --show-secrets`: webhook secrets and `Authorization` values in full.
    pub show_secrets: bool,
}

/// The inspector of one receiver: its settings, what it reads (the store, the secrets that verify
/// requests) and its live events.
pub struct Inspector {
    config: InspectorConfig,
    store: Arc<Store>,
    integration_secret: Secret,
    tolerance: u64,
    base_url: String,
    /// In forward mode, the mirrored paths the receiver also answers.
    mirror: Option<Mirror>,
    events: Events,
}

/// What the inspector did with a request.
pub enum Handled {
    /// Answered.
    Answer(hyper::Response<Body>),
    /// Refused for want of the token: the service answers and logs it.
    Refused {
        /// 401.
        status: u16,
        /// `token-required`.
        verdict: &'static str,
        /// One sentence.
        detail: String,
    },
    /// A replay: the service routes `request` as if it had arrived now, records it as a replay of
    /// `of`, and answers with [`replayed`].
    Replay {
        /// The request to route.
        request: Request,
        /// The history entry it replays.
        of: i64,
        /// `verbatim` or `resign`.
        mode: String,
    },
}

/// What the blocking part decided.
enum Step {
    Answer(hyper::Response<Body>),
    Refused(u16, String),
    Events,
    Replay { request: Request, of: i64, mode: String },
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

fn reply_json(status: u16, v: &Value) -> hyper::Response<Body> {
    let mut body = serde_json::to_vec(v).unwrap_or_default();
    body.push(b'\n');
    http::full(status, &base_headers("application/json"), body)
}

fn reply_error(status: u16, code: &str, message: impl Into<String>) -> hyper::Response<Body> {
    reply_json(status, &http::error_body(code, &message.into()))
}

/// The head of an event stream.
pub fn event_head() -> Vec<(String, String)> {
    let mut h = base_headers("text/event-stream");
    h.retain(|(n, _)| n != "Cache-Control");
    h.push(("Cache-Control".into(), "no-cache".into()));
    h
}

/// The answer to a replay the service has routed: the new entry's id and status.
pub fn replayed(id: i64, status: u16, of: i64, mode: &str) -> hyper::Response<Body> {
    reply_json(200, &json!({"id": id, "status": status, "replay_of": of, "mode": mode}))
}

impl Inspector {
    /// The inspector over `store`, verifying config-URL requests with `integration_secret` and
    /// building URLs on `base_url`; in forward mode `mirror` names the mirrored paths it answers.
    pub fn new(
        config: InspectorConfig,
        store: Arc<Store>,
        integration_secret: Secret,
        tolerance: u64,
        base_url: String,
        mirror: Option<Mirror>,
    ) -> Inspector {
        Inspector { config, store, integration_secret, tolerance, base_url, mirror, events: Events::default() }
    }

    /// The settings.
    pub fn config(&self) -> &InspectorConfig {
        &self.config
    }

    /// The live events, where every recorded request is published.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// `Ok` when the request carries the token, else the refusal.
    pub fn allow(&self, req: &Request) -> Result<(), (u16, String)> {
        let given = req.header(TOKEN_HEADER).map(|t| t.into_owned()).or_else(|| api::query_param(req.query(), "token"));
        match given {
            Some(g) if constant_time_eq(self.config.token.expose().as_bytes(), g.as_bytes()) => Ok(()),
            Some(_) => Err((401, format!("the {TOKEN_HEADER} token does not match the one serve printed"))),
            None => Err((
                401,
                format!(
                    "the inspector's API needs the token serve printed at start (open the printed URL, or send \
                     {TOKEN_HEADER} or ?token=)"
                ),
            )),
        }
    }

    /// The JSON of `GET /connections` and `GET /_/api/connections`.
    pub fn connections_json(&self) -> Value {
        let mut v = api::connections_json(&self.store.list(), &self.base_url, self.config.show_secrets);
        v["config_url"] = json!(format!("{}/integration", self.base_url));
        v["try"] = json!(self.try_command());
        v
    }

    /// A command that sends this receiver a whole flow and works as printed: with the secret file
    /// serve generated in its data dir when that is the secret in use, else from the environment
    /// serve was started with.
    fn try_command(&self) -> String {
        let url = format!("{}/integration", self.base_url);
        let file = self.store.path().parent().map(|d| d.join(store::SECRET_FILE));
        let generated = file.as_ref().filter(|f| {
            std::fs::read_to_string(f).ok().and_then(|t| Secret::from_file_text(&t).ok()).is_some_and(|(s, _)| {
                constant_time_eq(s.expose().as_bytes(), self.integration_secret.expose().as_bytes())
            })
        });
        match generated {
            Some(f) => format!(
                "topgg-int simulate flow --url {} --integration-secret-file {}",
                shell_quote(&url),
                shell_quote(&f.display().to_string())
            ),
            None => format!(
                "topgg-int simulate flow --url {}   # with TOPGG_INTEGRATION_SECRET set as for serve",
                shell_quote(&url)
            ),
        }
    }

    /// Answers one inspector request, or hands a replay back. Runs off the async workers: reading
    /// the history waits for the journal.
    pub async fn answer(self: &Arc<Self>, req: Request, stop: Stop) -> Handled {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.step(req)).await {
            Ok(Step::Answer(r)) => Handled::Answer(r),
            Ok(Step::Refused(status, detail)) => Handled::Refused { status, verdict: "token-required", detail },
            Ok(Step::Events) => Handled::Answer(self.events.stream(&event_head(), stop).unwrap_or_else(|| {
                reply_error(
                    503,
                    "busy",
                    format!(
                        "{} event streams are open already (one per inspector tab); close one and retry",
                        events::MAX_SUBSCRIBERS
                    ),
                )
            })),
            Ok(Step::Replay { request, of, mode }) => Handled::Replay { request, of, mode },
            Err(_) => Handled::Answer(http::full(500, &[], Bytes::from_static(b"{\"error\":\"internal-error\"}\n"))),
        }
    }

    fn step(&self, req: Request) -> Step {
        let path = req.path();
        let query = req.query();
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
            if req.method != "GET" && req.method != "HEAD" {
                return Step::Answer(not_allowed("GET"));
            }
            let mut headers = base_headers(ct);
            headers.push(("Content-Security-Policy".into(), CSP.into()));
            headers.push(("X-Frame-Options".into(), "DENY".into()));
            return Step::Answer(http::full(200, &headers, Bytes::from_static(text.as_bytes())));
        }
        if path == "/" && matches!(req.method.as_str(), "GET" | "HEAD") {
            // The listener's root is the page (the query, with its token, goes along).
            let to = if query.is_empty() { "/_/".to_string() } else { format!("/_/?{query}") };
            return Step::Answer(http::full(302, &[("Location".into(), to)], Bytes::new()));
        }
        if let Err((status, why)) = self.allow(&req) {
            return Step::Refused(status, why);
        }
        if path == "/connections" {
            return Step::Answer(match req.method.as_str() {
                "GET" | "HEAD" => reply_json(200, &self.connections_json()),
                _ => not_allowed("GET"),
            });
        }
        let Some(rest) = path.strip_prefix("/_/api/") else {
            return Step::Answer(reply_error(
                404,
                "not-found",
                format!("nothing at {shown}: the inspector is at /_/ and its API at /_/api/"),
            ));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        let get = req.method == "GET" || req.method == "HEAD";
        let answer = match segments.as_slice() {
            ["requests"] if get => self.list(query),
            ["events"] if get => return Step::Events,
            ["connections"] if get => reply_json(200, &self.connections_json()),
            ["requests", id] if get => match self.entry(id) {
                Ok(e) => {
                    let e = self.with_fingerprint(e);
                    reply_json(200, &api::detail(&e, &self.detail_context(&e)))
                }
                Err(r) => *r,
            },
            ["requests", id, "raw"] if get => match self.entry(id) {
                Ok(Record { request: Some(raw), body_cut, .. }) => {
                    let mut headers = base_headers("message/http");
                    if let Some(whole) = body_cut {
                        // The kept prefix is a well-formed request of its own; say it is not all.
                        headers.push((
                            "X-Topgg-Int-Body-Cut".into(),
                            format!("kept the first {} of {whole} body bytes", store::REFUSED_BODY_KEPT),
                        ));
                    }
                    // The wire bytes, unmasked (the inspector is token-guarded): a masked secret
                    // would shorten the body under its Content-Length and signature.
                    http::full(200, &headers, raw)
                }
                Ok(e) => reply_error(404, "no-bytes", format!("request {} was refused before it could be read", e.id)),
                Err(r) => *r,
            },
            ["requests", id, "replay"] if req.method == "POST" => {
                match self.entry(id).and_then(|e| self.replay(&req, &e)) {
                    Ok(step) => return step,
                    Err(r) => *r,
                }
            }
            ["requests", _, "replay"] => not_allowed("POST"),
            ["requests"] | ["events"] | ["connections"] | ["requests", _] | ["requests", _, "raw"] => {
                not_allowed("GET")
            }
            _ => reply_error(
                404,
                "not-found",
                format!(
                    "nothing at {shown}: the API has /_/api/requests, /_/api/requests/ID, …/raw, …/replay, /_/api/events and /_/api/connections"
                ),
            ),
        };
        Step::Answer(answer)
    }

    fn list(&self, query: &str) -> hyper::Response<Body> {
        let q = match api::parse_query(query) {
            Ok(q) => q,
            Err(why) => return reply_error(400, "bad-query", why),
        };
        match self.store.history(&q) {
            Ok(rows) => {
                let next = if rows.len() == q.limit { rows.last().map(|e| e.id) } else { None };
                let items: Vec<Value> =
                    rows.iter().map(|e| api::list_item(&self.with_fingerprint(e.clone()))).collect();
                reply_json(200, &json!({"requests": items, "next_before": next, "history": self.store.history_stats()}))
            }
            Err(e) => reply_error(500, "store-failed", e.to_string()),
        }
    }

    fn entry(&self, id: &str) -> Result<Record, Box<hyper::Response<Body>>> {
        let Ok(n) = id.parse::<i64>() else {
            return Err(Box::new(reply_error(400, "bad-id", format!("{id:?} is not a request id (a whole number)"))));
        };
        match self.store.history_entry(n) {
            Ok(Some(e)) => Ok(e),
            Ok(None) => Err(Box::new(reply_error(
                404,
                "not-found",
                format!("no request {n} in the history (trimmed, or never recorded)"),
            ))),
            Err(e) => Err(Box::new(reply_error(500, "store-failed", e.to_string()))),
        }
    }

    /// A forwarded entry with the fingerprint of the secret it was verified with, which the history
    /// does not keep, for the sentence saying who is wrong.
    fn with_fingerprint(&self, mut e: Record) -> Record {
        if e.forwarded.is_some() && e.secret_fingerprint.is_none() {
            e.secret_fingerprint = self.secret_for(&e).0.map(|(s, _)| s.fingerprint());
        }
        e
    }

    /// The secret the receiver verifies `e`'s path with.
    fn detail_context(&self, e: &Record) -> api::DetailContext {
        let (secret, no_secret) = self.secret_for(e);
        api::DetailContext {
            secret,
            no_secret,
            tolerance: self.tolerance,
            show_secrets: self.config.show_secrets,
            base_url: self.base_url.clone(),
            mirror: self.mirror.clone(),
        }
    }

    fn secret_for(&self, e: &Record) -> SecretFor {
        let own = self.mirror.as_ref().and_then(|m| m.canonical(&e.path)).unwrap_or_else(|| e.path.clone());
        let path = own.split_once('?').map_or(own.as_str(), |(p, _)| p);
        if path == "/integration" {
            return (Some((self.integration_secret.clone(), "integration secret".into())), None);
        }
        if let Some(id) = path.strip_prefix("/webhooks/") {
            return match self.store.secret_of(id) {
                Some(s) => (Some((s, format!("webhook secret of connection {id}"))), None),
                None => (None, Some(format!("no connection {id} is stored now, so its webhook secret is unknown"))),
            };
        }
        (None, Some(format!("{path} is not signed with a Top.gg signature")))
    }

    /// The request a replay sends (re-signed when asked), or the refusal.
    fn replay(&self, req: &Request, e: &Record) -> Result<Step, Box<hyper::Response<Body>>> {
        let json_body =
            req.header("content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
        if !json_body {
            return Err(Box::new(reply_error(
                415,
                "json-required",
                "send the replay as Content-Type: application/json, {\"mode\": \"verbatim\"|\"resign\"}",
            )));
        }
        let mode = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| v.get("mode").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "verbatim".into());
        if let Some(whole) = e.body_cut {
            return Err(Box::new(reply_error(
                409,
                "body-cut",
                format!("request {} kept only a prefix of its {whole}-byte body; nothing whole to replay", e.id),
            )));
        }
        let Some(mut capture) = e.request.as_deref().and_then(|r| Capture::parse(r).ok()) else {
            return Err(Box::new(reply_error(
                409,
                "no-bytes",
                format!("request {} was refused before it could be read; nothing to replay", e.id),
            )));
        };
        // A verbatim replay is kept as the very bytes it replays.
        let mut head = None;
        match mode.as_str() {
            "verbatim" => {
                let raw = e.request.as_deref().unwrap_or_default();
                head = raw.get(..raw.len().saturating_sub(capture.body.len())).map(Bytes::copy_from_slice);
            }
            "resign" => {
                let (secret, why) = self.secret_for(e);
                let Some((secret, _)) = secret else {
                    let why = why.unwrap_or_default();
                    return Err(Box::new(reply_error(
                        409,
                        "cannot-resign",
                        format!("request {} cannot be re-signed: {why}", e.id),
                    )));
                };
                if let Some(why) = unverified(e, &capture, &secret) {
                    return Err(Box::new(reply_error(
                        409,
                        "cannot-resign",
                        format!(
                            "request {} {why}, so it is not re-signed: a fresh signature would make valid a request \
                             Top.gg never signed (replay it verbatim instead)",
                            e.id
                        ),
                    )));
                }
                let value = signature::sign(&secret, crate::protocol::time::now_unix(), &capture.body);
                match capture.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(SIGNATURE_HEADER)) {
                    Some((_, v)) => *v = value,
                    None => capture.headers.push((SIGNATURE_HEADER.into(), value)),
                }
            }
            other => {
                return Err(Box::new(reply_error(
                    400,
                    "bad-mode",
                    format!("mode {other:?} is not \"verbatim\" or \"resign\""),
                )));
            }
        }
        Ok(Step::Replay { request: Request { head, ..Request::from_capture(capture) }, of: e.id, mode })
    }
}

type SecretFor = (Option<(Secret, String)>, Option<String>);

/// Why an entry may not be re-signed, or `None` when it may: its verdict was `ok`, or its only
/// fault was a timestamp outside the window on a body its signature verifies.
fn unverified(e: &Record, capture: &Capture, secret: &Secret) -> Option<String> {
    match e.verdict.as_str() {
        "ok" => None,
        "timestamp-out-of-window" => {
            let header = capture.header(SIGNATURE_HEADER);
            let Some(t) = header.and_then(|h| signature::parse_signature_header(h).ok()).map(|h| h.timestamp) else {
                return Some("had a stale timestamp and no readable signature".into());
            };
            // At its own timestamp the window does not matter: only whether the body verifies.
            match signature::verify(secret, header, &capture.body, t, 0) {
                Ok(_) => None,
                Err(r) => Some(format!(
                    "had a stale timestamp and its signature does not verify either ({})",
                    r.reason.code()
                )),
            }
        }
        other => Some(format!("was refused ({other})")),
    }
}

fn not_allowed(allow: &str) -> hyper::Response<Body> {
    let mut r = reply_error(405, "method-not-allowed", format!("only {allow} is allowed here"));
    if let Ok(v) = ::http::HeaderValue::from_str(allow) {
        r.headers_mut().insert(::http::header::ALLOW, v);
    }
    r
}
