//! `topgg-int completions`: shell completion scripts from the clap definition.

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs};
use crate::error::{Outcome, Result};
use crate::output::with_stdout;

/// The completion script for `shell`, as bytes (also used by the staleness test).
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "topgg-int", &mut buf);
    if shell == clap_complete::Shell::Bash {
        buf = fix_bash_hyphenated_name(&buf);
    }
    buf
}

/// Works around clap_complete's bash bug for binary names with a hyphen (clap-rs/clap#6421,
/// clap-rs/clap#6529): the script builds state names such as `topgg__int__subcmd__check`, but
/// its case arms escape the hyphen differently (`topgg__subcmd__int__subcmd__check`), so no arm
/// matches and completion stops after the first word. Rewriting the arms to the state names
/// restores it; once a fixed clap_complete is out the replacement finds nothing and is harmless.
fn fix_bash_hyphenated_name(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script).replace("topgg__subcmd__int", "topgg__int").into_bytes()
}

/// Prints the script to stdout.
pub fn run(args: CompletionsArgs) -> Result<Outcome> {
    let s = script(args.shell);
    with_stdout(|w| w.write_all(&s))?;
    Ok(Outcome::Success)
}
