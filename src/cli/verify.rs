//! `topgg-int verify`.

use super::Context;
use super::args::VerifyArgs;
use crate::error::{Error, Outcome, Result};

/// Runs `verify`.
pub fn run(_args: VerifyArgs, _ctx: Context) -> Result<Outcome> {
    Err(Error::input("verify is not available in this build yet"))
}
