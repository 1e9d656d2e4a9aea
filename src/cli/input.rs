//! Reading user input for commands: files or stdin. Secrets have their own module, `secrets`.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest single document (a payload, a capture, a body) `verify` and `inspect` read whole:
/// 16 MiB, eight times what the SDK receivers accept (2 MiB). JSON Lines are streamed instead and
/// hold to the same limit per line.
pub const MAX_DOCUMENT: u64 = 16 * 1024 * 1024;

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
