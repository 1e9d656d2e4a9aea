//! The `history` table of the SQLite store, where the request history was kept before it moved to
//! segment files (see [`super::history`]). Still created (so a database stays readable by the
//! topgg-int that wrote it) and still migrated (`body_cut`); its rows are moved to the segment
//! files once, at open ([`take_after`]), and deleted. Nothing writes to it any more.

use std::time::Duration;

use rusqlite::{Connection, Row};

use crate::receiver::record::{Forwarded, Record};

/// The table, as topgg-int created it when the history lived here.
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

/// The rows with an id above `after`, oldest first, with their bytes (for the move to the segment
/// files: rows already moved by a start that stopped before deleting them are not moved twice).
pub(super) fn take_after(c: &Connection, after: i64) -> rusqlite::Result<Vec<Record>> {
    let mut st =
        c.prepare(&format!("SELECT {COLUMNS}, request, forward_body FROM history WHERE id > ?1 ORDER BY id"))?;
    let rows = st.query_map([after], |r| from_row(r, true))?;
    rows.collect()
}

/// Whether the table holds any row.
pub(super) fn has_rows(c: &Connection) -> rusqlite::Result<bool> {
    c.query_row("SELECT EXISTS (SELECT 1 FROM history)", [], |r| r.get(0))
}

/// Deletes every row and gives the space back (once the rows are moved).
pub(super) fn clear(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch("DELETE FROM history; VACUUM;")?;
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}
