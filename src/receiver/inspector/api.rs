//! The inspector API's JSON, as pure functions over history entries: the list query, a list item,
//! the detail of one request and the connections. No I/O: the caller looks up entries and secrets.
//!
//! Shapes (documented in the README too):
//! - list item: the record's one JSON form ([`Record::to_json`]);
//! - detail: a list item plus `headers` (`[[name, value]]`), `signature` (`{header, t, signed_at,
//!   age_at_arrival_s, v1}` or null), `verification` (`{valid, reason, detail, hints: [{code,
//!   explanation, rejected_by}], secret: {kind, masked, fingerprint} | null, note}`), `payload`
//!   (`{kind, problems: [{path, message}]}` or `{error}`), `body` (`{text, json, bytes}`), `curl`,
//!   and for forwarded requests `forwarded.headers`, `forwarded.body` and `forwarded.handshake`.
//!
//! Secrets (a connection's `webhook_secret` in `integration.create`, a legacy `Authorization`) are
//! shown masked unless `serve --show-secrets`.

use serde_json::{Value, json};

use crate::protocol::capture::{Capture, Curl};
use crate::protocol::diagnose::replace_bytes;
use crate::protocol::handshake;
use crate::protocol::payload;
use crate::protocol::secret::{Redactor, Secret};
use crate::protocol::signature::{self, SIGNATURE_HEADER};
use crate::receiver::record::{Forwarded, Record};
use crate::receiver::store::{Connection, HistoryQuery};

/// The most items one page of the list may ask for.
pub const MAX_LIMIT: usize = 500;

/// Parses `?before=ID&limit=N&type=…&connection=…&verdict=…` (other keys, like `token`, are
/// ignored). A bad value is one sentence naming it.
pub fn parse_query(query: &str) -> Result<HistoryQuery, String> {
    let mut q = HistoryQuery { limit: 100, ..Default::default() };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode_component(raw).ok_or_else(|| format!("the query parameter {key} is not valid UTF-8"))?;
        let value = Some(value).filter(|v| !v.is_empty());
        match key {
            "before" => {
                q.before = match value {
                    None => None,
                    Some(v) => Some(
                        v.parse::<i64>().map_err(|_| format!("before={v:?} is not a request id (a whole number)"))?,
                    ),
                }
            }
            "limit" => {
                if let Some(v) = value {
                    q.limit = match v.parse::<usize>() {
                        Ok(n @ 1..=MAX_LIMIT) => n,
                        _ => return Err(format!("limit={v:?} is not a number from 1 to {MAX_LIMIT}")),
                    }
                }
            }
            "type" => q.event = value,
            "connection" => q.connection = value,
            "verdict" => q.verdict = value,
            _ => {}
        }
    }
    Ok(q)
}

/// Decodes `%XX` escapes and `+` (a space, as forms send it); `None` when the result is not UTF-8.
pub fn decode_component(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex_digit(b[i + 1]), hex_digit(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The value of `key` in a query string, decoded.
pub fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == key).and_then(|(_, v)| decode_component(v))
}

/// An RFC 3339 UTC date with second precision: `2026-02-09T00:47:14Z`.
pub fn rfc3339(unix: i64) -> String {
    let s = crate::protocol::time::format_utc(unix);
    s.trim_end_matches(" UTC").replacen(' ', "T", 1) + "Z"
}

/// One request in the list (and in each server-sent event): the record's one JSON form.
pub fn list_item(e: &Record) -> Value {
    serde_json::from_str(&e.to_json()).unwrap_or(Value::Null)
}

/// `{"connections": [{connection_id, webhook_url, webhook_secret_fingerprint, webhook_secret
/// (masked unless shown), project, user, created_at}]}`.
pub fn connections_json(connections: &[Connection], base_url: &str, show_secrets: bool) -> Value {
    let list: Vec<Value> = connections
        .iter()
        .map(|c| {
            json!({
                "connection_id": c.connection_id,
                "webhook_url": format!("{base_url}/webhooks/{}", c.connection_id),
                "webhook_secret_fingerprint": c.webhook_secret.fingerprint(),
                "webhook_secret": if show_secrets { c.webhook_secret.expose().to_string() } else { c.webhook_secret.masked() },
                "project": c.project,
                "user": c.user,
                "created_at": crate::protocol::time::format_utc(c.created_at),
            })
        })
        .collect();
    json!({ "connections": list })
}

/// What the detail needs besides the entry: the secret that should have signed it.
pub struct DetailContext {
    /// The secret the receiver verifies this path with, and what it is (`integration secret`,
    /// `webhook secret of connection 123`); `None` when there is none (legacy, unknown connection).
    pub secret: Option<(Secret, String)>,
    /// Why there is no secret, when there is none.
    pub no_secret: Option<String>,
    /// The replay window the receiver used, seconds.
    pub tolerance: u64,
    /// `serve --show-secrets`.
    pub show_secrets: bool,
    /// The receiver's base URL, for the `curl` command.
    pub base_url: String,
}

/// The full detail of one request (`GET /_/api/requests/{id}`).
pub fn detail(e: &Record, ctx: &DetailContext) -> Value {
    let mut out = list_item(e);
    let capture = e.request.as_deref().and_then(|raw| Capture::parse(raw).ok());
    let arrival = e.time_unix_nanos.div_euclid(1_000_000_000) as i64;
    let obj = out.as_object_mut().expect("list_item is an object");
    let Some(c) = capture else {
        obj.insert("headers".into(), json!([]));
        obj.insert("note".into(), json!("the request was refused before it could be read; no bytes were kept"));
        return out;
    };
    let secrets = capture_secrets(&c);
    let redact = Redactor::for_values(&secrets, ctx.show_secrets);
    let shown = |v: &str| redact.header(v);
    let headers: Vec<Value> = c
        .headers
        .iter()
        .map(|(n, v)| {
            let v = if n.eq_ignore_ascii_case("authorization") && !ctx.show_secrets {
                Secret::new(v.clone()).masked()
            } else {
                shown(v)
            };
            json!([n, v])
        })
        .collect();
    obj.insert("headers".into(), Value::Array(headers));
    let sig = c.header(SIGNATURE_HEADER);
    obj.insert("signature".into(), signature_json(sig, arrival));
    obj.insert("verification".into(), verification(sig, &c.body, arrival, ctx));
    obj.insert("payload".into(), payload_json(&c.body));
    obj.insert("body".into(), body_json(&c.body, &secrets, ctx.show_secrets));
    obj.insert("curl".into(), json!(curl(&c, &ctx.base_url, &secrets, ctx.show_secrets)));
    if let (Some(f), Some(Value::Object(fo))) = (&e.forwarded, obj.get_mut("forwarded")) {
        fo.insert("headers".into(), json!(f.headers));
        fo.insert("body".into(), body_json(&f.body, &[], true));
        if e.event.as_deref() == Some("integration.create") && f.status.is_some() {
            fo.insert("handshake".into(), handshake_json(f));
        }
    }
    out
}

fn signature_json(header: Option<&str>, arrival: i64) -> Value {
    let Some(raw) = header else { return Value::Null };
    match signature::parse_signature_header(raw) {
        Ok(h) => json!({
            "header": raw,
            "t": h.timestamp,
            "signed_at": rfc3339(h.timestamp),
            "age_at_arrival_s": arrival.saturating_sub(h.timestamp),
            "v1": hex::encode(h.v1),
        }),
        Err(e) => json!({ "header": raw, "error": e.to_string() }),
    }
}

/// The verdict `verify` would give at the request's arrival, with the same reason, detail and hints.
fn verification(header: Option<&str>, body: &[u8], arrival: i64, ctx: &DetailContext) -> Value {
    let Some((secret, kind)) = &ctx.secret else {
        return json!({ "valid": Value::Null, "note": ctx.no_secret });
    };
    let d = signature::diagnose(secret, header, body, arrival, ctx.tolerance);
    json!({
        "valid": d.is_valid(),
        "reason": d.reason.code(),
        "detail": d.detail,
        "hints": d.hints.iter().map(|h| json!({
            "code": h.code(),
            "explanation": h.explanation(),
            "rejected_by": h.rejected_by(),
        })).collect::<Vec<_>>(),
        "secret": {"kind": kind, "masked": secret.masked(), "fingerprint": secret.fingerprint()},
    })
}

/// Problems with the payload as `inspect` lists them.
fn payload_json(body: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let (kind, problems) = payload::validate(&v);
            json!({ "kind": kind.name(), "problems": problems })
        }
        Err(e) if body.is_empty() => json!({ "error": format!("the body is empty ({e})") }),
        Err(e) => json!({ "error": format!("the body is not JSON: {e}") }),
    }
}

/// The body as text: pretty-printed when it is JSON, secrets masked unless shown.
fn body_json(body: &[u8], secrets: &[String], show: bool) -> Value {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).ok(),
        Err(_) => None,
    };
    let is_json = text.is_some();
    let text = text.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = Redactor::for_values(secrets, show).body(&text);
    json!({ "text": text, "json": is_json, "bytes": body.len() })
}

fn handshake_json(f: &Forwarded) -> Value {
    let ct = f.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
    let judged = handshake::judge(f.status.unwrap_or(0), ct, &f.body, None);
    json!({
        "ok": judged.handshake.is_some(),
        "webhook_url": judged.handshake.as_ref().map(|h| h.webhook_url.clone()),
        "routes": judged.handshake.as_ref().map(|h| h.routes.clone()),
        "problems": judged.problems,
        "warnings": judged.warnings,
    })
}

/// What in a request is a secret: an `integration.create` body's webhook secret and a legacy
/// `Authorization` value.
fn capture_secrets(c: &Capture) -> Vec<String> {
    let mut all = body_secrets(&c.body);
    all.extend(c.header("authorization").filter(|v| !v.is_empty()).map(str::to_string));
    all
}

/// The webhook secrets an `integration.create` body carries.
pub fn body_secrets(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/data/webhook_secret").and_then(Value::as_str).map(str::to_string))
        .filter(|s| !s.is_empty())
        .into_iter()
        .collect()
}

/// The raw `.http` bytes with the secrets of [`capture_secrets`] masked unless shown.
pub fn raw_bytes(raw: &[u8], show: bool) -> Vec<u8> {
    if show {
        return raw.to_vec();
    }
    let Ok(c) = Capture::parse(raw) else { return raw.to_vec() };
    let mut out = raw.to_vec();
    for s in capture_secrets(&c) {
        let masked = Secret::new(s.clone()).masked();
        out = replace_bytes(&out, s.as_bytes(), masked.as_bytes());
    }
    out
}

/// The request as a `curl` command against this receiver, single-quoted for a POSIX shell.
pub fn curl(c: &Capture, base_url: &str, secrets: &[String], show: bool) -> String {
    let redact = Redactor::for_values(secrets, show);
    let skip = ["host", "content-length", "connection", "transfer-encoding", "expect"];
    let headers: Vec<(String, String)> = c
        .headers
        .iter()
        .filter(|(n, _)| !skip.iter().any(|s| n.eq_ignore_ascii_case(s)))
        .map(|(n, v)| (n.clone(), redact.header(v)))
        .collect();
    let body = redact.body(&String::from_utf8_lossy(&c.body));
    let url = format!("{base_url}{}", c.path);
    Curl { options: "", method: &c.method, url: &url, headers: &headers, body: &body, multiline: false }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(raw: &[u8]) -> Record {
        Record {
            id: 7,
            time_unix_nanos: 1_700_000_010_000_000_000,
            method: "POST".into(),
            path: "/webhooks/1".into(),
            verdict: "signature-mismatch".into(),
            status: 401,
            request: Some(raw.to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn query_strings() {
        let q = parse_query("before=9&limit=5&type=vote.create&connection=a%20b&verdict=ok&token=x").unwrap();
        assert_eq!(
            (q.before, q.limit, q.event.as_deref(), q.connection.as_deref(), q.verdict.as_deref()),
            (Some(9), 5, Some("vote.create"), Some("a b"), Some("ok"))
        );
        assert_eq!(parse_query("").unwrap().limit, 100);
        assert!(parse_query("limit=0").unwrap_err().contains("limit=\"0\""));
        assert!(parse_query("before=x").unwrap_err().contains("before=\"x\""));
        assert!(parse_query("type=%ff").is_err());
        assert_eq!(decode_component("a%2"), Some("a%2".into()));
        assert_eq!(query_param("a=1&token=t%21", "token"), Some("t!".into()));
    }

    #[test]
    fn detail_explains_a_mismatch_like_verify() {
        let secret = Secret::new("whs_right");
        let body = br#"{"type":"webhook.test","data":{}}"#;
        let header = signature::sign(&Secret::new("right"), 1_700_000_008, body);
        let raw = Capture::post("/webhooks/1", vec![(SIGNATURE_HEADER.into(), header)], body.to_vec()).to_http();
        let ctx = DetailContext {
            secret: Some((secret, "webhook secret of connection 1".into())),
            no_secret: None,
            tolerance: 30,
            show_secrets: false,
            base_url: "http://127.0.0.1:1".into(),
        };
        let d = detail(&entry(&raw), &ctx);
        assert_eq!(d["verification"]["reason"], "signature-mismatch");
        assert_eq!(d["verification"]["hints"][0]["code"], "secret-prefix");
        assert_eq!(d["signature"]["age_at_arrival_s"], 2);
        assert_eq!(d["signature"]["signed_at"], "2023-11-14T22:13:28Z");
        assert!(!d["payload"]["problems"].as_array().unwrap().is_empty(), "webhook.test without data fields");
        assert!(d["curl"].as_str().unwrap().starts_with("curl -X POST 'http://127.0.0.1:1/webhooks/1'"));
    }

    #[test]
    fn webhook_secrets_are_masked() {
        let body = br#"{"type":"integration.create","data":{"webhook_secret":"whs_0123456789abcdef"}}"#;
        let raw = Capture::post("/integration", vec![], body.to_vec()).to_http();
        let ctx = DetailContext {
            secret: None,
            no_secret: Some("none".into()),
            tolerance: 30,
            show_secrets: false,
            base_url: String::new(),
        };
        let d = detail(&entry(&raw), &ctx).to_string();
        assert!(!d.contains("whs_0123456789abcdef") && d.contains("whs_01…ef"), "{d}");
        assert!(!String::from_utf8_lossy(&raw_bytes(&raw, false)).contains("0123456789abcdef"));
        assert_eq!(raw_bytes(&raw, true), raw);
        let legacy =
            Capture::post("/legacy", vec![("Authorization".into(), "legacy-secret-1234".into())], b"{}".to_vec());
        let raw = legacy.to_http();
        assert!(!String::from_utf8_lossy(&raw_bytes(&raw, false)).contains("legacy-secret-1234"));
        assert!(!detail(&entry(&raw), &ctx).to_string().contains("legacy-secret-1234"));
    }

    #[test]
    fn curl_quotes_for_the_shell() {
        let c = Capture::post("/x", vec![("a".into(), "it's".into())], b"{}".to_vec());
        assert_eq!(curl(&c, "http://h", &[], false), r#"curl -X POST 'http://h/x' -H 'a: it'\''s' --data-binary '{}'"#);
    }
}
