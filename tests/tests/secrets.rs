//! No password, access token or refresh token ever appears in tracing output or in the
//! Debug/Display of results and errors.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::time::Duration;

use entra_auth::AuthError;
use entra_tests::{Harness, capture_logs, fixture, password};
use secrecy::SecretString;

#[tokio::test]
async fn no_secret_reaches_logs_debug_or_display() {
    let (captured, _guard) = capture_logs("trace");

    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();
    let daemon = harness
        .confidential_client(fixture::DAEMON_CLIENT_ID)
        .client_secret(SecretString::from(fixture::DAEMON_SECRET))
        .build()
        .unwrap();
    let mut shown = String::new();
    let mut access_tokens = Vec::new();

    let first = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap();
    let account = first.account.clone().unwrap();
    harness.advance(Duration::from_secs(2 * 3600)).await;
    let refreshed = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap();
    let cached = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap();
    let confidential = daemon
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap();
    for result in [&first, &refreshed, &cached, &confidential] {
        shown.push_str(&format!("{result:?}\n"));
        access_tokens.push(result.access_token.secret().to_owned());
    }
    let mut errors: Vec<AuthError> = Vec::new();
    for user in [
        fixture::MFA_REQUIRED,
        fixture::CONSENT_REQUIRED,
        fixture::PERSONAL_USER,
        fixture::LOCKED,
    ] {
        errors.push(
            app.acquire_token_by_username_password(&["User.Read"], user, password())
                .await
                .unwrap_err(),
        );
    }
    errors.push(
        app.acquire_token_by_username_password(
            &["User.Read"],
            fixture::ALICE,
            SecretString::from("wrong password"),
        )
        .await
        .unwrap_err(),
    );
    for error in &errors {
        shown.push_str(&format!("{error:?}\n{error}\n"));
    }
    shown.push_str(&format!("{app:?}\n{daemon:?}\n{:?}\n", app.token_cache()));
    shown.push_str(&captured.text());

    let refresh_tokens = refresh_tokens_in(&app.token_cache().serialize());
    assert!(!refresh_tokens.is_empty(), "the cache holds refresh tokens");
    assert!(
        shown.contains("RefreshToken") || shown.contains("sending request"),
        "something was captured"
    );
    for secret in [fixture::PASSWORD, fixture::DAEMON_SECRET, "wrong password"]
        .into_iter()
        .chain(access_tokens.iter().map(String::as_str))
        .chain(refresh_tokens.iter().map(String::as_str))
    {
        assert!(!shown.contains(secret), "a secret leaked: {secret:.12}...");
    }
}

/// The refresh token secrets in a serialized MSAL cache.
fn refresh_tokens_in(cache_json: &str) -> Vec<String> {
    let cache: serde_json::Value = serde_json::from_str(cache_json).expect("cache JSON");
    cache["RefreshToken"]
        .as_object()
        .into_iter()
        .flat_map(|entries| entries.values())
        .filter_map(|entry| entry["secret"].as_str().map(str::to_owned))
        .collect()
}
