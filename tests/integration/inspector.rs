//! The inspector API under `/_/api/`, its access rules, and `--inspect`. `serve` runs as a child
//! process on 127.0.0.1:0; requests are signed here with hmac directly, not with the code under
//! test. The helpers are shared with the page test and the forward-mode tests.

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

/// The inspector's own listener and the token its API needs, as `serve` printed them.
#[derive(Debug, Clone)]
pub(crate) struct Inspector {
    pub(crate) addr: SocketAddr,
    pub(crate) token: String,
}

/// Waits (up to 5 s) for the `inspector http://ADDR/_/?token=T` banner line in `stderr`.
pub(crate) fn inspector_of(stderr: &Mutex<String>) -> Inspector {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let line = stderr.lock().unwrap().lines().find(|l| l.starts_with("inspector http://")).map(str::to_string);
        if let Some(line) = line {
            let url = line.split_whitespace().nth(1).unwrap();
            let (base, token) = url.strip_prefix("http://").unwrap().split_once("/_/?token=").unwrap();
            return Inspector { addr: base.parse().unwrap(), token: token.to_string() };
        }
        assert!(Instant::now() < until, "no inspector line in stderr: {}", stderr.lock().unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A request to the inspector's API, with its token.
pub(crate) fn api_request(i: &Inspector, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut all = vec![("x-topgg-int-token", i.token.as_str())];
    all.extend_from_slice(headers);
    request(i.addr, method, path, &all, body)
}

/// `GET` on the inspector's API, with its token.
pub(crate) fn api(i: &Inspector, path: &str) -> Resp {
    api_request(i, "GET", path, &[], b"")
}

fn replay(i: &Inspector, id: i64, mode: &str) -> Resp {
    let body = json!({ "mode": mode }).to_string();
    api_request(
        i,
        "POST",
        &format!("/_/api/requests/{id}/replay"),
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) inspector: Inspector,
    pub(crate) ready: Value,
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Served {
    /// Waits (up to 5 s) until stderr holds `text`.
    fn wait_stderr(&self, text: &str) {
        let until = Instant::now() + HANG_GUARD;
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
    let inspector = inspector_of(&stderr);
    let listen: SocketAddr = ready["inspect_listen"].as_str().unwrap().parse().unwrap();
    assert_eq!(listen.port(), inspector.addr.port());
    Served { child, addr, inspector, ready, stderr }
}

/// The list, newest first.
pub(crate) fn list(i: &Inspector, query: &str) -> Value {
    let r = api(i, &format!("/_/api/requests{query}"));
    assert_eq!(r.status, 200, "{r:?}");
    r.json()
}

#[test]
fn requests_are_listed_filtered_paged_and_explained_like_verify() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let (a, i) = (s.addr, &s.inspector);
    assert_ne!(i.addr, a, "the inspector has a port of its own");
    assert_eq!(s.ready["inspector_url"], format!("http://{}/_/", i.addr));
    s.wait_stderr(&format!("inspector http://{}/_/?token=", i.addr));
    assert_eq!(post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("77")).status, 200);
    assert_eq!(post_signed(a, "/webhooks/77", WEBHOOK_SECRET, &vote_body("1")).status, 204);
    // Signed with the secret minus its whs_ prefix: a mismatch `verify` explains with a hint.
    let bad_vote = vote_body("2");
    let bad = post_signed(a, "/webhooks/77", WEBHOOK_SECRET.strip_prefix("whs_").unwrap(), &bad_vote);
    assert_eq!(bad.status, 401);

    let all = list(i, "");
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

    assert_eq!(list(i, "?type=vote.create")["requests"].as_array().unwrap().len(), 2);
    assert_eq!(list(i, "?verdict=signature-mismatch&connection=77")["requests"][0]["id"], ids[0]);
    let page = list(i, "?limit=2");
    assert_eq!(page["requests"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_before"], ids[1]);
    let rest = list(i, &format!("?limit=2&before={}", ids[1]));
    assert_eq!((rest["requests"][0]["id"].clone(), rest["next_before"].clone()), (json!(ids[2]), Value::Null));
    let r = api(i, "/_/api/requests?limit=lots");
    assert_eq!(
        (r.status, r.json()["message"].as_str().unwrap()),
        (400, "limit=\"lots\" is not a number from 1 to 500")
    );

    // The detail: decoded signature, the verdict with verify's reason and hint, payload problems.
    let d = api(i, &format!("/_/api/requests/{}", ids[0])).json();
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
    let raw = api(i, &format!("/_/api/requests/{}/raw", ids[0]));
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

    // integration.create: the webhook secret is masked in the page's view of the detail; the raw
    // bytes are the wire bytes and the copied curl is exact, so both still verify.
    let mut create = api(i, &format!("/_/api/requests/{}", ids[2])).json();
    let curl = create["curl"].as_str().unwrap().to_string();
    create.as_object_mut().unwrap().remove("curl");
    let create = create.to_string();
    assert!(!create.contains(WEBHOOK_SECRET) && create.contains("whs_in…ef"), "{create}");
    let raw = api(i, &format!("/_/api/requests/{}/raw", ids[2])).body;
    let sent = create_body("77");
    assert!(raw.ends_with(&sent), "the wire bytes: {}", String::from_utf8_lossy(&raw));
    let file = dir.path().join("create.http");
    std::fs::write(&file, &raw).unwrap();
    let out = crate::common::cmd()
        .args(["--json", "verify", "--integration-secret", INTEGRATION_SECRET, "--request"])
        .arg(&file)
        .args(["--now", &(now()).to_string()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = String::from_utf8_lossy(&raw)
        .lines()
        .find_map(|l| {
            l.strip_prefix("x-topgg-signature: ").or_else(|| l.strip_prefix("X-Topgg-Signature: ")).map(str::to_string)
        })
        .expect("a signature header");
    assert!(curl.contains(&format!("--data-binary '{}'", String::from_utf8_lossy(&sent))), "{curl}");
    assert!(curl.contains(&format!(": {sig}'")) && verifies(INTEGRATION_SECRET, &sig, &sent), "{curl}");
    let conns = api(i, "/_/api/connections").json();
    assert_eq!(conns["connections"][0]["connection_id"], "77");
    assert_eq!(conns["connections"][0]["webhook_secret"], "whs_in…ef");

    let r = api(i, "/_/api/requests/999");
    assert_eq!(
        (r.status, r.json()["message"].as_str().unwrap()),
        (404, "no request 999 in the history (trimmed, or never recorded)")
    );
    assert_eq!(api(i, "/_/api/requests/x").status, 400);
    assert_eq!(api(i, "/_/api/nope").status, 404);
    // The inspector's own traffic is not in the history.
    assert_eq!(list(i, "")["requests"].as_array().unwrap().len(), 3);
}

#[test]
fn show_secrets_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--show-secrets"]);
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("5"));
    let id = list(&s.inspector, "")["requests"][0]["id"].as_i64().unwrap();
    assert!(api(&s.inspector, &format!("/_/api/requests/{id}")).json().to_string().contains(WEBHOOK_SECRET));
    assert_eq!(api(&s.inspector, "/connections").json()["connections"][0]["webhook_secret"], WEBHOOK_SECRET);
}

#[test]
fn replay_verbatim_and_resigned_returns_the_new_entry() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let (a, i) = (s.addr, &s.inspector);
    post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("8"));
    post_signed(a, "/webhooks/8", "wrong", &vote_body("3"));
    let bad = list(i, "")["requests"][0]["id"].as_i64().unwrap();

    let r = replay(i, bad, "verbatim");
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!((v["status"].as_u64(), v["replay_of"].as_i64()), (Some(401), Some(bad)), "still badly signed");
    let new = v["id"].as_i64().unwrap();
    assert!(new > bad);
    let entry = api(i, &format!("/_/api/requests/{new}")).json();
    assert_eq!((entry["replay_of"].as_i64(), entry["verdict"].as_str()), (Some(bad), Some("signature-mismatch")));
    let same = |id: i64| api(i, &format!("/_/api/requests/{id}/raw")).body;
    assert_eq!(same(new), same(bad), "verbatim: the same bytes");

    // Re-signing is only for what verified: a forged entry is refused with one sentence.
    let r = replay(i, bad, "resign");
    assert_eq!((r.status, r.json()["error"].as_str()), (409, Some("cannot-resign")), "{r:?}");
    let why = r.json()["message"].as_str().unwrap().to_string();
    assert!(why.contains("was refused (signature-mismatch)") && why.contains("verbatim"), "{why}");

    // A vote that verified: re-signed with the connection's secret, accepted again.
    // Signed a few seconds ago, so the fresh signature (t = now) differs from it.
    post_signed_at(a, "/webhooks/8", WEBHOOK_SECRET, 5, &vote_body("4"));
    let good = list(i, "")["requests"][0]["id"].as_i64().unwrap();
    let v = replay(i, good, "resign").json();
    assert_eq!(v["status"], 204, "re-signed with the connection's secret: accepted");
    let resigned = api(i, &format!("/_/api/requests/{}", v["id"])).json();
    assert_eq!((resigned["verdict"].as_str(), resigned["replay_of"].as_i64()), (Some("ok"), Some(good)));
    assert_eq!(list(i, "")["requests"][0]["id"], v["id"], "the replay is the newest entry");
    // The fresh signature is in the replay's own entry only; the original's bytes are unchanged.
    let fresh = resigned["signature"]["header"].as_str().unwrap().to_string();
    let original =
        api(i, &format!("/_/api/requests/{good}")).json()["signature"]["header"].as_str().unwrap().to_string();
    assert_ne!(fresh, original);
    for e in list(i, "")["requests"].as_array().unwrap() {
        let raw = String::from_utf8_lossy(&api(i, &format!("/_/api/requests/{}/raw", e["id"])).body).to_string();
        assert_eq!(raw.contains(&fresh), e["id"] == v["id"], "entry {}: {raw}", e["id"]);
    }

    // POST only, JSON only (a cross-site form cannot send it), known modes only.
    let r = api(i, &format!("/_/api/requests/{bad}/replay"));
    assert_eq!((r.status, r.header("allow").as_deref()), (405, Some("POST")));
    let form =
        api_request(i, "POST", &format!("/_/api/requests/{bad}/replay"), &[("Content-Type", "text/plain")], b"{}");
    assert_eq!(form.status, 415);
    assert_eq!(replay(i, bad, "twice").status, 400);
    assert_eq!(replay(i, 4242, "verbatim").status, 404);
}

/// A request signed `secs` seconds ago.
fn post_signed_at(addr: SocketAddr, path: &str, secret: &str, secs: i64, body: &[u8]) -> Resp {
    let t = now() - secs;
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    let sig = format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()));
    let headers = [("x-topgg-signature", sig.as_str()), ("x-topgg-trace", "t"), ("Content-Type", "application/json")];
    request(addr, "POST", path, &headers, body)
}

#[test]
fn resign_only_what_verified() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let (a, i) = (s.addr, &s.inspector);
    let newest = || list(i, "")["requests"][0]["id"].as_i64().unwrap();
    // An unsigned integration.create carrying someone's own webhook secret: 401, and never re-signed.
    let unsigned = request(a, "POST", "/integration", &[("x-topgg-trace", "t")], &create_body("66"));
    assert_eq!(unsigned.status, 401);
    let r = replay(i, newest(), "resign");
    assert_eq!((r.status, r.json()["error"].as_str()), (409, Some("cannot-resign")), "{r:?}");
    assert!(r.json()["message"].as_str().unwrap().contains("was refused (missing-header)"));
    assert_eq!(api(i, "/connections").json()["connections"], json!([]), "nothing was stored");
    // An unsigned vote: the same.
    post_signed(a, "/integration", INTEGRATION_SECRET, &create_body("67"));
    assert_eq!(request(a, "POST", "/webhooks/67", &[("x-topgg-trace", "t")], &vote_body("1")).status, 401);
    assert_eq!(replay(i, newest(), "resign").status, 409);
    // Stale but genuinely signed: allowed (Top.gg would have signed it; only the clock is off).
    assert_eq!(post_signed_at(a, "/webhooks/67", WEBHOOK_SECRET, 600, &vote_body("2")).status, 403);
    let v = replay(i, newest(), "resign").json();
    assert_eq!(v["status"], 204, "{v}");
    // Stale and forged: the verdict says only "stale", but the body does not verify: refused.
    assert_eq!(post_signed_at(a, "/webhooks/67", "whs_forged", 600, &vote_body("3")).status, 403);
    let r = replay(i, newest(), "resign");
    assert_eq!(r.status, 409, "{r:?}");
    assert!(r.json()["message"].as_str().unwrap().contains("does not verify"), "{r:?}");
    // Verbatim replay stays available for everything.
    assert_eq!(replay(i, newest(), "verbatim").json()["status"], 403);
}

/// Opens an event stream on the inspector's port and reads its head.
fn open_stream(i: &Inspector) -> (String, BufReader<TcpStream>) {
    let mut es = TcpStream::connect(i.addr).unwrap();
    es.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!("GET /_/api/events?token={} HTTP/1.1\r\nHost: {}\r\n\r\n", i.token, i.addr);
    es.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(es);
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        if reader.read_line(&mut head).unwrap() == 0 {
            break;
        }
    }
    (head, reader)
}

#[test]
fn event_streams_are_capped_and_never_take_a_deliverys_place() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--max-connections", "2"]);
    let i = &s.inspector;
    post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("9"));
    let mut streams = Vec::new();
    for n in 0..32 {
        let (head, reader) = open_stream(i);
        assert!(head.starts_with("HTTP/1.1 200"), "stream {n}: {head}");
        streams.push(reader);
    }
    let (head, _) = open_stream(i);
    assert!(head.starts_with("HTTP/1.1 503"), "the 33rd stream: {head}");
    // 32 open streams on the inspector's port, a cap of 2 on the receiver's: votes still get in.
    for v in 0..3 {
        assert_eq!(post_signed(s.addr, "/webhooks/9", WEBHOOK_SECRET, &vote_body(&format!("5{v}"))).status, 204);
    }
    // And every stream got the same event for the last vote.
    let mut datas = Vec::new();
    for r in streams.iter_mut().take(3) {
        let mut got = Vec::new();
        while got.len() < 3 {
            let mut line = String::new();
            assert!(r.read_line(&mut line).unwrap() > 0);
            if line.starts_with("data: ") {
                got.push(line);
            }
        }
        assert!(got[2].contains("\"type\":\"vote.create\""), "{got:?}");
        datas.push(got);
    }
    assert!(datas.windows(2).all(|w| w[0] == w[1]), "{datas:?}");
}

#[cfg(unix)]
#[test]
fn a_stop_ends_open_event_streams_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // A minute to finish what is in flight: a stream the stop did not end would hold serve up that
    // long, well past the stream's own read timeout below.
    let mut s = serve(dir.path(), &["--read-timeout", "60s"]);
    let (head, mut reader) = open_stream(&s.inspector);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut line = String::new();
    while !line.starts_with(": connected") {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended before `: connected`");
    }
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(s.child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("the stream ends with the stop, not after the drain's limit");
    // The stream task ends its body, or the connection (streaming, so with nothing to finish) is
    // closed; either way the client sees the end now, not after the drain's limit.
    assert!(!String::from_utf8_lossy(&rest).contains("event:"), "{rest:?}");
    assert_eq!(s.child.wait().unwrap().code(), Some(0), "SIGTERM: {}", s.stderr.lock().unwrap());
}

#[test]
fn events_stream_each_new_request() {
    let dir = tempfile::tempdir().unwrap();
    // A short read timeout: an open event stream is not an idle connection to close.
    let s = serve(dir.path(), &["--read-timeout", "100ms"]);
    let i = &s.inspector;
    let mut es = TcpStream::connect(i.addr).unwrap();
    es.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "GET /_/api/events?token={} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        i.token, i.addr
    );
    es.write_all(head.as_bytes()).unwrap();
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
    let until = Instant::now() + HANG_GUARD;
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
    assert_eq!(item["id"], list(&s.inspector, "")["requests"][0]["id"], "the event carries the entry's id");
}

#[test]
fn the_inspector_is_on_its_own_port_and_its_api_always_needs_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let i = &s.inspector;
    let page = get(i.addr, "/_/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-security-policy").as_deref(),
        Some("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'")
    );
    assert!(String::from_utf8_lossy(&page.body).contains("<script src=\"/_/app.js\""));
    assert!(!page.head.to_ascii_lowercase().contains("access-control"));
    assert_eq!(get(i.addr, "/_/app.js").header("content-type").as_deref(), Some("text/javascript; charset=utf-8"));
    let root = get(i.addr, &format!("/?token={}", i.token));
    assert_eq!((root.status, root.header("location")), (302, Some(format!("/_/?token={}", i.token))));

    // A tunnel or a relay on this machine reaches the receiver's port from loopback and may write
    // Host: localhost and X-Forwarded-For: nothing of the inspector answers there, with or without
    // the token.
    let relay = [("Host", "localhost"), ("X-Forwarded-For", "127.0.0.1")];
    let with_token = [("Host", "localhost"), ("X-Forwarded-For", "127.0.0.1"), ("x-topgg-int-token", &i.token)];
    let paths =
        ["/_/", "/_/api/requests", "/_/api/connections", "/connections", "/_/api/events", "/_/api/requests/1/raw"];
    for path in paths {
        for headers in [&relay[..], &with_token[..]] {
            let r = request(s.addr, "GET", path, headers, b"");
            assert_eq!(r.status, 404, "{path}: {r:?}");
            assert!(!String::from_utf8_lossy(&r.body).contains("\"connections\":"), "{path}: {r:?}");
        }
    }
    let r = request(s.addr, "POST", "/_/api/requests/1/replay", &[("Content-Type", "application/json")], b"{}");
    assert_eq!(r.status, 404, "no replay on the receiver's port");
    assert_eq!(request(s.addr, "GET", "/health", &relay, b"").status, 200, "Top.gg's own routes still answer");

    // On the inspector's port, the API needs the token even from loopback with a loopback Host.
    for path in &paths[1..] {
        let r = request(i.addr, "GET", path, &[("Host", "localhost")], b"");
        assert_eq!(r.status, 401, "{path}: {r:?}");
        assert!(r.json()["message"].as_str().unwrap().contains("x-topgg-int-token"));
    }
    assert_eq!(api(i, "/_/api/requests").status, 200);
    assert_eq!(get(i.addr, &format!("/connections?token={}", i.token)).status, 200);
    let wrong = [("x-topgg-int-token", "guess")];
    assert_eq!(request(i.addr, "GET", "/_/api/requests", &wrong, b"").status, 401);
    let replay = request(
        i.addr,
        "POST",
        "/_/api/requests/1/replay",
        &[("Content-Type", "application/json")],
        br#"{"mode":"verbatim"}"#,
    );
    assert_eq!(replay.status, 401, "replay needs the token too");
    // Recorded: the 14 requests to the receiver's port (probes included), none of the inspector's.
    let listed = list(i, "")["requests"].as_array().unwrap().len();
    assert_eq!(listed, paths.len() * 2 + 2, "inspector traffic is not recorded");
    drop(s);

    // A chosen token, and the JSON ready line never carries it.
    let s = serve(dir.path(), &["--inspector-token", "t0ken"]);
    assert_eq!(s.inspector.token, "t0ken");
    assert_eq!(s.ready["inspector_url"], format!("http://{}/_/", s.inspector.addr));
    assert!(!s.ready.to_string().contains("t0ken"), "the token is not in the JSON ready line");
    let with = [("Host", "abc.ngrok.app"), ("x-topgg-int-token", "t0ken")];
    assert_eq!(request(s.inspector.addr, "GET", "/_/api/requests", &with, b"").status, 200);
    drop(s);

    // The same rule on every bind: on ::, a browser on IPv4 loopback arrives as ::ffff:127.0.0.1
    // and gets in with the token, and not without it.
    let s = serve(dir.path(), &["--inspect-bind", "::", "--bind", "::"]);
    let v4: SocketAddr = format!("127.0.0.1:{}", s.inspector.addr.port()).parse().unwrap();
    let i4 = Inspector { addr: v4, token: s.inspector.token.clone() };
    assert_eq!(api(&i4, "/_/api/requests").status, 200);
    assert_eq!(get(v4, "/_/api/requests").status, 401);
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
    let (addr, token) = url.strip_prefix("http://").unwrap().split_once("/_/?token=").unwrap();
    let i = Inspector { addr: addr.parse().unwrap(), token: token.to_string() };
    assert_eq!(get(i.addr, "/_/").status, 200, "the page is up after the run");
    let n = list(&i, "?limit=500")["requests"].as_array().unwrap().len();
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

/// The empty page's hint is this receiver's config URL and a command that works as printed: with a
/// generated secret, it names the secret file in the data dir.
#[test]
fn the_empty_page_offers_the_real_config_url_and_a_command_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let s = super::serve::start(dir.path(), &[]);
    let i = inspector_of(&s.stderr);
    let got = api(&i, "/_/api/connections").json();
    assert_eq!(got["config_url"], format!("http://{}/integration", s.addr), "{got}");
    let try_it = got["try"].as_str().unwrap().to_string();
    assert!(try_it.contains("--integration-secret-file") && try_it.contains("integration-secret'"), "{try_it}");
    let bin = assert_cmd::cargo::cargo_bin!("topgg-int");
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out =
        Command::new("sh").args(["-c", &try_it]).env_clear().env("PATH", path).env("NO_COLOR", "1").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{try_it}: {text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("flow complete"), "{text}");
}
