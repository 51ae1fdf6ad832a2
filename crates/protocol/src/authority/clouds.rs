//! The Microsoft clouds, their host aliases, the hosts that were retired, and the host
//! suffixes of B2C and External ID.

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

/// The Microsoft clouds known without instance discovery: public, China (21Vianet), US
/// Government, and `login-us.microsoftonline.com`.
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

/// A host that belonged to a cloud Microsoft closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetiredHost {
    /// The host.
    pub(crate) host: &'static str,
    /// What it was and what to use instead.
    pub(crate) note: &'static str,
}

/// Hosts of closed clouds: an authority on one is refused, naming why.
pub(crate) const RETIRED_HOSTS: &[RetiredHost] = &[RetiredHost {
    host: "login.microsoftonline.de",
    note: "it served Microsoft Cloud Deutschland, which Microsoft closed in October 2021; \
           its tenants moved to the public cloud: use https://login.microsoftonline.com/{tenant}",
}];

/// Host suffixes of Azure AD B2C (`{name}.b2clogin.com` and its national forms).
pub(crate) const B2C_HOST_SUFFIXES: &[&str] = &[".b2clogin.com", ".b2clogin.cn", ".b2clogin.us"];

/// The host suffix of Microsoft Entra External ID (CIAM) tenants.
pub(crate) const CIAM_HOST_SUFFIX: &str = ".ciamlogin.com";

/// The known cloud a host belongs to, case-insensitively.
pub(crate) fn known_cloud(host: &str) -> Option<&'static Cloud> {
    KNOWN_CLOUDS
        .iter()
        .find(|c| c.aliases.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

/// The retired host this is, case-insensitively.
pub(crate) fn retired_host(host: &str) -> Option<&'static RetiredHost> {
    RETIRED_HOSTS
        .iter()
        .find(|r| r.host.eq_ignore_ascii_case(host))
}

/// `{label}` of `{label}{suffix}`, when the host is one label under the suffix.
fn label_under<'h>(host: &'h str, suffix: &str) -> Option<&'h str> {
    let cut = host.len().checked_sub(suffix.len())?;
    let (label, tail) = (host.get(..cut)?, host.get(cut..)?);
    (tail.eq_ignore_ascii_case(suffix) && super::kind::is_dns_label(label)).then_some(label)
}

/// Whether the host is `{name}.b2clogin.com` (or `.cn`, `.us`).
pub(crate) fn is_b2c_host(host: &str) -> bool {
    B2C_HOST_SUFFIXES
        .iter()
        .any(|suffix| label_under(host, suffix).is_some())
}

/// `{name}` of a `{name}.ciamlogin.com` host.
pub(crate) fn ciam_name(host: &str) -> Option<&str> {
    label_under(host, CIAM_HOST_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_host_is_known_and_retired_hosts_are_not() {
        let table = [
            ("login.microsoftonline.com", "login.microsoftonline.com"),
            ("LOGIN.WINDOWS.NET", "login.microsoftonline.com"),
            ("login.microsoft.com", "login.microsoftonline.com"),
            ("sts.windows.net", "login.microsoftonline.com"),
            ("login.microsoftonline.us", "login.microsoftonline.us"),
            ("login.usgovcloudapi.net", "login.microsoftonline.us"),
            ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
            (
                "login.partner.microsoftonline.cn",
                "login.partner.microsoftonline.cn",
            ),
            (
                "login-us.microsoftonline.com",
                "login-us.microsoftonline.com",
            ),
        ];
        for (host, network) in table {
            assert_eq!(
                known_cloud(host).map(|c| c.preferred_network),
                Some(network),
                "{host}"
            );
        }
        assert_eq!(known_cloud("login.microsoftonline.de"), None);
        assert!(retired_host("Login.MicrosoftOnline.DE").is_some());
        assert_eq!(known_cloud("localhost"), None);
    }

    #[test]
    fn b2c_and_ciam_hosts_are_one_label_under_their_suffix() {
        assert!(is_b2c_host("contosob2c.b2clogin.com"));
        assert!(is_b2c_host("Contoso.B2CLOGIN.cn"));
        assert!(!is_b2c_host("b2clogin.com"));
        assert!(!is_b2c_host(".b2clogin.com"));
        assert!(!is_b2c_host("a.b.b2clogin.com"));
        assert!(!is_b2c_host("evilb2clogin.com"));
        assert_eq!(ciam_name("contoso.ciamlogin.com"), Some("contoso"));
        assert_eq!(ciam_name("ciamlogin.com"), None);
        assert_eq!(ciam_name("x.contoso.ciamlogin.com"), None);
    }
}
