//! Colour follows one decision (`--color` > `NO_COLOR` > `CLICOLOR_FORCE` > `CLICOLOR=0` > a
//! terminal) in clap's help and usage errors and in topgg-int's own output alike. A terminal is
//! made with util-linux `script`, which runs the command on a pseudo-terminal; without `script` the
//! terminal cases are skipped (a failure under `CI=true`).

use std::process::Command;

use crate::common::require;

const ESC: char = '\u{1b}';

/// The three kinds of output: clap's help, clap's usage error, and topgg-int's own error line.
const CASES: [&str; 3] = ["--help", "verify --bogus", "verify --request /nonexistent/x.http --secret whs_x"];

/// Runs `topgg-int ARGS` with `env`, on a pseudo-terminal (`tty`) or into a pipe, and returns
/// everything it printed (stdout and stderr).
fn run(args: &str, env: &[(&str, &str)], tty: bool) -> Option<String> {
    let script = if tty { Some(require("script", &[])?) } else { None };
    let bin = assert_cmd::cargo::cargo_bin!("topgg-int").to_str().unwrap().to_string();
    let mut c = if let Some(script) = script {
        let mut c = Command::new(script);
        c.args(["-qec", &format!("{bin} {args}"), "/dev/null"]);
        c
    } else {
        let mut c = Command::new(&bin);
        c.args(args.split(' '));
        c
    };
    c.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("TERM", "xterm");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("the command runs");
    Some(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn assert_colour(args: &str, env: &[(&str, &str)], tty: bool, coloured: bool) {
    let Some(text) = run(args, env, tty) else { return };
    assert!(text.len() > 20, "{args} printed nothing: {text:?}");
    assert_eq!(text.contains(ESC), coloured, "`{args}` with {env:?}, tty {tty}: {text:?}");
}

#[test]
fn a_terminal_gets_colour_and_a_pipe_does_not() {
    for case in CASES {
        assert_colour(case, &[], true, true);
        assert_colour(case, &[], false, false);
        assert_colour(case, &[("NO_COLOR", "")], true, true);
    }
}

#[test]
fn color_never_reaches_clap_on_a_terminal() {
    for case in CASES {
        assert_colour(&format!("--color never {case}"), &[], true, false);
        assert_colour(&format!("{case} --color=never"), &[], true, false);
        assert_colour(&format!("--color always {case}"), &[("NO_COLOR", "1")], false, true);
    }
}

#[test]
fn no_color_beats_clicolor_force() {
    for case in CASES {
        assert_colour(case, &[("NO_COLOR", "1")], true, false);
        assert_colour(case, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], false, false);
    }
}

#[test]
fn clicolor_force_colours_a_pipe_and_beats_clicolor() {
    for case in CASES {
        assert_colour(case, &[("CLICOLOR_FORCE", "1")], false, true);
        assert_colour(case, &[("CLICOLOR_FORCE", "1"), ("CLICOLOR", "0")], false, true);
        assert_colour(case, &[("CLICOLOR_FORCE", "0")], false, false);
    }
}

#[test]
fn clicolor_zero_turns_a_terminal_off() {
    for case in CASES {
        assert_colour(case, &[("CLICOLOR", "0")], true, false);
        assert_colour(case, &[("CLICOLOR", "1")], true, true);
    }
}
