//! The one error type of topgg-int and the exit-code table every command shares.
//!
//! Errors stay data until `main` prints them: each is one sentence naming the input at fault, and
//! carries its exit code. A negative verdict (an invalid signature, a failed check) is not an error
//! but an [`Outcome`], so a command can print its report and still exit 1.

use std::fmt;
use std::path::Path;

/// Exit codes, the same for every command (also printed in `--help` and the README).
pub mod exit {
    /// Everything checked out.
    pub const SUCCESS: u8 = 0;
    /// A negative verdict: invalid signature, unacknowledged delivery, failed check, payload problems.
    pub const NEGATIVE: u8 = 1;
    /// Usage error or unusable input (clap's own code for bad arguments).
    pub const INPUT: u8 = 2;
    /// Network failure: could not connect, or timed out after the last retry.
    pub const NETWORK: u8 = 3;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// The exit-code table as shown at the end of every `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    negative verdict (invalid signature, unacknowledged delivery, failed check, payload problems)
  2    usage error or unusable input
  3    network failure (could not connect, timed out)
  130  interrupted";

/// How a command that ran to the end judged what it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the command worked, and its verdict is negative.
    Negative,
    /// Exit 130: stopped by Ctrl-C after finishing cleanly and saying so itself (a server), so
    /// there is no error to print.
    Interrupted,
}

impl Outcome {
    /// `Success` when `ok`, else `Negative`.
    pub fn from_ok(ok: bool) -> Self {
        if ok { Outcome::Success } else { Outcome::Negative }
    }

    /// The exit code for this outcome.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => exit::SUCCESS,
            Outcome::Negative => exit::NEGATIVE,
            Outcome::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// Something that stopped a command before it could give a verdict.
#[derive(Debug)]
pub enum Error {
    /// Unusable input: a bad flag value, an unreadable file, invalid JSON, a missing secret. Exit 2.
    Input(String),
    /// Could not connect, or timed out. Exit 3.
    Network(String),
    /// Interrupted by the user. Exit 130.
    Interrupted,
    /// Stdout was closed by the reader (`| head`): a quiet success, nothing printed. Exit 0.
    BrokenPipe,
}

impl Error {
    /// An unusable-input error with this sentence.
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }

    /// A network error with this sentence.
    pub fn network(msg: impl Into<String>) -> Self {
        Error::Network(msg.into())
    }

    /// An I/O failure on `path`, as one sentence naming the path.
    pub fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        Error::Input(format!("could not {action} {}: {}", path.display(), io_reason(err)))
    }

    /// The exit code from the table in [`exit`].
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => exit::INPUT,
            Error::Network(_) => exit::NETWORK,
            Error::Interrupted => exit::INTERRUPTED,
            Error::BrokenPipe => exit::SUCCESS,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(m) | Error::Network(m) => f.write_str(m),
            Error::Interrupted => f.write_str("interrupted"),
            Error::BrokenPipe => f.write_str("standard output was closed"),
        }
    }
}

impl std::error::Error for Error {}

/// A short lower-case reason for an I/O error, without Rust's "(os error 2)" suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        InvalidData => "it is not valid UTF-8".into(),
        _ => {
            let s = err.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
