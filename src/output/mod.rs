//! Everything that knows about terminals: colour, styles, progress, and stdout writes that treat
//! a closed pipe as a quiet end. Protocol code never comes here.

pub mod color;
pub mod escape;
pub mod junit;
pub mod lines;
pub mod progress;
pub mod style;

use std::io::{self, IsTerminal, Write};

use crate::error::Error;

/// Maps a write failure on stdout to an error: a closed pipe (`| head`) is a quiet success.
pub fn write_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::input(format!("could not write to standard output: {}", crate::error::io_reason(&e)))
    }
}

/// Runs `f` with a locked, buffered stdout, coloured as decided for stdout, and flushes it,
/// mapping write errors with [`write_error`].
pub fn with_stdout<T>(f: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> Result<T, Error> {
    let mut w = io::BufWriter::new(color::stdout());
    let v = f(&mut w).map_err(write_error)?;
    w.flush().map_err(write_error)?;
    Ok(v)
}

/// Writes one line to stderr (progress, banners, hints), coloured as decided for stderr; failures
/// to write there are ignored, since there is nowhere left to report them.
pub fn note(line: impl std::fmt::Display) {
    let _ = writeln!(color::stderr(), "{line}");
}

/// Whether stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Whether stderr is a terminal (for progress bars).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Whether stdin is a terminal (a person typing, not a pipe or a file).
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Prints the one error line of a failed run to stderr: `error: <sentence>`.
pub fn error_line(e: &Error) {
    note(format!("{} {e}", style::fail("error:")));
}
