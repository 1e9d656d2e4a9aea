//! A secret that cannot be printed by accident.
//!
//! Secrets become [`Secret`] the moment they are parsed; `Display` and `Debug` show a masked form
//! (`whs_ab…ef`), and the full value is only reachable through [`Secret::expose`].

use sha2::{Digest, Sha256};
use std::fmt;

/// The prefix every Top.gg webhook secret carries.
pub const WEBHOOK_SECRET_PREFIX: &str = "whs_";

/// A webhook or integration secret. Prints masked; compare with [`Secret::fingerprint`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value exactly as given (no trimming: whitespace is part of the key).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The full secret, for signing and for writing it where the user asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `whs_ab…ef`: enough to tell secrets apart, not enough to use one.
    pub fn masked(&self) -> String {
        let s = self.0.as_str();
        let (prefix, rest) = match s.strip_prefix(WEBHOOK_SECRET_PREFIX) {
            Some(rest) => (WEBHOOK_SECRET_PREFIX, rest),
            None => ("", s),
        };
        let chars: Vec<char> = rest.chars().collect();
        if chars.len() < 8 {
            return format!("{prefix}…");
        }
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{prefix}{head}…{tail}")
    }

    /// The first 8 hex digits of the secret's SHA-256: safe to log and to compare across machines.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        hex::encode(&digest[..4])
    }

    /// Whether the secret has surrounding whitespace, a common copy-paste accident.
    pub fn has_surrounding_whitespace(&self) -> bool {
        self.0.trim() != self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_fingerprints() {
        let s = Secret::new("whs_0123456789abcdef");
        assert_eq!(s.masked(), "whs_01…ef");
        assert_eq!(format!("{s}"), "whs_01…ef");
        assert!(!format!("{s:?}").contains("0123456789"));
        assert_eq!(Secret::new("short").masked(), "…");
        assert_eq!(s.fingerprint().len(), 8);
        assert_ne!(s.fingerprint(), Secret::new("whs_0123456789abcdeg").fingerprint());
    }
}
