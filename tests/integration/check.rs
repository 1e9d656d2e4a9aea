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
}

#[derive(Default)]
struct State {
    connections: HashMap<String, String>,
    seen_votes: HashSet<String>,
    requests: usize,
}

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
            let state = Arc::clone(&shared);
            std::thread::spawn(move || serve_one(stream, &state, flaw, port));
        }
    });
    Receiver { port, state }
}

struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
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

fn serve_one(stream: TcpStream, state: &Mutex<State>, flaw: Flaw, port: u16) {
    let Some(req) = read_request(&stream) else { return };
    state.lock().unwrap().requests += 1;
    let (status, body) = answer(&req, state, flaw, port);
    respond(stream, status, &body);
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

/// All 21 cases ran, and each passed or is info.
fn assert_every_case_passed(report: &Value) {
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 21);
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
    let (code, stdout, suite) = check_junit(&receiver, &["--json", "--strict"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 0, "{report:#}");
    assert_every_case_passed(&report);
    assert_eq!(report["passed"], true);
    assert_eq!(case(&report, "trace-header")["facts"]["required"], true);
    assert_eq!(case(&report, "rejection-statuses")["facts"]["stale-timestamp"], 403);
    assert_eq!(case(&report, "server-header")["detail"], "check-test-receiver");
    assert_eq!(receiver.connections(), 0, "the suite's connection was not deleted");

    assert_eq!(suite.attr("tests"), Some("21"));
    assert_eq!(suite.attr("failures"), Some("0"));
    assert_eq!(suite.attr("skipped"), Some("0"));
    let cases: Vec<_> = suite.children.iter().filter(|c| c.name == "testcase").collect();
    assert_eq!(cases.len(), 21);
    assert!(cases.iter().all(|c| c.children.iter().all(|x| x.name == "system-out")));
}

#[test]
fn broken_receivers_fail_exactly_the_case_they_break() {
    let rejects_all = vec![
        "rejects-bad-signature",
        "rejects-future-timestamp",
        "rejects-malformed-header",
        "rejects-missing-signature",
        "rejects-oversized-body",
        "rejects-prefix-stripped-secret",
        "rejects-stale-timestamp",
        "rejects-tampered-body",
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
    ];
    // The suites run at once: each waits a second or two for its replay case.
    let runs: Vec<_> = scenarios
        .into_iter()
        .map(|(flaw, expected, extra)| {
            std::thread::spawn(move || {
                let receiver = start(flaw);
                let mut args = vec!["--strict"];
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
        assert_eq!(connections, 0, "{flaw:?}: the connection was not deleted");
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
    assert_eq!((suite.attr("tests"), suite.attr("failures")), (Some("20"), Some("0")));
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
    assert_eq!(with_result(&report, "skip").len(), 20);
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not reach"));
}

#[test]
fn list_shows_every_case_with_severity() {
    let out = cmd().args(["check", "--list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 21);
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
