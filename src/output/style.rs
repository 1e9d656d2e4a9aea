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
    paint(status_style(code), code)
}

/// The style of an HTTP status: by class.
pub fn status_style(code: u16) -> Style {
    match code {
        200..=299 => AnsiColor::Green.on_default(),
        400..=499 => AnsiColor::Yellow.on_default(),
        _ => AnsiColor::Red.on_default(),
    }
}

/// Writes styled text straight into a buffer, for output that is built in bulk (serve's log,
/// formatted a batch at a time): with colour on, the text between its style's escape and the reset,
/// exactly as [`Painted`] shows it; with colour off, the text alone, so no stream has to strip
/// escapes byte by byte afterwards. Built with stdout's decision ([`Pen::stdout`]).
#[derive(Debug, Clone, Copy)]
pub struct Pen {
    color: bool,
}

impl Pen {
    /// A pen for text bound for stdout, coloured as decided for stdout.
    pub fn stdout() -> Pen {
        Pen { color: super::color::stdout_colored() }
    }

    /// A pen that colours (`true`) or not.
    pub fn new(color: bool) -> Pen {
        Pen { color }
    }

    /// Appends `text` in `style`.
    pub fn put(self, out: &mut Vec<u8>, style: Style, text: impl fmt::Display) {
        use std::io::Write as _;
        let _ = if self.color {
            write!(out, "{}{text}{}", style.render(), style.render_reset())
        } else {
            write!(out, "{text}")
        };
    }

    /// Appends `style`'s escape, for text appended next (then [`Pen::end`]).
    pub fn begin(self, out: &mut Vec<u8>, style: Style) {
        use std::io::Write as _;
        if self.color {
            let _ = write!(out, "{}", style.render());
        }
    }

    /// Appends `style`'s reset, after [`Pen::begin`] and the text.
    pub fn end(self, out: &mut Vec<u8>, style: Style) {
        use std::io::Write as _;
        if self.color {
            let _ = write!(out, "{}", style.render_reset());
        }
    }

    /// Appends `text` in `style`, unstyled text as is (the common case without a formatter).
    pub fn put_str(self, out: &mut Vec<u8>, style: Style, text: &str) {
        if self.color {
            self.put(out, style, text);
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pen_writes_what_painted_text_shows_or_the_text_alone() {
        let (mut on, mut off) = (Vec::new(), Vec::new());
        Pen::new(true).put(&mut on, FAIL, "error:");
        Pen::new(true).put_str(&mut on, status_style(204), "204");
        Pen::new(false).put(&mut off, FAIL, "error:");
        Pen::new(false).put_str(&mut off, DIM, "x");
        assert_eq!(on, format!("{}{}", fail("error:"), status(204)).into_bytes());
        assert_eq!(off, b"error:x");
    }

    #[test]
    fn painted_text_is_wrapped_in_its_style_and_a_reset() {
        assert_eq!(fail("error:").to_string(), "\x1b[1m\x1b[31merror:\x1b[0m");
        assert_eq!(status(204).to_string(), "\x1b[32m204\x1b[0m");
    }
}
