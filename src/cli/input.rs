//! Reading user input for commands: files or stdin. Secrets have their own module, `secrets`.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

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
