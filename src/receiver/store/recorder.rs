//! The store's recorder thread: seen vote ids and history rows, written after the fact in batches
//! on a database connection of its own.
//!
//! The connection is opened at `synchronous=NORMAL` once (see the store's module comment for why),
//! so a batch changes no pragma, and connection changes (on the store's own connection, at FULL)
//! never wait behind the recorder's lock, only behind SQLite's write lock for one batch. One
//! transaction per batch: records gather for [`GATHER`] after the first (a flush skips the wait),
//! up to [`MAX_BATCH`] records or a byte budget. The history is trimmed before a batch is inserted,
//! and only when the batch would cross the bound (lazily: down to seven eighths of it).
//!
//! Nothing is dropped silently: the hand-over queue is bounded in bytes ([`Queue`]) and a record
//! that does not fit is counted; a batch that meets a busy or locked database is retried
//! ([`ATTEMPTS`] times, each waiting up to the connection's busy timeout) and then counted. Each
//! count is said once through the store's notice callback and shown by `/health` and the inspector.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver as Rx, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior};

use super::SEEN_VOTES;
use super::history;
use crate::receiver::record::Record;

/// What the recorder is handed.
pub(super) enum Queued {
    Vote(String),
    History(Box<Record>),
    Flush(SyncSender<()>),
}

impl Queued {
    /// The bytes it holds, for the queue's bound.
    pub(super) fn bytes(&self) -> usize {
        match self {
            Queued::Vote(id) => 64 + id.len(),
            Queued::History(r) => history::row_bytes(r),
            Queued::Flush(_) => 0,
        }
    }
}

/// Says a problem once, as one sentence (serve prints it on stderr).
pub type NoticeFn = Arc<dyn Fn(&str) + Send + Sync>;

/// The hand-over between the request path and the recorder: bytes queued, and what was dropped.
pub(super) struct Queue {
    /// Bytes handed over and not yet written.
    pub queued: AtomicUsize,
    /// The most bytes that may wait.
    pub cap: usize,
    /// Records dropped because the queue was full.
    pub dropped_full: AtomicU64,
    /// Records dropped because the database refused them (busy past the retries, full disk).
    pub dropped_failed: AtomicU64,
    /// Where the recorder says what it dropped.
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
/// The most records one transaction writes.
const MAX_BATCH: usize = 4096;
/// How many times a batch meets a busy or locked database before it is dropped (and counted).
pub(super) const ATTEMPTS: u32 = 4;
/// The recorder connection's busy timeout: each attempt waits this long for SQLite's write lock.
pub(super) const RECORDER_BUSY: Duration = Duration::from_millis(500);

/// The recorder's bounds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    /// `--history` rows (0: no history).
    pub rows: usize,
    /// `--history-bytes`.
    pub bytes: u64,
}

impl Bounds {
    /// The bytes the rows may take: the rest of the bound is left to the WAL and page slack.
    fn rows_bytes(&self) -> u64 {
        self.bytes / 8 * 5
    }

    /// The most bytes one batch gathers (and the WAL grows by between checkpoints).
    pub(super) fn batch_bytes(&self) -> u64 {
        (self.bytes / 16).max(64 * 1024)
    }
}

/// Opens the recorder's own connection to the store's database.
pub(super) fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = rusqlite::Connection::open_with_flags(path, flags)?;
    c.busy_timeout(RECORDER_BUSY)?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(c)
}

/// Writes queued records in batches, one transaction each, until the store closes. `stored` is
/// the history's size at open ([`history::stored_bytes`]).
pub(super) fn record_loop(mut c: rusqlite::Connection, rx: &Rx<Queued>, q: &Queue, bounds: Bounds, mut stored: u64) {
    if let Err(e) = shrink(&c, bounds, &mut stored) {
        q.say(&format!("the history could not be brought within --history-bytes at start: {}", reason(&e)));
    }
    let mut batch = Vec::new();
    let mut since_checkpoint = 0u64;
    let (mut said_full, mut said_failed) = (0u64, 0u64);
    while let Ok(first) = rx.recv() {
        let flush = matches!(first, Queued::Flush(_));
        let mut bytes = first.bytes() as u64;
        batch.push(first);
        if !flush {
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
        let records = batch.iter().filter(|r| !matches!(r, Queued::Flush(_))).count() as u64;
        let mut attempt = 1;
        loop {
            match write_batch(&mut c, &batch, bounds, &mut stored) {
                Ok(()) => break,
                Err(e) if busy(&e) && attempt < ATTEMPTS => attempt += 1,
                Err(e) => {
                    q.dropped_failed.fetch_add(records, Ordering::Relaxed);
                    let total = q.dropped_failed.load(Ordering::Relaxed);
                    said_failed = total;
                    q.say(&format!(
                        "{records} history record{} (rows and seen vote ids) not written after {attempt} attempt{}: \
                         {} ({total} dropped so far; see /health)",
                        plural(records),
                        plural(u64::from(attempt)),
                        reason(&e)
                    ));
                    break;
                }
            }
        }
        q.queued.fetch_sub(bytes as usize, Ordering::AcqRel);
        since_checkpoint += bytes;
        if since_checkpoint > bounds.batch_bytes() * 2 {
            // The WAL keeps its largest size unless truncated: bring it back to nothing, so the
            // data dir stays within the bound. Fails harmlessly while another reader holds it.
            since_checkpoint = 0;
            let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let full = q.dropped_full.load(Ordering::Relaxed);
        if full > said_full {
            q.say(&format!(
                "{} history record{} dropped: the recorder is {} KiB behind, its queue's bound ({full} dropped so far; see /health)",
                full - said_full,
                plural(full - said_full),
                q.cap / 1024
            ));
            said_full = full;
        }
        let _ = said_failed;
        for r in batch.drain(..) {
            if let Queued::Flush(done) = r {
                let _ = done.send(());
            }
        }
    }
}

/// A history over the bound at start (a lower `--history-bytes` than last time) is trimmed, and
/// the file compacted, so the data dir is within the bound from the start. Runs on this thread:
/// records queue meanwhile, the receiver does not wait.
fn shrink(c: &rusqlite::Connection, bounds: Bounds, stored: &mut u64) -> rusqlite::Result<()> {
    let limit = bounds.rows_bytes();
    if *stored <= limit {
        return Ok(());
    }
    let goal = limit / 8 * 7;
    *stored -= history::trim_bytes(c, *stored - goal)?.min(*stored);
    c.execute_batch("VACUUM")?;
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
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

fn write_batch(
    c: &mut rusqlite::Connection,
    batch: &[Queued],
    bounds: Bounds,
    stored: &mut u64,
) -> rusqlite::Result<()> {
    let (mut votes, mut rows, mut incoming) = (false, 0usize, 0u64);
    for r in batch {
        match r {
            Queued::Vote(_) => votes = true,
            Queued::History(e) => {
                rows += 1;
                incoming += history::row_bytes(e) as u64;
            }
            Queued::Flush(_) => {}
        }
    }
    if !votes && rows == 0 {
        return Ok(());
    }
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut now = *stored;
    if rows > 0 {
        // Trimmed before the insert, so the file never holds the batch on top of a full history;
        // lazily, to seven eighths of the bound, so most batches delete nothing.
        let limit = bounds.rows_bytes();
        if now + incoming > limit {
            let goal = limit / 8 * 7;
            now -= history::trim_bytes(&tx, (now + incoming).saturating_sub(goal))?.min(now);
        }
    }
    for r in batch {
        match r {
            Queued::Vote(id) => {
                tx.prepare_cached("INSERT OR IGNORE INTO seen_votes (vote_id) VALUES (?1)")?.execute([id])?;
            }
            Queued::History(e) => history::insert(&tx, e)?,
            Queued::Flush(_) => {}
        }
    }
    now += incoming;
    if votes {
        tx.prepare_cached("DELETE FROM seen_votes WHERE seq <= (SELECT max(seq) FROM seen_votes) - ?1")?
            .execute([SEEN_VOTES as i64])?;
    }
    if rows > 0 {
        now -= history::trim_rows(&tx, bounds.rows)?.min(now);
    }
    tx.commit()?;
    *stored = now;
    Ok(())
}
