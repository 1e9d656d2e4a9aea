//! Opening the database: the pragmas, the schema and its migrations (`PRAGMA user_version`), and
//! the connections and seen vote ids read into memory. Runs once, before the store serves; never
//! writes a row.

use std::collections::HashMap;

use rusqlite::TransactionBehavior;

use super::seen::SeenVotes;
use super::{BUSY_TIMEOUT, Connection, SEEN_VOTES, history_table};
use crate::protocol::secret::Secret;

const SCHEMA_VERSION: i64 = 1;

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

/// The signatures of accepted state changes (see `replay.rs`), kept so the replay guard holds
/// across a restart. Created on every open (not a schema version: older topgg-int ignore it).
const REPLAY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS replay_guard (
    seq INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    v1 BLOB NOT NULL,
    UNIQUE (t, v1)
);";

/// Pragmas, schema, and the connections and seen vote ids into memory.
pub(super) fn init(db: &mut rusqlite::Connection) -> rusqlite::Result<(HashMap<String, Connection>, SeenVotes)> {
    // Well under Top.gg's 5 s: a create facing a database another process holds answers 500 in
    // time rather than after Top.gg gave up.
    db.busy_timeout(BUSY_TIMEOUT)?;
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(rusqlite::Error::ToSqlConversionFailure(
            format!("schema version {version}, newer than this topgg-int's {SCHEMA_VERSION}").into(),
        ));
    }
    let _: String = db.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.execute_batch(REPLAY_SCHEMA)?;
    if version < SCHEMA_VERSION {
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(history_table::SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    }
    history_table::migrate(db)?;
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
