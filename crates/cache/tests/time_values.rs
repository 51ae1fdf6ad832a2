//! Times the cache cannot represent (huge, negative or not numbers, from a token
//! response or a file) are expired: never served, never a panic, and kept verbatim.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use entra_cache::{
    AccessTokenQuery, LATEST_TIME, MemoryStore, RefreshTokenQuery, TokenCache, TokenIngest,
};
use secrecy::{ExposeSecret, SecretString};

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

fn query(home_account_id: &str) -> AccessTokenQuery<'_> {
    AccessTokenQuery {
        home_account_id: Some(home_account_id),
        environments: &[ENV],
        client_id: CLIENT,
        realms: &[TENANT],
        scopes: &["User.Read"],
        now: NOW,
    }
}

fn served(cache: &TokenCache, home_account_id: &str) -> Option<String> {
    cache
        .access_token(&query(home_account_id))
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

#[test]
fn an_ingest_whose_lifetimes_saturate_writes_a_token_that_is_never_served() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let cache = TokenCache::with_shared_store(store.clone());
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from("at"), NOW);
    ingest.granted_scope = Some("User.Read".into());
    ingest.expires_in = Some(u64::MAX);
    ingest.ext_expires_in = Some(u64::MAX);
    ingest.refresh_in = Some(u64::MAX);
    ingest.refresh_token = Some(SecretString::from("rt"));
    ingest.home_account_id = Some("alice".into());
    cache.ingest(&ingest);
    cache.save().unwrap();

    assert_eq!(served(&cache, "alice"), None);
    let reloaded = TokenCache::with_shared_store(store);
    reloaded.load().unwrap();
    assert_eq!(served(&reloaded, "alice"), None);
    // The refresh token is untouched: the account can still refresh.
    let rt = reloaded.refresh_token(&RefreshTokenQuery {
        home_account_id: "alice",
        environments: &[ENV],
        client_id: CLIENT,
        family_id: None,
    });
    assert_eq!(rt.unwrap().entry.secret.expose_secret(), "rt");
    assert_eq!(reloaded.remove_expired_access_tokens(NOW), 1);
}

fn access_token(name: &str, expires_on: &str) -> String {
    format!(
        r#"
        "{name}": {{
            "credential_type": "AccessToken",
            "secret": "{name}-secret",
            "home_account_id": "{name}",
            "environment": "{ENV}",
            "client_id": "{CLIENT}",
            "target": "User.Read",
            "realm": "{TENANT}",
            "token_type": "Bearer",
            "cached_at": {expires_on},
            "expires_on": {expires_on},
            "extended_expires_on": {expires_on},
            "refresh_on": {expires_on}
        }}"#
    )
}

#[test]
fn a_file_with_unrepresentable_times_loads_round_trips_and_serves_none_of_them() {
    let cases = [
        ("two_pow_63", r#""9223372036854775808""#),
        ("u64_max", r#""18446744073709551615""#),
        ("two_pow_64_plus_1", r#""18446744073709551617""#),
        ("negative", r#""-5""#),
        ("not_a_number", r#""abc""#),
        ("huge_json_number", "1e+300"),
        ("negative_json_number", "-5"),
        ("just_past_the_latest", &format!("\"{}\"", LATEST_TIME + 1)),
    ];
    let entries: Vec<String> = cases
        .iter()
        .map(|(name, value)| access_token(name, value))
        .collect();
    let json = format!(
        "{{\n    \"AccessToken\": {{{}\n    }}\n}}",
        entries.join(",")
    );
    let store = std::sync::Arc::new(MemoryStore::with_bytes(json.clone().into_bytes()));
    let cache = TokenCache::with_shared_store(store.clone());
    cache.load().unwrap();

    assert_eq!(cache.len(), cases.len());
    for (name, _) in cases {
        assert_eq!(served(&cache, name), None, "{name}");
    }
    // Only the typed entries can be removed as expired; the ones kept verbatim stay.
    let before = cache.serialize();
    let kept = TokenCache::new();
    kept.deserialize(before.as_bytes()).unwrap();
    assert_eq!(kept.remove_expired_access_tokens(NOW), 3);
    assert_eq!(kept.len(), cases.len() - 3);

    // Nothing is lost on a round trip through the store.
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from("fresh"), NOW);
    ingest.granted_scope = Some("User.Read".into());
    ingest.home_account_id = Some("bob".into());
    cache.ingest(&ingest);
    cache.save().unwrap();
    let reloaded = TokenCache::with_shared_store(store);
    reloaded.load().unwrap();
    assert_eq!(served(&reloaded, "bob").as_deref(), Some("fresh"));
    for (name, _) in cases {
        assert_eq!(served(&reloaded, name), None, "{name}");
    }
    let saved = reloaded.serialize();
    for (name, value) in cases {
        assert!(
            saved.contains(&format!("{name}-secret")),
            "{name} lost: {saved}"
        );
        assert!(
            saved.contains(&format!("\"expires_on\": {value}")),
            "{name}'s expiry changed: {saved}"
        );
    }
}

#[test]
fn the_latest_time_itself_is_still_served() {
    let cache = TokenCache::new();
    let json = format!(
        "{{\"AccessToken\": {{{}}}}}",
        access_token("last", &format!("\"{LATEST_TIME}\""))
    );
    cache.deserialize(json.as_bytes()).unwrap();
    assert_eq!(served(&cache, "last").as_deref(), Some("last-secret"));
}
