//! Username/password sign-in: user realm discovery, the managed password grant, and
//! the federated path (MEX, WS-Trust, SAML bearer grant).

use std::sync::Once;

use entra_protocol::{
    AccountType, ProtocolError, SamlAssertion, UserRealm, WsTrustEndpoint, parse_user_realm,
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{CallOptions, ClientType, Core, Grant, TokenRequest, retryable};
use crate::error::{AuthError, Redeeming};
use crate::result::AuthenticationResult;

static DEPRECATION_WARNING: Once = Once::new();

/// The warning a username/password sign-in by a `client` application logs (once per
/// process), if any: the flow is deprecated for public clients only.
fn deprecation_warning(client: ClientType) -> Option<&'static str> {
    match client {
        ClientType::Public => Some(
            "username/password sign-in is deprecated for public clients: it cannot satisfy \
             MFA or conditional access. Prefer an interactive or device code flow \
             (https://aka.ms/msal-ropc-migration)",
        ),
        ClientType::Confidential => None,
    }
}

impl Core {
    /// Username/password sign-in: user realm discovery, then the password grant.
    pub(crate) async fn username_password(
        &self,
        scopes: &[&str],
        username: &str,
        password: SecretString,
        options: CallOptions,
    ) -> Result<AuthenticationResult, AuthError> {
        if let Some(warning) = deprecation_warning(options.client) {
            DEPRECATION_WARNING.call_once(|| tracing::warn!("{warning}"));
        }
        let username = username.trim();
        if username.is_empty() {
            return Err(AuthError::InvalidArgument {
                reason: "the username is empty".to_owned(),
            });
        }
        if password.expose_secret().is_empty() {
            return Err(AuthError::InvalidArgument {
                reason: "the password is empty".to_owned(),
            });
        }
        let authority = self.request_authority(options.tenant.as_deref())?;
        let correlation_id = options
            .correlation_id
            .unwrap_or_else(super::new_correlation_id);
        // Trusted, and its endpoints known, before anything carries the password.
        let resolved = self.resolve(&authority, correlation_id).await?;

        let mut saml_assertion = None;
        if authority.uses_user_realm_discovery() {
            // Like MSAL: a realm endpoint that does not exist means "managed" (`None`).
            let realm = self
                .user_realm(&authority, username, correlation_id)
                .await?;
            if let Some(realm) = realm {
                if realm.is_personal_account() {
                    return Err(AuthError::PersonalAccountNotSupported {
                        username: self.pii_logging.then(|| username.to_owned()),
                    });
                }
                if authority.uses_ws_trust() && realm.account_type() == AccountType::Federated {
                    saml_assertion = Some(
                        self.ws_trust(&realm, username, &password, correlation_id)
                            .await?,
                    );
                }
            }
        }

        let request = TokenRequest {
            authority: &authority,
            resolved: &resolved,
            scopes,
            claims: options.claims.as_deref(),
            correlation_id,
            grant: if saml_assertion.is_some() {
                Grant::SamlBearer
            } else {
                Grant::Password
            },
            account: username,
        };
        let tokens = self
            .redeem(&request, move |params| {
                // The password is dropped (zeroized) as soon as the request is built.
                match &saml_assertion {
                    Some(assertion) => entra_protocol::saml_bearer_grant(params, assertion),
                    None => entra_protocol::password_grant(params, username, &password),
                }
            })
            .await?;
        if options.check_credentials_only {
            return self.result_without_caching(&request, tokens, Some(username));
        }
        self.store(&request, tokens, Some(username)).await
    }

    /// User realm discovery for `username`, remembered for a day; `None` when the
    /// realm endpoint answered 404.
    async fn user_realm(
        &self,
        authority: &entra_protocol::Authority,
        username: &str,
        correlation_id: Uuid,
    ) -> Result<Option<UserRealm>, AuthError> {
        let key = username.to_lowercase();
        if let Some(realm) = self.discovered.realms.get(&key, self.clock.now()) {
            return Ok(realm);
        }
        let mut request =
            entra_protocol::user_realm_request(authority, username, correlation_id, &self.library)
                .map_err(|error| AuthError::InvalidArgument {
                    reason: error.to_string(),
                })?;
        if !self.pii_logging {
            // Logs and errors name the request without the username in its path.
            request.extensions_mut().insert(entra_http::DisplayUrl::new(
                authority.user_realm_url_without_username(),
            ));
        }
        // A GET carrying no credential: the transport may send it again.
        let response = self.send(retryable(request), correlation_id).await?;
        let realm =
            if response.status() == http::StatusCode::NOT_FOUND {
                None
            } else {
                Some(parse_user_realm(&response).map_err(|error| {
                    self.protocol_error(error, correlation_id, Redeeming::Other)
                })?)
            };
        self.discovered
            .realms
            .put(key, realm.clone(), self.clock.now());
        Ok(realm)
    }

    /// The federated path: MEX metadata (else the realm's active endpoint), then the
    /// WS-Trust username/password request to the federation server, giving a SAML
    /// assertion for the SAML bearer grant.
    async fn ws_trust(
        &self,
        realm: &UserRealm,
        username: &str,
        password: &SecretString,
        correlation_id: Uuid,
    ) -> Result<SamlAssertion, AuthError> {
        let federation = |source: ProtocolError| AuthError::Federation { source };
        let endpoint = match (
            &realm.federation_metadata_url,
            &realm.federation_active_auth_url,
        ) {
            (Some(mex_url), _) => {
                match self
                    .discovered
                    .ws_trust_endpoints
                    .get(mex_url, self.clock.now())
                {
                    Some(endpoint) => endpoint,
                    None => {
                        let request =
                            entra_protocol::mex_request(mex_url, correlation_id, &self.library)
                                .map_err(federation)?;
                        let response = self.send(retryable(request), correlation_id).await?;
                        let endpoint = entra_protocol::parse_mex(&response).map_err(federation)?;
                        self.discovered.ws_trust_endpoints.put(
                            mex_url.clone(),
                            endpoint.clone(),
                            self.clock.now(),
                        );
                        endpoint
                    }
                }
            }
            (None, Some(active_url)) => {
                WsTrustEndpoint::from_active_auth_url(active_url).map_err(federation)?
            }
            (None, None) => return Err(federation(ProtocolError::NoWsTrustEndpoint)),
        };
        let request = entra_protocol::ws_trust_request(
            &endpoint,
            username,
            password,
            realm.audience(),
            Uuid::new_v4(),
            self.clock.now(),
        )
        .map_err(federation)?;
        // It carries the password: never marked retryable, so the transport sends it
        // once, whatever the answer (a wrong password is a 500 with a SOAP fault, an
        // answer to read, not a failure to retry). Its throttle key lets a
        // `Retry-After` from the federation server hold back the next attempt.
        let mut request = request;
        request
            .extensions_mut()
            .insert(self.throttle_key(&endpoint.address, &[], username));
        let response = self.send(request, correlation_id).await?;
        entra_protocol::parse_ws_trust_response(&response).map_err(|error| match error {
            ProtocolError::WsTrustFault { .. } => AuthError::from_ws_trust_fault(error),
            other => AuthError::Federation { source: other },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{Confidential, Public};

    #[test]
    fn only_a_public_client_is_warned_that_the_flow_is_deprecated() {
        let public = deprecation_warning(ClientType::of::<Public>());
        let confidential = deprecation_warning(ClientType::of::<Confidential>());

        assert!(public.is_some_and(|warning| warning.contains("deprecated")));
        assert_eq!(confidential, None);
    }
}
