//! Silent acquisition after a sign-in: from the cache without a request, then through
//! the refresh token once the access token expires.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use entra_auth::{AuthError, TokenSource};
use entra_tests::{Harness, PAST_EXPIRY, fixture};

#[tokio::test]
async fn silent_after_sign_in_sends_no_request() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    let before = harness.request_count().await;

    let result = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("cached token");

    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(harness.request_count().await, before);
}

#[tokio::test]
async fn accounts_lists_the_signed_in_user() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;

    assert_eq!(app.accounts().await.unwrap(), vec![account.clone()]);
    assert_eq!(
        app.account(&account.home_account_id).await.unwrap(),
        Some(account)
    );
}

#[tokio::test]
async fn after_expiry_exactly_one_refresh_request_is_sent() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    let first = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap();
    harness.advance(PAST_EXPIRY).await;
    harness.idp.admin().clear_requests().await.unwrap();

    let refreshed = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("refreshed");
    let again = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("cached");

    let requests = harness.idp.admin().requests().await.unwrap();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        requests[0]
            .form
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "refresh_token")
    );
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);
    assert_ne!(refreshed.access_token.secret(), first.access_token.secret());
    assert_eq!(again.token_source, TokenSource::Cache);
}

#[tokio::test]
async fn a_revoked_refresh_token_gives_interaction_required() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    harness
        .idp
        .admin()
        .revoke_refresh_tokens(fixture::ALICE)
        .await
        .unwrap();
    harness.advance(PAST_EXPIRY).await;

    let error = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            AuthError::InteractionRequired {
                server: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_interaction_required());
}

#[tokio::test]
async fn force_refresh_skips_the_cached_token() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    let before = harness.request_count().await;

    let result = app
        .acquire_token_silent(&["User.Read"], &account)
        .force_refresh(true)
        .await
        .unwrap();

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(harness.request_count().await, before + 1);
}

#[tokio::test]
async fn a_hundred_concurrent_silent_calls_after_expiry_make_one_refresh_request() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    harness.advance(PAST_EXPIRY).await;
    harness.idp.admin().clear_requests().await.unwrap();

    let calls = (0..100).map(|_| {
        let (app, account) = (app.clone(), account.clone());
        tokio::spawn(async move { app.acquire_token_silent(&["User.Read"], &account).await })
    });
    let mut from_provider = 0;
    for call in calls.collect::<Vec<_>>() {
        let result = call.await.unwrap().expect("token");
        from_provider += usize::from(result.token_source == TokenSource::IdentityProvider);
    }

    assert_eq!(harness.request_count().await, 1);
    assert_eq!(from_provider, 1);
}

#[tokio::test]
async fn signing_out_removes_the_account_and_its_tokens() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;

    app.remove_account(&account).await.unwrap();

    assert!(app.accounts().await.unwrap().is_empty());
    let error = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::InteractionRequired { server: None, .. }),
        "{error:?}"
    );
}
