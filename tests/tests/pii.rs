//! Personal data stays out of logs and errors by default: every tracing event the
//! library (and the HTTP stack under it) emits at TRACE level, and the Display and
//! Debug of every error, through a managed sign-in, a federated sign-in, a refresh and
//! each refused sign-in, holds no username, user object id, password, token or secret.
//! With `pii_logging(true)` the username may appear, and only then.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use entra_auth::{AuthError, PublicClientApplication};
use entra_tests::{Harness, PAST_EXPIRY, capture_logs, fixture, password};
use secrecy::SecretString;

/// Every username of the default fixture a test here signs in with.
const USERNAMES: [&str; 11] = [
    fixture::ALICE,
    fixture::FEDUSER,
    fixture::MFA_REQUIRED,
    fixture::MFA_ENROLLMENT,
    fixture::CONSENT_REQUIRED,
    fixture::PASSWORD_EXPIRED,
    fixture::LOCKED,
    fixture::DISABLED,
    fixture::CA_BLOCKED,
    fixture::PERSONAL_USER,
    fixture::NOBODY,
];

/// Signs in every user of the fixture (managed, federated, each refused row, a wrong
/// password), refreshes, and returns the errors and the tokens that were issued.
async fn every_flow(
    harness: &Harness,
    app: &PublicClientApplication,
) -> (Vec<AuthError>, Vec<String>) {
    let mut tokens = Vec::new();
    for user in [fixture::ALICE, fixture::FEDUSER] {
        let first = app
            .acquire_token_by_username_password(&["User.Read"], user, password())
            .await
            .unwrap();
        tokens.push(first.access_token.secret().to_owned());
        let account = first.account.clone().unwrap();
        harness.advance(PAST_EXPIRY).await;
        let refreshed = app
            .acquire_token_silent(&["User.Read"], &account)
            .await
            .unwrap();
        tokens.push(refreshed.access_token.secret().to_owned());
    }
    let mut errors = Vec::new();
    for user in &USERNAMES[2..] {
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
    errors.push(
        app.acquire_token_by_username_password(&["Mail.Send"], fixture::ALICE, password())
            .await
            .unwrap_err(),
    );
    let cache: serde_json::Value = serde_json::from_str(&app.token_cache().serialize()).unwrap();
    for section in ["RefreshToken", "IdToken"] {
        for entry in cache[section].as_object().unwrap().values() {
            tokens.push(entry["secret"].as_str().unwrap().to_owned());
        }
    }
    (errors, tokens)
}

#[tokio::test]
async fn by_default_no_username_oid_password_or_token_reaches_a_log_or_an_error() {
    // Every event but the in-process mock-idp server's own (the server's logs, not the
    // library's).
    let (captured, _guard) = capture_logs("trace,mock_idp=off");
    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();

    let (errors, tokens) = every_flow(&harness, &app).await;

    let mut shown = captured.text();
    assert!(
        shown.contains("userrealm/[username]"),
        "the realm requests were logged, without the username"
    );
    assert!(shown.contains("TRACE"), "TRACE events were captured");
    for error in &errors {
        shown.push_str(&format!("{error:?}\n{error}\n"));
    }
    let personal = errors
        .iter()
        .find(|e| matches!(e, AuthError::PersonalAccountNotSupported { .. }))
        .unwrap();
    assert!(
        personal
            .to_string()
            .starts_with("the account is a personal")
    );
    let forbidden = USERNAMES
        .iter()
        .copied()
        .chain([fixture::ALICE_OID, fixture::FEDUSER_OID])
        .chain([fixture::PASSWORD, "wrong password", fixture::DAEMON_SECRET])
        .map(str::to_owned)
        .chain(tokens);
    for value in forbidden {
        // Usernames also travel percent-encoded in URLs.
        for form in [value.clone(), value.replace('@', "%40")] {
            assert!(
                !shown.contains(&form),
                "personal data or a secret leaked: {form:.16}..."
            );
        }
    }
}

#[tokio::test]
async fn with_pii_logging_the_username_is_named() {
    // Every event but the in-process mock-idp server's own (the server's logs, not the
    // library's).
    let (captured, _guard) = capture_logs("trace,mock_idp=off");
    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .pii_logging(true)
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::PERSONAL_USER, password())
        .await
        .unwrap_err();

    assert!(
        matches!(&error, AuthError::PersonalAccountNotSupported { username: Some(u) } if u == fixture::PERSONAL_USER),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("someone@outlook.com is a personal")
    );
    assert!(captured.text().contains("userrealm/someone@outlook.com"));
    assert!(!captured.text().contains(fixture::PASSWORD));
}
