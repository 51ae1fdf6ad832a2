//! The mock ADFS (MEX, WS-Trust 1.3 and 2005, faults) and the SAML bearer grants.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Answer, Harness, SCOPES, claims, start, start_with};
use mock_idp::admin::UserStateChange;
use mock_idp::default_fixture as d;
use mock_idp::{
    Config, DECOY_PATHS, Fixture, MEX_PATH, SamlVersion, USERNAME_MIXED_13_PATH,
    USERNAME_MIXED_2005_PATH,
};

const SAML11_GRANT: &str = "urn:ietf:params:oauth:grant-type:saml1_1-bearer";
const SAML2_GRANT: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";
const AUDIENCE: &str = "urn:federation:MicrosoftOnline";

#[derive(Clone, Copy)]
enum Version {
    V13,
    V2005,
}

impl Version {
    fn action(self) -> &'static str {
        match self {
            Self::V13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue",
            Self::V2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::V13 => USERNAME_MIXED_13_PATH,
            Self::V2005 => USERNAME_MIXED_2005_PATH,
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A WS-Trust Issue request shaped like MSAL Python's.
fn envelope(version: Version, action: &str, username: &str, password: &str, to: &str) -> String {
    let (wst, key_type, request_type) = match version {
        Version::V13 => (
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        ),
        Version::V2005 => (
            "http://schemas.xmlsoap.org/ws/2005/02/trust",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
            "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
        ),
    };
    format!(
        "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' xmlns:wsa='http://www.w3.org/2005/08/addressing' xmlns:wsu='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'>
  <s:Header>
    <wsa:Action s:mustUnderstand='1'>{action}</wsa:Action>
    <wsa:MessageID>urn:uuid:11111111-2222-4333-8444-555555555555</wsa:MessageID>
    <wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>
    <wsa:To s:mustUnderstand='1'>https://localhost{path}</wsa:To>
    <wsse:Security s:mustUnderstand='1' xmlns:wsse='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'>
      <wsu:Timestamp wsu:Id='_0'><wsu:Created>2026-01-01T00:00:00Z</wsu:Created><wsu:Expires>2026-01-01T00:10:00Z</wsu:Expires></wsu:Timestamp>
      <wsse:UsernameToken wsu:Id='ADALUsernameToken'><wsse:Username>{username}</wsse:Username><wsse:Password>{password}</wsse:Password></wsse:UsernameToken>
    </wsse:Security>
  </s:Header>
  <s:Body>
    <wst:RequestSecurityToken xmlns:wst='{wst}'>
      <wsp:AppliesTo xmlns:wsp='http://schemas.xmlsoap.org/ws/2004/09/policy'><wsa:EndpointReference><wsa:Address>{to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>
      <wst:KeyType>{key_type}</wst:KeyType>
      <wst:RequestType>{request_type}</wst:RequestType>
    </wst:RequestSecurityToken>
  </s:Body>
</s:Envelope>",
        path = version.path(),
        username = escape(username),
        password = escape(password),
    )
}

impl Harness {
    async fn ws_trust_as(
        &self,
        version: Version,
        action: &str,
        username: &str,
        password: &str,
    ) -> Answer {
        self.post_raw(
            version.path(),
            "application/soap+xml; charset=utf-8",
            envelope(version, action, username, password, AUDIENCE).into_bytes(),
        )
        .await
    }

    async fn ws_trust(&self, version: Version, username: &str, password: &str) -> Answer {
        self.ws_trust_as(version, version.action(), username, password)
            .await
    }

    async fn saml_grant(&self, grant_type: &str, assertion: &str) -> Answer {
        self.post_form(
            "/organizations/oauth2/v2.0/token",
            &[
                ("client_id", d::CLI_CLIENT_ID),
                ("grant_type", grant_type),
                ("client_info", "1"),
                ("assertion", assertion),
                ("scope", SCOPES),
            ],
        )
        .await
    }
}

/// The raw content of `RequestedSecurityToken`, as clients take it.
fn assertion_of(rstr: &str) -> String {
    let start = rstr.find(":RequestedSecurityToken>").unwrap() + ":RequestedSecurityToken>".len();
    let end = rstr.find("</t:RequestedSecurityToken>").unwrap();
    rstr[start..end].to_owned()
}

fn fault_of(answer: &Answer) -> (u16, String, String) {
    let between = |open: &str, close: &str| {
        let text = &answer.text;
        let start = text.find(open).map(|i| i + open.len()).unwrap_or(0);
        let end = text[start..].find(close).map_or(start, |i| start + i);
        text[start..end].to_owned()
    };
    let subcode = between("<s:Subcode><s:Value", "</s:Value>");
    let subcode = subcode.rsplit('>').next().unwrap_or_default().to_owned();
    (
        answer.status,
        subcode,
        between("<s:Text xml:lang=\"en-US\">", "</s:Text>"),
    )
}

fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("not well-formed: {err}\n{xml}"),
        }
    }
}

#[tokio::test]
async fn mex_offers_both_username_endpoints_over_https_and_the_decoys() {
    let h = start().await;
    let mex = h.get(MEX_PATH).await;
    assert_eq!(mex.status, 200);
    assert_eq!(
        mex.headers["content-type"].to_str().unwrap(),
        "text/xml; charset=utf-8"
    );
    well_formed(&mex.text);
    let base = h.idp.base_url();
    for path in [
        USERNAME_MIXED_13_PATH,
        USERNAME_MIXED_2005_PATH,
        DECOY_PATHS[0],
        DECOY_PATHS[1],
    ] {
        assert!(
            mex.text
                .contains(&format!("<wsa10:Address>{base}{path}</wsa10:Address>")),
            "{path}"
        );
    }
    let http = format!("http://localhost:{}{}", h.idp.port(), DECOY_PATHS[2]);
    assert!(
        mex.text
            .contains(&format!("<wsa10:Address>{http}</wsa10:Address>"))
    );
    let redacted = mex.text.replace(&h.idp.port().to_string(), "[PORT]");
    insta::assert_snapshot!("mex", redacted);
}

#[tokio::test]
async fn ws_trust_13_answers_a_signed_saml_1_1_assertion() {
    let h = start().await;
    let a = h.ws_trust(Version::V13, d::FEDUSER, d::PASSWORD).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.headers["content-type"].to_str().unwrap(),
        "application/soap+xml; charset=utf-8"
    );
    well_formed(&a.text);
    assert!(a.text.contains("<t:RequestSecurityTokenResponseCollection"));
    assert!(
        a.text
            .contains("<t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType>")
    );
    assert!(
        a.text
            .contains("<a:RelatesTo>urn:uuid:11111111-2222-4333-8444-555555555555</a:RelatesTo>")
    );
    let assertion = assertion_of(&a.text);
    assert!(
        assertion
            .starts_with("<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\"")
    );
    assert!(assertion.contains("Issuer=\"http://fabrikam.com/adfs/services/trust/\""));
    assert!(assertion.contains("<saml:AttributeValue>feduser@fabrikam.com</saml:AttributeValue>"));
    assert!(assertion.contains("<ds:SignatureValue>"));
    assert!(assertion.is_ascii());
    // The request log keeps no piece of the SOAP body, yet knows it carried the password.
    let log = h.idp.admin().requests().await.unwrap();
    assert!(log[0].carried_password);
    assert!(log[0].form.is_empty(), "{:?}", log[0].form);
}

#[tokio::test]
async fn ws_trust_2005_answers_a_single_response() {
    let h = start().await;
    let a = h.ws_trust(Version::V2005, d::FEDUSER, d::PASSWORD).await;
    assert_eq!(a.status, 200, "{}", a.text);
    well_formed(&a.text);
    assert!(a.text.contains(
        "<t:RequestSecurityTokenResponse xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/trust\">"
    ));
    assert!(!a.text.contains("Collection"));
    assert!(a.text.contains(
        "<t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType>"
    ));
    let grant = h
        .saml_grant(SAML11_GRANT, &URL_SAFE_NO_PAD.encode(assertion_of(&a.text)))
        .await;
    assert_eq!(grant.status, 200, "{}", grant.text);
}

#[tokio::test]
async fn ws_trust_faults_say_why_like_adfs() {
    let h = start().await;
    let wrong = h.ws_trust(Version::V13, d::FEDUSER, "wrong").await;
    assert_eq!(
        fault_of(&wrong),
        (
            500,
            "a:FailedAuthentication".into(),
            "ID3242: The security token could not be authenticated or authorized.".into()
        )
    );
    insta::assert_snapshot!("wrong_password_fault", wrong.text);
    for user in ["ghost@fabrikam.com", d::ALICE] {
        let a = h.ws_trust(Version::V13, user, d::PASSWORD).await;
        assert_eq!(fault_of(&a).1, "a:FailedAuthentication", "{user}");
    }
    for (change, word) in [
        (
            UserStateChange {
                locked: Some(true),
                ..Default::default()
            },
            "locked",
        ),
        (
            UserStateChange {
                locked: Some(false),
                disabled: Some(true),
                ..Default::default()
            },
            "disabled",
        ),
        (
            UserStateChange {
                disabled: Some(false),
                password_expired: Some(true),
                ..Default::default()
            },
            "expired",
        ),
    ] {
        h.idp
            .admin()
            .set_user_state(d::FEDUSER, &change)
            .await
            .unwrap();
        let a = h.ws_trust(Version::V2005, d::FEDUSER, d::PASSWORD).await;
        let (status, subcode, reason) = fault_of(&a);
        assert_eq!((status, subcode.as_str()), (500, "a:FailedAuthentication"));
        assert!(reason.contains(word), "{reason}");
    }
    let mismatch = h
        .ws_trust_as(
            Version::V13,
            Version::V2005.action(),
            d::FEDUSER,
            d::PASSWORD,
        )
        .await;
    assert_eq!(fault_of(&mismatch).1, "a:ActionNotSupported");
    let other_rp = h
        .post_raw(
            USERNAME_MIXED_13_PATH,
            "application/soap+xml",
            envelope(
                Version::V13,
                Version::V13.action(),
                d::FEDUSER,
                d::PASSWORD,
                "urn:other",
            )
            .into_bytes(),
        )
        .await;
    assert!(
        fault_of(&other_rp).2.starts_with("MSIS7007"),
        "{}",
        other_rp.text
    );
    let garbage = h
        .post_raw(
            USERNAME_MIXED_13_PATH,
            "application/soap+xml",
            b"<s:Envelope".to_vec(),
        )
        .await;
    assert_eq!(fault_of(&garbage).1, "a:InvalidRequest");
    let form = h.post_form(USERNAME_MIXED_13_PATH, &[("a", "b")]).await;
    assert_eq!(form.status, 415);
}

#[tokio::test]
async fn decoy_endpoints_answer_a_fault_and_are_logged() {
    let h = start().await;
    for path in DECOY_PATHS {
        let a = h
            .post_raw(
                path,
                "application/soap+xml",
                envelope(
                    Version::V13,
                    Version::V13.action(),
                    d::FEDUSER,
                    d::PASSWORD,
                    AUDIENCE,
                )
                .into_bytes(),
            )
            .await;
        assert_eq!(a.status, 500);
        assert!(fault_of(&a).2.contains("decoy"));
    }
    let log = h.idp.admin().requests().await.unwrap();
    let paths: Vec<_> = log.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, DECOY_PATHS);
}

#[tokio::test]
async fn the_saml_bearer_grant_issues_tokens_for_the_federated_user() {
    let h = start().await;
    let rstr = h.ws_trust(Version::V13, d::FEDUSER, d::PASSWORD).await;
    let assertion = assertion_of(&rstr.text);
    // MSAL Python sends base64url without padding, MSAL.NET base64 with padding.
    let mut refresh_token = String::new();
    for encoded in [
        URL_SAFE_NO_PAD.encode(&assertion),
        STANDARD.encode(&assertion),
    ] {
        let a = h.saml_grant(SAML11_GRANT, &encoded).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let id_token = claims(a.json["id_token"].as_str().unwrap());
        assert_eq!(id_token["preferred_username"], d::FEDUSER);
        assert_eq!(id_token["tid"], d::FABRIKAM_TENANT_ID);
        assert_eq!(id_token["oid"], d::FEDUSER_OID);
        assert!(a.json["refresh_token"].as_str().is_some());
        let info = URL_SAFE_NO_PAD
            .decode(a.json["client_info"].as_str().unwrap())
            .unwrap();
        let info: serde_json::Value = serde_json::from_slice(&info).unwrap();
        assert_eq!(info["uid"], d::FEDUSER_OID);
        refresh_token = a.json["refresh_token"].as_str().unwrap().to_owned();
    }
    let refreshed = h.refresh(d::CLI_CLIENT_ID, &refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
}

#[tokio::test]
async fn a_tampered_assertion_is_refused_with_50006() {
    let h = start().await;
    let rstr = h.ws_trust(Version::V13, d::FEDUSER, d::PASSWORD).await;
    let assertion = assertion_of(&rstr.text).replace("feduser@", "alice@");
    let a = h
        .saml_grant(SAML11_GRANT, &URL_SAFE_NO_PAD.encode(&assertion))
        .await;
    assert_eq!(
        a.outcome(),
        (400, "invalid_grant", 50006, None),
        "{}",
        a.text
    );
    let garbage = h.saml_grant(SAML11_GRANT, "PGE-").await;
    assert_eq!(garbage.outcome(), (400, "invalid_grant", 50008, None));
}

#[tokio::test]
async fn an_expired_assertion_is_refused_with_50013() {
    let h = start().await;
    let rstr = h.ws_trust(Version::V13, d::FEDUSER, d::PASSWORD).await;
    let assertion = URL_SAFE_NO_PAD.encode(assertion_of(&rstr.text));
    h.idp
        .admin()
        .advance_clock(Duration::from_secs(3600 + 301))
        .await
        .unwrap();
    let a = h.saml_grant(SAML11_GRANT, &assertion).await;
    assert_eq!(
        a.outcome(),
        (400, "invalid_grant", 50013, None),
        "{}",
        a.text
    );
}

#[tokio::test]
async fn a_saml_2_0_tenant_gets_saml_2_0_for_the_saml2_grant_only() {
    let mut fixture = Fixture::default();
    fixture.tenants[1].saml_version = SamlVersion::V2_0;
    let h = start_with(Config::new(fixture).seed(42)).await;
    let rstr = h.ws_trust(Version::V13, d::FEDUSER, d::PASSWORD).await;
    assert!(
        rstr.text
            .contains("<t:TokenType>urn:oasis:names:tc:SAML:2.0:assertion</t:TokenType>")
    );
    let assertion = assertion_of(&rstr.text);
    assert!(assertion.starts_with("<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\""));
    let encoded = URL_SAFE_NO_PAD.encode(&assertion);
    let wrong_grant = h.saml_grant(SAML11_GRANT, &encoded).await;
    assert_eq!(wrong_grant.outcome(), (400, "invalid_grant", 50008, None));
    let a = h.saml_grant(SAML2_GRANT, &encoded).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn saml_grants_are_refused_at_common_like_the_password_grant() {
    let h = start().await;
    let a = h
        .post_form(
            "/common/oauth2/v2.0/token",
            &[
                ("client_id", d::CLI_CLIENT_ID),
                ("grant_type", SAML11_GRANT),
                ("assertion", "x"),
            ],
        )
        .await;
    assert_eq!(a.outcome(), (400, "invalid_request", 9001023, None));
}
