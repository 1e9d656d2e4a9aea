//! The reference receiver behind `topgg-int serve`, and the built-in target of `simulate` and
//! `check` when no `--url` is given.
//!
//! Endpoints: `POST /integration` (the config URL, integration secret), `POST /webhooks/<id>`
//! (deliveries, that connection's webhook secret), `POST /legacy` (v0 votes, `Authorization`),
//! `GET /health`, `GET /connections` (secrets redacted; loopback or token, like the inspector),
//! and the inspector under `/_/` (see [`inspector`]). Statuses follow protocol.md §7; in forward
//! mode ([`forward`]) the developer's app answers instead. Each connection is served by its own
//! thread, so a slow client never holds up another. The receiver never prints: every request ends
//! in one [`RequestLog`] handed to the caller's callback.

pub mod forward;
pub mod history;
pub mod http;
pub mod inspector;
pub mod store;

use serde_json::{Value, json};
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use self::forward::{ForwardConfig, Forwarder};
use self::history::{Forwarded, HistoryEntry};
use self::http::{Conn, Limits, Next, Refusal, Request, Response};
use self::inspector::{Ask, InspectorConfig, Reply};
use self::store::{Connection, Imported, Store};
use crate::error::{Error, Result};
use crate::protocol::capture::Capture;
use crate::protocol::generate;
use crate::protocol::payload::{Event, KNOWN_ROUTES};
use crate::protocol::secret::Secret;
use crate::protocol::signature::{self, DEFAULT_TOLERANCE_SECS, SIGNATURE_HEADER, TRACE_HEADER};
use crate::protocol::time::{now_unix, now_unix_nanos};

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
    /// Where each request is written as a raw `.http` file, when set.
    pub capture_dir: Option<PathBuf>,
    /// Replay window in seconds; 0 disables it.
    pub tolerance: u64,
    /// Authorization value accepted on `POST /legacy`; the endpoint answers 404 without it.
    pub legacy_secret: Option<Secret>,
    /// How long a client may take to send a whole request before it gets 408.
    pub read_timeout: Duration,
    /// Bodies over this many bytes get 413.
    pub max_body: usize,
    /// Connections served at once; more get 503.
    pub max_connections: usize,
    /// Remove `data_dir` when the receiver stops (set by [`ReceiverConfig::ephemeral`]).
    pub remove_data_dir: bool,
    /// Requests kept in the store's history (`serve --history`); 0 records none.
    pub history: usize,
    /// Forward mode: where the developer's app is (`serve --forward-to`).
    pub forward: Option<ForwardConfig>,
    /// The token non-local inspector clients must give; generated at start when `bind` is not a
    /// loopback address and none is set.
    pub inspector_token: Option<Secret>,
    /// Show webhook secrets in full in the inspector and `/connections` (`serve --show-secrets`).
    pub show_secrets: bool,
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
            tolerance: DEFAULT_TOLERANCE_SECS,
            legacy_secret: None,
            read_timeout: READ_TIMEOUT,
            max_body: MAX_BODY,
            max_connections: 512,
            remove_data_dir: false,
            history: store::DEFAULT_HISTORY,
            forward: None,
            inspector_token: None,
            show_secrets: false,
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
    /// In forward mode, what the app answered.
    pub forwarded: Option<Forwarded>,
    /// The history entry this request replays (the inspector's replay button).
    pub replay_of: Option<i64>,
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

struct Shared {
    config: ReceiverConfig,
    base_url: String,
    local_url: String,
    forwarder: Option<Forwarder>,
    inspector: InspectorConfig,
    store: Store,
    capture_seq: AtomicU64,
    log: LogFn,
    stop: AtomicBool,
    active: Mutex<usize>,
    idle: Condvar,
}

/// A running receiver. Dropping it shuts it down like [`Receiver::shutdown`].
pub struct Receiver {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Binds, loads the store (refusing a corrupt one), starts the accept thread; returns once the
    /// socket is bound.
    pub fn start(config: ReceiverConfig, log: LogFn) -> Result<Receiver> {
        for r in &config.routes {
            if !KNOWN_ROUTES.contains(&r.as_str()) {
                return Err(Error::input(format!("unknown route {r:?}; known routes: {}", KNOWN_ROUTES.join(", "))));
            }
        }
        let store = Store::open_with(&config.data_dir, config.history)?;
        let capture_seq = match &config.capture_dir {
            Some(dir) => next_capture_seq(dir)?,
            None => 1,
        };
        let listener = bind(&config.bind, config.port)?;
        let addr = listener.local_addr().map_err(|e| Error::input(format!("could not read the bound address: {e}")))?;
        let local_url = format!("http://{}", display_addr(addr));
        let base_url = match &config.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => local_url.clone(),
        };
        let forwarder = config.forward.clone().map(Forwarder::new).transpose()?;
        let mut config = config;
        if !addr.ip().is_loopback() && config.inspector_token.is_none() {
            config.inspector_token = Some(Secret::new(hex::encode(generate::secret_bytes::<16>()?)));
        }
        let inspector = InspectorConfig { token: config.inspector_token.clone(), show_secrets: config.show_secrets };
        let shared = Arc::new(Shared {
            config,
            base_url,
            local_url,
            forwarder,
            inspector,
            store,
            capture_seq: AtomicU64::new(capture_seq),
            log,
            stop: AtomicBool::new(false),
            active: Mutex::new(0),
            idle: Condvar::new(),
        });
        let s = shared.clone();
        let accept = std::thread::Builder::new()
            .name("topgg-int-accept".into())
            .spawn(move || accept_loop(listener, s))
            .map_err(|e| Error::input(format!("could not start the accept thread: {e}")))?;
        Ok(Receiver { shared, addr, accept: Some(accept) })
    }

    /// The config URL, e.g. `http://127.0.0.1:PORT/integration` (built on `--public-url` if given).
    pub fn config_url(&self) -> String {
        format!("{}/integration", self.shared.base_url)
    }

    /// The webhook URL handed out for a connection.
    pub fn webhook_url(&self, connection_id: &str) -> String {
        format!("{}/webhooks/{connection_id}", self.shared.base_url)
    }

    /// The inspector page's URL, on the bound address (with `?token=` when one is required).
    pub fn inspector_url(&self) -> String {
        match &self.shared.inspector.token {
            Some(t) => format!("{}/_/?token={}", self.shared.local_url, t.expose()),
            None => format!("{}/_/", self.shared.local_url),
        }
    }

    /// The token non-local inspector clients must give, when one is required.
    pub fn inspector_token(&self) -> Option<&Secret> {
        self.shared.inspector.token.as_ref()
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
        let Some(accept) = self.accept.take() else { return };
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept with a connection of our own.
        let wake = if self.addr.ip().is_unspecified() {
            let ip: std::net::IpAddr = if self.addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            SocketAddr::new(ip, self.addr.port())
        } else {
            self.addr
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let _ = accept.join();
        // Idle connections notice the stop flag within one poll slice; busy ones finish their request.
        let limit = Instant::now() + self.shared.config.read_timeout + Duration::from_secs(1);
        let mut active = self.shared.active.lock().unwrap_or_else(|e| e.into_inner());
        while *active > 0 {
            let left = limit.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            active = self.shared.idle.wait_timeout(active, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        drop(active);
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

fn bind(host: &str, port: u16) -> Result<TcpListener> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::input(format!("could not resolve the bind address {host:?}: {e}")))?
        .collect();
    let mut last = None;
    for a in &addrs {
        match TcpListener::bind(a) {
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

/// The sequence number after the highest `NNNNNN-…` file already in the capture dir.
fn next_capture_seq(dir: &Path) -> Result<u64> {
    store::create_private_dir(dir).map_err(|e| Error::io("create the capture directory", dir, &e))?;
    let entries = fs::read_dir(dir).map_err(|e| Error::io("read the capture directory", dir, &e))?;
    let mut max = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<u64>() {
            max = max.max(n);
        }
    }
    Ok(max + 1)
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        let stopping = shared.stop.load(Ordering::SeqCst);
        match accepted {
            Ok((stream, peer)) => admit(stream, Some(peer), &shared),
            // Out of file descriptors or a reset before accept: back off and keep serving.
            Err(_) if !stopping => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => {}
        }
        if stopping {
            // Clients already queued in the backlog connected before the stop: serve what they
            // have sent rather than reset them.
            if listener.set_nonblocking(true).is_ok() {
                while let Ok((stream, peer)) = listener.accept() {
                    if stream.set_nonblocking(false).is_ok() {
                        admit(stream, Some(peer), &shared);
                    }
                }
            }
            return;
        }
    }
}

/// Serves a new connection on its own thread, or answers 503 when too many are open.
fn admit(stream: TcpStream, peer: Option<SocketAddr>, shared: &Arc<Shared>) {
    {
        let mut active = shared.active.lock().unwrap_or_else(|e| e.into_inner());
        if *active >= shared.config.max_connections {
            drop(active);
            let mut s = stream;
            let _ = s.set_write_timeout(Some(Duration::from_millis(100)));
            let _ =
                std::io::Write::write_all(&mut s, &Response::error(503, "busy", "too many connections").to_bytes(true));
            return;
        }
        *active += 1;
    }
    let s = shared.clone();
    // The default 2 MiB stack (reserved, not committed): JSON nested to serde_json's depth limit
    // overflows 256 KiB in a debug build.
    let spawned =
        std::thread::Builder::new().name("topgg-int-conn".into()).stack_size(2 * 1024 * 1024).spawn(move || {
            serve_connection(stream, peer, &s);
            let mut active = s.active.lock().unwrap_or_else(|e| e.into_inner());
            *active -= 1;
            s.idle.notify_all();
        });
    if spawned.is_err() {
        let mut active = shared.active.lock().unwrap_or_else(|e| e.into_inner());
        *active -= 1;
        shared.idle.notify_all();
    }
}

fn serve_connection(stream: TcpStream, peer: Option<SocketAddr>, shared: &Shared) {
    let limits =
        Limits { max_body: shared.config.max_body, max_head: 64 * 1024, read_timeout: shared.config.read_timeout };
    let Ok(mut conn) = Conn::new(stream, limits) else { return };
    loop {
        match conn.next_request(&shared.stop) {
            Next::Closed => return,
            Next::Refused(r) => {
                let resp = Response::error(r.status, r.verdict, &r.detail);
                let _ = std::io::Write::write_all(conn.stream(), &resp.to_bytes(true));
                let log = refusal_log(&r, peer);
                (shared.log)(&log);
                record(shared, &log, None);
                if r.unread_body {
                    conn.linger(Duration::from_millis(500));
                }
                return;
            }
            Next::Request(req) if inspector::owns(req.path()) => {
                let close = !req.keep_alive || shared.stop.load(Ordering::Relaxed);
                if !serve_inspector(shared, conn.stream(), &req, peer, close) || close {
                    return;
                }
            }
            Next::Request(req) => {
                let close = !req.keep_alive || shared.stop.load(Ordering::Relaxed);
                let (resp, mut log) = handle(shared, &req, peer);
                let written = std::io::Write::write_all(conn.stream(), &resp.to_bytes(close));
                log.latency = req.started.elapsed();
                (shared.log)(&log);
                record(shared, &log, Some(&req));
                if close || written.is_err() {
                    return;
                }
            }
        }
    }
}

/// Answers an inspector request on the connection; false when the connection should close.
fn serve_inspector(
    shared: &Shared,
    stream: &mut TcpStream,
    req: &Request,
    peer: Option<SocketAddr>,
    close: bool,
) -> bool {
    let ask = Ask {
        method: &req.method,
        target: &req.target,
        headers: &req.headers,
        body: &req.body,
        peer_loopback: peer.is_some_and(|p| p.ip().is_loopback()),
    };
    match inspector::answer(shared, &shared.inspector, &ask) {
        Reply::Full { status, headers, body } => {
            let resp = Response { status, content_type: None, headers, body, head_only: req.method == "HEAD" };
            std::io::Write::write_all(stream, &resp.to_bytes(close)).is_ok()
        }
        Reply::Events(rx) => {
            stream_events(shared, stream, rx);
            false
        }
    }
}

/// Writes a server-sent event per new history entry until the client leaves or the receiver
/// stops. Polls the channel in short slices so that a stop is noticed at once; a comment every 15 s
/// keeps proxies from closing an idle stream.
fn stream_events(shared: &Shared, stream: &mut TcpStream, mut rx: tokio::sync::broadcast::Receiver<HistoryEntry>) {
    use std::io::Write;
    use tokio::sync::broadcast::error::TryRecvError;
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for (n, v) in inspector::event_head() {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n: connected\n\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut idle = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        let out = match rx.try_recv() {
            Ok(e) => inspector::sse_event(&e),
            Err(TryRecvError::Lagged(n)) => format!("event: lagged\ndata: {n}\n\n").into_bytes(),
            Err(TryRecvError::Closed) => return,
            Err(TryRecvError::Empty) if idle.elapsed() > Duration::from_secs(15) => b": keep-alive\n\n".to_vec(),
            Err(TryRecvError::Empty) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        idle = Instant::now();
        if stream.write_all(&out).is_err() {
            return;
        }
    }
}

impl inspector::Host for Shared {
    fn store(&self) -> &Store {
        &self.store
    }

    fn integration_secret(&self) -> &Secret {
        &self.config.integration_secret
    }

    fn tolerance(&self) -> u64 {
        self.config.tolerance
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn connections_json(&self, show_secrets: bool) -> Value {
        connections_json(self, show_secrets)
    }

    fn replay(&self, request: Capture, replay_of: i64) -> (i64, u16) {
        let req = Request {
            method: request.method,
            target: request.path,
            headers: request.headers,
            body: request.body,
            keep_alive: false,
            started: Instant::now(),
        };
        let (_, mut log) = handle(self, &req, None);
        log.latency = req.started.elapsed();
        log.replay_of = Some(replay_of);
        (self.log)(&log);
        (record(self, &log, Some(&req)), log.status)
    }
}

/// Queues a request for the store's history: the log line's fields and the raw request (in the
/// capture format), when it was read. Returns its id (0 when the history is off).
fn record(shared: &Shared, log: &RequestLog, req: Option<&Request>) -> i64 {
    if shared.config.history == 0 {
        return 0;
    }
    let request = req.map(|r| {
        Capture { method: r.method.clone(), path: r.target.clone(), headers: r.headers.clone(), body: r.body.clone() }
            .to_http()
    });
    shared.store.record(HistoryEntry {
        id: 0,
        time_unix_nanos: log.time_unix_nanos as i64,
        method: log.method.clone(),
        path: log.path.chars().take(256).collect(),
        // A refused request's body was never parsed; the list still wants to say what it was.
        event: log.event.clone().or_else(|| req.filter(|_| log.status >= 400).and_then(|r| peek_type(&r.body))),
        connection: log.connection.clone(),
        verdict: log.verdict.to_string(),
        detail: log.detail.clone(),
        status: log.status,
        latency_us: log.latency.as_micros() as i64,
        trace: log.trace.clone(),
        retry: log.retry,
        request,
        replay_of: log.replay_of,
        forwarded: log.forwarded.clone(),
    })
}

/// The `type` of a JSON body, printable and at most 64 characters.
fn peek_type(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: String,
    }
    let t = serde_json::from_slice::<Typed>(body).ok()?.kind;
    Some(t.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect())
}

fn refusal_log(r: &Refusal, peer: Option<SocketAddr>) -> RequestLog {
    RequestLog {
        time_unix_nanos: now_unix_nanos() - r.started.elapsed().as_nanos() as i128,
        peer,
        method: r.method.clone().unwrap_or_else(|| "-".into()),
        path: r.target.clone().unwrap_or_else(|| "-".into()),
        event: None,
        connection: None,
        verdict: r.verdict,
        detail: Some(r.detail.clone()),
        status: r.status,
        latency: r.started.elapsed(),
        trace: None,
        retry: false,
        warning: None,
        capture: None,
        forwarded: None,
        replay_of: None,
    }
}

/// What handling a request decided, before it becomes a response and a log line.
struct Outcome {
    status: u16,
    verdict: &'static str,
    detail: Option<String>,
    body: Option<Value>,
    allow: Option<&'static str>,
    event: Option<String>,
    connection: Option<String>,
    retry: bool,
    warning: Option<String>,
}

impl Outcome {
    fn ok(status: u16) -> Outcome {
        Outcome {
            status,
            verdict: "ok",
            detail: None,
            body: None,
            allow: None,
            event: None,
            connection: None,
            retry: false,
            warning: None,
        }
    }

    fn refuse(status: u16, verdict: &'static str, detail: impl Into<String>) -> Outcome {
        Outcome { verdict, detail: Some(detail.into()), ..Outcome::ok(status) }
    }

    fn warn(mut self, w: impl Into<String>) -> Outcome {
        self.warning = Some(w.into());
        self
    }
}

fn handle(shared: &Shared, req: &Request, peer: Option<SocketAddr>) -> (Response, RequestLog) {
    let time_unix_nanos = now_unix_nanos() - req.started.elapsed().as_nanos() as i128;
    let seq = shared.config.capture_dir.as_ref().map(|_| shared.capture_seq.fetch_add(1, Ordering::SeqCst));
    let path = req.path();
    let method = req.method.as_str();
    let out = if path == "/health" {
        match method {
            "GET" | "HEAD" => Outcome { body: Some(json!({"status": "ok"})), ..Outcome::ok(200) },
            _ => not_allowed("GET"),
        }
    } else if path == "/connections" {
        let ask = Ask {
            method,
            target: &req.target,
            headers: &req.headers,
            body: &req.body,
            peer_loopback: peer.is_some_and(|p| p.ip().is_loopback()),
        };
        match (method, shared.inspector.allow(&ask)) {
            ("GET" | "HEAD", Ok(())) => {
                Outcome { body: Some(connections_json(shared, shared.config.show_secrets)), ..Outcome::ok(200) }
            }
            ("GET" | "HEAD", Err((status, why))) => {
                Outcome::refuse(status, if status == 401 { "token-required" } else { "not-local" }, why)
            }
            _ => not_allowed("GET"),
        }
    } else if path == "/integration" {
        match method {
            "POST" => config_url(shared, req),
            _ => not_allowed("POST"),
        }
    } else if let Some(id) = path.strip_prefix("/webhooks/") {
        if id.is_empty() || id.contains('/') {
            Outcome::refuse(404, "not-found", format!("{path} is not a webhook URL (POST /webhooks/<connection_id>)"))
        } else if method != "POST" {
            not_allowed("POST")
        } else {
            webhook(shared, req, id)
        }
    } else if path == "/legacy" {
        match method {
            "POST" => legacy(shared, req),
            _ => not_allowed("POST"),
        }
    } else {
        Outcome::refuse(
            404,
            "not-found",
            format!(
                "nothing at {path}: the endpoints are /integration, /webhooks/<id>, /legacy, /health, /connections \
                 and the inspector at /_/"
            ),
        )
    };

    let mut warning = out.warning;
    let capture = match (seq, &shared.config.capture_dir) {
        (Some(seq), Some(dir)) => {
            let label = out.event.clone().unwrap_or_else(|| "request".into());
            let file = dir.join(format!("{seq:06}-{}.http", sanitize(&label)));
            let c = Capture {
                method: req.method.clone(),
                path: req.target.clone(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            };
            match write_private(&file, &c.to_http()) {
                Ok(()) => Some(file),
                Err(e) => {
                    warning.get_or_insert_with(|| format!("could not write the capture {}: {e}", file.display()));
                    None
                }
            }
        }
        _ => None,
    };

    let mut resp = match &out.body {
        Some(v) if out.status == 200 => Response::json(200, v),
        _ if out.status >= 400 => Response::error(out.status, out.verdict, out.detail.as_deref().unwrap_or("")),
        _ => Response::empty(out.status),
    };
    resp.head_only = method == "HEAD";
    if let Some(allow) = out.allow {
        resp.headers.push(("Allow".into(), allow.into()));
    }
    // Forward mode: the app answers every Top.gg route, whatever the receiver's own verdict.
    let mut status = out.status;
    let mut forwarded = None;
    let topgg_route = path == "/integration" || path.starts_with("/webhooks/") || path == "/legacy";
    if let (Some(f), true) = (&shared.forwarder, topgg_route) {
        let a = f.send(method, &req.target, &req.headers, &req.body);
        if let Some(e) = &a.record.error {
            warning = Some(format!("forward failed: {e}"));
        }
        status = a.status;
        let content_type = a.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        resp = Response {
            status: a.status,
            content_type: None,
            headers: a.headers,
            body: a.body,
            head_only: method == "HEAD",
        };
        if !content_type && !resp.body.is_empty() {
            resp.content_type = Some("application/octet-stream");
        }
        forwarded = Some(a.record);
    }
    let log = RequestLog {
        time_unix_nanos,
        peer,
        method: req.method.clone(),
        path: req.target.chars().take(256).collect(),
        event: out.event,
        connection: out.connection,
        verdict: out.verdict,
        detail: out.detail,
        status,
        latency: Duration::ZERO,
        trace: req.header(TRACE_HEADER).map(|t| t.chars().take(128).collect()),
        retry: out.retry,
        warning,
        capture,
        forwarded,
        replay_of: None,
    };
    (resp, log)
}

/// Writes a new file 0600: a capture of `integration.create` holds a webhook secret.
fn write_private(path: &Path, raw: &[u8]) -> std::io::Result<()> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    store::private_mode(&mut o);
    std::io::Write::write_all(&mut o.open(path)?, raw)
}

fn sanitize(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

fn not_allowed(allow: &'static str) -> Outcome {
    Outcome {
        allow: Some(allow),
        ..Outcome::refuse(405, "method-not-allowed", format!("only {allow} is allowed here"))
    }
}

/// `{"connections": [{connection_id, webhook_url, webhook_secret_fingerprint, webhook_secret
/// (masked unless shown), project, user, created_at}]}`.
fn connections_json(shared: &Shared, show_secrets: bool) -> Value {
    let list: Vec<Value> = shared
        .store
        .list()
        .into_iter()
        .map(|c| {
            json!({
                "connection_id": c.connection_id,
                "webhook_url": format!("{}/webhooks/{}", shared.base_url, c.connection_id),
                "webhook_secret_fingerprint": c.webhook_secret.fingerprint(),
                "webhook_secret": if show_secrets { c.webhook_secret.expose().to_string() } else { c.webhook_secret.masked() },
                "project": c.project,
                "user": c.user,
                "created_at": crate::protocol::time::format_utc(c.created_at),
            })
        })
        .collect();
    json!({ "connections": list })
}

/// Signature and trace checks shared by the config URL and webhook URLs (protocol.md §7): the
/// refusal, or `None` when the request is verified.
fn refuse_unsigned(secret: &Secret, req: &Request, tolerance: u64) -> Option<Outcome> {
    let sig = req.header(SIGNATURE_HEADER);
    if sig.is_none() {
        return Some(Outcome::refuse(401, "missing-header", format!("no {SIGNATURE_HEADER} header")));
    }
    if req.header(TRACE_HEADER).is_none() {
        return Some(Outcome::refuse(401, "missing-trace", format!("no {TRACE_HEADER} header")));
    }
    signature::verify(secret, sig, &req.body, now_unix(), tolerance)
        .err()
        .map(|r| Outcome::refuse(r.reason.http_status(), r.reason.code(), r.detail))
}

/// A verified body that is not a known event: 204 so Top.gg does not retry, with a warning.
fn unparseable(body: &[u8], err: serde_json::Error) -> Outcome {
    let Ok(text) = std::str::from_utf8(body) else {
        return Outcome::ok(204).warn("verified, but the body is not UTF-8");
    };
    match serde_json::from_str::<Value>(text) {
        Err(_) => Outcome::ok(204).warn(format!("verified, but the body is not JSON: {err}")),
        Ok(v) => {
            // The type reaches terminals through the log: no control characters, bounded length.
            let t = v
                .get("type")
                .and_then(Value::as_str)
                .map(|t| t.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect::<String>());
            let w = match &t {
                Some(t) if !crate::protocol::payload::EVENT_TYPES.contains(&t.as_str()) => {
                    format!("verified, unknown event type {t:?}")
                }
                Some(t) => format!("verified, but the {t} payload does not match the model: {err}"),
                None => "verified, but the body has no \"type\"".to_string(),
            };
            Outcome { event: t, ..Outcome::ok(204).warn(w) }
        }
    }
}

fn config_url(shared: &Shared, req: &Request) -> Outcome {
    if let Some(o) = refuse_unsigned(&shared.config.integration_secret, req, shared.config.tolerance) {
        return o;
    }
    let event = match serde_json::from_slice::<Event>(&req.body) {
        Ok(e) => e,
        Err(e) => return unparseable(&req.body, e),
    };
    let name = event.type_name().to_string();
    match event {
        Event::IntegrationCreate(c) => {
            let id = c.connection_id.clone();
            if !valid_id(&id) {
                return Outcome {
                    event: Some(name),
                    ..Outcome::ok(204).warn(format!(
                        "verified, but connection_id {:?} cannot be part of a URL; nothing stored",
                        id.chars().take(40).collect::<String>()
                    ))
                };
            }
            let conn = Connection {
                connection_id: id.clone(),
                webhook_secret: Secret::new(c.webhook_secret),
                project: c.project,
                user: c.user,
                created_at: now_unix(),
            };
            match shared.store.put(conn) {
                Ok(replaced) => Outcome {
                    body: Some(json!({
                        "webhook_url": format!("{}/webhooks/{id}", shared.base_url),
                        "routes": shared.config.routes,
                    })),
                    event: Some(name),
                    connection: Some(id),
                    retry: replaced,
                    ..Outcome::ok(200)
                },
                Err(e) => store_failed(shared, name, id, &e),
            }
        }
        Event::IntegrationDelete(d) => {
            let id = d.connection_id;
            match shared.store.remove(&id) {
                Ok(true) => Outcome { event: Some(name), connection: Some(id), ..Outcome::ok(204) },
                Ok(false) => Outcome {
                    event: Some(name),
                    connection: Some(id),
                    detail: Some("unknown connection (already deleted?)".into()),
                    ..Outcome::ok(204)
                },
                Err(e) => store_failed(shared, name, id, &e),
            }
        }
        other => Outcome {
            event: Some(name),
            ..Outcome::ok(204).warn(format!("{} belongs at a webhook URL, not the config URL", other.type_name()))
        },
    }
}

/// 500: the change could not be made durable, so it is not acknowledged (Top.gg will retry).
fn store_failed(shared: &Shared, event: String, id: String, e: &std::io::Error) -> Outcome {
    Outcome {
        event: Some(event),
        connection: Some(id),
        ..Outcome::refuse(
            500,
            "store-failed",
            format!("could not write the connection store {}: {e}", shared.store.path().display()),
        )
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn webhook(shared: &Shared, req: &Request, id: &str) -> Outcome {
    let Some(secret) = shared.store.secret_of(id) else {
        return Outcome {
            connection: Some(id.chars().take(128).collect()),
            ..Outcome::refuse(
                404,
                "unknown-connection",
                format!("no connection {id:?} (create it with integration.create first)"),
            )
        };
    };
    let connection = Some(id.to_string());
    if let Some(o) = refuse_unsigned(&secret, req, shared.config.tolerance) {
        return Outcome { connection, ..o };
    }
    let event = match serde_json::from_slice::<Event>(&req.body) {
        Ok(e) => e,
        Err(e) => return Outcome { connection, ..unparseable(&req.body, e) },
    };
    let name = Some(event.type_name().to_string());
    match event {
        Event::VoteCreate(v) => {
            let retry = shared.store.see_vote(&v.id);
            Outcome { event: name, connection, retry, ..Outcome::ok(204) }
        }
        Event::WebhookTest(_) => Outcome { event: name, connection, ..Outcome::ok(204) },
        other => Outcome {
            event: name,
            connection,
            ..Outcome::ok(204).warn(format!("{} belongs at the config URL, not a webhook URL", other.type_name()))
        },
    }
}

fn legacy(shared: &Shared, req: &Request) -> Outcome {
    let Some(expected) = &shared.config.legacy_secret else {
        return Outcome::refuse(404, "not-found", "legacy webhooks are off (start serve with --legacy-secret)");
    };
    let Some(given) = req.header("authorization") else {
        return Outcome::refuse(401, "missing-header", "no Authorization header");
    };
    if !constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
        return Outcome::refuse(401, "unauthorized", "the Authorization header does not match --legacy-secret");
    }
    let kind = serde_json::from_slice::<Value>(&req.body).ok().map(|v| crate::protocol::payload::classify(&v));
    match kind {
        Some(
            k
            @ (crate::protocol::payload::PayloadKind::LegacyBot | crate::protocol::payload::PayloadKind::LegacyServer),
        ) => Outcome { event: Some(k.name().to_string()), ..Outcome::ok(200) },
        Some(_) => Outcome::ok(200).warn("authorized, but the body is not a legacy bot or server vote"),
        None => Outcome::ok(200).warn("authorized, but the body is not JSON"),
    }
}

/// Compares the SHA-256 of both sides in constant time, so neither content nor length leaks.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"x", b"x"));
        assert!(!constant_time_eq(b"x", b"xy"));
    }
}
