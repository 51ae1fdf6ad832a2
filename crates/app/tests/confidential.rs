//! The confidential client: its credential goes in the token POST (the builder's
//! refusals are in `builder.rs`).

mod support;

use entra_auth::SecretString;
use serde_json::Value;
use support::*;

/// A self-signed test certificate and its RSA key (test data only).
const CERT_PEM: &[u8] = include_bytes!("data/client-cert.pem");
const KEY_PEM: &str = include_str!("data/client-key.pem");

#[tokio::test]
async fn a_client_secret_goes_in_the_password_post() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    let mut tokens = TokenBody::new(1);
    tokens.audience = DAEMON_CLIENT_ID.to_owned();
    idp.mount_password_grant(tokens.response()).await;
    let app = idp
        .confidential_builder()
        .client_secret(SecretString::from(DAEMON_SECRET))
        .build()
        .expect("the app builds");

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in through the daemon");

    let posts = idp.posts_to(TOKEN_PATH).await;
    assert_eq!(posts.len(), 1);
    let form = form_map(&posts[0]);
    assert_eq!(
        form.get("client_secret").map(String::as_str),
        Some(DAEMON_SECRET)
    );
    assert_eq!(
        form.get("client_id").map(String::as_str),
        Some(DAEMON_CLIENT_ID)
    );
    assert_eq!(form.get("grant_type").map(String::as_str), Some("password"));
    assert!(!form.contains_key("client_assertion"));
}

#[tokio::test]
async fn a_client_certificate_sends_a_signed_assertion_for_the_token_endpoint() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    let mut tokens = TokenBody::new(1);
    tokens.audience = DAEMON_CLIENT_ID.to_owned();
    idp.mount_password_grant(tokens.response()).await;
    let app = idp
        .confidential_builder()
        .client_certificate(CERT_PEM, &SecretString::from(KEY_PEM))
        .build()
        .expect("the app builds");

    app.acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in through the daemon");

    let posts = idp.posts_to(TOKEN_PATH).await;
    let form = form_map(&posts[0]);
    assert_eq!(
        form.get("client_assertion_type").map(String::as_str),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert!(!form.contains_key("client_secret"));
    let assertion = form.get("client_assertion").expect("an assertion");
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS: {assertion}");
    let decode = |part: &str| -> Value {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    let header = decode(parts[0]);
    let claims = decode(parts[1]);
    assert_eq!(header["alg"], "RS256");
    assert!(header["x5t#S256"].is_string(), "{header}");
    assert_eq!(
        claims["aud"],
        format!("{}{TOKEN_PATH}", idp.server.uri()).as_str()
    );
    assert_eq!(claims["iss"], DAEMON_CLIENT_ID);
    assert_eq!(claims["sub"], DAEMON_CLIENT_ID);
    assert_eq!(claims["iat"], 1_700_000_000_u64, "the app's clock signs it");
}
