//! Golden files written by MSAL Python 1.39 and MSAL Node 7.2 (see tests/data/generate_*):
//! this crate reads them, serves lookups from them, and writes exactly what MSAL Python writes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use entra_cache::{AccessTokenQuery, RefreshTokenQuery, TokenCache, TokenIngest};
use secrecy::{ExposeSecret, SecretString};

const PYTHON: &str = include_str!("data/msal_python_1_39.json");
const NODE: &str = include_str!("data/msal_node_7_2.json");

const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const ALICE: &str = "00000000-0000-0000-0000-00000000a11c.aaaabbbb-0000-cccc-1111-dddd2222eeee";
const ZOE: &str = "00000000-0000-0000-0000-0000000020e0.aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

fn loaded(json: &str) -> TokenCache {
    let cache = TokenCache::new();
    cache.deserialize(json.as_bytes()).unwrap();
    cache
}

fn at_secret(
    cache: &TokenCache,
    home_account_id: &str,
    envs: &[&str],
    realms: &[&str],
    scope: &str,
) -> Option<String> {
    cache
        .access_token(&AccessTokenQuery {
            home_account_id: Some(home_account_id),
            environments: envs,
            client_id: CLIENT,
            realms,
            scopes: &[scope],
            now: NOW + 100,
        })
        .map(|found| found.entry.secret.expose_secret().to_owned())
}

#[test]
fn python_cache_round_trips_byte_for_byte() {
    assert_eq!(loaded(PYTHON).serialize(), PYTHON);
}

#[test]
fn python_cache_serves_lookups() {
    let cache = loaded(PYTHON);
    let env = ["login.microsoftonline.com"];
    assert_eq!(
        at_secret(&cache, ALICE, &env, &[TENANT], "User.Read").as_deref(),
        Some("fake-access-token-1")
    );
    assert_eq!(
        at_secret(&cache, ALICE, &env, &[TENANT], "mail.read").as_deref(),
        Some("fake-access-token-3")
    );
    assert_eq!(
        at_secret(&cache, ZOE, &env, &[TENANT], "User.Read").as_deref(),
        Some("fake-access-token-2")
    );
    assert_eq!(at_secret(&cache, ZOE, &env, &[TENANT], "Mail.Read"), None);

    let rts = cache.refresh_tokens(&RefreshTokenQuery {
        home_account_id: ALICE,
        environments: &env,
        client_id: CLIENT,
        family_id: None,
    });
    assert_eq!(
        rts.len(),
        2,
        "MSAL Python keeps one refresh token per target"
    );
    let family = cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id: ZOE,
            environments: &env,
            client_id: "other-app",
            family_id: Some("1"),
        })
        .unwrap();
    assert_eq!(family.entry.secret.expose_secret(), "fake-refresh-token-2");

    let usernames: Vec<_> = cache
        .accounts(&env, None)
        .iter()
        .filter_map(|a| a.username.clone())
        .collect();
    assert_eq!(usernames, ["alice@contoso.com", "zo\u{eb}@contoso.com"]);
}

/// Replays the token responses generate_msal_python.py fed MSAL Python.
#[test]
fn ingesting_the_same_responses_writes_what_msal_python_wrote() {
    let python = loaded(PYTHON);
    let id_token = |home: &str| {
        python
            .id_token(home, &[], CLIENT, &[])
            .unwrap()
            .secret
            .clone()
    };
    let cache = TokenCache::new();
    let responses = [
        (ALICE, "alice@contoso.com", "User.Read", 1, Some(1800), None),
        (ZOE, "zo\u{eb}@contoso.com", "User.Read", 2, None, Some("1")),
        (ALICE, "alice@contoso.com", "Mail.Read", 3, Some(1800), None),
    ];
    for (home, username, scope, n, refresh_in, foci) in responses {
        let mut ingest = TokenIngest::new(
            "login.microsoftonline.com",
            CLIENT,
            TENANT,
            SecretString::from(format!("fake-access-token-{n}")),
            NOW,
        );
        ingest.scopes = vec![
            scope.into(),
            "offline_access".into(),
            "openid".into(),
            "profile".into(),
        ];
        ingest.granted_scope = Some(format!("{scope} openid profile offline_access"));
        ingest.token_type = Some("Bearer".into());
        ingest.expires_in = Some(3599);
        ingest.ext_expires_in = Some(3599);
        ingest.refresh_in = refresh_in;
        ingest.refresh_token = Some(SecretString::from(format!("fake-refresh-token-{n}")));
        ingest.id_token = Some(id_token(home));
        ingest.home_account_id = Some(home.into());
        ingest.local_account_id = home.split('.').next().map(str::to_owned);
        ingest.username = Some(username.into());
        ingest.family_id = foci.map(str::to_owned);
        ingest.account_source = Some("password".into());
        cache.ingest(&ingest);
    }
    assert_eq!(cache.serialize(), PYTHON);
}

#[test]
fn node_cache_serves_lookups_through_aliases() {
    let cache = loaded(NODE);
    // MSAL Node wrote host:port and the tid; a caller passes both spellings.
    let envs = ["localhost", "localhost:8443"];
    let realms = ["organizations", TENANT];
    assert_eq!(
        at_secret(&cache, ALICE, &envs, &realms, "User.Read").as_deref(),
        Some("fake-access-token-1")
    );
    assert_eq!(
        at_secret(&cache, ALICE, &envs, &realms, "Mail.Read").as_deref(),
        Some("fake-access-token-3")
    );
    assert_eq!(
        at_secret(&cache, ALICE, &["localhost"], &realms, "User.Read"),
        None
    );

    let own = cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id: ALICE,
            environments: &envs,
            client_id: CLIENT,
            family_id: None,
        })
        .unwrap();
    assert_eq!(own.entry.secret.expose_secret(), "fake-refresh-token-3");
    assert!(
        own.key.ends_with("---"),
        "keys written by MSAL Node are kept: {}",
        own.key
    );
    let family = cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id: ZOE,
            environments: &envs,
            client_id: CLIENT,
            family_id: Some("1"),
        })
        .unwrap();
    assert_eq!(family.entry.family_id.as_deref(), Some("1"));
    assert_eq!(
        cache
            .app_metadata(&envs, CLIENT)
            .unwrap()
            .family_id
            .as_deref(),
        Some("1")
    );
    assert_eq!(cache.accounts(&envs, Some("ALICE@contoso.com")).len(), 1);
}

#[test]
fn node_cache_keeps_unknown_fields_and_entries_through_a_save() {
    let cache = loaded(NODE);
    let account = cache.account(ALICE, &[]).unwrap();
    let extra: Vec<_> = account.extra.names().collect();
    assert_eq!(extra, ["name", "client_info", "tenantProfiles"]);

    let written = cache.serialize();
    let reread: serde_json::Value = serde_json::from_str(&written).unwrap();
    let original: serde_json::Value = serde_json::from_str(NODE).unwrap();
    assert_eq!(reread, original, "same content, in MSAL Python's layout");
    assert_eq!(loaded(&written).serialize(), written);
}
