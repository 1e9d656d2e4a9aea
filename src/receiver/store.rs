//! The receiver's durable connection store and its integration secret, both in the data dir.
//!
//! Connections live in `connections.json`. Every change is written to a temporary file, fsynced,
//! renamed over the old file, and the directory is fsynced, before the caller acknowledges it: a
//! crash at any point leaves either the old or the new file, never a torn one. A store that cannot
//! be read or parsed is an error naming its path; it is never overwritten. Nothing here prints.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::error::{Error, Result, io_reason};
use crate::protocol::generate;
use crate::protocol::payload::{Project, User};
use crate::protocol::secret::Secret;

/// The store's file name inside the data dir.
pub const STORE_FILE: &str = "connections.json";
/// The generated integration secret's file name inside the data dir.
pub const SECRET_FILE: &str = "integration-secret";

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

#[derive(Serialize, Deserialize)]
struct StoredConnection {
    connection_id: String,
    webhook_secret: String,
    project: Project,
    user: User,
    created_at: i64,
}

#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    connections: Vec<StoredConnection>,
}

/// The connections, in memory for lookups and on disk for durability.
pub struct Store {
    dir: PathBuf,
    path: PathBuf,
    map: RwLock<Arc<HashMap<String, Connection>>>,
    writer: Mutex<()>,
}

impl Store {
    /// Opens the store in `dir` (created if missing). A store file that cannot be read or parsed is
    /// an error naming it, so a damaged store is reported instead of replaced by an empty one.
    pub fn open(dir: &Path) -> Result<Store> {
        fs::create_dir_all(dir).map_err(|e| Error::io("create the data directory", dir, &e))?;
        let path = dir.join(STORE_FILE);
        let map = match fs::read(&path) {
            Ok(raw) => parse_store(&raw).map_err(|why| {
                Error::input(format!(
                    "the connection store {} is corrupt ({why}); refusing to start rather than overwrite it: \
                     repair the file or move it away",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => {
                return Err(Error::input(format!(
                    "could not read the connection store {}: {}; refusing to start",
                    path.display(),
                    io_reason(&e)
                )));
            }
        };
        // A leftover temporary file is a write that never got acknowledged.
        let _ = fs::remove_file(tmp_path(&path));
        Ok(Store { dir: dir.to_path_buf(), path, map: RwLock::new(Arc::new(map)), writer: Mutex::new(()) })
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection with this id.
    pub fn get(&self, id: &str) -> Option<Connection> {
        self.snapshot().get(id).cloned()
    }

    /// The webhook secret of the connection with this id (the per-delivery lookup).
    pub fn secret_of(&self, id: &str) -> Option<Secret> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).get(id).map(|c| c.webhook_secret.clone())
    }

    /// Every connection, oldest first.
    pub fn list(&self) -> Vec<Connection> {
        let mut all: Vec<Connection> = self.snapshot().values().cloned().collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.connection_id.cmp(&b.connection_id)));
        all
    }

    /// How many connections there are.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The connections as of now, without copying them: the receiver borrows a connection's secret
    /// from this for each delivery instead of cloning it.
    pub fn snapshot(&self) -> Arc<HashMap<String, Connection>> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stores (or replaces) a connection; returns once it is durably on disk. Returns whether it
    /// replaced one with the same id.
    pub fn put(&self, conn: Connection) -> std::io::Result<bool> {
        self.change(|m| m.insert(conn.connection_id.clone(), conn).is_some())
    }

    /// Forgets a connection; returns once that is durably on disk. Returns whether it existed.
    pub fn remove(&self, id: &str) -> std::io::Result<bool> {
        if !self.snapshot().contains_key(id) {
            return Ok(false);
        }
        self.change(|m| m.remove(id).is_some())
    }

    fn change(&self, f: impl FnOnce(&mut HashMap<String, Connection>) -> bool) -> std::io::Result<bool> {
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = (*self.snapshot()).clone();
        let changed = f(&mut next);
        let mut conns: Vec<&Connection> = next.values().collect();
        conns.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.connection_id.cmp(&b.connection_id)));
        let file = StoreFile {
            version: 1,
            connections: conns
                .into_iter()
                .map(|c| StoredConnection {
                    connection_id: c.connection_id.clone(),
                    webhook_secret: c.webhook_secret.expose().to_string(),
                    project: c.project.clone(),
                    user: c.user.clone(),
                    created_at: c.created_at,
                })
                .collect(),
        };
        let mut raw = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        raw.push(b'\n');
        write_durably(&self.dir, &self.path, &raw)?;
        *self.map.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(changed)
    }
}

fn parse_store(raw: &[u8]) -> std::result::Result<HashMap<String, Connection>, String> {
    let file: StoreFile = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    if file.version != 1 {
        return Err(format!("unknown store version {}", file.version));
    }
    let mut map = HashMap::new();
    for c in file.connections {
        map.insert(
            c.connection_id.clone(),
            Connection {
                connection_id: c.connection_id,
                webhook_secret: Secret::new(c.webhook_secret),
                project: c.project,
                user: c.user,
                created_at: c.created_at,
            },
        );
    }
    Ok(map)
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
    fs::create_dir_all(dir).map_err(|e| Error::io("create the data directory", dir, &e))?;
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
            let secret = generate::integration_secret();
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

    #[test]
    fn survives_reopen_and_refuses_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert!(!s.put(conn("1")).unwrap());
        assert!(!s.put(conn("2")).unwrap());
        assert!(s.remove("1").unwrap());
        assert!(!s.remove("1").unwrap());
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.list().iter().map(|c| c.connection_id.as_str()).collect::<Vec<_>>(), ["2"]);
        assert_eq!(s.secret_of("2").unwrap().expose(), "whs_2");
        fs::write(dir.path().join(STORE_FILE), b"{\"version\":1,\"connections\":[").unwrap();
        let err = Store::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("corrupt") && err.contains(STORE_FILE), "{err}");
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
