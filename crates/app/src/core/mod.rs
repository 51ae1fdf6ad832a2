//! The engine behind both application kinds: the username/password and silent flows,
//! over entra-protocol (wire), entra-cache (tokens) and entra-http (transport).
//!
//! `sign_in` holds the username/password flow (managed and federated), `silent` the
//! cache lookup and refresh; this module the plumbing they share.

mod authority;
mod listing;
mod memo;
mod persistence;
mod sign_in;
mod silent;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use entra_cache::{PartitionedStore, TokenCache, TokenIngest};
use entra_http::{HttpClient, Retryable, ThrottleKey};
use entra_protocol::{
    Authority, AuthorityKind, ClientAuth, ClientCertificate, DEFAULT_ASSERTION_LIFETIME,
    LibraryInfo, ProtocolError, TokenParams, TokenResponse, decorate_scopes, parse_token_response,
};
use secrecy::SecretString;
use uuid::Uuid;

use crate::builder::ClientKind;
use crate::clock::{Clock, from_unix_seconds, saturating_from_unix_seconds, unix_seconds};
use crate::error::{AuthError, Redeeming};
use crate::result::{AccessToken, Account, Accounts, AuthenticationResult, TokenSource};

/// How a confidential client proves its identity.
pub(crate) enum Credential {
    None,
    Secret(SecretString),
    Certificate(Box<ClientCertificate>),
}

/// A token request: where, for which scopes, and what it redeems for whom. The grant
/// decides whether the transport may send it twice, how its errors read, and how the
/// answer is cached; the account is its throttle key.
#[derive(Clone, Copy)]
pub(crate) struct TokenRequest<'a> {
    pub(crate) authority: &'a Authority,
    /// Where the authority takes token requests, and the cache realm of its answers.
    pub(crate) resolved: &'a authority::Resolved,
    pub(crate) scopes: &'a [&'a str],
    pub(crate) claims: Option<&'a str>,
    pub(crate) correlation_id: Uuid,
    pub(crate) grant: Grant,
    /// The account it is for: the username signing in, or the `home_account_id`
    /// whose refresh token is redeemed.
    pub(crate) account: &'a str,
}

/// The grant a token request redeems.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Grant {
    /// The password: sent at most once, whatever happens.
    Password,
    /// A SAML assertion from the federation server. It carries no password and counts
    /// toward no lockout, so it may be retried: failing instead would make the caller
    /// start over, and send the password to the federation server again.
    SamlBearer,
    /// A refresh token: no password, retried on transient failures.
    RefreshToken,
}

impl Grant {
    /// How the cache records the sign-in that created an account (MSAL's
    /// `account_source`): a federated sign-in is a password sign-in too.
    fn account_source(self) -> &'static str {
        match self {
            Grant::Password | Grant::SamlBearer => "password",
            Grant::RefreshToken => "refresh_token",
        }
    }

    /// Whether the answer may create the cache's account entry: a sign-in does, a
    /// refresh only updates the account it was for.
    fn creates_account(self) -> bool {
        match self {
            Grant::Password | Grant::SamlBearer => true,
            Grant::RefreshToken => false,
        }
    }

    /// How a failed redemption reads: an `invalid_grant` on a refresh means the
    /// refresh token is dead.
    fn redeeming(self) -> Redeeming {
        match self {
            Grant::Password | Grant::SamlBearer => Redeeming::Other,
            Grant::RefreshToken => Redeeming::RefreshToken,
        }
    }
}

/// A new random (version 4) correlation id for a call that was given none.
///
/// Drawn from the thread's CSPRNG (`rand::thread_rng`, seeded from the operating system)
/// rather than `Uuid::new_v4`, which makes a `getrandom` system call for each id: on a
/// silent call served from the cache that call was about a quarter of the time.
pub(crate) fn new_correlation_id() -> Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

/// Marks `request` as one the transport may send again on a transient failure: it
/// carries no password.
pub(crate) fn retryable(mut request: entra_protocol::Request) -> entra_protocol::Request {
    request.extensions_mut().insert(Retryable);
    request
}

/// Which kind of application makes a call: the value of its `ClientKind` parameter,
/// for the flows that behave differently.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientType {
    /// A public client: username/password sign-in warns that it is deprecated.
    Public,
    /// A confidential client.
    Confidential,
}

impl ClientType {
    /// The client type of an `Application<K>`.
    pub(crate) fn of<K: ClientKind>() -> Self {
        if K::PUBLIC {
            ClientType::Public
        } else {
            ClientType::Confidential
        }
    }
}

/// Per-call options shared by the request builders.
pub(crate) struct CallOptions {
    pub(crate) client: ClientType,
    pub(crate) correlation_id: Option<Uuid>,
    pub(crate) claims: Option<String>,
    pub(crate) force_refresh: bool,
    /// The tenant of this call, in place of the authority's.
    pub(crate) tenant: Option<String>,
    /// Sign in and return the result without writing the token cache.
    pub(crate) check_credentials_only: bool,
}

impl CallOptions {
    /// The defaults for a call made by a `client` application.
    pub(crate) fn new(client: ClientType) -> Self {
        Self {
            client,
            correlation_id: None,
            claims: None,
            force_refresh: false,
            tenant: None,
            check_credentials_only: false,
        }
    }
}

/// What the builder checked and assembled: everything [`Core`] is made of.
pub(crate) struct CoreConfig {
    pub(crate) client_id: String,
    pub(crate) authority: Authority,
    /// Hosts or URLs trusted as authorities without instance discovery.
    pub(crate) known_authorities: Vec<String>,
    /// Whether authorities are validated at all.
    pub(crate) validate_authority: bool,
    /// The transport, throttling included.
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) cache: TokenCache,
    /// The partitioned store the cache lives in, if any (else the cache's own store).
    pub(crate) partitioned: Option<Arc<dyn PartitionedStore>>,
    pub(crate) credential: Credential,
    pub(crate) capabilities: Vec<String>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) library: LibraryInfo,
    /// Whether usernames and other personal data may appear in logs and errors.
    pub(crate) pii_logging: bool,
}

pub(crate) struct Core {
    pub(crate) client_id: String,
    pub(crate) authority: Authority,
    /// Hosts or URLs trusted as authorities without instance discovery.
    known_authorities: Vec<String>,
    /// Whether authorities are validated at all.
    validate_authority: bool,
    http: Arc<dyn HttpClient>,
    pub(crate) cache: TokenCache,
    partitioned: Option<persistence::Partitioned>,
    /// Held while reloading a whole store, so concurrent callers reload once.
    reloading: tokio::sync::Mutex<()>,
    credential: Credential,
    capabilities: Vec<String>,
    clock: Arc<dyn Clock>,
    library: LibraryInfo,
    /// Whether usernames and other personal data may appear in logs and errors.
    pii_logging: bool,
    flights: Mutex<HashMap<String, Arc<silent::Flight>>>,
    discovered: memo::Discovered,
    /// Every `environment` value the cache may hold for the authority, computed once.
    environments: Vec<String>,
    /// The id token claims decoded so far, so a cache hit does not decode them again.
    claims: silent::ClaimsMemo,
    /// The last account listing, so a repeated `accounts()` builds nothing.
    accounts: listing::AccountsMemo,
}

impl Core {
    pub(crate) fn new(config: CoreConfig) -> Self {
        let CoreConfig {
            client_id,
            authority,
            known_authorities,
            validate_authority,
            http,
            cache,
            partitioned,
            credential,
            capabilities,
            clock,
            library,
            pii_logging,
        } = config;
        Self {
            client_id,
            known_authorities,
            validate_authority,
            http,
            cache,
            partitioned: partitioned.map(persistence::Partitioned::new),
            reloading: tokio::sync::Mutex::new(()),
            credential,
            capabilities,
            clock,
            library,
            pii_logging,
            flights: Mutex::new(HashMap::new()),
            discovered: memo::Discovered::new(),
            environments: environments(&authority),
            claims: silent::ClaimsMemo::default(),
            accounts: listing::AccountsMemo::default(),
            authority,
        }
    }

    /// Every `environment` value the cache may hold for this authority, as the cache's
    /// queries take them (computed once, in [`environments`]; no allocation per call).
    fn environments(&self) -> EnvironmentRefs<'_> {
        EnvironmentRefs::new(&self.environments)
    }

    /// The authority a call uses: the application's, or the same one for the call's
    /// `tenant` (Entra and External ID only); `common` becomes `organizations` and
    /// `consumers` is refused, as the password grant needs.
    fn request_authority(&self, tenant: Option<&str>) -> Result<Authority, AuthError> {
        let authority =
            match tenant {
                None => self.authority.clone(),
                Some(tenant) => self.authority.for_tenant(tenant).map_err(|source| {
                    match self.authority.kind() {
                        AuthorityKind::Entra { .. } | AuthorityKind::Ciam { .. } => {
                            AuthError::InvalidArgument {
                                reason: format!("the tenant {tenant:?} is unusable: {source}"),
                            }
                        }
                        kind => AuthError::TenantNotApplicable {
                            authority_kind: kind.name(),
                        },
                    }
                })?,
            };
        authority.for_password_grant().map_err(|error| match error {
            ProtocolError::ConsumersTenantNotSupported => AuthError::ConsumersTenantNotSupported,
            other => AuthError::Configuration {
                field: "authority",
                reason: "username/password sign-in cannot use it".to_owned(),
                source: Some(Arc::new(other)),
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
                    .map_err(|source| AuthError::ClientAssertion { source })?,
            ),
        })
    }

    async fn send(
        &self,
        request: entra_protocol::Request,
        correlation_id: Uuid,
    ) -> Result<http::Response<Vec<u8>>, AuthError> {
        // The zeroizing body built by entra-protocol moves into the transport's shared
        // body without a copy.
        self.http
            .send(request.map(entra_http::Body::from))
            .await
            .map_err(|error| AuthError::network(error, correlation_id))
    }
    /// The throttle key of a request for `account` and `scopes` at `authority` (a URL):
    /// the transport remembers a `Retry-After` per key, so one account's or one scope
    /// set's throttling does not block another.
    fn throttle_key(&self, authority: &str, scopes: &[&str], account: &str) -> ThrottleKey {
        ThrottleKey::new([
            self.client_id.as_str(),
            authority,
            silent::scope_set(scopes).join(" ").as_str(),
            account.to_lowercase().as_str(),
        ])
    }

    /// Builds a token request with this application's client authentication (through
    /// `grant`), sends it and parses the answer: the one place a grant is redeemed.
    /// `request` says whether it may be resent, whom it is for (its throttle key: a
    /// 400 answer is replayed to an identical request for a minute) and, for a
    /// refresh, how to read an `invalid_grant`.
    async fn redeem(
        &self,
        request: &TokenRequest<'_>,
        grant: impl FnOnce(&TokenParams<'_>) -> Result<entra_protocol::Request, ProtocolError> + Send,
    ) -> Result<TokenResponse, AuthError> {
        let redeeming = request.grant.redeeming();
        let correlation_id = request.correlation_id;
        let token_endpoint = request.resolved.token_endpoint.as_str();
        let client_auth = self.client_auth(token_endpoint, self.clock.now())?;
        let capabilities: Vec<&str> = self.capabilities.iter().map(String::as_str).collect();
        let params = TokenParams {
            token_endpoint,
            client_id: &self.client_id,
            scopes: request.scopes,
            claims: request.claims,
            client_capabilities: &capabilities,
            client_auth: &client_auth,
            correlation_id,
            library: &self.library,
        };
        let mut http_request = grant(&params)
            .map_err(|error| self.protocol_error(error, correlation_id, redeeming))?;
        if request.grant != Grant::Password {
            http_request = retryable(http_request);
        }
        http_request.extensions_mut().insert(
            self.throttle_key(&request.authority.url(), request.scopes, request.account)
                .replay_bad_request(true),
        );
        let response = self.send(http_request, correlation_id).await?;
        parse_token_response(&response)
            .map_err(|error| self.protocol_error(error, correlation_id, redeeming))
    }

    fn protocol_error(
        &self,
        error: ProtocolError,
        correlation_id: Uuid,
        redeeming: Redeeming,
    ) -> AuthError {
        AuthError::from_protocol(error, correlation_id, redeeming, self.clock.now())
    }

    /// What the answer `tokens` to `request` writes into the cache, checked (the ID
    /// token's audience). `username` names the account when the ID token does not.
    fn answer(
        &self,
        request: &TokenRequest<'_>,
        tokens: &TokenResponse,
        username: Option<&str>,
    ) -> Result<Answer, AuthError> {
        let TokenRequest {
            authority,
            resolved,
            scopes,
            correlation_id,
            grant,
            ..
        } = *request;
        let claims = tokens
            .id_token
            .as_ref()
            .map(|id_token| Arc::new(id_token.claims.clone()));
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
            .map_err(|error| self.protocol_error(error, correlation_id, Redeeming::Other))?;
        let mut ingest = TokenIngest::new(
            authority.host(),
            self.client_id.clone(),
            resolved.realm.as_str(),
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
        ingest.account_source = Some(grant.account_source().to_owned());
        ingest.create_account = grant.creates_account();
        Ok(Answer {
            ingest,
            claims,
            home_account_id,
            requested,
            now,
        })
    }

    /// Writes the answer `tokens` to `request` into the cache, persists it, and builds
    /// the result. `username` names the account when the ID token does not.
    async fn store(
        &self,
        request: &TokenRequest<'_>,
        tokens: TokenResponse,
        username: Option<&str>,
    ) -> Result<AuthenticationResult, AuthError> {
        let Answer {
            ingest,
            claims,
            home_account_id,
            requested,
            now,
        } = self.answer(request, &tokens, username)?;
        // Up to date first: the answer replaces this account's tokens for overlapping
        // scopes, which must be the ones persisted now.
        match (&home_account_id, &self.partitioned) {
            (Some(home_account_id), _) => self.fresh_account(home_account_id).await?,
            (None, None) => self.fresh_all().await?,
            (None, Some(_)) => {}
        }
        self.cache.ingest(&ingest);
        // Decoded here once: the cache hits that serve this id token share the claims.
        if let (Some(home_account_id), Some(claims)) = (&home_account_id, &claims)
            && let Some(id_token) = self.cache.id_token(
                home_account_id,
                &[ingest.environment.as_str()],
                &self.client_id,
                &[ingest.realm.as_str()],
            )
        {
            self.claims.put(id_token, Arc::clone(claims));
        }
        self.persist().await?;

        let environments = self.environments();
        let account = home_account_id
            .as_deref()
            .and_then(|id| self.cache.account(id, &environments))
            .map(|entry| Account::from(Arc::unwrap_or_clone(entry)));
        Ok(result(
            tokens,
            Answer {
                ingest,
                claims,
                home_account_id,
                requested,
                now,
            },
            account,
            request.correlation_id,
        ))
    }

    /// The result of a sign-in that writes nothing to the cache: the account as the
    /// cache would have recorded it.
    fn result_without_caching(
        &self,
        request: &TokenRequest<'_>,
        tokens: TokenResponse,
        username: Option<&str>,
    ) -> Result<AuthenticationResult, AuthError> {
        let answer = self.answer(request, &tokens, username)?;
        let account = answer.home_account_id.as_ref().map(|home_account_id| {
            Account::from(crate::result::AccountInfo {
                home_account_id: home_account_id.clone(),
                environment: answer.ingest.environment.to_string(),
                realm: answer.ingest.realm.to_string(),
                username: answer.ingest.username.clone().unwrap_or_default(),
                local_account_id: answer.ingest.local_account_id.clone(),
            })
        });
        Ok(result(tokens, answer, account, request.correlation_id))
    }
}

/// A sign-in's or refresh's answer, ready for the cache.
struct Answer {
    ingest: TokenIngest,
    claims: Option<Arc<entra_protocol::IdTokenClaims>>,
    home_account_id: Option<String>,
    requested: Vec<String>,
    now: u64,
}

/// The result of `tokens` for the call with `correlation_id`.
fn result(
    tokens: TokenResponse,
    answer: Answer,
    account: Option<Account>,
    correlation_id: Uuid,
) -> AuthenticationResult {
    let Answer {
        claims,
        requested,
        now,
        ..
    } = answer;
    AuthenticationResult {
        access_token: AccessToken::new(tokens.access_token),
        token_type: crate::result::token_type(Some(&tokens.token_type)),
        // entra-protocol bounds lifetimes to ten years; the cache serves times up
        // to the year 9999: saturate rather than trust either bound with a panic.
        expires_on: saturating_from_unix_seconds(now.saturating_add(tokens.expires_in)),
        refresh_on: tokens
            .refresh_in
            .and_then(|refresh_in| from_unix_seconds(now.saturating_add(refresh_in))),
        scopes: tokens.scopes.unwrap_or(requested).into_iter().collect(),
        id_token_claims: claims,
        account,
        token_source: TokenSource::IdentityProvider,
        correlation_id,
    }
}

impl Core {
    pub(crate) async fn accounts(&self) -> Result<Accounts, AuthError> {
        self.fresh_all().await?;
        let environments = self.environments();
        Ok(self
            .accounts
            .accounts(self.cache.accounts(&environments, None)))
    }

    pub(crate) async fn account(
        &self,
        home_account_id: &str,
    ) -> Result<Option<Account>, AuthError> {
        self.fresh_account(home_account_id).await?;
        let environments = self.environments();
        Ok(self
            .cache
            .account(home_account_id, &environments)
            .map(|entry| Account::from(Arc::unwrap_or_clone(entry))))
    }

    pub(crate) async fn remove_account(&self, account: &Account) -> Result<(), AuthError> {
        self.fresh_account(&account.home_account_id).await?;
        let environments = self.environments();
        self.cache
            .remove_account(&account.home_account_id, &environments);
        self.claims.forget(&account.home_account_id);
        self.persist().await
    }
}

/// Every `environment` value the cache may hold for `authority`: MSAL Python writes the
/// bare host, MSAL Node `host:port`, and known clouds have aliases.
fn environments(authority: &Authority) -> Vec<String> {
    let mut environments = vec![authority.host().to_owned(), authority.host_with_port()];
    if let Some(cloud) = authority.cloud() {
        environments.extend(cloud.aliases.iter().map(|alias| (*alias).to_owned()));
    }
    environments.dedup();
    environments
}

/// Environments as `&str`s, on the stack for the usual few (a known cloud has at most
/// four aliases, plus the host with and without its port).
enum EnvironmentRefs<'a> {
    Inline([&'a str; 8], usize),
    Heap(Vec<&'a str>),
}

impl<'a> EnvironmentRefs<'a> {
    fn new(environments: &'a [String]) -> Self {
        let mut inline = [""; 8];
        if environments.len() > inline.len() {
            return Self::Heap(environments.iter().map(String::as_str).collect());
        }
        for (slot, environment) in inline.iter_mut().zip(environments) {
            *slot = environment;
        }
        Self::Inline(inline, environments.len())
    }
}

impl<'a> std::ops::Deref for EnvironmentRefs<'a> {
    type Target = [&'a str];

    fn deref(&self) -> &[&'a str] {
        match self {
            Self::Inline(inline, len) => &inline[..*len],
            Self::Heap(environments) => environments,
        }
    }
}

/// Runs blocking cache I/O off the async threads.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, entra_cache::CacheError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AuthError::BackgroundTask {
            source: std::sync::Arc::new(error),
        })?
        .map_err(AuthError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_random_version_4_uuids() {
        let ids: Vec<Uuid> = (0..64).map(|_| new_correlation_id()).collect();
        for id in &ids {
            assert_eq!(id.get_version(), Some(uuid::Version::Random), "{id}");
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
        }
        let distinct: std::collections::HashSet<&Uuid> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "64 ids, no repeat");
    }

    #[test]
    fn a_sign_in_creates_a_password_account_and_a_refresh_only_updates_one() {
        let rows = [
            (Grant::Password, "password", true, Redeeming::Other),
            (Grant::SamlBearer, "password", true, Redeeming::Other),
            (
                Grant::RefreshToken,
                "refresh_token",
                false,
                Redeeming::RefreshToken,
            ),
        ];
        for (grant, source, creates, redeeming) in rows {
            assert_eq!(grant.account_source(), source);
            assert_eq!(grant.creates_account(), creates, "{source}");
            assert_eq!(grant.redeeming(), redeeming, "{source}");
        }
    }
}
