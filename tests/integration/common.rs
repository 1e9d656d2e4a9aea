//! Shared test helpers: a hermetic command and the vector file.

#![allow(dead_code)]

use std::path::PathBuf;

/// `topgg-int` with a clean environment: no colour, no secrets from the developer's shell.
pub fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"));
    c.env_clear()
        .env("NO_COLOR", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir());
    c
}

/// A file in the repository.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// One case of tests/vectors/signatures.json.
#[derive(Debug, serde::Deserialize)]
pub struct Vector {
    pub name: String,
    pub secret: String,
    pub header: Option<String>,
    pub body: String,
    pub now: i64,
    pub tolerance_s: u64,
    pub expect: String,
    pub reason: String,
    pub hint: Option<String>,
}

/// Every signature vector.
pub fn vectors() -> Vec<Vector> {
    #[derive(serde::Deserialize)]
    struct File {
        cases: Vec<Vector>,
    }
    let raw = std::fs::read(repo_path("tests/vectors/signatures.json")).expect("vectors file");
    let file: File = serde_json::from_slice(&raw).expect("vectors parse");
    assert!(file.cases.len() >= 30, "the vector file lost cases");
    file.cases
}
