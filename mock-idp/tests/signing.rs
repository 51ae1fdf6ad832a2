//! Tokens are signed after mock-idp's state is unlocked: they still verify against the
//! published JWKS, and grants answered at the same time each get their own tokens and
//! their own entry in the request log.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{SCOPES, claims, start};
use mock_idp::admin::Endpoint;
use mock_idp::default_fixture as d;
use serde_json::Value;

/// Checks `jwt`'s RS256 signature with the key of `jwks` its header names.
fn verify(jwt: &str, jwks: &Value) {
    let (input, signature) = jwt.rsplit_once('.').expect("three parts");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').next().expect("header"))
            .expect("base64url header"),
    )
    .expect("JSON header");
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the header's kid is in the JWKS");
    let decode = |field: &str| {
        URL_SAFE_NO_PAD
            .decode(key[field].as_str().expect(field))
            .expect("base64url")
    };
    let (n, e) = (decode("n"), decode("e"));
    assert_eq!(n.len(), 256, "a 2048-bit modulus");
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            input.as_bytes(),
            &URL_SAFE_NO_PAD
                .decode(signature)
                .expect("base64url signature"),
        )
        .expect("the signature verifies");
}

#[tokio::test]
async fn access_and_id_tokens_verify_against_the_published_jwks() {
    let h = start().await;
    let jwks = h.get("/organizations/discovery/v2.0/keys").await.json;

    let tokens = h.password(d::ALICE, d::PASSWORD, SCOPES).await;

    assert_eq!(tokens.status, 200, "{}", tokens.text);
    verify(
        tokens.json["access_token"].as_str().expect("access token"),
        &jwks,
    );
    verify(tokens.json["id_token"].as_str().expect("id token"), &jwks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_answered_at_once_each_get_their_own_verified_tokens_and_log_entry() {
    const GRANTS: usize = 24;
    let h = Arc::new(start().await);
    let jwks = h.get("/organizations/discovery/v2.0/keys").await.json;
    h.idp.admin().clear_requests().await.expect("log cleared");

    let answers = concurrent_grants(&h, GRANTS).await;

    let mut utis: Vec<String> = answers
        .iter()
        .map(|tokens| {
            assert_eq!(tokens.status, 200, "{}", tokens.text);
            let access = tokens.json["access_token"].as_str().expect("access token");
            verify(access, &jwks);
            verify(tokens.json["id_token"].as_str().expect("id token"), &jwks);
            claims(access)["uti"].as_str().expect("uti").to_owned()
        })
        .collect();
    utis.sort();
    utis.dedup();
    assert_eq!(utis.len(), GRANTS, "every access token has its own uti");
    let log = h.idp.admin().requests().await.expect("log");
    let seqs: Vec<u64> = log.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..GRANTS as u64).collect::<Vec<_>>());
    assert!(
        log.iter()
            .all(|r| r.endpoint == Endpoint::Token && r.status == 200 && r.carried_password)
    );
}

/// `count` password grants for alice, all sent before any answer is awaited.
async fn concurrent_grants(h: &Arc<common::Harness>, count: usize) -> Vec<common::Answer> {
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let h = h.clone();
        tasks.spawn(async move { (index, h.password(d::ALICE, d::PASSWORD, SCOPES).await) });
    }
    let mut answers = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        answers.push(done.expect("task"));
    }
    answers.sort_by_key(|(index, _)| *index);
    answers.into_iter().map(|(_, answer)| answer).collect()
}
