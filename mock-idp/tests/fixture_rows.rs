//! Every row of mock-idp's default fixture posted straight to the token endpoint (the
//! sign-in through the mock ADFS is in adfs.rs), against an in-process server.

mod common;

use common::{SCOPES, claims, start};
use mock_idp::default_fixture as d;

#[tokio::test]
async fn alice_gets_tokens_shaped_like_entras() {
    let h = start().await;
    let a = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = &a.json;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "User.Read openid profile offline_access");
    assert_eq!(body["expires_in"], mock_idp::DETERMINISTIC_EXPIRES_IN);
    assert_eq!(body["ext_expires_in"], mock_idp::DETERMINISTIC_EXPIRES_IN);
    assert_eq!(body["refresh_in"], mock_idp::DETERMINISTIC_EXPIRES_IN / 2);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    for absent in ["error", "error_description", "suberror"] {
        assert!(body.get(absent).is_none(), "{absent} in a success body");
    }
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], d::CLI_CLIENT_ID);
    assert_eq!(id["tid"], d::CONTOSO_TENANT_ID);
    assert_eq!(id["oid"], d::ALICE_OID);
    assert_eq!(id["preferred_username"], d::ALICE);
    assert_eq!(
        id["iss"],
        format!("{}/{}/v2.0", h.idp.base_url(), d::CONTOSO_TENANT_ID)
    );
    assert!(id["sub"].as_str().is_some());
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["scp"], "User.Read openid profile");
    assert_eq!(at["aud"], d::GRAPH_APP_ID);
    assert_eq!(at["azp"], d::CLI_CLIENT_ID);
    assert_eq!(at["ver"], "2.0");
    assert_eq!(
        at["exp"].as_u64().unwrap() - at["iat"].as_u64().unwrap(),
        4443
    );
    use base64::Engine as _;
    let info = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body["client_info"].as_str().unwrap())
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(
        info,
        serde_json::json!({"uid": d::ALICE_OID, "utid": d::CONTOSO_TENANT_ID})
    );
}

#[tokio::test]
async fn scopes_echo_in_the_case_requested_and_without_offline_access_no_refresh_token() {
    let h = start().await;
    let a = h.password(d::ALICE, d::PASSWORD, "user.read openid").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["scope"], "user.read openid");
    assert!(a.json.get("refresh_token").is_none());
    let qualified = h
        .password(
            d::ALICE,
            d::PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    assert_eq!(
        qualified.json["scope"], "User.Read offline_access",
        "{}",
        qualified.text
    );
    assert!(qualified.json.get("id_token").is_none());
}

#[tokio::test]
async fn the_tenant_may_be_a_guid_a_domain_or_organizations() {
    let h = start().await;
    for tenant in [
        d::CONTOSO_TENANT_ID,
        d::CONTOSO_DOMAIN,
        d::CONTOSO_ONMICROSOFT_DOMAIN,
        "organizations",
    ] {
        let a = h
            .password_at(tenant, d::CLI_CLIENT_ID, d::ALICE, d::PASSWORD, SCOPES, &[])
            .await;
        assert_eq!(a.status, 200, "{tenant}: {}", a.text);
    }
    let elsewhere = h
        .password_at(
            d::FABRIKAM_TENANT_ID,
            d::CLI_CLIENT_ID,
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(elsewhere.outcome(), (400, "invalid_grant", 50034, None));
}

async fn expect(username: &str, outcome: (u16, &str, u64, Option<&str>), claims_expected: bool) {
    let h = start().await;
    let a = h.password(username, d::PASSWORD, SCOPES).await;
    assert_eq!(a.outcome(), outcome, "{username}: {}", a.text);
    assert_eq!(
        a.json.get("claims").is_some(),
        claims_expected,
        "{username}: {}",
        a.text
    );
    let description = a.json["error_description"].as_str().expect("a description");
    assert!(
        description.starts_with(&format!("AADSTS{}: ", outcome.2)),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "), "{description}");
    assert!(a.json.get("access_token").is_none());
}

#[tokio::test]
async fn mfa_required_is_50076_basic_action_with_a_claims_challenge() {
    expect(
        d::MFA_REQUIRED,
        (400, "invalid_grant", 50076, Some("basic_action")),
        true,
    )
    .await;
    let h = start().await;
    let a = h.password(d::MFA_REQUIRED, d::PASSWORD, SCOPES).await;
    let challenge: serde_json::Value =
        serde_json::from_str(a.json["claims"].as_str().unwrap()).unwrap();
    assert_eq!(
        challenge,
        serde_json::json!({"access_token": {"capolids": {"essential": true, "values": [d::MFA_POLICY_ID]}}})
    );
}

#[tokio::test]
async fn mfa_enrollment_is_50079_interaction_required_with_claims() {
    expect(
        d::MFA_ENROLLMENT,
        (400, "interaction_required", 50079, None),
        true,
    )
    .await;
}

#[tokio::test]
async fn consent_required_user_is_65001() {
    expect(
        d::CONSENT_REQUIRED,
        (400, "invalid_grant", 65001, Some("consent_required")),
        false,
    )
    .await;
}

#[tokio::test]
async fn password_expired_is_50055_with_a_change_url() {
    expect(
        d::PASSWORD_EXPIRED,
        (400, "invalid_grant", 50055, Some("user_password_expired")),
        false,
    )
    .await;
    let h = start().await;
    let a = h.password(d::PASSWORD_EXPIRED, d::PASSWORD, SCOPES).await;
    assert!(a.json["password_change_url"].as_str().is_some());
}

#[tokio::test]
async fn locked_is_50053() {
    expect(d::LOCKED, (400, "invalid_grant", 50053, None), false).await;
}

#[tokio::test]
async fn disabled_is_50057() {
    expect(d::DISABLED, (400, "invalid_grant", 50057, None), false).await;
}

#[tokio::test]
async fn ca_blocked_is_53003_message_only() {
    expect(
        d::CA_BLOCKED,
        (400, "invalid_grant", 53003, Some("message_only")),
        false,
    )
    .await;
}

#[tokio::test]
async fn nobody_is_50034() {
    expect(d::NOBODY, (400, "invalid_grant", 50034, None), false).await;
}

#[tokio::test]
async fn a_personal_account_posted_directly_is_50034_never_tokens() {
    expect(d::PERSONAL_USER, (400, "invalid_grant", 50034, None), false).await;
    for user in ["x@hotmail.com", "y@live.com"] {
        expect(user, (400, "invalid_grant", 50034, None), false).await;
    }
}

#[tokio::test]
async fn a_federated_user_posted_directly_is_refused_like_a_bad_password() {
    // Entra does not check a federated user's password against the federation service
    // on a password grant: the client must go through the ADFS (WS-Trust) itself.
    let h = start().await;
    let right = h.password(d::FEDUSER, d::PASSWORD, SCOPES).await;
    assert_eq!(right.outcome(), (400, "invalid_grant", 50126, None));
    let wrong = h.password(d::FEDUSER, "wrong", SCOPES).await;
    assert_eq!(wrong.outcome(), (400, "invalid_grant", 50126, None));
}

#[tokio::test]
async fn a_wrong_password_is_50126_for_any_user() {
    let h = start().await;
    for user in [d::ALICE, d::MFA_REQUIRED, d::CA_BLOCKED] {
        let a = h.password(user, "wrong", SCOPES).await;
        assert_eq!(a.outcome(), (400, "invalid_grant", 50126, None), "{user}");
    }
}

#[tokio::test]
async fn a_scope_without_consent_is_65001() {
    let h = start().await;
    let a = h
        .password(
            d::ALICE,
            d::PASSWORD,
            "Mail.Send openid profile offline_access",
        )
        .await;
    assert_eq!(
        a.outcome(),
        (400, "invalid_grant", 65001, Some("consent_required"))
    );
}

#[tokio::test]
async fn contoso_web_without_a_secret_is_7000218_401() {
    let h = start().await;
    let a = h
        .password_at(
            "organizations",
            d::WEB_CLIENT_ID,
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(a.outcome(), (401, "invalid_client", 7000218, None));
}

#[tokio::test]
async fn the_password_grant_at_common_or_consumers_is_9001023() {
    let h = start().await;
    for tenant in ["common", "consumers", d::MSA_TENANT_ID] {
        let a = h
            .password_at(tenant, d::CLI_CLIENT_ID, d::ALICE, d::PASSWORD, SCOPES, &[])
            .await;
        assert_eq!(
            a.outcome(),
            (400, "invalid_request", 9001023, None),
            "{tenant}"
        );
    }
}

#[tokio::test]
async fn the_daemon_with_a_wrong_secret_is_7000215_and_with_the_right_one_gets_tokens() {
    let h = start().await;
    let wrong = h
        .password_at(
            "organizations",
            d::DAEMON_CLIENT_ID,
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[("client_secret", "nope")],
        )
        .await;
    assert_eq!(wrong.outcome(), (401, "invalid_client", 7000215, None));
    let none = h
        .password_at(
            "organizations",
            d::DAEMON_CLIENT_ID,
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(none.outcome(), (401, "invalid_client", 7000218, None));
    let right = h
        .password_at(
            "organizations",
            d::DAEMON_CLIENT_ID,
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[("client_secret", d::DAEMON_SECRET)],
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.text);
    assert_eq!(
        claims(right.json["access_token"].as_str().unwrap())["azpacr"],
        "1"
    );
}

#[tokio::test]
async fn an_unknown_client_id_is_700016() {
    let h = start().await;
    let a = h
        .password_at(
            "organizations",
            "99999999-9999-9999-9999-999999999999",
            d::ALICE,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(a.outcome(), (400, "unauthorized_client", 700016, None));
}
