//! A cache file shared by threads and processes: advisory lock, atomic replace, 0600.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::CacheError;
use crate::store::{CacheStore, Merge, StoreLease, StoreVersion};

/// How often a wait for the refresh lease looks again.
const LEASE_POLL: Duration = Duration::from_millis(5);

/// A cache persisted in one JSON file, in MSAL Python's format.
///
/// - Every load and save holds an advisory lock on `<path>.lock` (shared to load,
///   exclusive to save), which excludes other threads and processes using this store.
/// - A save re-reads the file under the lock and merges this cache's changes onto it, so
///   concurrent writers lose nothing.
/// - The file is replaced atomically: a temporary file beside it, created exclusively
///   under an unpredictable name, is written, flushed to disk and renamed over it, then
///   the directory is flushed. A crash leaves either the
///   old file or the new one.
/// - On Unix the cache, its lock file and their temporary files are created with mode
///   0600 (owner only), and missing parent directories with 0700.
/// - A file that does not parse is never overwritten: loads and saves fail with
///   [`CacheError::Corrupt`] until it is repaired or removed.
/// - Its [`version`](CacheStore::version) is the file's inode, size and modification
///   time (one `stat`), so a cache notices another process's write and reloads.
/// - Its refresh [`lease`](CacheStore::lease) is an exclusive lock on `<path>.lease`,
///   which the operating system releases if the holder dies.
#[derive(Clone, Debug)]
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    lease_path: PathBuf,
}

impl FileStore {
    /// A store for the cache file at `path` (created on first save).
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        let path = path.into();
        let beside = |suffix: &str| {
            let mut beside = path.clone().into_os_string();
            beside.push(suffix);
            PathBuf::from(beside)
        };
        FileStore {
            lock_path: beside(".lock"),
            lease_path: beside(".lease"),
            path,
        }
    }

    /// The cache file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The advisory lock file's path (`<path>.lock`).
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The refresh lease's lock file's path (`<path>.lease`).
    pub fn lease_path(&self) -> &Path {
        &self.lease_path
    }

    /// Opens (creating) a lock file beside the cache.
    fn open_lock_file(&self, path: &Path) -> Result<File, CacheError> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)
                .map_err(|e| CacheError::io("creating the directory", parent, e))?;
        }
        // A lock file has a fixed name (every process must find it), so a symlink
        // planted there is refused rather than followed.
        no_follow(private_options())
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| CacheError::io("opening the lock file", path, e))
    }

    fn lock(&self, exclusive: bool) -> Result<File, CacheError> {
        let file = self.open_lock_file(&self.lock_path)?;
        let locked = if exclusive {
            fs4::FileExt::lock(&file)
        } else {
            fs4::FileExt::lock_shared(&file)
        };
        locked.map_err(|e| CacheError::io("locking", &self.lock_path, e))?;
        // The lock is released when `file` is closed.
        Ok(file)
    }

    fn read(&self) -> Result<Option<Vec<u8>>, CacheError> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CacheError::io("reading", &self.path, e)),
        }
    }

    fn write_atomically(&self, bytes: &[u8]) -> Result<(), CacheError> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // An unpredictable name created with O_EXCL (mode 0600 on Unix): nothing planted
        // beforehand is followed or stands in the way. Dropped (and so removed) on failure.
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| CacheError::io("creating a temporary file in", &dir, e))?;
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| CacheError::io("writing", temp.path(), e))?;
        temp.persist(&self.path)
            .map_err(|e| CacheError::io("renaming onto", &self.path, e.error))?;
        sync_dir(&dir).map_err(|e| CacheError::io("flushing the directory", &dir, e))
    }
}

impl CacheStore for FileStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        let _lock = self.lock(false)?;
        self.read()
    }

    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        let _lock = self.lock(true)?;
        let current = self.read()?;
        let merged = merge(current.as_deref())?;
        self.write_atomically(&merged)
    }

    fn version(&self) -> Option<StoreVersion> {
        // A missing file is a version too (nothing persisted); an unreadable one is
        // "cannot tell", which makes the next load report the problem.
        match fs::metadata(&self.path) {
            Ok(metadata) => Some(fingerprint(&metadata)),
            Err(e) if e.kind() == ErrorKind::NotFound => Some(StoreVersion(0)),
            Err(_) => None,
        }
    }

    fn has_leases(&self) -> bool {
        true
    }

    fn lease(&self, wait: Duration) -> Result<Option<StoreLease>, CacheError> {
        let file = self.open_lock_file(&self.lease_path)?;
        let deadline = Instant::now() + wait;
        loop {
            match fs4::FileExt::try_lock(&file) {
                // Held until the file is closed, when the lease is dropped.
                Ok(()) => return Ok(Some(StoreLease::new(file))),
                Err(fs4::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LEASE_POLL);
                }
                Err(fs4::TryLockError::WouldBlock) => return Ok(None),
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(CacheError::io("locking", &self.lease_path, e));
                }
            }
        }
    }
}

/// The file's identity and state: a replace makes a new inode, a write a new size or
/// modification time.
#[cfg(unix)]
fn fingerprint(metadata: &fs::Metadata) -> StoreVersion {
    use std::os::unix::fs::MetadataExt;
    let inode = u128::from(metadata.ino()) << 64;
    let state = (metadata.size() as u128).rotate_left(40)
        ^ (metadata.mtime() as u128).wrapping_mul(1_000_000_000)
        ^ metadata.mtime_nsec() as u128
        ^ u128::from(metadata.dev()).rotate_left(96);
    StoreVersion(inode ^ state)
}

#[cfg(not(unix))]
fn fingerprint(metadata: &fs::Metadata) -> StoreVersion {
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    StoreVersion(modified ^ (u128::from(metadata.len()) << 96))
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    OpenOptions::new()
}

/// `options` that refuse to open a symbolic link (`O_NOFOLLOW`) where the platform has it.
#[cfg(unix)]
fn no_follow(mut options: OpenOptions) -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW);
    options
}

#[cfg(not(unix))]
fn no_follow(options: OpenOptions) -> OpenOptions {
    options
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows has no directory handle to flush; the rename is durable once it returns.
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[cfg(unix)]
    #[test]
    fn symlinks_planted_at_the_old_temporary_names_are_neither_followed_nor_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        // The names temporary files used to get: `.<name>.<pid>.<counter>.tmp`.
        for counter in 0..256 {
            let planted = dir
                .path()
                .join(format!(".cache.json.{}.{counter}.tmp", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }

        let store = FileStore::new(&path);
        store.save(&mut |_| Ok(b"{}".to_vec())).unwrap();

        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
        assert_eq!(store.load().unwrap().unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_lock_path_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let store = FileStore::new(&path);
        std::os::unix::fs::symlink(&victim, store.lock_path()).unwrap();
        fs::set_permissions(&victim, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();

        let error = store.save(&mut |_| Ok(b"{}".to_vec())).unwrap_err();

        assert!(error.to_string().contains("lock file"), "{error}");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&victim).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o644, "the victim's mode is untouched");
        assert!(fs::symlink_metadata(&path).is_err(), "nothing was written");
    }
}
