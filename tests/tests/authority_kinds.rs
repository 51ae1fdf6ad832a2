//! Every authority kind end to end against mock-idp: sign in, silent from the cache,
//! refresh after expiry, for a B2C user (at the real `{name}.b2clogin.com` host), an
//! External ID user (at `{name}.ciamlogin.com`, path-less) and an ADFS-authority user;
//! an unknown host refused by instance discovery before any password is sent; and a B2C
//! cache written by MSAL Python served silently.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_auth::{
    AuthError, AuthorityKind, FileStore, ManualClock, PublicClientApplication, TokenSource,
};
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};
use mock_idp::Config;

/// Signs `username` in, then a silent call is served from the cache with no request,
/// then after expiry exactly one refresh request is sent; returns the account.
async fn sign_in_silent_refresh(
    harness: &Harness,
    app: &PublicClientApplication,
    scopes: &[&str],
    username: &str,
) -> entra_auth::Account {
    let signed_in = app
        .acquire_token_by_username_password(scopes, username, password())
        .await
        .unwrap_or_else(|error| panic!("{username} signs in: {error:#?}"));
    assert_eq!(signed_in.token_source, TokenSource::IdentityProvider);
    let account = signed_in.account.expect("an account");
    harness.clear_requests().await;

    let cached = app.acquire_token_silent(scopes, &account).await.unwrap();
    assert_eq!(cached.token_source, TokenSource::Cache);
    assert_eq!(harness.request_count().await, 0, "served from the cache");

    harness.advance(PAST_EXPIRY).await;
    let refreshed = app.acquire_token_silent(scopes, &account).await.unwrap();
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);
    assert_ne!(
        refreshed.access_token.secret(),
        cached.access_token.secret()
    );
    let requests = harness.requests().await;
    assert_eq!(requests.len(), 1, "one refresh: {requests:#?}");
    assert!(
        requests[0]
            .form
            .contains(&("grant_type".to_owned(), "refresh_token".to_owned())),
        "{requests:#?}"
    );
    assert_eq!(app.accounts().await.unwrap().len(), 1);
    account
}

/// mock-idp also answering as `host` (in its certificate), and an application of
/// `client_id` at `https://{host}:{port}{path}` whose HTTP client resolves `host` to it.
async fn app_at_host(
    host: &str,
    path: &str,
    client_id: &str,
) -> (Harness, PublicClientApplication) {
    let harness = Harness::start_with(Config::default().seed(1).hostname(host)).await;
    let authority = format!("https://{host}:{}{path}", harness.idp.port());
    let app = PublicClientApplication::builder(client_id)
        .authority(&authority)
        .http_client(harness.http_client_resolving(&[host]))
        .clock(harness.clock.clone())
        .build()
        .unwrap();
    (harness, app)
}

/// b2c-user's `home_account_id` as MSAL keys it: `{oid}-{policy}.{tenant id}`.
fn b2c_user_home_account_id() -> String {
    format!(
        "{}-{}.{}",
        fixture::B2C_USER_OID,
        fixture::B2C_ROPC_POLICY.to_lowercase(),
        fixture::CONTOSO_B2C_TENANT_ID
    )
}

#[tokio::test]
async fn a_b2c_user_signs_in_gets_tokens_silently_and_refreshes() {
    let (harness, app) = app_at_host(
        fixture::CONTOSO_B2C_HOST,
        &format!(
            "/{}/{}",
            fixture::CONTOSO_B2C_DOMAIN,
            fixture::B2C_ROPC_POLICY
        ),
        fixture::B2C_CLIENT_ID,
    )
    .await;
    assert!(matches!(app.authority().kind(), AuthorityKind::B2c { .. }));

    let account =
        sign_in_silent_refresh(&harness, &app, &[fixture::B2C_CLIENT_ID], fixture::B2C_USER).await;

    assert_eq!(account.home_account_id, b2c_user_home_account_id());
    assert_eq!(account.environment, fixture::CONTOSO_B2C_HOST);
    assert_eq!(account.realm, fixture::CONTOSO_B2C_DOMAIN);
}

#[tokio::test]
async fn a_b2c_sign_in_asks_neither_user_realm_nor_instance_discovery() {
    let (harness, app) = app_at_host(
        fixture::CONTOSO_B2C_HOST,
        &format!(
            "/tfp/{}/{}",
            fixture::CONTOSO_B2C_DOMAIN,
            fixture::B2C_ROPC_POLICY
        ),
        fixture::B2C_CLIENT_ID,
    )
    .await;

    let error = app
        .acquire_token_by_username_password(&[fixture::B2C_CLIENT_ID], fixture::B2C_USER, {
            secrecy::SecretString::from("not the password")
        })
        .await
        .expect_err("a wrong password");

    assert!(
        matches!(error, AuthError::InvalidCredentials { .. }),
        "{error:#?}"
    );
    assert_eq!(
        error
            .server()
            .and_then(entra_auth::ServerError::aadb2c_code),
        Some(90225)
    );
    let paths: Vec<String> = harness
        .requests()
        .await
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(
        paths[0].ends_with("/v2.0/.well-known/openid-configuration"),
        "{paths:?}"
    );
    assert!(paths[1].ends_with("/oauth2/v2.0/token"), "{paths:?}");
}

#[tokio::test]
async fn an_external_id_user_signs_in_gets_tokens_silently_and_refreshes() {
    let (harness, app) = app_at_host(fixture::CONTOSO_CIAM_HOST, "", fixture::CIAM_CLIENT_ID).await;
    assert!(matches!(app.authority().kind(), AuthorityKind::Ciam { .. }));

    let account = sign_in_silent_refresh(&harness, &app, &["User.Read"], fixture::CIAM_USER).await;

    assert_eq!(
        account.home_account_id,
        format!(
            "{}.{}",
            fixture::CIAM_USER_OID,
            fixture::CONTOSO_CIAM_TENANT_ID
        )
    );
    assert_eq!(account.environment, fixture::CONTOSO_CIAM_HOST);
    assert_eq!(account.realm, fixture::CONTOSO_CIAM_DOMAIN);
}

#[tokio::test]
async fn an_adfs_authority_user_signs_in_gets_tokens_silently_and_refreshes() {
    let harness = Harness::start().await;
    let app = harness
        .public_client_at(fixture::CLI_CLIENT_ID, "adfs")
        .build()
        .unwrap();
    assert_eq!(app.authority().kind(), &AuthorityKind::Adfs);

    let account = sign_in_silent_refresh(&harness, &app, &["User.Read"], fixture::FEDUSER).await;

    assert_eq!(account.environment, "localhost");
    assert_eq!(account.realm, "adfs");
    assert!(!account.home_account_id.is_empty());
}

#[tokio::test]
async fn an_unknown_host_without_known_authorities_is_refused_before_any_password_is_sent() {
    // Instance discovery at the public cloud, which is mock-idp here.
    let harness = Harness::start_with(
        Config::default()
            .seed(1)
            .hostname("login.microsoftonline.com"),
    )
    .await;
    let authority = format!("https://fs.contoso.com:{}/adfs", harness.idp.port());
    let http = harness.http_client_resolving(&["login.microsoftonline.com", "fs.contoso.com"]);
    let app = PublicClientApplication::builder(fixture::CLI_CLIENT_ID)
        .authority(&authority)
        .http_client(http.clone())
        .clock(harness.clock.clone())
        .build()
        .unwrap();

    let error = app
        .acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
        .await
        .expect_err("fs.contoso.com is not known");

    let AuthError::UntrustedAuthority { host, .. } = &error else {
        panic!("not UntrustedAuthority: {error:#?}");
    };
    assert_eq!(host, &format!("fs.contoso.com:{}", harness.idp.port()));
    assert!(error.to_string().contains("known_authorities"), "{error}");
    let requests = harness.requests().await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].path, "/common/discovery/instance");
    assert!(requests.iter().all(|r| !r.carried_password));

    // Listed in known_authorities, the same host is used without asking.
    harness.clear_requests().await;
    let trusted = PublicClientApplication::builder(fixture::CLI_CLIENT_ID)
        .authority(&authority)
        .known_authorities(["fs.contoso.com"])
        .http_client(http)
        .clock(harness.clock.clone())
        .build()
        .unwrap();
    let reached = trusted
        .acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
        .await
        .expect_err("fs.contoso.com is not in mock-idp's certificate");
    assert!(
        matches!(reached, AuthError::Network { .. }),
        "it went to the host itself: {reached:#?}"
    );
    assert!(
        harness.requests().await.is_empty(),
        "no instance discovery for a known authority"
    );
}

/// The B2C cache MSAL Python 1.39 wrote after signing b2c-user in (tests/data/README.md).
const MSAL_PYTHON_B2C_CACHE: &str = include_str!("../data/msal_python_b2c_cache.json");

#[tokio::test]
async fn a_b2c_cache_written_by_msal_python_is_served_silently() {
    let harness = Harness::start_with(
        Config::default()
            .seed(1)
            .hostname(fixture::CONTOSO_B2C_HOST),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_python_cache.json");
    std::fs::write(&path, MSAL_PYTHON_B2C_CACHE).unwrap();
    let cache: serde_json::Value = serde_json::from_str(MSAL_PYTHON_B2C_CACHE).unwrap();
    let (_, written) = cache["AccessToken"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let cached_at: u64 = written["cached_at"].as_str().unwrap().parse().unwrap();
    // Ten minutes after MSAL Python signed in: the access token is still valid.
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(cached_at + 600),
    ));
    let authority = format!(
        "https://{}:{}/{}/{}",
        fixture::CONTOSO_B2C_HOST,
        harness.idp.port(),
        fixture::CONTOSO_B2C_DOMAIN,
        fixture::B2C_ROPC_POLICY
    );
    let app = PublicClientApplication::builder(fixture::B2C_CLIENT_ID)
        .authority(&authority)
        .http_client(harness.http_client_resolving(&[fixture::CONTOSO_B2C_HOST]))
        .cache_store(FileStore::new(&path))
        .clock(clock)
        .build()
        .unwrap();

    let accounts = app.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:#?}");
    let account = &accounts[0];
    assert_eq!(account.username, fixture::B2C_USER);
    assert_eq!(account.home_account_id, b2c_user_home_account_id());
    let result = app
        .acquire_token_silent(&[fixture::B2C_CLIENT_ID], account)
        .await
        .unwrap();

    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(
        result.access_token.secret(),
        written["secret"].as_str().unwrap()
    );
    assert_eq!(harness.request_count().await, 0, "served from MSAL's cache");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        MSAL_PYTHON_B2C_CACHE,
        "a cache hit leaves MSAL Python's file as it was"
    );
}
