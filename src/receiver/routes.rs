//! The endpoints of the receiver's port: `/health`, the config URL, webhook URLs and the legacy
//! endpoint (the inspector and `/connections` have their own listener). [`outcome`] is the routing `match`; the others are plain functions from a whole
//! [`Request`] to an [`Outcome`]. They may block on the store (the service runs the config URL off
//! the async workers) and never print.

use serde_json::{Value, json};

use super::http::{Outcome, Request, shorten, valid_connection_id};
use super::state::Shared;
use super::store::{Connection, Signed};
use crate::protocol::payload::Event;
use crate::protocol::secret::{Secret, constant_time_eq};
use crate::protocol::signature::{self, SIGNATURE_HEADER, Signer, TRACE_HEADER};
use crate::protocol::time::now_unix;

/// The endpoint for the path and method. Endpoints that answer from a whole request belong here;
/// one that must answer before the body is read, or stream its answer, belongs in the service
/// ahead of reading the body.
pub(super) fn outcome(shared: &Shared, req: &Request) -> Outcome {
    let path = req.path();
    let method = req.method.as_str();
    let get = matches!(method, "GET" | "HEAD");
    match path {
        "/health" if get => Outcome {
            body: Some(json!({"status": "ok", "connections": shared.stats(), "history": shared.store.history_stats()})),
            ..Outcome::ok(200)
        },
        "/health" => Outcome::not_allowed("GET"),
        "/integration" if method == "POST" => config_url(shared, req),
        "/legacy" if method == "POST" => legacy(shared, req),
        "/integration" | "/legacy" => Outcome::not_allowed("POST"),
        p => match p.strip_prefix("/webhooks/") {
            Some(id) if id.is_empty() || id.contains('/') => Outcome::refuse(
                404,
                "not-found",
                format!("{} is not a webhook URL (POST /webhooks/<connection_id>)", shorten(path)),
            ),
            Some(_) if method != "POST" => Outcome::not_allowed("POST"),
            Some(id) => webhook(shared, req, id),
            None => Outcome::refuse(
                404,
                "not-found",
                format!(
                    "nothing at {}: the endpoints are /integration, /webhooks/<id>, /legacy and /health \
                     (the inspector and /connections are on the inspector's own port)",
                    shorten(path)
                ),
            ),
        },
    }
}

/// Signature and trace checks shared by the config URL and webhook URLs (protocol.md §7): the
/// refusal, or `None` when the request is verified.
fn refuse_unsigned(signer: &Signer, req: &Request, tolerance: u64) -> Option<Outcome> {
    let sig = req.header(SIGNATURE_HEADER);
    if sig.is_none() {
        return Some(Outcome::refuse(401, "missing-header", format!("no {SIGNATURE_HEADER} header")));
    }
    // The signature's verdict is the one that matters (a forged request without a trace is a
    // forgery first): the missing trace is then a note on it, and the refusal only when the
    // signature verifies. The status stays 401 either way, as the SDKs answer.
    let no_trace = req.header(TRACE_HEADER).is_none();
    match signer.verify(sig.as_deref(), &req.body, now_unix(), tolerance) {
        Err(r) => {
            let mut detail = r.detail;
            if no_trace {
                detail.push_str(&format!("; no {TRACE_HEADER} header either"));
            }
            Some(Outcome::refuse(r.reason.http_status(), r.reason.code(), detail))
        }
        Ok(_) if no_trace => Some(Outcome::refuse(401, "missing-trace", format!("no {TRACE_HEADER} header"))),
        Ok(_) => None,
    }
}

/// A verified body that is not a known event: 204 so Top.gg does not retry, with a warning.
fn unparseable(body: &[u8], err: serde_json::Error) -> Outcome {
    let Ok(text) = std::str::from_utf8(body) else {
        return Outcome::ok(204).warn("verified, but the body is not UTF-8");
    };
    match serde_json::from_str::<Value>(text) {
        Err(_) => Outcome::ok(204).warn(format!("verified, but the body is not JSON: {}", without_values(&err))),
        Ok(v) => {
            // The type reaches terminals through the log: no control characters, bounded length.
            let t = v
                .get("type")
                .and_then(Value::as_str)
                .map(|t| t.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect::<String>());
            let w = match &t {
                Some(t) if !crate::protocol::payload::EVENT_TYPES.contains(&t.as_str()) => {
                    format!("verified, unknown event type {t:?}")
                }
                Some(t) => format!("verified, but the {t} payload does not match the model: {}", mismatch(&v, &err)),
                None => "verified, but the body has no \"type\"".to_string(),
            };
            Outcome { event: t, ..Outcome::ok(204).warn(w) }
        }
    }
}

/// Where and how a verified body misses the model, without quoting it: the field (from the
/// payload checker's path) and serde's type complaint with the value taken out, since a secret
/// pasted into a mistyped field must not reach the log.
fn mismatch(v: &Value, err: &serde_json::Error) -> String {
    let (_, problems) = crate::protocol::payload::validate(v);
    let serde = without_values(err);
    // serde names the field it missed, the checker where each problem is: a missing field is
    // named by the checker's path for that field, not by whichever problem came first.
    if let Some(field) = serde.strip_prefix("missing field `").and_then(|r| r.split('`').next())
        && let Some(p) = problems.iter().find(|p| p.path.rsplit('.').next() == Some(field))
    {
        return format!("{}: is missing", p.path);
    }
    match problems.first() {
        Some(p) => format!("{}: {serde}", p.path),
        None => serde,
    }
}

/// serde_json's message with every quoted value removed: `invalid type: string "whs_…", expected
/// u32 at line 1 column 9` becomes `invalid type: string, expected u32 at line 1 column 9`. Names
/// after `field` and everything after `expected` (the model's own words) stay.
fn without_values(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    let mut out = String::with_capacity(msg.len());
    let mut chars = msg.chars().peekable();
    let mut expected = false;
    while let Some(c) = chars.next() {
        let quote = match c {
            '"' | '`' if !expected && !out.ends_with("field ") => c,
            _ => {
                out.push(c);
                expected |= out.ends_with("expected");
                continue;
            }
        };
        // Skip the quoted value (with its escapes) and the space before it.
        let mut escaped = false;
        for d in chars.by_ref() {
            match d {
                '\\' if !escaped => escaped = true,
                d if d == quote && !escaped => break,
                _ => escaped = false,
            }
        }
        if out.ends_with(' ') {
            out.pop();
        }
    }
    out
}

fn config_url(shared: &Shared, req: &Request) -> Outcome {
    // Keyed per request: the config URL is called once per connection change, not per delivery.
    let signer = Signer::new(shared.config.integration_secret.clone());
    if let Some(o) = refuse_unsigned(&signer, req, shared.config.tolerance) {
        return o;
    }
    let event = match serde_json::from_slice::<Event>(&req.body) {
        Ok(e) => e,
        Err(e) => return unparseable(&req.body, e),
    };
    let name = event.type_name().to_string();
    match event {
        Event::IntegrationCreate(c) => {
            let id = c.connection_id.clone();
            if !valid_connection_id(&id) {
                return Outcome {
                    event: Some(name),
                    ..Outcome::ok(204).warn(format!(
                        "verified, but connection_id {:?} cannot be part of a URL; nothing stored",
                        id.chars().take(40).collect::<String>()
                    ))
                };
            }
            if let Some(o) = refuse_replay(shared, req, &name, &id) {
                return o;
            }
            if shared.forwarder.is_some() {
                // Forward mode: the app's answer is the handshake; the connection is stored only
                // once it is a valid one ([`store_forwarded`]), so a refused handshake leaves none.
                return Outcome { event: Some(name), connection: Some(id), ..Outcome::ok(200) };
            }
            let conn = Connection {
                connection_id: id.clone(),
                webhook_secret: Secret::new(c.webhook_secret),
                project: c.project,
                user: c.user,
                created_at: now_unix(),
            };
            match shared.store.put_signed(conn, signed(shared, req)) {
                Ok(replaced) => Outcome {
                    body: Some(json!({
                        "webhook_url": format!("{}/webhooks/{id}", shared.base_url),
                        "routes": shared.config.routes,
                    })),
                    event: Some(name),
                    connection: Some(id),
                    retry: replaced,
                    ..Outcome::ok(200)
                },
                Err(e) => store_failed(shared, req, name, id, &e),
            }
        }
        Event::IntegrationDelete(d) => {
            let id = d.connection_id;
            if let Some(o) = refuse_replay(shared, req, &name, &id) {
                return o;
            }
            match shared.store.remove_signed(&id, signed(shared, req)) {
                Ok(true) => Outcome { event: Some(name), connection: Some(id), ..Outcome::ok(204) },
                Ok(false) => Outcome {
                    event: Some(name),
                    connection: Some(id),
                    detail: Some("unknown connection (already deleted?)".into()),
                    ..Outcome::ok(204)
                },
                Err(e) => store_failed(shared, req, name, id, &e),
            }
        }
        other => Outcome {
            event: Some(name),
            ..Outcome::ok(204).warn(format!("{} belongs at a webhook URL, not the config URL", other.type_name()))
        },
    }
}

/// Forward mode, once the app answered a verified `integration.create` with a valid handshake:
/// stores the connection (blocking: it commits to SQLite). Whether it replaced one, or the
/// sentence saying why it could not be stored (the signature is then released, like a refusal).
pub(super) fn store_forwarded(shared: &Shared, req: &Request) -> Result<bool, String> {
    let Ok(Event::IntegrationCreate(c)) = serde_json::from_slice::<Event>(&req.body) else {
        return Err("the body is no longer an integration.create".into());
    };
    let conn = Connection {
        connection_id: c.connection_id,
        webhook_secret: Secret::new(c.webhook_secret),
        project: c.project,
        user: c.user,
        created_at: now_unix(),
    };
    shared.store.put_signed(conn, signed(shared, req)).map_err(|e| {
        release(req, shared);
        format!("could not write the connection store {}: {e}", shared.store.path().display())
    })
}

/// Forgets that a verified state change's signature was accepted: it changed nothing, so the
/// same signed request may come again.
pub(super) fn release(req: &Request, shared: &Shared) {
    if let Some((t, v1)) = signed_pair(req) {
        shared.replay.release(t, v1);
    }
}

/// The signed `(t, v1)` of a verified request.
fn signed_pair(req: &Request) -> Option<(i64, [u8; 32])> {
    let h = signature::parse_signature_header(&req.header(SIGNATURE_HEADER)?).ok()?;
    Some((h.timestamp, h.v1))
}

/// The request's signature as the store keeps it for the replay guard.
fn signed(shared: &Shared, req: &Request) -> Option<Signed> {
    let (t, v1) = signed_pair(req)?;
    let tolerance = shared.config.tolerance;
    let forget_before =
        if tolerance == 0 { i64::MIN } else { now_unix().saturating_sub(i64::try_from(tolerance).unwrap_or(i64::MAX)) };
    Some(Signed { t, v1, forget_before })
}

/// 409 for a state change whose exact signature was already accepted (see [`super::replay`]);
/// otherwise the signature is claimed and `None` returned.
fn refuse_replay(shared: &Shared, req: &Request, event: &str, id: &str) -> Option<Outcome> {
    let (t, v1) = signed_pair(req)?;
    if shared.replay.claim(t, v1, now_unix(), shared.config.tolerance) {
        return None;
    }
    Some(Outcome {
        event: Some(event.to_string()),
        connection: Some(id.chars().take(128).collect()),
        ..Outcome::refuse(
            409,
            "replayed-signature",
            format!(
                "this {event} (t={t}) was already accepted with this exact signature: a replay; Top.gg signs \
                 each retry afresh"
            ),
        )
    })
}

/// 500: the change could not be made durable, so it is not acknowledged (Top.gg will retry), and
/// the same signed request may come again.
fn store_failed(shared: &Shared, req: &Request, event: String, id: String, e: &std::io::Error) -> Outcome {
    if let Some((t, v1)) = signed_pair(req) {
        shared.replay.release(t, v1);
    }
    Outcome {
        event: Some(event),
        connection: Some(id),
        ..Outcome::refuse(
            500,
            "store-failed",
            format!("could not write the connection store {}: {e}", shared.store.path().display()),
        )
    }
}

fn webhook(shared: &Shared, req: &Request, id: &str) -> Outcome {
    let Some(signer) = shared.store.signer_of(id) else {
        return Outcome {
            connection: Some(id.chars().take(128).collect()),
            ..Outcome::refuse(
                404,
                "unknown-connection",
                format!("no connection {id:?} (create it with integration.create first)"),
            )
        };
    };
    let connection = Some(id.to_string());
    if let Some(o) = refuse_unsigned(&signer, req, shared.config.tolerance) {
        return Outcome { connection, ..o };
    }
    let event = match serde_json::from_slice::<Event>(&req.body) {
        Ok(e) => e,
        Err(e) => return Outcome { connection, ..unparseable(&req.body, e) },
    };
    let name = Some(event.type_name().to_string());
    match event {
        Event::VoteCreate(v) => {
            let retry = shared.store.see_vote(&v.id);
            Outcome { event: name, connection, retry, ..Outcome::ok(204) }
        }
        Event::WebhookTest(_) => Outcome { event: name, connection, ..Outcome::ok(204) },
        other => Outcome {
            event: name,
            connection,
            ..Outcome::ok(204).warn(format!("{} belongs at the config URL, not a webhook URL", other.type_name()))
        },
    }
}

fn legacy(shared: &Shared, req: &Request) -> Outcome {
    let Some(expected) = &shared.config.legacy_secret else {
        return Outcome::refuse(404, "not-found", "legacy webhooks are off (start serve with --legacy-secret)");
    };
    let Some(given) = req.header("authorization") else {
        return Outcome::refuse(401, "missing-header", "no Authorization header");
    };
    if !constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
        return Outcome::refuse(401, "unauthorized", "the Authorization header does not match --legacy-secret");
    }
    let kind = serde_json::from_slice::<Value>(&req.body).ok().map(|v| crate::protocol::payload::classify(&v));
    match kind {
        Some(
            k
            @ (crate::protocol::payload::PayloadKind::LegacyBot | crate::protocol::payload::PayloadKind::LegacyServer),
        ) => Outcome { event: Some(k.name().to_string()), ..Outcome::ok(200) },
        Some(_) => Outcome::ok(200).warn("authorized, but the body is not a legacy bot or server vote"),
        None => Outcome::ok(200).warn("authorized, but the body is not JSON"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_complaints_name_the_field_and_type_but_never_the_value() {
        let secret = "whs_pasted_secret_0123456789";
        let bodies = [
            format!(r#"{{"type":"vote.create","data":{{"id":"1","weight":"{secret}","project":{{}},"user":{{}}}}}}"#),
            format!(r#"{{"type":"integration.delete","data":{{"connection_id":{{"x":"{secret}"}}}}}}"#),
            format!(r#"{{"type":"vote.create","data":{{"id":true,"weight":1,"x":"{secret}"}}}}"#),
            format!(r#"{{"type":"webhook.test","data":"{secret}"}}"#),
        ];
        for body in &bodies {
            let err = serde_json::from_str::<Event>(body).unwrap_err();
            let v: Value = serde_json::from_str(body).unwrap();
            let said = mismatch(&v, &err);
            assert!(!said.contains("pasted"), "{said}");
            assert!(said.contains("expected") || said.contains("missing"), "{said}");
        }
        let err = serde_json::from_str::<Event>(&bodies[0]).unwrap_err();
        let v: Value = serde_json::from_str(&bodies[0]).unwrap();
        assert_eq!(
            mismatch(&v, &err).split(" at line").next().unwrap(),
            "$.data.weight: invalid type: string, expected i64"
        );
    }

    #[test]
    fn a_missing_field_is_named_by_its_own_path() {
        // data.user is missing, and the checker also has a complaint about data.id first.
        let body = r#"{"type":"vote.create","data":{"id":"top.gg id","weight":1,"created_at":"2026-02-09T00:47:14.2510149+00:00","expires_at":"2026-02-09T12:47:14.2510149+00:00","project":{"id":"1","type":"bot","platform":"discord","platform_id":"2"}}}"#;
        let Err(err) = serde_json::from_str::<Event>(body) else { panic!("the body should not parse") };
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(mismatch(&v, &err), "$.data.user: is missing");
    }
}
