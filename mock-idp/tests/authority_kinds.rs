//! The authority kinds besides Entra tenants: a B2C user flow, the ADFS authority, an
//! External ID (CIAM) tenant, instance discovery's verdict on hosts, and `--hostname`.

mod common;

use base64::Engine as _;
use common::{Answer, Harness, SCOPES, claims, start, start_with};
use mock_idp::default_fixture as d;
use mock_idp::{Config, Fixture, MockIdp, StartError};
use serde_json::Value;

fn b2c_path(tail: &str) -> String {
    format!("/{}/{}/{tail}", d::CONTOSO_B2C_DOMAIN, d::B2C_ROPC_POLICY)
}

async fn b2c_password(h: &Harness, client_id: &str, username: &str, password: &str) -> Answer {
    let scope = format!("openid offline_access {client_id}");
    h.post_form(
        &b2c_path("oauth2/v2.0/token"),
        &[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", username),
            ("password", password),
            ("scope", &scope),
            ("client_info", "1"),
        ],
    )
    .await
}

/// A B2C error: only `error` and `error_description`, the description
/// `AADB2Cnnnnn: ...` then Correlation ID and Timestamp lines.
fn assert_b2c_error(a: &Answer, status: u16, error: &str, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.json["error"], error, "{}", a.text);
    let description = a.json["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("{code}: ")),
        "{description}"
    );
    assert!(
        description.contains("\r\nCorrelation ID: "),
        "{description}"
    );
    assert!(description.contains("\r\nTimestamp: "), "{description}");
    let keys: Vec<&String> = a.json.as_object().expect("a JSON object").keys().collect();
    assert_eq!(keys, ["error", "error_description"], "{}", a.text);
}

fn client_info(body: &Value) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body["client_info"].as_str().expect("client_info"))
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[tokio::test]
async fn b2c_openid_configuration_names_the_policy_and_the_tenant_id_issuer() {
    let h = start().await;
    for path in [
        b2c_path("v2.0/.well-known/openid-configuration"),
        format!(
            "/tfp/{}/{}/v2.0/.well-known/openid-configuration",
            d::CONTOSO_B2C_DOMAIN,
            d::B2C_ROPC_POLICY.to_ascii_lowercase()
        ),
    ] {
        let a = h.get(&path).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        let base = h.idp.base_url();
        let p = format!("{base}/{}/b2c_1_ropc_auth", d::CONTOSO_B2C_DOMAIN);
        assert_eq!(
            a.json["issuer"],
            format!("{base}/{}/v2.0/", d::CONTOSO_B2C_TENANT_ID)
        );
        assert_eq!(a.json["token_endpoint"], format!("{p}/oauth2/v2.0/token"));
        assert_eq!(
            a.json["authorization_endpoint"],
            format!("{p}/oauth2/v2.0/authorize")
        );
        assert_eq!(a.json["jwks_uri"], format!("{p}/discovery/v2.0/keys"));
    }
}

#[tokio::test]
async fn b2c_unknown_policy_or_tenant_is_aadb2c90022() {
    let h = start().await;
    let unknown_policy = format!(
        "/{}/B2C_1_nope/v2.0/.well-known/openid-configuration",
        d::CONTOSO_B2C_DOMAIN
    );
    let unknown_tenant = format!(
        "/nobody.onmicrosoft.com/{}/v2.0/.well-known/openid-configuration",
        d::B2C_ROPC_POLICY
    );
    // A work tenant has no user flows either.
    let work_tenant = format!(
        "/{}/{}/v2.0/.well-known/openid-configuration",
        d::CONTOSO_DOMAIN,
        d::B2C_ROPC_POLICY
    );
    for path in [unknown_policy, unknown_tenant, work_tenant] {
        let a = h.get(&path).await;
        assert_b2c_error(&a, 404, "invalid_request", "AADB2C90022");
    }
    let a = h
        .post_form(
            &format!("/{}/B2C_1_nope/oauth2/v2.0/token", d::CONTOSO_B2C_DOMAIN),
            &[("grant_type", "password")],
        )
        .await;
    assert_b2c_error(&a, 404, "invalid_request", "AADB2C90022");
}

#[tokio::test]
async fn b2c_local_account_gets_b2c_shaped_tokens_and_refreshes() {
    let h = start().await;
    let a = b2c_password(&h, d::B2C_CLIENT_ID, d::B2C_USER, d::PASSWORD).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = &a.json;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        format!("openid offline_access {}", d::B2C_CLIENT_ID)
    );
    let issuer = format!("{}/{}/v2.0/", h.idp.base_url(), d::CONTOSO_B2C_TENANT_ID);
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], issuer);
    assert_eq!(id["aud"], d::B2C_CLIENT_ID);
    assert_eq!(id["sub"], d::B2C_USER_OID);
    assert_eq!(id["oid"], d::B2C_USER_OID);
    assert_eq!(id["tfp"], d::B2C_ROPC_POLICY);
    assert_eq!(id["acr"], "b2c_1_ropc_auth");
    assert_eq!(id["emails"], serde_json::json!([d::B2C_USER]));
    assert_eq!(id["name"], "B2C User");
    assert!(id.get("preferred_username").is_none(), "{id}");
    assert!(id.get("tid").is_none(), "{id}");
    let at = claims(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], d::B2C_CLIENT_ID);
    assert_eq!(at["tfp"], d::B2C_ROPC_POLICY);
    assert_eq!(
        client_info(body),
        serde_json::json!({
            "uid": format!("{}-b2c_1_ropc_auth", d::B2C_USER_OID),
            "utid": d::CONTOSO_B2C_TENANT_ID,
        })
    );
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    assert!(body["refresh_token_expires_in"].as_u64().is_some());

    // The refresh token works at the /tfp/ form of the same policy ...
    let refreshed = h
        .post_form(
            &format!(
                "/tfp/{}/{}/oauth2/v2.0/token",
                d::CONTOSO_B2C_TENANT_ID,
                d::B2C_ROPC_POLICY
            ),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", d::B2C_CLIENT_ID),
                ("refresh_token", &refresh_token),
                (
                    "scope",
                    &format!("openid offline_access {}", d::B2C_CLIENT_ID),
                ),
                ("client_info", "1"),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert!(refreshed.json["refresh_token"].as_str().is_some());
    assert_eq!(
        claims(refreshed.json["id_token"].as_str().unwrap())["oid"],
        d::B2C_USER_OID
    );
    // ... but not at Entra's token endpoint.
    let at_entra = h.refresh(d::B2C_CLIENT_ID, &refresh_token).await;
    assert_eq!(at_entra.status, 400, "{}", at_entra.text);
    assert_eq!(at_entra.json["error"], "invalid_grant");
}

#[tokio::test]
async fn an_entra_refresh_token_is_refused_by_the_b2c_policy() {
    let h = start().await;
    let alice = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    let token = alice.json["refresh_token"].as_str().unwrap().to_owned();
    let a = h
        .post_form(
            &b2c_path("oauth2/v2.0/token"),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", d::B2C_CLIENT_ID),
                ("refresh_token", &token),
            ],
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.json["error"], "invalid_grant");
}

#[tokio::test]
async fn b2c_error_rows() {
    let h = start().await;
    for (username, password) in [
        (d::B2C_USER, "wrong"),
        (d::B2C_LOCKED, d::PASSWORD),
        (d::B2C_DISABLED, d::PASSWORD),
        ("nobody@contosob2c.onmicrosoft.com", d::PASSWORD),
        // A work account is not a local account of the B2C tenant.
        (d::ALICE, d::PASSWORD),
    ] {
        let a = b2c_password(&h, d::B2C_CLIENT_ID, username, password).await;
        assert_b2c_error(&a, 400, "access_denied", "AADB2C90225");
        assert!(
            a.json["error_description"]
                .as_str()
                .unwrap()
                .contains("The username or password provided in the request are invalid."),
            "{username}"
        );
    }
    let a = b2c_password(&h, d::B2C_WEB_CLIENT_ID, d::B2C_USER, d::PASSWORD).await;
    assert_b2c_error(&a, 400, "unauthorized_client", "AADB2C90057");
    // An app of another tenant, even a multi-tenant one.
    let a = b2c_password(&h, d::CLI_CLIENT_ID, d::B2C_USER, d::PASSWORD).await;
    assert_b2c_error(&a, 400, "invalid_request", "AADB2C90018");
    let a = h
        .post_form(
            &b2c_path("oauth2/v2.0/token"),
            &[
                ("grant_type", "password"),
                ("username", d::B2C_USER),
                ("password", d::PASSWORD),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_b2c_error(&a, 400, "invalid_request", "AADB2C90008");
    let a = h
        .post_form(
            &b2c_path("oauth2/v2.0/token"),
            &[
                ("grant_type", "password"),
                ("client_id", d::B2C_CLIENT_ID),
                ("username", d::B2C_USER),
                ("password", d::PASSWORD),
            ],
        )
        .await;
    assert_b2c_error(&a, 400, "invalid_request", "AADB2C90010");
    let a = h
        .post_form(
            &b2c_path("oauth2/v2.0/token"),
            &[
                ("grant_type", "password"),
                ("client_id", d::B2C_CLIENT_ID),
                ("username", d::B2C_USER),
                ("password", d::PASSWORD),
                ("scope", "openid Mail.Send"),
            ],
        )
        .await;
    assert_b2c_error(&a, 400, "invalid_scope", "AADB2C90012");
}

#[tokio::test]
async fn b2c_keys_and_the_b2c_tenant_is_unknown_to_entras_endpoints() {
    let h = start().await;
    let keys = h.get(&b2c_path("discovery/v2.0/keys")).await;
    assert_eq!(keys.status, 200, "{}", keys.text);
    assert!(keys.json["keys"][0]["kid"].as_str().is_some());
    let a = h
        .password_at(
            d::CONTOSO_B2C_DOMAIN,
            d::B2C_CLIENT_ID,
            d::B2C_USER,
            d::PASSWORD,
            "openid",
            &[],
        )
        .await;
    assert_eq!(
        a.outcome(),
        (400, "invalid_request", 90002, None),
        "{}",
        a.text
    );
    let a = h
        .get(&format!(
            "/{}/v2.0/.well-known/openid-configuration",
            d::CONTOSO_B2C_TENANT_ID
        ))
        .await;
    assert_eq!(a.code(), 90002, "{}", a.text);
}

async fn adfs_password(h: &Harness, username: &str, password: &str) -> Answer {
    h.post_form(
        "/adfs/oauth2/token/",
        &[
            ("grant_type", "password"),
            ("client_id", d::CLI_CLIENT_ID),
            ("username", username),
            ("password", password),
            ("scope", "openid profile offline_access"),
            ("client_info", "1"),
        ],
    )
    .await
}

#[tokio::test]
async fn adfs_authority_serves_its_configuration_keys_and_tokens() {
    let h = start().await;
    let base = h.idp.base_url();
    let config = h.get("/adfs/.well-known/openid-configuration").await;
    assert_eq!(config.status, 200, "{}", config.text);
    assert_eq!(config.json["issuer"], format!("{base}/adfs"));
    assert_eq!(
        config.json["token_endpoint"],
        format!("{base}/adfs/oauth2/token/")
    );
    assert_eq!(
        config.json["jwks_uri"],
        format!("{base}/adfs/discovery/keys")
    );
    let keys = h.get("/adfs/discovery/keys").await;
    assert!(
        keys.json["keys"][0]["kid"].as_str().is_some(),
        "{}",
        keys.text
    );

    let a = adfs_password(&h, d::FEDUSER, d::PASSWORD).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.json.get("client_info").is_none(),
        "ADFS sends no client_info"
    );
    let id = claims(a.json["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], format!("{base}/adfs"));
    assert_eq!(id["aud"], d::CLI_CLIENT_ID);
    assert_eq!(id["upn"], d::FEDUSER);
    assert_eq!(id["unique_name"], "FABRIKAM\\feduser");
    assert!(id["sub"].as_str().is_some_and(|s| !s.is_empty()));
    let refresh_token = a.json["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = h
        .post_form(
            "/adfs/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", d::CLI_CLIENT_ID),
                ("refresh_token", &refresh_token),
                ("scope", "openid profile offline_access"),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(
        claims(refreshed.json["id_token"].as_str().unwrap())["upn"],
        d::FEDUSER
    );
    // Entra does not redeem it.
    let at_entra = h.refresh(d::CLI_CLIENT_ID, &refresh_token).await;
    assert_eq!(at_entra.status, 400, "{}", at_entra.text);
    let requests = h.idp.admin().requests().await.unwrap();
    assert!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/adfs/oauth2/token"))
            .all(|r| r.endpoint == mock_idp::admin::Endpoint::Token)
    );
}

#[tokio::test]
async fn adfs_authority_refuses_bad_credentials_with_msis9659() {
    let h = start().await;
    for (username, password) in [
        (d::FEDUSER, "wrong"),
        ("nobody@fabrikam.com", d::PASSWORD),
        // A managed tenant's user is not in the federation service's directory.
        (d::ALICE, d::PASSWORD),
    ] {
        let a = adfs_password(&h, username, password).await;
        assert_eq!(a.status, 400, "{}", a.text);
        assert_eq!(a.json["error"], "invalid_grant");
        assert_eq!(
            a.json["error_description"],
            "MSIS9659: Invalid 'username' or 'password'."
        );
    }
}

#[tokio::test]
async fn ciam_tenant_serves_its_users_like_a_managed_tenant() {
    let h = start().await;
    let config = h
        .get(&format!(
            "/{}/v2.0/.well-known/openid-configuration",
            d::CONTOSO_CIAM_DOMAIN
        ))
        .await;
    assert_eq!(config.status, 200, "{}", config.text);
    let base = h.idp.base_url();
    assert_eq!(
        config.json["issuer"],
        format!("{base}/{}/v2.0", d::CONTOSO_CIAM_TENANT_ID)
    );
    let a = h
        .password_at(
            d::CONTOSO_CIAM_DOMAIN,
            d::CIAM_CLIENT_ID,
            d::CIAM_USER,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        client_info(&a.json),
        serde_json::json!({"uid": d::CIAM_USER_OID, "utid": d::CONTOSO_CIAM_TENANT_ID})
    );
    let wrong = h
        .password_at(
            d::CONTOSO_CIAM_DOMAIN,
            d::CIAM_CLIENT_ID,
            d::CIAM_USER,
            "wrong",
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(wrong.outcome(), (400, "invalid_grant", 50126, None));
    // A customer is not in the workforce tenant.
    let elsewhere = h
        .password_at(
            d::CONTOSO_DOMAIN,
            d::CLI_CLIENT_ID,
            d::CIAM_USER,
            d::PASSWORD,
            SCOPES,
            &[],
        )
        .await;
    assert_eq!(elsewhere.code(), 50034, "{}", elsewhere.text);
}

async fn instance(h: &Harness, authorization_endpoint: &str) -> Answer {
    let url = format!(
        "/common/discovery/instance?api-version=1.1&authorization_endpoint={}",
        percent_encode(authorization_endpoint)
    );
    h.get(&url).await
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn instance_discovery_refuses_hosts_it_does_not_know() {
    let h = start_with(
        Config::new(Fixture::default())
            .seed(42)
            .hostname(d::CONTOSO_B2C_HOST),
    )
    .await;
    for known in [
        format!("{}/organizations/oauth2/v2.0/authorize", h.idp.base_url()),
        "https://login.microsoftonline.us/contoso.com/oauth2/v2.0/authorize".to_owned(),
        "https://login.chinacloudapi.cn/common/oauth2/v2.0/authorize".to_owned(),
        format!("https://{}/x/oauth2/v2.0/authorize", d::CONTOSO_B2C_HOST),
    ] {
        let a = instance(&h, &known).await;
        assert_eq!(a.status, 200, "{known}: {}", a.text);
        assert!(a.json["tenant_discovery_endpoint"].as_str().is_some());
    }
    for unknown in [
        "https://evil.example/contoso.com/oauth2/v2.0/authorize",
        // Retired: the German cloud.
        "https://login.microsoftonline.de/common/oauth2/v2.0/authorize",
        "https://localhost.evil.example/common/oauth2/v2.0/authorize",
    ] {
        let a = instance(&h, unknown).await;
        assert_eq!(
            a.outcome(),
            (400, "invalid_instance", 50049, None),
            "{unknown}: {}",
            a.text
        );
        assert!(
            a.json["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS50049: Unknown or invalid instance.")
        );
    }
}

#[tokio::test]
async fn hostname_puts_a_real_authority_host_in_the_certificate() {
    let idp = MockIdp::start(
        Config::new(Fixture::default())
            .seed(42)
            .hostname(d::CONTOSO_B2C_HOST)
            .hostname("ContosoCIAM.ciamlogin.com"),
    )
    .await
    .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in
        <rustls_pki_types::CertificateDer<'_> as rustls_pki_types::pem::PemObject>::pem_slice_iter(
            idp.ca_pem().as_bytes(),
        )
    {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], idp.port()));
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .resolve(d::CONTOSO_B2C_HOST, loopback)
        .resolve(d::CONTOSO_CIAM_HOST, loopback)
        .build()
        .unwrap();
    let host = format!("https://{}:{}", d::CONTOSO_B2C_HOST, idp.port());
    let url = format!(
        "{host}/{}/{}/v2.0/.well-known/openid-configuration",
        d::CONTOSO_B2C_DOMAIN,
        d::B2C_ROPC_POLICY
    );
    let config: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        config["issuer"],
        format!("{host}/{}/v2.0/", d::CONTOSO_B2C_TENANT_ID)
    );
    let ciam = format!(
        "https://{}:{}/{}/v2.0/.well-known/openid-configuration",
        d::CONTOSO_CIAM_HOST,
        idp.port(),
        d::CONTOSO_CIAM_DOMAIN
    );
    let response = client.get(&ciam).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_bad_hostname_is_refused_naming_it() {
    for bad in [
        "",
        "a b.example",
        "-x.example",
        "x..example",
        "evil.example/path",
    ] {
        let err = MockIdp::start(Config::new(Fixture::default()).hostname(bad))
            .await
            .expect_err(bad);
        assert!(
            matches!(&err, StartError::Setup(text) if text.contains(&format!("'{bad}'"))),
            "{err}"
        );
    }
}

/// A B2C or ADFS error body with its port and per-request ids replaced.
fn snapshot(name: &str, answer: &Answer, port: u16) {
    let text = answer.json.to_string().replace(&port.to_string(), "PORT");
    let body: Value = serde_json::from_str(&text).expect("still JSON");
    insta::assert_json_snapshot!(name, body, {
        ".trace_id" => "[trace_id]",
        ".correlation_id" => "[correlation_id]",
        ".error_description" => insta::dynamic_redaction(|value, _| {
            let text = value.as_str().unwrap_or_default();
            let end = ["\r\nTrace ID:", "\r\nCorrelation ID:"]
                .iter()
                .filter_map(|marker| text.find(marker))
                .min();
            match end {
                Some(end) => format!("{}\r\n[ids]", text.get(..end).unwrap_or_default()),
                None => text.to_owned(),
            }
        }),
    });
}

#[tokio::test]
async fn error_bodies_of_the_new_kinds() {
    let h = start().await;
    let port = h.idp.port();
    let a = b2c_password(&h, d::B2C_CLIENT_ID, d::B2C_USER, "wrong").await;
    snapshot("b2c_wrong_password", &a, port);
    let a = b2c_password(&h, d::B2C_WEB_CLIENT_ID, d::B2C_USER, d::PASSWORD).await;
    snapshot("b2c_app_without_public_client_flows", &a, port);
    let a = h
        .get(&format!(
            "/{}/B2C_1_nope/v2.0/.well-known/openid-configuration",
            d::CONTOSO_B2C_DOMAIN
        ))
        .await;
    snapshot("b2c_unknown_policy", &a, port);
    let a = adfs_password(&h, d::FEDUSER, "wrong").await;
    snapshot("adfs_authority_wrong_password", &a, port);
    let a = instance(&h, "https://evil.example/contoso.com/oauth2/v2.0/authorize").await;
    snapshot("instance_discovery_unknown_host", &a, port);
}
