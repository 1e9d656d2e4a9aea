//! The no-`--url` default: start the built-in reference receiver on 127.0.0.1 and run against it,
//! so `simulate flow` works on a fresh machine with nothing else running.

use crate::error::{Error, Result};
use crate::protocol::delivery::Url;
use crate::protocol::secret::Secret;

/// A running built-in receiver; it stops when dropped.
pub(crate) struct Builtin {
    config_url: Url,
}

impl Builtin {
    /// Its config URL (`http://127.0.0.1:PORT/integration`).
    pub fn config_url(&self) -> &Url {
        &self.config_url
    }
}

/// Starts the built-in receiver, trusting `integration_secret` for config-URL requests.
pub(crate) fn builtin_target(_integration_secret: &Secret) -> Result<Builtin> {
    Err(Error::input(
        "no --url given, and this build has no built-in receiver to run against; pass --url (e.g. the config URL printed by `topgg-int serve`)",
    ))
}
