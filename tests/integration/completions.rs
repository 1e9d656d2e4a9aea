//! The committed completion scripts in completions/ match what the binary generates
//! (`UPDATE_COMPLETIONS=1 cargo test completions` rewrites them), and bash, fish and zsh complete
//! with them for real, through each shell's own completion machinery.

use std::path::Path;

use crate::common::{cmd, repo_path, require, require_file};

/// bash-completion's loader, which the committed bash script builds on.
const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

const SHELLS: [(&str, &str); 5] = [
    ("bash", "topgg-int.bash"),
    ("zsh", "_topgg-int"),
    ("fish", "topgg-int.fish"),
    ("powershell", "_topgg-int.ps1"),
    ("elvish", "topgg-int.elv"),
];

#[test]
fn committed_completions_are_current() {
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        let out = cmd().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(out.stdout.len() > 500, "{shell} script is suspiciously short");
        let path = repo_path(&format!("completions/{file}"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(file);
        }
    }
    assert!(stale.is_empty(), "stale completions {stale:?}: run UPDATE_COMPLETIONS=1 cargo test completions");
}

#[test]
fn bash_completion_knows_the_subcommands() {
    let out = cmd().args(["completions", "bash"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["verify", "inspect", "serve", "simulate", "check"] {
        assert!(text.contains(sub), "{sub}");
    }
    assert!(text.contains("--retry-delays"));
}

/// The committed bash script, sourced with bash-completion, completing `words` (the last is
/// the word under the cursor). Returns COMPREPLY, one entry a line.
fn bash_complete(words: &[&str]) -> Option<String> {
    let bash = require("bash", &[])?;
    if !require_file("bash-completion", BASH_COMPLETION) {
        return None;
    }
    let script = repo_path("completions/topgg-int.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = words.join(" ");
    let program = format!(
        "source {BASH_COMPLETION} 2>/dev/null; source '{}'; \
         COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
         _topgg__int topgg-int '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = std::process::Command::new(bash)
        .args(["--norc", "--noprofile", "-c", &program])
        .current_dir(std::env::temp_dir())
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "bash: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn bash_completes_flags_of_a_nested_subcommand() {
    let Some(reply) = bash_complete(&["topgg-int", "simulate", "vote", "--"]) else { return };
    let lines: Vec<&str> = reply.lines().collect();
    assert!(lines.contains(&"--secret"), "{reply}");
    assert!(lines.contains(&"--url"), "{reply}");
}

#[test]
fn bash_completes_subcommands_after_the_first_word() {
    let Some(reply) = bash_complete(&["topgg-int", "simulate", ""]) else { return };
    let lines: Vec<&str> = reply.lines().collect();
    for sub in ["vote", "test", "create", "delete"] {
        assert!(lines.contains(&sub), "{sub} missing from {reply}");
    }
    let top = bash_complete(&["topgg-int", ""]).expect("bash-completion was there a moment ago");
    assert!(top.lines().any(|l| l == "serve"), "{top}");
}

#[test]
fn fish_completes_nested_subcommands_and_flags() {
    let Some(fish) = require("fish", &[]) else { return };
    let script = repo_path("completions/topgg-int.fish");
    let run = |line: &str| {
        let program = format!("source '{}'; complete -C '{line}'", script.display());
        let out = std::process::Command::new(&fish).args(["--no-config", "-c", &program]).output().expect("fish runs");
        assert!(out.status.success(), "fish: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let subs = run("topgg-int simulate ");
    assert!(subs.lines().any(|l| l.split('\t').next() == Some("vote")), "{subs}");
    let flags = run("topgg-int simulate vote --");
    assert!(flags.lines().any(|l| l.split('\t').next() == Some("--secret")), "{flags}");
}

/// Drives zsh's real completion system non-interactively: an interactive `zsh -f` on a
/// pseudo-terminal (zsh/zpty) runs compinit with completions/ first on fpath, gets the line and a
/// TAB typed into it, and a `compadd` wrapper prints every match offered as `<hit>…</hit>` (the
/// technique of zsh-capture-completion). Wrapped calls with -O/-A/-D only collect candidates, so
/// they are passed through unprinted. Each step waits for a marker instead of sleeping.
const ZSH_CAPTURE: &str = r#"
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
local out
zpty -w z "PS1='' PS2='' RPS1=''; unsetopt autolist automenu; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits; builtin compadd -A __hits "$@"; local r=$?
  local h; for h in $__hits; do print -r -- "<hit>$h</hit>"; done
  builtin compadd "$@"; return r
}'
zpty -w z "print -r -- READY''MARK"
zpty -r z out '*READYMARK*' || exit 4
zpty -w -n z "$2"$'\t'
zpty -w z $'\C-uprint -r -- END\'\'MARK'
zpty -r z out '*ENDMARK*' || exit 4
print -r -- "$out"
zpty -d z
"#;

/// What zsh offers for `line` (TAB pressed at its end), with the committed _topgg-int.
fn zsh_complete(zsh: &Path, line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("capture.zsh");
    std::fs::write(&script, ZSH_CAPTURE).unwrap();
    let out = assert_cmd::Command::new(zsh)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("TERM", "xterm")
        .current_dir(dir.path())
        .arg("-f")
        .arg(&script)
        .arg(repo_path("completions"))
        .arg(line)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .expect("zsh runs");
    assert!(out.status.success(), "zsh: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split("<hit>").skip(1).filter_map(|h| h.split_once("</hit>")).map(|(h, _)| h.to_string()).collect()
}

#[test]
fn zsh_completes_nested_subcommands_and_their_flags() {
    let Some(zsh) = require("zsh", &[]) else { return };
    // zpty drives an interactive shell: on a loaded machine one run can come back before the
    // completion printed (seen once in a full-suite run). What it offers is the claim, so the
    // capture is taken again, up to three times, until every expected word is there.
    let zsh_complete = |zsh: &Path, line: &str, want: &[&str]| {
        let mut got = Vec::new();
        for _ in 0..3 {
            got = zsh_complete(zsh, line);
            if want.iter().all(|w| got.iter().any(|h| h == w)) {
                break;
            }
        }
        got
    };
    let subs = zsh_complete(&zsh, "topgg-int simulate ", &["vote", "test", "create", "delete", "flow", "replay"]);
    for sub in ["vote", "test", "create", "delete", "flow", "replay"] {
        assert!(subs.iter().any(|h| h == sub), "{sub} missing from {subs:?}");
    }
    let flags =
        zsh_complete(&zsh, "topgg-int simulate vote --", &["--secret", "--secret-file", "--from", "--url", "--count"]);
    for flag in ["--secret", "--secret-file", "--from", "--url", "--count"] {
        assert!(flags.iter().any(|h| h == flag), "{flag} missing from {flags:?}");
    }
    assert!(!flags.iter().any(|h| h == "--integration-secret"), "create's flag offered for vote: {flags:?}");
    let values = zsh_complete(&zsh, "topgg-int --color ", &["auto", "always", "never"]);
    assert!(["auto", "always", "never"].iter().all(|v| values.iter().any(|h| h == v)), "{values:?}");
}
