//! Shared test helpers: a hermetic command and the vector file.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

/// How long a test waits for something that should happen before it calls the wait hung: a guard,
/// never a timing claim (those live in bench/), so generous for a loaded 2-core CI machine.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

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

/// Where `program` is on `PATH`, if anywhere.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// One policy for a test that needs something a machine with only Rust lacks (a shell, chromium,
/// util-linux `script`): `Some(path)` when `program` is installed (on `PATH`, or at one of
/// `fallbacks`). When it is missing the test is skipped with one line on stderr and passes, except
/// under `CI=true`, where `.ci/run` installs everything the suite uses and a missing program is a
/// failure rather than a silent skip.
pub fn require(program: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let found = which(program).or_else(|| fallbacks.iter().map(PathBuf::from).find(|p| p.is_file()));
    if found.is_none() {
        missing(program);
    }
    found
}

/// The same policy for a file a package installs (bash-completion's script, say).
pub fn require_file(package: &str, file: &str) -> bool {
    let there = std::path::Path::new(file).is_file();
    if !there {
        missing(package);
    }
    there
}

fn missing(program: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{program} not installed, and CI=true: .ci/run installs it; a missing program fails under CI");
    }
    // Straight to stderr, past the test harness's capture, so a skip is seen in a passing run.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {program} not installed (CI=true makes this a failure)");
}
