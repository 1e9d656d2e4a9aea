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

    /// A secret read from a file: one trailing newline (`\n` or `\r\n`, as editors write them) is
    /// stripped, and anything else that cannot be part of a secret is refused, since a stray space,
    /// a carriage return or a second line would otherwise sign every request wrongly (401s with no
    /// hint). Returns the secret and whether a newline was stripped; the error is the clause that
    /// completes "the secret file F …".
    pub fn from_file_text(text: &str) -> Result<(Secret, bool), String> {
        let stripped = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n'));
        let value = stripped.unwrap_or(text);
        if value.is_empty() {
            return Err("is empty".into());
        }
        if value.contains('\n') {
            return Err("has more than one line; it must hold the secret alone, on one line".into());
        }
        if value.contains('\r') {
            return Err("contains a carriage return (\\r) inside the secret; save it with one line ending".into());
        }
        if value.trim() != value {
            return Err("has whitespace before or after the secret; remove it".into());
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("has whitespace or a control character inside the secret".into());
        }
        Ok((Secret(value.to_string()), stripped.is_some()))
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

/// Secrets shorter than this are masked only where they stand whole (a header value, a JSON
/// string), since any text may contain them by chance: a secret "a" replaced everywhere would
/// turn "banana" into nonsense.
const MIN_SUBSTRING_SECRET: usize = 8;

/// The one redactor: masks secrets (as [`Secret::masked`]) in text shown to a person, such as
/// request headers and bodies and the curl commands built from them. A secret long enough not to
/// occur by chance is masked wherever it stands; a short one where it stands whole.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    pairs: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor for these secrets; with `show`, one that masks nothing.
    pub fn new(secrets: &[&Secret], show: bool) -> Self {
        let pairs = if show {
            Vec::new()
        } else {
            secrets.iter().filter(|s| !s.0.is_empty()).map(|s| (s.0.clone(), s.masked())).collect()
        };
        Redactor { pairs }
    }

    /// [`Redactor::new`] for secret values found in a request (not yet [`Secret`]s).
    pub fn for_values(values: &[String], show: bool) -> Self {
        let secrets: Vec<Secret> = values.iter().map(|v| Secret::new(v.clone())).collect();
        Self::new(&secrets.iter().collect::<Vec<_>>(), show)
    }

    /// A header value with every secret masked: a value that is a secret (Authorization) whole,
    /// and, for secrets long enough not to match by accident, wherever they occur.
    pub fn header(&self, v: &str) -> String {
        let mut out = v.to_string();
        for (secret, masked) in &self.pairs {
            if out == *secret {
                return masked.clone();
            }
            if secret.chars().count() >= MIN_SUBSTRING_SECRET {
                out = out.replace(secret.as_str(), masked);
            }
        }
        out
    }

    /// A body with every secret masked where it stands as a secret: the whole value of a key
    /// naming one (`"webhook_secret":"…"`), and, for secrets long enough not to match by accident,
    /// wherever they occur. A short secret that is a whole JSON string under any other key is data
    /// that happens to be equal (`--secret test` and `"type":"test"`): masking it would misprint
    /// the body and hint that the type is the secret.
    pub fn body(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (secret, masked) in &self.pairs {
            out = mask_where_secret(&out, secret, masked, secret.chars().count() >= MIN_SUBSTRING_SECRET);
        }
        out
    }
}

/// `text` with `secret` replaced by `masked` where it stands as a secret (see [`Redactor::body`]).
fn mask_where_secret(text: &str, secret: &str, masked: &str, anywhere: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(secret) {
        if at < rest {
            continue;
        }
        let end = at + secret.len();
        let whole_string = text[..at].ends_with('"') && text[end..].starts_with('"');
        if anywhere || (whole_string && under_secret_key(&text[..at - 1])) {
            out.push_str(&text[rest..at]);
            out.push_str(masked);
            rest = end;
        }
    }
    out.push_str(&text[rest..]);
    out
}

/// Whether the JSON text before a string value ends with a key that names a secret:
/// `…"webhook_secret":` (spaces allowed around the colon).
fn under_secret_key(before: &str) -> bool {
    let Some(before) = before.trim_end().strip_suffix(':') else { return false };
    let Some(key_end) = before.trim_end().strip_suffix('"') else { return false };
    let key = key_end.rsplit('"').next().unwrap_or_default();
    key.to_ascii_lowercase().contains("secret")
}

/// Whether `a` and `b` are equal, comparing their SHA-256 digests in constant time so that neither
/// the content nor the length of a secret leaks through timing. For checking a given token or
/// Authorization value against the expected one.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_secret_is_masked_wherever_it_stands() {
        let s = Secret::new("whs_0123456789abcdef");
        assert_eq!(Redactor::new(&[&s], false).header("Bearer whs_0123456789abcdef"), "Bearer whs_01…ef");
        assert_eq!(Redactor::new(&[&s], true).body("x whs_0123456789abcdef"), "x whs_0123456789abcdef");
    }

    #[test]
    fn a_short_secret_is_masked_only_where_it_stands_whole() {
        let short = Secret::new("a");
        let r = Redactor::new(&[&short], false);
        assert_eq!(r.header("a"), "…");
        assert_eq!(r.header("Bearer a"), "Bearer a");
        let body = r#"{"type":"vote.create","data":{"webhook_secret":"a","name":"banana"}}"#;
        assert_eq!(r.body(body), r#"{"type":"vote.create","data":{"webhook_secret":"…","name":"banana"}}"#);
        let pretty = "{\n  \"webhook_secret\": \"a\",\n  \"name\": \"banana\"\n}";
        assert_eq!(Redactor::for_values(&["a".into()], false).body(pretty), pretty.replace("\"a\"", "\"…\""));
    }

    #[test]
    fn a_secret_equal_to_a_json_string_of_the_body_is_masked_only_under_a_secret_key() {
        let r = Redactor::new(&[&Secret::new("test")], false);
        let body = r#"{"bot":"1","user":"2","type":"test","isWeekend":false,"query":""}"#;
        assert_eq!(r.body(body), body, "the type is not the secret");
        assert_eq!(r.body(r#"{"webhook_secret" : "test"}"#), r#"{"webhook_secret" : "…"}"#);
        let r = Redactor::new(&[&Secret::new("whs_0123456789abcdef")], false);
        assert_eq!(r.body(r#"{"note":"key whs_0123456789abcdef here"}"#), r#"{"note":"key whs_01…ef here"}"#);
        assert_eq!(r.body(r#"{"webhook_secret":"whs_0123456789abcdef"}"#), r#"{"webhook_secret":"whs_01…ef"}"#);
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"x", b"x"));
        assert!(!constant_time_eq(b"x", b"xy"));
    }

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

    #[test]
    fn file_text_strips_one_newline_and_refuses_the_rest() {
        let ok = |t: &str| Secret::from_file_text(t).map(|(s, stripped)| (s.expose().to_string(), stripped));
        assert_eq!(ok("whs_abc"), Ok(("whs_abc".into(), false)));
        assert_eq!(ok("whs_abc\n"), Ok(("whs_abc".into(), true)));
        assert_eq!(ok("whs_abc\r\n"), Ok(("whs_abc".into(), true)));
        for bad in [
            "",
            "\n",
            "whs_abc\n\n",
            "whs_abc\nsecond",
            "whs_abc \n",
            " whs_abc",
            "whs_abc\r",
            "whs_a\tbc",
            "whs_abc\r\r\n",
        ] {
            assert!(Secret::from_file_text(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
