//! Colour follows one decision (`--color` > `NO_COLOR` > `CLICOLOR_FORCE` > `CLICOLOR=0` > a
//! terminal) in clap's help and usage errors and in topgg-int's own output alike, and is decided
//! for stdout and stderr each on its own. A terminal is made with util-linux `script`, which runs
//! the command on a pseudo-terminal (without `script` those cases are skipped, a failure under
//! `CI=true`), or with `openpty` where one stream alone is a terminal.

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

/// A pseudo-terminal from the kernel (`openpty`): the parent's end and the end a child writes to.
fn open_pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut parent, mut child) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the two integers, which are then owned here.
    let rc =
        unsafe { libc::openpty(&mut parent, &mut child, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and nothing else owns them.
    unsafe { (std::fs::File::from_raw_fd(parent), std::os::fd::OwnedFd::from_raw_fd(child)) }
}

/// Everything written to the terminal's other end, once every writer has closed it (then the
/// parent's end reads EIO, which ends it).
fn drain(mut parent: std::fs::File) -> String {
    use std::io::Read;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match parent.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `simulate vote` to a closed port: the request line on stdout, the error line on stderr, both
/// styled. `stdout_on_tty` puts stdout on a pseudo-terminal and stderr into a file, or the reverse.
/// Returns (what reached the terminal, what reached the file).
fn split_run(stdout_on_tty: bool) -> (String, String) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{closed}/");
    let (parent, child) = open_pty();
    let file = tempfile::tempfile().unwrap();
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("topgg-int"));
    c.args(["simulate", "vote", "--secret", "whs_x", "--retries", "0", "--url", &url])
        .env_clear()
        .env("TERM", "xterm")
        .env("HOME", std::env::temp_dir())
        .stdin(std::process::Stdio::null());
    if stdout_on_tty {
        c.stdout(child).stderr(file.try_clone().unwrap());
    } else {
        c.stdout(file.try_clone().unwrap()).stderr(child);
    }
    let status = c.status().unwrap();
    // The command's own copy of the terminal's child end is gone with it; `c` holds the last one.
    drop(c);
    assert_eq!(status.code(), Some(3), "a refused connection is a network failure");
    let on_tty = drain(parent);
    let mut in_file = String::new();
    use std::io::{Read, Seek};
    let mut file = file;
    file.rewind().unwrap();
    file.read_to_string(&mut in_file).unwrap();
    (on_tty, in_file)
}

#[test]
fn each_stream_decides_its_own_colour() {
    let (tty, file) = split_run(true);
    assert!(tty.contains("vote.create") && tty.contains(ESC), "stdout on a terminal is coloured: {tty:?}");
    assert!(file.contains("error: vote.create was not delivered"), "{file:?}");
    assert!(!file.contains(ESC), "stderr into a file is plain: {file:?}");

    let (tty, file) = split_run(false);
    assert!(tty.contains("error:") && tty.contains(ESC), "stderr on a terminal is coloured: {tty:?}");
    assert!(file.contains("vote.create →"), "{file:?}");
    assert!(!file.contains(ESC), "stdout into a file is plain: {file:?}");
}
