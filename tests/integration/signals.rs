//! One stop for every command that waits: SIGINT (Ctrl-C) and SIGTERM reach `serve`, load mode
//! (against the built-in receiver and against `serve`), a single delivery's retry wait and the
//! `--inspect` hold through the same cancellation (check's are in check.rs). `serve` and load mode
//! exit 130 on Ctrl-C and 0 on SIGTERM (a service manager's stop); a retry wait ends at once; after
//! `--inspect` either one ends the hold and the run's own verdict stands. Each signal is sent once
//! the command has said it is ready (a line it prints after its handlers are in place), never after
//! a fixed sleep.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// A running `topgg-int`, killed if a test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str], home: &std::path::Path) -> Running {
    let child = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Running(child)
}

/// Reads `stream` line by line until one starts with `prefix`; the rest is drained on a thread
/// (so the command never blocks on a full pipe) and handed back when the command closes it.
fn wait_for_line(stream: impl Read + Send + 'static, prefix: &str) -> std::thread::JoinHandle<String> {
    let mut lines = BufReader::new(stream);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            lines.read_line(&mut line).unwrap() > 0,
            "no line starting {prefix:?} before the stream closed: {seen}"
        );
        seen.push_str(&line);
        if line.starts_with(prefix) {
            break;
        }
    }
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = lines.read_to_string(&mut rest);
        seen + &rest
    })
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
}

/// Starts `args`, waits for the line starting `ready` on stderr (or stdout), sends `sig`, and
/// returns the exit code, stdout and stderr.
fn stop_after(args: &[&str], ready_on_stdout: bool, ready: &str, sig: libc::c_int) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut run = spawn(args, home.path());
    let (out, err) = (run.0.stdout.take().unwrap(), run.0.stderr.take().unwrap());
    let drain = |s: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(s).read_to_string(&mut text);
            text
        })
    };
    let (out, err) = if ready_on_stdout {
        (wait_for_line(out, ready), drain(Box::new(err)))
    } else {
        (drain(Box::new(out)), wait_for_line(err, ready))
    };
    signal(&run.0, sig);
    let code = run.0.wait().unwrap().code();
    (code, out.join().unwrap(), err.join().unwrap())
}

#[test]
fn serve_ends_130_on_ctrl_c_and_0_on_sigterm() {
    for (sig, expect) in [(libc::SIGINT, 130), (libc::SIGTERM, 0)] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let args = ["serve", "--port", "0", "--integration-secret", "whs_signals", "--data-dir", data];
        let (code, out, err) = stop_after(&args, true, "config URL ", sig);
        assert_eq!(code, Some(expect), "signal {sig}: {err}");
        assert!(out.starts_with("config URL http://127.0.0.1:"), "{out}");
        assert!(err.lines().any(|l| l == "stopped"), "signal {sig}: {err}");
    }
}

#[test]
fn load_mode_ends_130_on_ctrl_c_and_0_on_sigterm_with_its_report() {
    // Paced far below what the run could do, so it is still sending when the signal comes.
    let args = ["simulate", "vote", "--count", "1000000", "--rate", "100"];
    for (sig, expect) in [(libc::SIGINT, 130), (libc::SIGTERM, 0)] {
        let (code, out, err) = stop_after(&args, false, "sending 1000000 × vote.create", sig);
        assert_eq!(code, Some(expect), "signal {sig}: {out}\n{err}");
        assert!(out.contains("vote.create × "), "the report of what was sent: {out}");
        // The summary's last line (the built-in connection's creation has one of its own before).
        let acked = out.lines().rfind(|l| l.trim_start().starts_with("acknowledged ")).expect(&out);
        if sig == libc::SIGTERM {
            // Ended as if its time were up: what was sent is what was expected.
            let (a, b) = acked.trim().trim_start_matches("acknowledged ").split_once('/').unwrap();
            assert_eq!(a, b, "{out}");
        } else {
            assert!(err.contains("error: interrupted"), "{err}");
        }
    }
}

#[test]
fn load_mode_against_serve_ends_130_on_ctrl_c_and_0_on_sigterm() {
    let (home, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let data_dir = data.path().to_str().unwrap();
    let secret = "whs_signals_load";
    let mut serve =
        spawn(&["serve", "--port", "0", "--integration-secret", secret, "--data-dir", data_dir], home.path());
    let mut lines = BufReader::new(serve.0.stdout.take().unwrap());
    let mut ready = String::new();
    lines.read_line(&mut ready).unwrap();
    let config_url = ready.trim().strip_prefix("config URL ").expect(&ready).to_string();
    // serve's log and banner, drained so it never has to drop them.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let mut err = serve.0.stderr.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let conn = data.path().join("conn.json");
    let conn = conn.to_str().unwrap();
    let created = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .env("HOME", home.path())
        .args(["simulate", "create", "--url", &config_url, "--integration-secret", secret, "--save", conn])
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    // Unpaced, far more than the run can send before the signal.
    let args = ["simulate", "vote", "--from", conn, "--count", "1000000", "--concurrency", "4"];
    for (sig, expect) in [(libc::SIGINT, 130), (libc::SIGTERM, 0)] {
        let (code, out, err) = stop_after(&args, false, "sending 1000000 × vote.create", sig);
        assert_eq!(code, Some(expect), "signal {sig}: {out}\n{err}");
        assert!(out.contains("vote.create × "), "the report of what was sent: {out}");
        let acked = out.lines().rfind(|l| l.trim_start().starts_with("acknowledged ")).expect(&out);
        let (a, b) = acked.trim().trim_start_matches("acknowledged ").split_once('/').unwrap();
        if sig == libc::SIGTERM {
            // As if its time were up: every vote sent was answered (those in flight finished,
            // and serve, a process of its own, was not stopped).
            assert_eq!(a, b, "{out}");
            assert_ne!(b, "1000000", "stopped early: {out}");
        } else {
            assert!(err.contains("error: interrupted"), "{err}");
        }
    }
}

#[test]
fn simulate_flow_inspect_ends_its_hold_on_either_signal_and_keeps_its_verdict() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let (code, out, err) = stop_after(&["simulate", "flow", "--inspect"], false, "inspector http://", sig);
        assert_eq!(code, Some(0), "signal {sig}: the flow's verdict stands: {out}\n{err}");
        assert!(out.contains("flow complete"), "{out}");
    }
}

#[test]
fn a_stop_ends_a_retry_wait_at_once() {
    use crate::simulate_answers::{SECRET, raw_server};
    use std::io::Write;
    use std::sync::atomic::Ordering;
    // Ctrl-C: 130. SIGTERM: the verdict of what was sent, a 503 (1).
    for (sig, expect) in [(libc::SIGINT, 130), (libc::SIGTERM, 1)] {
        let (base, seen) = raw_server(Box::new(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }));
        let url = format!("{base}/webhooks/1");
        // A minute before each retry: only a stop that ends the wait lets the run end before the
        // second attempt is sent.
        let args = ["simulate", "vote", "--url", &url, "--secret", SECRET, "--retry-delays", "60"];
        let (code, out, err) = stop_after(&args, true, "  attempt 1", sig);
        assert_eq!(code, Some(expect), "signal {sig}: {out}\n{err}");
        assert_eq!(seen.load(Ordering::SeqCst), 1, "signal {sig}: no retry was sent: {out}");
        assert!(!out.contains("attempt 2"), "{out}");
    }
}

#[test]
fn ctrl_c_gives_up_an_attempt_in_flight() {
    use crate::simulate_answers::{SECRET, raw_server};
    // Reads the request and never answers: only the client's going away ends the exchange.
    let (base, _) = raw_server(Box::new(|_, s| {
        let _ = s.read_to_end(&mut Vec::new());
    }));
    let url = format!("{base}/webhooks/1");
    let args = ["simulate", "vote", "--url", &url, "--secret", SECRET, "--timeout", "60s", "--retries", "0"];
    let (code, out, err) = stop_after(&args, true, "vote.create → ", libc::SIGINT);
    assert_eq!(code, Some(130), "{out}\n{err}");
    // Given up, not waited out: the attempt says so rather than timing out a minute later.
    assert!(out.contains("failed: interrupted before 127.0.0.1:"), "{out}");
    assert!(err.contains("error: interrupted"), "{err}");
}
