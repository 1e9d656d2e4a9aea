//! `topgg-int serve`.

use super::Context;
use super::args::ServeArgs;
use crate::error::{Error, Outcome, Result};

/// Runs `serve`.
pub fn run(_args: ServeArgs, _ctx: Context) -> Result<Outcome> {
    Err(Error::input("serve is not available in this build yet"))
}
