//! The engine behind both application kinds: the username/password and silent flows,
//! over entra-protocol (wire), entra-cache (tokens) and entra-http (transport).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, SystemTime};

use entra_cache::{AccessTokenQuery, RefreshTokenQuery, TokenCache, TokenIngest};
use entra_http::HttpClient;
use entra_protocol::{
    AccountType, Authority, ClientAuth, ClientCertificate, DEFAULT_ASSERTION_LIFETIME, LibraryInfo,
    ProtocolError, SamlAssertion, TokenParams, TokenResponse, UserRealm, WsTrustEndpoint,
    decode_id_token, decorate_scopes, parse_token_response, parse_user_realm,
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::clock::{Clock, from_unix_seconds, unix_seconds};
use crate::error::AuthError;
use crate::result::{AccessToken, Account, AuthenticationResult, TokenSource};

/// How a confidential client proves its identity.
pub(crate) enum Credential {
    None,
    Secret(SecretString),
    Certificate(Box<ClientCertificate>),
}

/// Per-call options shared by the request builders.
#[derive(Default)]
pub(crate) struct CallOptions {
    pub(crate) correlation_id: Option<Uuid>,
    pub(crate) claims: Option<String>,
    pub(crate) force_refresh: bool,
}

/// One refresh at a time per account: later callers wait, then find the new token.
#[derive(Default)]
struct Flight {
    lock: tokio::sync::Mutex<()>,
    completed: AtomicU64,
}

pub(crate) struct Core {
    pub(crate) client_id: String,
    pub(crate) authority: Authority,
    http: Arc<dyn HttpClient>,
    pub(crate) cache: TokenCache,
    loaded: tokio::sync::OnceCell<()>,
    credential: Credential,
    capabilities: Vec<String>,
    clock: Arc<dyn Clock>,
    library: LibraryInfo,
    public: bool,
    flights: Mutex<HashMap<String, Arc<Flight>>>,
}

static DEPRECATION_WARNING: Once = Once::new();

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        client_id: String,
        authority: Authority,
        http: Arc<dyn HttpClient>,
        cache: TokenCache,
        credential: Credential,
        capabilities: Vec<String>,
        clock: Arc<dyn Clock>,
        library: LibraryInfo,
        public: bool,
    ) -> Self {
        Self {
            client_id,
            authority,
            http,
            cache,
            loaded: tokio::sync::OnceCell::new(),
            credential,
            capabilities,
            clock,
            library,
            public,
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// Every `environment` value the cache may hold for this authority: MSAL Python
    /// writes the bare host, MSAL Node `host:port`, and known clouds have aliases.
    fn environments(&self) -> Vec<String> {
        let mut environments = vec![
            self.authority.host().to_owned(),
            self.authority.host_with_port(),
        ];
        if let Some(cloud) = self.authority.cloud() {
            environments.extend(cloud.aliases.iter().map(|alias| (*alias).to_owned()));
        }
        environments.dedup();
        environments
    }

    /// Loads the persisted cache once, before first use.
    async fn ensure_loaded(&self) -> Result<(), AuthError> {
        self.loaded
            .get_or_try_init(|| async {
                let cache = self.cache.clone();
                run_blocking(move || cache.load()).await
            })
            .await
            .map(|_| ())
    }

    async fn save(&self) -> Result<(), AuthError> {
        let cache = self.cache.clone();
        run_blocking(move || cache.save()).await
    }

    /// The authority the password grant uses: `common` becomes `organizations`,
    /// `consumers` is refused.
    fn password_authority(&self) -> Result<Authority, AuthError> {
        self.authority
            .for_password_grant()
            .map_err(|error| match error {
                ProtocolError::ConsumersTenantNotSupported => {
                    AuthError::ConsumersTenantNotSupported
                }
                other => AuthError::Configuration {
                    reason: other.to_string(),
                },
            })
    }

    fn client_auth(&self, token_endpoint: &str, now: SystemTime) -> Result<ClientAuth, AuthError> {
        Ok(match &self.credential {
            Credential::None => ClientAuth::None,
            Credential::Secret(secret) => ClientAuth::Secret(secret.clone()),
            Credential::Certificate(certificate) => ClientAuth::Assertion(
                certificate
                    .assertion(
                        &self.client_id,
                        token_endpoint,
                        now,
                        DEFAULT_ASSERTION_LIFETIME,
                        Uuid::new_v4(),
                        false,
                    )
                    .map_err(|error| AuthError::Configuration {
                        reason: error.to_string(),
                    })?,
            ),
        })
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        correlation_id: Uuid,
    ) -> Result<http::Response<Vec<u8>>, AuthError> {
        self.http
            .send(request)
            .await
            .map_err(|error| AuthError::network(error, correlation_id))
    }

    /// Username/password sign-in: user realm discovery, then the password grant.
    pub(crate) async fn username_password(
        &self,
        scopes: &[&str],
        username: &str,
        password: SecretString,
        options: CallOptions,
    ) -> Result<AuthenticationResult, AuthError> {
        if self.public {
            DEPRECATION_WARNING.call_once(|| {
                tracing::warn!(
                    "username/password sign-in is deprecated for public clients: it cannot satisfy \
                     MFA or conditional access. Prefer an interactive or device code flow \
                     (https://aka.ms/msal-ropc-migration)"
                );
            });
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
        let authority = self.password_authority()?;
        let correlation_id = options.correlation_id.unwrap_or_else(Uuid::new_v4);
        self.ensure_loaded().await?;

        let mut saml_assertion = None;
        if !authority.is_adfs() {
            let request = entra_protocol::user_realm_request(
                &authority,
                username,
                correlation_id,
                &self.library,
            )
            .map_err(|error| AuthError::InvalidArgument {
                reason: error.to_string(),
            })?;
            let response = self.send(request, correlation_id).await?;
            // Like MSAL: a realm endpoint that does not exist means "managed".
            if response.status() != http::StatusCode::NOT_FOUND {
                let realm = parse_user_realm(&response)
                    .map_err(|error| self.protocol_error(error, correlation_id, false))?;
                if realm.is_personal_account() {
                    return Err(AuthError::PersonalAccountNotSupported {
                        username: username.to_owned(),
                    });
                }
                if realm.account_type() == AccountType::Federated {
                    saml_assertion = Some(
                        self.ws_trust(&realm, username, &password, correlation_id)
                            .await?,
                    );
                }
            }
        }

        let tokens = self
            .redeem(
                &authority,
                scopes,
                options.claims.as_deref(),
                correlation_id,
                false,
                move |params| {
                    // The password is dropped (zeroized) as soon as the request is built.
                    match &saml_assertion {
                        Some(assertion) => entra_protocol::saml_bearer_grant(params, assertion),
                        None => entra_protocol::password_grant(params, username, &password),
                    }
                },
            )
            .await?;
        self.store(
            &authority,
            scopes,
            tokens,
            Some(username),
            "password",
            true,
            correlation_id,
        )
        .await
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
                let request = entra_protocol::mex_request(mex_url, correlation_id, &self.library)
                    .map_err(federation)?;
                let response = self.send(request, correlation_id).await?;
                entra_protocol::parse_mex(&response).map_err(federation)?
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
        let response = self.send(request, correlation_id).await?;
        entra_protocol::parse_ws_trust_response(&response).map_err(|error| match error {
            ProtocolError::WsTrustFault { .. } => AuthError::from_ws_trust_fault(error),
            other => AuthError::Federation { source: other },
        })
    }

    /// Silent acquisition: the cached access token, else the refresh token.
    pub(crate) async fn silent(
        &self,
        scopes: &[&str],
        account: &Account,
        options: CallOptions,
    ) -> Result<AuthenticationResult, AuthError> {
        let correlation_id = options.correlation_id.unwrap_or_else(Uuid::new_v4);
        decorate_scopes(scopes)
            .map_err(|error| self.protocol_error(error, correlation_id, false))?;
        self.ensure_loaded().await?;
        let bypass_cache = options.force_refresh || options.claims.is_some();
        let mut aging = None;
        if !bypass_cache && let Some(cached) = self.cached(scopes, account, correlation_id) {
            match cached.refresh_on {
                Some(refresh_on) if refresh_on <= self.clock.now() => aging = Some(cached),
                _ => return Ok(cached),
            }
        }

        let flight = self.flight(&account.home_account_id);
        let completed_before = flight.completed.load(Ordering::Acquire);
        let _guard = flight.lock.lock().await;
        // Someone refreshed this account while we waited: their token may serve us. A
        // caller that did not ask to bypass the cache always looks again: a refresh may
        // have stored its token between our cache miss and our reading of the counter.
        let refreshed_meanwhile = flight.completed.load(Ordering::Acquire) != completed_before;
        if (refreshed_meanwhile || !bypass_cache)
            && options.claims.is_none()
            && let Some(cached) = self.cached(scopes, account, correlation_id)
            && cached
                .refresh_on
                .is_none_or(|refresh_on| refresh_on > self.clock.now())
        {
            return Ok(cached);
        }
        let refreshed = self
            .refresh(scopes, account, options.claims.as_deref(), correlation_id)
            .await;
        flight.completed.fetch_add(1, Ordering::AcqRel);
        match (refreshed, aging) {
            (Ok(result), _) => Ok(result),
            // An aging token is still valid: serve it when the early refresh fails.
            (Err(error), Some(cached)) => {
                tracing::warn!(%correlation_id, error = %error, "early refresh failed; serving the cached token");
                Ok(cached)
            }
            (Err(error), None) => Err(error),
        }
    }

    fn flight(&self, home_account_id: &str) -> Arc<Flight> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        flights
            .entry(home_account_id.to_owned())
            .or_default()
            .clone()
    }

    /// A cached access token for `scopes` and `account`, valid for at least 5 minutes.
    fn cached(
        &self,
        scopes: &[&str],
        account: &Account,
        correlation_id: Uuid,
    ) -> Option<AuthenticationResult> {
        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        let tid = account
            .home_account_id
            .split_once('.')
            .map(|(_, utid)| utid);
        let realms: Vec<&str> = [Some(self.realm()), Some(account.realm.as_str()), tid]
            .into_iter()
            .flatten()
            .collect();
        let now = unix_seconds(self.clock.now());
        let found = self.cache.access_token(&AccessTokenQuery {
            home_account_id: Some(&account.home_account_id),
            environments: &environments,
            client_id: &self.client_id,
            realms: &realms,
            scopes,
            now,
        })?;
        let entry = found.entry;
        let id_token_claims = self
            .cache
            .id_token(
                &account.home_account_id,
                &environments,
                &self.client_id,
                &realms,
            )
            .and_then(|id_token| decode_id_token(id_token.secret.expose_secret()).ok());
        Some(AuthenticationResult {
            access_token: AccessToken::new(entry.secret.clone()),
            token_type: entry
                .token_type
                .clone()
                .unwrap_or_else(|| "Bearer".to_owned()),
            expires_on: from_unix_seconds(entry.expires_on),
            refresh_on: entry.refresh_on.map(from_unix_seconds),
            scopes: entry.scopes().map(str::to_owned).collect(),
            id_token_claims,
            account: Some(account.clone()),
            token_source: TokenSource::Cache,
            correlation_id,
        })
    }

    /// The realm (tenant segment) tokens of this application are cached under.
    fn realm(&self) -> &str {
        match self.authority.tenant() {
            entra_protocol::Tenant::Common => "organizations",
            tenant => tenant.as_str(),
        }
    }

    async fn refresh(
        &self,
        scopes: &[&str],
        account: &Account,
        claims: Option<&str>,
        correlation_id: Uuid,
    ) -> Result<AuthenticationResult, AuthError> {
        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        let family_id = self
            .cache
            .app_metadata(&environments, &self.client_id)
            .and_then(|metadata| metadata.family_id);
        let Some(refresh_token) = self.cache.refresh_token(&RefreshTokenQuery {
            home_account_id: &account.home_account_id,
            environments: &environments,
            client_id: &self.client_id,
            family_id: family_id.as_deref(),
        }) else {
            return Err(AuthError::InteractionRequired {
                reason: "the cache holds no refresh token for this account",
                server: None,
            });
        };
        let authority = self
            .authority
            .for_password_grant()
            .unwrap_or_else(|_| self.authority.clone());
        let tokens = self
            .redeem(&authority, scopes, claims, correlation_id, true, |params| {
                entra_protocol::refresh_token_grant(
                    params,
                    &refresh_token.entry.secret,
                    Some(&account.home_account_id),
                )
            })
            .await?;
        self.store(
            &authority,
            scopes,
            tokens,
            Some(&account.username),
            "refresh_token",
            false,
            correlation_id,
        )
        .await
    }

    /// Builds a token request with this application's client authentication (through
    /// `grant`), sends it and parses the answer: the one place a grant is redeemed.
    /// `refreshing` marks a refresh-token redemption for error classification.
    async fn redeem(
        &self,
        authority: &Authority,
        scopes: &[&str],
        claims: Option<&str>,
        correlation_id: Uuid,
        refreshing: bool,
        grant: impl FnOnce(&TokenParams<'_>) -> Result<http::Request<Vec<u8>>, ProtocolError> + Send,
    ) -> Result<TokenResponse, AuthError> {
        let token_endpoint = authority.token_endpoint();
        let client_auth = self.client_auth(&token_endpoint, self.clock.now())?;
        let capabilities: Vec<&str> = self.capabilities.iter().map(String::as_str).collect();
        let params = TokenParams {
            token_endpoint: &token_endpoint,
            client_id: &self.client_id,
            scopes,
            claims,
            client_capabilities: &capabilities,
            client_auth: &client_auth,
            correlation_id,
            library: &self.library,
        };
        let request = grant(&params)
            .map_err(|error| self.protocol_error(error, correlation_id, refreshing))?;
        let response = self.send(request, correlation_id).await?;
        parse_token_response(&response)
            .map_err(|error| self.protocol_error(error, correlation_id, refreshing))
    }

    fn protocol_error(
        &self,
        error: ProtocolError,
        correlation_id: Uuid,
        refreshing: bool,
    ) -> AuthError {
        AuthError::from_protocol(error, correlation_id, refreshing, self.clock.now())
    }

    /// Writes a token response into the cache, persists it, and builds the result.
    #[allow(clippy::too_many_arguments)]
    async fn store(
        &self,
        authority: &Authority,
        scopes: &[&str],
        tokens: TokenResponse,
        username: Option<&str>,
        grant: &str,
        create_account: bool,
        correlation_id: Uuid,
    ) -> Result<AuthenticationResult, AuthError> {
        let claims = tokens
            .id_token
            .as_ref()
            .map(|id_token| id_token.claims.clone());
        if let Some(claims) = &claims {
            claims.check_audience(&self.client_id).map_err(|source| {
                AuthError::InvalidResponse {
                    source,
                    correlation_id,
                }
            })?;
        }
        let now = unix_seconds(self.clock.now());
        let home_account_id = tokens
            .home_account_id()
            .or_else(|| claims.as_ref().and_then(|c| c.sub.clone()));
        let requested: Vec<String> = decorate_scopes(scopes)
            .map_err(|error| self.protocol_error(error, correlation_id, false))?;
        let mut ingest = TokenIngest::new(
            authority.host(),
            self.client_id.clone(),
            authority.tenant().as_str(),
            tokens.access_token.clone(),
            now,
        );
        ingest.scopes = requested.clone();
        ingest.granted_scope = tokens.scopes.as_ref().map(|granted| granted.join(" "));
        ingest.token_type = Some(tokens.token_type.clone());
        ingest.expires_in = Some(tokens.expires_in);
        ingest.ext_expires_in = tokens.ext_expires_in;
        ingest.refresh_in = tokens.refresh_in;
        ingest.refresh_token = tokens.refresh_token.clone();
        ingest.id_token = tokens
            .id_token
            .as_ref()
            .map(|id_token| SecretString::from(id_token.raw.clone()));
        ingest.home_account_id = home_account_id.clone();
        ingest.local_account_id = claims
            .as_ref()
            .and_then(|c| c.local_account_id().map(str::to_owned));
        ingest.username = claims
            .as_ref()
            .and_then(|c| c.username().map(str::to_owned))
            .or(username.map(str::to_owned));
        ingest.family_id = tokens.foci.clone();
        ingest.account_source = Some(grant.to_owned());
        ingest.create_account = create_account;
        self.cache.ingest(&ingest);
        self.save().await?;

        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        let account = home_account_id
            .as_deref()
            .and_then(|id| self.cache.account(id, &environments))
            .map(Account::from);
        Ok(AuthenticationResult {
            access_token: AccessToken::new(tokens.access_token),
            token_type: tokens.token_type,
            expires_on: from_unix_seconds(now) + Duration::from_secs(tokens.expires_in),
            refresh_on: tokens
                .refresh_in
                .map(|refresh_in| from_unix_seconds(now + refresh_in)),
            scopes: tokens.scopes.unwrap_or(requested),
            id_token_claims: claims,
            account,
            token_source: TokenSource::IdentityProvider,
            correlation_id,
        })
    }

    pub(crate) async fn accounts(&self) -> Result<Vec<Account>, AuthError> {
        self.ensure_loaded().await?;
        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        Ok(self
            .cache
            .accounts(&environments, None)
            .into_iter()
            .map(Account::from)
            .collect())
    }

    pub(crate) async fn account(
        &self,
        home_account_id: &str,
    ) -> Result<Option<Account>, AuthError> {
        self.ensure_loaded().await?;
        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        Ok(self
            .cache
            .account(home_account_id, &environments)
            .map(Account::from))
    }

    pub(crate) async fn remove_account(&self, account: &Account) -> Result<(), AuthError> {
        self.ensure_loaded().await?;
        let environments = self.environments();
        let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
        self.cache
            .remove_account(&account.home_account_id, &environments);
        self.save().await
    }
}

/// Runs blocking cache I/O off the async threads.
async fn run_blocking(
    work: impl FnOnce() -> Result<(), entra_cache::CacheError> + Send + 'static,
) -> Result<(), AuthError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AuthError::Configuration {
            reason: format!("cache task failed: {error}"),
        })?
        .map_err(AuthError::from)
}
