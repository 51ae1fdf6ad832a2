//! Whether an authority may be trusted with a password: a pure decision, and the answer
//! of instance discovery for the authorities it cannot decide alone.
//!
//! The rule, as MSAL's: Microsoft's cloud hosts and the B2C and External ID hosts are
//! trusted; so is a host the application lists in `known_authorities`, and an OpenID
//! Connect issuer it declared with [`Authority::parse_oidc`]; with validation turned
//! off (`validate_authority(false)`) every authority is. Any other host (an ADFS
//! server, a B2C custom domain, an Entra authority on a host Microsoft does not list)
//! needs instance discovery first, whose `invalid_instance` answer becomes
//! [`ProtocolError::UntrustedAuthority`] before any password is sent.

use super::{Authority, AuthorityKind, clouds};
use crate::discovery::{InstanceDiscovery, parse_instance_discovery};
use crate::error::ProtocolError;

/// Why an authority is trusted without asking anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustReason {
    /// Its host is a Microsoft cloud host (`login.microsoftonline.com`, ...).
    MicrosoftCloud,
    /// Its host is `{name}.b2clogin.com` (or `.cn`, `.us`).
    B2cHost,
    /// Its host is `{name}.ciamlogin.com`.
    CiamHost,
    /// The application lists it in `known_authorities`.
    KnownAuthority,
    /// The application declared it as an OpenID Connect issuer.
    DeclaredIssuer,
    /// The application turned validation off (`validate_authority(false)`).
    ValidationDisabled,
}

/// What to do before sending a password to an authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorityTrust {
    /// Use it.
    Trusted(TrustReason),
    /// Ask instance discovery about it first
    /// ([`instance_discovery_request`](crate::instance_discovery_request), then
    /// [`parse_instance_discovery_for`]).
    NeedsInstanceDiscovery,
}

/// Decides whether `authority` is trusted, given the hosts or URLs the application
/// trusts (`known_authorities`: `contoso.b2clogin.com`, `localhost:8443`,
/// `https://fs.contoso.com/adfs`; an entry without a port matches any port) and
/// whether it validates authorities at all.
///
/// ```
/// use entra_protocol::{Authority, AuthorityTrust, TrustReason, validate_authority};
/// let adfs = Authority::parse("https://fs.contoso.com/adfs")?;
/// assert_eq!(
///     validate_authority(&adfs, &["login.contoso.com"], true),
///     AuthorityTrust::NeedsInstanceDiscovery
/// );
/// assert_eq!(
///     validate_authority(&adfs, &["fs.contoso.com"], true),
///     AuthorityTrust::Trusted(TrustReason::KnownAuthority)
/// );
/// # Ok::<(), entra_protocol::ProtocolError>(())
/// ```
pub fn validate_authority<S: AsRef<str>>(
    authority: &Authority,
    known_authorities: &[S],
    validate: bool,
) -> AuthorityTrust {
    let reason = if !validate {
        Some(TrustReason::ValidationDisabled)
    } else if known_authorities
        .iter()
        .any(|known| matches_known(authority, known.as_ref()))
    {
        Some(TrustReason::KnownAuthority)
    } else if matches!(authority.kind(), AuthorityKind::Oidc { .. }) {
        Some(TrustReason::DeclaredIssuer)
    } else if authority.cloud().is_some() {
        Some(TrustReason::MicrosoftCloud)
    } else if clouds::is_b2c_host(authority.host()) {
        Some(TrustReason::B2cHost)
    } else if clouds::ciam_name(authority.host()).is_some() {
        Some(TrustReason::CiamHost)
    } else {
        None
    };
    reason.map_or(
        AuthorityTrust::NeedsInstanceDiscovery,
        AuthorityTrust::Trusted,
    )
}

/// Whether a `known_authorities` entry (a host, `host:port`, or a URL) names the
/// authority's host (and port, when the entry gives one).
fn matches_known(authority: &Authority, known: &str) -> bool {
    let known = known.trim();
    let (host, port) = if known.contains("://") {
        let Ok(url) = url::Url::parse(known) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        (host.to_owned(), url.port())
    } else {
        let part = known.split('/').next().unwrap_or_default();
        match part.rsplit_once(':') {
            Some((host, port)) if !part.ends_with(']') => match port.parse::<u16>() {
                Ok(port) => (host.to_owned(), Some(port)),
                Err(_) => return false,
            },
            _ => (part.to_owned(), None),
        }
    };
    host.eq_ignore_ascii_case(authority.host())
        && port.is_none_or(|port| Some(port) == authority.port())
}

/// Parses instance discovery's answer about `authority`: `invalid_instance`
/// (AADSTS50049) becomes [`ProtocolError::UntrustedAuthority`], which says how to trust
/// the host; every other answer is as [`parse_instance_discovery`] gives it.
pub fn parse_instance_discovery_for(
    authority: &Authority,
    response: &http::Response<Vec<u8>>,
) -> Result<InstanceDiscovery, ProtocolError> {
    parse_instance_discovery(response).map_err(|error| match error {
        ProtocolError::Server(server)
            if server.error == "invalid_instance" || server.error_codes.contains(&50049) =>
        {
            ProtocolError::UntrustedAuthority {
                host: authority.host_with_port(),
                server,
            }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::json_response;

    #[test]
    fn validation_table() {
        use AuthorityTrust::{NeedsInstanceDiscovery as Ask, Trusted};
        use TrustReason as R;
        let none: &[&str] = &[];
        let table: &[(&str, &[&str], bool, AuthorityTrust)] = &[
            (
                "https://login.microsoftonline.com/organizations",
                none,
                true,
                Trusted(R::MicrosoftCloud),
            ),
            (
                "https://login.microsoftonline.us/contoso.com",
                none,
                true,
                Trusted(R::MicrosoftCloud),
            ),
            (
                "https://login.partner.microsoftonline.cn/contoso.com",
                none,
                true,
                Trusted(R::MicrosoftCloud),
            ),
            (
                "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC",
                none,
                true,
                Trusted(R::B2cHost),
            ),
            (
                "https://contoso.ciamlogin.com",
                none,
                true,
                Trusted(R::CiamHost),
            ),
            ("https://fs.contoso.com/adfs", none, true, Ask),
            (
                "https://fs.contoso.com/adfs",
                &["FS.contoso.com"],
                true,
                Trusted(R::KnownAuthority),
            ),
            (
                "https://fs.contoso.com/adfs",
                &["https://fs.contoso.com/adfs"],
                true,
                Trusted(R::KnownAuthority),
            ),
            (
                "https://fs.contoso.com/adfs",
                &["fs.contoso.com.evil"],
                true,
                Ask,
            ),
            (
                "https://fs.contoso.com/adfs",
                none,
                false,
                Trusted(R::ValidationDisabled),
            ),
            ("https://localhost:8443/organizations", none, true, Ask),
            (
                "https://localhost:8443/organizations",
                &["localhost:8443"],
                true,
                Trusted(R::KnownAuthority),
            ),
            (
                "https://localhost:8443/organizations",
                &["localhost:9443"],
                true,
                Ask,
            ),
            (
                "https://localhost:8443/organizations",
                &["localhost"],
                true,
                Trusted(R::KnownAuthority),
            ),
            (
                "https://login.contoso.com/organizations",
                &["contoso.com"],
                true,
                Ask,
            ),
            (
                "https://login.contoso.com/organizations",
                &["localhost:x"],
                true,
                Ask,
            ),
        ];
        for (url, known, validate, expected) in table {
            let authority = Authority::parse(url).unwrap();
            assert_eq!(
                validate_authority(&authority, known, *validate),
                *expected,
                "{url} known {known:?} validate {validate}"
            );
        }
        let custom =
            Authority::parse_b2c("https://login.contoso.com/contoso.onmicrosoft.com/B2C_1_x")
                .unwrap();
        assert_eq!(validate_authority(&custom, none, true), Ask);
        let oidc = Authority::parse_oidc("https://idp.example.com").unwrap();
        assert_eq!(
            validate_authority(&oidc, none, true),
            Trusted(R::DeclaredIssuer)
        );
    }

    #[test]
    fn invalid_instance_says_how_to_trust_the_host() {
        let authority = Authority::parse("https://fs.contoso.com:8443/adfs").unwrap();
        let body = r#"{"error":"invalid_instance","error_description":"AADSTS50049: Unknown or invalid instance.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2024-01-01 00:00:00Z","error_codes":[50049]}"#;
        let error =
            parse_instance_discovery_for(&authority, &json_response(400, body)).unwrap_err();
        assert_eq!(
            error.server_error().and_then(|s| s.aadsts_code()),
            Some(50049)
        );
        insta::assert_snapshot!(error, @"the authority host fs.contoso.com:8443 is not known to Microsoft (instance discovery answered `invalid_instance`), so no password was sent to it; if you trust this host, list it in `known_authorities` or turn authority validation off with `validate_authority(false)`");
        let other = r#"{"error":"invalid_request","error_codes":[90002]}"#;
        let error =
            parse_instance_discovery_for(&authority, &json_response(400, other)).unwrap_err();
        assert!(matches!(error, ProtocolError::Server(_)));
    }
}
