//! The inspector API's JSON, as pure functions over history entries: the list query, a list item,
//! the detail of one request and the connections. No I/O: the caller looks up entries and secrets.
//!
//! Shapes (documented in the README too):
//! - list item: the record's one JSON form ([`Record::to_json`]);
//! - detail: a list item plus `headers` (`[[name, value]]`), `signature` (`{header, t, signed_at,
//!   age_at_arrival_s, v1}` or null), `verification` (`{valid, reason, detail, hints: [{code,
//!   explanation, rejected_by}], secret: {kind, masked, fingerprint} | null, note}`), `payload`
//!   (`{kind, problems: [{path, message}], problems_total}` or `{error}`; at most [`MAX_PROBLEMS`]
//!   problems, `problems_total` only when there are more), `body` (`{text, json, bytes}`), `curl`,
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
/// The most payload problems one detail lists (`problems_total` says how many there are).
pub const MAX_PROBLEMS: usize = 200;

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
/// A `%` without two hex digits after it stays as it is.
pub fn decode_component(s: &str) -> Option<String> {
    let plus_as_space: Vec<u8> = s.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    percent_encoding::percent_decode(&plus_as_space).decode_utf8().ok().map(|c| c.into_owned())
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
    /// In forward mode, the mirrored paths the receiver also answers.
    pub mirror: Option<crate::receiver::forward::Mirror>,
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
            fo.insert("handshake".into(), handshake_json(f, &ctx.base_url, ctx.mirror.as_ref()));
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
            let (kind, mut problems) = payload::validate(&v);
            if problems.len() > MAX_PROBLEMS {
                // The page lists and marks what it gets: a body with 40,000 problems must not
                // make a 40,000-item answer.
                let total = problems.len();
                problems.truncate(MAX_PROBLEMS);
                return json!({ "kind": kind.name(), "problems": problems, "problems_total": total });
            }
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

/// The app's handshake answer judged as `simulate create` judges it; in forward mode a
/// `webhook_url` that does not point at serve is not ok (Top.gg would bypass serve).
fn handshake_json(f: &Forwarded, base_url: &str, mirror: Option<&crate::receiver::forward::Mirror>) -> Value {
    let ct = f.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
    let mut judged = handshake::judge(f.status.unwrap_or(0), ct, &f.body, None);
    let bypass =
        judged.handshake.as_ref().and_then(|_| crate::receiver::forward::bypass_warning(&f.body, base_url, mirror));
    let ok = judged.handshake.is_some() && bypass.is_none();
    judged.problems.extend(bypass);
    json!({
        "ok": ok,
        "webhook_url": judged.handshake.as_ref().map(|h| h.webhook_url.clone()),
        "routes": judged.handshake.as_ref().map(|h| h.routes.clone()),
        "problems": judged.problems,
        "warnings": judged.warnings,
    })
}

/// What in a request is a secret: an `integration.create` body's webhook secret (as decoded, and
/// each escaped form it is written in, like `whs_ab\/cd` or `\u0077hs_…`) and a legacy
/// `Authorization` value.
fn capture_secrets(c: &Capture) -> Vec<String> {
    let decoded = body_secrets(&c.body);
    let mut all = Vec::new();
    for secret in &decoded {
        all.extend(escaped_forms(&c.body, secret));
    }
    all.extend(decoded);
    all.extend(c.header("authorization").filter(|v| !v.is_empty()).map(str::to_string));
    all
}

/// The contents of every JSON string literal in `body` that decodes to `secret` but is written
/// differently (with escapes): one linear pass over the body.
fn escaped_forms(body: &[u8], secret: &str) -> Vec<String> {
    let mut forms = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        let mut escaped = false;
        while j < body.len() {
            match body[j] {
                b'\\' if !escaped => escaped = true,
                b'"' if !escaped => break,
                _ => escaped = false,
            }
            j += 1;
        }
        let inner = &body[start..j.min(body.len())];
        if inner.contains(&b'\\')
            && let Ok(text) = std::str::from_utf8(inner)
            && serde_json::from_str::<String>(&format!("\"{text}\"")).is_ok_and(|d| d == secret)
            && !forms.iter().any(|f| f == text)
        {
            forms.push(text.to_string());
        }
        i = j + 1;
    }
    forms
}

/// The masked form of a secret found as `form` (an escaped form is masked as the secret it
/// stands for).
fn masked(form: &str) -> String {
    let real = if form.contains('\\') {
        serde_json::from_str::<String>(&format!("\"{form}\"")).unwrap_or_else(|_| form.to_string())
    } else {
        form.to_string()
    };
    Secret::new(real).masked()
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
        out = replace_bytes(&out, s.as_bytes(), masked(&s).as_bytes());
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
            mirror: None,
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
            mirror: None,
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
    fn secrets_written_with_json_escapes_are_masked_too() {
        let secret = "whs_ab/cd0123456789wxyz";
        for written in
            [r#"whs_ab\/cd0123456789wxyz"#, r#"\u0077hs_ab/cd0123456789wxyz"#, r#"whs_ab\u002fcd0123456789wxyz"#]
        {
            let body = format!(r#"{{"type":"integration.create","data":{{"webhook_secret":"{written}"}}}}"#);
            let c = Capture::post("/integration", vec![], body.clone().into_bytes());
            let raw = c.to_http();
            let shown = String::from_utf8(raw_bytes(&raw, false)).unwrap();
            assert!(!shown.contains(written) && !shown.contains("0123456789"), "{written}: {shown}");
            assert!(shown.contains("whs_ab…yz"), "{written}: masked as the secret it stands for: {shown}");
            let cmd = curl(&c, "http://h", &capture_secrets(&c), false);
            assert!(!cmd.contains("0123456789"), "{written}: {cmd}");
            let d = detail(
                &entry(&raw),
                &DetailContext {
                    secret: None,
                    no_secret: None,
                    tolerance: 30,
                    show_secrets: false,
                    base_url: String::new(),
                    mirror: None,
                },
            )
            .to_string();
            assert!(!d.contains("0123456789"), "{written}: {d}");
            assert!(body.contains(written) && !body.contains(secret) || written == secret);
        }
    }

    #[test]
    fn payload_problems_are_capped() {
        // Every query value that is not a string is a problem of its own.
        let items: Vec<String> = (0..40_000).map(|i| format!("\"q{i}\":1")).collect();
        let body = format!(r#"{{"type":"vote.create","data":{{"query":{{{}}}}}}}"#, items.join(","));
        let p = payload_json(body.as_bytes());
        assert_eq!(p["problems"].as_array().unwrap().len(), MAX_PROBLEMS);
        assert!(p["problems_total"].as_u64().unwrap() > 40_000, "{}", p["problems_total"]);
    }

    #[test]
    fn curl_quotes_for_the_shell() {
        let c = Capture::post("/x", vec![("a".into(), "it's".into())], b"{}".to_vec());
        assert_eq!(curl(&c, "http://h", &[], false), r#"curl -X POST 'http://h/x' -H 'a: it'\''s' --data-binary '{}'"#);
    }
}
