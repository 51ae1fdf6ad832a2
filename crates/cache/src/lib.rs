//! entra-cache: a token cache byte-compatible with MSAL's unified cache schema.
//!
//! Holds access, refresh and id tokens, accounts and app metadata in the same JSON
//! shape MSAL Python and MSAL Node write, so a cache moves between them and this
//! project. Lookups are indexed; persistence is pluggable.
//!
//! Architecture invariant: never loses stored data. A corrupt or unreadable cache file
//! is a typed error and is left untouched; writes replace files atomically. No network
//! I/O and no wire formats other than the cache's own JSON.
#![forbid(unsafe_code)]
