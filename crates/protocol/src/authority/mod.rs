//! Authorities: Entra ID tenants on the Microsoft clouds, Azure AD B2C policies, External
//! ID (CIAM) tenants, ADFS and declared OpenID Connect issuers; their kind, the clouds,
//! the endpoints derived from them, the OpenID configuration check and validation.
//!
//! - [`kind`]: [`AuthorityKind`] and [`Tenant`].
//! - [`clouds`]: the Microsoft clouds and their aliases, retired hosts, B2C and CIAM hosts.
//! - [`openid`]: the OpenID configuration URL and the issuer check.
//! - [`validation`]: whether an authority is trusted or needs instance discovery first.

use std::fmt;
use std::net::IpAddr;

use crate::error::ProtocolError;

pub mod clouds;
pub mod kind;
pub mod openid;
pub mod validation;

pub use clouds::Cloud;
pub(crate) use clouds::known_cloud;
pub use kind::{AuthorityKind, Tenant};

/// How strictly [`Authority::parse_with`] checks the URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorityOptions {
    /// Accept `http://` for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`). Never
    /// for any other host.
    pub allow_insecure_loopback: bool,
}

/// A parsed authority: where users sign in, of one [`AuthorityKind`].
///
/// ```
/// use entra_protocol::{Authority, AuthorityKind, Tenant};
/// let a = Authority::parse("https://login.microsoftonline.com/contoso.com")?;
/// assert_eq!(a.tenant(), &Tenant::Domain("contoso.com".into()));
/// assert_eq!(a.token_endpoint(), "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token");
///
/// let b2c = Authority::parse("https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth")?;
/// assert!(matches!(b2c.kind(), AuthorityKind::B2c { policy, .. } if policy == "B2C_1_ROPC_Auth"));
/// assert!(!b2c.uses_user_realm_discovery());
/// # Ok::<(), entra_protocol::ProtocolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    https: bool,
    host: String,
    port: Option<u16>,
    /// The canonical path, beginning with `/` (`/contoso.com`, `/{tenant}/{policy}`,
    /// `/adfs`, an OIDC issuer's path; empty for a path-less OIDC issuer).
    path: String,
    kind: AuthorityKind,
}

/// The tenant of an ADFS authority, for [`Authority::tenant`].
static ADFS_TENANT: Tenant = Tenant::Adfs;

/// The parts of an authority URL every kind checks the same way.
struct Parts {
    https: bool,
    host: String,
    port: Option<u16>,
    segments: Vec<String>,
}

/// Which constructor is parsing: what it accepts differs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// [`Authority::parse`]: the kind comes from the host and path.
    Detect,
    /// [`Authority::parse_b2c`]: a B2C policy on any host.
    B2c,
    /// [`Authority::parse_oidc`]: an OpenID Connect issuer.
    Oidc,
}

impl Authority {
    /// Parses an https authority and detects its kind: an Entra tenant on any host
    /// (`https://{host}/{tenant}`), B2C on a `b2clogin.com` host
    /// (`/{tenant}/{policy}` or `/tfp/{tenant}/{policy}`), External ID on a
    /// `ciamlogin.com` host (path-less or `/{tenant}`), ADFS (`https://{host}/adfs`).
    /// A B2C custom domain needs [`Authority::parse_b2c`], any other OpenID Connect
    /// issuer [`Authority::parse_oidc`]. A host of a closed cloud is refused.
    pub fn parse(authority: &str) -> Result<Self, ProtocolError> {
        Self::parse_with(authority, AuthorityOptions::default())
    }

    /// Parses an authority with options (plain http for loopback hosts).
    pub fn parse_with(authority: &str, options: AuthorityOptions) -> Result<Self, ProtocolError> {
        Self::parse_as(authority, options, Declared::Detect)
    }

    /// Parses a B2C authority on any host, for a B2C custom domain
    /// (`https://login.contoso.com/{tenant}/{policy}`, or the `/tfp/` form).
    ///
    /// ```
    /// let a = entra_protocol::Authority::parse_b2c("https://login.contoso.com/tfp/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth")?;
    /// assert_eq!(a.url(), "https://login.contoso.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth");
    /// # Ok::<(), entra_protocol::ProtocolError>(())
    /// ```
    pub fn parse_b2c(authority: &str) -> Result<Self, ProtocolError> {
        Self::parse_b2c_with(authority, AuthorityOptions::default())
    }

    /// [`Authority::parse_b2c`] with options.
    pub fn parse_b2c_with(
        authority: &str,
        options: AuthorityOptions,
    ) -> Result<Self, ProtocolError> {
        Self::parse_as(authority, options, Declared::B2c)
    }

    /// Declares any OpenID Connect issuer as the authority (`https://{host}[/{path}]`):
    /// its endpoints come only from `{issuer}/.well-known/openid-configuration`, and its
    /// issuer is checked against this URL.
    pub fn parse_oidc(issuer: &str) -> Result<Self, ProtocolError> {
        Self::parse_oidc_with(issuer, AuthorityOptions::default())
    }

    /// [`Authority::parse_oidc`] with options.
    pub fn parse_oidc_with(issuer: &str, options: AuthorityOptions) -> Result<Self, ProtocolError> {
        Self::parse_as(issuer, options, Declared::Oidc)
    }

    fn parse_as(
        authority: &str,
        options: AuthorityOptions,
        declared: Declared,
    ) -> Result<Self, ProtocolError> {
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
        let parts = split(parsed, options).map_err(invalid)?;
        if let Some(retired) = clouds::retired_host(&parts.host) {
            return Err(ProtocolError::RetiredAuthorityHost {
                host: parts.host,
                note: retired.note,
            });
        }
        let segments: Vec<&str> = parts.segments.iter().map(String::as_str).collect();
        let (kind, path) = match declared {
            Declared::Oidc => oidc(&segments),
            Declared::B2c => b2c(&segments),
            Declared::Detect if clouds::is_b2c_host(&parts.host) => b2c(&segments),
            Declared::Detect => match clouds::ciam_name(&parts.host) {
                Some(name) => ciam(name, &segments),
                None => entra_or_adfs(&parts.host, &segments),
            },
        }
        .map_err(invalid)?;
        Ok(Self {
            https: parts.https,
            host: parts.host,
            port: parts.port,
            path,
            kind,
        })
    }

    /// The kind of authority, with its tenant (and a B2C policy).
    pub fn kind(&self) -> &AuthorityKind {
        &self.kind
    }

    /// The host without port, lower-cased: what MSAL Python writes as the cache
    /// `environment` for every kind.
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

    /// The tenant: an Entra tenant, the B2C or External ID directory, `adfs`, or an
    /// OpenID Connect issuer's first path segment ([`Tenant::Other`]).
    pub fn tenant(&self) -> &Tenant {
        match &self.kind {
            AuthorityKind::Entra { tenant }
            | AuthorityKind::B2c { tenant, .. }
            | AuthorityKind::Ciam { tenant }
            | AuthorityKind::Oidc { tenant } => tenant,
            AuthorityKind::Adfs => &ADFS_TENANT,
        }
    }

    /// The B2C policy, for a B2C authority.
    pub fn b2c_policy(&self) -> Option<&str> {
        match &self.kind {
            AuthorityKind::B2c { policy, .. } => Some(policy),
            _ => None,
        }
    }

    /// Whether this is an on-premises ADFS authority (`.../adfs`).
    pub fn is_adfs(&self) -> bool {
        self.kind == AuthorityKind::Adfs
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

    /// The canonical authority URL: `scheme://host[:port]/tenant`; B2C
    /// `/{tenant}/{policy}` (the `/tfp/` form dropped); a path-less External ID
    /// authority gets its `/{name}.onmicrosoft.com` tenant; OIDC the issuer as given,
    /// without a trailing slash.
    pub fn url(&self) -> String {
        format!("{}{}", self.base_url(), self.path)
    }

    /// Whether user realm discovery (and so WS-Trust for federated users) applies:
    /// Entra tenants only. B2C, External ID, ADFS and OIDC authorities send the
    /// password straight to their token endpoint.
    pub fn uses_user_realm_discovery(&self) -> bool {
        matches!(self.kind, AuthorityKind::Entra { .. })
    }

    /// Whether a federated user may be signed in through WS-Trust: Entra only.
    pub fn uses_ws_trust(&self) -> bool {
        self.uses_user_realm_discovery()
    }

    /// Whether the endpoints must come from the OpenID configuration (B2C, External
    /// ID, ADFS, OIDC) rather than from the URL convention (Entra on a known cloud).
    pub fn needs_openid_configuration(&self) -> bool {
        !matches!(self.kind, AuthorityKind::Entra { .. })
    }

    /// The token endpoint by convention: `{authority}/oauth2/v2.0/token` (Entra,
    /// External ID, B2C `/{tenant}/{policy}/oauth2/v2.0/token`), ADFS
    /// `/adfs/oauth2/token`. An OIDC authority has no convention: it gives the same
    /// Entra-shaped URL under the issuer, which is only a guess; post to the
    /// OpenID configuration's `token_endpoint` whenever
    /// [`needs_openid_configuration`](Self::needs_openid_configuration)
    /// says so.
    pub fn token_endpoint(&self) -> String {
        if self.is_adfs() {
            format!("{}/oauth2/token", self.url())
        } else {
            format!("{}/oauth2/v2.0/token", self.url())
        }
    }

    /// The authorization endpoint by convention (what instance discovery is asked
    /// about), with the same caveat as [`token_endpoint`](Self::token_endpoint).
    pub fn authorization_endpoint(&self) -> String {
        if self.is_adfs() {
            format!("{}/oauth2/authorize", self.url())
        } else {
            format!("{}/oauth2/v2.0/authorize", self.url())
        }
    }

    /// The cache `realm` MSAL Python writes for this authority before its OpenID
    /// configuration is known: the first path segment of the token endpoint (Entra's
    /// tenant, B2C's and External ID's directory, `adfs`). `None` for an OIDC authority:
    /// take [`OidcConfiguration::token_endpoint_tenant`](crate::OidcConfiguration::token_endpoint_tenant)
    /// from its configuration, as MSAL Python does for every kind.
    pub fn cache_realm(&self) -> Option<&str> {
        match &self.kind {
            AuthorityKind::Oidc { .. } => None,
            _ => Some(self.tenant().as_str()),
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

    /// The same Entra authority with another tenant (after discovery said which one).
    pub(crate) fn with_tenant(&self, tenant: Tenant) -> Self {
        Self {
            path: format!("/{tenant}"),
            kind: AuthorityKind::Entra { tenant },
            ..self.clone()
        }
    }

    /// The same authority for another tenant, for one request of a multi-tenant
    /// application: Entra (`organizations`/`common` swapped for a tenant id or domain)
    /// and External ID only.
    ///
    /// ```
    /// let a = entra_protocol::Authority::parse("https://login.microsoftonline.com/organizations")?;
    /// assert_eq!(a.for_tenant("contoso.com")?.url(), "https://login.microsoftonline.com/contoso.com");
    /// # Ok::<(), entra_protocol::ProtocolError>(())
    /// ```
    pub fn for_tenant(&self, tenant: &str) -> Result<Self, ProtocolError> {
        let invalid = |reason: String| ProtocolError::InvalidAuthority {
            authority: self.url(),
            reason,
        };
        match &self.kind {
            AuthorityKind::Entra { .. } => match Tenant::parse(tenant).map_err(invalid)? {
                Tenant::Adfs => Err(invalid(
                    "`adfs` is not a tenant of an Entra authority".to_owned(),
                )),
                tenant => Ok(self.with_tenant(tenant)),
            },
            AuthorityKind::Ciam { .. } => {
                let tenant = Tenant::parse_directory(tenant, "an External ID").map_err(invalid)?;
                Ok(Self {
                    path: format!("/{tenant}"),
                    kind: AuthorityKind::Ciam { tenant },
                    ..self.clone()
                })
            }
            other => Err(invalid(format!(
                "the tenant of this {} authority is part of it; another cannot be given per request",
                other.name()
            ))),
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
        match &self.kind {
            AuthorityKind::Entra {
                tenant: Tenant::Consumers,
            } => Err(ProtocolError::ConsumersTenantNotSupported),
            AuthorityKind::Entra {
                tenant: Tenant::Common,
            } => Ok(self.with_tenant(Tenant::Organizations)),
            _ => Ok(self.clone()),
        }
    }
}

/// Checks scheme, host, credentials, query and fragment, and splits the path.
fn split(
    parsed: Result<url::Url, url::ParseError>,
    options: AuthorityOptions,
) -> Result<Parts, String> {
    let url = parsed.map_err(|e| format!("not a URL: {e}"))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        None => return Err("the URL has no host".to_owned()),
    };
    let https = match url.scheme() {
        "https" => true,
        "http" if options.allow_insecure_loopback && is_loopback(&host) => false,
        "http" if is_loopback(&host) => {
            return Err(
                "plain http is refused unless the caller allows it for loopback hosts".to_owned(),
            );
        }
        "http" => return Err("plain http is refused; use https".to_owned()),
        other => return Err(format!("scheme {other:?} is not https")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry credentials".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".to_owned());
    }
    let segments = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(Parts {
        https,
        host,
        port: url.port(),
        segments,
    })
}

/// An Entra tenant or ADFS, on any host that is neither B2C nor External ID.
fn entra_or_adfs(host: &str, segments: &[&str]) -> Result<(AuthorityKind, String), String> {
    match segments {
        [tenant] => match Tenant::parse(tenant)? {
            Tenant::Adfs => Ok((AuthorityKind::Adfs, "/adfs".to_owned())),
            tenant => Ok((
                AuthorityKind::Entra {
                    tenant: tenant.clone(),
                },
                format!("/{tenant}"),
            )),
        },
        [] => Err(format!(
            "the path must name a tenant, e.g. https://{host}/organizations"
        )),
        [_, policy] | ["tfp", _, policy]
            if policy.to_ascii_lowercase().starts_with("b2c_") && known_cloud(host).is_some() =>
        {
            Err(format!(
                "Azure AD B2C no longer serves policies on {host}; use \
                 https://{{name}}.b2clogin.com/{{tenant}}/{{policy}}"
            ))
        }
        [_, policy] | ["tfp", _, policy] if policy.to_ascii_lowercase().starts_with("b2c_") => {
            Err(format!(
                "a B2C policy on a host other than {{name}}.b2clogin.com is a custom domain: \
                 declare it with Authority::parse_b2c (host {host})"
            ))
        }
        _ => Err(
            "the path must be exactly one tenant segment (a B2C custom domain is declared with \
             Authority::parse_b2c, any other OpenID Connect issuer with Authority::parse_oidc)"
                .to_owned(),
        ),
    }
}

/// `/{tenant}/{policy}` or `/tfp/{tenant}/{policy}`.
fn b2c(segments: &[&str]) -> Result<(AuthorityKind, String), String> {
    let (tenant, policy) = match segments {
        [tfp, tenant, policy] if tfp.eq_ignore_ascii_case("tfp") => (tenant, policy),
        [tfp, _] if tfp.eq_ignore_ascii_case("tfp") => {
            return Err(
                "the /tfp/ form is /tfp/{tenant}/{policy}: the policy is missing".to_owned(),
            );
        }
        [tenant, policy] => (tenant, policy),
        _ => {
            return Err(
                "a B2C authority is https://{name}.b2clogin.com/{tenant}/{policy} (or \
                 .../tfp/{tenant}/{policy}): the path must be a tenant and a policy"
                    .to_owned(),
            );
        }
    };
    let tenant = Tenant::parse_directory(tenant, "a B2C")?;
    if !kind::is_policy(policy) {
        return Err(format!(
            "B2C policy {policy:?} must be letters, digits, `_`, `-` or `.` (e.g. B2C_1_ROPC_Auth)"
        ));
    }
    let path = format!("/{tenant}/{policy}");
    Ok((
        AuthorityKind::B2c {
            tenant,
            policy: (*policy).to_owned(),
        },
        path,
    ))
}

/// `https://{name}.ciamlogin.com` (tenant `{name}.onmicrosoft.com`) or with `/{tenant}`.
fn ciam(name: &str, segments: &[&str]) -> Result<(AuthorityKind, String), String> {
    let tenant = match segments {
        [] => Tenant::Domain(format!("{}.onmicrosoft.com", name.to_ascii_lowercase())),
        [tenant] => Tenant::parse_directory(tenant, "an External ID")?,
        _ => {
            return Err(
                "an External ID authority is https://{name}.ciamlogin.com or \
                 https://{name}.ciamlogin.com/{tenant}: at most one path segment"
                    .to_owned(),
            );
        }
    };
    let path = format!("/{tenant}");
    Ok((AuthorityKind::Ciam { tenant }, path))
}

/// Any issuer path; the first segment, as given, stands for the tenant.
fn oidc(segments: &[&str]) -> Result<(AuthorityKind, String), String> {
    let tenant = Tenant::Other(
        segments
            .first()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    );
    let path: String = segments.iter().map(|s| format!("/{s}")).collect();
    Ok((AuthorityKind::Oidc { tenant }, path))
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
mod tests;
