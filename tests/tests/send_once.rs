//! A password reaches mock-idp at most once per attempt, whatever the answer: the
//! WS-Trust request to the mock ADFS (a wrong password is a 500 with a SOAP fault), the
//! managed password grant, and a loop of wrong-password attempts, which the
//! application answers from memory for a minute.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entra_auth::SecretString;
use entra_auth::{AuthError, PublicClientApplication};
use entra_http::{
    HttpClient, HttpError, Request, ReqwestClient, Response, Retry, RetryPolicy, redact_url,
};
use entra_tests::{Harness, fixture, password};
use mock_idp::USERNAME_MIXED_13_PATH;
use mock_idp::admin::{Endpoint, Fault, FaultAction, RecordedRequest};

fn app(harness: &Harness) -> PublicClientApplication {
    harness
        .public_client(fixture::CLI_CLIENT_ID)
        .build()
        .unwrap()
}

fn ws_trust_posts(requests: &[RecordedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == USERNAME_MIXED_13_PATH)
        .count()
}

fn password_grants(requests: &[RecordedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.form_value("grant_type") == Some("password"))
        .count()
}

/// Signs feduser in once (so the realm and the MEX document are remembered and the
/// next sign-in starts with the WS-Trust request), then empties the request log.
async fn feduser_known(harness: &Harness, app: &PublicClientApplication) {
    app.acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
        .await
        .expect("feduser signs in");
    harness.clear_requests().await;
}

#[tokio::test]
async fn a_wrong_password_reaches_the_federation_server_once() {
    let harness = Harness::start().await;
    let app = app(&harness);

    let error = app
        .acquire_token_by_username_password(
            &["User.Read"],
            fixture::FEDUSER,
            SecretString::from("wrong password"),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(error, AuthError::InvalidCredentials { .. }),
        "{error:?}"
    );
    assert_eq!(ws_trust_posts(&harness.requests().await), 1);
    assert!(harness.sleeper.waits().is_empty());
}

#[tokio::test]
async fn the_ws_trust_request_is_sent_once_when_the_federation_server_fails() {
    for status in [500, 503] {
        let harness = Harness::start().await;
        let app = app(&harness);
        feduser_known(&harness, &app).await;
        harness
            .idp
            .admin()
            .add_fault(&Fault {
                endpoint: Endpoint::Federation,
                count: 5,
                action: FaultAction::Status {
                    status,
                    retry_after: None,
                },
            })
            .await
            .unwrap();

        let error = app
            .acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
            .await
            .unwrap_err();

        assert!(
            !matches!(error, AuthError::Configuration { .. }),
            "{error:?}"
        );
        let requests = harness.requests().await;
        assert_eq!(ws_trust_posts(&requests), 1, "status {status}");
        assert_eq!(requests.len(), 1, "status {status}: nothing else was sent");
    }
}

/// Fails every POST to the WS-Trust endpoint as a refused connection (counting
/// them); everything else reaches mock-idp.
struct WsTrustCannotConnect {
    inner: ReqwestClient,
    attempts: AtomicUsize,
}

#[entra_auth::async_trait]
impl HttpClient for WsTrustCannotConnect {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        if request.uri().path() == USERNAME_MIXED_13_PATH {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            return Err(HttpError::Connect {
                url: redact_url(request.uri()),
                source: std::sync::Arc::new(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                )),
            });
        }
        self.inner.send(request).await
    }
}

#[tokio::test]
async fn the_ws_trust_request_is_not_resent_after_a_connect_failure() {
    let harness = Harness::start().await;
    let transport = Arc::new(Retry::with_sleeper(
        WsTrustCannotConnect {
            inner: ReqwestClient::builder()
                .add_root_certificates_pem(harness.idp.ca_pem().as_bytes())
                .build()
                .unwrap(),
            attempts: AtomicUsize::new(0),
        },
        RetryPolicy::default(),
        harness.sleeper.clone(),
    ));
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .http_client(transport.clone())
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
        .await
        .unwrap_err();

    assert!(matches!(error, AuthError::Network { .. }), "{error:?}");
    assert_eq!(transport.inner().attempts.load(Ordering::SeqCst), 1);
    assert!(harness.sleeper.waits().is_empty());
}

#[tokio::test]
async fn a_loop_of_wrong_password_attempts_sends_one_password_request() {
    let harness = Harness::start().await;
    let app = app(&harness);

    for _ in 0..10 {
        let error = app
            .acquire_token_by_username_password(
                &["User.Read"],
                fixture::ALICE,
                SecretString::from("wrong password"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, AuthError::InvalidCredentials { .. }),
            "{error:?}"
        );
    }

    assert_eq!(password_grants(&harness.requests().await), 1);
}
