//! What the application remembers of discovery answers between sign-ins: the user realm
//! of each username, the WS-Trust endpoint of each MEX document, the hosts instance
//! discovery vouched for and each authority's endpoints, for 24 hours (as
//! MSAL Python keeps successful discovery GETs), so a repeated sign-in sends only the
//! requests that carry credentials.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use entra_protocol::{UserRealm, WsTrustEndpoint};

use super::authority::Resolved;

/// How long a discovery answer is reused.
const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Entries per map at most; past it, expired entries go, then everything.
const CAPACITY: usize = 1024;

/// Discovery answers by key, each with the instant it stops being reused.
pub(super) struct Memo<V> {
    entries: Mutex<HashMap<String, (SystemTime, V)>>,
}

impl<V: Clone> Memo<V> {
    pub(super) fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The answer remembered for `key`, unless it expired by `now`.
    pub(super) fn get(&self, key: &str, now: SystemTime) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(expires, _)| now < *expires)
            .map(|(_, value)| value.clone())
    }

    /// Remembers `value` for `key` from `now` on.
    pub(super) fn put(&self, key: String, value: V, now: SystemTime) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, (expires, _)| now < *expires);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        // A clock near the end of time remembers nothing rather than overflow.
        if let Some(expires) = now.checked_add(LIFETIME) {
            entries.insert(key, (expires, value));
        }
    }
}

/// The discovery answers of one application.
pub(super) struct Discovered {
    /// By lowercased username: the realm, or `None` where the endpoint answered 404
    /// (which means managed).
    pub(super) realms: Memo<Option<UserRealm>>,
    /// By MEX URL: the endpoint chosen from it.
    pub(super) ws_trust_endpoints: Memo<WsTrustEndpoint>,
    /// By `host[:port]`: hosts instance discovery said are valid authorities.
    pub(super) trusted_hosts: Memo<()>,
    /// By authority URL: its token endpoint and cache realm (from its OpenID
    /// configuration for every kind but Entra).
    pub(super) authorities: Memo<Resolved>,
}

impl Discovered {
    pub(super) fn new() -> Self {
        Self {
            realms: Memo::new(),
            ws_trust_endpoints: Memo::new(),
            trusted_hosts: Memo::new(),
            authorities: Memo::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_reused_for_a_day_then_forgotten() {
        let memo = Memo::new();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        memo.put("alice@contoso.com".to_owned(), 7, start);

        assert_eq!(memo.get("alice@contoso.com", start), Some(7));
        assert_eq!(memo.get("bob@contoso.com", start), None);
        let almost = start + LIFETIME - Duration::from_secs(1);
        assert_eq!(memo.get("alice@contoso.com", almost), Some(7));
        assert_eq!(memo.get("alice@contoso.com", start + LIFETIME), None);
    }

    #[test]
    fn a_full_memo_drops_expired_entries_first_and_never_grows_past_its_capacity() {
        let memo = Memo::new();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        memo.put("old".to_owned(), 0, start);
        let later = start + LIFETIME / 2;
        for n in 1..CAPACITY {
            memo.put(format!("user{n}"), n, later);
        }
        let after_old_expired = start + LIFETIME;
        memo.put("new".to_owned(), 1, after_old_expired);
        assert_eq!(memo.get("user1", after_old_expired), Some(1), "kept");
        assert_eq!(memo.get("new", after_old_expired), Some(1));

        memo.put("newer".to_owned(), 2, after_old_expired);
        let entries = memo.entries.lock().unwrap().len();
        assert!(entries <= CAPACITY, "{entries}");
        assert_eq!(memo.get("newer", after_old_expired), Some(2));
    }
}
