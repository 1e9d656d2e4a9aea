//! Installing without a Rust build: the dist configuration, the binstall metadata, the GitHub
//! Action, the Dockerfile and the README's install section must name the same archives, installers
//! and URLs, and the action's check script must work with the binary just built.
//!
//! What cannot run here (no GitHub, no Docker daemon, no registry to publish to) is checked for
//! consistency only. `.ci/run` also runs `dist generate --check` and `dist plan`, which say the
//! release workflow is what dist generates from dist-workspace.toml.

use std::path::Path;

use serde_json::Value;

use crate::common::repo_path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The value of `key = "value"` (or `key = [...]`, raw) in the TOML section `section`.
fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let start =
        text.find(&format!("\n[{section}]\n")).or_else(|| text.starts_with(&format!("[{section}]\n")).then_some(0))?;
    let body = &text[start + section.len() + 3..];
    let body = &body[..body.find("\n[").unwrap_or(body.len())];
    body.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

const REPO_URL: &str = "https://github.com/topgg-int/topgg-int";

#[test]
fn dist_binstall_and_the_release_workflow_agree() {
    let dist = read("dist-workspace.toml");
    let cargo = read("Cargo.toml");
    let workflow = read(".github/workflows/release.yml");

    let version = toml_value(&dist, "dist", "cargo-dist-version").unwrap();
    assert!(
        workflow.contains(&format!("cargo-dist/releases/download/v{version}/cargo-dist-installer.sh")),
        "release.yml installs another dist than dist-workspace.toml's {version}: run `dist generate`"
    );
    let installers = toml_value(&dist, "dist", "installers").unwrap();
    for installer in ["shell", "powershell", "homebrew", "npm"] {
        assert!(installers.contains(&format!("\"{installer}\"")), "{installer} missing from {installers}");
    }
    assert_eq!(toml_value(&dist, "dist", "checksum").as_deref(), Some("sha256"));
    let targets = toml_value(&dist, "dist", "targets").unwrap();
    for target in
        ["x86_64-unknown-linux-musl", "x86_64-unknown-linux-gnu", "aarch64-apple-darwin", "x86_64-pc-windows-msvc"]
    {
        assert!(targets.contains(target), "{target} missing from {targets}");
    }
    // binstall's archive names are dist's defaults: tar.xz with a `name-target/` folder, zip on Windows.
    assert_eq!(toml_value(&dist, "dist", "unix-archive"), None, "binstall assumes dist's default .tar.xz");
    assert_eq!(toml_value(&dist, "dist", "windows-archive"), None, "binstall assumes dist's default .zip");
    assert_eq!(toml_value(&cargo, "package", "repository").as_deref(), Some(REPO_URL));
    assert_eq!(
        toml_value(&cargo, "package.metadata.binstall", "pkg-url").as_deref(),
        Some("{ repo }/releases/download/v{ version }/{ name }-{ target }{ archive-suffix }")
    );
    assert_eq!(toml_value(&cargo, "package.metadata.binstall", "pkg-fmt").as_deref(), Some("txz"));
    assert_eq!(
        toml_value(&cargo, "package.metadata.binstall", "bin-dir").as_deref(),
        Some("{ name }-{ target }/{ bin }{ binary-ext }")
    );
    let windows = "package.metadata.binstall.overrides.x86_64-pc-windows-msvc";
    assert_eq!(toml_value(&cargo, windows, "pkg-fmt").as_deref(), Some("zip"));
    assert_eq!(toml_value(&cargo, windows, "bin-dir").as_deref(), Some("{ bin }{ binary-ext }"));
    assert_eq!(toml_value(&cargo, "profile.dist", "inherits").as_deref(), Some("release"));
    // Tags are vX.Y.Z, as binstall's pkg-url and the action's URLs assume.
    assert!(workflow.contains("'**[0-9]+.[0-9]+.[0-9]+*'"), "release.yml triggers on other tags");
}

#[test]
fn the_action_installs_a_release_and_runs_its_script_with_every_input() {
    let action = read("action.yml");
    let script = read("action/check.sh");
    let name = "topgg-int";
    for installer in [format!("{name}-installer.sh"), format!("{name}-installer.ps1")] {
        assert!(action.contains(&format!("\"$base/{installer}\"")), "action.yml does not fetch {installer}");
    }
    assert!(action.contains(&format!("{REPO_URL}/releases/latest/download")));
    assert!(action.contains(&format!("{REPO_URL}/releases/download/v")));
    assert!(action.contains("using: composite"));
    assert!(action.contains(r#"run: bash "$GITHUB_ACTION_PATH/action/check.sh""#));
    // Every input reaches the script as INPUT_*, and the script reads each of them.
    let inputs_block = &action[action.find("\ninputs:\n").unwrap()..action.find("\noutputs:\n").unwrap()];
    let inputs: Vec<&str> = inputs_block
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    assert!(inputs.len() >= 8, "{inputs:?}");
    for input in inputs.iter().filter(|i| **i != "version") {
        let var = format!("INPUT_{}", input.to_ascii_uppercase().replace('-', "_"));
        assert!(action.contains(&format!("{var}: ${{{{ inputs.{input} }}}}")), "{input} is not passed as {var}");
        assert!(script.contains(&format!("${{{var}")), "action/check.sh ignores {var}");
    }
}

#[test]
fn the_docker_image_holds_only_the_static_binary() {
    let docker = read("Dockerfile");
    let stages: Vec<&str> = docker.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages[0].contains("alpine"), "the build stage must target musl: {stages:?}");
    assert_eq!(stages[1], "FROM scratch");
    let last = &docker[docker.find("FROM scratch").unwrap()..];
    let copies: Vec<&str> = last.lines().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(copies, ["COPY --from=build /out/topgg-int /topgg-int", "COPY --from=build /out/tmp /tmp"]);
    assert!(docker.contains("cargo build --release --locked"));
    assert!(last.contains(r#"ENTRYPOINT ["/topgg-int"]"#));
    // The build copies only what it needs; everything it copies exists.
    for line in docker.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        for path in line.split_whitespace().skip(1).filter(|p| !p.ends_with('/') && *p != "./src") {
            assert!(repo_path(path).exists(), "{line}");
        }
    }
}

#[test]
fn the_readme_install_section_leads_with_the_prebuilt_ways() {
    let readme = read("README.md");
    let start = readme.find("### Install\n").expect("README has an Install section");
    let section = &readme[start..start + readme[start..].find("\n### Completions").unwrap()];
    let order = [
        "topgg-int-installer.sh",
        "topgg-int-installer.ps1",
        "brew install topgg-int/tap/topgg-int",
        "npm install -g @topgg-int/topgg-int",
        "cargo binstall topgg-int",
        "docker build -t topgg-int .",
        "cargo install --locked",
    ];
    let mut at = 0;
    for needle in order {
        let found = section[at..].find(needle).unwrap_or_else(|| panic!("{needle:?} missing or out of order"));
        at += found;
    }
    assert!(readme.contains("uses: topgg-int/topgg-int@"), "the CI section shows the action");
    assert!(readme.find("## Plain webhooks").unwrap() < readme.find("## Integrations").unwrap());
}

/// Runs action/check.sh as the action does, with the binary just built.
fn run_action(env: &[(&str, &str)], outputs: &Path) -> (i32, String) {
    let mut c = std::process::Command::new("bash");
    c.arg(repo_path("action/check.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("TOPGG_INT", assert_cmd::cargo::cargo_bin!("topgg-int"))
        .env("GITHUB_OUTPUT", outputs)
        .current_dir(outputs.parent().unwrap());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_action_script_checks_a_plain_webhook_and_reports_for_ci() {
    use topgg_int::protocol::secret::Secret;
    use topgg_int::receiver::{Log, Receiver, ReceiverConfig};
    let integration = "whs_action_integration_secret";
    let receiver = Receiver::start(ReceiverConfig::ephemeral(Secret::new(integration)).unwrap(), Log::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.json");
    let out = crate::common::cmd()
        .args(["simulate", "create", "--url", &receiver.config_url(), "--integration-secret", integration])
        .args(["--save", conn.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let saved: Value = serde_json::from_slice(&std::fs::read(&conn).unwrap()).unwrap();
    let (url, secret) = (saved["webhook_url"].as_str().unwrap(), saved["webhook_secret"].as_str().unwrap());
    let junit = dir.path().join("check.xml");
    let outputs = dir.path().join("github-output");

    let env = [
        ("INPUT_WEBHOOK_URL", url),
        ("TOPGG_WEBHOOK_SECRET", secret),
        ("INPUT_JUNIT", junit.to_str().unwrap()),
        ("INPUT_STRICT", "true"),
        ("INPUT_SKIP", "rejects-verbatim-replay,slow-head,slow-body"),
    ];
    let (code, stdout) = run_action(&env, &outputs);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("(plain webhook)") && stdout.contains("PASSED"), "{stdout}");
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("result=passed\n"), "{written}");
    assert!(written.contains(&format!("junit={}\n", junit.display())), "{written}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("<property name=\"webhook_url\" value=\"{url}\"/>")), "{xml}");

    // A wrong secret: the deliveries are refused, the run fails, and the output says so.
    std::fs::remove_file(&outputs).unwrap();
    let wrong = [("INPUT_WEBHOOK_URL", url), ("TOPGG_WEBHOOK_SECRET", "whs_not_this_one"), ("INPUT_ONLY", "delivery")];
    let (code, stdout) = run_action(&wrong, &outputs);
    assert_eq!(code, 1, "{stdout}");
    assert!(std::fs::read_to_string(&outputs).unwrap().contains("result=failed\n"));

    // Both kinds of URL is a usage error before anything is sent.
    let both = [("INPUT_WEBHOOK_URL", url), ("INPUT_URL", url), ("INPUT_JUNIT", "unused.xml")];
    let (code, _) = run_action(&both, &outputs);
    assert_eq!(code, 2);
    receiver.shutdown();
}
