//! A sign-out in one application survives another application (another process) that
//! shares the cache file and refreshes afterwards.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::path::Path;

use entra_auth::FileStore;
use entra_auth::{PublicClientApplication, TokenSource};
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};

fn app_on(harness: &Harness, file: &Path) -> PublicClientApplication {
    harness
        .public_client(fixture::CLI_CLIENT_ID)
        .cache_store(FileStore::new(file))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_sign_out_stays_when_another_application_refreshes_afterwards() {
    let harness = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token_cache.json");
    let a = app_on(&harness, &file);
    let account = a
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap()
        .account
        .unwrap();
    let b = app_on(&harness, &file);
    assert_eq!(
        b.accounts().await.unwrap(),
        vec![account.clone()],
        "b loaded"
    );

    a.remove_account(&account).await.unwrap();
    harness.advance(PAST_EXPIRY).await;
    let refreshed = b
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("b's refresh token still works at the server");
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&account.home_account_id), "{text}");
    assert_eq!(a.accounts().await.unwrap(), vec![]);
    assert_eq!(app_on(&harness, &file).accounts().await.unwrap(), vec![]);
    assert!(
        b.acquire_token_silent(&["User.Read"], &account)
            .await
            .is_err(),
        "b is signed out too once its refresh is merged"
    );

    // A new sign-in through b brings the account back for everyone.
    b.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap();
    assert_eq!(
        app_on(&harness, &file).accounts().await.unwrap(),
        vec![account]
    );
}
