use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::*;
use crate::test_support::{json_response, library, render};
use crate::ws_trust::{SamlAssertion, SamlTokenType};
use crate::{ErrorClass, LibraryInfo, ProtocolError};

const CLI: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const DAEMON: &str = "11112222-bbbb-3333-cccc-4444dddd5555";
const ENDPOINT: &str = "https://localhost:8443/organizations/oauth2/v2.0/token";
const PASSWORD: &str = "Pa$$ w0rd&=+é";

fn params<'a>(
    auth: &'a ClientAuth,
    lib: &'a LibraryInfo,
    scopes: &'a [&'a str],
) -> TokenParams<'a> {
    TokenParams {
        token_endpoint: ENDPOINT,
        client_id: CLI,
        scopes,
        claims: None,
        client_capabilities: &[],
        client_auth: auth,
        correlation_id: Uuid::from_u128(0xC0FFEE),
        library: lib,
    }
}

fn form(r: &crate::Request) -> Vec<(String, String)> {
    form_urlencoded::parse(r.body()).into_owned().collect()
}

fn field(r: &crate::Request, name: &str) -> Option<String> {
    form(r).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[test]
fn password_grant_public_client() {
    let (auth, lib) = (ClientAuth::None, library());
    let r = password_grant(
        &params(&auth, &lib, &["User.Read"]),
        "alice@contoso.com",
        &SecretString::from(PASSWORD),
    )
    .unwrap();
    insta::assert_snapshot!(render(&r));
}

#[test]
fn any_password_survives_form_encoding() {
    let (auth, lib) = (ClientAuth::None, library());
    for pw in [
        PASSWORD,
        "a b",
        "&",
        "=",
        "+",
        "%",
        "%20",
        "100%+",
        "ünï😀",
        "a&password=evil",
        " ",
        "",
    ] {
        let r = password_grant(
            &params(&auth, &lib, &["User.Read"]),
            "alice@contoso.com",
            &SecretString::from(pw),
        )
        .unwrap();
        let fields = form(&r);
        let passwords: Vec<&String> = fields
            .iter()
            .filter(|(k, _)| k == "password")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(passwords, vec![pw], "password {pw:?}");
    }
}

#[test]
fn confidential_password_grant_with_claims_and_capabilities() {
    let (auth, lib) = (
        ClientAuth::Secret(SecretString::from("contoso-daemon-secret")),
        library(),
    );
    let mut p = params(&auth, &lib, &["User.Read", "openid"]);
    p.client_id = DAEMON;
    p.claims = Some(r#"{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}"#);
    p.client_capabilities = &["cp1"];
    let r = password_grant(&p, "alice@contoso.com", &SecretString::from(PASSWORD)).unwrap();
    let rendered = render(&r);
    assert!(!rendered.contains("contoso-daemon-secret"));
    insta::assert_snapshot!(rendered);
    assert_eq!(
        field(&r, "client_secret").as_deref(),
        Some("contoso-daemon-secret")
    );
}

#[test]
fn refresh_token_grant_anchors_on_home_account() {
    let (auth, lib) = (ClientAuth::None, library());
    let r = refresh_token_grant(
        &params(&auth, &lib, &["User.Read"]),
        &SecretString::from("0.AAAA-refresh"),
        Some("uid-1.utid-1"),
    )
    .unwrap();
    insta::assert_snapshot!(render(&r));
    assert_eq!(
        field(&r, "refresh_token").as_deref(),
        Some("0.AAAA-refresh")
    );
}

#[test]
fn saml_grants_carry_the_unpadded_assertion() {
    let (auth, lib) = (ClientAuth::None, library());
    let xml = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" MajorVersion=\"1\">…</saml:Assertion>";
    for (token_type, grant) in [
        (SamlTokenType::Saml11, GRANT_SAML1_1),
        (SamlTokenType::Saml20, GRANT_SAML2),
    ] {
        let a = SamlAssertion {
            token_type,
            xml: SecretString::from(xml),
        };
        let r = saml_bearer_grant(&params(&auth, &lib, &["User.Read"]), &a).unwrap();
        assert_eq!(field(&r, "grant_type").as_deref(), Some(grant));
        let sent = field(&r, "assertion").unwrap();
        assert!(!sent.contains('='));
        assert_eq!(URL_SAFE_NO_PAD.decode(&sent).unwrap(), xml.as_bytes());
        assert!(field(&r, "password").is_none() && field(&r, "username").is_none());
        if token_type == SamlTokenType::Saml11 {
            insta::assert_snapshot!(render(&r));
        }
    }
}

#[test]
fn scopes_are_decorated_once_in_caller_order() {
    assert_eq!(
        decorate_scopes(&["User.Read", "Mail.Send", "User.Read", "profile"]).unwrap(),
        [
            "User.Read",
            "Mail.Send",
            "profile",
            "openid",
            "offline_access"
        ]
    );
    assert_eq!(
        decorate_scopes(&[]).unwrap(),
        ["openid", "profile", "offline_access"]
    );
    insta::assert_snapshot!(decorate_scopes(&["User.Read Mail.Send"]).unwrap_err(), @r#"invalid scope "User.Read Mail.Send": a scope cannot contain whitespace; pass each scope separately"#);
    assert!(decorate_scopes(&[""]).is_err());
}

#[test]
fn checking_scopes_refuses_what_decorating_them_refuses() {
    for scopes in [
        &["User.Read", "Mail.Send"][..],
        &[],
        &["User.Read Mail.Send"],
        &["User.Read", ""],
        &["\tUser.Read"],
    ] {
        assert_eq!(
            check_scopes(scopes).err().map(|e| e.to_string()),
            decorate_scopes(scopes).err().map(|e| e.to_string()),
            "{scopes:?}"
        );
    }
    assert!(check_scopes(&["User.Read", ""]).is_err());
}

#[test]
fn claims_merge_with_capabilities() {
    assert_eq!(merge_claims(None, &[]).unwrap(), None);
    assert_eq!(merge_claims(Some("  "), &[]).unwrap(), None);
    assert_eq!(
        merge_claims(None, &["cp1"]).unwrap().as_deref(),
        Some(r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#)
    );
    assert_eq!(
        merge_claims(
            Some(r#"{"access_token":{"nbf":{"essential":true}},"id_token":{}}"#),
            &["cp1", "cp2"]
        )
        .unwrap()
        .as_deref(),
        Some(
            r#"{"access_token":{"nbf":{"essential":true},"xms_cc":{"values":["cp1","cp2"]}},"id_token":{}}"#
        )
    );
    assert!(matches!(
        merge_claims(Some("[1]"), &[]),
        Err(ProtocolError::InvalidClaims { .. })
    ));
    assert!(matches!(
        merge_claims(Some("{"), &[]),
        Err(ProtocolError::InvalidClaims { .. })
    ));
    assert!(matches!(
        merge_claims(Some(r#"{"access_token":1}"#), &["cp1"]),
        Err(ProtocolError::InvalidClaims { .. })
    ));
}

#[test]
fn header_values_that_cannot_go_on_the_wire_are_errors() {
    let auth = ClientAuth::None;
    let lib = LibraryInfo {
        sku: "bad\nsku".into(),
        ..library()
    };
    let e = password_grant(
        &params(&auth, &lib, &["User.Read"]),
        "a@b.c",
        &SecretString::from("x"),
    )
    .unwrap_err();
    assert!(matches!(e, ProtocolError::InvalidRequest { .. }));
}

fn id_token(payload: &str) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[test]
fn entra_success_response_parses() {
    let client_info = URL_SAFE_NO_PAD.encode(r#"{"uid":"00000000-0000-0000-aaaa-000000000001","utid":"aaaabbbb-0000-cccc-1111-dddd2222eeee"}"#);
    let idt = id_token(
        r#"{"aud":"00001111-aaaa-2222-bbbb-3333cccc4444","oid":"00000000-0000-0000-aaaa-000000000001","sub":"s","tid":"aaaabbbb-0000-cccc-1111-dddd2222eeee","preferred_username":"alice@contoso.com"}"#,
    );
    let body = format!(
        r#"{{"token_type":"Bearer","scope":"User.Read openid profile offline_access","expires_in":4262,"ext_expires_in":4262,"refresh_in":2131,"access_token":"eyJ0eXAi.at.sig","refresh_token":"0.AAAA.rt","id_token":"{idt}","client_info":"{client_info}","foci":"1"}}"#
    );
    let t = parse_token_response(&json_response(200, &body)).unwrap();
    assert_eq!(t.access_token.expose_secret(), "eyJ0eXAi.at.sig");
    assert_eq!(
        t.refresh_token.as_ref().unwrap().expose_secret(),
        "0.AAAA.rt"
    );
    assert_eq!(
        t.scopes.as_deref().unwrap(),
        ["User.Read", "openid", "profile", "offline_access"]
    );
    assert_eq!(
        (t.expires_in, t.ext_expires_in, t.refresh_in),
        (4262, Some(4262), Some(2131))
    );
    assert_eq!(t.foci.as_deref(), Some("1"));
    assert_eq!(
        t.home_account_id().as_deref(),
        Some("00000000-0000-0000-aaaa-000000000001.aaaabbbb-0000-cccc-1111-dddd2222eeee")
    );
    assert_eq!(
        t.id_token.as_ref().unwrap().claims.username(),
        Some("alice@contoso.com")
    );
    let debug = format!("{t:?}");
    assert!(
        !debug.contains("eyJ0eXAi") && !debug.contains("0.AAAA") && !debug.contains(&idt),
        "{debug}"
    );
}

#[test]
fn numbers_as_strings_and_absent_fields() {
    let t = parse_token_response(&json_response(
        200,
        r#"{"access_token":"a","expires_in":"3599","ext_expires_in":"3599"}"#,
    ))
    .unwrap();
    assert_eq!(t.expires_in, 3599);
    assert_eq!(t.token_type, "Bearer");
    assert!(
        t.refresh_token.is_none()
            && t.id_token.is_none()
            && t.scopes.is_none()
            && t.home_account_id().is_none()
    );
    let t = parse_token_response(&json_response(200, r#"{"access_token":"a"}"#)).unwrap();
    assert_eq!(t.expires_in, 600);
    let t = parse_token_response(&json_response(
        200,
        &format!(
            r#"{{"access_token":"a","id_token":"{}"}}"#,
            id_token(r#"{"aud":"c","sub":"adfs-sub"}"#)
        ),
    ))
    .unwrap();
    assert_eq!(
        t.home_account_id().as_deref(),
        Some("adfs-sub"),
        "ADFS: no client_info, sub instead"
    );
}

#[test]
fn malformed_success_bodies_are_typed_errors() {
    let cases = [
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"a","expires_in":"soon"}"#,
        r#"{"access_token":"a","client_info":"%%%"}"#,
        r#"{"access_token":"a","id_token":"not-a-jwt"}"#,
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|b| {
            parse_token_response(&json_response(200, b))
                .unwrap_err()
                .to_string()
        })
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn error_body_becomes_server_error() {
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials due to invalid username or password. Trace ID: t Correlation ID: c Timestamp: 2024-05-01 10:00:00Z","error_codes":[50126],"timestamp":"2024-05-01 10:00:00Z","trace_id":"t","correlation_id":"c","error_uri":"https://login.microsoftonline.com/error?code=50126"}"#;
    let e = parse_token_response(&json_response(400, body)).unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidCredentials);
}

#[test]
fn html_503_is_unexpected_response_with_excerpt() {
    let html = "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n<body><h1>HTTP Error 503. The service is unavailable.</h1>\n</body></html>";
    let r = http::Response::builder()
        .status(503)
        .header("content-type", "text/html")
        .header("retry-after", "30")
        .body(html.as_bytes().to_vec())
        .unwrap();
    let e = parse_token_response(&r).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Throttled);
    insta::assert_snapshot!(e, @"unexpected HTTP 503 response (text/html): an HTML page: Service Unavailable HTTP Error 503. The service is unavailable.");
    let r = http::Response::builder()
        .status(502)
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        parse_token_response(&r).unwrap_err().class(),
        ErrorClass::ServerUnavailable
    );
}

#[test]
fn lifetimes_past_ten_years_negative_or_not_numbers_are_typed_errors() {
    for field in ["expires_in", "ext_expires_in", "refresh_in"] {
        for value in [
            "1e300".to_owned(),
            u64::MAX.to_string(),
            format!("\"{}\"", u64::MAX),
            (MAX_LIFETIME_SECS + 1).to_string(),
            "-5".to_owned(),
            "\"-5\"".to_owned(),
            "\"99999999999999999999999999\"".to_owned(),
            "\"abc\"".to_owned(),
        ] {
            let body = format!(r#"{{"access_token":"a","{field}":{value}}}"#);
            let error = parse_token_response(&json_response(200, &body))
                .expect_err(&format!("{field}={value} is refused"));
            assert!(
                matches!(
                    error,
                    ProtocolError::Json {
                        what: "token response",
                        ..
                    }
                ),
                "{field}={value}: {error:?}"
            );
        }
        let body = format!(r#"{{"access_token":"a","{field}":{MAX_LIFETIME_SECS}}}"#);
        assert!(parse_token_response(&json_response(200, &body)).is_ok());
    }
    let error = parse_token_response(&json_response(
        200,
        r#"{"access_token":"a","expires_in":1e300}"#,
    ))
    .unwrap_err();
    insta::assert_snapshot!(error, @"malformed token response: `expires_in` is more than ten years (315360000 seconds), the longest lifetime accepted");
}
