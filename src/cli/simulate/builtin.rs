//! The no-`--url` default: start the built-in reference receiver on 127.0.0.1 (a throwaway data
//! dir, a free port) and run against it, so `simulate flow` works on a fresh machine with nothing
//! else running. The receiver stops when the [`Builtin`] is dropped, at the end of the command.

use crate::error::{Error, Result};
use crate::output;
use crate::protocol::secret::Secret;
use crate::receiver::{Log, Receiver, ReceiverConfig};
use crate::send::delivery::{Url, parse_url};

/// A running built-in receiver; it stops when dropped.
pub(crate) struct Builtin {
    config_url: Url,
    receiver: Receiver,
}

impl Builtin {
    /// Its config URL (`http://127.0.0.1:PORT/integration`).
    pub fn config_url(&self) -> &Url {
        &self.config_url
    }

    /// The receiver itself.
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// Its legacy (v0) endpoint, `POST /legacy`.
    pub fn legacy_url(&self) -> Url {
        let mut u = self.config_url.clone();
        u.set_path("/legacy");
        u
    }
}

/// Starts the built-in receiver, trusting `integration_secret` for config-URL requests and
/// `legacy_secret` (when given) on `/legacy`, and says so in one stderr line.
pub(crate) fn builtin_target(integration_secret: &Secret, legacy_secret: Option<&Secret>) -> Result<Builtin> {
    let mut config = ReceiverConfig::ephemeral(integration_secret.clone())?;
    config.legacy_secret = legacy_secret.cloned();
    let receiver = Receiver::start(config, Log::none())?;
    let config_url = parse_url(&receiver.config_url())
        .map_err(|e| Error::input(format!("the built-in receiver's config URL is unusable: {e}")))?;
    output::note(format!("no --url: running against the built-in receiver at {config_url}"));
    Ok(Builtin { config_url, receiver })
}

/// `--inspect`: prints the inspector's URL and keeps the receiver up until Ctrl-C or SIGTERM;
/// either ends the hold, and the run's verdict stands.
pub(crate) fn hold_for_inspection(receiver: &Receiver) {
    // Before the line that says so, so a signal sent once it is seen is never lost.
    let stop = crate::cli::interrupt::install();
    output::note(format!("inspector {}  (the built-in receiver stays up: Ctrl-C stops it)", receiver.inspector_url()));
    stop.wait();
}
