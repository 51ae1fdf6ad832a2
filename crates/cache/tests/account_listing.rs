//! The account listing is computed once per generation of the cache's accounts and
//! shared until they change.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::Arc;

use entra_cache::{MemoryStore, TokenCache, TokenIngest};
use secrecy::SecretString;

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

fn sign_in(cache: &TokenCache, home_account_id: &str) {
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from("at"), NOW);
    ingest.granted_scope = Some("User.Read openid profile offline_access".into());
    ingest.expires_in = Some(3599);
    ingest.refresh_token = Some(SecretString::from("rt"));
    ingest.home_account_id = Some(home_account_id.into());
    ingest.username = Some(format!("{home_account_id}@contoso.com"));
    ingest.account_source = Some("password".into());
    cache.ingest(&ingest);
}

fn names(cache: &TokenCache) -> Vec<String> {
    cache
        .accounts(&[ENV], None)
        .iter()
        .map(|a| a.home_account_id.to_string())
        .collect()
}

#[test]
fn the_same_list_is_shared_while_the_accounts_do_not_change() {
    let cache = TokenCache::new();
    sign_in(&cache, "alice");
    sign_in(&cache, "bob");
    let first = cache.accounts(&[ENV], None);
    assert_eq!(first.len(), 2);
    assert!(Arc::ptr_eq(&first, &cache.accounts(&[ENV], None)));
    // Changes to other sections do not start a new listing.
    cache.remove_expired_access_tokens(NOW + 10_000);
    assert!(Arc::ptr_eq(&first, &cache.accounts(&[ENV], None)));
    // Other environments get their own listing, and the first one is still kept.
    assert!(cache.accounts(&["elsewhere"], None).is_empty());
    assert!(Arc::ptr_eq(&first, &cache.accounts(&[ENV], None)));
}

#[test]
fn the_list_changes_after_an_ingest_that_adds_an_account() {
    let cache = TokenCache::new();
    sign_in(&cache, "alice");
    let before = cache.accounts(&[ENV], None);
    sign_in(&cache, "bob");
    let after = cache.accounts(&[ENV], None);
    assert!(!Arc::ptr_eq(&before, &after));
    assert_eq!(before.len(), 1, "a listing handed out never changes");
    assert_eq!(names(&cache), ["alice", "bob"]);
}

#[test]
fn the_list_changes_after_an_account_is_removed() {
    let cache = TokenCache::new();
    sign_in(&cache, "alice");
    sign_in(&cache, "bob");
    assert_eq!(names(&cache), ["alice", "bob"]);
    cache.remove_account("alice", &[ENV]);
    assert_eq!(names(&cache), ["bob"]);
}

#[test]
fn the_list_changes_after_a_load_or_a_deserialize() {
    let elsewhere = TokenCache::new();
    sign_in(&elsewhere, "carol");
    let store = Arc::new(MemoryStore::with_bytes(elsewhere.serialize().into_bytes()));
    let cache = TokenCache::with_shared_store(store);
    sign_in(&cache, "alice");
    assert_eq!(names(&cache), ["alice"]);
    cache.load().unwrap();
    assert_eq!(names(&cache), ["carol", "alice"]);

    cache.deserialize(elsewhere.serialize().as_bytes()).unwrap();
    assert_eq!(names(&cache), ["carol"]);
}

#[test]
fn a_username_filters_as_before_and_leaves_the_shared_list_alone() {
    let cache = TokenCache::new();
    sign_in(&cache, "alice");
    sign_in(&cache, "bob");
    let all = cache.accounts(&[ENV], None);
    let bob = cache.accounts(&[ENV], Some("BOB@contoso.com"));
    assert_eq!(bob.len(), 1);
    assert_eq!(&*bob[0].home_account_id, "bob");
    assert!(Arc::ptr_eq(&all, &cache.accounts(&[ENV], None)));
}
