//! entra-auth-azure: entra-auth as a credential of the Azure SDK for Rust.
//!
//! [`UsernamePasswordCredential`] implements azure_core's
//! [`TokenCredential`](azure_core::credentials::TokenCredential) over an entra-auth
//! application: it signs the user in once with the password, forgets the password, and
//! serves every later `get_token` from entra-auth's token cache (refreshing through the
//! refresh token when a token expires or a new scope set is asked for).
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use azure_core::credentials::TokenCredential;
//! use entra_auth::{PublicClientApplication, SecretString};
//! use entra_auth_azure::UsernamePasswordCredential;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let app = PublicClientApplication::builder("00001111-aaaa-2222-bbbb-3333cccc4444")
//!     .authority("https://login.microsoftonline.com/organizations")
//!     .build()?;
//! let password = SecretString::from(std::env::var("PASSWORD")?);
//! let credential: Arc<dyn TokenCredential> =
//!     Arc::new(UsernamePasswordCredential::new(app, "alice@contoso.com", password));
//! // Hand `credential` to any Azure SDK client; it calls:
//! let token = credential
//!     .get_token(&["https://storage.azure.com/.default"], None)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: a thin adapter over entra-auth's public API (nothing private,
//! no wire format, no cache of its own). Sends the password at most once per success:
//! never retries it by itself, never sends it again after a definitive refusal, and
//! drops it (zeroized) as soon as the first sign-in succeeds. Never shows the password
//! or a token in `Debug`, an error or a log.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod credential;

pub use credential::UsernamePasswordCredential;

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
