//! `topgg-int check` against receivers written here: a good one that passes every case, and
//! variations of it that each break one thing and must fail exactly the cases that thing breaks.
//! The receivers verify signatures with their own HMAC code, not the crate's.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::cmd;

const INTEGRATION_SECRET: &str = "whs_integration_secret_for_check_tests";
const LEGACY_SECRET: &str = "legacy_authorization_for_check_tests";
const MAX_BODY: usize = 2 * 1024 * 1024;

/// What a test receiver gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    /// Answers 204 to every delivery without verifying anything.
    AcceptAnything,
    /// Parses the JSON and re-serialises it before computing the HMAC.
    Reserialize,
    /// Uses the webhook secret without its `whs_` prefix as the HMAC key.
    StripPrefix,
    /// Hands out a relative webhook_url in the handshake.
    RelativeUrl,
    /// Answers webhook.test after this many milliseconds.
    SlowTest(u64),
    /// Answers 500 to a vote.create id it has seen before.
    DuplicateIs500,
    /// Answers 204 to a vote.create id it has seen before without verifying it again.
    DedupBeforeVerify,
    /// Answers 204 to a body that is not JSON or of an unknown type before verifying it (python SDK).
    ParseFirst,
    /// Compares only the first 64 characters of `v1` (node SDK).
    PrefixMac,
    /// Dies on a `v1` shorter than 64 characters: closes that connection unanswered and stops
    /// listening (node SDK).
    CrashOnShortMac,
    /// Reads every request head on the accept thread, one client at a time.
    SerialHead,
    /// Reads request bodies one at a time, under one lock.
    SerialBody,
    /// Refuses (400) a vote.create with a field it does not know.
    StrictFields,
    /// Refuses (400) a vote.create without data.query.
    RequiresQuery,
    /// Accepts any request with the right legacy Authorization, signature or not.
    LegacyFirst,
}

#[derive(Default)]
struct State {
    connections: HashMap<String, String>,
    seen_votes: HashSet<String>,
    requests: usize,
    /// Set by [`Flaw::CrashOnShortMac`]: nothing is answered any more.
    dead: bool,
}

/// Held while a [`Flaw::SerialBody`] receiver reads a body.
static BODY_LOCK: Mutex<()> = Mutex::new(());

struct Receiver {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    fn config_url(&self) -> String {
        format!("http://127.0.0.1:{}/config", self.port)
    }

    fn connections(&self) -> usize {
        self.state.lock().unwrap().connections.len()
    }
}

fn start(flaw: Flaw) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(Mutex::new(State::default()));
    let shared = Arc::clone(&state);
    // The accept loop lives until the test binary exits; each connection gets its own thread so
    // a slow answer does not hold up the others.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if shared.lock().unwrap().dead {
                // Dropping the listener: from now on connections are refused.
                break;
            }
            let state = Arc::clone(&shared);
            let mut reader = BufReader::new(stream);
            let head = if flaw == Flaw::SerialHead { Some(read_head(&mut reader)) } else { None };
            std::thread::spawn(move || {
                let head = head.unwrap_or_else(|| read_head(&mut reader));
                serve_one(reader, head, &state, flaw, port)
            });
        }
    });
    Receiver { port, state }
}

struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

type Head = Option<(String, HashMap<String, String>)>;

fn read_head(reader: &mut BufReader<TcpStream>) -> Head {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    Some((path, headers))
}

fn read_body(reader: &mut BufReader<TcpStream>, (path, headers): (String, HashMap<String, String>)) -> Option<Request> {
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { path, headers, body })
}

fn respond(mut stream: TcpStream, status: u16, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nServer: check-test-receiver\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// Protocol §3 verification, written independently of the crate: 401 missing, 400 malformed,
/// 403 out of the 30 s window, 401 mismatch.
fn verify(secret: &str, header: Option<&String>, body: &[u8]) -> Result<(), u16> {
    let header = header.ok_or(401u16)?;
    let (mut t, mut v1) = (None, None);
    for pair in header.split(',') {
        match pair.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (t, v1) = (t.ok_or(400u16)?, v1.ok_or(400u16)?);
    let ts: i64 = t.parse().map_err(|_| 400u16)?;
    if v1.len() != 64 || !v1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(400);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    if (now - ts).abs() > 30 {
        return Err(403);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    if hex::encode(mac.finalize().into_bytes()) == v1 { Ok(()) } else { Err(401) }
}

fn serve_one(mut reader: BufReader<TcpStream>, head: Head, state: &Mutex<State>, flaw: Flaw, port: u16) {
    let Some(head) = head else { return };
    let req = if flaw == Flaw::SerialBody {
        let _one_at_a_time = BODY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        read_body(&mut reader, head)
    } else {
        read_body(&mut reader, head)
    };
    let Some(req) = req else { return };
    {
        let mut state = state.lock().unwrap();
        if state.dead {
            return;
        }
        state.requests += 1;
    }
    if flaw == Flaw::CrashOnShortMac && short_mac(req.headers.get("x-topgg-signature")) {
        state.lock().unwrap().dead = true;
        // Wake the accept loop so that it sees the crash and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", port));
        return;
    }
    let (status, body) = answer(&req, state, flaw, port);
    respond(reader.into_inner(), status, &body);
}

fn short_mac(header: Option<&String>) -> bool {
    header.and_then(|h| h.split(',').find_map(|p| p.strip_prefix("v1="))).is_some_and(|v1| v1.len() < 64)
}

const KNOWN_VOTE_FIELDS: [&str; 7] = ["id", "weight", "created_at", "expires_at", "project", "user", "query"];

/// A reason to refuse a verified vote.create for [`Flaw::StrictFields`] or [`Flaw::RequiresQuery`].
fn picky(event: &Value, flaw: Flaw) -> bool {
    let data = event["data"].as_object();
    match flaw {
        Flaw::StrictFields => {
            event.as_object().is_some_and(|o| o.keys().any(|k| k != "type" && k != "data"))
                || data.is_some_and(|d| d.keys().any(|k| !KNOWN_VOTE_FIELDS.contains(&k.as_str())))
                || ["project", "user"].iter().any(|p| {
                    event["data"][p].as_object().is_some_and(|o| {
                        o.keys().any(|k| {
                            !["id", "type", "platform", "platform_id", "name", "avatar_url"].contains(&k.as_str())
                        })
                    })
                })
        }
        Flaw::RequiresQuery => data.is_some_and(|d| !d.contains_key("query")),
        _ => false,
    }
}

fn answer(req: &Request, state: &Mutex<State>, flaw: Flaw, port: u16) -> (u16, String) {
    let sig = req.headers.get("x-topgg-signature");
    if req.path == "/config" {
        if let Err(code) = verify(INTEGRATION_SECRET, sig, &req.body) {
            return (code, String::new());
        }
        let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let id = event["data"]["connection_id"].as_str().unwrap_or_default().to_string();
        return match event["type"].as_str() {
            Some("integration.create") => {
                let secret = event["data"]["webhook_secret"].as_str().unwrap_or_default().to_string();
                state.lock().unwrap().connections.insert(id.clone(), secret);
                let base = if flaw == Flaw::RelativeUrl { String::new() } else { format!("http://127.0.0.1:{port}") };
                let answer =
                    json!({"webhook_url": format!("{base}/webhooks/{id}"), "routes": ["vote.create", "webhook.test"]});
                (200, answer.to_string())
            }
            Some("integration.delete") => {
                state.lock().unwrap().connections.remove(&id);
                (204, String::new())
            }
            _ => (204, String::new()),
        };
    }
    let Some(id) = req.path.strip_prefix("/webhooks/") else { return (404, String::new()) };
    let Some(secret) = state.lock().unwrap().connections.get(id).cloned() else { return (404, String::new()) };
    if flaw == Flaw::AcceptAnything {
        return (204, String::new());
    }
    let authorization = req.headers.get("authorization");
    if flaw == Flaw::LegacyFirst && authorization.is_some_and(|a| a == LEGACY_SECRET) {
        return (200, String::new());
    }
    if sig.is_none()
        && let Some(auth) = authorization
    {
        // A v0 vote: Authorization is the whole check (protocol.md §6).
        return if auth == LEGACY_SECRET { (200, String::new()) } else { (401, String::new()) };
    }
    if flaw == Flaw::ParseFirst {
        let known = ["vote.create", "webhook.test"];
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(event) if event["type"].as_str().is_some_and(|t| known.contains(&t)) => {}
            _ => return (204, String::new()),
        }
    }
    if req.body.len() > MAX_BODY {
        return (413, String::new());
    }
    if !req.headers.contains_key("x-topgg-trace") {
        return (401, String::new());
    }
    if flaw == Flaw::DedupBeforeVerify {
        let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        if event["data"]["id"].as_str().is_some_and(|id| state.lock().unwrap().seen_votes.contains(id)) {
            return (204, String::new());
        }
    }
    let key = match flaw {
        Flaw::StripPrefix => secret.strip_prefix("whs_").unwrap_or(&secret).to_string(),
        _ => secret,
    };
    let sig_owned;
    let sig = match (flaw, sig) {
        (Flaw::PrefixMac, Some(h)) => {
            // Keep only the first 64 characters of v1, as a decoder that stops early does.
            sig_owned = h
                .split(',')
                .map(|p| match p.strip_prefix("v1=") {
                    Some(v1) if v1.len() > 64 => format!("v1={}", &v1[..64]),
                    _ => p.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            Some(&sig_owned)
        }
        _ => sig,
    };
    let signed_bytes = match flaw {
        Flaw::Reserialize => {
            serde_json::to_vec(&serde_json::from_slice::<Value>(&req.body).unwrap_or_default()).unwrap()
        }
        _ => req.body.clone(),
    };
    if let Err(code) = verify(&key, sig, &signed_bytes) {
        return (code, String::new());
    }
    let event: Value = serde_json::from_slice(&req.body).unwrap_or_default();
    match event["type"].as_str() {
        Some("vote.create") => {
            if picky(&event, flaw) {
                return (400, "unexpected vote".into());
            }
            let id = event["data"]["id"].as_str().unwrap_or_default().to_string();
            let fresh = state.lock().unwrap().seen_votes.insert(id);
            if !fresh && flaw == Flaw::DuplicateIs500 {
                return (500, "duplicate".into());
            }
        }
        Some("webhook.test") => {
            if let Flaw::SlowTest(ms) = flaw {
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        _ => {}
    }
    (204, String::new())
}

/// Runs `check --json` against a receiver; returns the exit code and the report.
fn check(receiver: &Receiver, extra: &[&str]) -> (i32, Value) {
    let out = cmd()
        .args(["--json", "check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), report)
}

/// Runs `check` with `--junit` into a temporary file; returns the exit code, stdout and the one
/// testsuite element of the (well-formed) XML.
fn check_junit(receiver: &Receiver, extra: &[&str]) -> (i32, String, xml::Element) {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let out = cmd()
        .args(["check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .args(["--junit", junit.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut root = xml::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(root.name, "testsuites");
    assert_eq!(root.children.len(), 1, "{xml}");
    let suite = root.children.remove(0);
    assert_eq!(suite.name, "testsuite");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), suite)
}

/// All 29 cases ran, and each passed or is info.
fn assert_every_case_passed(report: &Value) {
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 29);
    let not_ok: Vec<_> = cases.iter().filter(|c| c["result"] != "pass" && c["result"] != "info").collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
}

fn with_result<'a>(report: &'a Value, result: &str) -> BTreeSet<&'a str> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] == result)
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or(&Value::Null)
}

#[test]
fn good_receiver_passes_every_case_strictly_and_cleans_up() {
    let receiver = start(Flaw::None);
    let (code, stdout, suite) = check_junit(&receiver, &["--json", "--strict", "--legacy-secret", LEGACY_SECRET]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 0, "{report:#}");
    assert_every_case_passed(&report);
    assert_eq!(report["passed"], true);
    assert_eq!(case(&report, "trace-header")["facts"]["required"], true);
    assert_eq!(case(&report, "rejection-statuses")["facts"]["stale-timestamp"], 403);
    assert_eq!(case(&report, "server-header")["detail"], "check-test-receiver");
    assert_eq!(receiver.connections(), 0, "the suite's connection was not deleted");

    assert_eq!(suite.attr("tests"), Some("29"));
    assert_eq!(suite.attr("failures"), Some("0"));
    assert_eq!(suite.attr("skipped"), Some("0"));
    let cases: Vec<_> = suite.children.iter().filter(|c| c.name == "testcase").collect();
    assert_eq!(cases.len(), 29);
    assert!(cases.iter().all(|c| c.children.iter().all(|x| x.name == "system-out")));
}

#[test]
fn broken_receivers_fail_exactly_the_case_they_break() {
    let rejects_all = vec![
        "distinguishes-v0-from-v1",
        "rejects-bad-signature",
        "rejects-future-timestamp",
        "rejects-malformed-header",
        "rejects-missing-signature",
        "rejects-overlong-v1",
        "rejects-oversized-body",
        "rejects-prefix-stripped-secret",
        "rejects-stale-timestamp",
        "rejects-tampered-body",
        "rejects-unverified-unparseable",
        "rejects-verbatim-replay",
        "rejects-wrong-secret",
    ];
    let scenarios: Vec<(Flaw, Vec<&str>, &[&str])> = vec![
        (Flaw::AcceptAnything, rejects_all, &[]),
        (Flaw::Reserialize, vec!["delivery"], &[]),
        (Flaw::StripPrefix, vec!["delivery", "rejects-prefix-stripped-secret"], &[]),
        (Flaw::RelativeUrl, vec!["handshake"], &[]),
        (Flaw::SlowTest(700), vec!["delivery"], &["--timeout", "300ms"]),
        (Flaw::DuplicateIs500, vec!["idempotent-retry"], &[]),
        (Flaw::DedupBeforeVerify, vec!["rejects-verbatim-replay"], &[]),
        (Flaw::ParseFirst, vec!["rejects-unverified-unparseable"], &[]),
        (Flaw::PrefixMac, vec!["rejects-overlong-v1"], &[]),
        (Flaw::SerialHead, vec!["slow-head"], &["--timeout", "1s"]),
        (Flaw::SerialBody, vec!["slow-body"], &["--timeout", "1s"]),
        (Flaw::StrictFields, vec!["tolerates-unknown-fields"], &[]),
        (Flaw::RequiresQuery, vec!["tolerates-missing-query"], &[]),
        (Flaw::LegacyFirst, vec!["distinguishes-v0-from-v1"], &[]),
        (Flaw::CrashOnShortMac, vec!["keeps-answering", "rejects-malformed-header"], &[]),
    ];
    // The suites run at once: each waits a second or two for its replay case.
    let runs: Vec<_> = scenarios
        .into_iter()
        .map(|(flaw, expected, extra)| {
            std::thread::spawn(move || {
                let receiver = start(flaw);
                let mut args = vec!["--strict", "--legacy-secret", LEGACY_SECRET];
                args.extend_from_slice(extra);
                let (code, report) = check(&receiver, &args);
                (flaw, expected, code, report, receiver.connections())
            })
        })
        .collect();
    for run in runs {
        let (flaw, expected, code, report, connections) = run.join().unwrap();
        let failed: Vec<&str> = with_result(&report, "fail").into_iter().collect();
        assert_eq!(failed, expected, "{flaw:?}: {report:#}");
        assert_eq!(code, 1, "{flaw:?}");
        if flaw != Flaw::CrashOnShortMac {
            assert_eq!(connections, 0, "{flaw:?}: the connection was not deleted");
        }
        match flaw {
            Flaw::Reserialize => {
                let detail = case(&report, "delivery")["detail"].as_str().unwrap();
                assert!(detail.contains("re-serialises"), "{detail}");
                assert!(case(&report, "rejects-bad-signature")["detail"].as_str().unwrap().starts_with("inconclusive"));
            }
            Flaw::RelativeUrl => {
                let detail = case(&report, "handshake")["detail"].as_str().unwrap();
                assert!(detail.contains("\"/webhooks/") && detail.contains("not an absolute URL"), "{detail}");
                let skipped = case(&report, "delivery")["detail"].as_str().unwrap();
                assert!(skipped.starts_with("no webhook URL"), "{skipped}");
                assert_eq!(case(&report, "delete")["result"], "pass");
            }
            Flaw::SlowTest(_) => {
                let detail = case(&report, "delivery")["detail"].as_str().unwrap();
                assert!(
                    detail.contains("webhook.test no answer from 127.0.0.1:") && detail.contains("within 300 ms"),
                    "{detail}"
                );
            }
            Flaw::AcceptAnything => {
                let detail = case(&report, "rejects-bad-signature")["detail"].as_str().unwrap();
                assert!(detail.starts_with("accepted with 204: verify"), "{detail}");
            }
            Flaw::StripPrefix => {
                let detail = case(&report, "delivery")["detail"].as_str().unwrap();
                assert!(detail.contains("the receiver strips the prefix"), "{detail}");
            }
            Flaw::ParseFirst => {
                let detail = case(&report, "rejects-unverified-unparseable")["detail"].as_str().unwrap();
                for variant in ["forged/not-json", "forged/unknown-type", "unsigned/not-json", "unsigned/unknown-type"]
                {
                    assert!(detail.contains(&format!("{variant}: accepted with 204")), "{detail}");
                }
            }
            Flaw::PrefixMac => {
                let detail = case(&report, "rejects-overlong-v1")["detail"].as_str().unwrap();
                assert!(detail.contains("extra-characters: accepted with 204"), "{detail}");
            }
            Flaw::LegacyFirst => {
                let detail = case(&report, "distinguishes-v0-from-v1")["detail"].as_str().unwrap();
                assert!(detail.starts_with("forged-v1-right-authorization should be refused"), "{detail}");
            }
            Flaw::CrashOnShortMac => {
                assert_eq!(report["stopped_after"], "rejects-malformed-header");
                let not_run = "not run: the receiver stopped answering after rejects-malformed-header";
                let later =
                    ["rejects-oversized-body", "idempotent-retry", "slow-body", "rejects-verbatim-replay", "delete"];
                for name in later {
                    assert_eq!(case(&report, name)["result"], "skip", "{name}: {report:#}");
                    assert_eq!(case(&report, name)["detail"], not_run, "{name}");
                }
                assert_eq!(case(&report, "rejects-future-timestamp")["result"], "pass");
                assert_eq!(case(&report, "latency")["result"], "info");
            }
            _ => {}
        }
    }
}

#[test]
fn recommended_failures_warn_without_strict_and_pass_in_junit() {
    let receiver = start(Flaw::DuplicateIs500);
    let (code, stdout, suite) = check_junit(&receiver, &["--skip", "rejects-verbatim-replay"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("idempotent-retry") && stdout.contains("  warn  "), "{stdout}");
    assert!(stdout.contains("first 204"), "{stdout}");
    assert!(stdout.contains("1 warnings") && stdout.contains("PASSED"), "{stdout}");
    assert!(!stdout.contains("rejects-verbatim-replay"), "{stdout}");
    assert_eq!((suite.attr("tests"), suite.attr("failures")), (Some("28"), Some("0")));
    let retry = suite.children.iter().find(|c| c.attr("name") == Some("idempotent-retry")).unwrap();
    assert_eq!(retry.attr("classname"), Some("topgg-int.check.recommended"));
    assert_eq!(retry.children.len(), 1);
    assert_eq!(retry.children[0].name, "system-out");
    assert!(retry.children[0].text.starts_with("WARNING: "), "{}", retry.children[0].text);

    // With --strict the same miss is a <failure> and exit 1.
    let (code, _, suite) = check_junit(&receiver, &["--strict", "--only", "handshake,idempotent-retry"]);
    assert_eq!(code, 1);
    assert_eq!((suite.attr("tests"), suite.attr("failures")), (Some("2"), Some("1")));
    let failure = &suite.children.iter().find(|c| c.attr("name") == Some("idempotent-retry")).unwrap().children[0];
    assert_eq!(failure.name, "failure");
    assert_eq!(failure.attr("type"), Some("recommended"));
    assert!(failure.attr("message").unwrap().contains("retry 500"), "{failure:?}");
}

#[test]
fn failed_handshake_skips_dependent_cases_with_a_reason_in_junit() {
    let receiver = start(Flaw::RelativeUrl);
    let (code, _, suite) = check_junit(&receiver, &["--only", "handshake,delivery,delete"]);
    assert_eq!(code, 1);
    assert_eq!((suite.attr("tests"), suite.attr("failures"), suite.attr("skipped")), (Some("3"), Some("1"), Some("1")));
    let find = |n: &str| suite.children.iter().find(|c| c.attr("name") == Some(n)).unwrap();
    assert_eq!(find("handshake").children[0].name, "failure");
    let skipped = &find("delivery").children[0];
    assert_eq!(skipped.name, "skipped");
    assert!(skipped.attr("message").unwrap().contains("no webhook URL"), "{skipped:?}");
    assert!(find("delete").children.is_empty());
    assert_eq!(receiver.connections(), 0);
}

#[test]
fn only_reports_the_chosen_cases_but_still_sets_up_and_cleans_up() {
    let receiver = start(Flaw::None);
    let (code, report) = check(&receiver, &["--only", "rejects-wrong-secret"]);
    assert_eq!(code, 0, "{report:#}");
    let names: Vec<_> = report["cases"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["rejects-wrong-secret"]);
    assert_eq!(case(&report, "rejects-wrong-secret")["detail"], "refused with 401");
    assert_eq!(receiver.connections(), 0);
    // handshake, webhook.test, vote.create, the case, delete.
    assert_eq!(receiver.state.lock().unwrap().requests, 5);
}

#[test]
fn unusable_input_exits_2_and_names_it() {
    let out = cmd()
        .args(["check", "--url", "http://127.0.0.1:9/config", "--integration-secret", "x"])
        .args(["--only", "handshake,rejects-everything"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"rejects-everything\"") && err.contains("rejects-tampered-body"), "{err}");

    for url in ["/config", "ftp://example.com/config", "not a url"] {
        let out = cmd().args(["check", "--url", url, "--integration-secret", "x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--url"), "{url}");
    }

    let out = cmd().args(["check", "--url", "http://127.0.0.1:9/config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no integration secret"));
}

#[test]
fn unreachable_url_exits_3_after_a_report() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = cmd()
        .args(["--json", "check", "--url", &format!("http://127.0.0.1:{port}/config")])
        .args(["--integration-secret", INTEGRATION_SECRET])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(case(&report, "handshake")["result"], "fail");
    assert!(report["unreachable"].as_str().unwrap().contains("could not connect"), "{report:#}");
    assert_eq!(with_result(&report, "skip").len(), 28);
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not reach"));
}

#[test]
fn list_shows_every_case_with_severity() {
    let out = cmd().args(["check", "--list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 29);
    assert!(text.lines().any(|l| l.starts_with("handshake ") && l.contains("required")), "{text}");
    let out = cmd().args(["--json", "check", "--list"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fast = v["cases"].as_array().unwrap().iter().find(|c| c["name"] == "fast").unwrap();
    assert_eq!(fast["severity"], "recommended");
}

/// A minimal XML reader: enough to prove the JUnit file is well-formed and to walk it.
mod xml {
    #[derive(Debug, Default)]
    pub struct Element {
        pub name: String,
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Element>,
        pub text: String,
    }

    impl Element {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
        }
    }

    fn unescape(s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
            let ent = &rest[i + 1..end];
            out.push(match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ if ent.starts_with('#') => {
                    char::from_u32(ent[1..].parse().map_err(|_| format!("bad entity &{ent};"))?).ok_or("bad char")?
                }
                _ => return Err(format!("unknown entity &{ent};")),
            });
            rest = &rest[end + 1..];
        }
        if rest.contains('<') {
            return Err("raw < in text".into());
        }
        out.push_str(rest);
        Ok(out)
    }

    fn parse_tag(tag: &str) -> Result<Element, String> {
        let mut el = Element::default();
        let (name, mut rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        el.name = name.to_string();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                return Ok(el);
            }
            let eq = rest.find("=\"").ok_or_else(|| format!("bad attribute in <{tag}>"))?;
            let key = rest[..eq].to_string();
            let close = rest[eq + 2..].find('"').ok_or("unterminated attribute")? + eq + 2;
            let raw = &rest[eq + 2..close];
            if raw.contains('<') {
                return Err(format!("raw < in attribute {key}"));
            }
            el.attrs.push((key, unescape(raw)?));
            rest = &rest[close + 1..];
        }
    }

    /// Parses a document with an optional `<?xml …?>` declaration and one root element.
    pub fn parse(doc: &str) -> Result<Element, String> {
        let mut s = doc.trim();
        if let Some(rest) = s.strip_prefix("<?xml") {
            s = &rest[rest.find("?>").ok_or("bad declaration")? + 2..];
        }
        let mut stack: Vec<Element> = vec![Element::default()];
        loop {
            let lt = s.find('<');
            let text = &s[..lt.unwrap_or(s.len())];
            let top = stack.last_mut().ok_or("stack underflow")?;
            top.text.push_str(&unescape(text)?);
            let Some(lt) = lt else { break };
            let gt = s[lt..].find('>').ok_or("unterminated tag")? + lt;
            let tag = &s[lt + 1..gt];
            s = &s[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let el = stack.pop().ok_or("unbalanced")?;
                if el.name != name {
                    return Err(format!("</{name}> closes <{}>", el.name));
                }
                stack.last_mut().ok_or("unbalanced close")?.children.push(el);
            } else if let Some(tag) = tag.strip_suffix('/') {
                let el = parse_tag(tag.trim_end())?;
                stack.last_mut().ok_or("unbalanced")?.children.push(el);
            } else {
                stack.push(parse_tag(tag)?);
            }
        }
        let mut doc = stack.pop().ok_or("empty")?;
        if !stack.is_empty() || doc.children.len() != 1 || !doc.text.trim().is_empty() {
            return Err("not exactly one root element, or unclosed elements".into());
        }
        let mut root = doc.children.remove(0);
        trim(&mut root);
        Ok(root)
    }

    fn trim(el: &mut Element) {
        if !el.children.is_empty() {
            el.text = el.text.trim().to_string();
        }
        el.children.iter_mut().for_each(trim);
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_skips_the_rest_but_still_deletes_the_connection() {
    let receiver = start(Flaw::None);
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env("NO_COLOR", "1")
        .args(["--json", "check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once the handshake has arrived: the run has a connection to clean up by then.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while receiver.state.lock().unwrap().requests < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(case(&report, "fast")["detail"], "not run: interrupted", "{report:#}");
    assert_eq!(case(&report, "delete")["result"], "pass");
    assert_eq!(receiver.connections(), 0);
}

#[test]
fn the_built_in_receiver_passes_every_case_strictly() {
    let out = cmd().args(["--json", "check", "--strict"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_every_case_passed(&report);
    assert!(report["config_url"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert_eq!(case(&report, "rejection-statuses")["facts"]["oversized-body"], 413);
}

#[test]
fn a_receiver_that_never_answers_exits_3() {
    // Accepts connections and reads nothing: every request times out.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).flatten().collect();
        std::thread::sleep(Duration::from_millis(2000));
        drop(held);
    });
    let out = cmd()
        .args(["--json", "check", "--url", &format!("http://127.0.0.1:{port}/config")])
        .args(["--integration-secret", INTEGRATION_SECRET, "--timeout", "200ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["unreachable"].as_str().unwrap().contains("within 200 ms"), "{report:#}");
    assert_eq!(
        case(&report, "delivery")["detail"].as_str().unwrap().split(" (").next(),
        Some("not run: the config URL did not answer")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not reach"));
}

#[test]
fn a_receiver_that_dies_mid_run_fails_it_and_the_rest_is_not_run_in_text_and_junit() {
    let receiver = start(Flaw::CrashOnShortMac);
    let (code, stdout, suite) = check_junit(&receiver, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAILED (the receiver stopped answering after rejects-malformed-header)"), "{stdout}");
    let line =
        |name: &str| stdout.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).unwrap().to_string();
    assert!(line("keeps-answering").contains("  fail  "), "{stdout}");
    let later = line("rejects-prefix-stripped-secret");
    assert!(later.contains("  skip  ") && later.contains("not run: the receiver stopped answering after"), "{later}");
    let after_crash = stdout.split("rejects-malformed-header  ").nth(1).unwrap().split_once('\n').unwrap().1;
    assert!(!after_crash.contains("connection refused"), "{stdout}");

    let find = |n: &str| suite.children.iter().find(|c| c.attr("name") == Some(n)).unwrap();
    assert_eq!(find("keeps-answering").children[0].name, "failure");
    let skipped = &find("delete").children[0];
    assert_eq!(skipped.name, "skipped");
    assert!(skipped.attr("message").unwrap().contains("stopped answering after rejects-malformed-header"));
    let props = suite.children.iter().find(|c| c.name == "properties").unwrap();
    assert!(props.children.iter().any(|p| p.attr("name") == Some("stopped_after")), "{props:?}");
}

/// A pseudo-terminal pair: (controller, the terminal end a child writes to).
#[cfg(unix)]
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut controller, mut terminal) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the two ints; the name, termios and
    // winsize arguments may be null.
    let rc = unsafe {
        libc::openpty(&mut controller, &mut terminal, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    unsafe { (std::fs::File::from_raw_fd(controller), std::fs::File::from_raw_fd(terminal)) }
}

#[cfg(unix)]
#[test]
fn each_case_shows_on_a_terminal_as_it_finishes_and_piped_stdout_is_unchanged() {
    let receiver = start(Flaw::None);
    let (mut controller, terminal) = pty();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .env("NO_COLOR", "1")
        .args(["check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .args(["--only", "handshake,delivery,rejects-wrong-secret"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::from(terminal))
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(child.wait().unwrap().success(), "{stdout}");
    // The child has exited and the only terminal end was its: reading ends with EIO after the
    // last byte.
    let mut shown = Vec::new();
    let _ = controller.read_to_end(&mut shown);
    let shown = String::from_utf8_lossy(&shown);
    for name in ["handshake", "delivery", "rejects-wrong-secret"] {
        assert!(shown.lines().any(|l| l.trim_start().starts_with(name) && l.contains("pass")), "{name}: {shown}");
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(name) && l.contains("pass")), "{name}: {stdout}");
    }
    assert!(!shown.contains("passed, 0 failed"), "the summary is stdout's: {shown}");
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
}
