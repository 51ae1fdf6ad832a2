//! The application's throttling, as MSAL's: a `Retry-After` is remembered per client,
//! authority, scopes and account, and a wrong password is answered from memory for a
//! minute. Time is the fixture's manual clock; no test waits.

mod support;

use std::time::Duration;

use entra_auth::AuthError;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// Answers every password grant with a 429 carrying `Retry-After: 30`, and expects
/// exactly `expected` of them.
async fn mount_throttled_password_grant(idp: &Idp, expected: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .expect(expected)
        .mount(&idp.server)
        .await;
}

fn invalid_credentials() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(entra_error(
        "invalid_grant",
        50126,
        "Error validating credentials due to invalid username or password.",
        None,
        None,
        correlation_id(50126),
    ))
}

#[tokio::test]
async fn a_retry_after_holds_back_the_same_call_without_a_request_until_it_passes() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    mount_throttled_password_grant(&idp, 1).await;
    let app = idp.public_app();
    let first = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("throttled");
    assert!(
        matches!(first, AuthError::Throttled { retry_after: Some(wait), remembered: false, .. } if wait == Duration::from_secs(30)),
        "{first:?}"
    );

    idp.clock.advance(Duration::from_secs(10));
    let id = correlation_id(10);
    let held_back = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .correlation_id(id)
        .await
        .expect_err("held back");

    assert!(
        matches!(held_back, AuthError::Throttled { retry_after: Some(wait), remembered: true, server: None, .. } if wait == Duration::from_secs(20)),
        "{held_back:?}"
    );
    assert!(held_back.is_transient());
    assert_eq!(held_back.correlation_id(), Some(id));
    insta::assert_snapshot!(
        "throttled_from_memory",
        held_back
            .to_string()
            .replace(&id.to_string(), "[correlation-id]")
    );
    idp.server.verify().await;
    assert_eq!(idp.token_posts("password").await.len(), 1);

    idp.clock.advance(Duration::from_secs(21));
    idp.server.reset().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("after the wait the call goes out");
}

#[tokio::test]
async fn a_retry_after_for_one_account_or_scope_set_does_not_hold_back_another() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    mount_throttled_password_grant(&idp, 3).await;
    let app = idp.public_app();
    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("throttled");
    idp.clock.advance(Duration::from_secs(10));

    let bob = app
        .acquire_token_by_username_password(SCOPES, "bob@contoso.com", password())
        .await
        .expect_err("bob's call went out, and got its own 429");
    let other_scopes = app
        .acquire_token_by_username_password(&["Mail.Read"], ALICE, password())
        .await
        .expect_err("this call went out, and got its own 429");

    for error in [bob, other_scopes] {
        assert!(
            matches!(
                error,
                AuthError::Throttled {
                    remembered: false,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    idp.server.verify().await;
}

#[tokio::test]
async fn a_retry_after_is_kept_by_the_application_not_shared_with_another() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    mount_throttled_password_grant(&idp, 2).await;
    idp.public_app()
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("throttled");

    let error = idp
        .public_app()
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("a second application asks for itself");

    assert!(
        matches!(
            error,
            AuthError::Throttled {
                remembered: false,
                ..
            }
        ),
        "{error:?}"
    );
    idp.server.verify().await;
}

#[tokio::test]
async fn a_wrong_password_twice_within_a_minute_sends_one_request() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(invalid_credentials()).await;
    let app = idp.public_app();
    let wrong = || entra_auth::SecretString::from("wrong password");

    let first = app
        .acquire_token_by_username_password(SCOPES, ALICE, wrong())
        .await
        .expect_err("wrong password");
    idp.clock.advance(Duration::from_secs(59));
    let second = app
        .acquire_token_by_username_password(SCOPES, ALICE, wrong())
        .await
        .expect_err("wrong password, from memory");

    for error in [&first, &second] {
        assert!(
            matches!(error, AuthError::InvalidCredentials { .. }),
            "{error:?}"
        );
    }
    assert_eq!(first.to_string(), second.to_string());
    assert_eq!(idp.token_posts("password").await.len(), 1);

    idp.clock.advance(Duration::from_secs(1));
    let third = app
        .acquire_token_by_username_password(SCOPES, ALICE, wrong())
        .await
        .expect_err("wrong password, asked again");
    assert!(
        matches!(third, AuthError::InvalidCredentials { .. }),
        "{third:?}"
    );
    assert_eq!(
        idp.token_posts("password").await.len(),
        2,
        "after 60 s the request is sent again"
    );
}

#[tokio::test]
async fn the_right_password_after_a_wrong_one_is_sent() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(wiremock::matchers::body_string_contains("password=wrong"))
        .respond_with(invalid_credentials())
        .mount(&idp.server)
        .await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();
    app.acquire_token_by_username_password(SCOPES, ALICE, entra_auth::SecretString::from("wrong"))
        .await
        .expect_err("wrong password");

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("the right password is a different request");

    assert_eq!(idp.token_posts("password").await.len(), 2);
}

#[tokio::test]
async fn a_refused_refresh_token_is_not_redeemed_again_within_a_minute() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.clock.advance(Duration::from_secs(2 * 3600));
    idp.mount_refresh_grant(ResponseTemplate::new(400).set_body_json(entra_error(
        "invalid_grant",
        700082,
        "The refresh token has expired due to inactivity.",
        None,
        None,
        correlation_id(700082),
    )))
    .await;

    for _ in 0..3 {
        let error = app
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect_err("the refresh token is dead");
        assert!(error.is_interaction_required(), "{error:?}");
    }

    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}
