//! One cache shared through a real Redis server by applications that know nothing of
//! each other (as machines would, each with its own connection): a sign-in and a
//! sign-out on one are seen by the other, many callers after expiry send one refresh,
//! and a server that goes away is a typed error, then the cached tokens again.

mod support;

use std::time::Duration;

use entra_auth::{AuthError, CacheError, PublicClientApplication, TokenSource};
use entra_cache_redis::RedisStore;
use entra_test_support::RedisServer;
use support::*;

/// Past the access token's expiry, 5 minutes margin included.
const PAST_EXPIRY: Duration = Duration::from_secs(EXPIRES_IN + 1);

async fn store(redis: &RedisServer) -> RedisStore {
    RedisStore::builder(redis.url())
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .build()
        .await
        .expect("the store connects")
}

async fn machine(idp: &Idp, redis: &RedisServer) -> (PublicClientApplication, RedisStore) {
    let store = store(redis).await;
    let app = idp
        .public_builder(CLIENT_ID, "organizations")
        .partitioned_store(store.clone())
        .build()
        .expect("the public client builds");
    (app, store)
}

/// Waits (bounded) until `store` has heard of a write to `partition` after `before`.
async fn invalidation_arrives(store: &RedisStore, partition: &str, before: Option<u64>) {
    use entra_cache::PartitionedStore;
    let partition = entra_cache::Partition::account(partition);
    for _ in 0..500 {
        if store.generation(&partition) != before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no invalidation for {partition} within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_and_a_sign_out_on_one_machine_are_seen_by_another() {
    use entra_cache::PartitionedStore;
    let redis = RedisServer::start();
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let (a, _) = machine(&idp, &redis).await;
    let (b, b_store) = machine(&idp, &redis).await;
    assert!(b.accounts().await.unwrap().is_empty());

    a.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .unwrap();
    let accounts = b.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1, "B lists the account A signed in");
    let served = b.acquire_token_silent(SCOPES, &accounts[0]).await.unwrap();
    assert_eq!(served.token_source, TokenSource::Cache);
    assert_eq!(served.access_token.secret(), TokenBody::access_token(1));

    let partition = entra_cache::Partition::account(&accounts[0].home_account_id);
    let before = b_store.generation(&partition);
    a.remove_account(&accounts[0]).await.unwrap();
    invalidation_arrives(&b_store, &accounts[0].home_account_id, before).await;
    let error = b
        .acquire_token_silent(SCOPES, &accounts[0])
        .await
        .expect_err("signed out on A");
    assert!(error.is_interaction_required(), "{error:?}");
    assert!(b.accounts().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_on_two_machines_after_expiry_send_one_refresh() {
    let redis = RedisServer::start();
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;
    let (a, _) = machine(&idp, &redis).await;
    let (b, _) = machine(&idp, &redis).await;
    let account = a
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .unwrap()
        .account
        .unwrap();
    assert_eq!(b.accounts().await.unwrap().len(), 1);
    idp.clock.advance(PAST_EXPIRY);

    let mut calls = Vec::new();
    for n in 0..20 {
        let app = if n % 2 == 0 { a.clone() } else { b.clone() };
        let account = account.clone();
        calls.push(tokio::spawn(async move {
            app.acquire_token_silent(SCOPES, &account).await
        }));
    }
    for call in calls {
        let result = call.await.expect("the task ran").expect("a token");
        assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
    }
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_is_a_typed_error_and_restarted_serves_the_cached_token() {
    let mut redis = RedisServer::builder().persistence(true).start();
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let (a, _) = machine(&idp, &redis).await;
    let account = a
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .unwrap()
        .account
        .unwrap();

    redis.stop();
    // The front may not trust itself without the invalidation channel: it asks Redis.
    let mut down = None;
    for _ in 0..500 {
        match a.acquire_token_silent(SCOPES, &account).await {
            Err(error) => {
                down = Some(error);
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let error = down.expect("an error while Redis is down");
    assert!(
        matches!(error, AuthError::Cache(CacheError::Unavailable { .. })),
        "{error:?}"
    );
    assert!(error.is_transient());

    redis.restart();
    let mut served = None;
    for _ in 0..500 {
        if let Ok(result) = a.acquire_token_silent(SCOPES, &account).await {
            served = Some(result);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let served = served.expect("the cached token once Redis is back");
    assert_eq!(served.access_token.secret(), TokenBody::access_token(1));
    assert_eq!(
        idp.token_posts("password").await.len(),
        1,
        "no second sign-in"
    );
}
