//! Authorities: `https://{host[:port]}/{tenant}`, their tenant kind, the Microsoft clouds
//! and the endpoints derived from them.

use std::fmt;
use std::net::IpAddr;

use crate::error::ProtocolError;

/// The tenant segment of an authority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tenant {
    /// A directory id (GUID), lower-cased.
    Id(String),
    /// A verified domain (`contoso.onmicrosoft.com`, `contoso.com`), lower-cased.
    Domain(String),
    /// `organizations`: any work or school account.
    Organizations,
    /// `common`: work, school or personal accounts (behaves as `organizations` for the
    /// password grant).
    Common,
    /// `consumers`: personal Microsoft accounts only (refused for the password grant).
    Consumers,
    /// `adfs`: an on-premises ADFS authority.
    Adfs,
}

impl Tenant {
    /// Classifies a tenant path segment.
    pub fn parse(segment: &str) -> Result<Self, String> {
        let lower = segment.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "organizations" => Self::Organizations,
            "common" => Self::Common,
            "consumers" => Self::Consumers,
            "adfs" => Self::Adfs,
            "" => return Err("the path has no tenant segment".to_owned()),
            _ if is_guid(&lower) => Self::Id(lower),
            _ if is_domain(&lower) => Self::Domain(lower),
            _ => {
                return Err(format!(
                    "tenant {segment:?} is neither a GUID, a domain, `organizations`, `common`, \
                     `consumers` nor `adfs`"
                ));
            }
        })
    }

    /// The path segment as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Id(s) | Self::Domain(s) => s,
            Self::Organizations => "organizations",
            Self::Common => "common",
            Self::Consumers => "consumers",
            Self::Adfs => "adfs",
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_domain(s: &str) -> bool {
    s.contains('.')
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A Microsoft cloud: the hosts that are aliases of one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cloud {
    /// The host to send requests to.
    pub preferred_network: &'static str,
    /// The host MSAL writes in cache entries (`environment`).
    pub preferred_cache: &'static str,
    /// Every host of this cloud, the preferred ones included.
    pub aliases: &'static [&'static str],
}

/// The Microsoft clouds known without instance discovery.
pub(crate) const KNOWN_CLOUDS: &[Cloud] = &[
    Cloud {
        preferred_network: "login.microsoftonline.com",
        preferred_cache: "login.windows.net",
        aliases: &[
            "login.microsoftonline.com",
            "login.windows.net",
            "login.microsoft.com",
            "sts.windows.net",
        ],
    },
    Cloud {
        preferred_network: "login.partner.microsoftonline.cn",
        preferred_cache: "login.partner.microsoftonline.cn",
        aliases: &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    },
    Cloud {
        preferred_network: "login.microsoftonline.de",
        preferred_cache: "login.microsoftonline.de",
        aliases: &["login.microsoftonline.de"],
    },
    Cloud {
        preferred_network: "login.microsoftonline.us",
        preferred_cache: "login.microsoftonline.us",
        aliases: &["login.microsoftonline.us", "login.usgovcloudapi.net"],
    },
    Cloud {
        preferred_network: "login-us.microsoftonline.com",
        preferred_cache: "login-us.microsoftonline.com",
        aliases: &["login-us.microsoftonline.com"],
    },
];

/// The known cloud a host belongs to, case-insensitively.
pub(crate) fn known_cloud(host: &str) -> Option<&'static Cloud> {
    KNOWN_CLOUDS
        .iter()
        .find(|c| c.aliases.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

/// How strictly [`Authority::parse_with`] checks the URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorityOptions {
    /// Accept `http://` for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`). Never
    /// for any other host.
    pub allow_insecure_loopback: bool,
}

/// A validated authority such as `https://login.microsoftonline.com/organizations`.
///
/// ```
/// use entra_protocol::{Authority, Tenant};
/// let a = Authority::parse("https://login.microsoftonline.com/contoso.com")?;
/// assert_eq!(a.tenant(), &Tenant::Domain("contoso.com".into()));
/// assert_eq!(a.token_endpoint(), "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token");
/// # Ok::<(), entra_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    https: bool,
    host: String,
    port: Option<u16>,
    tenant: Tenant,
}

impl Authority {
    /// Parses an https authority.
    pub fn parse(authority: &str) -> Result<Self, ProtocolError> {
        Self::parse_with(authority, AuthorityOptions::default())
    }

    /// Parses an authority with options (plain http for loopback hosts).
    pub fn parse_with(authority: &str, options: AuthorityOptions) -> Result<Self, ProtocolError> {
        let parsed = url::Url::parse(authority.trim());
        // Never echo credentials embedded in the URL.
        let shown = match &parsed {
            Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                let mut u = u.clone();
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string()
            }
            _ => authority.to_owned(),
        };
        let invalid = |reason: String| ProtocolError::InvalidAuthority {
            authority: shown.clone(),
            reason,
        };
        let url = parsed.map_err(|e| invalid(format!("not a URL: {e}")))?;
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err(invalid("the URL has no host".to_owned())),
        };
        let https = match url.scheme() {
            "https" => true,
            "http" if options.allow_insecure_loopback && is_loopback(&host) => false,
            "http" if is_loopback(&host) => {
                return Err(invalid(
                    "plain http is refused unless the caller allows it for loopback hosts"
                        .to_owned(),
                ));
            }
            "http" => return Err(invalid("plain http is refused; use https".to_owned())),
            other => return Err(invalid(format!("scheme {other:?} is not https"))),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("the URL must not carry credentials".to_owned()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "the URL must not have a query or fragment".to_owned(),
            ));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let tenant = match segments.as_slice() {
            [tenant] => Tenant::parse(tenant).map_err(invalid)?,
            [] => {
                return Err(invalid(
                    "the path must name a tenant, e.g. https://login.microsoftonline.com/organizations"
                        .to_owned(),
                ));
            }
            _ => {
                return Err(invalid(
                    "the path must be exactly one tenant segment (B2C and custom paths are not \
                     supported)"
                        .to_owned(),
                ));
            }
        };
        Ok(Self {
            https,
            host,
            port: url.port(),
            tenant,
        })
    }

    /// The host without port, lower-cased: what MSAL Python writes as the cache
    /// `environment`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if any (`None` for the scheme's default).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host[:port]`, as requests address it.
    pub fn host_with_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// Whether this is an on-premises ADFS authority (`.../adfs`).
    pub fn is_adfs(&self) -> bool {
        self.tenant == Tenant::Adfs
    }

    /// The known Microsoft cloud this host belongs to.
    pub fn cloud(&self) -> Option<&'static Cloud> {
        known_cloud(&self.host)
    }

    /// `scheme://host[:port]`.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.host_with_port())
    }

    /// The canonical authority URL, `scheme://host[:port]/tenant`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.base_url(), self.tenant)
    }

    /// The token endpoint by convention (`/{tenant}/oauth2/v2.0/token`, ADFS
    /// `/adfs/oauth2/token`); prefer the one OIDC discovery gives when you have it.
    pub fn token_endpoint(&self) -> String {
        if self.is_adfs() {
            format!("{}/oauth2/token", self.url())
        } else {
            format!("{}/oauth2/v2.0/token", self.url())
        }
    }

    /// The authorization endpoint by convention (used by instance discovery).
    pub fn authorization_endpoint(&self) -> String {
        if self.is_adfs() {
            format!("{}/oauth2/authorize", self.url())
        } else {
            format!("{}/oauth2/v2.0/authorize", self.url())
        }
    }

    /// The OIDC discovery document URL (`/{tenant}/v2.0/.well-known/openid-configuration`;
    /// ADFS has no `/v2.0`).
    pub(crate) fn oidc_discovery_url(&self) -> String {
        if self.is_adfs() {
            format!("{}/.well-known/openid-configuration", self.url())
        } else {
            format!("{}/v2.0/.well-known/openid-configuration", self.url())
        }
    }

    /// The user realm discovery URL for a username, port kept, username percent-encoded.
    pub(crate) fn user_realm_url(&self, username: &str) -> String {
        crate::user_realm::user_realm_url(&self.base_url(), username)
    }

    /// The user realm endpoint with `[username]` in place of the username (and no
    /// query): what logs and errors show for a user realm request by default.
    ///
    /// ```
    /// let authority = entra_protocol::Authority::parse("https://login.microsoftonline.com/organizations")?;
    /// assert_eq!(
    ///     authority.user_realm_url_without_username(),
    ///     "https://login.microsoftonline.com/common/userrealm/[username]"
    /// );
    /// # Ok::<(), entra_protocol::ProtocolError>(())
    /// ```
    pub fn user_realm_url_without_username(&self) -> String {
        crate::user_realm::user_realm_url_without_username(&self.base_url())
    }

    /// The same authority with another tenant (after discovery said which one).
    pub(crate) fn with_tenant(&self, tenant: Tenant) -> Self {
        Self {
            tenant,
            ..self.clone()
        }
    }

    /// The authority to use for the password grant: `consumers` is refused, `common`
    /// becomes `organizations` (Entra refuses the grant at `/common`), others unchanged.
    ///
    /// ```
    /// use entra_protocol::{Authority, Tenant};
    /// let a = Authority::parse("https://login.microsoftonline.com/common")?.for_password_grant()?;
    /// assert_eq!(a.tenant(), &Tenant::Organizations);
    /// # Ok::<(), entra_protocol::ProtocolError>(())
    /// ```
    pub fn for_password_grant(&self) -> Result<Self, ProtocolError> {
        match self.tenant {
            Tenant::Consumers => Err(ProtocolError::ConsumersTenantNotSupported),
            Tenant::Common => Ok(self.with_tenant(Tenant::Organizations)),
            _ => Ok(self.clone()),
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

impl std::str::FromStr for Authority {
    type Err = ProtocolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Whether a host (as `url` prints it) is a loopback name or address.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Authority {
        Authority::parse(s).unwrap()
    }

    #[test]
    fn tenant_kinds_are_recognised() {
        let cases = [
            (
                "https://login.microsoftonline.com/organizations",
                Tenant::Organizations,
            ),
            ("https://login.microsoftonline.com/Common/", Tenant::Common),
            (
                "https://login.microsoftonline.com/consumers",
                Tenant::Consumers,
            ),
            (
                "https://login.microsoftonline.com/AAAABBBB-0000-CCCC-1111-DDDD2222EEEE",
                Tenant::Id("aaaabbbb-0000-cccc-1111-dddd2222eeee".into()),
            ),
            (
                "https://login.microsoftonline.com/contoso.onmicrosoft.com",
                Tenant::Domain("contoso.onmicrosoft.com".into()),
            ),
            ("https://fs.contoso.com/adfs", Tenant::Adfs),
        ];
        for (url, tenant) in cases {
            assert_eq!(parse(url).tenant(), &tenant, "{url}");
        }
        assert!(parse("https://fs.contoso.com/adfs/").is_adfs());
    }

    #[test]
    fn endpoints_keep_the_port() {
        let a = parse("https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee");
        assert_eq!(a.host(), "localhost");
        assert_eq!(a.port(), Some(8443));
        assert_eq!(a.host_with_port(), "localhost:8443");
        assert_eq!(
            a.token_endpoint(),
            "https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token"
        );
        assert_eq!(
            a.oidc_discovery_url(),
            "https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(
            a.user_realm_url("alice@contoso.com"),
            "https://localhost:8443/common/userrealm/alice@contoso.com?api-version=1.0"
        );
        let adfs = parse("https://fs.contoso.com/adfs");
        assert_eq!(
            adfs.token_endpoint(),
            "https://fs.contoso.com/adfs/oauth2/token"
        );
        assert_eq!(
            adfs.oidc_discovery_url(),
            "https://fs.contoso.com/adfs/.well-known/openid-configuration"
        );
    }

    #[test]
    fn plain_http_only_for_opted_in_loopback() {
        let opt_in = AuthorityOptions {
            allow_insecure_loopback: true,
        };
        for url in [
            "http://localhost:8080/organizations",
            "http://127.0.0.1:9/organizations",
            "http://[::1]:9/common",
        ] {
            let a = Authority::parse_with(url, opt_in).unwrap();
            assert!(a.token_endpoint().starts_with("http://"));
            assert!(Authority::parse(url).is_err(), "{url} without opt-in");
        }
        let err = Authority::parse_with("http://login.microsoftonline.com/organizations", opt_in)
            .unwrap_err();
        insta::assert_snapshot!(err, @r#"invalid authority "http://login.microsoftonline.com/organizations": plain http is refused; use https"#);
    }

    #[test]
    fn malformed_authorities_are_refused_with_a_reason() {
        let errors: Vec<String> = [
            "login.microsoftonline.com/organizations",
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/tfp/contoso/b2c_1_ropc",
            "https://login.microsoftonline.com/organizations?x=1",
            "https://login.microsoftonline.com/not_a_tenant",
            "https://user:pw@login.microsoftonline.com/organizations",
            "ftp://login.microsoftonline.com/organizations",
        ]
        .iter()
        .map(|u| Authority::parse(u).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(errors.join("\n"));
    }

    #[test]
    fn password_grant_refuses_consumers_and_rewrites_common() {
        let err = parse("https://login.microsoftonline.com/consumers")
            .for_password_grant()
            .unwrap_err();
        assert!(matches!(err, ProtocolError::ConsumersTenantNotSupported));
        let a = parse("https://login.microsoftonline.com/common")
            .for_password_grant()
            .unwrap();
        assert_eq!(a.url(), "https://login.microsoftonline.com/organizations");
        let t = parse("https://login.microsoftonline.com/contoso.com")
            .for_password_grant()
            .unwrap();
        assert_eq!(t.tenant().as_str(), "contoso.com");
    }

    #[test]
    fn known_clouds_and_aliases() {
        let a = parse("https://LOGIN.WINDOWS.NET/organizations");
        let cloud = a.cloud().unwrap();
        assert_eq!(cloud.preferred_network, "login.microsoftonline.com");
        assert!(cloud.aliases.contains(&"sts.windows.net"));
        assert_eq!(
            known_cloud("login.chinacloudapi.cn")
                .unwrap()
                .preferred_network,
            "login.partner.microsoftonline.cn"
        );
        assert_eq!(
            known_cloud("login.usgovcloudapi.net")
                .unwrap()
                .preferred_network,
            "login.microsoftonline.us"
        );
        assert!(known_cloud("login-us.microsoftonline.com").is_some());
        assert!(known_cloud("login.microsoftonline.de").is_some());
        assert!(known_cloud("localhost").is_none());
    }
}
