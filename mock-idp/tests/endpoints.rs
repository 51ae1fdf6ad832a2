//! Discovery, user realm, JWKS, and the refresh token and client credentials grants.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{SCOPES, claims, start};
use mock_idp::default_fixture as d;
use serde_json::json;

#[tokio::test]
async fn oidc_discovery_builds_every_url_from_the_host_used() {
    let h = start().await;
    let base = h.idp.base_url().to_owned();
    let by_guid = h
        .get(&format!(
            "/{}/v2.0/.well-known/openid-configuration",
            d::CONTOSO_TENANT_ID
        ))
        .await;
    let by_domain = h
        .get("/contoso.com/v2.0/.well-known/openid-configuration")
        .await;
    for doc in [&by_guid.json, &by_domain.json] {
        assert_eq!(
            doc["issuer"],
            format!("{base}/{}/v2.0", d::CONTOSO_TENANT_ID)
        );
        assert_eq!(
            doc["token_endpoint"],
            format!("{base}/{}/oauth2/v2.0/token", d::CONTOSO_TENANT_ID)
        );
        assert_eq!(
            doc["jwks_uri"],
            format!("{base}/{}/discovery/v2.0/keys", d::CONTOSO_TENANT_ID)
        );
        assert!(doc["authorization_endpoint"].as_str().is_some());
    }
    let orgs = h
        .get("/organizations/v2.0/.well-known/openid-configuration")
        .await;
    assert_eq!(
        orgs.json["token_endpoint"],
        format!("{base}/organizations/oauth2/v2.0/token")
    );
    assert_eq!(orgs.json["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    // Addressed as 127.0.0.1, it answers with 127.0.0.1.
    let ip = format!(
        "https://127.0.0.1:{}/organizations/v2.0/.well-known/openid-configuration",
        h.idp.port()
    );
    let doc: serde_json::Value = h.client.get(ip).send().await.unwrap().json().await.unwrap();
    assert!(
        doc["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://127.0.0.1:{}/", h.idp.port()))
    );
    let unknown = h
        .get("/nowhere.example/v2.0/.well-known/openid-configuration")
        .await;
    assert_eq!(unknown.outcome(), (400, "invalid_tenant", 90002, None));
}

#[tokio::test]
async fn instance_discovery_points_at_mock_idp_for_the_tenant_asked() {
    let h = start().await;
    let a = h
        .get("/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize")
        .await;
    assert_eq!(
        a.json["tenant_discovery_endpoint"],
        format!(
            "{}/contoso.com/v2.0/.well-known/openid-configuration",
            h.idp.base_url()
        )
    );
    assert_eq!(
        a.json["metadata"][0]["aliases"][0],
        format!("localhost:{}", h.idp.port())
    );
}

#[tokio::test]
async fn user_realm_answers_managed_federated_personal_and_unknown_never_404() {
    let h = start().await;
    let managed = h
        .get("/common/userrealm/alice@contoso.com?api-version=1.0")
        .await;
    assert_eq!(
        (
            managed.json["account_type"].as_str(),
            managed.json["domain_name"].as_str()
        ),
        (Some("Managed"), Some("contoso.com"))
    );
    let fed = h
        .get("/common/userrealm/feduser@fabrikam.com?api-version=1.0")
        .await;
    assert_eq!(fed.json["account_type"], "Federated");
    assert_eq!(
        fed.json["federation_metadata_url"],
        format!("{}/adfs/services/trust/mex", h.idp.base_url())
    );
    assert_eq!(
        fed.json["federation_active_auth_url"],
        format!("{}/adfs/services/trust/13/usernamemixed", h.idp.base_url())
    );
    for user in ["someone@outlook.com", "a@hotmail.com", "b@live.com"] {
        let msa = h
            .get(&format!("/common/UserRealm/{user}?api-version=1.0"))
            .await;
        assert_eq!(msa.json["account_type"], "Federated", "{user}");
        assert_eq!(msa.json["domain_name"], "live.com");
        assert_eq!(msa.json["federation_brand_name"], "MSA Realms");
        let metadata_url = msa.json["federation_metadata_url"].as_str().unwrap();
        assert!(metadata_url.starts_with(h.idp.base_url()), "{metadata_url}");
        let metadata = h.client.get(metadata_url).send().await.unwrap();
        assert_eq!(metadata.status(), 200);
        let text = metadata.text().await.unwrap();
        assert!(
            !text.contains("usernamemixed") && !text.contains("UsernameToken"),
            "{text}"
        );
    }
    // B2C and External ID local accounts are neither personal nor federated: a client
    // that asks (MSAL Python asks at a B2C or ciamlogin authority too) must go on with a
    // plain password grant, not look for a WS-Trust endpoint.
    for user in [
        "x@unknown.example",
        "no-at-sign",
        d::B2C_USER,
        d::B2C_LOCKED,
        d::CIAM_USER,
    ] {
        let unknown = h
            .get(&format!("/common/userrealm/{user}?api-version=1.0"))
            .await;
        assert_eq!(
            (unknown.status, unknown.json["account_type"].as_str()),
            (200, Some("Unknown")),
            "{user}"
        );
    }
    assert!(
        h.idp
            .admin()
            .requests()
            .await
            .unwrap()
            .iter()
            .all(|r| !r.carried_password)
    );
}

#[tokio::test]
async fn tokens_are_signed_by_a_key_in_the_jwks() {
    let h = start().await;
    let a = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    let jwks = h
        .get(&format!("/{}/discovery/v2.0/keys", d::CONTOSO_TENANT_ID))
        .await
        .json;
    let key = &jwks["keys"][0];
    for token in [&a.json["id_token"], &a.json["access_token"]] {
        let token = token.as_str().unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("RS256"), key["kid"].as_str())
        );
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
        ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .expect("signature verifies with the JWKS key");
    }
}

#[tokio::test]
async fn a_refresh_token_rotates_and_keeps_the_account() {
    let h = start().await;
    let first = h.password(d::ALICE, d::PASSWORD, SCOPES).await;
    let rt = first.json["refresh_token"].as_str().unwrap();
    let second = h.refresh(d::CLI_CLIENT_ID, rt).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.json["refresh_token"], first.json["refresh_token"]);
    assert_eq!(second.json["client_info"], first.json["client_info"]);
    assert_eq!(
        claims(second.json["id_token"].as_str().unwrap())["oid"],
        d::ALICE_OID
    );
    let other_client = h.refresh(d::DAEMON_CLIENT_ID, rt).await;
    assert_eq!(
        other_client.status, 401,
        "a confidential client must authenticate first"
    );
    let garbage = h.refresh(d::CLI_CLIENT_ID, "not-a-token").await;
    assert_eq!(garbage.outcome(), (400, "invalid_grant", 9002313, None));
}

fn assertion(aud: &str, now: u64, x5t_s256: Option<&str>) -> String {
    let claims = json!({"aud": aud, "iss": d::DAEMON_CLIENT_ID, "sub": d::DAEMON_CLIENT_ID,
        "jti": "1", "nbf": now, "exp": now + 600});
    common::daemon_assertion(&claims, x5t_s256)
}

#[tokio::test]
async fn client_credentials_with_a_secret_or_a_certificate() {
    let h = start().await;
    let path = format!("/{}/oauth2/v2.0/token", d::CONTOSO_TENANT_ID);
    let scope = "https://graph.microsoft.com/.default";
    let with_secret = h
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", d::DAEMON_CLIENT_ID),
                ("client_secret", d::DAEMON_SECRET),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(with_secret.status, 200, "{}", with_secret.text);
    assert!(
        with_secret.json.get("refresh_token").is_none()
            && with_secret.json.get("id_token").is_none()
    );
    assert_eq!(
        claims(with_secret.json["access_token"].as_str().unwrap())["idtyp"],
        "app"
    );
    let now = mock_idp::DETERMINISTIC_START;
    let aud = format!("{}{path}", h.idp.base_url());
    let jwt_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let send = |assertion: String| {
        let form = vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), d::DAEMON_CLIENT_ID.to_owned()),
            ("client_assertion_type".to_owned(), jwt_type.to_owned()),
            ("client_assertion".to_owned(), assertion),
            ("scope".to_owned(), scope.to_owned()),
        ];
        let request = h.client.post(h.url(&path)).form(&form);
        async move { common::Answer::from(request.send().await.unwrap()).await }
    };
    let good = send(assertion(&aud, now, None)).await;
    assert_eq!(good.status, 200, "{}", good.text);
    assert_eq!(
        claims(good.json["access_token"].as_str().unwrap())["azpacr"],
        "2"
    );
    assert_eq!(
        send(assertion(&aud, now, Some("AAAA"))).await.code(),
        700027
    );
    assert_eq!(
        send(assertion("https://elsewhere/token", now, None))
            .await
            .code(),
        50027
    );
    assert_eq!(send(assertion(&aud, now - 7200, None)).await.code(), 700024);
    let mut tampered = assertion(&aud, now, None);
    tampered.replace_range(tampered.len() - 6.., "AAAAAA");
    assert_eq!(send(tampered).await.code(), 700027);
    assert_eq!(
        send("garbage".into()).await.outcome(),
        (401, "invalid_client", 50027, None)
    );
    let user_scope = h
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", d::DAEMON_CLIENT_ID),
                ("client_secret", d::DAEMON_SECRET),
                ("scope", "User.Read"),
            ],
        )
        .await;
    assert_eq!(user_scope.outcome(), (400, "invalid_scope", 1002012, None));
    let public = h
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", d::CLI_CLIENT_ID),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(public.outcome(), (401, "invalid_client", 7000218, None));
    let orgs = h
        .post_form(
            "/organizations/oauth2/v2.0/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", d::DAEMON_CLIENT_ID),
                ("client_secret", d::DAEMON_SECRET),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(orgs.code(), 50059);
}
