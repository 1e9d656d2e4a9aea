//! Load mode (`simulate vote --count N`) against raw std::net peers on 127.0.0.1:0 that answer in
//! ways a careful client must survive: interim 1xx answers before the final one, a body that never
//! ends, a head that never ends. Memory and time stay bounded, and the summary says what happened.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use crate::common::cmd;

const SECRET: &str = "whs_0123456789abcdef0123456789abcdef";

/// What the peer writes after each request it reads.
#[derive(Clone, Copy)]
enum Script {
    /// These bytes, then wait for the next request on the same connection.
    Answer(&'static [u8]),
    /// These bytes, then `filler` over and over until the client goes away (or 256 MiB).
    Endless(&'static [u8], u8),
}

/// Reads one request (head and Content-Length body); `false` when the client closed.
fn read_request(s: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut byte) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        match s.read(&mut byte) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    }
    true
}

/// Starts the peer; returns its URL.
fn peer(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                while read_request(&mut s) {
                    match script {
                        Script::Answer(bytes) => {
                            if s.write_all(bytes).is_err() {
                                return;
                            }
                        }
                        Script::Endless(start, filler) => {
                            let block = [filler; 16 * 1024];
                            if s.write_all(start).is_err() {
                                return;
                            }
                            for _ in 0..16 * 1024 {
                                if s.write_all(&block).is_err() {
                                    return;
                                }
                            }
                            return;
                        }
                    }
                }
            });
        }
    });
    url
}

fn load(url: &str, count: &str) -> (Option<i32>, Value, String) {
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", url, "--secret", SECRET, "--count", count])
        .args(["--concurrency", "2", "--retries", "0", "--timeout", "10s"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let summary = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), summary, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn interim_answers_are_skipped_for_the_final_status() {
    let url = peer(Script::Answer(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    ));
    let (code, summary, err) = load(&url, "4");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary["statuses"], serde_json::json!({"204": 4}), "{summary}");
    assert_eq!((summary["acknowledged"].as_u64(), summary["answers_cut"].as_u64()), (Some(4), Some(0)));
}

#[test]
fn an_endless_body_is_cut_and_its_status_kept() {
    let url = peer(Script::Endless(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", b'a'));
    let (code, summary, err) = load(&url, "3");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary["statuses"], serde_json::json!({"200": 3}), "{summary}");
    assert_eq!(summary["answers_cut"], 3, "{summary}");

    // The human summary says so.
    let out = cmd()
        .args(["simulate", "vote", "--url", &url, "--secret", SECRET, "--count", "2", "--color", "never"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 answers had a body over 8 KiB: cut there"), "{text}");

    // A single delivery (not load mode) reads a bounded amount too, and keeps the status.
    let out = cmd()
        .args(["simulate", "vote", "--url", &url, "--secret", SECRET, "--color", "never"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("acknowledged (200)"));
}

#[test]
fn an_endless_head_is_refused_in_one_sentence() {
    let url = peer(Script::Endless(b"HTTP/1.1 200 OK\r\nx-endless: ", b'a'));
    let (code, summary, err) = load(&url, "2");
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(summary["statuses"], serde_json::json!({"other": 2}), "{summary}");
    assert!(err.contains("sent an answer head over 64 KiB"), "{err}");
}
