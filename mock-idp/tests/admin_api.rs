//! The admin API: request log with redaction, clock, consent, users, refresh tokens,
//! faults.

mod common;

use std::time::Duration;

use common::{SCOPES, start};
use mock_idp::admin::{ConsentChange, Endpoint, Fault, FaultAction, UserStateChange};
use mock_idp::default_fixture as d;

#[tokio::test]
async fn the_request_log_redacts_secrets_and_knows_whether_a_password_was_sent() {
    let h = start().await;
    let admin = h.idp.admin();
    h.get("/common/userrealm/alice@contoso.com?api-version=1.0")
        .await;
    h.password_at(
        "organizations",
        d::DAEMON_CLIENT_ID,
        d::ALICE,
        d::PASSWORD,
        SCOPES,
        &[("client_secret", d::DAEMON_SECRET)],
    )
    .await;
    let log = admin.requests().await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].endpoint, log[0].carried_password, log[0].status),
        (Endpoint::UserRealm, false, 200)
    );
    let token = &log[1];
    assert_eq!(
        (token.endpoint, token.carried_password, token.status),
        (Endpoint::Token, true, 200)
    );
    assert_eq!(token.form_value("password"), Some("[REDACTED]"));
    assert_eq!(token.form_value("client_secret"), Some("[REDACTED]"));
    assert_eq!(token.form_value("username"), Some(d::ALICE));
    let dump = serde_json::to_string(&log).unwrap();
    assert!(
        !dump.contains(d::DAEMON_SECRET) && !dump.contains("w0rd"),
        "{dump}"
    );
    // A refresh token is redacted too, and admin calls are not logged.
    let rt = h.password(d::ALICE, d::PASSWORD, SCOPES).await.json["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    admin.clear_requests().await.unwrap();
    h.refresh(d::CLI_CLIENT_ID, &rt).await;
    let log = admin.requests().await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].form_value("refresh_token"), Some("[REDACTED]"));
    assert!(!log[0].carried_password);
}

#[tokio::test]
async fn a_password_set_through_the_admin_api_is_redacted_from_the_next_request() {
    let h = start().await;
    let admin = h.idp.admin();
    // A request first, so the passwords the log looks for are already worked out.
    h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    let change = UserStateChange {
        password: Some("BrandNew9pw".into()),
        ..Default::default()
    };
    admin.set_user_state(d::ALICE, &change).await.unwrap();
    admin.clear_requests().await.unwrap();
    h.get("/common/userrealm/alice@contoso.com?hint=BrandNew9pw")
        .await;
    let log = admin.requests().await.unwrap();
    assert!(log[0].carried_password);
    assert_eq!(log[0].query, [("hint".to_owned(), "[REDACTED]".to_owned())]);
}

#[tokio::test]
async fn a_password_in_the_query_string_is_noticed() {
    let h = start().await;
    let query = "password=Pa%24%24%20w0rd%26%3D%2B%C3%A9";
    h.get(&format!("/common/userrealm/alice@contoso.com?{query}"))
        .await;
    let log = h.idp.admin().requests().await.unwrap();
    assert!(log[0].carried_password);
    assert_eq!(
        log[0].query,
        [("password".to_owned(), "[REDACTED]".to_owned())]
    );
}

#[tokio::test]
async fn client_request_id_is_echoed_as_correlation_id() {
    let h = start().await;
    let response = h
        .client
        .post(h.url("/organizations/oauth2/v2.0/token"))
        .header("client-request-id", "11111111-2222-3333-4444-555555555555")
        .form(&[
            ("grant_type", "password"),
            ("client_id", d::CLI_CLIENT_ID),
            ("username", d::NOBODY),
            ("password", "x"),
            ("scope", SCOPES),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["client-request-id"],
        "11111111-2222-3333-4444-555555555555"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["correlation_id"],
        "11111111-2222-3333-4444-555555555555"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Correlation ID: 11111111-2222-3333-4444-555555555555")
    );
}

#[tokio::test]
async fn advancing_the_clock_expires_an_inactive_refresh_token() {
    let h = start().await;
    let admin = h.idp.admin();
    let rt = h.password(d::ALICE, d::PASSWORD, SCOPES).await.json["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let clock = admin
        .advance_clock(Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(clock.now, mock_idp::DETERMINISTIC_START + 3600);
    assert_eq!(clock.rfc3339, "2026-01-01T01:00:00Z");
    assert_eq!(h.refresh(d::CLI_CLIENT_ID, &rt).await.status, 200);
    admin
        .advance_clock(Duration::from_secs(91 * 24 * 3600))
        .await
        .unwrap();
    let expired = h.refresh(d::CLI_CLIENT_ID, &rt).await;
    assert_eq!(expired.outcome(), (400, "invalid_grant", 700082, None));
    assert_eq!(
        admin.now().await.unwrap().now,
        mock_idp::DETERMINISTIC_START + 3600 + 91 * 24 * 3600
    );
}

#[tokio::test]
async fn a_refresh_token_older_than_its_max_age_is_70008() {
    let mut fixture = mock_idp::Fixture::default();
    fixture.settings.refresh_token_max_age_secs = 100;
    let h = common::start_with(mock_idp::Config::new(fixture).seed(1)).await;
    let rt = h.password(d::ALICE, d::PASSWORD, SCOPES).await.json["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.idp
        .admin()
        .advance_clock(Duration::from_secs(100))
        .await
        .unwrap();
    assert_eq!(
        h.refresh(d::CLI_CLIENT_ID, &rt).await.outcome(),
        (400, "invalid_grant", 70008, None)
    );
}

fn refresh_token_of(answer: &common::Answer) -> String {
    answer.json["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn a_replaced_refresh_token_stays_valid_by_default() {
    let h = start().await;
    let first = refresh_token_of(&h.password(d::ALICE, d::PASSWORD, SCOPES).await);

    let rotated = h.refresh(d::CLI_CLIENT_ID, &first).await;
    let again = h.refresh(d::CLI_CLIENT_ID, &first).await;

    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_ne!(refresh_token_of(&rotated), first);
    assert_eq!(again.status, 200, "{}", again.text);
}

#[tokio::test]
async fn under_strict_rotation_a_redeemed_refresh_token_is_70000_and_its_successor_works() {
    let mut fixture = mock_idp::Fixture::default();
    fixture.settings.strict_refresh_token_rotation = true;
    let h = common::start_with(mock_idp::Config::new(fixture).seed(1)).await;
    let first = refresh_token_of(&h.password(d::ALICE, d::PASSWORD, SCOPES).await);

    let rotated = h.refresh(d::CLI_CLIENT_ID, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let second = refresh_token_of(&rotated);
    let replayed = h.refresh(d::CLI_CLIENT_ID, &first).await;
    let next = h.refresh(d::CLI_CLIENT_ID, &second).await;

    assert_eq!(replayed.outcome(), (400, "invalid_grant", 70000, None));
    let description = replayed.json["error_description"].as_str().unwrap();
    assert!(
        description
            .starts_with("AADSTS70000: The provided value for the 'refresh_token' is not valid."),
        "{description}"
    );
    assert!(!description.contains(&first), "{description}");
    assert_eq!(next.status, 200, "{}", next.text);
    let third = refresh_token_of(&next);
    assert_eq!(
        h.refresh(d::CLI_CLIENT_ID, &second).await.outcome(),
        (400, "invalid_grant", 70000, None)
    );
    assert_eq!(h.refresh(d::CLI_CLIENT_ID, &third).await.status, 200);
}

#[tokio::test]
async fn under_strict_rotation_a_refused_redemption_does_not_spend_the_refresh_token() {
    let mut fixture = mock_idp::Fixture::default();
    fixture.settings.strict_refresh_token_rotation = true;
    let h = common::start_with(mock_idp::Config::new(fixture).seed(1)).await;
    let first = refresh_token_of(&h.password(d::ALICE, d::PASSWORD, SCOPES).await);

    let admin = h.idp.admin();
    let disable = |disabled| UserStateChange {
        disabled: Some(disabled),
        ..UserStateChange::default()
    };
    admin
        .set_user_state(d::ALICE, &disable(true))
        .await
        .unwrap();
    assert_eq!(h.refresh(d::CLI_CLIENT_ID, &first).await.code(), 50057);
    admin
        .set_user_state(d::ALICE, &disable(false))
        .await
        .unwrap();
    let own = h.refresh(d::CLI_CLIENT_ID, &first).await;

    assert_eq!(own.status, 200, "{}", own.text);
}

#[tokio::test]
async fn the_request_log_counts_refresh_token_grants() {
    let h = start().await;
    let first = refresh_token_of(&h.password(d::ALICE, d::PASSWORD, SCOPES).await);
    h.refresh(d::CLI_CLIENT_ID, &first).await;
    h.refresh(d::CLI_CLIENT_ID, &first).await;

    let log = h.idp.admin().requests().await.unwrap();
    let grants: Vec<Option<&str>> = log.iter().map(|r| r.form_value("grant_type")).collect();

    assert_eq!(
        grants,
        [
            Some("password"),
            Some("refresh_token"),
            Some("refresh_token")
        ]
    );
    assert_eq!(
        log.iter()
            .filter(|r| r.form_value("grant_type") == Some("refresh_token"))
            .count(),
        2
    );
    assert_eq!(log[1].form_value("refresh_token"), Some("[REDACTED]"));
}

#[tokio::test]
async fn revoked_refresh_tokens_are_50173() {
    let h = start().await;
    let rt = h.password(d::ALICE, d::PASSWORD, SCOPES).await.json["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        h.idp.admin().revoke_refresh_tokens(d::ALICE).await.unwrap(),
        1
    );
    assert_eq!(
        h.refresh(d::CLI_CLIENT_ID, &rt).await.outcome(),
        (400, "invalid_grant", 50173, None)
    );
    assert!(
        h.idp
            .admin()
            .revoke_refresh_tokens("ghost@contoso.com")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn consent_can_be_granted_and_revoked() {
    let h = start().await;
    let admin = h.idp.admin();
    let mail = |user: Option<&str>| ConsentChange {
        tenant: d::CONTOSO_TENANT_ID.into(),
        client_id: d::CLI_CLIENT_ID.into(),
        user: user.map(str::to_owned),
        scopes: vec!["Mail.Send".into()],
    };
    let scope = "Mail.Send openid profile offline_access";
    assert_eq!(h.password(d::ALICE, d::PASSWORD, scope).await.code(), 65001);
    admin.grant_consent(&mail(Some(d::ALICE))).await.unwrap();
    assert_eq!(h.password(d::ALICE, d::PASSWORD, scope).await.status, 200);
    admin.revoke_consent(&mail(Some(d::ALICE))).await.unwrap();
    assert_eq!(h.password(d::ALICE, d::PASSWORD, scope).await.code(), 65001);
    admin.grant_consent(&mail(None)).await.unwrap();
    assert_eq!(h.password(d::ALICE, d::PASSWORD, scope).await.status, 200);
    // Tenant-wide revocation of User.Read.
    let user_read = ConsentChange {
        scopes: vec!["User.Read".into()],
        ..mail(None)
    };
    admin.revoke_consent(&user_read).await.unwrap();
    assert_eq!(
        h.password(d::ALICE, d::PASSWORD, SCOPES).await.code(),
        65001
    );
    // Granting for consent-required@ lifts the fixture's revocation.
    admin
        .grant_consent(&ConsentChange {
            user: Some(d::CONSENT_REQUIRED.into()),
            ..user_read.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        h.password(d::CONSENT_REQUIRED, d::PASSWORD, SCOPES)
            .await
            .status,
        200
    );
    let bad = ConsentChange {
        tenant: "nowhere".into(),
        ..mail(None)
    };
    assert!(admin.grant_consent(&bad).await.is_err());
}

#[tokio::test]
async fn user_state_changes_take_effect() {
    let h = start().await;
    let admin = h.idp.admin();
    let rt = h.password(d::ALICE, d::PASSWORD, SCOPES).await.json["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .set_user_state(
            d::ALICE,
            &UserStateChange {
                locked: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        h.password(d::ALICE, d::PASSWORD, SCOPES).await.code(),
        50053
    );
    admin
        .set_user_state(
            d::ALICE,
            &UserStateChange {
                locked: Some(false),
                mfa_required: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        h.password(d::ALICE, d::PASSWORD, SCOPES).await.code(),
        50076
    );
    admin
        .set_user_state(
            d::ALICE,
            &UserStateChange {
                mfa_registered: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        h.password(d::ALICE, d::PASSWORD, SCOPES).await.code(),
        50079
    );
    let change = UserStateChange {
        password: Some("new one".into()),
        mfa_required: Some(false),
        ..Default::default()
    };
    assert!(!format!("{change:?}").contains("new one"));
    admin.set_user_state(d::ALICE, &change).await.unwrap();
    assert_eq!(
        h.password(d::ALICE, d::PASSWORD, SCOPES).await.code(),
        50126
    );
    assert_eq!(h.password(d::ALICE, "new one", SCOPES).await.status, 200);
    // A password change revokes the refresh tokens issued before it.
    assert_eq!(h.refresh(d::CLI_CLIENT_ID, &rt).await.code(), 50173);
    admin
        .set_user_state(
            d::ALICE,
            &UserStateChange {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(h.password(d::ALICE, "new one", SCOPES).await.code(), 50057);
    assert!(
        admin
            .set_user_state("ghost@contoso.com", &UserStateChange::default())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_status_fault_answers_the_next_requests_then_stops() {
    let h = start().await;
    let admin = h.idp.admin();
    let fault = Fault {
        endpoint: Endpoint::Token,
        count: 2,
        action: FaultAction::Status {
            status: 429,
            retry_after: Some(7),
        },
    };
    admin.add_fault(&fault).await.unwrap();
    h.get("/organizations/v2.0/.well-known/openid-configuration")
        .await; // other endpoints unaffected
    for _ in 0..2 {
        let a = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
        assert_eq!(
            (a.status, a.headers["retry-after"].to_str().unwrap()),
            (429, "7")
        );
        assert_eq!(a.json["error"], "temporarily_unavailable");
    }
    assert_eq!(h.password(d::ALICE, d::PASSWORD, SCOPES).await.status, 200);
    admin
        .add_fault(&Fault {
            endpoint: Endpoint::Any,
            count: 1,
            action: FaultAction::Status {
                status: 503,
                retry_after: None,
            },
        })
        .await
        .unwrap();
    let a = h.get("/common/userrealm/alice@contoso.com").await;
    assert_eq!(a.status, 503);
    assert!(a.headers.get("retry-after").is_none());
    let statuses: Vec<u16> = admin
        .requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 429, 429, 200, 503]);
}

#[tokio::test]
async fn malformed_dropped_and_delayed_answers() {
    let h = start().await;
    let admin = h.idp.admin();
    admin
        .add_fault(&Fault {
            endpoint: Endpoint::Token,
            count: 1,
            action: FaultAction::Malformed,
        })
        .await
        .unwrap();
    let a = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    assert_eq!(a.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&a.text).is_err(),
        "{}",
        a.text
    );
    admin
        .add_fault(&Fault {
            endpoint: Endpoint::Discovery,
            count: 1,
            action: FaultAction::Drop,
        })
        .await
        .unwrap();
    let dropped = h
        .client
        .get(h.url("/organizations/v2.0/.well-known/openid-configuration"))
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection is dropped without an answer"
    );
    admin
        .add_fault(&Fault {
            endpoint: Endpoint::Jwks,
            count: 1,
            action: FaultAction::Delay { millis: 5 },
        })
        .await
        .unwrap();
    assert_eq!(
        h.get("/organizations/discovery/v2.0/keys").await.status,
        200
    );
    admin
        .add_fault(&Fault {
            endpoint: Endpoint::Token,
            count: 3,
            action: FaultAction::Drop,
        })
        .await
        .unwrap();
    admin.clear_faults().await.unwrap();
    assert_eq!(h.password(d::ALICE, d::PASSWORD, SCOPES).await.status, 200);
    let zero = Fault {
        endpoint: Endpoint::Token,
        count: 0,
        action: FaultAction::Drop,
    };
    assert!(admin.add_fault(&zero).await.is_err());
}

#[tokio::test]
async fn the_admin_api_refuses_bad_json_with_a_json_error() {
    let h = start().await;
    let a = h
        .post_raw("/_admin/faults", "application/json", b"{not json".to_vec())
        .await;
    assert_eq!(
        (a.status, a.json["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(h.idp.admin().requests().await.unwrap().is_empty());
}
