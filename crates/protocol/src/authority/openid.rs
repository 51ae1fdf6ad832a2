//! The OpenID configuration of an authority: where it is, and whether the document
//! fetched from there may be used (its issuer and endpoints checked against the
//! authority, by MSAL Python's rule).

use super::clouds::{self, Cloud};
use super::kind::is_dns_label;
use super::{Authority, AuthorityKind, Tenant};
use crate::discovery::{Endpoints, OidcConfiguration};
use crate::error::ProtocolError;

/// Host suffixes an issuer may sit under for a B2C authority (MSAL Python's list, the
/// External ID one aside: that has its own rule).
const B2C_ISSUER_SUFFIXES: &[&str] = &[
    ".b2clogin.com",
    ".b2clogin.cn",
    ".b2clogin.us",
    ".b2clogin.de",
];

impl Authority {
    /// Where the OpenID configuration is: Entra and External ID
    /// `/{tenant}/v2.0/.well-known/openid-configuration`, B2C
    /// `/{tenant}/{policy}/v2.0/.well-known/openid-configuration`, ADFS
    /// `/adfs/.well-known/openid-configuration`, OIDC
    /// `{issuer}/.well-known/openid-configuration`. The port is kept.
    pub fn openid_configuration_url(&self) -> String {
        match self.kind {
            AuthorityKind::Adfs | AuthorityKind::Oidc { .. } => {
                format!("{}/.well-known/openid-configuration", self.url())
            }
            _ => format!("{}/v2.0/.well-known/openid-configuration", self.url()),
        }
    }

    /// Whether `issuer`, as an OpenID configuration names it, is valid for this
    /// authority, by MSAL Python's rule, in its order:
    ///
    /// 1. it is the authority URL (a trailing slash aside);
    /// 2. it has the authority's scheme, host and port (any path);
    /// 3. an issuer on `{t}.ciamlogin.com` only when `{t}` is the authority's tenant
    ///    (first path segment, else first host label) and its path is empty, `/{t}` or
    ///    `/{t}/v2.0`; any other `ciamlogin.com` issuer is refused here;
    /// 4. an https issuer on a Microsoft cloud host (or `{region}.{host}`): accepted
    ///    under an authority outside the Microsoft clouds, and under a Microsoft
    ///    authority only when both are the same cloud;
    /// 5. its host is `{region}.{authority host}`;
    /// 6. its host is under a B2C domain (`b2clogin.com`, `.cn`, `.us`, `.de`).
    pub fn issuer_is_valid(&self, issuer: &str) -> bool {
        let authority_url = self.url();
        if issuer.trim_end_matches('/') == authority_url.trim_end_matches('/') {
            return true;
        }
        let Ok(parsed) = url::Url::parse(issuer) else {
            return false;
        };
        let Some(issuer_host) = parsed.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let https = if self.https { "https" } else { "http" };
        if parsed.scheme() == https && issuer_host == self.host && parsed.port() == self.port {
            return true;
        }
        if let Some(issuer_tenant) = issuer_host.strip_suffix(clouds::CIAM_HOST_SUFFIX) {
            let authority_tenant = match self.path.split('/').find(|s| !s.is_empty()) {
                Some(first) => first.to_ascii_lowercase(),
                None => self.host.split('.').next().unwrap_or_default().to_owned(),
            };
            let path = parsed.path().trim_end_matches('/').to_ascii_lowercase();
            return !issuer_tenant.is_empty()
                && issuer_tenant == authority_tenant
                && (path.is_empty()
                    || path == format!("/{issuer_tenant}")
                    || path == format!("/{issuer_tenant}/v2.0"));
        }
        if parsed.scheme() == "https"
            && let Some(issuer_cloud) = cloud_of(&issuer_host)
        {
            match cloud_of(&self.host) {
                None => return true,
                Some(authority_cloud) if authority_cloud == issuer_cloud => return true,
                Some(_) => {}
            }
        }
        if let Some((prefix, base)) = issuer_host.split_once('.')
            && is_dns_label(prefix)
            && base == self.host
        {
            return true;
        }
        B2C_ISSUER_SUFFIXES
            .iter()
            .any(|suffix| issuer_host.ends_with(suffix))
    }

    /// Checks an OpenID configuration fetched for this authority before its endpoints
    /// are used: its issuer must be valid ([`issuer_is_valid`](Self::issuer_is_valid)),
    /// its token and authorization endpoints https (as the authority is), and, for an
    /// authority on a Microsoft cloud, on a host of that same cloud.
    ///
    /// MSAL Python runs the issuer check for OIDC authorities only; this runs it for
    /// every kind but External ID with a domain tenant, whose issuer names the
    /// tenant's GUID (`https://{tenant id}.ciamlogin.com/{tenant id}/v2.0`), which the
    /// authority does not carry.
    pub fn check_openid_configuration(
        &self,
        configuration: &OidcConfiguration,
    ) -> Result<(), ProtocolError> {
        let issuer_checked = !matches!(
            &self.kind,
            AuthorityKind::Ciam {
                tenant: Tenant::Domain(_)
            }
        );
        if issuer_checked && !self.issuer_is_valid(&configuration.issuer) {
            return Err(ProtocolError::IssuerMismatch {
                authority: self.url(),
                issuer: configuration.issuer.clone(),
            });
        }
        for (what, endpoint) in [
            ("token_endpoint", &configuration.token_endpoint),
            (
                "authorization_endpoint",
                &configuration.authorization_endpoint,
            ),
        ] {
            self.check_endpoint(what, endpoint)?;
        }
        Ok(())
    }

    /// The endpoints of an OpenID configuration fetched for this authority, once
    /// [`check_openid_configuration`](Self::check_openid_configuration) accepts it.
    pub fn endpoints_from(
        &self,
        configuration: &OidcConfiguration,
    ) -> Result<Endpoints, ProtocolError> {
        self.check_openid_configuration(configuration)?;
        Ok(configuration.endpoints())
    }

    fn check_endpoint(&self, what: &'static str, endpoint: &str) -> Result<(), ProtocolError> {
        let outside = |reason: &'static str| ProtocolError::UnusableEndpoint {
            authority: self.url(),
            what,
            endpoint: endpoint.to_owned(),
            reason,
        };
        let parsed = url::Url::parse(endpoint).map_err(|_| outside("it is not an absolute URL"))?;
        let host = parsed
            .host_str()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| outside("it has no host"))?;
        if self.https && parsed.scheme() != "https" {
            return Err(outside("it is not https"));
        }
        if let Some(cloud) = cloud_of(&self.host)
            && cloud_of(&host) != Some(cloud)
        {
            return Err(outside(
                "its host is not in the authority's Microsoft cloud (is discovery being intercepted?)",
            ));
        }
        Ok(())
    }
}

/// The Microsoft cloud of a host: one of its aliases, `{region}.{alias}`, or a host
/// under `ciamlogin.com` (the public cloud).
fn cloud_of(host: &str) -> Option<&'static Cloud> {
    let host = host.to_ascii_lowercase();
    let public = clouds::KNOWN_CLOUDS.first();
    if let Some(cloud) = clouds::known_cloud(&host) {
        return Some(cloud);
    }
    let (prefix, base) = host.split_once('.')?;
    if !is_dns_label(prefix) {
        return None;
    }
    if base == "ciamlogin.com" {
        return public;
    }
    clouds::known_cloud(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::json_response;

    fn authority(url: &str) -> Authority {
        match url.strip_prefix("oidc:") {
            Some(issuer) => Authority::parse_oidc(issuer).unwrap(),
            None => Authority::parse(url).unwrap(),
        }
    }

    #[test]
    fn openid_configuration_url_per_kind() {
        let urls: Vec<String> = [
            "https://login.microsoftonline.com/contoso.com",
            "https://localhost:8443/organizations",
            "https://contosob2c.b2clogin.com/tfp/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth",
            "https://contoso.ciamlogin.com",
            "https://contoso.ciamlogin.com/aaaabbbb-0000-cccc-1111-dddd2222eeee",
            "https://fs.contoso.com/adfs/",
            "oidc:https://idp.example.com/tenant/v2.0/",
        ]
        .iter()
        .map(|u| format!("{u}\n  -> {}", authority(u).openid_configuration_url()))
        .collect();
        insta::assert_snapshot!(urls.join("\n"));
    }

    #[test]
    fn issuer_check_table() {
        // (authority, issuer, valid)
        let table = [
            // 1. the authority itself, trailing slash aside
            (
                "oidc:https://idp.example.com/t",
                "https://idp.example.com/t/",
                true,
            ),
            // 2. same scheme, host and port, any path
            (
                "oidc:https://idp.example.com/t",
                "https://idp.example.com/other",
                true,
            ),
            (
                "https://login.microsoftonline.com/contoso.com",
                "https://login.microsoftonline.com/{tenantid}/v2.0",
                true,
            ),
            (
                "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth",
                "https://contosob2c.b2clogin.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/",
                true,
            ),
            (
                "https://fs.contoso.com/adfs",
                "https://fs.contoso.com/adfs",
                true,
            ),
            (
                "https://localhost:8443/organizations",
                "https://localhost:9443/organizations/v2.0",
                false,
            ),
            (
                "oidc:https://idp.example.com/t",
                "http://idp.example.com/t2",
                false,
            ),
            // 3. CIAM issuer: the tenant must match
            (
                "oidc:https://contoso.ciamlogin.com/contoso",
                "https://contoso.ciamlogin.com/contoso/v2.0",
                true,
            ),
            (
                "oidc:https://login.contoso.com/contoso",
                "https://contoso.ciamlogin.com/contoso/v2.0",
                true,
            ),
            (
                "oidc:https://login.contoso.com/contoso",
                "https://contoso.ciamlogin.com/",
                true,
            ),
            (
                "oidc:https://login.contoso.com/contoso",
                "https://fabrikam.ciamlogin.com/fabrikam/v2.0",
                false,
            ),
            (
                "oidc:https://login.contoso.com/contoso",
                "https://contoso.ciamlogin.com/contoso/other",
                false,
            ),
            (
                "https://login.microsoftonline.com/contoso.com",
                "https://contoso.ciamlogin.com/contoso/v2.0",
                false,
            ),
            // 4. a Microsoft cloud issuer: any under a custom authority, same cloud only
            (
                "oidc:https://login.contoso.com/t",
                "https://login.microsoftonline.com/t/v2.0",
                true,
            ),
            (
                "oidc:https://login.contoso.com/t",
                "https://westus2.login.microsoft.com/t/v2.0",
                true,
            ),
            (
                "https://login.windows.net/contoso.com",
                "https://sts.windows.net/t/",
                true,
            ),
            (
                "https://login.microsoftonline.us/contoso.com",
                "https://login.microsoftonline.com/t/v2.0",
                false,
            ),
            (
                "https://login.chinacloudapi.cn/contoso.com",
                "https://login.partner.microsoftonline.cn/t/v2.0",
                true,
            ),
            (
                "oidc:https://login.contoso.com/t",
                "http://login.microsoftonline.com/t/v2.0",
                false,
            ),
            // 5. a region prefix on the authority host
            (
                "oidc:https://someweb.com/t",
                "https://us.someweb.com/t",
                true,
            ),
            (
                "oidc:https://someweb.com/t",
                "https://a.b.someweb.com/t",
                false,
            ),
            // 6. under a B2C domain
            (
                "oidc:https://login.contoso.com/t",
                "https://contoso.b2clogin.com/t/v2.0/",
                true,
            ),
            // nothing else
            (
                "oidc:https://login.contoso.com/t",
                "https://evil.example/t",
                false,
            ),
            (
                "oidc:https://login.contoso.com/t",
                "https://evilb2clogin.com/t",
                false,
            ),
            ("oidc:https://login.contoso.com/t", "not a url", false),
            ("oidc:https://login.contoso.com/t", "", false),
        ];
        for (authority_url, issuer, valid) in table {
            assert_eq!(
                authority(authority_url).issuer_is_valid(issuer),
                valid,
                "{authority_url} with issuer {issuer}"
            );
        }
    }

    fn configuration(issuer: &str, token_endpoint: &str) -> OidcConfiguration {
        let body = serde_json::json!({
            "issuer": issuer,
            "token_endpoint": token_endpoint,
            "authorization_endpoint": token_endpoint.replace("/token", "/authorize"),
            "jwks_uri": "https://keys.example/keys",
        })
        .to_string();
        crate::parse_oidc_configuration(&json_response(200, &body)).unwrap()
    }

    #[test]
    fn a_configuration_is_refused_for_a_foreign_issuer_or_endpoint() {
        let oidc = authority("oidc:https://idp.example.com/t");
        let endpoints = oidc
            .endpoints_from(&configuration(
                "https://idp.example.com/t",
                "https://idp.example.com/t/token",
            ))
            .unwrap();
        assert_eq!(endpoints.token_endpoint, "https://idp.example.com/t/token");
        let errors: Vec<String> = [
            (
                &oidc,
                configuration("https://evil.example/t", "https://idp.example.com/t/token"),
            ),
            (
                &oidc,
                configuration(
                    "https://idp.example.com/t",
                    "http://idp.example.com/t/token",
                ),
            ),
            (
                &authority("https://login.microsoftonline.us/contoso.com"),
                configuration(
                    "https://login.microsoftonline.us/t/v2.0",
                    "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                ),
            ),
        ]
        .iter()
        .map(|(a, c)| a.check_openid_configuration(c).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(errors.join("\n"));
    }

    #[test]
    fn ciam_with_a_domain_tenant_accepts_its_tenant_id_issuer() {
        let ciam = authority("https://contoso.ciamlogin.com");
        let tid = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
        ciam.check_openid_configuration(&configuration(
            &format!("https://{tid}.ciamlogin.com/{tid}/v2.0"),
            &format!("https://contoso.ciamlogin.com/{tid}/oauth2/v2.0/token"),
        ))
        .unwrap();
        let by_id = authority(&format!("https://contoso.ciamlogin.com/{tid}"));
        assert!(by_id.issuer_is_valid(&format!("https://{tid}.ciamlogin.com/{tid}/v2.0")));
        assert!(!by_id.issuer_is_valid("https://other.ciamlogin.com/other/v2.0"));
    }

    proptest::proptest! {
        #[test]
        fn no_issuer_panics_the_check(issuer in "\\PC*", host in "[a-z0-9.-]{0,20}") {
            for url in [
                "https://login.microsoftonline.com/contoso.com",
                "https://contoso.ciamlogin.com",
                "oidc:https://idp.example.com",
            ] {
                let a = authority(url);
                let _ = a.issuer_is_valid(&issuer);
                let _ = a.issuer_is_valid(&format!("https://{host}/{issuer}"));
                proptest::prop_assert!(a.issuer_is_valid(&a.url()));
            }
        }
    }
}
