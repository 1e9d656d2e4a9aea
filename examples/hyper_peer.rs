//! A bare hyper 1.x receiver for bench/serve: the peer `topgg-int serve` is measured against.
//!
//! It does what the reference receiver's webhook path must do and nothing more: POST under
//! `/webhooks/`, `x-topgg-signature: t=<unix>,v1=<hex>` checked with HMAC-SHA256 over
//! `"{t}." + body` for one fixed secret (constant-time compare), bodies over 2 MiB refused, the
//! JSON parsed, 204. No store, no log, no history: the difference to `serve` is what those cost.
//!
//! Usage: `WEBHOOK_SECRET=whs_… TOLERANCE=0 cargo run --release --example hyper_peer [port]`.
//! Prints `{"event":"ready","port":N}` once listening on 127.0.0.1, like bench/node-receiver.js.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::net::TcpListener;

const MAX_BODY: usize = 2 * 1024 * 1024;

struct Config {
    /// The secret keyed into HMAC once; each request clones the keyed state.
    mac: Hmac<Sha256>,
    /// Seconds of clock skew accepted; 0 turns the window off (pre-signed benchmark requests).
    tolerance: i64,
}

fn answer(status: StatusCode) -> Response<Empty<Bytes>> {
    let mut r = Response::new(Empty::new());
    *r.status_mut() = status;
    r
}

/// `t` and the 32 signature bytes of `t=<digits>,v1=<64 hex>`, or `None` when malformed.
fn parse_signature(header: &[u8]) -> Option<(i64, [u8; 32])> {
    let header = std::str::from_utf8(header).ok()?;
    let (mut t, mut v1) = (None, None);
    for pair in header.split(',') {
        match pair.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let t = t.filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))?;
    let mut sig = [0u8; 32];
    hex::decode_to_slice(v1?, &mut sig).ok()?;
    Some((t.parse().ok()?, sig))
}

async fn handle(cfg: Arc<Config>, req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    if !req.uri().path().starts_with("/webhooks/") {
        return Ok(answer(StatusCode::NOT_FOUND));
    }
    if req.method() != Method::POST {
        return Ok(answer(StatusCode::METHOD_NOT_ALLOWED));
    }
    let (parts, body) = req.into_parts();
    let (Some(header), true) = (parts.headers.get("x-topgg-signature"), parts.headers.contains_key("x-topgg-trace"))
    else {
        return Ok(answer(StatusCode::UNAUTHORIZED));
    };
    let Some((t, sig)) = parse_signature(header.as_bytes()) else {
        return Ok(answer(StatusCode::BAD_REQUEST));
    };
    if cfg.tolerance > 0 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        if (now - t).abs() > cfg.tolerance {
            return Ok(answer(StatusCode::FORBIDDEN));
        }
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(answer(StatusCode::PAYLOAD_TOO_LARGE)),
    };
    let mut mac = cfg.mac.clone();
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(&body);
    if mac.verify_slice(&sig).is_err() {
        return Ok(answer(StatusCode::UNAUTHORIZED));
    }
    // Verified but unparseable is still acknowledged (protocol.md §7); the parse is the cost kept.
    let _ = serde_json::from_slice::<serde_json::Value>(&body);
    Ok(answer(StatusCode::NO_CONTENT))
}

#[tokio::main]
async fn main() {
    let Ok(secret) = std::env::var("WEBHOOK_SECRET") else {
        eprintln!("hyper_peer: set WEBHOOK_SECRET");
        std::process::exit(2);
    };
    let tolerance = std::env::var("TOLERANCE").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let Ok(mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        eprintln!("hyper_peer: the secret cannot key HMAC");
        std::process::exit(2);
    };
    let cfg = Arc::new(Config { mac, tolerance });
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hyper_peer: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(2);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!("{{\"event\":\"ready\",\"port\":{port}}}");
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors, most likely: back off instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(cfg.clone(), req));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
