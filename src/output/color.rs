//! Decides colour for each output stream on its own, by the order ripgrep, fd and clig.dev agree
//! on: `--color always|never` beats a non-empty `NO_COLOR` (no colour), which beats a
//! `CLICOLOR_FORCE` other than `0` (colour even into a pipe), which beats `CLICOLOR=0` (no colour),
//! which beats `TERM=dumb`, which beats whether *that stream* is a terminal. So `2>err.txt` keeps
//! escapes out of the file while stdout on a terminal stays coloured, and the other way round.
//!
//! Styled text (see `style`) always carries its escapes; the streams made here
//! ([`stdout`], [`stderr`]) pass them through or strip them (anstream's `AutoStream`, which clap
//! also prints through). The decision is made before arguments are parsed, so clap's help and
//! usage errors go through the same streams (`cli/args.rs` prints them). Nothing outside
//! `output/` decides colour or writes escapes itself.

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};

use anstream::AutoStream;

/// The user's `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and nothing in the environment says otherwise.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour, from the choice and an environment lookup (injected for tests).
pub fn should_color(choice: ColorChoice, env: impl Fn(&str) -> Option<String>, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return false;
            }
            if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                return true;
            }
            if env("CLICOLOR").is_some_and(|v| v == "0") {
                return false;
            }
            let dumb = env("TERM").is_some_and(|t| t == "dumb");
            !dumb && is_terminal
        }
    }
}

/// The `--color` value in raw arguments, read before clap parses them (the last one wins, as
/// clap's own overrides do; anything after `--` is an operand). A missing or unknown value is
/// `Auto` here: clap then refuses it with its usual error.
pub fn choice_from_args(args: &[OsString]) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        let value = if arg == "--" {
            break;
        } else if arg == "--color" {
            args.next().map(|v| v.into_owned())
        } else if let Some(v) = arg.strip_prefix("--color=") {
            Some(v.to_string())
        } else {
            continue;
        };
        choice = match value.as_deref() {
            Some("always") => ColorChoice::Always,
            Some("never") => ColorChoice::Never,
            _ => ColorChoice::Auto,
        };
    }
    choice
}

/// The decision for each stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    /// Whether stdout is coloured.
    pub stdout: bool,
    /// Whether stderr is coloured.
    pub stderr: bool,
}

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// Decides colour for stdout and stderr of this process, each by [`should_color`] with its own
/// terminal test, and keeps the decision for [`stdout`] and [`stderr`]. Deterministic, so calling
/// it again (after parsing, with the parsed `--color`) gives the same answer.
pub fn init(choice: ColorChoice) -> Streams {
    let env = |k: &str| std::env::var(k).ok();
    let streams = Streams {
        stdout: should_color(choice, env, io::stdout().is_terminal()),
        stderr: should_color(choice, env, io::stderr().is_terminal()),
    };
    STDOUT.store(streams.stdout, Ordering::Relaxed);
    STDERR.store(streams.stderr, Ordering::Relaxed);
    streams
}

/// Whether stdout is coloured, as [`init`] decided.
pub fn stdout_colored() -> bool {
    STDOUT.load(Ordering::Relaxed)
}

fn anstream_choice(on: bool) -> anstream::ColorChoice {
    if on { anstream::ColorChoice::Always } else { anstream::ColorChoice::Never }
}

/// `raw` (stdout, or a writer in front of it) passing styles through or stripping them as decided
/// for stdout.
pub fn for_stdout<W: anstream::stream::RawStream>(raw: W) -> AutoStream<W> {
    AutoStream::new(raw, anstream_choice(STDOUT.load(Ordering::Relaxed)))
}

/// Locked stdout, coloured as decided for stdout.
pub fn stdout() -> AutoStream<io::StdoutLock<'static>> {
    for_stdout(io::stdout().lock())
}

/// Locked stderr, coloured as decided for stderr.
pub fn stderr() -> AutoStream<io::StderrLock<'static>> {
    AutoStream::new(io::stderr().lock(), anstream_choice(STDERR.load(Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(should_color(ColorChoice::Auto, env(&[]), true));
        assert!(!should_color(ColorChoice::Auto, env(&[]), false));
        assert!(!should_color(ColorChoice::Auto, env(&[("NO_COLOR", "1")]), true));
        assert!(should_color(ColorChoice::Auto, env(&[("NO_COLOR", "")]), true), "empty NO_COLOR is unset");
        assert!(!should_color(ColorChoice::Auto, env(&[("TERM", "dumb")]), true));
        assert!(should_color(ColorChoice::Always, env(&[("NO_COLOR", "1")]), false));
        assert!(!should_color(ColorChoice::Never, env(&[("CLICOLOR_FORCE", "1")]), true));
        assert!(should_color(ColorChoice::Auto, env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!should_color(ColorChoice::Auto, env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!should_color(ColorChoice::Auto, env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]), false));
        assert!(!should_color(ColorChoice::Auto, env(&[("CLICOLOR", "0")]), true));
        assert!(should_color(ColorChoice::Auto, env(&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")]), false));
        assert!(should_color(ColorChoice::Auto, env(&[("CLICOLOR", "1")]), true));
    }

    #[test]
    fn color_flag_is_found_before_parsing() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(choice_from_args(&args(&["t", "verify"])), ColorChoice::Auto);
        assert_eq!(choice_from_args(&args(&["t", "--color", "never", "verify"])), ColorChoice::Never);
        assert_eq!(choice_from_args(&args(&["t", "verify", "--color=always"])), ColorChoice::Always);
        assert_eq!(choice_from_args(&args(&["t", "--color=never", "--color", "always"])), ColorChoice::Always);
        assert_eq!(choice_from_args(&args(&["t", "--", "--color=never"])), ColorChoice::Auto);
        assert_eq!(choice_from_args(&args(&["t", "--color", "sometimes"])), ColorChoice::Auto);
    }
}
