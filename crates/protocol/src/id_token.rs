//! Id tokens: decoding the claims, checking the audience, and an optional signature
//! check against the JWKS.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::client_info::decode_base64_lenient;
use crate::error::ProtocolError;
use crate::wire;

/// The claims of an id token this library reads; the others are in `extra`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IdTokenClaims {
    /// `aud`: the client id (one value, or the first of a list).
    #[serde(deserialize_with = "de_aud")]
    pub aud: String,
    /// `iss`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub iss: Option<String>,
    /// `iat` (unix seconds).
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    pub iat: Option<u64>,
    /// `nbf` (unix seconds).
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    pub nbf: Option<u64>,
    /// `exp` (unix seconds).
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    pub exp: Option<u64>,
    /// `sub`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub sub: Option<String>,
    /// `oid`: the user's object id.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub oid: Option<String>,
    /// `tid`: the tenant the token was issued in.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub tid: Option<String>,
    /// `preferred_username`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub preferred_username: Option<String>,
    /// `upn` (v1 and ADFS tokens).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub upn: Option<String>,
    /// `email`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub email: Option<String>,
    /// `name`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub name: Option<String>,
    /// `ver` (`2.0`).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub ver: Option<String>,
    /// Every other claim. A claim's value is any JSON, so it is a `serde_json::Value`,
    /// the JSON type of the serde ecosystem this crate's parsers already speak.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn de_aud<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Array(items) => items
            .into_iter()
            .find_map(|i| i.as_str().map(str::to_owned))
            .ok_or_else(|| D::Error::custom("a list without a string")),
        _ => Err(D::Error::custom("not a string or a list of strings")),
    }
}

impl IdTokenClaims {
    /// The username to show and cache: `preferred_username`, else `upn`, else `email`.
    pub fn username(&self) -> Option<&str> {
        self.preferred_username
            .as_deref()
            .or(self.upn.as_deref())
            .or(self.email.as_deref())
    }

    /// The account's local id: `oid`, else `sub`.
    pub fn local_account_id(&self) -> Option<&str> {
        self.oid.as_deref().or(self.sub.as_deref())
    }

    /// Refuses a token whose `aud` is not `client_id` (exact, as MSAL does).
    pub fn check_audience(&self, client_id: &str) -> Result<(), ProtocolError> {
        if self.aud == client_id {
            Ok(())
        } else {
            Err(ProtocolError::InvalidIdToken {
                reason: format!("audience {:?} is not the client id {client_id:?}", self.aud),
            })
        }
    }

    /// Whether `now` lies within `nbf..exp`, widened by `skew_secs` each side.
    pub fn is_current(&self, now: SystemTime, skew_secs: u64) -> bool {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let after_nbf = self
            .nbf
            .is_none_or(|nbf| now.saturating_add(skew_secs) >= nbf);
        let before_exp = self
            .exp
            .is_none_or(|exp| now <= exp.saturating_add(skew_secs));
        after_nbf && before_exp
    }
}

/// Decodes an id token's claims without checking its signature (as MSAL does).
pub fn decode_id_token(raw: &str) -> Result<IdTokenClaims, ProtocolError> {
    let invalid = |reason: String| ProtocolError::InvalidIdToken { reason };
    let mut parts = raw.trim().split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err(invalid("not a JWT of three dot-separated parts".to_owned())),
    };
    let bytes = decode_base64_lenient(payload)
        .map_err(|e| invalid(format!("payload is not base64url: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("payload is not JSON: {}", wire::serde_message(&e))))?;
    if !value.is_object() {
        return Err(invalid(format!(
            "payload is {}, not a JSON object",
            wire::json_kind(&value)
        )));
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| invalid(format!("payload: {}", wire::field_message(&e))))
}

/// Checks an id token's RS256 signature against a JWKS, its `aud` against `client_id`
/// and its lifetime against `now` (with `skew_secs` leeway), then returns its claims.
/// The issuer is not checked (it varies with `organizations`).
pub fn verify_id_token(
    raw: &str,
    jwks: &crate::Jwks,
    client_id: &str,
    now: SystemTime,
    skew_secs: u64,
) -> Result<IdTokenClaims, ProtocolError> {
    let invalid = |reason: String| ProtocolError::InvalidIdToken { reason };
    let header =
        jsonwebtoken::decode_header(raw.trim()).map_err(|e| invalid(format!("header: {e}")))?;
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return Err(invalid(format!("algorithm {:?} is not RS256", header.alg)));
    }
    let kid = header
        .kid
        .ok_or_else(|| invalid("header has no `kid`".to_owned()))?;
    let jwk = jwks
        .0
        .find(&kid)
        .ok_or_else(|| invalid(format!("no key {kid:?} in the JWKS")))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
        .map_err(|e| invalid(format!("key {kid:?}: {e}")))?;
    // Time and audience are checked below with the caller's clock, never the system's.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(raw.trim(), &key, &validation)
        .map_err(|e| invalid(format!("signature: {e}")))?;
    let claims = decode_id_token(raw)?;
    claims.check_audience(client_id)?;
    if !claims.is_current(now, skew_secs) {
        return Err(invalid("expired or not yet valid".to_owned()));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn unsigned(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn entra_v2_claims_decode() {
        let raw = unsigned(
            r#"{"aud":"00001111-aaaa-2222-bbbb-3333cccc4444","iss":"https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0","iat":1700000000,"nbf":1700000000,"exp":"1700003600","name":"Alice Example","oid":"00000000-0000-0000-aaaa-000000000001","preferred_username":"alice@contoso.com","rh":"0.AAA","sub":"s1","tid":"aaaabbbb-0000-cccc-1111-dddd2222eeee","uti":"x","ver":"2.0"}"#,
        );
        let c = decode_id_token(&raw).unwrap();
        assert_eq!(c.username(), Some("alice@contoso.com"));
        assert_eq!(
            c.local_account_id(),
            Some("00000000-0000-0000-aaaa-000000000001")
        );
        assert_eq!(c.exp, Some(1_700_003_600));
        assert!(c.extra.contains_key("rh"));
        c.check_audience("00001111-aaaa-2222-bbbb-3333cccc4444")
            .unwrap();
        assert!(c.check_audience("someone-else").is_err());
        let at = |s| UNIX_EPOCH + std::time::Duration::from_secs(s);
        assert!(c.is_current(at(1_700_000_100), 0));
        assert!(!c.is_current(at(1_700_003_700), 0));
        assert!(c.is_current(at(1_700_003_700), 120));
    }

    #[test]
    fn adfs_claims_with_upn_and_aud_list() {
        let c = decode_id_token(&unsigned(
            r#"{"aud":["c1","c2"],"upn":"bob@fabrikam.com","sub":"s"}"#,
        ))
        .unwrap();
        assert_eq!(c.aud, "c1");
        assert_eq!(c.username(), Some("bob@fabrikam.com"));
        assert_eq!(c.local_account_id(), Some("s"));
    }

    #[test]
    fn malformed_tokens_give_reasons() {
        let cases = [
            "abc".to_owned(),
            "a.b.c.d".to_owned(),
            "a.!!!.c".to_owned(),
            unsigned("[1]"),
            unsigned(r#"{"sub":"x"}"#),
        ];
        let out: Vec<String> = cases
            .iter()
            .map(|c| decode_id_token(c).unwrap_err().to_string())
            .collect();
        insta::assert_snapshot!(out.join("\n"));
    }

    fn signed(claims: &serde_json::Value, kid: &str) -> String {
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../tests/data/client-key.pem"))
                .unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    fn jwks() -> crate::Jwks {
        crate::Jwks(serde_json::from_str(include_str!("../tests/data/jwks.json")).unwrap())
    }

    #[test]
    fn signature_checked_against_jwks_with_the_callers_clock() {
        let claims = serde_json::json!({"aud": "cid", "iss": "https://h/t/v2.0", "sub": "s", "oid": "o", "tid": "t", "nbf": 1_700_000_000u64, "exp": 1_700_003_600u64});
        let raw = signed(&claims, "test-key-1");
        let at = |s| UNIX_EPOCH + std::time::Duration::from_secs(s);
        let c = verify_id_token(&raw, &jwks(), "cid", at(1_700_000_100), 0).unwrap();
        assert_eq!(c.oid.as_deref(), Some("o"));
        let err = |r: Result<IdTokenClaims, ProtocolError>| r.unwrap_err().to_string();
        insta::assert_snapshot!(err(verify_id_token(&raw, &jwks(), "other", at(1_700_000_100), 0)), @r#"invalid id token: audience "cid" is not the client id "other""#);
        insta::assert_snapshot!(err(verify_id_token(&raw, &jwks(), "cid", at(1_800_000_000), 120)), @"invalid id token: expired or not yet valid");
        insta::assert_snapshot!(err(verify_id_token(&signed(&claims, "nope"), &jwks(), "cid", at(1_700_000_100), 0)), @r#"invalid id token: no key "nope" in the JWKS"#);
        let mut parts: Vec<&str> = raw.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"aud":"cid","sub":"evil"}"#);
        parts[1] = &forged;
        assert!(
            err(verify_id_token(
                &parts.join("."),
                &jwks(),
                "cid",
                at(1_700_000_100),
                0
            ))
            .starts_with("invalid id token: signature")
        );
    }
}
