//! One delivery the way Top.gg makes it (protocol.md §5): exact bytes, exact headers, a 5 s timeout
//! per attempt, and retries after a timeout or 5xx with a fresh `t` over the same body and trace.
//!
//! Two layers, so `simulate` and `check` share them: [`Client::send`] is one attempt (bytes and
//! headers in, status/headers/body/latency or a typed [`AttemptError`] out), and [`deliver`] is the
//! retry schedule on top of any [`Transport`], re-signing every attempt through [`Auth`]. Nothing
//! here prints; callers watch attempts through a callback. Load mode has its own engine
//! (`loadgen`) that follows the same schedule.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

pub use reqwest::Url;

use super::direct::BODY_READ_MAX;
use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER};
use crate::protocol::time::{format_duration, now_unix};

/// The User-Agent every request names: `topgg-int/<version>`.
pub const USER_AGENT: &str = concat!("topgg-int/", env!("CARGO_PKG_VERSION"));
/// Top.gg's per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Top.gg's number of retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 3;
/// Top.gg's delays before each retry (the "Webhooks" page; the other page says up to ~8 s).
pub const DEFAULT_RETRY_DELAYS: [Duration; 3] =
    [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)];

/// Parses a target URL, accepting only absolute `http` and `https` URLs.
pub fn parse_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| {
        format!("{s:?} is not a URL ({e}); give an absolute one like http://127.0.0.1:8080/integration")
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err(format!("{s:?} has no host")),
        other => Err(format!("{s:?} is a {other}: URL; only http:// and https:// can be delivered to")),
    }
}

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
    /// The body, up to [`super::direct::BODY_READ_MAX`] bytes of it.
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the answer.
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

/// Why an attempt got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// The TCP connection failed; `target` names host and the addresses tried.
    Connect {
        /// E.g. `localhost (127.0.0.1:8080)`.
        target: String,
        /// E.g. `connection refused`.
        reason: String,
    },
    /// No complete answer within the timeout.
    Timeout {
        /// The timeout that ran out.
        after: Duration,
        /// The host and port.
        target: String,
    },
    /// The TLS handshake failed (untrusted certificate, wrong name, plain HTTP on an https URL).
    Tls {
        /// The host and port.
        target: String,
        /// What the TLS layer said.
        reason: String,
    },
    /// The request could not be built or the exchange failed in another way.
    Other(String),
}

impl AttemptError {
    /// A short stable code for JSON output: `connect`, `timeout`, `tls`, `other`.
    pub fn code(&self) -> &'static str {
        match self {
            AttemptError::Connect { .. } => "connect",
            AttemptError::Timeout { .. } => "timeout",
            AttemptError::Tls { .. } => "tls",
            AttemptError::Other(_) => "other",
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Connect { target, reason } => write!(f, "could not connect to {target}: {reason}"),
            AttemptError::Timeout { after, target } => {
                write!(f, "no answer from {target} within {}", format_duration(*after))
            }
            AttemptError::Tls { target, reason } => write!(f, "TLS handshake with {target} failed: {reason}"),
            AttemptError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AttemptError {}

impl Client {
    /// Builds a client. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`; redirects are not
    /// followed, since Top.gg counts only a 2xx as acknowledged.
    pub fn new(opts: &ClientOptions) -> Result<Client, String> {
        let mut b = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(opts.insecure);
        if let Some(pem) = &opts.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("the CA file is not a PEM certificate ({e})"))?;
            if certs.is_empty() {
                return Err("the CA file holds no PEM certificate".into());
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
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
        let resp = sent.map_err(|e| self.classify(&e, &req.url))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // Bounded like load mode's reader: an endless body costs at most BODY_READ_MAX, then the
        // answer stands as read so far.
        let mut body = Vec::new();
        let mut resp = resp;
        if let Err(e) = std::io::Read::read_to_end(&mut std::io::Read::take(&mut resp, BODY_READ_MAX), &mut body) {
            return Err(match e.get_ref().and_then(|inner| inner.downcast_ref::<reqwest::Error>()) {
                Some(inner) => self.classify(inner, &req.url),
                None if e.kind() == std::io::ErrorKind::TimedOut => {
                    AttemptError::Timeout { after: self.timeout, target: host_port(&req.url) }
                }
                None => AttemptError::Other(format!(
                    "reading the answer from {} failed: {}",
                    host_port(&req.url),
                    crate::error::io_reason(&e)
                )),
            });
        }
        Ok(Response { status, headers, body, latency: started.elapsed() })
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

    fn classify(&self, e: &reqwest::Error, url: &Url) -> AttemptError {
        let chain = error_chain(e);
        let hostport = host_port(url);
        if e.is_timeout() || chain.contains("timed out") {
            return AttemptError::Timeout { after: self.timeout, target: hostport };
        }
        let lower = chain.to_ascii_lowercase();
        let tls_words = ["certificate", "tls", "handshake", "invalidcontenttype", "corrupt message"];
        if url.scheme() == "https" && tls_words.iter().any(|w| lower.contains(w)) {
            let mut reason = root_cause(e);
            if lower.contains("invalidcontenttype") || lower.contains("handshake eof") {
                reason.push_str(" (the server does not seem to speak TLS on this port; try http://)");
            }
            return AttemptError::Tls { target: hostport, reason };
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
        AttemptError::Other(format!("request to {hostport} failed: {chain}"))
    }
}

/// `host:port` of a URL.
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
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

/// `localhost (127.0.0.1:8080)` for a name, `127.0.0.1:8080` for an address: errors say which
/// address was actually tried, since `localhost` may resolve to `::1` first.
pub(crate) fn describe_target(url: &Url) -> String {
    let hostport = host_port(url);
    let Some(name) = url.host_str() else { return hostport };
    if name.starts_with('[') || name.parse::<std::net::IpAddr>().is_ok() {
        return hostport;
    }
    let port = url.port_or_known_default().unwrap_or(80);
    match (name, port).to_socket_addrs() {
        Ok(addrs) => {
            let list: Vec<String> = addrs.map(|a| a.to_string()).collect();
            if list.is_empty() { hostport } else { format!("{name} ({})", list.join(", ")) }
        }
        Err(_) => format!("{hostport} (the name does not resolve)"),
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

/// A secret keyed into HMAC-SHA256 once, so signing many bodies costs only the body's hashing.
#[derive(Clone)]
pub struct Signer {
    secret: Secret,
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.secret.masked())
    }
}

impl Signer {
    /// A signer for this secret.
    pub fn new(secret: Secret) -> Self {
        // HMAC takes keys of any length, so this cannot fail.
        let keyed = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
        Signer { secret, keyed }
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// `t=<t>,v1=<hex>`, identical to [`crate::protocol::signature::sign`].
    pub fn sign(&self, t: i64, body: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        let ts = t.to_string();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        crate::protocol::signature::header_value(&ts, &mac.finalize().into_bytes().into())
    }
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
            Err(AttemptError::Other(_)) => false,
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
    use crate::protocol::signature::sign;

    #[test]
    fn signer_matches_sign() {
        let s = Secret::new("whs_0123456789abcdef");
        let signer = Signer::new(s.clone());
        for body in [&b""[..], b"{}", b"{\"type\":\"vote.create\"}"] {
            assert_eq!(signer.sign(1_770_598_034, body), sign(&s, 1_770_598_034, body));
        }
    }

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
        let ok = |status| Ok(Response { status, headers: vec![], body: vec![], latency: Duration::ZERO });
        let p = RetryPolicy::default();
        assert!(p.wants_retry(&ok(503)));
        assert!(!p.wants_retry(&ok(401)));
        assert!(!p.wants_retry(&ok(204)));
        assert!(p.wants_retry(&Err(AttemptError::Timeout { after: DEFAULT_TIMEOUT, target: "x".into() })));
        assert!(RetryPolicy { retry_on_4xx: true, ..p }.wants_retry(&ok(401)));
    }

    #[test]
    fn urls() {
        assert!(parse_url("http://127.0.0.1:1/x").is_ok());
        assert!(parse_url("/webhooks/1").is_err());
        assert!(parse_url("ftp://example.com/").unwrap_err().contains("ftp"));
    }
}
