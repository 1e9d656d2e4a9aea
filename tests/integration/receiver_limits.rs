//! The receiver under hostile or broken clients: framing that careful parsers refuse, heads and
//! bodies over the limits, silent connections, the connection cap, TLS spoken to plain HTTP, a full
//! disk, and how `serve` stops. Raw bytes over TcpStream, answers read back as status lines.

use crate::common::HANG_GUARD;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use topgg_int::protocol::secret::Secret;
use topgg_int::receiver::{Log, Receiver, ReceiverConfig, Record};

use super::serve::{
    INTEGRATION_SECRET, Served, connect, create_body, hermetic, parse_response, post_signed, raw, receiver, request,
    start, start_with, vote_body,
};

/// Reads until the server closes, or `limit` passes; returns the bytes and whether the server
/// closed the connection (rather than the limit running out). `limit` is a hang guard, not a
/// timing claim: those live in bench/.
fn read_all(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while t.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Err(e) if !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (out, true);
            }
            Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    (out, false)
}

#[test]
fn framing_that_careful_parsers_refuse_is_refused() {
    let (r, logs) = receiver(Duration::from_secs(2));
    connect(&r, "1", "whs_frame");
    let a = r.local_addr();
    let chunked = |body: &str| {
        format!("POST /webhooks/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
            .into_bytes()
    };
    let mut nbsp = chunked("");
    nbsp.extend_from_slice(b"\xc2\xa02\r\nab\r\n0\r\n\r\n");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("well-formed chunks reach the signature check", chunked("2\r\nab\r\n0\r\n\r\n"), 401),
        ("chunk size with a plus sign", chunked("+2\r\nab\r\n0\r\n\r\n"), 400),
        ("chunk size padded with spaces", chunked(" 2 \r\nab\r\n0\r\n\r\n"), 400),
        ("chunk size after a no-break space", nbsp, 400),
        ("bare LF in a chunk extension", chunked("2;a\nb\r\nab\r\n0\r\n\r\n"), 400),
        ("bare CR in a chunk extension", chunked("2;a\rb\r\nab\r\n0\r\n\r\n"), 400),
        ("trailer without a colon", chunked("2\r\nab\r\n0\r\nnocolon\r\n\r\n"), 400),
        ("chunk data longer than its size", chunked("2\r\nabc\r\n0\r\n\r\n"), 400),
        (
            "a transfer coding other than chunked first",
            b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n".to_vec(),
            501,
        ),
        (
            "a transfer coding without chunked",
            b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "Transfer-Encoding and Content-Length together",
            b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "two different Content-Lengths",
            b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "a Content-Length that is not a number",
            b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 1x\r\n\r\na".to_vec(),
            400,
        ),
        ("a control character in a header", b"GET /health HTTP/1.1\r\nX-Trace: a\x1b[2Jb\r\n\r\n".to_vec(), 400),
        ("a request line without a version", b"GET /health\r\n\r\n".to_vec(), 400),
    ];
    for (what, bytes, status) in &cases {
        let got = raw(a, bytes).map(|r| r.status);
        assert_eq!(got.ok(), Some(*status), "{what}: {:?}", String::from_utf8_lossy(bytes));
    }
    assert_eq!(post_signed(a, "/webhooks/1", "whs_frame", &vote_body("f1")).status, 204, "still serving");
    // Logged by the journal, after the answers.
    r.store().flush();
    let logs = logs.lock().unwrap();
    assert!(logs.iter().filter(|l| l.status == 400).count() >= 12, "every refusal has its log line");
    assert!(logs.iter().any(|l| l.verdict == "unsupported-encoding" && l.status == 501));
}

#[test]
fn an_oversized_head_is_431() {
    let (r, _) = receiver(Duration::from_secs(2));
    let a = r.local_addr();
    let long = format!("GET /health HTTP/1.1\r\nX-Long: {}\r\n\r\n", "a".repeat(70 * 1024));
    assert_eq!(raw(a, long.as_bytes()).unwrap().status, 431);
    let many: String = (0..300).map(|i| format!("X-{i}: a\r\n")).collect();
    assert_eq!(raw(a, format!("GET /health HTTP/1.1\r\n{many}\r\n").as_bytes()).unwrap().status, 431);
    // 60 KiB of head is within the limit.
    let fits = format!("GET /health HTTP/1.1\r\nConnection: close\r\nX-Long: {}\r\n\r\n", "a".repeat(60 * 1024));
    assert_eq!(raw(a, fits.as_bytes()).unwrap().status, 200);
}

#[test]
fn a_client_still_sending_an_oversized_body_reads_its_413() {
    let (r, _) = receiver(Duration::from_secs(5));
    let a = r.local_addr();
    for chunked in [false, true] {
        // Far more than the receiver discards while lingering (8 MiB) plus what loopback's socket
        // buffers hold, so a receiver that reads it all is told apart from one that stops.
        let size = 64 * 1024 * 1024;
        let mut s = TcpStream::connect(a).unwrap();
        let head = if chunked {
            "POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
        } else {
            format!("POST /webhooks/1 HTTP/1.1\r\nContent-Length: {size}\r\n\r\n")
        };
        s.write_all(head.as_bytes()).unwrap();
        let mut w = s.try_clone().unwrap();
        // The body goes on being written while the answer is read: the answer must arrive
        // before the connection closes, and the close must not reset it away.
        let writer = std::thread::spawn(move || {
            let piece = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                let ok = if chunked {
                    w.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                        .and_then(|_| w.write_all(&piece))
                        .and_then(|_| w.write_all(b"\r\n"))
                } else {
                    w.write_all(&piece)
                };
                if ok.is_err() {
                    break;
                }
                sent += piece.len();
            }
            sent
        });
        // Read late, as a busy client would: a reset arriving first would discard the answer.
        std::thread::sleep(Duration::from_millis(300));
        let (out, closed) = read_all(&mut s, Duration::from_secs(10));
        let resp = parse_response(&out).unwrap_or_else(|e| panic!("chunked={chunked}: {e}"));
        assert_eq!(resp.status, 413, "chunked={chunked}");
        assert!(resp.body.starts_with(b"{\"error\":\"too-large\""), "{:?}", String::from_utf8_lossy(&resp.body));
        assert!(closed, "chunked={chunked}: the connection stayed open after the 413");
        let sent = writer.join().unwrap();
        assert!(sent < size, "the receiver should stop reading long before 64 MiB (the client sent {sent})");
    }
}

#[test]
fn a_tls_client_hello_is_closed_at_once() {
    let (r, _) = receiver(Duration::from_secs(5));
    let mut s = TcpStream::connect(r.local_addr()).unwrap();
    // The start of a TLS 1.2 ClientHello record: handshake, version 3.1, length, client_hello.
    let mut hello = vec![0x16, 0x03, 0x01, 0x00, 0xf8, 0x01, 0x00, 0x00, 0xf4, 0x03, 0x03];
    hello.extend_from_slice(&[0u8; 64]);
    s.write_all(&hello).unwrap();
    let (out, closed) = read_all(&mut s, Duration::from_secs(10));
    assert!(closed, "the connection stayed open");
    if !out.is_empty() {
        assert_eq!(parse_response(&out).unwrap().status, 400);
    }
}

#[test]
fn a_thousand_silent_connections_do_not_hold_up_a_delivery() {
    topgg_int::receiver::process::raise_open_files_limit();
    let (r, _) = receiver(Duration::from_secs(10));
    connect(&r, "1", "whs_silent");
    let a = r.local_addr();
    let silent: Vec<TcpStream> = (0..1000).map(|_| TcpStream::connect(a).unwrap()).collect();
    // Answered at all while the silent ones hold their slots (how fast is bench/attack's job).
    for i in 0..5 {
        let resp = post_signed(a, "/webhooks/1", "whs_silent", &vote_body(&format!("s{i}")));
        assert_eq!(resp.status, 204);
    }
    drop(silent);
}

#[test]
fn at_the_connection_cap_the_oldest_idle_connection_makes_room() {
    let mut config = ReceiverConfig::ephemeral(Secret::new(INTEGRATION_SECRET)).unwrap();
    config.max_connections = 3;
    let (r, logs) = {
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let l = logs.clone();
        let r = Receiver::start(config, Log::each(move |rec: &Record| l.lock().unwrap().push(rec.clone()))).unwrap();
        (r, logs)
    };
    let a = r.local_addr();
    let wait_open = |n: usize| {
        let until = Instant::now() + HANG_GUARD;
        while r.stats().open != n {
            assert!(Instant::now() < until, "{:?}", r.stats());
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    // Three silent sockets fill the cap; a real request still gets in, in place of the oldest.
    let mut held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(a).unwrap()).collect();
    wait_open(3);
    let resp = request(a, "GET", "/health", &[], b"").unwrap();
    assert_eq!(resp.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert!(health["connections"]["reclaimed"].as_u64().unwrap() >= 1, "{health}");
    let (out, _) = read_all(&mut held[0], Duration::from_secs(3));
    assert!(out.is_empty(), "the oldest silent socket was closed quietly: {:?}", String::from_utf8_lossy(&out));
    drop(held);

    // Idle keep-alive connections are taken before incomplete heads.
    wait_open(0);
    let mut partial = TcpStream::connect(a).unwrap();
    partial.write_all(b"POST /webhooks/1 HTTP/1.1\r\nHost").unwrap();
    wait_open(1);
    let mut keep_alive = TcpStream::connect(a).unwrap();
    keep_alive.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    assert!(keep_alive.read(&mut buf).unwrap() > 0, "answered, and kept alive");
    let third = TcpStream::connect(a).unwrap();
    wait_open(3);
    assert_eq!(request(a, "GET", "/health", &[], b"").unwrap().status, 200, "at the cap, still answered");
    let (out, _) = read_all(&mut keep_alive, Duration::from_secs(3));
    assert!(out.is_empty(), "the idle keep-alive connection went first");
    partial.write_all(b": t\r\n\r\n").unwrap();
    let (out, _) = read_all(&mut partial, Duration::from_secs(3));
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 404"), "the incomplete head was kept: {out:?}");
    drop((third, partial));

    // Only when every connection is mid-request is a new one closed at once.
    wait_open(0);
    let busy: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(a).unwrap();
            s.write_all(b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 100\r\n\r\n{").unwrap();
            s
        })
        .collect();
    wait_busy(&r, 3);
    let mut extra = TcpStream::connect(a).unwrap();
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\n\r\n");
    let (out, closed) = read_all(&mut extra, Duration::from_secs(10));
    assert!(out.is_empty() && closed, "closed {closed}: {:?}", String::from_utf8_lossy(&out));
    drop(busy);
    // Reclaimed and silent sockets are never log lines or history rows.
    r.store().flush();
    assert!(logs.lock().unwrap().iter().all(|l| l.status != 408), "{:?}", logs.lock().unwrap());
}

/// Waits until `n` requests are in the service.
fn wait_busy(r: &Receiver, n: usize) {
    let until = Instant::now() + HANG_GUARD;
    while r.stats().busy != n {
        assert!(Instant::now() < until, "{:?}", r.stats());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn silent_sockets_and_idle_keep_alive_closes_are_counted_not_logged() {
    let (r, logs) = receiver(Duration::from_millis(200));
    let a = r.local_addr();
    let mut silent: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(a).unwrap()).collect();
    for s in &mut silent {
        let (out, _) = read_all(s, Duration::from_secs(3));
        assert_eq!(parse_response(&out).unwrap().status, 408, "a silent socket still reads its 408");
    }
    let mut keep = TcpStream::connect(a).unwrap();
    keep.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let (out, _) = read_all(&mut keep, Duration::from_secs(3));
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
    let health: serde_json::Value =
        serde_json::from_slice(&request(a, "GET", "/health", &[], b"").unwrap().body).unwrap();
    assert!(health["connections"]["idle_closed"].as_u64().unwrap() >= 6, "{health}");
    r.store().flush();
    let logged = logs.lock().unwrap().clone();
    assert!(logged.iter().all(|l| l.status != 408), "no 408 log line for a socket that sent nothing: {logged:?}");
    let rows = r.store().history(&Default::default()).unwrap();
    assert!(rows.iter().all(|e| e.status != 408), "and no history row");
    assert_eq!(rows.len(), 2, "the two /health requests only");
}

fn signal(s: &Served, sig: &str) {
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args([sig, &pid]).status().unwrap().success());
}

/// Everything serve wrote on stderr, once it has said `needle` (its pipe is read by a thread).
fn stderr_once(s: &Served, needle: &str) -> String {
    let until = Instant::now() + HANG_GUARD;
    while !s.stderr.lock().unwrap().contains(needle) {
        assert!(Instant::now() < until, "no {needle:?} on stderr: {}", s.stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
    s.stderr.lock().unwrap().clone()
}

fn wait_exit(s: &mut Served) -> std::process::ExitStatus {
    let until = Instant::now() + HANG_GUARD;
    loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < until, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("5", "whs_t")).status, 200);
    let body = vote_body("t1");
    let head = format!(
        "POST /webhooks/5 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nContent-Length: {}\r\n\r\n",
        super::serve::sign("whs_t", &body),
        body.len()
    );
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&body[..10]).unwrap();
    s.logs(1);
    signal(&s, "-TERM");
    // The listener closes as the stop begins: from then on the request is one in flight.
    let until = Instant::now() + HANG_GUARD;
    while TcpStream::connect(s.addr).is_ok() {
        assert!(Instant::now() < until, "serve kept accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.write_all(&body[10..]).unwrap();
    let (out, _) = read_all(&mut c, Duration::from_secs(5));
    assert_eq!(parse_response(&out).unwrap().status, 204, "the request in flight was answered");
    let status = wait_exit(&mut s);
    assert_eq!(status.code(), Some(0));
    let err = stderr_once(&s, "stopped");
    assert!(err.lines().any(|l| l == "stopped"), "{err}");
    assert!(!err.contains("error"), "{err}");
}

#[cfg(unix)]
#[test]
fn sigint_says_stopped_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    signal(&s, "-INT");
    assert_eq!(wait_exit(&mut s).code(), Some(130));
    let err = stderr_once(&s, "stopped");
    assert!(err.lines().any(|l| l == "stopped"), "{err}");
    assert!(!err.contains("error: interrupted"), "{err}");
}

#[test]
fn an_unusable_data_dir_is_refused_at_start() {
    let file = tempfile::NamedTempFile::new().unwrap();
    for dir in [std::path::Path::new("/proc/1"), file.path()] {
        for extra in [&["--integration-secret", "whs_s"][..], &[]] {
            let out = super::serve::serve_command(dir, extra).stdin(Stdio::null()).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{}", dir.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err}");
            assert!(err.contains(&dir.display().to_string()), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_answers_500_and_keeps_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    // A file-size limit stands in for a full disk: writes past 150 KiB fail (SIGXFSZ is ignored,
    // so serve gets EFBIG rather than being killed), as they would on a full file system.
    let mut sh = Command::new("sh");
    let bin = assert_cmd::cargo::cargo_bin!("topgg-int");
    let mut serve = hermetic();
    serve
        .args(["--json", "serve", "--port", "0", "--integration-secret", INTEGRATION_SECRET, "--data-dir"])
        .arg(dir.path());
    sh.arg("-c").arg("ulimit -f 300 && exec \"$0\" \"$@\"").arg(bin).args(serve.get_args());
    sh.env_clear().envs(serve.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))));
    let mut s = start_with(sh);
    let mut acked = Vec::new();
    let long_secret = format!("whs_{}", "k".repeat(200));
    let full = loop {
        let id = format!("{}", 900 + acked.len());
        let r = post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body(&id, &long_secret));
        if r.status != 200 {
            break r;
        }
        acked.push(id);
        assert!(acked.len() < 2000, "the file-size limit never bit");
    };
    assert_eq!(full.status, 500, "{:?}", String::from_utf8_lossy(&full.body));
    assert_eq!(full.json()["error"], "store-failed");
    assert!(!acked.is_empty());
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").unwrap().status, 200, "still serving");
    signal(&s, "-TERM");
    wait_exit(&mut s);
    drop(s);

    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(s.ready["connections"], acked.len(), "every acknowledged create was kept, nothing more");
    let last = acked.last().unwrap();
    let r = post_signed(s.addr, &format!("/webhooks/{last}"), &long_secret, &vote_body("d1"));
    assert_eq!(r.status, 204);
}

#[test]
fn a_receiver_can_be_stopped_from_inside_a_callers_runtime() {
    // The receiver owns its runtime; a caller with one of its own (an async inspector, a test)
    // must still be able to start, use and drop it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (r, _) = receiver(Duration::from_secs(2));
        let a = r.local_addr();
        let health = tokio::task::spawn_blocking(move || request(a, "GET", "/health", &[], b"").unwrap().status);
        assert_eq!(health.await.unwrap(), 200);
        drop(r);
    });
}

#[cfg(target_os = "linux")]
#[test]
fn serve_raises_its_open_files_limit_and_says_when_the_cap_is_over_it() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct passed in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let hard = lim.rlim_max;
    let run = |cap: String| {
        let dir = tempfile::tempdir().unwrap();
        let mut serve = hermetic();
        serve
            .args(["--json", "serve", "--port", "0", "--integration-secret", INTEGRATION_SECRET])
            .args(["--max-connections", &cap, "--data-dir"])
            .arg(dir.path());
        // Start from a low soft limit, as many machines do (1,024); the hard limit stays.
        let mut sh = Command::new("sh");
        sh.arg("-c").arg("ulimit -Sn 256 && exec \"$0\" \"$@\"").arg(assert_cmd::cargo::cargo_bin!("topgg-int"));
        sh.args(serve.get_args()).env_clear();
        sh.envs(serve.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))));
        let mut s = start_with(sh);
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", s.child.id())).unwrap();
        let soft: String = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .unwrap()
            .to_string();
        signal(&s, "-TERM");
        wait_exit(&mut s);
        (soft, stderr_once(&s, "stopped"))
    };
    let (soft, err) = run("100".into());
    assert_eq!(soft, hard.to_string(), "the soft limit was raised to the hard one");
    assert!(!err.contains("open-files limit"), "{err}");
    if hard >= u64::from(u32::MAX) {
        return; // no finite limit a cap could be over
    }
    let (_, err) = run((hard + 1).to_string());
    assert!(err.contains(&format!("over the open-files limit of {hard}")), "{err}");
}

#[test]
fn a_chunked_request_is_captured_as_valid_http_with_its_decoded_length() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ReceiverConfig::ephemeral(Secret::new(INTEGRATION_SECRET)).unwrap();
    config.capture_dir = Some(dir.path().to_path_buf());
    let r = Receiver::start(config, Log::none()).unwrap();
    connect(&r, "1", "whs_cap");
    let body = vote_body("c1");
    let (x, y) = body.split_at(7);
    let mut req = format!(
        "POST /webhooks/1 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        super::serve::sign("whs_cap", &body)
    )
    .into_bytes();
    for part in [x, y] {
        req.extend_from_slice(format!("{:x};ext=1\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\nx-trailer: 1\r\n\r\n");
    assert_eq!(raw(r.local_addr(), &req).unwrap().status, 204);
    r.shutdown();
    let file = dir.path().join("000002-vote.create.http");
    let stored = std::fs::read(&file).unwrap();
    let c = topgg_int::protocol::capture::Capture::parse(&stored).unwrap();
    assert_eq!(c.body, body, "the decoded body, whole");
    assert_eq!(c.header("content-length"), Some(body.len().to_string().as_str()));
    assert_eq!(c.header("transfer-encoding"), None);
    assert!(stored.ends_with(&body), "nothing after the body: {:?}", String::from_utf8_lossy(&stored));
}

#[test]
fn clients_dripping_bytes_do_not_hold_up_deliveries() {
    topgg_int::receiver::process::raise_open_files_limit();
    let (r, _) = receiver(Duration::from_secs(10));
    connect(&r, "1", "whs_drip");
    let a = r.local_addr();
    let mut drips: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = TcpStream::connect(a).unwrap();
            let start: &[u8] = if i % 2 == 0 {
                b"POST /webhooks/1 HTTP/1.1\r\nX-Slow: "
            } else {
                b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 999\r\n\r\n"
            };
            s.write_all(start).unwrap();
            s
        })
        .collect();
    // Every delivery is answered while 300 clients drip (the latency figures are bench/attack's).
    for i in 0..20 {
        for d in &mut drips {
            let _ = d.write_all(b"a");
        }
        let resp = post_signed(a, "/webhooks/1", "whs_drip", &vote_body(&format!("d{i}")));
        assert_eq!(resp.status, 204);
    }
}

/// A spawned serve that is killed however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `n` pipelined `GET /health` on one connection, `batch` at a time; returns the 200s read.
fn health_burst(addr: std::net::SocketAddr, n: usize, batch: usize) -> usize {
    let mut s = TcpStream::connect(addr).unwrap();
    // A hang guard, not a timing claim: a loaded 2-core machine can stall a reader for seconds.
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let one = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut ok = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending = Vec::new();
    while ok < n {
        let k = batch.min(n - ok);
        s.write_all(&one.repeat(k)).unwrap();
        let want = ok + k;
        while ok < want {
            let got = s.read(&mut buf).unwrap();
            assert!(got > 0, "closed after {ok} answers");
            pending.extend_from_slice(&buf[..got]);
            let text = b"HTTP/1.1 200 OK";
            while let Some(at) = pending.windows(text.len()).position(|w| w == text) {
                ok += 1;
                pending.drain(..at + text.len());
            }
        }
    }
    ok
}

#[test]
fn a_stdout_that_stops_reading_does_not_stop_serve() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = KillOnDrop(
        super::serve::serve_command(dir.path(), &["--integration-secret", INTEGRATION_SECRET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (e, mut pipe) = (stderr.clone(), child.0.stderr.take().unwrap());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            e.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    // Read the ready line, then nothing more: the pipe fills, then serve's log queue.
    let mut out = child.0.stdout.take().unwrap();
    let mut ready = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        ready.push(byte[0]);
    }
    let ready: serde_json::Value = serde_json::from_slice(&ready).unwrap();
    let addr: std::net::SocketAddr = ready["listen"].as_str().unwrap().parse().unwrap();
    let bursts: Vec<_> = (0..4).map(|_| std::thread::spawn(move || health_burst(addr, 3000, 100))).collect();
    for b in bursts {
        assert_eq!(b.join().unwrap(), 3000, "every request answered while stdout is stalled");
    }
    assert_eq!(post_signed(addr, "/integration", INTEGRATION_SECRET, &create_body("2", "whs_o")).status, 200);
    // Once stdout is read again, serve says what it dropped.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let until = Instant::now() + HANG_GUARD;
    while !stderr.lock().unwrap().contains("log lines dropped") {
        assert!(Instant::now() < until, "no drop note: {}", stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(child);
}

#[cfg(unix)]
#[test]
fn sigterm_ends_serve_even_while_stdout_is_stalled() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = KillOnDrop(
        super::serve::serve_command(dir.path(), &["--integration-secret", INTEGRATION_SECRET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = child.0.stdout.take().unwrap();
    let mut ready = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        ready.push(byte[0]);
    }
    let ready: serde_json::Value = serde_json::from_slice(&ready).unwrap();
    let addr: std::net::SocketAddr = ready["listen"].as_str().unwrap().parse().unwrap();
    assert_eq!(health_burst(addr, 10_000, 100), 10_000);
    let pid = child.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let until = Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < until, "serve hung on its stalled stdout");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    drop(out);
}

#[test]
fn large_bodies_share_a_memory_budget_and_small_deliveries_never_wait_for_it() {
    let mut config = ReceiverConfig::ephemeral(Secret::new(INTEGRATION_SECRET)).unwrap();
    config.body_budget = 3 * 1024 * 1024;
    let r = Receiver::start(config, Log::none()).unwrap();
    connect(&r, "1", "whs_budget");
    let a = r.local_addr();
    let two_mib = 2 * 1024 * 1024;
    let head = format!("POST /integration HTTP/1.1\r\nConnection: close\r\nContent-Length: {two_mib}\r\n\r\n");
    // One large body in flight holds 2 MiB of the 3.
    let mut holding = TcpStream::connect(a).unwrap();
    holding.write_all(head.as_bytes()).unwrap();
    holding.write_all(&vec![b' '; 1024]).unwrap();
    let mut second = head.clone().into_bytes();
    second.extend(std::iter::repeat_n(b' ', two_mib));
    // Until the receiver has read the first head it has not taken its share: a second large body
    // goes through (401, unsigned). Once it has, the second is refused.
    let until = Instant::now() + HANG_GUARD;
    let busy = loop {
        // A refusal can come while the 2 MiB are still being written: the reset that follows
        // loses the answer, so that attempt is simply made again.
        match raw(a, &second) {
            Ok(resp) if resp.status != 401 => break resp,
            Ok(resp) if Instant::now() > until => break resp,
            Ok(_) => {}
            Err(e) => assert!(Instant::now() < until, "no answer to a second large body: {e}"),
        }
    };
    assert_eq!(busy.status, 503, "{:?}", String::from_utf8_lossy(&busy.body));
    // A delivery is small: it does not need the budget.
    assert_eq!(post_signed(a, "/webhooks/1", "whs_budget", &vote_body("b1")).status, 204);
    // Once the first body is read and answered, its share is given back.
    holding.write_all(&vec![b' '; two_mib - 1024]).unwrap();
    let (out, _) = read_all(&mut holding, Duration::from_secs(5));
    assert_eq!(parse_response(&out).unwrap().status, 401);
    assert_eq!(raw(a, &second).unwrap().status, 401, "the budget was given back");
}
