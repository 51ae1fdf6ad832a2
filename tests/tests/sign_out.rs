//! A sign-out in one application survives another application (another process) that
//! shares the cache file and refreshes afterwards.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::path::Path;

use entra_auth::FileStore;
use entra_auth::PublicClientApplication;
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};

fn app_on(harness: &Harness, file: &Path) -> PublicClientApplication {
    harness
        .public_client(fixture::CLI_CLIENT_ID)
        .cache_store(FileStore::new(file))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_sign_out_in_one_application_is_seen_by_another_at_its_next_call() {
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
        b.accounts().await.unwrap().to_vec(),
        vec![account.clone()],
        "b loaded"
    );

    a.remove_account(&account).await.unwrap();
    harness.advance(PAST_EXPIRY).await;
    let requests_before = harness.request_count().await;
    let error = b
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect_err("b read the file again and found the account signed out");
    assert!(error.is_interaction_required(), "{error:?}");
    assert_eq!(
        harness.request_count().await,
        requests_before,
        "nothing was sent: no refresh token was redeemed"
    );

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&account.home_account_id), "{text}");
    assert!(b.accounts().await.unwrap().is_empty());
    assert!(app_on(&harness, &file).accounts().await.unwrap().is_empty());

    // A new sign-in through b brings the account back for everyone.
    b.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap();
    assert_eq!(
        app_on(&harness, &file).accounts().await.unwrap().to_vec(),
        vec![account]
    );
}
