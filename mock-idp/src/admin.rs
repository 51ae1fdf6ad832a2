//! The admin API's wire types, shared by the server (`/_admin/...`) and [`AdminClient`].
//!
//! [`AdminClient`]: crate::AdminClient

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which endpoint a request went to (or a fault applies to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/{tenant}/oauth2/v2.0/token`.
    Token,
    /// `/{tenant}/v2.0/.well-known/openid-configuration`.
    Discovery,
    /// `/common/discovery/instance`.
    InstanceDiscovery,
    /// `/common/userrealm/{username}`.
    UserRealm,
    /// `/{tenant}/discovery/v2.0/keys`.
    Jwks,
    /// Federation metadata (MEX) and WS-Trust endpoints.
    Federation,
    /// Anything else (unknown routes).
    Other,
    /// Any endpoint: only meaningful in a [`Fault`].
    Any,
}

impl Endpoint {
    /// Classifies a request path.
    pub fn of_path(path: &str) -> Self {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with("/oauth2/v2.0/token")
            || lower.trim_end_matches('/') == "/adfs/oauth2/token"
        {
            Self::Token
        } else if lower.ends_with("/v2.0/.well-known/openid-configuration")
            || lower == "/adfs/.well-known/openid-configuration"
        {
            Self::Discovery
        } else if lower == "/adfs/discovery/keys" {
            Self::Jwks
        } else if lower == "/common/discovery/instance" {
            Self::InstanceDiscovery
        } else if lower.starts_with("/common/userrealm/") {
            Self::UserRealm
        } else if lower.ends_with("/discovery/v2.0/keys") {
            Self::Jwks
        } else if lower.starts_with("/adfs/") || lower.starts_with("/msa/") {
            Self::Federation
        } else {
            Self::Other
        }
    }
}

/// One request mock-idp received (admin requests are not recorded), with every secret
/// replaced by `[REDACTED]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// 0, 1, 2, ... in arrival order.
    pub seq: u64,
    /// The endpoint it went to.
    pub endpoint: Endpoint,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, as sent (a segment holding a password redacted).
    pub path: String,
    /// Query parameters, decoded, secrets redacted.
    pub query: Vec<(String, String)>,
    /// Headers (lowercase names); every credential (`authorization`,
    /// `proxy-authorization`, `cookie`, API keys, ...) redacted.
    pub headers: Vec<(String, String)>,
    /// Form fields of a form body, decoded, secrets redacted; empty for an XML body.
    pub form: Vec<(String, String)>,
    /// Whether the body or query carried any fixture user's password, in any form
    /// (checked before redaction).
    pub carried_password: bool,
    /// The status mock-idp answered with (0 for a dropped connection).
    pub status: u16,
    /// When, by the mock clock (seconds since the Unix epoch).
    pub received_at: u64,
}

impl RecordedRequest {
    /// The first form field named `name`.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Grant or revoke consent for an app in a tenant, for everyone or one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    /// The tenant id (or one of its domains).
    pub tenant: String,
    /// The app's client id.
    pub client_id: String,
    /// `None`: tenant-wide (admin) consent; `Some(username)`: that user only.
    pub user: Option<String>,
    /// Scopes, bare (`User.Read`) or with the resource URI.
    pub scopes: Vec<String>,
}

/// Changes to a user's state; `None` leaves a field as it is.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStateChange {
    /// A new password (revokes the user's refresh tokens, as Entra does).
    pub password: Option<String>,
    /// Whether an MFA method is registered.
    pub mfa_registered: Option<bool>,
    /// Per-user MFA.
    pub mfa_required: Option<bool>,
    /// Locked out.
    pub locked: Option<bool>,
    /// Disabled.
    pub disabled: Option<bool>,
    /// Password expired.
    pub password_expired: Option<bool>,
}

impl fmt::Debug for UserStateChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserStateChange")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("mfa_registered", &self.mfa_registered)
            .field("mfa_required", &self.mfa_required)
            .field("locked", &self.locked)
            .field("disabled", &self.disabled)
            .field("password_expired", &self.password_expired)
            .finish()
    }
}

/// What a fault does to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this status and an Entra-shaped error, with `Retry-After` if given.
    Status {
        /// The HTTP status, e.g. 429 or 503.
        status: u16,
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Wait this long (real time), then answer normally.
    Delay {
        /// Milliseconds.
        millis: u64,
    },
    /// Answer 200 with a truncated JSON body.
    Malformed,
    /// Close the connection without an answer.
    Drop,
}

/// A fault for the next `count` requests to `endpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// How many requests it affects.
    pub count: u32,
    /// What it does.
    pub action: FaultAction,
}

/// The mock clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// Seconds since the Unix epoch.
    pub now: u64,
    /// The same, RFC 3339.
    pub rfc3339: String,
}

/// The answer to a refresh token revocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    /// How many refresh tokens were revoked.
    pub revoked: usize,
}

/// The body of a clock advance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advance {
    /// Seconds to move forward.
    pub seconds: u64,
}
