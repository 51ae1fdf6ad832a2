//! Every row of mock-idp's default fixture posted straight to the token endpoint (the
//! sign-in through the mock ADFS is in adfs.rs), against an in-process server.

mod common;

use common::{Answer, SCOPES, claims, start};
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
}

/// One refused password grant of the default fixture: the request, and the outcome
/// (status, error, code, suberror) it gets. Its name names its JSON snapshot and leads
/// every failure message.
struct Row {
    name: &'static str,
    tenant: &'static str,
    client_id: &'static str,
    username: &'static str,
    password: &'static str,
    scope: &'static str,
    form: &'static [(&'static str, &'static str)],
    outcome: (u16, &'static str, u64, Option<&'static str>),
    /// The answer carries a claims challenge.
    claims: bool,
}

impl Row {
    fn new(
        name: &'static str,
        username: &'static str,
        outcome: (u16, &'static str, u64, Option<&'static str>),
    ) -> Self {
        Self {
            name,
            tenant: "organizations",
            client_id: d::CLI_CLIENT_ID,
            username,
            password: d::PASSWORD,
            scope: SCOPES,
            form: &[],
            outcome,
            claims: false,
        }
    }

    fn at(self, tenant: &'static str) -> Self {
        Self { tenant, ..self }
    }

    fn client(self, client_id: &'static str, form: &'static [(&str, &str)]) -> Self {
        Self {
            client_id,
            form,
            ..self
        }
    }

    fn password(self, password: &'static str) -> Self {
        Self { password, ..self }
    }

    fn scope(self, scope: &'static str) -> Self {
        Self { scope, ..self }
    }

    fn claims(self) -> Self {
        Self {
            claims: true,
            ..self
        }
    }

    /// Posts the row to a fresh server and checks the Entra error shape.
    async fn run(&self) {
        let name = self.name;
        let h = start().await;
        let a = h
            .password_at(
                self.tenant,
                self.client_id,
                self.username,
                self.password,
                self.scope,
                self.form,
            )
            .await;
        assert_eq!(a.outcome(), self.outcome, "row {name}: {}", a.text);
        let has_claims = a.json.get("claims").is_some();
        assert_eq!(has_claims, self.claims, "row {name}: {}", a.text);
        let description = a.json["error_description"].as_str().unwrap_or_default();
        let prefix = format!("AADSTS{}: ", self.outcome.2);
        assert!(
            description.starts_with(&prefix),
            "row {name}: {description}"
        );
        assert!(
            description.contains("\r\nTrace ID: "),
            "row {name}: {description}"
        );
        assert!(a.json.get("access_token").is_none(), "row {name}");
        snapshot(name, &a, h.idp.port());
    }
}

/// The error body, with the port and the per-request ids redacted.
fn snapshot(name: &str, answer: &Answer, port: u16) {
    let text = answer.json.to_string().replace(&port.to_string(), "PORT");
    let body: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
    insta::assert_json_snapshot!(name, body, {
        ".trace_id" => "[trace_id]",
        ".correlation_id" => "[correlation_id]",
        ".error_description" => insta::dynamic_redaction(|value, _| {
            let text = value.as_str().unwrap_or_default();
            text.split("\r\nTrace ID:").next().unwrap_or_default().to_owned() + "\r\n[ids]"
        }),
    });
}

const UNKNOWN_CLIENT_ID: &str = "99999999-9999-9999-9999-999999999999";

/// Every refused row of the fixture, once.
fn rows() -> Vec<Row> {
    let grant = |code, suberror| (400, "invalid_grant", code, suberror);
    let wrong_password = grant(50126, None);
    let not_found = grant(50034, None);
    let common = (400, "invalid_request", 9001023, None);
    let no_secret = (401, "invalid_client", 7000218, None);
    vec![
        Row::new(
            "mfa_required",
            d::MFA_REQUIRED,
            grant(50076, Some("basic_action")),
        )
        .claims(),
        Row::new(
            "mfa_enrollment",
            d::MFA_ENROLLMENT,
            (400, "interaction_required", 50079, None),
        )
        .claims(),
        Row::new(
            "consent_required",
            d::CONSENT_REQUIRED,
            grant(65001, Some("consent_required")),
        ),
        Row::new(
            "password_expired",
            d::PASSWORD_EXPIRED,
            grant(50055, Some("user_password_expired")),
        ),
        Row::new("locked", d::LOCKED, grant(50053, None)),
        Row::new("disabled", d::DISABLED, grant(50057, None)),
        Row::new(
            "ca_blocked",
            d::CA_BLOCKED,
            grant(53003, Some("message_only")),
        ),
        Row::new("nobody", d::NOBODY, not_found),
        // A personal account posted directly is never given tokens.
        Row::new("personal_account", d::PERSONAL_USER, not_found),
        Row::new("hotmail_account", "x@hotmail.com", not_found),
        Row::new("live_account", "y@live.com", not_found),
        // Entra does not check a federated user's password against the federation
        // service on a password grant: the client must go through the ADFS itself.
        Row::new("federated_user_posted_directly", d::FEDUSER, wrong_password),
        Row::new("federated_user_wrong_password", d::FEDUSER, wrong_password).password("wrong"),
        Row::new("wrong_password", d::ALICE, wrong_password).password("wrong"),
        Row::new("wrong_password_mfa_user", d::MFA_REQUIRED, wrong_password).password("wrong"),
        Row::new("wrong_password_ca_user", d::CA_BLOCKED, wrong_password).password("wrong"),
        Row::new(
            "scope_without_consent",
            d::ALICE,
            grant(65001, Some("consent_required")),
        )
        .scope("Mail.Send openid profile offline_access"),
        Row::new("web_no_secret", d::ALICE, no_secret).client(d::WEB_CLIENT_ID, &[]),
        Row::new("common_refused", d::ALICE, common).at("common"),
        Row::new("consumers_refused", d::ALICE, common).at("consumers"),
        Row::new("msa_tenant_refused", d::ALICE, common).at(d::MSA_TENANT_ID),
        Row::new(
            "daemon_wrong_secret",
            d::ALICE,
            (401, "invalid_client", 7000215, None),
        )
        .client(d::DAEMON_CLIENT_ID, &[("client_secret", "nope")]),
        Row::new("daemon_no_secret", d::ALICE, no_secret).client(d::DAEMON_CLIENT_ID, &[]),
        Row::new(
            "unknown_client",
            d::ALICE,
            (400, "unauthorized_client", 700016, None),
        )
        .client(UNKNOWN_CLIENT_ID, &[]),
        Row::new(
            "unknown_tenant",
            d::ALICE,
            (400, "invalid_request", 90002, None),
        )
        .at("nowhere.example"),
        Row::new(
            "client_id_not_a_guid",
            d::ALICE,
            (400, "unauthorized_client", 700016, None),
        )
        .at(d::CONTOSO_TENANT_ID)
        .client("not-a-guid", &[]),
        // A single-tenant app is unknown in other tenants.
        Row::new(
            "web_app_in_another_tenant",
            d::FEDUSER,
            (400, "unauthorized_client", 700016, None),
        )
        .at(d::FABRIKAM_TENANT_ID)
        .client(d::WEB_CLIENT_ID, &[]),
        Row::new("user_of_another_tenant", d::ALICE, not_found).at(d::FABRIKAM_TENANT_ID),
    ]
}

#[tokio::test]
async fn every_refused_row_gets_its_entra_error() {
    for row in rows() {
        row.run().await;
    }
}

#[tokio::test]
async fn mfa_required_carries_the_policy_in_its_claims_challenge() {
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
async fn password_expired_carries_a_change_url() {
    let h = start().await;
    let a = h.password(d::PASSWORD_EXPIRED, d::PASSWORD, SCOPES).await;
    assert!(a.json["password_change_url"].as_str().is_some());
}

#[tokio::test]
async fn the_daemon_with_the_right_secret_gets_tokens() {
    let h = start().await;
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
