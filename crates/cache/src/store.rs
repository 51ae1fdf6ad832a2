//! Persistence: the [`CacheStore`] trait and the in-memory store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::error::CacheError;

/// The merge step a store runs under its lock while saving: it receives the currently
/// persisted bytes (`None` if nothing is persisted) and returns the bytes to persist.
/// If it fails, the store must write nothing.
pub type Merge<'a> = dyn FnMut(Option<&[u8]>) -> Result<Vec<u8>, CacheError> + 'a;

/// Where a [`crate::TokenCache`] persists itself.
///
/// A store moves bytes; the cache parses and merges them. `save` must hold a lock that
/// excludes other writers (other threads and, for shared storage, other processes) from
/// re-reading the persisted state until the merged state is written, so that two writers
/// at once lose nothing.
pub trait CacheStore: Send + Sync {
    /// Where the cache lives, for error messages (a path, a URL without credentials, ...).
    fn location(&self) -> String;

    /// Reads the persisted cache; `Ok(None)` when nothing was persisted yet.
    fn load(&self) -> Result<Option<Vec<u8>>, CacheError>;

    /// Under the store's exclusive lock: reads the persisted cache, calls `merge` with it
    /// and persists the result atomically. Writes nothing if `merge` fails.
    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError>;

    /// A cheap fingerprint of the persisted state (for a file: its size, modification
    /// time and inode), read without the lock, that changes whenever another writer
    /// replaces it. A cache compares it before serving from memory and reloads when it
    /// changed, so a refresh token rotated by another process is the one it redeems.
    /// `None` (the default): the store cannot tell, and the cache loads it once.
    fn version(&self) -> Option<StoreVersion> {
        None
    }

    /// Takes the store's refresh lease, shared by every process using this store,
    /// waiting up to `wait` for another holder to release it. Dropping the returned
    /// guard releases it, as does the holder's death. `Ok(None)` when the wait ran out
    /// or the store has no leases (the default): the caller goes on without it.
    fn lease(&self, wait: Duration) -> Result<Option<StoreLease>, CacheError> {
        let _ = wait;
        Ok(None)
    }

    /// Whether [`lease`](CacheStore::lease) can ever be held (the default: no). A caller
    /// waits for a lease only when it can.
    fn has_leases(&self) -> bool {
        false
    }
}

/// A fingerprint of a store's persisted state (see [`CacheStore::version`]): equal
/// fingerprints mean nothing was written in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StoreVersion(pub u128);

/// A held [`CacheStore::lease`]; dropping it releases the lease.
pub struct StoreLease {
    _held: Box<dyn Send + Sync>,
}

impl StoreLease {
    /// A lease held as long as `held` lives (a locked file, a connection, ...).
    pub fn new(held: impl Send + Sync + 'static) -> StoreLease {
        StoreLease {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for StoreLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLease")
    }
}

/// A store that keeps the serialized cache in memory: useful to share one cache between
/// several [`crate::TokenCache`] handles built separately, and in tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    bytes: Mutex<Option<Vec<u8>>>,
    /// Bumped on every save, so handles sharing this store see each other's writes.
    saves: AtomicU64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store holding `bytes` (a serialized cache).
    pub fn with_bytes(bytes: Vec<u8>) -> MemoryStore {
        MemoryStore {
            bytes: Mutex::new(Some(bytes)),
            saves: AtomicU64::new(0),
        }
    }

    /// The bytes currently persisted.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl CacheStore for MemoryStore {
    fn location(&self) -> String {
        "memory".to_owned()
    }

    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.bytes())
    }

    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        let mut bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        let merged = merge(bytes.as_deref())?;
        *bytes = Some(merged);
        self.saves.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    fn version(&self) -> Option<StoreVersion> {
        Some(StoreVersion(u128::from(self.saves.load(Ordering::Acquire))))
    }
}
