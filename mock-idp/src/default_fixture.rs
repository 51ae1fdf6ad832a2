//! The default fixture's ids, names and credentials (listed in
//! mock-idp/README.md, "The default fixture"), so tests elsewhere
//! never repeat literals. [`crate::Fixture::default`] is built from these.
//!
//! Everything here is test data: the password, the daemon's secret and its private key
//! are published on purpose.

/// The password of every default user: spaces and reserved characters on purpose.
pub const PASSWORD: &str = "Pa$$ w0rd&=+é";

/// Contoso, the managed tenant.
pub const CONTOSO_TENANT_ID: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
/// Contoso's `onmicrosoft.com` domain.
pub const CONTOSO_ONMICROSOFT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// Contoso's custom domain.
pub const CONTOSO_DOMAIN: &str = "contoso.com";
/// Fabrikam, federated to the mock ADFS.
pub const FABRIKAM_TENANT_ID: &str = "bbbbcccc-1111-dddd-2222-eeee3333ffff";
/// Fabrikam's domain.
pub const FABRIKAM_DOMAIN: &str = "fabrikam.com";
/// The personal Microsoft account (MSA) tenant.
pub const MSA_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
/// The personal-account domains.
pub const MSA_DOMAINS: [&str; 3] = ["outlook.com", "hotmail.com", "live.com"];

/// Contoso B2C, an Azure AD B2C tenant with one user flow allowing the password grant.
pub const CONTOSO_B2C_TENANT_ID: &str = "ccccdddd-2222-eeee-3333-ffff4444aaaa";
/// Contoso B2C's domain (the tenant segment of its authority).
pub const CONTOSO_B2C_DOMAIN: &str = "contosob2c.onmicrosoft.com";
/// Contoso B2C's host name, as Azure AD B2C serves it (give it to `--hostname`).
pub const CONTOSO_B2C_HOST: &str = "contosob2c.b2clogin.com";
/// Contoso B2C's "Sign in using resource owner password credentials" user flow.
pub const B2C_ROPC_POLICY: &str = "B2C_1_ROPC_Auth";
/// Contoso External ID, a Microsoft Entra External ID (CIAM) tenant.
pub const CONTOSO_CIAM_TENANT_ID: &str = "ddddeeee-3333-ffff-4444-aaaa5555bbbb";
/// Contoso External ID's domain: what a path-less `https://contosociam.ciamlogin.com`
/// authority stands for.
pub const CONTOSO_CIAM_DOMAIN: &str = "contosociam.onmicrosoft.com";
/// Contoso External ID's host name (give it to `--hostname`).
pub const CONTOSO_CIAM_HOST: &str = "contosociam.ciamlogin.com";

/// Microsoft Graph's application id (the default resource).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Microsoft Graph's identifier URI.
pub const GRAPH_URI: &str = "https://graph.microsoft.com";

/// Contoso CLI: public client flows allowed, multi-tenant.
pub const CLI_CLIENT_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
/// Contoso Daemon: confidential, with a secret and a certificate.
pub const DAEMON_CLIENT_ID: &str = "11112222-bbbb-3333-cccc-4444dddd5555";
/// Contoso Web: public client flows not allowed.
pub const WEB_CLIENT_ID: &str = "22223333-cccc-4444-dddd-5555eeee6666";
/// Contoso B2C App: registered in Contoso B2C, public client flows allowed.
pub const B2C_CLIENT_ID: &str = "33334444-dddd-5555-eeee-6666ffff7777";
/// Contoso B2C Web: registered in Contoso B2C, public client flows not allowed
/// (AADB2C90057 on a password grant).
pub const B2C_WEB_CLIENT_ID: &str = "44445555-eeee-6666-ffff-7777aaaa8888";
/// Contoso External ID App: registered in Contoso External ID, public client flows allowed.
pub const CIAM_CLIENT_ID: &str = "55556666-ffff-7777-aaaa-8888bbbb9999";
/// Contoso Daemon's client secret.
pub const DAEMON_SECRET: &str = "contoso-daemon-secret";
/// Contoso Daemon's certificate (RSA 2048, self-signed, valid 2025 to 2050).
pub const DAEMON_CERT_PEM: &str = include_str!("../fixtures/contoso-daemon.cert.pem");
/// The private key of [`DAEMON_CERT_PEM`] (PKCS#8 PEM), to sign client assertions.
pub const DAEMON_KEY_PEM: &str = include_str!("../fixtures/contoso-daemon.key.pem");

/// The mock ADFS's token-signing certificate (RSA 2048, self-signed, valid 2025 to
/// 2050). Every federated tenant trusts it for the SAML bearer grants.
pub const ADFS_SIGNING_CERT_PEM: &str = include_str!("../fixtures/mock-adfs.cert.pem");
/// The private key of [`ADFS_SIGNING_CERT_PEM`] (PKCS#8 PEM): test data, published.
pub const ADFS_SIGNING_KEY_PEM: &str = include_str!("../fixtures/mock-adfs.key.pem");

/// Gets tokens.
pub const ALICE: &str = "alice@contoso.com";
/// AADSTS50076: MFA required (has a method registered).
pub const MFA_REQUIRED: &str = "mfa-required@contoso.com";
/// AADSTS50079: must enroll in MFA.
pub const MFA_ENROLLMENT: &str = "mfa-enrollment@contoso.com";
/// AADSTS65001: admin consent revoked for this user's scopes.
pub const CONSENT_REQUIRED: &str = "consent-required@contoso.com";
/// AADSTS50055: password expired.
pub const PASSWORD_EXPIRED: &str = "password-expired@contoso.com";
/// AADSTS50053: locked.
pub const LOCKED: &str = "locked@contoso.com";
/// AADSTS50057: disabled.
pub const DISABLED: &str = "disabled@contoso.com";
/// AADSTS53003: blocked by conditional access.
pub const CA_BLOCKED: &str = "ca-blocked@contoso.com";
/// A Fabrikam user, signing in through the mock ADFS (WS-Trust, then a SAML bearer
/// grant); a password posted straight to the token endpoint works too, as with Entra.
pub const FEDUSER: &str = "feduser@fabrikam.com";
/// A personal Microsoft account.
pub const PERSONAL_USER: &str = "someone@outlook.com";
/// A Contoso B2C local account: tokens through [`B2C_ROPC_POLICY`].
pub const B2C_USER: &str = "b2c-user@contosob2c.onmicrosoft.com";
/// A locked Contoso B2C local account: AADB2C90225, as for a wrong password (B2C
/// gives a locked account no distinct code on this flow).
pub const B2C_LOCKED: &str = "b2c-locked@contosob2c.onmicrosoft.com";
/// A disabled Contoso B2C local account: AADB2C90225, as for a wrong password (no
/// distinct B2C code for it is known).
pub const B2C_DISABLED: &str = "b2c-disabled@contosob2c.onmicrosoft.com";
/// A Contoso External ID customer: tokens at the External ID tenant.
pub const CIAM_USER: &str = "ciam-user@contosociam.onmicrosoft.com";
/// Not in any directory (AADSTS50034).
pub const NOBODY: &str = "nobody@contoso.com";

/// Object id of [`ALICE`].
pub const ALICE_OID: &str = "a11ce000-0000-4000-8000-000000000001";
/// Object id of [`MFA_REQUIRED`].
pub const MFA_REQUIRED_OID: &str = "a11ce000-0000-4000-8000-000000000002";
/// Object id of [`MFA_ENROLLMENT`].
pub const MFA_ENROLLMENT_OID: &str = "a11ce000-0000-4000-8000-000000000003";
/// Object id of [`CONSENT_REQUIRED`].
pub const CONSENT_REQUIRED_OID: &str = "a11ce000-0000-4000-8000-000000000004";
/// Object id of [`PASSWORD_EXPIRED`].
pub const PASSWORD_EXPIRED_OID: &str = "a11ce000-0000-4000-8000-000000000005";
/// Object id of [`LOCKED`].
pub const LOCKED_OID: &str = "a11ce000-0000-4000-8000-000000000006";
/// Object id of [`DISABLED`].
pub const DISABLED_OID: &str = "a11ce000-0000-4000-8000-000000000007";
/// Object id of [`CA_BLOCKED`].
pub const CA_BLOCKED_OID: &str = "a11ce000-0000-4000-8000-000000000008";
/// Object id of [`FEDUSER`].
pub const FEDUSER_OID: &str = "fed00000-0000-4000-8000-000000000001";
/// Object id of [`B2C_USER`].
pub const B2C_USER_OID: &str = "b2c00000-0000-4000-8000-000000000001";
/// Object id of [`B2C_LOCKED`].
pub const B2C_LOCKED_OID: &str = "b2c00000-0000-4000-8000-000000000002";
/// Object id of [`B2C_DISABLED`].
pub const B2C_DISABLED_OID: &str = "b2c00000-0000-4000-8000-000000000003";
/// Object id of [`CIAM_USER`].
pub const CIAM_USER_OID: &str = "c1a00000-0000-4000-8000-000000000001";
/// Object id of [`PERSONAL_USER`].
pub const PERSONAL_USER_OID: &str = "00000000-0000-0000-a5a5-000000000001";

/// Contoso's policy requiring MFA of [`MFA_REQUIRED`] and [`MFA_ENROLLMENT`].
pub const MFA_POLICY_ID: &str = "cacacaca-0000-4000-8000-000000000001";
/// Contoso's policy blocking [`CA_BLOCKED`].
pub const BLOCK_POLICY_ID: &str = "cacacaca-0000-4000-8000-000000000002";

/// The scopes consented tenant-wide in Contoso and Fabrikam for the CLI and the Daemon,
/// and in Contoso External ID for its app.
pub const CONSENTED_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "User.Read"];
