//! The test receivers: a config URL and webhook URLs on 127.0.0.1:0 that verify signatures with
//! their own HMAC code (not the crate's), each optionally broken in exactly one way ([`Flaw`]).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{INTEGRATION_SECRET, LEGACY_SECRET, WEBHOOK_SECRET};

const MAX_BODY: usize = 2 * 1024 * 1024;

/// What a test receiver gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    None,
    /// Answers 204 to every delivery without verifying anything.
    AcceptAnything,
    /// Parses the JSON and re-serialises it before computing the HMAC.
    Reserialize,
    /// Uses the webhook secret without its `whs_` prefix as the HMAC key.
    StripPrefix,
    /// Verifies the body as Python's `json.dumps(json.loads(body))` writes it (Flask's `request.json`).
    ReserializePython,
    /// Verifies the body re-serialised compactly with every object's keys sorted.
    ReserializeSorted,
    /// Verifies webhook deliveries with the integration secret.
    IntegrationSecretForWebhooks,
    /// Checks the window against a millisecond clock (`Date.now()`).
    MillisecondClock,
    /// Hands out a relative webhook_url in the handshake.
    RelativeUrl,
    /// Answers webhook.test after this many milliseconds.
    SlowTest(u64),
    /// Answers 500 to a vote.create id it has seen before.
    DuplicateIs500,
    /// Answers 204 to a vote.create id it has seen before without verifying it again.
    DedupBeforeVerify,
    /// Answers 204 to a body that is not JSON or of an unknown type before verifying it (python SDK).
    ParseFirst,
    /// Compares only the first 64 characters of `v1` (node SDK).
    PrefixMac,
    /// Dies on a `v1` shorter than 64 characters: closes that connection unanswered and stops
    /// listening (node SDK).
    CrashOnShortMac,
    /// Dies on the second request it reads, whatever it is (the first is the handshake): closes
    /// it unanswered and stops listening.
    DieOnSecondRequest,
    /// Reads every request head on the accept thread, one client at a time.
    SerialHead,
    /// Reads request bodies one at a time, under one lock.
    SerialBody,
    /// Refuses (400) a vote.create with a field it does not know.
    StrictFields,
    /// Refuses (400) a vote.create without data.query.
    RequiresQuery,
    /// Accepts any request with the right legacy Authorization, signature or not.
    LegacyFirst,
    /// Holds its answer to a verified event of an unknown type until [`Receiver::release`] (at
    /// most 10 s), so a test can look at what `check` printed while a case is still running.
    HoldUnknownEvent,
    /// Splits x-topgg-signature on `.` (as if it were `t.v1`): refuses every genuine delivery.
    SplitOnDot,
    /// Only checks that x-topgg-signature is present.
    PresenceOnly,
    /// Sets 403 on a bad signature without returning, and acknowledges anyway (Express's
    /// `res.status(403)` followed by `res.sendStatus(200)`).
    StatusWithoutReturn,
    /// Verifies the MAC but never looks at `t`.
    NoWindow,
    /// Answers like @top-gg/sdk 3.1.6 on express: only `Authorization` is checked, and anything
    /// else gets 403 `{"error":"Unauthorized"}` as JSON (protocol.md §8).
    V0OnlyNode,
    /// Answers like topggpy 1.4.0 on aiohttp: only `Authorization` is checked, and anything else
    /// gets 401 `Unauthorized` as text/plain from a `Python/… aiohttp/…` server.
    V0OnlyPython,
}

#[derive(Default)]
pub struct State {
    connections: HashMap<String, String>,
    plain: String,
    seen_votes: HashSet<String>,
    pub requests: usize,
    /// Set by [`Flaw::CrashOnShortMac`]: nothing is answered any more.
    dead: bool,
    /// [`Flaw::HoldUnknownEvent`]: an answer is being held, and whether it may go.
    pub holding: bool,
    released: bool,
}

/// Wakes answers held by [`Flaw::HoldUnknownEvent`] (each waiter rechecks its own receiver).
static RELEASED: Condvar = Condvar::new();

/// Held while a [`Flaw::SerialBody`] receiver reads a body.
static BODY_LOCK: Mutex<()> = Mutex::new(());

pub struct Receiver {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
}

impl Receiver {
    pub fn config_url(&self) -> String {
        format!("http://127.0.0.1:{}/config", self.port)
    }

    /// The plain webhook every receiver also has: `/webhooks/plain`, signed with [`WEBHOOK_SECRET`].
    pub fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/plain", self.port)
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections.len()
    }

    /// Lets a held answer go ([`Flaw::HoldUnknownEvent`]).
    pub fn release(&self) {
        self.state.lock().unwrap().released = true;
        RELEASED.notify_all();
    }
}

pub fn start(flaw: Flaw) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(Mutex::new(State::default()));
    // A webhook made in the dashboard: no handshake, a secret known in advance. Not counted by
    // `connections()`, which tracks what the suite's handshake made.
    state.lock().unwrap().plain = WEBHOOK_SECRET.to_string();
    let shared = Arc::clone(&state);
    // The accept loop lives until the test binary exits; each connection gets its own thread so
    // a slow answer does not hold up the others.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if shared.lock().unwrap().dead {
                // Dropping the listener: from now on connections are refused.
                break;
            }
            let state = Arc::clone(&shared);
            let mut reader = BufReader::new(stream);
            let head = if flaw == Flaw::SerialHead { Some(read_head(&mut reader)) } else { None };
            std::thread::spawn(move || {
                let head = head.unwrap_or_else(|| read_head(&mut reader));
                serve_one(reader, head, &state, flaw, port)
            });
        }
    });
    Receiver { port, state }
}

struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

type Head = Option<(String, HashMap<String, String>)>;

fn read_head(reader: &mut BufReader<TcpStream>) -> Head {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    Some((path, headers))
}

fn read_body(reader: &mut BufReader<TcpStream>, (path, headers): (String, HashMap<String, String>)) -> Option<Request> {
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { path, headers, body })
}

fn respond(stream: TcpStream, status: u16, body: &str) {
    respond_as(stream, status, "check-test-receiver", "application/json", body);
}

fn respond_as(mut stream: TcpStream, status: u16, server: &str, content_type: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nServer: {server}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// Protocol §3 verification, written independently of the crate: 401 missing, 400 malformed,
/// 403 out of the 30 s window, 401 mismatch.
fn verify(secret: &str, header: Option<&String>, body: &[u8]) -> Result<(), u16> {
    verify_at(secret, header, body, true, 1)
}

/// [`verify`], checking the window only with `window`, against a clock in `unit`s of a second
/// (1000: milliseconds, as `Date.now()`).
fn verify_at(secret: &str, header: Option<&String>, body: &[u8], window: bool, unit: i64) -> Result<(), u16> {
    let header = header.ok_or(401u16)?;
    let (mut t, mut v1) = (None, None);
    for pair in header.split(',') {
        match pair.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (t, v1) = (t.ok_or(400u16)?, v1.ok_or(400u16)?);
    let ts: i64 = t.parse().map_err(|_| 400u16)?;
    if v1.len() != 64 || !v1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(400);
    }
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 * unit / 1000;
    if window && (now - ts).abs() > 30 * unit {
        return Err(403);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    if hex::encode(mac.finalize().into_bytes()) == v1 { Ok(()) } else { Err(401) }
}

fn serve_one(mut reader: BufReader<TcpStream>, head: Head, state: &Mutex<State>, flaw: Flaw, port: u16) {
    let Some(head) = head else { return };
    let req = if flaw == Flaw::SerialBody {
        let _one_at_a_time = BODY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        read_body(&mut reader, head)
    } else {
        read_body(&mut reader, head)
    };
    let Some(req) = req else { return };
    let requests = {
        let mut state = state.lock().unwrap();
        if state.dead {
            return;
        }
        state.requests += 1;
        state.requests
    };
    let dies = match flaw {
        Flaw::CrashOnShortMac => short_mac(req.headers.get("x-topgg-signature")),
        Flaw::DieOnSecondRequest => requests >= 2,
        _ => false,
    };
    if dies {
        state.lock().unwrap().dead = true;
        // Wake the accept loop so that it sees the crash and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", port));
        return;
    }
    let (status, body) = answer(&req, state, flaw, port);
    if flaw == Flaw::V0OnlyPython && req.path.starts_with("/webhooks/") {
        // aiohttp's web.Response(text=…) and its Server header (protocol.md §8).
        let server = "Python/3.11 aiohttp/3.9.5";
        return respond_as(reader.into_inner(), status, server, "text/plain; charset=utf-8", &body);
    }
    respond(reader.into_inner(), status, &body);
}

fn short_mac(header: Option<&String>) -> bool {
    header.and_then(|h| h.split(',').find_map(|p| p.strip_prefix("v1="))).is_some_and(|v1| v1.len() < 64)
}

const KNOWN_VOTE_FIELDS: [&str; 7] = ["id", "weight", "created_at", "expires_at", "project", "user", "query"];

/// A reason to refuse a verified vote.create for [`Flaw::StrictFields`] or [`Flaw::RequiresQuery`].
fn picky(event: &Value, flaw: Flaw) -> bool {
    let data = event["data"].as_object();
    match flaw {
        Flaw::StrictFields => {
            event.as_object().is_some_and(|o| o.keys().any(|k| k != "type" && k != "data"))
                || data.is_some_and(|d| d.keys().any(|k| !KNOWN_VOTE_FIELDS.contains(&k.as_str())))
                || ["project", "user"].iter().any(|p| {
                    event["data"][p].as_object().is_some_and(|o| {
                        o.keys().any(|k| {
                            !["id", "type", "platform", "platform_id", "name", "avatar_url"].contains(&k.as_str())
                        })
                    })
                })
        }
        Flaw::RequiresQuery => data.is_some_and(|d| !d.contains_key("query")),
        _ => false,
    }
}

fn answer(req: &Request, state: &Mutex<State>, flaw: Flaw, port: u16) -> (u16, String) {
    let sig = req.headers.get("x-topgg-signature");
    if req.path == "/config" {
        if let Err(code) = verify(INTEGRATION_SECRET, sig, &req.body) {
            return (code, String::new());
        }
        let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let id = event["data"]["connection_id"].as_str().unwrap_or_default().to_string();
        return match event["type"].as_str() {
            Some("integration.create") => {
                let secret = event["data"]["webhook_secret"].as_str().unwrap_or_default().to_string();
                state.lock().unwrap().connections.insert(id.clone(), secret);
                // The Host it was reached for, so that behind a proxy (`serve --forward-to`) the
                // deliveries come back through the proxy.
                let host = req.headers.get("host").cloned().unwrap_or_else(|| format!("127.0.0.1:{port}"));
                let base = if flaw == Flaw::RelativeUrl { String::new() } else { format!("http://{host}") };
                let answer =
                    json!({"webhook_url": format!("{base}/webhooks/{id}"), "routes": ["vote.create", "webhook.test"]});
                (200, answer.to_string())
            }
            Some("integration.delete") => {
                state.lock().unwrap().connections.remove(&id);
                (204, String::new())
            }
            _ => (204, String::new()),
        };
    }
    let Some(id) = req.path.strip_prefix("/webhooks/") else { return (404, String::new()) };
    let secret = if id == "plain" { Some(state.lock().unwrap().plain.clone()) } else { None };
    let Some(secret) = secret.or_else(|| state.lock().unwrap().connections.get(id).cloned()) else {
        return (404, String::new());
    };
    if flaw == Flaw::AcceptAnything {
        return (204, String::new());
    }
    if flaw == Flaw::V0OnlyNode {
        return match req.headers.get("authorization") {
            Some(a) if a == LEGACY_SECRET => (200, String::new()),
            _ => (403, r#"{"error":"Unauthorized"}"#.into()),
        };
    }
    if flaw == Flaw::V0OnlyPython {
        return match req.headers.get("authorization") {
            Some(a) if a == LEGACY_SECRET => (200, "OK".into()),
            _ => (401, "Unauthorized".into()),
        };
    }
    let authorization = req.headers.get("authorization");
    if flaw == Flaw::LegacyFirst && authorization.is_some_and(|a| a == LEGACY_SECRET) {
        return (200, String::new());
    }
    if sig.is_none()
        && let Some(auth) = authorization
    {
        // A v0 vote: Authorization is the whole check (protocol.md §6).
        return if auth == LEGACY_SECRET { (200, String::new()) } else { (401, String::new()) };
    }
    if flaw == Flaw::ParseFirst {
        let known = ["vote.create", "webhook.test"];
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(event) if event["type"].as_str().is_some_and(|t| known.contains(&t)) => {}
            _ => return (204, String::new()),
        }
    }
    if req.body.len() > MAX_BODY {
        return (413, String::new());
    }
    if !req.headers.contains_key("x-topgg-trace") {
        return (401, String::new());
    }
    match flaw {
        Flaw::SplitOnDot => {
            // `t.v1`: a genuine header has no dot, so this never finds two parts.
            let parts: Vec<&str> = sig.map(|h| h.split('.').collect()).unwrap_or_default();
            if parts.len() != 2 {
                return (400, String::new());
            }
        }
        Flaw::PresenceOnly => return if sig.is_some() { (204, String::new()) } else { (401, String::new()) },
        Flaw::StatusWithoutReturn => {
            return match verify(&secret, sig, &req.body) {
                Err(401) if sig.is_none() => (401, String::new()),
                // `res.status(403)` without `return`: the handler goes on and acknowledges.
                _ => (200, String::new()),
            };
        }
        _ => {}
    }
    if flaw == Flaw::DedupBeforeVerify {
        let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        if event["data"]["id"].as_str().is_some_and(|id| state.lock().unwrap().seen_votes.contains(id)) {
            return (204, String::new());
        }
    }
    let key = match flaw {
        Flaw::StripPrefix => secret.strip_prefix("whs_").unwrap_or(&secret).to_string(),
        Flaw::IntegrationSecretForWebhooks => INTEGRATION_SECRET.to_string(),
        _ => secret,
    };
    let sig_owned;
    let sig = match (flaw, sig) {
        (Flaw::PrefixMac, Some(h)) => {
            // Keep only the first 64 characters of v1, as a decoder that stops early does.
            sig_owned = h
                .split(',')
                .map(|p| match p.strip_prefix("v1=") {
                    Some(v1) if v1.len() > 64 => format!("v1={}", &v1[..64]),
                    _ => p.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            Some(&sig_owned)
        }
        _ => sig,
    };
    let parsed = || serde_json::from_slice::<Value>(&req.body).unwrap_or_default();
    let signed_bytes = match flaw {
        Flaw::Reserialize => serde_json::to_vec(&parsed()).unwrap(),
        Flaw::ReserializePython => python_dumps(&parsed()).into_bytes(),
        Flaw::ReserializeSorted => sorted_compact(&parsed()).into_bytes(),
        _ => req.body.clone(),
    };
    let unit = if flaw == Flaw::MillisecondClock { 1000 } else { 1 };
    if let Err(code) = verify_at(&key, sig, &signed_bytes, flaw != Flaw::NoWindow, unit) {
        return (code, String::new());
    }
    let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
    match event["type"].as_str() {
        Some("vote.create") => {
            if picky(&event, flaw) {
                return (400, "unexpected vote".into());
            }
            let id = event["data"]["id"].as_str().unwrap_or_default().to_string();
            let fresh = state.lock().unwrap().seen_votes.insert(id);
            if !fresh && flaw == Flaw::DuplicateIs500 {
                return (500, "duplicate".into());
            }
        }
        Some("webhook.test") => {
            if let Flaw::SlowTest(ms) = flaw {
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        Some(_) if flaw == Flaw::HoldUnknownEvent => {
            let mut s = state.lock().unwrap();
            s.holding = true;
            let (mut s, _) = RELEASED.wait_timeout_while(s, Duration::from_secs(10), |s| !s.released).unwrap();
            s.holding = false;
        }
        _ => {}
    }
    (204, String::new())
}

/// Python's `json.dumps(value)`: `", "` and `": "` separators, non-ASCII as `\uXXXX`. Written here
/// rather than taken from the crate, so the suite's probes are checked against an independent one.
fn python_dumps(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> =
                map.iter().map(|(k, v)| format!("{}: {}", python_string(k), python_dumps(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(python_dumps).collect::<Vec<_>>().join(", ")),
        Value::String(s) => python_string(s),
        other => other.to_string(),
    }
}

fn python_string(s: &str) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(s).unwrap().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Compact JSON with every object's keys sorted.
fn sorted_compact(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", serde_json::to_string(k).unwrap(), sorted_compact(&map[*k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(sorted_compact).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}
