//! entra-protocol: the wire format of Microsoft Entra ID's username/password flow.
//!
//! Builds requests and parses responses as plain values: authority and discovery
//! documents, user realm discovery, WS-Trust for federated users, token requests for
//! every grant the flow uses, token and error responses with their AADSTS codes.
//! Inputs and outputs are plain data, [`Request`] (an `http::Request` whose body is
//! zeroized when dropped: it may carry a password or a secret) and
//! `http::Response<Vec<u8>>`.
//!
//! This crate is a sans-IO protocol library, and its public API is that and nothing
//! else: request builders (`*_request`, `*_grant`) that return a [`Request`] for the
//! caller to send, parsers (`parse_*`, `decode_*`) that take the response bytes back,
//! and the plain values they exchange. Sending, retrying, caching and waiting belong
//! to the caller.
//!
//! Architecture invariant: no I/O, no async runtime, no clock reads, no global state.
//! Time comes in as an argument; randomness comes from a caller-supplied source. Every
//! parser is total: any bytes in, a value or a typed error out, never a panic.
//!
//! ```
//! use entra_protocol::{Authority, ClientAuth, LibraryInfo, TokenParams, ErrorClass};
//! use secrecy::SecretString;
//!
//! let authority = Authority::parse("https://login.microsoftonline.com/common")?
//!     .for_password_grant()?; // `common` becomes `organizations`
//! let (auth, library) = (ClientAuth::None, LibraryInfo::default());
//! let token_endpoint = authority.token_endpoint();
//! let params = TokenParams {
//!     token_endpoint: &token_endpoint,
//!     client_id: "00001111-aaaa-2222-bbbb-3333cccc4444",
//!     scopes: &["User.Read"],
//!     claims: None,
//!     client_capabilities: &[],
//!     client_auth: &auth,
//!     correlation_id: uuid::Uuid::from_u128(1),
//!     library: &library,
//! };
//! let password = SecretString::from("Pa$$ w0rd&=+é");
//! let request = entra_protocol::password_grant(&params, "alice@contoso.com", &password)?;
//! assert_eq!(request.uri(), "https://login.microsoftonline.com/organizations/oauth2/v2.0/token");
//!
//! // ... send it with any HTTP client, then:
//! let response = http::Response::builder()
//!     .status(400)
//!     .body(br#"{"error":"invalid_grant","error_description":"AADSTS50076: ...","error_codes":[50076],"suberror":"basic_action","claims":"{}"}"#.to_vec())
//!     .unwrap();
//! let error = entra_protocol::parse_token_response(&response).unwrap_err();
//! assert_eq!(error.class(), ErrorClass::MfaRequired);
//! # Ok::<(), entra_protocol::ProtocolError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod authority;
pub mod challenge;
pub mod client_assertion;
pub mod client_info;
pub mod discovery;
pub mod error;
pub mod id_token;
pub mod token;
pub mod user_realm;
mod wire;
pub mod ws_trust;

#[cfg(test)]
mod test_support;

/// A request built by this crate. Its body is a [`zeroize::Zeroizing`] buffer because it
/// may carry a password, a client secret, an assertion or a refresh token: the bytes
/// are wiped when the request is dropped, and the buffer was never reallocated without
/// wiping the old allocation while it was written.
pub type Request = http::Request<zeroize::Zeroizing<Vec<u8>>>;

pub use authority::validation::{
    AuthorityTrust, TrustReason, parse_instance_discovery_for, validate_authority,
};
pub use authority::{Authority, AuthorityKind, AuthorityOptions, Cloud, Tenant};
pub use client_assertion::{ClientCertificate, DEFAULT_ASSERTION_LIFETIME};
pub use client_info::{ClientInfo, decode_client_info};
pub use discovery::{
    DEFAULT_DISCOVERY_BASE, Endpoints, InstanceDiscovery, InstanceMetadata, Jwks,
    OidcConfiguration, instance_discovery_request, jwks_request, oidc_discovery_request,
    oidc_discovery_request_at, parse_instance_discovery, parse_jwks, parse_oidc_configuration,
};
pub use error::{
    ErrorClass, ProtocolError, RetryAfter, ServerError, Suberror, parse_error_response,
};
pub use id_token::{IdTokenClaims, decode_id_token, verify_id_token};
pub use token::{
    ClientAuth, IdToken, MAX_LIFETIME_SECS, TokenParams, TokenResponse, check_scopes,
    decorate_scopes, merge_claims, parse_token_response, password_grant, refresh_token_grant,
    saml_bearer_grant,
};
pub use user_realm::{AccountKind, AccountType, UserRealm, parse_user_realm, user_realm_request};
pub use wire::LibraryInfo;
pub use ws_trust::{
    SamlAssertion, SamlTokenType, WsTrustEndpoint, WsTrustVersion, mex_request, parse_mex,
    parse_ws_trust_response, ws_trust_request,
};

/// Re-exported so callers name the same `uuid` and `secrecy` types as this crate:
/// secrets (a password, a client secret, a refresh token) are `secrecy` types from the
/// moment they enter to the moment they are written on the wire, and correlation ids
/// are `uuid::Uuid`s. Signatures also use the `http` crate's request and response types
/// as the plain-data vocabulary of requests and responses, and the body of a
/// [`Request`] is a `zeroize::Zeroizing` buffer (why: see [`Request`]).
pub use {secrecy, uuid};

/// Runs the README's example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
