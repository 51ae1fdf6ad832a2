//! The token endpoint's success answer.

use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;

use crate::client_info::{ClientInfo, decode_client_info};
use crate::error::ProtocolError;
use crate::id_token::{IdTokenClaims, decode_id_token};
use crate::wire;

/// An id token: the raw JWT (kept for the cache, hidden from Debug) and its claims.
#[derive(Clone)]
pub struct IdToken {
    /// The JWT as received.
    pub raw: String,
    /// Its decoded claims (signature not checked; see [`crate::verify_id_token`]).
    pub claims: IdTokenClaims,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdToken")
            .field("raw", &"[REDACTED]")
            .field("claims", &self.claims)
            .finish()
    }
}

/// A successful token response. `Debug` never shows the tokens.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// `token_type` (`Bearer`).
    pub token_type: String,
    /// `access_token`.
    pub access_token: SecretString,
    /// `refresh_token`, if one was issued.
    pub refresh_token: Option<SecretString>,
    /// `id_token`, decoded.
    pub id_token: Option<IdToken>,
    /// `client_info`, decoded.
    pub client_info: Option<ClientInfo>,
    /// `scope`, split on whitespace, as granted.
    pub scopes: Option<Vec<String>>,
    /// `expires_in` in seconds (a number or a numeric string on the wire), at most
    /// [`MAX_LIFETIME_SECS`].
    pub expires_in: u64,
    /// `ext_expires_in`, seconds, at most [`MAX_LIFETIME_SECS`].
    pub ext_expires_in: Option<u64>,
    /// `refresh_in`, seconds, at most [`MAX_LIFETIME_SECS`]: refresh proactively after this.
    pub refresh_in: Option<u64>,
    /// `foci`: the family id (`1`) when the app belongs to the Microsoft family.
    pub foci: Option<String>,
}

impl TokenResponse {
    /// `uid.utid` from `client_info`, else the id token's `sub` (ADFS sends no
    /// client_info), as MSAL does.
    pub fn home_account_id(&self) -> Option<String> {
        self.client_info
            .as_ref()
            .map(ClientInfo::home_account_id)
            .or_else(|| self.id_token.as_ref().and_then(|t| t.claims.sub.clone()))
    }
}

/// The wire shape; `expires_in` etc. may be strings.
#[derive(Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    token_type: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    id_token: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    client_info: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    ext_expires_in: Option<u64>,
    #[serde(default, deserialize_with = "wire::de_opt_u64")]
    refresh_in: Option<u64>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    foci: Option<String>,
}

/// The lifetime MSAL assumes when `expires_in` is absent.
const DEFAULT_EXPIRES_IN: u64 = 600;

/// The longest `expires_in`, `ext_expires_in` or `refresh_in` a token response may
/// carry: ten years of 365 days. Entra's tokens live hours; a longer value (`1e300`,
/// which reads as `u64::MAX`) is a broken or hostile server, and
/// [`parse_token_response`] refuses it with [`ProtocolError::Json`] before the caller
/// can store anything. Within the bound, `now + lifetime` fits every time type.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// `value` of the lifetime field `field`, refused past [`MAX_LIFETIME_SECS`].
fn lifetime(
    value: Option<u64>,
    what: &'static str,
    field: &str,
) -> Result<Option<u64>, ProtocolError> {
    match value {
        Some(seconds) if seconds > MAX_LIFETIME_SECS => Err(ProtocolError::Json {
            what,
            message: format!(
                "`{field}` is more than ten years ({MAX_LIFETIME_SECS} seconds), the longest \
                 lifetime accepted"
            ),
        }),
        other => Ok(other),
    }
}

/// Parses a token endpoint response: tokens on success, [`ProtocolError::Server`] for an
/// Entra error body (any status), [`ProtocolError::UnexpectedResponse`] for a body that
/// is not JSON (an HTML 503 page), [`ProtocolError::Json`] for a lifetime that is
/// negative, not a number, or past [`MAX_LIFETIME_SECS`].
pub fn parse_token_response(r: &http::Response<Vec<u8>>) -> Result<TokenResponse, ProtocolError> {
    const WHAT: &str = "token response";
    let v = wire::json_object(r, WHAT)?;
    let b: Body = wire::from_value(v, WHAT)?;
    let expires_in = lifetime(b.expires_in, WHAT, "expires_in")?;
    let ext_expires_in = lifetime(b.ext_expires_in, WHAT, "ext_expires_in")?;
    let refresh_in = lifetime(b.refresh_in, WHAT, "refresh_in")?;
    let access_token =
        b.access_token
            .filter(|t| !t.is_empty())
            .ok_or(ProtocolError::MissingField {
                what: WHAT,
                field: "access_token",
            })?;
    let id_token = match b.id_token.filter(|t| !t.is_empty()) {
        Some(raw) => Some(IdToken {
            claims: decode_id_token(&raw)?,
            raw,
        }),
        None => None,
    };
    let client_info = match b.client_info.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_client_info(&c)?),
        None => None,
    };
    Ok(TokenResponse {
        token_type: b.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        access_token: SecretString::from(access_token),
        refresh_token: b
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        id_token,
        client_info,
        scopes: b
            .scope
            .map(|s| s.split_whitespace().map(str::to_owned).collect()),
        expires_in: expires_in.unwrap_or(DEFAULT_EXPIRES_IN),
        ext_expires_in,
        refresh_in,
        foci: b.foci.filter(|f| !f.is_empty()),
    })
}
