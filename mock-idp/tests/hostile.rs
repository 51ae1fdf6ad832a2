//! Hostile input: times at the edge of `u64`, secrets where a log would not look for
//! them, and requests the router itself refuses. mock-idp answers every one with JSON a
//! client can read, and its request log keeps no secret.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

mod common;

use std::time::Duration;

use common::{Answer, Harness, SCOPES, daemon_assertion, start};
use mock_idp::AdminError;
use mock_idp::default_fixture as d;
use serde_json::json;

const TOKEN: &str = "/organizations/oauth2/v2.0/token";
const FORM: &str = "application/x-www-form-urlencoded";

/// Asserts `answer` is an Entra error body with `status`: `error`, an
/// `error_description` opening with its AADSTS code, ids and a timestamp.
fn assert_entra_error(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.text);
    let body = &answer.json;
    let code = body["error_codes"][0].as_u64();
    assert!(code.is_some(), "no error_codes: {}", answer.text);
    assert!(body["error"].is_string(), "{}", answer.text);
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|text| text.starts_with(&format!("AADSTS{}: ", code.unwrap_or(0)))),
        "{}",
        answer.text
    );
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "no {field}: {}", answer.text);
    }
    assert!(
        answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{:?}",
        answer.headers
    );
}

async fn client_credentials_with_assertion(h: &Harness, assertion: String) -> Answer {
    let path = format!("/{}/oauth2/v2.0/token", d::CONTOSO_TENANT_ID);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", d::DAEMON_CLIENT_ID),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &assertion),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    h.post_form(&path, &form).await
}

#[tokio::test]
async fn a_client_assertion_expiring_at_the_end_of_u64_is_a_4xx() {
    let h = start().await;
    let aud = format!(
        "{}/{}/oauth2/v2.0/token",
        h.idp.base_url(),
        d::CONTOSO_TENANT_ID
    );
    let now = mock_idp::DETERMINISTIC_START;
    for (nbf, exp) in [(now, u64::MAX), (u64::MAX, u64::MAX), (u64::MAX, now + 600)] {
        let claims = json!({"aud": aud, "iss": d::DAEMON_CLIENT_ID, "sub": d::DAEMON_CLIENT_ID,
            "jti": "1", "nbf": nbf, "exp": exp});
        let answer = client_credentials_with_assertion(&h, daemon_assertion(&claims, None)).await;
        assert_entra_error(&answer, 401);
        assert_eq!(answer.json["error"], "invalid_client", "{}", answer.text);
    }
    // The server is still up and sane.
    let claims = json!({"aud": aud, "iss": d::DAEMON_CLIENT_ID, "sub": d::DAEMON_CLIENT_ID,
        "jti": "1", "nbf": now, "exp": now + 600});
    let good = client_credentials_with_assertion(&h, daemon_assertion(&claims, None)).await;
    assert_eq!(good.status, 200, "{}", good.text);
}

#[tokio::test]
async fn a_clock_advance_past_the_clocks_range_is_refused_and_tokens_keep_coming() {
    let h = start().await;
    let admin = h.idp.admin();
    let before = admin.now().await.unwrap();

    let refused = admin.advance_clock(Duration::from_secs(u64::MAX)).await;

    match refused {
        Err(AdminError::Refused { status, body, .. }) => {
            assert_eq!(status, 400);
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["error"], "invalid_request", "{body}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    assert_eq!(admin.now().await.unwrap(), before, "the clock did not move");
    let tokens = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);

    // A week before the clock's last instant (the end of year 9999), grants still work.
    let last = mock_idp::MAX_INSTANT;
    let week = 7 * 24 * 3600;
    admin
        .advance_clock(Duration::from_secs(last - week - before.now))
        .await
        .unwrap();
    let tokens = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let refresh_token = tokens.json["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = h.refresh(d::CLI_CLIENT_ID, &refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    // At the last instant, a token would outlive the clock: an Entra error, not a crash.
    admin
        .advance_clock(Duration::from_secs(week))
        .await
        .unwrap();
    assert_eq!(admin.now().await.unwrap().now, last);
    assert!(admin.advance_clock(Duration::from_secs(1)).await.is_err());
    let at_the_end = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_entra_error(&at_the_end, 400);
}

/// Sends `head` and `body` over one HTTPS/1.1 connection, all of it before reading a
/// byte, as urllib3 (MSAL Python) and curl do, then reads the answer to the end.
async fn send_whole_then_read(h: &Harness, head: &str, body: &[u8]) -> std::io::Result<String> {
    use rustls_pki_types::pem::PemObject as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(h.idp.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", h.idp.port())).await?;
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls))
        .connect(name, tcp)
        .await?;
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_token_request_of_megabytes_gets_a_413_the_client_can_read() {
    let h = start().await;
    for size in [2 << 20, 8 << 20] {
        assert_413_readable(&h, size).await;
    }
    // reqwest, which reads while it writes, gets the same answer, and the server is fine.
    let mut body = b"grant_type=password&pad=".to_vec();
    body.resize(2 << 20, b'a');
    let a = h.post_raw(TOKEN, FORM, body).await;
    assert_entra_error(&a, 413);
    let tokens = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
}

/// A token request of `size` bytes, written whole before reading, is answered 413.
async fn assert_413_readable(h: &Harness, size: usize) {
    let mut body = b"grant_type=password&pad=".to_vec();
    body.resize(size, b'a');
    let head = format!(
        "POST {TOKEN} HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: {FORM}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        h.idp.port(),
        body.len()
    );

    let answer = send_whole_then_read(h, &head, &body)
        .await
        .unwrap_or_else(|err| panic!("{size} bytes: no answer but {err}"));

    let (head, json) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 413 "), "{size} bytes: {head}");
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(json["error"], "invalid_request");
    assert_eq!(json["error_codes"][0], 9002313);
}

#[tokio::test]
async fn router_rejections_are_entra_errors() {
    let h = start().await;
    // Paths that do not decode to UTF-8, where a handler takes a path segment.
    for path in [
        "/common/userrealm/%FF%FE?api-version=1.0",
        "/%FF/v2.0/.well-known/openid-configuration",
        "/%C3/discovery/v2.0/keys",
    ] {
        let answer = h.get(path).await;
        assert_entra_error(&answer, 400);
    }
    let token = h
        .post_raw(
            "/%FF%FE/oauth2/v2.0/token",
            FORM,
            b"grant_type=password".to_vec(),
        )
        .await;
    assert_entra_error(&token, 400);
    // Unknown routes and wrong methods keep their `error` names.
    let nowhere = h.get("/nowhere").await;
    assert_entra_error(&nowhere, 404);
    assert_eq!(nowhere.json["error"], "not_found");
    let get_token = h.get(TOKEN).await;
    assert_entra_error(&get_token, 405);
    assert_eq!(get_token.json["error"], "method_not_allowed");
}

#[tokio::test]
async fn admin_rejections_are_json() {
    let h = start().await;
    let answer = h
        .post_raw(
            "/_admin/users/%FF/state",
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(answer.json["error"].is_string(), "{}", answer.text);
    let mut big = b"{\"seconds\": 1, \"pad\": \"".to_vec();
    big.resize(3 << 20, b'a');
    big.extend_from_slice(b"\"}");
    let response = h
        .client
        .post(h.url("/_admin/clock/advance"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("an answer, not a dropped connection");
    let answer = Answer::from(response).await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert!(answer.json["error"].is_string(), "{}", answer.text);
}

/// A WS-Trust 1.3 username/password request for `username`.
fn soap_envelope(username: &str, password: &str) -> String {
    let password = password
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:o=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\
         <s:Header><o:Security><o:UsernameToken><o:Username>{username}</o:Username>\
         <o:Password Type=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText\">{password}</o:Password>\
         </o:UsernameToken></o:Security></s:Header><s:Body/></s:Envelope>"
    )
}

#[tokio::test]
async fn the_request_log_keeps_no_secret_wherever_it_hides() {
    let h = start().await;
    let admin = h.idp.admin();
    // A SOAP body sent as text/plain, to the mock ADFS and to the token endpoint.
    let soap = soap_envelope(d::FEDUSER, d::PASSWORD);
    for path in [mock_idp::USERNAME_MIXED_13_PATH, TOKEN] {
        h.post_raw(path, "text/plain", soap.clone().into_bytes())
            .await;
    }
    // Form fields whose names only look like secrets, in any case.
    let form = [
        ("grant_type", "password"),
        ("client_id", d::CLI_CLIENT_ID),
        ("username", d::ALICE),
        ("Password", d::PASSWORD),
        ("pwd", "pwd-secret-1"),
        ("Client_Secret", "secret-2"),
        ("my_access_token", "token-3"),
        ("SAML_Assertion", "assertion-4"),
        ("scope", SCOPES),
    ];
    h.post_form(TOKEN, &form).await;
    // Credentials in headers beside authorization and cookie.
    h.client
        .get(h.url("/common/userrealm/alice@contoso.com?api-version=1.0"))
        .header("proxy-authorization", "Basic cHJveHk6aHVudGVyMg==")
        .header("x-api-key", "api-key-5")
        .header("X-Functions-Key", "functions-key-6")
        .header("x-anchormailbox", "upn:alice@contoso.com")
        .send()
        .await
        .unwrap();

    let log = admin.requests().await.unwrap();
    assert_eq!(log.len(), 4);
    let dump = serde_json::to_string(&log).unwrap();
    for secret in [
        "w0rd",
        "Pa$$",
        "pwd-secret-1",
        "secret-2",
        "token-3",
        "assertion-4",
        "cHJveHk6aHVudGVyMg",
        "api-key-5",
        "functions-key-6",
    ] {
        assert!(!dump.contains(secret), "{secret} in {dump}");
    }
    // Still as useful: who signed in, with which grant, and whether a password went out.
    assert!(log[0].carried_password && log[1].carried_password && log[2].carried_password);
    assert!(!log[3].carried_password);
    assert!(log[0].form.is_empty() && log[1].form.is_empty(), "{log:#?}");
    let grant = &log[2];
    assert_eq!(grant.form_value("grant_type"), Some("password"));
    assert_eq!(grant.form_value("username"), Some(d::ALICE));
    assert_eq!(grant.form_value("client_id"), Some(d::CLI_CLIENT_ID));
    assert_eq!(grant.form_value("scope"), Some(SCOPES));
    assert_eq!(grant.form_value("Password"), Some("[REDACTED]"));
    assert_eq!(grant.form_value("pwd"), Some("[REDACTED]"));
    let realm = &log[3];
    assert_eq!(realm.path, "/common/userrealm/alice@contoso.com");
    assert_eq!(
        realm.header("x-anchormailbox"),
        Some("upn:alice@contoso.com")
    );
    assert_eq!(realm.header("proxy-authorization"), Some("[REDACTED]"));
    assert_eq!(realm.header("x-api-key"), Some("[REDACTED]"));
}

#[tokio::test]
async fn a_password_under_any_field_name_is_redacted_by_its_value() {
    let h = start().await;
    h.post_form(
        TOKEN,
        &[
            ("grant_type", "password"),
            ("client_id", d::CLI_CLIENT_ID),
            ("username", d::ALICE),
            ("p", d::PASSWORD),
            ("scope", SCOPES),
        ],
    )
    .await;
    h.get(
        "/common/userrealm/alice@contoso.com?api-version=1.0&hint=Pa%24%24%20w0rd%26%3D%2B%C3%A9",
    )
    .await;
    let log = h.idp.admin().requests().await.unwrap();
    let dump = serde_json::to_string(&log).unwrap();
    assert!(!dump.contains("w0rd"), "{dump}");
    assert!(log.iter().all(|r| r.carried_password));
    assert_eq!(log[0].form_value("p"), Some("[REDACTED]"));
    assert_eq!(log[0].form_value("username"), Some(d::ALICE));
}
