//! A sign-out by one writer survives another writer's merge: two `TokenCache` handles on
//! one store stand for two processes sharing a cache file.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::Arc;

use entra_cache::{CacheStore, FileStore, MemoryStore, RefreshTokenQuery, TokenCache, TokenIngest};
use secrecy::{ExposeSecret, SecretString};

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;
const ALICE: &str = "alice-oid.tenant";
const BOB: &str = "bob-oid.tenant";

/// Tokens `n` for `home_account_id`: a sign-in writes the account entry, a refresh not.
fn tokens(home_account_id: &str, n: u32, sign_in: bool) -> TokenIngest {
    let mut ingest = TokenIngest::new(
        ENV,
        CLIENT,
        TENANT,
        SecretString::from(format!("at-{n}")),
        NOW + u64::from(n),
    );
    ingest.granted_scope = Some("User.Read openid profile offline_access".into());
    ingest.expires_in = Some(3599);
    ingest.refresh_token = Some(SecretString::from(format!("rt-{n}")));
    ingest.id_token = Some(SecretString::from(format!("idt-{n}")));
    ingest.home_account_id = Some(home_account_id.into());
    ingest.username = Some(format!("{home_account_id}@contoso.com"));
    ingest.create_account = sign_in;
    ingest.account_source = Some(if sign_in { "password" } else { "refresh_token" }.into());
    ingest
}

/// The secret of `home_account_id`'s refresh token, if any.
fn refresh_token(cache: &TokenCache, home_account_id: &str) -> Option<String> {
    cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id,
            environments: &[ENV],
            client_id: CLIENT,
            family_id: None,
        })
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

fn accounts(cache: &TokenCache) -> Vec<String> {
    let mut ids: Vec<String> = cache
        .accounts(&[], None)
        .iter()
        .map(|a| a.home_account_id.to_string())
        .collect();
    ids.sort();
    ids
}

/// A fresh handle's view of what `store` holds.
fn persisted(store: &Arc<dyn CacheStore>) -> TokenCache {
    let cache = TokenCache::with_shared_store(store.clone());
    cache.load().unwrap();
    cache
}

/// Two handles on one store, both loaded after `signed_in` signed in.
fn two_writers(store: Arc<dyn CacheStore>, signed_in: &[&str]) -> (TokenCache, TokenCache) {
    let a = TokenCache::with_shared_store(store.clone());
    for (n, id) in (1..).zip(signed_in) {
        a.ingest(&tokens(id, n, true));
    }
    a.save().unwrap();
    let b = TokenCache::with_shared_store(store);
    b.load().unwrap();
    (a, b)
}

fn memory() -> Arc<dyn CacheStore> {
    Arc::new(MemoryStore::new())
}

#[test]
fn a_sign_out_survives_a_refresh_saved_afterwards_by_a_writer_loaded_before_it() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE]);

    assert!(a.remove_account(ALICE, &[]) > 0);
    a.save().unwrap();
    b.ingest(&tokens(ALICE, 7, false));
    b.save().unwrap();

    let after = persisted(&store);
    assert_eq!(accounts(&after), Vec::<String>::new());
    assert_eq!(refresh_token(&after, ALICE), None);
    assert_eq!(after.serialize().matches("rt-7").count(), 0);
    assert_eq!(after.serialize().matches("at-7").count(), 0);
    assert_eq!(refresh_token(&b, ALICE), None, "b holds the merged state");
}

#[test]
fn a_rotation_of_the_signed_out_refresh_token_is_dropped_too() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE]);
    let key = b
        .refresh_token(&RefreshTokenQuery {
            home_account_id: ALICE,
            environments: &[ENV],
            client_id: CLIENT,
            family_id: None,
        })
        .unwrap()
        .key;

    a.remove_account(ALICE, &[]);
    a.save().unwrap();
    assert!(b.update_refresh_token(&key, SecretString::from("rotated"), NOW + 9));
    b.save().unwrap();

    assert_eq!(refresh_token(&persisted(&store), ALICE), None);
}

#[test]
fn a_sign_in_through_the_other_writer_brings_the_account_back() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE]);
    a.remove_account(ALICE, &[]);
    a.save().unwrap();
    b.ingest(&tokens(ALICE, 7, false));
    b.save().unwrap();

    b.ingest(&tokens(ALICE, 8, true));
    b.save().unwrap();

    let after = persisted(&store);
    assert_eq!(accounts(&after), vec![ALICE.to_owned()]);
    assert_eq!(refresh_token(&after, ALICE).as_deref(), Some("rt-8"));
}

#[test]
fn a_sign_in_by_a_writer_that_never_saw_the_sign_out_brings_the_account_back() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE]);
    a.remove_account(ALICE, &[]);
    a.save().unwrap();

    b.ingest(&tokens(ALICE, 8, true));
    b.save().unwrap();

    let after = persisted(&store);
    assert_eq!(accounts(&after), vec![ALICE.to_owned()]);
    assert_eq!(refresh_token(&after, ALICE).as_deref(), Some("rt-8"));
}

#[test]
fn writers_touching_different_accounts_both_keep_their_updates() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE, BOB]);

    a.remove_account(ALICE, &[]);
    a.save().unwrap();
    b.ingest(&tokens(BOB, 7, false));
    b.save().unwrap();

    let after = persisted(&store);
    assert_eq!(accounts(&after), vec![BOB.to_owned()]);
    assert_eq!(refresh_token(&after, ALICE), None);
    assert_eq!(refresh_token(&after, BOB).as_deref(), Some("rt-7"));
}

#[test]
fn a_rotated_refresh_token_for_an_account_still_present_still_wins() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE]);

    a.ingest(&tokens(ALICE, 5, false));
    a.save().unwrap();
    b.ingest(&tokens(ALICE, 6, false));
    b.save().unwrap();

    let after = persisted(&store);
    assert_eq!(accounts(&after), vec![ALICE.to_owned()]);
    assert_eq!(refresh_token(&after, ALICE).as_deref(), Some("rt-6"));
}

#[test]
fn a_load_drops_unsaved_tokens_of_an_account_signed_out_and_forgets_them() {
    let store = memory();
    let (a, b) = two_writers(store.clone(), &[ALICE, BOB]);
    a.remove_account(ALICE, &[]);
    a.save().unwrap();
    b.ingest(&tokens(ALICE, 7, false));

    b.load().unwrap();
    assert_eq!(refresh_token(&b, ALICE), None);
    assert_eq!(accounts(&b), vec![BOB.to_owned()]);

    // alice signs in again through a; b's later save must not undo that either.
    a.ingest(&tokens(ALICE, 9, true));
    a.save().unwrap();
    b.ingest(&tokens(BOB, 10, false));
    b.save().unwrap();
    let after = persisted(&store);
    assert_eq!(accounts(&after), vec![ALICE.to_owned(), BOB.to_owned()]);
    assert_eq!(refresh_token(&after, ALICE).as_deref(), Some("rt-9"));
    assert_eq!(refresh_token(&after, BOB).as_deref(), Some("rt-10"));
}

#[test]
fn a_sign_out_survives_across_two_file_store_handles() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn CacheStore> = Arc::new(FileStore::new(dir.path().join("cache.json")));
    let (a, b) = two_writers(store.clone(), &[ALICE]);

    a.remove_account(ALICE, &[]);
    a.save().unwrap();
    b.ingest(&tokens(ALICE, 7, false));
    b.save().unwrap();

    let text = std::fs::read_to_string(dir.path().join("cache.json")).unwrap();
    assert!(!text.contains("rt-7") && !text.contains(ALICE), "{text}");
    let reloaded = TokenCache::with_store(FileStore::new(dir.path().join("cache.json")));
    reloaded.load().unwrap();
    assert_eq!(accounts(&reloaded), Vec::<String>::new());
}
