//! The README, followed literally: its two newcomer commands, and every ```console example, whose
//! printed output must be exactly what the binary prints today.

use crate::common::{cmd, repo_path};

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).unwrap()
}

/// The lines of the first fenced block after `heading`.
fn first_block_after(text: &str, heading: &str) -> Vec<String> {
    let at = text.find(heading).unwrap_or_else(|| panic!("README has no {heading:?}"));
    let rest = &text[at..];
    let start = rest.find("```").unwrap();
    let body = &rest[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("```").unwrap();
    body[..end].lines().map(str::to_string).collect()
}

#[test]
fn quick_start_commands_are_the_main_job_and_the_tests() {
    let lines = first_block_after(&readme(), "## Quick start");
    assert_eq!(lines, ["cargo run --release -- simulate flow", "cargo test"]);
    // Run the main job as written, with the binary cargo already built standing in for `cargo run --release --`.
    let args: Vec<&str> = lines[0].strip_prefix("cargo run --release -- ").unwrap().split(' ').collect();
    let out = cmd().args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("handshake ok"), "{stdout}");
    assert!(stdout.trim_end().ends_with("flow complete: handshake ok, 4/4 requests acknowledged"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no --url: running against the built-in receiver at http://127.0.0.1:")
    );
}

#[test]
fn console_examples_print_what_the_readme_shows() {
    let text = readme();
    let mut checked = 0;
    let mut rest = text.as_str();
    while let Some(at) = rest.find("```console\n") {
        let block = &rest[at + "```console\n".len()..];
        let end = block.find("```").unwrap();
        let (command, expected) = block[..end].split_once('\n').unwrap();
        // `$ NAME=value … topgg-int ARGS`: secrets go in the environment, never in ARGS.
        let command = command.strip_prefix("$ ").expect("console blocks start with `$ `");
        let (assignments, command) = command.split_once("topgg-int ").expect("console blocks run topgg-int");
        let mut c = cmd();
        for pair in assignments.split_whitespace() {
            let (name, value) = pair.split_once('=').expect("only NAME=value before topgg-int");
            c.env(name, value);
        }
        let out = c.current_dir(repo_path("")).args(command.split(' ')).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "README example `topgg-int {command}` is stale");
        checked += 1;
        rest = &block[end..];
    }
    assert!(checked >= 4, "only {checked} console examples found");
}

#[test]
fn install_section_matches_the_crate() {
    let text = readme();
    let top = &text[..text.find("## Commands").expect("README has a Commands section")];
    let manifest = std::fs::read_to_string(repo_path("Cargo.toml")).unwrap();
    let rust =
        manifest.lines().find_map(|l| l.strip_prefix("rust-version = ")).expect("rust-version").trim_matches('"');
    assert!(
        top.contains(&format!("Rust {rust} or newer, via [rustup]")),
        "README states another Rust version than {rust}"
    );
    assert!(top.contains("cargo install --locked --path ."), "install without --locked re-resolves dependencies");
    // Every committed completion script and the man directory are named with a path that exists.
    for file in ["topgg-int.bash", "_topgg-int", "topgg-int.fish", "_topgg-int.ps1", "topgg-int.elv"] {
        assert!(top.contains(&format!("completions/{file}")), "no install line for completions/{file}");
        assert!(repo_path(&format!("completions/{file}")).exists(), "{file}");
    }
    assert!(top.contains("cp man/*.1 ") && repo_path("man/topgg-int.1").exists());
    let page = top.split("man topgg-int-").nth(1).and_then(|r| r.split_whitespace().next()).expect("a man example");
    assert!(repo_path(&format!("man/topgg-int-{page}.1")).exists(), "man topgg-int-{page} has no page");
}

/// The CI snippets: a GitHub Actions and a GitLab CI job, each running the same `check` line with
/// the secret from the CI's store and publishing the JUnit file; `.ci/run` runs that line.
#[test]
fn ci_snippets_run_check_with_the_secret_from_the_store_and_publish_junit() {
    let text = readme();
    let all: Vec<&str> = text.split("```yaml\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    // The repository's own action (action.yml) is a third snippet, tested in release.rs.
    assert!(all.iter().any(|y| y.contains("uses: topgg-int/topgg-int@")), "the action's snippet");
    let yaml: Vec<&str> = all.into_iter().filter(|y| !y.contains("uses: topgg-int/topgg-int@")).collect();
    assert_eq!(yaml.len(), 2, "a GitHub Actions and a GitLab CI snippet");
    let line = r#"topgg-int check --url "$STAGING_CONFIG_URL" --junit check.xml"#;
    for snippet in &yaml {
        assert!(snippet.contains(line), "{snippet}");
        assert!(!snippet.contains("--integration-secret "), "no secret on a command line: {snippet}");
    }
    assert!(yaml[0].contains("TOPGG_INTEGRATION_SECRET: ${{ secrets.TOPGG_INTEGRATION_SECRET }}"), "{}", yaml[0]);
    assert!(yaml[0].contains("report_paths: check.xml"), "{}", yaml[0]);
    assert!(yaml[1].contains("junit: check.xml"), "{}", yaml[1]);
    let ci = std::fs::read_to_string(repo_path(".ci/run")).unwrap();
    assert!(ci.contains("\nreadme_ci_check\n"), ".ci/run runs the snippets' check line");
}
