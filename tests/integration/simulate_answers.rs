//! `simulate` against receivers that answer badly (endless bodies, control characters, connections
//! closed without an answer, TLS on a plain port), and what it prints and sends (the legacy query,
//! dry runs). Each receiver here is a raw TCP loop on 127.0.0.1:0 that writes exactly the bytes a
//! test gives it.

use crate::common::HANG_GUARD;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::cmd;

pub(crate) const SECRET: &str = "whs_0123456789abcdef0123456789abcdef";

/// What the raw receiver does with the n-th connection (0-based), once it has read the request.
pub(crate) type Answer = Box<dyn Fn(usize, &mut TcpStream) + Send + Sync>;

/// A receiver that reads each request whole and hands the connection to `answer`; returns its
/// base URL and the number of requests it read.
pub(crate) fn raw_server(answer: Answer) -> (String, Arc<AtomicUsize>) {
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
    let out = cmd()
        .args(["--json", "simulate", "test", "--url", &format!("{base}/w"), "--secret", SECRET, "--retries", "0"])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
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

#[test]
fn a_connection_closed_without_an_answer_is_retried_and_named() {
    let (base, count) = raw_server(Box::new(|n, s| {
        if n > 0 {
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
        // The first request: the connection is dropped unanswered.
    }));
    let out = cmd()
        .args(["simulate", "test", "--url", &format!("{base}/w"), "--secret", SECRET, "--retry-delays", "10ms"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("attempt 1") && stdout.contains("the server closed the connection without answering"),
        "{stdout}"
    );
    assert!(stdout.contains("acknowledged (204) after 2 attempts"), "{stdout}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn load_mode_against_a_dead_port_stops_after_a_few_refusals() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = cmd()
        .args(["simulate", "vote", "--url", &format!("http://127.0.0.1:{port}/w"), "--secret", SECRET])
        .args(["--count", "200", "--concurrency", "2"])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let (_, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("stopped after 3 refused connections and not one answer"), "{stderr}");
    assert!(stderr.contains("connection refused") && stderr.contains("is the receiver running there?"), "{stderr}");
}

#[test]
fn https_to_a_plain_http_port_is_named_at_once_without_retries() {
    // The first connection (the ClientHello) is held unanswered, as a server waiting for the rest
    // of a request line does; later ones are answered in plain HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let https = format!("https://{}/w", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (n, stream) in listener.incoming().flatten().enumerate() {
            if n == 0 {
                held.push(stream);
                continue;
            }
            let mut stream = stream;
            if read_request(&stream) {
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        }
    });
    let out = cmd()
        .args(["simulate", "test", "--url", &https, "--secret", SECRET, "--timeout", "500ms"])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("this port speaks plain HTTP; use http://"), "{stdout}{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("attempt 2"), "retried: {stdout}{stderr}");
    assert!(!stdout.contains("attempt 2"), "a TLS failure is not retried: {stdout}");
}

/// `openssl s_server` with a certificate from `openssl req -x509`, killed on drop; `None` when
/// there is no openssl binary.
struct OpensslServer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
    cert: std::path::PathBuf,
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl_server(openssl: &std::path::Path) -> OpensslServer {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new(openssl)
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success(), "openssl req failed");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(openssl)
        .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let server = OpensslServer { child, port, _dir: dir, cert };
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

#[test]
fn tls_errors_are_one_sentence_and_cacert_takes_a_self_signed_certificate() {
    let Some(openssl) = crate::common::require("openssl", &[]) else { return };
    let server = openssl_server(&openssl);
    let url = format!("https://127.0.0.1:{}/w", server.port);
    let out = cmd().args(["simulate", "test", "--url", &url, "--secret", SECRET, "--retries", "0"]).output().unwrap();
    let (_, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("self-signed") && stderr.contains("--cacert FILE") && stderr.contains("--insecure"),
        "{stderr}"
    );
    assert!(!stderr.contains("Other(") && !stderr.contains("CaUsedAsEndEntity"), "{stderr}");

    // With the certificate itself as --cacert the handshake goes through: what is left is that
    // s_server -www does not answer a POST.
    let out = cmd()
        .args(["simulate", "test", "--url", &url, "--secret", SECRET, "--retries", "0", "--timeout", "500ms"])
        .arg("--cacert")
        .arg(&server.cert)
        .output()
        .unwrap();
    let (_, stderr) = out_text(&out);
    assert!(!stderr.contains("TLS"), "{stderr}");
    assert!(stderr.contains("no answer from 127.0.0.1:") || stderr.contains("closed the connection"), "{stderr}");
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn replay_judges_the_window_by_the_captures_age_and_takes_from() {
    let (base, count) = raw_server(Box::new(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }));
    let dir = tempfile::tempdir().unwrap();
    let capture = |t: i64| format!("POST /w HTTP/1.1\r\nx-topgg-signature: t={t},v1={}\r\n\r\n{{}}", "ab".repeat(32));
    let fresh = dir.path().join("fresh.http");
    std::fs::write(&fresh, capture(now() - 5)).unwrap();
    let out =
        cmd().args(["simulate", "replay", fresh.to_str().unwrap(), "--url", &base, "--verbatim"]).output().unwrap();
    let (_, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("inside Top.gg's 30 s window, so acknowledging it is correct"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");

    let old = dir.path().join("old.http");
    std::fs::write(&old, capture(now() - 600)).unwrap();
    let out = cmd().args(["simulate", "replay", old.to_str().unwrap(), "--url", &base, "--verbatim"]).output().unwrap();
    let (_, stderr) = out_text(&out);
    assert!(stderr.contains("warning: the receiver acknowledged a verbatim replay signed 6"), "{stderr}");

    // --from gives the URL and, for --resign, the secret, as the --resign error suggests.
    let conn = dir.path().join("conn.json");
    let saved = serde_json::json!({"connection_id": "1", "webhook_secret": SECRET, "webhook_url": format!("{base}/w")});
    std::fs::write(&conn, saved.to_string()).unwrap();
    let out = cmd()
        .args(["simulate", "replay", old.to_str().unwrap(), "--resign", "--from", conn.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(count.load(Ordering::SeqCst), 3);

    let out = cmd().args(["simulate", "replay", old.to_str().unwrap(), "--resign", "--url", &base]).output().unwrap();
    let (_, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("--resign needs the webhook secret") && stderr.contains("--from"), "{stderr}");
    let help = cmd().args(["simulate", "replay", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--from <FILE>") && help.contains("no built-in receiver"), "{help}");
}

#[test]
fn header_adds_or_replaces_and_unset_removes_a_path() {
    let url = "http://127.0.0.1:9/w";
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", url, "--secret", SECRET, "--dry-run"])
        .args(["--header", "x-extra: 1", "--header", "X-Topgg-Trace:fixed", "--unset", "data.user.avatar_url"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let headers = v["headers"].as_object().unwrap();
    assert_eq!(headers["x-extra"], "1", "{v:#}");
    let traces: Vec<_> = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("x-topgg-trace")).collect();
    assert_eq!(traces.len(), 1, "{v:#}");
    assert_eq!(traces[0].1, "fixed");
    let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert!(body["data"]["user"].get("avatar_url").is_none() && body["data"]["user"]["id"].is_string(), "{body}");

    let out =
        cmd().args(["simulate", "vote", "--url", url, "--secret", SECRET, "--unset", "data.usr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out_text(&out).1.contains("--unset data.usr: the payload has no data.usr"), "{}", out_text(&out).1);
    let out =
        cmd().args(["simulate", "vote", "--url", url, "--secret", SECRET, "--header", "no colon"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out_text(&out).1.contains("--header \"no colon\" is not NAME:VALUE"), "{}", out_text(&out).1);
}

#[test]
fn replay_repeat_sends_duplicates_an_interval_apart() {
    let (base, count) = raw_server(Box::new(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.http");
    std::fs::write(&file, "POST /w HTTP/1.1\r\nx-topgg-trace: tr-1\r\n\r\n{}").unwrap();
    let started = Instant::now();
    let out = cmd()
        .args(["simulate", "replay", file.to_str().unwrap(), "--url", &base, "--resign", "--secret", SECRET])
        .args(["--repeat", "3", "--interval", "100ms"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(stdout.contains("replay 1/3") && stdout.contains("replay 3/3"), "{stdout}");
    let out = cmd()
        .args([
            "simulate",
            "replay",
            file.to_str().unwrap(),
            "--url",
            &base,
            "--resign",
            "--secret",
            SECRET,
            "--repeat",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn no_content(delay_first: Duration) -> Answer {
    Box::new(move |n, s| {
        if n == 0 {
            std::thread::sleep(delay_first);
        }
        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    })
}

#[test]
fn rate_reports_latency_from_the_schedule_next_to_the_plain_figure() {
    let (base, _) = raw_server(no_content(Duration::from_millis(500)));
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &format!("{base}/w"), "--secret", SECRET])
        .args(["--count", "10", "--rate", "50", "--concurrency", "1"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let plain = v["latency_ms"]["p50"].as_f64().unwrap();
    let scheduled = v["latency_from_schedule_ms"]["p50"].as_f64().unwrap();
    // Every vote after the stalled first one waited behind it: only the schedule-based figure shows it.
    assert!(plain < 100.0 && scheduled > 200.0, "plain p50 {plain} ms, from schedule {scheduled} ms: {v:#}");

    let out = cmd()
        .args(["simulate", "vote", "--url", &format!("{base}/w"), "--secret", SECRET, "--count", "3", "--rate", "100"])
        .output()
        .unwrap();
    assert!(out_text(&out).0.contains("from schedule  p50"), "{}", out_text(&out).0);
}

#[test]
fn duration_bounds_load_mode_by_time() {
    let (base, count) = raw_server(no_content(Duration::ZERO));
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &format!("{base}/w"), "--secret", SECRET])
        .args(["--duration", "400ms", "--rate", "20"])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let sent = v["sent"].as_u64().unwrap();
    assert!((6..=9).contains(&sent), "20/s for 0.4 s is 8 slots: {v:#}");
    assert_eq!(v["count"], Value::Null);
    assert_eq!(v["acknowledged"], sent);
    assert_eq!(count.load(Ordering::SeqCst) as u64, sent);
}
