//! Reading user input for commands: files or stdin, and secrets from flags, env or files.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::output;
use crate::protocol::secret::Secret;

/// Reads a whole file, or stdin for `-`, naming the file in the error.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(format!("could not read standard input: {}", crate::error::io_reason(&e))))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| Error::io("read", path, &e))
}

/// The secret from a flag or env value, or from a file (trailing newline stripped, with a note).
/// `what` names the secret in errors ("webhook secret"); `flag` and `env` name where it can come from.
pub fn resolve_secret(value: Option<&str>, file: Option<&Path>, what: &str, how: &str) -> Result<Secret> {
    if let Some(v) = value {
        if v.is_empty() {
            return Err(Error::input(format!("the {what} is empty; {how}")));
        }
        return Ok(Secret::new(v));
    }
    let Some(path) = file else {
        return Err(Error::input(format!("no {what} given; {how}")));
    };
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io("read the secret file", path, &e))?;
    let trimmed = raw.strip_suffix("\r\n").or_else(|| raw.strip_suffix('\n'));
    let secret = match trimmed {
        Some(t) => {
            output::note(format!("note: stripped the trailing newline from {}", path.display()));
            t
        }
        None => raw.as_str(),
    };
    if secret.is_empty() {
        return Err(Error::input(format!("the secret file {} is empty", path.display())));
    }
    Ok(Secret::new(secret))
}
