//! Reading user input for commands: files or stdin, and secrets from flags, env or files.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::output;
use crate::protocol::secret::Secret;

/// The largest single document (a payload, a capture, a body) `verify` and `inspect` read whole:
/// 16 MiB, eight times what the SDK receivers accept (2 MiB). JSON Lines are streamed instead and
/// hold to the same limit per line.
pub const MAX_DOCUMENT: u64 = 16 * 1024 * 1024;

/// The largest secret file read: a secret is one short line.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// How an input is named in errors: `stdin` for `-`, else the path.
pub fn input_name(path: &Path) -> String {
    if path.as_os_str() == "-" { "stdin".into() } else { path.display().to_string() }
}

/// The error for an input over [`MAX_DOCUMENT`].
pub fn too_large(name: &str, what: &str) -> Error {
    Error::input(format!(
        "{name}{what} is over the 16 MiB limit for one document; split it, or give many payloads as JSON Lines"
    ))
}

/// Reads a whole file, or stdin for `-`, naming the file in the error; refuses more than
/// [`MAX_DOCUMENT`] bytes after reading at most one byte past it (so `/dev/zero` fails fast).
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(MAX_DOCUMENT + 1).read_to_end(&mut buf)
    } else {
        let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, &e))?;
        file.take(MAX_DOCUMENT + 1).read_to_end(&mut buf)
    };
    read.map_err(|e| match path.as_os_str() == "-" {
        true => Error::input(format!("could not read standard input: {}", crate::error::io_reason(&e))),
        false => Error::io("read", path, &e),
    })?;
    if buf.len() as u64 > MAX_DOCUMENT {
        return Err(too_large(&input_name(path), ""));
    }
    Ok(buf)
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
    let mut raw = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SECRET_FILE + 1).read_to_string(&mut raw))
        .map_err(|e| Error::io("read the secret file", path, &e))?;
    if raw.len() as u64 > MAX_SECRET_FILE {
        return Err(Error::input(format!(
            "the secret file {} is over 64 KiB; a secret is one line such as whs_…",
            path.display()
        )));
    }
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
