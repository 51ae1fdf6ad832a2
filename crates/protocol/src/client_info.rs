//! `client_info`: base64url JSON `{"uid": ..., "utid": ...}` naming the home account.

use base64::Engine;
use serde::Deserialize;

use crate::error::ProtocolError;
use crate::wire;

/// The decoded `client_info` of a token response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientInfo {
    /// The user's object id in its home tenant.
    #[serde(deserialize_with = "required_string")]
    pub uid: String,
    /// The home tenant id.
    #[serde(deserialize_with = "required_string")]
    pub utid: String,
}

fn required_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    wire::de_opt_string(d)?.ok_or_else(|| D::Error::custom("expected a string"))
}

impl ClientInfo {
    /// `uid.utid`, the account key MSAL caches use.
    pub fn home_account_id(&self) -> String {
        format!("{}.{}", self.uid, self.utid)
    }
}

/// Decodes base64 text, url-safe or standard alphabet, padded or not.
pub(crate) fn decode_base64_lenient(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let trimmed = s.trim().trim_end_matches('=');
    let normalized: String = trimmed
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(normalized)
}

/// Decodes a `client_info` value.
///
/// ```
/// let info = entra_protocol::decode_client_info("eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9")?;
/// assert_eq!(info.home_account_id(), "u1.t1");
/// # Ok::<(), entra_protocol::ProtocolError>(())
/// ```
pub fn decode_client_info(encoded: &str) -> Result<ClientInfo, ProtocolError> {
    let bytes = decode_base64_lenient(encoded).map_err(|e| ProtocolError::InvalidClientInfo {
        reason: format!("not base64url: {e}"),
    })?;
    let invalid = |reason: String| ProtocolError::InvalidClientInfo { reason };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("not JSON: {}", wire::serde_message(&e))))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        invalid(format!(
            "not a JSON object with uid and utid: {}",
            wire::field_message(&e)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    #[test]
    fn a_b2c_client_info_gives_the_policy_keyed_home_account_id() {
        // B2C's uid is `{object id}-{policy}` (the policy lower-cased by B2C); MSAL keys
        // the account `{uid}.{utid}` without changing either.
        let encoded = URL_SAFE_NO_PAD.encode(
            r#"{"uid":"00000000-0000-0000-aaaa-000000000001-b2c_1_ropc_auth","utid":"aaaabbbb-0000-cccc-1111-dddd2222eeee"}"#,
        );
        assert_eq!(
            decode_client_info(&encoded).unwrap().home_account_id(),
            "00000000-0000-0000-aaaa-000000000001-b2c_1_ropc_auth.aaaabbbb-0000-cccc-1111-dddd2222eeee"
        );
    }

    #[test]
    fn unpadded_base64url_gives_home_account_id() {
        let encoded = URL_SAFE_NO_PAD.encode(
            r#"{"uid":"00000000-0000-0000-aaaa-000000000001","utid":"aaaabbbb-0000-cccc-1111-dddd2222eeee"}"#,
        );
        let info = decode_client_info(&encoded).unwrap();
        assert_eq!(
            info.home_account_id(),
            "00000000-0000-0000-aaaa-000000000001.aaaabbbb-0000-cccc-1111-dddd2222eeee"
        );
    }

    #[test]
    fn padded_standard_base64_is_accepted() {
        let encoded = STANDARD.encode(r#"{"uid":"u>?","utid":"t"}"#);
        assert_eq!(decode_client_info(&encoded).unwrap().uid, "u>?");
    }

    #[test]
    fn errors_name_the_problem() {
        insta::assert_snapshot!(decode_client_info("!!!").unwrap_err(), @"invalid client_info: not base64url: Invalid symbol 33, offset 0.");
        let no_utid = URL_SAFE_NO_PAD.encode(r#"{"uid":"u"}"#);
        insta::assert_snapshot!(decode_client_info(&no_utid).unwrap_err(), @"invalid client_info: not a JSON object with uid and utid: missing field `utid`");
    }
}
