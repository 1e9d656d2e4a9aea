//! The receiver's durable store and its integration secret, both in the data dir.
//!
//! The store is one SQLite database, [`DB_FILE`] (WAL, `synchronous=FULL`, `PRAGMA user_version`
//! for the schema), with three tables: `connections`, `seen_votes` (vote ids for retry detection,
//! the newest [`SEEN_VOTES`]) and `history` (see [`super::history`]). Each connection change is one
//! short transaction, committed (fsynced) before the caller acknowledges it. Seen vote ids and the
//! request history are written by a recorder thread in batches at `synchronous=NORMAL`: they are
//! recorded after the fact, an fsync per delivery would cap throughput, and a WAL commit at NORMAL
//! already survives the process being killed (only a power cut can lose the last batch). They are
//! queued without waiting: a recorder 64k records behind (a stalled disk) drops them rather than
//! holding up the receiver's async workers.
//! Lookups are served from memory. A database that cannot be opened or is corrupt is an error
//! naming it; it is never replaced. A `connections.json` of the old JSON store is imported on
//! start and renamed aside. Nothing here prints: [`Store::imported`] says what happened.
//!
//! Beside this file: `recorder` (the batch-writing thread), `seen` (the in-memory vote ids),
//! `import` (the old JSON store) and `files` (0600/0700 files, the integration secret, the data dir).

mod files;
mod import;
mod recorder;
mod seen;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior, params};
use tokio::sync::broadcast;

pub use self::files::{
    create_private_dir, default_data_dir, load_or_create_integration_secret, private_mode, write_durably,
};
use self::recorder::{Record, record_loop};
use self::seen::SeenVotes;
#[cfg(test)]
use super::history::Forwarded;
use super::history::{self, HistoryEntry, HistoryQuery};
use crate::error::{Error, Result, io_reason};
#[cfg(test)]
use crate::protocol::generate;
use crate::protocol::payload::{Project, User};
use crate::protocol::secret::Secret;

/// The database's file name inside the data dir.
pub const DB_FILE: &str = "topgg-int.db";
/// The old JSON store's file name, imported on start when present.
pub const STORE_FILE: &str = "connections.json";
/// The generated integration secret's file name inside the data dir.
pub const SECRET_FILE: &str = "integration-secret";
/// How many vote ids are remembered for retry detection.
pub const SEEN_VOTES: usize = 100_000;
/// Longer vote ids are not remembered (a Top.gg vote id is a 19-digit snowflake), so a hostile
/// signed sender cannot grow the retry cache by megabytes per vote.
pub const MAX_VOTE_ID: usize = 128;
/// Requests kept in the history unless `serve --history` says otherwise.
pub const DEFAULT_HISTORY: usize = 10_000;
const SCHEMA_VERSION: i64 = 1;
/// How many new entries a slow subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 512;

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

/// What opening the store did with an old `connections.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// How many connections it held (all now in the database).
    pub connections: usize,
    /// Where the old file now is.
    pub moved_to: PathBuf,
}

/// The connections (in memory for lookups, in SQLite for durability), the seen vote ids and the
/// request history.
pub struct Store {
    path: PathBuf,
    db: Arc<Mutex<rusqlite::Connection>>,
    map: RwLock<HashMap<String, Connection>>,
    seen: Mutex<SeenVotes>,
    history_limit: usize,
    recorder: Mutex<Option<(SyncSender<Record>, JoinHandle<()>)>>,
    imported: Option<Imported>,
    next_id: AtomicI64,
    events: broadcast::Sender<HistoryEntry>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS connections (
    connection_id TEXT PRIMARY KEY,
    webhook_secret TEXT NOT NULL,
    project TEXT NOT NULL,
    user TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_votes (
    seq INTEGER PRIMARY KEY,
    vote_id TEXT NOT NULL UNIQUE
);";

impl Store {
    /// Opens the store in `dir` (created 0700 if missing) keeping [`DEFAULT_HISTORY`] requests.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, DEFAULT_HISTORY)
    }

    /// Opens the store in `dir`, keeping the newest `history` requests (0: none are recorded). A
    /// database that cannot be opened, is corrupt or has a newer schema is an error naming it.
    pub fn open_with(dir: &Path, history: usize) -> Result<Store> {
        create_private_dir(dir).map_err(|e| Error::io("create the data directory", dir, &e))?;
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
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut db = rusqlite::Connection::open_with_flags(&path, flags).map_err(|e| refuse(sql_reason(&e)))?;
        let (map, seen) = init(&mut db).map_err(|e| refuse(sql_reason(&e)))?;
        let max_id = history::max_id(&db).map_err(|e| refuse(sql_reason(&e)))?;
        let mut store = Store {
            path,
            db: Arc::new(Mutex::new(db)),
            map: RwLock::new(map),
            seen: Mutex::new(seen),
            history_limit: history,
            recorder: Mutex::new(None),
            imported: None,
            next_id: AtomicI64::new(max_id + 1),
            events: broadcast::channel(EVENT_BACKLOG).0,
        };
        store.imported = store.import_json(dir)?;
        let (tx, rx) = sync_channel(64 * 1024);
        let db = store.db.clone();
        let handle = std::thread::Builder::new()
            .name("topgg-int-recorder".into())
            .spawn(move || record_loop(&db, &rx, history))
            .map_err(|e| Error::input(format!("could not start the store's recorder thread: {e}")))?;
        *store.recorder.lock().unwrap_or_else(|e| e.into_inner()) = Some((tx, handle));
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening did with an old `connections.json`, if there was one (the caller says so).
    pub fn imported(&self) -> Option<&Imported> {
        self.imported.as_ref()
    }

    /// The connection with this id.
    pub fn get(&self, id: &str) -> Option<Connection> {
        self.read_map().get(id).cloned()
    }

    /// The webhook secret of the connection with this id (the per-delivery lookup).
    pub fn secret_of(&self, id: &str) -> Option<Secret> {
        self.read_map().get(id).map(|c| c.webhook_secret.clone())
    }

    /// Every connection, oldest first.
    pub fn list(&self) -> Vec<Connection> {
        let mut all: Vec<Connection> = self.read_map().values().cloned().collect();
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

    fn read_map(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Connection>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_db(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores (or replaces) a connection; returns once it is committed to disk. Returns whether it
    /// replaced one with the same id.
    pub fn put(&self, conn: Connection) -> std::io::Result<bool> {
        let project = serde_json::to_string(&conn.project).map_err(std::io::Error::other)?;
        let user = serde_json::to_string(&conn.user).map_err(std::io::Error::other)?;
        // The database lock orders changes: the map is updated in commit order.
        let mut db = self.lock_db();
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
        tx.commit().map_err(io)?;
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(conn.connection_id.clone(), conn);
        Ok(replaced)
    }

    /// Forgets a connection; returns once that is committed to disk. Returns whether it existed.
    pub fn remove(&self, id: &str) -> std::io::Result<bool> {
        let mut db = self.lock_db();
        if !self.read_map().contains_key(id) {
            return Ok(false);
        }
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io)?;
        tx.prepare_cached("DELETE FROM connections WHERE connection_id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map_err(io)?;
        tx.commit().map_err(io)?;
        self.map.write().unwrap_or_else(|e| e.into_inner()).remove(id);
        Ok(true)
    }

    /// Remembers a vote id; true when it was seen before (a Top.gg retry), also across restarts.
    /// Ids over [`MAX_VOTE_ID`] bytes are not remembered and never count as seen.
    pub fn see_vote(&self, id: &str) -> bool {
        if id.len() > MAX_VOTE_ID {
            return false;
        }
        let fresh = self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string());
        if fresh {
            self.offer(Record::Vote(id.to_string()));
        }
        !fresh
    }

    /// Queues a request for the history and returns its id (0, and nothing recorded, with
    /// `--history 0`). The id is assigned here, from a counter that continues the stored ids, so
    /// that it is known before the row is written: subscribers ([`Store::subscribe`]) get the entry
    /// (without its bytes) at once. Written within milliseconds by the recorder thread, in batches;
    /// the oldest rows beyond the bound are dropped.
    pub fn record(&self, mut entry: HistoryEntry) -> i64 {
        if self.history_limit == 0 {
            return 0;
        }
        entry.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = entry.id;
        // Only pay for the copy when an inspector page is listening.
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(HistoryEntry { request: None, ..entry.clone() });
        }
        // Offered, not waited for: past a full queue (a stalled disk) the row is dropped and its
        // id stays unused.
        self.offer(Record::History(Box::new(entry)));
        id
    }

    /// Every entry recorded from now on, as it is recorded (without its request bytes). A
    /// subscriber that falls more than a few hundred entries behind misses the oldest of them
    /// (`RecvError::Lagged`) and should reload the list.
    pub fn subscribe(&self) -> broadcast::Receiver<HistoryEntry> {
        self.events.subscribe()
    }

    /// The history rows `q` selects, newest first, without their request bytes (see
    /// [`Store::history_entry`]). Sees every request recorded before the call.
    pub fn history(&self, q: &HistoryQuery) -> Result<Vec<HistoryEntry>> {
        self.flush();
        history::list(&self.lock_db(), q).map_err(|e| self.read_failed(&e))
    }

    /// One history row by id, with its raw request bytes.
    pub fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>> {
        self.flush();
        history::get(&self.lock_db(), id).map_err(|e| self.read_failed(&e))
    }

    fn read_failed(&self, e: &rusqlite::Error) -> Error {
        Error::input(format!("could not read the history in {}: {}", self.path.display(), sql_reason(e)))
    }

    /// Waits until everything recorded so far is written.
    pub fn flush(&self) {
        let (tx, rx) = sync_channel(1);
        self.send(Record::Flush(tx));
        let _ = rx.recv_timeout(Duration::from_secs(10));
    }

    /// Writes what is queued and stops the recorder; later records are dropped.
    pub fn close(&self) {
        let taken = self.recorder.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((tx, handle)) = taken {
            drop(tx);
            let _ = handle.join();
        }
    }

    fn send(&self, r: Record) {
        let tx = self.recorder.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(tx, _)| tx.clone());
        if let Some(tx) = tx {
            let _ = tx.send(r);
        }
    }

    /// Queues a record without waiting: when the recorder is this far behind (a stalled disk),
    /// the record is dropped rather than holding up the request that made it. Both kinds are
    /// written after the answer anyway, and seen vote ids stay in memory.
    fn offer(&self, r: Record) {
        let tx = self.recorder.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(tx, _)| tx.clone());
        if let Some(tx) = tx {
            let _ = tx.try_send(r);
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
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

/// Pragmas, schema, and the connections and seen vote ids into memory.
fn init(db: &mut rusqlite::Connection) -> rusqlite::Result<(HashMap<String, Connection>, SeenVotes)> {
    db.busy_timeout(Duration::from_secs(5))?;
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(rusqlite::Error::ToSqlConversionFailure(
            format!("schema version {version}, newer than this topgg-int's {SCHEMA_VERSION}").into(),
        ));
    }
    let _: String = db.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    db.pragma_update(None, "synchronous", "FULL")?;
    // The default 2 MB page cache holds a fifth of a full history (10,000 rows of about 1 KB): the
    // recorder then read back from the file the pages its trim deletes. 16 MB holds all of it.
    db.pragma_update(None, "cache_size", -16_000)?;
    if version < SCHEMA_VERSION {
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(history::SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    }
    let map = load_connections(db)?;
    let mut seen = SeenVotes::default();
    let mut st = db.prepare("SELECT vote_id FROM seen_votes ORDER BY seq DESC LIMIT ?1")?;
    let ids: Vec<String> = st.query_map([SEEN_VOTES as i64], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    for id in ids.into_iter().rev() {
        seen.insert(id);
    }
    Ok((map, seen))
}

fn load_connections(db: &rusqlite::Connection) -> rusqlite::Result<HashMap<String, Connection>> {
    let mut st = db.prepare("SELECT connection_id, webhook_secret, project, user, created_at FROM connections")?;
    let rows = st.query_map([], |r| {
        let bad = |i, e: serde_json::Error| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        };
        let project: String = r.get(2)?;
        let user: String = r.get(3)?;
        Ok(Connection {
            connection_id: r.get(0)?,
            webhook_secret: Secret::new(r.get::<_, String>(1)?),
            project: serde_json::from_str(&project).map_err(|e| bad(2, e))?,
            user: serde_json::from_str(&user).map_err(|e| bad(3, e))?,
            created_at: r.get(4)?,
        })
    })?;
    let mut map = HashMap::new();
    for c in rows {
        let c = c?;
        map.insert(c.connection_id.clone(), c);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str) -> Connection {
        Connection {
            connection_id: id.into(),
            webhook_secret: Secret::new(format!("whs_{id}")),
            project: generate::project(),
            user: generate::user(),
            created_at: 1,
        }
    }

    fn entry(event: &str, verdict: &str) -> HistoryEntry {
        HistoryEntry {
            id: 0,
            time_unix_nanos: 5,
            method: "POST".into(),
            path: "/integration".into(),
            event: Some(event.into()),
            connection: Some("c".into()),
            verdict: verdict.into(),
            detail: None,
            status: 204,
            latency_us: 7,
            trace: None,
            retry: false,
            request: Some(b"POST / HTTP/1.1\r\n\r\n".to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn survives_reopen_and_refuses_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert!(!s.put(conn("1")).unwrap());
        assert!(!s.put(conn("2")).unwrap());
        assert!(s.put(conn("2")).unwrap());
        assert!(s.remove("1").unwrap());
        assert!(!s.remove("1").unwrap());
        assert!(!s.see_vote("v1"));
        assert!(s.see_vote("v1"));
        assert!(!s.see_vote(&"x".repeat(MAX_VOTE_ID + 1)));
        assert!(!s.see_vote(&"x".repeat(MAX_VOTE_ID + 1)), "an over-long id is not remembered");
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.list().iter().map(|c| c.connection_id.as_str()).collect::<Vec<_>>(), ["2"]);
        assert_eq!(s.secret_of("2").unwrap().expose(), "whs_2");
        assert!(s.see_vote("v1"), "seen votes survive a reopen");
        drop(s);
        fs::write(dir.path().join(DB_FILE), b"not a database, but long enough to be read as one....").unwrap();
        let err = Store::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains(DB_FILE) && err.contains("refusing"), "{err}");
    }

    #[test]
    fn a_stalled_recorder_never_holds_up_requests() {
        let dir = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(Store::open(dir.path()).unwrap());
        // Holding the database lock stalls the recorder as a hung disk would.
        let held = s.db.clone();
        let guard = held.lock().unwrap();
        let (done, finished) = sync_channel(1);
        let s2 = s.clone();
        std::thread::spawn(move || {
            for i in 0..70_000 {
                s2.record(entry("vote.create", "ok"));
                s2.see_vote(&format!("v{i}"));
            }
            let _ = done.send(());
        });
        let returned = finished.recv_timeout(Duration::from_secs(20)).is_ok();
        drop(guard);
        assert!(returned, "recording waited for the stalled recorder");
        assert!(s.see_vote("v1"), "seen votes are remembered in memory all the same");
    }

    #[test]
    fn history_is_bounded_listed_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_with(dir.path(), 3).unwrap();
        for (e, v) in [("a", "ok"), ("b", "ok"), ("a", "bad"), ("a", "ok"), ("b", "bad")] {
            s.record(entry(e, v));
        }
        let all = s.history(&HistoryQuery::default()).unwrap();
        assert_eq!(all.iter().map(|h| h.id).collect::<Vec<_>>(), [5, 4, 3], "newest 3, newest first");
        assert!(all[0].request.is_none(), "listings leave the bytes out");
        let q = HistoryQuery { event: Some("a".into()), before: Some(5), ..Default::default() };
        assert_eq!(s.history(&q).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), [4, 3]);
        let q = HistoryQuery { verdict: Some("bad".into()), limit: 1, ..Default::default() };
        assert_eq!(s.history(&q).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), [5]);
        let one = s.history_entry(4).unwrap().unwrap();
        assert_eq!(one.request.as_deref(), Some(&b"POST / HTTP/1.1\r\n\r\n"[..]));
        assert_eq!(s.history_entry(1).unwrap(), None);
        drop(s);
        let s = Store::open_with(dir.path(), 3).unwrap();
        let mut events = s.subscribe();
        assert_eq!(s.record(entry("c", "ok")), 6, "ids continue after a reopen");
        assert_eq!(events.try_recv().unwrap().id, 6, "subscribers see the entry at once");
        let fwd = Forwarded { url: "http://a/".into(), status: Some(201), body: b"hi".to_vec(), ..Default::default() };
        let id = s.record(HistoryEntry { replay_of: Some(6), forwarded: Some(fwd.clone()), ..entry("c", "ok") });
        let back = s.history_entry(id).unwrap().unwrap();
        assert_eq!((back.replay_of, back.forwarded), (Some(6), Some(fwd)));
        let off = tempfile::tempdir().unwrap();
        let s = Store::open_with(off.path(), 0).unwrap();
        assert_eq!(s.record(entry("a", "ok")), 0);
        assert!(s.history(&HistoryQuery::default()).unwrap().is_empty(), "--history 0 records nothing");
    }

    #[test]
    fn imports_the_json_store_once() {
        let dir = tempfile::tempdir().unwrap();
        let c = conn("9");
        let json = serde_json::json!({"version": 1, "connections": [{"connection_id": "9", "webhook_secret": "whs_9",
            "project": c.project, "user": c.user, "created_at": 42}]});
        fs::write(dir.path().join(STORE_FILE), json.to_string()).unwrap();
        let s = Store::open(dir.path()).unwrap();
        let imported = s.imported().unwrap();
        assert_eq!(imported.connections, 1);
        assert_eq!(imported.moved_to, dir.path().join("connections.json.imported"));
        assert_eq!(s.get("9").unwrap().created_at, 42);
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert!(s.imported().is_none());
        assert_eq!(s.secret_of("9").unwrap().expose(), "whs_9");
    }
}
