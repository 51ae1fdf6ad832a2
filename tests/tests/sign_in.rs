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

/// Which application signs the user in.
#[derive(Clone, Copy)]
enum Client {
    /// A public client with this client id.
    Public(&'static str),
    /// The Daemon with this secret.
    Daemon(&'static str),
}

/// One refused sign-in of the default fixture: who signs in, with which application,
/// password and scopes, and the error it ends in. The name names its snapshot and
/// leads every failure message.
struct Row {
    name: &'static str,
    client: Client,
    username: &'static str,
    password: &'static str,
    scopes: &'static [&'static str],
    code: u32,
    /// The variant, and what else the row pins about the error.
    is: fn(&AuthError) -> bool,
}

impl Row {
    fn new(
        name: &'static str,
        username: &'static str,
        code: u32,
        is: fn(&AuthError) -> bool,
    ) -> Self {
        Self {
            name,
            client: Client::Public(fixture::CLI_CLIENT_ID),
            username,
            password: fixture::PASSWORD,
            scopes: &["User.Read"],
            code,
            is,
        }
    }

    fn client(self, client: Client) -> Self {
        Self { client, ..self }
    }

    fn password(self, password: &'static str) -> Self {
        Self { password, ..self }
    }

    fn scopes(self, scopes: &'static [&'static str]) -> Self {
        Self { scopes, ..self }
    }

    async fn run(&self) {
        let name = self.name;
        let harness = Harness::start().await;
        let password = SecretString::from(self.password);
        let outcome = match self.client {
            Client::Public(client_id) => {
                let app = harness.public_client(client_id).build();
                let app = app.unwrap_or_else(|e| panic!("row {name}: {e:?}"));
                app.acquire_token_by_username_password(self.scopes, self.username, password)
                    .await
            }
            Client::Daemon(secret) => {
                let app = harness
                    .confidential_client(fixture::DAEMON_CLIENT_ID)
                    .client_secret(SecretString::from(secret))
                    .build();
                let app = app.unwrap_or_else(|e| panic!("row {name}: {e:?}"));
                app.acquire_token_by_username_password(self.scopes, self.username, password)
                    .await
            }
        };
        let Err(error) = outcome else {
            panic!("row {name}: signed in")
        };
        assert!((self.is)(&error), "row {name}: {error:?}");
        assert_eq!(error.aadsts_code(), Some(self.code), "row {name}");
        insta::with_settings!({ filters => vec![(UUID, "[uuid]")] }, {
            insta::assert_snapshot!(name, error.to_string());
        });
    }
}

const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// A row's check that the error is this variant of [`AuthError`].
macro_rules! is {
    ($variant:ident) => {
        |e: &AuthError| matches!(e, AuthError::$variant { .. })
    };
}

/// Every refused row of the fixture, once (one line a row: not reflowed).
#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use AuthError as E;
    vec![
        Row::new("mfa_required", fixture::MFA_REQUIRED, 50076, |e| {
            matches!(e, E::MfaRequired { .. })
                && e.claims().is_some_and(|c| c.contains("capolids"))
                && e.is_interaction_required()
        }),
        Row::new("mfa_enrollment", fixture::MFA_ENROLLMENT, 50079, |e| {
            matches!(e, E::MfaEnrollmentRequired { .. }) && e.claims().is_some()
        }),
        Row::new("consent_required", fixture::CONSENT_REQUIRED, 65001, is!(ConsentRequired)),
        Row::new("scope_without_consent", fixture::ALICE, 65001, is!(ConsentRequired))
            .scopes(&["Mail.Send"]),
        Row::new("password_expired", fixture::PASSWORD_EXPIRED, 50055, is!(PasswordExpired)),
        Row::new("locked", fixture::LOCKED, 50053, is!(AccountLocked)),
        Row::new("disabled", fixture::DISABLED, 50057, is!(AccountDisabled)),
        Row::new("ca_blocked", fixture::CA_BLOCKED, 53003, is!(ConditionalAccessBlocked)),
        Row::new("nobody", fixture::NOBODY, 50034, is!(UserNotFound)),
        Row::new("wrong_password", fixture::ALICE, 50126, is!(InvalidCredentials))
            .password("wrong"),
        Row::new("public_client_flows_not_allowed", fixture::ALICE, 7000218, is!(PublicClientFlowsNotAllowed))
            .client(Client::Public(fixture::WEB_CLIENT_ID)),
        Row::new("unknown_client", fixture::ALICE, 700016, is!(ApplicationNotFound))
            .client(Client::Public("99999999-9999-9999-9999-999999999999")),
        Row::new("daemon_wrong_secret", fixture::ALICE, 7000215, is!(InvalidClientCredential))
            .client(Client::Daemon("not-the-secret")),
    ]
}

#[tokio::test]
async fn every_refused_row_ends_in_its_error() {
    for row in rows() {
        row.run().await;
    }
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
        result.account.expect("account").realm.as_str(),
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

    // A day later the realm is asked again (and instance discovery about the
    // loopback authority, remembered for a day too).
    harness
        .advance(std::time::Duration::from_secs(24 * 3600))
        .await;
    harness.clear_requests().await;
    sign_in().await.unwrap();
    let sent = paths().await;
    assert_eq!(
        sent,
        [
            "/common/discovery/instance".to_owned(),
            format!("/common/userrealm/{}", fixture::ALICE),
            "/organizations/oauth2/v2.0/token".to_owned(),
        ],
    );
}
