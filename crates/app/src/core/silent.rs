//! Silent acquisition: a cached access token, else the refresh token, with one
//! refresh at a time per account.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use entra_cache::{AccessTokenQuery, IdTokenEntry, RefreshTokenQuery};
use entra_protocol::{IdTokenClaims, check_scopes, decode_id_token};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::persistence::Leased;
use super::{CallOptions, Core, Grant, TokenRequest};
use crate::clock::{from_unix_seconds, unix_seconds};
use crate::error::AuthError;
use crate::error::Redeeming;
use crate::result::{AccessToken, Account, AuthenticationResult, Scopes, TokenSource, token_type};

/// One refresh at a time per account: later callers wait, then find the new token, or
/// share the failure of the refresh they waited on.
#[derive(Default)]
pub(super) struct Flight {
    /// Held while refreshing. Holds how the latest refresh failed (`None` when it
    /// succeeded): every refresh sets it before letting the lock go.
    latest_failure: tokio::sync::Mutex<Option<SharedFailure>>,
    /// Refreshes completed, read before waiting to tell whether one ended meanwhile.
    completed: AtomicU64,
}

/// A refresh that failed, for the callers that waited on it.
struct SharedFailure {
    /// The scopes it asked for, as [`scope_set`] gives them.
    scopes: Vec<String>,
    error: AuthError,
}

impl SharedFailure {
    /// The error, for a caller that asked for the same `scopes`.
    fn for_scopes(&self, scopes: &[String]) -> Option<AuthError> {
        (self.scopes == scopes).then(|| self.error.clone())
    }
}

/// The id token claims decoded so far, by the `home_account_id` of their id token, each
/// with the cache entry it was decoded from. Entries are immutable and shared, so a new
/// id token (from a refresh, a load, anyone) is a new entry: claims are served only for
/// the very entry they came from (`Arc::ptr_eq`), never for another, and the memo keeps
/// no copy of a token. Hashed with foldhash, as entra-cache's maps: SipHash over the id
/// was a tenth of a hit.
#[derive(Default)]
pub(super) struct ClaimsMemo {
    entries: Mutex<DecodedById>,
}

/// The decoded id tokens by `home_account_id`.
type DecodedById = HashMap<Arc<str>, DecodedIdToken, foldhash::fast::RandomState>;

/// An id token entry and its claims.
struct DecodedIdToken {
    id_token: Arc<IdTokenEntry>,
    claims: Arc<IdTokenClaims>,
}

impl ClaimsMemo {
    /// The claims of `id_token`, the account's current id token entry: remembered, or
    /// decoded now and remembered (`None` when it does not decode).
    pub(super) fn get_or_decode(&self, id_token: &Arc<IdTokenEntry>) -> Option<Arc<IdTokenClaims>> {
        if let Some(decoded) = self
            .lock()
            .get(&*id_token.home_account_id)
            .filter(|decoded| Arc::ptr_eq(&decoded.id_token, id_token))
        {
            return Some(Arc::clone(&decoded.claims));
        }
        let claims = Arc::new(decode_id_token(id_token.secret.expose_secret()).ok()?);
        self.put(Arc::clone(id_token), Arc::clone(&claims));
        Some(claims)
    }

    /// Remembers the `claims` of the account's new `id_token` entry (decoded when it
    /// arrived).
    pub(super) fn put(&self, id_token: Arc<IdTokenEntry>, claims: Arc<IdTokenClaims>) {
        self.lock().insert(
            Arc::clone(&id_token.home_account_id),
            DecodedIdToken { id_token, claims },
        );
    }

    /// Forgets the account's claims (it signed out).
    pub(super) fn forget(&self, home_account_id: &str) {
        self.lock().remove(home_account_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DecodedById> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `scopes` as a comparable set: sorted, lowercased, without repeats.
pub(super) fn scope_set(scopes: &[&str]) -> Vec<String> {
    let mut set: Vec<String> = scopes.iter().map(|scope| scope.to_lowercase()).collect();
    set.sort_unstable();
    set.dedup();
    set
}
impl Core {
    /// Silent acquisition: the cached access token, else the refresh token.
    pub(crate) async fn silent(
        &self,
        scopes: &[&str],
        account: &Account,
        options: CallOptions,
    ) -> Result<AuthenticationResult, AuthError> {
        let correlation_id = options
            .correlation_id
            .unwrap_or_else(super::new_correlation_id);
        // Checked, not decorated: a cache hit needs no list of the scopes sent.
        check_scopes(scopes)
            .map_err(|error| self.protocol_error(error, correlation_id, Redeeming::Other))?;
        if options.tenant.is_some() {
            // A tenant this authority cannot take fails before the cache is read.
            self.request_authority(options.tenant.as_deref())?;
        }
        self.fresh_account(&account.home_account_id).await?;
        let bypass_cache = options.force_refresh || options.claims.is_some();
        let mut aging = None;
        if !bypass_cache
            && let Some(cached) =
                self.cached(scopes, account, options.tenant.as_deref(), correlation_id)
        {
            match cached.refresh_on {
                Some(refresh_on) if refresh_on <= self.clock.now() => aging = Some(cached),
                _ => return Ok(cached),
            }
        }

        let flight = self.flight(&account.home_account_id);
        let completed_before = flight.completed.load(Ordering::Acquire);
        let mut latest_failure = flight.latest_failure.lock().await;
        // Someone refreshed this account while we waited: their token may serve us. A
        // caller that did not ask to bypass the cache always looks again: a refresh may
        // have stored its token between our cache miss and our reading of the counter.
        let refreshed_meanwhile = flight.completed.load(Ordering::Acquire) != completed_before;
        if (refreshed_meanwhile || !bypass_cache)
            && options.claims.is_none()
            && let Some(cached) =
                self.cached(scopes, account, options.tenant.as_deref(), correlation_id)
            && cached
                .refresh_on
                .is_none_or(|refresh_on| refresh_on > self.clock.now())
        {
            return Ok(cached);
        }
        let requested = scope_set(scopes);
        // The refresh we waited on failed for these same scopes: its answer is ours too
        // (with its correlation id). Asking again at once would only multiply the load
        // on a failing server, one caller at a time.
        let shared_failure = if refreshed_meanwhile && options.claims.is_none() {
            latest_failure
                .as_ref()
                .and_then(|failure| failure.for_scopes(&requested))
        } else {
            None
        };
        let refreshed = match shared_failure {
            Some(error) => {
                tracing::debug!(%correlation_id, error = %error, "sharing the failure of the refresh this call waited on");
                Err(error)
            }
            None => {
                let refreshed = self
                    .refresh_once_for_all(scopes, account, &options, correlation_id)
                    .await;
                flight.completed.fetch_add(1, Ordering::AcqRel);
                *latest_failure = refreshed.as_ref().err().map(|error| SharedFailure {
                    scopes: requested,
                    error: error.clone(),
                });
                refreshed
            }
        };
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

    /// Refreshes, unless another process sharing the cache refreshed first: takes the
    /// store's lease (waiting for another holder's refresh to end), reads the account's
    /// tokens from the store again, and serves the token found there when it is fresh
    /// and the caller did not ask to bypass the cache; else refreshes with the refresh
    /// token just read (the latest, if another process rotated it) before giving the
    /// lease back.
    async fn refresh_once_for_all(
        &self,
        scopes: &[&str],
        account: &Account,
        options: &CallOptions,
        correlation_id: Uuid,
    ) -> Result<AuthenticationResult, AuthError> {
        let claims = options.claims.as_deref();
        if !self.is_shared() {
            return self
                .refresh(
                    scopes,
                    account,
                    claims,
                    options.tenant.as_deref(),
                    correlation_id,
                )
                .await;
        }
        // A token another process refreshed serves this caller, unless it asked to
        // bypass the cache.
        let may_serve = !options.force_refresh && claims.is_none();
        let fresh_from_elsewhere = || {
            let now = self.clock.now();
            may_serve
                .then(|| self.cached(scopes, account, options.tenant.as_deref(), correlation_id))
                .flatten()
                .filter(|cached| cached.refresh_on.is_none_or(|refresh_on| refresh_on > now))
        };
        let lease = match self
            .lease_or(&account.home_account_id, fresh_from_elsewhere)
            .await?
        {
            Leased::Arrived(cached) => {
                tracing::debug!(%correlation_id, "another process refreshed this account; serving its token");
                return Ok(cached);
            }
            Leased::Held(lease) => Some(lease),
            Leased::Without => None,
        };
        let refreshed = match self.reread_account(&account.home_account_id).await {
            Err(error) => Err(error),
            Ok(()) => match fresh_from_elsewhere() {
                Some(cached) => {
                    tracing::debug!(%correlation_id, "another process refreshed this account; serving its token");
                    Ok(cached)
                }
                None => {
                    self.refresh(
                        scopes,
                        account,
                        claims,
                        options.tenant.as_deref(),
                        correlation_id,
                    )
                    .await
                }
            },
        };
        if let Some(lease) = lease {
            lease.release().await;
        }
        refreshed
    }

    fn flight(&self, home_account_id: &str) -> Arc<Flight> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        flights
            .entry(home_account_id.to_owned())
            .or_default()
            .clone()
    }

    /// A cached access token for `scopes` and `account`, valid for at least 5 minutes.
    /// With a `tenant` for this call, only that tenant's tokens serve it.
    fn cached(
        &self,
        scopes: &[&str],
        account: &Account,
        tenant: Option<&str>,
        correlation_id: Uuid,
    ) -> Option<AuthenticationResult> {
        let environments = self.environments();
        let tenant_realm = tenant.map(str::to_ascii_lowercase);
        let tid = account
            .home_account_id
            .split_once('.')
            .map(|(_, utid)| utid);
        let all = [
            self.realm(),
            account.realm.as_str(),
            tid.unwrap_or_default(),
        ];
        let one;
        let realms = match (&tenant_realm, tid) {
            (Some(tenant), _) => {
                one = [tenant.as_str()];
                &one[..]
            }
            (None, Some(_)) => &all[..],
            (None, None) => &all[..2],
        };
        let now = unix_seconds(self.clock.now());
        // entra-cache hands out the shared entry (a reference count, no copy).
        let found = self.cache.access_token(&AccessTokenQuery {
            home_account_id: Some(&account.home_account_id),
            environments: &environments,
            client_id: &self.client_id,
            realms,
            scopes,
            now,
        })?;
        let entry = found.entry;
        // The id token entry is shared too; its claims are decoded once per id token.
        let id_token_claims = self
            .cache
            .id_token(
                &account.home_account_id,
                &environments,
                &self.client_id,
                realms,
            )
            .and_then(|id_token| self.claims.get_or_decode(&id_token));
        Some(AuthenticationResult {
            // The entry is shared: its token is copied once into the result (a
            // `SecretString` cannot be shared), everything else is borrowed or shared.
            access_token: AccessToken::new(entry.secret.clone()),
            token_type: token_type(entry.token_type.as_deref()),
            // The cache never serves an expiry past LATEST_TIME; a `refresh_on` past it
            // (a broken file) means no early refresh.
            expires_on: from_unix_seconds(entry.expires_on)?,
            refresh_on: entry.refresh_on.and_then(from_unix_seconds),
            // The entry's target, shared: a reference count increment.
            scopes: Scopes::shared(Arc::clone(&entry.target)),
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
        tenant: Option<&str>,
        correlation_id: Uuid,
    ) -> Result<AuthenticationResult, AuthError> {
        let environments = self.environments();
        let family_id = self
            .cache
            .app_metadata(&environments, &self.client_id)
            .and_then(|metadata| metadata.family_id.clone());
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
        let authority = match tenant {
            Some(_) => self.request_authority(tenant)?,
            None => self
                .authority
                .for_password_grant()
                .unwrap_or_else(|_| self.authority.clone()),
        };
        let resolved = self.resolve(&authority, correlation_id).await?;
        let request = TokenRequest {
            authority: &authority,
            resolved: &resolved,
            scopes,
            claims,
            correlation_id,
            grant: Grant::RefreshToken,
            account: &account.home_account_id,
        };
        let tokens = self
            .redeem(&request, |params| {
                entra_protocol::refresh_token_grant(
                    params,
                    &refresh_token.entry.secret,
                    Some(&account.home_account_id),
                )
            })
            .await?;
        self.store(&request, tokens, Some(&account.username)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn failure() -> AuthError {
        AuthError::InteractionRequired {
            reason: "test",
            server: None,
        }
    }

    /// An id token entry of `oid.tid` holding `raw`.
    fn entry(raw: SecretString) -> Arc<IdTokenEntry> {
        Arc::new(IdTokenEntry {
            secret: raw,
            home_account_id: "oid.tid".into(),
            environment: "login.microsoftonline.com".into(),
            realm: "tid".into(),
            client_id: "client".into(),
            extra: Default::default(),
        })
    }

    /// An id token entry whose unsigned id token, for `aud`, has `name` as its `name`.
    fn id_token(name: &str) -> Arc<IdTokenEntry> {
        entry(raw_id_token(name))
    }

    /// An unsigned id token for `aud` whose `name` is `name`.
    fn raw_id_token(name: &str) -> SecretString {
        use base64::Engine;
        let encode = |json: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        };
        let header = encode(serde_json::json!({"alg": "none"}));
        let claims = encode(serde_json::json!({"aud": "client", "name": name}));
        SecretString::from(format!("{header}.{claims}.c2lnbmF0dXJl"))
    }

    fn name(claims: &IdTokenClaims) -> Option<&str> {
        claims.name.as_deref()
    }

    #[test]
    fn claims_are_decoded_once_per_id_token_and_never_served_for_another() {
        let memo = ClaimsMemo::default();
        let first = id_token("Alice Smith");

        let decoded = memo.get_or_decode(&first).expect("claims");
        let again = memo.get_or_decode(&first).expect("claims");
        assert!(Arc::ptr_eq(&decoded, &again), "decoded once, then shared");
        assert_eq!(name(&decoded), Some("Alice Smith"));

        let renamed = memo
            .get_or_decode(&id_token("Alice Jones"))
            .expect("claims");
        assert_eq!(name(&renamed), Some("Alice Jones"));
        // Another entry is another id token, whatever it holds: decoded anew.
        let same_text = memo
            .get_or_decode(&entry(raw_id_token("Alice Jones")))
            .expect("claims");
        assert!(!Arc::ptr_eq(&renamed, &same_text));

        memo.forget("oid.tid");
        let after_sign_out = memo.get_or_decode(&first).expect("claims");
        assert!(!Arc::ptr_eq(&decoded, &after_sign_out));
        assert_eq!(name(&after_sign_out), Some("Alice Smith"));
        assert!(
            memo.get_or_decode(&entry(SecretString::from("not a jwt")))
                .is_none()
        );
    }

    #[test]
    fn a_failure_is_shared_only_with_callers_of_the_same_scopes() {
        let failure = SharedFailure {
            scopes: scope_set(&["User.Read", "Mail.Read"]),
            error: failure(),
        };

        let same = scope_set(&["mail.read", "User.Read", "User.Read"]);
        assert!(failure.for_scopes(&same).is_some());
        assert!(failure.for_scopes(&scope_set(&["User.Read"])).is_none());
    }
}
