//! Two runs with the same seed and the same requests give byte-identical responses.

mod common;

use common::{SCOPES, start_with};
use mock_idp::default_fixture as d;
use mock_idp::{Config, Fixture};

/// A fixed sequence touching every endpoint and ids: discovery, realm, tokens,
/// refresh, errors without a client-request-id, the clock.
async fn run(seed: u64, port: u16) -> (u16, Vec<String>) {
    let h = start_with(Config::new(Fixture::default()).seed(seed).port(port)).await;
    let mut bodies = Vec::new();
    bodies.push(
        h.get("/organizations/v2.0/.well-known/openid-configuration")
            .await
            .text,
    );
    bodies.push(
        h.get("/common/userrealm/someone@outlook.com?api-version=1.0")
            .await
            .text,
    );
    bodies.push(h.get("/organizations/discovery/v2.0/keys").await.text);
    let tokens = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    let rt = tokens.json["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    bodies.push(tokens.text);
    bodies.push(h.password(d::MFA_REQUIRED, d::PASSWORD, SCOPES).await.text);
    bodies.push(h.password(d::NOBODY, d::PASSWORD, SCOPES).await.text);
    h.idp
        .admin()
        .advance_clock(std::time::Duration::from_secs(600))
        .await
        .expect("clock advances");
    bodies.push(h.refresh(d::CLI_CLIENT_ID, &rt).await.text);
    bodies.push(h.get("/nope").await.text);
    let port = h.idp.port();
    h.idp.shutdown().await;
    (port, bodies)
}

#[tokio::test]
async fn two_seeded_runs_answer_byte_for_byte_the_same() {
    let (port, first) = run(2026, 0).await;
    // The second run reuses the port: URLs built from the Host header match too.
    let (_, second) = run(2026, port).await;
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b);
    }
    assert!(first[3].contains("access_token"), "{}", first[3]);
    let (_, other_seed) = run(2027, port).await;
    assert_ne!(
        first[3], other_seed[3],
        "another seed gives other keys and ids"
    );
}
