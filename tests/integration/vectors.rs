//! Every case of the shared and the generated signature vectors through the library: outcome,
//! reason and hint; and the generated file is what `topgg-int vectors` writes
//! (`UPDATE_VECTORS=1 cargo test --test integration vectors` rewrites it).

use crate::common::{cmd, repo_path, vectors};
use topgg_int::protocol::diagnose::Hint;
use topgg_int::protocol::secret::Secret;
use topgg_int::protocol::signature::{Reason, diagnose, verify};

#[test]
fn every_vector_through_the_library() {
    let mut failures = Vec::new();
    for v in vectors() {
        let secret = Secret::new(v.secret.clone());
        let d = diagnose(&secret, v.header.as_deref(), v.body.as_bytes(), v.now, v.tolerance_s);
        let expect_valid = v.expect == "valid";
        let hint = d.hints.first().map(|h| h.code());
        if d.is_valid() != expect_valid || d.reason.code() != v.reason || hint != v.hint.as_deref() || d.hints.len() > 1
        {
            failures.push(format!(
                "{}: got {} {:?} {:?}, want {} {} {:?}",
                v.name,
                d.is_valid(),
                d.reason,
                d.hints,
                v.expect,
                v.reason,
                v.hint
            ));
        }
        // The receiver's fast path must agree with the diagnosing one on the verdict and reason.
        let fast = verify(&secret, v.header.as_deref(), v.body.as_bytes(), v.now, v.tolerance_s);
        let fast_reason = fast.as_ref().map(|_| Reason::Ok).unwrap_or_else(|r| r.reason);
        if fast_reason != d.reason {
            failures.push(format!("{}: fast path says {fast_reason:?}, diagnose says {:?}", v.name, d.reason));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_vectors_cover_every_reason_and_every_hint_with_a_near_miss() {
    let ours: Vec<_> = vectors().into_iter().filter(|v| v.name.starts_with("gen-")).collect();
    for reason in ["ok", "missing-header", "malformed-header", "timestamp-out-of-window", "signature-mismatch"] {
        assert!(ours.iter().any(|v| v.reason == reason && v.hint.is_none()), "no plain case for {reason}");
    }
    for code in Hint::CODES {
        assert!(ours.iter().any(|v| v.hint.as_deref() == Some(code)), "no case names {code}");
    }
    let near_misses = ours.iter().filter(|v| v.name.starts_with("gen-near-miss-")).count();
    assert!(near_misses >= 9, "{near_misses} near misses");
    assert!(ours.iter().any(|v| v.expect == "valid") && ours.iter().any(|v| v.expect == "invalid"));
}

#[test]
fn committed_vectors_are_what_the_command_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd().args(["vectors", "--out"]).arg(dir.path().join("v")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature-vectors.json"));
    let stdout = cmd().arg("vectors").output().unwrap();
    assert_eq!(stdout.status.code(), Some(0));
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    let mut stale = Vec::new();
    for name in ["signature-vectors.json", "README.md"] {
        let written = std::fs::read(dir.path().join("v").join(name)).unwrap();
        let committed = repo_path(&format!("tests/vectors/{name}"));
        if update {
            std::fs::write(&committed, &written).unwrap();
        } else if std::fs::read(&committed).ok().as_deref() != Some(&written[..]) {
            stale.push(name);
        }
        if name.ends_with(".json") {
            assert_eq!(stdout.stdout, written, "stdout and --out write the same JSON");
        }
    }
    assert!(stale.is_empty(), "stale {stale:?}: run UPDATE_VECTORS=1 cargo test --test integration vectors");
}

#[test]
fn an_unwritable_out_dir_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = cmd().args(["vectors", "--out"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("could not create the directory") && err.contains("a-file"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
