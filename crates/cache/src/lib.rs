//! entra-cache: a token cache byte-compatible with MSAL's unified cache schema.
//!
//! Holds access, refresh and id tokens, accounts and app metadata in the same JSON
//! shape MSAL Python and MSAL Node write, so a cache moves between them and this
//! project. Lookups are indexed; persistence is pluggable.
//!
//! Architecture invariant: never loses stored data. A corrupt or unreadable cache file
//! is a typed error and is left untouched; writes replace files atomically. No network
//! I/O and no wire formats other than the cache's own JSON.
//!
//! With the `encryption` feature, `EncryptedStore` wraps any store and keeps its bytes
//! encrypted at rest (AES-256-GCM under an application's key, with key rotation).
//!
//! Token secrets are `secrecy::SecretString`s in every signature (their `Debug` is
//! redacted and they are zeroized on drop); no other crate's type is part of the API.
//!
//! ```
//! use entra_cache::{AccessTokenQuery, TokenCache, TokenIngest};
//! use secrecy::{ExposeSecret, SecretString};
//!
//! let cache = TokenCache::new();
//! let mut response = TokenIngest::new(
//!     "login.microsoftonline.com",
//!     "00001111-aaaa-2222-bbbb-3333cccc4444",
//!     "organizations",
//!     SecretString::from("access-token"),
//!     1_700_000_000,
//! );
//! response.granted_scope = Some("User.Read openid profile offline_access".into());
//! response.expires_in = Some(3599);
//! response.home_account_id = Some("uid.utid".into());
//! cache.ingest(&response);
//!
//! let found = cache.access_token(&AccessTokenQuery {
//!     home_account_id: Some("uid.utid"),
//!     environments: &["login.microsoftonline.com"],
//!     client_id: "00001111-aaaa-2222-bbbb-3333cccc4444",
//!     realms: &["organizations"],
//!     scopes: &["User.Read"],
//!     now: 1_700_000_100,
//! });
//! assert_eq!(found.unwrap().entry.secret.expose_secret(), "access-token");
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod cache;
mod data;
#[cfg(feature = "encryption")]
mod encryption;
mod entry;
mod error;
mod file;
mod ingest;
mod intern;
mod json;
mod partition;
mod query;
mod scopes;
mod store;

pub use cache::TokenCache;
#[cfg(feature = "encryption")]
pub use encryption::{EncryptedStore, EncryptionKey, KEY_LEN, KeyError, is_encrypted};
pub use entry::{
    AccessTokenEntry, AccountEntry, AppMetadataEntry, ExtraFields, IdTokenEntry, RefreshTokenEntry,
};
pub use error::CacheError;
pub use file::FileStore;
pub use ingest::{Ingested, TokenIngest};
pub use partition::{Lease, Partition, PartitionMerge, PartitionWrite, PartitionedStore};
pub use query::{AccessTokenQuery, Keyed, LATEST_TIME, RefreshTokenQuery};
pub use store::{CacheStore, MemoryStore, Merge, StoreLease, StoreVersion};

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
