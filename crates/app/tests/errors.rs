//! Every error answer of mock-idp's default fixture, as Entra shapes it, mapped to the
//! `AuthError` variant that says what to do; Display texts pinned by snapshots (trace
//! and correlation ids redacted). Also throttling, server failures and the network.

mod support;

use std::time::Duration;

use entra_auth::AuthError;
use entra_auth::SecretString;
use entra_auth::Uuid;
use support::*;
use wiremock::ResponseTemplate;

/// Contoso Web: public client flows NOT allowed.
const WEB_CLIENT_ID: &str = "22223333-cccc-4444-dddd-5555eeee6666";
/// A client id no tenant knows.
const UNKNOWN_CLIENT_ID: &str = "99998888-ffff-7777-eeee-6666dddd5555";
const MFA_CLAIMS: &str = r#"{"access_token":{"capolids":{"essential":true,"values":["5ce1f7c2-0000-4000-8000-00000000ca01"]}}}"#;
const ENROLLMENT_CLAIMS: &str = r#"{"access_token":{"polids":{"essential":true,"values":["5ce1f7c2-0000-4000-8000-00000000ca02"]}}}"#;

/// Which application makes the call.
#[derive(Clone, Copy)]
enum Client {
    /// A public client with this client id.
    Public(&'static str),
    /// The Daemon with this secret.
    Daemon(&'static str),
}

/// One error answer of the token endpoint, the variant it maps to, and the name of its
/// Display snapshot (which also names the row in a failure).
struct Row {
    name: &'static str,
    username: &'static str,
    client: Client,
    scopes: &'static [&'static str],
    status: u16,
    error: &'static str,
    code: u32,
    message: &'static str,
    suberror: Option<&'static str>,
    claims: Option<&'static str>,
    /// Whether the error is the variant this row maps to.
    is: fn(&AuthError) -> bool,
    /// `is_interaction_required()`, where the row pins it.
    interaction_required: Option<bool>,
}

impl Row {
    fn new(name: &'static str, username: &'static str, answer: (u16, &'static str, u32)) -> Self {
        let (status, error, code) = answer;
        Self {
            name,
            username,
            client: Client::Public(CLIENT_ID),
            scopes: SCOPES,
            status,
            error,
            code,
            message: "",
            suberror: None,
            claims: None,
            is: |_| false,
            interaction_required: None,
        }
    }

    fn message(mut self, message: &'static str) -> Self {
        self.message = message;
        self
    }

    fn suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    fn claims(mut self, claims: &'static str) -> Self {
        self.claims = Some(claims);
        self
    }

    fn client(mut self, client: Client) -> Self {
        self.client = client;
        self
    }

    fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = scopes;
        self
    }

    /// The variant the answer maps to, and `is_interaction_required()` where pinned.
    fn is(mut self, is: fn(&AuthError) -> bool, interaction_required: Option<bool>) -> Self {
        self.is = is;
        self.interaction_required = interaction_required;
        self
    }

    /// Signs in against a server answering this row, checks what every server error
    /// keeps (code, suberror, claims, ids), and returns the error.
    async fn run(&self) -> AuthError {
        let idp = Idp::start().await;
        idp.mount_managed_realm().await;
        let id = correlation_id(u128::from(self.code));
        let body = entra_error(
            self.error,
            self.code,
            self.message,
            self.suberror,
            self.claims,
            id,
        );
        idp.mount_password_grant(ResponseTemplate::new(self.status).set_body_json(body))
            .await;
        let password = SecretString::from(PASSWORD);
        let outcome = match self.client {
            Client::Public(client_id) => {
                let app = idp
                    .public_builder(client_id, "organizations")
                    .build()
                    .expect("the app builds");
                app.acquire_token_by_username_password(self.scopes, self.username, password)
                    .correlation_id(id)
                    .await
            }
            Client::Daemon(secret) => {
                let app = idp
                    .confidential_builder()
                    .client_secret(SecretString::from(secret))
                    .build()
                    .expect("the app builds");
                app.acquire_token_by_username_password(self.scopes, self.username, password)
                    .correlation_id(id)
                    .await
            }
        };
        let name = self.name;
        let Err(error) = outcome else {
            panic!("row {name}: the server refused, yet tokens came back")
        };
        self.check_server_details(&error, id);
        assert_eq!(
            idp.posts_to(TOKEN_PATH).await.len(),
            1,
            "row {name}: a 4xx answer is not retried"
        );
        error
    }

    fn check_server_details(&self, error: &AuthError, id: Uuid) {
        let name = self.name;
        let server = error
            .server()
            .unwrap_or_else(|| panic!("row {name}: the server error is kept: {error:?}"));
        assert_eq!(server.status, self.status, "row {name}");
        assert_eq!(server.error, self.error, "row {name}");
        assert_eq!(server.suberror.as_deref(), self.suberror, "row {name}");
        assert_eq!(
            server.trace_id.map(|id| id.to_string()).as_deref(),
            Some(TRACE_ID),
            "row {name}"
        );
        assert_eq!(
            server.timestamp.as_deref(),
            Some(ERROR_TIMESTAMP),
            "row {name}"
        );
        assert_eq!(error.aadsts_code(), Some(self.code), "row {name}");
        assert_eq!(error.claims(), self.claims, "row {name}");
        assert_eq!(error.correlation_id(), Some(id), "row {name}");
        assert!(!error.is_transient(), "row {name}: {error:?}");
    }
}

const MFA_MESSAGE: &str = "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.";
const ENROLLMENT_MESSAGE: &str = "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.";
const CONSENT_MESSAGE: &str = "The user or administrator has not consented to use the application with ID '00001111-aaaa-2222-bbbb-3333cccc4444' named 'Contoso CLI'. Send an interactive authorization request for this user and resource.";

/// Every error answer of the default fixture, once.
fn rows() -> Vec<Row> {
    use AuthError as E;
    vec![
        Row::new("mfa_required", "mfa-required@contoso.com", (400, "invalid_grant", 50076))
            .message(MFA_MESSAGE)
            .suberror("basic_action")
            .claims(MFA_CLAIMS)
            .is(|e| matches!(e, E::MfaRequired { .. }), Some(true)),
        Row::new("mfa_enrollment_required", "mfa-enrollment@contoso.com", (400, "interaction_required", 50079))
            .message(ENROLLMENT_MESSAGE)
            .claims(ENROLLMENT_CLAIMS)
            .is(|e| matches!(e, E::MfaEnrollmentRequired { .. }), Some(true)),
        Row::new("consent_required", "consent-required@contoso.com", (400, "invalid_grant", 65001))
            .message(CONSENT_MESSAGE)
            .suberror("consent_required")
            .is(|e| matches!(e, E::ConsentRequired { admin_consent_required: false, .. }), Some(true)),
        Row::new("scope_without_consent", ALICE, (400, "invalid_grant", 65001))
            .scopes(&["Mail.Send"])
            .message(CONSENT_MESSAGE)
            .suberror("consent_required")
            .is(|e| matches!(e, E::ConsentRequired { .. }), None),
        Row::new("admin_consent_required", ALICE, (400, "invalid_grant", 90094))
            .message("Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.")
            .suberror("consent_required")
            .is(|e| matches!(e, E::ConsentRequired { admin_consent_required: true, .. }), None),
        Row::new("password_expired", "password-expired@contoso.com", (400, "invalid_grant", 50055))
            .message("The password is expired.")
            .suberror("user_password_expired")
            .is(|e| matches!(e, E::PasswordExpired { .. }), Some(true)),
        Row::new("account_locked", "locked@contoso.com", (400, "invalid_grant", 50053))
            .message("The account is locked, you've tried to sign in too many times with an incorrect user ID or password.")
            .is(|e| matches!(e, E::AccountLocked { .. }), None),
        Row::new("account_disabled", "disabled@contoso.com", (400, "invalid_grant", 50057))
            .message("The user account is disabled.")
            .is(|e| matches!(e, E::AccountDisabled { .. }), None),
        Row::new("conditional_access_blocked", "ca-blocked@contoso.com", (400, "invalid_grant", 53003))
            .message("Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.")
            .suberror("message_only")
            .is(|e| matches!(e, E::ConditionalAccessBlocked { .. }), None),
        Row::new("user_not_found", "nobody@contoso.com", (400, "invalid_grant", 50034))
            .message("The user account {EUII Hidden} does not exist in the aaaabbbb-0000-cccc-1111-dddd2222eeee directory. To sign into this application, the account must be added to the directory.")
            .is(|e| matches!(e, E::UserNotFound { .. }), Some(false)),
        Row::new("invalid_credentials", ALICE, (400, "invalid_grant", 50126))
            .message("Error validating credentials due to invalid username or password.")
            .is(|e| matches!(e, E::InvalidCredentials { .. }), Some(false)),
        Row::new("public_client_flows_not_allowed", ALICE, (401, "invalid_client", 7000218))
            .client(Client::Public(WEB_CLIENT_ID))
            .message("The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
            .is(|e| matches!(e, E::PublicClientFlowsNotAllowed { .. }), None),
        Row::new("grant_not_supported_at_endpoint", ALICE, (400, "invalid_request", 9001023))
            .message("The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")
            .is(|e| matches!(e, E::Server { .. }), None),
        Row::new("invalid_client_credential", ALICE, (401, "invalid_client", 7000215))
            .client(Client::Daemon("not-the-daemon-secret"))
            .message("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '11112222-bbbb-3333-cccc-4444dddd5555'.")
            .is(|e| matches!(e, E::InvalidClientCredential { .. }), None),
        Row::new("application_not_found", ALICE, (400, "unauthorized_client", 700016))
            .client(Client::Public(UNKNOWN_CLIENT_ID))
            .message("Application with identifier '99998888-ffff-7777-eeee-6666dddd5555' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
            .is(|e| matches!(e, E::ApplicationNotFound { .. }), None),
        Row::new("tenant_not_found", ALICE, (400, "invalid_request", 90002))
            .message("Tenant 'nowhere.example' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
            .is(|e| matches!(e, E::TenantNotFound { .. }), None),
        Row::new("invalid_scope", ALICE, (400, "invalid_scope", 70011))
            .scopes(&["https://graph.microsoft.com/User.Read/extra"])
            .message("The provided value for the input parameter 'scope' isn't valid.")
            .is(|e| matches!(e, E::InvalidScope { .. }), None),
    ]
}

/// Each row maps to its variant, keeps what every server error keeps, is sent once, and
/// reads as its snapshot says.
#[tokio::test]
async fn every_error_answer_maps_to_its_variant() {
    for row in rows() {
        let name = row.name;
        let error = row.run().await;
        assert!((row.is)(&error), "row {name}: {error:?}");
        if let Some(expected) = row.interaction_required {
            let actual = error.is_interaction_required();
            assert_eq!(actual, expected, "row {name}: is_interaction_required");
        }
        insta::assert_snapshot!(name, redacted(&error));
    }
}

/// The report (Display, then each cause) with the fixed trace and correlation ids
/// replaced.
fn redacted(error: &AuthError) -> String {
    let mut text = report(error).replace(TRACE_ID, "[trace-id]");
    if let Some(id) = error.correlation_id() {
        text = text.replace(&id.to_string(), "[correlation-id]");
    }
    text
}

/// One failing answer that is not a refusal: throttling, a server down, a body that is
/// not OAuth. The name names its snapshot and leads every failure message.
struct Failure {
    name: &'static str,
    /// Seeds the correlation id the call sends.
    id: u128,
    /// The token endpoint's answer, given the correlation id.
    answer: fn(Uuid) -> ResponseTemplate,
    /// Whether the error is the variant (and holds the values) the row expects.
    is: fn(&AuthError) -> bool,
    /// `is_transient()`, where the row pins it.
    transient: Option<bool>,
    /// How many POSTs reached the token endpoint, where the row pins it, and why.
    posts: Option<(usize, &'static str)>,
}

impl Failure {
    async fn run(&self) {
        let name = self.name;
        let idp = Idp::start().await;
        idp.mount_managed_realm().await;
        let id = correlation_id(self.id);
        idp.mount_password_grant((self.answer)(id)).await;
        let app = idp.public_app();

        let outcome = app
            .acquire_token_by_username_password(SCOPES, ALICE, password())
            .correlation_id(id)
            .await;

        let Err(error) = outcome else {
            panic!("row {name}: signed in")
        };
        assert!((self.is)(&error), "row {name}: {error:?}");
        assert_eq!(error.correlation_id(), Some(id), "row {name}");
        if let Some(transient) = self.transient {
            assert_eq!(error.is_transient(), transient, "row {name}: is_transient");
        }
        if let Some((posts, why)) = self.posts {
            let sent = idp.posts_to(TOKEN_PATH).await.len();
            assert_eq!(sent, posts, "row {name}: {why}");
        }
        insta::assert_snapshot!(name, redacted(&error));
    }
}

const HTML_503: &str = "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n<body><h1>Service Unavailable</h1><p>The service is temporarily overloaded.</p></body></html>";

/// Every failing answer, once.
fn failures() -> Vec<Failure> {
    vec![
        Failure {
            name: "throttled",
            id: 429,
            answer: |id| {
                let body = entra_error(
                    "temporarily_unavailable",
                    50196,
                    "The server terminated an operation because it encountered a client request loop.",
                    None,
                    None,
                    id,
                );
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "120")
                    .set_body_json(body)
            },
            is: |e| {
                matches!(e, AuthError::Throttled { retry_after: Some(wait), .. }
                    if *wait == Duration::from_secs(120))
            },
            transient: Some(true),
            posts: Some((1, "a wait over the policy's limit goes back to the caller")),
        },
        Failure {
            name: "throttled_without_ids",
            id: 0x429,
            answer: |_| {
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "600")
                    .set_body_json(serde_json::json!({
                        "error": "temporarily_unavailable",
                        "error_description": "Too many requests.",
                    }))
            },
            is: |e| matches!(e, AuthError::Throttled { .. }),
            transient: None,
            posts: None,
        },
        Failure {
            name: "server_unavailable_500",
            id: 500,
            answer: |_| ResponseTemplate::new(500),
            is: |e| matches!(e, AuthError::ServerUnavailable { status: 500, .. }),
            transient: Some(true),
            posts: Some((
                1,
                "a request carrying the password is sent once, never retried",
            )),
        },
        Failure {
            name: "server_unavailable_html_503",
            id: 503,
            answer: |_| ResponseTemplate::new(503).set_body_raw(HTML_503, "text/html"),
            is: |e| {
                matches!(e, AuthError::ServerUnavailable { status: 503, excerpt, .. }
                    if excerpt.contains("Service Unavailable"))
            },
            transient: Some(true),
            posts: None,
        },
        Failure {
            name: "invalid_response_not_json",
            id: 400,
            answer: |_| ResponseTemplate::new(400).set_body_raw("Bad Request", "text/plain"),
            is: |e| matches!(e, AuthError::InvalidResponse { .. }),
            transient: None,
            posts: None,
        },
    ]
}

/// Each failing answer maps to its variant and keeps the correlation id sent (the
/// server's, or the one the call sent when the body has none).
#[tokio::test]
async fn every_failing_answer_maps_to_its_variant() {
    for failure in failures() {
        failure.run().await;
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let (_refusing, port) = support::refused_port();
    let app = entra_auth::PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&format!("http://127.0.0.1:{port}/organizations"))
        .known_authorities([support::TEST_SERVER_HOST])
        .http_client(http_client())
        .build()
        .expect("the app builds");
    let id = correlation_id(0xdead);

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .correlation_id(id)
        .await
        .expect_err("nothing listens");

    assert!(
        matches!(error, AuthError::Network { correlation_id, .. } if correlation_id == id),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(error.correlation_id(), Some(id));
}

#[tokio::test]
async fn an_http_date_retry_after_is_measured_on_the_app_clock() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    // 90 s after the start time (2023-11-14T22:13:20Z); the wall clock is years later.
    idp.mount_password_grant(
        ResponseTemplate::new(429).insert_header("Retry-After", "Tue, 14 Nov 2023 22:14:50 GMT"),
    )
    .await;
    let app = idp.public_app();

    let error = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("throttled");

    assert!(
        matches!(
            error,
            AuthError::Throttled {
                retry_after: Some(wait),
                server: None,
                ..
            } if wait == Duration::from_secs(90)
        ),
        "{error:?}"
    );
    assert!(error.correlation_id().is_some());
}
