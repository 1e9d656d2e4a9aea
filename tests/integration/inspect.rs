//! `topgg-int inspect` through the binary: fixtures, a deliberately broken payload set, captures,
//! JSON Lines streams and unusable input.

use crate::common::{cmd, repo_path};
use serde_json::{Value, json};

const FIXTURES: [&str; 6] = [
    "integration.create.json",
    "integration.delete.json",
    "webhook.test.json",
    "vote.create.json",
    "legacy.bot.json",
    "legacy.server.json",
];

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo_path(&format!("fixtures/{name}"))).unwrap()).unwrap()
}

#[test]
fn every_fixture_is_valid() {
    for name in FIXTURES {
        let out = cmd().arg("inspect").arg(repo_path(&format!("fixtures/{name}"))).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {text}");
        assert!(text.contains("✓ valid"), "{name}: {text}");
    }
}

/// Each broken payload with the JSON paths inspect must flag (and no others).
fn broken_set() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    let vote = fixture("vote.create.json");
    let create = fixture("integration.create.json");
    let with = |base: &Value, path: &[&str], v: Value| {
        let mut out = base.clone();
        let mut cur = &mut out;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur[path[path.len() - 1]] = v;
        out
    };
    let without = |base: &Value, path: &[&str]| {
        let mut out = base.clone();
        let mut cur = &mut out;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
        out
    };
    vec![
        ("unknown type", with(&vote, &["type"], json!("vote.delete")), vec!["$.type"]),
        ("not an object", json!([1, 2]), vec!["$"]),
        ("no data", without(&vote, &["data"]), vec!["$.data"]),
        ("missing user", without(&vote, &["data", "user"]), vec!["$.data.user"]),
        ("weight as string", with(&vote, &["data", "weight"], json!("1")), vec!["$.data.weight"]),
        ("zero weight", with(&vote, &["data", "weight"], json!(0)), vec!["$.data.weight"]),
        ("non-numeric snowflake", with(&vote, &["data", "user", "id"], json!("12ab")), vec!["$.data.user.id"]),
        (
            "snowflake as number",
            with(&vote, &["data", "project", "id"], json!(803190510032756736u64)),
            vec!["$.data.project.id"],
        ),
        (
            "docs placeholder",
            with(&vote, &["data", "project", "platform_id"], json!("top.gg id")),
            vec!["$.data.project.platform_id"],
        ),
        ("unparseable date", with(&vote, &["data", "created_at"], json!("yesterday")), vec!["$.data.created_at"]),
        (
            "date without offset",
            with(&vote, &["data", "expires_at"], json!("2026-02-09T12:47:14")),
            vec!["$.data.expires_at"],
        ),
        (
            "expires before created",
            with(&vote, &["data", "expires_at"], json!("2026-02-08T12:47:14.2510149+00:00")),
            vec!["$.data.expires_at"],
        ),
        ("query not strings", with(&vote, &["data", "query"], json!({"ref": 1})), vec!["$.data.query.ref"]),
        ("unknown project type", with(&vote, &["data", "project", "type"], json!("app")), vec!["$.data.project.type"]),
        (
            "relative avatar",
            with(&vote, &["data", "user", "avatar_url"], json!("/a.png")),
            vec!["$.data.user.avatar_url"],
        ),
        (
            "secret without prefix",
            with(&create, &["data", "webhook_secret"], json!("abc123")),
            vec!["$.data.webhook_secret"],
        ),
        ("empty connection id", with(&create, &["data", "connection_id"], json!("")), vec!["$.data.connection_id"]),
        (
            "legacy isWeekend string",
            json!({"bot": "160105994217586689", "user": "140862798832861184", "type": "upvote", "isWeekend": "no"}),
            vec!["$.isWeekend"],
        ),
        (
            "legacy bad type",
            json!({"guild": "160105994217586689", "user": "140862798832861184", "type": "downvote"}),
            vec!["$.type"],
        ),
    ]
}

#[test]
fn every_problem_in_the_broken_set_is_flagged_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    for (name, payload, paths) in broken_set() {
        let file = dir.path().join("p.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&payload).unwrap()).unwrap();
        let out = cmd().args(["inspect", "--json"]).arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", String::from_utf8_lossy(&out.stdout));
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<&str> = j["problems"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
        assert_eq!(got, paths, "{name}");
    }
}

#[test]
fn jsonl_stream_reports_each_line_and_a_summary() {
    let mut lines = Vec::new();
    for name in FIXTURES {
        lines.push(serde_json::to_string(&fixture(name)).unwrap());
    }
    for (_, payload, _) in broken_set().into_iter().take(3) {
        lines.push(serde_json::to_string(&payload).unwrap());
    }
    lines.push("{not json".into());
    let input = lines.join("\n") + "\n";
    let out = cmd().args(["inspect", "-"]).write_stdin(input.clone()).output().unwrap();
    // A line that is not JSON is unusable input, as a file that is not JSON is: exit 2, after
    // every other line was inspected and the summary printed.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: stdin line 10 is not valid JSON") && err.lines().count() == 1, "{err}");
    assert!(err.contains("every other line was inspected"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("line 7      unknown  $.type"), "{text}");
    assert!(text.contains("line 10     unknown  $: not valid JSON"), "{text}");
    assert!(text.trim_end().ends_with("10 payloads, 6 valid, 4 with problems"), "{text}");

    let out = cmd().args(["inspect", "--json", "--jsonl", "--problems-only"]).write_stdin(input).output().unwrap();
    let records: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0]["line"], 7);
}

#[test]
fn capture_shows_signature_trace_and_header_problems() {
    let body = serde_json::to_string(&fixture("webhook.test.json")).unwrap();
    let raw = format!(
        "POST /webhooks/42 HTTP/1.1\r\ncontent-type: text/plain\r\nx-topgg-signature: t=1770598034,v1={}\r\n\r\n{body}",
        "ab".repeat(32)
    );
    let out = cmd().args(["inspect", "--now", "1770598094", "-"]).write_stdin(raw).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("request    POST /webhooks/42"), "{text}");
    assert!(text.contains("t=1770598034 2026-02-09 00:47:14 UTC (60 s ago)"), "{text}");
    assert!(text.contains("header x-topgg-trace: is missing"), "{text}");
    assert!(text.contains("header content-type: is \"text/plain\""), "{text}");
}

#[test]
fn capture_objects_in_jsonl() {
    let body = serde_json::to_string(&fixture("vote.create.json")).unwrap();
    let capture = json!({"method": "POST", "path": "/webhooks/1", "headers": [["Content-Type", "application/json"], ["x-topgg-signature", format!("t=1,v1={}", "0".repeat(64))], ["x-topgg-trace", "t1"]], "body": body});
    let input = format!("{capture}\n{capture}\n");
    let out = cmd().args(["inspect", "--json", "-"]).write_stdin(input).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let first: Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "vote.create");
    assert_eq!(first["capture"]["trace"], "t1");
    assert_eq!(first["capture"]["signature"]["t"], 1);
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"type\": \n").unwrap();
    let out = cmd().arg("inspect").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.json is not valid JSON"), "{err}");
    let out = cmd().args(["inspect", "/no/such/file.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cmd().args(["inspect", "-"]).write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdin is empty"));
}

#[test]
fn webhook_secret_is_masked_unless_show_secrets() {
    let file = repo_path("fixtures/integration.create.json");
    let full = fixture("integration.create.json")["data"]["webhook_secret"].as_str().unwrap().to_string();
    let secret = topgg_int::protocol::secret::Secret::new(full.clone());
    let shown = format!("{} (fingerprint {})", secret.masked(), secret.fingerprint());
    for args in [vec!["inspect"], vec!["inspect", "--json"], vec!["inspect", "--jsonl"]] {
        let out = cmd().args(&args).arg(&file).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(&full), "{args:?} printed the secret: {text}");
        if args.len() < 2 || args[1] == "--json" {
            assert!(text.contains(&shown), "{args:?}: {text}");
        }
    }
    let line = serde_json::to_string(&fixture("integration.create.json")).unwrap();
    let out =
        cmd().args(["inspect", "--json", "--jsonl", "-"]).write_stdin(format!("{line}\n{line}\n")).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(&full) && text.matches(&shown).count() == 2, "{text}");
    let out = cmd().args(["inspect", "--show-secrets"]).arg(&file).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains(&full));
}

#[test]
fn a_json_capture_shorter_than_its_content_length_is_named() {
    let capture =
        json!({"method": "POST", "path": "/webhooks/1", "headers": [["Content-Length", "500"]], "body": "{}"});
    let out = cmd().args(["inspect", "--jsonl", "-"]).write_stdin(format!("{capture}\n")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("not a usable capture: its body is 2 bytes, shorter than its Content-Length of 500"),
        "{text}"
    );
}

#[test]
fn oversized_documents_and_endless_input_are_refused_fast_naming_the_file_and_the_cap() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    // One JSON string just over 16 MiB: valid JSON, too large to take whole.
    let mut doc = vec![b'"'];
    doc.resize(16 * 1024 * 1024 + 1, b'a');
    doc.push(b'"');
    std::fs::write(&big, &doc).unwrap();
    let long_line = dir.path().join("long.jsonl");
    let mut lines = b"{\"type\":\"webhook.test\",\"data\":{}}\n".to_vec();
    lines.extend_from_slice(&doc);
    lines.push(b'\n');
    std::fs::write(&long_line, &lines).unwrap();
    let big_s = big.display().to_string();
    let long_s = long_line.display().to_string();
    let runs: Vec<(Vec<&str>, String)> = vec![
        (vec!["inspect", &big_s], format!("{big_s} is over the 16 MiB limit for one document")),
        (vec!["inspect", "/dev/zero"], "/dev/zero is over the 16 MiB limit".into()),
        (vec!["inspect", "--jsonl", "/dev/zero"], "/dev/zero is over the 16 MiB limit".into()),
        (vec!["inspect", &long_s], format!("{long_s} line 2 is over the 16 MiB limit")),
        (vec!["verify", "--secret", "whs_x", "--request", "/dev/zero"], "/dev/zero is over the 16 MiB limit".into()),
        (vec!["verify", "--secret", "whs_x", "--request", &big_s], format!("{big_s} is over the 16 MiB limit")),
        (
            vec!["verify", "--secret", "whs_x", "--signature", "t=1,v1=00", "--body", "/dev/zero"],
            "/dev/zero is over the 16 MiB limit".into(),
        ),
        (
            vec!["verify", "--secret-file", "/dev/zero", "--request", &big_s],
            "secret file /dev/zero is over 64 KiB".into(),
        ),
    ];
    for (args, want) in runs {
        let out = cmd().args(&args).timeout(Duration::from_secs(60)).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // The first line of a long stream is still inspected and printed before the refusal.
    let out = cmd().arg("inspect").arg(&long_line).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("line 1      webhook.test"));
}

#[test]
fn json_captures_read_body_b64() {
    use base64::Engine;
    use topgg_int::protocol::capture::Capture;
    let body = serde_json::to_vec(&fixture("vote.create.json")).unwrap();
    let headers = json!([
        ["Content-Type", "application/json"],
        ["x-topgg-trace", "t1"],
        ["x-topgg-signature", format!("t=1,v1={}", "0".repeat(64))]
    ]);
    let good = json!({"method": "POST", "path": "/webhooks/1", "headers": headers, "body_b64": base64::engine::general_purpose::STANDARD.encode(&body)});
    let binary = serde_json::to_string(&Capture::post("/webhooks/1", vec![], b"\xff{}".to_vec())).unwrap();
    assert!(binary.contains("\"body_b64\":\"/3t9\""), "{binary}");
    let out =
        cmd().args(["inspect", "--json", "--jsonl", "-"]).write_stdin(format!("{good}\n{binary}\n")).output().unwrap();
    let records: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records[0]["kind"], "vote.create", "{records:?}");
    assert_eq!(records[0]["capture"]["trace"], "t1");
    assert!(
        records[1]["problems"][0]["message"].as_str().unwrap().contains("the body is not valid JSON"),
        "{records:?}"
    );
}

/// Typed at a terminal, one Ctrl-D ends the input: the peek that looks for a second JSON line
/// already saw the end, and reading again would wait for another Ctrl-D.
#[cfg(unix)]
#[test]
fn one_ctrl_d_ends_a_document_typed_at_a_terminal() {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors we then own; the other arguments may be null.
    let made =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(made, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (mut master, slave) = unsafe { (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave)) };
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .arg("inspect")
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A document on one line, Enter, then Ctrl-D (VEOF) at the start of the next line.
    master.write_all(b"{\"type\":\"webhook.test\",\"data\":{}}\n\x04").unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("inspect is still waiting after one Ctrl-D");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("webhook.test") && out.contains("problem $.data.user"), "{out}");
}
