//! The acquisition calls. Each returns a request you can tune (`correlation_id`,
//! `claims`, `force_refresh`) and then `.await`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use secrecy::SecretString;
use uuid::Uuid;

use crate::builder::{Application, ClientKind};
use crate::core::{CallOptions, ClientType, Core};
use crate::error::AuthError;
use crate::result::{Account, Accounts, AuthenticationResult};

/// The future every acquisition request resolves to.
pub type AcquireFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AuthenticationResult, AuthError>> + Send + 'a>>;

impl<K: ClientKind> Application<K> {
    /// Signs in with a username and password (OAuth2 ROPC). Stores the tokens in the
    /// cache; the password is dropped (and zeroized) once sent, never stored.
    ///
    /// Fails with [`AuthError::PersonalAccountNotSupported`] before sending the
    /// password when user realm discovery shows a personal Microsoft account.
    pub fn acquire_token_by_username_password<'a>(
        &'a self,
        scopes: &'a [&'a str],
        username: &'a str,
        password: SecretString,
    ) -> UsernamePasswordRequest<'a> {
        UsernamePasswordRequest {
            core: &self.core,
            scopes,
            username,
            password,
            options: CallOptions::new(ClientType::of::<K>()),
        }
    }

    /// Gets a token without the user: from the cache when a valid access token is there
    /// (no request at all), else by redeeming the account's refresh token.
    pub fn acquire_token_silent<'a>(
        &'a self,
        scopes: &'a [&'a str],
        account: &'a Account,
    ) -> SilentRequest<'a> {
        SilentRequest {
            core: &self.core,
            scopes,
            account,
            options: CallOptions::new(ClientType::of::<K>()),
        }
    }

    /// The accounts in the token cache: one shared list, built again only after the
    /// cache's accounts changed (a sign-in, a sign-out, a load), so a repeated call is
    /// cheap.
    pub async fn accounts(&self) -> Result<Accounts, AuthError> {
        self.core.accounts().await
    }

    /// The cached account with this `home_account_id`, if any.
    pub async fn account(&self, home_account_id: &str) -> Result<Option<Account>, AuthError> {
        self.core.account(home_account_id).await
    }

    /// Signs the account out of this application: removes its tokens and account
    /// entries from the cache (and the persisted store).
    pub async fn remove_account(&self, account: &Account) -> Result<(), AuthError> {
        self.core.remove_account(account).await
    }

    /// The token cache, for example to serialize it.
    pub fn token_cache(&self) -> &crate::TokenCache {
        &self.core.cache
    }

    /// The authority, as [`build`](crate::ApplicationBuilder::build) parsed it: its
    /// [`kind`](crate::Authority::kind) says how the application signs users in.
    pub fn authority(&self) -> &crate::Authority {
        &self.core.authority
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        &self.core.client_id
    }
}

/// A username/password sign-in, ready to `.await`.
#[must_use = "a request does nothing until awaited"]
pub struct UsernamePasswordRequest<'a> {
    core: &'a Core,
    scopes: &'a [&'a str],
    username: &'a str,
    password: SecretString,
    options: CallOptions,
}

impl UsernamePasswordRequest<'_> {
    /// Sends `correlation_id` as `client-request-id` (default: a new random id).
    pub fn correlation_id(mut self, correlation_id: Uuid) -> Self {
        self.options.correlation_id = Some(correlation_id);
        self
    }

    /// Sends a claims request (JSON), merged with the client capabilities.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.options.claims = Some(claims.into());
        self
    }

    /// Signs in to `tenant` (a tenant id or domain) instead of the authority's tenant,
    /// for a multi-tenant application: Entra ID and External ID authorities only; any
    /// other kind fails with [`AuthError::TenantNotApplicable`] before a request is sent.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.options.tenant = Some(tenant.into());
        self
    }

    /// Only checks the credentials: signs in and returns the result (tokens, account)
    /// but writes nothing to the token cache or its store, so no later silent call is
    /// served from this sign-in.
    pub fn check_credentials_only(mut self) -> Self {
        self.options.check_credentials_only = true;
        self
    }
}

impl<'a> IntoFuture for UsernamePasswordRequest<'a> {
    type Output = Result<AuthenticationResult, AuthError>;
    type IntoFuture = AcquireFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.core.username_password(
            self.scopes,
            self.username,
            self.password,
            self.options,
        ))
    }
}

/// A silent acquisition, ready to `.await`.
#[must_use = "a request does nothing until awaited"]
pub struct SilentRequest<'a> {
    core: &'a Core,
    scopes: &'a [&'a str],
    account: &'a Account,
    options: CallOptions,
}

impl SilentRequest<'_> {
    /// Sends `correlation_id` as `client-request-id` when a request is needed.
    pub fn correlation_id(mut self, correlation_id: Uuid) -> Self {
        self.options.correlation_id = Some(correlation_id);
        self
    }

    /// Skips the cached access token and redeems the refresh token.
    pub fn force_refresh(mut self, force_refresh: bool) -> Self {
        self.options.force_refresh = force_refresh;
        self
    }

    /// Answers a claims challenge (from a resource's `WWW-Authenticate`): skips the
    /// cached access token and sends `claims` with the refresh.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.options.claims = Some(claims.into());
        self
    }

    /// Gets a token of `tenant` (a tenant id or domain) instead of the authority's
    /// tenant: only that tenant's cached tokens serve the call, and a refresh goes to
    /// it. Entra ID and External ID authorities only; any other kind fails with
    /// [`AuthError::TenantNotApplicable`].
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.options.tenant = Some(tenant.into());
        self
    }
}

impl<'a> IntoFuture for SilentRequest<'a> {
    type Output = Result<AuthenticationResult, AuthError>;
    type IntoFuture = AcquireFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.core.silent(self.scopes, self.account, self.options))
    }
}
