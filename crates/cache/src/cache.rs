//! [`TokenCache`]: the thread-safe handle every caller uses.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use secrecy::SecretString;

use crate::data::CacheData;
use crate::entry::{
    AccessTokenEntry, AccountEntry, AppMetadataEntry, IdTokenEntry, RefreshTokenEntry,
};
use crate::error::CacheError;
use crate::ingest::{Ingested, TokenIngest};
use crate::partition::{Partition, PartitionWrite, PartitionedStore};
use crate::query::{AccessTokenQuery, Keyed, RefreshTokenQuery};
use crate::store::{CacheStore, StoreLease, StoreVersion};

/// A shared, thread-safe token cache. Clones share the same contents.
///
/// Readers run concurrently; writers take turns. With a [`CacheStore`], [`load`] reads
/// the persisted state and [`save`] merges this cache's changes onto it; without one
/// ([`TokenCache::new`]), the cache lives in memory only.
///
/// [`load`]: TokenCache::load
/// [`save`]: TokenCache::save
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    data: RwLock<CacheData>,
    store: Option<Arc<dyn CacheStore>>,
    /// The store's version this cache last read (see [`TokenCache::is_stale`]).
    seen: Mutex<Seen>,
}

/// What this cache knows of the store's persisted state.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seen {
    /// Never loaded, or written since without knowing the version written: read again.
    Unknown,
    /// Loaded (or saved) at this version; `None` when the store cannot tell versions.
    At(Option<StoreVersion>),
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.read().len())
            .field("store", &self.inner.store.as_ref().map(|s| s.location()))
            .finish()
    }
}

impl TokenCache {
    /// An empty cache kept in memory only.
    pub fn new() -> TokenCache {
        TokenCache::build(None)
    }

    /// An empty cache persisted in `store`; call [`TokenCache::load`] to read it.
    pub fn with_store(store: impl CacheStore + 'static) -> TokenCache {
        TokenCache::build(Some(Arc::new(store)))
    }

    /// Like [`TokenCache::with_store`], for a store already shared.
    pub fn with_shared_store(store: Arc<dyn CacheStore>) -> TokenCache {
        TokenCache::build(Some(store))
    }

    fn build(store: Option<Arc<dyn CacheStore>>) -> TokenCache {
        TokenCache {
            inner: Arc::new(Inner {
                data: RwLock::new(CacheData::default()),
                store,
                seen: Mutex::new(Seen::Unknown),
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, CacheData> {
        self.inner
            .data
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, CacheData> {
        self.inner
            .data
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn location(&self) -> String {
        self.inner
            .store
            .as_ref()
            .map_or_else(|| "memory".to_owned(), |s| s.location())
    }

    /// Reads the persisted state from the store, keeping changes not yet saved on top of
    /// it. Without a store, does nothing. A corrupt store leaves this cache unchanged.
    pub fn load(&self) -> Result<(), CacheError> {
        let Some(store) = &self.inner.store else {
            return Ok(());
        };
        // Read before the bytes: a write in between makes the next check reload again,
        // never miss it.
        let version = store.version();
        let bytes = store.load()?;
        let loaded = CacheData::parse(bytes.as_deref().unwrap_or_default(), &store.location())?;
        let mut data = self.write();
        let (merged, left_out) = data.merged_onto(loaded);
        *data = merged.with_journal_of(&data, &left_out);
        *self.seen() = Seen::At(version);
        Ok(())
    }

    /// Whether the store may hold something this cache has not read: never loaded, or
    /// the store's [`version`](CacheStore::version) changed since (another process
    /// wrote). Cheap (one `stat` for a [`crate::FileStore`]); call
    /// [`load`](TokenCache::load) when true. Always false without a store; for a store
    /// without versions, true only until the first load.
    pub fn is_stale(&self) -> bool {
        let Some(store) = &self.inner.store else {
            return false;
        };
        match *self.seen() {
            Seen::Unknown => true,
            Seen::At(None) => false,
            Seen::At(Some(seen)) => store.version() != Some(seen),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.inner
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges this cache's changes since the last load or save onto the persisted state,
    /// under the store's lock, and persists the result; this cache then holds the merged
    /// state (entries other writers saved included). Does nothing without a store or
    /// without changes. Fails, writing nothing, if the persisted state is corrupt.
    ///
    /// Each changed entry is last writer wins, except after a sign-out elsewhere: an
    /// account this cache loaded that another writer removed since stays removed, and
    /// the tokens this cache wrote for it meanwhile (a refresh) are dropped, unless this
    /// cache signed the account in again (wrote its account entry).
    pub fn save(&self) -> Result<(), CacheError> {
        let Some(store) = &self.inner.store else {
            self.write().clear_journal();
            return Ok(());
        };
        let mut data = self.write();
        if !data.has_changes() {
            return Ok(());
        }
        let location = store.location();
        let mut merged = None;
        store.save(&mut |current: Option<&[u8]>| {
            let base = CacheData::parse(current.unwrap_or_default(), &location)?;
            let (result, _left_out) = data.merged_onto(base);
            let bytes = result.serialize().into_bytes();
            merged = Some(result);
            Ok(bytes)
        })?;
        if let Some(merged) = merged {
            *data = merged;
        }
        // The version written is not known here (reading it now could see another
        // writer's, and skip reading their entries): a store with versions is read again
        // before the next use. One that cannot tell versions is not.
        let mut seen = self.seen();
        if *seen != Seen::At(None) {
            *seen = Seen::Unknown;
        }
        Ok(())
    }

    /// Takes the store's refresh lease (see [`CacheStore::lease`]), waiting up to
    /// `wait`; `Ok(None)` without a store, without leases, or when the wait ran out.
    /// Blocks: call it off async threads.
    pub fn lease(&self, wait: std::time::Duration) -> Result<Option<StoreLease>, CacheError> {
        match &self.inner.store {
            Some(store) => store.lease(wait),
            None => Ok(None),
        }
    }

    /// Whether this cache's store has refresh leases ([`CacheStore::has_leases`]).
    pub fn has_leases(&self) -> bool {
        self.inner
            .store
            .as_ref()
            .is_some_and(|store| store.has_leases())
    }

    /// Reads `partition` from a [`PartitionedStore`] into this cache: its entries here
    /// are replaced by the store's, with this cache's unsaved changes to it kept on top
    /// (unless another writer signed the account out since). Other partitions' entries
    /// are untouched. A corrupt partition leaves this cache unchanged.
    pub async fn load_partition(
        &self,
        store: &dyn PartitionedStore,
        partition: &Partition,
    ) -> Result<(), CacheError> {
        let bytes = store.load(partition).await?;
        let loaded = CacheData::parse(bytes.as_deref().unwrap_or_default(), &store.location())?;
        self.write().replace_partition(partition, &loaded);
        Ok(())
    }

    /// Merges this cache's changes to `partition` onto the partition as a
    /// [`PartitionedStore`] holds it, and writes the result there (compare-and-set:
    /// another writer's concurrent update is merged, not lost); this cache then holds
    /// the partition as written. `now` (Unix seconds) dates the partition's expiry: 90
    /// days after its latest refresh token, else its latest access token's expiry. Does
    /// nothing when the partition has no changes; writes nothing if the stored partition
    /// is corrupt.
    pub async fn save_partition(
        &self,
        store: &dyn PartitionedStore,
        partition: &Partition,
        now: u64,
    ) -> Result<(), CacheError> {
        let saved = self.read().partition_changes(partition);
        if saved.changes.is_empty() {
            return Ok(());
        }
        let location = store.location();
        let mut merged = None;
        store
            .save(partition, &mut |current: Option<&[u8]>| {
                let base = CacheData::parse(current.unwrap_or_default(), &location)?;
                let result = self.read().merged_partition_onto(partition, base);
                let write = PartitionWrite {
                    bytes: (!result.is_blank()).then(|| result.serialize().into_bytes()),
                    time_to_live: result
                        .partition_expires_at(now)
                        .map(|at| std::time::Duration::from_secs(at.saturating_sub(now))),
                };
                merged = Some(result);
                Ok(write)
            })
            .await?;
        if let Some(merged) = merged {
            self.write().commit_partition(partition, &saved, &merged);
        }
        Ok(())
    }

    /// The partitions holding changes not saved yet (see
    /// [`TokenCache::save_partition`]).
    pub fn changed_partitions(&self) -> Vec<Partition> {
        self.read().changed_partitions()
    }

    /// Whether this cache is persisted in a [`CacheStore`] (else it lives in memory only,
    /// and [`load`](TokenCache::load) and [`save`](TokenCache::save) never block).
    pub fn has_store(&self) -> bool {
        self.inner.store.is_some()
    }

    /// Whether the cache changed since the last load, save or deserialize.
    pub fn has_state_changed(&self) -> bool {
        self.read().has_changes()
    }

    /// The cache as MSAL Python's `SerializableTokenCache.serialize()` writes it.
    pub fn serialize(&self) -> String {
        self.read().serialize()
    }

    /// Replaces the contents with a serialized cache (MSAL Python, MSAL Node or this
    /// crate), as MSAL's `deserialize`. On error the contents are unchanged.
    pub fn deserialize(&self, bytes: &[u8]) -> Result<(), CacheError> {
        let data = CacheData::parse(bytes, &self.location())?;
        *self.write() = data;
        Ok(())
    }

    /// Writes the entries for one token response, as MSAL Python does; an access token
    /// of the same account, environment, client and realm whose scopes overlap the new
    /// one's is replaced.
    pub fn ingest(&self, ingest: &TokenIngest) -> Ingested {
        self.write().ingest(ingest)
    }

    /// The usable access token for an account (or the app), if any; the one that
    /// expires last when several match.
    pub fn access_token(&self, query: &AccessTokenQuery<'_>) -> Option<Keyed<AccessTokenEntry>> {
        self.read().find_access_token(query)
    }

    /// The refresh tokens that may serve a query, best first: the family's (when a family
    /// is given), then the client's own, each newest first.
    pub fn refresh_tokens(&self, query: &RefreshTokenQuery<'_>) -> Vec<Keyed<RefreshTokenEntry>> {
        self.read().find_refresh_tokens(query)
    }

    /// The best refresh token for a query (the first of [`TokenCache::refresh_tokens`]).
    pub fn refresh_token(&self, query: &RefreshTokenQuery<'_>) -> Option<Keyed<RefreshTokenEntry>> {
        self.read().find_refresh_tokens(query).into_iter().next()
    }

    /// The id token of an account for a client and realm.
    pub fn id_token(
        &self,
        home_account_id: &str,
        environments: &[&str],
        client_id: &str,
        realms: &[&str],
    ) -> Option<Arc<IdTokenEntry>> {
        self.read()
            .find_id_token(home_account_id, environments, client_id, realms)
    }

    /// Accounts in the given environments (empty: any), optionally with one username
    /// (case-insensitive), one per `home_account_id`, as MSAL Python's `get_accounts`.
    ///
    /// The list is shared and immutable. Without a username it is computed once per
    /// generation of the cache's accounts: until an account entry is written or removed,
    /// or the cache is loaded or deserialized, a call with the same environments returns
    /// the same `Arc` (a reference count increment).
    pub fn accounts(
        &self,
        environments: &[&str],
        username: Option<&str>,
    ) -> Arc<[Arc<AccountEntry>]> {
        self.read().shared_accounts(environments, username)
    }

    /// The account entry of `home_account_id` in the given environments (empty: any).
    pub fn account(
        &self,
        home_account_id: &str,
        environments: &[&str],
    ) -> Option<Arc<AccountEntry>> {
        self.read().find_account(home_account_id, environments)
    }

    /// The app metadata of a client (tells whether it belongs to a family).
    pub fn app_metadata(
        &self,
        environments: &[&str],
        client_id: &str,
    ) -> Option<Arc<AppMetadataEntry>> {
        self.read().find_app_metadata(environments, client_id)
    }

    /// Removes an account and everything it owns (access, refresh and id tokens of every
    /// client) in the given environments (empty: any); returns how many entries went.
    pub fn remove_account(&self, home_account_id: &str, environments: &[&str]) -> usize {
        self.write().remove_account(home_account_id, environments)
    }

    /// Replaces the secret of the refresh token stored under `key` after the server
    /// rotated it, and stamps `last_modification_time`; false if there is no such token.
    pub fn update_refresh_token(&self, key: &str, secret: SecretString, now: u64) -> bool {
        self.write().update_refresh_token(key, secret, now)
    }

    /// Removes every access token that expired before `now` (or whose expiry is past
    /// [`crate::LATEST_TIME`], which is never served); returns how many went.
    pub fn remove_expired_access_tokens(&self, now: u64) -> usize {
        self.write().remove_expired_access_tokens(now)
    }

    /// The number of entries of every kind (entries kept verbatim included).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
