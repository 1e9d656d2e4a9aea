//! The request history in the store's `history` table: one row per request the receiver answered
//! (a [`Record`]), with its raw bytes, for the inspector to read back.
//!
//! Rows are written by the store's journal thread in batches (see [`super::Store::record`]),
//! never on a request's own path, and trimmed to the newest `serve --history N` rows and to
//! `serve --history-bytes` bytes ([`row_bytes`] counts a row): the oldest rows are deleted *before*
//! a batch is inserted, so the file never holds more than the bound, and SQLite reuses the freed
//! pages for the next rows (the file grows to the bound and stays there). Reads
//! ([`super::Store::history`], [`super::Store::history_entry`]) see every request recorded before
//! the call. The client's address, warnings and capture paths are not kept.

use rusqlite::types::Value as SqlValue;
use std::time::Duration;

use rusqlite::{Connection, Row, params};

use crate::receiver::record::{Forwarded, Record};

/// Which history rows [`super::Store::history`] returns: newest first, only ids below
/// `before`, at most `limit`, and only those matching every filter given.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Only rows with an id below this (the id of the last row of the previous page).
    pub before: Option<i64>,
    /// At most this many rows; 0 means 100.
    pub limit: usize,
    /// Only this event type (`vote.create`, …).
    pub event: Option<String>,
    /// Only this connection id.
    pub connection: Option<String>,
    /// Only this verdict (`ok`, `signature-mismatch`, …).
    pub verdict: Option<String>,
}

/// The table; no secondary indexes: the table is bounded (10,000 rows by default), a filtered scan
/// of it is sub-millisecond, and every index would be paid on each request's insert.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    time_unix_nanos INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    event TEXT,
    connection TEXT,
    verdict TEXT NOT NULL,
    detail TEXT,
    status INTEGER NOT NULL,
    latency_us INTEGER NOT NULL,
    trace TEXT,
    retry INTEGER NOT NULL,
    request BLOB,
    replay_of INTEGER,
    forward_url TEXT,
    forward_status INTEGER,
    forward_latency_us INTEGER,
    forward_headers TEXT,
    forward_body BLOB,
    forward_error TEXT
);";

/// Added after the first release (older databases get it on open): the whole body's length when
/// only a prefix of it is kept (a refused request's body, see [`super::REFUSED_BODY_KEPT`]).
pub(super) const BODY_CUT_COLUMN: &str = "body_cut";

/// What a row costs beyond its bytes (columns, b-tree cell, page slack), for the byte bound.
const ROW_OVERHEAD: usize = 256;

/// The bytes a row takes against `--history-bytes`: its raw request and forwarded body, its short
/// text columns and a fixed overhead.
pub(super) fn row_bytes(e: &Record) -> usize {
    ROW_OVERHEAD
        + e.request.as_ref().map_or(0, Vec::len)
        + e.path.len()
        + e.detail.as_ref().map_or(0, String::len)
        + e.forwarded.as_ref().map_or(0, |f| {
            f.body.len() + f.url.len() + f.headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>()
        })
}

/// The same count over the stored rows (run once at open).
pub(super) fn stored_bytes(c: &Connection) -> rusqlite::Result<u64> {
    c.query_row(&format!("SELECT coalesce(sum({SIZE}), 0) FROM history"), [], |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
}

/// A stored row's size by [`row_bytes`]'s rule, in SQL (`length` of a blob reads no overflow page).
const SIZE: &str = "256 + coalesce(length(request), 0) + length(path) + coalesce(length(detail), 0)      + coalesce(length(forward_body), 0) + coalesce(length(forward_url), 0) + coalesce(length(forward_headers), 0)";

/// Adds [`BODY_CUT_COLUMN`] to a history table made before it existed.
pub(super) fn migrate(c: &Connection) -> rusqlite::Result<()> {
    let has: bool =
        c.query_row("SELECT count(*) FROM pragma_table_info('history') WHERE name = ?1", [BODY_CUT_COLUMN], |r| {
            r.get::<_, i64>(0).map(|n| n > 0)
        })?;
    if !has {
        c.execute_batch(&format!("ALTER TABLE history ADD COLUMN {BODY_CUT_COLUMN} INTEGER"))?;
    }
    Ok(())
}

const COLUMNS: &str = "id, time_unix_nanos, method, path, event, connection, verdict, detail, status, latency_us, \
     trace, retry, replay_of, forward_url, forward_status, forward_latency_us, forward_headers, forward_error, body_cut";

/// Inserts one entry (inside the journal's transaction).
pub(super) fn insert(c: &Connection, e: &Record) -> rusqlite::Result<()> {
    let f = e.forwarded.as_ref();
    c.prepare_cached(
        "INSERT INTO history (id, time_unix_nanos, method, path, event, connection, verdict, detail, status, \
         latency_us, trace, retry, request, replay_of, forward_url, forward_status, forward_latency_us, \
         forward_headers, forward_body, forward_error, body_cut) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        e.id,
        e.time_unix_nanos as i64,
        e.method,
        e.path,
        e.event,
        e.connection,
        e.verdict,
        e.detail,
        e.status,
        e.latency.as_micros() as i64,
        e.trace,
        e.retry,
        e.request,
        e.replay_of,
        f.map(|f| &f.url),
        f.and_then(|f| f.status),
        f.map(|f| f.latency_us),
        f.map(|f| serde_json::to_string(&f.headers).unwrap_or_default()),
        f.map(|f| &f.body),
        f.and_then(|f| f.error.as_deref()),
        e.body_cut.map(|n| n as i64),
    ])?;
    Ok(())
}

/// Drops all but the newest `keep` rows; returns the bytes freed ([`row_bytes`]).
pub(super) fn trim_rows(c: &Connection, keep: usize) -> rusqlite::Result<u64> {
    // Saturating: a bound over i64::MAX would wrap negative and keep nothing.
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    delete_through(c, "(SELECT max(id) FROM history) - ?1", keep)
}

/// Drops the oldest rows until at least `free` bytes ([`row_bytes`]) are freed (or none is left);
/// returns the bytes freed.
pub(super) fn trim_bytes(c: &Connection, free: u64) -> rusqlite::Result<u64> {
    if free == 0 {
        return Ok(0);
    }
    // The newest id among the oldest rows whose sizes add up to `free`.
    let mut st = c.prepare_cached(&format!("SELECT id, {SIZE} FROM history ORDER BY id"))?;
    let mut rows = st.query([])?;
    let (mut sum, mut last) = (0u64, None);
    while let Some(r) = rows.next()? {
        last = Some(r.get::<_, i64>(0)?);
        sum += r.get::<_, i64>(1)?.max(0) as u64;
        if sum >= free {
            break;
        }
    }
    drop(rows);
    drop(st);
    match last {
        Some(id) => delete_through(c, "?1", id),
        None => Ok(0),
    }
}

fn delete_through(c: &Connection, bound: &str, arg: i64) -> rusqlite::Result<u64> {
    let mut st = c.prepare_cached(&format!("DELETE FROM history WHERE id <= {bound} RETURNING {SIZE}"))?;
    let mut rows = st.query([arg])?;
    let mut freed = 0u64;
    while let Some(r) = rows.next()? {
        freed += r.get::<_, i64>(0)?.max(0) as u64;
    }
    Ok(freed)
}

fn from_row(r: &Row<'_>, with_request: bool) -> rusqlite::Result<Record> {
    Ok(Record {
        id: r.get(0)?,
        time_unix_nanos: i128::from(r.get::<_, i64>(1)?),
        method: r.get(2)?,
        path: r.get(3)?,
        event: r.get(4)?,
        connection: r.get(5)?,
        verdict: r.get(6)?,
        detail: r.get(7)?,
        status: r.get(8)?,
        latency: Duration::from_micros(r.get::<_, i64>(9)?.max(0) as u64),
        trace: r.get(10)?,
        retry: r.get(11)?,
        replay_of: r.get(12)?,
        forwarded: match r.get::<_, Option<String>>(13)? {
            None => None,
            Some(url) => Some(Forwarded {
                url,
                status: r.get(14)?,
                latency_us: r.get::<_, Option<i64>>(15)?.unwrap_or(0),
                headers: r
                    .get::<_, Option<String>>(16)?
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                body: if with_request { r.get::<_, Option<Vec<u8>>>(20)?.unwrap_or_default() } else { Vec::new() },
                error: r.get(17)?,
            }),
        },
        body_cut: r.get::<_, Option<i64>>(18)?.map(|n| n.max(0) as u64),
        request: if with_request { r.get(19)? } else { None },
        ..Record::default()
    })
}

/// The highest id stored, 0 for an empty history: new ids continue from it.
pub(super) fn max_id(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("SELECT coalesce(max(id), 0) FROM history", [], |r| r.get(0))
}

/// The rows `q` selects, newest first, without their request bytes.
pub(super) fn list(c: &Connection, q: &HistoryQuery) -> rusqlite::Result<Vec<Record>> {
    let mut sql = format!("SELECT {COLUMNS} FROM history WHERE 1");
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(b) = q.before {
        sql.push_str(" AND id < ?");
        args.push(b.into());
    }
    for (col, v) in [("event", &q.event), ("connection", &q.connection), ("verdict", &q.verdict)] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ?"));
            args.push(v.clone().into());
        }
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    args.push((if q.limit == 0 { 100 } else { q.limit } as i64).into());
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args), |r| from_row(r, false))?;
    rows.collect()
}

/// One row with its request bytes.
pub(super) fn get(c: &Connection, id: i64) -> rusqlite::Result<Option<Record>> {
    let mut st = c.prepare_cached(&format!("SELECT {COLUMNS}, request, forward_body FROM history WHERE id = ?1"))?;
    let mut rows = st.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(from_row(r, true)?)),
        None => Ok(None),
    }
}
