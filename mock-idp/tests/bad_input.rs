//! Bad input never crashes mock-idp and never yields a bare 500: every case gets an
//! Entra-shaped error (or a JSON 404/405 for unknown routes).

mod common;

use common::{SCOPES, start};
use mock_idp::default_fixture as d;

const TOKEN: &str = "/organizations/oauth2/v2.0/token";
const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn missing_parameters_are_900144() {
    let h = start().await;
    let full = [
        ("grant_type", "password"),
        ("client_id", d::CLI_CLIENT_ID),
        ("username", d::ALICE),
        ("password", d::PASSWORD),
        ("scope", SCOPES),
    ];
    for skip in ["grant_type", "client_id", "username", "password", "scope"] {
        let form: Vec<_> = full.iter().filter(|(k, _)| *k != skip).copied().collect();
        let a = h.post_form(TOKEN, &form).await;
        assert_eq!(
            a.outcome(),
            (400, "invalid_request", 900144, None),
            "without {skip}"
        );
        assert!(
            a.json["error_description"]
                .as_str()
                .unwrap()
                .contains(&format!("'{skip}'"))
        );
    }
    let empty = h
        .post_form(TOKEN, &[("grant_type", "password"), ("client_id", "")])
        .await;
    assert_eq!(empty.code(), 900144);
    let refresh = h
        .post_form(
            TOKEN,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", d::CLI_CLIENT_ID),
            ],
        )
        .await;
    assert_eq!(refresh.code(), 900144);
}

#[tokio::test]
async fn duplicate_significant_parameters_are_9002313_and_others_are_ignored() {
    let h = start().await;
    let body = format!(
        "grant_type=password&client_id={}&username=a&username=b&password=x&scope=openid",
        d::CLI_CLIENT_ID
    );
    let a = h.post_raw(TOKEN, FORM, body.into_bytes()).await;
    assert_eq!(a.outcome(), (400, "invalid_request", 9002313, None));
    // MSAL Node's extra fields, twice even, are fine; so is a charset.
    let body = format!(
        "client-request-id=1&client-request-id=1&x-client-SKU=msal.js.node&response_type=token+id_token&grant_type=password&client_id={}&username={}&password=Pa%24%24+w0rd%26%3D%2B%C3%A9&scope=User.Read%20openid+profile%20offline_access",
        d::CLI_CLIENT_ID,
        d::ALICE
    );
    let ok = h
        .post_raw(
            TOKEN,
            "application/x-www-form-urlencoded;charset=utf-8",
            body.into_bytes(),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

#[tokio::test]
async fn unknown_grant_types_are_70003() {
    let h = start().await;
    for grant in ["authorization_code", "x"] {
        let a = h
            .post_form(
                TOKEN,
                &[("grant_type", grant), ("client_id", d::CLI_CLIENT_ID)],
            )
            .await;
        assert_eq!(
            a.outcome(),
            (400, "unsupported_grant_type", 70003, None),
            "{grant}"
        );
    }
}

#[tokio::test]
async fn wrong_media_types_and_undecodable_bodies_get_entra_errors() {
    let h = start().await;
    let json = h
        .post_raw(
            TOKEN,
            "application/json",
            br#"{"grant_type":"password"}"#.to_vec(),
        )
        .await;
    assert_eq!(json.outcome(), (400, "invalid_request", 900144, None));
    let latin1 = h
        .post_raw(TOKEN, FORM, b"grant_type=password&username=\xe9".to_vec())
        .await;
    assert_eq!(latin1.code(), 9002313);
    let bad_percent = h
        .post_raw(TOKEN, FORM, b"grant_type=password&username=%FF%FE".to_vec())
        .await;
    assert_eq!(bad_percent.code(), 9002313);
    let scopes = h
        .password(d::ALICE, d::PASSWORD, "https://unknown.example/.default")
        .await;
    assert_eq!(scopes.outcome(), (400, "invalid_resource", 500011, None));
    let mixed = h
        .password(
            d::ALICE,
            d::PASSWORD,
            "User.Read https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(mixed.code(), 70011);
}

#[tokio::test]
async fn an_oversized_body_is_413_with_an_entra_error() {
    let h = start().await;
    let body = format!(
        "grant_type=password&pad={}",
        "a".repeat(mock_idp::MAX_BODY_BYTES)
    );
    let a = h.post_raw(TOKEN, FORM, body.into_bytes()).await;
    assert_eq!(a.outcome(), (413, "invalid_request", 9002313, None));
    let log = h.idp.admin().requests().await.unwrap();
    assert_eq!(log[0].status, 413);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json() {
    let h = start().await;
    let a = h.get("/nowhere").await;
    assert_eq!(
        (a.status, a.json["error"].as_str()),
        (404, Some("not_found"))
    );
    let adfs = h.get("/adfs/services/trust/nowhere").await;
    assert_eq!(adfs.status, 404);
    let get_token = h.get(TOKEN).await;
    assert_eq!(
        (get_token.status, get_token.json["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
}
