//! No error built from a response quotes a token, an assertion or a secret the response
//! carried, in its `Display` or its `Debug`: a malformed body is described by what was
//! wrong with it (its JSON kind, the field and the line and column), not by its content.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entra_protocol as p;

/// Looks like a real access token (a JWT).
const ACCESS: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzZWNyZXQtYXVkaWVuY2UifQ.c2lnbmF0dXJlX3NlY3JldA";
/// Looks like a real refresh token.
const REFRESH: &str = "0.AAAAbbbbCCCC1111dddd2222EEEE-ffff3333_GGGG4444hhhh5555";
/// A distinctive piece of a SAML assertion.
const ASSERTION: &str = "AssertionID=\"_a1b2c3secretassertion\"";

const SECRETS: &[&str] = &[
    ACCESS,
    REFRESH,
    "_a1b2c3secretassertion",
    "c2lnbmF0dXJlX3NlY3JldA",
    "CCCC1111dddd2222EEEE",
];

fn response(status: u16, content_type: &str, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.as_bytes().to_vec())
        .expect("a valid response")
}

/// The error's Display, after checking that neither it nor its Debug holds a secret.
/// The Display of `error` and of each of its causes, as a report prints them (a cause
/// the text already holds is skipped: quick-xml repeats its source in its Display).
fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let part = current.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = current.source();
    }
    text
}

fn shown(case: &str, error: &dyn std::fmt::Debug, display: String) -> String {
    let debug = format!("{error:?}");
    for secret in SECRETS {
        assert!(
            !display.contains(secret),
            "{case}: Display quotes a secret: {display}"
        );
        assert!(
            !debug.contains(secret),
            "{case}: Debug quotes a secret: {debug}"
        );
    }
    format!("{case}: {display}")
}

fn id_token_with(payload: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
        URL_SAFE_NO_PAD.encode(payload),
        "c2lnbmF0dXJlX3NlY3JldA"
    )
}

#[test]
fn token_response_errors_never_quote_a_token() {
    let json = "application/json";
    let cases: Vec<(&str, http::Response<Vec<u8>>)> = vec![
        (
            "array",
            response(200, json, &format!(r#"["{ACCESS}","{REFRESH}"]"#)),
        ),
        ("string", response(200, json, &format!(r#""{ACCESS}""#))),
        (
            "truncated",
            response(
                200,
                json,
                &format!(r#"{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}"#),
            ),
        ),
        (
            "form-encoded",
            response(
                200,
                "application/x-www-form-urlencoded",
                &format!("access_token={ACCESS}&token_type=Bearer&refresh_token={REFRESH}"),
            ),
        ),
        (
            "plain text",
            response(
                200,
                "text/plain",
                &format!("your token is {ACCESS} and {REFRESH}"),
            ),
        ),
        (
            "expires_in an object",
            response(
                200,
                json,
                &format!(
                    r#"{{"access_token":"{ACCESS}","expires_in":{{"refresh_token":"{REFRESH}"}}}}"#
                ),
            ),
        ),
        (
            "expires_in a token",
            response(
                200,
                json,
                &format!(r#"{{"access_token":"{ACCESS}","expires_in":"{REFRESH}"}}"#),
            ),
        ),
        (
            "object without error on a 500",
            response(
                500,
                json,
                &format!(r#"{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}"}}"#),
            ),
        ),
        (
            "id token claim of the wrong type",
            response(
                200,
                json,
                &format!(
                    r#"{{"access_token":"{ACCESS}","id_token":"{}"}}"#,
                    id_token_with(&format!(r#"{{"aud":"c","iat":"{REFRESH}"}}"#))
                ),
            ),
        ),
        (
            "id token payload an array",
            response(
                200,
                json,
                &format!(
                    r#"{{"access_token":"{ACCESS}","id_token":"{}"}}"#,
                    id_token_with(&format!(r#"["{REFRESH}"]"#))
                ),
            ),
        ),
        (
            "client_info of the wrong shape",
            response(
                200,
                json,
                &format!(
                    r#"{{"access_token":"{ACCESS}","client_info":"{}"}}"#,
                    URL_SAFE_NO_PAD
                        .encode(format!(r#"{{"uid":"u","utid":"t","x":1}} "{REFRESH}""#))
                ),
            ),
        ),
        (
            "HTML page with a token",
            response(
                502,
                "text/html",
                &format!(
                    r#"<html><head><title>Bad Gateway</title></head><body><h1>Bad Gateway</h1><form><input type="hidden" name="wresult" value="{ACCESS}"/></form><p>ref {REFRESH}</p></body></html>"#
                ),
            ),
        ),
    ];
    let mut out = Vec::new();
    for (case, r) in &cases {
        let e = p::parse_token_response(r).expect_err(case);
        out.push(shown(case, &e, report(&e)));
    }
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn other_documents_never_quote_a_token() {
    let json = "application/json";
    let body = format!(r#"["{ACCESS}"]"#);
    let mut out = Vec::new();
    let r = response(200, json, &body);
    let e = p::parse_user_realm(&r).expect_err("user realm");
    out.push(shown("user realm", &e, report(&e)));
    let e = p::parse_oidc_configuration(&r).expect_err("oidc");
    out.push(shown("OpenID configuration", &e, report(&e)));
    let e = p::parse_instance_discovery(&r).expect_err("instance discovery");
    out.push(shown("instance discovery", &e, report(&e)));
    let e = p::parse_jwks(&r).expect_err("jwks");
    out.push(shown("JWKS", &e, report(&e)));
    let e = p::parse_error_response(&r).expect_err("error body");
    out.push(shown("error body", &e, report(&e)));
    let wrong_type = response(
        200,
        json,
        &format!(r#"{{"tenant_discovery_endpoint":"x","metadata":"{REFRESH}"}}"#),
    );
    let e = p::parse_instance_discovery(&wrong_type).expect_err("metadata a string");
    out.push(shown(
        "instance discovery metadata a string",
        &e,
        report(&e),
    ));
    let keys_wrong = response(200, json, &format!(r#"{{"keys":[{{"kty":"{REFRESH}"}}]}}"#));
    let e = p::parse_jwks(&keys_wrong).expect_err("bad key type");
    out.push(shown("JWKS key of an unknown type", &e, report(&e)));
    let e = p::decode_id_token(&id_token_with(&format!(r#"{{"aud":{{"x":"{REFRESH}"}}}}"#)))
        .expect_err("aud an object");
    out.push(shown("id token aud an object", &e, report(&e)));
    let e = p::decode_client_info(&URL_SAFE_NO_PAD.encode(format!(r#"["{REFRESH}"]"#)))
        .expect_err("client_info an array");
    out.push(shown("client_info an array", &e, report(&e)));
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn ws_trust_errors_never_quote_the_assertion() {
    // An answer with an assertion but no token type, on a 500: not a fault, not tokens.
    let rstr = format!(
        r#"<s:Envelope><s:Body><t:RequestSecurityTokenResponse xmlns:t="urn:t"><t:RequestedSecurityToken><saml:Assertion {ASSERTION}>{REFRESH}</saml:Assertion></t:RequestedSecurityToken></t:RequestSecurityTokenResponse></s:Body></s:Envelope>"#
    );
    let mut out = Vec::new();
    for status in [200, 500] {
        let e = p::parse_ws_trust_response(&response(status, "application/soap+xml", &rstr))
            .expect_err("no token type");
        out.push(shown(
            &format!("RSTR without a token type, HTTP {status}"),
            &e,
            report(&e),
        ));
    }
    // Malformed inside the assertion.
    let broken = rstr.replace("</saml:Assertion>", &format!("<x>{REFRESH}</y>"));
    let e = p::parse_ws_trust_response(&response(200, "application/soap+xml", &broken))
        .expect_err("mismatched tags");
    out.push(shown("RSTR with a broken assertion", &e, report(&e)));
    let e = p::parse_mex(&response(404, "application/soap+xml", &rstr)).expect_err("404");
    out.push(shown("MEX 404 with an assertion in it", &e, report(&e)));
    insta::assert_snapshot!(out.join("\n"));
}
