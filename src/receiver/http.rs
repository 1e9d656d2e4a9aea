//! The receiver's HTTP vocabulary, shared by every other file and importing none of them: the
//! request as the endpoints see it ([`Request`]), what handling decided ([`Outcome`]), the one
//! error body (`{"error": code, "message": sentence}`) and the response builders.
//!
//! A leaf: nothing here reads a socket, touches the store or knows a route.

use std::convert::Infallible;
use std::time::Instant;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
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
    /// Headers in arrival order (names lowercase, as hyper gives them).
    pub headers: Vec<(String, String)>,
    /// The body, exact bytes (chunked bodies decoded).
    pub body: Bytes,
    /// When the request started (the first byte, or the connection's accept for its first one).
    pub started: Instant,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query string (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The request as a capture: valid HTTP as stored, so a chunked body is written whole with
    /// its decoded Content-Length and no Transfer-Encoding.
    pub fn to_capture(&self) -> Capture {
        // Capture::to_http rewrites the framing (no Transfer-Encoding, the decoded length); a
        // `Trailer` announcement would be stale over the decoded body too.
        let chunked = self.header("transfer-encoding").is_some();
        let headers =
            self.headers.iter().filter(|(n, _)| !(chunked && n.eq_ignore_ascii_case("trailer"))).cloned().collect();
        Capture { method: self.method.clone(), path: self.target.clone(), headers, body: self.body.to_vec() }
    }

    /// A captured request, as if it had arrived now (the inspector's replay).
    pub fn from_capture(c: Capture) -> Request {
        Request {
            method: c.method,
            target: c.path,
            headers: c.headers,
            body: Bytes::from(c.body),
            started: Instant::now(),
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
        let r = Request {
            method: "POST".into(),
            target: "/webhooks/1".into(),
            headers: vec![("transfer-encoding".into(), "chunked".into()), ("x-topgg-trace".into(), "t".into())],
            body: Bytes::from_static(b"{}"),
            started: Instant::now(),
        };
        let raw = r.to_capture().to_http();
        assert_eq!(raw, b"POST /webhooks/1 HTTP/1.1\r\nx-topgg-trace: t\r\nContent-Length: 2\r\n\r\n{}");
    }
}
