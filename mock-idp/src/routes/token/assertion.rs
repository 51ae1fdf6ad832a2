//! Client assertions (RFC 7523): an RS256 JWT signed by one of the app's certificates,
//! found by `x5t#S256` or `x5t`, with `iss` = `sub` = client id, `aud` = the token
//! endpoint, and `exp`/`nbf` valid by the mock clock (5 minutes of skew).

use serde_json::Value;

use crate::clock::{MAX_INSTANT, later};
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::{App, AppCertificate};
use crate::jwt;

const SKEW: u64 = 300;

fn malformed(detail: &str) -> EntraError {
    EntraError::invalid_client(
        50027,
        format!("JWT token is invalid or malformed. {detail}"),
    )
}

fn audience_ok(aud: &Value, accepted: &[String]) -> bool {
    let matches = |v: &Value| {
        v.as_str().is_some_and(|s| {
            let s = s.trim_end_matches('/');
            accepted.iter().any(|a| a.eq_ignore_ascii_case(s))
        })
    };
    match aud {
        Value::Array(items) => items.iter().any(matches),
        other => matches(other),
    }
}

pub(super) fn verify(
    token: &str,
    app: &App,
    certificates: &[AppCertificate],
    ctx: &RequestCtx,
    segment: &str,
) -> Result<(), EntraError> {
    let parsed = jwt::parse(token).ok_or_else(|| malformed("It is not a compact JWS."))?;
    let alg = parsed
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg != "RS256" {
        return Err(EntraError::invalid_client(
            5002738,
            format!("Invalid JWT token. '{alg}' is not a supported signature algorithm."),
        ));
    }
    let s256 = parsed.header.get("x5t#S256").and_then(Value::as_str);
    let sha1 = parsed.header.get("x5t").and_then(Value::as_str);
    let certificate = certificates.iter().find(|c| {
        s256.is_some_and(|t| t.trim_end_matches('=') == c.x5t_s256)
            || sha1.is_some_and(|t| t.trim_end_matches('=') == c.x5t)
    });
    let Some(certificate) = certificate else {
        return Err(EntraError::invalid_client(
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not \
                 registered on application. [Reason - The key was not found., Thumbprint of key \
                 used by client: '{}', Please visit the Azure Portal, Graph Explorer or directly \
                 use MS Graph to see configured keys for app Id '{}'.]",
                s256.or(sha1).unwrap_or_default(),
                app.client_id
            ),
        ));
    };
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &certificate.rsa_public_key,
    )
    .verify(parsed.signing_input.as_bytes(), &parsed.signature)
    .map_err(|_| {
        EntraError::invalid_client(700027, "Client assertion failed signature validation.")
    })?;
    let claim = |name: &str| {
        parsed
            .claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    if !claim("iss").eq_ignore_ascii_case(&app.client_id)
        || !claim("sub").eq_ignore_ascii_case(&app.client_id)
    {
        return Err(EntraError::invalid_client(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let base = ctx.base();
    let accepted = [
        format!("{base}/{segment}/oauth2/v2.0/token"),
        format!("{base}/{segment}/v2.0"),
    ];
    if !audience_ok(parsed.claims.get("aud").unwrap_or(&Value::Null), &accepted) {
        return Err(malformed("The audience is not this token endpoint."));
    }
    // A time past the clock's last instant (9999-12-31) is no time at all: malformed.
    let instant = |name: &str| match parsed.claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|t| *t <= MAX_INSTANT)
            .map(Some)
            .ok_or_else(|| malformed(&format!("'{name}' is not a valid time."))),
    };
    let exp = instant("exp")?.ok_or_else(|| malformed("'exp' is missing."))?;
    let nbf = instant("nbf")?.unwrap_or(0);
    let expired = later(exp, SKEW).is_none_or(|end| ctx.now > end);
    let not_yet = later(ctx.now, SKEW).is_none_or(|start| nbf > start);
    if expired || not_yet {
        return Err(EntraError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion \
                 valid from {}, expiry time of assertion {}.",
                crate::clock::rfc3339(ctx.now),
                crate::clock::rfc3339(nbf),
                crate::clock::rfc3339(exp)
            ),
        ));
    }
    Ok(())
}
