//! Authority kinds against a wiremock server: validation and instance discovery before
//! any password is sent, endpoints from the OpenID configuration (fetched once, issuer
//! checked), the B2C flow and cache keys, a tenant per request, and a sign-in that only
//! checks credentials.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entra_auth::{AuthError, CacheError, CacheStore, MemoryStore, Merge, PublicClientApplication};
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const B2C_TENANT: &str = "contosob2c.onmicrosoft.com";
const B2C_TENANT_ID: &str = "ccccdddd-2222-eeee-3333-ffff4444aaaa";
const B2C_POLICY: &str = "B2C_1_ROPC_Auth";
const B2C_CLIENT_ID: &str = "33334444-dddd-5555-eeee-6666ffff7777";
const B2C_OID: &str = "b2c00000-0000-4000-8000-00000000b2c0";
const B2C_USER: &str = "b2c-user@contosob2c.onmicrosoft.com";
/// Where B2C's configuration says to post tokens: the policy lowercased, unlike the
/// authority's own path, so a request there proves the configuration was used.
const B2C_TOKEN_PATH: &str = "/contosob2c.onmicrosoft.com/b2c_1_ropc_auth/oauth2/v2.0/token";
const B2C_CONFIGURATION_PATH: &str =
    "/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth/v2.0/.well-known/openid-configuration";

/// A request carries the password when its body or URL holds it, raw or form-encoded.
fn carries_password(request: &wiremock::Request) -> bool {
    let encoded: String = form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect();
    let body = String::from_utf8_lossy(&request.body);
    let url = request.url.as_str();
    [PASSWORD, encoded.as_str()]
        .iter()
        .any(|needle| body.contains(needle) || url.contains(needle))
}

/// Instance discovery's answer for a host it does not know (AADSTS50049).
fn invalid_instance() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "error": "invalid_instance",
        "error_description": "AADSTS50049: Unknown or invalid instance.\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: c0ffee00-0000-4000-8000-000000000001\r\nTimestamp: 2024-05-01 12:00:00Z",
        "error_codes": [50049],
        "timestamp": ERROR_TIMESTAMP,
        "trace_id": TRACE_ID,
        "correlation_id": "c0ffee00-0000-4000-8000-000000000001",
        "error_uri": "https://login.microsoftonline.com/error?code=50049",
    }))
}

/// The B2C user flow's OpenID configuration, with `issuer`.
fn b2c_configuration(idp: &Idp, issuer: &str) -> ResponseTemplate {
    let base = format!("{}/{B2C_TENANT}/b2c_1_ropc_auth", idp.server.uri());
    ResponseTemplate::new(200).set_body_json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{}{B2C_TOKEN_PATH}", idp.server.uri()),
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token"],
    }))
}

/// A B2C token response, numbered as [`TokenBody`] numbers Entra's.
fn b2c_tokens(n: u32) -> Value {
    let now = start_time()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id_token = jwt(&json!({
        "aud": B2C_CLIENT_ID,
        "iss": format!("https://contosob2c.b2clogin.com/{B2C_TENANT_ID}/v2.0/"),
        "iat": now, "nbf": now, "exp": now + EXPIRES_IN,
        "sub": B2C_OID, "oid": B2C_OID,
        "name": "B2C User", "emails": [B2C_USER],
        "tfp": B2C_POLICY, "acr": "b2c_1_ropc_auth", "ver": "1.0",
    }));
    let client_info = json!({"uid": format!("{B2C_OID}-b2c_1_ropc_auth"), "utid": B2C_TENANT_ID});
    json!({
        "access_token": TokenBody::access_token(n),
        "id_token": id_token,
        "token_type": "Bearer",
        "not_before": now,
        "expires_in": EXPIRES_IN,
        "expires_on": now + EXPIRES_IN,
        "scope": B2C_CLIENT_ID,
        "refresh_token": TokenBody::refresh_token(n),
        "refresh_token_expires_in": 1_209_600,
        "client_info": b64url(client_info.to_string().as_bytes()),
    })
}

async fn mount_get(idp: &Idp, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(response)
        .mount(&idp.server)
        .await;
}

async fn mount_post(idp: &Idp, at: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(response)
        .mount(&idp.server)
        .await;
}

/// The B2C App at the test server's B2C authority, its host trusted.
fn b2c_app(idp: &Idp) -> PublicClientApplication {
    PublicClientApplication::builder(B2C_CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .b2c_authority(&format!("{}/{B2C_TENANT}/{B2C_POLICY}", idp.server.uri()))
        .known_authorities([TEST_SERVER_HOST])
        .http_client(http_client())
        .clock(idp.clock.clone())
        .build()
        .expect("the B2C app builds")
}

#[tokio::test]
async fn an_unknown_host_is_refused_by_instance_discovery_before_the_password_is_sent() {
    let idp = Idp::start().await;
    mount_get(&idp, "/common/discovery/instance", invalid_instance()).await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&idp.authority("organizations"))
        .http_client(http_client())
        .build()
        .expect("builds");

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("the host is unknown");

    let AuthError::UntrustedAuthority { host, server } = &error else {
        panic!("not UntrustedAuthority: {error:?}");
    };
    assert_eq!(host, &format!("127.0.0.1:{}", idp.server.address().port()));
    assert_eq!(server.error_codes, vec![50049]);
    let text = error.to_string();
    assert!(
        text.contains("known_authorities") && text.contains("validate_authority(false)"),
        "{text}"
    );
    let requests = idp.requests().await;
    assert_eq!(requests.len(), 1, "only instance discovery: {requests:?}");
    assert_eq!(requests[0].url.path(), "/common/discovery/instance");
    let asked = requests[0].url.query().unwrap_or_default();
    assert!(
        asked.contains("authorization_endpoint=http%3A%2F%2F127.0.0.1"),
        "{asked}"
    );
    assert!(!requests.iter().any(carries_password));
}

#[tokio::test]
async fn a_host_instance_discovery_knows_is_asked_about_once_then_signs_in() {
    let idp = Idp::start().await;
    let discovery = json!({
        "tenant_discovery_endpoint": format!("{}/organizations/v2.0/.well-known/openid-configuration", idp.server.uri()),
        "api-version": "1.1",
        "metadata": [],
    });
    mount_get(
        &idp,
        "/common/discovery/instance",
        ResponseTemplate::new(200).set_body_json(discovery),
    )
    .await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&idp.authority("organizations"))
        .http_client(http_client())
        .clock(idp.clock.clone())
        .build()
        .expect("builds");

    for _ in 0..2 {
        app.acquire_token_by_username_password(SCOPES, ALICE, password())
            .await
            .expect("alice signs in");
    }

    let discoveries = idp
        .requests()
        .await
        .into_iter()
        .filter(|r| r.url.path() == "/common/discovery/instance")
        .count();
    assert_eq!(discoveries, 1, "remembered for a day");
    assert_eq!(idp.token_posts("password").await.len(), 2);
}

#[tokio::test]
async fn validate_authority_false_trusts_the_host_without_asking() {
    let idp = Idp::start().await;
    mount_get(&idp, "/common/discovery/instance", invalid_instance()).await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&idp.authority("organizations"))
        .validate_authority(false)
        .http_client(http_client())
        .clock(idp.clock.clone())
        .build()
        .expect("builds");

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in");

    assert!(
        !idp.requests()
            .await
            .iter()
            .any(|r| r.url.path() == "/common/discovery/instance")
    );
}

#[tokio::test]
async fn a_b2c_user_signs_in_at_the_configured_token_endpoint_keyed_as_msal_keys_b2c() {
    let idp = Idp::start().await;
    let issuer = format!("{}/{B2C_TENANT_ID}/v2.0/", idp.server.uri());
    mount_get(
        &idp,
        B2C_CONFIGURATION_PATH,
        b2c_configuration(&idp, &issuer),
    )
    .await;
    mount_post(
        &idp,
        B2C_TOKEN_PATH,
        ResponseTemplate::new(200).set_body_json(b2c_tokens(1)),
    )
    .await;
    let app = b2c_app(&idp);

    let first = app
        .acquire_token_by_username_password(&[B2C_CLIENT_ID], B2C_USER, password())
        .await
        .expect("the B2C user signs in");
    let second = app
        .acquire_token_by_username_password(&[B2C_CLIENT_ID], B2C_USER, password())
        .await
        .expect("again");

    let account = first.account.expect("an account");
    assert_eq!(
        account.home_account_id,
        format!("{B2C_OID}-b2c_1_ropc_auth.{B2C_TENANT_ID}")
    );
    assert_eq!(account.environment, "127.0.0.1");
    assert_eq!(
        account.realm, B2C_TENANT,
        "the authority's tenant, as MSAL Python writes it"
    );
    assert_eq!(account.username, B2C_USER);
    assert!(second.account.is_some());
    let paths: Vec<String> = idp
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [B2C_CONFIGURATION_PATH, B2C_TOKEN_PATH, B2C_TOKEN_PATH],
        "the configuration once, no user realm, no instance discovery"
    );

    let silent = app
        .acquire_token_silent(&[B2C_CLIENT_ID], &account)
        .await
        .expect("served from the cache");
    assert_eq!(silent.token_source, entra_auth::TokenSource::Cache);
}

#[tokio::test]
async fn a_configuration_naming_another_issuer_is_refused_before_the_password_is_sent() {
    let idp = Idp::start().await;
    mount_get(
        &idp,
        B2C_CONFIGURATION_PATH,
        b2c_configuration(&idp, "https://evil.example.com/issuer"),
    )
    .await;
    mount_post(
        &idp,
        B2C_TOKEN_PATH,
        ResponseTemplate::new(200).set_body_json(b2c_tokens(1)),
    )
    .await;

    let error = b2c_app(&idp)
        .acquire_token_by_username_password(&[B2C_CLIENT_ID], B2C_USER, password())
        .await
        .expect_err("the issuer is not the authority's");

    assert!(
        matches!(
            &error,
            AuthError::AuthorityDiscovery {
                source: entra_auth::ProtocolError::IssuerMismatch { .. },
                ..
            }
        ),
        "{error:?}"
    );
    let requests = idp.requests().await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(!requests.iter().any(carries_password));
}

#[tokio::test]
async fn b2c_errors_map_to_the_variants_entra_errors_do() {
    let rows = [
        (
            "access_denied",
            "AADB2C90225: The username or password provided in the request are invalid.",
            "InvalidCredentials",
            "re-enter",
        ),
        (
            "unauthorized_client",
            "AADB2C90057: The provided application is not configured to allow the 'OAuth' Implicit flow.",
            "PublicClientFlowsNotAllowed",
            "resource owner password credentials user flow",
        ),
        (
            "access_denied",
            "AADB2C90114: Your account is temporarily locked to prevent unauthorized use. Try again later.",
            "AccountLocked",
            "wait and retry later",
        ),
    ];
    for (error, description, variant, next_step) in rows {
        let idp = Idp::start().await;
        let issuer = format!("{}/{B2C_TENANT_ID}/v2.0/", idp.server.uri());
        mount_get(
            &idp,
            B2C_CONFIGURATION_PATH,
            b2c_configuration(&idp, &issuer),
        )
        .await;
        let body = json!({
            "error": error,
            "error_description": format!("{description}\r\nCorrelation ID: c0ffee00-0000-4000-8000-000000000001\r\nTimestamp: 2024-05-01 12:00:00Z\r\n"),
        });
        mount_post(
            &idp,
            B2C_TOKEN_PATH,
            ResponseTemplate::new(400).set_body_json(body),
        )
        .await;

        let failure = b2c_app(&idp)
            .acquire_token_by_username_password(&[B2C_CLIENT_ID], B2C_USER, password())
            .await
            .expect_err(variant);

        let got = format!("{failure:?}");
        assert!(got.starts_with(variant), "{variant}: {got}");
        assert!(failure.to_string().contains("AADB2C"), "{failure}");
        assert!(
            failure.to_string().contains(next_step),
            "{variant}: the next step: {failure}"
        );
        assert_eq!(
            failure
                .server()
                .and_then(entra_auth::ServerError::aadb2c_code),
            Some(description[6..11].parse().expect("a code")),
        );
    }
}

#[tokio::test]
async fn a_tenant_per_request_signs_in_there_and_only_its_tokens_serve_it() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    mount_post(
        &idp,
        "/contoso.com/oauth2/v2.0/token",
        TokenBody::new(1).response(),
    )
    .await;
    let app = idp.public_app();

    let result = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .tenant("contoso.com")
        .await
        .expect("alice signs in to contoso.com");
    let account = result.account.expect("an account");
    assert_eq!(account.realm, "contoso.com");
    assert_eq!(
        idp.posts_to("/contoso.com/oauth2/v2.0/token").await.len(),
        1
    );

    let here = app
        .acquire_token_silent(SCOPES, &account)
        .tenant("contoso.com")
        .await
        .expect("the token of contoso.com");
    assert_eq!(here.token_source, entra_auth::TokenSource::Cache);
    let elsewhere = app
        .acquire_token_silent(SCOPES, &account)
        .tenant("fabrikam.com")
        .await
        .expect_err("no token of fabrikam.com, and no refresh endpoint answers there");
    assert!(
        !matches!(elsewhere, AuthError::InvalidArgument { .. }),
        "{elsewhere:?}"
    );
    assert!(
        idp.posts_to("/fabrikam.com/oauth2/v2.0/token").await.len() == 1,
        "the refresh went to the tenant asked for"
    );
}

#[tokio::test]
async fn a_tenant_per_request_is_refused_for_a_b2c_authority_without_a_request() {
    let idp = Idp::start().await;
    let app = b2c_app(&idp);

    let error = app
        .acquire_token_by_username_password(&[B2C_CLIENT_ID], B2C_USER, password())
        .tenant("fabrikam.com")
        .await
        .expect_err("a B2C authority names its tenant");

    assert!(
        matches!(
            error,
            AuthError::TenantNotApplicable {
                authority_kind: "B2C"
            }
        ),
        "{error:?}"
    );
    assert!(idp.requests().await.is_empty());
}

/// A store that counts saves.
#[derive(Clone, Default)]
struct CountingStore {
    inner: Arc<MemoryStore>,
    saves: Arc<AtomicUsize>,
}

impl CacheStore for CountingStore {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        self.inner.load()
    }
    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(merge)
    }
}

#[tokio::test]
async fn checking_credentials_only_returns_the_result_and_writes_nothing() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let store = CountingStore::default();
    let app = idp
        .public_builder(CLIENT_ID, "organizations")
        .cache_store(store.clone())
        .build()
        .expect("builds");

    let result = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .check_credentials_only()
        .await
        .expect("the credentials are good");

    let account = result.account.expect("the account signed in");
    assert_eq!(account.home_account_id, ALICE_HOME_ACCOUNT_ID);
    assert_eq!(account.username, ALICE);
    assert!(result.access_token.secret().starts_with("eyJ"));
    assert_eq!(
        store.saves.load(Ordering::SeqCst),
        0,
        "the store was not written"
    );
    assert_eq!(store.inner.bytes(), None);
    assert!(app.accounts().await.expect("accounts").is_empty());
    assert!(app.token_cache().is_empty(), "the cache is untouched");
}

#[tokio::test]
async fn an_oidc_issuer_is_trusted_as_declared_its_configuration_remembered_for_a_day() {
    let idp = Idp::start().await;
    let issuer = format!("{}/realms/staff", idp.server.uri());
    let configuration = ResponseTemplate::new(200).set_body_json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
    }));
    mount_get(
        &idp,
        "/realms/staff/.well-known/openid-configuration",
        configuration,
    )
    .await;
    mount_post(
        &idp,
        "/realms/staff/protocol/openid-connect/token",
        TokenBody::new(1).response(),
    )
    .await;
    let app = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .oidc_authority(&issuer)
        .http_client(http_client())
        .clock(idp.clock.clone())
        .build()
        .expect("builds");
    let sign_in = || app.acquire_token_by_username_password(SCOPES, ALICE, password());

    let result = sign_in().await.expect("signs in");
    sign_in().await.expect("again");
    idp.clock.advance(std::time::Duration::from_secs(24 * 3600));
    sign_in().await.expect("a day later");

    let account = result.account.expect("an account");
    assert_eq!(
        account.realm, "realms",
        "the token endpoint's first segment"
    );
    let paths: Vec<String> = idp
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    let configuration = "/realms/staff/.well-known/openid-configuration";
    let token = "/realms/staff/protocol/openid-connect/token";
    assert_eq!(
        paths,
        [configuration, token, token, configuration, token],
        "no instance discovery, no user realm; the configuration again after a day"
    );
}
