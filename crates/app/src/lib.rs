//! entra-auth: sign users in to Microsoft Entra ID with a username and password.
//!
//! The public API: `PublicClientApplication` and `ConfidentialClientApplication`,
//! acquisition by username/password and silently from the token cache, accounts and
//! sign-out, and one error type whose variants say what the caller should do next.
//!
//! Architecture invariant: composes entra-protocol, entra-cache and entra-http and owns
//! no wire format of its own. Never stores a password; secrets never reach `Debug`,
//! logs or errors.
#![forbid(unsafe_code)]
