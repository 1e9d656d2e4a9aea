//! `topgg-int check` against receivers written here: a good one that passes every case, and
//! variations of it that each break one thing and must fail exactly the cases that thing breaks.
//! The receivers ([`receiver`]) verify signatures with their own HMAC code, not the crate's.

mod receiver;
mod xml;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use serde_json::Value;

use crate::common::cmd;
use receiver::{Flaw, Receiver, start};

const INTEGRATION_SECRET: &str = "whs_integration_secret_for_check_tests";
const LEGACY_SECRET: &str = "legacy_authorization_for_check_tests";
/// The secret of every test receiver's plain webhook ([`Receiver::webhook_url`]).
const WEBHOOK_SECRET: &str = "whs_plain_dashboard_webhook_secret_for_check_tests";
/// Runs `check --json` against a receiver; returns the exit code and the report.
fn check(receiver: &Receiver, extra: &[&str]) -> (i32, Value) {
    let target = ["--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET];
    check_json(&target, extra)
}

/// Runs `check --json` with `target` (the URL and secret flags) and `extra`; returns the exit code
/// and the report.
fn check_json(target: &[&str], extra: &[&str]) -> (i32, Value) {
    let out = cmd().args(["--json", "check"]).args(target).args(extra).output().unwrap();
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

/// All 31 cases ran, and each passed or is info.
fn assert_every_case_passed(report: &Value) {
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 31);
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

    assert_eq!(suite.attr("tests"), Some("31"));
    assert_eq!(suite.attr("failures"), Some("0"));
    assert_eq!(suite.attr("skipped"), Some("0"));
    let cases: Vec<_> = suite.children.iter().filter(|c| c.name == "testcase").collect();
    assert_eq!(cases.len(), 31);
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
        (Flaw::SlowTest(2000), vec!["delivery"], &["--timeout", "1s"]),
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
                assert!(detail.contains("re-serialised compactly"), "{detail}");
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
                    detail.contains("webhook.test no answer from 127.0.0.1:") && detail.contains("within 1 s"),
                    "{detail}"
                );
            }
            Flaw::AcceptAnything => {
                let detail = case(&report, "rejects-bad-signature")["detail"].as_str().unwrap();
                assert!(detail.starts_with("accepted with 204: verify"), "{detail}");
            }
            Flaw::StripPrefix => {
                let detail = case(&report, "delivery")["detail"].as_str().unwrap();
                assert!(detail.contains("it strips the prefix"), "{detail}");
            }
            Flaw::ParseFirst => {
                let detail = case(&report, "rejects-unverified-unparseable")["detail"].as_str().unwrap();
                let variants = [
                    "forged/not-json",
                    "forged/unknown-type",
                    "unsigned/not-json",
                    "unsigned/unknown-type",
                    "unsigned/v0-body",
                ];
                for variant in variants {
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
    assert_eq!((suite.attr("tests"), suite.attr("failures")), (Some("30"), Some("0")));
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
    assert_eq!(with_result(&report, "skip").len(), 30);
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not reach"));
}

#[test]
fn list_shows_every_case_with_severity() {
    let out = cmd().args(["check", "--list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 31);
    assert!(text.lines().any(|l| l.starts_with("handshake ") && l.contains("required")), "{text}");
    let out = cmd().args(["--json", "check", "--list"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fast = v["cases"].as_array().unwrap().iter().find(|c| c["name"] == "fast").unwrap();
    assert_eq!(fast["severity"], "recommended");
}

#[cfg(unix)]
#[test]
fn a_stop_skips_the_rest_but_still_deletes_the_connection() {
    // Ctrl-C is an interruption (130); SIGTERM ends the run with the verdict of the cases run.
    for (signal, code, skipped) in [("-INT", 130, "not run: interrupted"), ("-TERM", 0, "not run: the run was stopped")]
    {
        let receiver = start(Flaw::None);
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
            .env("NO_COLOR", "1")
            .args(["--json", "check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Stop once the handshake has arrived: the run has a connection to clean up by then.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while receiver.state.lock().unwrap().requests < 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(code), "{signal}: {report:#}");
        assert_eq!(report["interrupted"], signal == "-INT", "{report:#}");
        assert_eq!(report["terminated"], signal == "-TERM", "{report:#}");
        assert_eq!(case(&report, "fast")["detail"], skipped, "{report:#}");
        assert_eq!(case(&report, "delete")["result"], "pass");
        assert_eq!(receiver.connections(), 0);
    }
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

/// Every output agrees with the exit code: whatever `--only` chose, a receiver that dies after
/// the handshake fails the run, and the JSON summary and the JUnit counts say so too.
#[test]
fn a_receiver_that_dies_fails_the_json_and_junit_for_every_only_selection() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    for c in topgg_int::conformance::CASES.iter() {
        let receiver = start(Flaw::DieOnSecondRequest);
        let out = cmd()
            .args(["--json", "check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
            .args(["--only", c.name, "--junit", junit.to_str().unwrap()])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "--only {}: {report:#}", c.name);
        assert_eq!(report["passed"], false, "--only {}", c.name);
        let failed = report["summary"]["failed"].as_u64().unwrap();
        assert!(failed >= 1, "--only {}: summary.failed is 0 while the exit code is 1: {report:#}", c.name);
        assert_eq!(with_result(&report, "fail").len() as u64, failed, "--only {}", c.name);
        let xml = std::fs::read_to_string(&junit).unwrap();
        let suite = xml::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}")).children.remove(0);
        let count = |a: &str| suite.attr(a).unwrap().parse::<u64>().unwrap();
        assert_eq!(count("failures") + count("errors"), failed, "--only {}: {xml}", c.name);
        let failures = suite.children.iter().filter(|t| t.children.iter().any(|e| e.name == "failure")).count();
        assert_eq!(failures as u64, failed, "--only {}: {xml}", c.name);
    }
}

/// Behind `serve --forward-to`, an app that crashes turns every later answer into serve's own 502
/// `forward-failed`: that is the receiver no longer answering, not an answer, and `check` names it.
#[test]
fn an_app_that_dies_behind_serve_forward_to_is_named_as_stopped() {
    let app = start(Flaw::CrashOnShortMac);
    let dir = tempfile::tempdir().unwrap();
    let proxy = crate::inspector::serve(
        dir.path(),
        &["--forward-to", &format!("http://127.0.0.1:{}", app.port), "--forward-config-path", "/config"],
    );
    let url = format!("http://{}/integration", proxy.addr);
    let out =
        cmd().args(["--json", "check", "--url", &url, "--integration-secret", INTEGRATION_SECRET]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(case(&report, "delivery")["result"], "pass", "deliveries went through the proxy: {report:#}");
    assert_eq!(report["stopped_after"], "rejects-malformed-header", "{report:#}");
    let keeps = case(&report, "keeps-answering");
    assert_eq!(keeps["result"], "fail", "{report:#}");
    assert!(keeps["detail"].as_str().unwrap().contains("stopped answering after rejects-malformed-header"), "{keeps}");
    let later = case(&report, "rejects-prefix-stripped-secret");
    assert!(later["detail"].as_str().unwrap().starts_with("not run: the receiver stopped answering"), "{later}");
    let died_on = case(&report, "rejects-malformed-header")["detail"].as_str().unwrap().to_string();
    assert!(died_on.contains("forward-failed"), "{died_on}");
}

/// After a correct delivery is refused with 401/403, `check` sends the same event signed each usual
/// wrong way, each a vote of its own, and names the one the receiver accepts with its fix.
#[test]
fn diagnose_probes_name_the_one_wrong_way_a_receiver_accepts() {
    let scenarios = [
        (Flaw::ReserializePython, "body-as-python-json-dumps", "re-serialised as Python json.dumps"),
        (Flaw::Reserialize, "body-compacted", "express.raw"),
        (Flaw::ReserializeSorted, "body-sorted-keys", "with sorted keys"),
        (Flaw::StripPrefix, "secret-without-whs-prefix", "the HMAC key is the whole secret, whs_ included"),
        (Flaw::IntegrationSecretForWebhooks, "integration-secret", "verify them with the webhook_secret"),
        (Flaw::MillisecondClock, "t-in-milliseconds", "Math.floor(Date.now() / 1000)"),
    ];
    for (flaw, code, fix) in scenarios {
        let receiver = start(flaw);
        let (exit, report) = check(&receiver, &["--only", "delivery"]);
        assert_eq!(exit, 1, "{flaw:?}: {report:#}");
        let delivery = case(&report, "delivery");
        let detail = delivery["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("diagnose probe {code} accepted (of ")), "{flaw:?}: {detail}");
        assert!(detail.contains(fix), "{flaw:?}: {detail}");
        let probes = delivery["facts"]["probes"].as_array().unwrap();
        let accepted: Vec<_> = probes.iter().filter(|p| p["status"] == 204).map(|p| p["probe"].clone()).collect();
        assert_eq!(accepted, [code], "{flaw:?}: {probes:#?}");
        let ids: BTreeSet<_> = probes.iter().map(|p| p["vote_id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), probes.len(), "each probe has its own vote id: {probes:#?}");
        assert!(probes.len() >= 8, "{probes:#?}");
    }
    // A receiver that refuses for no usual reason gets every probe refused, and is told so.
    let receiver = start(Flaw::None);
    let (_, report) = check(&receiver, &["--only", "delivery"]);
    assert!(case(&report, "delivery")["facts"]["probes"].is_null(), "no probes after an accepted delivery");
}

/// `simulate vote --diagnose` sends the same probes after a 401/403 and names the one accepted;
/// without `--diagnose` nothing but the vote is sent.
#[test]
fn simulate_diagnose_probes_only_when_asked() {
    let receiver = start(Flaw::ReserializePython);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("conn.json");
    let out = cmd()
        .args(["simulate", "create", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .arg("--save")
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = || receiver.state.lock().unwrap().requests;

    let before = requests();
    let out = cmd().args(["simulate", "vote", "--retries", "0", "--from"]).arg(&saved).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("probe"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(requests(), before + 1, "no probes without --diagnose");

    let out = cmd().args(["simulate", "vote", "--retries", "0", "--diagnose", "--from"]).arg(&saved).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the vote itself was still refused: {stdout}");
    let accepted: Vec<_> =
        stdout.lines().filter(|l| l.trim_start().starts_with("probe ") && l.contains("accepted")).collect();
    assert_eq!(accepted.len(), 1, "{stdout}");
    assert!(accepted[0].contains("body-as-python-json-dumps"), "{stdout}");
    assert!(
        stdout.contains(
            "diagnosis: your receiver accepts the body re-serialised as Python json.dumps: it verifies parsed JSON, \
             not the raw bytes; Flask: request.get_data()"
        ),
        "{stdout}"
    );

    let out = cmd()
        .args(["--json", "simulate", "vote", "--retries", "0", "--diagnose", "--from"])
        .arg(&saved)
        .output()
        .unwrap();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let probes: Vec<_> = lines.iter().filter(|l| l["step"] == "probe").collect();
    assert!(probes.len() >= 8, "{lines:#?}");
    let ids: BTreeSet<_> = probes.iter().map(|p| p["vote_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), probes.len(), "each probe has its own vote id");
    let diagnosis = lines.last().unwrap();
    assert_eq!(diagnosis["step"], "diagnosis");
    assert_eq!(diagnosis["accepted"], serde_json::json!(["body-as-python-json-dumps"]));
}

/// In a CI log (stdout and stderr not terminals) each case is one plain line on stdout, written as
/// the case finishes: no redraws, no colour, and the rows before a slow case are already there.
#[test]
fn piped_check_prints_one_plain_line_per_case_as_each_finishes() {
    use std::io::BufRead;
    let receiver = start(Flaw::HoldUnknownEvent);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env_clear()
        .args(["check", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .args(["--only", "handshake,delivery,unknown-event-acknowledged,fast"])
        // Longer than the hold, so the run cannot end (and print) while the answer is held.
        .args(["--timeout", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // Once the unknown event's answer is held, the rows of the cases before it must be readable.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !receiver.state.lock().unwrap().holding && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.trim_start().starts_with("delivery ")) {
        let mut line = String::new();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "stdout ended early: {lines:?}");
        lines.push(line);
    }
    assert!(receiver.state.lock().unwrap().holding, "the delivery row was only written after the slow case: {lines:?}");
    receiver.release();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let text = lines.concat() + &rest;
    assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    let all: Vec<&str> = text.lines().collect();
    assert!(all[0].starts_with("check http://127.0.0.1:"), "{text}");
    for name in ["handshake", "delivery", "unknown-event-acknowledged", "fast"] {
        assert_eq!(all.iter().filter(|l| l.trim_start().starts_with(&format!("{name} "))).count(), 1, "{text}");
    }
    assert_eq!(all.len(), 6, "header, four cases, summary: {text}");
    assert!(all[5].starts_with("4 passed, 0 failed"), "{text}");
}

/// Runs `check --json --webhook-url` against a test receiver's plain webhook.
fn check_plain(receiver: &Receiver, extra: &[&str]) -> (i32, Value) {
    check_json(&["--webhook-url", &receiver.webhook_url(), "--secret", WEBHOOK_SECRET], extra)
}

const LEFT_OUT: [&str; 3] = ["handshake", "config-rejects-bad-signature", "delete"];

#[test]
fn a_plain_webhook_of_the_built_in_receiver_passes_every_case_that_needs_no_handshake() {
    use topgg_int::protocol::secret::Secret;
    use topgg_int::receiver::{Log, Receiver, ReceiverConfig};
    let mut config = ReceiverConfig::ephemeral(Secret::new(INTEGRATION_SECRET)).unwrap();
    config.legacy_secret = Some(Secret::new(LEGACY_SECRET));
    let receiver = Receiver::start(config, Log::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.json");
    let out = cmd()
        .args(["simulate", "create", "--url", &receiver.config_url(), "--integration-secret", INTEGRATION_SECRET])
        .args(["--save", conn.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let saved: Value = serde_json::from_slice(&std::fs::read(&conn).unwrap()).unwrap();
    let webhook_url = saved["webhook_url"].as_str().unwrap().to_string();
    let secret_file = dir.path().join("whs.txt");
    std::fs::write(&secret_file, format!("{}\n", saved["webhook_secret"].as_str().unwrap())).unwrap();
    let legacy_url = receiver.config_url().replace("/integration", "/legacy");
    let junit = dir.path().join("report.xml");

    // The webhook URL and its secret as `simulate vote` takes them; the integration secret in the
    // environment is not needed and not used.
    let out = cmd()
        .env("TOPGG_INTEGRATION_SECRET", "whs_not_used")
        .args(["--json", "check", "--webhook-url", &webhook_url, "--secret-file", secret_file.to_str().unwrap()])
        .args(["--strict", "--legacy-secret", LEGACY_SECRET, "--legacy-url", &legacy_url])
        .args(["--junit", junit.to_str().unwrap()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 31 - LEFT_OUT.len(), "{report:#}");
    let not_ok: Vec<_> = cases.iter().filter(|c| c["result"] != "pass" && c["result"] != "info").collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert!(cases.iter().all(|c| !LEFT_OUT.contains(&c["name"].as_str().unwrap())));
    assert_eq!(report["config_url"], Value::Null);
    assert_eq!(report["webhook_url"], webhook_url.as_str());
    assert_eq!(report["left_out"]["cases"], serde_json::json!(LEFT_OUT));
    assert!(report["left_out"]["reason"].as_str().unwrap().contains("config URL"));
    assert_eq!(case(&report, "distinguishes-v0-from-v1")["result"], "pass");
    let ids = case(&report, "user-ids");
    assert_eq!(ids["result"], "info");
    assert_ne!(ids["facts"]["user_id"], ids["facts"]["platform_id"], "{ids:#}");
    let detail = ids["detail"].as_str().unwrap();
    assert!(detail.starts_with("accepted with 204: a vote by Discord user "), "{detail}");
    assert!(detail.contains(ids["facts"]["platform_id"].as_str().unwrap()), "{detail}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    let root = xml::parse(&xml).unwrap();
    let suite = &root.children[0];
    assert_eq!((suite.attr("tests"), suite.attr("failures")), (Some("28"), Some("0")), "{xml}");
    let props = suite.children.iter().find(|c| c.name == "properties").unwrap();
    let prop = |name: &str| props.children.iter().find(|p| p.attr("name") == Some(name)).and_then(|p| p.attr("value"));
    assert_eq!(prop("webhook_url"), Some(webhook_url.as_str()));
    assert!(prop("left_out").unwrap().starts_with("left out handshake, config-rejects-bad-signature, delete: "));

    // --from a saved connection gives both; the table says what was left out, in one line.
    let out = cmd()
        .args(["check", "--from", conn.to_str().unwrap(), "--skip", "rejects-verbatim-replay,slow-head,slow-body"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with(&format!("check {webhook_url} (plain webhook)\n")), "{stdout}");
    let left_out: Vec<_> = stdout.lines().filter(|l| l.starts_with("left out ")).collect();
    assert_eq!(left_out.len(), 1, "{stdout}");
    assert!(left_out[0].contains("handshake, config-rejects-bad-signature, delete: they need"), "{stdout}");
    assert!(stdout.contains("PASSED"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signing with the webhook secret whs_"), "{stderr}");
    receiver.shutdown();
}

#[test]
fn broken_plain_webhooks_fail_the_case_they_break() {
    let stale_window = vec!["rejects-future-timestamp", "rejects-stale-timestamp", "rejects-verbatim-replay"];
    let forged_accepted = vec![
        "distinguishes-v0-from-v1",
        "rejects-bad-signature",
        "rejects-future-timestamp",
        "rejects-malformed-header",
        "rejects-overlong-v1",
        "rejects-prefix-stripped-secret",
        "rejects-stale-timestamp",
        "rejects-tampered-body",
        "rejects-unverified-unparseable",
        "rejects-verbatim-replay",
        "rejects-wrong-secret",
    ];
    let scenarios: Vec<(Flaw, Vec<&str>)> = vec![
        (Flaw::SplitOnDot, vec!["delivery"]),
        (Flaw::PresenceOnly, forged_accepted.clone()),
        (Flaw::StatusWithoutReturn, forged_accepted),
        (Flaw::NoWindow, stale_window),
        (Flaw::Reserialize, vec!["delivery"]),
    ];
    let runs: Vec<_> = scenarios
        .into_iter()
        .map(|(flaw, expected)| {
            std::thread::spawn(move || {
                let receiver = start(flaw);
                let (code, report) = check_plain(&receiver, &["--strict", "--legacy-secret", LEGACY_SECRET]);
                (flaw, expected, code, report)
            })
        })
        .collect();
    for run in runs {
        let (flaw, expected, code, report) = run.join().unwrap();
        let failed: Vec<&str> = with_result(&report, "fail").into_iter().collect();
        assert_eq!(failed, expected, "{flaw:?}: {report:#}");
        assert_eq!(code, 1, "{flaw:?}");
        assert_eq!(report["passed"], false);
        assert_eq!(report["left_out"]["cases"], serde_json::json!(LEFT_OUT));
        let detail = |name: &str| case(&report, name)["detail"].as_str().unwrap().to_string();
        match flaw {
            Flaw::SplitOnDot => assert!(detail("delivery").contains("vote.create 400"), "{report:#}"),
            Flaw::PresenceOnly => {
                assert!(detail("rejects-bad-signature").starts_with("accepted with 204: verify"), "{report:#}");
                assert_eq!(case(&report, "rejects-missing-signature")["result"], "pass");
            }
            Flaw::StatusWithoutReturn => {
                assert!(detail("rejects-wrong-secret").starts_with("accepted with 200"), "{report:#}");
            }
            Flaw::NoWindow => assert!(detail("rejects-stale-timestamp").contains("refuse |now - t| over 30 s")),
            Flaw::Reserialize => assert!(detail("delivery").contains("re-serialised compactly"), "{report:#}"),
            _ => {}
        }
    }
}

#[test]
fn a_plain_webhook_needs_its_secret_and_no_integration_only_case() {
    let receiver = start(Flaw::None);
    let out = cmd().args(["check", "--webhook-url", &receiver.webhook_url()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no webhook secret given") && err.contains("TOPGG_WEBHOOK_SECRET"), "{err}");

    let out = cmd().args(["check", "--secret", WEBHOOK_SECRET]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--webhook-url"));

    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .args(["check", "--webhook-url", &receiver.webhook_url(), "--only", "delivery,handshake"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--only handshake: that case needs"));

    // A URL the receiver does not know: delivery says which URL to check.
    let wrong = receiver.webhook_url().replace("/plain", "/plane");
    let out = cmd()
        .args(["--json", "check", "--webhook-url", &wrong, "--secret", WEBHOOK_SECRET, "--only", "delivery"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let detail = case(&report, "delivery")["detail"].as_str().unwrap().to_string();
    assert!(detail.ends_with("; 404: is --webhook-url the exact URL the dashboard's webhook has?"), "{detail}");
    receiver.state.lock().unwrap().requests = 0;

    let out = cmd().args(["check", "--webhook-url", "/webhooks/1", "--secret", WEBHOOK_SECRET]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--webhook-url"));
    assert_eq!(receiver.state.lock().unwrap().requests, 0);
}

#[test]
fn an_unreachable_plain_webhook_exits_3() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let out = cmd().args(["--json", "check", "--webhook-url", &url, "--secret", WEBHOOK_SECRET]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(case(&report, "delivery")["result"], "fail");
    assert_eq!(with_result(&report, "skip").len(), 31 - LEFT_OUT.len() - 1, "{report:#}");
    assert!(case(&report, "idempotent-retry")["detail"].as_str().unwrap().starts_with("not run: the webhook URL"));
}

#[test]
fn a_receiver_on_a_released_v0_only_sdk_is_named_by_check_and_simulate() {
    let receiver = start(Flaw::V0OnlyNode);
    let sentence = "403 {\"error\":\"Unauthorized\"} to a correctly signed v1 delivery looks like a receiver on \
                    @top-gg/sdk 3.1.6 (npm), which only checks the legacy Authorization header";
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let (code, report) =
        check_plain(&receiver, &["--legacy-secret", LEGACY_SECRET, "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(with_result(&report, "fail").into_iter().collect::<Vec<_>>(), ["delivery", "not-v0-only"]);
    let named = case(&report, "not-v0-only");
    assert!(named["detail"].as_str().unwrap().starts_with(sentence), "{named:#}");
    assert!(named["detail"].as_str().unwrap().contains("node-sdk"), "{named:#}");
    assert_eq!(named["facts"]["sdk"], "topgg-sdk-node-3.1.6");
    let delivery = case(&report, "delivery")["detail"].as_str().unwrap();
    assert!(delivery.contains(sentence) && !delivery.contains("replay window"), "{delivery}");
    // JUnit says what JSON and the exit code say.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let suite = &xml::parse(&xml).unwrap().children[0];
    assert_eq!(suite.attr("failures"), Some("2"), "{xml}");
    let failure = &suite.children.iter().find(|c| c.attr("name") == Some("not-v0-only")).unwrap().children[0];
    assert_eq!(failure.name, "failure");
    assert!(failure.attr("message").unwrap().starts_with(sentence));

    // simulate names it too, in text and JSON, instead of blaming the replay window.
    let out = cmd()
        .args(["simulate", "vote", "--url", &receiver.webhook_url(), "--secret", WEBHOOK_SECRET, "--retries", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("hint: {sentence}")), "{stdout}");
    assert!(!stdout.contains("replay window"), "{stdout}");
    let out = cmd()
        .args(["--json", "simulate", "vote", "--url", &receiver.webhook_url(), "--secret", WEBHOOK_SECRET])
        .args(["--retries", "0"])
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(line["hints"][0].as_str().unwrap().starts_with(sentence), "{line:#}");
    assert_eq!(line["hints"].as_array().unwrap().len(), 1);
}

#[test]
fn a_receiver_on_topggpy_is_named_too() {
    let receiver = start(Flaw::V0OnlyPython);
    let (code, report) = check_plain(&receiver, &["--only", "delivery,not-v0-only"]);
    assert_eq!(code, 1, "{report:#}");
    let named = case(&report, "not-v0-only");
    assert_eq!(named["result"], "fail", "{report:#}");
    let detail = named["detail"].as_str().unwrap();
    assert!(detail.starts_with("401 Unauthorized (text/plain) to a correctly signed v1 delivery looks like a receiver on topggpy 1.4.0 (PyPI)"), "{detail}");
    assert!(detail.contains("python-sdk"), "{detail}");
    assert_eq!(named["facts"]["sdk"], "topggpy-1.4.0");
}

#[test]
fn a_403_blames_the_replay_window_only_for_a_stale_t() {
    let receiver = start(Flaw::None);
    let stale =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 600).to_string();
    let out = cmd()
        .args(["simulate", "vote", "--url", &receiver.webhook_url(), "--secret", WEBHOOK_SECRET, "--retries", "0"])
        .args(["--timestamp", &stale])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("hint: 403: t is 60") && stdout.contains(" s old, outside a 30 s replay window"),
        "{stdout}"
    );
    assert!(!stdout.contains("Authorization"), "{stdout}");
}
