//! Partition-wise loads and saves through a `PartitionedStore`: each partition holds only
//! its own entries, another writer's changes are read, nothing is lost to a race.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use entra_cache::{
    AccessTokenQuery, CacheError, Lease, Partition, PartitionMerge, PartitionWrite,
    PartitionedStore, RefreshTokenQuery, TokenCache, TokenIngest,
};
use secrecy::{ExposeSecret, SecretString};

const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const HOST: &str = "login.microsoftonline.com";
const NOW: u64 = 1_700_000_000;

/// A partition's bytes and expiry, by name.
type Stored = HashMap<String, (Vec<u8>, Option<u64>)>;
/// Another writer, run inside a save.
type Interloper = Box<dyn FnOnce(&MapStore) + Send>;

/// Partitions in a map, with a hook that lets another writer in between a save's read
/// and its write (so the compare-and-set must merge again).
#[derive(Default)]
struct MapStore {
    partitions: Mutex<Stored>,
    /// Runs once, inside the next save, after it read the partition.
    interloper: Mutex<Option<Interloper>>,
    merges: AtomicUsize,
}

impl MapStore {
    fn bytes(&self, partition: &Partition) -> Option<String> {
        let partitions = self.partitions.lock().unwrap();
        partitions
            .get(partition.as_str())
            .map(|(bytes, _)| String::from_utf8(bytes.clone()).unwrap())
    }

    fn expires_at(&self, partition: &Partition) -> Option<u64> {
        self.partitions.lock().unwrap()[partition.as_str()].1
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.partitions.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }
}

#[async_trait::async_trait]
impl PartitionedStore for MapStore {
    fn location(&self) -> String {
        "map".to_owned()
    }

    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self
            .partitions
            .lock()
            .unwrap()
            .get(partition.as_str())
            .map(|(bytes, _)| bytes.clone()))
    }

    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError> {
        loop {
            let read = self.load(partition).await?;
            let write = merge(read.as_deref())?;
            self.merges.fetch_add(1, Ordering::SeqCst);
            let interloper = self.interloper.lock().unwrap().take();
            if let Some(interloper) = interloper {
                interloper(self);
            }
            let mut partitions = self.partitions.lock().unwrap();
            let now = partitions.get(partition.as_str()).map(|(b, _)| b.clone());
            if now != read {
                continue; // lost the race: merge again onto the other writer's bytes
            }
            match write {
                PartitionWrite {
                    bytes: Some(bytes),
                    expires_at,
                } => {
                    partitions.insert(partition.as_str().to_owned(), (bytes, expires_at));
                }
                PartitionWrite { bytes: None, .. } => {
                    partitions.remove(partition.as_str());
                }
            }
            return Ok(());
        }
    }

    async fn partitions(&self) -> Result<Vec<Partition>, CacheError> {
        Ok(self.names().into_iter().map(Partition::from_name).collect())
    }

    async fn lease(
        &self,
        _partition: &Partition,
        _ttl: Duration,
        _wait: Duration,
    ) -> Result<Option<Box<dyn Lease>>, CacheError> {
        Ok(None)
    }
}

fn sign_in(cache: &TokenCache, home_account_id: &str, access_token: &str, refresh_token: &str) {
    let mut response = TokenIngest::new(
        HOST,
        CLIENT,
        "organizations",
        SecretString::from(access_token),
        NOW,
    );
    response.granted_scope = Some("User.Read openid profile offline_access".into());
    response.expires_in = Some(3599);
    response.home_account_id = Some(home_account_id.into());
    response.username = Some(format!("{home_account_id}@contoso.com"));
    response.refresh_token = Some(SecretString::from(refresh_token));
    response.create_account = true;
    cache.ingest(&response);
}

fn access_token(cache: &TokenCache, home_account_id: &str) -> Option<String> {
    cache
        .access_token(&AccessTokenQuery {
            home_account_id: Some(home_account_id),
            environments: &[HOST],
            client_id: CLIENT,
            realms: &["organizations"],
            scopes: &["User.Read"],
            now: NOW + 10,
        })
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

fn refresh_token(cache: &TokenCache, home_account_id: &str) -> Option<String> {
    cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id,
            environments: &[HOST],
            client_id: CLIENT,
            family_id: None,
        })
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

async fn save_all(cache: &TokenCache, store: &MapStore) {
    for partition in cache.changed_partitions() {
        cache.save_partition(store, &partition, NOW).await.unwrap();
    }
}

#[tokio::test]
async fn each_account_is_written_to_its_own_partition_and_read_back_alone() {
    let store = MapStore::default();
    let a = TokenCache::new();
    sign_in(&a, "alice.tid", "at-alice", "rt-alice");
    sign_in(&a, "Bob.TID", "at-bob", "rt-bob");
    assert_eq!(
        a.changed_partitions(),
        vec![
            Partition::account("alice.tid"),
            Partition::account("bob.tid")
        ]
    );
    save_all(&a, &store).await;
    assert!(a.changed_partitions().is_empty(), "everything saved");
    assert_eq!(store.names(), ["alice.tid", "bob.tid"]);
    let alice = store.bytes(&Partition::account("alice.tid")).unwrap();
    assert!(
        alice.contains("at-alice") && !alice.contains("at-bob"),
        "{alice}"
    );

    let b = TokenCache::new();
    b.load_partition(&store, &Partition::account("alice.tid"))
        .await
        .unwrap();
    assert_eq!(access_token(&b, "alice.tid").as_deref(), Some("at-alice"));
    assert_eq!(
        access_token(&b, "bob.tid"),
        None,
        "bob's partition not read"
    );
    assert_eq!(b.accounts(&[], None).len(), 1);
}

#[tokio::test]
async fn a_rotated_refresh_token_and_a_sign_out_elsewhere_are_read_back() {
    let store = MapStore::default();
    let a = TokenCache::new();
    sign_in(&a, "alice.tid", "at-1", "rt-1");
    save_all(&a, &store).await;
    let b = TokenCache::new();
    let alice = Partition::account("alice.tid");
    b.load_partition(&store, &alice).await.unwrap();

    // A refreshes: its new tokens reach B at B's next read of the partition.
    sign_in(&a, "alice.tid", "at-2", "rt-2");
    save_all(&a, &store).await;
    assert_eq!(refresh_token(&b, "alice.tid").as_deref(), Some("rt-1"));
    b.load_partition(&store, &alice).await.unwrap();
    assert_eq!(refresh_token(&b, "alice.tid").as_deref(), Some("rt-2"));
    assert_eq!(access_token(&b, "alice.tid").as_deref(), Some("at-2"));

    // A signs Alice out: the partition is deleted, and B forgets her at its next read.
    a.remove_account("alice.tid", &[]);
    save_all(&a, &store).await;
    assert!(store.names().is_empty(), "{:?}", store.names());
    b.load_partition(&store, &alice).await.unwrap();
    assert_eq!(access_token(&b, "alice.tid"), None);
    assert!(b.accounts(&[], None).is_empty());
}

#[tokio::test]
async fn unsaved_changes_survive_a_read_and_a_refresh_after_a_sign_out_elsewhere_does_not() {
    let store = MapStore::default();
    let alice = Partition::account("alice.tid");
    let a = TokenCache::new();
    sign_in(&a, "alice.tid", "at-1", "rt-1");
    save_all(&a, &store).await;

    // B signs Bob in (unsaved), then reads Alice: Bob's entries are untouched.
    let b = TokenCache::new();
    sign_in(&b, "bob.tid", "at-bob", "rt-bob");
    b.load_partition(&store, &alice).await.unwrap();
    assert_eq!(access_token(&b, "bob.tid").as_deref(), Some("at-bob"));
    assert_eq!(b.changed_partitions(), vec![Partition::account("bob.tid")]);

    // B refreshes Alice while A signs her out: the sign-out wins.
    let refresh = |cache: &TokenCache| {
        let key = cache
            .refresh_token(&RefreshTokenQuery {
                home_account_id: "alice.tid",
                environments: &[HOST],
                client_id: CLIENT,
                family_id: None,
            })
            .unwrap()
            .key;
        assert!(cache.update_refresh_token(&key, SecretString::from("rt-b"), NOW + 5));
    };
    refresh(&b);
    a.remove_account("alice.tid", &[]);
    save_all(&a, &store).await;
    b.save_partition(&store, &alice, NOW).await.unwrap();
    assert!(store.bytes(&alice).is_none(), "signed out stays signed out");
    assert_eq!(refresh_token(&b, "alice.tid"), None);
    assert!(!b.changed_partitions().contains(&alice));
}

#[tokio::test]
async fn a_save_that_loses_a_race_merges_the_other_writers_entries() {
    let store = MapStore::default();
    let alice = Partition::account("alice.tid");
    let a = TokenCache::new();
    sign_in(&a, "alice.tid", "at-1", "rt-1");
    save_all(&a, &store).await;

    // Between A's read and A's write, C writes another client's token for Alice.
    let c = TokenCache::new();
    c.load_partition(&store, &alice).await.unwrap();
    let mut other = TokenIngest::new(
        HOST,
        "other-client",
        "organizations",
        SecretString::from("at-c"),
        NOW,
    );
    other.granted_scope = Some("Mail.Read".into());
    other.home_account_id = Some("alice.tid".into());
    c.ingest(&other);
    let written_by_c = c.serialize().into_bytes();
    *store.interloper.lock().unwrap() = Some(Box::new(move |store: &MapStore| {
        store
            .partitions
            .lock()
            .unwrap()
            .insert("alice.tid".to_owned(), (written_by_c, None));
    }));
    sign_in(&a, "alice.tid", "at-2", "rt-2");
    let before = store.merges.load(Ordering::SeqCst);
    save_all(&a, &store).await;
    assert_eq!(
        store.merges.load(Ordering::SeqCst) - before,
        2,
        "A merged again"
    );
    let saved = store.bytes(&alice).unwrap();
    assert!(saved.contains("at-2") && saved.contains("at-c"), "{saved}");
    assert!(!saved.contains("at-1"), "at-2 replaced at-1: {saved}");
    assert_eq!(access_token(&a, "alice.tid").as_deref(), Some("at-2"));
}

fn alice_partition() -> Partition {
    Partition::account("alice.tid")
}

#[tokio::test]
async fn a_partition_expires_ninety_days_after_its_latest_refresh_token() {
    let store = MapStore::default();
    let a = TokenCache::new();
    sign_in(&a, "alice.tid", "at-1", "rt-1");
    save_all(&a, &store).await;
    let expires_at = store.expires_at(&alice_partition()).unwrap();
    assert_eq!(expires_at, NOW + 90 * 24 * 60 * 60);
}
