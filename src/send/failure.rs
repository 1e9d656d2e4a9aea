//! Why an attempt got no answer, as data with one sentence each: the delivery engine, load mode
//! and the conformance suite classify their failures into [`AttemptError`]; nothing here prints.

use std::fmt;
use std::time::Duration;

use crate::protocol::time::format_duration;

/// Why an attempt got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// The TCP connection failed; `target` names host and the addresses tried.
    Connect {
        /// E.g. `localhost (127.0.0.1:8080)`.
        target: String,
        /// E.g. `connection refused`.
        reason: String,
    },
    /// No complete answer within the timeout.
    Timeout {
        /// The timeout that ran out.
        after: Duration,
        /// The host and port.
        target: String,
    },
    /// The TLS handshake failed (untrusted certificate, wrong name, plain HTTP on an https URL).
    Tls {
        /// The host and port.
        target: String,
        /// What the TLS layer said.
        reason: String,
    },
    /// The connection was made and then closed (or reset) before any answer came back: the
    /// receiver crashed or gave up on the request. Retried, as Top.gg does.
    Closed {
        /// The host and port.
        target: String,
    },
    /// The request could not be built or the exchange failed in another way.
    Other(String),
}

impl AttemptError {
    /// A short stable code for JSON output: `connect`, `timeout`, `tls`, `closed`, `other`.
    pub fn code(&self) -> &'static str {
        match self {
            AttemptError::Connect { .. } => "connect",
            AttemptError::Timeout { .. } => "timeout",
            AttemptError::Tls { .. } => "tls",
            AttemptError::Closed { .. } => "closed",
            AttemptError::Other(_) => "other",
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Connect { target, reason } => write!(f, "could not connect to {target}: {reason}"),
            AttemptError::Timeout { after, target } => {
                write!(f, "no answer from {target} within {}", format_duration(*after))
            }
            AttemptError::Tls { target, reason } => write!(f, "TLS handshake with {target} failed: {reason}"),
            AttemptError::Closed { target } => {
                write!(f, "the server closed the connection without answering ({target})")
            }
            AttemptError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AttemptError {}
