//! Indexed lookups. Every query starts from the entries one account owns, so its cost
//! does not grow with the number of accounts in the cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use secrecy::SecretString;

use std::borrow::Cow;

use crate::data::{CacheData, Kind, lowercase};
use crate::entry::{
    AUTHORITY_TYPE_ADFS, AUTHORITY_TYPE_MSSTS, AccessTokenEntry, AccountEntry, AppMetadataEntry,
    IdTokenEntry, RefreshTokenEntry,
};
use crate::scopes::target_contains_all;

/// An access token with less than this many seconds left is treated as expired (MSAL's rule).
pub(crate) const EXPIRY_MARGIN_SECS: u64 = 300;

/// The latest time the cache serves, in unix seconds: 9999-12-31T23:59:59Z.
///
/// A time stored past it (a hostile or broken file, `"18446744073709551615"`, or an
/// ingest whose lifetime saturated) cannot be represented everywhere a caller may turn
/// it into a date (`SystemTime` on every platform, RFC 3339, `i64`). An access token
/// whose `expires_on` is past it is treated as expired: never served, and removed by
/// [`crate::TokenCache::remove_expired_access_tokens`]. A `refresh_on` past it is left
/// to the caller, who should read it as "no early refresh".
pub const LATEST_TIME: u64 = 253_402_300_799;

impl AccessTokenEntry {
    /// Whether this token may no longer be served at `now` (unix seconds): its
    /// `expires_on` is before `now`, or past [`LATEST_TIME`] and so unusable.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_on < now || self.expires_on > LATEST_TIME
    }
}

/// An entry together with the key it is stored under, both shared with the cache (a
/// lookup copies neither).
#[derive(Clone, Debug)]
pub struct Keyed<T> {
    /// The entry's key in its section (as written by whichever library wrote it).
    pub key: Arc<str>,
    /// The entry.
    pub entry: Arc<T>,
}

/// Which access token to find.
///
/// `environments` and `realms` list aliases: MSAL Python writes the bare hostname and the
/// token endpoint's tenant segment, MSAL Node `host:port` and the `tid`; pass both forms to
/// find entries written by either. An empty list matches any value. Comparisons ignore
/// ASCII case; scopes match case-insensitively.
#[derive(Clone, Copy, Debug)]
pub struct AccessTokenQuery<'a> {
    /// The account; `None` finds an app-only token (client credentials).
    pub home_account_id: Option<&'a str>,
    /// Accepted `environment` values.
    pub environments: &'a [&'a str],
    /// The application.
    pub client_id: &'a str,
    /// Accepted `realm` values.
    pub realms: &'a [&'a str],
    /// Scopes the token must carry (a subset of its target).
    pub scopes: &'a [&'a str],
    /// The current time, unix seconds; tokens expiring within five minutes (MSAL's margin) are skipped.
    pub now: u64,
}

/// Which refresh tokens to find. Refresh tokens are realm- and scope-independent.
#[derive(Clone, Copy, Debug)]
pub struct RefreshTokenQuery<'a> {
    /// The account.
    pub home_account_id: &'a str,
    /// Accepted `environment` values (empty matches any).
    pub environments: &'a [&'a str],
    /// The application whose own refresh tokens qualify.
    pub client_id: &'a str,
    /// A family (FOCI) whose refresh tokens also qualify, normally `"1"`.
    pub family_id: Option<&'a str>,
}

/// A shared, immutable account listing (see [`crate::TokenCache::accounts`]).
pub(crate) type AccountList = Arc<[Arc<AccountEntry>]>;

/// How many listings (one per set of environments asked for) are kept at once.
const ACCOUNT_LISTS_KEPT: usize = 4;

/// The account listings computed since the Account section last changed, each under
/// the environments it was asked for. Any change to the Account section clears them
/// (see `CacheData::put` and `CacheData::take`), and a cache read from bytes starts
/// without any, so a listing is computed once per generation of the section and then
/// handed out as one shared `Arc`.
#[derive(Default)]
pub(crate) struct AccountLists(Mutex<Vec<(Environments, AccountList)>>);

/// The environments a listing was asked for.
type Environments = Box<[Box<str>]>;

impl AccountLists {
    /// Forgets every listing (the Account section changed).
    pub(crate) fn clear(&mut self) {
        let lists = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        if !lists.is_empty() {
            lists.clear();
        }
    }

    /// The listing kept for exactly `environments`, else the one `compute` builds (kept
    /// for the next call).
    fn get_or_compute(
        &self,
        environments: &[&str],
        compute: impl FnOnce() -> AccountList,
    ) -> AccountList {
        let mut lists = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let same = |kept: &[Box<str>]| {
            kept.len() == environments.len()
                && kept.iter().zip(environments).all(|(k, e)| **k == **e)
        };
        if let Some((_, list)) = lists.iter().find(|(kept, _)| same(kept)) {
            return Arc::clone(list);
        }
        let list = compute();
        if lists.len() == ACCOUNT_LISTS_KEPT {
            lists.remove(0);
        }
        lists.push((
            environments.iter().map(|e| Box::from(*e)).collect(),
            Arc::clone(&list),
        ));
        list
    }
}

impl Clone for AccountLists {
    /// A copy of the cache starts without listings (they are only a memo).
    fn clone(&self) -> Self {
        AccountLists::default()
    }
}

impl fmt::Debug for AccountLists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self.0.lock().map_or(0, |lists| lists.len());
        f.debug_struct("AccountLists").field("kept", &kept).finish()
    }
}

fn matches_any(value: &str, accepted: &[&str]) -> bool {
    accepted.is_empty() || accepted.iter().any(|a| same(a, value))
}

/// Equal ignoring ASCII case; an exact match (the usual case) is found by one `memcmp`.
fn same(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

impl CacheData {
    fn owned<'s, T: 's>(
        &'s self,
        home_account_id: &str,
        kind: Kind,
        get: impl Fn(&'s CacheData, &str) -> Option<&'s Arc<T>>,
    ) -> impl Iterator<Item = (&'s Arc<str>, &'s Arc<T>)> {
        self.owned_by(home_account_id)
            .iter()
            .filter(move |(k, _)| *k == kind)
            .filter_map(move |(_, key)| get(self, key).map(|entry| (key, entry)))
    }

    pub(crate) fn find_access_token(
        &self,
        q: &AccessTokenQuery<'_>,
    ) -> Option<Keyed<AccessTokenEntry>> {
        let owner = q.home_account_id.unwrap_or("");
        self.owned(owner, Kind::AccessToken, |d, k| d.access_tokens.get(k))
            .filter(|(_, at)| {
                at.home_account_id.is_some() == q.home_account_id.is_some()
                    && same(&at.client_id, q.client_id)
                    && matches_any(&at.environment, q.environments)
                    && matches_any(&at.realm, q.realms)
                    && at.key_id.is_none()
                    && at.ext_cache_key.is_none()
                    && !at.is_expired(q.now.saturating_add(EXPIRY_MARGIN_SECS))
                    && target_contains_all(&at.target, q.scopes)
            })
            .max_by_key(|(_, at)| at.expires_on)
            .map(|(key, at)| Keyed {
                key: Arc::clone(key),
                entry: Arc::clone(at),
            })
    }

    pub(crate) fn find_refresh_tokens(
        &self,
        q: &RefreshTokenQuery<'_>,
    ) -> Vec<Keyed<RefreshTokenEntry>> {
        let candidates: Vec<(&Arc<str>, &Arc<RefreshTokenEntry>)> = self
            .owned(q.home_account_id, Kind::RefreshToken, |d, k| {
                d.refresh_tokens.get(k)
            })
            .filter(|(_, rt)| matches_any(&rt.environment, q.environments))
            .collect();
        let is_family = |rt: &RefreshTokenEntry| match (q.family_id, rt.family_id.as_deref()) {
            (Some(wanted), Some(family)) => wanted == family,
            _ => false,
        };
        let mut family: Vec<_> = candidates.iter().filter(|(_, rt)| is_family(rt)).collect();
        let mut own: Vec<_> = candidates
            .iter()
            .filter(|(_, rt)| !is_family(rt) && same(&rt.client_id, q.client_id))
            .collect();
        type Candidate<'c> = (&'c Arc<str>, &'c Arc<RefreshTokenEntry>);
        let newest_first = |a: &&Candidate<'_>, b: &&Candidate<'_>| {
            b.1.last_modification_time
                .cmp(&a.1.last_modification_time)
                .then(a.0.cmp(b.0))
        };
        family.sort_by(newest_first);
        own.sort_by(newest_first);
        family
            .into_iter()
            .chain(own)
            .map(|(key, rt)| Keyed {
                key: Arc::clone(key),
                entry: Arc::clone(rt),
            })
            .collect()
    }

    pub(crate) fn find_id_token(
        &self,
        home_account_id: &str,
        environments: &[&str],
        client_id: &str,
        realms: &[&str],
    ) -> Option<Arc<IdTokenEntry>> {
        self.owned(home_account_id, Kind::IdToken, |d, k| d.id_tokens.get(k))
            .find(|(_, idt)| {
                same(&idt.client_id, client_id)
                    && matches_any(&idt.environment, environments)
                    && matches_any(&idt.realm, realms)
            })
            .map(|(_, idt)| Arc::clone(idt))
    }

    pub(crate) fn find_account(
        &self,
        home_account_id: &str,
        environments: &[&str],
    ) -> Option<Arc<AccountEntry>> {
        self.owned_by(home_account_id)
            .iter()
            .filter(|(kind, _)| *kind == Kind::Account)
            .filter_map(|(_, key)| self.accounts.entries.get(key))
            .filter_map(|(seq, slot)| match slot {
                crate::data::Slot::Known(account) => Some((*seq, account)),
                crate::data::Slot::Foreign(_) => None,
            })
            .filter(|(_, a)| matches_any(&a.environment, environments))
            .max_by_key(|(seq, _)| *seq)
            .map(|(_, a)| Arc::clone(a))
    }

    /// [`CacheData::list_accounts`], shared: without a username, the listing for the same
    /// environments is computed once per generation of the Account section and handed
    /// out again until that section changes.
    pub(crate) fn shared_accounts(
        &self,
        environments: &[&str],
        username: Option<&str>,
    ) -> AccountList {
        match username {
            // A username filters before one entry is picked per account, so its listing
            // is not a subset of the memoized one; such calls are rare and not kept.
            Some(_) => self.list_accounts(environments, username).into(),
            None => self.account_lists.get_or_compute(environments, || {
                self.list_accounts(environments, None).into()
            }),
        }
    }

    /// Accounts as MSAL Python's `get_accounts` lists them: one per `home_account_id`
    /// (the last written wins, in first-seen order), Entra and ADFS accounts only.
    pub(crate) fn list_accounts(
        &self,
        environments: &[&str],
        username: Option<&str>,
    ) -> Vec<Arc<AccountEntry>> {
        let mut accounts: Vec<(&Arc<str>, u64, &Arc<AccountEntry>)> = self
            .accounts
            .known()
            .filter(|(_, _, a)| {
                matches_any(&a.environment, environments)
                    && matches!(
                        a.authority_type.as_deref(),
                        Some(AUTHORITY_TYPE_MSSTS) | Some(AUTHORITY_TYPE_ADFS)
                    )
                    && username.is_none_or(|u| {
                        a.username
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(u))
                    })
            })
            .collect();
        accounts.sort_unstable_by_key(|(_, seq, _)| *seq);
        let mut position: HashMap<Cow<'_, str>, usize> = HashMap::new();
        let mut listed: Vec<Arc<AccountEntry>> = Vec::with_capacity(accounts.len());
        for (_, _, account) in accounts {
            let id = lowercase(&account.home_account_id);
            match position.get(&id) {
                Some(&at) => {
                    if let Some(slot) = listed.get_mut(at) {
                        *slot = Arc::clone(account);
                    }
                }
                None => {
                    position.insert(id, listed.len());
                    listed.push(Arc::clone(account));
                }
            }
        }
        listed
    }

    pub(crate) fn find_app_metadata(
        &self,
        environments: &[&str],
        client_id: &str,
    ) -> Option<Arc<AppMetadataEntry>> {
        self.app_metadata
            .known()
            .filter(|(_, _, m)| {
                same(&m.client_id, client_id) && matches_any(&m.environment, environments)
            })
            .max_by_key(|(_, seq, _)| *seq)
            .map(|(_, _, m)| Arc::clone(m))
    }

    /// Removes every access, refresh and id token and account entry of `home_account_id`
    /// in the given environments; returns how many entries went.
    pub(crate) fn remove_account(&mut self, home_account_id: &str, environments: &[&str]) -> usize {
        let owned: Vec<(Kind, Arc<str>)> = self.owned_by(home_account_id).to_vec();
        let mut removed = 0;
        for (kind, key) in owned {
            let in_env = |env: &str| matches_any(env, environments);
            let gone = match kind {
                Kind::AccessToken => {
                    self.access_tokens
                        .get(&key)
                        .is_some_and(|e| in_env(&e.environment))
                        && self.remove::<AccessTokenEntry>(&key)
                }
                Kind::RefreshToken => {
                    self.refresh_tokens
                        .get(&key)
                        .is_some_and(|e| in_env(&e.environment))
                        && self.remove::<RefreshTokenEntry>(&key)
                }
                Kind::IdToken => {
                    self.id_tokens
                        .get(&key)
                        .is_some_and(|e| in_env(&e.environment))
                        && self.remove::<IdTokenEntry>(&key)
                }
                Kind::Account => {
                    self.accounts
                        .get(&key)
                        .is_some_and(|e| in_env(&e.environment))
                        && self.remove::<AccountEntry>(&key)
                }
                Kind::AppMetadata => false,
            };
            removed += usize::from(gone);
        }
        removed
    }

    /// Replaces a refresh token's secret after the server rotated it (MSAL's `update_rt`).
    pub(crate) fn update_refresh_token(
        &mut self,
        key: &str,
        secret: SecretString,
        now: u64,
    ) -> bool {
        let Some(current) = self.refresh_tokens.get(key) else {
            return false;
        };
        let mut updated = RefreshTokenEntry::clone(current);
        updated.secret = secret;
        updated.last_modification_time = Some(now);
        self.upsert(key.to_owned(), updated);
        true
    }

    /// Removes access tokens of any account that have expired by `now` (MSAL Python drops
    /// them while searching), or whose expiry is past [`LATEST_TIME`]; returns how many
    /// went.
    pub(crate) fn remove_expired_access_tokens(&mut self, now: u64) -> usize {
        let expired: Vec<String> = self
            .access_tokens
            .known()
            .filter(|(_, _, at)| at.is_expired(now))
            .map(|(key, _, _)| key.to_string())
            .collect();
        for key in &expired {
            self.remove::<AccessTokenEntry>(key);
        }
        expired.len()
    }
}
