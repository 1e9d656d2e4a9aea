//! Where secrets come from: the command line, then `--from`, then the environment, with every
//! outranked source named on stderr; the `signing with …` line every signing command prints; and
//! secret files, which hold one line (a trailing newline stripped) and nothing else.

use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;

use crate::common::cmd;

const FILE_SECRET: &str = "whs_file0123456789abcdef0123456789";
const ENV_SECRET: &str = "whs_envv0123456789abcdef0123456789";
const FROM_SECRET: &str = "whs_from0123456789abcdef0123456789";

/// The fingerprint `serve` prints, computed here independently: SHA-256, first 4 bytes, hex.
fn fingerprint(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes())[..4])
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_string()
}

/// A connection file as `simulate create --save` writes it; the URL is never contacted (dry runs).
fn conn_file(dir: &Path) -> String {
    let conn = serde_json::json!({
        "config_url": "http://127.0.0.1:9/integration",
        "connection_id": "1234",
        "webhook_secret": FROM_SECRET,
        "webhook_url": "http://127.0.0.1:9/webhooks/1234",
        "routes": ["vote.create"]
    });
    write(dir, "conn.json", &conn.to_string())
}

#[test]
fn a_secret_file_beats_the_environment_without_a_conflict_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.txt", &format!("{FILE_SECRET}\n"));
    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", ENV_SECRET)
        .args(["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--dry-run", "--secret-file", &file])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("cannot be used with"), "{err}");
    assert!(err.contains("TOPGG_WEBHOOK_SECRET is not used: --secret-file"), "{err}");
    let expected = format!("whs_fi…89 (fingerprint {}, from --secret-file {file})", fingerprint(FILE_SECRET));
    assert!(err.contains(&format!("signing with the webhook secret {expected}")), "{err}");
}

#[test]
fn from_beats_the_environment_and_the_command_line_beats_from() {
    let dir = tempfile::tempdir().unwrap();
    let conn = conn_file(dir.path());
    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", ENV_SECRET)
        .args(["simulate", "vote", "--from", &conn, "--dry-run"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("(fingerprint {}, from --from {conn})", fingerprint(FROM_SECRET))), "{err}");
    assert!(err.contains("TOPGG_WEBHOOK_SECRET is not used: --from"), "{err}");
    assert!(!err.contains(&fingerprint(ENV_SECRET)), "{err}");

    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", ENV_SECRET)
        .args(["simulate", "test", "--from", &conn, "--dry-run", "--secret", FILE_SECRET])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("(fingerprint {}, from --secret)", fingerprint(FILE_SECRET))), "{err}");
    assert!(err.contains(&format!("the webhook secret from --from {conn} is not used: --secret comes first")), "{err}");
}

#[test]
fn the_environment_is_used_when_nothing_else_is_given() {
    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", ENV_SECRET)
        .args(["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--dry-run"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("(fingerprint {}, from TOPGG_WEBHOOK_SECRET)", fingerprint(ENV_SECRET))), "{err}");
    assert!(!err.contains("not used"), "{err}");
}

#[test]
fn the_integration_secret_file_beats_its_variable_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "i.txt", &format!("{FILE_SECRET}\r\n"));
    let out = cmd()
        .env("TOPGG_INTEGRATION_SECRET", ENV_SECRET)
        .args(["simulate", "create", "--url", "http://127.0.0.1:9/i", "--dry-run", "--integration-secret-file", &file])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("TOPGG_INTEGRATION_SECRET is not used: --integration-secret-file"), "{err}");
    let line = format!("signing with the integration secret whs_fi…89 (fingerprint {}", fingerprint(FILE_SECRET));
    assert!(err.contains(&line), "{err}");
}

#[test]
fn verify_names_the_secret_source() {
    let dir = tempfile::tempdir().unwrap();
    let body = write(dir.path(), "body.json", "{}");
    let out = cmd()
        .env("TOPGG_WEBHOOK_SECRET", ENV_SECRET)
        .args(["verify", "--signature", "t=1,v1=00", "--body", &body, "--tolerance", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let line = format!("whs_en…89 (fingerprint {}, from TOPGG_WEBHOOK_SECRET)", fingerprint(ENV_SECRET));
    assert!(text.contains(&line), "{text}");
}

#[test]
fn a_secret_file_holds_one_line_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    for (contents, why) in [
        (format!("{FILE_SECRET} \n"), "has whitespace before or after"),
        (format!("{FILE_SECRET}\nsecond\n"), "has more than one line"),
        (format!("{FILE_SECRET}\n\n"), "has more than one line"),
        (format!("{FILE_SECRET}\r\r\n"), "contains a carriage return"),
        ("\n".to_string(), "is empty"),
    ] {
        let file = write(dir.path(), "bad.txt", &contents);
        let out = cmd()
            .args(["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--dry-run", "--secret-file", &file])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{contents:?}: {err}");
        assert!(err.contains(&format!("error: the secret file {file} {why}")), "{contents:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    }
    let file = write(dir.path(), "crlf.txt", &format!("{FILE_SECRET}\r\n"));
    let out = cmd()
        .args(["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--dry-run", "--secret-file", &file])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&fingerprint(FILE_SECRET)), "one CRLF is a line ending: {}", stderr(&out));
}

#[test]
fn a_kept_integration_secret_with_a_stray_space_stops_serve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("integration-secret"), format!("{FILE_SECRET} \n")).unwrap();
    let out = cmd()
        .args(["serve", "--port", "0", "--data-dir", dir.path().to_str().unwrap()])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("integration-secret has whitespace before or after the secret"), "{err}");
}
