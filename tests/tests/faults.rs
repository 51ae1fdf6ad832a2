//! Transport faults scheduled through mock-idp's admin API: retries, throttling,
//! persistent server errors.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::time::Duration;

use entra_auth::AuthError;
use entra_auth::Uuid;
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};
use mock_idp::admin::{Endpoint, Fault, FaultAction};

async fn fault(harness: &Harness, count: u32, status: u16, retry_after: Option<u64>) {
    let action = FaultAction::Status {
        status,
        retry_after,
    };
    harness
        .idp
        .admin()
        .add_fault(&Fault {
            endpoint: Endpoint::Token,
            count,
            action,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refresh_answered_503_with_retry_after_is_waited_out_then_succeeds() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    harness.advance(PAST_EXPIRY).await;
    fault(&harness, 1, 503, Some(2)).await;

    app.acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("tokens after one retry");

    assert_eq!(harness.sleeper.waits(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_password_grant_answered_503_with_retry_after_is_not_sent_again() {
    let harness = Harness::start().await;
    fault(&harness, 1, 503, Some(2)).await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();

    assert!(error.is_transient(), "{error:?}");
    assert!(harness.sleeper.waits().is_empty());
    let password_requests = harness
        .requests()
        .await
        .into_iter()
        .filter(|r| r.carried_password)
        .count();
    assert_eq!(password_requests, 1);
}

#[tokio::test]
async fn persistent_429_gives_the_throttled_error_with_retry_after() {
    let harness = Harness::start().await;
    fault(&harness, 5, 429, Some(7)).await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();

    assert!(
        matches!(error, AuthError::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(7)),
        "{error:?}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn persistent_500_gives_a_server_error_carrying_the_correlation_id() {
    let harness = Harness::start().await;
    fault(&harness, 5, 500, None).await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();
    let correlation_id = Uuid::from_u128(0x5e1f_0000_0000_4000_8000_0000_0000_0500);

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .correlation_id(correlation_id)
        .await
        .unwrap_err();

    assert!(
        matches!(error, AuthError::ServerUnavailable { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(error.correlation_id(), Some(correlation_id));
    assert!(
        error.to_string().contains(&correlation_id.to_string()),
        "{error}"
    );
    assert!(
        harness.sleeper.waits().is_empty(),
        "the password grant is sent once, never retried"
    );
    assert_eq!(
        harness
            .requests()
            .await
            .iter()
            .filter(|r| r.carried_password)
            .count(),
        1
    );
}

#[tokio::test]
async fn callers_waiting_on_a_failed_refresh_share_its_failure() {
    let harness = Harness::start().await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    harness.advance(PAST_EXPIRY).await;
    harness.clear_requests().await;
    fault(&harness, 100, 500, None).await;

    let calls = (0..10).map(|_| {
        let (app, account) = (app.clone(), account.clone());
        tokio::spawn(async move { app.acquire_token_silent(&["User.Read"], &account).await })
    });
    let mut correlation_ids = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        let error = call.await.unwrap().unwrap_err();
        assert!(
            matches!(error, AuthError::ServerUnavailable { status: 500, .. }),
            "{error:?}"
        );
        correlation_ids.push(error.correlation_id());
    }

    // One refresh and its one retry reached the server; the nine callers that waited
    // got the same answer instead of asking again in turn.
    assert_eq!(harness.request_count().await, 2);
    correlation_ids.dedup();
    assert_eq!(correlation_ids.len(), 1, "{correlation_ids:?}");

    // A call made after the failure tries again.
    harness.idp.admin().clear_faults().await.unwrap();
    let result = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("a refresh once the server is back");
    assert_eq!(
        result.token_source,
        entra_auth::TokenSource::IdentityProvider
    );
}
