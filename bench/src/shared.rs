//! Silent hits through a Redis store: entra-auth's `partitioned_store` over
//! entra-cache-redis's `RedisStore`, with the in-process front (a hit only checks the
//! partition's generation, kept locally from the invalidation channel) and without it
//! (a store that cannot tell generations, so every call reads the partition from
//! Redis).
//!
//! The accounts get into Redis the way an application puts them there: the generated
//! cache of `gen-cache` is built by ingesting each account's sign-in, and each account's
//! partition is written with `TokenCache::save_partition` (the same compare-and-set
//! entra-auth uses after a sign-in).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use entra_auth::{Account, PublicClientApplication};
use entra_cache::{CacheError, Lease, Partition, PartitionMerge, PartitionWrite, PartitionedStore};
use entra_cache_redis::RedisStore;
use mock_idp::default_fixture as d;
use uuid::Uuid;

use crate::cache_gen::{self, ENVIRONMENT};
use crate::offline;
use crate::stats::{emit, spread};

/// A `RedisStore` that counts its partition reads and, without the front, says it
/// cannot tell generations (so entra-auth reads the partition on every call).
pub(crate) struct MeasuredStore {
    inner: RedisStore,
    front: bool,
    loads: Arc<AtomicU64>,
}

impl MeasuredStore {
    pub(crate) fn new(inner: RedisStore, front: bool) -> (Self, Arc<AtomicU64>) {
        let loads = Arc::new(AtomicU64::new(0));
        let store = Self {
            inner,
            front,
            loads: Arc::clone(&loads),
        };
        (store, loads)
    }
}

#[async_trait::async_trait]
impl PartitionedStore for MeasuredStore {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.inner.load(partition).await
    }

    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError> {
        self.inner.save(partition, merge).await
    }

    async fn partitions(&self) -> Result<Vec<Partition>, CacheError> {
        self.inner.partitions().await
    }

    fn generation(&self, partition: &Partition) -> Option<u64> {
        if self.front {
            self.inner.generation(partition)
        } else {
            None
        }
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

/// A store on the Redis server at `url` under `prefix`.
async fn connect(url: &str, prefix: &str) -> Result<RedisStore, String> {
    RedisStore::builder(url)
        .key_prefix(prefix)
        .build()
        .await
        .map_err(|err| format!("Redis at {url}: {err}"))
}

fn unix_now() -> Result<u64, String> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .map_err(|err| format!("the system clock is before 1970: {err}"))
}

/// Writes `accounts` generated accounts into Redis under a fresh key prefix, then, for
/// the front warm and the front cold in turn, makes `calls` timed silent calls (after
/// `warmup` untimed ones) cycling over the probed accounts with a fresh application;
/// reports the median per call and how many partition reads the timed calls made. The
/// keys are deleted at the end.
pub(crate) fn redis_silent(
    url: &str,
    accounts: usize,
    calls: usize,
    warmup: usize,
) -> Result<(), String> {
    if accounts == 0 {
        return Err("--accounts must be at least 1".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    runtime.block_on(async {
        let prefix = format!("entra-bench-{}:", Uuid::new_v4().simple());
        let seed = connect(url, &prefix).await?;
        let now = unix_now()?;
        let seeding = Instant::now();
        let cache = cache_gen::signed_in(accounts, now);
        let partitions = cache.changed_partitions();
        for partition in &partitions {
            cache
                .save_partition(&seed, partition, now)
                .await
                .map_err(|err| format!("writing partition {}: {err}", partition.as_str()))?;
        }
        let seed_ms = seeding.elapsed().as_secs_f64() * 1e3;
        drop(cache);

        let mut outcome = Ok(());
        for front in [true, false] {
            outcome = hits(url, &prefix, accounts, front, calls, warmup, seed_ms).await;
            if outcome.is_err() {
                break;
            }
        }
        // Leave nothing behind on a server that outlives the run.
        for partition in &partitions {
            let _ = seed
                .save(partition, &mut |_| {
                    Ok(PartitionWrite {
                        bytes: None,
                        time_to_live: None,
                    })
                })
                .await;
        }
        outcome
    })
}

/// One side (front warm or cold) of [`redis_silent`].
async fn hits(
    url: &str,
    prefix: &str,
    accounts: usize,
    front: bool,
    calls: usize,
    warmup: usize,
    seed_ms: f64,
) -> Result<(), String> {
    let (store, loads) = MeasuredStore::new(connect(url, prefix).await?, front);
    let app = PublicClientApplication::builder(d::CLI_CLIENT_ID)
        .authority(&format!("https://{ENVIRONMENT}/{}", d::CONTOSO_TENANT_ID))
        .partitioned_store(store)
        .build()
        .map_err(|err| err.to_string())?;
    let mut probed: Vec<Account> = Vec::new();
    for id in cache_gen::probe_ids(accounts) {
        let account = app
            .account(&id)
            .await
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("account {id} is not in Redis"))?;
        probed.push(account);
    }
    // Every probed partition read once, so the warm front holds them all.
    offline::warm_up(&app, &probed, warmup.max(probed.len())).await?;
    let loads_before = loads.load(Ordering::Relaxed);
    let mut samples = offline::timed_hits(&app, &probed, calls).await?;
    let store_reads = loads.load(Ordering::Relaxed) - loads_before;
    let (median, p10, p90) = spread(&mut samples);
    emit(serde_json::json!({
        "scenario": "redis_silent",
        "library": "entra-auth",
        "front": if front { "warm" } else { "cold" },
        "accounts": accounts,
        "calls": samples.len(),
        "store_reads": store_reads,
        "median_ns": median,
        "p10_ns": p10,
        "p90_ns": p90,
        "seed_ms": seed_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_account_is_a_partition_to_save() {
        let cache = cache_gen::signed_in(3, 1_700_000_000);
        let partitions = cache.changed_partitions();
        for index in 0..3 {
            let account = Partition::account(&cache_gen::home_account_id(index));
            assert!(partitions.contains(&account), "{partitions:?}");
        }
    }
}
