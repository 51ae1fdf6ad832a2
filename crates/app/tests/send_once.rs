//! A request carrying the password reaches the server at most once, whatever the
//! answer or the transport failure; requests carrying none (the user realm GET, the
//! refresh token grant) are still retried.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entra_auth::{AuthError, PublicClientApplication};
use entra_http::{HttpClient, HttpError, Request, ReqwestClient, Response, Retry, RetryPolicy};
use support::*;
use wiremock::ResponseTemplate;

/// The default transport's retry layer over a connection that fails to connect for
/// every POST (counting them), and reaches the mock server for everything else.
struct PostsCannotConnect {
    inner: ReqwestClient,
    posts: AtomicUsize,
}

#[async_trait::async_trait]
impl HttpClient for PostsCannotConnect {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        if request.method() == http::Method::POST {
            self.posts.fetch_add(1, Ordering::SeqCst);
            return Err(HttpError::Connect {
                url: entra_http::redact_url(request.uri()),
                source: std::sync::Arc::new(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                )),
            });
        }
        self.inner.send(request).await
    }
}

async fn assert_sent_once_on(answer: ResponseTemplate) {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(answer).await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("the server failed");

    assert!(error.is_transient(), "{error:?}");
    assert_eq!(idp.token_posts("password").await.len(), 1, "{error:?}");
}

#[tokio::test]
async fn the_password_grant_is_sent_once_on_a_500() {
    assert_sent_once_on(ResponseTemplate::new(500)).await;
}

#[tokio::test]
async fn the_password_grant_is_sent_once_on_a_503_with_a_short_retry_after() {
    assert_sent_once_on(ResponseTemplate::new(503).insert_header("Retry-After", "1")).await;
}

#[tokio::test]
async fn the_password_grant_is_sent_once_on_a_502_and_a_504() {
    assert_sent_once_on(ResponseTemplate::new(502)).await;
    assert_sent_once_on(ResponseTemplate::new(504)).await;
}

#[tokio::test]
async fn the_password_grant_is_not_resent_after_a_connect_failure() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    let transport = Arc::new(Retry::with_sleeper(
        PostsCannotConnect {
            inner: ReqwestClient::builder().build().expect("reqwest builds"),
            posts: AtomicUsize::new(0),
        },
        RetryPolicy::default(),
        Arc::new(NoSleep),
    ));
    let app = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&idp.authority("organizations"))
        .known_authorities([support::TEST_SERVER_HOST])
        .http_client(transport.clone())
        .clock(idp.clock.clone())
        .build()
        .expect("the app builds");

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("no connection");

    assert!(matches!(error, AuthError::Network { .. }), "{error:?}");
    assert_eq!(transport.inner().posts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_user_realm_get_is_still_retried() {
    let idp = Idp::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;

    idp.public_app()
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("tokens after the realm GET was retried");

    let gets = idp
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(gets, 2);
    assert_eq!(idp.token_posts("password").await.len(), 1);
}

#[tokio::test]
async fn a_refresh_is_still_retried_on_a_500() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.clock.advance(std::time::Duration::from_secs(2 * 3600));
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=refresh_token",
        ))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    let result = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("tokens after one retry");

    assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
    assert_eq!(idp.token_posts("refresh_token").await.len(), 2);
}
