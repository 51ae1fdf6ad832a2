//! Errors: [`ProtocolError`] for anything this crate refuses, [`ServerError`] for an
//! error body Entra sent, and [`ErrorClass`] saying what the caller should do next.

mod class;
mod server;

pub use class::{ErrorClass, Suberror};
pub use server::{RetryAfter, ServerError, parse_error_response};

/// Everything that can go wrong while building a request or reading a response.
///
/// Messages name what was wrong; none of them ever contains a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The server answered with an OAuth2 error body (`error`, AADSTS codes, ...).
    #[error("{0}")]
    Server(Box<ServerError>),

    /// The server answered with something that is not the expected JSON or XML (an HTML
    /// error page from a proxy, an empty 503, a non-2xx status without an error body).
    #[error(
        "unexpected HTTP {status} response{}: {}",
        content_type.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
        if excerpt.is_empty() { "an empty body" } else { excerpt.as_str() }
    )]
    UnexpectedResponse {
        /// HTTP status code.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// What the body was, never quoting a credential: the kind of a JSON or XML body
        /// (`a JSON array`, `malformed JSON (EOF while parsing ...)`, `an XML
        /// document`), or the first words of an HTML page's text or of other text, with
        /// anything that looks like a token or a secret replaced by `[REDACTED]`. Empty
        /// for an empty body.
        excerpt: String,
        /// The `Retry-After` header, if the server sent one.
        retry_after: Option<RetryAfter>,
    },

    /// A JSON document had the wrong shape (a field of the wrong type, ...).
    ///
    /// Unlike the other causes, the JSON parser's error is not kept as a source:
    /// serde_json quotes the value it refused, which may be a token. `message` is its
    /// text with every quoted value dropped, after the field's path.
    #[error("malformed {what}: {message}")]
    Json {
        /// Which document (`token response`, `user realm`, ...).
        what: &'static str,
        /// What the JSON parser said, without any value from the document: the field's
        /// path, serde's message with quoted values dropped, and the position.
        message: String,
    },

    /// A document lacks a field this crate needs.
    #[error("{what} lacks the required field `{field}`")]
    MissingField {
        /// Which document.
        what: &'static str,
        /// The missing field.
        field: &'static str,
    },

    /// An XML document (MEX metadata, WS-Trust response) could not be read. The source
    /// is what the XML reader (or the check that failed) said.
    #[error("malformed {what}")]
    Xml {
        /// Which document.
        what: &'static str,
        /// What the XML reader reported, shared so that the error stays `Clone`.
        source: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    },

    /// An XML document nests elements deeper than any real one does; it is refused
    /// before the XML reader's own depth counter could overflow.
    #[error("malformed {what}: elements nest deeper than {limit} levels")]
    XmlTooDeep {
        /// Which document.
        what: &'static str,
        /// The deepest nesting accepted.
        limit: usize,
    },

    /// A URL on the federated path (the MEX metadata, the WS-Trust endpoint) is not
    /// https. Whoever can alter a plain http exchange could pick the server that
    /// receives the password, so it is never followed; nothing was sent to it.
    #[error(
        "refused the {what} {url:?}: it is not https, and whoever can alter a plain http \
         exchange could choose the server that receives the password; nothing was sent to it"
    )]
    InsecureUrl {
        /// Which URL (`federation metadata (MEX) URL`, `WS-Trust endpoint`).
        what: &'static str,
        /// The URL as given.
        url: String,
    },

    /// The authority URL is unusable.
    #[error("invalid authority {authority:?}: {reason}")]
    InvalidAuthority {
        /// The authority as given.
        authority: String,
        /// Why it was refused.
        reason: String,
    },

    /// The authority's host belonged to a cloud Microsoft closed.
    #[error("the authority host {host} is retired: {note}")]
    RetiredAuthorityHost {
        /// The host given.
        host: String,
        /// What it was and what to use instead.
        note: &'static str,
    },

    /// Instance discovery does not know the authority's host (`invalid_instance`,
    /// AADSTS50049): nothing was sent to it.
    #[error(
        "the authority host {host} is not known to Microsoft (instance discovery answered \
         `invalid_instance`), so no password was sent to it; if you trust this host, list it \
         in `known_authorities` or turn authority validation off with \
         `validate_authority(false)`"
    )]
    UntrustedAuthority {
        /// `host[:port]` of the authority.
        host: String,
        /// Instance discovery's answer.
        server: Box<ServerError>,
    },

    /// The OpenID configuration names an issuer that does not belong to the authority.
    #[error(
        "the OpenID configuration of {authority} names the issuer {issuer:?}, which is \
         neither the authority, its host, nor a host Microsoft runs for it; its endpoints \
         are not used"
    )]
    IssuerMismatch {
        /// The authority URL.
        authority: String,
        /// The issuer the document named.
        issuer: String,
    },

    /// An endpoint of the OpenID configuration cannot be used for the authority.
    #[error(
        "the OpenID configuration of {authority} gives a {what} {endpoint:?} that is not used: {reason}"
    )]
    UnusableEndpoint {
        /// The authority URL.
        authority: String,
        /// Which endpoint (`token_endpoint`, `authorization_endpoint`).
        what: &'static str,
        /// The endpoint as given.
        endpoint: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// The `consumers` tenant (personal Microsoft accounts) cannot use the password grant.
    #[error(
        "the `consumers` tenant cannot be used with username/password sign-in: personal \
         Microsoft accounts never support it; use `organizations` or a tenant id"
    )]
    ConsumersTenantNotSupported,

    /// The MEX metadata of a federated domain offers no WS-Trust username/password
    /// endpoint over HTTPS (typical for personal Microsoft accounts).
    #[error(
        "the federation metadata offers no WS-Trust 1.3 or 2005 username/password endpoint \
         over https"
    )]
    NoWsTrustEndpoint,

    /// The WS-Trust endpoint URL does not say which WS-Trust version it speaks.
    #[error(
        "unsupported WS-Trust endpoint {url:?}: expected .../trust/13/usernamemixed or .../trust/2005/usernamemixed"
    )]
    UnsupportedWsTrustEndpoint {
        /// The URL given.
        url: String,
    },

    /// The WS-Trust server answered with a SOAP fault.
    #[error("WS-Trust fault {code}{}: {reason}", subcode.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    WsTrustFault {
        /// `s:Code/s:Value`.
        code: String,
        /// `s:Code/s:Subcode/s:Value`, for ADFS the useful one (`a:FailedAuthentication`).
        subcode: Option<String>,
        /// `s:Reason/s:Text` (ADFS: `MSIS3127: ...`).
        reason: String,
    },

    /// The WS-Trust response carried a token type that maps to no SAML bearer grant.
    #[error("the WS-Trust response carries an unknown token type {token_type:?}")]
    UnknownSamlTokenType {
        /// The `TokenType` value.
        token_type: String,
    },

    /// An id token could not be decoded or failed a check.
    #[error("invalid id token: {reason}")]
    InvalidIdToken {
        /// What was wrong.
        reason: String,
    },

    /// The `client_info` value could not be decoded.
    #[error("invalid client_info: {reason}")]
    InvalidClientInfo {
        /// What was wrong.
        reason: String,
    },

    /// A claims challenge passed in is not a JSON object.
    #[error("invalid claims challenge: {reason}")]
    InvalidClaims {
        /// What was wrong.
        reason: String,
    },

    /// A scope is empty or contains whitespace.
    #[error("invalid scope {scope:?}: {reason}")]
    InvalidScope {
        /// The scope given.
        scope: String,
        /// What was wrong.
        reason: &'static str,
    },

    /// The client certificate or its private key could not be read, or signing failed.
    #[error("client certificate: {reason}")]
    Certificate {
        /// What was wrong.
        reason: String,
    },

    /// A value given to a request builder cannot go on the wire (a header with a control
    /// character, an endpoint that is not a URL).
    #[error("cannot build request: {reason}")]
    InvalidRequest {
        /// What was wrong.
        reason: String,
    },
}

impl ProtocolError {
    /// The parsed server error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Self::Server(e) | Self::UntrustedAuthority { server: e, .. } => Some(e),
            _ => None,
        }
    }

    /// What the caller should do next: the server error's class, `Throttled` or
    /// `ServerUnavailable` for a non-JSON 429/5xx, `Other` for the rest.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Server(e) => e.classify(),
            Self::UnexpectedResponse {
                status,
                retry_after,
                ..
            } => match status {
                429 => ErrorClass::Throttled,
                503 if retry_after.is_some() => ErrorClass::Throttled,
                500..=599 => ErrorClass::ServerUnavailable,
                _ => ErrorClass::Other,
            },
            Self::WsTrustFault {
                subcode, reason, ..
            } => ws_trust_fault_class(subcode.as_deref(), reason),
            _ => ErrorClass::Other,
        }
    }

    pub(crate) fn request(reason: impl std::fmt::Display) -> Self {
        Self::InvalidRequest {
            reason: reason.to_string(),
        }
    }

    /// An [`Xml`](Self::Xml) error caused by `e`: the XML reader's error, or a text
    /// saying which check failed.
    pub(crate) fn xml(
        what: &'static str,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Xml {
            what,
            source: std::sync::Arc::from(e.into()),
        }
    }
}

/// Classifies an ADFS SOAP fault like the equivalent Entra answer: ADFS reports a
/// locked, disabled or expired account through its reason text, and every other
/// authentication failure as `FailedAuthentication`.
fn ws_trust_fault_class(subcode: Option<&str>, reason: &str) -> ErrorClass {
    let reason = reason.to_ascii_lowercase();
    if reason.contains("locked") {
        ErrorClass::AccountLocked
    } else if reason.contains("disabled") {
        ErrorClass::AccountDisabled
    } else if reason.contains("password") && reason.contains("expired") {
        ErrorClass::PasswordExpired
    } else if subcode.is_some_and(|s| s.rsplit(':').next() == Some("FailedAuthentication")) {
        ErrorClass::InvalidCredentials
    } else {
        ErrorClass::Other
    }
}

impl From<ServerError> for ProtocolError {
    fn from(e: ServerError) -> Self {
        Self::Server(Box::new(e))
    }
}

#[cfg(test)]
mod tests;
