//! `topgg-int simulate`.

use super::Context;
use super::args::SimulateArgs;
use crate::error::{Error, Outcome, Result};

/// Runs `simulate`.
pub fn run(_args: SimulateArgs, _ctx: Context) -> Result<Outcome> {
    Err(Error::input("simulate is not available in this build yet"))
}
