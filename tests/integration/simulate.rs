//! `simulate` against small recording receivers on 127.0.0.1:0: the bytes on the wire (headers,
//! a signature checked with an independent HMAC), handshake failure modes, the retry schedule,
//! overrides, legacy votes, dry runs, replays and load mode.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::cmd;

const SECRET: &str = "whs_0123456789abcdef0123456789abcdef";
const INTEGRATION: &str = "whs_integration0123456789abcdef";

/// One request as it arrived.
#[derive(Debug, Clone)]
struct Req {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }

    /// Checks `x-topgg-signature` with our own HMAC and returns its `t`.
    fn verify(&self, secret: &str) -> i64 {
        let header = self.header("x-topgg-signature").expect("signature header");
        let (t, v1) = header.strip_prefix("t=").and_then(|r| r.split_once(",v1=")).expect("t=…,v1=… form");
        assert!(t.bytes().all(|b| b.is_ascii_digit()), "canonical t: {header}");
        assert!(v1.len() == 64 && v1.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{header}");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&self.body);
        assert_eq!(hex::encode(mac.finalize().into_bytes()), v1, "signature over the exact body");
        t.parse().unwrap()
    }
}

/// What the receiver answers.
struct Reply {
    status: u16,
    content_type: Option<&'static str>,
    body: String,
    delay: Duration,
}

fn reply(status: u16) -> Reply {
    Reply { status, content_type: None, body: String::new(), delay: Duration::ZERO }
}

fn json_reply(status: u16, body: &str) -> Reply {
    Reply { status, content_type: Some("application/json"), body: body.into(), delay: Duration::ZERO }
}

type Handler = Box<dyn Fn(&Req, &str) -> Reply + Send>;

/// A receiver that records every request and answers through `handler(request, base_url)`.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    fn start(handler: Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (seen2, base2) = (seen.clone(), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if let Some(req) = read_request(&stream) {
                    seen2.lock().unwrap().push(req.clone());
                    let r = handler(&req, &base2);
                    std::thread::sleep(r.delay);
                    write_reply(stream, &r);
                }
            }
        });
        Server { base, seen }
    }

    /// Answers every request with these replies in turn, repeating the last.
    fn replies(list: Vec<(u16, &'static str)>) -> Server {
        let n = Mutex::new(0usize);
        Server::start(Box::new(move |_, _| {
            let mut i = n.lock().unwrap();
            let (status, body) = list[(*i).min(list.len() - 1)];
            *i += 1;
            if body.is_empty() { reply(status) } else { json_reply(status, body) }
        }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<Req> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let path = line.split(' ').nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).ok()?;
        let l = l.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':')?;
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Req { path, headers, body })
}

fn write_reply(mut stream: TcpStream, r: &Reply) {
    let mut head = format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", r.status, r.body.len());
    if let Some(ct) = r.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(r.body.as_bytes());
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn simulate(args: &[&str]) -> std::process::Output {
    cmd().arg("simulate").args(args).output().unwrap()
}

#[test]
fn vote_puts_the_documented_headers_and_a_valid_signature_on_the_wire() {
    let s = Server::replies(vec![(204, "")]);
    let before = now();
    let out = simulate(&["vote", "--url", &s.url("/webhooks/1"), "--secret", SECRET]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.path, "/webhooks/1");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req.header("user-agent").unwrap().starts_with("topgg-int/"));
    let trace = req.header("x-topgg-trace").expect("trace header");
    assert!(trace.len() >= 16, "{trace}");
    let t = req.verify(SECRET);
    assert!((before..=now()).contains(&t), "t={t} is now");
    let body = req.json();
    assert_eq!(body["type"], "vote.create");
    assert!(body["data"]["id"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()));
    assert!(stdout(&out).contains("acknowledged (204)"), "{}", stdout(&out));
    assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
}

#[test]
fn shaping_flags_and_set_overrides_reach_the_body() {
    let s = Server::replies(vec![(204, "")]);
    let url = s.url("/w");
    let out = simulate(&[
        "vote",
        "--url",
        &url,
        "--secret",
        SECRET,
        "--set",
        "data.user.name=alice",
        "--weight",
        "2",
        "--query",
        "ref=discord",
        "--user-id",
        "42",
        "--set",
        "data.project.platform_id=777",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let req = &s.seen()[0];
    req.verify(SECRET);
    let d = &req.json()["data"];
    assert_eq!(d["user"]["name"], "alice");
    assert_eq!(d["user"]["id"], "42");
    assert_ne!(d["user"]["platform_id"], "42", "--user-id is the Top.gg id only");
    assert_eq!(d["project"]["platform_id"], "777", "snowflakes stay strings");
    assert_eq!(d["weight"], 2);
    assert_eq!(d["query"]["ref"], "discord");
}

#[test]
fn a_vote_has_two_different_user_ids_and_each_flag_sets_its_own() {
    let s = Server::replies(vec![(204, ""), (204, ""), (204, "")]);
    let url = s.url("/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--platform-id", "160105994217586689"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--legacy", "--platform-id", "99"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = s.seen();
    let user = |i: usize| seen[i].json()["data"]["user"].clone();
    let generated = user(0);
    assert!(generated["id"].as_str().unwrap().parse::<u64>().is_ok(), "{generated}");
    assert_ne!(generated["id"], generated["platform_id"], "{generated}");
    assert_eq!(user(1)["platform_id"], "160105994217586689");
    assert_ne!(user(1)["id"], "160105994217586689");
    assert_eq!(seen[2].json()["user"], "99", "a v0 vote's user is the Discord id");
}

#[test]
fn overrides_fail_loudly_and_send_nothing() {
    let s = Server::replies(vec![(204, "")]);
    let url = s.url("/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--set", "data.user.nmae=alice"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("data.user.nmae") && stderr(&out).contains("name"), "{}", stderr(&out));
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--set", "data.weight=heavy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("data.weight is a number"), "{}", stderr(&out));
    let out = simulate(&["test", "--url", &url, "--secret", SECRET, "--set", "data"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("PATH=VALUE"), "{}", stderr(&out));
    assert!(s.seen().is_empty(), "nothing is sent after a bad override");
}

#[test]
fn a_template_is_sent_byte_for_byte_unless_modified() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("test.json");
    let raw = "{\n  \"type\": \"webhook.test\",\n  \"data\": {\"user\": {\"name\": \"bob\"}, \"project\": {\"id\": \"1\"}}\n}\n";
    std::fs::write(&template, raw).unwrap();
    let s = Server::replies(vec![(204, "")]);
    let url = s.url("/w");
    let tpl = template.to_str().unwrap();
    let out = simulate(&["test", "--url", &url, "--secret", SECRET, "--payload", tpl]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = simulate(&["test", "--url", &url, "--secret", SECRET, "--payload", tpl, "--set", "data.user.name=eve"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = s.seen();
    assert_eq!(seen[0].body, raw.as_bytes());
    seen[0].verify(SECRET);
    assert_eq!(seen[1].json()["data"]["user"]["name"], "eve");
    seen[1].verify(SECRET);
    std::fs::write(&template, "{not json").unwrap();
    let out = simulate(&["test", "--url", &url, "--secret", SECRET, "--payload", tpl]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not JSON"), "{}", stderr(&out));
}

#[test]
fn legacy_votes_carry_the_authorization_header_and_no_signature() {
    let s = Server::replies(vec![(200, "")]);
    let out = simulate(&["vote", "--legacy", "--url", &s.url("/legacy"), "--secret", "hunter2", "--weight", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let req = &s.seen()[0];
    assert_eq!(req.header("authorization"), Some("hunter2"));
    assert!(req.header("x-topgg-signature").is_none());
    let body = req.json();
    assert_eq!(body["type"], "upvote");
    assert_eq!(body["isWeekend"], true);
    assert!(body["bot"].is_string() && body["user"].is_string());

    let failing = Server::replies(vec![(503, "")]);
    let out =
        simulate(&["vote", "--legacy", "--url", &failing.url("/legacy"), "--secret", "x", "--retry-delays", "1ms"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(failing.seen().len(), 11, "legacy webhooks are retried up to 10 times");
}

#[test]
fn dry_run_prints_the_request_and_curl_and_sends_nothing() {
    let s = Server::replies(vec![(204, "")]);
    let url = s.url("/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--dry-run", "--timestamp", "1770598034"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("POST /w HTTP/1.1"), "{text}");
    assert!(text.contains("x-topgg-signature: t=1770598034,v1="), "{text}");
    assert!(text.contains("curl -sS -X POST"), "{text}");
    let out = simulate(&["vote", "--legacy", "--url", &url, "--secret", "hunter2-secret", "--dry-run"]);
    assert!(!stdout(&out).contains("hunter2-secret"), "legacy secret masked: {}", stdout(&out));
    let out =
        simulate(&["vote", "--legacy", "--url", &url, "--secret", "hunter2-secret", "--dry-run", "--show-secrets"]);
    assert!(stdout(&out).contains("Authorization: hunter2-secret"), "{}", stdout(&out));
    // A short secret equal to a JSON string of the body is masked where it is the secret (the
    // Authorization header), not where the body merely holds the same word.
    let out = simulate(&["vote", "--legacy", "--url", &url, "--secret", "test", "--set", "type=test", "--dry-run"]);
    let text = stdout(&out);
    assert!(text.contains(r#""type":"test""#) && text.contains("Authorization: …"), "{text}");
    assert!(!text.contains(r#""type":"…""#), "{text}");
    assert!(s.seen().is_empty());
}

#[test]
fn retries_follow_the_schedule_with_fresh_signatures_same_body_and_trace() {
    let s = Server::replies(vec![(503, ""), (502, ""), (500, ""), (503, "")]);
    let before = now();
    let out = simulate(&["vote", "--url", &s.url("/w"), "--secret", SECRET, "--retry-delays", "10ms,20ms,40ms"]);
    assert_eq!(out.status.code(), Some(1), "not acknowledged: {}", stderr(&out));
    let seen = s.seen();
    assert_eq!(seen.len(), 4, "1 attempt + 3 retries");
    let mut last_t = before;
    for r in &seen {
        assert_eq!(r.body, seen[0].body);
        assert_eq!(r.header("x-topgg-trace"), seen[0].header("x-topgg-trace"));
        let t = r.verify(SECRET);
        assert!(t >= last_t && t <= now(), "each attempt signed at its own time");
        last_t = t;
    }
    let text = stdout(&out);
    assert!(text.contains("attempt 4 after 40 ms"), "{text}");

    let s = Server::replies(vec![(503, ""), (204, "")]);
    let out = simulate(&["vote", "--url", &s.url("/w"), "--secret", SECRET, "--retry-delays", "10ms"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(s.seen().len(), 2);
}

#[test]
fn a_4xx_is_retried_only_when_asked() {
    let s = Server::replies(vec![(401, "")]);
    let url = s.url("/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--retry-delays", "10ms"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.seen().len(), 1);
    assert!(stdout(&out).contains("response headers"), "a non-2xx shows the answer: {}", stdout(&out));
    let out = simulate(&[
        "vote",
        "--url",
        &url,
        "--secret",
        SECRET,
        "--retry-delays",
        "10ms",
        "--retries",
        "2",
        "--retry-on-4xx",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.seen().len(), 4);
}

#[test]
fn a_refused_connection_names_the_address_and_exits_3() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://localhost:{port}/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--retries", "1", "--retry-delays", "10ms"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("could not connect to localhost (") && err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("refused") && err.contains("2 attempts"), "{err}");
}

#[test]
fn a_slow_receiver_times_out_and_exits_3() {
    let s = Server::start(Box::new(|_, _| Reply { delay: Duration::from_millis(600), ..reply(204) }));
    let out = simulate(&["test", "--url", &s.url("/w"), "--secret", SECRET, "--timeout", "100ms", "--retries", "0"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("within 100 ms"), "{}", stderr(&out));
}

#[test]
fn json_prints_one_object_per_delivery_and_nothing_else() {
    let s = Server::replies(vec![(500, "{\"error\":\"db down\"}"), (204, "")]);
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--retry-delays", "5ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["verdict"], "acknowledged");
    assert_eq!(v["attempts"][0]["status"], 500);
    assert_eq!(v["attempts"][0]["response_body"], "{\"error\":\"db down\"}");
    assert_eq!(v["attempts"][1]["status"], 204);
    assert!(v["attempts"][1]["latency_ms"].is_number());
}

#[test]
fn secrets_come_from_files_and_a_missing_one_is_unusable_input() {
    let s = Server::replies(vec![(204, "")]);
    let url = s.url("/w");
    let out = simulate(&["vote", "--url", &url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--secret"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let out = simulate(&["vote", "--url", &url, "--secret-file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("trailing newline"));
    s.seen()[0].verify(SECRET);
}

/// How a config URL answers `integration.create`, given its base URL and the connection id.
type Answer = fn(&str, &str) -> Reply;

/// A config URL that answers the handshake with `answer(base, connection_id)`.
fn config_server(answer: Answer) -> Server {
    Server::start(Box::new(move |req, base| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        match body["type"].as_str() {
            Some("integration.create") => answer(base, body["data"]["connection_id"].as_str().unwrap_or("?")),
            _ => reply(204),
        }
    }))
}

fn good_answer(base: &str, id: &str) -> Reply {
    json_reply(200, &format!(r#"{{"webhook_url":"{base}/webhooks/{id}","routes":["vote.create","webhook.test"]}}"#))
}

#[test]
fn create_checks_the_handshake_and_saves_the_connection_for_later_commands() {
    let s = config_server(good_answer);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("conn.json");
    let out = simulate(&[
        "create",
        "--url",
        &s.url("/integration"),
        "--integration-secret",
        INTEGRATION,
        "--connection-id",
        "1234",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let req = &s.seen()[0];
    req.verify(INTEGRATION);
    let body = req.json();
    assert_eq!(body["type"], "integration.create");
    assert_eq!(body["data"]["connection_id"], "1234");
    let whs = body["data"]["webhook_secret"].as_str().unwrap().to_string();
    assert!(whs.starts_with("whs_"));
    let text = stdout(&out);
    assert!(text.contains("handshake ok") && text.contains("1234"), "{text}");
    assert!(text.contains(&format!("{}/webhooks/1234", s.base)), "{text}");
    assert!(!text.contains(&whs), "webhook secret masked: {text}");

    let file: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(file["webhook_secret"], whs.as_str());
    let out = simulate(&["vote", "--from", saved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let delete = simulate(&["delete", "--from", saved.to_str().unwrap(), "--integration-secret", INTEGRATION]);
    assert_eq!(delete.status.code(), Some(0), "{}", stderr(&delete));
    let seen = s.seen();
    assert_eq!(seen[1].path, "/webhooks/1234");
    seen[1].verify(&whs);
    assert_eq!(seen[2].json(), serde_json::json!({"type": "integration.delete", "data": {"connection_id": "1234"}}));
    seen[2].verify(INTEGRATION);
}

#[test]
fn every_handshake_failure_is_named() {
    let cases: [(Answer, &str); 6] = [
        (|_, _| json_reply(500, r#"{"error":"boom"}"#), "500"),
        (|_, _| Reply { content_type: Some("text/html"), ..json_reply(200, "<html>ok</html>") }, "not JSON"),
        (|_, _| json_reply(200, r#"{"routes":["vote.create"]}"#), "webhook_url is missing"),
        (|_, id| json_reply(200, &format!(r#"{{"webhook_url":"/webhooks/{id}","routes":[]}}"#)), "not an absolute"),
        (|b, _| json_reply(200, &format!(r#"{{"webhook_url":"{b}/w","routes":["vote.delete"]}}"#)), "vote.delete"),
        (|b, _| json_reply(200, &format!(r#"{{"webhook_url":"{b}/w","routes":"vote.create"}}"#)), "not an array"),
    ];
    for (answer, expect) in cases {
        let s = config_server(answer);
        let out = simulate(&["create", "--url", &s.url("/i"), "--integration-secret", INTEGRATION, "--retries", "0"]);
        assert_eq!(out.status.code(), Some(1), "{expect}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("handshake failed") && stdout(&out).contains(expect),
            "{expect}: {}",
            stdout(&out)
        );
    }
    let slow = config_server(|b, id| Reply { delay: Duration::from_millis(600), ..good_answer(b, id) });
    let out = simulate(&[
        "create",
        "--url",
        &slow.url("/i"),
        "--integration-secret",
        INTEGRATION,
        "--timeout",
        "100ms",
        "--retries",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("within 100 ms"), "{}", stderr(&out));
    let out = simulate(&["create", "--url", &slow.url("/i")]);
    assert_eq!(out.status.code(), Some(2), "an integration secret is required with --url");
}

#[test]
fn flow_runs_the_whole_lifecycle_with_the_connection_secret() {
    let s = config_server(good_answer);
    let out = cmd()
        .args(["--json", "simulate", "flow", "--url", &s.url("/integration"), "--integration-secret", INTEGRATION])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let seen = s.seen();
    let types: Vec<String> = seen.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, ["integration.create", "webhook.test", "vote.create", "integration.delete"]);
    let create = seen[0].json();
    let id = create["data"]["connection_id"].as_str().unwrap();
    let whs = create["data"]["webhook_secret"].as_str().unwrap();
    seen[0].verify(INTEGRATION);
    for r in &seen[1..3] {
        assert_eq!(r.path, format!("/webhooks/{id}"));
        r.verify(whs);
    }
    assert_eq!(seen[3].path, "/integration");
    seen[3].verify(INTEGRATION);
    let lines: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["handshake"]["ok"], true);
    assert!(lines.iter().all(|l| l["verdict"] == "acknowledged" && l["attempts"][0]["latency_ms"].is_number()));

    let bad = config_server(|_, _| json_reply(200, "{}"));
    let out = simulate(&["flow", "--url", &bad.url("/i"), "--integration-secret", INTEGRATION]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(bad.seen().len(), 1, "nothing is delivered without a handshake");
}

#[test]
fn replay_resends_verbatim_or_resigned() {
    let s = Server::replies(vec![(403, ""), (204, "")]);
    let body = r#"{"type":"webhook.test","data":{}}"#;
    let capture = format!(
        "POST /webhooks/9 HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\nx-topgg-signature: t=1000,v1={}\r\nx-topgg-trace: trace-1\r\nContent-Length: {}\r\n\r\n{body}",
        "ab".repeat(32),
        body.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.http");
    std::fs::write(&file, capture).unwrap();
    let f = file.to_str().unwrap();
    let out = simulate(&["replay", f, "--url", &s.base, "--verbatim", "--retries", "0"]);
    // Signed at t=1000, long outside the window: the refusal is what a correct receiver does,
    // so it is the pass (exit 0), and said so.
    assert_eq!(out.status.code(), Some(0), "a correct receiver refuses it: {}", stderr(&out));
    assert!(stderr(&out).contains("refused, as it must be"), "{}", stderr(&out));
    let out = simulate(&["replay", f, "--url", &s.base, "--resign", "--secret", SECRET]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = s.seen();
    assert_eq!(seen[0].path, "/webhooks/9");
    assert_eq!(seen[0].header("x-topgg-signature").unwrap(), format!("t=1000,v1={}", "ab".repeat(32)));
    assert_eq!(seen[1].body, body.as_bytes());
    assert_eq!(seen[1].header("x-topgg-trace"), Some("trace-1"));
    assert!(seen[1].verify(SECRET) > 1000);
}

#[test]
fn load_mode_sends_distinct_signed_votes_and_summarises() {
    let s = Server::replies(vec![(204, "")]);
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--count", "30"])
        .args(["--concurrency", "4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["sent"], 30);
    assert_eq!(summary["statuses"]["204"], 30);
    assert!(summary["latency_ms"]["p99"].is_number() && summary["throughput_per_s"].as_f64().unwrap() > 0.0);
    let seen = s.seen();
    assert_eq!(seen.len(), 30);
    let mut ids: Vec<String> = seen.iter().map(|r| r.json()["data"]["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "every vote has its own id");
    let mut traces: Vec<&str> = seen.iter().map(|r| r.header("x-topgg-trace").unwrap()).collect();
    traces.sort();
    traces.dedup();
    assert_eq!(traces.len(), 30);
    for r in &seen {
        r.verify(SECRET);
    }
}

#[test]
fn without_url_the_builtin_receiver_is_the_target() {
    let out = cmd().args(["--json", "simulate", "flow"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no --url: running against the built-in receiver at http://127.0.0.1:"), "{err}");
    let lines: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let steps: Vec<&str> = lines.iter().map(|l| l["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["integration.create", "webhook.test", "vote.create", "integration.delete"]);
    assert!(lines.iter().all(|l| l["verdict"] == "acknowledged"), "{lines:?}");

    let out = simulate(&["flow"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("flow complete: handshake ok, 4/4 requests acknowledged"), "{}", stdout(&out));

    let out = cmd().args(["--json", "simulate", "vote", "--set", "data.user.name=alice"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the handshake, then the vote");
    assert_eq!(lines[1]["step"], "vote.create");
    assert_eq!(lines[1]["status"], 204);

    let out = simulate(&["vote", "--legacy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("/legacy") && stdout(&out).contains("acknowledged (200)"), "{}", stdout(&out));
}

#[test]
fn replay_needs_a_url_to_send_to() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"type":"webhook.test","data":{}}"#;
    let file = dir.path().join("old.http");
    let old = format!(
        "POST /webhooks/1 HTTP/1.1\r\nContent-Type: application/json\r\nx-topgg-signature: t=1000,v1={}\r\nx-topgg-trace: t1\r\n\r\n{body}",
        "0".repeat(64)
    );
    std::fs::write(&file, old).unwrap();
    let out = simulate(&["replay", file.to_str().unwrap(), "--verbatim"]);
    assert_eq!(out.status.code(), Some(2), "replay needs a target: {}", stderr(&out));
    assert!(stderr(&out).contains("--url"), "{}", stderr(&out));
}

#[test]
fn load_mode_keeps_connections_alive_against_the_builtin_receiver() {
    let out = cmd()
        .args(["--json", "simulate", "vote", "--count", "60", "--concurrency", "4", "--weight", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["sent"], 60);
    assert_eq!(summary["acknowledged"], 60, "the receiver verified every signature: {summary}");
    assert_eq!(summary["statuses"], serde_json::json!({"204": 60}));
}

#[test]
fn load_mode_counts_refusals_and_unreachable_targets() {
    let s = Server::replies(vec![(401, "")]);
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--count", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["statuses"]["401"], 5);
    assert_eq!(summary["acknowledged"], 0);

    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/w");
    let out = simulate(&["vote", "--url", &url, "--secret", SECRET, "--count", "3", "--retries", "0"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 of 3 votes were not delivered") && stderr(&out).contains("refused"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn trace_and_timestamp_can_be_chosen() {
    let s = Server::replies(vec![(204, "")]);
    let out = simulate(&[
        "test",
        "--url",
        &s.url("/w"),
        "--secret",
        SECRET,
        "--trace",
        "my-trace",
        "--timestamp",
        "1770598034",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let req = &s.seen()[0];
    assert_eq!(req.header("x-topgg-trace"), Some("my-trace"));
    assert_eq!(req.verify(SECRET), 1770598034);
}

#[test]
fn tls_problems_are_named() {
    let s = Server::replies(vec![(204, "")]);
    let https = s.url("/w").replace("http://", "https://");
    let out = simulate(&["test", "--url", &https, "--secret", SECRET, "--retries", "0"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("TLS handshake") && stderr(&out).contains("use http://"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("ca.pem");
    std::fs::write(&pem, "not a certificate\n").unwrap();
    let out = simulate(&["test", "--url", &https, "--secret", SECRET, "--cacert", pem.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ca.pem"), "{}", stderr(&out));
}

#[test]
fn verbose_shows_the_exchange_and_dry_run_masks_the_webhook_secret_in_create() {
    let s = Server::replies(vec![(204, "")]);
    let out = simulate(&["vote", "--legacy", "--url", &s.url("/legacy"), "--secret", "hunter2-secret", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("request headers:") && text.contains("response headers:"), "{text}");
    assert!(text.contains("Authorization: hu") && !text.contains("hunter2-secret"), "{text}");

    let whs = "whs_visible0123456789abcdef0123456789";
    let args =
        ["create", "--url", &s.url("/i"), "--integration-secret", INTEGRATION, "--webhook-secret", whs, "--dry-run"];
    let out = simulate(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("integration.create") && !stdout(&out).contains(whs), "{}", stdout(&out));
    assert!(stdout(&out).contains("secrets masked, so a receiver will refuse it"), "{}", stdout(&out));
    let out = cmd().arg("simulate").args(args).arg("--show-secrets").output().unwrap();
    assert!(stdout(&out).contains(whs), "{}", stdout(&out));
    assert!(stdout(&out).contains("# the same with curl:"), "{}", stdout(&out));
    assert_eq!(s.seen().len(), 1, "dry runs send nothing");
}

#[test]
fn rate_paces_load_mode() {
    let s = Server::replies(vec![(204, "")]);
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--count", "6"])
        .args(["--concurrency", "3", "--rate", "50/s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["elapsed_ms"].as_f64().unwrap() >= 95.0, "6 votes at 50/s take 100 ms: {summary}");
}

#[test]
fn a_verbatim_replay_that_is_acknowledged_is_flagged() {
    let s = Server::replies(vec![(204, "")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.http");
    std::fs::write(&file, "POST /w HTTP/1.1\r\nx-topgg-signature: t=1,v1=00\r\n\r\n{}").unwrap();
    let out = simulate(&["replay", file.to_str().unwrap(), "--url", &s.base, "--verbatim"]);
    // Signed at t=1: acknowledging it is the receiver's failure, the negative verdict (exit 1).
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("acknowledged a verbatim replay"), "{}", stderr(&out));
    assert_eq!(s.seen()[0].body, b"{}");
}

#[test]
fn built_in_receiver_is_reached_even_with_a_proxy_configured() {
    // A proxy that refuses everything: loopback traffic to the built-in receiver must not use it.
    let out = cmd().args(["simulate", "flow"]).env("HTTP_PROXY", "http://127.0.0.1:9").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("flow complete: handshake ok, 4/4 requests acknowledged"), "{}", stdout(&out));
}

#[test]
fn a_refusal_through_a_proxy_names_the_proxy() {
    let out = cmd()
        .args(["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--secret", SECRET, "--retries", "0"])
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("went through the proxy http://127.0.0.1:9 from HTTP_PROXY"), "{}", stderr(&out));
}

/// What Top.gg never sends is still sent when asked (a receiver may need testing with it), but
/// never silently: a weight below 1, a trace id that is not 32 hex digits, a secret without whs_.
#[test]
fn unusual_values_are_sent_with_a_warning_each() {
    let out = cmd()
        .args(["simulate", "vote", "--dry-run", "--url", "http://127.0.0.1:9/w", "--secret", "plain_secret"])
        .args(["--weight", "0", "--trace", "with spaces"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("warning: --weight 0: Top.gg sends 1, or 2 under the weekend multiplier"), "{err}");
    assert!(err.contains("warning: --trace \"with spaces\" is not a trace id like Top.gg's"), "{err}");
    assert!(err.contains("warning: the webhook secret from --secret does not start with whs_"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("\"weight\":0") && stdout.contains("x-topgg-trace: with spaces"), "{stdout}");

    // Top.gg's own shapes get no warning.
    let out = cmd()
        .args(["simulate", "vote", "--dry-run", "--url", "http://127.0.0.1:9/w", "--secret", "whs_abc"])
        .args(["--weight", "2", "--trace", "0123456789abcdef0123456789abcdef"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("warning"), "{err}");
}

/// Load mode runs at most one task per vote, refuses a concurrency no machine can open, and
/// `--from` reads only a regular file of a connection's size (not a FIFO, not /dev/zero).
#[test]
fn concurrency_and_from_are_bounded() {
    let s = Server::replies(vec![(204, "")]);
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--count", "3"])
        .args(["--concurrency", "500"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["concurrency"], 3, "{summary}");

    let out = cmd()
        .args(["simulate", "vote", "--url", &s.url("/w"), "--secret", SECRET, "--count", "2"])
        .args(["--concurrency", "10000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--concurrency 10000000 is more than 65536"), "{}", stderr(&out));

    for from in ["/dev/zero", "/dev/null"] {
        let out = cmd().args(["simulate", "vote", "--from", from]).timeout(crate::common::HANG_GUARD).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{from}");
        assert!(stderr(&out).contains("is not a regular file"), "{}", stderr(&out));
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 70 * 1024]).unwrap();
    let out = cmd().args(["simulate", "vote", "--from"]).arg(&big).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is over 64 KiB"), "{}", stderr(&out));
}
