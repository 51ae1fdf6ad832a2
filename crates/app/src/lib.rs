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
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), entra_auth::AuthError> {
//! let app = PublicClientApplication::builder("00001111-aaaa-2222-bbbb-3333cccc4444")
//!     .authority("https://login.microsoftonline.com/organizations")?
//!     .build()?;
//! let password = SecretString::from(std::env::var("PASSWORD").unwrap_or_default());
//! match app.acquire_token_by_username_password(&["User.Read"], "alice@contoso.com", password).await {
//!     Ok(result) => println!("token expires at {:?}", result.expires_on),
//!     Err(error) if error.is_interaction_required() => println!("needs the user: {error}"),
//!     Err(error) => return Err(error),
//! }
//! let account = app.accounts().await?.remove(0);
//! let later = app.acquire_token_silent(&["User.Read"], &account).await?; // cache or refresh
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
pub use result::{AccessToken, Account, AuthenticationResult, TokenSource};

/// Re-exported so callers name the same types as this crate.
pub use {entra_cache, entra_http, entra_protocol, secrecy, uuid};
