//! The conformance suite behind `topgg-int check`: what a receiver must (and should) do, each case
//! with a stable name, a severity and a one-line explanation, a runner that sends real requests
//! (some deliberately broken) to a config URL and the webhook URL it hands out, and the results
//! as data. Rendering (table, JSON, JUnit) is the command's job; this module never prints.
//!
//! The run creates its own connection with `integration.create` and always ends with
//! `integration.delete`, whatever failed in between. Against a plain webhook (one made in the
//! project dashboard: a webhook URL and its `whs_` secret, no config URL) the run starts at
//! `delivery` and leaves out the [`INTEGRATION_ONLY`] cases. Cases whose verdict would be meaningless
//! (a refusal proves nothing when valid deliveries are refused too) are skipped with the reason.
//!
//! Two choices worth knowing when reading a result:
//! - Bodies are written as .NET's System.Text.Json writes them by default (non-ASCII and `+ < > &
//!   ' \`` as `\uXXXX`; see [`encode_body`]). Every vote has a `+` in its dates, so a receiver that
//!   parses and re-serialises the JSON before computing the HMAC fails `delivery`, as it would on
//!   any sender whose bytes differ from its own serialiser's.
//! - `rejects-verbatim-replay` cannot wait 30 s. It sends a vote signed with `t = now - 29 s`
//!   (inside the window, so it must be accepted), and sends the same bytes and headers again once
//!   `now - t` is 31 s, a second or two later. That proves the window is enforced on a request the
//!   receiver has already seen and accepted, which catches a duplicate short-cut placed before
//!   verification ("seen this vote id, answer 200"). It does not ask for a replay cache inside the
//!   window: Top.gg re-signs its retries, and the protocol requires none. It assumes the 30 s
//!   window of protocol.md §3; a receiver with a shorter window, or a clock more than a second off,
//!   makes it inconclusive (skipped), not failed.

mod body;
mod cases;
mod delivery;
mod handshake;
pub mod http;
mod legacy;
mod liveness;
mod probes;
mod rejections;
mod replay;
mod runner;
mod timing;
mod tolerance;

use std::time::Duration;

use crate::error::{Error, Result};
use crate::protocol::secret::Secret;
use crate::stop::Stop;

pub use body::encode_body;
pub use cases::{
    CASES, CaseInfo, CaseResult, INTEGRATION_ONLY, INTEGRATION_ONLY_REASON, Report, Selection, Severity, Status,
    Verdict, find_case,
};
pub use runner::{run, run_with_progress};

/// A plain webhook: made in the project dashboard, signed the v1 way, with no config URL and no
/// handshake.
#[derive(Debug, Clone)]
pub struct PlainWebhook {
    /// The webhook URL (absolute http or https).
    pub url: String,
    /// Its `whs_` secret, which signs every delivery.
    pub secret: Secret,
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The receiver's config URL (absolute http or https). Unused when `webhook` is set.
    pub config_url: String,
    /// The secret that signs requests to the config URL. Unused when `webhook` is set.
    pub integration_secret: Secret,
    /// Check this plain webhook instead of an integration: no handshake, no delete, and the
    /// [`INTEGRATION_ONLY`] cases left out.
    pub webhook: Option<PlainWebhook>,
    /// Per-request timeout (Top.gg's is 5 s).
    pub timeout: Duration,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// Ignore proxy variables: set when checking the built-in receiver, which is on loopback.
    pub no_proxy: bool,
    /// The Authorization value of legacy (v0) votes, for `distinguishes-v0-from-v1`.
    pub legacy_secret: Option<Secret>,
    /// Where v0 votes go; the webhook URL when not given.
    pub legacy_url: Option<String>,
    /// The cases to run and report.
    pub selection: Selection,
    /// Once stopped (Ctrl-C), the remaining cases are skipped and the connection is still
    /// deleted.
    pub stop: Option<Stop>,
}

/// Checks that `url` is an absolute http(s) URL, returning it unchanged.
pub fn validate_url(url: &str) -> Result<String> {
    crate::send::delivery::parse_url(url).map_err(|why| Error::input(format!("--url {why}")))?;
    Ok(url.to_string())
}
