//! What the connection tasks of one receiver share: the settings, the store, the inspector and
//! the stop. Plain data; the behaviour lives in the files that use it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::config::ReceiverConfig;
use super::forward::Forwarder;
use super::inspector::Inspector;
use super::limits::ConnState;
use super::store::Store;
use super::{body, captures, replay};
use crate::stop::Stop;

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
    /// Set when the receiver stops, by its shutdown or by the run's stop (a child of
    /// [`super::ReceiverConfig::stop`]); the accept loops, connections and event streams wait on it.
    pub stop: Stop,
    /// Connections open on the receiver's and the inspector's listener, each under its own cap;
    /// the shutdown waits on it for both to reach 0.
    pub active: watch::Sender<(usize, usize)>,
    /// The receiver's open connections, oldest first (for reclaiming room at the cap).
    pub conns: Mutex<BTreeMap<u64, Arc<ConnState>>>,
    /// Numbers connections in accept order.
    pub conn_seq: AtomicU64,
    /// Connections closed for idling: keep-alive ones past their wait or lifetime, and sockets
    /// that never sent a byte. Counted, never logged one by one (`GET /health` shows it).
    pub idle_closed: AtomicU64,
    /// Connections closed to make room for a new one at the cap.
    pub reclaimed: AtomicU64,
    /// Requests in the service now.
    pub busy: AtomicUsize,
    /// Memory for large bodies.
    pub body_budget: body::BodyBudget,
    /// hyper's connection settings.
    pub http: hyper::server::conn::http1::Builder,
}

/// The receiver's connections (`GET /health` shows them under `connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConnStats {
    /// Open on the receiver's port.
    pub open: usize,
    /// `--max-connections`.
    pub max: usize,
    /// With a request in the service.
    pub busy: usize,
    /// Closed for idling (keep-alive wait or lifetime over, or a socket that never sent a byte).
    pub idle_closed: u64,
    /// Closed to make room for a new connection at the cap.
    pub reclaimed: u64,
}

impl Shared {
    /// The connection counts now.
    pub fn stats(&self) -> ConnStats {
        ConnStats {
            open: self.active.borrow().0,
            max: self.config.max_connections,
            busy: self.busy.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
            reclaimed: self.reclaimed.load(Ordering::Relaxed),
        }
    }
}
