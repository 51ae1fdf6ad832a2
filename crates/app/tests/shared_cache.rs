//! One cache file shared by applications that know nothing of each other (as separate
//! processes would): each sees the other's sign-in and refresh, and many callers that
//! find the same access token expired send one refresh between them.

mod support;

use std::time::Duration;

use entra_auth::{FileStore, PublicClientApplication, TokenSource};
use support::*;

/// Past the access token's expiry, 5 minutes margin included.
const PAST_EXPIRY: Duration = Duration::from_secs(EXPIRES_IN + 1);

fn app_on(idp: &Idp, path: &std::path::Path) -> PublicClientApplication {
    idp.public_builder(CLIENT_ID, "organizations")
        .cache_store(FileStore::new(path))
        .build()
        .expect("the public client builds")
}

#[tokio::test]
async fn a_sign_in_by_one_application_is_seen_by_another_already_running() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let (a, b) = (app_on(&idp, &path), app_on(&idp, &path));
    assert!(
        b.accounts().await.unwrap().is_empty(),
        "B read the empty cache"
    );

    a.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .unwrap();

    let accounts = b.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1, "B read the file again");
    let served = b.acquire_token_silent(SCOPES, &accounts[0]).await.unwrap();
    assert_eq!(served.token_source, TokenSource::Cache);
    assert_eq!(served.access_token.secret(), TokenBody::access_token(1));

    b.remove_account(&accounts[0]).await.unwrap();
    assert!(
        a.accounts().await.unwrap().is_empty(),
        "A sees B's sign-out"
    );
}

#[tokio::test]
async fn many_callers_in_two_applications_after_expiry_send_one_refresh() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let (a, b) = (app_on(&idp, &path), app_on(&idp, &path));
    let account = a
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .unwrap()
        .account
        .unwrap();
    assert_eq!(b.accounts().await.unwrap().len(), 1);
    idp.clock.advance(PAST_EXPIRY);

    let calls = (0..20).map(|n| {
        let app = if n % 2 == 0 { a.clone() } else { b.clone() };
        let account = account.clone();
        tokio::spawn(async move { app.acquire_token_silent(SCOPES, &account).await })
    });
    for call in futures_join(calls).await {
        let result = call.expect("the task ran").expect("a token");
        assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
    }

    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains(&TokenBody::refresh_token(2)),
        "the rotated refresh token is saved"
    );
}

/// Awaits every handle, in order.
async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await);
    }
    results
}
