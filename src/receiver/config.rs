//! The receiver's settings: [`ReceiverConfig`] and the defaults it starts from.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use super::forward::ForwardConfig;
use super::{body, captures, limits, store};
use crate::error::{Error, Result};
use crate::protocol::generate;
use crate::protocol::payload::KNOWN_ROUTES;
use crate::protocol::secret::Secret;
use crate::protocol::signature::DEFAULT_TOLERANCE_SECS;
use crate::stop::Stop;

/// The body cap of the SDKs (protocol.md §3).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// How long a client may take to send a request (protocol.md §3).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything the receiver needs; [`ReceiverConfig::ephemeral`] gives the defaults.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Address to bind.
    pub bind: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Verifies requests to the config URL.
    pub integration_secret: Secret,
    /// Base of the webhook URLs handed out; defaults to `http://<bound address>`.
    pub public_url: Option<String>,
    /// Routes answered in the handshake.
    pub routes: Vec<String>,
    /// Where the connection store lives.
    pub data_dir: PathBuf,
    /// Where each accepted request is written as a raw `.http` file, when set.
    pub capture_dir: Option<PathBuf>,
    /// Capture refused requests (4xx, 5xx) too; off by default, since anyone who can reach the
    /// port can send those.
    pub capture_refused: bool,
    /// Captures kept in `capture_dir` (the oldest are deleted); see [`captures::MAX_BYTES`].
    pub capture_keep: usize,
    /// Replay window in seconds; 0 disables it.
    pub tolerance: u64,
    /// Authorization value accepted on `POST /legacy`; the endpoint answers 404 without it.
    pub legacy_secret: Option<Secret>,
    /// How long a client may take to send a whole request before it gets 408.
    pub read_timeout: Duration,
    /// Bodies over this many bytes get 413.
    pub max_body: usize,
    /// Connections served at once; past it new ones are accepted and closed at once.
    pub max_connections: usize,
    /// Bytes all connections together may hold in bodies over [`body::SMALL_BODY`]; a large
    /// body that does not fit gets 503.
    pub body_budget: usize,
    /// Remove `data_dir` when the receiver stops (set by [`ReceiverConfig::ephemeral`]).
    pub remove_data_dir: bool,
    /// Requests kept in the store's history (`serve --history`); 0 records none.
    pub history: usize,
    /// Bytes the history may take (`serve --history-bytes`, at least [`store::MIN_HISTORY_BYTES`]).
    pub history_bytes: u64,
    /// Forward mode: where the developer's app is (`serve --forward-to`).
    pub forward: Option<ForwardConfig>,
    /// The token the inspector's API requires; generated at start when none is set.
    pub inspector_token: Option<Secret>,
    /// Address of the inspector's own listener (`serve --inspect-bind`), loopback by default.
    pub inspect_bind: String,
    /// Port of the inspector's own listener (`serve --inspect-port`); 0 picks a free one.
    pub inspect_port: u16,
    /// Show webhook secrets in full in the inspector and `/connections` (`serve --show-secrets`).
    pub show_secrets: bool,
    /// The run's cancellation (`serve` passes the one its signals set): when it stops, the
    /// receiver stops as [`super::Receiver::shutdown`] would begin to. A fresh one by default,
    /// which only the receiver's own shutdown sets.
    pub stop: Stop,
}

impl ReceiverConfig {
    /// 127.0.0.1, port 0, a throwaway data dir (removed when the Receiver is shut down or dropped),
    /// default routes, tolerance 30.
    pub fn ephemeral(integration_secret: Secret) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("topgg-int-serve-{}", hex::encode(generate::random_bytes::<8>())));
        fs::create_dir_all(&dir).map_err(|e| Error::io("create the temporary data directory", &dir, &e))?;
        let mut c = ReceiverConfig::new(integration_secret, dir);
        c.remove_data_dir = true;
        Ok(c)
    }

    /// The defaults of `topgg-int serve` on 127.0.0.1:0 with this secret and data dir.
    pub fn new(integration_secret: Secret, data_dir: PathBuf) -> Self {
        ReceiverConfig {
            bind: "127.0.0.1".into(),
            port: 0,
            integration_secret,
            public_url: None,
            routes: KNOWN_ROUTES.iter().map(|r| r.to_string()).collect(),
            data_dir,
            capture_dir: None,
            capture_refused: false,
            capture_keep: captures::DEFAULT_KEEP,
            tolerance: DEFAULT_TOLERANCE_SECS,
            legacy_secret: None,
            read_timeout: READ_TIMEOUT,
            max_body: MAX_BODY,
            max_connections: limits::DEFAULT_MAX_CONNECTIONS,
            body_budget: body::DEFAULT_BODY_BUDGET,
            remove_data_dir: false,
            history: store::DEFAULT_HISTORY,
            history_bytes: store::DEFAULT_HISTORY_BYTES,
            forward: None,
            inspector_token: None,
            inspect_bind: "127.0.0.1".into(),
            inspect_port: 0,
            show_secrets: false,
            stop: Stop::new(),
        }
    }
}
