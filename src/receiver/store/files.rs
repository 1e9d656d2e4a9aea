//! Private files in the data dir: 0700 directories, 0600 files, durable writes, the integration
//! secret and the platform's default data dir.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SECRET_FILE;
use crate::error::{Error, Result};
use crate::protocol::generate;
use crate::protocol::secret::Secret;

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

/// The lock file inside the data dir: held (an exclusive `flock`) for as long as a store is open,
/// so two `serve` never share one data dir. The kernel drops it when the process dies, even by
/// SIGKILL, so a crash never leaves the dir locked.
pub const LOCK_FILE: &str = "topgg-int.lock";

/// Takes the data dir's lock, or says which dir is in use. The returned file holds the lock.
pub fn lock_data_dir(dir: &Path) -> Result<fs::File> {
    let path = dir.join(LOCK_FILE);
    let mut o = fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    private_mode(&mut o);
    let file = o.open(&path).map_err(|e| Error::io("open the data directory's lock", &path, &e))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock(2) on a file descriptor this function owns for the call's duration.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                Error::input(format!(
                    "the data directory {} is in use by another topgg-int serve (it holds {}); stop that one, \
                     or give this one another --data-dir",
                    dir.display(),
                    path.display()
                ))
            } else {
                Error::io("lock the data directory", &path, &e)
            });
        }
    }
    Ok(file)
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
        private_mode(&mut opts);
        let mut f = opts.open(&tmp)?;
        f.write_all(raw)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

#[cfg(unix)]
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
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
        // The same rules as --secret-file: an edited file with a stray space or a second line
        // would otherwise make every handshake answer 401 with no hint why.
        Ok(raw) => match Secret::from_file_text(&raw) {
            Ok((secret, _)) => Ok((secret, false)),
            Err(why) => Err(Error::input(format!(
                "the integration secret file {} {why} (or delete it to generate a new one)",
                path.display()
            ))),
        },
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
