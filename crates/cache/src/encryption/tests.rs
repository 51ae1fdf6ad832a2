#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::sync::Mutex;

use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::{AccessTokenQuery, FileStore, MemoryStore, TokenCache, TokenIngest};

const CLIENT_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const ENVIRONMENT: &str = "login.microsoftonline.com";

fn key(byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes([byte; KEY_LEN])
}

fn sign_in(cache: &TokenCache, secret: &str) {
    let mut response = TokenIngest::new(
        ENVIRONMENT,
        CLIENT_ID,
        "organizations",
        SecretString::from(secret),
        1_700_000_000,
    );
    response.granted_scope = Some("User.Read openid profile offline_access".into());
    response.expires_in = Some(3599);
    response.home_account_id = Some("uid.utid".into());
    cache.ingest(&response);
}

fn cached_access_token(cache: &TokenCache) -> Option<String> {
    cache
        .access_token(&AccessTokenQuery {
            home_account_id: Some("uid.utid"),
            environments: &[ENVIRONMENT],
            client_id: CLIENT_ID,
            realms: &["organizations"],
            scopes: &["User.Read"],
            now: 1_700_000_100,
        })
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

/// A file holding a cache encrypted with `key`, its path, and its directory (kept alive).
fn encrypted_file(key: &EncryptionKey) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.bin");
    let cache = TokenCache::with_store(EncryptedStore::new(FileStore::new(&path), key.clone()));
    sign_in(&cache, "access-token-secret");
    cache.save().unwrap();
    (dir, path)
}

#[test]
fn a_cache_round_trips_through_an_encrypted_file_and_is_not_readable_on_disk() {
    let (_dir, path) = encrypted_file(&key(1));

    let on_disk = fs::read(&path).unwrap();
    assert!(on_disk.starts_with(b"EAEC"));
    let needle = b"access-token-secret";
    assert!(!on_disk.windows(needle.len()).any(|w| w == needle));
    assert!(!on_disk.windows(11).any(|w| w == b"AccessToken"));

    let cache = TokenCache::with_store(EncryptedStore::new(FileStore::new(&path), key(1)));
    cache.load().unwrap();
    assert_eq!(
        cached_access_token(&cache).as_deref(),
        Some("access-token-secret")
    );
}

#[test]
fn a_cache_round_trips_through_an_encrypted_memory_store() {
    let store = Arc::new(EncryptedStore::new(MemoryStore::new(), key(2)));
    let writer = TokenCache::with_shared_store(store.clone());
    sign_in(&writer, "in-memory-secret");
    writer.save().unwrap();
    let stored = store.inner().bytes().unwrap();
    assert!(stored.starts_with(b"EAEC"));

    let reader = TokenCache::with_shared_store(store);
    reader.load().unwrap();
    assert_eq!(
        cached_access_token(&reader).as_deref(),
        Some("in-memory-secret")
    );
}

#[test]
fn a_save_merges_onto_what_is_stored_and_writes_a_new_nonce() {
    let store = EncryptedStore::new(MemoryStore::new(), key(3));
    store
        .save(&mut |current| {
            assert_eq!(current, None);
            Ok(b"first".to_vec())
        })
        .unwrap();
    let first = store.inner().bytes().unwrap();
    store
        .save(&mut |current| {
            assert_eq!(current, Some(&b"first"[..]));
            Ok(b"first".to_vec())
        })
        .unwrap();
    let second = store.inner().bytes().unwrap();
    assert_ne!(
        first, second,
        "the same plaintext is never written the same way twice"
    );
    assert_eq!(CacheStore::load(&store).unwrap().unwrap(), b"first");
}

#[test]
fn previous_keys_decrypt_and_the_next_save_moves_the_cache_to_the_current_key() {
    let (old, new) = (key(4), key(5));
    let (_dir, path) = encrypted_file(&old);

    let rotated =
        EncryptedStore::new(FileStore::new(&path), new.clone()).with_previous_keys([old.clone()]);
    assert_eq!(rotated.current_key_id(), new.id());
    let cache = TokenCache::with_store(rotated);
    cache.load().unwrap();
    assert_eq!(
        cached_access_token(&cache).as_deref(),
        Some("access-token-secret")
    );
    assert_eq!(
        &fs::read(&path).unwrap()[5..13],
        &old.id_bytes(),
        "a load writes nothing"
    );

    sign_in(&cache, "after-rotation");
    cache.save().unwrap();
    assert_eq!(&fs::read(&path).unwrap()[5..13], &new.id_bytes());

    // The old key alone no longer opens it; the new key alone does.
    let old_only = EncryptedStore::new(FileStore::new(&path), old);
    assert!(matches!(
        CacheStore::load(&old_only),
        Err(CacheError::Undecryptable { .. })
    ));
    let cache = TokenCache::with_store(EncryptedStore::new(FileStore::new(&path), new));
    cache.load().unwrap();
    assert_eq!(
        cached_access_token(&cache).as_deref(),
        Some("after-rotation")
    );
}

/// Every way a file can fail to decrypt: loads and saves are refused with
/// `Undecryptable`, naming the file and what was wrong, and the file keeps its bytes.
#[test]
fn undecryptable_files_are_refused_by_loads_and_saves_and_left_byte_for_byte() {
    let written_with = key(6);
    let (dir, path) = encrypted_file(&written_with);
    let sealed = fs::read(&path).unwrap();
    let mut flipped = sealed.clone();
    flipped[sealed.len() / 2] ^= 0x20;
    let plaintext = {
        let cache = TokenCache::new();
        sign_in(&cache, "plaintext-secret");
        cache.serialize().into_bytes()
    };
    let cases: [(&str, Vec<u8>, EncryptionKey, &str); 5] = [
        ("wrong key", sealed.clone(), key(7), "the key is wrong"),
        (
            "truncated header",
            sealed[..20].to_vec(),
            written_with.clone(),
            "truncated",
        ),
        (
            "truncated body",
            sealed[..sealed.len() - 3].to_vec(),
            written_with.clone(),
            "authentication failed",
        ),
        (
            "one byte flipped",
            flipped,
            written_with.clone(),
            "authentication failed",
        ),
        (
            "plaintext",
            plaintext,
            written_with.clone(),
            "plaintext JSON",
        ),
    ];
    for (case, bytes, key, reason) in cases {
        fs::write(&path, &bytes).unwrap();
        let store = EncryptedStore::new(FileStore::new(&path), key);

        let load = CacheStore::load(&store).unwrap_err();
        let cache = TokenCache::with_store(EncryptedStore::new(
            FileStore::new(&path),
            store.current.clone(),
        ));
        sign_in(&cache, "new-token");
        let save = cache.save().unwrap_err();

        for error in [&load, &save] {
            let CacheError::Undecryptable {
                location,
                reason: why,
            } = error
            else {
                panic!("{case}: {error:?}");
            };
            assert_eq!(location, &path.display().to_string(), "{case}");
            assert!(why.contains(reason), "{case}: {why}");
            assert!(
                error.to_string().contains("left untouched"),
                "{case}: {error}"
            );
        }
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "{case}: the file is untouched"
        );
    }
    drop(dir);
}

#[test]
fn version_and_lease_are_the_wrapped_stores() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.bin");
    let store = EncryptedStore::new(FileStore::new(&path), key(8));
    assert_eq!(store.version(), FileStore::new(&path).version());
    store.save(&mut |_| Ok(b"{}".to_vec())).unwrap();
    assert_eq!(store.version(), FileStore::new(&path).version());

    let held = store.lease(Duration::ZERO).unwrap();
    assert!(held.is_some());
    assert!(
        FileStore::new(&path)
            .lease(Duration::ZERO)
            .unwrap()
            .is_none(),
        "the lease is the file store's own"
    );
}

#[test]
fn debug_shows_key_ids_only() {
    let store = EncryptedStore::new(MemoryStore::new(), key(9)).with_previous_keys([key(10)]);
    let debug = format!("{store:?}");
    assert!(
        debug.contains(&key(9).id()) && debug.contains(&key(10).id()),
        "{debug}"
    );
    assert!(
        !debug.contains("9, 9, 9") && !debug.contains("[9"),
        "{debug}"
    );
}

fn undecryptable<T>(result: &Result<T, CacheError>) -> bool {
    matches!(result, Err(CacheError::Undecryptable { .. }))
}

proptest! {
    #[test]
    fn arbitrary_stored_bytes_are_undecryptable_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let store = EncryptedStore::new(MemoryStore::with_bytes(bytes.clone()), key(11));
        let load = CacheStore::load(&store);
        prop_assert!(undecryptable(&load), "{:?}", load);
        let save = store.save(&mut |_| Ok(b"{}".to_vec()));
        prop_assert!(undecryptable(&save), "{:?}", save);
        prop_assert_eq!(store.inner().bytes().unwrap(), bytes);
    }

    #[test]
    fn a_valid_header_with_arbitrary_bytes_after_it_is_undecryptable(
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let key = key(12);
        let mut bytes = b"EAEC\x01".to_vec();
        bytes.extend_from_slice(&key.id_bytes());
        bytes.extend_from_slice(&tail);
        let store = EncryptedStore::new(MemoryStore::with_bytes(bytes), key);
        prop_assert!(undecryptable(&CacheStore::load(&store)));
    }

    #[test]
    fn any_flipped_bit_or_truncation_is_detected(
        plaintext in proptest::collection::vec(any::<u8>(), 0..100),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        keep in any::<prop::sample::Index>(),
    ) {
        let key = key(13);
        let sealed = envelope::seal(&plaintext, &key, Binding::Whole).unwrap();
        let mut flipped = sealed.clone();
        flipped[position.index(sealed.len())] ^= 1 << bit;
        let truncated = sealed[..keep.index(sealed.len())].to_vec();
        for bytes in [flipped, truncated] {
            let store = EncryptedStore::new(MemoryStore::with_bytes(bytes), key.clone());
            prop_assert!(undecryptable(&CacheStore::load(&store)));
        }
        let store = EncryptedStore::new(MemoryStore::with_bytes(sealed), key.clone());
        prop_assert_eq!(CacheStore::load(&store).unwrap().unwrap(), plaintext);
    }
}

/// A partition's bytes and expiry.
type Stored = (Vec<u8>, Option<Duration>);

/// A partitioned store in memory: enough of one to test what the wrapper does.
#[derive(Debug, Default)]
struct MemoryPartitions {
    partitions: Mutex<BTreeMap<Partition, Stored>>,
}

impl MemoryPartitions {
    fn stored(&self, partition: &Partition) -> Option<Vec<u8>> {
        let partitions = self.partitions.lock().unwrap();
        partitions.get(partition).map(|(bytes, _)| bytes.clone())
    }

    fn put(&self, partition: &Partition, bytes: Vec<u8>) {
        let mut partitions = self.partitions.lock().unwrap();
        partitions.insert(partition.clone(), (bytes, None));
    }
}

#[async_trait::async_trait]
impl PartitionedStore for MemoryPartitions {
    fn location(&self) -> String {
        "memory-partitions".to_owned()
    }

    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.stored(partition))
    }

    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError> {
        let mut partitions = self.partitions.lock().unwrap();
        let current = partitions.get(partition).map(|(bytes, _)| bytes.as_slice());
        let write = merge(current)?;
        match write.bytes {
            Some(bytes) => partitions.insert(partition.clone(), (bytes, write.time_to_live)),
            None => partitions.remove(partition),
        };
        Ok(())
    }

    async fn partitions(&self) -> Result<Vec<Partition>, CacheError> {
        Ok(self.partitions.lock().unwrap().keys().cloned().collect())
    }

    fn generation(&self, partition: &Partition) -> Option<u64> {
        Some(partition.as_str().len() as u64)
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

#[tokio::test]
async fn partitions_round_trip_encrypted_and_keep_their_expiry() {
    let store = EncryptedStore::new(MemoryPartitions::default(), key(14));
    let alice = Partition::account("alice.contoso");
    PartitionedStore::save(&store, &alice, &mut |current| {
        assert_eq!(current, None);
        Ok(PartitionWrite {
            bytes: Some(b"{\"alice\": 1}".to_vec()),
            time_to_live: Some(Duration::from_secs(3600)),
        })
    })
    .await
    .unwrap();

    let stored = store.inner().stored(&alice).unwrap();
    assert!(stored.starts_with(b"EAEC"));
    assert_eq!(
        store.inner().partitions.lock().unwrap()[&alice].1,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        PartitionedStore::load(&store, &alice)
            .await
            .unwrap()
            .unwrap(),
        b"{\"alice\": 1}"
    );
    assert_eq!(store.partitions().await.unwrap(), vec![alice.clone()]);
    assert_eq!(store.generation(&alice), Some(alice.as_str().len() as u64));

    // A merge that empties the partition deletes it.
    PartitionedStore::save(&store, &alice, &mut |current| {
        assert_eq!(current, Some(&b"{\"alice\": 1}"[..]));
        Ok(PartitionWrite {
            bytes: None,
            time_to_live: None,
        })
    })
    .await
    .unwrap();
    assert_eq!(store.inner().stored(&alice), None);
    assert_eq!(PartitionedStore::load(&store, &alice).await.unwrap(), None);
}

#[tokio::test]
async fn a_partition_moved_under_another_name_is_refused_and_kept() {
    let store = EncryptedStore::new(MemoryPartitions::default(), key(15));
    let (alice, mallory) = (
        Partition::account("alice.contoso"),
        Partition::account("mallory.contoso"),
    );
    PartitionedStore::save(&store, &alice, &mut |_| {
        Ok(PartitionWrite {
            bytes: Some(b"alice's tokens".to_vec()),
            time_to_live: None,
        })
    })
    .await
    .unwrap();
    let moved = store.inner().stored(&alice).unwrap();
    store.inner().put(&mallory, moved.clone());

    let load = PartitionedStore::load(&store, &mallory).await.unwrap_err();
    let save = PartitionedStore::save(&store, &mallory, &mut |_| {
        Ok(PartitionWrite {
            bytes: Some(b"overwritten".to_vec()),
            time_to_live: None,
        })
    })
    .await
    .unwrap_err();
    for error in [load, save] {
        let CacheError::Undecryptable { location, reason } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(location, "memory-partitions (partition mallory.contoso)");
        assert!(reason.contains("another partition's name"), "{reason}");
    }
    assert_eq!(store.inner().stored(&mallory), Some(moved));
}

#[tokio::test]
async fn a_partition_written_with_a_previous_key_is_rewritten_with_the_current_one() {
    let (old, new) = (key(16), key(17));
    let partition = Partition::application(CLIENT_ID, "contoso.com");
    let inner = MemoryPartitions::default();
    let before = EncryptedStore::new(inner, old.clone());
    PartitionedStore::save(&before, &partition, &mut |_| {
        Ok(PartitionWrite {
            bytes: Some(b"app tokens".to_vec()),
            time_to_live: None,
        })
    })
    .await
    .unwrap();

    let after = EncryptedStore::new(before.inner, new.clone()).with_previous_keys([old]);
    PartitionedStore::save(&after, &partition, &mut |current| {
        assert_eq!(current, Some(&b"app tokens"[..]));
        Ok(PartitionWrite {
            bytes: current.map(<[u8]>::to_vec),
            time_to_live: None,
        })
    })
    .await
    .unwrap();
    let stored = after.inner().stored(&partition).unwrap();
    assert_eq!(&stored[5..13], &new.id_bytes());
}
