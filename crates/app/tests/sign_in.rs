//! Username/password sign-in over HTTP: the exact requests sent, personal accounts and
//! the `consumers`/`common` tenants.

mod support;

use std::time::Duration;

use entra_auth::{AuthError, TokenSource};
use support::*;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn managed_sign_in_sends_a_user_realm_get_then_one_password_post() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .correlation_id(correlation_id(1))
        .await
        .expect("alice signs in");

    let requests = idp.requests().await;
    assert_eq!(
        request_lines(&requests),
        [
            "GET /common/userrealm/alice@contoso.com?api-version=1.0",
            "POST /organizations/oauth2/v2.0/token",
        ]
    );
    for request in &requests {
        assert_eq!(
            header(request, "client-request-id"),
            Some(correlation_id(1).to_string()),
            "{} {}",
            request.method,
            request.url.path()
        );
    }
}

#[tokio::test]
async fn the_password_post_carries_the_password_grant_form() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in");

    let posts = idp.posts_to(TOKEN_PATH).await;
    assert_eq!(posts.len(), 1);
    let form = form_map(&posts[0]);
    assert_eq!(form.get("grant_type").map(String::as_str), Some("password"));
    assert_eq!(form.get("username").map(String::as_str), Some(ALICE));
    assert_eq!(form.get("password").map(String::as_str), Some(PASSWORD));
    assert_eq!(form.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(form.get("client_info").map(String::as_str), Some("1"));
    let scopes: Vec<&str> = form
        .get("scope")
        .map(|s| s.split(' ').collect())
        .unwrap_or_default();
    for scope in ["User.Read", "openid", "profile", "offline_access"] {
        assert!(scopes.contains(&scope), "{scope} missing from {scopes:?}");
    }
    assert_eq!(scopes.len(), 4, "{scopes:?}");
    assert!(
        !form.contains_key("client_secret") && !form.contains_key("client_assertion"),
        "a public client sends no credential: {:?}",
        form.keys()
    );
    let content_type = header(&posts[0], "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/x-www-form-urlencoded"),
        "{content_type}"
    );
}

#[tokio::test]
async fn the_password_is_form_encoded_so_it_decodes_back_exactly() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in");

    let posts = idp.posts_to(TOKEN_PATH).await;
    let body = String::from_utf8(posts[0].body.clone()).expect("the form is UTF-8");
    // `&`, `=`, `+`, `$`, the space and `é` must all be escaped, or the form splits.
    let raw_password = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("password="))
        .expect("a password field");
    assert!(
        raw_password
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%+-._*".contains(&b)),
        "the password is not fully escaped: {raw_password}"
    );
    let passwords: Vec<String> = form(&posts[0])
        .into_iter()
        .filter_map(|(k, v)| (k == "password").then_some(v))
        .collect();
    assert_eq!(passwords, [PASSWORD]);
}

#[tokio::test]
async fn managed_sign_in_returns_the_tokens_the_account_and_the_id_token_claims() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    let result = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .correlation_id(correlation_id(2))
        .await
        .expect("alice signs in");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(1));
    assert_eq!(result.token_type, "Bearer");
    assert_eq!(
        result.expires_on,
        start_time() + Duration::from_secs(EXPIRES_IN)
    );
    assert_eq!(result.refresh_on, None);
    assert_eq!(
        result.scopes,
        ["User.Read", "openid", "profile", "offline_access"]
    );
    assert_eq!(result.correlation_id, correlation_id(2));
    let account = result.account.as_ref().expect("an account");
    assert_eq!(account.home_account_id, ALICE_HOME_ACCOUNT_ID);
    assert_eq!(account.username, ALICE);
    assert_eq!(account.local_account_id.as_deref(), Some(ALICE_OID));
    assert_eq!(account.environment, "127.0.0.1");
    let claims = result.id_token_claims.as_ref().expect("id token claims");
    assert_eq!(claims.aud, CLIENT_ID);
    assert_eq!(claims.oid.as_deref(), Some(ALICE_OID));
    assert_eq!(claims.tid.as_deref(), Some(CONTOSO_TENANT));
    assert_eq!(claims.preferred_username.as_deref(), Some(ALICE));
    assert!(claims.sub.is_some());
}

#[tokio::test]
async fn after_sign_in_the_cache_lists_the_account() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;

    let accounts = app.accounts().await.expect("accounts");

    assert_eq!(accounts, std::slice::from_ref(&account));
    assert_eq!(
        app.account(ALICE_HOME_ACCOUNT_ID).await.expect("lookup"),
        Some(account)
    );
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    let mut tokens = TokenBody::new(1);
    tokens.audience = DAEMON_CLIENT_ID.to_owned();
    idp.mount_password_grant(tokens.response()).await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("the id token is for another app");

    assert!(
        matches!(error, AuthError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert!(app.accounts().await.expect("accounts").is_empty());
}

#[tokio::test]
async fn a_personal_account_realm_fails_before_the_password_is_sent() {
    let idp = Idp::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/common/userrealm/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(personal_realm()))
        .mount(&idp.server)
        .await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, "someone@outlook.com", password())
        .await
        .expect_err("personal accounts cannot use this flow");

    assert!(
        matches!(
            &error,
            AuthError::PersonalAccountNotSupported { username: None }
        ),
        "{error:?}"
    );
    assert!(!error.is_transient(), "retrying cannot help");
    let requests = idp.requests().await;
    assert_eq!(
        request_lines(&requests),
        ["GET /common/userrealm/someone@outlook.com?api-version=1.0"]
    );
    for request in &requests {
        let body = String::from_utf8_lossy(&request.body);
        assert_eq!(
            leaked_secret(&body),
            None,
            "a request body carried a secret"
        );
        assert_eq!(leaked_secret(request.url.as_str()), None);
    }
}

#[tokio::test]
async fn the_consumers_authority_is_refused_without_any_request() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp
        .public_builder(CLIENT_ID, "consumers")
        .and_then(|builder| builder.build())
        .expect("the app builds; the tenant is checked when signing in");

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("consumers is refused");

    assert!(
        matches!(error, AuthError::ConsumersTenantNotSupported),
        "{error:?}"
    );
    assert!(idp.requests().await.is_empty());
}

#[tokio::test]
async fn the_common_authority_posts_the_password_to_organizations() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp
        .public_builder(CLIENT_ID, "common")
        .and_then(|builder| builder.build())
        .expect("the app builds");

    let result = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in through /organizations");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let requests = idp.requests().await;
    assert_eq!(
        request_lines(&requests),
        [
            "GET /common/userrealm/alice@contoso.com?api-version=1.0",
            "POST /organizations/oauth2/v2.0/token",
        ]
    );
}

#[tokio::test]
async fn an_empty_password_is_refused_without_any_request() {
    let idp = Idp::start().await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, "".to_owned().into())
        .await
        .expect_err("an empty password is refused");

    assert!(
        matches!(error, AuthError::InvalidArgument { .. }),
        "{error:?}"
    );
    assert!(idp.requests().await.is_empty());
}

#[tokio::test]
async fn a_missing_user_realm_endpoint_falls_back_to_the_password_grant() {
    let idp = Idp::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/common/userrealm/"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&idp.server)
        .await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp.public_app();

    let result = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("a 404 realm means managed, as in MSAL");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(idp.token_posts("password").await.len(), 1);
}
