//! The reference receiver behind `topgg-int serve`, and the built-in target of `simulate` and
//! `check` when no `--url` is given.
//!
//! Endpoints: `POST /integration` (the config URL, integration secret), `POST /webhooks/<id>`
//! (deliveries, that connection's webhook secret), `POST /legacy` (v0 votes, `Authorization`),
//! and `GET /health`. The inspector (`/_/`, its API and `GET /connections`, [`inspector`]) has a
//! listener of its own, loopback by default, so a tunnel pointed at the receiver cannot reach it. Statuses follow protocol.md §7; in forward mode
//! ([`forward`]) the developer's app answers instead.
//!
//! HTTP is hyper 1.x on a multi-thread tokio runtime the [`Receiver`] owns, so callers keep a
//! plain blocking API. Each connection is a task (`conn.rs`) under per-connection deadlines and a
//! connection cap ([`limits`]), so idle or trickling clients cannot starve real deliveries;
//! `service.rs` routes (limits, then the body, then the inspector or the endpoints of
//! `routes.rs`, then forward mode, then the record), [`http`] is the request and answer vocabulary
//! they share, [`store`] the SQLite store. The receiver never prints: every request ends in one
//! [`Record`], which the store's journal hands to the caller's [`Log`] (on its own thread, in
//! batches, after the answer).

pub mod body;
pub mod captures;
mod config;
mod conn;
pub mod forward;
pub mod http;
pub mod inspector;
pub mod limits;
pub mod process;
pub mod record;
pub mod replay;
mod routes;
mod service;
mod state;
pub mod store;

use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use self::config::{MAX_BODY, READ_TIMEOUT, ReceiverConfig};
use self::forward::Forwarder;
use self::inspector::{Inspector, InspectorConfig};
pub use self::record::{LineFn, Log, Record};
pub use self::state::ConnStats;
use self::state::Shared;
use self::store::{Connection, Store};
use crate::error::{Error, Result};
use crate::protocol::generate;
use crate::protocol::payload::KNOWN_ROUTES;
use crate::protocol::secret::Secret;
use crate::stop::Reason;

/// A running receiver. Dropping it shuts it down like [`Receiver::shutdown`].
pub struct Receiver {
    shared: Arc<Shared>,
    addr: SocketAddr,
    inspect_addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    accept: Vec<tokio::task::JoinHandle<()>>,
    open_files: Option<u64>,
}

impl Receiver {
    /// Binds, loads the store (refusing a corrupt one), starts the runtime and the accept task;
    /// returns once the socket is bound. Raises the process's soft open-files limit to its hard
    /// limit on the way ([`process::raise_open_files_limit`]), so the connection cap can be used.
    pub fn start(config: ReceiverConfig, log: Log) -> Result<Receiver> {
        for r in &config.routes {
            if !KNOWN_ROUTES.contains(&r.as_str()) {
                return Err(Error::input(format!("unknown route {r:?}; known routes: {}", KNOWN_ROUTES.join(", "))));
            }
        }
        let open_files = process::raise_open_files_limit();
        let store = Arc::new(Store::open_bounded(&config.data_dir, config.history, config.history_bytes)?);
        store.log_to(log);
        let captures = match &config.capture_dir {
            Some(dir) => Some(captures::Captures::open(dir, config.capture_keep, captures::MAX_BYTES)?),
            None => None,
        };
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 16);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("topgg-int-receiver")
            .enable_all()
            .build()
            .map_err(|e| Error::input(format!("could not start the receiver's runtime: {e}")))?;
        let listener = {
            let _enter = runtime.enter();
            bind(&config.bind, config.port)?
        };
        let addr = listener.local_addr().map_err(|e| Error::input(format!("could not read the bound address: {e}")))?;
        // The inspector has a listener of its own, so a tunnel pointed at the receiver's port
        // cannot reach it.
        let inspect_listener = {
            let _enter = runtime.enter();
            bind(&config.inspect_bind, config.inspect_port)
                .map_err(|e| Error::input(format!("the inspector: {e} (choose another with --inspect-port)")))?
        };
        let inspect_addr = inspect_listener
            .local_addr()
            .map_err(|e| Error::input(format!("could not read the inspector's bound address: {e}")))?;
        let local_url = format!("http://{}", display_addr(inspect_addr));
        let base_url = match &config.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", display_addr(addr)),
        };
        let forwarder = config.forward.clone().map(Forwarder::new).transpose()?;
        if let Some(f) = &forwarder {
            f.refuse_loop(addr, inspect_addr)?;
        }
        let mut config = config;
        let token = match config.inspector_token.clone() {
            Some(t) => t,
            None => Secret::new(hex::encode(generate::secret_bytes::<16>()?)),
        };
        config.inspector_token = Some(token.clone());
        let inspector = Arc::new(Inspector::new(
            InspectorConfig { token, show_secrets: config.show_secrets },
            store.clone(),
            config.integration_secret.clone(),
            config.tolerance,
            base_url.clone(),
            forwarder.as_ref().map(Forwarder::mirror),
        ));
        // The signatures of state changes accepted before a restart are still refused as replays
        // within their window.
        let replay = replay::ReplayGuard::default();
        let now = crate::protocol::time::now_unix();
        for (t, v1) in store.replay_pairs() {
            replay.claim(t, v1, now, config.tolerance);
        }
        let mut http = hyper::server::conn::http1::Builder::new();
        http.max_header_size(limits::MAX_HEAD)
            // Our own deadlines answer 408 (limits.rs); hyper's would only close.
            .header_read_timeout(None)
            // A client may send its request and shut down its side while it waits for the answer.
            .half_close(true)
            .title_case_headers(true);
        let body_budget = body::BodyBudget::new(config.body_budget);
        // Its own, so a shutdown stops this receiver alone; the run's stop reaches it too.
        let stop = config.stop.child();
        let shared = Arc::new(Shared {
            config,
            base_url,
            local_url,
            forwarder,
            inspector,
            store,
            captures,
            replay,
            stop,
            active: tokio::sync::watch::Sender::new((0, 0)),
            conns: Mutex::default(),
            conn_seq: AtomicU64::new(0),
            idle_closed: AtomicU64::new(0),
            reclaimed: AtomicU64::new(0),
            busy: std::sync::atomic::AtomicUsize::new(0),
            body_budget,
            http,
        });
        let accept = vec![
            runtime.spawn(conn::accept_loop(listener, shared.clone(), conn::Side::Receiver)),
            runtime.spawn(conn::accept_loop(inspect_listener, shared.clone(), conn::Side::Inspector)),
        ];
        Ok(Receiver { shared, addr, inspect_addr, runtime: Some(runtime), accept, open_files })
    }

    /// The soft limit on open files after [`process::raise_open_files_limit`], when known; a
    /// connection cap above it cannot be reached.
    pub fn open_files_limit(&self) -> Option<u64> {
        self.open_files
    }

    /// The receiver's connections now, and the idle closes and reclamations so far.
    pub fn stats(&self) -> ConnStats {
        self.shared.stats()
    }

    /// The connection cap in force.
    pub fn max_connections(&self) -> usize {
        self.shared.config.max_connections
    }

    /// The config URL, e.g. `http://127.0.0.1:PORT/integration` (built on `--public-url` if given).
    pub fn config_url(&self) -> String {
        format!("{}/integration", self.shared.base_url)
    }

    /// The webhook URL handed out for a connection.
    pub fn webhook_url(&self, connection_id: &str) -> String {
        format!("{}/webhooks/{connection_id}", self.shared.base_url)
    }

    /// The inspector page's URL on its own listener, with the token (`?token=`) its API needs.
    pub fn inspector_url(&self) -> String {
        format!("{}/_/?token={}", self.shared.local_url, self.shared.inspector.config().token.expose())
    }

    /// The token the inspector's API requires (`--inspector-token`, or generated at start).
    pub fn inspector_token(&self) -> &Secret {
        &self.shared.inspector.config().token
    }

    /// The address the inspector's listener is bound to (`--inspect-bind`, `--inspect-port`).
    pub fn inspector_addr(&self) -> SocketAddr {
        self.inspect_addr
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The data dir in use.
    pub fn data_dir(&self) -> &Path {
        &self.shared.config.data_dir
    }

    /// The connection store's file.
    pub fn store_path(&self) -> &Path {
        self.shared.store.path()
    }

    /// The stored connections, oldest first.
    pub fn connections(&self) -> Vec<Connection> {
        self.shared.store.list()
    }

    /// Lets a held log ([`Log::held`]) write its lines, those held so far first.
    pub fn open_log(&self) {
        self.shared.store.open_log();
    }

    /// The store: connections, seen vote ids and the request history.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Stops accepting, lets in-flight requests finish, and removes a throwaway data dir.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(runtime) = self.runtime.take() else { return };
        self.shared.stop.cancel(Reason::Terminated);
        let accept = std::mem::take(&mut self.accept);
        let shared = self.shared.clone();
        let finish = move || {
            // Idle connections close at once; busy ones finish their request (bounded by its
            // deadline).
            let limit = Instant::now() + shared.config.read_timeout + limits::LINGER + Duration::from_secs(1);
            for task in accept {
                // The listener closes when the accept task ends.
                let _ = runtime.block_on(task);
            }
            let mut open = shared.active.subscribe();
            let left = limit.saturating_duration_since(Instant::now());
            // The timer is made inside the runtime: it needs the runtime's clock.
            let drained = async { tokio::time::timeout(left, open.wait_for(|(r, i)| r + i == 0)).await.is_ok() };
            let _ = runtime.block_on(drained);
            runtime.shutdown_timeout(Duration::from_millis(100));
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Inside another runtime (a caller's async code) blocking on ours would panic: a
            // thread of its own does it, and this one waits as it would have.
            std::thread::scope(|s| {
                s.spawn(finish);
            });
        } else {
            finish();
        }
        self.shared.store.close();
        if self.shared.config.remove_data_dir {
            let _ = fs::remove_dir_all(&self.shared.config.data_dir);
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds the first address `host` resolves to that accepts us, with a backlog deep enough for
/// bursts of new connections (std's is 128).
fn bind(host: &str, port: u16) -> Result<tokio::net::TcpListener> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::input(format!("could not resolve the bind address {host:?}: {e}")))?
        .collect();
    let mut last = None;
    for a in &addrs {
        let socket = if a.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() };
        let listened = socket.and_then(|s| {
            #[cfg(unix)]
            s.set_reuseaddr(true)?;
            s.bind(*a)?;
            s.listen(4096)
        });
        match listened {
            Ok(l) => return Ok(l),
            Err(e) => last = Some((*a, e)),
        }
    }
    Err(match last {
        Some((a, e)) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Error::input(format!("could not listen on {a}: the port is in use (try --port 0 for a free one)"))
        }
        Some((a, e)) => Error::input(format!("could not listen on {a}: {}", crate::error::io_reason(&e))),
        None => Error::input(format!("the bind address {host:?} resolves to nothing")),
    })
}

fn display_addr(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() { "127.0.0.1" } else { "[::1]" };
        format!("{ip}:{}", addr.port())
    } else {
        addr.to_string()
    }
}
