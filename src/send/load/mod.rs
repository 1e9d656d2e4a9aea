//! The load engine behind `simulate vote --count N`: N deliveries, C in flight, optionally paced,
//! each with Top.gg's timeout and retry schedule. Nothing here prints; callers watch a counter.
//!
//! Plain `http://` targets run on event loops (one per [`CONNECTIONS_PER_LOOP`] connections, at
//! most one per CPU) over kept-alive sockets with the sans-IO HTTP of [`conn`], each vote
//! rendered from a [`votes::Template`] into the task's buffer: blocking threads cost a context
//! switch per request, and the point of load mode is to measure the receiver, not the sender
//! (`bench/simulate` prints its CPU per request next to wrk's resending one pre-signed request;
//! the goal is within 1.1x). Other targets (https, or a proxy configured) run on C threads
//! through the reqwest [`Client`].

use std::ops::Range;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::client::{AttemptError, Client, Request, Response, Transport};
use super::delivery::{RetryPolicy, deliver_until};
pub mod conn;
pub mod votes;

use super::target::host_port;
use crate::protocol::time::now_unix_nanos;
use crate::stop::Stop;
use conn::{AnswerReader, exchange};
use votes::{Template, Votes};

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
    /// Whether the last answer's body was longer than load mode reads (see [`conn::BODY_KEPT`]
    /// and [`conn::BODY_READ_MAX`]).
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

/// Connections one event loop serves before another is started (up to one loop per CPU). A loop
/// with few connections sleeps after nearly every answer, and each wake-up is a context switch:
/// 32 connections on one loop against `serve` on 2 CPUs cost 9.2–9.6 µs of client CPU per
/// request (0.21 context switches) against 11.7 µs (0.51) on two loops of 16, at the same
/// 34,000 requests/s, and the CPU a loop saves is left to a receiver on the same machine.
pub const CONNECTIONS_PER_LOOP: usize = 32;

/// What a run produced.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// One per finished delivery.
    pub samples: Vec<Sample>,
    /// Set when the run stopped early because every connection was refused: the first refusal.
    pub gave_up: Option<AttemptError>,
}

struct Shared {
    config: LoadConfig,
    client: Client,
    votes: Votes,
    /// The direct engine's way to write a vote (made once per run); `None` when it could not be
    /// made faithfully, and each vote is built the ordinary way.
    template: Option<Template>,
    /// Alone on its cache line: every vote takes a number, and the fields read per vote
    /// (`config`, `answered`, …) should not be invalidated with it.
    next: Padded<AtomicU64>,
    done: Arc<AtomicU64>,
    stop: Stop,
    /// `stop` as a flag read per vote: [`Stop::is_stopped`] takes a lock. Set by a task on each
    /// event loop that awaits the stop, and by the blocking engine, which asks before each vote.
    halted: AtomicBool,
    started: Instant,
    /// Some attempt got an answer (any status): refusals after that are the receiver's trouble
    /// under load, to be counted, not a reason to stop.
    answered: AtomicBool,
    refusals: AtomicU64,
    first_refusal: Mutex<Option<AttemptError>>,
}

impl Shared {
    /// The next delivery's number and, when paced, its slot; `None` when done. Numbers come from
    /// `next` in blocks kept in the caller's `block`, so the event loops do not contend for one
    /// counter on every vote: up to 16 while many are left, one at a time near the end (no task
    /// holds numbers while others idle) and always one at a time when paced.
    fn claim(&self, block: &mut Range<u64>) -> Option<(u64, Option<Instant>)> {
        let i = match block.next() {
            Some(i) => i,
            None => {
                let size = if self.config.rate.is_some() {
                    1
                } else {
                    let left = self.config.count.saturating_sub(self.next.0.load(Ordering::Relaxed));
                    (left / (self.config.concurrency as u64 * 8)).clamp(1, 16)
                };
                let start = self.next.0.fetch_add(size, Ordering::Relaxed);
                *block = start.saturating_add(1)..start.saturating_add(size);
                start
            }
        };
        if i >= self.config.count || self.halted.load(Ordering::Relaxed) || self.gave_up() {
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

    /// Room for the samples of `tasks` of the C tasks, so the lists rarely grow (each growth
    /// copies every sample so far); capped for runs bounded only by time.
    fn room(&self, tasks: usize) -> usize {
        let share = (self.config.count / self.config.concurrency.max(1) as u64).saturating_add(1);
        usize::try_from(share.saturating_mul(tasks as u64)).unwrap_or(usize::MAX).min(1 << 20)
    }

    /// Notes an attempt's result for the give-up rule.
    fn note(&self, result: &Result<Response, AttemptError>) {
        match result {
            // A load first: a store on every answer would bounce the line between the loops.
            Ok(_) if !self.answered.load(Ordering::Relaxed) => self.answered.store(true, Ordering::Relaxed),
            Ok(_) => {}
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
        self.stop.is_stopped() || self.refused_unanswered()
    }

    /// A connection was refused while nothing has answered yet.
    fn refused_unanswered(&self) -> bool {
        !self.answered.load(Ordering::Relaxed) && self.refusals.load(Ordering::Relaxed) > 0
    }
}

/// A value alone on its cache line (128 bytes covers adjacent-line prefetch).
#[repr(align(128))]
struct Padded<T>(T);

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
/// The votes' URL decides the engine (see the module doc).
pub fn run(
    config: LoadConfig,
    client: Client,
    votes: Votes,
    done: Arc<AtomicU64>,
    stop: Stop,
) -> Result<LoadResult, String> {
    let direct = conn::eligible(votes.url());
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = if direct {
        config.concurrency.div_ceil(CONNECTIONS_PER_LOOP).min(cpus).max(1)
    } else {
        config.concurrency.max(1)
    };
    let halted = AtomicBool::new(stop.is_stopped());
    let shared = Arc::new(Shared {
        config,
        client,
        template: if direct { votes.template() } else { None },
        votes,
        next: Padded(AtomicU64::new(0)),
        done,
        stop,
        halted,
        started: Instant::now(),
        answered: AtomicBool::new(false),
        refusals: AtomicU64::new(0),
        first_refusal: Mutex::new(None),
    });
    let mut samples = Vec::with_capacity(shared.room(shared.config.concurrency));
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
    let mut block = 0..0;
    loop {
        if sh.stop.is_stopped() {
            sh.halted.store(true, Ordering::Relaxed);
        }
        let Some((i, due)) = sh.claim(&mut block) else { break };
        if let Some(due) = due
            && sh.stop.sleep(due.saturating_duration_since(Instant::now()))
        {
            break;
        }
        let d = sh.votes.delivery(sh.votes.key(i));
        let report =
            deliver_until(&mut client, &d, &sh.config.policy, &mut |_| {}, &sh.stop, &|| sh.refused_unanswered());
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
        // Spawned first, so it listens before any vote starts; aborted when the loop's workers
        // are done (its JoinSet drops it).
        let mut watch = tokio::task::JoinSet::new();
        watch.spawn({
            let sh = sh.clone();
            async move {
                sh.stop.stopped().await;
                sh.halted.store(true, Ordering::Relaxed);
            }
        });
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            set.spawn(async_worker(sh.clone()));
        }
        let mut all = Vec::with_capacity(sh.room(tasks));
        while let Some(r) = set.join_next().await {
            all.extend(r.map_err(|e| format!("a load task failed: {e}"))?);
        }
        Ok(all)
    })
}

async fn async_worker(sh: Arc<Shared>) -> Vec<Sample> {
    let mut socket: Option<TcpStream> = None;
    let (mut out, mut reader, mut chunk) = (Vec::with_capacity(2048), AnswerReader::new(), vec![0; 16 * 1024]);
    let timeout = sh.client.timeout();
    // One timer per task, moved only when it fires before the attempt's deadline: re-arming a
    // timer for every attempt (tokio::time::timeout) cost a timer-wheel insert and remove each.
    let mut timer = pin!(tokio::time::sleep(timeout));
    let mut samples = Vec::with_capacity(sh.room(1));
    let mut block = 0..0;
    // Finished deliveries not yet added to `done`: adding each at once would contend with the
    // other loops on every vote. Published every 16, or when 50 ms have passed, and at the end.
    let (mut unpublished, mut published_at) = (0, Instant::now());
    let mut wall = WallClock::new();
    // When the last delivery ended: the next one starts right after it unless it waits for its
    // slot, so that reading serves as its start (one clock reading per vote fewer).
    let mut free_since = None;
    while let Some((i, due)) = sh.claim(&mut block) {
        if let Some(due) = due {
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => {}
                _ = sh.stop.stopped() => break,
            }
        }
        let started = match (due, free_since) {
            (None, Some(end)) => end,
            _ => Instant::now(),
        };
        let (key, first_t) = sh.votes.begin_at(i, wall.unix_nanos_at(started));
        let url = sh.votes.url();
        let mut attempts = 0;
        let mut cut;
        // The schedule of delivery::deliver (RetryPolicy::next_wait): fresh t per attempt, same
        // body and trace.
        let result = loop {
            attempts += 1;
            cut = false;
            let now = if attempts == 1 { started } else { Instant::now() };
            let t = first_t + (now - started).as_secs() as i64;
            match &sh.template {
                Some(template) => template.render(key, t, &mut out),
                None => conn::encode(&sh.votes.delivery(key).request_at(t), &mut out),
            }
            let deadline = now + timeout;
            let answer = {
                let mut exchanged = pin!(exchange(&mut socket, url, &out, &mut reader, &mut chunk, now));
                loop {
                    tokio::select! {
                        biased;
                        r = &mut exchanged => break Some(r),
                        () = timer.as_mut() => {
                            if Instant::now() >= deadline {
                                break None;
                            }
                            timer.as_mut().reset(deadline.into());
                        }
                    }
                }
            };
            let res = match answer {
                Some(r) => r.map(|a| {
                    cut = a.cut;
                    a.response
                }),
                None => {
                    socket = None;
                    Err(AttemptError::Timeout { after: timeout, target: host_port(url) })
                }
            };
            sh.note(&res);
            if let Some(wait) = sh.config.policy.next_wait(attempts, &res)
                && !sh.stop_retrying()
            {
                tokio::select! {
                    () = tokio::time::sleep(wait) => continue,
                    _ = sh.stop.stopped() => {}
                }
            }
            break res;
        };
        let result = result.map(|r| r.status);
        let end = Instant::now();
        let from_schedule = due.map(|d| end.saturating_duration_since(d));
        samples.push(Sample { result, attempts, elapsed: end - started, from_schedule, cut });
        free_since = Some(end);
        unpublished += 1;
        if unpublished >= 16 || end - published_at >= PUBLISH_EVERY {
            sh.done.fetch_add(unpublished, Ordering::Relaxed);
            (unpublished, published_at) = (0, end);
        }
    }
    sh.done.fetch_add(unpublished, Ordering::Relaxed);
    samples
}

/// The wall clock read through the monotonic one, for vote ids and `t`: the system time is read
/// once a second per task, not for every vote (reading and converting it cost as much as
/// rendering the vote). Within that second the two clocks agree to well under a millisecond.
struct WallClock {
    unix_nanos: i128,
    at: Instant,
}

impl WallClock {
    fn new() -> Self {
        WallClock { unix_nanos: now_unix_nanos(), at: Instant::now() }
    }

    /// The Unix time in nanoseconds at `now`: the system time last read, moved on by the
    /// monotonic clock.
    fn unix_nanos_at(&mut self, now: Instant) -> i128 {
        let since = now.saturating_duration_since(self.at);
        if since >= Duration::from_secs(1) {
            *self = WallClock { unix_nanos: now_unix_nanos(), at: now };
            return self.unix_nanos;
        }
        self.unix_nanos + since.as_nanos() as i128
    }
}

/// How stale the count of finished deliveries may get (the progress bar redraws every 50 ms).
const PUBLISH_EVERY: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests;
