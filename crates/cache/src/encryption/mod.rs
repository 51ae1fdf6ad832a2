//! Encryption at rest: [`EncryptedStore`] wraps any [`CacheStore`] or
//! [`PartitionedStore`] and keeps what it stores encrypted with an application's
//! [`EncryptionKey`] (AES-256-GCM, a random nonce per write).
//!
//! What is encrypted is the cache document (every token, account and id token). What is
//! not: the file's name, size and times, and for a partitioned store the partitions'
//! names (a partition is named after its account's `home_account_id`, or its
//! application's client id and tenant), which the store needs to find them.

mod envelope;
mod key;
#[cfg(all(feature = "keyring", target_os = "linux"))]
mod keyring;

use std::sync::Arc;
use std::time::Duration;

pub use envelope::is_encrypted;
use envelope::{Binding, SealError};
pub use key::{EncryptionKey, KEY_LEN, KeyError};

use crate::error::CacheError;
use crate::partition::{Lease, Partition, PartitionMerge, PartitionWrite, PartitionedStore};
use crate::store::{CacheStore, Merge, StoreLease, StoreVersion};

/// A store whose bytes are encrypted: it encrypts what the cache saves and decrypts
/// what it loads, with AES-256-GCM under an [`EncryptionKey`], and otherwise passes
/// everything through to the store it wraps (a [`crate::FileStore`], a
/// [`crate::MemoryStore`], a [`PartitionedStore`] such as Redis, ...).
///
/// - Each write gets a new random nonce and a small header (magic, format version, the
///   key's [id](EncryptionKey::id)); a partition's name is bound into the ciphertext,
///   so bytes moved under another partition's name do not decrypt.
/// - Key rotation: [`with_previous_keys`](EncryptedStore::with_previous_keys) gives keys
///   that are still read; the cache is always written with the current key, so every
///   file or partition moves to it at its next save.
/// - A wrong key, truncated or altered bytes, or a plaintext cache where an encrypted one
///   is expected: loads and saves fail with [`CacheError::Undecryptable`], and the stored
///   bytes are left as they are.
///
/// ```
/// use entra_cache::{EncryptedStore, EncryptionKey, FileStore, TokenCache};
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("cache.bin");
/// # let key_text = EncryptionKey::generate()?.to_base64();
/// # let old_key_text = EncryptionKey::generate()?.to_base64();
/// # use secrecy::ExposeSecret;
/// // The key comes from wherever the application keeps secrets (an environment
/// // variable, a secret manager, ...), as base64 or hex.
/// let key = EncryptionKey::from_text(key_text.expose_secret())?;
/// let old_key = EncryptionKey::from_text(old_key_text.expose_secret())?;
/// let store = EncryptedStore::new(FileStore::new(path), key).with_previous_keys([old_key]);
/// let cache = TokenCache::with_store(store);
/// cache.load()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EncryptedStore<S> {
    inner: S,
    current: EncryptionKey,
    previous: Vec<EncryptionKey>,
}

impl<S> EncryptedStore<S> {
    /// Encrypts `inner`'s bytes with `current`.
    pub fn new(inner: S, current: EncryptionKey) -> EncryptedStore<S> {
        EncryptedStore {
            inner,
            current,
            previous: Vec::new(),
        }
    }

    /// Also decrypts what was written with these keys (keys being rotated out); writes
    /// always use the current key.
    pub fn with_previous_keys(
        mut self,
        keys: impl IntoIterator<Item = EncryptionKey>,
    ) -> EncryptedStore<S> {
        self.previous.extend(keys);
        self
    }

    /// The store this one wraps.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The id of the key every write uses.
    pub fn current_key_id(&self) -> String {
        self.current.id()
    }

    fn keys(&self) -> Vec<&EncryptionKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .collect()
    }

    fn open(
        &self,
        location: impl FnOnce() -> String,
        bytes: &[u8],
        binding: Binding<'_>,
    ) -> Result<Vec<u8>, CacheError> {
        envelope::open(bytes, &self.keys(), binding).map_err(|reason| CacheError::Undecryptable {
            location: location(),
            reason,
        })
    }

    fn seal(
        &self,
        location: impl FnOnce() -> String,
        plaintext: &[u8],
        binding: Binding<'_>,
    ) -> Result<Vec<u8>, CacheError> {
        envelope::seal(plaintext, &self.current, binding).map_err(|error: SealError| {
            CacheError::Store {
                location: location(),
                source: Arc::new(error),
            }
        })
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for EncryptedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedStore")
            .field("inner", &self.inner)
            .field("current", &self.current)
            .field("previous", &self.previous)
            .finish()
    }
}

impl<S: CacheStore> CacheStore for EncryptedStore<S> {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        match self.inner.load()? {
            None => Ok(None),
            Some(sealed) => self
                .open(|| self.inner.location(), &sealed, Binding::Whole)
                .map(Some),
        }
    }

    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        // The inner store writes nothing when this merge fails: bytes that do not
        // decrypt are never replaced.
        self.inner.save(&mut |current| {
            let plaintext = current
                .map(|sealed| self.open(|| self.inner.location(), sealed, Binding::Whole))
                .transpose()?;
            let merged = merge(plaintext.as_deref())?;
            self.seal(|| self.inner.location(), &merged, Binding::Whole)
        })
    }

    fn version(&self) -> Option<StoreVersion> {
        self.inner.version()
    }

    fn lease(&self, wait: Duration) -> Result<Option<StoreLease>, CacheError> {
        self.inner.lease(wait)
    }

    fn has_leases(&self) -> bool {
        self.inner.has_leases()
    }
}

#[async_trait::async_trait]
impl<S: PartitionedStore> PartitionedStore for EncryptedStore<S> {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError> {
        match self.inner.load(partition).await? {
            None => Ok(None),
            Some(sealed) => self
                .open(
                    || partition_location(&self.inner, partition),
                    &sealed,
                    Binding::Partition(partition),
                )
                .map(Some),
        }
    }

    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError> {
        let location = || partition_location(&self.inner, partition);
        let binding = Binding::Partition(partition);
        self.inner
            .save(partition, &mut |current| {
                let plaintext = current
                    .map(|sealed| self.open(location, sealed, binding))
                    .transpose()?;
                let PartitionWrite {
                    bytes,
                    time_to_live,
                } = merge(plaintext.as_deref())?;
                let bytes = bytes
                    .map(|merged| self.seal(location, &merged, binding))
                    .transpose()?;
                Ok(PartitionWrite {
                    bytes,
                    time_to_live,
                })
            })
            .await
    }

    async fn partitions(&self) -> Result<Vec<Partition>, CacheError> {
        self.inner.partitions().await
    }

    fn generation(&self, partition: &Partition) -> Option<u64> {
        self.inner.generation(partition)
    }

    async fn lease(
        &self,
        partition: &Partition,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Option<Box<dyn Lease>>, CacheError> {
        self.inner.lease(partition, ttl, wait).await
    }
}

/// A partition's location in errors: the store's, and the partition's name.
fn partition_location<S: PartitionedStore>(store: &S, partition: &Partition) -> String {
    format!("{} (partition {partition})", store.location())
}

#[cfg(test)]
mod tests;
