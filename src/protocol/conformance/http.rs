//! The conformance suite's one way of talking HTTP: a single POST, exactly the headers and bytes
//! given, no retries, no redirects. Deliberately separate from the delivery engine (which retries
//! and always signs correctly) so the suite can send broken requests and see each answer as is.
//! Everything the suite sends goes through [`Sender::post`], so swapping the transport is one
//! function.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// At most this much of an answer's body is kept (handshake answers are small; anything bigger
/// is not something the suite reads).
const MAX_BODY: usize = 64 * 1024;

/// An answer to one request.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body, cut at 64 KiB.
    pub body: Vec<u8>,
    /// From just before sending to the end of the body.
    pub latency: Duration,
}

impl Answer {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

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
    /// One lower-case phrase for a report, e.g. `connection refused`.
    pub message: String,
    /// How long it took to fail.
    pub elapsed: Duration,
}

/// A blocking HTTP client set up once per run.
pub struct Sender {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

impl Sender {
    /// A client with this per-request timeout; `insecure` accepts invalid TLS certificates.
    pub fn new(timeout: Duration, insecure: bool) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(insecure)
            .user_agent(concat!("topgg-int-check/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::input(format!("could not set up the HTTP client: {e}")))?;
        Ok(Sender { client, timeout })
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `url` with exactly `headers` (plus the Host, Content-Length, Accept and
    /// User-Agent the client always adds), once.
    pub fn post(&self, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<Answer, SendFailure> {
        let started = Instant::now();
        let mut req = self.client.post(url).body(body);
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let fail = |e: reqwest::Error| classify(&e, started.elapsed(), self.timeout);
        let resp = req.send().map_err(fail)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = resp.bytes().map_err(fail)?.to_vec();
        body.truncate(MAX_BODY);
        Ok(Answer { status, headers, body, latency: started.elapsed() })
    }
}

fn classify(e: &reqwest::Error, elapsed: Duration, timeout: Duration) -> SendFailure {
    let (kind, message) = if e.is_timeout() {
        (FailureKind::Timeout, format!("no answer within {}", format_duration(timeout)))
    } else if e.is_connect() {
        let cause = root_cause(e);
        let hint =
            if cause.to_lowercase().contains("certificate") { " (--insecure accepts it, staging only)" } else { "" };
        (FailureKind::Connect, format!("could not connect: {cause}{hint}"))
    } else {
        (FailureKind::Broken, format!("the connection broke: {}", root_cause(e)))
    };
    SendFailure { kind, message, elapsed }
}

/// The innermost error message: reqwest's own Display is a generic "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let s = cur.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_lowercase(),
        None => s,
    }
}

/// `300 ms`, `5 s`, `1.5 s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
