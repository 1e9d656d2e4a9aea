//! Decides colour once for the whole run: `--color` beats `NO_COLOR` (when non-empty) beats
//! `TERM=dumb` beats whether stdout is a terminal. `colored` alone checks only some of these and
//! treats an empty `NO_COLOR` as set, so the decision is made here and forced with an override.

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
            let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = env("TERM").is_some_and(|t| t == "dumb");
            !no_color && !dumb && is_terminal
        }
    }
}

/// Decides colour for this process and applies it to `colored`. Returns the decision.
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
        assert!(!should_color(ColorChoice::Never, env(&[]), true));
    }
}
