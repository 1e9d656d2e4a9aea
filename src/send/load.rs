//! The load engine behind `simulate vote --count N`: N deliveries, C in flight, optionally paced,
//! each with Top.gg's timeout and retry schedule. Nothing here prints; callers watch a counter.
//!
//! Plain `http://` targets run on event loops (one per CPU, up to C) over kept-alive sockets with
//! the sans-IO HTTP of [`super::direct`]: blocking threads cost a context switch per request, and
//! the point of load mode is to measure the receiver, not the sender. Other targets (https, or a
//! proxy configured) run on C threads through the reqwest [`Client`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::delivery::{
    AttemptError, Client, Delivery, Request, Response, RetryPolicy, Transport, Url, deliver, describe_target,
};
use super::direct::{self, AnswerReader, Progress};
use crate::stop::Stop;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Deliveries in all.
    pub count: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// At most this many deliveries started per second.
    pub rate: Option<f64>,
    /// Start no delivery after this long.
    pub duration: Option<Duration>,
    /// Retries per delivery.
    pub policy: RetryPolicy,
}

/// How one delivery ended.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The last attempt's status, or why it got none.
    pub result: Result<u16, AttemptError>,
    /// Attempts made.
    pub attempts: u32,
    /// From the first attempt to the end of the last, waits included.
    pub elapsed: Duration,
    /// With a rate: from the time the delivery was due to start (its slot in the schedule) to its
    /// end. A receiver that stalls delays the deliveries queued behind it; measuring from the
    /// actual start would leave that wait out (coordinated omission).
    pub from_schedule: Option<Duration>,
    /// Whether the last answer's body was longer than load mode reads (see [`direct::BODY_KEPT`]
    /// and [`direct::BODY_READ_MAX`]).
    pub cut: bool,
}

impl Sample {
    /// Whether the delivery was acknowledged (2xx).
    pub fn acknowledged(&self) -> bool {
        matches!(self.result, Ok(s) if (200..300).contains(&s))
    }
}

/// After this many refused connections without a single answer the target is taken to be down:
/// the run stops instead of waiting out every retry of every delivery.
pub const REFUSALS_BEFORE_GIVING_UP: u64 = 3;

/// What a run produced.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// One per finished delivery.
    pub samples: Vec<Sample>,
    /// Set when the run stopped early because every connection was refused: the first refusal.
    pub gave_up: Option<AttemptError>,
}

/// Builds delivery number `i` (its own body, trace and signing).
pub type MakeDelivery = dyn Fn(u64) -> Delivery + Send + Sync;

struct Shared {
    config: LoadConfig,
    client: Client,
    make: Arc<MakeDelivery>,
    next: AtomicU64,
    done: Arc<AtomicU64>,
    stop: Stop,
    started: Instant,
    /// Some attempt got an answer (any status): refusals after that are the receiver's trouble
    /// under load, to be counted, not a reason to stop.
    answered: AtomicBool,
    refusals: AtomicU64,
    first_refusal: Mutex<Option<AttemptError>>,
}

impl Shared {
    /// The next delivery's number, after waiting for its slot when paced; `None` when done.
    fn claim(&self) -> Option<(u64, Option<Instant>)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.config.count || self.stop.is_stopped() || self.gave_up() {
            return None;
        }
        let due = self.config.rate.map(|r| self.started + Duration::from_secs_f64(i as f64 / r));
        if let Some(limit) = self.config.duration {
            let deadline = self.started + limit;
            if Instant::now() >= deadline || due.is_some_and(|d| d >= deadline) {
                return None;
            }
        }
        Some((i, due))
    }

    /// Notes an attempt's result for the give-up rule.
    fn note(&self, result: &Result<Response, AttemptError>) {
        match result {
            Ok(_) => self.answered.store(true, Ordering::Relaxed),
            Err(e @ AttemptError::Connect { .. }) => {
                self.refusals.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_refusal.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| e.clone());
            }
            Err(_) => {}
        }
    }

    /// Nothing was ever answered and connections keep being refused: the target is down.
    fn gave_up(&self) -> bool {
        !self.answered.load(Ordering::Relaxed) && self.refusals.load(Ordering::Relaxed) >= REFUSALS_BEFORE_GIVING_UP
    }

    /// Whether a delivery should stop retrying: Ctrl-C, or a refusal while nothing has answered
    /// yet (the next delivery tries again at once, and a few of those decide).
    fn stop_retrying(&self) -> bool {
        self.stop.is_stopped() || (!self.answered.load(Ordering::Relaxed) && self.refusals.load(Ordering::Relaxed) > 0)
    }
}

/// The reqwest client, reporting each attempt to [`Shared::note`].
struct Watched<'a> {
    client: Client,
    shared: &'a Shared,
}

impl Transport for Watched<'_> {
    fn send(&mut self, req: &Request) -> Result<Response, AttemptError> {
        let result = self.client.send(req);
        self.shared.note(&result);
        result
    }
}

/// Runs the load; `done` counts finished deliveries as they end. Once `stop` is stopped no
/// delivery starts, waits for a slot or a retry end at once, and those in flight finish.
/// `url` decides the engine (see the module doc).
pub fn run(
    config: LoadConfig,
    client: Client,
    url: &Url,
    make: Arc<MakeDelivery>,
    done: Arc<AtomicU64>,
    stop: Stop,
) -> Result<LoadResult, String> {
    let direct = direct::eligible(url);
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = if direct { cpus.min(config.concurrency).max(1) } else { config.concurrency.max(1) };
    let shared = Arc::new(Shared {
        config,
        client,
        make,
        next: AtomicU64::new(0),
        done,
        stop,
        started: Instant::now(),
        answered: AtomicBool::new(false),
        refusals: AtomicU64::new(0),
        first_refusal: Mutex::new(None),
    });
    let mut samples = Vec::new();
    let results: Vec<Result<Vec<Sample>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let sh = shared.clone();
                // Spread C connections over the threads: the first ones take the remainder.
                let c = sh.config.concurrency;
                let tasks = c / threads + usize::from(k < c % threads);
                scope.spawn(move || if direct { event_loop(sh, tasks) } else { Ok(blocking_worker(&sh)) })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a load worker panicked".into()))).collect()
    });
    for r in results {
        samples.extend(r?);
    }
    let stopped_early = (samples.len() as u64) < shared.config.count && shared.gave_up();
    let gave_up =
        if stopped_early { shared.first_refusal.lock().unwrap_or_else(|p| p.into_inner()).clone() } else { None };
    Ok(LoadResult { samples, gave_up })
}

fn blocking_worker(sh: &Shared) -> Vec<Sample> {
    let mut client = Watched { client: sh.client.clone(), shared: sh };
    let mut out = Vec::new();
    while let Some((i, due)) = sh.claim() {
        if let Some(due) = due
            && sh.stop.sleep(due.saturating_duration_since(Instant::now()))
        {
            break;
        }
        let d = (sh.make)(i);
        let report = deliver(&mut client, &d, &sh.config.policy, &mut |_| {}, &|| sh.stop_retrying());
        let result = match &report.last().result {
            Ok(r) => Ok(r.status),
            Err(e) => Err(e.clone()),
        };
        let from_schedule = due.map(|d| d.elapsed());
        out.push(Sample {
            result,
            attempts: report.attempts.len() as u32,
            elapsed: report.elapsed,
            from_schedule,
            cut: false,
        });
        sh.done.fetch_add(1, Ordering::Relaxed);
    }
    out
}

fn event_loop(sh: Arc<Shared>, tasks: usize) -> Result<Vec<Sample>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the load engine: {e}"))?;
    rt.block_on(async move {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            set.spawn(async_worker(sh.clone()));
        }
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            all.extend(r.map_err(|e| format!("a load task failed: {e}"))?);
        }
        Ok(all)
    })
}

async fn async_worker(sh: Arc<Shared>) -> Vec<Sample> {
    let mut conn: Option<TcpStream> = None;
    let (mut out, mut reader, mut chunk) = (Vec::with_capacity(2048), AnswerReader::new(), vec![0; 16 * 1024]);
    let timeout = sh.client.timeout();
    let mut samples = Vec::new();
    while let Some((i, due)) = sh.claim() {
        if let Some(due) = due {
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => {}
                _ = sh.stop.stopped() => break,
            }
        }
        let d = (sh.make)(i);
        let started = Instant::now();
        let first_t = d.first_timestamp();
        let mut attempts = 0;
        let mut cut;
        // The same schedule as delivery::deliver: fresh t per attempt, same body and trace.
        let result = loop {
            attempts += 1;
            cut = false;
            let req = d.request_at(first_t + started.elapsed().as_secs() as i64);
            direct::encode(&req, &mut out);
            let exchanged = exchange(&mut conn, &req.url, &out, &mut reader, &mut chunk);
            let res = match tokio::time::timeout(timeout, exchanged).await {
                Ok(r) => r.map(|a| {
                    cut = a.cut;
                    a.response
                }),
                Err(_) => {
                    conn = None;
                    Err(AttemptError::Timeout { after: timeout, target: host_port(&req.url) })
                }
            };
            sh.note(&res);
            if attempts <= sh.config.policy.retries && sh.config.policy.wants_retry(&res) && !sh.stop_retrying() {
                tokio::select! {
                    () = tokio::time::sleep(sh.config.policy.delay(attempts)) => continue,
                    _ = sh.stop.stopped() => {}
                }
            }
            break res;
        };
        let result = result.map(|r| r.status);
        let from_schedule = due.map(|d| d.elapsed());
        samples.push(Sample { result, attempts, elapsed: started.elapsed(), from_schedule, cut });
        sh.done.fetch_add(1, Ordering::Relaxed);
    }
    samples
}

fn host_port(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(80))
}

async fn connect(url: &Url) -> Result<TcpStream, AttemptError> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| AttemptError::Connect { target: describe_target(url), reason: crate::error::io_reason(&e) })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// An answer as load mode keeps it: the response, and whether its body was cut
/// (see [`direct::AnswerReader`]).
struct Answer {
    response: Response,
    cut: bool,
}

/// Sends the encoded request `out` and reads one answer, skipping interim 1xx answers. A
/// kept-alive socket the server closed meanwhile gets one retry on a fresh socket, as browsers do.
async fn exchange(
    conn: &mut Option<TcpStream>,
    url: &Url,
    out: &[u8],
    reader: &mut AnswerReader,
    chunk: &mut [u8],
) -> Result<Answer, AttemptError> {
    let failed = |what: &str, e: &std::io::Error| {
        AttemptError::Other(format!("{what} {} failed: {}", describe_target(url), crate::error::io_reason(e)))
    };
    'fresh: for fresh in [false, true] {
        let reused = conn.is_some() && !fresh;
        let mut stream = match conn.take() {
            Some(s) if !fresh => s,
            _ => connect(url).await?,
        };
        let started = Instant::now();
        if let Err(e) = stream.write_all(out).await {
            if reused {
                continue 'fresh;
            }
            return Err(failed("sending to", &e));
        }
        reader.reset();
        loop {
            let n = match stream.read(chunk).await {
                Ok(n) => n,
                Err(_) if reused && reader.untouched() => continue 'fresh,
                Err(e) => return Err(failed("reading the answer from", &e)),
            };
            if n == 0 && reused && reader.untouched() {
                continue 'fresh;
            }
            match reader.push(&chunk[..n], n == 0) {
                Progress::Incomplete => {}
                Progress::Done(p) => {
                    if p.keep_alive {
                        *conn = Some(stream);
                    }
                    let response = Response {
                        status: p.status,
                        headers: p.headers,
                        body: p.body,
                        truncated: p.cut,
                        latency: started.elapsed(),
                    };
                    return Ok(Answer { response, cut: p.cut });
                }
                Progress::Invalid(e) => return Err(AttemptError::Other(format!("{} {e}", describe_target(url)))),
            }
        }
    }
    Err(AttemptError::Closed { target: describe_target(url) })
}
