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
        result.scopes.to_vec(),
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
        .build()
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
        .build()
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

/// A federated user realm answer whose metadata and active endpoint are on `base`
/// (wiremock's own plain http address).
fn federated_realm_over_http(base: &str, with_mex: bool) -> serde_json::Value {
    let mut realm = serde_json::json!({
        "ver": "1.0",
        "account_type": "Federated",
        "domain_name": "fabrikam.com",
        "federation_protocol": "WSTrust",
        "federation_active_auth_url": format!("{base}/adfs/services/trust/13/usernamemixed"),
        "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    });
    if with_mex {
        realm["federation_metadata_url"] =
            serde_json::json!(format!("{base}/adfs/services/trust/mex"));
    }
    realm
}

/// Serves, on the same plain http server, everything a federated sign-in would use
/// next: MEX naming a WS-Trust endpoint there, that endpoint, and the token endpoint.
async fn mount_federation_over_http(idp: &Idp) {
    let base = idp.server.uri();
    let mex = format!(
        r##"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:wsa10="http://www.w3.org/2005/08/addressing"><wsp:Policy wsu:Id="p"><sp:TransportBinding/><sp:SignedEncryptedSupportingTokens><sp:WssUsernameToken10/></sp:SignedEncryptedSupportingTokens></wsp:Policy><wsdl:binding name="b"><wsp:PolicyReference URI="#p"/><soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/><soap12:operation soapAction="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"/></wsdl:binding><wsdl:service><wsdl:port binding="tns:b"><wsa10:EndpointReference><wsa10:Address>{base}/adfs/services/trust/13/usernamemixed</wsa10:Address></wsa10:EndpointReference></wsdl:port></wsdl:service></wsdl:definitions>"##
    );
    Mock::given(method("GET"))
        .and(path_regex("^/adfs/services/trust/mex$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mex, "application/soap+xml"))
        .mount(&idp.server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/adfs/services/trust/13/usernamemixed$"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&idp.server)
        .await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
}

/// Signs feduser in against `realm`, expecting the refusal of `refused_url`; checks
/// that the user realm GET was the only request and that no request carried a secret.
async fn assert_refused_before_reaching(idp: &Idp, realm: serde_json::Value, refused_url: &str) {
    Mock::given(method("GET"))
        .and(path_regex("^/common/userrealm/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(realm))
        .mount(&idp.server)
        .await;
    mount_federation_over_http(idp).await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, "feduser@fabrikam.com", password())
        .await
        .expect_err("a federation server over plain http is refused");

    assert!(
        matches!(
            &error,
            AuthError::Federation {
                source: entra_auth::ProtocolError::InsecureUrl { url, .. }
            } if url == refused_url
        ),
        "{error:?}"
    );
    let shown = report(&error);
    assert!(
        shown.contains("it is not https") && shown.contains("nothing was sent to it"),
        "{shown}"
    );
    assert!(!error.is_transient(), "retrying cannot help");
    let requests = idp.requests().await;
    assert_eq!(
        request_lines(&requests),
        ["GET /common/userrealm/feduser@fabrikam.com?api-version=1.0"],
        "nothing but the user realm GET was sent"
    );
    for request in &requests {
        assert_eq!(leaked_secret(&String::from_utf8_lossy(&request.body)), None);
        assert_eq!(leaked_secret(request.url.as_str()), None);
    }
}

#[tokio::test]
async fn a_federation_metadata_url_over_plain_http_is_never_fetched() {
    let idp = Idp::start().await;
    let base = idp.server.uri();
    let realm = federated_realm_over_http(&base, true);
    assert_refused_before_reaching(&idp, realm, &format!("{base}/adfs/services/trust/mex")).await;
}

#[tokio::test]
async fn an_active_auth_url_over_plain_http_never_receives_the_password() {
    let idp = Idp::start().await;
    let base = idp.server.uri();
    let realm = federated_realm_over_http(&base, false);
    assert_refused_before_reaching(
        &idp,
        realm,
        &format!("{base}/adfs/services/trust/13/usernamemixed"),
    )
    .await;
}
