//! The delivery client: one attempt, exact bytes and headers in, status/headers/body/latency or a
//! typed [`AttemptError`] out, over reqwest. Failures are classified by type where the stack gives
//! one (reqwest's kinds, [`rustls::Error`] through [`super::tls`]); the retry schedule and signing
//! are [`super::delivery`]'s. Never prints.

use std::io::Read;
use std::time::{Duration, Instant};

pub use super::failure::AttemptError;
use super::target::{Url, describe_target, host_port};
use crate::protocol::handshake::HandshakeCheck;
use crate::stop::{Reason, Stop};

/// The User-Agent every request names: `topgg-int/<version>`.
pub const USER_AGENT: &str = concat!("topgg-int/", env!("CARGO_PKG_VERSION"));
/// At most this much of an answer is read: the handshake answer, the biggest anything here looks
/// at, is a small JSON object, and a receiver that streams an endless body must not fill memory.
pub const MAX_ANSWER: usize = 1024 * 1024;
/// Top.gg's per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
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

    /// This answer judged as a config URL's answer to `integration.create` (the rules are
    /// [`crate::protocol::handshake`]'s, shared with `serve --forward-to`); an answer cut at
    /// [`MAX_ANSWER`] fails.
    pub fn judge_handshake(&self) -> HandshakeCheck {
        crate::protocol::handshake::judge(
            self.status,
            self.header("content-type"),
            &self.body,
            self.truncated.then_some(MAX_ANSWER),
        )
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
        if let Some(tls) = super::tls::find_rustls_error(e) {
            return AttemptError::Tls { target: hostport, reason: super::tls::advice(tls) };
        }
        let lower = chain.to_ascii_lowercase();
        // A TLS failure that is not rustls's own (the server hung up mid-handshake).
        let tls_words = ["certificate", "tls", "handshake"];
        if url.scheme() == "https" && tls_words.iter().any(|w| lower.contains(w)) {
            return AttemptError::Tls { target: hostport, reason: super::tls::advice_without_type(&root_cause(e)) };
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

/// Sends one request and reads the whole answer: [`Client`], or a wrapper around it (load mode's
/// blocking workers count refusals through one).
pub trait Transport {
    /// One attempt.
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError>;
}

impl Transport for Client {
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError> {
        Client::send(self, req)
    }
}

/// A [`Client`] whose attempt in flight is given up as soon as `stop` is interrupted (Ctrl-C): the
/// run ends with 130 anyway, and waiting out the timeout for an answer nobody will read only keeps
/// the user waiting. A SIGTERM lets it finish, as load mode's deliveries in flight do. reqwest's
/// blocking call cannot be cancelled, so each attempt runs on a thread of its own, left to end
/// by its timeout when given up.
pub struct Interruptible<'a> {
    /// Makes the attempts.
    pub client: &'a Client,
    /// The run's stop.
    pub stop: &'a Stop,
}

impl Transport for Interruptible<'_> {
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError> {
        let (tx, rx) = std::sync::mpsc::channel();
        // Stopped when the attempt ends, or with the run.
        let ended = self.stop.child();
        let (client, request, end) = (self.client.clone(), req.clone(), ended.clone());
        let spawned = std::thread::Builder::new().name("attempt".into()).spawn(move || {
            let _ = tx.send(client.send(&request));
            end.cancel(Reason::Terminated);
        });
        if spawned.is_err() {
            return self.client.send(req);
        }
        ended.wait();
        if let Ok(result) = rx.try_recv() {
            return result;
        }
        if self.stop.reason() == Some(Reason::Interrupted) {
            return Err(AttemptError::Other(format!("interrupted before {} answered", host_port(&req.url))));
        }
        rx.recv().unwrap_or_else(|_| Err(AttemptError::Other("the attempt's thread failed".into())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_handshake_answer_fails() {
        let r = Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"webhook_url":"https://x.test/w/1","routes":["vote.create"]}"#.to_vec(),
            truncated: true,
            latency: Duration::ZERO,
        };
        let c = r.judge_handshake();
        assert!(c.handshake.is_none() && c.problems[0].contains("reading stopped there"), "{c:?}");
    }
}
