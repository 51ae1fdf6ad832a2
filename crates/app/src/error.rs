//! [`AuthError`]: one error type whose variants say what the caller should do next.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_cache::CacheError;
use entra_http::HttpError;
use entra_protocol::{ErrorClass, ProtocolError, ServerError};
use uuid::Uuid;

/// Why a token could not be acquired, by what the caller should do next.
///
/// Variants caused by an Entra answer keep the whole server error (AADSTS code,
/// `error`, `suberror`, `claims`, trace and correlation ids) in a boxed
/// [`ServerError`]; [`AuthError::server`] reaches it whatever the variant. That server
/// answer is data of the variant and is printed in its `Display`; a failure of a layer
/// below (the transport, a parser, the cache) is the error's
/// [`source`](std::error::Error::source) instead, and is never repeated in the
/// `Display`: print the whole chain (anyhow's `{:#}`, or walk `source()`) to see it.
///
/// ```
/// # fn handle(error: entra_auth::AuthError) {
/// if error.is_interaction_required() {
///     // Switch to an interactive flow, passing `error.claims()` when present.
/// }
/// # }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The user has a personal Microsoft account (outlook.com, hotmail.com, live.com,
    /// ...). Found by user realm discovery; the password was never sent.
    #[error(
        "{} is a personal Microsoft account; username/password sign-in works only \
         for work or school accounts. Use an interactive flow (authorization code or device \
         code) for personal accounts. The password was not sent.",
        username.as_deref().unwrap_or("the account")
    )]
    PersonalAccountNotSupported {
        /// The username given, only when the application was built with
        /// `pii_logging(true)`: by default an error never carries personal data, in its
        /// `Display` or its `Debug`.
        username: Option<String>,
    },

    /// The application is configured with the `consumers` tenant, which only personal
    /// Microsoft accounts use.
    #[error(
        "the `consumers` authority serves only personal Microsoft accounts, which cannot use \
         username/password sign-in. Configure `organizations` or your tenant id instead."
    )]
    ConsumersTenantNotSupported,

    /// The tenant's policy requires multi-factor authentication, which this flow cannot
    /// perform.
    #[error(
        "multi-factor authentication is required by the tenant's policy; this flow cannot \
         satisfy it. Use an interactive flow and pass the claims challenge from \
         `AuthError::claims()`. ({server})"
    )]
    MfaRequired {
        /// The server's answer (AADSTS50076, 50158, ...).
        server: Box<ServerError>,
    },

    /// The user must register for multi-factor authentication before signing in.
    #[error(
        "the user must enroll in multi-factor authentication before signing in; this flow \
         cannot do it. Have the user sign in interactively once (passing the claims \
         challenge from `AuthError::claims()`) to register. ({server})"
    )]
    MfaEnrollmentRequired {
        /// The server's answer (AADSTS50079, ...).
        server: Box<ServerError>,
    },

    /// Nobody has consented to the application using the requested scopes.
    #[error(
        "consent is missing for the requested scopes; this flow cannot ask for it. {} ({server})",
        if *admin_consent_required {
            "An administrator must grant admin consent to the application for these scopes."
        } else {
            "The user (or an administrator, for everyone) must consent once in an interactive \
             flow, or request only scopes already consented to."
        }
    )]
    ConsentRequired {
        /// Whether only an administrator can grant it.
        admin_consent_required: bool,
        /// The server's answer (AADSTS65001, ...).
        server: Box<ServerError>,
    },

    /// The user's password has expired.
    #[error(
        "the user's password has expired; the user must change it (interactively, or at the \
         password change URL the server gave) before signing in again. ({server})"
    )]
    PasswordExpired {
        /// The server's answer (AADSTS50055, ...).
        server: Box<ServerError>,
    },

    /// The account is locked, usually after too many wrong passwords.
    #[error(
        "the account is locked (too many failed sign-ins, or a sign-in from a blocked IP); \
         wait and retry later, or ask an administrator to unlock it. ({server})"
    )]
    AccountLocked {
        /// The server's answer (AADSTS50053).
        server: Box<ServerError>,
    },

    /// The account is disabled by an administrator.
    #[error("the account is disabled; an administrator must enable it. ({server})")]
    AccountDisabled {
        /// The server's answer (AADSTS50057).
        server: Box<ServerError>,
    },

    /// A conditional access policy blocked the sign-in.
    #[error(
        "a conditional access policy of the tenant blocked this sign-in; retrying will not \
         help. Ask the tenant's administrator which policy applies (see the trace id). \
         ({server})"
    )]
    ConditionalAccessBlocked {
        /// The server's answer (AADSTS53003, ...).
        server: Box<ServerError>,
    },

    /// The username or password is wrong.
    #[error("the username or password is incorrect; ask the user to re-enter them. ({server})")]
    InvalidCredentials {
        /// The server's answer (AADSTS50126, or a WS-Trust fault).
        server: Box<ServerError>,
    },

    /// No such user in the tenant.
    #[error(
        "the user does not exist in the tenant; check the username, or the authority (a \
         guest user needs the tenant id of the directory that invited them). ({server})"
    )]
    UserNotFound {
        /// The server's answer (AADSTS50034).
        server: Box<ServerError>,
    },

    /// The tenant in the authority does not exist.
    #[error("the tenant does not exist; check the authority's tenant id or domain. ({server})")]
    TenantNotFound {
        /// The server's answer (AADSTS90002).
        server: Box<ServerError>,
    },

    /// The app registration does not allow public client flows.
    #[error(
        "the application does not allow public client flows; enable \"Allow public client \
         flows\" in its app registration (Authentication blade), or use a confidential client \
         with a secret or certificate. For Azure AD B2C, also sign in through a resource \
         owner password credentials user flow (the authority's policy). ({server})"
    )]
    PublicClientFlowsNotAllowed {
        /// The server's answer (AADSTS7000218; B2C AADB2C90057, ...).
        server: Box<ServerError>,
    },

    /// The client id is unknown in the tenant.
    #[error(
        "the application (client id) is not registered in this tenant; check the client id \
         and the authority, or have an administrator consent to it in this tenant. ({server})"
    )]
    ApplicationNotFound {
        /// The server's answer (AADSTS700016).
        server: Box<ServerError>,
    },

    /// The confidential client's secret or certificate was refused.
    #[error(
        "the client secret or certificate was rejected; check that it matches the app \
         registration and has not expired. ({server})"
    )]
    InvalidClientCredential {
        /// The server's answer (AADSTS7000215, 7000222, ...).
        server: Box<ServerError>,
    },

    /// A requested scope is not valid.
    #[error("a requested scope is invalid; check the scope names and the resource. ({server})")]
    InvalidScope {
        /// The server's answer (AADSTS70011).
        server: Box<ServerError>,
    },

    /// A silent call cannot get a token without the user: no usable refresh token in
    /// the cache, or the refresh token has expired or been revoked.
    #[error(
        "the user must sign in again: {reason}.{} Call acquire_token_by_username_password (or \
         an interactive flow) for this account.",
        server.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
    )]
    InteractionRequired {
        /// Why, in a few words.
        reason: &'static str,
        /// The server's answer, when the refresh token was refused.
        server: Option<Box<ServerError>>,
    },

    /// The server is throttling this client: it said so in its answer to this call, or
    /// in its answer to an earlier call for the same client, authority, scopes and
    /// account, whose `Retry-After` has not passed (then nothing was sent).
    #[error(
        "the identity provider is throttling requests{}; {}, and serve tokens from the cache \
         with acquire_token_silent meanwhile.{}",
        if *remembered {
            " (it asked an earlier call to wait, so this call sent no request)"
        } else {
            ""
        },
        match retry_after {
            Some(wait) => format!("retry in {} s at the earliest", whole_seconds(*wait)),
            None => "wait before retrying (a minute, as the server gave no time)".to_owned(),
        },
        server.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
    )]
    Throttled {
        /// How long to wait before calling again, if the server said.
        retry_after: Option<Duration>,
        /// Whether the wait was remembered from an earlier answer: no request was sent.
        remembered: bool,
        /// The server's answer, if it was an OAuth error body.
        server: Option<Box<ServerError>>,
        /// The correlation id of the call.
        correlation_id: Uuid,
    },

    /// The server failed (5xx, or a body that is not Entra's), after the retries the
    /// request allowed (none for a request carrying the password).
    #[error(
        "the identity provider answered HTTP {status}; try again later (correlation id \
         {correlation_id}): {}",
        if excerpt.is_empty() { "(empty body)" } else { excerpt.as_str() }
    )]
    ServerUnavailable {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        excerpt: String,
        /// The correlation id of the call.
        correlation_id: Uuid,
    },

    /// Another error from the server, with its details.
    #[error("the identity provider refused the request: {server}")]
    Server {
        /// The server's answer.
        server: Box<ServerError>,
    },

    /// The network failed: timeout, connection refused, TLS. The source says what failed.
    #[error(
        "could not reach the identity provider (correlation id {correlation_id}); check the \
         network, any proxy and the authority, then retry"
    )]
    Network {
        /// What the transport reported.
        source: HttpError,
        /// The correlation id of the call.
        correlation_id: Uuid,
    },

    /// A response could not be understood (malformed JSON or XML, a bad id token).
    #[error(
        "the identity provider's response could not be understood (correlation id \
         {correlation_id}); check that the authority is Microsoft Entra ID"
    )]
    InvalidResponse {
        /// What was wrong.
        source: ProtocolError,
        /// The correlation id of the call.
        correlation_id: Uuid,
    },

    /// The federated path (MEX metadata, the WS-Trust exchange with the federation
    /// server, ADFS) failed or was refused: the server answered with a fault or
    /// something unusable, or a URL on that path was not https
    /// ([`ProtocolError::InsecureUrl`]: nothing was sent to it, the password included).
    #[error(
        "the federated sign-in (ADFS, WS-Trust) failed; ask the administrator of the user's \
         federation server"
    )]
    Federation {
        /// What went wrong.
        source: ProtocolError,
    },

    /// The authority's host is neither one Microsoft runs nor one the application
    /// trusts, and instance discovery does not know it (`invalid_instance`). Nothing
    /// was sent to the authority, the password included.
    #[error(
        "the authority host {host} is not trusted: instance discovery does not know it, so \
         nothing was sent to it. If it is yours (an ADFS server, a B2C custom domain), list it \
         with known_authorities([\"{host}\"]), or turn validation off with \
         validate_authority(false). ({server})"
    )]
    UntrustedAuthority {
        /// `host[:port]` of the authority.
        host: String,
        /// Instance discovery's answer (AADSTS50049).
        server: Box<ServerError>,
    },

    /// The authority's OpenID configuration could not be used: it lacks a required
    /// field, names an issuer that is not the authority's, or points its endpoints
    /// somewhere the authority may not. (An error answer, throttling or a failing server
    /// read as they would at the token endpoint.) Nothing carrying a credential was sent.
    #[error(
        "the OpenID configuration of {authority} is unusable, so nothing was sent to it; \
         check the authority URL (a B2C custom domain is declared with b2c_authority, any \
         other issuer with oidc_authority)"
    )]
    AuthorityDiscovery {
        /// The authority URL.
        authority: String,
        /// What was wrong with the configuration.
        source: ProtocolError,
    },

    /// A `tenant` was given for a call, but the authority's kind has its tenant fixed
    /// (B2C, ADFS, OpenID Connect): only Entra ID and External ID authorities take one.
    #[error(
        "a tenant per request applies to Entra ID and External ID authorities only; this \
         {authority_kind} authority names its own. Configure another authority instead"
    )]
    TenantNotApplicable {
        /// The authority's kind (`B2C`, `ADFS`, `OpenID Connect`).
        authority_kind: &'static str,
    },

    /// An argument was unusable (an empty username, a malformed scope or claims).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },

    /// The application's configuration is unusable: found by
    /// [`ApplicationBuilder::build`](crate::ApplicationBuilder::build), or, for an
    /// authority a flow cannot use, when that flow starts.
    #[error("invalid configuration of `{field}`: {reason}")]
    Configuration {
        /// The builder setter whose value is at fault (`"authority"`, `"client_id"`,
        /// `"client_certificate"`, ...).
        field: &'static str,
        /// What was wrong, and what to do about it.
        reason: String,
        /// The lower-layer error that caused it, if any (not repeated in the Display).
        #[source]
        source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    },

    /// The client assertion (the JWT a certificate credential signs for each request)
    /// could not be signed when a request needed it. The certificate and key were
    /// accepted when the application was built, so this is a failure at run time, not
    /// a configuration error; nothing was sent. The source says what the signer reported.
    #[error(
        "could not sign the client assertion with the application's certificate; nothing was \
         sent. Check that the private key matches the certificate and is an RSA or EC key"
    )]
    ClientAssertion {
        /// What signing reported.
        source: ProtocolError,
    },

    /// A background task (the blocking token cache I/O run off the async threads)
    /// did not finish: it panicked, or the async runtime is shutting down. The source
    /// says which.
    #[error(
        "a background task (token cache I/O) did not finish; the cache may not have been \
         saved. Retry; if the task panicked, report it"
    )]
    BackgroundTask {
        /// The runtime's report (a panic or a cancellation), shared so the error stays
        /// `Clone`.
        source: Arc<dyn Error + Send + Sync>,
    },

    /// The token cache could not be read or written. The source says what failed.
    #[error("the token cache could not be used")]
    Cache(#[from] CacheError),
}

/// What the call that failed was redeeming: an `invalid_grant` reads differently on a
/// refresh.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Redeeming {
    /// A refresh token: an `invalid_grant` means it is dead.
    RefreshToken,
    /// Anything else (a password, a SAML assertion, or no grant at all).
    Other,
}

/// `duration` in whole seconds, rounded up, so "retry in N s" is never too early.
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

impl AuthError {
    /// The server's error details, when an Entra answer caused this error.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            AuthError::MfaRequired { server }
            | AuthError::MfaEnrollmentRequired { server }
            | AuthError::ConsentRequired { server, .. }
            | AuthError::PasswordExpired { server }
            | AuthError::AccountLocked { server }
            | AuthError::AccountDisabled { server }
            | AuthError::ConditionalAccessBlocked { server }
            | AuthError::InvalidCredentials { server }
            | AuthError::UserNotFound { server }
            | AuthError::TenantNotFound { server }
            | AuthError::PublicClientFlowsNotAllowed { server }
            | AuthError::ApplicationNotFound { server }
            | AuthError::InvalidClientCredential { server }
            | AuthError::InvalidScope { server }
            | AuthError::Server { server }
            | AuthError::UntrustedAuthority { server, .. } => Some(server),
            AuthError::InteractionRequired { server, .. } | AuthError::Throttled { server, .. } => {
                server.as_deref()
            }
            _ => None,
        }
    }

    /// The claims challenge to pass to an interactive flow, if the server sent one.
    pub fn claims(&self) -> Option<&str> {
        self.server().and_then(ServerError::claims_challenge)
    }

    /// The AADSTS code, if the server sent one.
    pub fn aadsts_code(&self) -> Option<u32> {
        self.server().and_then(ServerError::aadsts_code)
    }

    /// The correlation id of the failed call: the one the server echoed in its error
    /// body when it sent a UUID there, else the one sent, where the variant holds it.
    pub fn correlation_id(&self) -> Option<Uuid> {
        let echoed = self.server().and_then(|s| s.correlation_id);
        match self {
            AuthError::Throttled { correlation_id, .. } => echoed.or(Some(*correlation_id)),
            AuthError::ServerUnavailable { correlation_id, .. }
            | AuthError::Network { correlation_id, .. }
            | AuthError::InvalidResponse { correlation_id, .. } => Some(*correlation_id),
            _ => echoed,
        }
    }

    /// Whether the user must take part (MFA, consent, a new sign-in, a password
    /// change): retrying the same call will not help.
    pub fn is_interaction_required(&self) -> bool {
        matches!(
            self,
            AuthError::MfaRequired { .. }
                | AuthError::MfaEnrollmentRequired { .. }
                | AuthError::ConsentRequired { .. }
                | AuthError::PasswordExpired { .. }
                | AuthError::ConditionalAccessBlocked { .. }
                | AuthError::InteractionRequired { .. }
        )
    }

    /// Whether retrying later may succeed (throttling, server or network failures, a
    /// cache store's server unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AuthError::Throttled { .. }
                | AuthError::ServerUnavailable { .. }
                | AuthError::Network { .. }
                | AuthError::Cache(CacheError::Unavailable { .. })
        )
    }

    /// Maps a protocol-level failure of a call with `correlation_id` at `now` to the
    /// variant that says what to do next. [`Redeeming::RefreshToken`] marks a refresh-token redemption, where
    /// an `invalid_grant` means the refresh token is dead.
    pub(crate) fn from_protocol(
        error: ProtocolError,
        correlation_id: Uuid,
        redeeming: Redeeming,
        now: SystemTime,
    ) -> Self {
        let class = error.class();
        let server = match error {
            ProtocolError::Server(server) => server,
            ProtocolError::UnexpectedResponse {
                status,
                excerpt,
                retry_after,
                ..
            } => {
                return if class == ErrorClass::Throttled || status == 429 {
                    AuthError::Throttled {
                        retry_after: retry_after.map(|r| r.delay(now)),
                        remembered: false,
                        server: None,
                        correlation_id,
                    }
                } else if status >= 500 {
                    AuthError::ServerUnavailable {
                        status,
                        excerpt,
                        correlation_id,
                    }
                } else {
                    AuthError::InvalidResponse {
                        source: ProtocolError::UnexpectedResponse {
                            status,
                            content_type: None,
                            excerpt,
                            retry_after: None,
                        },
                        correlation_id,
                    }
                };
            }
            ProtocolError::ConsumersTenantNotSupported => {
                return AuthError::ConsumersTenantNotSupported;
            }
            ProtocolError::InvalidScope { .. } | ProtocolError::InvalidClaims { .. } => {
                return AuthError::InvalidArgument {
                    reason: error.to_string(),
                };
            }
            other => {
                return AuthError::InvalidResponse {
                    source: other,
                    correlation_id,
                };
            }
        };
        match class {
            ErrorClass::MfaRequired => AuthError::MfaRequired { server },
            ErrorClass::MfaEnrollmentRequired => AuthError::MfaEnrollmentRequired { server },
            ErrorClass::ConsentRequired { admin } => AuthError::ConsentRequired {
                admin_consent_required: admin,
                server,
            },
            ErrorClass::PasswordExpired => AuthError::PasswordExpired { server },
            ErrorClass::AccountLocked => AuthError::AccountLocked { server },
            ErrorClass::AccountDisabled => AuthError::AccountDisabled { server },
            ErrorClass::ConditionalAccessBlocked => AuthError::ConditionalAccessBlocked { server },
            ErrorClass::InvalidCredentials => AuthError::InvalidCredentials { server },
            ErrorClass::UserNotFound => AuthError::UserNotFound { server },
            ErrorClass::TenantNotFound => AuthError::TenantNotFound { server },
            ErrorClass::PublicClientFlowsNotAllowed => {
                AuthError::PublicClientFlowsNotAllowed { server }
            }
            ErrorClass::ApplicationNotFound => AuthError::ApplicationNotFound { server },
            ErrorClass::InvalidClientSecret | ErrorClass::InvalidClient => {
                AuthError::InvalidClientCredential { server }
            }
            ErrorClass::InvalidScope => AuthError::InvalidScope { server },
            ErrorClass::RefreshTokenExpired => AuthError::InteractionRequired {
                reason: "the refresh token has expired or was revoked",
                server: Some(server),
            },
            ErrorClass::InteractionRequired if redeeming == Redeeming::RefreshToken => {
                AuthError::InteractionRequired {
                    reason: "the identity provider refused the refresh token",
                    server: Some(server),
                }
            }
            ErrorClass::InteractionRequired => AuthError::InteractionRequired {
                reason: "the identity provider requires user interaction",
                server: Some(server),
            },
            ErrorClass::Throttled => AuthError::Throttled {
                retry_after: server.retry_after.as_ref().map(|r| r.delay(now)),
                remembered: false,
                server: Some(server),
                correlation_id,
            },
            ErrorClass::ServerUnavailable => AuthError::ServerUnavailable {
                status: server.status,
                excerpt: server.message().chars().take(200).collect(),
                correlation_id,
            },
            _ => AuthError::Server { server },
        }
    }

    /// An ADFS SOAP fault, as the variant an Entra answer of the same meaning gives
    /// (wrong password, locked, disabled, expired); other faults stay `Federation`.
    pub(crate) fn from_ws_trust_fault(fault: ProtocolError) -> Self {
        let class = fault.class();
        let ProtocolError::WsTrustFault {
            code,
            subcode,
            reason,
        } = &fault
        else {
            return AuthError::Federation { source: fault };
        };
        let server = || {
            Box::new(ServerError {
                status: 500,
                error: subcode.clone().unwrap_or_else(|| code.clone()),
                error_description: Some(format!("federation server (WS-Trust) fault: {reason}")),
                ..ServerError::default()
            })
        };
        match class {
            ErrorClass::InvalidCredentials => AuthError::InvalidCredentials { server: server() },
            ErrorClass::AccountLocked => AuthError::AccountLocked { server: server() },
            ErrorClass::AccountDisabled => AuthError::AccountDisabled { server: server() },
            ErrorClass::PasswordExpired => AuthError::PasswordExpired { server: server() },
            _ => AuthError::Federation { source: fault },
        }
    }

    /// A transport failure; a call the transport held back because the server asked
    /// an earlier one to wait is `Throttled`, like a 429 answered now.
    pub(crate) fn network(source: HttpError, correlation_id: Uuid) -> Self {
        match source {
            HttpError::Throttled { retry_after, .. } => AuthError::Throttled {
                retry_after: Some(retry_after),
                remembered: true,
                server: None,
                correlation_id,
            },
            source => AuthError::Network {
                source,
                correlation_id,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when a Display in `error`'s chain repeats the Display of a cause below it.
    fn assert_each_cause_printed_once(error: &(dyn Error + 'static)) {
        let mut above = vec![error.to_string()];
        let mut cause = error.source();
        while let Some(current) = cause {
            let text = current.to_string();
            for outer in &above {
                assert!(
                    !outer.contains(&text),
                    "{outer:?} repeats its cause {text:?}"
                );
            }
            above.push(text);
            cause = current.source();
        }
    }

    fn server() -> Box<ServerError> {
        Box::new(ServerError {
            status: 400,
            error: "invalid_grant".into(),
            error_description: Some("AADSTS50126: Error validating credentials.".into()),
            ..ServerError::default()
        })
    }

    #[tokio::test]
    async fn no_display_repeats_its_source() {
        let correlation_id = Uuid::from_u128(7);
        let http = HttpError::Connect {
            url: "https://login.example/common/oauth2/v2.0/token".into(),
            source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        let protocol = ProtocolError::UnexpectedResponse {
            status: 400,
            content_type: None,
            excerpt: "Bad Request".into(),
            retry_after: None,
        };
        let panicked = tokio::task::spawn_blocking(|| panic!("the cache task panicked"))
            .await
            .expect_err("the task panicked");
        let errors = [
            AuthError::Network {
                source: http,
                correlation_id,
            },
            AuthError::InvalidResponse {
                source: protocol.clone(),
                correlation_id,
            },
            AuthError::Federation {
                source: ProtocolError::NoWsTrustEndpoint,
            },
            AuthError::ClientAssertion {
                source: ProtocolError::Certificate {
                    reason: "the private key cannot sign".into(),
                },
            },
            AuthError::BackgroundTask {
                source: Arc::new(panicked),
            },
            AuthError::Cache(CacheError::Store {
                location: "keychain".into(),
                source: Arc::new(std::io::Error::other("the keychain is locked")),
            }),
        ];
        for error in errors {
            assert!(error.source().is_some(), "{error:?}");
            assert_each_cause_printed_once(&error);
        }
    }

    #[test]
    fn a_server_answer_is_printed_and_is_not_a_source() {
        let error = AuthError::InvalidCredentials { server: server() };
        assert!(error.to_string().contains("AADSTS50126"), "{error}");
        assert!(error.source().is_none(), "{error:?}");
        let error = AuthError::Throttled {
            retry_after: None,
            remembered: false,
            server: Some(server()),
            correlation_id: Uuid::from_u128(7),
        };
        assert!(error.to_string().contains("AADSTS50126"), "{error}");
        assert!(error.source().is_none(), "{error:?}");
    }

    #[test]
    fn correlation_id_is_the_echoed_uuid_else_the_one_sent() {
        let sent = Uuid::from_u128(1);
        let echoed = Uuid::from_u128(2);
        let throttled = |server: Option<Box<ServerError>>| AuthError::Throttled {
            retry_after: None,
            remembered: false,
            server,
            correlation_id: sent,
        };
        let mut with_id = server();
        with_id.correlation_id = Some(echoed);
        assert_eq!(
            throttled(Some(with_id.clone())).correlation_id(),
            Some(echoed)
        );
        // The server's id was not a UUID (so the parse left it out): the id sent.
        assert_eq!(throttled(Some(server())).correlation_id(), Some(sent));
        assert_eq!(throttled(None).correlation_id(), Some(sent));
        let refused = AuthError::InvalidCredentials { server: with_id };
        assert_eq!(refused.correlation_id(), Some(echoed));
        let refused = AuthError::InvalidCredentials { server: server() };
        assert_eq!(refused.correlation_id(), None);
    }
}
