//! The receiver's HTTP vocabulary, shared by every other file and importing none of them: the
//! request as the endpoints see it ([`Request`]), what handling decided ([`Outcome`]), the one
//! error body (`{"error": code, "message": sentence}`) and the response builders.
//!
//! A leaf: nothing here reads a socket, touches the store or knows a route.

use std::borrow::Cow;
use std::convert::Infallible;
use std::time::Instant;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::protocol::capture::Capture;

/// The body of every answer: boxed so a route can stream (server-sent events) as well as send a
/// whole buffer.
pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// One request, read whole, as the endpoints see it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, `GET`, …
    pub method: String,
    /// The request target as sent, query string included.
    pub target: String,
    /// The headers, moved from hyper's request (names lowercase).
    pub headers: HeaderMap,
    /// The body, exact bytes (chunked bodies decoded).
    pub body: Bytes,
    /// When the request started (the first byte, or the connection's accept for its first one).
    pub started: Instant,
    /// The head as it arrived (request line, headers, the empty line), copied once by the
    /// connection as it read it; `None` for a replay and a request pipelined behind another.
    pub head: Option<Bytes>,
}

impl Request {
    /// The first header with this name (case-insensitive), as text (bytes that are not UTF-8
    /// replaced, so a mangled header is still seen and judged).
    pub fn header(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()))
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query string (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The request as the history and a capture file keep it: the head as it arrived and the
    /// body, or, when the head was not seen whole or cannot stand for the body (a chunked body is
    /// kept decoded), the request written out again by [`Capture::to_http`].
    pub fn to_raw(&self) -> Vec<u8> {
        match &self.head {
            Some(head) if self.head_is_verbatim(head) => {
                let mut raw = Vec::with_capacity(head.len() + self.body.len());
                raw.extend_from_slice(head);
                raw.extend_from_slice(&self.body);
                raw
            }
            _ => self.to_capture().to_http(),
        }
    }

    /// Whether `head` is this request's, as valid framing for its body: it starts with this
    /// method and target (a replay or an absolute-form target does not), and the body was not
    /// chunked.
    fn head_is_verbatim(&self, head: &[u8]) -> bool {
        let mut words = head.split(|&b| b == b' ');
        words.next() == Some(self.method.as_bytes())
            && words.next() == Some(self.target.as_bytes())
            && !self.headers.contains_key(http::header::TRANSFER_ENCODING)
    }

    /// The request as a capture: valid HTTP as stored, so a chunked body is written whole with
    /// its decoded Content-Length and no Transfer-Encoding.
    pub fn to_capture(&self) -> Capture {
        // Capture::to_http rewrites the framing (no Transfer-Encoding, the decoded length); a
        // `Trailer` announcement would be stale over the decoded body too.
        let chunked = self.headers.contains_key(http::header::TRANSFER_ENCODING);
        let headers = self
            .headers
            .iter()
            .filter(|(n, _)| !(chunked && *n == http::header::TRAILER))
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        Capture { method: self.method.clone(), path: self.target.clone(), headers, body: self.body.to_vec() }
    }

    /// A captured request, as if it had arrived now (the inspector's replay). A header that is
    /// not valid HTTP is left out.
    pub fn from_capture(c: Capture) -> Request {
        let mut headers = HeaderMap::with_capacity(c.headers.len());
        for (n, v) in &c.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_bytes(v.as_bytes())) {
                headers.append(n, v);
            }
        }
        Request {
            method: c.method,
            target: c.path,
            headers,
            body: Bytes::from(c.body),
            started: Instant::now(),
            head: None,
        }
    }
}

/// What handling a request decided, before it becomes a response and a record.
pub struct Outcome {
    /// The status to answer.
    pub status: u16,
    /// `ok` or the refusal's reason code.
    pub verdict: &'static str,
    /// One sentence of detail.
    pub detail: Option<String>,
    /// The JSON body of a 200.
    pub body: Option<Value>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    /// The event type, when the body said.
    pub event: Option<String>,
    /// The connection the request was for.
    pub connection: Option<String>,
    /// A `vote.create` seen before.
    pub retry: bool,
    /// Accepted, with something worth a look.
    pub warning: Option<String>,
}

impl Outcome {
    /// Accepted with this status.
    pub fn ok(status: u16) -> Outcome {
        Outcome {
            status,
            verdict: "ok",
            detail: None,
            body: None,
            allow: None,
            event: None,
            connection: None,
            retry: false,
            warning: None,
        }
    }

    /// Refused with this status, reason code and sentence.
    pub fn refuse(status: u16, verdict: &'static str, detail: impl Into<String>) -> Outcome {
        Outcome { verdict, detail: Some(detail.into()), ..Outcome::ok(status) }
    }

    /// 405 with the method that is allowed.
    pub fn not_allowed(allow: &'static str) -> Outcome {
        Outcome {
            allow: Some(allow),
            ..Outcome::refuse(405, "method-not-allowed", format!("only {allow} is allowed here"))
        }
    }

    /// Adds a warning.
    pub fn warn(mut self, w: impl Into<String>) -> Outcome {
        self.warning = Some(w.into());
        self
    }

    /// The answer: the JSON body of a 200, the error body of a refusal, else an empty body.
    pub fn response(&self) -> hyper::Response<Body> {
        let mut resp = match &self.body {
            Some(v) if self.status == 200 => json(200, v),
            _ if self.status >= 400 => error(self.status, self.verdict, self.detail.as_deref().unwrap_or("")),
            _ => empty(self.status),
        };
        if let Some(allow) = self.allow {
            resp.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        }
        resp
    }
}

fn status_code(status: u16) -> http::StatusCode {
    http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// An answer with no body.
pub fn empty(status: u16) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Full::new(Bytes::new()).boxed());
    *r.status_mut() = status_code(status);
    r
}

/// An answer with these headers (invalid ones skipped) and body.
pub fn full(status: u16, headers: &[(String, String)], body: impl Into<Bytes>) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status_code(status);
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(n.as_bytes()), http::HeaderValue::from_str(v)) {
            r.headers_mut().append(n, v);
        }
    }
    r
}

/// A JSON answer, one line.
pub fn json(status: u16, value: &Value) -> hyper::Response<Body> {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)).boxed());
    *r.status_mut() = status_code(status);
    r.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}

/// The one error body: `{"error": code, "message": sentence}`.
pub fn error_body(code: &str, message: &str) -> Value {
    json!({ "error": code, "message": message })
}

/// A JSON `{"error": code, "message": detail}` answer, the shape of every refusal.
pub fn error(status: u16, code: &str, message: &str) -> hyper::Response<Body> {
    json(status, &error_body(code, message))
}

/// The raw bytes of a refusal written by the connection task itself (408 for a head that did not
/// arrive in time, where hyper has no request to answer).
pub fn raw_refusal(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    let mut body = serde_json::to_vec(&error_body(code, message)).unwrap_or_default();
    body.push(b'\n');
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// A connection id that can be part of a URL: 1 to 128 ASCII letters, digits, `-` or `_`.
pub fn valid_connection_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A client's path as quoted in a detail sentence: a 60 KB target must not make a 60 KB log line.
pub fn shorten(path: &str) -> String {
    match path.char_indices().nth(100) {
        Some((at, _)) => format!("{}…", &path[..at]),
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_captures_are_stored_with_their_decoded_length() {
        let head = b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Topgg-Trace: t\r\n\r\n";
        let r = request(&[("transfer-encoding", "chunked"), ("x-topgg-trace", "t")], head);
        let raw = r.to_raw();
        assert_eq!(raw, b"POST /webhooks/1 HTTP/1.1\r\nx-topgg-trace: t\r\nContent-Length: 2\r\n\r\n{}");
    }

    #[test]
    fn a_head_seen_whole_is_kept_as_it_arrived() {
        let head = b"POST /webhooks/1 HTTP/1.1\r\nX-Topgg-Trace: t\r\nContent-Length: 2\r\n\r\n";
        let r = request(&[("x-topgg-trace", "t"), ("content-length", "2")], head);
        assert_eq!(r.to_raw(), [&head[..], b"{}"].concat());
    }

    #[test]
    fn a_head_that_is_not_the_requests_is_written_out_again() {
        // An absolute-form target: hyper gives the path, the head holds the whole URL.
        let head = b"POST http://x/webhooks/1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
        let r = request(&[("content-length", "2")], head);
        assert_eq!(r.to_raw(), b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
    }

    fn request(headers: &[(&'static str, &'static str)], head: &'static [u8]) -> Request {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        Request {
            method: "POST".into(),
            target: "/webhooks/1".into(),
            headers: map,
            body: Bytes::from_static(b"{}"),
            started: Instant::now(),
            head: Some(Bytes::from_static(head)),
        }
    }
}
