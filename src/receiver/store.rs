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

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver as Rx, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior, params};
use serde::Deserialize;

use super::history::{self, HistoryEntry, HistoryQuery};
use crate::error::{Error, Result, io_reason};
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

enum Record {
    Vote(String),
    History(Box<HistoryEntry>),
    Flush(SyncSender<()>),
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
        let mut store = Store {
            path,
            db: Arc::new(Mutex::new(db)),
            map: RwLock::new(map),
            seen: Mutex::new(seen),
            history_limit: history,
            recorder: Mutex::new(None),
            imported: None,
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

    /// Queues a request for the history (a no-op with `--history 0`). Written within milliseconds
    /// by the recorder thread, in batches; the oldest rows beyond the bound are dropped.
    pub fn record(&self, entry: HistoryEntry) {
        if self.history_limit > 0 {
            self.offer(Record::History(Box::new(entry)));
        }
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

    /// Imports `connections.json` when present (a row already in the database wins), then renames
    /// it aside. Importing again after a crash between the two steps changes nothing.
    fn import_json(&self, dir: &Path) -> Result<Option<Imported>> {
        let json = dir.join(STORE_FILE);
        let raw = match fs::read(&json) {
            Ok(raw) => raw,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::input(format!(
                    "could not read the old connection store {}: {}; refusing to start",
                    json.display(),
                    io_reason(&e)
                )));
            }
        };
        let conns = parse_json_store(&raw).map_err(|why| {
            Error::input(format!(
                "the old connection store {} is corrupt ({why}); refusing to start rather than lose it: \
                 repair the file or move it away",
                json.display()
            ))
        })?;
        let failed = |e: &dyn std::fmt::Display| {
            Error::input(format!("could not import {} into {}: {e}", json.display(), self.path.display()))
        };
        {
            let mut db = self.lock_db();
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| failed(&e))?;
            for c in &conns {
                tx.execute(
                    "INSERT OR IGNORE INTO connections (connection_id, webhook_secret, project, user, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![c.connection_id, c.webhook_secret, c.project.to_string(), c.user.to_string(), c.created_at],
                )
                .map_err(|e| failed(&e))?;
            }
            tx.commit().map_err(|e| failed(&e))?;
            *self.map.write().unwrap_or_else(|e| e.into_inner()) = load_connections(&db).map_err(|e| failed(&e))?;
        }
        let mut moved_to = dir.join(format!("{STORE_FILE}.imported"));
        let mut n = 2;
        while moved_to.exists() {
            moved_to = dir.join(format!("{STORE_FILE}.imported.{n}"));
            n += 1;
        }
        fs::rename(&json, &moved_to).map_err(|e| failed(&io_reason(&e)))?;
        let _ = sync_dir(dir);
        Ok(Some(Imported { connections: conns.len(), moved_to }))
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

/// Writes queued records in batches, one transaction each, until the store closes.
fn record_loop(db: &Mutex<rusqlite::Connection>, rx: &Rx<Record>, history_limit: usize) {
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut c = db.lock().unwrap_or_else(|e| e.into_inner());
        // A failed batch (full disk) is dropped: the answers already went out.
        let _ = write_batch(&mut c, &batch, history_limit);
        drop(c);
        for r in batch.drain(..) {
            if let Record::Flush(done) = r {
                let _ = done.send(());
            }
        }
    }
}

fn write_batch(c: &mut rusqlite::Connection, batch: &[Record], history_limit: usize) -> rusqlite::Result<()> {
    let (mut votes, mut hist) = (false, false);
    c.pragma_update(None, "synchronous", "NORMAL")?;
    let result = (|| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in batch {
            match r {
                Record::Vote(id) => {
                    tx.prepare_cached("INSERT OR IGNORE INTO seen_votes (vote_id) VALUES (?1)")?.execute([id])?;
                    votes = true;
                }
                Record::History(e) => {
                    history::insert(&tx, e)?;
                    hist = true;
                }
                Record::Flush(_) => {}
            }
        }
        if votes {
            tx.prepare_cached("DELETE FROM seen_votes WHERE seq <= (SELECT max(seq) FROM seen_votes) - ?1")?
                .execute([SEEN_VOTES as i64])?;
        }
        if hist {
            history::trim(&tx, history_limit)?;
        }
        tx.commit()
    })();
    c.pragma_update(None, "synchronous", "FULL")?;
    result
}

/// Recently seen vote ids, oldest forgotten first.
#[derive(Default)]
struct SeenVotes {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenVotes {
    /// Remembers `id`; false when it was already there.
    fn insert(&mut self, id: String) -> bool {
        if self.set.contains(&id) {
            return false;
        }
        if self.order.len() >= SEEN_VOTES
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.order.push_back(id.clone());
        self.set.insert(id);
        true
    }
}

#[derive(Deserialize)]
struct JsonConnection {
    connection_id: String,
    webhook_secret: String,
    project: serde_json::Value,
    user: serde_json::Value,
    created_at: i64,
}

#[derive(Deserialize)]
struct JsonStore {
    version: u32,
    connections: Vec<JsonConnection>,
}

fn parse_json_store(raw: &[u8]) -> std::result::Result<Vec<JsonConnection>, String> {
    let file: JsonStore = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    if file.version != 1 {
        return Err(format!("unknown store version {}", file.version));
    }
    for c in &file.connections {
        serde_json::from_value::<Project>(c.project.clone()).map_err(|e| format!("{}: {e}", c.connection_id))?;
        serde_json::from_value::<User>(c.user.clone()).map_err(|e| format!("{}: {e}", c.connection_id))?;
    }
    Ok(file.connections)
}

/// Creates `dir` and its missing parents 0700: the store and captures hold secrets.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes files opened with `o` 0600 when created (on Unix).
pub fn private_mode(o: &mut fs::OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = o;
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `raw` to `path` so that a crash leaves the old or the new content: temporary file,
/// fsync, rename, fsync of the directory.
pub fn write_durably(dir: &Path, path: &Path, raw: &[u8]) -> std::io::Result<()> {
    let tmp = tmp_path(path);
    {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(raw)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows cannot open a directory as a file; NTFS journals the rename itself.
    Ok(())
}

/// The integration secret kept in `dir`, or a fresh one written there. Returns the secret and
/// whether it was generated now (so the caller shows it once).
pub fn load_or_create_integration_secret(dir: &Path) -> Result<(Secret, bool)> {
    create_private_dir(dir).map_err(|e| Error::io("create the data directory", dir, &e))?;
    let path = dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(raw) => {
            let value = raw.strip_suffix('\n').unwrap_or(&raw);
            if value.is_empty() {
                return Err(Error::input(format!(
                    "the integration secret file {} is empty; delete it to generate a new one",
                    path.display()
                )));
            }
            Ok((Secret::new(value), false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = generate::integration_secret()?;
            write_durably(dir, &path, format!("{}\n", secret.expose()).as_bytes())
                .map_err(|e| Error::io("write the integration secret to", &path, &e))?;
            Ok((secret, true))
        }
        Err(e) => Err(Error::io("read the integration secret file", &path, &e)),
    }
}

/// The platform's data directory for topgg-int: `$XDG_DATA_HOME/topgg-int` or
/// `~/.local/share/topgg-int` on Linux, `~/Library/Application Support/topgg-int` on macOS,
/// `%APPDATA%\topgg-int` on Windows. `None` when the needed variable is unset.
pub fn default_data_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if cfg!(windows) {
        return set("APPDATA").map(|a| PathBuf::from(a).join("topgg-int"));
    }
    if cfg!(target_os = "macos") {
        return set("HOME").map(|h| PathBuf::from(h).join("Library/Application Support/topgg-int"));
    }
    if let Some(x) = set("XDG_DATA_HOME").filter(|x| Path::new(x).is_absolute()) {
        return Some(PathBuf::from(x).join("topgg-int"));
    }
    set("HOME").map(|h| PathBuf::from(h).join(".local/share/topgg-int"))
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
        let off = tempfile::tempdir().unwrap();
        let s = Store::open_with(off.path(), 0).unwrap();
        s.record(entry("a", "ok"));
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

    #[test]
    fn data_dir_per_platform() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "XDG_DATA_HOME" => Some("relative".to_string()),
            _ => None,
        };
        if cfg!(target_os = "linux") {
            assert_eq!(default_data_dir(env), Some(PathBuf::from("/home/u/.local/share/topgg-int")));
            let xdg = |k: &str| (k == "XDG_DATA_HOME").then(|| "/x".to_string());
            assert_eq!(default_data_dir(xdg), Some(PathBuf::from("/x/topgg-int")));
        }
    }

    #[test]
    fn integration_secret_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, fresh) = load_or_create_integration_secret(dir.path()).unwrap();
        assert!(fresh);
        let (b, fresh) = load_or_create_integration_secret(dir.path()).unwrap();
        assert!(!fresh);
        assert_eq!(a, b);
    }
}
