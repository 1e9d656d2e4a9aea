//! What the connection tasks of one receiver share: the settings, the store, the inspector, the
//! log callback and the stop signal. Plain data; the behaviour lives in the files that use it.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};

use super::config::ReceiverConfig;
use super::forward::Forwarder;
use super::inspector::Inspector;
use super::record::LogFn;
use super::store::Store;
use super::{captures, limits, replay};

/// What the connection tasks share.
pub(super) struct Shared {
    pub config: ReceiverConfig,
    /// Base of the URLs handed out (`--public-url`, or the bound address).
    pub base_url: String,
    /// `http://<bound address>`, for the inspector's own URL.
    pub local_url: String,
    /// Forward mode's client.
    pub forwarder: Option<Forwarder>,
    /// The inspector and its live events.
    pub inspector: Arc<Inspector>,
    /// Connections, seen votes, history.
    pub store: Arc<Store>,
    /// `--capture-dir`.
    pub captures: Option<captures::Captures>,
    /// Accepted signatures of state changes.
    pub replay: replay::ReplayGuard,
    /// Receives every record.
    pub log: LogFn,
    /// Set once a stop begins; `stop_tx` wakes the tasks waiting on it.
    pub stop: AtomicBool,
    /// Wakes the tasks when a stop begins.
    pub stop_tx: tokio::sync::watch::Sender<bool>,
    /// Connections open (under the cap); `idle` is told when one closes.
    pub active: Mutex<usize>,
    /// Told when a connection closes.
    pub idle: Condvar,
    /// Memory for large bodies.
    pub body_budget: limits::BodyBudget,
    /// hyper's connection settings.
    pub http: hyper::server::conn::http1::Builder,
}
