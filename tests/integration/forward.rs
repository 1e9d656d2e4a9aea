//! Forward mode (`serve --forward-to`) against a test app on 127.0.0.1:0 that records the bytes
//! it gets and answers the handshake: bytes identical both ways, signatures still verify, the
//! handshake judged, 502 for a dead app and 504 for a slow one.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::inspector::{
    INTEGRATION_SECRET, WEBHOOK_SECRET, api, api_request, create_body, list, post_signed, serve, verifies, vote_body,
};

/// One request the app received: the head's lines and the exact body.
#[derive(Debug, Clone)]
pub(crate) struct Got {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request as the test apps read it: the request line, headers, and a Content-Length body;
/// `None` when the peer closed before a request line.
fn read_request(stream: &std::net::TcpStream) -> Option<Got> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':').unwrap();
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let len =
        headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")).map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    Some(Got { line: line.trim_end().to_string(), headers, body })
}

/// A developer's app on 127.0.0.1:0: answers the handshake with a webhook URL on the `Host` it was
/// reached for (so deliveries come back through `serve`), 202 with a header and a body otherwise,
/// and sleeps `delay` first when the body mentions "slow".
fn app(delay: Duration) -> (SocketAddr, Arc<Mutex<Vec<Got>>>) {
    scripted_app(move |s, got| {
        if String::from_utf8_lossy(&got.body).contains("slow") {
            std::thread::sleep(delay);
        }
        let answer = if got.line.starts_with("POST /app/integration ") {
            let id = serde_json::from_slice::<Value>(&got.body).unwrap()["data"]["connection_id"].clone();
            let host = got.header("host").unwrap_or("");
            let b = json!({"webhook_url": format!("http://{host}/webhooks/{}", id.as_str().unwrap()),
                           "routes": ["vote.create", "webhook.test"]})
            .to_string();
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \
                 {}\r\n\r\n{b}",
                b.len()
            )
        } else {
            "HTTP/1.1 202 Accepted\r\nX-App: yes\r\nConnection: close\r\nContent-Length: 11\r\n\r\napp says hi"
                .to_string()
        };
        let _ = s.write_all(answer.as_bytes());
    })
}

#[test]
fn forward_mode_passes_exact_bytes_both_ways_and_judges_the_handshake() {
    let (app_addr, got) = app(Duration::from_millis(600));
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://{app_addr}/app");
    let s = serve(dir.path(), &["--forward-to", &base, "--forward-timeout", "300ms", "--show-secrets"]);
    assert_eq!(s.ready["forward_to"], base.as_str());

    // simulate flow against serve: the handshake, a test, a vote and a delete, all through to the app.
    let out = crate::common::cmd()
        .args(["simulate", "flow", "--url", &format!("http://{}/integration", s.addr)])
        .args(["--integration-secret", INTEGRATION_SECRET])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("handshake ok"), "{stdout}");

    let seen = got.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "create, test, vote and delete reached the app: {seen:?}");
    let create_got = seen.iter().find(|g| String::from_utf8_lossy(&g.body).contains("integration.create")).unwrap();
    let webhook_secret = serde_json::from_slice::<Value>(&create_got.body).unwrap()["data"]["webhook_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let history = list(&s.inspector, "");
    let raws: Vec<Vec<u8>> = history["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| api(&s.inspector, &format!("/_/api/requests/{}/raw", i["id"])).body)
        .collect();
    for g in &seen {
        // What the app got is what serve recorded, byte for byte, and its signature still verifies.
        let sig = g.header("x-topgg-signature").unwrap();
        let raw = raws.iter().find(|r| r.windows(sig.len()).any(|w| w == sig.as_bytes())).expect("recorded");
        assert!(raw.ends_with(&g.body), "{}: the exact body", g.line);
        let head = String::from_utf8_lossy(&raw[..raw.len() - g.body.len()]).to_string();
        for line in head.lines().skip(1).filter(|l| !l.is_empty()) {
            let (n, v) = line.split_once(": ").unwrap();
            if !["content-length", "connection"].contains(&n.to_ascii_lowercase().as_str()) {
                assert_eq!(g.header(n), Some(v), "{}: header {n} passed on unchanged", g.line);
            }
        }
        let secret = if g.line.contains("/integration") { INTEGRATION_SECRET } else { webhook_secret.as_str() };
        assert!(verifies(secret, sig, &g.body), "{}: the signature still verifies", g.line);
    }
    let create = history["requests"].as_array().unwrap().iter().find(|i| i["type"] == "integration.create").unwrap();
    let d = api(&s.inspector, &format!("/_/api/requests/{}", create["id"])).json();
    assert_eq!(d["forwarded"]["status"], 200);
    assert_eq!(d["forwarded"]["handshake"]["ok"], true);
    assert_eq!(
        d["forwarded"]["handshake"]["webhook_url"].as_str().unwrap(),
        format!("http://{}/webhooks/{}", s.addr, create["connection"].as_str().unwrap())
    );

    // The sender gets the app's answer unchanged.
    let vote = vote_body("9");
    let r = post_signed(s.addr, "/webhooks/424242", WEBHOOK_SECRET, &vote);
    assert_eq!((r.status, r.header("x-app").as_deref(), r.body.as_slice()), (202, Some("yes"), &b"app says hi"[..]));
    let item = list(&s.inspector, "")["requests"][0].clone();
    assert_eq!((item["verdict"].as_str(), item["status"].as_u64()), (Some("unknown-connection"), Some(202)));
    assert_eq!(item["forwarded"]["status"], 202);
    let d = api(&s.inspector, &format!("/_/api/requests/{}", item["id"])).json();
    assert_eq!(d["forwarded"]["body"]["text"], "app says hi");

    // A replay from the inspector goes to the app too, and records the app's answer.
    let before = got.lock().unwrap().len();
    let r = api_request(
        &s.inspector,
        "POST",
        &format!("/_/api/requests/{}/replay", item["id"]),
        &[("Content-Type", "application/json")],
        br#"{"mode":"verbatim"}"#,
    );
    assert_eq!((r.status, r.json()["status"].as_u64()), (200, Some(202)), "{r:?}");
    let again = got.lock().unwrap().clone();
    assert_eq!(again.len(), before + 1);
    assert_eq!(again.last().unwrap().body, vote, "the replay reached the app byte for byte");
    let replayed = api(&s.inspector, &format!("/_/api/requests/{}", r.json()["id"])).json();
    assert_eq!(
        (replayed["replay_of"].clone(), replayed["forwarded"]["status"].clone()),
        (item["id"].clone(), json!(202))
    );

    // A slow app: 504 for the sender, one sentence in the history.
    let slow = br#"{"type":"webhook.test","slow":true}"#;
    let r = post_signed(s.addr, "/webhooks/1", WEBHOOK_SECRET, slow);
    assert_eq!(r.status, 504, "{r:?}");
    assert!(r.json()["message"].as_str().unwrap().contains("did not answer within"));
    let e = &list(&s.inspector, "")["requests"][0]["forwarded"];
    assert!(e["status"].is_null() && e["error"].as_str().unwrap().contains("did not answer within 300ms"), "{e}");
}

#[test]
fn forward_to_a_dead_app_is_502_with_one_clear_line() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let s =
        serve(dir.path(), &["--forward-to", &format!("http://127.0.0.1:{port}"), "--forward-config-path", "/config"]);
    let r = post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("3"));
    assert_eq!(r.status, 502);
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.starts_with(&format!("could not reach the app at http://127.0.0.1:{port}/config")), "{msg}");
    let item = &list(&s.inspector, "")["requests"][0];
    assert_eq!(
        (item["verdict"].as_str(), item["status"].as_u64()),
        (Some("ok"), Some(502)),
        "verified, then not delivered"
    );
}

/// The forwarder on its own (no serve in between): the error it records for a dead app names the
/// URL it tried.
#[test]
fn forwarder_names_a_dead_app() {
    use topgg_int::receiver::forward::{DEFAULT_TIMEOUT, ForwardConfig, Forwarder};
    // A port nobody listens on: bind, note the port, close.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let f = Forwarder::new(ForwardConfig {
        base: format!("http://127.0.0.1:{port}"),
        config_path: None,
        webhook_path: None,
        timeout: DEFAULT_TIMEOUT,
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let a = rt.block_on(f.send("POST", "/integration", &http::HeaderMap::new(), b"{}"));
    assert_eq!(a.status, 502);
    assert!(
        a.record.error.unwrap().starts_with(&format!("could not reach the app at http://127.0.0.1:{port}/integration"))
    );
}

/// An app on 127.0.0.1:0 that reads each request (recording it) and then runs `answer` on the
/// socket.
pub(crate) fn scripted_app(
    answer: impl Fn(&mut std::net::TcpStream, &Got) + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<Got>>>) {
    let answer = Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (g, answer) = (g.clone(), answer.clone());
            std::thread::spawn(move || {
                let Some(got) = read_request(&stream) else { return };
                g.lock().unwrap().push(got.clone());
                let mut s = stream;
                answer(&mut s, &got);
            });
        }
    });
    (addr, got)
}

fn answer_204(s: &mut std::net::TcpStream, _: &Got) {
    let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
}

#[test]
fn only_topgg_routes_are_forwarded_and_traversal_is_refused_before_the_app() {
    let (app_addr, got) = scripted_app(answer_204);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}/app")]);
    let raw = |method: &str, target: &str| {
        let mut c = std::net::TcpStream::connect(s.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            c,
            "{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .unwrap();
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        out.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok()).unwrap_or(0)
    };
    for target in [
        "/webhooks/../../admin/users?all=1",
        "/webhooks/%2e%2e/%2E%2E/admin/users",
        "/webhooks/.%2e/admin",
        "/integration/..",
        "/webhooks/1/./x",
        "/webhooks/%5c..%5cadmin",
        "/legacy%5C..%5Cadmin",
    ] {
        for method in ["POST", "GET", "DELETE"] {
            assert_eq!(raw(method, target), 400, "{method} {target}");
        }
    }
    // A raw backslash: refused by hyper or by serve, never forwarded.
    assert_eq!(raw("POST", "/webhooks/a\\..\\admin"), 400);
    // Not Top.gg's routes: serve answers them itself.
    assert_eq!(raw("GET", "/admin/users?all=1"), 404);
    assert_eq!(raw("POST", "/admin/users"), 404);
    assert_eq!(raw("DELETE", "/integration"), 405);
    assert_eq!(raw("GET", "/webhooks/1"), 405);
    assert_eq!(raw("POST", "/webhooks/a%2fb"), 404, "not a valid connection id");
    assert!(got.lock().unwrap().is_empty(), "nothing reached the app: {:?}", got.lock().unwrap());
    // Top.gg's routes are, built from the validated parts.
    assert_eq!(raw("POST", "/webhooks/abc-1"), 204);
    assert_eq!(raw("POST", "/integration"), 204);
    let lines: Vec<String> = got.lock().unwrap().iter().map(|g| g.line.clone()).collect();
    assert_eq!(lines, ["POST /app/webhooks/abc-1 HTTP/1.1", "POST /app/integration HTTP/1.1"]);
}

fn drip(s: &mut std::net::TcpStream, _: &Got) {
    // A head at once, then a 100-byte body one byte every 50 ms (5 s in all).
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    for _ in 0..100 {
        if s.write_all(b"x").is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_app_dripping_its_answer_is_bounded_by_the_forward_timeout() {
    let (app_addr, got) = scripted_app(drip);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}"), "--forward-timeout", "300ms"]);
    let r = post_signed(s.addr, "/webhooks/1", WEBHOOK_SECRET, &vote_body("5"));
    assert_eq!(r.status, 504, "one deadline over the app's head and body: {r:?}");
    assert!(r.json()["message"].as_str().unwrap().contains("did not answer within 300ms"));
    assert_eq!(got.lock().unwrap().len(), 1);
}

fn elsewhere(s: &mut std::net::TcpStream, _: &Got) {
    let b = r#"{"webhook_url":"https://app.internal.example/topgg/webhook","routes":["vote.create"]}"#;
    let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len());
}

#[test]
fn a_handshake_that_bypasses_serve_is_not_called_ok() {
    let (app_addr, _) = scripted_app(elsewhere);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("12")).status, 200);
    let item = list(&s.inspector, "")["requests"][0].clone();
    assert!(item["warning"].is_null(), "warnings are not kept in the history");
    let d = api(&s.inspector, &format!("/_/api/requests/{}", item["id"])).json();
    let h = &d["forwarded"]["handshake"];
    assert_eq!(h["ok"], false, "{h}");
    assert!(h["problems"][0].as_str().unwrap().contains("does not go through serve"), "{h}");
}

/// Answers the handshake with a webhook URL on the `Host` it was reached for.
fn handshake(s: &mut std::net::TcpStream, g: &Got) {
    let id = serde_json::from_slice::<Value>(&g.body).unwrap()["data"]["connection_id"].clone();
    let b =
        json!({"webhook_url": format!("http://{}/webhooks/{}", g.header("host").unwrap_or(""), id.as_str().unwrap()),
                   "routes": ["vote.create"]})
        .to_string();
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{b}",
        b.len()
    );
}

/// An app that verifies nothing: the handshake works, every delivery gets 202.
pub(crate) fn lax(s: &mut std::net::TcpStream, g: &Got) {
    if g.line.contains("/integration ") {
        return handshake(s, g);
    }
    let _ = s.write_all(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

/// An app that re-serialises before verifying: the handshake works, every delivery gets 401.
pub(crate) fn strict(s: &mut std::net::TcpStream, g: &Got) {
    if g.line.contains("/integration ") {
        return handshake(s, g);
    }
    let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

#[test]
fn forward_mode_says_who_is_wrong_when_the_app_contradicts_the_verdict() {
    // An app that verifies nothing: a forged vote is acknowledged.
    let (app_addr, _) = scripted_app(lax);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("31")).status, 200);
    let forged = post_signed(s.addr, "/webhooks/31", "whs_not_the_secret", &vote_body("1"));
    assert_eq!(forged.status, 202, "the app's answer goes back");
    let item = list(&s.inspector, "")["requests"][0].clone();
    assert_eq!(item["verdict"], "signature-mismatch");
    assert_eq!(item["disagreement"]["code"], "app-does-not-verify", "{item}");
    assert_eq!(
        item["disagreement"]["message"],
        "your app acknowledged a request whose signature is invalid: it does not verify signatures"
    );
    let d = api(&s.inspector, &format!("/_/api/requests/{}", item["id"])).json();
    assert_eq!(d["disagreement"], item["disagreement"]);
    // Agreement says nothing.
    let create = list(&s.inspector, "?type=integration.create")["requests"][0].clone();
    assert!(create["disagreement"].is_null(), "{create}");
    drop(s);

    // An app that refuses what serve verified: it checks other bytes or another secret.
    let (app_addr, _) = scripted_app(strict);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("32")).status, 200);
    assert_eq!(post_signed(s.addr, "/webhooks/32", WEBHOOK_SECRET, &vote_body("2")).status, 401);
    let item = list(&s.inspector, "")["requests"][0].clone();
    assert_eq!((item["verdict"].as_str(), item["status"].as_u64()), (Some("ok"), Some(401)));
    assert_eq!(item["disagreement"]["code"], "app-refuses-valid", "{item}");
    let msg = item["disagreement"]["message"].as_str().unwrap();
    let fp = topgg_int::protocol::secret::Secret::new(WEBHOOK_SECRET).fingerprint();
    assert!(msg.starts_with("your app refused a correctly signed request: it verifies other bytes or another secret"));
    assert!(msg.contains(&format!("(fingerprint {fp})")), "{msg}");
}

/// The README's app: mounted at `/topgg`, it builds its `webhook_url` from `Host` and its own
/// mount, and answers nothing outside it.
fn mounted(s: &mut std::net::TcpStream, g: &Got) {
    let close = "Connection: close\r\nContent-Length: 0\r\n\r\n";
    if g.line.starts_with("POST /topgg/integration ") {
        let v: Value = serde_json::from_slice(&g.body).unwrap();
        if v["type"] == "integration.delete" {
            let _ = write!(s, "HTTP/1.1 204 No Content\r\n{close}");
            return;
        }
        let id = v["data"]["connection_id"].as_str().unwrap().to_string();
        let b = json!({"webhook_url": format!("http://{}/topgg/webhooks/{id}", g.header("host").unwrap()),
                       "routes": ["vote.create", "webhook.test"]})
        .to_string();
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
    } else if g.line.starts_with("POST /topgg/webhooks/") {
        let _ = write!(s, "HTTP/1.1 204 No Content\r\n{close}");
    } else {
        let _ = write!(s, "HTTP/1.1 404 Not Found\r\n{close}");
    }
}

#[test]
fn the_readme_forward_example_works_with_an_app_mounted_under_a_path() {
    let (app_addr, got) = scripted_app(mounted);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}/topgg")]);
    let out = crate::common::cmd()
        .args(["simulate", "flow", "--url", &format!("http://{}/integration", s.addr)])
        .args(["--integration-secret", INTEGRATION_SECRET])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> =
        got.lock().unwrap().iter().map(|g| g.line.split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("/topgg/")), "every request reached the app under its mount: {lines:?}");
    // serve answered the mirrored webhook path as its own, verified, and recorded it as it arrived.
    let items = list(&s.inspector, "")["requests"].as_array().unwrap().clone();
    let vote = items.iter().find(|i| i["type"] == "vote.create").unwrap();
    assert!(vote["path"].as_str().unwrap().starts_with("/topgg/webhooks/"), "{vote}");
    assert_eq!((vote["verdict"].as_str(), vote["status"].as_u64()), (Some("ok"), Some(204)), "{vote}");
    let raw = api(&s.inspector, &format!("/_/api/requests/{}/raw", vote["id"])).body;
    assert!(raw.starts_with(b"POST /topgg/webhooks/"), "the raw request is the one that arrived");
    let create = items.iter().find(|i| i["type"] == "integration.create").unwrap();
    let d = api(&s.inspector, &format!("/_/api/requests/{}", create["id"])).json();
    assert_eq!(d["forwarded"]["handshake"]["ok"], true, "{}", d["forwarded"]["handshake"]);
}

fn unanswered(s: &mut std::net::TcpStream, g: &Got) {
    let b =
        json!({"webhook_url": format!("http://{}/api/hooks/1", g.header("host").unwrap()), "routes": ["vote.create"]})
            .to_string();
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{b}",
        b.len()
    );
}

#[test]
fn a_handshake_handing_out_a_path_serve_does_not_answer_is_not_called_ok() {
    let (app_addr, _) = scripted_app(unanswered);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}/topgg")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("14")).status, 200);
    let item = list(&s.inspector, "")["requests"][0].clone();
    let h = &api(&s.inspector, &format!("/_/api/requests/{}", item["id"])).json()["forwarded"]["handshake"];
    assert_eq!(h["ok"], false, "{h}");
    let p = h["problems"][0].as_str().unwrap();
    assert!(p.contains("is a path serve does not answer"), "{p}");
    assert!(p.contains(&format!("http://{}/topgg/webhooks/<connection_id>", s.addr)), "{p}");
}

#[test]
fn a_connection_is_stored_only_when_the_app_answers_a_valid_handshake() {
    let connections = |s: &super::inspector::Served| -> Vec<String> {
        api(&s.inspector, "/_/api/connections").json()["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["connection_id"].as_str().unwrap().to_string())
            .collect()
    };
    // The app refuses the handshake (204, no body): nothing is stored, deliveries stay unknown.
    let (app_addr, _) = scripted_app(answer_204);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("41")).status, 204);
    assert_eq!(connections(&s), Vec::<String>::new());
    let _ = post_signed(s.addr, "/webhooks/41", WEBHOOK_SECRET, &vote_body("1"));
    assert_eq!(list(&s.inspector, "")["requests"][0]["verdict"], "unknown-connection");
    drop(s);

    // A valid handshake: stored.
    let (app_addr, _) = scripted_app(strict);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("42")).status, 200);
    assert_eq!(connections(&s), ["42"]);
}

#[test]
fn check_through_serve_does_not_credit_serve_s_answers_to_the_app() {
    let (app_addr, _) = scripted_app(lax);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    // serve's own answers carry the mark; the app's do not.
    let r = post_signed(s.addr, "/nowhere", WEBHOOK_SECRET, b"{}");
    assert_eq!((r.status, r.header("x-topgg-int-answered-by").as_deref()), (404, Some("serve")));
    let r = post_signed(s.addr, "/webhooks/5", WEBHOOK_SECRET, &vote_body("5"));
    assert_eq!((r.status, r.header("x-topgg-int-answered-by")), (202, None));

    let out = crate::common::cmd()
        .args(["--json", "check", "--url", &format!("http://{}/integration", s.addr)])
        .args(["--integration-secret", INTEGRATION_SECRET])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let case = report["cases"].as_array().unwrap().iter().find(|c| c["name"] == "rejects-oversized-body").unwrap();
    let detail = case["detail"].as_str().unwrap();
    assert!(detail.contains("413 (answered by serve, not your app)"), "{case}");
    assert_eq!(case["result"], "skip", "serve's 413 says nothing about the app: {case}");
}

#[test]
fn forward_to_serve_itself_is_refused_at_start() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    for url in [format!("http://127.0.0.1:{port}/topgg"), format!("http://localhost:{port}")] {
        let out = crate::common::cmd()
            .args(["serve", "--port", &port.to_string(), "--integration-secret", INTEGRATION_SECRET, "--data-dir"])
            .arg(dir.path())
            .args(["--forward-to", &url])
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("--forward-to {url} points at serve itself (port {port})")), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    }
}

#[test]
fn the_human_log_says_the_status_is_the_app_s_and_who_is_wrong() {
    let (app_addr, _) = scripted_app(strict);
    let dir = tempfile::tempdir().unwrap();
    let mut child = crate::serve::hermetic()
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .args(["--integration-secret", INTEGRATION_SECRET, "--forward-to", &format!("http://{app_addr}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let url = first.trim_end().strip_prefix("config URL ").unwrap();
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().strip_suffix("/integration").unwrap().parse().unwrap();
    assert_eq!(post_signed(addr, "/integration", INTEGRATION_SECRET, &create_body("33")).status, 200);
    assert_eq!(post_signed(addr, "/webhooks/33", WEBHOOK_SECRET, &vote_body("3")).status, 401);
    let line = loop {
        let l = rx.recv_timeout(Duration::from_secs(20)).expect("the vote's log line");
        if l.contains("/webhooks/33") {
            break l;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains(" ok app=401 "), "{line}");
    assert!(
        line.contains("your app refused a correctly signed request: it verifies other bytes or another secret"),
        "{line}"
    );
}

/// `simulate` hears who is wrong too: serve adds `x-topgg-int-disagreement` to the app's answer,
/// so a forged vote the app acknowledges is a failure (exit 1), said in one sentence.
#[test]
fn simulate_through_serve_says_the_app_does_not_verify() {
    let (app_addr, _) = scripted_app(lax);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("41")).status, 200);
    let url = format!("http://{}/webhooks/41", s.addr);
    let out = crate::common::cmd()
        .args(["simulate", "vote", "--url", &url, "--secret", "whs_not_the_secret", "--retries", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("your app acknowledged it anyway: your app does not verify signatures"), "{err}");
    // With the right secret the two agree, and nothing is said.
    let out = crate::common::cmd()
        .args(["simulate", "vote", "--url", &url, "--secret", WEBHOOK_SECRET, "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("does not verify"));
}
