//! Plain HTTP/1.1 without a client library, for load mode: encode a [`Request`] as bytes, and
//! parse an answer from whatever bytes have arrived so far (sans-IO, so the load engine can drive
//! it from an event loop).
//!
//! reqwest's blocking client hands every request to a background runtime thread and back, which
//! costs more CPU than the receiver under test spends answering it; load mode exists to measure
//! the receiver. Only `http://` URLs with no proxy in the environment go this way (see
//! [`eligible`]); everything else uses [`super::delivery::Client`]. Answers may use
//! `Content-Length`, chunked encoding, or end at close. Nothing here prints.

use std::io::Write;

use super::delivery::{Request, Url};

/// Whether a URL can be sent to directly: plain http, and no proxy variable set.
pub fn eligible(url: &Url) -> bool {
    let proxy_vars = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
    url.scheme() == "http" && !proxy_vars.iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Writes `req` as an HTTP/1.1 request (with `Host` and `Content-Length`) into `out`, replacing
/// what was there.
pub fn encode(req: &Request, out: &mut Vec<u8>) {
    let url = &req.url;
    out.clear();
    let _ = write!(out, "{} {}", req.method, url.path());
    if let Some(q) = url.query() {
        let _ = write!(out, "?{q}");
    }
    let _ = write!(out, " HTTP/1.1\r\nHost: {}", url.host_str().unwrap_or_default());
    if let Some(p) = url.port() {
        let _ = write!(out, ":{p}");
    }
    out.extend_from_slice(b"\r\n");
    for (n, v) in &req.headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", req.body.len());
    out.extend_from_slice(&req.body);
}

/// An answer parsed from a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

/// What the bytes so far amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    Incomplete,
    /// A whole answer.
    Done(Parsed),
    /// Not an HTTP answer.
    Invalid(String),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses an answer from `buf`; `eof` says the peer closed, which ends a body without a length.
pub fn parse_response(buf: &[u8], eof: bool) -> Progress {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return Progress::Incomplete;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let Some(status) = status_line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok()) else {
        return Progress::Invalid(format!(
            "{:?} is not an HTTP status line",
            status_line.chars().take(60).collect::<String>()
        ));
    };
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string())).collect();
    let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let mut keep_alive =
        !status_line.starts_with("HTTP/1.0") && !get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
    let rest = &buf[head_end + 4..];
    let body = if status == 204 || status == 304 || (100..200).contains(&status) {
        Vec::new()
    } else if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        match dechunk(rest) {
            Ok(Some(b)) => b,
            Ok(None) => return Progress::Incomplete,
            Err(e) => return Progress::Invalid(e),
        }
    } else if let Some(len) = get("content-length") {
        let Ok(len) = len.parse::<usize>() else {
            return Progress::Invalid(format!("Content-Length {len:?} is not a number"));
        };
        if rest.len() < len {
            return Progress::Incomplete;
        }
        rest[..len].to_vec()
    } else if eof {
        keep_alive = false;
        rest.to_vec()
    } else {
        return Progress::Incomplete;
    };
    Progress::Done(Parsed { status, headers, body, keep_alive })
}

/// Decodes a chunked body: `Ok(None)` until the last chunk and its empty line have arrived.
fn dechunk(mut rest: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(rest, b"\r\n") else { return Ok(None) };
        let line = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("chunk size {size_hex:?} is not hex"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers, if any, end with an empty line.
            return Ok(if rest.starts_with(b"\r\n") || find(rest, b"\r\n\r\n").is_some() { Some(body) } else { None });
        }
        if rest.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lengths_chunks_and_close() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for cut in 0..full.len() {
            assert_eq!(parse_response(&full[..cut], false), Progress::Incomplete, "cut at {cut}");
        }
        let Progress::Done(p) = parse_response(full, false) else { panic!() };
        assert_eq!((p.status, p.body.as_slice(), p.keep_alive), (200, &b"hello"[..], true));

        let chunked = b"HTTP/1.1 401 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(&chunked[..chunked.len() - 2], false), Progress::Incomplete);
        let Progress::Done(p) = parse_response(chunked, false) else { panic!() };
        assert_eq!((p.status, p.body.as_slice()), (401, &b"abcde"[..]));

        let close = b"HTTP/1.0 500 X\r\n\r\nboom";
        assert_eq!(parse_response(close, false), Progress::Incomplete);
        let Progress::Done(p) = parse_response(close, true) else { panic!() };
        assert_eq!((p.body.as_slice(), p.keep_alive), (&b"boom"[..], false));

        let Progress::Done(p) = parse_response(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", false) else {
            panic!()
        };
        assert!(p.body.is_empty() && !p.keep_alive);
        assert!(matches!(parse_response(b"SSH-2.0\r\n\r\n", false), Progress::Invalid(_)));
    }

    #[test]
    fn encodes_host_length_and_headers() {
        let req = Request {
            method: "POST".into(),
            url: Url::parse("http://127.0.0.1:8080/webhooks/1?a=b").unwrap(),
            headers: vec![("x-topgg-trace".into(), "t1".into())],
            body: b"{}".to_vec(),
        };
        let mut out = Vec::new();
        encode(&req, &mut out);
        assert_eq!(
            out,
            b"POST /webhooks/1?a=b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-topgg-trace: t1\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}
