//! What the application checks and learns about an authority before it sends a
//! password or a refresh token there: whether it is trusted (entra-protocol's rule,
//! with instance discovery for a host it cannot decide alone), and, for the kinds whose
//! endpoints come from their OpenID configuration (B2C, External ID, ADFS, OIDC), that
//! configuration, its issuer checked. Both answers are remembered for a day.

use entra_protocol::authority::is_loopback;
use entra_protocol::{
    Authority, AuthorityTrust, DEFAULT_DISCOVERY_BASE, ProtocolError, instance_discovery_request,
    oidc_discovery_request, parse_instance_discovery_for, parse_oidc_configuration,
    validate_authority,
};
use uuid::Uuid;

use super::{Core, retryable};
use crate::error::{AuthError, Redeeming};

/// Where token requests for an authority go, and the cache realm they are written under.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    /// The token endpoint: by convention for Entra, else the OpenID configuration's.
    pub(crate) token_endpoint: String,
    /// The cache `realm` (entra-protocol's `cache_realm`, or the OpenID configuration's
    /// token endpoint tenant for an OIDC authority).
    pub(crate) realm: String,
}

/// Where instance discovery is asked about `authority`: at the authority's own host when
/// that is a loopback test server (mock-idp serves `/common/discovery/instance`), else
/// at the public cloud, as MSAL does.
pub(crate) fn discovery_base(authority: &Authority) -> String {
    if is_loopback(authority.host()) {
        authority.base_url()
    } else {
        DEFAULT_DISCOVERY_BASE.to_owned()
    }
}

impl Core {
    /// Checks that `authority` is trusted and finds its token endpoint, asking the
    /// network only for what was not remembered (for a day). Nothing here carries a
    /// credential: a refusal comes before any password is sent.
    pub(crate) async fn resolve(
        &self,
        authority: &Authority,
        correlation_id: Uuid,
    ) -> Result<Resolved, AuthError> {
        self.check_trusted(authority, correlation_id).await?;
        let url = authority.url();
        if let Some(resolved) = self.discovered.authorities.get(&url, self.clock.now()) {
            return Ok(resolved);
        }
        let resolved = if authority.needs_openid_configuration() {
            self.openid_configuration(authority, correlation_id).await?
        } else {
            Resolved {
                token_endpoint: authority.token_endpoint(),
                realm: authority.cache_realm().unwrap_or_default().to_owned(),
            }
        };
        self.discovered
            .authorities
            .put(url, resolved.clone(), self.clock.now());
        Ok(resolved)
    }

    /// Trusted as entra-protocol decides, or after instance discovery said so (that
    /// answer remembered per host and port).
    async fn check_trusted(
        &self,
        authority: &Authority,
        correlation_id: Uuid,
    ) -> Result<(), AuthError> {
        let trust = validate_authority(authority, &self.known_authorities, self.validate_authority);
        if let AuthorityTrust::Trusted(reason) = trust {
            tracing::trace!(authority = %authority, ?reason, "authority trusted");
            return Ok(());
        }
        let host = authority.host_with_port();
        if self
            .discovered
            .trusted_hosts
            .get(&host, self.clock.now())
            .is_some()
        {
            return Ok(());
        }
        let request = instance_discovery_request(
            authority,
            &discovery_base(authority),
            correlation_id,
            &self.library,
        )
        .map_err(|error| self.protocol_error(error, correlation_id, Redeeming::Other))?;
        let response = self.send(retryable(request), correlation_id).await?;
        match parse_instance_discovery_for(authority, &response) {
            Ok(_) => {
                self.discovered
                    .trusted_hosts
                    .put(host, (), self.clock.now());
                Ok(())
            }
            Err(ProtocolError::UntrustedAuthority { host, server }) => {
                Err(AuthError::UntrustedAuthority { host, server })
            }
            Err(error) => Err(self.protocol_error(error, correlation_id, Redeeming::Other)),
        }
    }

    /// Fetches the OpenID configuration and takes its token endpoint once the authority
    /// accepts it (issuer and endpoints checked).
    async fn openid_configuration(
        &self,
        authority: &Authority,
        correlation_id: Uuid,
    ) -> Result<Resolved, AuthError> {
        let discovery = |error: ProtocolError| AuthError::AuthorityDiscovery {
            authority: authority.url(),
            source: error,
        };
        let request =
            oidc_discovery_request(authority, correlation_id, &self.library).map_err(discovery)?;
        let response = self.send(retryable(request), correlation_id).await?;
        let configuration = parse_oidc_configuration(&response).map_err(|error| match error {
            // An answer with an error body (an unknown B2C policy, a missing tenant),
            // or a throttling or failing server, reads as it would at the token
            // endpoint.
            ProtocolError::Server(_) | ProtocolError::UnexpectedResponse { .. } => {
                self.protocol_error(error, correlation_id, Redeeming::Other)
            }
            other => discovery(other),
        })?;
        let endpoints = authority
            .endpoints_from(&configuration)
            .map_err(discovery)?;
        let realm = match authority.cache_realm() {
            Some(realm) => realm.to_owned(),
            None => configuration.token_endpoint_tenant().unwrap_or_default(),
        };
        Ok(Resolved {
            token_endpoint: endpoints.token_endpoint,
            realm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_authority_is_asked_about_at_its_own_host_any_other_at_the_public_cloud() {
        let rows = [
            ("https://localhost:8443/adfs", "https://localhost:8443"),
            ("https://127.0.0.1:9/organizations", "https://127.0.0.1:9"),
            ("https://[::1]:9/contoso.com", "https://[::1]:9"),
            ("https://fs.contoso.com/adfs", DEFAULT_DISCOVERY_BASE),
            (
                "https://127.0.0.1.nip.io/contoso.com",
                DEFAULT_DISCOVERY_BASE,
            ),
        ];
        for (authority, base) in rows {
            let authority = Authority::parse(authority).expect(authority);
            assert_eq!(discovery_base(&authority), base, "{authority}");
        }
    }
}
