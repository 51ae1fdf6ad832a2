//! The account listing, built once per listing of the cache: while the cache hands out
//! the same shared list of account entries, `accounts()` hands out the same [`Accounts`].

use std::sync::{Arc, Mutex, PoisonError};

use entra_cache::AccountEntry;

use crate::result::{Account, Accounts};

/// The last listing of the cache (kept so its identity can be checked) and the
/// [`Accounts`] built from it.
#[derive(Default)]
pub(super) struct AccountsMemo {
    last: Mutex<Option<(Listing, Accounts)>>,
}

/// A listing of the cache's account entries, as `TokenCache::accounts` shares it.
type Listing = Arc<[Arc<AccountEntry>]>;

impl AccountsMemo {
    /// The [`Accounts`] for `entries`: the ones built last time if the cache handed out
    /// the same list (a pointer comparison), else built now and kept.
    ///
    /// Keeping the cache's list keeps its allocation alive, so a new list can never
    /// share its address.
    pub(super) fn accounts(&self, entries: Listing) -> Accounts {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, accounts)) = last.as_ref()
            && Arc::ptr_eq(seen, &entries)
        {
            return accounts.clone();
        }
        let accounts: Accounts = entries
            .iter()
            .map(|entry| Account::from(AccountEntry::clone(entry)))
            .collect::<Vec<_>>()
            .into();
        *last = Some((entries, accounts.clone()));
        accounts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_cache::ExtraFields;

    fn entry(home_account_id: &str) -> Arc<AccountEntry> {
        Arc::new(AccountEntry {
            home_account_id: home_account_id.into(),
            environment: "login.microsoftonline.com".into(),
            realm: "contoso".into(),
            local_account_id: None,
            username: Some(format!("{home_account_id}@contoso.com")),
            authority_type: Some("MSSTS".to_owned()),
            account_source: None,
            extra: ExtraFields::default(),
        })
    }

    #[test]
    fn the_same_cache_listing_gives_the_same_accounts() {
        let memo = AccountsMemo::default();
        let listing: Arc<[Arc<AccountEntry>]> = vec![entry("a.t"), entry("b.t")].into();
        let first = memo.accounts(Arc::clone(&listing));
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].username, "b.t@contoso.com");
        assert!(first.ptr_eq(&memo.accounts(listing)));
    }

    #[test]
    fn a_new_cache_listing_gives_new_accounts_even_when_equal() {
        let memo = AccountsMemo::default();
        let first = memo.accounts(vec![entry("a.t")].into());
        let again = memo.accounts(vec![entry("a.t")].into());
        assert_eq!(first, again);
        assert!(!first.ptr_eq(&again));
        let other = memo.accounts(vec![entry("c.t")].into());
        assert_eq!(other[0].home_account_id, "c.t");
    }
}
