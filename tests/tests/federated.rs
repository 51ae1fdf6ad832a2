//! Federated users (WS-Trust to the mock ADFS, then a SAML bearer grant) and personal
//! Microsoft accounts, through entra-auth against mock-idp.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use entra_auth::{AuthError, AuthenticationResult, PublicClientApplication, TokenSource};
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};
use mock_idp::admin::{RecordedRequest, UserStateChange};
use mock_idp::{
    Config, DECOY_PATHS, Fixture, MEX_PATH, SamlVersion, USERNAME_MIXED_13_PATH,
    USERNAME_MIXED_2005_PATH,
};

const SAML11_GRANT: &str = "urn:ietf:params:oauth:grant-type:saml1_1-bearer";
const SAML2_GRANT: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";

fn app(harness: &Harness) -> PublicClientApplication {
    harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .expect("app builds")
}

async fn sign_in(
    app: &PublicClientApplication,
    username: &str,
) -> Result<AuthenticationResult, AuthError> {
    app.acquire_token_by_username_password(&["User.Read"], username, password())
        .await
}

fn token_requests(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

async fn change_feduser(harness: &Harness, change: UserStateChange) {
    harness
        .idp
        .admin()
        .set_user_state(fixture::FEDUSER, &change)
        .await
        .unwrap();
}

#[tokio::test]
async fn feduser_signs_in_through_the_mock_adfs_then_gets_tokens_silently() {
    let harness = Harness::start().await;
    let app = app(&harness);

    let result = sign_in(&app, fixture::FEDUSER).await.expect("tokens");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let account = result.account.expect("an account");
    assert_eq!(account.username, fixture::FEDUSER);
    assert_eq!(
        account.home_account_id,
        format!("{}.{}", fixture::FEDUSER_OID, fixture::FABRIKAM_TENANT_ID)
    );
    let sent = harness.requests().await;
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    let mex = paths
        .iter()
        .position(|p| *p == MEX_PATH)
        .expect("MEX fetched");
    let ws_trust = paths
        .iter()
        .position(|p| *p == USERNAME_MIXED_13_PATH)
        .expect("WS-Trust 1.3 used");
    let tokens = token_requests(&sent);
    assert_eq!(tokens.len(), 1, "{paths:?}");
    assert!(
        mex < ws_trust && ws_trust < tokens[0].seq as usize,
        "{paths:?}"
    );
    // The password went to the federation server only; Entra got the assertion.
    assert!(sent[ws_trust].carried_password);
    assert!(!tokens[0].carried_password);
    assert_eq!(tokens[0].form_value("grant_type"), Some(SAML11_GRANT));
    assert_eq!(tokens[0].form_value("assertion"), Some("[REDACTED]"));
    assert_eq!(tokens[0].form_value("password"), None);

    let before = sent.len();
    let cached = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("cached token");
    assert_eq!(cached.token_source, TokenSource::Cache);
    assert_eq!(harness.request_count().await, before);

    harness.advance(PAST_EXPIRY).await;
    harness.clear_requests().await;
    let refreshed = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .expect("refreshed");
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);
    let sent = harness.requests().await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].form_value("grant_type"), Some("refresh_token"));
    assert_eq!(app.accounts().await.unwrap(), vec![account]);
}

#[tokio::test]
async fn the_mex_decoys_and_the_2005_endpoint_are_never_requested() {
    let harness = Harness::start().await;
    sign_in(&app(&harness), fixture::FEDUSER)
        .await
        .expect("tokens");

    let sent = harness.requests().await;
    for decoy in DECOY_PATHS {
        assert!(sent.iter().all(|r| r.path != decoy), "{decoy}: {sent:#?}");
    }
    assert!(sent.iter().all(|r| r.path != USERNAME_MIXED_2005_PATH));
    assert!(sent.iter().all(|r| r.status < 400), "{sent:#?}");
}

#[tokio::test]
async fn a_wrong_password_at_the_adfs_gives_invalid_credentials() {
    let harness = Harness::start().await;
    change_feduser(
        &harness,
        UserStateChange {
            password: Some("another password".into()),
            ..UserStateChange::default()
        },
    )
    .await;

    let error = sign_in(&app(&harness), fixture::FEDUSER).await.unwrap_err();

    assert!(
        matches!(error, AuthError::InvalidCredentials { .. }),
        "{error:?}"
    );
    let sent = harness.requests().await;
    let ws_trust: Vec<_> = sent
        .iter()
        .filter(|r| r.path == USERNAME_MIXED_13_PATH)
        .collect();
    // ADFS answers a wrong password with a SOAP fault and HTTP 500 (which the retry
    // layer may send once more); the client stops there.
    assert!(!ws_trust.is_empty());
    assert!(ws_trust.iter().all(|r| r.status == 500), "{ws_trust:#?}");
    assert!(token_requests(&sent).is_empty(), "{sent:#?}");
}

#[tokio::test]
async fn a_locked_federated_user_gives_account_locked() {
    let harness = Harness::start().await;
    change_feduser(
        &harness,
        UserStateChange {
            locked: Some(true),
            ..UserStateChange::default()
        },
    )
    .await;

    let error = sign_in(&app(&harness), fixture::FEDUSER).await.unwrap_err();

    assert!(
        matches!(error, AuthError::AccountLocked { .. }),
        "{error:?}"
    );
    assert!(token_requests(&harness.requests().await).is_empty());
}

#[tokio::test]
async fn a_disabled_federated_user_gives_account_disabled() {
    let harness = Harness::start().await;
    change_feduser(
        &harness,
        UserStateChange {
            disabled: Some(true),
            ..UserStateChange::default()
        },
    )
    .await;

    let error = sign_in(&app(&harness), fixture::FEDUSER).await.unwrap_err();

    assert!(
        matches!(error, AuthError::AccountDisabled { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_personal_account_is_refused_and_no_request_carries_the_password() {
    let harness = Harness::start().await;

    let error = sign_in(&app(&harness), fixture::PERSONAL_USER)
        .await
        .unwrap_err();

    assert!(
        matches!(error, AuthError::PersonalAccountNotSupported { .. }),
        "{error:?}"
    );
    let sent = harness.requests().await;
    assert!(!sent.is_empty(), "user realm discovery happened");
    assert!(sent.iter().all(|r| !r.carried_password), "{sent:#?}");
    assert!(token_requests(&sent).is_empty(), "{sent:#?}");
    assert!(
        sent.iter().all(|r| !r.path.starts_with("/adfs/")),
        "{sent:#?}"
    );
}

#[tokio::test]
async fn a_saml_2_0_tenant_signs_in_with_the_saml2_bearer_grant() {
    let mut fixture = Fixture::default();
    let fabrikam = fixture
        .tenants
        .iter_mut()
        .find(|t| t.id == fixture::FABRIKAM_TENANT_ID)
        .unwrap();
    fabrikam.saml_version = SamlVersion::V2_0;
    let harness = Harness::start_with(Config::new(fixture).seed(1)).await;
    let app = app(&harness);

    let result = sign_in(&app, fixture::FEDUSER).await.expect("tokens");

    assert_eq!(result.account.unwrap().username, fixture::FEDUSER);
    let sent = harness.requests().await;
    let tokens = token_requests(&sent);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].form_value("grant_type"), Some(SAML2_GRANT));
}

#[tokio::test]
async fn a_second_federated_sign_in_skips_realm_and_mex_but_asks_the_adfs_again() {
    let harness = Harness::start().await;
    let app = app(&harness);
    sign_in(&app, fixture::FEDUSER).await.expect("tokens");
    harness.clear_requests().await;

    sign_in(&app, fixture::FEDUSER).await.expect("tokens again");

    let sent = harness.requests().await;
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![USERNAME_MIXED_13_PATH, "/organizations/oauth2/v2.0/token"],
        "the password is checked by the ADFS every time"
    );
}
