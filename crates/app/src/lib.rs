//! entra-auth: sign users in to Microsoft Entra ID with a username and password.
//!
//! The public API: `PublicClientApplication` and `ConfidentialClientApplication`,
//! acquisition by username/password and silently from the token cache, accounts and
//! sign-out, and one error type whose variants say what the caller should do next.
//!
//! Architecture invariant: composes entra-protocol, entra-cache and entra-http and owns
//! no wire format of its own. Never stores a password; secrets never reach `Debug`,
//! logs or errors.
//!
//! ```no_run
//! use entra_auth::PublicClientApplication;
//! use entra_auth::SecretString;
//!
//! # async fn run() -> Result<(), entra_auth::AuthError> {
//! let app = PublicClientApplication::builder("00001111-aaaa-2222-bbbb-3333cccc4444")
//!     .authority("https://login.microsoftonline.com/organizations")
//!     .build()?; // checks the configuration: AuthError::Configuration names the setter
//! let password = SecretString::from(std::env::var("PASSWORD").unwrap_or_default());
//! match app.acquire_token_by_username_password(&["User.Read"], "alice@contoso.com", password).await {
//!     Ok(result) => println!("token expires at {:?}", result.expires_on),
//!     Err(error) if error.is_interaction_required() => println!("needs the user: {error}"),
//!     Err(error) => return Err(error),
//! }
//! if let Some(account) = app.accounts().await?.first() {
//!     let later = app.acquire_token_silent(&["User.Read"], account).await?; // cache or refresh
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod builder;
mod clock;
mod core;
mod error;
mod requests;
mod result;

pub use builder::{
    Application, ApplicationBuilder, ClientKind, Confidential, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, DEFAULT_AUTHORITY, Public, PublicClientApplication,
    PublicClientApplicationBuilder,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AuthError;
pub use requests::{AcquireFuture, SilentRequest, UsernamePasswordRequest};
pub use result::{
    AccessToken, Account, AccountInfo, Accounts, AccountsIntoIter, AuthenticationResult, Scopes,
    TokenSource,
};

// What a user of this crate needs from the crates below it, and nothing else: the types
// its public signatures mention (the builder's `cache_store` and `http_client`, the
// sources kept by `AuthError`, `AuthenticationResult`'s fields) and what an
// implementation of `CacheStore` or `HttpClient` must name.

// The token cache's persistence, for `ApplicationBuilder::cache_store`: the
// `CacheStore` trait, its file and in-memory implementations, and what an own
// implementation needs; and the cache itself, as `Application::token_cache` returns it
// (to serialize it, or to read its entries, whose types are entra-cache's).
pub use entra_cache::{CacheError, CacheStore, FileStore, MemoryStore, Merge, TokenCache};
// Encryption at rest for any of those stores (`EncryptedStore::new(FileStore::new(path), key)`).
pub use entra_cache::{EncryptedStore, EncryptionKey, KeyError, is_encrypted};
// The transport, for `ApplicationBuilder::http_client`: the `HttpClient` trait and
// what an implementation of it receives, returns and honours (a request marked
// `Retryable` may be sent again; any other request must be sent at most once).
pub use entra_http::{
    Body, HttpClient, HttpError, Request as HttpRequest, Response as HttpResponse, Retryable,
    async_trait,
};
// What Entra answered, as `AuthError` keeps it, and an id token's claims, as
// `AuthenticationResult::id_token_claims` holds them.
pub use entra_protocol::{
    ErrorClass, IdTokenClaims, ProtocolError, RetryAfter, ServerError, Suberror,
};
// Claims challenges from resources (`WWW-Authenticate` on a 401): the claims to pass to
// `acquire_token_silent(...).claims(...)`, or why this flow cannot meet them.
pub use entra_protocol::challenge::{
    Challenge, ChallengeError, ClaimsChallenge, InteractiveRequirement, NextStep,
    parse_www_authenticate,
};
// The authority an application was built with, as `Application::authority` returns it.
pub use entra_protocol::{Authority, AuthorityKind, Tenant};
// The password and client secret type (its `Debug` is redacted, it is zeroized on drop).
pub use secrecy::SecretString;
// Correlation ids.
pub use uuid::Uuid;

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
