//! Where a secret comes from, in one order for every command: a flag or a file flag on the
//! command line, then a `--from` file, then the environment (`TOPGG_WEBHOOK_SECRET`,
//! `TOPGG_INTEGRATION_SECRET`). The environment is read here rather than through clap's `env =`,
//! because clap counts an exported variable as the flag itself: `--secret-file` would then fail
//! with "cannot be used with '--secret'", a flag nobody typed, and the variable would beat
//! `--from`. A source that is present but outranked is named on stderr, so an exported variable
//! never changes what a command signs with silently.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output;
use crate::protocol::secret::Secret;

/// The environment variable holding a webhook secret.
pub const WEBHOOK_SECRET_ENV: &str = "TOPGG_WEBHOOK_SECRET";
/// The environment variable holding an integration secret.
pub const INTEGRATION_SECRET_ENV: &str = "TOPGG_INTEGRATION_SECRET";

/// Where the secret a command uses came from, as the user would name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A flag with the value, e.g. `--secret`.
    Flag(&'static str),
    /// A file flag, e.g. `--secret-file s.txt`.
    File(&'static str, PathBuf),
    /// A connection file written by `simulate create --save`.
    From(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// Generated for this run (the built-in receiver's secrets).
    Generated,
    /// The `integration.create` this run just sent (the built-in receiver's connection).
    Handshake,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => f.write_str(flag),
            Source::File(flag, path) => write!(f, "{flag} {}", path.display()),
            Source::From(path) => write!(f, "--from {}", path.display()),
            Source::Env(var) => f.write_str(var),
            Source::Generated => f.write_str("generated for this run"),
            Source::Handshake => f.write_str("the integration.create just sent"),
        }
    }
}

/// A secret and where it came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The secret.
    pub secret: Secret,
    /// Its source.
    pub source: Source,
}

/// `whs_ab…ef (fingerprint 1a2b3c4d, from --from conn.json)`: as much of the secret as can be
/// shown, with the fingerprint `serve` prints, so the two can be compared.
pub fn describe(secret: &Secret, source: &Source) -> String {
    let origin = match source {
        Source::Generated => source.to_string(),
        _ => format!("from {source}"),
    };
    format!("{} (fingerprint {}, {origin})", secret.masked(), secret.fingerprint())
}

/// Prints `signing with the <what> whs_ab…ef (fingerprint …, from …)` on stderr.
pub fn announce(what: &str, secret: &Secret, source: &Source) {
    output::note(format!("signing with the {what} {}", describe(secret, source)));
}

/// One secret's command-line flags and variable.
#[derive(Debug, Clone, Copy)]
pub struct SecretFlags<'a> {
    /// What the secret is, for messages ("webhook secret").
    pub what: &'static str,
    /// The flag that takes the secret itself, e.g. `--secret`.
    pub flag: &'static str,
    /// The value given with `flag`.
    pub value: Option<&'a str>,
    /// The flag that takes a file holding the secret, e.g. `--secret-file`.
    pub file_flag: &'static str,
    /// The path given with `file_flag`.
    pub file: Option<&'a Path>,
    /// The environment variable consulted last.
    pub env: &'static str,
}

impl SecretFlags<'_> {
    /// The webhook secret's flags (`--secret`, `--secret-file`, `TOPGG_WEBHOOK_SECRET`).
    pub fn webhook<'a>(value: Option<&'a str>, file: Option<&'a Path>) -> SecretFlags<'a> {
        SecretFlags {
            what: "webhook secret",
            flag: "--secret",
            value,
            file_flag: "--secret-file",
            file,
            env: WEBHOOK_SECRET_ENV,
        }
    }

    /// The integration secret's flags.
    pub fn integration<'a>(value: Option<&'a str>, file: Option<&'a Path>) -> SecretFlags<'a> {
        SecretFlags {
            what: "integration secret",
            flag: "--integration-secret",
            value,
            file_flag: "--integration-secret-file",
            file,
            env: INTEGRATION_SECRET_ENV,
        }
    }

    /// The secret by the one order: command line, then `from` (a `--from` file's path and the
    /// secret it holds), then the environment. `None` when no source has one. Unless `quiet`,
    /// every source that is present but outranked is named on stderr.
    pub fn resolve(&self, from: Option<(&Path, &str)>, quiet: bool) -> Result<Option<Resolved>> {
        let env = env_value(self.env)?;
        // Highest rank first; the first present source wins.
        let mut present: Vec<(Source, Option<&str>)> = Vec::new();
        if let Some(v) = self.value {
            present.push((Source::Flag(self.flag), Some(v)));
        }
        if let Some(p) = self.file {
            present.push((Source::File(self.file_flag, p.to_path_buf()), None));
        }
        if let Some((p, v)) = from {
            present.push((Source::From(p.to_path_buf()), Some(v)));
        }
        if let Some(v) = env.as_deref() {
            present.push((Source::Env(self.env), Some(v)));
        }
        let Some((chosen, value)) = present.first().cloned() else {
            return Ok(None);
        };
        if !quiet {
            for (ignored, _) in &present[1..] {
                output::note(format!("note: the {} from {ignored} is not used: {chosen} comes first", self.what));
            }
        }
        let secret = match (&chosen, value) {
            (Source::File(_, path), _) => read_file(self.what, path, quiet)?,
            (_, value) => non_empty(self.what, &chosen.to_string(), value.unwrap_or_default())?,
        };
        Ok(Some(Resolved { secret, source: chosen }))
    }

    /// Like [`resolve`](Self::resolve), but a missing secret is an error that says where to put one.
    pub fn require(&self, from: Option<(&Path, &str)>, quiet: bool, how: &str) -> Result<Resolved> {
        self.resolve(from, quiet)?.ok_or_else(|| Error::input(format!("no {} given; {how}", self.what)))
    }
}

/// The largest secret file read.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Refuses an empty value, which would sign with nothing. `source` names where it came from.
pub fn non_empty(what: &str, source: &str, value: &str) -> Result<Secret> {
    if value.is_empty() {
        return Err(Error::input(format!("the {what} from {source} is empty")));
    }
    Ok(Secret::new(value))
}

/// A secret file: one trailing newline stripped (and said so unless `quiet`), anything else that
/// cannot be part of a secret refused with a sentence naming the file.
pub fn read_file(what: &str, path: &Path, quiet: bool) -> Result<Secret> {
    // A secret is one short line: read a little past 64 KiB at most, so `/dev/zero` fails fast.
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SECRET_FILE + 1).read_to_end(&mut raw))
        .map_err(|e| Error::io(&format!("read the {what} file"), path, &e))?;
    if raw.len() as u64 > MAX_SECRET_FILE {
        return Err(Error::input(format!(
            "the {what} file {} is over 64 KiB; a secret is one line such as whs_…",
            path.display()
        )));
    }
    let text = String::from_utf8(raw)
        .map_err(|_| Error::input(format!("the secret file {} is not UTF-8 text", path.display())))?;
    let (secret, stripped) = Secret::from_file_text(&text)
        .map_err(|why| Error::input(format!("the secret file {} {why}", path.display())))?;
    if stripped && !quiet {
        output::note(format!("note: stripped the trailing newline from {}", path.display()));
    }
    Ok(secret)
}

/// An environment variable's value; unset and empty are the same (as clap treated them).
fn env_value(var: &str) -> Result<Option<String>> {
    match std::env::var(var) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::input(format!("{var} is not valid UTF-8"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_secret_and_its_source() {
        let s = Secret::new("whs_0123456789abcdef");
        let fp = s.fingerprint();
        let from = Source::From(PathBuf::from("conn.json"));
        assert_eq!(describe(&s, &from), format!("whs_01…ef (fingerprint {fp}, from --from conn.json)"));
        assert_eq!(describe(&s, &Source::Generated), format!("whs_01…ef (fingerprint {fp}, generated for this run)"));
        let file = Source::File("--secret-file", PathBuf::from("s.txt"));
        assert_eq!(file.to_string(), "--secret-file s.txt");
        assert_eq!(Source::Env(WEBHOOK_SECRET_ENV).to_string(), "TOPGG_WEBHOOK_SECRET");
    }

    #[test]
    fn an_empty_value_is_refused_naming_its_source() {
        let err = non_empty("webhook secret", "--secret", "").unwrap_err().to_string();
        assert_eq!(err, "the webhook secret from --secret is empty");
    }
}
