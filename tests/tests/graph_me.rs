//! The `graph_me` example end to end: it signs in at mock-idp and calls `GET /v1.0/me` on
//! a small Microsoft Graph stand-in, which accepts a bearer token only if its RS256
//! signature verifies with mock-idp's published keys (JWKS) and it is meant for Graph.
//! The stand-in can also answer the first call with a claims challenge, as Graph does
//! under continuous access evaluation, or with one only an interactive sign-in meets.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

#[allow(dead_code)] // Its `main` reads the environment; the tests call `me` instead.
#[path = "../../crates/app/examples/graph_me.rs"]
mod graph_me;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entra_auth::SecretString;
use entra_tests::{Harness, fixture};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::admin::Endpoint;
use serde_json::{Value, json};

/// Continuous access evaluation's challenge (`nbf`): met by a silent retry.
const CAE_CHALLENGE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=""#;

/// An authentication context (`p1`) challenge, as Azure Resource Manager sends under
/// mandatory MFA: only an interactive sign-in meets it.
const MFA_CHALLENGE: &str = r#"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19""#;

/// The stand-in's state: mock-idp's keys, the challenge to answer the first call with,
/// and the tokens it was shown.
struct Graph {
    keys: JwkSet,
    first_challenge: Option<&'static str>,
    seen: Mutex<Vec<String>>,
}

async fn me(State(graph): State<Arc<Graph>>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let first = {
        let mut seen = graph.seen.lock().unwrap();
        seen.push(token.to_owned());
        seen.len() == 1
    };
    let claims = match verify(&graph.keys, token) {
        Ok(claims) => claims,
        Err(reason) => return (StatusCode::UNAUTHORIZED, reason).into_response(),
    };
    if let (true, Some(challenge)) = (first, graph.first_challenge) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    Json(json!({
        "id": claims["oid"],
        "userPrincipalName": claims["preferred_username"],
        "displayName": claims["name"],
    }))
    .into_response()
}

/// Checks `token`'s RS256 signature with the key its `kid` names in `keys`, its expiry
/// and its audience (Graph).
fn verify(keys: &JwkSet, token: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("not RS256: {:?}", header.alg));
    }
    let kid = header.kid.ok_or("no kid")?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| format!("unknown kid {kid}"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[fixture::GRAPH_APP_ID, fixture::GRAPH_URI]);
    // mock-idp's clock is seeded (2026-01-01); only the signature and audience matter.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

/// Starts mock-idp and the Graph stand-in (plain HTTP on loopback).
async fn start(first_challenge: Option<&'static str>) -> (Harness, Arc<Graph>, SocketAddr) {
    let harness = Harness::start().await;
    let jwks_url = format!("{}/discovery/v2.0/keys", harness.authority("organizations"));
    let jwks = harness
        .idp
        .client()
        .unwrap()
        .get(jwks_url)
        .send()
        .await
        .expect("mock-idp's JWKS")
        .bytes()
        .await
        .unwrap();
    let keys: JwkSet = serde_json::from_slice(&jwks).expect("a JWKS");
    let graph = Arc::new(Graph {
        keys,
        first_challenge,
        seen: Mutex::new(Vec::new()),
    });
    let router = axum::Router::new()
        .route("/v1.0/me", axum::routing::get(me))
        .with_state(graph.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (harness, graph, address)
}

fn settings(harness: &Harness, graph: SocketAddr, username: &str) -> graph_me::Settings {
    graph_me::Settings {
        client_id: fixture::CLI_CLIENT_ID.to_owned(),
        authority: harness.authority("organizations"),
        username: username.to_owned(),
        password: SecretString::from(fixture::PASSWORD),
        graph_url: format!("http://{graph}"),
        ca_pem: Some(harness.idp.ca_pem().as_bytes().to_vec()),
    }
}

async fn password_grants(harness: &Harness) -> usize {
    harness
        .requests()
        .await
        .iter()
        .filter(|r| r.endpoint == Endpoint::Token && r.carried_password)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_me_signs_in_and_graph_verifies_the_token_with_mock_idps_keys() {
    let (harness, graph, address) = start(None).await;

    let me = graph_me::me(settings(&harness, address, fixture::ALICE))
        .await
        .unwrap_or_else(|e| panic!("graph_me: {e}"));

    assert_eq!(me["userPrincipalName"], fixture::ALICE);
    assert_eq!(me["id"], fixture::ALICE_OID);
    assert_eq!(graph.seen.lock().unwrap().len(), 1);
    assert_eq!(password_grants(&harness).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_refuses_a_token_whose_signature_does_not_verify() {
    let (harness, graph, _) = start(None).await;
    let (app, account) = harness.signed_in(fixture::ALICE).await;
    let token = app
        .acquire_token_silent(&["User.Read"], &account)
        .await
        .unwrap()
        .access_token
        .secret()
        .to_owned();
    assert!(verify(&graph.keys, &token).is_ok());

    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{signed}.{flipped}{}", &signature[1..]);
    assert!(verify(&graph.keys, &tampered).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cae_claims_challenge_is_met_by_one_silent_retry_with_the_claims() {
    let (harness, graph, address) = start(Some(CAE_CHALLENGE)).await;

    let me = graph_me::me(settings(&harness, address, fixture::ALICE))
        .await
        .unwrap_or_else(|e| panic!("graph_me: {e}"));

    assert_eq!(me["userPrincipalName"], fixture::ALICE);
    let seen = graph.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0], seen[1], "the retry carries a new token");
    // The retry redeemed the refresh token with the claims; the password went once.
    let requests = harness.requests().await;
    let refresh = requests
        .iter()
        .filter(|r| r.endpoint == Endpoint::Token)
        .find(|r| {
            r.form
                .contains(&("grant_type".to_owned(), "refresh_token".to_owned()))
        })
        .expect("a refresh with the claims");
    let claims = refresh
        .form
        .iter()
        .find(|(k, _)| k == "claims")
        .map(|(_, v)| v.as_str())
        .expect("claims sent");
    assert!(claims.contains(r#""nbf""#), "{claims}");
    assert_eq!(password_grants(&harness).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mfa_claims_challenge_ends_with_what_to_do_and_sends_nothing_more() {
    let (harness, graph, address) = start(Some(MFA_CHALLENGE)).await;

    let error = graph_me::me(settings(&harness, address, fixture::ALICE))
        .await
        .expect_err("an authentication context cannot be met by this flow");

    let text = error.to_string();
    assert!(text.contains("authentication context p1"), "{text}");
    assert!(text.contains("sign in interactively"), "{text}");
    assert_eq!(graph.seen.lock().unwrap().len(), 1);
    let token_requests = harness
        .requests()
        .await
        .iter()
        .filter(|r| r.endpoint == Endpoint::Token)
        .count();
    assert_eq!(token_requests, 1, "no refresh, no second password");
}
