//! Classification of server errors by what the caller does next.

use super::ServerError;

/// What an error means for the caller: the variants follow the next step, not the HTTP
/// status. Decided by AADSTS code first, then `suberror`, then `error` (Entra sends
/// 50079 and 53003 with either `invalid_grant` or `interaction_required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// MFA is required (50076, 50158 external challenge): use an interactive flow with
    /// the claims challenge.
    MfaRequired,
    /// The user must enroll in MFA first (50079, 53004 proof-up).
    MfaEnrollmentRequired,
    /// Consent is missing (65001, 90094); `admin` when the server says only an
    /// administrator can grant it.
    ConsentRequired {
        /// Whether an administrator must grant consent.
        admin: bool,
    },
    /// The password has expired (50055, 50144, suberror `user_password_expired`).
    PasswordExpired,
    /// The account is locked (50053; B2C AADB2C90111, 90114).
    AccountLocked,
    /// The account is disabled (50057).
    AccountDisabled,
    /// Conditional access blocked the sign-in (53000-53003, 530032, ...).
    ConditionalAccessBlocked,
    /// Wrong username or password (50126; B2C AADB2C90225, 90052, 90054).
    InvalidCredentials,
    /// No such user in the directory (50034; B2C AADB2C90053).
    UserNotFound,
    /// The application does not allow public client flows (7000218), or B2C does not
    /// allow it this flow (AADB2C90057, 90058, 90224, 90248).
    PublicClientFlowsNotAllowed,
    /// The application is not known in the tenant (700016; B2C AADB2C90018, 90068,
    /// 90285).
    ApplicationNotFound,
    /// The client secret is wrong or expired (7000215, 7000222).
    InvalidClientSecret,
    /// Another `invalid_client` problem (bad assertion, certificate not registered).
    InvalidClient,
    /// A requested scope is invalid (70011).
    InvalidScope,
    /// The refresh token expired, was revoked or is unusable (70008, 700082, 50173,
    /// suberror `bad_token`): sign in again.
    RefreshTokenExpired,
    /// The tenant does not exist (90002).
    TenantNotFound,
    /// The grant is not allowed at this endpoint (`/common` or `/consumers` with the
    /// password grant: 9001023, 90010).
    GrantNotSupportedAtEndpoint,
    /// The server is throttling (429, 503 with `Retry-After`, 50196).
    Throttled,
    /// The server failed (5xx, `temporarily_unavailable`): retry later.
    ServerUnavailable,
    /// Another error the user can resolve interactively (`interaction_required`, an
    /// unclassified `invalid_grant`).
    InteractionRequired,
    /// `unauthorized_client` without a known code.
    UnauthorizedClient,
    /// `invalid_request` without a known code.
    InvalidRequest,
    /// None of the above.
    Other,
}

/// The `suberror` values Entra sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suberror {
    /// `basic_action`: the user can resolve it (usually MFA).
    BasicAction,
    /// `additional_action`: the user can resolve it with extra steps.
    AdditionalAction,
    /// `message_only`: nothing the user can do; show the message.
    MessageOnly,
    /// `consent_required`.
    ConsentRequired,
    /// `user_password_expired`.
    UserPasswordExpired,
    /// `bad_token`: the refresh token is unusable.
    BadToken,
    /// `token_expired`.
    TokenExpired,
    /// `protection_policy_required`.
    ProtectionPolicyRequired,
    /// `client_mismatch` (FOCI).
    ClientMismatch,
    /// `device_authentication_failed`.
    DeviceAuthenticationFailed,
    /// Any other value, as sent.
    Other(String),
}

impl Suberror {
    /// Parses a suberror, case-insensitively.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "basic_action" => Self::BasicAction,
            "additional_action" => Self::AdditionalAction,
            "message_only" => Self::MessageOnly,
            "consent_required" => Self::ConsentRequired,
            "user_password_expired" => Self::UserPasswordExpired,
            "bad_token" => Self::BadToken,
            "token_expired" => Self::TokenExpired,
            "protection_policy_required" => Self::ProtectionPolicyRequired,
            "client_mismatch" => Self::ClientMismatch,
            "device_authentication_failed" => Self::DeviceAuthenticationFailed,
            _ => Self::Other(s.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::BasicAction => "basic_action",
            Self::AdditionalAction => "additional_action",
            Self::MessageOnly => "message_only",
            Self::ConsentRequired => "consent_required",
            Self::UserPasswordExpired => "user_password_expired",
            Self::BadToken => "bad_token",
            Self::TokenExpired => "token_expired",
            Self::ProtectionPolicyRequired => "protection_policy_required",
            Self::ClientMismatch => "client_mismatch",
            Self::DeviceAuthenticationFailed => "device_authentication_failed",
            Self::Other(s) => s,
        }
    }

    /// Whether the suberror marks an error the caller should surface with its claims
    /// challenge (the set MSAL Node exposes `claims` for).
    pub(crate) fn is_user_actionable(&self) -> bool {
        matches!(
            self,
            Self::BasicAction
                | Self::AdditionalAction
                | Self::MessageOnly
                | Self::ConsentRequired
                | Self::UserPasswordExpired
                | Self::BadToken
        )
    }
}

fn by_code(code: u32, e: &ServerError) -> Option<ErrorClass> {
    use ErrorClass as C;
    Some(match code {
        50196 => C::Throttled,
        50076 | 50158 => C::MfaRequired,
        50079 | 53004 => C::MfaEnrollmentRequired,
        65001 => C::ConsentRequired {
            admin: admin_consent_hinted(e),
        },
        90094 | 90099 => C::ConsentRequired { admin: true },
        50055 | 50144 => C::PasswordExpired,
        50053 => C::AccountLocked,
        50057 => C::AccountDisabled,
        53000..=53003 | 530032 | 530034 | 530035 => C::ConditionalAccessBlocked,
        50126 => C::InvalidCredentials,
        50034 => C::UserNotFound,
        7000218 => C::PublicClientFlowsNotAllowed,
        700016 => C::ApplicationNotFound,
        7000215 | 7000222 => C::InvalidClientSecret,
        70011 => C::InvalidScope,
        70008 | 700082 | 50173 | 700084 | 70043 => C::RefreshTokenExpired,
        90002 => C::TenantNotFound,
        9001023 | 90010 => C::GrantNotSupportedAtEndpoint,
        _ => return None,
    })
}

/// Azure AD B2C's codes (`AADB2Cnnnnn` at the start of the description), by B2C's
/// published error code table. B2C has no code for an unknown policy that this crate
/// knows of; such an answer is classified by its `error` alone.
fn by_b2c_code(code: u32) -> Option<ErrorClass> {
    use ErrorClass as C;
    Some(match code {
        // "The username or password provided in the request are invalid." (ROPC), and
        // "Invalid username or password."
        90225 | 90052 | 90054 => C::InvalidCredentials,
        // "A user with the specified credential could not be found."
        90053 => C::UserNotFound,
        // The application is not allowed this flow: implicit flow (what B2C's ROPC
        // answers), public clients, resource owner flow not enabled, or not an
        // application of the B2C portal.
        90057 | 90058 | 90224 | 90248 => C::PublicClientFlowsNotAllowed,
        // "Your account has been locked." and "... temporarily locked ..."
        90111 | 90114 => C::AccountLocked,
        // The grant expired, was revoked, or its account no longer exists.
        90080 | 90129 | 90128 => C::RefreshTokenExpired,
        90081 => C::InvalidClientSecret,
        // The application is not registered in the tenant, not a B2C application, or
        // not found.
        90018 | 90068 | 90285 => C::ApplicationNotFound,
        // The application "has not been granted consent" for local accounts: an
        // administrator grants it.
        90284 => C::ConsentRequired { admin: true },
        90012 | 90117 | 90146 => C::InvalidScope,
        90244 => C::Throttled,
        90035 | 90048 | 90085 => C::ServerUnavailable,
        _ => return None,
    })
}

/// Whether the description says only an administrator can consent.
fn admin_consent_hinted(e: &ServerError) -> bool {
    let d = e
        .error_description
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "admin consent",
        "admin approval",
        "requires admin",
        "administrator must",
        "need admin",
    ]
    .iter()
    .any(|needle| d.contains(needle))
}

pub(super) fn classify(e: &ServerError) -> ErrorClass {
    use ErrorClass as C;
    if e.status == 429 || (e.status == 503 && e.retry_after.is_some()) {
        return C::Throttled;
    }
    if let Some(class) = e.error_codes.iter().find_map(|c| by_code(*c, e)) {
        return class;
    }
    if e.error_codes.is_empty()
        && let Some(class) = e.aadsts_code().and_then(|c| by_code(c, e))
    {
        return class;
    }
    if let Some(class) = e.aadb2c_code().and_then(by_b2c_code) {
        return class;
    }
    match e.suberror_kind() {
        Some(Suberror::ConsentRequired) => {
            return C::ConsentRequired {
                admin: admin_consent_hinted(e),
            };
        }
        Some(Suberror::UserPasswordExpired) => return C::PasswordExpired,
        Some(Suberror::BadToken | Suberror::TokenExpired) => return C::RefreshTokenExpired,
        Some(Suberror::BasicAction | Suberror::AdditionalAction | Suberror::MessageOnly) => {
            return C::InteractionRequired;
        }
        _ => {}
    }
    match e.error.as_str() {
        "interaction_required" | "invalid_grant" | "login_required" | "consent_required" => {
            C::InteractionRequired
        }
        "invalid_client" => C::InvalidClient,
        "unauthorized_client" => C::UnauthorizedClient,
        "invalid_scope" => C::InvalidScope,
        "invalid_request" => C::InvalidRequest,
        "temporarily_unavailable" | "server_error" => C::ServerUnavailable,
        _ if e.status >= 500 => C::ServerUnavailable,
        _ => C::Other,
    }
}
