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

/// The cases of one vector file under tests/vectors.
fn vector_file(name: &str) -> Vec<Vector> {
    #[derive(serde::Deserialize)]
    struct File {
        cases: Vec<Vector>,
    }
    let raw = std::fs::read(repo_path(&format!("tests/vectors/{name}"))).expect("vectors file");
    let file: File = serde_json::from_slice(&raw).expect("vectors parse");
    file.cases
}

/// The shared contract's signature vectors (tests/vectors/signatures.json, a copy of
/// shared/vectors/signatures.json) followed by our generated ones (signature-vectors.json, what
/// `topgg-int vectors` writes), the generated names prefixed `gen-`.
pub fn vectors() -> Vec<Vector> {
    let mut all = vector_file("signatures.json");
    assert!(all.len() >= 30, "the vector file lost cases");
    for mut v in vector_file("signature-vectors.json") {
        v.name = format!("gen-{}", v.name);
        all.push(v);
    }
    all
}
