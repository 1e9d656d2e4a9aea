//! `topgg-int completions`: shell completion scripts from the clap definition.

use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs};
use crate::error::{Outcome, Result};
use crate::output::with_stdout;

/// The completion script for `shell`, as bytes (also used by the staleness test).
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "topgg-int", &mut buf);
    buf
}

/// Prints the script to stdout.
pub fn run(args: CompletionsArgs) -> Result<Outcome> {
    let s = script(args.shell);
    with_stdout(|w| w.write_all(&s))?;
    Ok(Outcome::Success)
}
