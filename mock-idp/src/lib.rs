//! mock-idp: an HTTPS mock of Microsoft Entra ID for the username/password flow.
//!
//! Serves discovery, user realm discovery, the token endpoint and JWKS like Entra does,
//! with behaviour driven by a fixture (tenants, apps, users, consent, policies), an
//! admin API for tests, and a deterministic mode.
//!
//! Architecture invariant: imports none of the `entra-*` crates. It is an independent
//! implementation of the server, so a misunderstanding on one side is caught by the
//! other. It binds loopback unless told otherwise and never logs secrets.
#![forbid(unsafe_code)]
