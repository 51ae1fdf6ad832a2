//! Hostile times: a token response with an absurd lifetime and a cache file with an
//! expiry no clock can hold are an error or an expired token, never a panic and never a
//! cache that panics on the next call.

mod support;

use std::sync::Arc;

use entra_auth::{AuthError, PublicClientApplication, TokenSource};
use entra_auth::{CacheError, CacheStore, MemoryStore, Merge};
use entra_protocol::MAX_LIFETIME_SECS;
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

/// One cache seen by several applications, as processes share a file.
#[derive(Clone, Default)]
struct Shared(Arc<MemoryStore>);

impl Shared {
    fn with_bytes(bytes: Vec<u8>) -> Shared {
        Shared(Arc::new(MemoryStore::with_bytes(bytes)))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.0.bytes().expect("something was saved"))
            .expect("the cache is JSON")
    }
}

impl CacheStore for Shared {
    fn location(&self) -> String {
        self.0.location()
    }
    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        self.0.load()
    }
    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        self.0.save(merge)
    }
}

fn app_on(idp: &Idp, store: &Shared) -> PublicClientApplication {
    idp.public_builder(CLIENT_ID, "organizations")
        .cache_store(store.clone())
        .build()
        .expect("the public client builds")
}

const LIFETIME_FIELDS: [&str; 3] = ["expires_in", "ext_expires_in", "refresh_in"];

/// Lifetimes no server may send: huge, past the bound, negative, not numbers.
fn hostile_lifetimes() -> Vec<Value> {
    vec![
        json!(1e300),
        json!(u64::MAX),
        json!(MAX_LIFETIME_SECS + 1),
        json!("99999999999999999999999999"),
        json!(-5),
        json!("-5"),
        json!("abc"),
    ]
}

/// Token response `n` with `field` set to `value`.
fn tokens_with(n: u32, field: &str, value: &Value) -> ResponseTemplate {
    let mut body = TokenBody::new(n).json();
    body[field] = value.clone();
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn a_sign_in_answered_with_an_absurd_lifetime_is_an_invalid_response_storing_nothing() {
    for field in LIFETIME_FIELDS {
        for value in hostile_lifetimes() {
            let idp = Idp::start().await;
            idp.mount_managed_realm().await;
            idp.mount_password_grant(tokens_with(1, field, &value))
                .await;
            let store = Shared::default();
            let app = app_on(&idp, &store);

            let error = app
                .acquire_token_by_username_password(SCOPES, ALICE, password())
                .await
                .expect_err("the response is refused");

            assert!(
                matches!(error, AuthError::InvalidResponse { .. }),
                "{field}={value}: {error:?}"
            );
            assert_eq!(app.accounts().await.unwrap(), vec![], "{field}={value}");
            assert_eq!(store.0.bytes(), None, "{field}={value}: nothing saved");
        }
    }
}

#[tokio::test]
async fn a_refresh_answered_with_an_absurd_lifetime_fails_and_leaves_a_working_cache() {
    for field in LIFETIME_FIELDS {
        let idp = Idp::start().await;
        let store = Shared::default();
        idp.mount_managed_realm().await;
        idp.mount_password_grant(TokenBody::new(1).response()).await;
        let app = app_on(&idp, &store);
        let account = app
            .acquire_token_by_username_password(SCOPES, ALICE, password())
            .await
            .expect("alice signs in")
            .account
            .expect("an account");
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(tokens_with(2, field, &json!(1e300)))
            .up_to_n_times(1)
            .mount(&idp.server)
            .await;
        idp.mount_refresh_grant(TokenBody::new(3).response()).await;
        idp.clock
            .advance(std::time::Duration::from_secs(EXPIRES_IN + 1));

        let error = app
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect_err("the refresh answer is refused");
        assert!(
            matches!(error, AuthError::InvalidResponse { .. }),
            "{field}: {error:?}"
        );

        let refreshed = app
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect("the next refresh works");
        assert_eq!(refreshed.access_token.secret(), TokenBody::access_token(3));

        let reloaded = app_on(&idp, &store);
        let cached = reloaded
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect("the saved cache serves the token");
        assert_eq!(cached.token_source, TokenSource::Cache, "{field}");
        assert_eq!(cached.access_token.secret(), TokenBody::access_token(3));
    }
}

/// The one access token entry of a saved cache.
fn access_token_entry(cache: &mut Value) -> &mut Value {
    let section = cache["AccessToken"]
        .as_object_mut()
        .expect("an AccessToken section");
    section.values_mut().next().expect("one access token")
}

#[tokio::test]
async fn a_cache_file_with_unrepresentable_expiries_refreshes_instead_of_panicking() {
    let values = [
        json!("9223372036854775808"),  // 2^63
        json!("18446744073709551615"), // u64::MAX
        json!("18446744073709551617"), // 2^64 + 1
        json!("-5"),
        json!("abc"),
        json!(1e300),
    ];
    for value in values {
        let idp = Idp::start().await;
        let store = Shared::default();
        idp.mount_managed_realm().await;
        idp.mount_password_grant(TokenBody::new(1).response()).await;
        idp.mount_refresh_grant(TokenBody::new(2).response()).await;
        let account = app_on(&idp, &store)
            .acquire_token_by_username_password(SCOPES, ALICE, password())
            .await
            .expect("alice signs in")
            .account
            .expect("an account");
        let mut file = store.json();
        access_token_entry(&mut file)["expires_on"] = value.clone();
        let hostile = Shared::with_bytes(serde_json::to_vec(&file).unwrap());

        let app = app_on(&idp, &hostile);
        assert_eq!(app.accounts().await.unwrap(), vec![account.clone()]);
        let result = app
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect("the refresh token still serves");

        assert_eq!(
            result.token_source,
            TokenSource::IdentityProvider,
            "{value}"
        );
        assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
        let again = app_on(&idp, &hostile)
            .acquire_token_silent(SCOPES, &account)
            .await
            .expect("the refreshed token is saved");
        assert_eq!(again.token_source, TokenSource::Cache, "{value}");
    }
}

#[tokio::test]
async fn a_refresh_on_no_clock_can_hold_means_no_early_refresh() {
    let idp = Idp::start().await;
    let store = Shared::default();
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let account = app_on(&idp, &store)
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in")
        .account
        .expect("an account");
    let mut file = store.json();
    access_token_entry(&mut file)["refresh_on"] = json!("9223372036854775808");
    let hostile = Shared::with_bytes(serde_json::to_vec(&file).unwrap());

    let result = app_on(&idp, &hostile)
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("the cached token");

    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.refresh_on, None);
}
