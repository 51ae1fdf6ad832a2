//! Compact JWS: RS256 signing with mock-idp's key, and parsing of client assertions.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::keys::SigningKey;

/// Signs `claims` as an RS256 JWT with `key`.
pub(crate) fn sign(key: &SigningKey, claims: &Value) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": key.kid});
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// A JWT split into its parts; nothing verified yet.
pub(crate) struct Parsed<'a> {
    pub header: Value,
    pub claims: Value,
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS. `None` when it is not one.
pub(crate) fn parse(token: &str) -> Option<Parsed<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, claims) = signing_input.split_once('.')?;
    let decode = |part: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(Value::is_object)
    };
    Some(Parsed {
        header: decode(header)?,
        claims: decode(claims)?,
        signing_input,
        signature: URL_SAFE_NO_PAD
            .decode(signature.trim_end_matches('='))
            .ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_parses_back() {
        let key = SigningKey::for_seed(Some(1)).unwrap();
        let token = sign(&key, &serde_json::json!({"sub": "x"}));
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.claims["sub"], "x");
        assert_eq!(parsed.header["kid"], key.kid.as_str());
        assert!(parse("a.b").is_none());
        assert!(parse("not a jwt").is_none());
    }
}
