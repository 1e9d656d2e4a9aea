//! How `simulate` shows deliveries. Human form on stdout: a line naming the delivery, a line per
//! attempt as it ends, then the verdict; a non-2xx answer (any answer with `-v`) is shown with its
//! headers and body. Request text is redacted through [`Redactor`] unless `--show-secrets`.
//!
//! `--json` prints one object per delivery on stdout (JSON Lines):
//! `{"step", "url", "trace", "verdict": "acknowledged"|"rejected"|"unreachable", "status",
//!   "hints": [sentences explaining a refusal], "elapsed_ms", "attempts": [{"attempt", "waited_ms", "t", "status", "latency_ms", "error",
//!   "error_kind", "response_headers", "response_body", "response_truncated"}], …step-specific fields}`.
//! `response_truncated` is true when the body shown is not the whole answer: cut at 64 KiB here,
//! or at 1 MiB when it was read ([`crate::send::delivery::MAX_ANSWER`]).
//! With `--dry-run`: `{"step", "dry_run": true, "method", "url", "headers", "body", "curl"}`.

use serde_json::{Map, Value, json};
use std::io::Write;

use super::millis;
use crate::error::Result;
use crate::output::escape::block_for_terminal;
use crate::output::{style, with_stdout};
use crate::protocol::capture::Curl;
use crate::protocol::legacy_sdk;
pub(crate) use crate::protocol::secret::Redactor;
use crate::protocol::signature::DEFAULT_TOLERANCE_SECS;
use crate::protocol::time::{format_duration, now_unix};
use crate::send::delivery::{Attempt, Auth, Delivery, Report, Request, Response, Verdict};

/// How much of a response body to show in the human form.
const BODY_PREVIEW: usize = 2000;
/// How much of a response body goes into JSON.
const BODY_JSON_MAX: usize = 64 * 1024;

/// `vote.create → http://…  trace 5f3c…`.
pub fn announce(step: &str, d: &Delivery) -> Result<()> {
    // Legacy deliveries carry no trace header, so naming one would mislead.
    let trace = match d.auth {
        Auth::Legacy(_) => String::new(),
        _ => format!("  {}", style::dim(&format!("trace {}", d.trace))),
    };
    with_stdout(|w| writeln!(w, "{} → {}{trace}", style::accent(step), d.url))
}

/// One attempt's line, and with `verbose` or a non-2xx, the exchange.
pub fn attempt(a: &Attempt, body: &[u8], verbose: bool, redact: &Redactor) -> Result<()> {
    with_stdout(|w| {
        let mut line = format!("  attempt {}", a.number);
        if !a.waited.is_zero() {
            line.push_str(&format!(" after {}", format_duration(a.waited)));
        }
        if let Some(t) = a.timestamp {
            line.push_str(&format!("  t={t}"));
        }
        match &a.result {
            Ok(r) => writeln!(w, "{line}  {} {}  {}", style::status(r.status), r.reason(), latency(r))?,
            Err(e) => writeln!(w, "{line}  {} {e}", style::fail("failed:"))?,
        }
        if verbose {
            writeln!(w, "    {}", style::dim("request headers:"))?;
            for (n, v) in &a.headers {
                writeln!(w, "      {n}: {}", redact.header(v))?;
            }
            if a.number == 1 {
                writeln!(w, "    {}", style::dim(&format!("request body ({} bytes):", body.len())))?;
                writeln!(w, "      {}", redact.body(&String::from_utf8_lossy(body)))?;
            }
        }
        if let Ok(r) = &a.result
            && (verbose || !r.is_success())
        {
            write_response(w, r)?;
        }
        Ok(())
    })
}

fn latency(r: &Response) -> String {
    let ms = r.latency.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}

/// The receiver's headers and body; what it chose to send is escaped so that its control
/// characters cannot act on the terminal.
fn write_response(w: &mut dyn Write, r: &Response) -> std::io::Result<()> {
    writeln!(w, "    {}", style::dim("response headers:"))?;
    for (n, v) in &r.headers {
        writeln!(w, "      {n}: {}", block_for_terminal(v))?;
    }
    if r.body.is_empty() {
        writeln!(w, "    {}", style::dim("response body: (empty)"))?;
    } else {
        let size = if r.truncated {
            format!("response body (cut after {} bytes; the receiver sent more, not read):", r.body.len())
        } else {
            format!("response body ({} bytes):", r.body.len())
        };
        writeln!(w, "    {}", style::dim(&size))?;
        for l in block_for_terminal(&preview(&r.body, BODY_PREVIEW)).lines() {
            writeln!(w, "      {l}")?;
        }
    }
    Ok(())
}

/// The body as text, cut at `max` bytes (on a character boundary) with a note saying so.
pub fn preview(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= max {
        return text.into_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &text[..end], text.len() - end)
}

/// The verdict line after the last attempt.
pub fn verdict(r: &Report) -> Result<()> {
    let n = r.attempts.len();
    let tries = if n == 1 { "1 attempt".to_string() } else { format!("{n} attempts") };
    let took = format_duration(r.elapsed);
    with_stdout(|w| match (&r.last().result, r.verdict()) {
        (Ok(resp), Verdict::Acknowledged) => {
            writeln!(w, "  {} ({}) after {tries}, {took}", style::ok("acknowledged"), resp.status)
        }
        (Ok(resp), _) => {
            writeln!(
                w,
                "  {} {} {} after {tries}, {took}",
                style::fail("not acknowledged:"),
                resp.status,
                resp.reason()
            )?;
            for hint in refusal_hints(resp, r.last().timestamp, now_unix()) {
                writeln!(w, "  {} {hint}", style::dim("hint:"))?;
            }
            Ok(())
        }
        (Err(e), _) => writeln!(w, "  {} {e} ({tries})", style::fail("not delivered:")),
    })
}

/// What a refusal means: the answer of a released v0-only SDK to a v1 delivery (signed with `t`)
/// is named as such; a 403 blames the replay window only when `t` is outside it; else the usual
/// meaning of the status for a receiver like `topgg-int serve` (protocol.md §7).
pub(crate) fn refusal_hints(resp: &Response, t: Option<i64>, now: i64) -> Vec<String> {
    let Some(t) = t else { return status_hint(resp.status).map(String::from).into_iter().collect() };
    let legacy = legacy_sdk::recognise(resp.status, &resp.headers, &resp.body);
    if let Some(sdk) = legacy.filter(|s| s.certain) {
        return vec![sdk.explanation()];
    }
    let age = now - t;
    let window = DEFAULT_TOLERANCE_SECS as i64;
    let mut hints: Vec<String> = match resp.status {
        403 if age.abs() > window => vec![format!(
            "403: t is {} s {}, outside a {window} s replay window (check --timestamp and clocks)",
            age.abs(),
            if age > 0 { "old" } else { "ahead" }
        )],
        403 => vec![format!(
            "403 with t {age} s old: not the replay window unless the receiver's clock is off by more than {window} s; \
             the receiver refused it for a reason of its own (its body above may say)"
        )],
        status => status_hint(status).map(String::from).into_iter().collect(),
    };
    hints.extend(legacy.map(|sdk| format!("or: {}", sdk.explanation())));
    hints
}

/// What a refusal from a receiver like `topgg-int serve` usually means (protocol.md §7).
fn status_hint(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "400 is how receivers refuse a malformed x-topgg-signature header",
        401 => "401 usually means the signature did not verify (wrong secret?) or a header was missing",
        403 => "403 usually means t is outside the receiver's replay window (check --timestamp and clocks)",
        404 => "404: is the URL the webhook_url (or config URL) the receiver handed out?",
        408 => "408: the receiver gave up reading the request in time",
        413 => "413: the body is over the receiver's size cap",
        300..=399 => "redirects are not followed: Top.gg counts only a 2xx as acknowledged",
        _ => return None,
    })
}

/// The verdict's code for JSON.
pub fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Acknowledged => "acknowledged",
        Verdict::Rejected => "rejected",
        Verdict::Unreachable => "unreachable",
    }
}

/// A delivery as a JSON object (see the module doc); callers add step-specific fields.
pub fn report_json(step: &str, r: &Report) -> Map<String, Value> {
    let attempts: Vec<Value> = r
        .attempts
        .iter()
        .map(|a| {
            let (status, lat, err, kind, headers, body, cut) = match &a.result {
                Ok(resp) => (
                    json!(resp.status),
                    json!(millis(resp.latency)),
                    Value::Null,
                    Value::Null,
                    Value::Object(resp.headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect()),
                    json!(preview(&resp.body, BODY_JSON_MAX)),
                    json!(resp.truncated || resp.body.len() > BODY_JSON_MAX),
                ),
                Err(e) => {
                    let none = Value::Null;
                    (
                        none.clone(),
                        none.clone(),
                        json!(e.to_string()),
                        json!(e.code()),
                        none.clone(),
                        none.clone(),
                        none,
                    )
                }
            };
            json!({
                "attempt": a.number,
                "waited_ms": millis(a.waited),
                "t": a.timestamp,
                "status": status,
                "latency_ms": lat,
                "error": err,
                "error_kind": kind,
                "response_headers": headers,
                "response_body": body,
                "response_truncated": cut,
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert("step".into(), json!(step));
    m.insert("url".into(), json!(r.url.as_str()));
    m.insert("trace".into(), json!(r.trace));
    m.insert("verdict".into(), json!(verdict_code(r.verdict())));
    m.insert("status".into(), json!(r.response().map(|x| x.status)));
    let hints = match &r.last().result {
        Ok(resp) if !resp.is_success() => refusal_hints(resp, r.last().timestamp, now_unix()),
        _ => Vec::new(),
    };
    m.insert("hints".into(), json!(hints));
    m.insert("elapsed_ms".into(), json!(millis(r.elapsed)));
    m.insert("attempts".into(), Value::Array(attempts));
    m
}

/// Prints one JSON value as a line on stdout.
pub fn print_json(v: &Value) -> Result<()> {
    with_stdout(|w| {
        serde_json::to_writer(&mut *w, v)?;
        writeln!(w)
    })
}

/// Prints the request that would be sent and an equivalent curl command.
pub fn dry_run(step: &str, req: &Request, redact: &Redactor, json: bool) -> Result<()> {
    let body = redact.body(&String::from_utf8_lossy(&req.body));
    let headers: Vec<(String, String)> = req.headers.iter().map(|(n, v)| (n.clone(), redact.header(v))).collect();
    let curl = curl_command(req, &headers, &body);
    if json {
        return print_json(&json!({
            "step": step,
            "dry_run": true,
            "method": req.method,
            "url": req.url.as_str(),
            "headers": Value::Object(headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect()),
            "body": body,
            "curl": curl,
            "redacted": body.as_bytes() != req.body.as_slice() || headers != req.headers,
        }));
    }
    let target = match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
    };
    let host = match req.url.port() {
        Some(p) => format!("{}:{p}", req.url.host_str().unwrap_or_default()),
        None => req.url.host_str().unwrap_or_default().to_string(),
    };
    with_stdout(|w| {
        writeln!(w, "{} {}", style::dim("#"), style::dim(&format!("{step}: the request (not sent)")))?;
        writeln!(w, "{} {target} HTTP/1.1", req.method)?;
        writeln!(w, "Host: {host}")?;
        for (n, v) in &headers {
            writeln!(w, "{n}: {v}")?;
        }
        writeln!(w, "Content-Length: {}", req.body.len())?;
        writeln!(w)?;
        writeln!(w, "{body}")?;
        writeln!(w)?;
        // A masked secret inside the signed body or in Authorization makes the printed command fail
        // verification: say so where the command starts, not after it, so nobody debugs a 401.
        let changed = body.as_bytes() != req.body.as_slice() || headers != req.headers;
        if changed {
            writeln!(
                w,
                "{}",
                style::dim(
                    "# the same with curl (secrets masked, so a receiver will refuse it; --show-secrets prints a runnable one):"
                )
            )?;
        } else {
            writeln!(w, "{}", style::dim("# the same with curl:"))?;
        }
        writeln!(w, "{curl}")
    })
}

fn curl_command(req: &Request, headers: &[(String, String)], body: &str) -> String {
    Curl { options: "-sS", method: &req.method, url: req.url.as_str(), headers, body, multiline: true }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews() {
        assert_eq!(preview(b"abcdef", 3), "abc… (3 more bytes)");
        assert_eq!(preview("é".as_bytes(), 1), "… (2 more bytes)");
    }
}
