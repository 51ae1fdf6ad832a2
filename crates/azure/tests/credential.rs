//! `UsernamePasswordCredential` against an in-process mock-idp, called only as an Azure
//! SDK client calls a credential: through `dyn TokenCredential`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azure_core::credentials::{AccessToken, TokenCredential};
use azure_core::error::ErrorKind;
use entra_auth::{
    AuthError, ConfidentialClientApplication, ManualClock, PublicClientApplication, SecretString,
};
use entra_auth_azure::UsernamePasswordCredential;
use mock_idp::admin::{ConsentChange, Endpoint, Fault, FaultAction, RecordedRequest};
use mock_idp::default_fixture as fixture;
use mock_idp::{Config, MockIdp};

/// Past the access token's lifetime (mock-idp: at most 5399 s).
const PAST_EXPIRY: Duration = Duration::from_secs(2 * 3600);

const SCOPES: &[&str] = &["User.Read"];

const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// A running mock-idp (deterministic) and the clock of the applications under test,
/// started where the server's is.
struct Env {
    idp: MockIdp,
    clock: Arc<ManualClock>,
}

impl Env {
    async fn start() -> Env {
        let idp = MockIdp::start(Config::default().seed(1))
            .await
            .expect("mock-idp starts");
        let server_now = idp.admin().now().await.expect("admin: clock").now;
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(server_now),
        ));
        Env { idp, clock }
    }

    /// The CLI app (public client) at `/organizations`.
    fn public_app(&self) -> PublicClientApplication {
        PublicClientApplication::builder(fixture::CLI_CLIENT_ID)
            .authority(&self.idp.authority("organizations"))
            .extra_root_certificates_pem(self.idp.ca_pem())
            .clock(self.clock.clone())
            .build()
            .expect("the public client builds")
    }

    /// A credential for `username` over the CLI app, as an Azure SDK client holds one.
    fn credential(&self, username: &str) -> Arc<dyn TokenCredential> {
        Arc::new(UsernamePasswordCredential::new(
            self.public_app(),
            username,
            password(),
        ))
    }

    /// The requests mock-idp's token endpoint received so far.
    async fn token_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.idp.admin().requests().await.expect("admin: requests");
        requests
            .into_iter()
            .filter(|request| request.endpoint == Endpoint::Token)
            .collect()
    }

    /// How many requests (to any endpoint) carried the password.
    async fn password_requests(&self) -> usize {
        let requests = self.idp.admin().requests().await.expect("admin: requests");
        requests.iter().filter(|r| r.carried_password).count()
    }

    async fn clear_requests(&self) {
        self.idp
            .admin()
            .clear_requests()
            .await
            .expect("admin: clear requests");
    }

    /// Moves both clocks (server and client) forward.
    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.idp
            .admin()
            .advance_clock(by)
            .await
            .expect("admin: advance clock");
    }
}

fn password() -> SecretString {
    SecretString::from(fixture::PASSWORD)
}

fn grant_types(requests: &[RecordedRequest]) -> Vec<&str> {
    requests
        .iter()
        .map(|request| request.form_value("grant_type").unwrap_or("(none)"))
        .collect()
}

/// The entra-auth error under an azure_core error, as a caller reaches it.
fn auth_error(error: &azure_core::Error) -> &AuthError {
    error
        .source()
        .and_then(|source| source.downcast_ref::<AuthError>())
        .unwrap_or_else(|| panic!("no AuthError under {error:?}"))
}

async fn token(credential: &dyn TokenCredential, scopes: &[&str]) -> AccessToken {
    credential
        .get_token(scopes, None)
        .await
        .unwrap_or_else(|error| panic!("get_token: {error}"))
}

#[tokio::test]
async fn the_first_token_comes_from_one_password_sign_in() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);

    let first = token(credential.as_ref(), SCOPES).await;

    assert!(!first.token.secret().is_empty());
    let server_now = env.idp.admin().now().await.unwrap().now;
    let now = azure_core::time::OffsetDateTime::from_unix_timestamp(server_now.try_into().unwrap())
        .unwrap();
    assert!(first.expires_on > now, "{:?} <= {now:?}", first.expires_on);
    let requests = env.token_requests().await;
    assert_eq!(grant_types(&requests), ["password"]);
    assert_eq!(env.password_requests().await, 1);
}

#[tokio::test]
async fn the_second_token_comes_from_the_cache_without_a_request() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);
    let first = token(credential.as_ref(), SCOPES).await;
    env.clear_requests().await;

    let second = token(credential.as_ref(), SCOPES).await;

    assert_eq!(second.token, first.token);
    assert_eq!(second.expires_on, first.expires_on);
    let requests = env.idp.admin().requests().await.unwrap();
    assert!(requests.is_empty(), "{requests:?}");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_with_the_refresh_token() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);
    let first = token(credential.as_ref(), SCOPES).await;
    env.clear_requests().await;
    env.advance(PAST_EXPIRY).await;

    let refreshed = token(credential.as_ref(), SCOPES).await;

    assert_ne!(refreshed.token, first.token);
    assert!(refreshed.expires_on > first.expires_on);
    assert_eq!(grant_types(&env.token_requests().await), ["refresh_token"]);
    assert_eq!(env.password_requests().await, 0);
}

#[tokio::test]
async fn a_scope_set_not_signed_in_for_is_acquired_with_the_refresh_token() {
    let env = Env::start().await;
    env.idp
        .admin()
        .grant_consent(&ConsentChange {
            tenant: fixture::CONTOSO_TENANT_ID.to_owned(),
            client_id: fixture::CLI_CLIENT_ID.to_owned(),
            user: None,
            scopes: vec!["Mail.Read".to_owned()],
        })
        .await
        .expect("admin: grant consent");
    let credential = env.credential(fixture::ALICE);
    let user_read = token(credential.as_ref(), SCOPES).await;
    env.clear_requests().await;

    let mail_read = token(credential.as_ref(), &["Mail.Read"]).await;

    assert_ne!(mail_read.token, user_read.token);
    let requests = env.token_requests().await;
    assert_eq!(grant_types(&requests), ["refresh_token"]);
    let scope = requests[0].form_value("scope").unwrap_or_default();
    assert!(scope.split(' ').any(|s| s == "Mail.Read"), "{scope}");
    assert_eq!(env.password_requests().await, 0);
}

#[tokio::test]
async fn a_confidential_client_serves_the_credential_too() {
    let env = Env::start().await;
    let daemon = ConfidentialClientApplication::builder(fixture::DAEMON_CLIENT_ID)
        .authority(&env.idp.authority("organizations"))
        .extra_root_certificates_pem(env.idp.ca_pem())
        .clock(env.clock.clone())
        .client_secret(SecretString::from(fixture::DAEMON_SECRET))
        .build()
        .expect("the confidential client builds");
    let credential: Arc<dyn TokenCredential> = Arc::new(UsernamePasswordCredential::new(
        daemon,
        fixture::ALICE,
        password(),
    ));

    let first = token(credential.as_ref(), SCOPES).await;
    let second = token(credential.as_ref(), SCOPES).await;

    assert_eq!(second.token, first.token);
    assert_eq!(grant_types(&env.token_requests().await), ["password"]);
}

#[tokio::test]
async fn mfa_is_a_credential_error_and_the_password_is_not_sent_again() {
    let env = Env::start().await;
    let credential = env.credential(fixture::MFA_REQUIRED);

    let first = credential.get_token(SCOPES, None).await.unwrap_err();
    let second = credential.get_token(SCOPES, None).await.unwrap_err();

    for error in [&first, &second] {
        assert_eq!(error.kind(), &ErrorKind::Credential, "{error:?}");
        let auth = auth_error(error);
        assert!(matches!(auth, AuthError::MfaRequired { .. }), "{auth:?}");
        assert!(auth.claims().is_some(), "{auth:?}");
    }
    // One request carried the password; the second call sent nothing at all.
    assert_eq!(env.password_requests().await, 1);
    assert_eq!(grant_types(&env.token_requests().await), ["password"]);
    insta::with_settings!({ filters => vec![(UUID, "[uuid]")] }, {
        insta::assert_snapshot!("mfa_remembered", second.to_string());
    });
}

#[tokio::test]
async fn concurrent_first_calls_send_the_password_once() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);

    let calls: Vec<_> = (0..8)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move { credential.get_token(SCOPES, None).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.expect("the task ran").expect("a token"));
    }

    assert!(tokens.iter().all(|t| t.token == tokens[0].token));
    assert_eq!(env.password_requests().await, 1);
    assert_eq!(grant_types(&env.token_requests().await), ["password"]);
}

#[tokio::test]
async fn a_transient_failure_keeps_the_password_for_the_callers_next_call() {
    let env = Env::start().await;
    env.idp
        .admin()
        .add_fault(&Fault {
            endpoint: Endpoint::Token,
            count: 1,
            action: FaultAction::Status {
                status: 503,
                retry_after: None,
            },
        })
        .await
        .expect("admin: fault");
    let credential = env.credential(fixture::ALICE);

    let error = credential.get_token(SCOPES, None).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Credential);
    assert!(auth_error(&error).is_transient(), "{error:?}");
    // Sent once, not retried by entra-auth nor by the credential.
    assert_eq!(env.password_requests().await, 1);

    token(credential.as_ref(), SCOPES).await;
    assert_eq!(env.password_requests().await, 2);
}

#[tokio::test]
async fn a_sign_in_cancelled_on_its_way_is_not_sent_again() {
    let env = Env::start().await;
    // The token endpoint holds its answer long after the caller has given up.
    env.idp
        .admin()
        .add_fault(&Fault {
            endpoint: Endpoint::Token,
            count: 1,
            action: FaultAction::Delay { millis: 3_000 },
        })
        .await
        .expect("admin: fault");
    let credential = env.credential(fixture::ALICE);
    let cancelled = tokio::time::timeout(
        Duration::from_millis(200),
        credential.get_token(SCOPES, None),
    )
    .await;
    assert!(cancelled.is_err(), "the sign-in finished: {cancelled:?}");

    let error = credential.get_token(SCOPES, None).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Credential);
    let auth = auth_error(&error);
    assert!(
        matches!(auth, AuthError::InteractionRequired { .. }),
        "{auth:?}"
    );
    assert!(error.to_string().contains("cancelled"), "{error}");
}

#[tokio::test]
async fn a_dead_refresh_token_is_a_credential_error_without_the_password() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);
    token(credential.as_ref(), SCOPES).await;
    env.idp
        .admin()
        .revoke_refresh_tokens(fixture::ALICE)
        .await
        .expect("admin: revoke");
    env.advance(PAST_EXPIRY).await;
    env.clear_requests().await;

    let error = credential.get_token(SCOPES, None).await.unwrap_err();

    assert_eq!(error.kind(), &ErrorKind::Credential);
    let auth = auth_error(&error);
    assert!(
        matches!(auth, AuthError::InteractionRequired { .. }),
        "{auth:?}"
    );
    assert!(
        error.to_string().contains("create a new credential"),
        "{error}"
    );
    assert_eq!(grant_types(&env.token_requests().await), ["refresh_token"]);
    assert_eq!(env.password_requests().await, 0);
}

#[tokio::test]
async fn debug_shows_neither_the_password_nor_a_token_nor_the_username() {
    let env = Env::start().await;
    let credential = env.credential(fixture::ALICE);
    let before = format!("{credential:?}");

    let access_token = token(credential.as_ref(), SCOPES).await;
    let after = format!("{credential:?}");

    assert!(before.contains("not signed in yet"), "{before}");
    assert!(after.contains("\"signed in\""), "{after}");
    assert!(after.contains(fixture::CLI_CLIENT_ID), "{after}");
    for shown in [&before, &after] {
        assert!(!shown.contains(fixture::PASSWORD), "{shown}");
        assert!(!shown.contains(access_token.token.secret()), "{shown}");
        assert!(!shown.contains(fixture::ALICE), "{shown}");
    }
}
