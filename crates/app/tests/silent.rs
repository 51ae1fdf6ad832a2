//! Silent acquisition over HTTP: from the cache with no request, refresh after expiry,
//! `refresh_in`, force refresh and claims, refused refresh tokens, one refresh for many
//! callers, sign-out.

mod support;

use std::time::Duration;

use entra_auth::{AuthError, TokenSource};
use support::*;
use wiremock::ResponseTemplate;

/// Past the access token's expiry, 5 minutes margin included.
const PAST_EXPIRY: Duration = Duration::from_secs(EXPIRES_IN + 1);

#[tokio::test]
async fn silent_right_after_sign_in_sends_no_request_and_serves_the_cache() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    let before = idp.requests().await.len();

    let result = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a cached token");

    assert_eq!(idp.requests().await.len(), before);
    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(1));
    assert_eq!(
        result.expires_on,
        start_time() + Duration::from_secs(EXPIRES_IN)
    );
    assert_eq!(result.account.as_ref(), Some(&account));
    assert_eq!(
        result
            .id_token_claims
            .as_ref()
            .and_then(|c| c.preferred_username.as_deref()),
        Some(ALICE)
    );
}

#[tokio::test]
async fn silent_within_five_minutes_of_expiry_refreshes() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    idp.clock.advance(Duration::from_secs(EXPIRES_IN - 299));
    let result = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a refreshed token");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test]
async fn silent_after_expiry_redeems_the_refresh_token_once() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    idp.clock.advance(PAST_EXPIRY);
    let result = app
        .acquire_token_silent(SCOPES, &account)
        .correlation_id(correlation_id(3))
        .await
        .expect("a refreshed token");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
    assert_eq!(
        result.expires_on,
        start_time() + PAST_EXPIRY + Duration::from_secs(EXPIRES_IN)
    );
    let refreshes = idp.token_posts("refresh_token").await;
    assert_eq!(refreshes.len(), 1);
    let form = form_map(&refreshes[0]);
    assert_eq!(
        form.get("refresh_token"),
        Some(&TokenBody::refresh_token(1)),
        "the refresh token of the sign-in response, decoded exactly"
    );
    assert_eq!(form.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(form.get("client_info").map(String::as_str), Some("1"));
    assert!(!form.contains_key("password"));
    assert_eq!(
        header(&refreshes[0], "client-request-id"),
        Some(correlation_id(3).to_string())
    );
    assert_eq!(idp.token_posts("password").await.len(), 1);
}

#[tokio::test]
async fn the_second_silent_call_after_a_refresh_is_served_from_the_cache() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;
    idp.clock.advance(PAST_EXPIRY);
    app.acquire_token_silent(SCOPES, &account)
        .await
        .expect("a refreshed token");
    let before = idp.requests().await.len();

    let again = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("the refreshed token, cached");

    assert_eq!(again.token_source, TokenSource::Cache);
    assert_eq!(again.access_token.secret(), TokenBody::access_token(2));
    assert_eq!(idp.requests().await.len(), before);
}

#[tokio::test]
async fn the_refresh_after_a_refresh_uses_the_rotated_refresh_token() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;
    idp.clock.advance(PAST_EXPIRY);
    app.acquire_token_silent(SCOPES, &account)
        .await
        .expect("first refresh");

    idp.clock.advance(PAST_EXPIRY);
    app.acquire_token_silent(SCOPES, &account)
        .await
        .expect("second refresh");

    let refreshes = idp.token_posts("refresh_token").await;
    let sent: Vec<String> = refreshes
        .iter()
        .filter_map(|r| form_value(r, "refresh_token"))
        .collect();
    assert_eq!(
        sent,
        [TokenBody::refresh_token(1), TokenBody::refresh_token(2)]
    );
}

#[tokio::test]
async fn refresh_in_makes_silent_refresh_early() {
    let idp = Idp::start().await;
    let mut tokens = TokenBody::new(1);
    tokens.refresh_in = Some(600);
    let (app, account) = idp.signed_in_alice_with(tokens).await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    idp.clock.advance(Duration::from_secs(500));
    let early = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("cached");
    idp.clock.advance(Duration::from_secs(200));
    let late = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("refreshed");

    assert_eq!(early.token_source, TokenSource::Cache);
    assert_eq!(
        early.refresh_on,
        Some(start_time() + Duration::from_secs(600))
    );
    assert_eq!(late.token_source, TokenSource::IdentityProvider);
    assert_eq!(late.access_token.secret(), TokenBody::access_token(2));
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test]
async fn a_failed_early_refresh_serves_the_still_valid_cached_token() {
    let idp = Idp::start().await;
    let mut tokens = TokenBody::new(1);
    tokens.refresh_in = Some(600);
    let (app, account) = idp.signed_in_alice_with(tokens).await;
    idp.mount_refresh_grant(ResponseTemplate::new(500).set_body_json(entra_error(
        "server_error",
        50000,
        "There was an error issuing a token or an issue with our sign-in service.",
        None,
        None,
        correlation_id(4),
    )))
    .await;

    idp.clock.advance(Duration::from_secs(700));
    let result = app
        .acquire_token_silent(SCOPES, &account)
        .correlation_id(correlation_id(4))
        .await
        .expect("the cached token, still valid");

    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(1));
    assert_eq!(
        idp.token_posts("refresh_token").await.len(),
        2,
        "the refresh was tried, and retried once on 500"
    );
}

#[tokio::test]
async fn force_refresh_bypasses_the_cached_access_token() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    let result = app
        .acquire_token_silent(SCOPES, &account)
        .force_refresh(true)
        .await
        .expect("a refreshed token");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(2));
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test]
async fn claims_bypass_the_cached_access_token_and_are_sent() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;
    let challenge = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;

    let result = app
        .acquire_token_silent(SCOPES, &account)
        .claims(challenge)
        .await
        .expect("a refreshed token");

    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let refreshes = idp.token_posts("refresh_token").await;
    assert_eq!(refreshes.len(), 1);
    let sent = form_value(&refreshes[0], "claims").expect("claims sent");
    let sent: serde_json::Value = serde_json::from_str(&sent).expect("claims are JSON");
    let expected: serde_json::Value = serde_json::from_str(challenge).expect("JSON");
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn a_refused_refresh_token_means_interaction_required_with_the_server_error() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(ResponseTemplate::new(400).set_body_json(entra_error(
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        Some("bad_token"),
        None,
        correlation_id(5),
    )))
    .await;

    idp.clock.advance(PAST_EXPIRY);
    let error = app
        .acquire_token_silent(SCOPES, &account)
        .correlation_id(correlation_id(5))
        .await
        .expect_err("the refresh token is dead");

    let AuthError::InteractionRequired {
        server: Some(server),
        ..
    } = &error
    else {
        panic!("expected InteractionRequired with the server error, got {error:?}");
    };
    assert_eq!(server.error, "invalid_grant");
    assert_eq!(server.suberror.as_deref(), Some("bad_token"));
    assert_eq!(error.aadsts_code(), Some(70008));
    assert_eq!(error.correlation_id(), Some(correlation_id(5)));
    assert!(error.is_interaction_required());
    assert!(!error.is_transient());
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test]
async fn without_a_cached_refresh_token_silent_needs_interaction_and_sends_nothing() {
    let idp = Idp::start().await;
    let mut tokens = TokenBody::new(1);
    tokens.with_refresh_token = false;
    let (app, account) = idp.signed_in_alice_with(tokens).await;
    let before = idp.requests().await.len();

    idp.clock.advance(PAST_EXPIRY);
    let error = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect_err("no refresh token");

    assert!(
        matches!(error, AuthError::InteractionRequired { server: None, .. }),
        "{error:?}"
    );
    assert!(error.is_interaction_required());
    assert_eq!(idp.requests().await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_silent_calls_after_expiry_make_one_refresh() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    // A slow answer lets the callers pile up behind the one refresh.
    idp.mount_refresh_grant(
        TokenBody::new(2)
            .response()
            .set_delay(Duration::from_millis(50)),
    )
    .await;
    idp.clock.advance(PAST_EXPIRY);

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (app, account) = (app.clone(), account.clone());
        calls.spawn(async move {
            app.acquire_token_silent(SCOPES, &account)
                .await
                .map(|result| result.access_token.secret().to_owned())
        });
    }
    let mut tokens = Vec::new();
    while let Some(joined) = calls.join_next().await {
        tokens.push(joined.expect("the task ran").expect("a token"));
    }

    assert_eq!(tokens.len(), 100);
    assert!(
        tokens.iter().all(|t| *t == TokenBody::access_token(2)),
        "every caller gets the refreshed token"
    );
    assert_eq!(idp.token_posts("refresh_token").await.len(), 1);
}

#[tokio::test]
async fn remove_account_empties_the_accounts_and_silent_then_needs_interaction() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    idp.mount_refresh_grant(TokenBody::new(2).response()).await;

    app.remove_account(&account).await.expect("sign out");

    assert!(app.accounts().await.expect("accounts").is_empty());
    assert_eq!(
        app.account(ALICE_HOME_ACCOUNT_ID).await.expect("lookup"),
        None
    );
    let before = idp.requests().await.len();
    let error = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect_err("signed out");
    assert!(
        matches!(error, AuthError::InteractionRequired { server: None, .. }),
        "{error:?}"
    );
    assert_eq!(idp.requests().await.len(), before);
}

#[tokio::test]
async fn with_the_common_authority_silent_finds_the_token_cached_under_organizations() {
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    idp.mount_password_grant(TokenBody::new(1).response()).await;
    let app = idp
        .public_builder(CLIENT_ID, "common")
        .build()
        .expect("the app builds");
    let account = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in")
        .account
        .expect("an account");
    let before = idp.requests().await.len();

    let result = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("cached");

    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(idp.requests().await.len(), before);
}

/// The name in the id token claims of a cached result.
fn claimed_name(result: &entra_auth::AuthenticationResult) -> Option<String> {
    result
        .id_token_claims
        .as_ref()
        .and_then(|claims| claims.name.clone())
}

/// Token response `n` whose id token names alice `name`.
fn renamed(n: u32, name: &str) -> serde_json::Value {
    let mut body = TokenBody::new(n).json();
    let now = start_time()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut claims = alice_id_token_claims(now);
    claims["name"] = serde_json::json!(name);
    body["id_token"] = serde_json::json!(jwt(&claims));
    body
}

#[tokio::test]
async fn a_cache_hit_after_a_refresh_serves_the_claims_of_the_new_id_token() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    let first = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a cached token");
    assert_eq!(claimed_name(&first).as_deref(), Some("Alice Smith"));
    idp.mount_refresh_grant(ResponseTemplate::new(200).set_body_json(renamed(2, "Alice Jones")))
        .await;
    idp.clock.advance(PAST_EXPIRY);
    let refreshed = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a refreshed token");
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);

    let hit = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("the refreshed token, cached");

    assert_eq!(hit.token_source, TokenSource::Cache);
    assert_eq!(claimed_name(&hit).as_deref(), Some("Alice Jones"));
}

#[tokio::test]
async fn a_cache_hit_after_the_cache_got_a_new_id_token_serves_its_claims() {
    let idp = Idp::start().await;
    let (app, account) = idp.signed_in_alice().await;
    let first = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a cached token");
    assert_eq!(claimed_name(&first).as_deref(), Some("Alice Smith"));
    // The same entries, but another id token: written by another application sharing
    // the cache, say, and not by this one's sign-in or refresh.
    let old_id_token = TokenBody::new(1).json()["id_token"]
        .as_str()
        .expect("an id token")
        .to_owned();
    let new_id_token = renamed(1, "Alice Jones")["id_token"]
        .as_str()
        .expect("an id token")
        .to_owned();
    let serialized = app.token_cache().serialize();
    assert!(serialized.contains(&old_id_token));
    app.token_cache()
        .deserialize(serialized.replace(&old_id_token, &new_id_token).as_bytes())
        .expect("the edited cache loads");

    let hit = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("a cached token");

    assert_eq!(hit.token_source, TokenSource::Cache);
    assert_eq!(claimed_name(&hit).as_deref(), Some("Alice Jones"));
}
