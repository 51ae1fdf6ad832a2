//! `RedisStore` against a real redis-server (entra-test-support starts one per test).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::error::Error;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use entra_cache::{CacheError, Partition, PartitionWrite, PartitionedStore};
use entra_cache_redis::{RedisStore, RedisStoreError};
use entra_test_support::RedisServer;

/// A bound no healthy operation comes near; polls give up after it.
const PATIENCE: Duration = Duration::from_secs(20);

async fn store(url: &str, prefix: &str) -> RedisStore {
    RedisStore::builder(url)
        .key_prefix(prefix)
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_millis(500))
        .build()
        .await
        .expect("the store connects")
}

/// A raw connection, to look at what the store wrote.
async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn alice() -> Partition {
    Partition::account("uid.utid")
}

/// Saves `bytes` whatever the partition held.
async fn put(
    store: &RedisStore,
    partition: &Partition,
    bytes: &[u8],
    time_to_live: Option<Duration>,
) {
    store
        .save(partition, &mut |_| {
            Ok(PartitionWrite {
                bytes: Some(bytes.to_vec()),
                time_to_live,
            })
        })
        .await
        .unwrap();
}

/// Polls `condition` until it holds; panics after [`PATIENCE`].
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_partition_loads_back_and_a_missing_one_is_none() {
    let server = RedisServer::start();
    let store = store(&server.url(), "test:").await;

    assert_eq!(store.load(&alice()).await.unwrap(), None);
    let mut seen = Vec::new();
    store
        .save(&alice(), &mut |current| {
            seen.push(current.map(<[u8]>::to_vec));
            Ok(PartitionWrite {
                bytes: Some(b"{\"AccessToken\":{}}".to_vec()),
                time_to_live: None,
            })
        })
        .await
        .unwrap();

    assert_eq!(seen, vec![None], "the merge saw the empty partition once");
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"{\"AccessToken\":{}}"[..])
    );
    let key: Option<Vec<u8>> = redis::cmd("GET")
        .arg("test:partition:uid.utid")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    assert!(
        key.is_some(),
        "the partition lives under {{prefix}}partition:{{name}}"
    );
    assert_eq!(store.location(), server.url_without_password());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_from_two_stores_lose_no_update() {
    let server = RedisServer::start();
    let stores = [
        store(&server.url(), "test:").await,
        store(&server.url(), "test:").await,
    ];
    let merges = Arc::new(AtomicUsize::new(0));

    let mut saves = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for i in 0..20 {
            let (store, merges) = (store.clone(), Arc::clone(&merges));
            saves.push(tokio::spawn(async move {
                let entry = format!("store{s}-entry{i}\n");
                store
                    .save(&alice(), &mut |current| {
                        merges.fetch_add(1, Ordering::SeqCst);
                        let mut bytes = current.unwrap_or_default().to_vec();
                        bytes.extend_from_slice(entry.as_bytes());
                        Ok(PartitionWrite {
                            bytes: Some(bytes),
                            time_to_live: None,
                        })
                    })
                    .await
            }));
        }
    }
    for save in saves {
        save.await.unwrap().unwrap();
    }

    let bytes = stores[0].load(&alice()).await.unwrap().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut expected: Vec<String> = (0..2)
        .flat_map(|s| (0..20).map(move |i| format!("store{s}-entry{i}")))
        .collect();
    expected.sort_unstable();
    assert_eq!(lines, expected, "every writer's entry is there, once");
    assert!(
        merges.load(Ordering::SeqCst) >= 40,
        "each save merged at least once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_expires_when_the_write_says_and_a_write_without_expiry_keeps_it() {
    let server = RedisServer::start();
    let store = store(&server.url(), "test:").await;
    let mut redis = raw(&server).await;
    let key = "test:partition:uid.utid";
    let pttl = |mut redis: redis::aio::MultiplexedConnection| async move {
        redis::cmd("PTTL")
            .arg(key)
            .query_async::<i64>(&mut redis)
            .await
            .unwrap()
    };

    put(&store, &alice(), b"tokens", Some(Duration::from_secs(3600))).await;
    let ttl = pttl(redis.clone()).await;
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");

    put(&store, &alice(), b"tokens 2", None).await;
    assert_eq!(pttl(redis.clone()).await, -1, "no expiry: the key is kept");

    // Times to live Redis cannot take as they are: none at all, and the longest.
    put(&store, &alice(), b"tokens 3", Some(Duration::ZERO)).await;
    let mut gone = false;
    for _ in 0..200 {
        if store.load(&alice()).await.unwrap().is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(gone, "a partition with nothing left to live for is dropped");
    put(&store, &alice(), b"tokens 4", Some(Duration::MAX)).await;
    assert!(pttl(redis.clone()).await > 3_600_000);
    let _ = &mut redis;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_bytes_deletes_the_partition() {
    let server = RedisServer::start();
    let store = store(&server.url(), "test:").await;
    put(&store, &alice(), b"tokens", None).await;

    store
        .save(&alice(), &mut |current| {
            assert_eq!(current, Some(&b"tokens"[..]));
            Ok(PartitionWrite {
                bytes: None,
                time_to_live: None,
            })
        })
        .await
        .unwrap();

    assert_eq!(store.load(&alice()).await.unwrap(), None);
    let exists: i64 = redis::cmd("EXISTS")
        .arg("test:partition:uid.utid")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    assert_eq!(exists, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_merge_writes_nothing() {
    let server = RedisServer::start();
    let store = store(&server.url(), "test:").await;
    put(&store, &alice(), b"tokens", None).await;

    let error = store
        .save(&alice(), &mut |_| {
            Err(CacheError::Unavailable {
                location: "merge".into(),
                reason: "the merge failed".into(),
                source: None,
            })
        })
        .await
        .unwrap_err();

    assert!(error.to_string().contains("the merge failed"), "{error}");
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"tokens"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_lists_only_this_prefix() {
    let server = RedisServer::start();
    let one = store(&server.url(), "one:").await;
    let other = store(&server.url(), "one*:").await;
    let application = Partition::application("client-1", "contoso");
    put(&one, &alice(), b"a", None).await;
    put(&one, &application, b"b", None).await;
    put(&other, &Partition::account("bob.utid"), b"c", None).await;
    // A key under the prefix but outside its partitions is not one.
    let _: () = redis::cmd("SET")
        .arg("one:lease:uid.utid")
        .arg("token")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();

    let mut expected = vec![alice(), application];
    expected.sort();
    assert_eq!(one.partitions().await.unwrap(), expected);
    assert_eq!(
        other.partitions().await.unwrap(),
        vec![Partition::account("bob.utid")],
        "a glob character in a prefix is matched literally"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_changes_the_generation_another_store_reports() {
    let server = RedisServer::start();
    let writer = store(&server.url(), "test:").await;
    let reader = store(&server.url(), "test:").await;
    let bob = Partition::account("bob.utid");
    let before = reader.generation(&alice());
    assert!(before.is_some(), "subscribed once built");
    let bob_before = reader.generation(&bob);

    put(&writer, &alice(), b"tokens", None).await;

    eventually("the reader hears of the save", || async {
        reader.generation(&alice()) != before
    })
    .await;
    assert!(reader.generation(&alice()).is_some());
    assert_eq!(
        reader.generation(&bob),
        bob_before,
        "another partition's generation stays"
    );
    // The writer hears its own save too (it does not tell its writes from others').
    eventually("the writer hears of its own save", || async {
        writer.generation(&alice()) != before
    })
    .await;
    // A prefix is its own channel: a store under another prefix hears nothing.
    let elsewhere = store(&server.url(), "elsewhere:").await;
    let quiet = elsewhere.generation(&alice());
    let probe = store(&server.url(), "elsewhere:").await;
    put(&writer, &alice(), b"tokens 2", None).await;
    put(&probe, &bob, b"tokens", None).await;
    eventually("the other prefix hears its own write", || async {
        elsewhere.generation(&bob) != quiet
    })
    .await;
    assert_eq!(
        elsewhere.generation(&alice()),
        quiet,
        "the other prefix's channel did not carry the first prefix's save"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_excludes_another_store_until_released() {
    let server = RedisServer::start();
    let first = store(&server.url(), "test:").await;
    let second = store(&server.url(), "test:").await;
    let ttl = Duration::from_secs(60);

    let lease = first
        .lease(&alice(), ttl, Duration::MAX)
        .await
        .unwrap()
        .expect("a free lease is taken at once, however long the caller would wait");
    let refused = second
        .lease(&alice(), ttl, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(refused.is_none(), "held by the first store");
    let other_partition = second
        .lease(
            &Partition::account("bob.utid"),
            Duration::MAX,
            Duration::ZERO,
        )
        .await
        .unwrap();
    assert!(
        other_partition.is_some(),
        "a lease is per partition (and any time to live is taken)"
    );

    let waiting = tokio::spawn({
        let second = second.clone();
        async move { second.lease(&alice(), ttl, PATIENCE).await }
    });
    lease.release().await.unwrap();
    let taken = waiting.await.unwrap().unwrap();
    assert!(taken.is_some(), "the waiter takes it once released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lease_expires_and_its_late_release_frees_nothing() {
    let server = RedisServer::start();
    let dead = store(&server.url(), "test:").await;
    let alive = store(&server.url(), "test:").await;

    let abandoned = dead
        .lease(&alice(), Duration::from_millis(200), Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    // The holder stops without releasing: the waiter gets the lease once it expires.
    let taken = alive
        .lease(&alice(), Duration::from_secs(60), PATIENCE)
        .await
        .unwrap();
    assert!(taken.is_some(), "the expired lease was taken");

    // The late holder's release must not free the new holder's lease.
    abandoned.release().await.unwrap();
    let refused = dead
        .lease(&alice(), Duration::from_secs(60), Duration::ZERO)
        .await
        .unwrap();
    assert!(refused.is_none(), "still held by the live holder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unavailable_and_the_store_works_again_after_restart() {
    let mut server = RedisServer::builder().persistence(true).start();
    let store = store(&server.url(), "test:").await;
    put(&store, &alice(), b"tokens", None).await;
    eventually("the store hears its own save", || async {
        store
            .generation(&alice())
            .is_some_and(|generation| generation > 1)
    })
    .await;
    let before_the_gap = store.generation(&alice());

    server.stop();
    let started = tokio::time::Instant::now();
    let error = store.load(&alice()).await.unwrap_err();
    assert!(
        started.elapsed() < PATIENCE,
        "bounded by the timeouts, took {:?}",
        started.elapsed()
    );
    let CacheError::Unavailable { location, .. } = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert_eq!(location, &server.url_without_password());
    assert!(error.to_string().contains(&server.url_without_password()));
    let saved = store
        .save(&alice(), &mut |_| {
            Ok(PartitionWrite {
                bytes: Some(b"lost?".to_vec()),
                time_to_live: None,
            })
        })
        .await;
    assert!(matches!(saved, Err(CacheError::Unavailable { .. })));
    let leased = store
        .lease(&alice(), Duration::from_secs(1), Duration::from_millis(100))
        .await;
    assert!(matches!(leased, Err(CacheError::Unavailable { .. })));
    assert!(matches!(
        store.partitions().await,
        Err(CacheError::Unavailable { .. })
    ));
    eventually("the generation turns unknown", || async {
        store.generation(&alice()).is_none()
    })
    .await;

    server.restart();
    eventually("the store reconnects", || async {
        store.load(&alice()).await.is_ok()
    })
    .await;
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"tokens"[..]),
        "what was stored before is there again"
    );
    eventually("the subscription is back", || async {
        store.generation(&alice()).is_some()
    })
    .await;
    assert_ne!(
        store.generation(&alice()),
        before_the_gap,
        "messages may have been missed: every generation changed"
    );
    put(&store, &alice(), b"tokens 2", None).await;
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"tokens 2"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_unavailable_within_the_timeouts() {
    // Accepts connections and never answers them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });

    let started = tokio::time::Instant::now();
    let error = RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .connect_timeout(Duration::from_millis(200))
        .response_timeout(Duration::from_millis(200))
        .build()
        .await
        .unwrap_err();

    assert!(started.elapsed() < PATIENCE, "took {:?}", started.elapsed());
    assert!(
        matches!(&error, CacheError::Unavailable { location, .. }
            if location == &format!("redis://127.0.0.1:{port}/")),
        "{error:?}"
    );
    silent.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_in_the_url_authenticates_and_stays_out_of_errors() {
    let server = RedisServer::builder().password("s3cret-pw").start();
    let store = store(&server.url(), "test:").await;
    put(&store, &alice(), b"tokens", None).await;
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"tokens"[..])
    );
    assert_eq!(store.location(), server.url_without_password());
    assert!(!format!("{store:?}").contains("s3cret-pw"));

    let wrong = server.url().replace("s3cret-pw", "wrong-pw");
    let without = server.url_without_password();
    for url in [wrong, without] {
        let error = RedisStore::builder(&url)
            .connect_timeout(Duration::from_millis(500))
            .response_timeout(Duration::from_millis(500))
            .build()
            .await
            .unwrap_err();
        let CacheError::Store { location, source } = &error else {
            panic!("expected a store error, got {error:?}");
        };
        assert_eq!(location, &server.url_without_password());
        assert!(
            matches!(
                source.downcast_ref::<RedisStoreError>(),
                Some(RedisStoreError::Authentication { .. })
            ),
            "{error:?}"
        );
        let mut chain = format!("{error} {error:?}");
        let mut cause = error.source();
        while let Some(next) = cause {
            chain.push_str(&format!(" {next} {next:?}"));
            cause = next.source();
        }
        assert!(
            !chain.contains("wrong-pw") && !chain.contains("s3cret-pw"),
            "{chain}"
        );
    }
}

#[tokio::test]
async fn a_url_that_is_not_redis_is_refused_without_repeating_it() {
    let error = RedisStore::builder("http://user:s3cret@example.com/")
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CacheError::Store { source, .. }
            if matches!(source.downcast_ref(), Some(RedisStoreError::InvalidUrl { .. }))),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("s3cret"));
}

#[tokio::test]
async fn root_certificates_whose_pem_does_not_parse_are_named_as_such_not_as_the_url() {
    let error = RedisStore::builder("rediss://:s3cret@127.0.0.1:1/")
        .root_certificates_pem(
            b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
                .to_vec(),
        )
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CacheError::Store { source, .. }
            if matches!(source.downcast_ref(), Some(RedisStoreError::InvalidRootCertificates { .. }))),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_is_reached_with_its_ca_and_refused_without_it() {
    let server = RedisServer::builder()
        .tls(true)
        .password("s3cret-pw")
        .start();
    let ca = server.ca_pem().unwrap().to_owned();
    let store = RedisStore::builder(server.url())
        .root_certificates_pem(ca)
        .build()
        .await
        .unwrap();
    put(&store, &alice(), b"tokens", None).await;
    assert_eq!(
        store.load(&alice()).await.unwrap().as_deref(),
        Some(&b"tokens"[..])
    );
    assert_eq!(store.location(), server.url_without_password());
    assert!(
        store.generation(&alice()).is_some(),
        "subscribed over TLS too"
    );

    // The system's roots do not include the test CA.
    let error = RedisStore::builder(server.url())
        .connect_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap_err();
    let CacheError::Unavailable { source, .. } = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    let cause = source.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(cause.contains("certificate"), "{cause}");
    assert!(!format!("{error:?}").contains("s3cret-pw"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_too_long_to_add_up_are_taken() {
    let server = RedisServer::start();
    let store = RedisStore::builder(server.url())
        .connect_timeout(Duration::MAX)
        .response_timeout(Duration::MAX)
        .build()
        .await
        .unwrap();
    put(&store, &alice(), b"tokens", None).await;
    assert!(store.load(&alice()).await.unwrap().is_some());
}
