//! The reference receiver behind `topgg-int serve`, and the built-in target of `simulate` and
//! `check` when no `--url` is given.
//!
//! Endpoints: `POST /integration` (the config URL, integration secret), `POST /webhooks/<id>`
//! (deliveries, that connection's webhook secret), `POST /legacy` (v0 votes, `Authorization`),
//! `GET /health`, `GET /connections` (secrets redacted). Statuses follow protocol.md §7.
//!
//! HTTP is hyper 1.x on a multi-thread tokio runtime the [`Receiver`] owns, so callers keep a
//! plain blocking API. Each connection is a task (`conn.rs`) under per-connection deadlines and a
//! connection cap ([`limits`]), so idle or trickling clients cannot starve real deliveries;
//! [`service`] routes and answers, `routes.rs` holds the endpoints, [`store`] the SQLite store.
//! The receiver never prints: every request ends in one [`RequestLog`] handed to the caller's
//! callback.

pub mod captures;
mod conn;
pub mod history;
pub mod limits;
pub mod replay;
mod routes;
pub mod service;
pub mod store;

use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use self::store::{Connection, Imported, Store};
use crate::error::{Error, Result};
use crate::protocol::generate;
use crate::protocol::payload::KNOWN_ROUTES;
use crate::protocol::secret::Secret;
use crate::protocol::signature::DEFAULT_TOLERANCE_SECS;

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
    /// Bytes all connections together may hold in bodies over [`limits::SMALL_BODY`]; a large
    /// body that does not fit gets 503.
    pub body_budget: usize,
    /// Remove `data_dir` when the receiver stops (set by [`ReceiverConfig::ephemeral`]).
    pub remove_data_dir: bool,
    /// Requests kept in the store's history (`serve --history`); 0 records none.
    pub history: usize,
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
            body_budget: limits::DEFAULT_BODY_BUDGET,
            remove_data_dir: false,
            history: store::DEFAULT_HISTORY,
        }
    }
}

/// One line of the request log: what came in and what the receiver answered. Never holds a
/// secret or a full signature.
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// When the request arrived, Unix nanoseconds.
    pub time_unix_nanos: i128,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The method (`-` when the request line was unreadable).
    pub method: String,
    /// The path, query string included (`-` when unreadable).
    pub path: String,
    /// The event type, when the body said.
    pub event: Option<String>,
    /// The connection id the request was for.
    pub connection: Option<String>,
    /// `ok`, or why the request was refused (`signature-mismatch`, `unknown-connection`, …).
    pub verdict: &'static str,
    /// One sentence of detail for a refusal.
    pub detail: Option<String>,
    /// The status answered.
    pub status: u16,
    /// From the first byte of the request to the last byte of the answer.
    pub latency: Duration,
    /// `x-topgg-trace`.
    pub trace: Option<String>,
    /// A `vote.create` whose id was seen before (a Top.gg retry).
    pub retry: bool,
    /// Accepted, with something worth a look (unparseable body, unknown type, …).
    pub warning: Option<String>,
    /// The capture file written for the request.
    pub capture: Option<PathBuf>,
}

impl RequestLog {
    /// The JSON Lines form used by `serve --json`: `{"event":"request", time, peer, method, path,
    /// type, connection, verdict, detail, status, latency_ms, trace, retry, warning, capture}`.
    /// Serialised straight from borrowed fields: building a `serde_json::Value` map first cost a
    /// sixth of the receiver's instructions per request.
    pub fn to_json_line(&self) -> String {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            event: &'static str,
            time: String,
            peer: Option<SocketAddr>,
            method: &'a str,
            path: &'a str,
            #[serde(rename = "type")]
            kind: Option<&'a str>,
            connection: Option<&'a str>,
            verdict: &'static str,
            detail: Option<&'a str>,
            status: u16,
            latency_ms: f64,
            trace: Option<&'a str>,
            retry: bool,
            warning: Option<&'a str>,
            capture: Option<String>,
        }
        let line = Line {
            event: "request",
            time: crate::protocol::time::format_topgg(self.time_unix_nanos),
            peer: self.peer,
            method: &self.method,
            path: &self.path,
            kind: self.event.as_deref(),
            connection: self.connection.as_deref(),
            verdict: self.verdict,
            detail: self.detail.as_deref(),
            status: self.status,
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            trace: self.trace.as_deref(),
            retry: self.retry,
            warning: self.warning.as_deref(),
            capture: self.capture.as_ref().map(|p| p.display().to_string()),
        };
        // Only strings, numbers and booleans: serialising this cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// The callback that receives every [`RequestLog`].
pub type LogFn = Box<dyn Fn(&RequestLog) + Send + Sync>;

/// What the connection tasks share.
struct Shared {
    config: ReceiverConfig,
    base_url: String,
    store: Store,
    captures: Option<captures::Captures>,
    replay: replay::ReplayGuard,
    log: LogFn,
    /// Set once a stop begins; `stop_tx` wakes the tasks waiting on it.
    stop: AtomicBool,
    stop_tx: tokio::sync::watch::Sender<bool>,
    active: Mutex<usize>,
    idle: Condvar,
    body_budget: limits::BodyBudget,
    http: hyper::server::conn::http1::Builder,
}

/// A running receiver. Dropping it shuts it down like [`Receiver::shutdown`].
pub struct Receiver {
    shared: Arc<Shared>,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    accept: Option<tokio::task::JoinHandle<()>>,
    open_files: Option<u64>,
}

impl Receiver {
    /// Binds, loads the store (refusing a corrupt one), starts the runtime and the accept task;
    /// returns once the socket is bound. Raises the process's soft open-files limit to its hard
    /// limit on the way ([`limits::raise_open_files_limit`]), so the connection cap can be used.
    pub fn start(config: ReceiverConfig, log: LogFn) -> Result<Receiver> {
        for r in &config.routes {
            if !KNOWN_ROUTES.contains(&r.as_str()) {
                return Err(Error::input(format!("unknown route {r:?}; known routes: {}", KNOWN_ROUTES.join(", "))));
            }
        }
        let open_files = limits::raise_open_files_limit();
        let store = Store::open_with(&config.data_dir, config.history)?;
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
        let base_url = match &config.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", display_addr(addr)),
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.max_header_size(limits::MAX_HEAD)
            // Our own deadlines answer 408 (limits.rs); hyper's would only close.
            .header_read_timeout(None)
            // A client may send its request and shut down its side while it waits for the answer.
            .half_close(true)
            .title_case_headers(true);
        let (stop_tx, _) = tokio::sync::watch::channel(false);
        let body_budget = limits::BodyBudget::new(config.body_budget);
        let shared = Arc::new(Shared {
            config,
            base_url,
            store,
            captures,
            replay: replay::ReplayGuard::default(),
            log,
            stop: AtomicBool::new(false),
            stop_tx,
            active: Mutex::new(0),
            idle: Condvar::new(),
            body_budget,
            http,
        });
        let accept = runtime.spawn(conn::accept_loop(listener, shared.clone()));
        Ok(Receiver { shared, addr, runtime: Some(runtime), accept: Some(accept), open_files })
    }

    /// The soft limit on open files after [`limits::raise_open_files_limit`], when known; a
    /// connection cap above it cannot be reached.
    pub fn open_files_limit(&self) -> Option<u64> {
        self.open_files
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

    /// The store: connections, seen vote ids and the request history.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// What starting did with an old `connections.json` in the data dir (the caller says so).
    pub fn imported(&self) -> Option<&Imported> {
        self.shared.store.imported()
    }

    /// Stops accepting, lets in-flight requests finish, and removes a throwaway data dir.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(runtime) = self.runtime.take() else { return };
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stop_tx.send_replace(true);
        // Inside another runtime (a caller's async code) blocking on ours would panic: the
        // listener then closes when the runtime is shut down in the background below.
        let nested = tokio::runtime::Handle::try_current().is_ok();
        if let Some(accept) = self.accept.take()
            && !nested
        {
            // The listener closes when the accept task ends.
            let _ = runtime.block_on(accept);
        }
        // Idle connections close at once; busy ones finish their request (bounded by its deadline).
        let limit = Instant::now() + self.shared.config.read_timeout + limits::LINGER + Duration::from_secs(1);
        let mut active = self.shared.active.lock().unwrap_or_else(|e| e.into_inner());
        while *active > 0 {
            let left = limit.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            active = self.shared.idle.wait_timeout(active, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        drop(active);
        if nested {
            runtime.shutdown_background();
        } else {
            runtime.shutdown_timeout(Duration::from_millis(100));
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
