//! Decides colour once for the whole run, by the order ripgrep, fd and clig.dev agree on:
//! `--color always|never` beats a non-empty `NO_COLOR` (no colour), which beats a `CLICOLOR_FORCE`
//! other than `0` (colour even into a pipe), which beats `CLICOLOR=0` (no colour), which beats
//! `TERM=dumb`, which beats whether stdout is a terminal. `colored` alone checks only some of these
//! and treats an empty `NO_COLOR` as set, and clap decides on its own unless told, so the decision
//! is made here, before arguments are parsed (help and usage errors are clap's output), and handed
//! to both: `colored` through an override, clap through its `ColorChoice`.

use std::ffi::OsString;
use std::io::IsTerminal;

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

/// Decides colour for this process and applies it to `colored`. Returns the decision, which the
/// caller hands to clap. Deterministic, so calling it again gives the same answer.
pub fn init(choice: ColorChoice) -> bool {
    let on = should_color(choice, |k| std::env::var(k).ok(), std::io::stdout().is_terminal());
    colored::control::set_override(on);
    on
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
