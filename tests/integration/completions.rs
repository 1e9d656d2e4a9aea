//! The committed completion scripts in completions/ match what the binary generates.
//! `UPDATE_COMPLETIONS=1 cargo test completions` rewrites them.

use crate::common::{cmd, repo_path};

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
