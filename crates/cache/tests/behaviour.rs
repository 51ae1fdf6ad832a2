//! Ingest, lookups, removal, secrets and sharing between threads.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use entra_cache::{AccessTokenQuery, RefreshTokenQuery, TokenCache, TokenIngest};
use secrecy::{ExposeSecret, SecretString};

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

fn response(home_account_id: &str, granted: &str, secret: &str) -> TokenIngest {
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from(secret), NOW);
    ingest.granted_scope = Some(granted.into());
    ingest.expires_in = Some(3599);
    ingest.refresh_token = Some(SecretString::from(format!("rt-{secret}")));
    ingest.id_token = Some(SecretString::from(format!("idt-{secret}")));
    ingest.home_account_id = Some(home_account_id.into());
    ingest.local_account_id = Some("oid".into());
    ingest.username = Some(format!("{home_account_id}@contoso.com"));
    ingest.account_source = Some("password".into());
    ingest
}

fn at_query<'a>(home_account_id: &'a str, scopes: &'a [&'a str], now: u64) -> AccessTokenQuery<'a> {
    AccessTokenQuery {
        home_account_id: Some(home_account_id),
        environments: &[ENV],
        client_id: CLIENT,
        realms: &[TENANT],
        scopes,
        now,
    }
}

fn at_secret(cache: &TokenCache, q: &AccessTokenQuery<'_>) -> Option<String> {
    cache
        .access_token(q)
        .map(|f| f.entry.secret.expose_secret().to_owned())
}

#[test]
fn access_token_with_overlapping_scopes_is_replaced() {
    let cache = TokenCache::new();
    cache.ingest(&response(
        "alice",
        "User.Read Mail.Read openid profile",
        "old",
    ));
    cache.ingest(&response("alice", "Files.Read openid profile", "other"));
    let written = cache.ingest(&response("alice", "User.Read openid profile", "new"));
    assert_eq!(written.replaced_access_tokens.len(), 1);
    assert_eq!(
        at_secret(&cache, &at_query("alice", &["User.Read"], NOW)).as_deref(),
        Some("new")
    );
    assert_eq!(
        at_secret(&cache, &at_query("alice", &["Mail.Read"], NOW)),
        None,
        "the old token went"
    );
    assert_eq!(
        at_secret(&cache, &at_query("alice", &["Files.Read"], NOW)).as_deref(),
        Some("other")
    );
}

#[test]
fn refresh_in_gives_refresh_on_and_expiry_margin_applies() {
    let cache = TokenCache::new();
    let mut ingest = response("alice", "User.Read", "at");
    ingest.refresh_in = Some(1800);
    ingest.ext_expires_in = Some(7200);
    cache.ingest(&ingest);
    let at = cache
        .access_token(&at_query("alice", &["user.read"], NOW))
        .unwrap()
        .entry;
    assert_eq!(
        (
            at.cached_at,
            at.expires_on,
            at.extended_expires_on,
            at.refresh_on
        ),
        (Some(NOW), NOW + 3599, Some(NOW + 7200), Some(NOW + 1800))
    );
    assert!(
        cache
            .access_token(&at_query("alice", &["User.Read"], NOW + 3599 - 300))
            .is_some()
    );
    assert!(
        cache
            .access_token(&at_query("alice", &["User.Read"], NOW + 3599 - 299))
            .is_none(),
        "under 5 minutes left counts as expired"
    );
    assert_eq!(cache.remove_expired_access_tokens(NOW + 3600), 1);
}

#[test]
fn lookups_do_not_cross_accounts_clients_realms_or_scopes() {
    let cache = TokenCache::new();
    cache.ingest(&response("alice", "User.Read", "alice-at"));
    assert!(
        cache
            .access_token(&at_query("bob", &["User.Read"], NOW))
            .is_none()
    );
    assert!(
        cache
            .access_token(&at_query("alice", &["User.Read", "Mail.Read"], NOW))
            .is_none()
    );
    let mut other_client = at_query("alice", &["User.Read"], NOW);
    other_client.client_id = "someone-else";
    assert!(cache.access_token(&other_client).is_none());
    let mut other_realm = at_query("alice", &["User.Read"], NOW);
    other_realm.realms = &["organizations"];
    assert!(cache.access_token(&other_realm).is_none());
    let mut app_only = at_query("alice", &["User.Read"], NOW);
    app_only.home_account_id = None;
    assert!(cache.access_token(&app_only).is_none());
    assert!(
        cache
            .access_token(&at_query("ALICE", &["USER.READ"], NOW))
            .is_some(),
        "ids and scopes ignore case"
    );
}

#[test]
fn app_only_tokens_have_no_account() {
    let cache = TokenCache::new();
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from("app-at"), NOW);
    ingest.granted_scope = Some("https://graph.microsoft.com/.default".into());
    ingest.expires_in = Some(3599);
    let written = cache.ingest(&ingest);
    assert_eq!((written.account, written.refresh_token), (None, None));
    assert!(
        cache.serialize().contains("\"home_account_id\": null"),
        "as MSAL Python writes it"
    );
    let mut q = at_query("", &["https://graph.microsoft.com/.default"], NOW);
    q.home_account_id = None;
    assert_eq!(at_secret(&cache, &q).as_deref(), Some("app-at"));
}

#[test]
fn family_refresh_tokens_come_first_then_the_newest_own() {
    let cache = TokenCache::new();
    let mut family = response("alice", "User.Read", "fam");
    family.client_id = "another-family-app".into();
    family.family_id = Some("1".into());
    cache.ingest(&family);
    cache.ingest(&response("alice", "User.Read", "own-old"));
    let mut newer = response("alice", "Mail.Read", "own-new");
    newer.now = NOW + 10;
    cache.ingest(&newer);

    let q = RefreshTokenQuery {
        home_account_id: "alice",
        environments: &[ENV],
        client_id: CLIENT,
        family_id: Some("1"),
    };
    let secrets: Vec<_> = cache
        .refresh_tokens(&q)
        .iter()
        .map(|k| k.entry.secret.expose_secret().to_owned())
        .collect();
    assert_eq!(secrets, ["rt-fam", "rt-own-new", "rt-own-old"]);
    let own_only = RefreshTokenQuery {
        family_id: None,
        ..q
    };
    assert_eq!(cache.refresh_tokens(&own_only).len(), 2);
}

#[test]
fn rotated_refresh_token_is_updated_in_place() {
    let cache = TokenCache::new();
    cache.ingest(&response("alice", "User.Read", "at"));
    let q = RefreshTokenQuery {
        home_account_id: "alice",
        environments: &[],
        client_id: CLIENT,
        family_id: None,
    };
    let key = cache.refresh_token(&q).unwrap().key;
    assert!(cache.update_refresh_token(&key, SecretString::from("rotated"), NOW + 5));
    let rt = cache.refresh_token(&q).unwrap();
    assert_eq!(
        (
            rt.key,
            rt.entry.secret.expose_secret(),
            rt.entry.last_modification_time
        ),
        (key, "rotated", Some(NOW + 5))
    );
    assert!(!cache.update_refresh_token("no-such-key", SecretString::from("x"), NOW));
}

#[test]
fn removing_an_account_removes_everything_it_owns_and_nothing_else() {
    let cache = TokenCache::new();
    cache.ingest(&response("alice", "User.Read", "a1"));
    cache.ingest(&response("alice", "Mail.Read", "a2"));
    cache.ingest(&response("bob", "User.Read", "b1"));
    // alice: 2 ATs, 2 RTs (keyed by target, as MSAL Python), 1 IdT, 1 account.
    assert_eq!(cache.remove_account("alice", &[ENV]), 6);
    assert!(cache.account("alice", &[]).is_none());
    assert!(cache.id_token("alice", &[], CLIENT, &[]).is_none());
    let names: Vec<_> = cache
        .accounts(&[], None)
        .iter()
        .map(|a| a.home_account_id.to_string())
        .collect();
    assert_eq!(names, ["bob"]);
    assert!(
        cache
            .access_token(&at_query("bob", &["User.Read"], NOW))
            .is_some()
    );
    assert_eq!(cache.remove_account("alice", &[]), 0);
}

#[test]
fn refresh_ingest_can_skip_account_creation() {
    let cache = TokenCache::new();
    let mut refreshed = response("alice", "User.Read", "at");
    refreshed.create_account = false;
    refreshed.account_source = Some("refresh_token".into());
    cache.ingest(&refreshed);
    assert!(cache.accounts(&[], None).is_empty());
}

#[test]
fn secrets_never_show_in_debug() {
    let cache = TokenCache::new();
    let ingest = response("alice", "User.Read", "very-secret-at");
    assert!(!format!("{ingest:?}").contains("very-secret"));
    cache.ingest(&ingest);
    let at = cache
        .access_token(&at_query("alice", &["User.Read"], NOW))
        .unwrap();
    let rt = cache
        .refresh_token(&RefreshTokenQuery {
            home_account_id: "alice",
            environments: &[],
            client_id: CLIENT,
            family_id: None,
        })
        .unwrap();
    let shown = format!("{at:?} {rt:?} {cache:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(shown.contains("REDACTED"), "{shown}");
}

#[test]
fn entries_with_unexpected_shapes_are_kept_verbatim_and_never_served() {
    let json = r#"{
    "AccessToken": {
        "odd": {
            "credential_type": "AccessToken",
            "secret": "s",
            "home_account_id": "alice",
            "environment": "login.microsoftonline.com",
            "client_id": "00001111-aaaa-2222-bbbb-3333cccc4444",
            "target": "User.Read",
            "realm": "aaaabbbb-0000-cccc-1111-dddd2222eeee",
            "expires_on": "not a number"
        },
        "scalar": 42
    },
    "SomethingNew": {
        "kept": [
            true,
            null,
            1.5
        ]
    }
}"#;
    let cache = TokenCache::new();
    cache.deserialize(json.as_bytes()).unwrap();
    assert_eq!(cache.len(), 2);
    assert!(cache.access_token(&at_query("alice", &[], 0)).is_none());
    assert_eq!(cache.serialize(), json);
}

#[test]
fn readers_and_writers_share_one_cache_across_threads() {
    let cache = TokenCache::new();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let cache = cache.clone();
            scope.spawn(move || {
                for i in 0..100 {
                    let id = format!("t{t}-{i}");
                    cache.ingest(&response(&id, "User.Read", &id));
                    assert!(
                        cache
                            .access_token(&at_query(&id, &["User.Read"], NOW))
                            .is_some()
                    );
                }
            });
        }
    });
    assert_eq!(cache.accounts(&[], None).len(), 400);
}
