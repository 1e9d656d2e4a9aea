//! The conformance suite's view of HTTP: a single POST with exactly the headers and bytes given,
//! no retries, no redirects, over the delivery engine's [`Client`]. The suite needs broken requests
//! sent as is and each answer classified (refused, timed out, broken) for its report.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::send::delivery::{AttemptError, Client, ClientOptions, Request, Response, parse_url};

/// At most this much of an answer's body is kept: handshake answers are small, and anything bigger
/// is not something the suite reads.
const MAX_BODY: usize = 64 * 1024;

/// The suite's user agent, so receivers' logs tell conformance traffic from simulated deliveries.
const USER_AGENT: &str = concat!("topgg-int-check/", env!("CARGO_PKG_VERSION"));

/// An answer to one request (body cut at 64 KiB).
pub type Answer = Response;

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The connection could not be made (refused, no such host, TLS failure).
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke after it was made (reset, closed mid-request).
    Broken,
}

/// A request that got no answer.
#[derive(Debug, Clone)]
pub struct SendFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// One lower-case phrase for a report, e.g. `could not connect to … : connection refused`.
    pub message: String,
    /// How long it took to fail.
    pub elapsed: Duration,
}

/// When `answer` is a proxy's own 502/504 saying the app behind it gave no answer (`topgg-int serve
/// --forward-to` writes `{"error":"forward-failed","message":…}`), the failure it stands for:
/// the receiver is the app, and it stopped answering. Counting the proxy's 502 as the receiver's
/// answer would credit `keeps-answering` to a crashed app and never name the crash.
fn proxy_lost_the_app(answer: &Answer) -> Option<(FailureKind, String)> {
    if !matches!(answer.status, 502 | 504) {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    if body.get("error").and_then(|e| e.as_str()) != Some("forward-failed") {
        return None;
    }
    let why = body.get("message").and_then(|m| m.as_str()).unwrap_or_default();
    // serve says "could not reach the app" both when the app refused the connection and when it
    // closed one unanswered (a crash mid-request): only a refusal is a receiver already gone.
    let refused = ["refused", "lookup", "resolve", "unreachable"].iter().any(|w| why.to_lowercase().contains(w));
    let kind = if why.starts_with("could not reach the app") && refused {
        FailureKind::Connect
    } else if why.starts_with("could not reach the app") {
        FailureKind::Broken
    } else if answer.status == 504 || why.contains("did not answer within") {
        FailureKind::Timeout
    } else if why.contains("stopped sending its answer") {
        FailureKind::Broken
    } else {
        // An answer too big to pass on: the app did answer.
        return None;
    };
    let why: String = why.chars().take(200).collect();
    Some((kind, format!("the proxy in front of the app answered {} forward-failed: {why}", answer.status)))
}

/// A blocking HTTP client set up once per run.
pub struct Sender {
    client: Client,
}

impl Sender {
    /// A client with this per-request timeout; `insecure` accepts invalid TLS certificates;
    /// `no_proxy` ignores proxy variables (for the built-in receiver on loopback).
    pub fn new(timeout: Duration, insecure: bool, no_proxy: bool) -> Result<Self> {
        let client = Client::new(&ClientOptions { timeout, insecure, ca_pem: None, no_proxy }).map_err(Error::input)?;
        Ok(Sender { client })
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.client.timeout()
    }

    /// POSTs `body` to `url` with exactly `headers` (plus Host, Content-Length, Accept and the
    /// suite's User-Agent), once.
    pub fn post(&self, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<Answer, SendFailure> {
        let started = Instant::now();
        let fail = |kind, message| SendFailure { kind, message, elapsed: started.elapsed() };
        let url = parse_url(url).map_err(|m| fail(FailureKind::Connect, m))?;
        let mut all: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("user-agent")) {
            all.push(("user-agent".into(), USER_AGENT.into()));
        }
        let request = Request { method: "POST".into(), url, headers: all, body };
        match self.client.send(&request) {
            Ok(mut answer) => {
                if let Some((kind, message)) = proxy_lost_the_app(&answer) {
                    return Err(fail(kind, message));
                }
                answer.body.truncate(MAX_BODY);
                Ok(answer)
            }
            Err(e) => {
                let kind = match e {
                    AttemptError::Connect { .. } | AttemptError::Tls { .. } => FailureKind::Connect,
                    AttemptError::Timeout { .. } => FailureKind::Timeout,
                    AttemptError::Closed { .. } | AttemptError::Other(_) => FailureKind::Broken,
                };
                Err(fail(kind, e.to_string()))
            }
        }
    }
}
