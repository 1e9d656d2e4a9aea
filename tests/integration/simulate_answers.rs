//! `simulate` against receivers that answer badly (endless bodies, control characters, connections
//! closed without an answer, TLS on a plain port), and what it prints and sends (the legacy query,
//! dry runs). Each receiver here is a raw TCP loop on 127.0.0.1:0 that writes exactly the bytes a
//! test gives it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::cmd;

const SECRET: &str = "whs_0123456789abcdef0123456789abcdef";

/// What the raw receiver does with the n-th connection (0-based), once it has read the request.
type Answer = Box<dyn Fn(usize, &mut TcpStream) + Send + Sync>;

/// A receiver that reads each request whole and hands the connection to `answer`; returns its
/// base URL and the number of requests it read.
fn raw_server(answer: Answer) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = Arc::clone(&answer);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut stream = stream;
                if read_request(&stream) {
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    answer(n, &mut stream);
                }
            });
        }
    });
    (base, count)
}

fn read_request(stream: &TcpStream) -> bool {
    let mut r = BufReader::new(stream);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).is_ok()
}

/// Writes a head and then 64 KiB chunks until the client goes away.
fn endless(status: u16) -> Answer {
    Box::new(move |_, s| {
        let _ =
            write!(s, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{{\"a\":\"");
        let chunk = vec![b'a'; 64 * 1024];
        while s.write_all(&chunk).is_ok() {}
    })
}

fn out_text(o: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn an_endless_answer_is_cut_and_said_so() {
    let (base, _) = raw_server(endless(500));
    let started = Instant::now();
    let out = cmd()
        .args(["--json", "simulate", "test", "--url", &format!("{base}/w"), "--secret", SECRET, "--retries", "0"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    let v: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["attempts"][0]["status"], 500);
    assert_eq!(v["attempts"][0]["response_truncated"], true, "{v:#}");

    let out = cmd()
        .args(["simulate", "test", "--url", &format!("{base}/w"), "--secret", SECRET, "--retries", "0", "-v"])
        .output()
        .unwrap();
    let (stdout, _) = out_text(&out);
    assert!(
        stdout.contains("response body (cut after 1048576 bytes; the receiver sent more, not read):"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );

    // The handshake answer is cut at the same 1 MiB, and that is named as the failure.
    let (base, _) = raw_server(endless(200));
    let out = cmd()
        .args(["simulate", "create", "--url", &format!("{base}/i"), "--integration-secret", SECRET])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(format!("{stdout}{stderr}").contains("goes on past 1024 KiB (reading stopped there)"), "{stdout}{stderr}");
}

#[test]
fn verbose_escapes_the_receivers_control_characters() {
    let (base, _) = raw_server(Box::new(|_, s| {
        let body = "ok \x1b]0;pwned\x07 \x1b[2J \u{9b}31m done";
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    }));
    let out =
        cmd().args(["simulate", "test", "--url", &format!("{base}/w"), "--secret", SECRET, "-v"]).output().unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains('\x1b') && !stdout.contains('\x07') && !stdout.contains('\u{9b}'), "{stdout:?}");
    assert!(stdout.contains("ok \\u{1b}]0;pwned\\u{7} \\u{1b}[2J \\u{9b}31m done"), "{stdout}");
}

#[test]
fn the_legacy_query_string_is_percent_encoded() {
    let (base, _) = raw_server(Box::new(|_, _| {}));
    let out = cmd()
        .args(["--json", "simulate", "vote", "--legacy", "--url", &format!("{base}/legacy"), "--secret", "s3cret"])
        .args(["--query", "c=a b&d=1", "--query", "e f=é", "--dry-run"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["query"], "?c=a%20b%26d%3D1&e%20f=%C3%A9");
}

#[test]
fn dry_run_masking_leaves_the_body_intact_when_the_secret_is_short() {
    let out = cmd()
        .args([
            "--json",
            "simulate",
            "vote",
            "--legacy",
            "--url",
            "http://127.0.0.1:9/legacy",
            "--secret",
            "e",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "upvote", "{body}");
    assert!(body["isWeekend"].is_boolean(), "{body}");
    assert_eq!(v["headers"]["Authorization"], "…", "{v:#}");
}
