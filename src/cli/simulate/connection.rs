//! The file `simulate create --save` writes and `--from` reads: one connection's id, webhook secret
//! and webhook URL, so later commands can deliver to it without copying values around.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::{Error, Result};
use crate::output;

/// A saved connection. The webhook secret is stored in full: the file exists to be reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SavedConnection {
    /// The config URL the connection was created at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_url: Option<String>,
    /// The connection's id.
    pub connection_id: String,
    /// The connection's `whs_` secret.
    pub webhook_secret: String,
    /// Where deliveries go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The routes the handshake subscribed to.
    #[serde(default)]
    pub routes: Vec<String>,
}

/// Writes the connection as JSON, readable by the owner only where the platform allows it.
pub(crate) fn save(path: &Path, c: &SavedConnection) -> Result<()> {
    let mut text = serde_json::to_string_pretty(c).map_err(|e| Error::input(format!("could not encode {e}")))?;
    text.push('\n');
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    crate::receiver::store::private_mode(&mut opts);
    use std::io::Write;
    opts.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| Error::io("write the connection file", path, &e))?;
    output::note(format!("saved the connection to {} (it holds the webhook secret in full)", path.display()));
    Ok(())
}

/// The largest connection file read.
const MAX_FILE: u64 = 64 * 1024;

/// Reads a file written by [`save`], naming it in every error.
pub(crate) fn load(path: &Path) -> Result<SavedConnection> {
    use std::io::Read;
    // A connection file is a few hundred bytes: a FIFO or /dev/zero would block or grow forever.
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read the connection file", path, &e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "--from {} is not a regular file; give the file `simulate create --save` wrote",
            path.display()
        )));
    }
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut raw))
        .map_err(|e| Error::io("read the connection file", path, &e))?;
    if raw.len() as u64 > MAX_FILE {
        return Err(Error::input(format!(
            "--from {} is over 64 KiB; a connection file written by `simulate create --save` is a few hundred bytes",
            path.display()
        )));
    }
    serde_json::from_slice(&raw).map_err(|e| {
        Error::input(format!(
            "--from {}: not a connection file written by `simulate create --save` ({e})",
            path.display()
        ))
    })
}
