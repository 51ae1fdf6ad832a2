//! Shared fixtures for the wiremock tests of entra-auth: a mock Entra server on
//! loopback, a manual clock, realistic token and error bodies, and readers for what the
//! client sent.
//!
//! Values follow mock-idp's default fixture (Contoso, the CLI and Daemon apps, alice,
//! the password with reserved characters).
#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entra_auth::SecretString;
use entra_auth::Uuid;
use entra_auth::{
    Account, ConfidentialClientApplication, ConfidentialClientApplicationBuilder, ManualClock,
    PublicClientApplication, PublicClientApplicationBuilder,
};
use entra_http::{ReqwestClient, Retry, RetryPolicy, Sleeper};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Contoso CLI: public client flows allowed.
pub const CLIENT_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
/// Contoso Daemon: confidential, with a secret.
pub const DAEMON_CLIENT_ID: &str = "11112222-bbbb-3333-cccc-4444dddd5555";
/// The Daemon's secret.
pub const DAEMON_SECRET: &str = "contoso-daemon-secret";
/// Contoso's tenant id (`utid`, `tid`).
pub const CONTOSO_TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
/// The personal Microsoft accounts tenant.
pub const MSA_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
/// alice's object id (`oid`, `uid`).
pub const ALICE_OID: &str = "a11ce000-0000-4000-8000-00000000a11c";
/// The managed user who gets tokens.
pub const ALICE: &str = "alice@contoso.com";
/// alice's home account id: `{uid}.{utid}`.
pub const ALICE_HOME_ACCOUNT_ID: &str =
    "a11ce000-0000-4000-8000-00000000a11c.aaaabbbb-0000-cccc-1111-dddd2222eeee";
/// Every default user's password: spaces and form-reserved characters on purpose.
pub const PASSWORD: &str = "Pa$$ w0rd&=+é";
/// The scopes every test asks for.
pub const SCOPES: &[&str] = &["User.Read"];
/// What the server grants for [`SCOPES`].
pub const GRANTED_SCOPE: &str = "User.Read openid profile offline_access";
/// The access token lifetime the server gives.
pub const EXPIRES_IN: u64 = 3599;
/// The token endpoint path for the `organizations` authority.
pub const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
/// The fixed trace id of error bodies.
pub const TRACE_ID: &str = "0000aaaa-11bb-cccc-dd22-eeeeee333333";
/// The fixed timestamp of error bodies.
pub const ERROR_TIMESTAMP: &str = "2024-05-01 12:00:00Z";

/// The wiremock server's host: trusted as an authority (`known_authorities`), so the
/// tests here need not answer instance discovery (tests/authority_kinds.rs does).
pub const TEST_SERVER_HOST: &str = "127.0.0.1";
/// The time every test starts at (2023-11-14T22:13:20Z).
/// An error as a report prints it: its Display, then each cause on a line of its own.
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        text.push_str("\ncaused by: ");
        text.push_str(&current.to_string());
        cause = current.source();
    }
    text
}

pub fn start_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A fixed correlation id, distinct per `n`.
pub fn correlation_id(n: u128) -> Uuid {
    Uuid::from_u128(0xc0ffee00_0000_4000_8000_000000000000 | n)
}

/// The fixture password as a secret.
pub fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

/// A [`Sleeper`] that returns at once, so the retry layer's 1 s waits take no time.
#[derive(Debug, Default)]
pub struct NoSleep;

#[async_trait::async_trait]
impl Sleeper for NoSleep {
    async fn sleep(&self, _duration: Duration) {}

    fn now(&self) -> SystemTime {
        start_time()
    }
}

/// The default transport (reqwest with one retry on 5xx) whose waits take no time.
pub fn http_client() -> Arc<Retry<ReqwestClient>> {
    let transport = ReqwestClient::builder()
        .build()
        .expect("the reqwest client builds");
    Arc::new(Retry::with_sleeper(
        transport,
        RetryPolicy::default(),
        Arc::new(NoSleep),
    ))
}

/// A mock Entra server and the clock the applications under test read.
pub struct Idp {
    /// The wiremock server, on `http://127.0.0.1:PORT`.
    pub server: MockServer,
    /// The clock of every application built by this fixture.
    pub clock: Arc<ManualClock>,
}

impl Idp {
    /// Starts an empty server.
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
            clock: Arc::new(ManualClock::new(start_time())),
        }
    }

    /// `http://127.0.0.1:PORT/{tenant}`.
    pub fn authority(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.server.uri())
    }

    /// A public client builder for `client_id` at `/{tenant}`, with the no-wait
    /// transport and the manual clock.
    pub fn public_builder(&self, client_id: &str, tenant: &str) -> PublicClientApplicationBuilder {
        PublicClientApplication::builder(client_id)
            .allow_insecure_loopback_authority(true)
            .authority(&self.authority(tenant))
            .known_authorities([TEST_SERVER_HOST])
            .http_client(http_client())
            .clock(self.clock.clone())
    }

    /// The Contoso CLI at `/organizations`.
    pub fn public_app(&self) -> PublicClientApplication {
        self.public_builder(CLIENT_ID, "organizations")
            .build()
            .expect("the public client builds")
    }

    /// A confidential client builder for the Daemon at `/organizations`, no credential
    /// yet.
    pub fn confidential_builder(&self) -> ConfidentialClientApplicationBuilder {
        ConfidentialClientApplication::builder(DAEMON_CLIENT_ID)
            .allow_insecure_loopback_authority(true)
            .authority(&self.authority("organizations"))
            .known_authorities([TEST_SERVER_HOST])
            .http_client(http_client())
            .clock(self.clock.clone())
    }

    /// Every request the server received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The POSTs to `path`, in order.
    pub async fn posts_to(&self, to: &str) -> Vec<Request> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == to)
            .collect()
    }

    /// The token POSTs to `/organizations` with `grant_type`.
    pub async fn token_posts(&self, grant_type: &str) -> Vec<Request> {
        self.posts_to(TOKEN_PATH)
            .await
            .into_iter()
            .filter(|r| form_value(r, "grant_type").as_deref() == Some(grant_type))
            .collect()
    }

    /// Answers every user realm GET as a managed Contoso user.
    pub async fn mount_managed_realm(&self) {
        Mock::given(method("GET"))
            .and(path_regex("^/common/userrealm/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(managed_realm()))
            .mount(&self.server)
            .await;
    }

    /// Answers `grant_type=password` at `/organizations` with `response`.
    pub async fn mount_password_grant(&self, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(body_string_contains("grant_type=password"))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Answers `grant_type=refresh_token` at `/organizations` with `response`.
    pub async fn mount_refresh_grant(&self, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Mounts a managed realm and a successful password grant (tokens `1`), signs alice
    /// in with the CLI app, and returns the app and alice's account.
    pub async fn signed_in_alice(&self) -> (PublicClientApplication, Account) {
        self.signed_in_alice_with(TokenBody::new(1)).await
    }

    /// Like [`Idp::signed_in_alice`], with a chosen token response.
    pub async fn signed_in_alice_with(
        &self,
        tokens: TokenBody,
    ) -> (PublicClientApplication, Account) {
        self.mount_managed_realm().await;
        self.mount_password_grant(tokens.response()).await;
        let app = self.public_app();
        let result = app
            .acquire_token_by_username_password(SCOPES, ALICE, password())
            .await
            .expect("alice signs in");
        let account = result.account.expect("the result names alice's account");
        (app, account)
    }
}

/// The user realm answer for a managed Contoso user.
pub fn managed_realm() -> Value {
    json!({
        "ver": "1.0",
        "account_type": "Managed",
        "domain_name": "contoso.com",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    })
}

/// The user realm answer Entra gives for a personal Microsoft account.
pub fn personal_realm() -> Value {
    json!({
        "ver": "1.0",
        "account_type": "Federated",
        "domain_name": "live.com",
        "federation_protocol": "WSTrust",
        "federation_metadata_url": "https://nexus.passport.com/FederationMetadata/2007-06/FederationMetadata.xml",
        "federation_active_auth_url": "https://login.live.com/rst2.srf",
        "federation_brand_name": "MSA Realms",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    })
}

/// Unpadded base64url of `bytes`.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned but well-formed JWT (header.claims.signature) carrying `claims`.
pub fn jwt(claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "wiremock-key"});
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(b"not-a-real-signature"),
    )
}

/// alice's id token claims as Entra v2 issues them, at `now` (Unix seconds).
pub fn alice_id_token_claims(now: u64) -> Value {
    json!({
        "aud": CLIENT_ID,
        "iss": format!("https://login.microsoftonline.com/{CONTOSO_TENANT}/v2.0"),
        "iat": now,
        "nbf": now,
        "exp": now + EXPIRES_IN,
        "name": "Alice Smith",
        "oid": ALICE_OID,
        "preferred_username": ALICE,
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "tid": CONTOSO_TENANT,
        "ver": "2.0",
    })
}

/// A successful token response, numbered so each response's tokens differ.
#[derive(Clone, Debug)]
pub struct TokenBody {
    /// Which response this is (1 for the sign-in, 2 for the first refresh...).
    pub n: u32,
    /// `refresh_in`, when the server asks for an early refresh.
    pub refresh_in: Option<u64>,
    /// Whether a refresh token is included.
    pub with_refresh_token: bool,
    /// The id token's `aud` (the client id).
    pub audience: String,
}

impl TokenBody {
    /// Response `n` for alice and the CLI app.
    pub fn new(n: u32) -> Self {
        Self {
            n,
            refresh_in: None,
            with_refresh_token: true,
            audience: CLIENT_ID.to_owned(),
        }
    }

    /// The access token of response `n`.
    pub fn access_token(n: u32) -> String {
        format!("eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFU.access-token-{n}.c2lnbmF0dXJl")
    }

    /// The refresh token of response `n`.
    pub fn refresh_token(n: u32) -> String {
        format!("0.AXkA-refresh-token-{n}-Pa5sW0rdL1ke+/=")
    }

    /// The JSON body.
    pub fn json(&self) -> Value {
        let now = start_time()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = alice_id_token_claims(now);
        claims["aud"] = json!(self.audience);
        let client_info = json!({"uid": ALICE_OID, "utid": CONTOSO_TENANT});
        let mut body = json!({
            "token_type": "Bearer",
            "scope": GRANTED_SCOPE,
            "expires_in": EXPIRES_IN,
            "ext_expires_in": EXPIRES_IN,
            "access_token": Self::access_token(self.n),
            "id_token": jwt(&claims),
            "client_info": b64url(client_info.to_string().as_bytes()),
        });
        if self.with_refresh_token {
            body["refresh_token"] = json!(Self::refresh_token(self.n));
        }
        if let Some(refresh_in) = self.refresh_in {
            body["refresh_in"] = json!(refresh_in);
        }
        body
    }

    /// A 200 response with the JSON body.
    pub fn response(&self) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(self.json())
    }
}

/// An Entra error body: `error`, an `error_description` starting `AADSTS{code}: ` with
/// trace, correlation and timestamp lines, `error_codes`, the fixed ids, and `suberror`
/// and `claims` when given.
pub fn entra_error(
    error: &str,
    code: u32,
    message: &str,
    suberror: Option<&str>,
    claims: Option<&str>,
    correlation_id: Uuid,
) -> Value {
    let mut body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {message}\r\nTrace ID: {TRACE_ID}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {ERROR_TIMESTAMP}"
        ),
        "error_codes": [code],
        "timestamp": ERROR_TIMESTAMP,
        "trace_id": TRACE_ID,
        "correlation_id": correlation_id.to_string(),
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    if let Some(suberror) = suberror {
        body["suberror"] = json!(suberror);
    }
    if let Some(claims) = claims {
        body["claims"] = json!(claims);
    }
    body
}

/// The form fields of a request body, decoded, in order.
pub fn form(request: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The form fields of a request body as a map (last value wins).
pub fn form_map(request: &Request) -> BTreeMap<String, String> {
    form(request).into_iter().collect()
}

/// One decoded form field.
pub fn form_value(request: &Request, key: &str) -> Option<String> {
    form(request)
        .into_iter()
        .find_map(|(k, v)| (k == key).then_some(v))
}

/// A header as a string.
pub fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `METHOD path?query` of each request, for asserting the exact sequence.
pub fn request_lines(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| match r.url.query() {
            Some(query) => format!("{} {}?{query}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}

/// Whether `text` contains any of the fixture's secrets: the password (raw or
/// form-encoded), any access or refresh token the fixtures issue, or the Daemon's secret.
pub fn leaked_secret(text: &str) -> Option<String> {
    let encoded_password: String =
        form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect::<String>();
    let mut secrets = vec![
        PASSWORD.to_owned(),
        encoded_password,
        DAEMON_SECRET.to_owned(),
    ];
    for n in 0..10 {
        secrets.push(format!("access-token-{n}"));
        secrets.push(format!("refresh-token-{n}"));
    }
    secrets.into_iter().find(|secret| text.contains(secret))
}

/// A loopback port that refuses connections: the socket is bound but never listens, and
/// holds the port (no other test can take it) until it is dropped.
pub fn refused_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    socket.bind(&loopback.into()).expect("a loopback port");
    let address = socket.local_addr().expect("the bound address");
    let port = address.as_socket().expect("an IP address").port();
    (socket, port)
}
