//! A plain-HTTP/1.1 keep-alive connection over `std::net`, for load mode.
//!
//! reqwest's blocking client hands every request to a background runtime thread and back, which
//! costs more CPU than the receiver under test spends answering; load mode exists to measure the
//! receiver, so each worker owns one of these connections instead. It is used only for `http://`
//! URLs with no proxy configured in the environment; everything else goes through
//! [`super::delivery::Client`]. It speaks what receivers answer: `Content-Length`, chunked, or
//! read-to-close bodies. It never prints.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::delivery::{AttemptError, Client, Request, Response, Transport, Url, describe_target};

/// Whether a URL can go over a direct connection: plain http, and no proxy variable set.
pub fn eligible(url: &Url) -> bool {
    let proxy_vars = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
    url.scheme() == "http" && !proxy_vars.iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// One worker's transport: a kept-alive socket for eligible URLs, the shared client for the rest.
pub struct Direct {
    client: Client,
    timeout: Duration,
    conn: Option<(String, TcpStream)>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl Direct {
    /// A transport falling back to `client` (whose timeout it also uses).
    pub fn new(client: Client) -> Self {
        let timeout = client.timeout();
        Direct { client, timeout, conn: None, out: Vec::with_capacity(2048), buf: Vec::with_capacity(4096) }
    }

    fn connect(&self, url: &Url, deadline: Instant) -> Result<TcpStream, AttemptError> {
        let host = url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| AttemptError::Connect {
                target: describe_target(url),
                reason: format!("the name does not resolve ({e})"),
            })?
            .collect();
        let mut last = None;
        for a in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match TcpStream::connect_timeout(&a, left) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if e.kind() == io::ErrorKind::TimedOut => timeout_error(url, self.timeout),
            Some(e) => AttemptError::Connect { target: describe_target(url), reason: io_reason(&e) },
            None => timeout_error(url, self.timeout),
        })
    }

    fn encode(&mut self, req: &Request) {
        let url = &req.url;
        self.out.clear();
        let _ = write!(self.out, "{} {}", req.method, url.path());
        if let Some(q) = url.query() {
            let _ = write!(self.out, "?{q}");
        }
        let _ = write!(self.out, " HTTP/1.1\r\nHost: {}", url.host_str().unwrap_or_default());
        if let Some(p) = url.port() {
            let _ = write!(self.out, ":{p}");
        }
        self.out.extend_from_slice(b"\r\n");
        for (n, v) in &req.headers {
            let _ = write!(self.out, "{n}: {v}\r\n");
        }
        let _ = write!(self.out, "Content-Length: {}\r\n\r\n", req.body.len());
        self.out.extend_from_slice(&req.body);
    }

    /// One exchange on `stream`; `Err(None)` means the kept-alive socket was closed before any
    /// answer byte, so the request may be sent again on a fresh one.
    fn exchange(&mut self, stream: &mut TcpStream, deadline: Instant) -> Result<(Response, bool), Option<io::Error>> {
        let started = Instant::now();
        // One timeout per exchange (a system call each time would cost as much as the rest);
        // read_some checks the deadline between reads.
        stream
            .set_read_timeout(Some(deadline.saturating_duration_since(started).max(Duration::from_millis(1))))
            .map_err(Some)?;
        stream.write_all(&self.out).map_err(|_| None)?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            match read_some(stream, &mut self.buf, deadline) {
                Ok(0) if self.buf.is_empty() => return Err(None),
                Ok(0) => return Err(Some(io::Error::new(io::ErrorKind::UnexpectedEof, "the answer ended early"))),
                Ok(_) => {}
                Err(e) if self.buf.is_empty() && e.kind() != io::ErrorKind::TimedOut => return Err(None),
                Err(e) => return Err(Some(e)),
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| {
            Some(io::Error::new(io::ErrorKind::InvalidData, format!("{status_line:?} is not an HTTP status line")))
        })?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let mut keep =
            !status_line.starts_with("HTTP/1.0") && !get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let mut rest = self.buf.split_off(head_end + 4);
        let no_body = status == 204 || status == 304 || (100..200).contains(&status);
        let body = if no_body {
            Vec::new()
        } else if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
            read_chunked(stream, rest, deadline).map_err(Some)?
        } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
            while rest.len() < len {
                if read_some(stream, &mut rest, deadline).map_err(Some)? == 0 {
                    return Err(Some(io::Error::new(io::ErrorKind::UnexpectedEof, "the body ended early")));
                }
            }
            rest.truncate(len);
            rest
        } else {
            keep = false;
            while read_some(stream, &mut rest, deadline).map_err(Some)? > 0 {}
            rest
        };
        Ok((Response { status, headers, body, latency: started.elapsed() }, keep))
    }
}

impl Transport for Direct {
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError> {
        if !eligible(&req.url) {
            return self.client.send(req);
        }
        let deadline = Instant::now() + self.timeout;
        let key =
            format!("{}:{}", req.url.host_str().unwrap_or_default(), req.url.port_or_known_default().unwrap_or(80));
        self.encode(req);
        // A kept-alive socket the server closed meanwhile gets one fresh retry, as browsers do.
        for fresh in [false, true] {
            let mut stream = match self.conn.take() {
                Some((k, s)) if k == key && !fresh => s,
                _ => self.connect(&req.url, deadline)?,
            };
            match self.exchange(&mut stream, deadline) {
                Ok((resp, keep)) => {
                    if keep {
                        self.conn = Some((key, stream));
                    }
                    return Ok(resp);
                }
                Err(None) if !fresh => continue,
                Err(None) => {
                    return Err(AttemptError::Other(format!(
                        "{} closed the connection without answering",
                        describe_target(&req.url)
                    )));
                }
                Err(Some(e)) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(timeout_error(&req.url, self.timeout));
                }
                Err(Some(e)) => {
                    return Err(AttemptError::Other(format!(
                        "reading the answer from {} failed: {}",
                        describe_target(&req.url),
                        io_reason(&e)
                    )));
                }
            }
        }
        Err(timeout_error(&req.url, self.timeout))
    }
}

fn timeout_error(url: &Url, after: Duration) -> AttemptError {
    let target = format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(80));
    AttemptError::Timeout { after, target }
}

fn io_reason(e: &io::Error) -> String {
    crate::error::io_reason(e)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads what is available into `buf` before `deadline`; 0 at end of stream.
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> io::Result<usize> {
    if Instant::now() >= deadline {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
    }
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Decodes a chunked body whose first bytes are already in `rest`.
fn read_chunked(stream: &mut TcpStream, mut rest: Vec<u8>, deadline: Instant) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(&rest, b"\r\n") {
                break i;
            }
            if read_some(stream, &mut rest, deadline)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the chunked body ended early"));
            }
        };
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a chunk size is not hex"))?;
        rest.drain(..line_end + 2);
        // The last chunk is followed by optional trailers and an empty line.
        let need = if size == 0 { 2 } else { size + 2 };
        while rest.len() < need {
            if size == 0 && find(&rest, b"\r\n").is_some() {
                break;
            }
            if read_some(stream, &mut rest, deadline)? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the chunked body ended early"));
            }
        }
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&rest[..size]);
        rest.drain(..size + 2);
    }
}
