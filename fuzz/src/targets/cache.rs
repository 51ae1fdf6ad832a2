//! entra-cache: a cache file read, written and read again (nothing may be lost), every
//! lookup over what was read, and a token response ingested, saved and loaded again.

use std::collections::BTreeSet;
use std::sync::Arc;

use entra_auth::SecretString;
use entra_cache::{AccessTokenQuery, MemoryStore, RefreshTokenQuery, TokenCache, TokenIngest};
use entra_protocol as p;
use serde_json::Value;

use super::samples::{self, CLIENT_ID, NOW};
use super::{Target, hostile_json_seed, response};
use crate::rng::Rng;

/// The sections of MSAL's unified cache schema.
const SECTIONS: [&str; 5] = [
    "AccessToken",
    "RefreshToken",
    "IdToken",
    "Account",
    "AppMetadata",
];

/// The times lookups are made at: the epoch, the samples' now, the end of time.
const NOWS: [u64; 4] = [0, NOW, NOW + 7200, u64::MAX];

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "cache_file",
            about: "TokenCache::deserialize, every lookup, serialize round trip, merge onto the file on save",
            seeds: cache_seeds,
            generate: cache_generate,
            run: cache_file,
        },
        Target {
            name: "token_ingest",
            about: "a token response parsed, ingested at now, looked up over time, saved, loaded again",
            seeds: samples::token_responses,
            generate: super::protocol::token_response_generate,
            run: token_ingest,
        },
    ]
}

/// MSAL's caches from entra-cache's tests, and one this crate writes after a sign-in.
pub(crate) fn cache_seeds() -> Vec<Vec<u8>> {
    let mut seeds = samples::msal_caches();
    if let Some(written) = ingested(&samples::token_response().to_string().into_bytes()) {
        seeds.push(written.serialize().into_bytes());
    }
    seeds
}

/// A cache file with hostile values in its entries (times above `i64::MAX`, numbers
/// that are not numbers, repeated keys, deep nesting in unknown fields).
fn cache_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    hostile_json_seed(rng, seeds)
}

/// The strings found under `field` anywhere in `doc`.
fn strings_named(doc: &Value, field: &str, out: &mut BTreeSet<String>) {
    match doc {
        Value::Object(map) => {
            for (key, value) in map {
                if key == field
                    && let Some(s) = value.as_str()
                {
                    out.insert(s.to_owned());
                }
                strings_named(value, field, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_named(v, field, out)),
        _ => {}
    }
}

/// Runs every lookup the app makes over `cache`, for the ids found in `doc`.
fn lookups(cache: &TokenCache, doc: &Value) {
    let collect = |field: &str| {
        let mut out = BTreeSet::new();
        strings_named(doc, field, &mut out);
        out.insert(String::new());
        out.into_iter().take(4).collect::<Vec<String>>()
    };
    let (environments, client_ids, realms, homes, families) = (
        collect("environment"),
        collect("client_id"),
        collect("realm"),
        collect("home_account_id"),
        collect("family_id"),
    );
    let environments: Vec<&str> = environments.iter().map(String::as_str).collect();
    let realms: Vec<&str> = realms.iter().map(String::as_str).collect();
    for account in cache.accounts(&environments, None).iter() {
        let _ = cache.account(&account.home_account_id, &environments);
    }
    for client_id in &client_ids {
        let _ = cache.app_metadata(&environments, client_id);
        for home in &homes {
            for now in NOWS {
                let _ = cache.access_token(&AccessTokenQuery {
                    home_account_id: Some(home),
                    environments: &environments,
                    client_id,
                    realms: &realms,
                    scopes: &["User.Read"],
                    now,
                });
            }
            for family in &families {
                let _ = cache.refresh_token(&RefreshTokenQuery {
                    home_account_id: home,
                    environments: &environments,
                    client_id,
                    family_id: Some(family),
                });
            }
            let _ = cache.id_token(home, &environments, client_id, &realms);
        }
    }
}

/// The entry keys of each section of a cache document.
fn entry_keys(doc: &Value) -> BTreeSet<(String, String)> {
    SECTIONS
        .iter()
        .filter_map(|section| doc.get(section)?.as_object().map(|m| (section, m)))
        .flat_map(|(section, map)| map.keys().map(|key| (section.to_string(), key.clone())))
        .collect()
}

fn assert_nothing_lost(before: &Value, after: &[u8], what: &str) {
    let after: Value = serde_json::from_slice(after).unwrap_or(Value::Null);
    let (before_keys, after_keys) = (entry_keys(before), entry_keys(&after));
    let lost: Vec<_> = before_keys.difference(&after_keys).collect();
    assert!(lost.is_empty(), "{what} lost cache entries: {lost:?}");
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        let lost: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
        assert!(lost.is_empty(), "{what} lost top-level fields: {lost:?}");
    }
}

fn cache_file(input: &[u8]) {
    let cache = TokenCache::new();
    if cache.deserialize(input).is_err() {
        return;
    }
    let doc: Value = serde_json::from_slice(input).unwrap_or(Value::Null);
    lookups(&cache, &doc);

    // Written, read back and written again: the same text, nothing lost.
    let first = cache.serialize();
    let again = TokenCache::new();
    if let Err(error) = again.deserialize(first.as_bytes()) {
        panic!("a cache this crate wrote does not read back: {error}");
    }
    assert_eq!(
        first,
        again.serialize(),
        "a second round trip changed the cache"
    );
    assert_nothing_lost(&doc, first.as_bytes(), "a round trip");

    // A sign-in saved over this file (the store merges onto it) keeps every entry.
    let store = Arc::new(MemoryStore::with_bytes(input.to_vec()));
    let stored = TokenCache::with_shared_store(store.clone());
    if stored.load().is_ok() {
        if let Some(ingest) = ingest_for(&samples::token_response().to_string().into_bytes()) {
            stored.ingest(&ingest);
        }
        for now in NOWS {
            let _ = stored.remove_expired_access_tokens(now);
        }
        if stored.save().is_ok()
            && let Some(bytes) = store.bytes()
        {
            let before: Value = serde_json::from_slice(first.as_bytes()).unwrap_or(Value::Null);
            let mut kept = before.clone();
            // Expired access tokens may go; everything else stays.
            if let Some(map) = kept.get_mut("AccessToken").and_then(Value::as_object_mut) {
                map.clear();
            }
            assert_nothing_lost(&kept, &bytes, "a save merged onto the file");
        }
    }
}

/// The ingest entra-auth makes of a token response at [`NOW`].
fn ingest_for(body: &[u8]) -> Option<TokenIngest> {
    let tokens = p::parse_token_response(&response(200, body)).ok()?;
    let claims = tokens.id_token.as_ref().map(|t| t.claims.clone());
    let mut ingest = TokenIngest::new(
        "login.microsoftonline.com",
        CLIENT_ID,
        "organizations",
        tokens.access_token.clone(),
        NOW,
    );
    ingest.scopes = vec![
        "User.Read".into(),
        "openid".into(),
        "profile".into(),
        "offline_access".into(),
    ];
    ingest.granted_scope = tokens.scopes.as_ref().map(|s| s.join(" "));
    ingest.token_type = Some(tokens.token_type.clone());
    ingest.expires_in = Some(tokens.expires_in);
    ingest.ext_expires_in = tokens.ext_expires_in;
    ingest.refresh_in = tokens.refresh_in;
    ingest.refresh_token = tokens.refresh_token.clone();
    ingest.id_token = tokens
        .id_token
        .as_ref()
        .map(|t| SecretString::from(t.raw.clone()));
    ingest.home_account_id = tokens
        .home_account_id()
        .or_else(|| claims.as_ref().and_then(|c| c.sub.clone()));
    ingest.local_account_id = claims
        .as_ref()
        .and_then(|c| c.local_account_id().map(str::to_owned));
    ingest.username = claims
        .as_ref()
        .and_then(|c| c.username().map(str::to_owned));
    ingest.family_id = tokens.foci.clone();
    ingest.account_source = Some("password".into());
    Some(ingest)
}

/// A cache with the response ingested, saved to memory; `None` if it does not parse.
fn ingested(body: &[u8]) -> Option<TokenCache> {
    let ingest = ingest_for(body)?;
    let cache = TokenCache::new();
    cache.ingest(&ingest);
    Some(cache)
}

fn token_ingest(input: &[u8]) {
    let Some(ingest) = ingest_for(input) else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let cache = TokenCache::with_shared_store(store.clone());
    cache.ingest(&ingest);
    let doc: Value = serde_json::from_str(&cache.serialize()).unwrap_or(Value::Null);
    lookups(&cache, &doc);
    if let Err(error) = cache.save() {
        panic!("saving an ingested response failed: {error}");
    }
    let loaded = TokenCache::with_store(MemoryStore::with_bytes(store.bytes().unwrap_or_default()));
    if let Err(error) = loaded.load() {
        panic!("a saved cache does not load: {error}");
    }
    assert_eq!(
        cache.serialize(),
        loaded.serialize(),
        "save and load changed the cache"
    );
    lookups(&loaded, &doc);
    for now in NOWS {
        let _ = loaded.remove_expired_access_tokens(now);
    }
    if let Some(home) = &ingest.home_account_id {
        for key in loaded
            .refresh_tokens(&RefreshTokenQuery {
                home_account_id: home,
                environments: &["login.microsoftonline.com"],
                client_id: CLIENT_ID,
                family_id: None,
            })
            .into_iter()
            .map(|keyed| keyed.key)
        {
            let _ = loaded.update_refresh_token(&key, SecretString::from("rotated"), u64::MAX);
        }
    }
}
