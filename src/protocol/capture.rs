//! Captured requests: raw HTTP/1.1 files (`serve --capture-dir` writes them, `verify --request` and
//! `inspect` read them) and their one-line JSON form for JSON Lines streams.
//!
//! A capture is the request line, the headers, a blank line and the body, with CRLF or LF line
//! endings. The body is kept byte for byte: signatures are over exact bytes. [`Curl`] is the one
//! way a request is written as a shell command (`simulate --dry-run`, the inspector's copy).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One captured HTTP request. Its JSON form is `{"method", "path", "headers": [[name, value]…],
/// "body": "<text>"}`, with `"body_b64": "<base64>"` instead of `body` when the bytes are not UTF-8
/// (a JSON string cannot hold them, and replacing them would break the signature).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CaptureJson")]
pub struct Capture {
    /// `POST`.
    pub method: String,
    /// The request target, e.g. `/webhooks/123`.
    pub path: String,
    /// Headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, exact bytes.
    pub body: Vec<u8>,
}

/// Why a capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureError {
    /// The file is empty.
    Empty,
    /// The first line is not `METHOD PATH HTTP/x.y`.
    BadRequestLine(String),
    /// A header line has no colon.
    BadHeader { line: usize, text: String },
    /// No blank line ends the headers.
    NoBlankLine,
    /// The head is not UTF-8.
    NotUtf8,
    /// `Content-Length` is not a number.
    BadContentLength(String),
    /// The body is shorter than `Content-Length` says: the capture was cut short.
    ShortBody { declared: usize, actual: usize },
    /// `Transfer-Encoding: chunked` over a body that is not chunk-encoded (stored de-chunked).
    NotChunked,
    /// Both `Transfer-Encoding` and `Content-Length`: no single reading of the body is right.
    ChunkedWithLength,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Empty => f.write_str("it is empty"),
            CaptureError::BadRequestLine(l) => {
                let shown: String = l.chars().take(60).collect();
                write!(f, "line 1 ({shown:?}) is not an HTTP request line like \"POST /path HTTP/1.1\"")
            }
            CaptureError::BadHeader { line, text } => {
                let shown: String = text.chars().take(60).collect();
                write!(f, "line {line} ({shown:?}) is not a \"Name: value\" header")
            }
            CaptureError::NoBlankLine => f.write_str("no blank line separates the headers from the body"),
            CaptureError::NotUtf8 => f.write_str("the request line or headers are not UTF-8"),
            CaptureError::BadContentLength(v) => {
                let shown: String = v.chars().take(40).collect();
                write!(f, "its Content-Length {shown:?} is not a number")
            }
            CaptureError::ShortBody { declared, actual } => write!(
                f,
                "its body is {actual} bytes, shorter than its Content-Length of {declared}: the capture was cut \
                 short, so no signature over it can be checked"
            ),
            CaptureError::NotChunked => f.write_str(
                "it says Transfer-Encoding: chunked but its body is not chunk-encoded (it was stored de-chunked); \
                 replace the header with Content-Length",
            ),
            CaptureError::ChunkedWithLength => {
                f.write_str("it has both Transfer-Encoding and Content-Length, so its body has no single reading")
            }
        }
    }
}

impl std::error::Error for CaptureError {}

impl Capture {
    /// A POST capture of `body` to `path` with these headers.
    pub fn post(path: impl Into<String>, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Capture { method: "POST".into(), path: path.into(), headers, body }
    }

    /// Parses a raw HTTP/1.1 request. When a `Content-Length` header is present and the file holds
    /// more bytes than it says (an editor's trailing newline), the body is cut to that length;
    /// [`Capture::parse_counting`] says how many bytes were left over.
    pub fn parse(raw: &[u8]) -> Result<Capture, CaptureError> {
        Capture::parse_counting(raw).map(|(capture, _)| capture)
    }

    /// [`Capture::parse`], and the bytes after the body its `Content-Length` declares: not part of
    /// the request, so a reader should say the capture holds more than the request.
    pub fn parse_counting(raw: &[u8]) -> Result<(Capture, &[u8]), CaptureError> {
        if raw.is_empty() {
            return Err(CaptureError::Empty);
        }
        let (head_end, body_start) = find_head_end(raw).ok_or(CaptureError::NoBlankLine)?;
        let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| CaptureError::NotUtf8)?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (Some(method), Some(path), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CaptureError::BadRequestLine(request_line.into()));
        };
        if method.is_empty()
            || !method.bytes().all(|b| b.is_ascii_uppercase())
            || path.is_empty()
            || !version.starts_with("HTTP/")
        {
            return Err(CaptureError::BadRequestLine(request_line.into()));
        }
        let mut headers = Vec::new();
        for (i, line) in lines.enumerate() {
            let Some((name, value)) = line.split_once(':') else {
                return Err(CaptureError::BadHeader { line: i + 2, text: line.into() });
            };
            if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
                return Err(CaptureError::BadHeader { line: i + 2, text: line.into() });
            }
            headers.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
        }
        let (body, extra) = frame_body(&headers, &raw[body_start..])?;
        Ok((Capture { method: method.into(), path: path.into(), headers, body }, extra))
    }

    /// For a capture that did not come from [`Capture::parse`] (a JSON capture object, whose body is
    /// always the decoded bytes): the body is at least as long as its `Content-Length`.
    pub fn check_length(&self) -> Result<(), CaptureError> {
        match content_length(&self.headers)? {
            Some(declared) if self.body.len() < declared => {
                Err(CaptureError::ShortBody { declared, actual: self.body.len() })
            }
            _ => Ok(()),
        }
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The raw HTTP/1.1 form, CRLF line endings, ready to write to a `.http` file. The body is
    /// stored decoded, so the framing headers are rewritten to match it: `Transfer-Encoding` is
    /// dropped and one `Content-Length` of the body's length stands where the first one was (at the
    /// end when there was none). The file is then valid HTTP as stored, and parses to the same body.
    pub fn to_http(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", self.method, self.path).as_bytes());
        let length = format!("Content-Length: {}\r\n", self.body.len());
        let mut length_written = false;
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case("transfer-encoding") {
                continue;
            }
            if n.eq_ignore_ascii_case("content-length") {
                if !length_written {
                    out.extend_from_slice(length.as_bytes());
                    length_written = true;
                }
                continue;
            }
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !length_written {
            out.extend_from_slice(length.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// The first `Content-Length`, parsed.
fn content_length(headers: &[(String, String)]) -> Result<Option<usize>, CaptureError> {
    match headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
        None => Ok(None),
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(CaptureError::BadContentLength(v.clone())),
        },
    }
}

/// The body as the headers frame it: de-chunked under `Transfer-Encoding: chunked`, cut to
/// `Content-Length` when the file holds more (an editor's trailing newline), an error when it
/// holds less; the whole rest of the file when neither header is there.
fn frame_body<'a>(headers: &[(String, String)], rest: &'a [u8]) -> Result<(Vec<u8>, &'a [u8]), CaptureError> {
    let length = content_length(headers)?;
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        if length.is_some() {
            return Err(CaptureError::ChunkedWithLength);
        }
        return dechunk(rest).map(|body| (body, &rest[rest.len()..])).ok_or(CaptureError::NotChunked);
    }
    match length {
        Some(declared) if rest.len() < declared => Err(CaptureError::ShortBody { declared, actual: rest.len() }),
        Some(declared) => Ok((rest[..declared].to_vec(), &rest[declared..])),
        None => Ok((rest.to_vec(), &rest[rest.len()..])),
    }
}

/// Decodes a chunked body (RFC 9112 §7.1): hex size lines, extensions and trailers ignored.
/// `None` when the bytes are not chunk-encoded.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_field = rest[..line_end].split(|&b| b == b';').next()?;
        if size_field.is_empty() || size_field.len() > 15 || !size_field.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let size = usize::from_str_radix(std::str::from_utf8(size_field).ok()?, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return None;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Where the head ends and the body starts: the first empty line, CRLF or LF.
fn find_head_end(raw: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\n' {
            if raw.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            // The head ends at this '\n'; the last header's own '\r' stays for the line splitter to
            // strip, so that exactly one '\r' is removed per line (found by fuzzing).
            if raw.get(i + 1) == Some(&b'\r') && raw.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

/// The JSON form, both ways: exactly one of `body` and `body_b64`.
#[derive(Serialize, Deserialize)]
struct CaptureJson {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_b64: Option<String>,
}

impl TryFrom<CaptureJson> for Capture {
    type Error = String;

    fn try_from(j: CaptureJson) -> Result<Self, String> {
        let body = match (j.body, j.body_b64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(b64)) => BASE64.decode(&b64).map_err(|_| "body_b64 is not valid base64")?,
            (Some(_), Some(_)) => return Err("it has both body and body_b64; keep one".into()),
            (None, None) => return Err("it has neither body nor body_b64".into()),
        };
        Ok(Capture { method: j.method, path: j.path, headers: j.headers, body })
    }
}

impl Serialize for Capture {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (body, body_b64) = match std::str::from_utf8(&self.body) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (None, Some(BASE64.encode(&self.body))),
        };
        CaptureJson {
            method: self.method.clone(),
            path: self.path.clone(),
            headers: self.headers.clone(),
            body,
            body_b64,
        }
        .serialize(s)
    }
}

/// A request as a curl command line, every argument single-quoted for a POSIX shell
/// ([`shell_quote`]), so any header or body text (quotes, newlines) reaches curl unchanged. The
/// body is sent with `--data-binary`, byte for byte, and left out when empty.
#[derive(Debug, Clone, Copy)]
pub struct Curl<'a> {
    /// curl's own options before the method (`-sS`), or empty.
    pub options: &'a str,
    /// The method.
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Headers, as they should be sent (already redacted where that is wanted).
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a str,
    /// One argument per line (`\` continuations), for a person to read; else one line.
    pub multiline: bool,
}

impl fmt::Display for Curl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.multiline { " \\\n  " } else { " " };
        f.write_str("curl")?;
        if !self.options.is_empty() {
            write!(f, " {}", self.options)?;
        }
        write!(f, " -X {} {}", self.method, shell_quote(self.url))?;
        for (n, v) in self.headers {
            write!(f, "{sep}-H {}", shell_quote(&format!("{n}: {v}")))?;
        }
        if !self.body.is_empty() {
            write!(f, "{sep}--data-binary {}", shell_quote(self.body))?;
        }
        Ok(())
    }
}

/// POSIX single-quoting: safe for any text, including quotes and newlines.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quotes_every_argument_for_the_shell() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        let headers = [("a".to_string(), "it's".to_string())];
        let curl =
            Curl { options: "", method: "POST", url: "http://h/x", headers: &headers, body: "{}", multiline: false };
        assert_eq!(curl.to_string(), r#"curl -X POST 'http://h/x' -H 'a: it'\''s' --data-binary '{}'"#);
        let curl = Curl { options: "-sS", multiline: true, body: "", ..curl };
        assert_eq!(curl.to_string(), "curl -sS -X POST 'http://h/x' \\\n  -H 'a: it'\\''s'");
    }

    #[test]
    fn parses_crlf_and_lf_and_round_trips() {
        let raw =
            b"POST /webhooks/1 HTTP/1.1\r\nHost: x\r\nx-topgg-signature: t=1,v1=ab\r\nContent-Length: 2\r\n\r\n{}";
        let c = Capture::parse(raw).unwrap();
        assert_eq!(c.path, "/webhooks/1");
        assert_eq!(c.header("X-TOPGG-SIGNATURE"), Some("t=1,v1=ab"));
        assert_eq!(c.body, b"{}");
        assert_eq!(Capture::parse(&c.to_http()).unwrap(), c);

        let lf = b"POST / HTTP/1.1\nA: b\n\n{\"x\":1}\n";
        let c = Capture::parse(lf).unwrap();
        assert_eq!(c.body, b"{\"x\":1}\n", "without Content-Length the body is kept whole");
    }

    #[test]
    fn json_form_keeps_non_utf8_bodies_as_base64() {
        let text = Capture::post("/w", vec![("A".into(), "b".into())], b"{\"a\":\"\xc3\xa9\"}".to_vec());
        let json = serde_json::to_value(&text).unwrap();
        assert_eq!(json["body"], "{\"a\":\"é\"}");
        assert!(json.get("body_b64").is_none());
        let binary = Capture::post("/w", vec![], b"\xff\xfe{}".to_vec());
        let json = serde_json::to_value(&binary).unwrap();
        assert_eq!((json.get("body"), json["body_b64"].as_str()), (None, Some("//57fQ==")));
        for c in [text, binary] {
            assert_eq!(serde_json::from_str::<Capture>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
        }
        for bad in ["Zg=", "Zg=a", "Z===", "Zm9v!A==", "Zg==Zg=="] {
            let j = format!(r#"{{"method":"POST","path":"/","headers":[],"body_b64":"{bad}"}}"#);
            assert!(serde_json::from_str::<Capture>(&j).unwrap_err().to_string().contains("not valid base64"), "{bad}");
        }
        let both = r#"{"method":"POST","path":"/","headers":[],"body":"","body_b64":""}"#;
        assert!(serde_json::from_str::<Capture>(both).unwrap_err().to_string().contains("both body and body_b64"));
    }

    #[test]
    fn content_length_cuts_an_editors_newline() {
        let raw = b"POST / HTTP/1.1\nContent-Length: 2\n\n{}\n";
        assert_eq!(Capture::parse(raw).unwrap().body, b"{}");
    }

    #[test]
    fn fuzz_regression_header_value_ending_in_cr_round_trips() {
        // fuzz/artifacts/capture/crash-678585823d5bc0b331fa8f44d23d439761aba90e
        let raw = b"A \x01 HTTP/0\nh:/g\nh:\0\0\0\0\0\0\n\0\0\0:\0h\0\0\0\0\0\0A \x01 H\t\t\t\t\t\t\t\t\t\t\r\t\t\t\t\t\t\t\t\t\t\n\nP/2\nh:\n 2";
        let c = Capture::parse(raw).unwrap();
        assert!(c.headers[2].1.ends_with("H\t\t\t\t\t\t\t\t\t\t\r"));
        let written = c.to_http();
        let again = Capture::parse(&written).unwrap();
        assert_eq!((&again.body, &again.headers[..3]), (&c.body, &c.headers[..3]));
        assert_eq!(again.to_http(), written);
    }

    #[test]
    fn short_bodies_and_stale_chunked_headers_are_named() {
        let short = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}";
        assert_eq!(Capture::parse(short), Err(CaptureError::ShortBody { declared: 10, actual: 2 }));
        let stale = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{\"a\":1}";
        assert_eq!(Capture::parse(stale), Err(CaptureError::NotChunked));
        let both = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n";
        assert_eq!(Capture::parse(both), Err(CaptureError::ChunkedWithLength));
        let bad = b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
        assert!(matches!(Capture::parse(bad), Err(CaptureError::BadContentLength(_))));
        let json = Capture::post("/", vec![("Content-Length".into(), "9".into())], b"{}".to_vec());
        assert_eq!(json.check_length(), Err(CaptureError::ShortBody { declared: 9, actual: 2 }));
    }

    #[test]
    fn chunked_bodies_are_decoded_and_written_back_with_a_length() {
        let raw =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n3;ext=1\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        let c = Capture::parse(raw).unwrap();
        assert_eq!(c.body, b"{\"a\":1}");
        let written = String::from_utf8(c.to_http()).unwrap();
        assert_eq!(written, "POST / HTTP/1.1\r\nX: y\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(Capture::parse(b""), Err(CaptureError::Empty));
        assert!(matches!(Capture::parse(b"hello\n\n"), Err(CaptureError::BadRequestLine(_))));
        assert!(matches!(
            Capture::parse(b"POST / HTTP/1.1\nnocolon\n\n"),
            Err(CaptureError::BadHeader { line: 2, .. })
        ));
        assert_eq!(Capture::parse(b"POST / HTTP/1.1\nA: b\n"), Err(CaptureError::NoBlankLine));
    }
}
