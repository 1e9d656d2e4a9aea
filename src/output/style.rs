//! Semantic styles, so call sites say what a word means rather than which colour it is.

use colored::{ColoredString, Colorize};

/// A passing verdict.
pub fn ok(s: &str) -> ColoredString {
    s.green().bold()
}

/// A failing verdict.
pub fn fail(s: &str) -> ColoredString {
    s.red().bold()
}

/// A warning or a recommended-but-not-required miss.
pub fn warn(s: &str) -> ColoredString {
    s.yellow().bold()
}

/// Secondary detail.
pub fn dim(s: &str) -> ColoredString {
    s.dimmed()
}

/// A heading or a key value.
pub fn bold(s: &str) -> ColoredString {
    s.bold()
}

/// Names: event types, paths, URLs.
pub fn accent(s: &str) -> ColoredString {
    s.cyan()
}

/// An HTTP status, coloured by class.
pub fn status(code: u16) -> ColoredString {
    let s = code.to_string();
    match code {
        200..=299 => s.green(),
        400..=499 => s.yellow(),
        _ => s.red(),
    }
}
