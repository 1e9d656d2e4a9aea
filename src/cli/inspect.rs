//! `topgg-int inspect`.

use super::Context;
use super::args::InspectArgs;
use crate::error::{Error, Outcome, Result};

/// Runs `inspect`.
pub fn run(_args: InspectArgs, _ctx: Context) -> Result<Outcome> {
    Err(Error::input("inspect is not available in this build yet"))
}
