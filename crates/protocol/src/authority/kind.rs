//! What an authority is: its [`AuthorityKind`] and the [`Tenant`] it names.

use std::fmt;

/// The tenant segment of an authority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// The first path segment of an OpenID Connect authority, as given (empty for a
    /// path-less one): it names no Entra tenant.
    Other(String),
}

impl Tenant {
    /// Classifies a tenant path segment of an Entra authority.
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

    /// Parses the tenant of a B2C or External ID authority: a GUID or a domain only.
    pub(crate) fn parse_directory(segment: &str, kind: &str) -> Result<Self, String> {
        match Self::parse(segment)? {
            tenant @ (Self::Id(_) | Self::Domain(_)) => Ok(tenant),
            other => Err(format!(
                "the tenant of {kind} authority is a GUID or a domain, not `{other}`"
            )),
        }
    }

    /// The path segment as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Id(s) | Self::Domain(s) | Self::Other(s) => s,
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

/// Which kind of authority this is, each with its own endpoints, validation and flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorityKind {
    /// A Microsoft Entra ID (work or school) tenant on a Microsoft cloud host, or on
    /// another host once it is validated: `https://login.microsoftonline.com/{tenant}`.
    Entra {
        /// The tenant: a GUID, a domain, `organizations`, `common` or `consumers`.
        tenant: Tenant,
    },
    /// An Azure AD B2C user flow or custom policy:
    /// `https://{name}.b2clogin.com/{tenant}/{policy}` (also the `/tfp/` form, and a
    /// custom domain through [`Authority::parse_b2c`](super::Authority::parse_b2c)).
    B2c {
        /// The B2C directory: `{name}.onmicrosoft.com` or its GUID.
        tenant: Tenant,
        /// The policy (user flow) as given, e.g. `B2C_1_ROPC_Auth`.
        policy: String,
    },
    /// A Microsoft Entra External ID (CIAM) tenant: `https://{name}.ciamlogin.com`
    /// (tenant `{name}.onmicrosoft.com`) or `https://{name}.ciamlogin.com/{tenant}`.
    Ciam {
        /// The tenant: a GUID or a domain.
        tenant: Tenant,
    },
    /// An on-premises ADFS (2019 or later) used as the authority: `https://{host}/adfs`.
    Adfs,
    /// Any OpenID Connect issuer the caller declared with
    /// [`Authority::parse_oidc`](super::Authority::parse_oidc); its endpoints come only
    /// from its OpenID configuration.
    Oidc {
        /// The first path segment of the issuer, as given (empty when it has none).
        tenant: Tenant,
    },
}

impl AuthorityKind {
    /// A short name for messages (`Entra ID`, `B2C`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Entra { .. } => "Entra ID",
            Self::B2c { .. } => "B2C",
            Self::Ciam { .. } => "External ID",
            Self::Adfs => "ADFS",
            Self::Oidc { .. } => "OpenID Connect",
        }
    }
}

pub(crate) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn is_domain(s: &str) -> bool {
    s.contains('.') && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// One DNS label: 1 to 63 letters, digits or hyphens, no hyphen at either end.
pub(crate) fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A B2C policy name: letters, digits, `_`, `-` and `.`, at most 100 of them.
pub(crate) fn is_policy(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
