//! The receiver's durable store and its integration secret, both in the data dir.
//!
//! Connections and seen vote ids are in one SQLite database, [`DB_FILE`] (WAL, `synchronous=FULL`,
//! `PRAGMA user_version` for the schema): tables `connections` and `seen_votes` (vote ids for retry
//! detection, the newest [`SEEN_VOTES`]). Each connection change is one short transaction,
//! committed (fsynced) before the caller acknowledges it. The request history is in segment files
//! beside it ([`history`], the directory [`history::DIR`]); the database's old `history` table is
//! emptied into them once, at open. Every answered request is handed to the journal thread
//! (`journal`), which writes its log line, its history frame and its seen vote id after the fact,
//! in batches, the vote ids on its own connection at `synchronous=NORMAL`: they are recorded after
//! the answer, an fsync per delivery would cap throughput, and a WAL commit at NORMAL (like a
//! write to a file) already survives the process being killed (only a power cut can lose the last
//! batch). They are queued without waiting, in a queue bounded in bytes: past it (a stalled disk, a
//! flood of large requests) records are dropped and counted ([`HistoryStats`]) rather than holding
//! up the receiver's async workers or its memory. The history is bounded in rows (`--history`) and
//! bytes (`--history-bytes`), and a request refused before verification keeps at most
//! [`REFUSED_BODY_KEPT`] bytes of its body. Connection changes wait at most [`BUSY_TIMEOUT`] for a
//! database another process holds, then fail (the create answers 500 well within Top.gg's 5 s).
//! Lookups are served from memory. A database that cannot be opened or is corrupt is an error
//! naming it; it is never replaced. Nothing here prints.
//!
//! Beside this file: [`history`] (the segment files and their index), `history_table` (the old
//! table, read once to move its rows), `journal` (the batch-writing thread), `seen` (the in-memory
//! vote ids), `schema` (opening: pragmas, schema, migrations, loading) and `files` (0600/0700
//! files, the integration secret, the data dir).

mod files;
pub mod history;
mod history_table;
mod journal;
mod schema;
mod seen;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{Sender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior, params};

pub use self::files::{
    LOCK_FILE, create_private_dir, default_data_dir, load_or_create_integration_secret, private_mode, write_durably,
};
use self::history::History;
pub use self::history::HistoryQuery;
pub use self::journal::NoticeFn;
use self::journal::{Bounds, Queue, Queued};
use self::seen::SeenVotes;
#[cfg(test)]
use super::record::Forwarded;
use super::record::{Log, Record};
use crate::error::{Error, Result, io_reason};
#[cfg(test)]
use crate::protocol::generate;
use crate::protocol::payload::{Project, User};
use crate::protocol::secret::Secret;
use crate::protocol::signature::Signer;

/// The database's file name inside the data dir.
pub const DB_FILE: &str = "topgg-int.db";
/// The generated integration secret's file name inside the data dir.
pub const SECRET_FILE: &str = "integration-secret";
/// How many vote ids are remembered for retry detection.
pub const SEEN_VOTES: usize = 100_000;
/// Longer vote ids are not remembered (a Top.gg vote id is a 19-digit snowflake), so a hostile
/// signed sender cannot grow the retry cache by megabytes per vote.
pub const MAX_VOTE_ID: usize = 128;
/// Requests kept in the history unless `serve --history` says otherwise.
pub const DEFAULT_HISTORY: usize = 10_000;
/// The most `serve --history` accepts.
pub const MAX_HISTORY: u64 = 10_000_000;
/// The history's bytes (its segment files take at most three quarters, leaving the rest to the
/// database file and its WAL, so the data dir stays within it) unless `serve --history-bytes` says otherwise: 64 MiB.
pub const DEFAULT_HISTORY_BYTES: u64 = 64 * 1024 * 1024;
/// The least `serve --history-bytes` accepts: 1 MiB.
pub const MIN_HISTORY_BYTES: u64 = 1024 * 1024;
/// How much of a refused request's body the history keeps (the rest is cut, and the row says how
/// long the whole body was): anyone who can reach the port can send refused requests.
pub const REFUSED_BODY_KEPT: usize = 64 * 1024;
/// How long a connection change waits for a database another process holds before it fails.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(2000);

/// One connection made by `integration.create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The connection's id (also the last segment of its webhook URL).
    pub connection_id: String,
    /// The secret that signs deliveries to it.
    pub webhook_secret: Secret,
    /// The connected project.
    pub project: Project,
    /// The user who connected it.
    pub user: User,
    /// When it was stored, Unix seconds.
    pub created_at: i64,
}

/// The connections (in memory for lookups, in SQLite for durability), the seen vote ids and the
/// request history.
pub struct Store {
    path: PathBuf,
    db: Arc<Mutex<rusqlite::Connection>>,
    map: RwLock<HashMap<String, Known>>,
    seen: Mutex<SeenVotes>,
    history_limit: usize,
    history_bytes: u64,
    queue: Arc<Queue>,
    /// The request history (segment files; the journal appends, reads come from any thread).
    rows: Arc<History>,
    /// The journal's end of the hand-over (unbounded in records, bounded in bytes by `queue`).
    tx: Sender<Queued>,
    journal: Mutex<Option<JoinHandle<()>>>,
    /// Set by [`Store::close`]: later records are dropped.
    closed: AtomicBool,
    next_id: AtomicI64,
    /// Holds the data dir's lock while the store is open.
    _lock: fs::File,
}

/// A connection in memory, with its webhook secret keyed into HMAC once.
struct Known {
    conn: Connection,
    signer: Arc<Signer>,
}

impl Known {
    fn new(conn: Connection) -> Known {
        let signer = Arc::new(Signer::new(conn.webhook_secret.clone()));
        Known { conn, signer }
    }
}

/// The history's bounds and its losses (`GET /health` shows them under `history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HistoryStats {
    /// `--history`: the most rows kept.
    pub rows: usize,
    /// `--history-bytes`: the most bytes kept.
    pub bytes: u64,
    /// Bytes handed to the journal and not yet written.
    pub queued_bytes: u64,
    /// The hand-over queue's bound in bytes.
    pub queue_bytes: u64,
    /// Records (history rows and seen vote ids) dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Records dropped because the database refused them (locked past the retries, disk full).
    pub dropped_write_failed: u64,
}

/// The signed `(t, v1)` of a state change, stored with it; pairs with a `t` before `forget_before`
/// (outside the replay window) are dropped in the same transaction.
#[derive(Debug, Clone, Copy)]
pub struct Signed {
    /// The signature's timestamp.
    pub t: i64,
    /// The signature.
    pub v1: [u8; 32],
    /// Older pairs are forgotten (`i64::MIN` keeps them, with no window).
    pub forget_before: i64,
}

impl Store {
    /// Opens the store in `dir` (created 0700 if missing) keeping [`DEFAULT_HISTORY`] requests.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, DEFAULT_HISTORY)
    }

    /// Opens the store in `dir`, keeping the newest `history` requests (0: none are recorded). A
    /// database that cannot be opened, is corrupt or has a newer schema is an error naming it.
    pub fn open_with(dir: &Path, history: usize) -> Result<Store> {
        Store::open_bounded(dir, history, DEFAULT_HISTORY_BYTES)
    }

    /// [`Store::open_with`], keeping at most `history_bytes` of history (at least
    /// [`MIN_HISTORY_BYTES`]).
    pub fn open_bounded(dir: &Path, history: usize, history_bytes: u64) -> Result<Store> {
        let history_bytes = history_bytes.max(MIN_HISTORY_BYTES);
        create_private_dir(dir).map_err(|e| Error::io("create the data directory", dir, &e))?;
        let lock = self::files::lock_data_dir(dir)?;
        let path = dir.join(DB_FILE);
        let refuse = |why: String| {
            Error::input(format!(
                "the connection store {} could not be opened ({why}); refusing to start rather than replace it: \
                 repair the file or move it away",
                path.display()
            ))
        };
        // Created 0600 before SQLite sees it: its -wal and -shm files copy the database's mode.
        if !path.exists() {
            let mut o = fs::OpenOptions::new();
            o.write(true).create_new(true);
            private_mode(&mut o);
            o.open(&path).map_err(|e| {
                Error::input(format!(
                    "the data directory {} is not usable: could not create {} ({})",
                    dir.display(),
                    path.display(),
                    io_reason(&e)
                ))
            })?;
        } else if fs::metadata(&path).is_ok_and(|m| m.len() == 0) && !only_the_store_in(dir) {
            // SQLite would take an empty file for a new database: a store emptied by a tool or a
            // disk fault would then start with no connections, silently. Only a data dir holding
            // nothing else (a first start cut short) starts afresh.
            return Err(refuse("it is empty (0 bytes), not a database".into()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut db = rusqlite::Connection::open_with_flags(&path, flags).map_err(|e| refuse(sql_reason(&e)))?;
        let (map, seen) = schema::init(&mut db).map_err(|e| refuse(sql_reason(&e)))?;
        let writer = journal::open(&path).map_err(|e| refuse(sql_reason(&e)))?;
        let bounds = Bounds { rows: history, bytes: history_bytes };
        let files = dir.join(history::DIR);
        let rows = History::open(&files, bounds).map_err(|e| {
            Error::input(format!("the history in {} could not be opened ({})", files.display(), io_reason(&e)))
        })?;
        move_history_table(&db, &rows).map_err(|e| {
            Error::input(format!(
                "the history kept in {} could not be moved to {} ({e}); it is left in place",
                path.display(),
                files.display()
            ))
        })?;
        let max_id = rows.max_id();
        let rows = Arc::new(rows);
        // Room for a few batches: the journal writes one while the next gathers.
        let queue = Arc::new(Queue::new((bounds.batch_bytes() * 4) as usize));
        let (tx, rx) = std::sync::mpsc::channel();
        let journal = {
            let (queue, rows) = (queue.clone(), rows.clone());
            std::thread::Builder::new()
                .name("topgg-int-journal".into())
                .spawn(move || journal::run(writer, &rx, &queue, bounds, &rows))
                .map_err(|e| Error::input(format!("could not start the store's journal thread: {e}")))?
        };
        Ok(Store {
            path,
            db: Arc::new(Mutex::new(db)),
            map: RwLock::new(map.into_iter().map(|(id, c)| (id, Known::new(c))).collect()),
            seen: Mutex::new(seen),
            history_limit: history,
            history_bytes,
            queue,
            rows,
            tx,
            journal: Mutex::new(Some(journal)),
            closed: AtomicBool::new(false),
            next_id: AtomicI64::new(max_id + 1),
            _lock: lock,
        })
    }

    /// Where every record handed over from now on is logged (on the journal thread); records
    /// handed over before have no log line.
    pub fn log_to(&self, log: Log) {
        self.send(Queued::Log(log));
    }

    /// Lets a held log ([`Log::held`]) write its lines, those held so far first.
    pub fn open_log(&self) {
        self.send(Queued::OpenLog);
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the journal says what it could not write (records dropped at a full queue, batches
    /// refused by a busy database), one sentence each; unset, it is only counted.
    pub fn on_notice(&self, f: NoticeFn) {
        *self.queue.notice.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    /// The history's bounds and what it dropped so far (`GET /health` shows it under `history`).
    pub fn history_stats(&self) -> HistoryStats {
        HistoryStats {
            rows: self.history_limit,
            bytes: self.history_bytes,
            queued_bytes: self.queue.queued.load(Ordering::Relaxed) as u64,
            queue_bytes: self.queue.cap as u64,
            dropped_queue_full: self.queue.dropped_full.load(Ordering::Relaxed),
            dropped_write_failed: self.queue.dropped_failed.load(Ordering::Relaxed),
        }
    }

    /// The connection with this id.
    pub fn get(&self, id: &str) -> Option<Connection> {
        self.read_map().get(id).map(|k| k.conn.clone())
    }

    /// The webhook secret of the connection with this id (the per-delivery lookup).
    pub fn secret_of(&self, id: &str) -> Option<Secret> {
        self.read_map().get(id).map(|k| k.conn.webhook_secret.clone())
    }

    /// The connection's webhook secret keyed into HMAC once, for verifying its deliveries.
    pub fn signer_of(&self, id: &str) -> Option<Arc<Signer>> {
        self.read_map().get(id).map(|k| k.signer.clone())
    }

    /// Every connection, oldest first.
    pub fn list(&self) -> Vec<Connection> {
        let mut all: Vec<Connection> = self.read_map().values().map(|k| k.conn.clone()).collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.connection_id.cmp(&b.connection_id)));
        all
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.read_map().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read_map(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Known>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_db(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection for a change, within [`BUSY_TIMEOUT`] in all: waiting for the connection
    /// (another change facing a locked database) and then for SQLite's write lock share the one
    /// bound, so changes queued behind each other still each fail within it, never one bound each.
    fn lock_db_for_change(&self) -> std::io::Result<MutexGuard<'_, rusqlite::Connection>> {
        let until = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            let guard = match self.db.try_lock() {
                Ok(g) => Some(g),
                Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            let left = until.saturating_duration_since(std::time::Instant::now());
            if let Some(db) = guard {
                db.busy_timeout(left).map_err(io)?;
                return Ok(db);
            }
            if left.is_zero() {
                return Err(std::io::Error::other("the database is locked by another process"));
            }
            // Runs off the async workers (the config URL's handler is a blocking task).
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stores (or replaces) a connection; returns once it is committed to disk. Returns whether it
    /// replaced one with the same id.
    pub fn put(&self, conn: Connection) -> std::io::Result<bool> {
        self.put_signed(conn, None)
    }

    /// [`Store::put`], remembering the request's signature in the same transaction.
    pub fn put_signed(&self, conn: Connection, signed: Option<Signed>) -> std::io::Result<bool> {
        let project = serde_json::to_string(&conn.project).map_err(std::io::Error::other)?;
        let user = serde_json::to_string(&conn.user).map_err(std::io::Error::other)?;
        // The database lock orders changes: the map is updated in commit order.
        let mut db = self.lock_db_for_change()?;
        let replaced = self.read_map().contains_key(&conn.connection_id);
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io)?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO connections (connection_id, webhook_secret, project, user, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![conn.connection_id, conn.webhook_secret.expose(), project, user, conn.created_at])
        })
        .map_err(io)?;
        remember(&tx, signed).map_err(io)?;
        tx.commit().map_err(io)?;
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(conn.connection_id.clone(), Known::new(conn));
        Ok(replaced)
    }

    /// Forgets a connection; returns once that is committed to disk. Returns whether it existed.
    /// The delete runs against the database even when the id is not in memory, so a row the map
    /// does not know of is never left behind to come back at the next start.
    pub fn remove(&self, id: &str) -> std::io::Result<bool> {
        self.remove_signed(id, None)
    }

    /// [`Store::remove`], remembering the request's signature in the same transaction.
    pub fn remove_signed(&self, id: &str, signed: Option<Signed>) -> std::io::Result<bool> {
        let mut db = self.lock_db_for_change()?;
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io)?;
        let deleted = tx
            .prepare_cached("DELETE FROM connections WHERE connection_id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map_err(io)?;
        remember(&tx, signed).map_err(io)?;
        tx.commit().map_err(io)?;
        let known = self.map.write().unwrap_or_else(|e| e.into_inner()).remove(id).is_some();
        Ok(known || deleted > 0)
    }

    /// Remembers a vote id; true when it was seen before (a Top.gg retry), also across restarts.
    /// Ids over [`MAX_VOTE_ID`] bytes are not remembered and never count as seen.
    pub fn see_vote(&self, id: &str) -> bool {
        if id.len() > MAX_VOTE_ID {
            return false;
        }
        let fresh = self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string());
        if fresh {
            // Past a full queue it is still remembered in memory, until a restart (and counted).
            self.offer(Queued::Vote(id.to_string()));
        }
        !fresh
    }

    /// The id the next history row gets (0 with `--history 0`), from a counter that continues the
    /// stored ids, so that it is known before the row is written: the log line and the
    /// inspector's event carry it at once.
    pub fn next_id(&self) -> i64 {
        if self.history_limit == 0 {
            return 0;
        }
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Hands an answered request to the journal, which logs it and keeps it in the history, and
    /// returns its id (0, and only logged, with `--history 0`); a record without an id gets one
    /// from [`Store::next_id`]. Written within milliseconds by the journal thread, in batches; the
    /// oldest rows beyond the bound are dropped.
    pub fn record(&self, mut entry: Record) -> i64 {
        if entry.id == 0 {
            entry.id = self.next_id();
        }
        let id = entry.id;
        // Offered, not waited for: past a full queue (a stalled disk) the record is dropped
        // (counted) and its id stays unused.
        self.offer(Queued::Record(Box::new(entry)));
        id
    }

    /// Hands a request to the journal for the log only (the inspector's own refusals: its traffic
    /// never enters the history).
    pub fn log_only(&self, mut entry: Record) {
        entry.id = 0;
        self.offer(Queued::Record(Box::new(entry)));
    }

    /// The history rows `q` selects, newest first, without their request bytes (see
    /// [`Store::history_entry`]). Sees every request recorded before the call.
    pub fn history(&self, q: &HistoryQuery) -> Result<Vec<Record>> {
        self.flush();
        self.rows.list(q).map_err(|e| self.read_failed(&e))
    }

    /// One history row by id, with its raw request bytes.
    pub fn history_entry(&self, id: i64) -> Result<Option<Record>> {
        self.flush();
        self.rows.get(id).map_err(|e| self.read_failed(&e))
    }

    fn read_failed(&self, e: &std::io::Error) -> Error {
        let dir = self.path.with_file_name(history::DIR);
        Error::input(format!("could not read the history in {}: {}", dir.display(), io_reason(e)))
    }

    /// Waits until everything handed over so far is logged and written.
    pub fn flush(&self) {
        let (tx, rx) = sync_channel(1);
        self.send(Queued::Flush(tx));
        let _ = rx.recv_timeout(Duration::from_secs(10));
    }

    /// Logs and writes what is queued and stops the journal; later records are dropped.
    pub fn close(&self) {
        let taken = self.journal.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = taken {
            self.closed.store(true, Ordering::SeqCst);
            let _ = self.tx.send(Queued::Close);
            let _ = handle.join();
        }
    }

    fn send(&self, r: Queued) {
        if !self.closed.load(Ordering::Relaxed) {
            let _ = self.tx.send(r);
        }
    }

    /// Queues a record without waiting: when the queue holds its bound in bytes (a stalled disk, a
    /// flood of large requests), the record is dropped and counted rather than holding up the
    /// request that made it or growing the memory. Both kinds are written after the answer
    /// anyway, and seen vote ids stay in memory.
    fn offer(&self, r: Queued) {
        let bytes = r.bytes();
        if !self.queue.admit(bytes) {
            return;
        }
        if self.closed.load(Ordering::Relaxed) || self.tx.send(r).is_err() {
            self.queue.queued.fetch_sub(bytes, Ordering::AcqRel);
        }
    }
}

impl Store {
    /// The signatures of state changes accepted before (for the replay guard), oldest first.
    pub fn replay_pairs(&self) -> Vec<(i64, [u8; 32])> {
        let db = self.lock_db();
        let Ok(mut st) = db.prepare("SELECT t, v1 FROM replay_guard ORDER BY seq") else { return Vec::new() };
        st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map(|rows| {
                rows.flatten().filter_map(|(t, v1)| Some((t, <[u8; 32]>::try_from(v1.as_slice()).ok()?))).collect()
            })
            .unwrap_or_default()
    }
}

/// Stores a state change's signature and forgets those outside the window (at most the newest
/// [`super::replay::MAX_PAIRS`] are kept).
fn remember(tx: &rusqlite::Transaction<'_>, signed: Option<Signed>) -> rusqlite::Result<()> {
    let Some(s) = signed else { return Ok(()) };
    tx.prepare_cached("INSERT OR IGNORE INTO replay_guard (t, v1) VALUES (?1, ?2)")?
        .execute(params![s.t, &s.v1[..]])?;
    tx.prepare_cached("DELETE FROM replay_guard WHERE t < ?1 OR seq <= (SELECT max(seq) FROM replay_guard) - ?2")?
        .execute(params![s.forget_before, super::replay::MAX_PAIRS as i64])?;
    Ok(())
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

/// Moves the rows of the database's `history` table (where topgg-int kept the history before the
/// segment files) to `rows`, once: those above the files' newest id (a start that stopped between
/// writing the files and deleting the rows does not move them twice), then empties the table.
fn move_history_table(db: &rusqlite::Connection, rows: &History) -> std::result::Result<(), String> {
    if !history_table::has_rows(db).map_err(|e| sql_reason(&e))? {
        return Ok(());
    }
    let old = history_table::take_after(db, rows.max_id()).map_err(|e| sql_reason(&e))?;
    for chunk in old.chunks(1024) {
        rows.append(&chunk.iter().collect::<Vec<_>>(), &mut Vec::new()).map_err(|e| io_reason(&e))?;
    }
    history_table::clear(db).map_err(|e| sql_reason(&e))
}

/// Whether the data dir holds nothing but the database file and its lock.
fn only_the_store_in(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| e.file_name() == DB_FILE || e.file_name() == self::files::LOCK_FILE)
    })
}

fn io(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(sql_reason(&e))
}

fn sql_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(m)) => format!("{m} ({:?})", f.code),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
