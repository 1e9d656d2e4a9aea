//! One delivery the way Top.gg makes it (protocol.md §5): exact bytes, exact headers, a 5 s timeout
//! per attempt, and retries after a timeout or 5xx with a fresh `t` over the same body and trace.
//!
//! Two layers, so `simulate` and `check` share them: [`Client::send`] is one attempt (bytes and
//! headers in, status/headers/body/latency or a typed [`AttemptError`] out), and [`deliver`] is the
//! retry schedule on top of any [`Transport`], re-signing every attempt through [`Auth`]. Nothing
//! here prints; callers watch attempts through a callback. Load mode has its own engine
//! (`loadgen`) that follows the same schedule.

use std::io::Read;
use std::time::{Duration, Instant};

pub use super::failure::AttemptError;
pub(crate) use super::target::describe_target;
use super::target::host_port;
pub use super::target::parse_url;
pub use reqwest::Url;

use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, Signer, TRACE_HEADER};
use crate::protocol::time::now_unix;

/// The User-Agent every request names: `topgg-int/<version>`.
pub const USER_AGENT: &str = concat!("topgg-int/", env!("CARGO_PKG_VERSION"));
/// At most this much of an answer is read: the handshake answer, the biggest anything here looks
/// at, is a small JSON object, and a receiver that streams an endless body must not fill memory.
pub const MAX_ANSWER: usize = 1024 * 1024;
/// Top.gg's per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Top.gg's number of retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 3;
/// Top.gg's delays before each retry (the "Webhooks" page; the other page says up to ~8 s).
pub const DEFAULT_RETRY_DELAYS: [Duration; 3] =
    [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)];

/// How the HTTP client is set up: per-attempt timeout and TLS trust.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-attempt timeout: connect, send and read the whole answer.
    pub timeout: Duration,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Extra trusted CA certificates, PEM.
    pub ca_pem: Option<Vec<u8>>,
    /// Ignore `HTTP_PROXY` and friends: set for the built-in receiver, which is always on loopback.
    pub no_proxy: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { timeout: DEFAULT_TIMEOUT, insecure: false, ca_pem: None, no_proxy: false }
    }
}

/// A blocking HTTP client that sends requests exactly as given. Cheap to clone and share across
/// threads (connections are pooled and kept alive).
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::blocking::Client,
    timeout: Duration,
    no_proxy: bool,
}

/// One request: the exact bytes and headers to put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, almost always `POST`.
    pub method: String,
    /// Where to send it.
    pub url: Url,
    /// Headers in order, as sent (reqwest adds `host`, `content-length` and `accept`).
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// An answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers in arrival order (values decoded lossily).
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_ANSWER`] bytes.
    pub body: Vec<u8>,
    /// The answer went on past [`MAX_ANSWER`] bytes and was cut there (the rest was not read).
    pub truncated: bool,
    /// From sending the request to the last byte of the answer read.
    pub latency: Duration,
}

impl Response {
    /// Whether the status is 2xx (Top.gg's definition of acknowledged).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first header with this name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The status's reason phrase, e.g. `No Content`.
    pub fn reason(&self) -> &'static str {
        reqwest::StatusCode::from_u16(self.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
    }
}

impl Client {
    /// Builds a client. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`; redirects are not
    /// followed, since Top.gg counts only a 2xx as acknowledged.
    pub fn new(opts: &ClientOptions) -> Result<Client, String> {
        let mut b = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(opts.insecure);
        if let Some(pem) = &opts.ca_pem
            && !opts.insecure
        {
            b = b.use_preconfigured_tls(super::tls::client_config(pem)?);
        }
        if opts.no_proxy {
            b = b.no_proxy();
        }
        let inner = b.build().map_err(|e| format!("could not set up the HTTP client: {}", error_chain(&e)))?;
        Ok(Client { inner, timeout: opts.timeout, no_proxy: opts.no_proxy })
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request and reads the whole answer: the single-attempt primitive.
    pub fn send(&self, req: &Request) -> Result<Response, AttemptError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| AttemptError::Other(format!("{:?} is not an HTTP method", req.method)))?;
        let mut headers = reqwest::header::HeaderMap::with_capacity(req.headers.len());
        for (name, value) in &req.headers {
            let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| AttemptError::Other(format!("{name:?} is not a valid header name")))?;
            let v = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| AttemptError::Other(format!("the value of header {name} is not valid in HTTP")))?;
            headers.append(n, v);
        }
        let started = Instant::now();
        let sent = self.inner.request(method, req.url.clone()).headers(headers).body(req.body.clone()).send();
        let mut resp = sent.map_err(|e| self.plain_http_or(self.classify(&e, &req.url), &req.url))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // Read one byte past the cap, to know whether there was more; dropping the response then
        // closes the connection instead of draining an endless body.
        let mut body = Vec::new();
        std::io::Read::take(&mut resp, MAX_ANSWER as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.classify_read(&e, &req.url))?;
        let truncated = body.len() > MAX_ANSWER;
        body.truncate(MAX_ANSWER);
        Ok(Response { status, headers, body, truncated, latency: started.elapsed() })
    }

    /// The proxy variable that applies to `url`, as reqwest reads them (NO_PROXY aside).
    fn proxy_for(&self, url: &Url) -> Option<(&'static str, String)> {
        if self.no_proxy {
            return None;
        }
        let vars: &[&'static str] = match url.scheme() {
            "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
            _ => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
        };
        vars.iter().find_map(|v| std::env::var(v).ok().filter(|x| !x.is_empty()).map(|x| (*v, x)))
    }

    /// An https attempt that failed in TLS or timed out may have reached a plain-HTTP port (a
    /// server waiting for a request line reads a ClientHello forever): ask the port in plain HTTP,
    /// briefly, and say so if it answers that way. Not through a proxy, which would answer itself.
    fn plain_http_or(&self, e: AttemptError, url: &Url) -> AttemptError {
        if url.scheme() != "https"
            || !matches!(e, AttemptError::Tls { .. } | AttemptError::Timeout { .. })
            || self.proxy_for(url).is_some()
        {
            return e;
        }
        if !super::tls::speaks_plain_http(url, super::tls::PROBE_TIMEOUT.min(self.timeout)) {
            return e;
        }
        let mut plain = url.clone();
        // http and https are both special schemes, so this cannot fail.
        let _ = plain.set_scheme("http");
        AttemptError::Tls {
            target: host_port(url),
            reason: format!("this port speaks plain HTTP; use http:// ({plain})"),
        }
    }

    /// A failure while reading the body: reqwest's error inside the I/O error when there is one.
    fn classify_read(&self, e: &std::io::Error, url: &Url) -> AttemptError {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
            return self.classify(inner, url);
        }
        if e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out") {
            return AttemptError::Timeout { after: self.timeout, target: host_port(url) };
        }
        AttemptError::Other(format!("reading the answer from {} failed: {e}", host_port(url)))
    }

    fn classify(&self, e: &reqwest::Error, url: &Url) -> AttemptError {
        let chain = error_chain(e);
        let hostport = host_port(url);
        if e.is_timeout() || chain.contains("timed out") {
            return AttemptError::Timeout { after: self.timeout, target: hostport };
        }
        let lower = chain.to_ascii_lowercase();
        let tls_words = ["certificate", "tls", "handshake", "invalidcontenttype", "corrupt message"];
        if url.scheme() == "https" && tls_words.iter().any(|w| lower.contains(w)) {
            return AttemptError::Tls { target: hostport, reason: super::tls::advice(&lower, &root_cause(e)) };
        }
        if e.is_connect() {
            let mut reason = root_cause(e);
            // A refusal by a proxy reads like a refusal by the target: name the proxy in play.
            if let Some((var, proxy)) = self.proxy_for(url) {
                reason.push_str(&format!(
                    " (the request went through the proxy {proxy} from {var}; NO_PROXY can exempt the host)"
                ));
            }
            return AttemptError::Connect { target: describe_target(url), reason };
        }
        // hyper's words for a connection that ended before a status line arrived.
        let closed = ["connection closed before message completed", "incompletemessage", "connection reset"];
        if closed.iter().any(|w| lower.contains(w)) {
            return AttemptError::Closed { target: hostport };
        }
        AttemptError::Other(format!("request to {hostport} failed: {chain}"))
    }
}

/// Sends one request and reads the whole answer: [`Client`] for any URL, or a per-thread
/// [`super::direct::Direct`] connection in load mode.
pub trait Transport {
    /// One attempt.
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError>;
}

impl Transport for Client {
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError> {
        Client::send(self, req)
    }
}

/// Every message in an error's source chain, deduplicated, joined with `: `.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        let msg = err.to_string();
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// The innermost cause, lower-cased, without Rust's "(os error N)" suffix.
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let s = cur.to_string();
    let s = match s.find(" (os error") {
        Some(i) => &s[..i],
        None => &s,
    };
    let mut out = s.to_string();
    if let Some(first) = out.get(..1) {
        out.replace_range(..1, &first.to_ascii_lowercase());
    }
    out
}

/// How each attempt authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// v1: `x-topgg-signature` over the exact body, with a fresh `t` per attempt. With `timestamp`,
    /// the first attempt is signed at that time and retries move on from it by the time elapsed.
    Signed {
        /// The keyed secret.
        signer: Signer,
        /// Sign as if the clock read this at the first attempt.
        timestamp: Option<i64>,
    },
    /// v0: `Authorization: <secret>` verbatim, no signature.
    Legacy(Secret),
    /// Send these headers as they are, on every attempt (a verbatim replay keeps its old signature).
    Verbatim(Vec<(String, String)>),
}

/// What to deliver: one body to one URL, with one trace id kept across retries.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where to POST.
    pub url: Url,
    /// The exact bytes.
    pub body: Vec<u8>,
    /// `x-topgg-trace`, the same on every attempt (not sent with [`Auth::Verbatim`], whose headers
    /// are taken as they are).
    pub trace: String,
    /// How attempts authenticate.
    pub auth: Auth,
    /// Headers added to every attempt (`--header`), each replacing a header of the same name.
    pub extra_headers: Vec<(String, String)>,
}

impl Delivery {
    /// The request for an attempt signed at `t`: headers exactly as protocol.md §3 lists them.
    pub fn request_at(&self, t: i64) -> Request {
        let mut headers: Vec<(String, String)> = Vec::with_capacity(4);
        match &self.auth {
            Auth::Signed { signer, .. } => {
                headers.push(("Content-Type".into(), "application/json".into()));
                headers.push(("User-Agent".into(), USER_AGENT.into()));
                headers.push((SIGNATURE_HEADER.into(), signer.sign(t, &self.body)));
                headers.push((TRACE_HEADER.into(), self.trace.clone()));
            }
            Auth::Legacy(secret) => {
                headers.push(("Content-Type".into(), "application/json".into()));
                headers.push(("User-Agent".into(), USER_AGENT.into()));
                headers.push(("Authorization".into(), secret.expose().into()));
            }
            Auth::Verbatim(h) => headers.extend(h.iter().cloned()),
        }
        for (name, value) in &self.extra_headers {
            match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(slot) => slot.1 = value.clone(),
                None => headers.push((name.clone(), value.clone())),
            }
        }
        Request { method: "POST".into(), url: self.url.clone(), headers, body: self.body.clone() }
    }

    /// The `t` of the first attempt: the fixed timestamp if given, else now.
    pub fn first_timestamp(&self) -> i64 {
        match &self.auth {
            Auth::Signed { timestamp: Some(t), .. } => *t,
            _ => now_unix(),
        }
    }
}

/// Top.gg's retry schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Delay before retry 1, 2, …; the last one repeats if there are more retries than delays.
    pub delays: Vec<Duration>,
    /// Also retry after a 4xx.
    pub retry_on_4xx: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { retries: DEFAULT_RETRIES, delays: DEFAULT_RETRY_DELAYS.to_vec(), retry_on_4xx: false }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { retries: 0, delays: Vec::new(), retry_on_4xx: false }
    }

    /// The wait before retry `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let i = (n as usize).saturating_sub(1);
        self.delays.get(i).or(self.delays.last()).copied().unwrap_or_default()
    }

    /// Whether this result calls for another attempt: a timeout, a failed connection, a 5xx, and a
    /// 4xx only when asked.
    pub fn wants_retry(&self, result: &Result<Response, AttemptError>) -> bool {
        match result {
            Ok(r) => r.status >= 500 || (self.retry_on_4xx && (400..500).contains(&r.status)),
            // A TLS failure is the same on every attempt: the certificate will not change in 7 s.
            Err(AttemptError::Other(_) | AttemptError::Tls { .. }) => false,
            Err(_) => true,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The delay waited before it (zero for the first).
    pub waited: Duration,
    /// The `t` it was signed with (v1 only).
    pub timestamp: Option<i64>,
    /// The headers sent.
    pub headers: Vec<(String, String)>,
    /// The answer, or why there was none.
    pub result: Result<Response, AttemptError>,
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx.
    Acknowledged,
    /// The last attempt got an answer that is not a 2xx.
    Rejected,
    /// The last attempt got no answer (connect failure, timeout, TLS).
    Unreachable,
}

/// Every attempt of one delivery.
#[derive(Debug, Clone)]
pub struct Report {
    /// The URL delivered to.
    pub url: Url,
    /// The trace id every attempt carried.
    pub trace: String,
    /// The body every attempt carried.
    pub body: Vec<u8>,
    /// The attempts, in order (at least one).
    pub attempts: Vec<Attempt>,
    /// From the first attempt to the end of the last one, waits included.
    pub elapsed: Duration,
}

impl Report {
    /// The last attempt.
    pub fn last(&self) -> &Attempt {
        // deliver always makes at least one attempt.
        &self.attempts[self.attempts.len() - 1]
    }

    /// The verdict of the last attempt.
    pub fn verdict(&self) -> Verdict {
        match &self.last().result {
            Ok(r) if r.is_success() => Verdict::Acknowledged,
            Ok(_) => Verdict::Rejected,
            Err(_) => Verdict::Unreachable,
        }
    }

    /// The last answer, if there was one.
    pub fn response(&self) -> Option<&Response> {
        self.last().result.as_ref().ok()
    }
}

/// Delivers with retries: attempt, and after a timeout, failed connection or 5xx (or 4xx, when the
/// policy says) wait and try again, re-signing with a fresh `t` over the same body and trace.
/// `on_attempt` sees each attempt as it ends; `stop` is polled before each retry (Ctrl-C).
pub fn deliver(
    transport: &mut dyn Transport,
    delivery: &Delivery,
    policy: &RetryPolicy,
    on_attempt: &mut dyn FnMut(&Attempt),
    stop: &dyn Fn() -> bool,
) -> Report {
    let started = Instant::now();
    let first_t = delivery.first_timestamp();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut waited = Duration::ZERO;
    loop {
        let number = attempts.len() as u32 + 1;
        let t = first_t + started.elapsed().as_secs() as i64;
        let req = delivery.request_at(t);
        let result = transport.send(&req);
        let timestamp = matches!(delivery.auth, Auth::Signed { .. }).then_some(t);
        let attempt = Attempt { number, waited, timestamp, headers: req.headers, result };
        on_attempt(&attempt);
        let again = number <= policy.retries && policy.wants_retry(&attempt.result);
        attempts.push(attempt);
        if !again || stop() {
            break;
        }
        waited = policy.delay(number);
        std::thread::sleep(waited);
        if stop() {
            break;
        }
    }
    Report {
        url: delivery.url.clone(),
        trace: delivery.trace.clone(),
        body: delivery.body.clone(),
        attempts,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_repeat_the_last() {
        let p = RetryPolicy {
            retries: 5,
            delays: vec![Duration::from_millis(1), Duration::from_millis(2)],
            ..RetryPolicy::none()
        };
        assert_eq!(p.delay(1), Duration::from_millis(1));
        assert_eq!(p.delay(2), Duration::from_millis(2));
        assert_eq!(p.delay(5), Duration::from_millis(2));
        assert_eq!(RetryPolicy::none().delay(1), Duration::ZERO);
    }

    #[test]
    fn retries_on_5xx_and_timeouts_not_4xx() {
        let ok =
            |status| Ok(Response { status, headers: vec![], body: vec![], truncated: false, latency: Duration::ZERO });
        let p = RetryPolicy::default();
        assert!(p.wants_retry(&ok(503)));
        assert!(!p.wants_retry(&ok(401)));
        assert!(!p.wants_retry(&ok(204)));
        assert!(p.wants_retry(&Err(AttemptError::Timeout { after: DEFAULT_TIMEOUT, target: "x".into() })));
        assert!(RetryPolicy { retry_on_4xx: true, ..p }.wants_retry(&ok(401)));
    }
}
