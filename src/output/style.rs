//! Semantic styles, so call sites say what a word means rather than which colour it is. The
//! styled text always carries its escapes; the stream it is written to (`color::stdout`,
//! `color::stderr`) keeps or strips them, so a style never decides colour.

use std::fmt;

use anstyle::{AnsiColor, Effects, Style};

/// A passing verdict.
pub const OK: Style = AnsiColor::Green.on_default().bold();
/// A failing verdict.
pub const FAIL: Style = AnsiColor::Red.on_default().bold();
/// A warning or a recommended-but-not-required miss.
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
/// Secondary detail.
pub const DIM: Style = Style::new().effects(Effects::DIMMED);
/// A heading or a key value.
pub const BOLD: Style = Style::new().bold();
/// Names: event types, paths, URLs.
pub const ACCENT: Style = AnsiColor::Cyan.on_default();

/// Text in a style: shown as the style's escape, the text, and the reset.
#[derive(Debug, Clone, Copy)]
pub struct Painted<T> {
    style: Style,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.style.render(), self.text, self.style.render_reset())
    }
}

/// `text` in `style`.
pub fn paint<T: fmt::Display>(style: Style, text: T) -> Painted<T> {
    Painted { style, text }
}

/// A passing verdict.
pub fn ok<T: fmt::Display>(s: T) -> Painted<T> {
    paint(OK, s)
}

/// A failing verdict.
pub fn fail<T: fmt::Display>(s: T) -> Painted<T> {
    paint(FAIL, s)
}

/// A warning or a recommended-but-not-required miss.
pub fn warn<T: fmt::Display>(s: T) -> Painted<T> {
    paint(WARN, s)
}

/// Secondary detail.
pub fn dim<T: fmt::Display>(s: T) -> Painted<T> {
    paint(DIM, s)
}

/// A heading or a key value.
pub fn bold<T: fmt::Display>(s: T) -> Painted<T> {
    paint(BOLD, s)
}

/// Names: event types, paths, URLs.
pub fn accent<T: fmt::Display>(s: T) -> Painted<T> {
    paint(ACCENT, s)
}

/// An HTTP status, coloured by class.
pub fn status(code: u16) -> Painted<u16> {
    let style = match code {
        200..=299 => AnsiColor::Green.on_default(),
        400..=499 => AnsiColor::Yellow.on_default(),
        _ => AnsiColor::Red.on_default(),
    };
    paint(style, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painted_text_is_wrapped_in_its_style_and_a_reset() {
        assert_eq!(fail("error:").to_string(), "\x1b[1m\x1b[31merror:\x1b[0m");
        assert_eq!(status(204).to_string(), "\x1b[32m204\x1b[0m");
    }
}
