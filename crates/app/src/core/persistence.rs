//! Keeping the in-memory cache coherent with where it is persisted, and the lease that
//! makes one refresh serve every process sharing the cache.
//!
//! - A whole store ([`entra_cache::CacheStore`]: a file, memory, a custom store) is read
//!   before first use and read again whenever its version changed (another process
//!   wrote it); saves merge onto what it holds.
//! - A partitioned store ([`PartitionedStore`]: Redis) is read one partition at a time,
//!   when this process has not read it yet or its generation says another writer
//!   changed it; saves write only the partitions that changed.
//! - Before refreshing, a caller takes the store's lease and reads the store again:
//!   when another process refreshed meanwhile, its tokens serve this caller and no
//!   second refresh is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use entra_cache::{Lease, Partition, PartitionedStore, StoreLease};

use super::{Core, run_blocking};
use crate::clock::unix_seconds;
use crate::error::AuthError;

/// How long a refresh lease lasts if its holder dies without giving it back.
pub(super) const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long a caller waits for another process's refresh before refreshing itself.
pub(super) const LEASE_WAIT: Duration = Duration::from_secs(35);
/// How long one attempt to take the lease waits before the caller looks whether the
/// holder's refreshed tokens have arrived (a partitioned store wakes it earlier when the
/// account's partition changes).
const LEASE_SLICE: Duration = Duration::from_millis(100);

/// A partitioned store and what this process has read of it.
pub(crate) struct Partitioned {
    store: Arc<dyn PartitionedStore>,
    /// Per partition read: the store's generation then (`None`: read it again).
    seen: Mutex<HashMap<Partition, Option<u64>>>,
}

impl Partitioned {
    pub(crate) fn new(store: Arc<dyn PartitionedStore>) -> Self {
        Self {
            store,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<Partition, Option<u64>>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this process's copy of `partition` may be behind the store.
    fn is_stale(&self, partition: &Partition) -> bool {
        let Some(now) = self.store.generation(partition) else {
            return true;
        };
        self.seen().get(partition) != Some(&Some(now))
    }
}

/// How waiting for the refresh lease ended.
pub(super) enum Leased<T> {
    /// Taken: this caller refreshes, then gives it back.
    Held(HeldLease),
    /// Another process's refresh arrived while waiting: what `arrived` found.
    Arrived(T),
    /// Not taken (no leases, or the wait ran out): this caller refreshes anyway.
    Without,
}

/// A held refresh lease, given back when the refresh is over.
pub(super) enum HeldLease {
    /// A whole store's (released when dropped).
    Whole(#[allow(dead_code)] StoreLease),
    /// A partitioned store's.
    Partitioned(Box<dyn Lease>),
}

impl HeldLease {
    pub(super) async fn release(self) {
        match self {
            HeldLease::Whole(lease) => drop(lease),
            HeldLease::Partitioned(lease) => {
                // Not given back, it expires by itself: worth a warning, not a failure.
                if let Err(error) = lease.release().await {
                    tracing::warn!(error = %error, "could not release the refresh lease");
                }
            }
        }
    }
}

impl Core {
    /// Brings this process's copy of an account's tokens up to date: reads its
    /// partition, or the whole store, again if another writer changed it since.
    pub(super) async fn fresh_account(&self, home_account_id: &str) -> Result<(), AuthError> {
        match &self.partitioned {
            Some(partitioned) => {
                let partition = Partition::account(home_account_id);
                if partitioned.is_stale(&partition) {
                    self.read_partition(partitioned, &partition).await?;
                }
                Ok(())
            }
            None => self.fresh_whole().await,
        }
    }

    /// Brings this process's copy of every account up to date (to list accounts): with
    /// a partitioned store, reads each account partition this process has not read or
    /// that changed since.
    pub(super) async fn fresh_all(&self) -> Result<(), AuthError> {
        let Some(partitioned) = &self.partitioned else {
            return self.fresh_whole().await;
        };
        for partition in partitioned.store.partitions().await? {
            if partition.is_account() && partitioned.is_stale(&partition) {
                self.read_partition(partitioned, &partition).await?;
            }
        }
        Ok(())
    }

    /// Reads the whole store again if another process wrote it since (at most one
    /// reload at a time; callers that waited find the cache fresh).
    async fn fresh_whole(&self) -> Result<(), AuthError> {
        if !self.cache.is_stale() {
            return Ok(());
        }
        let _reloading = self.reloading.lock().await;
        if self.cache.is_stale() {
            let cache = self.cache.clone();
            run_blocking(move || cache.load()).await?;
        }
        Ok(())
    }

    /// Reads `partition` from the store, whatever this process read before.
    async fn read_partition(
        &self,
        partitioned: &Partitioned,
        partition: &Partition,
    ) -> Result<(), AuthError> {
        // Read before the partition: a write in between makes the next call read again.
        let generation = partitioned.store.generation(partition);
        self.cache
            .load_partition(partitioned.store.as_ref(), partition)
            .await?;
        partitioned.seen().insert(partition.clone(), generation);
        Ok(())
    }

    /// Reads an account's tokens from the store again after taking the lease: another
    /// process may have refreshed while this one waited (and its invalidation may not
    /// have arrived yet).
    pub(super) async fn reread_account(&self, home_account_id: &str) -> Result<(), AuthError> {
        match &self.partitioned {
            Some(partitioned) => {
                self.read_partition(partitioned, &Partition::account(home_account_id))
                    .await
            }
            None => self.fresh_whole().await,
        }
    }

    /// Persists the cache's changes: the whole store's merge, or each changed
    /// partition's compare-and-set.
    pub(super) async fn persist(&self) -> Result<(), AuthError> {
        let Some(partitioned) = &self.partitioned else {
            return self.save_whole().await;
        };
        let now = unix_seconds(self.clock.now());
        for partition in self.cache.changed_partitions() {
            self.cache
                .save_partition(partitioned.store.as_ref(), &partition, now)
                .await?;
            // What was written is what this process holds, but other writers' changes
            // merged into it may come with their own invalidations: read again next time.
            partitioned.seen().insert(partition, None);
        }
        Ok(())
    }

    async fn save_whole(&self) -> Result<(), AuthError> {
        if !self.cache.has_store() {
            // In memory only: nothing blocks, so no hop to the blocking pool (two
            // thread switches per sign-in).
            return self.cache.save().map_err(AuthError::from);
        }
        let cache = self.cache.clone();
        run_blocking(move || cache.save()).await
    }

    /// Whether other processes may share this cache (so a refresh takes the lease).
    pub(super) fn is_shared(&self) -> bool {
        self.partitioned.is_some() || self.cache.has_store()
    }

    /// Waits for the store's refresh lease for an account, looking between attempts
    /// whether another process's refresh has arrived: `Arrived` as soon as `arrived`
    /// (given the account's tokens, read again when the store changed) says so, without
    /// taking the lease; else `Held`, or `Without` when the store has no leases or the
    /// wait ran out (the caller refreshes anyway: a slow holder must not stop every
    /// other process).
    pub(super) async fn lease_or<T>(
        &self,
        home_account_id: &str,
        arrived: impl Fn() -> Option<T>,
    ) -> Result<Leased<T>, AuthError> {
        if self.partitioned.is_none() && !self.cache.has_leases() {
            return Ok(Leased::Without);
        }
        let mut waited = Duration::ZERO;
        while waited < LEASE_WAIT {
            let slice = LEASE_SLICE.min(LEASE_WAIT - waited);
            let held = match &self.partitioned {
                Some(partitioned) => partitioned
                    .store
                    .lease(&Partition::account(home_account_id), LEASE_TTL, slice)
                    .await?
                    .map(HeldLease::Partitioned),
                None => {
                    let cache = self.cache.clone();
                    run_blocking(move || cache.lease(slice))
                        .await?
                        .map(HeldLease::Whole)
                }
            };
            if let Some(held) = held {
                return Ok(Leased::Held(held));
            }
            waited += slice;
            // Someone else holds it: read the account's tokens again if the store says
            // they changed (cheap when they did not), and stop waiting once they serve.
            self.fresh_account(home_account_id).await?;
            if let Some(found) = arrived() {
                return Ok(Leased::Arrived(found));
            }
        }
        tracing::debug!("refreshing without the store's lease: its holder did not finish in time");
        Ok(Leased::Without)
    }
}
