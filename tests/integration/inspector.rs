//! The inspector API under `/_/api/`, its access rules, and `--inspect`. `serve` runs as a child
//! process on 127.0.0.1:0; requests are signed here with hmac directly, not with the code under
//! test. The helpers are shared with the page test and the forward-mode tests.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) const INTEGRATION_SECRET: &str = "whs_integration_test_secret_0123456789";
pub(crate) const WEBHOOK_SECRET: &str = "whs_inspector_webhook_secret_abcdef";

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    let t = now();
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

/// Whether `header` signs `body` with `secret` (an independent check).
pub(crate) fn verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut parts = header.split(',').filter_map(|p| p.split_once('='));
    let (Some(("t", t)), Some(("v1", v1))) = (parts.next(), parts.next()) else { return false };
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    hex::encode(m.finalize().into_bytes()) == v1
}

fn people() -> (Value, Value) {
    (
        json!({"id": "1100000000000000001", "type": "bot", "platform": "discord", "platform_id": "1100000000000000002"}),
        json!({"id": "1100000000000000003", "platform_id": "1100000000000000004", "name": "alice",
               "avatar_url": "https://cdn.discordapp.com/avatars/1/a.png"}),
    )
}

pub(crate) fn create_body(id: &str) -> Vec<u8> {
    let (project, user) = people();
    serde_json::to_vec(&json!({"type": "integration.create", "data": {
        "connection_id": id, "webhook_secret": WEBHOOK_SECRET, "project": project, "user": user}}))
    .unwrap()
}

pub(crate) fn vote_body(id: &str) -> Vec<u8> {
    let (project, user) = people();
    serde_json::to_vec(&json!({"type": "vote.create", "data": {
        "id": id, "weight": 1, "created_at": "2026-02-09T00:47:14.2510149+00:00",
        "expires_at": "2026-02-09T12:47:14.2510149+00:00", "project": project, "user": user}}))
    .unwrap()
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {self:?}"))
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

pub(crate) fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let has_host = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"));
    let mut r = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !has_host {
        r.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&bytes).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    Resp { status, head, body: out[end + 4..].to_vec() }
}

pub(crate) fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[], b"")
}

pub(crate) fn post_signed(addr: SocketAddr, path: &str, secret: &str, body: &[u8]) -> Resp {
    let sig = sign(secret, body);
    let headers =
        [("x-topgg-signature", sig.as_str()), ("x-topgg-trace", "trace-9"), ("Content-Type", "application/json")];
    request(addr, "POST", path, &headers, body)
}

fn replay(addr: SocketAddr, id: i64, mode: &str) -> Resp {
    let body = json!({ "mode": mode }).to_string();
    request(
        addr,
        "POST",
        &format!("/_/api/requests/{id}/replay"),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) ready: Value,
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Served {
    /// Waits (up to 5 s) until stderr holds `text`.
    fn wait_stderr(&self, text: &str) {
        let until = Instant::now() + Duration::from_secs(5);
        while !self.stderr.lock().unwrap().contains(text) {
            assert!(Instant::now() < until, "{text:?} not in stderr: {}", self.stderr.lock().unwrap());
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

pub(crate) fn serve(data_dir: &Path, extra: &[&str]) -> Served {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", std::env::temp_dir())
        .args(["--json", "serve", "--port", "0", "--integration-secret", INTEGRATION_SECRET, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().unwrap();
    let e = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            e.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let ready: Value = serde_json::from_str(&first).unwrap_or_else(|_| panic!("ready line {first:?}"));
    std::thread::spawn(move || for _ in out.lines() {});
    let addr = ready["listen"].as_str().unwrap().parse().unwrap();
    Served { child, addr, ready, stderr }
}

/// The list, newest first.
pub(crate) fn list(addr: SocketAddr, query: &str) -> Value {
    let r = get(addr, &format!("/_/api/requests{query}"));
    assert_eq!(r.status, 200, "{r:?}");
    r.json()
}

#[test]
fn requests_are_listed_filtered_paged_and_explained_like_verify() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let a = s.addr;
    assert_eq!(s.ready["inspector_url"], format!("http://{a}/_/"));
    s.wait_stderr(&format!("inspector http://{a}/_/"));
    assert_eq!(post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("77")).status, 200);
    assert_eq!(post_signed(a, "/webhooks/77", WEBHOOK_SECRET, &vote_body("1")).status, 204);
    // Signed with the secret minus its whs_ prefix: a mismatch `verify` explains with a hint.
    let bad_vote = vote_body("2");
    let bad = post_signed(a, "/webhooks/77", WEBHOOK_SECRET.strip_prefix("whs_").unwrap(), &bad_vote);
    assert_eq!(bad.status, 401);

    let all = list(a, "");
    let items = all["requests"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{all}");
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let newest = &items[0];
    for (k, v) in
        [("type", json!("vote.create")), ("connection", json!("77")), ("verdict", json!("signature-mismatch"))]
    {
        assert_eq!(newest[k], v, "{newest}");
    }
    assert_eq!((newest["status"].as_u64(), newest["method"].as_str()), (Some(401), Some("POST")));
    assert!(newest["latency_ms"].as_f64().unwrap() > 0.0 && newest["replay_of"].is_null());
    assert!(newest["time"].as_str().unwrap().ends_with("+00:00"));

    assert_eq!(list(a, "?type=vote.create")["requests"].as_array().unwrap().len(), 2);
    assert_eq!(list(a, "?verdict=signature-mismatch&connection=77")["requests"][0]["id"], ids[0]);
    let page = list(a, "?limit=2");
    assert_eq!(page["requests"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_before"], ids[1]);
    let rest = list(a, &format!("?limit=2&before={}", ids[1]));
    assert_eq!((rest["requests"][0]["id"].clone(), rest["next_before"].clone()), (json!(ids[2]), Value::Null));
    let r = get(a, "/_/api/requests?limit=lots");
    assert_eq!(
        (r.status, r.json()["message"].as_str().unwrap()),
        (400, "limit=\"lots\" is not a number from 1 to 500")
    );

    // The detail: decoded signature, the verdict with verify's reason and hint, payload problems.
    let d = get(a, &format!("/_/api/requests/{}", ids[0])).json();
    assert_eq!(d["verification"]["reason"], "signature-mismatch");
    assert_eq!(d["verification"]["hints"][0]["code"], "secret-prefix");
    assert_eq!(d["verification"]["secret"]["kind"], "webhook secret of connection 77");
    let age = d["signature"]["age_at_arrival_s"].as_i64().unwrap();
    assert!((0..=2).contains(&age), "{d}");
    assert!(d["signature"]["signed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(d["payload"], json!({"kind": "vote.create", "problems": []}));
    assert!(d["body"]["json"].as_bool().unwrap() && d["body"]["text"].as_str().unwrap().contains("\n  \"type\""));
    assert!(d["headers"].as_array().unwrap().iter().any(|h| h[0] == "x-topgg-trace" && h[1] == "trace-9"));
    assert!(d["curl"].as_str().unwrap().starts_with(&format!("curl -X POST 'http://{a}/webhooks/77'")));

    // The raw bytes are the request as sent; `verify --request` reads them and says the same.
    let raw = get(a, &format!("/_/api/requests/{}/raw", ids[0]));
    assert_eq!(raw.status, 200);
    assert!(raw.body.ends_with(&bad_vote), "the body, byte for byte");
    let file = dir.path().join("bad.http");
    std::fs::write(&file, &raw.body).unwrap();
    let out = crate::common::cmd()
        .args(["--json", "verify", "--secret", WEBHOOK_SECRET, "--request"])
        .arg(&file)
        .args(["--now", &(now()).to_string()])
        .output()
        .unwrap();
    let verified: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verified["reason"], d["verification"]["reason"]);
    assert_eq!(verified["hints"][0]["explanation"], d["verification"]["hints"][0]["explanation"]);

    // integration.create: the webhook secret is masked, in the detail and the raw bytes.
    let create = get(a, &format!("/_/api/requests/{}", ids[2])).json().to_string();
    assert!(!create.contains(WEBHOOK_SECRET) && create.contains("whs_in…ef"), "{create}");
    assert!(
        !String::from_utf8_lossy(&get(a, &format!("/_/api/requests/{}/raw", ids[2])).body).contains(WEBHOOK_SECRET)
    );
    let conns = get(a, "/_/api/connections").json();
    assert_eq!(conns["connections"][0]["connection_id"], "77");
    assert_eq!(conns["connections"][0]["webhook_secret"], "whs_in…ef");

    let r = get(a, "/_/api/requests/999");
    assert_eq!(
        (r.status, r.json()["message"].as_str().unwrap()),
        (404, "no request 999 in the history (trimmed, or never recorded)")
    );
    assert_eq!(get(a, "/_/api/requests/x").status, 400);
    assert_eq!(get(a, "/_/api/nope").status, 404);
    // The inspector's own traffic is not in the history.
    assert_eq!(list(a, "")["requests"].as_array().unwrap().len(), 3);
}

#[test]
fn show_secrets_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--show-secrets"]);
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("5"));
    let id = list(s.addr, "")["requests"][0]["id"].as_i64().unwrap();
    assert!(get(s.addr, &format!("/_/api/requests/{id}")).json().to_string().contains(WEBHOOK_SECRET));
    assert_eq!(get(s.addr, "/connections").json()["connections"][0]["webhook_secret"], WEBHOOK_SECRET);
}

#[test]
fn replay_verbatim_and_resigned_returns_the_new_entry() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let a = s.addr;
    post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("8"));
    post_signed(a, "/webhooks/8", "wrong", &vote_body("3"));
    let bad = list(a, "")["requests"][0]["id"].as_i64().unwrap();

    let r = replay(a, bad, "verbatim");
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!((v["status"].as_u64(), v["replay_of"].as_i64()), (Some(401), Some(bad)), "still badly signed");
    let new = v["id"].as_i64().unwrap();
    assert!(new > bad);
    let entry = get(a, &format!("/_/api/requests/{new}")).json();
    assert_eq!((entry["replay_of"].as_i64(), entry["verdict"].as_str()), (Some(bad), Some("signature-mismatch")));
    let same = |id: i64| get(a, &format!("/_/api/requests/{id}/raw")).body;
    assert_eq!(same(new), same(bad), "verbatim: the same bytes");

    let v = replay(a, bad, "resign").json();
    assert_eq!(v["status"], 204, "re-signed with the connection's secret: accepted");
    let resigned = get(a, &format!("/_/api/requests/{}", v["id"])).json();
    assert_eq!((resigned["verdict"].as_str(), resigned["replay_of"].as_i64()), (Some("ok"), Some(bad)));
    assert_eq!(list(a, "")["requests"][0]["id"], v["id"], "the replay is the newest entry");

    // POST only, JSON only (a cross-site form cannot send it), known modes only.
    let r = get(a, &format!("/_/api/requests/{bad}/replay"));
    assert_eq!((r.status, r.header("allow").as_deref()), (405, Some("POST")));
    let form = request(a, "POST", &format!("/_/api/requests/{bad}/replay"), &[("Content-Type", "text/plain")], b"{}");
    assert_eq!(form.status, 415);
    assert_eq!(replay(a, bad, "twice").status, 400);
    assert_eq!(replay(a, 4242, "verbatim").status, 404);
}

#[test]
fn events_stream_each_new_request() {
    let dir = tempfile::tempdir().unwrap();
    // A short read timeout: an open event stream is not an idle connection to close.
    let s = serve(dir.path(), &["--read-timeout", "100ms"]);
    let mut es = TcpStream::connect(s.addr).unwrap();
    es.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(es, "GET /_/api/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n", s.addr).unwrap();
    let mut reader = BufReader::new(es);
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        reader.read_line(&mut head).unwrap();
    }
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("text/event-stream"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("access-control"), "no CORS headers");
    // The stream says `: connected` once it is subscribed: from then on no entry is missed.
    let mut line = String::new();
    while !line.starts_with(": connected") {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended before `: connected`");
    }
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("6"));
    let (mut event, mut data) = (String::new(), String::new());
    let until = Instant::now() + Duration::from_secs(5);
    while data.is_empty() && Instant::now() < until {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(e) = line.strip_prefix("event: ") {
            event = e.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data: ") {
            data = d.trim().to_string();
        }
    }
    assert_eq!(event, "request");
    let item: Value = serde_json::from_str(&data).unwrap();
    assert_eq!((item["type"].as_str(), item["connection"].as_str()), (Some("integration.create"), Some("6")));
    assert_eq!(item["id"], list(s.addr, "")["requests"][0]["id"], "the event carries the entry's id");
}

#[test]
fn page_and_api_answer_loopback_only_or_with_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let page = get(s.addr, "/_/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-security-policy").as_deref(),
        Some("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'")
    );
    assert!(String::from_utf8_lossy(&page.body).contains("<script src=\"/_/app.js\""));
    assert!(!page.head.to_ascii_lowercase().contains("access-control"));
    assert_eq!(get(s.addr, "/_/app.js").header("content-type").as_deref(), Some("text/javascript; charset=utf-8"));
    // A tunnel (or a DNS-rebinding page) reaches the loopback port with a foreign Host.
    let tunnel = [("Host", "abc.ngrok.app")];
    for path in ["/_/api/requests", "/_/api/connections", "/connections", "/_/api/events"] {
        let r = request(s.addr, "GET", path, &tunnel, b"");
        assert_eq!(r.status, 403, "{path}: {r:?}");
        assert!(r.json()["message"].as_str().unwrap().contains("only on loopback"));
    }
    assert_eq!(request(s.addr, "GET", "/health", &tunnel, b"").status, 200, "Top.gg's own routes still answer");
    drop(s);

    // With a token, non-local clients get in with it and only with it.
    let s = serve(dir.path(), &["--inspector-token", "t0ken"]);
    s.wait_stderr(&format!("inspector http://{}/_/?token=t0ken", s.addr));
    assert_eq!(s.ready["inspector_url"], format!("http://{}/_/", s.addr), "the token is not in the JSON ready line");
    let r = request(s.addr, "GET", "/_/api/requests", &tunnel, b"");
    assert_eq!(r.status, 401);
    assert!(r.json()["message"].as_str().unwrap().contains("x-topgg-int-token"));
    let with = [("Host", "abc.ngrok.app"), ("x-topgg-int-token", "t0ken")];
    assert_eq!(request(s.addr, "GET", "/_/api/requests", &with, b"").status, 200);
    assert_eq!(request(s.addr, "GET", "/connections?token=t0ken", &tunnel, b"").status, 200);
    let wrong = [("Host", "abc.ngrok.app"), ("x-topgg-int-token", "guess")];
    assert_eq!(request(s.addr, "GET", "/_/api/requests", &wrong, b"").status, 401);
    let body = br#"{"mode":"verbatim"}"#;
    let replay = request(
        s.addr,
        "POST",
        "/_/api/requests/1/replay",
        &[("Host", "x.test"), ("Content-Type", "application/json")],
        body,
    );
    assert_eq!(replay.status, 401, "replay needs the token too");
}

/// Runs `topgg-int <args>`, waits for its `inspector URL` line on stderr, checks the page's list
/// has at least `min` requests, then presses Ctrl-C and returns the exit status.
fn inspect_then_ctrl_c(args: &[&str], min: usize) -> Option<i32> {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", std::env::temp_dir())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "no inspector line before stderr closed");
        if let Some(rest) = line.strip_prefix("inspector ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().strip_suffix("/_/").unwrap().parse().unwrap();
    assert_eq!(get(addr, "/_/").status, 200, "the page is up after the run");
    let n = list(addr, "?limit=500")["requests"].as_array().unwrap().len();
    assert!(n >= min, "{n} requests in the history, expected at least {min}");
    assert!(child.try_wait().unwrap().is_none(), "still running until Ctrl-C");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    std::thread::spawn(move || for _ in err.lines() {});
    status.code()
}

#[test]
fn simulate_flow_and_check_inspect_keep_the_page_up_until_ctrl_c() {
    assert_eq!(inspect_then_ctrl_c(&["simulate", "flow", "--inspect"], 4), Some(0), "the flow's verdict stands");
    assert_eq!(inspect_then_ctrl_c(&["check", "--inspect"], 10), Some(0));
    let both =
        crate::common::cmd().args(["simulate", "flow", "--inspect", "--url", "http://127.0.0.1:1/x"]).output().unwrap();
    assert_eq!(both.status.code(), Some(2), "--inspect looks at the built-in receiver only");
}
