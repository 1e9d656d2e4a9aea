//! One record per answered request, and its one JSON form.
//!
//! The same [`Record`] is the log line handed to the caller (`serve` prints it, `serve --json` as
//! [`Record::to_json_line`]), the row kept in the history (`store/history.rs`) and the item of the
//! inspector's list and event stream ([`Record::to_json`]). Never holds a secret or a full
//! signature outside `request`, the raw bytes the history keeps.
//!
//! The JSON form: `{id, time, peer, method, path, type, connection, verdict, detail, status,
//! latency_ms, trace, retry, warning, capture, replay_of, forwarded: {url, status, latency_ms,
//! error} | null, disagreement: {code, message} | null}` (forward mode: who is wrong when the
//! app's status contradicts the verdict), and `body_cut` (the whole body's length) only when the
//! history keeps a prefix of the body; the log line puts `"event": "request"` first. `id` is null
//! when the history is off; `peer`, `warning` and `capture` are not kept in the history, so read
//! back they are null.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::protocol::time::now_unix_nanos;

/// One answered request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// History id: increases with arrival order; 0 when the history is off (or not yet assigned).
    pub id: i64,
    /// When the request arrived, Unix nanoseconds.
    pub time_unix_nanos: i128,
    /// The client's address (`None` for a replay, and when read back from the history).
    pub peer: Option<SocketAddr>,
    /// The method (`-` when the request line was unreadable).
    pub method: String,
    /// The path, query string included (`-` when unreadable), at most 256 characters.
    pub path: String,
    /// The event type, when the body said.
    pub event: Option<String>,
    /// The connection id the request was for.
    pub connection: Option<String>,
    /// `ok`, or why the request was refused (`signature-mismatch`, `unknown-connection`, …).
    pub verdict: String,
    /// One sentence of detail for a refusal.
    pub detail: Option<String>,
    /// The status answered.
    pub status: u16,
    /// From the first byte of the request to the last byte of the answer.
    pub latency: Duration,
    /// `x-topgg-trace`.
    pub trace: Option<String>,
    /// A `vote.create` whose id was seen before (a Top.gg retry).
    pub retry: bool,
    /// Accepted, with something worth a look (unparseable body, unknown type, …).
    pub warning: Option<String>,
    /// The capture file written for the request.
    pub capture: Option<PathBuf>,
    /// The raw request (head and body, as a capture file holds it); `None` when the request was
    /// refused before it could be read, and in history listings.
    pub request: Option<Vec<u8>>,
    /// The whole body's length when `request` keeps only a prefix of it (a request refused before
    /// verification keeps at most [`crate::receiver::store::REFUSED_BODY_KEPT`] bytes of its body).
    pub body_cut: Option<u64>,
    /// The history entry this request replays (the inspector's replay button).
    pub replay_of: Option<i64>,
    /// In forward mode, what the developer's app answered.
    pub forwarded: Option<Forwarded>,
    /// The fingerprint of the secret the receiver verified the request with (forward mode, for
    /// the sentence of [`Record::disagreement`]); not kept in the history.
    pub secret_fingerprint: Option<String>,
}

/// The verdicts that mean the signature itself is wrong (not stale, not a replay).
const SIGNATURE_VERDICTS: [&str; 3] = ["missing-header", "malformed-header", "signature-mismatch"];

/// In forward mode, the receiver's verdict and the app's status disagree: who is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// `app-does-not-verify` or `app-refuses-valid`.
    pub code: &'static str,
    /// One sentence for the developer.
    pub message: String,
}

/// The developer's app's answer to a forwarded request (`serve --forward-to`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// Where the request went.
    pub url: String,
    /// The app's status; `None` when it could not be reached or did not answer in time.
    pub status: Option<u16>,
    /// From sending the request to the end of the app's answer, microseconds.
    pub latency_us: i64,
    /// The app's answer headers, in order.
    pub headers: Vec<(String, String)>,
    /// The app's answer body (at most the receiver's body cap).
    pub body: Vec<u8>,
    /// Why there is no answer (refused, timed out), one sentence.
    pub error: Option<String>,
}

/// Appends one record's log line (or nothing) to the journal's buffer for the batch.
pub type LineFn = Box<dyn FnMut(&Record, &mut Vec<u8>) + Send>;

/// The request log: run on the store's journal thread for every answered request, in arrival
/// order, within milliseconds of the answer (never on the request path). `line` appends the
/// record's line to the batch's buffer; the journal then hands the whole buffer to `out` in one
/// `write` (so `out` must not block for long: a writer to a pipe or a terminal should hand the
/// bytes to a thread of its own, as `serve`'s does).
pub struct Log {
    /// Formats one record.
    pub line: LineFn,
    /// Where each batch's lines go.
    pub out: Box<dyn std::io::Write + Send>,
    /// Lines wait (formatted, in memory) until `Receiver::open_log`: a caller that prints a line
    /// of its own first (serve's ready line) starts the log held.
    pub held: bool,
}

impl Log {
    /// Lines formatted by `line`, written to `out`.
    pub fn new(
        line: impl FnMut(&Record, &mut Vec<u8>) + Send + 'static,
        out: impl std::io::Write + Send + 'static,
    ) -> Log {
        Log { line: Box::new(line), out: Box::new(out), held: false }
    }

    /// Every record handed to `f` (on the journal thread), nothing written.
    pub fn each(mut f: impl FnMut(&Record) + Send + 'static) -> Log {
        Log::new(move |r: &Record, _: &mut Vec<u8>| f(r), std::io::sink())
    }

    /// No log.
    pub fn none() -> Log {
        Log::each(|_| {})
    }

    /// The same log, its lines held until `Receiver::open_log`.
    pub fn held(self) -> Log {
        Log { held: true, ..self }
    }
}

impl Record {
    /// A request refused before the endpoints saw it: `request` is the method and target when the
    /// head was read.
    pub fn refusal(
        status: u16,
        verdict: &'static str,
        detail: String,
        request: Option<(&str, &str)>,
        started: Instant,
        peer: Option<SocketAddr>,
    ) -> Record {
        Record {
            time_unix_nanos: now_unix_nanos() - started.elapsed().as_nanos() as i128,
            peer,
            method: request.map_or_else(|| "-".into(), |r| r.0.to_string()),
            path: request.map_or_else(|| "-".into(), |r| r.1.chars().take(256).collect()),
            verdict: verdict.to_string(),
            detail: Some(detail),
            status,
            latency: started.elapsed(),
            ..Record::default()
        }
    }

    /// In forward mode, whether the app's answer contradicts the receiver's verdict: it
    /// acknowledged a request whose signature is invalid, or refused (401/403) a correctly signed
    /// one. Derived from fields the history keeps, so the list says it too.
    pub fn disagreement(&self) -> Option<Disagreement> {
        let app = self.forwarded.as_ref()?.status?;
        if SIGNATURE_VERDICTS.contains(&self.verdict.as_str()) && (200..300).contains(&app) {
            return Some(Disagreement {
                code: "app-does-not-verify",
                message: "your app acknowledged a request whose signature is invalid: it does not verify signatures"
                    .into(),
            });
        }
        if self.verdict == "ok" && matches!(app, 401 | 403) {
            let fp = self.secret_fingerprint.as_deref().map_or(String::new(), |f| format!(" (fingerprint {f})"));
            return Some(Disagreement {
                code: "app-refuses-valid",
                message: format!(
                    "your app refused a correctly signed request: it verifies other bytes or another secret than \
                     serve's{fp}"
                ),
            });
        }
        None
    }

    /// The one JSON form (see the module comment).
    pub fn to_json(&self) -> String {
        self.json(None)
    }

    /// The JSON Lines form used by `serve --json`: the JSON form with `"event": "request"` first.
    pub fn to_json_line(&self) -> String {
        self.json(Some("request"))
    }

    /// [`Record::to_json_line`] and a newline, appended to `out` (the journal's batch buffer).
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        self.write_json(Some("request"), out);
        out.push(b'\n');
    }

    fn json(&self, event: Option<&'static str>) -> String {
        let mut out = Vec::with_capacity(512);
        self.write_json(event, &mut out);
        // serde_json writes UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Serialised straight from borrowed fields: building a `serde_json::Value` map first cost a
    /// sixth of the receiver's instructions per request.
    fn write_json(&self, event: Option<&'static str>, out: &mut Vec<u8>) {
        #[derive(serde::Serialize)]
        struct Fwd<'a> {
            url: &'a str,
            status: Option<u16>,
            latency_ms: f64,
            error: Option<&'a str>,
        }
        #[derive(serde::Serialize)]
        struct Blame {
            code: &'static str,
            message: String,
        }
        #[derive(serde::Serialize)]
        struct Json<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            event: Option<&'static str>,
            id: Option<i64>,
            time: String,
            peer: Option<SocketAddr>,
            method: &'a str,
            path: &'a str,
            #[serde(rename = "type")]
            kind: Option<&'a str>,
            connection: Option<&'a str>,
            verdict: &'a str,
            detail: Option<&'a str>,
            status: u16,
            latency_ms: f64,
            trace: Option<&'a str>,
            retry: bool,
            warning: Option<&'a str>,
            capture: Option<String>,
            replay_of: Option<i64>,
            forwarded: Option<Fwd<'a>>,
            disagreement: Option<Blame>,
            #[serde(skip_serializing_if = "Option::is_none")]
            body_cut: Option<u64>,
        }
        let line = Json {
            event,
            id: Some(self.id).filter(|&id| id != 0),
            time: crate::protocol::time::format_topgg(self.time_unix_nanos),
            peer: self.peer,
            method: &self.method,
            path: &self.path,
            kind: self.event.as_deref(),
            connection: self.connection.as_deref(),
            verdict: &self.verdict,
            detail: self.detail.as_deref(),
            status: self.status,
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            trace: self.trace.as_deref(),
            retry: self.retry,
            warning: self.warning.as_deref(),
            capture: self.capture.as_ref().map(|p| p.display().to_string()),
            replay_of: self.replay_of,
            forwarded: self.forwarded.as_ref().map(|f| Fwd {
                url: &f.url,
                status: f.status,
                latency_ms: f.latency_us as f64 / 1000.0,
                error: f.error.as_deref(),
            }),
            disagreement: self.disagreement().map(|d| Blame { code: d.code, message: d.message }),
            body_cut: self.body_cut,
        };
        // Only strings, numbers and booleans into memory: serialising this cannot fail.
        let _ = serde_json::to_writer(out, &line);
    }
}

/// The `type` of a JSON body, printable and at most 64 characters (a refused request's body was
/// never parsed; the list still wants to say what it was).
pub fn peek_type(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: String,
    }
    let t = serde_json::from_slice::<Typed>(body).ok()?.kind;
    Some(t.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_form_for_the_log_and_the_list() {
        let r = Record {
            id: 3,
            method: "POST".into(),
            path: "/webhooks/1".into(),
            verdict: "ok".into(),
            status: 204,
            latency: Duration::from_micros(1500),
            forwarded: Some(Forwarded { url: "http://a/".into(), status: Some(201), ..Default::default() }),
            ..Default::default()
        };
        let item: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let line: serde_json::Value = serde_json::from_str(&r.to_json_line()).unwrap();
        assert_eq!((item["id"].as_i64(), item["latency_ms"].as_f64()), (Some(3), Some(1.5)));
        assert_eq!(item["forwarded"]["status"], 201);
        assert!(item.get("event").is_none());
        assert_eq!(line["event"], "request");
        let mut line = line;
        line.as_object_mut().unwrap().remove("event");
        assert_eq!(line, item, "the log line is the list item with \"event\" first");
        let off: serde_json::Value = serde_json::from_str(&Record { id: 0, ..r }.to_json()).unwrap();
        assert!(off["id"].is_null(), "no id when the history is off");
    }
}
