//! `topgg-int verify` through the binary: every vector, the input forms, and the exit codes.

use crate::common::{Vector, cmd, vectors};
use std::path::{Path, PathBuf};

fn capture(dir: &Path, v: &Vector) -> PathBuf {
    let mut raw = format!(
        "POST /webhooks/112402021105124 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nx-topgg-trace: 4bf92f3577b34da6a3ce929d0e0e4736\r\n",
        v.body.len()
    );
    if let Some(h) = &v.header {
        raw.push_str(&format!("x-topgg-signature: {h}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(&v.body);
    let path = dir.join(format!("{}.http", v.name));
    std::fs::write(&path, raw).unwrap();
    path
}

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn every_vector_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    for v in vectors() {
        let file = capture(dir.path(), &v);
        let out = cmd()
            .args(["verify", "--json", "--request"])
            .arg(&file)
            .args(["--now", &v.now.to_string(), "--tolerance", &v.tolerance_s.to_string()])
            .env("TOPGG_WEBHOOK_SECRET", &v.secret)
            .output()
            .unwrap();
        let want_code = if v.expect == "valid" { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(want_code), "{}: {}", v.name, String::from_utf8_lossy(&out.stderr));
        let j = json_of(&out.stdout);
        assert_eq!(j["reason"], v.reason.as_str(), "{}", v.name);
        let hint = j["hints"].as_array().unwrap().first().map(|h| h["code"].as_str().unwrap().to_string());
        assert_eq!(hint, v.hint, "{}", v.name);
    }
}

#[test]
fn signature_and_body_flags_and_stdin() {
    let v = vectors().into_iter().find(|v| v.name == "hint-secret-prefix-stripped").unwrap();
    let out = cmd()
        .args(["verify", "--secret", &v.secret, "--signature", v.header.as_deref().unwrap(), "--body", "-"])
        .args(["--now", &v.now.to_string()])
        .write_stdin(v.body.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("✗ invalid  signature-mismatch"), "{text}");
    assert!(text.contains("the signature matches if the secret has no whs_ prefix: the sender stripped it"), "{text}");
    assert!(text.contains("2026-02-09 00:47:14 UTC"), "{text}");
    assert!(!text.contains("0123456789abcdef"), "the secret leaked: {text}");
    assert!(text.contains("whs_01…ef"), "{text}");
}

#[test]
fn interop_hint_names_the_sdks() {
    let v = vectors().into_iter().find(|v| v.name == "interop-noncanonical-t").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, &v.body).unwrap();
    let out = cmd()
        .args(["verify", "--secret", &v.secret, "--signature", v.header.as_deref().unwrap(), "--body"])
        .arg(&body)
        .args(["--now", &v.now.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("noncanonical-timestamp"), "{text}");
    assert!(text.contains("rejected by the python, rust SDKs"), "{text}");
}

#[test]
fn many_captures_print_a_line_each_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let all = vectors();
    let picked: Vec<_> = all
        .iter()
        .filter(|v| ["valid", "wrong-secret", "hint-body-pretty-printed"].contains(&v.name.as_str()))
        .collect();
    for v in &picked {
        capture(dir.path(), v);
    }
    let out = cmd()
        .args(["verify", "--secret", "whs_0123456789abcdef", "--now", "1770598034", "--request"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].contains("hint-body-pretty-printed.http") && lines[0].contains("(hint: reserialized-json)"),
        "{text}"
    );
    assert!(lines[1].starts_with("✓ valid") && lines[1].contains("valid.http"), "{text}");
    assert!(lines[2].contains("wrong-secret.http  signature-mismatch"), "{text}");
    assert_eq!(lines[3], "1 valid, 2 invalid, 0 unusable");
}

#[test]
fn unusable_input_exits_2_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.http");
    std::fs::write(&bad, "hello world\n\n{}").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--request".into(), "/definitely/missing.http".into()],
            "could not read /definitely/missing.http: no such file or directory",
        ),
        (vec!["--request".into(), bad.display().to_string()], "is not a captured HTTP request: line 1"),
    ];
    for (args, want) in cases {
        let out = cmd().arg("verify").args(&args).args(["--secret", "whs_x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = cmd().args(["verify", "--request", "x.http"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no secret given") && err.contains("--integration-secret-file"), "{err}");
}

#[test]
fn secret_file_newline_is_stripped_and_said() {
    let v = vectors().into_iter().find(|v| v.name == "valid").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, format!("{}\n", v.secret)).unwrap();
    let file = capture(dir.path(), &v);
    let out = cmd()
        .args(["verify", "--now", "1770598034", "--secret-file"])
        .arg(&secret)
        .arg("--request")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stripped the trailing newline"));
}

#[test]
fn config_url_request_checked_with_a_webhook_secret_says_which_secret_signs_it() {
    let v = vectors().into_iter().find(|v| v.name == "valid-integration.create").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = capture(dir.path(), &v);
    let out = cmd()
        .args(["verify", "--secret", "whs_some_other_webhook_secret", "--now", &v.now.to_string(), "--request"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("signs with the integration secret") && text.contains("TOPGG_INTEGRATION_SECRET"), "{text}");
}

/// Top.gg signs config-URL requests with the integration secret and deliveries with the webhook
/// secret: verify takes both (flag, file or environment) and picks the one by the event type, so
/// a capture folder holding both kinds verifies in one run; a GET /health in it is skipped.
#[test]
fn a_mixed_capture_folder_verifies_with_both_secrets_and_skips_what_top_gg_never_sends() {
    // Each signed with its own secret, checked by a separate HMAC (the test's, not the library's).
    let create = Vector {
        name: "create".into(),
        secret: "whs_integration_secret_0123456789".into(),
        header: None,
        body: r#"{"type":"integration.create","data":{"connection_id":"1","webhook_secret":"whs_x","project":{},"user":{}}}"#
            .into(),
        now: 1770598034,
        tolerance_s: 30,
        expect: "valid".into(),
        reason: "valid".into(),
        hint: None,
    };
    let create =
        Vector { header: Some(super::serve::sign_at(&create.secret, create.now, create.body.as_bytes())), ..create };
    let vote = vectors().into_iter().find(|v| v.name == "valid").unwrap();
    assert_ne!(create.secret, vote.secret);
    assert_eq!(create.now, vote.now, "one --now for both");
    let dir = tempfile::tempdir().unwrap();
    capture(dir.path(), &create);
    capture(dir.path(), &vote);
    std::fs::write(dir.path().join("zz-health.http"), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let secret_file = dir.path().join("integration-secret");
    std::fs::write(&secret_file, &create.secret).unwrap();
    let now = vote.now.to_string();

    // The integration secret from the environment, then from its file flag.
    for by_file in [false, true] {
        let mut c = cmd();
        c.args(["verify", "--secret", &vote.secret, "--now", &now, "--request"]).arg(dir.path());
        if by_file {
            c.arg("--integration-secret-file").arg(&secret_file);
        } else {
            c.env("TOPGG_INTEGRATION_SECRET", &create.secret);
        }
        let out = c.output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("- skipped") && text.contains("GET /health is not a request Top.gg sends"), "{text}");
        assert!(text.trim_end().ends_with("2 valid, 0 invalid, 0 unusable, 1 skipped (not Top.gg requests)"), "{text}");
    }

    // Without the integration secret the create fails, and the folder run says which secret signs it.
    let out =
        cmd().args(["verify", "--secret", &vote.secret, "--now", &now, "--request"]).arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("warning: this is an integration.create, which Top.gg signs with the integration secret"),
        "{text}"
    );

    // With only the integration secret, a delivery is unusable input naming the secret it needs.
    let out = cmd()
        .args(["--json", "verify", "--integration-secret", &create.secret, "--now", &now, "--request"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let j = json_of(&out.stdout);
    assert_eq!(j["summary"], serde_json::json!({"valid": 1, "invalid": 0, "unusable": 1, "skipped": 1}), "{j}");
    let unusable = j["results"].as_array().unwrap().iter().find(|r| r.get("error").is_some()).unwrap();
    assert!(unusable["error"].as_str().unwrap().contains("signs with the connection's webhook secret"), "{j}");
}

fn verify_vector(name: &str) -> (i32, String) {
    let v = vectors().into_iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no vector {name}"));
    let dir = tempfile::tempdir().unwrap();
    let file = capture(dir.path(), &v);
    let out = cmd()
        .args(["verify", "--secret", &v.secret, "--now", &v.now.to_string(), "--request"])
        .arg(&file)
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn reserialisation_hints_end_with_the_raw_body_fix_per_framework() {
    for name in ["gen-hint-go-json", "gen-hint-php-json-encode", "gen-hint-sorted-keys", "gen-hint-empty-body"] {
        let (code, text) = verify_vector(name);
        assert_eq!(code, 1, "{name}: {text}");
        assert!(text.contains("the raw-body table gives the fix per framework"), "{name}: {text}");
        for fix in [
            "express.raw({type: 'application/json'})",
            "Fastify",
            "await req.text()",
            "await request.body()",
            "await request.read()",
            "request.get_data()",
            "axum::body::Bytes",
            "web::Bytes",
        ] {
            assert!(text.contains(fix), "{name} lacks {fix}: {text}");
        }
    }
    let (_, text) = verify_vector("gen-hint-go-json");
    assert!(text.contains("go-json: the signature matches the body as Go encoding/json writes a map"), "{text}");
    let v = vectors().into_iter().find(|v| v.name == "gen-hint-sorted-keys").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(["verify", "--json", "--secret", &v.secret, "--now", &v.now.to_string(), "--request"])
        .arg(capture(dir.path(), &v))
        .output()
        .unwrap();
    let j = json_of(&out.stdout);
    assert_eq!(j["hints"][0]["code"], "sorted-keys");
    let fixes = j["raw_body_fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 11);
    assert_eq!(fixes[0]["framework"], "Express");
    let (_, text) = verify_vector("gen-hint-secret-prefix");
    assert!(!text.contains("raw body"), "a secret mistake needs no raw-body fix: {text}");
}

#[test]
fn a_zero_padded_t_signed_as_an_integer_and_a_millisecond_t_are_named() {
    let (code, text) = verify_vector("gen-hint-noncanonical-timestamp-integer-mac");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("✗ invalid  signature-mismatch"), "{text}");
    assert!(
        text.contains(
            "noncanonical-timestamp: t has leading zeros or a sign, and the MAC is over t as the integer 1770598034"
        ),
        "{text}"
    );
    assert!(!text.contains("no usual mistake explains it"), "{text}");
    let (code, text) = verify_vector("gen-hint-timestamp-milliseconds");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("timestamp-milliseconds: t is in milliseconds, not seconds (as seconds it would be 1770598034, 2026-02-09 00:47:14 UTC)"), "{text}");
    assert!(text.contains("rejected by the node, python, rust SDKs"), "{text}");
}

#[test]
fn an_empty_signature_header_is_reported_missing() {
    let (code, text) = verify_vector("empty-header");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("✗ invalid  missing-header: the x-topgg-signature header is empty, which counts as missing"),
        "{text}"
    );
}

#[test]
fn cut_short_and_stale_chunked_captures_are_unusable_not_mismatches() {
    let v = vectors().into_iter().find(|v| v.name == "valid").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let head = format!(
        "POST /webhooks/1 HTTP/1.1\r\nContent-Type: application/json\r\nx-topgg-trace: t\r\nx-topgg-signature: {}\r\n",
        v.header.as_deref().unwrap()
    );
    let short = dir.path().join("short.http");
    std::fs::write(&short, format!("{head}Content-Length: {}\r\n\r\n{}", v.body.len(), &v.body[..40])).unwrap();
    let chunked = dir.path().join("chunked.http");
    std::fs::write(&chunked, format!("{head}Transfer-Encoding: chunked\r\n\r\n{}", v.body)).unwrap();
    let cases = [
        (&short, format!("short.http is not a captured HTTP request: its body is 40 bytes, shorter than its Content-Length of {}", v.body.len())),
        (&chunked, "chunked.http is not a captured HTTP request: it says Transfer-Encoding: chunked but its body is not chunk-encoded".to_string()),
    ];
    for (file, want) in &cases {
        for sub in ["verify", "inspect"] {
            let mut c = cmd();
            c.arg(sub);
            if sub == "verify" {
                c.args(["--secret", &v.secret, "--now", &v.now.to_string(), "--request"]);
            }
            let out = c.arg(file).output().unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(2), "{sub} {}: {err}", file.display());
            assert!(err.contains(want.as_str()), "{sub}: {err}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains("signature-mismatch"));
        }
    }
    // Among many captures they count as unusable, and the run exits 2.
    let out = cmd()
        .args(["verify", "--secret", &v.secret, "--now", &v.now.to_string(), "--request"])
        .args([&short, &chunked])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stdout).unwrap().ends_with("0 valid, 0 invalid, 2 unusable\n"));
    // A real chunk-encoded body is decoded and verifies.
    let (a, b) = v.body.split_at(25);
    let encoded = dir.path().join("encoded.http");
    std::fs::write(
        &encoded,
        format!("{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len()),
    )
    .unwrap();
    let out = cmd()
        .args(["verify", "--secret", &v.secret, "--now", &v.now.to_string(), "--request"])
        .arg(&encoded)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A capture that is only too old for the window gets the next step: the commands that check it.
#[test]
fn a_stale_capture_whose_mac_matches_gets_the_next_step() {
    let v = vectors().into_iter().find(|v| v.name == "stale-timestamp").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = capture(dir.path(), &v);
    let out = cmd().args(["verify", "--secret", &v.secret, "--request"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let t = &v.header.as_deref().unwrap()[2..12];
    assert!(text.contains(&format!("(--now {t}) or without the window (--tolerance 0)")), "{text}");
    let out = cmd().args(["verify", "--secret", &v.secret, "--now", t, "--request"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "the step it names works");
}

/// The direction a broken receiver produces: Top.gg's body signed, the receiver's re-serialisation
/// of it given. No rendering of the given bytes rebuilds Top.gg's, so `verify` names the form of
/// the bytes themselves, says the signature cannot be checked against them, and gives that
/// framework's raw-body fix.
#[test]
fn a_body_a_receiver_re_serialised_is_named_by_its_own_form() {
    for (name, code, fix) in [
        ("gen-hint-received-go-json", "go-json", "io.ReadAll(r.Body)"),
        ("gen-hint-received-php-json-encode", "php-json-encode", "file_get_contents('php://input')"),
        ("gen-hint-received-sorted-keys", "sorted-keys", "io.ReadAll(r.Body)"),
        ("gen-hint-received-python-sort-keys", "sorted-keys", "request.get_data()"),
        ("gen-hint-received-python-json-dumps", "python-json-dumps", "request.get_data()"),
        ("gen-hint-received-pretty-printed", "pretty-printed", "express.raw"),
    ] {
        let (exit, text) = verify_vector(name);
        assert_eq!(exit, 1, "{name}: {text}");
        let hint =
            text.lines().find(|l| l.trim_start().starts_with("hint ")).unwrap_or_else(|| panic!("{name}: {text}"));
        assert!(hint.contains(&format!("{code}: the body given is ")), "{name}: {hint}");
        assert!(hint.contains("a signature cannot be checked against a re-serialised body"), "{name}: {hint}");
        assert!(hint.contains("verify the raw request bytes instead: ") && hint.contains(fix), "{name}: {hint}");
        assert!(!hint.contains("JSON.stringify /"), "{name}: {hint}");
    }
}

/// PHP's json_encode output of a plain compact body, where re-compacting it rebuilds the signed
/// bytes: still named as PHP's form, never "compacted (JSON.stringify)".
#[test]
fn php_output_is_not_called_json_stringify() {
    let secret = "whs_0123456789abcdef";
    let sent =
        r#"{"type":"vote.create","data":{"id":"1","user":{"name":"Zoë","avatar_url":"https://cdn.example/a.png"}}}"#;
    let given = r#"{"type":"vote.create","data":{"id":"1","user":{"name":"Zo\u00eb","avatar_url":"https:\/\/cdn.example\/a.png"}}}"#;
    let header = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("1770598034.{sent}").as_bytes());
        format!("t=1770598034,v1={}", hex::encode(mac.finalize().into_bytes()))
    };
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, given).unwrap();
    let out = cmd()
        .args(["verify", "--secret", secret, "--now", "1770598034", "--signature", &header, "--body"])
        .arg(&body)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("as PHP's json_encode writes it"), "{text}");
    assert!(text.contains("so the secret is right"), "{text}");
    assert!(!text.contains("JSON.stringify"), "{text}");
}

/// A capture with bytes after the body its Content-Length declares still verifies (the body is
/// what the header frames), but `verify` says the capture holds more than the request.
#[test]
fn bytes_after_the_content_length_are_reported() {
    let v = vectors().into_iter().find(|v| v.name == "valid").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let exact = capture(dir.path(), &v);
    let mut raw = std::fs::read(&exact).unwrap();
    let run = |path: &Path, json: bool| {
        let mut c = cmd();
        if json {
            c.arg("--json");
        }
        let out = c
            .args(["verify", "--secret", &v.secret, "--now", &v.now.to_string(), "--request"])
            .arg(path)
            .output()
            .unwrap();
        (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, text) = run(&exact, false);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("more than the request"), "{text}");

    raw.extend_from_slice(b"POST /webhooks/1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
    let extra = dir.path().join("two-requests.http");
    std::fs::write(&extra, &raw).unwrap();
    let (code, text) = run(&extra, false);
    assert_eq!(code, 0, "{text}");
    let want = format!(
        "the capture holds more than the request: 50 bytes after the {}-byte body its Content-Length declares \
         (another request? a capture holds one)",
        v.body.len()
    );
    assert!(text.contains(&want), "{text}");
    let (_, json) = run(&extra, true);
    let j = json_of(json.as_bytes());
    assert!(
        j["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("the capture holds more")),
        "{j:#}"
    );

    let newline = dir.path().join("newline.http");
    let mut raw = std::fs::read(&exact).unwrap();
    raw.push(b'\n');
    std::fs::write(&newline, &raw).unwrap();
    let (code, text) = run(&newline, false);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 byte after the") && text.contains("an editor's newline?"), "{text}");
}

#[test]
fn a_valid_signature_says_what_a_v0_only_refusal_of_it_means() {
    let v = vectors().into_iter().find(|v| v.expect == "valid" && v.tolerance_s > 0).unwrap();
    let args = ["--secret", &v.secret, "--signature", v.header.as_deref().unwrap(), "--body", "-"];
    let out = cmd().arg("verify").args(args).args(["--now", &v.now.to_string()]).write_stdin(v.body.clone()).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", v.name);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("if refused")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("403 {\"error\":\"Unauthorized\"} (@top-gg/sdk 3.1.6 (npm))"), "{line}");
    assert!(line.contains("401 Unauthorized (text/plain) (topggpy 1.4.0 (PyPI))"), "{line}");
    assert!(line.contains("only checks the legacy Authorization header"), "{line}");

    let now = v.now.to_string();
    let mut c = cmd();
    c.args(["--json", "verify"]).args(args).args(["--now", &now]).write_stdin(v.body.clone());
    let j = json_of(&c.output().unwrap().stdout);
    assert!(j["if_refused"].as_str().unwrap().contains("@top-gg/sdk 3.1.6"), "{j:#}");

    // An invalid one has no such note: its own reason explains the refusal.
    let bad = vectors().into_iter().find(|v| v.expect == "invalid" && v.header.is_some()).unwrap();
    let now = bad.now.to_string();
    let mut c = cmd();
    c.args(["--json", "verify", "--secret", &bad.secret, "--body", "-", "--now", &now]);
    c.args(["--signature", bad.header.as_deref().unwrap()]).write_stdin(bad.body.clone());
    let j = json_of(&c.output().unwrap().stdout);
    assert_eq!(j["if_refused"], serde_json::Value::Null, "{j:#}");
}
