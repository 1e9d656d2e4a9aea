//! Importing the old JSON store (`connections.json`) into the database, once.

use std::fs;
use std::path::Path;

use rusqlite::{TransactionBehavior, params};
use serde::Deserialize;

use super::files::sync_dir;
use super::{Imported, STORE_FILE, Store, load_connections};
use crate::error::{Error, Result, io_reason};
use crate::protocol::payload::{Project, User};

impl Store {
    /// Imports `connections.json` when present (a row already in the database wins), then renames
    /// it aside. Importing again after a crash between the two steps changes nothing.
    pub(super) fn import_json(&self, dir: &Path) -> Result<Option<Imported>> {
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
