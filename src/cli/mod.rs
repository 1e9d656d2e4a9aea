//! The command line: one module per subcommand, dispatched from [`run`]. Commands resolve their
//! arguments into plain values, call the protocol layer, and render through `output`.

pub mod args;
mod check;
mod completions;
mod help;
mod input;
mod inspect;
pub mod interrupt;
pub mod manpages;
mod secrets;
mod serve;
mod simulate;
mod values;
mod vectors;
mod verify;

use crate::error::{Outcome, Result};
use crate::output::color::{self, ColorChoice};
use args::{Cli, Color, Command};

/// What every command needs besides its own arguments.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// `--json`: machine output alone on stdout.
    pub json: bool,
    /// Whether stdout and stderr are coloured.
    pub color: color::Streams,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    let choice = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    let ctx = Context { json: cli.json, color: color::init(choice) };
    match cli.command {
        Command::Verify(a) => verify::run(a, ctx),
        Command::Inspect(a) => inspect::run(a, ctx),
        Command::Serve(a) => serve::run(a, ctx),
        Command::Simulate(a) => simulate::run(a, ctx),
        Command::Check(a) => check::run(a, ctx),
        Command::Vectors(a) => vectors::run(a),
        Command::Completions(a) => completions::run(a),
    }
}
