//! Compact JWS: RS256 signing with mock-idp's key, and parsing of client assertions.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::keys::SigningKey;

/// A JWT's claims, decided while mock-idp's state was locked and signed once it is
/// released.
#[derive(Debug)]
pub(crate) struct Unsigned(pub Value);

impl Unsigned {
    /// The RS256 JWT of these claims, signed with `key`.
    pub(crate) fn sign(&self, key: &SigningKey) -> String {
        let claims = self.0.to_string();
        // Header, claims and a 2048-bit signature (342 characters), base64url-encoded.
        let mut token = String::with_capacity(key.header.len() + claims.len() * 4 / 3 + 350);
        token.push_str(&key.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signature = key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        token
    }
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
        let token = Unsigned(serde_json::json!({"sub": "x"})).sign(&key);
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.claims["sub"], "x");
        assert_eq!(parsed.header["kid"], key.kid.as_str());
        assert!(parse("a.b").is_none());
        assert!(parse("not a jwt").is_none());
    }
}
