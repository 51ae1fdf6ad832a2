//! What a successful acquisition returns: [`AuthenticationResult`] and [`Account`].

use std::fmt;
use std::time::SystemTime;

use entra_protocol::IdTokenClaims;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// An access token. Its `Debug` prints `[REDACTED]`; read it with
/// [`AccessToken::secret`] at the one place it goes into an `Authorization` header.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    pub(crate) fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// The token itself, e.g. for `Authorization: Bearer {token}`.
    pub fn secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// Served from the token cache without any request.
    Cache,
    /// Issued by the identity provider for this call.
    IdentityProvider,
}

/// A signed-in account, as kept in the token cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The account's id across tenants: `{object id}.{tenant id}`.
    pub home_account_id: String,
    /// The identity provider's host (`login.microsoftonline.com`).
    pub environment: String,
    /// The tenant the account signed in to, as the cache records it.
    pub realm: String,
    /// The sign-in name (`alice@contoso.com`).
    pub username: String,
    /// The object id in that tenant, when known.
    pub local_account_id: Option<String>,
}

impl From<entra_cache::AccountEntry> for Account {
    fn from(account: entra_cache::AccountEntry) -> Self {
        Self {
            home_account_id: account.home_account_id,
            environment: account.environment,
            realm: account.realm,
            username: account.username.unwrap_or_default(),
            local_account_id: account.local_account_id,
        }
    }
}

/// A token and what is known about it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthenticationResult {
    /// The access token (redacted in `Debug`).
    pub access_token: AccessToken,
    /// `Bearer`.
    pub token_type: String,
    /// When the access token expires.
    pub expires_on: SystemTime,
    /// When the cache will try to renew it early (from the server's `refresh_in`).
    pub refresh_on: Option<SystemTime>,
    /// The scopes the token was granted for.
    pub scopes: Vec<String>,
    /// The id token's claims, when there is one.
    pub id_token_claims: Option<IdTokenClaims>,
    /// The account, for later silent calls.
    pub account: Option<Account>,
    /// Whether the token came from the cache or the identity provider.
    pub token_source: TokenSource,
    /// The correlation id of the call (sent as `client-request-id`).
    pub correlation_id: Uuid,
}
