//! Small things a newcomer trips over: `inspect` waiting on a terminal says so, `--junit -` means
//! stdout, a URL without a scheme gets a suggestion, `--retries` is bounded, every simulate
//! subcommand's `--help` has examples, and no example puts a secret value on the command line.

use std::process::{Command, Stdio};

use crate::common::{cmd, repo_path};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn inspect_on_a_terminal_says_it_is_reading_stdin() {
    let Some(script) = crate::common::require("script", &[]) else { return };
    let bin = assert_cmd::cargo::cargo_bin!("topgg-int").to_str().unwrap().to_string();
    // `script` gives the command a pseudo-terminal; the piped ^D is end-of-file there.
    let mut child = Command::new(script)
        .args(["-qec", &format!("{bin} --color never inspect"), "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"\x04").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reading from stdin, Ctrl-D to end"), "{text:?}");

    let out = cmd().arg("inspect").write_stdin("{}").output().unwrap();
    assert!(!stderr(&out).contains("Ctrl-D"), "a pipe is not told: {}", stderr(&out));
}

#[test]
fn junit_dash_writes_the_xml_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd().current_dir(dir.path()).args(["check", "--junit", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#), "stdout holds only XML: {xml}");
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
    assert!(stderr(&out).contains("rejects-wrong-secret"), "the table goes to stderr: {}", stderr(&out));
    assert!(!dir.path().join("-").exists(), "a file named - was written");

    let out = cmd().args(["check", "--junit", "-", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--junit - and --json both write to stdout"), "{}", stderr(&out));
}

#[test]
fn a_url_without_a_scheme_gets_a_suggestion() {
    for args in [
        &["simulate", "vote", "--url", "localhost:8080/x", "--dry-run"][..],
        &["simulate", "create", "--url", "127.0.0.1:8080/integration", "--dry-run"],
        &["check", "--url", "localhost:8080/x"],
    ] {
        let out = cmd()
            .env("TOPGG_WEBHOOK_SECRET", "whs_x")
            .env("TOPGG_INTEGRATION_SECRET", "whs_y")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let url = args[args.iter().position(|a| *a == "--url").unwrap() + 1];
        assert!(stderr(&out).contains(&format!("did you mean http://{url}?")), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn retries_are_bounded() {
    let args = ["simulate", "vote", "--url", "http://127.0.0.1:9/w", "--dry-run", "--retries"];
    let out = cmd().env("TOPGG_WEBHOOK_SECRET", "whs_x").args(args).arg("11").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: --retries 11 is more than 10, the most Top.gg ever retries (legacy webhooks); give 0 to 10"
    );
    let out = cmd().env("TOPGG_WEBHOOK_SECRET", "whs_x").args(args).arg("10").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Every `--help` text, top level and each subcommand.
fn all_help() -> Vec<(String, String)> {
    let commands = [
        "",
        "verify",
        "inspect",
        "serve",
        "check",
        "completions",
        "simulate",
        "simulate create",
        "simulate delete",
        "simulate vote",
        "simulate test",
        "simulate flow",
        "simulate replay",
    ];
    commands
        .iter()
        .map(|c| {
            let out = cmd().args(c.split_whitespace()).arg("--help").output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{c} --help");
            (c.to_string(), String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .collect()
}

#[test]
fn every_simulate_subcommand_help_has_examples() {
    for (command, help) in all_help() {
        if command.starts_with("simulate ") {
            let examples = help.split_once("Examples:\n").map(|(_, e)| e).unwrap_or_default();
            let name = command.trim_start_matches("simulate ");
            assert!(
                examples.contains(&format!("topgg-int simulate {name}")),
                "{command} --help has no examples:\n{help}"
            );
        }
    }
}

#[test]
fn no_example_puts_a_secret_on_the_command_line() {
    let mut texts = all_help();
    texts.push(("README.md".into(), std::fs::read_to_string(repo_path("README.md")).unwrap()));
    for (source, text) in texts {
        // Command lines: `$ …` in the README, `topgg-int …` in help, and their `\` continuations.
        let mut continued = false;
        for line in text.lines() {
            let t = line.trim_start();
            let command = continued || t.starts_with("$ ") || t.starts_with("topgg-int ");
            continued = command && t.ends_with('\\');
            if !command {
                continue;
            }
            let words: Vec<&str> = t.split_whitespace().collect();
            for pair in words.windows(2) {
                let secret_flag = ["--secret", "--integration-secret", "--legacy-secret"].contains(&pair[0]);
                assert!(
                    !secret_flag,
                    "{source}: `{t}` puts a secret on the command line; use the environment or a file"
                );
            }
        }
    }
}

/// Help wraps to the terminal: the prose after the options is one paragraph per idea, not lines
/// broken at 100 columns that a narrower terminal breaks again into stubs.
#[test]
fn help_prose_wraps_to_an_80_column_terminal() {
    for c in ["verify", "inspect", "serve", "check", "simulate", "simulate vote", "vectors"] {
        let out = cmd().args(c.split_whitespace()).arg("--help").env("COLUMNS", "80").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines().filter(|l| !l.starts_with("  topgg-int ") && !l.starts_with("  cat ")) {
            assert!(line.chars().count() <= 80, "`{c} --help` has a line over 80 columns: {line:?}");
        }
    }
}
