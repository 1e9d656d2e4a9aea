//! The journal: the one thread that, after the answers, writes each batch of answered requests:
//! their log lines (in one `write`), their history frames (in one `write`, see [`super::history`])
//! and the fresh seen vote ids (one SQLite transaction).
//!
//! The request path hands over the owned [`Record`] without waiting ([`Queue`]: bounded in bytes;
//! a record that does not fit is dropped and counted). The journal wakes per batch: records gather
//! for [`GATHER`] after the first (a flush skips the wait), up to [`MAX_BATCH`] records or a byte
//! budget; it formats the batch's log lines into one buffer with the caller's [`Log`] (a held log
//! keeps them until it is opened), writes the buffer, appends the batch to the history, then writes
//! the vote ids on a database connection of its own, opened at `synchronous=NORMAL` once (see the
//! store's module comment for why), so a batch changes no pragma, and connection changes (on the
//! store's own connection, at FULL) never wait behind the journal's lock, only behind SQLite's
//! write lock for one short transaction of vote ids.
//!
//! Nothing is dropped silently: vote ids that meet a busy or locked database are kept and tried
//! again at the next commit, while the log and the history go on (a lock held by another process
//! never holds up the log), until the database has refused them for [`GIVE_UP`]; then they are
//! dropped and counted, as are history frames the disk refused; each count is said once through the store's
//! notice callback and shown by `/health` and the inspector. It never writes to a terminal itself:
//! what `out` does with the bytes is the caller's (serve's hands them to a thread of its own, so a
//! stalled stdout never stalls this one).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver as Rx, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior};

use super::SEEN_VOTES;
use super::history::{self, History};
use crate::receiver::record::{Log, Record};

/// What the journal is handed.
pub(super) enum Queued {
    /// A seen vote id to remember across restarts.
    Vote(String),
    /// An answered request: logged, and kept in the history when it has an id.
    Record(Box<Record>),
    /// Answered once everything handed over before it is written.
    Flush(SyncSender<()>),
    /// The request log from now on.
    Log(Log),
    /// Held log lines may be written now.
    OpenLog,
    /// Write what is queued and end.
    Close,
    /// What is left once the journal took a message's content.
    Taken,
}

impl Queued {
    /// The bytes it holds, for the queue's bound.
    pub(super) fn bytes(&self) -> usize {
        match self {
            Queued::Vote(id) => 64 + id.len(),
            Queued::Record(r) => history::row_bytes(r),
            Queued::Flush(_) | Queued::Log(_) | Queued::OpenLog | Queued::Close | Queued::Taken => 0,
        }
    }
}

/// Says a problem once, as one sentence (serve prints it on stderr).
pub type NoticeFn = Arc<dyn Fn(&str) + Send + Sync>;

/// The hand-over between the request path and the journal: bytes queued, and what was dropped.
pub(super) struct Queue {
    /// Bytes handed over and not yet written.
    pub queued: AtomicUsize,
    /// The most bytes that may wait.
    pub cap: usize,
    /// Records dropped because the queue was full.
    pub dropped_full: AtomicU64,
    /// Records dropped because the database refused them (busy past the retries, full disk).
    pub dropped_failed: AtomicU64,
    /// Where the journal says what it dropped.
    pub notice: Mutex<Option<NoticeFn>>,
}

impl Queue {
    pub(super) fn new(cap: usize) -> Queue {
        Queue {
            queued: AtomicUsize::new(0),
            cap,
            dropped_full: AtomicU64::new(0),
            dropped_failed: AtomicU64::new(0),
            notice: Mutex::new(None),
        }
    }

    /// Reserves room for `bytes`; false (and counted as dropped) when the queue is full.
    pub(super) fn admit(&self, bytes: usize) -> bool {
        let before = self.queued.fetch_add(bytes, Ordering::AcqRel);
        if before.saturating_add(bytes) > self.cap && before > 0 {
            self.queued.fetch_sub(bytes, Ordering::AcqRel);
            self.dropped_full.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn say(&self, what: &str) {
        let f = self.notice.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(f) = f {
            f(what);
        }
    }
}

/// How long records gather after the first of a batch: woken for every record, the recorder wrote
/// batches of one or two under load (a commit, WAL frames and a futex wake per request).
const GATHER: Duration = Duration::from_millis(2);
/// The most records one batch takes (and vote ids one transaction writes).
const MAX_BATCH: usize = 4096;
/// How often seen vote ids are committed (a flush, and the store's close, commit at once): a
/// process killed between two commits forgets the ids of the last few milliseconds, so a Top.gg
/// retry of one of them is taken for a first delivery.
const VOTES_EVERY: Duration = Duration::from_millis(20);
/// How long vote ids are kept while the database refuses them (busy or locked) before they are
/// dropped (and counted).
pub(super) const GIVE_UP: Duration = Duration::from_secs(2);
/// The journal connection's busy timeout: each commit waits at most this long for SQLite's write
/// lock (a connection change holds it for one short transaction), then leaves its ids for the next.
const TRY_BUSY: Duration = Duration::from_millis(10);

/// Log lines held (a held [`Log`]) past this many bytes are dropped and counted: held only for the
/// moment between the receiver binding and its caller's first line.
const HELD_LINES: usize = 4 * 1024 * 1024;

/// The history's bounds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    /// `--history` rows (0: no history).
    pub rows: usize,
    /// `--history-bytes`.
    pub bytes: u64,
}

impl Bounds {
    /// The bytes the history's segment files may take: the rest of the bound is left to the
    /// database (connections, seen vote ids) and its WAL.
    pub(super) fn files_bytes(&self) -> u64 {
        self.bytes / 4 * 3
    }

    /// The size a segment file grows to before the next is started: the history is trimmed a
    /// segment at a time, a sixteenth of the bound.
    pub(super) fn segment_bytes(&self) -> u64 {
        (self.bytes / 16).max(64 * 1024)
    }

    /// The most bytes one batch gathers (and the WAL grows by between checkpoints).
    pub(super) fn batch_bytes(&self) -> u64 {
        (self.bytes / 16).max(64 * 1024)
    }
}

/// Opens the journal's own connection to the store's database.
pub(super) fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = rusqlite::Connection::open_with_flags(path, flags)?;
    c.busy_timeout(TRY_BUSY)?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(c)
}

/// Logs and writes queued records in batches until the store closes.
pub(super) fn run(mut c: rusqlite::Connection, rx: &Rx<Queued>, q: &Queue, bounds: Bounds, history: &History) {
    let mut batch = Vec::new();
    let mut votes = Votes::default();
    let mut last_votes = std::time::Instant::now();
    let mut frames: Vec<u8> = Vec::new();
    let mut log: Option<Log> = None;
    let mut lines: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut since_checkpoint = 0u64;
    let mut said_full = 0u64;
    let mut held_dropped = 0u64;
    let mut closing = false;
    while !closing {
        let next = if votes.ids.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(VOTES_EVERY.saturating_sub(last_votes.elapsed()))
        };
        let first = match next {
            Ok(first) => first,
            Err(RecvTimeoutError::Timeout) => {
                // Idle with vote ids not yet committed.
                votes.commit(&mut c, q, false);
                last_votes = std::time::Instant::now();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let wait = matches!(first, Queued::Record(_) | Queued::Vote(_));
        let mut bytes = first.bytes() as u64;
        batch.push(first);
        if wait {
            std::thread::sleep(GATHER);
        }
        while batch.len() < MAX_BATCH && bytes < bounds.batch_bytes() {
            match rx.try_recv() {
                Ok(r) => {
                    bytes += r.bytes() as u64;
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        // The log first: lines reach their reader before the history's disk writes.
        for r in &mut batch {
            match r {
                Queued::Record(rec) => {
                    if let Some(l) = log.as_mut() {
                        let before = lines.len();
                        (l.line)(rec, &mut lines);
                        if l.held && lines.len() > HELD_LINES {
                            lines.truncate(before);
                            held_dropped += 1;
                        }
                    }
                }
                Queued::Log(_) => {
                    if let Queued::Log(l) = std::mem::replace(r, Queued::Taken) {
                        log = Some(l);
                    }
                }
                Queued::OpenLog => {
                    if let Some(l) = log.as_mut() {
                        l.held = false;
                    }
                }
                Queued::Close => closing = true,
                Queued::Vote(_) | Queued::Flush(_) | Queued::Taken => {}
            }
        }
        if let Some(l) = log.as_mut().filter(|l| !l.held) {
            if !lines.is_empty() {
                // One write for the batch; a failing reader (a closed pipe) loses only its lines.
                let _ = l.out.write_all(&lines);
                let _ = l.out.flush();
                lines.clear();
            }
            if held_dropped > 0 {
                q.say(&format!(
                    "{held_dropped} log line{} dropped while the log was held before the first line",
                    plural(held_dropped)
                ));
                held_dropped = 0;
            }
        }
        append(history, &batch, bounds, q, &mut frames);
        let mut must = false;
        for r in &mut batch {
            match r {
                Queued::Vote(id) => {
                    since_checkpoint += 64 + id.len() as u64;
                    votes.ids.push(std::mem::take(id));
                }
                Queued::Flush(_) | Queued::Close => must = true,
                _ => {}
            }
        }
        // Vote ids are committed every VOTES_EVERY (and before a flush is answered): a transaction
        // per 2 ms batch was a quarter of the journal's CPU.
        if !votes.ids.is_empty() && (must || votes.ids.len() >= MAX_BATCH || last_votes.elapsed() >= VOTES_EVERY) {
            votes.commit(&mut c, q, false);
            last_votes = std::time::Instant::now();
        }
        q.queued.fetch_sub(bytes as usize, Ordering::AcqRel);
        if since_checkpoint > bounds.batch_bytes() * 2 {
            // The WAL keeps its largest size unless truncated: bring it back to nothing, so the
            // data dir stays within the bound. Fails harmlessly while another reader holds it.
            since_checkpoint = 0;
            let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let full = q.dropped_full.load(Ordering::Relaxed);
        if full > said_full {
            q.say(&format!(
                "{} record{} (log lines, history rows, seen vote ids) dropped: the journal is {} KiB behind, its \
                 queue's bound ({full} dropped so far; see /health)",
                full - said_full,
                plural(full - said_full),
                q.cap / 1024
            ));
            said_full = full;
        }
        for r in batch.drain(..) {
            if let Queued::Flush(done) = r {
                let _ = done.send(());
            }
        }
    }
    if !votes.ids.is_empty() {
        // The last chance: wait out what is left of GIVE_UP rather than leave them.
        votes.commit(&mut c, q, true);
    }
    // Lines still held when the store closes (a receiver stopped before its log was opened) are
    // written: they are the only record of those requests on the log.
    if let Some(l) = log.as_mut()
        && !lines.is_empty()
    {
        let _ = l.out.write_all(&lines);
        let _ = l.out.flush();
    }
}

/// Appends the batch's records that the history keeps (encoded in `frames`, kept from batch to
/// batch); what the disk refuses is counted and said.
fn append(history: &History, batch: &[Queued], bounds: Bounds, q: &Queue, frames: &mut Vec<u8>) {
    let rows: Vec<&Record> = batch
        .iter()
        .filter_map(|r| match r {
            Queued::Record(r) if kept(r, bounds) => Some(&**r),
            _ => None,
        })
        .collect();
    if let Err(e) = history.append(&rows, frames) {
        let n = rows.len() as u64;
        q.dropped_failed.fetch_add(n, Ordering::Relaxed);
        let total = q.dropped_failed.load(Ordering::Relaxed);
        q.say(&format!(
            "{n} history row{} not written: {} ({total} dropped so far; see /health)",
            plural(n),
            crate::error::io_reason(&e)
        ));
    }
}

/// Seen vote ids not yet committed, and since when the database has refused them.
#[derive(Default)]
struct Votes {
    ids: Vec<String>,
    refused_since: Option<std::time::Instant>,
    attempts: u32,
}

impl Votes {
    /// Commits the ids in one transaction. A busy or locked database keeps them for the next
    /// commit (`last`, the store closing: tried again until [`GIVE_UP`] is over) until it has
    /// refused them for [`GIVE_UP`]; then, as on any other error, they are dropped, counted and
    /// said.
    fn commit(&mut self, c: &mut rusqlite::Connection, q: &Queue, last: bool) {
        loop {
            self.attempts += 1;
            let e = match write_batch(c, &self.ids) {
                Ok(()) => return self.reset(),
                Err(e) => e,
            };
            let since = *self.refused_since.get_or_insert_with(std::time::Instant::now);
            if busy(&e) && since.elapsed() < GIVE_UP {
                if !last {
                    return;
                }
                std::thread::sleep(VOTES_EVERY);
                continue;
            }
            let n = self.ids.len() as u64;
            q.dropped_failed.fetch_add(n, Ordering::Relaxed);
            let total = q.dropped_failed.load(Ordering::Relaxed);
            q.say(&format!(
                "{n} seen vote id{} not written after {} attempt{} over {} ms: {} ({total} dropped so far; see \
                 /health)",
                plural(n),
                self.attempts,
                plural(u64::from(self.attempts)),
                since.elapsed().as_millis(),
                reason(&e)
            ));
            return self.reset();
        }
    }

    /// Done with the ids (written or dropped); the buffer is kept for the next.
    fn reset(&mut self) {
        self.ids.clear();
        self.refused_since = None;
        self.attempts = 0;
    }
}

/// Whether a record is kept in the history: it has an id (requests on the inspector's own port
/// are logged only) and the history is on.
fn kept(r: &Record, bounds: Bounds) -> bool {
    r.id != 0 && bounds.rows > 0
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the database.
pub(super) fn busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn reason(e: &rusqlite::Error) -> String {
    if busy(e) { "the database is locked by another process".into() } else { super::sql_reason(e) }
}

fn write_batch(c: &mut rusqlite::Connection, votes: &[String]) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for id in votes {
        tx.prepare_cached("INSERT OR IGNORE INTO seen_votes (vote_id) VALUES (?1)")?.execute([id])?;
    }
    tx.prepare_cached("DELETE FROM seen_votes WHERE seq <= (SELECT max(seq) FROM seen_votes) - ?1")?
        .execute([SEEN_VOTES as i64])?;
    tx.commit()
}
