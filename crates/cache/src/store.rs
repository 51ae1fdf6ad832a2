//! Persistence: the [`CacheStore`] trait and the in-memory store.

use std::sync::{Mutex, PoisonError};

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
}

/// A store that keeps the serialized cache in memory: useful to share one cache between
/// several [`crate::TokenCache`] handles built separately, and in tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    bytes: Mutex<Option<Vec<u8>>>,
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
        Ok(())
    }
}
