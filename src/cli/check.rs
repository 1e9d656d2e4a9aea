//! `topgg-int check`.

use super::Context;
use super::args::CheckArgs;
use crate::error::{Error, Outcome, Result};

/// Runs `check`.
pub fn run(_args: CheckArgs, _ctx: Context) -> Result<Outcome> {
    Err(Error::input("check is not available in this build yet"))
}
