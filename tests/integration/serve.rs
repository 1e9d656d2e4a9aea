//! `topgg-int serve`: the CLI started with `--port 0 --json` and driven over raw TCP, plus
//! library-level tests of the receiver where they are faster. Requests are signed here with hmac
//! and sha2 directly, not with the code under test.

use crate::common::HANG_GUARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use topgg_int::protocol::secret::Secret;
use topgg_int::receiver::{Log, Receiver, ReceiverConfig, Record};

pub(crate) const INTEGRATION_SECRET: &str = "whs_integration_test_secret_0123456789";

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The header Top.gg would send, computed independently of the crate.
pub(crate) fn sign_at(secret: &str, t: i64, body: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    sign_at(secret, now(), body)
}

fn project() -> Value {
    json!({"id": "1100000000000000001", "type": "bot", "platform": "discord", "platform_id": "1100000000000000002"})
}

fn user() -> Value {
    json!({"id": "1100000000000000003", "platform_id": "1100000000000000004", "name": "alice",
           "avatar_url": "https://cdn.discordapp.com/avatars/1/a.png"})
}

pub(crate) fn create_body(id: &str, secret: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "integration.create", "data": {
        "connection_id": id, "webhook_secret": secret, "project": project(), "user": user()}}))
    .unwrap()
}

pub(crate) fn delete_body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "integration.delete", "data": {"connection_id": id}})).unwrap()
}

pub(crate) fn vote_body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "vote.create", "data": {
        "id": id, "weight": 1, "created_at": "2026-02-09T00:47:14.2510149+00:00",
        "expires_at": "2026-02-09T12:47:14.2510149+00:00", "project": project(), "user": user()}}))
    .unwrap()
}

fn test_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "webhook.test", "data": {"user": user(), "project": project()}})).unwrap()
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends raw bytes on a fresh connection and reads until the server closes it.
pub(crate) fn raw(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(bytes)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    parse_response(&out)
}

pub(crate) fn parse_response(out: &[u8]) -> std::io::Result<Resp> {
    let bad = || std::io::Error::other(format!("not an HTTP response: {:?}", String::from_utf8_lossy(out)));
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    Ok(Resp { status, head, body: out[end + 4..].to_vec() })
}

pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

/// POSTs `body` signed with `secret` and a trace id.
pub(crate) fn post_signed(addr: SocketAddr, path: &str, secret: &str, body: &[u8]) -> Resp {
    let sig = sign(secret, body);
    request(
        addr,
        "POST",
        path,
        &[("x-topgg-signature", &sig), ("x-topgg-trace", "trace-1"), ("Content-Type", "application/json")],
        body,
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The CLI, as a child process.

pub(crate) struct Served {
    pub child: Child,
    pub addr: SocketAddr,
    pub ready: Value,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<String>>,
}

pub(crate) fn serve_command(data_dir: &Path, extra: &[&str]) -> Command {
    serve_on_port("0", data_dir, extra)
}

fn serve_on_port(port: &str, data_dir: &Path, extra: &[&str]) -> Command {
    let mut c = hermetic();
    c.args(["--json", "serve", "--port", port, "--data-dir"]).arg(data_dir).args(extra);
    c
}

/// `topgg-int` with the clean environment of `common::cmd()`, as a std Command that can be spawned.
pub(crate) fn hermetic() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"));
    c.env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir());
    c
}

pub(crate) fn start(data_dir: &Path, extra: &[&str]) -> Served {
    let served = start_with(serve_command(data_dir, extra));
    if !extra.contains(&"--public-url") {
        assert_eq!(served.ready["config_url"], format!("http://{}/integration", served.addr));
    }
    served
}

/// Spawns a `serve --json` command and waits for its ready line.
pub(crate) fn start_with(mut command: Command) -> Served {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut err_pipe = child.stderr.take().unwrap();
    let e = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            e.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let ready: Value = serde_json::from_str(&first)
        .unwrap_or_else(|_| panic!("ready line {first:?}; stderr: {}", stderr.lock().unwrap()));
    assert_eq!(ready["event"], "ready");
    let addr: SocketAddr = ready["listen"].as_str().unwrap().parse().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    // Drain stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in out.lines() {
            match line {
                Ok(line) => l.lock().unwrap().push(line),
                Err(_) => break,
            }
        }
    });
    Served { child, addr, ready, lines, stderr }
}

impl Served {
    /// `GET /connections` on the inspector's own listener, with the token serve printed.
    pub fn connections(&self) -> Value {
        let i = super::inspector::inspector_of(&self.stderr);
        let r = request(i.addr, "GET", "/connections", &[("x-topgg-int-token", &i.token)], b"").unwrap();
        assert_eq!(r.status, 200, "{r:?}");
        r.json()
    }

    /// The JSON log lines printed so far, waiting until at least `n` are there.
    pub fn logs(&self, n: usize) -> Vec<Value> {
        let until = Instant::now() + HANG_GUARD;
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if lines.len() >= n || Instant::now() > until {
                return lines.iter().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn handshake_votes_retries_and_delete_with_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let a = s.addr;
    assert_eq!(request(a, "GET", "/health", &[], b"").unwrap().status, 200);

    let webhook_secret = "whs_conn_secret_abcdef0123456789";
    let r = post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("111", webhook_secret));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.head.to_ascii_lowercase().contains("content-type: application/json"));
    assert_eq!(r.json()["webhook_url"], format!("http://{a}/webhooks/111"));
    assert_eq!(r.json()["routes"], json!(["vote.create", "webhook.test"]));

    // The config URL only takes the integration secret.
    let r = post_signed(a, "/integration", webhook_secret, &create_body("222", webhook_secret));
    assert_eq!(r.status, 401);

    let vote = vote_body("900");
    assert_eq!(post_signed(a, "/webhooks/111", webhook_secret, &vote).status, 204);
    assert_eq!(post_signed(a, "/webhooks/111", webhook_secret, &vote).status, 204, "a retry is acknowledged again");
    assert_eq!(post_signed(a, "/webhooks/111", webhook_secret, &test_body()).status, 204);
    assert_eq!(post_signed(a, "/webhooks/999", webhook_secret, &vote).status, 404, "unknown connection");

    // §7 table.
    let p = "/webhooks/111";
    let sig = sign(webhook_secret, &vote);
    let code = |headers: &[(&str, &str)], body: &[u8]| request(a, "POST", p, headers, body).unwrap().status;
    assert_eq!(code(&[("x-topgg-trace", "t")], &vote), 401, "missing signature");
    assert_eq!(code(&[("x-topgg-signature", &sig)], &vote), 401, "missing trace");
    // A wrong signature without a trace is a signature mismatch first; the trace is a note.
    let forged = sign("whs_forger", &vote);
    let forged_no_trace = request(a, "POST", p, &[("x-topgg-signature", &forged)], &vote).unwrap();
    assert_eq!(forged_no_trace.status, 401);
    let why = String::from_utf8_lossy(&forged_no_trace.body).to_string();
    assert!(why.contains("signature-mismatch") && !why.contains("\"missing-trace\""), "{why}");
    assert_eq!(code(&[("x-topgg-signature", "t=1,v1=zz"), ("x-topgg-trace", "t")], &vote), 400, "malformed");
    let wrong = sign("whs_wrong", &vote);
    assert_eq!(code(&[("x-topgg-signature", &wrong), ("x-topgg-trace", "t")], &vote), 401, "bad signature");
    let stale = sign_at(webhook_secret, now() - 3600, &vote);
    assert_eq!(code(&[("x-topgg-signature", &stale), ("x-topgg-trace", "t")], &vote), 403, "outside the window");
    let junk = b"not json \xff";
    let junk_sig = sign(webhook_secret, junk);
    assert_eq!(code(&[("x-topgg-signature", &junk_sig), ("x-topgg-trace", "t")], junk), 204, "verified, unparseable");
    let deep = format!("{{\"type\":\"vote.create\",\"data\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_sig = sign(webhook_secret, deep.as_bytes());
    assert_eq!(code(&[("x-topgg-signature", &deep_sig), ("x-topgg-trace", "t")], deep.as_bytes()), 204, "deep nesting");
    let unknown = br#"{"type":"vote.delete","data":{}}"#;
    let unknown_sig = sign(webhook_secret, unknown);
    assert_eq!(code(&[("x-topgg-signature", &unknown_sig), ("x-topgg-trace", "t")], unknown), 204);
    assert_eq!(request(a, "GET", p, &[], b"").unwrap().status, 405);
    assert_eq!(request(a, "POST", "/nope", &[], b"").unwrap().status, 404);

    // /connections (on the inspector's port): redacted.
    let listed = s.connections();
    let text = listed.to_string();
    assert!(!text.contains(webhook_secret) && !text.contains("conn_secret"), "{text}");
    assert_eq!(listed["connections"][0]["connection_id"], "111");
    assert_eq!(listed["connections"][0]["webhook_secret_fingerprint"].as_str().unwrap().len(), 8);
    // The inspector's own traffic is not logged, but a request refused for want of its token is,
    // without the query (which may hold a token).
    let i = super::inspector::inspector_of(&s.stderr);
    assert_eq!(request(i.addr, "GET", "/_/api/requests?token=guess", &[], b"").unwrap().status, 401);

    // Delete, twice (idempotent: the second, signed afresh as a retry is, still gets 204); the
    // first one replayed byte for byte is refused; deliveries then 404.
    let del = delete_body("111");
    // Fixed, distinct timestamps: two signings in the same second would be the same (t, v1).
    let first_sig = sign_at(INTEGRATION_SECRET, now() - 10, &del);
    let signed = |sig: &str| {
        request(a, "POST", "/integration", &[("x-topgg-signature", sig), ("x-topgg-trace", "trace-1")], &del).unwrap()
    };
    assert_eq!(signed(&first_sig).status, 204);
    assert_eq!(signed(&sign_at(INTEGRATION_SECRET, now() - 5, &del)).status, 204);
    let replayed = signed(&first_sig);
    assert_eq!(replayed.status, 409);
    assert_eq!(replayed.json()["error"], "replayed-signature");
    assert_eq!(post_signed(a, p, webhook_secret, &vote_body("901")).status, 404);

    let logs = s.logs(23);
    assert_eq!(logs.len(), 23, "one log line per request: {logs:#?}");
    let votes: Vec<&Value> = logs.iter().filter(|l| l["type"] == "vote.create" && l["status"] == 204).collect();
    assert_eq!(votes.len(), 2);
    assert_eq!((votes[0]["retry"].as_bool(), votes[1]["retry"].as_bool()), (Some(false), Some(true)));
    assert_eq!(votes[0]["connection"], "111");
    assert_eq!(votes[0]["trace"], "trace-1");
    assert!(logs.iter().any(|l| l["verdict"] == "timestamp-out-of-window" && l["status"] == 403));
    let refused: Vec<&Value> = logs.iter().filter(|l| l["verdict"] == "token-required").collect();
    assert_eq!(refused.len(), 1, "{logs:#?}");
    assert_eq!((refused[0]["status"].as_u64(), refused[0]["path"].as_str()), (Some(401), Some("/_/api/requests")));
    assert!(logs.iter().any(|l| l["status"] == 204 && l["warning"].is_string()), "unparseable body is a warning");
    let all = s.lines.lock().unwrap().join("\n") + &s.stderr.lock().unwrap();
    assert!(!all.contains(webhook_secret) && !all.contains(INTEGRATION_SECRET), "secrets leaked into output");
    assert!(!all.contains(&sig[sig.len() - 64..]), "a full signature leaked into the log");
}

#[test]
fn a_captured_create_replayed_after_its_delete_does_not_bring_the_connection_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let create = create_body("31", "whs_replay");
    // Fixed, distinct timestamps: two signings in the same second would be the same (t, v1).
    let sig = sign_at(INTEGRATION_SECRET, now() - 10, &create);
    let send = |body: &[u8], sig: &str| {
        request(s.addr, "POST", "/integration", &[("x-topgg-signature", sig), ("x-topgg-trace", "t")], body).unwrap()
    };
    assert_eq!(send(&create, &sig).status, 200);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &delete_body("31")).status, 204);
    let replayed = send(&create, &sig);
    assert_eq!(replayed.status, 409, "{:?}", String::from_utf8_lossy(&replayed.body));
    let listed = s.connections();
    assert_eq!(listed["connections"], json!([]), "the connection stays deleted");
    // Top.gg's retry of the create is signed afresh, and accepted.
    assert_eq!(send(&create, &sign_at(INTEGRATION_SECRET, now() - 5, &create)).status, 200);
    let logs = s.logs(4);
    assert_eq!((logs[2]["verdict"].as_str(), logs[2]["status"].as_u64()), (Some("replayed-signature"), Some(409)));
    assert_eq!(logs[2]["connection"], "31");
}

#[test]
fn generated_secret_is_printed_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &[]);
    let fp = first.ready["integration_secret_fingerprint"].as_str().unwrap().to_string();
    let kept = std::fs::read_to_string(dir.path().join("integration-secret")).unwrap();
    let kept = kept.trim_end();
    assert!(kept.starts_with("whs_"));
    let until = Instant::now() + HANG_GUARD;
    while !first.stderr.lock().unwrap().contains(kept) {
        assert!(Instant::now() < until, "the generated secret was not shown: {}", first.stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(first);
    let second = start(dir.path(), &[]);
    assert_eq!(second.ready["integration_secret_fingerprint"], fp.as_str());
    // The kept secret signs config-URL requests.
    let r = post_signed(second.addr, "/integration", kept, &create_body("5", "whs_x"));
    assert_eq!(r.status, 200);
    second.logs(1);
    assert!(!second.stderr.lock().unwrap().contains(kept), "shown only when generated");
}

#[test]
fn acknowledged_connections_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let addr = s.addr;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let id = format!("{t}{i:04}");
                    let body = create_body(&id, "whs_burst");
                    let sig = sign(INTEGRATION_SECRET, &body);
                    let r = request(
                        addr,
                        "POST",
                        "/integration",
                        &[("x-topgg-signature", &sig), ("x-topgg-trace", "t")],
                        &body,
                    );
                    match r {
                        Ok(r) if r.status == 200 => acked.lock().unwrap().push(id),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    let until = Instant::now() + HANG_GUARD;
    while acked.lock().unwrap().len() < 12 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.child.kill().unwrap(); // SIGKILL on Unix
    s.child.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 12, "only {} creates were acknowledged", acked.len());
    drop(s);

    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let listed = s.connections();
    let ids: Vec<&str> =
        listed["connections"].as_array().unwrap().iter().map(|c| c["connection_id"].as_str().unwrap()).collect();
    for id in &acked {
        assert!(ids.contains(&id.as_str()), "acknowledged connection {id} was lost");
    }
    // And they still verify deliveries after the restart.
    assert_eq!(post_signed(s.addr, &format!("/webhooks/{}", acked[0]), "whs_burst", &vote_body("7")).status, 204);
}

#[test]
fn corrupt_store_is_refused_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("topgg-int.db");
    let garbage = b"SQLite format 3\0 but then garbage, not pages: {\"connections\":[".repeat(100);
    std::fs::write(&db, &garbage).unwrap();
    let out = serve_command(dir.path(), &["--integration-secret", "s"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&db.display().to_string()) && err.contains("refusing"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err}");
    assert!(out.stdout.is_empty(), "no ready line for a server that did not start");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "never replaced");
}

#[test]
fn the_replay_guard_holds_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let create = create_body("32", "whs_restart");
    let sig = sign_at(INTEGRATION_SECRET, now() - 2, &create);
    let send = |addr, body: &[u8], sig: &str| {
        request(addr, "POST", "/integration", &[("x-topgg-signature", sig), ("x-topgg-trace", "t")], body).unwrap()
    };
    assert_eq!(send(s.addr, &create, &sig).status, 200);
    let del = delete_body("32");
    let del_sig = sign_at(INTEGRATION_SECRET, now() - 1, &del);
    assert_eq!(send(s.addr, &del, &del_sig).status, 204);
    drop(s);
    // Killed and started again within the window: the captured create and delete are still replays.
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let replayed = send(s.addr, &create, &sig);
    assert_eq!(replayed.status, 409, "{:?}", String::from_utf8_lossy(&replayed.body));
    assert_eq!(send(s.addr, &del, &del_sig).status, 409);
    assert_eq!(s.connections()["connections"], json!([]), "the connection stays deleted");
}

#[test]
fn history_is_ranged() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["9223372036854775808", "18446744073709551615", "10000001", "lots"] {
        let out = serve_command(dir.path(), &["--integration-secret", "s", "--history", n]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--history {n}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--history"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_second_serve_on_the_same_data_dir_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let out = serve_command(dir.path(), &["--integration-secret", INTEGRATION_SECRET]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&dir.path().display().to_string()) && err.contains("in use by another"), "{err}");
    assert!(out.stdout.is_empty(), "no ready line");
    // The first one is untouched, and once it is gone (even killed) the dir is free again.
    assert_eq!(request(first.addr, "GET", "/health", &[], b"").unwrap().status, 200);
    drop(first);
    let again = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(request(again.addr, "GET", "/health", &[], b"").unwrap().status, 200);
}

#[test]
fn unreadable_store_and_unknown_routes_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("topgg-int.db")).unwrap();
    let out = serve_command(dir.path(), &["--integration-secret", "s"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("topgg-int.db"));

    let fresh = tempfile::tempdir().unwrap();
    let out = serve_command(fresh.path(), &["--integration-secret", "s", "--routes", "vote.create,vote.delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vote.delete"));
    assert!(out.stdout.is_empty());
}

#[test]
fn port_in_use_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = serve_on_port(&port, dir.path(), &["--integration-secret", "s"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_with_130() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let until = Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < until, "serve did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

#[test]
fn captures_sort_by_arrival_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("captures");
    std::fs::create_dir_all(&cap).unwrap();
    std::fs::write(cap.join("000041-old.http"), b"x").unwrap();
    let s = start(
        &dir.path().join("data"),
        &["--integration-secret", INTEGRATION_SECRET, "--capture-dir", cap.to_str().unwrap()],
    );
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("3", "whs_cap"));
    let vote = vote_body("77");
    post_signed(s.addr, "/webhooks/3", "whs_cap", &vote);
    s.logs(2);
    let mut names: Vec<String> =
        std::fs::read_dir(&cap).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["000041-old.http", "000042-integration.create.http", "000043-vote.create.http"]);
    let raw = std::fs::read(cap.join("000043-vote.create.http")).unwrap();
    let c = topgg_int::protocol::capture::Capture::parse(&raw).unwrap();
    assert_eq!(c.path, "/webhooks/3");
    assert_eq!(c.body, vote);
    let header = c.header("x-topgg-signature").unwrap();
    let t: i64 = header.strip_prefix("t=").unwrap().split(',').next().unwrap().parse().unwrap();
    assert_eq!(header, sign_at("whs_cap", t, &c.body), "the capture holds the exact signed bytes");
}

#[test]
fn refused_requests_are_captured_only_when_asked_and_the_folder_is_bounded() {
    let names = |dir: &Path| {
        let mut n: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        n.sort();
        n
    };
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("default");
    let s = start(
        &dir.path().join("data1"),
        &["--integration-secret", INTEGRATION_SECRET, "--capture-dir", cap.to_str().unwrap(), "--capture-keep", "2"],
    );
    let big = vec![b' '; 1024 * 1024];
    assert_eq!(request(s.addr, "POST", "/integration", &[], &big).unwrap().status, 401);
    for id in ["1", "2", "3"] {
        assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body(id, "whs_b")).status, 200);
    }
    s.logs(4);
    // The refused one took number 1 but was not written; the oldest accepted one was deleted.
    assert_eq!(names(&cap), ["000003-integration.create.http", "000004-integration.create.http"]);
    drop(s);

    let cap = dir.path().join("refused");
    let s = start(
        &dir.path().join("data2"),
        &["--integration-secret", INTEGRATION_SECRET, "--capture-dir", cap.to_str().unwrap(), "--capture-refused"],
    );
    assert_eq!(request(s.addr, "POST", "/integration", &[], b"{}").unwrap().status, 401);
    s.logs(1);
    assert_eq!(names(&cap), ["000001-request.http"]);
}

#[test]
fn human_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = hermetic()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .args(["--integration-secret", INTEGRATION_SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first.trim_end().strip_prefix("config URL ").expect("the first line gives the config URL");
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().strip_suffix("/integration").unwrap().parse().unwrap();
    post_signed(addr, "/integration", INTEGRATION_SECRET, &create_body("12", "whs_h"));
    post_signed(addr, "/webhooks/12", "whs_h", &vote_body("1"));
    let mut lines = [String::new(), String::new()];
    for l in &mut lines {
        out.read_line(l).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    let vote = &lines[1];
    for part in ["POST", "/webhooks/12", "vote.create", "conn=12", " ok ", "204", "ms", "trace=trace-1"] {
        assert!(vote.contains(part), "{part:?} missing from {vote:?}");
    }
    assert!(lines[0].contains("integration.create") && lines[0].contains(" 200 "), "{:?}", lines[0]);
    assert!(!lines.concat().contains("\x1b["), "no colour with NO_COLOR");
}

#[test]
fn the_human_log_escapes_what_clients_send_and_cuts_long_targets() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = hermetic()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .args(["--integration-secret", INTEGRATION_SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first.trim_end().strip_prefix("config URL ").unwrap();
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().strip_suffix("/integration").unwrap().parse().unwrap();
    // A one-byte CSI (U+009B) and a right-to-left override, as UTF-8 in a header, which HTTP allows.
    let trace = "a\u{9b}31mb\u{202e}c";
    let long = format!("/{}", "p".repeat(60 * 1024));
    request(addr, "GET", &long, &[("x-topgg-trace", trace)], b"").unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("trace=a\\u{9b}31mb\\u{202e}c"), "{line}");
    assert!(!line.contains('\u{9b}') && !line.contains('\u{202e}'), "{line:?}");
    assert!(line.contains(&format!("/{}… ", "p".repeat(199))), "the target is cut: {}", &line[..300]);
    assert!(line.len() < 1200, "a {} byte line", line.len());
}

#[test]
fn public_url_is_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(
        dir.path(),
        &["--integration-secret", INTEGRATION_SECRET, "--public-url", "https://hooks.example.test/base/"],
    );
    assert_eq!(s.ready["config_url"], "https://hooks.example.test/base/integration");
    let r = post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("8", "whs_p"));
    assert_eq!(r.json()["webhook_url"], "https://hooks.example.test/base/webhooks/8");
}

#[test]
fn legacy_votes_check_authorization() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET, "--legacy-secret", "legacy-pass"]);
    let body = br#"{"bot":"1","user":"2","type":"upvote","isWeekend":false}"#;
    let post = |auth: Option<&str>| {
        let h: Vec<(&str, &str)> = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
        request(s.addr, "POST", "/legacy", &h, body).unwrap().status
    };
    assert_eq!(post(Some("legacy-pass")), 200);
    assert_eq!(post(Some("legacy-pas")), 401);
    assert_eq!(post(None), 401);
}

// ---------------------------------------------------------------------------------------------
// Library level: hostile input and load, with a short read timeout.

pub(crate) fn receiver(read_timeout: Duration) -> (Receiver, Arc<Mutex<Vec<Record>>>) {
    let mut config = ReceiverConfig::ephemeral(Secret::new(INTEGRATION_SECRET)).unwrap();
    config.read_timeout = read_timeout;
    let logs = Arc::new(Mutex::new(Vec::new()));
    let l = logs.clone();
    let r = Receiver::start(config, Log::each(move |log: &Record| l.lock().unwrap().push(log.clone()))).unwrap();
    (r, logs)
}

pub(crate) fn connect(r: &Receiver, id: &str, secret: &str) {
    let resp = post_signed(r.local_addr(), "/integration", INTEGRATION_SECRET, &create_body(id, secret));
    assert_eq!(resp.status, 200);
}

#[test]
fn ephemeral_receiver_cleans_up() {
    let (r, logs) = receiver(Duration::from_secs(5));
    assert_eq!(r.config_url(), format!("http://{}/integration", r.local_addr()));
    connect(&r, "1", "whs_e");
    let dir = r.data_dir().to_path_buf();
    assert!(dir.join("topgg-int.db").exists());
    r.shutdown();
    assert!(!dir.exists(), "the throwaway data dir is removed");
    assert_eq!(logs.lock().unwrap()[0].event.as_deref(), Some("integration.create"));
}

#[test]
fn slow_clients_get_408_without_blocking_others() {
    let timeout = Duration::from_millis(1000);
    let (r, _) = receiver(timeout);
    connect(&r, "1", "whs_s");
    let a = r.local_addr();
    let mut slow: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(a).unwrap()).collect();
    // Half of them send part of a head, the others a head and part of the body.
    for (i, s) in slow.iter_mut().enumerate() {
        let part: &[u8] = if i % 2 == 0 {
            b"POST /webhooks/1 HTTP/1.1\r\nHost"
        } else {
            b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"
        };
        s.write_all(part).unwrap();
    }
    // Fast clients are answered while the slow ones hold their connections: none of the slow
    // ones has been answered yet when the last fast one is (how fast is bench/attack's job).
    for i in 0..20 {
        let resp = post_signed(a, "/webhooks/1", "whs_s", &vote_body(&format!("5{i}")));
        assert_eq!(resp.status, 204);
    }
    for s in &slow {
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 1];
        let pending = matches!((&*s).read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(pending, "a slow client was answered before the fast ones were done");
        s.set_nonblocking(false).unwrap();
    }
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert_eq!(parse_response(&out).unwrap().status, 408);
    }
    // A client trickling a byte at a time gets 408 at the deadline too, head or body.
    let a2 = a;
    let trickle = |prefix: &'static [u8]| {
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(a2).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            s.write_all(prefix).unwrap();
            let t = Instant::now();
            let mut out = Vec::new();
            while t.elapsed() < Duration::from_secs(5) {
                if s.write_all(b"x").is_err() {
                    break;
                }
                let mut buf = [0u8; 512];
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(_) => {}
                }
            }
            (parse_response(&out).map(|r| r.status).ok(), t.elapsed())
        })
    };
    let head = trickle(b"POST /webhooks/1 HTTP/1.1\r\nX-Long: ");
    let body = trickle(b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    for t in [head, body] {
        let (status, _) = t.join().unwrap();
        assert_eq!(status, Some(408), "a trickling client was not cut off at its deadline");
    }
    // A client that connects and sends nothing at all also gets 408.
    let mut idle = TcpStream::connect(a).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut out = Vec::new();
    let _ = idle.read_to_end(&mut out);
    assert_eq!(parse_response(&out).unwrap().status, 408);
}

#[test]
fn oversized_body_is_413_before_it_is_read() {
    let (r, _) = receiver(Duration::from_secs(5));
    let mut s = TcpStream::connect(r.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Only the head and 4 KiB of the 3 MiB are sent: the answer cannot wait for the rest.
    s.write_all(b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 3145728\r\n\r\n").unwrap();
    s.write_all(&[b'x'; 4096]).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert_eq!(parse_response(&out).unwrap().status, 413);
    // 2 MiB exactly is within the cap (it fails later, on the missing signature).
    let body = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(request(r.local_addr(), "POST", "/integration", &[], &body).unwrap().status, 401);
}

#[test]
fn survives_thousands_of_random_and_truncated_requests() {
    let (r, logs) = receiver(Duration::from_millis(300));
    connect(&r, "1", "whs_f");
    let a = r.local_addr();
    let vote = vote_body("42");
    let good = {
        let sig = sign("whs_f", &vote);
        let mut g = format!(
            "POST /webhooks/1 HTTP/1.1\r\nx-topgg-signature: {sig}\r\nx-topgg-trace: t\r\nContent-Length: {}\r\n\r\n",
            vote.len()
        )
        .into_bytes();
        g.extend_from_slice(&vote);
        g
    };
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let good = good.clone();
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t + 1);
                let mut rand = move || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                };
                let prefixes: [&[u8]; 6] = [
                    b"GET / HTTP/1.1\r\n",
                    b"POST /integration HTTP/1.1\r\n",
                    b"\xff\xfe\r\n\r\n",
                    b"POST /webhooks/1 HTTP/9.9\r\n\r\n",
                    b"BREW /pot HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                    b"",
                ];
                for _ in 0..600 {
                    let mut req: Vec<u8> = match rand() % 3 {
                        // A valid request cut short, or with bytes flipped.
                        0 => {
                            let mut g = good.clone();
                            g.truncate((rand() as usize) % g.len());
                            g
                        }
                        1 => {
                            let mut g = good.clone();
                            for _ in 0..4 {
                                let i = (rand() as usize) % g.len();
                                g[i] = rand() as u8;
                            }
                            g
                        }
                        _ => {
                            let mut g = prefixes[(rand() % 6) as usize].to_vec();
                            let n = (rand() % 300) as usize;
                            g.extend((0..n).map(|_| rand() as u8));
                            g
                        }
                    };
                    if rand() % 4 == 0 {
                        req.extend_from_slice(b"\r\n\r\n");
                    }
                    let Ok(mut s) = TcpStream::connect(a) else { continue };
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = s.write_all(&req);
                    let _ = s.shutdown(std::net::Shutdown::Write);
                    let mut out = Vec::new();
                    let _ = s.read_to_end(&mut out);
                    if !out.is_empty() {
                        let resp = parse_response(&out).expect("every answer is HTTP");
                        assert!(
                            resp.status < 500 || resp.status == 503 || resp.status == 505,
                            "{} for {:?}",
                            resp.status,
                            String::from_utf8_lossy(&req)
                        );
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(post_signed(a, "/webhooks/1", "whs_f", &vote_body("43")).status, 204, "still serving");
    r.store().flush();
    assert!(logs.lock().unwrap().len() > 1000);
}

#[test]
fn keep_alive_and_pipelining() {
    let (r, _) = receiver(Duration::from_secs(5));
    connect(&r, "1", "whs_k");
    let mut s = TcpStream::connect(r.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut both = Vec::new();
    for id in ["a1", "a2"] {
        let body = vote_body(id);
        both.extend_from_slice(
            format!(
                "POST /webhooks/1 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nContent-Length: {}\r\n\r\n",
                sign("whs_k", &body),
                body.len()
            )
            .as_bytes(),
        );
        both.extend_from_slice(&body);
    }
    both.extend_from_slice(b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
    s.write_all(&both).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 204 No Content").count(), 2, "{text}");
    assert!(text.contains("HTTP/1.1 200 OK"));
}

#[test]
fn chunked_bodies_are_verified_and_capped() {
    let (r, _) = receiver(Duration::from_secs(5));
    connect(&r, "1", "whs_c");
    let a = r.local_addr();
    let body = vote_body("c1");
    let (x, y) = body.split_at(10);
    let mut req = format!(
        "POST /webhooks/1 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        sign("whs_c", &body)
    )
    .into_bytes();
    for part in [x, y] {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(a, &req).unwrap().status, 204, "the chunks are joined into the signed bytes");

    // A chunked body is refused as soon as what arrived passes the cap (here one 3 MiB chunk).
    let mut big = b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n300000\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 0x300000));
    assert_eq!(raw(a, &big).unwrap().status, 413);
    let smuggle = b"POST /webhooks/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n";
    assert_eq!(raw(a, smuggle).unwrap().status, 400);

    let head = raw(a, b"HEAD /health HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD answers carry no body");
}

#[test]
fn shutdown_finishes_the_request_in_flight() {
    let (r, logs) = receiver(Duration::from_secs(5));
    connect(&r, "1", "whs_d");
    let a = r.local_addr();
    let body = vote_body("d1");
    let head = format!(
        "POST /webhooks/1 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nContent-Length: {}\r\n\r\n",
        sign("whs_d", &body),
        body.len()
    );
    let mut s = TcpStream::connect(a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..20]).unwrap();
    let stopping = std::thread::spawn(move || r.shutdown());
    // The listener closes as the stop begins: from then on the request is one in flight.
    let until = Instant::now() + HANG_GUARD;
    while TcpStream::connect(a).is_ok() {
        assert!(Instant::now() < until, "the receiver kept accepting after shutdown began");
        std::thread::sleep(Duration::from_millis(10));
    }
    s.write_all(&body[20..]).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let resp = parse_response(&out).unwrap();
    assert_eq!(resp.status, 204);
    assert!(resp.head.contains("Connection: close"), "the last answer closes the connection");
    stopping.join().unwrap();
    assert!(TcpStream::connect(a).is_err(), "no longer accepting");
    assert_eq!(logs.lock().unwrap().last().map(|l| l.status), Some(204));
}

// ---------------------------------------------------------------------------------------------
// The SQLite store: restarts, the old JSON store, the history, file modes.

#[cfg(unix)]
pub(crate) fn interrupt(s: &mut Served) {
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let until = Instant::now() + HANG_GUARD;
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < until, "serve did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn retry_detection_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("41", "whs_r")).status, 200);
    assert_eq!(post_signed(s.addr, "/webhooks/41", "whs_r", &vote_body("1300000000000000001")).status, 204);
    assert_eq!(s.logs(2)[1]["retry"], false);
    interrupt(&mut s);
    drop(s);
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(s.ready["connections"], 1);
    assert_eq!(post_signed(s.addr, "/webhooks/41", "whs_r", &vote_body("1300000000000000001")).status, 204);
    assert_eq!(post_signed(s.addr, "/webhooks/41", "whs_r", &vote_body("1300000000000000002")).status, 204);
    let logs = s.logs(2);
    assert_eq!((logs[0]["retry"].as_bool(), logs[1]["retry"].as_bool()), (Some(true), Some(false)));
}

#[test]
fn every_request_is_kept_in_the_history() {
    let (r, _logs) = receiver(Duration::from_secs(5));
    connect(&r, "71", "whs_h");
    let vote = vote_body("8");
    post_signed(r.local_addr(), "/webhooks/71", "whs_h", &vote);
    post_signed(r.local_addr(), "/webhooks/71", "whs_wrong", &vote);
    request(r.local_addr(), "GET", "/health", &[], b"").unwrap();
    use topgg_int::receiver::store::HistoryQuery;
    let all = r.store().history(&HistoryQuery::default()).unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!((all[0].path.as_str(), all[0].status), ("/health", 200));
    assert_eq!((all[1].verdict.as_str(), all[1].status), ("signature-mismatch", 401));
    assert_eq!(all[3].event.as_deref(), Some("integration.create"));
    let q = HistoryQuery { connection: Some("71".into()), verdict: Some("ok".into()), ..Default::default() };
    let ok = r.store().history(&q).unwrap();
    assert_eq!(ok.len(), 2);
    let one = r.store().history_entry(ok[0].id).unwrap().unwrap();
    let c = topgg_int::protocol::capture::Capture::parse(one.request.as_deref().unwrap()).unwrap();
    assert_eq!(c.body, vote, "the exact request bytes");
}

#[cfg(unix)]
#[test]
fn data_dir_store_secret_and_captures_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new/data");
    let cap = dir.path().join("caps");
    let s = start(&data, &["--capture-dir", cap.to_str().unwrap()]);
    let secret = std::fs::read_to_string(data.join("integration-secret")).unwrap();
    let r = post_signed(s.addr, "/integration", secret.trim_end(), &create_body("81", "whs_m"));
    assert_eq!(r.status, 200);
    s.logs(1);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&cap), 0o700);
    for f in ["topgg-int.db", "topgg-int.db-wal", "topgg-int.db-shm", "integration-secret"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    for e in std::fs::read_dir(&cap).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    // The history's segment files, written by the journal just after the log line.
    let history = data.join("history");
    let until = Instant::now() + HANG_GUARD;
    let segments = loop {
        let found: Vec<_> = std::fs::read_dir(&history).unwrap().map(|e| e.unwrap().path()).collect();
        if !found.is_empty() {
            break found;
        }
        assert!(Instant::now() < until, "no history segment written");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(mode(&history), 0o700);
    for p in segments {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[test]
fn a_chunked_request_is_captured_as_valid_http() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("captures");
    let s = start(
        &dir.path().join("data"),
        &["--integration-secret", INTEGRATION_SECRET, "--capture-dir", cap.to_str().unwrap()],
    );
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("5", "whs_chunk"));
    let body = vote_body("c5");
    let (x, y) = body.split_at(10);
    let mut req = format!(
        "POST /webhooks/5 HTTP/1.1\r\nx-topgg-signature: {}\r\nx-topgg-trace: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        sign("whs_chunk", &body)
    )
    .into_bytes();
    for part in [x, y] {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(s.addr, &req).unwrap().status, 204);
    s.logs(2);
    let file = std::fs::read_dir(&cap)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("vote.create"))
        .unwrap();
    let text = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    assert!(!text.to_ascii_lowercase().contains("transfer-encoding"), "{text}");
    assert!(text.contains(&format!("Content-Length: {}\r\n", body.len())), "{text}");
    let out = crate::common::cmd().args(["verify", "--secret", "whs_chunk", "--request"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn an_empty_signature_header_is_401_missing_header() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["--integration-secret", INTEGRATION_SECRET]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("7", "whs_empty")).status, 200);
    let headers = [("x-topgg-signature", ""), ("x-topgg-trace", "t")];
    let r = request(s.addr, "POST", "/webhooks/7", &headers, &vote_body("e7")).unwrap();
    assert_eq!((r.status, &r.json()["error"]), (401, &json!("missing-header")), "node and python treat it as missing");
}

/// A port in use stops serve with exit 2, and a secret generated for that run (never shown) is
/// not kept; `--integration-secret-file` reads the secret from a file.
#[test]
fn a_port_in_use_keeps_no_unseen_secret_and_the_secret_file_flag_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = serve_on_port(&port, dir.path(), &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!dir.path().join("integration-secret").exists(), "a secret nobody saw was kept");
    drop(taken);

    let file = dir.path().join("secret.txt");
    std::fs::write(&file, "whs_from_a_file_0123456789\n").unwrap();
    let mut s = start(dir.path(), &["--integration-secret-file", file.to_str().unwrap()]);
    let fingerprint = hex::encode(&<Sha256 as sha2::Digest>::digest(b"whs_from_a_file_0123456789")[..4]);
    assert_eq!(s.ready["integration_secret_fingerprint"], fingerprint.as_str(), "{}", s.ready);
    let body = create_body("77", "whs_w");
    assert_eq!(post_signed(s.addr, "/integration", "whs_from_a_file_0123456789", &body).status, 200);
    let _ = s.child.kill();
    let _ = s.child.wait();
}
