//! Man pages from the clap definition (clap_mangen): `topgg-int.1` and one page per subcommand,
//! named as git names its own (`topgg-int-simulate-vote.1`). Committed in man/ and drift-tested
//! like completions/ (`UPDATE_MAN=1 cargo test man` rewrites them); nothing here runs at run time.

use clap::CommandFactory;

use super::args::Cli;

/// Every page as (file name, roff bytes), the top-level page first, then depth-first.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building fills in each subcommand's display name (`topgg-int-simulate-vote`).
    cmd.build();
    let mut out = Vec::new();
    collect(cmd, &mut out);
    out
}

fn collect(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
    // The footer names the program and version, not the subcommand ("vote 0.1.0").
    let source = format!("topgg-int {}", env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone()).source(source).manual("topgg-int manual");
    let mut page = Vec::new();
    // Rendering into a Vec cannot fail.
    if man.render(&mut page).is_ok() {
        out.push((man.get_filename(), page));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
        collect(sub, out);
    }
}
