//! Every row of mock-idp's default fixture, signed in through entra-auth.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use entra_auth::{AuthError, AuthenticationResult, TokenSource};
use entra_tests::{Harness, fixture, password};
use secrecy::SecretString;

async fn sign_in(harness: &Harness, username: &str) -> Result<AuthenticationResult, AuthError> {
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .expect("app builds");
    app.acquire_token_by_username_password(&["User.Read"], username, password())
        .await
}

#[tokio::test]
async fn alice_signs_in_and_gets_tokens_for_her_account() {
    let harness = Harness::start().await;

    let result = sign_in(&harness, fixture::ALICE).await.expect("tokens");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let account = result.account.expect("an account");
    assert_eq!(account.username, fixture::ALICE);
    assert_eq!(
        account.home_account_id,
        format!("{}.{}", fixture::ALICE_OID, fixture::CONTOSO_TENANT_ID)
    );
    assert!(
        result.scopes.iter().any(|s| s == "User.Read"),
        "{:?}",
        result.scopes
    );
    let claims = result.id_token_claims.expect("id token claims");
    assert_eq!(claims.aud, fixture::CLI_CLIENT_ID);
    assert_eq!(claims.tid.as_deref(), Some(fixture::CONTOSO_TENANT_ID));
}

#[tokio::test]
async fn mfa_required_gives_the_mfa_error_with_a_claims_challenge() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::MFA_REQUIRED).await.unwrap_err();
    assert!(matches!(error, AuthError::MfaRequired { .. }), "{error:?}");
    assert_eq!(error.aadsts_code(), Some(50076));
    assert!(
        error.claims().is_some_and(|c| c.contains("capolids")),
        "{:?}",
        error.claims()
    );
    assert!(error.is_interaction_required());
}

#[tokio::test]
async fn mfa_enrollment_gives_the_enrollment_error_with_a_claims_challenge() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::MFA_ENROLLMENT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::MfaEnrollmentRequired { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(50079));
    assert!(error.claims().is_some());
}

#[tokio::test]
async fn missing_consent_for_a_user_gives_the_consent_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::CONSENT_REQUIRED)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::ConsentRequired { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(65001));
}

#[tokio::test]
async fn a_scope_nobody_consented_to_gives_the_consent_error() {
    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();
    let error = app
        .acquire_token_by_username_password(&["Mail.Send"], fixture::ALICE, password())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::ConsentRequired { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(65001));
}

#[tokio::test]
async fn an_expired_password_gives_the_password_expired_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::PASSWORD_EXPIRED)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::PasswordExpired { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(50055));
}

#[tokio::test]
async fn a_locked_account_gives_the_locked_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::LOCKED).await.unwrap_err();
    assert!(
        matches!(error, AuthError::AccountLocked { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(50053));
}

#[tokio::test]
async fn a_disabled_account_gives_the_disabled_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::DISABLED).await.unwrap_err();
    assert!(
        matches!(error, AuthError::AccountDisabled { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(50057));
}

#[tokio::test]
async fn a_conditional_access_block_gives_the_blocked_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::CA_BLOCKED).await.unwrap_err();
    assert!(
        matches!(error, AuthError::ConditionalAccessBlocked { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(53003));
}

#[tokio::test]
async fn an_unknown_user_gives_the_user_not_found_error() {
    let harness = Harness::start().await;
    let error = sign_in(&harness, fixture::NOBODY).await.unwrap_err();
    assert!(matches!(error, AuthError::UserNotFound { .. }), "{error:?}");
    assert_eq!(error.aadsts_code(), Some(50034));
}

#[tokio::test]
async fn a_wrong_password_gives_the_invalid_credentials_error() {
    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap();
    let error = app
        .acquire_token_by_username_password(
            &["User.Read"],
            fixture::ALICE,
            SecretString::from("wrong"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::InvalidCredentials { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(50126));
}

#[tokio::test]
async fn an_app_without_public_client_flows_gives_its_own_error() {
    let harness = Harness::start().await;
    let app = harness
        .public_client(fixture::WEB_CLIENT_ID)
        .build()
        .unwrap();
    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::PublicClientFlowsNotAllowed { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(7000218));
}

#[tokio::test]
async fn an_unknown_client_id_gives_the_application_not_found_error() {
    let harness = Harness::start().await;
    let app = harness
        .public_client("99999999-9999-9999-9999-999999999999")
        .build()
        .unwrap();
    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::ApplicationNotFound { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(700016));
}

#[tokio::test]
async fn the_daemon_with_its_secret_signs_alice_in() {
    let harness = Harness::start().await;
    let app = harness
        .confidential_client(fixture::DAEMON_CLIENT_ID)
        .client_secret(SecretString::from(fixture::DAEMON_SECRET))
        .build()
        .unwrap();
    let result = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("tokens");
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
}

#[tokio::test]
async fn the_daemon_with_its_certificate_signs_alice_in() {
    let harness = Harness::start().await;
    let app = harness
        .confidential_client(fixture::DAEMON_CLIENT_ID)
        .client_certificate(
            fixture::DAEMON_CERT_PEM.as_bytes(),
            &SecretString::from(fixture::DAEMON_KEY_PEM),
        )
        .build()
        .unwrap();
    let result = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("tokens");
    assert!(result.account.is_some());
}

#[tokio::test]
async fn the_daemon_with_a_wrong_secret_gives_the_client_credential_error() {
    let harness = Harness::start().await;
    let app = harness
        .confidential_client(fixture::DAEMON_CLIENT_ID)
        .client_secret(SecretString::from("not-the-secret"))
        .build()
        .unwrap();
    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::InvalidClientCredential { .. }),
        "{error:?}"
    );
    assert_eq!(error.aadsts_code(), Some(7000215));
}

#[tokio::test]
async fn a_personal_account_is_refused_before_the_password_is_sent() {
    let harness = Harness::start().await;

    let error = sign_in(&harness, fixture::PERSONAL_USER).await.unwrap_err();

    assert!(
        matches!(error, AuthError::PersonalAccountNotSupported { .. }),
        "{error:?}"
    );
    let requests = harness.idp.admin().requests().await.unwrap();
    assert!(!requests.is_empty(), "user realm discovery happened");
    assert!(
        requests.iter().all(|r| !r.carried_password),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| !r.path.ends_with("/oauth2/v2.0/token")),
        "{requests:#?}"
    );
}

#[tokio::test]
async fn the_consumers_authority_is_refused_without_any_request() {
    let harness = Harness::start().await;
    let app = harness
        .public_client_at(fixture::CLI_CLIENT_ID, "consumers")
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .unwrap_err();

    assert!(
        matches!(error, AuthError::ConsumersTenantNotSupported),
        "{error:?}"
    );
    assert_eq!(harness.request_count().await, 0);
}

#[tokio::test]
async fn the_common_authority_signs_in_through_organizations() {
    let harness = Harness::start().await;
    let app = harness
        .public_client_at(fixture::CLI_CLIENT_ID, "common")
        .build()
        .unwrap();

    app.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("tokens");

    let requests = harness.idp.admin().requests().await.unwrap();
    let token_paths: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(token_paths, ["/organizations/oauth2/v2.0/token"]);
}

#[tokio::test]
async fn a_tenant_id_authority_signs_in_and_caches_under_that_tenant() {
    let harness = Harness::start().await;
    let app = harness
        .public_client_at(fixture::CLI_CLIENT_ID, fixture::CONTOSO_TENANT_ID)
        .build()
        .unwrap();

    let result = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("tokens");

    assert_eq!(
        result.account.expect("account").realm,
        fixture::CONTOSO_TENANT_ID
    );
}

#[tokio::test]
async fn a_second_sign_in_reuses_the_user_realm_for_a_day() {
    let harness = Harness::start().await;
    let (app, _) = harness.signed_in(fixture::ALICE).await;
    let sign_in =
        || app.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password());
    let paths = async || -> Vec<String> {
        harness
            .requests()
            .await
            .into_iter()
            .map(|r| r.path)
            .collect()
    };
    harness.clear_requests().await;

    sign_in().await.unwrap();
    assert_eq!(
        paths().await,
        vec!["/organizations/oauth2/v2.0/token".to_owned()]
    );

    // Another user of the same domain gets their own realm discovery.
    harness.clear_requests().await;
    app.acquire_token_by_username_password(&["User.Read"], fixture::MFA_REQUIRED, password())
        .await
        .unwrap_err();
    let sent = paths().await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].starts_with("/common/userrealm/"), "{sent:?}");

    // A day later the realm is asked again.
    harness
        .advance(std::time::Duration::from_secs(24 * 3600))
        .await;
    harness.clear_requests().await;
    sign_in().await.unwrap();
    let sent = paths().await;
    assert_eq!(
        sent.first(),
        Some(&format!("/common/userrealm/{}", fixture::ALICE)),
        "{sent:?}"
    );
    assert_eq!(sent.len(), 2, "{sent:?}");
}
