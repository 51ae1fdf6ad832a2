//! MEX, envelope and RSTR tests on realistic documents (tests/data).

use std::time::{Duration, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::*;
use crate::test_support::render;

const MEX_ADFS: &[u8] = include_bytes!("../../tests/data/mex-adfs.xml");
const MEX_NONE: &[u8] = include_bytes!("../../tests/data/mex-no-username.xml");
const RSTR_SAML11: &[u8] = include_bytes!("../../tests/data/rstr-saml11.xml");
const RSTR_SAML20: &[u8] = include_bytes!("../../tests/data/rstr-saml20-2005.xml");
const RSTR_FAULT: &[u8] = include_bytes!("../../tests/data/rstr-fault.xml");

fn response(status: u16, body: &[u8]) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.to_vec())
        .unwrap()
}

#[test]
fn mex_lists_both_username_endpoints_and_skips_windows_transport() {
    let all = mex_endpoints(MEX_ADFS).unwrap();
    assert_eq!(
        all,
        [
            WsTrustEndpoint {
                address: "https://fs.fabrikam.com/adfs/services/trust/2005/usernamemixed".into(),
                version: WsTrustVersion::V2005
            },
            WsTrustEndpoint {
                address: "https://fs.fabrikam.com/adfs/services/trust/13/usernamemixed?a=1&b=2"
                    .into(),
                version: WsTrustVersion::V13
            },
        ]
    );
}

#[test]
fn mex_prefers_ws_trust_13() {
    let e = parse_mex(&response(200, MEX_ADFS)).unwrap();
    assert_eq!(e.version, WsTrustVersion::V13);
}

#[test]
fn mex_falls_back_to_2005() {
    let only_2005 = String::from_utf8(MEX_ADFS.to_vec())
        .unwrap()
        .replace("#UserNameWSTrustBinding_IWSTrust13Async_policy", "#missing");
    let e = parse_mex(&response(200, only_2005.as_bytes())).unwrap();
    assert_eq!(e.version, WsTrustVersion::V2005);
    assert!(e.address.ends_with("/trust/2005/usernamemixed"));
}

#[test]
fn mex_without_username_endpoint_is_refused() {
    let e = parse_mex(&response(200, MEX_NONE)).unwrap_err();
    assert!(matches!(e, ProtocolError::NoWsTrustEndpoint));
    insta::assert_snapshot!(e, @"the federation metadata offers no WS-Trust 1.3 or 2005 username/password endpoint over https");
}

#[test]
fn mex_errors_are_typed() {
    assert!(matches!(
        parse_mex(&response(200, b"<a><b></a>")),
        Err(ProtocolError::Xml { .. })
    ));
    assert!(matches!(
        parse_mex(&response(406, b"Not Acceptable")),
        Err(ProtocolError::UnexpectedResponse { status: 406, .. })
    ));
    assert!(matches!(
        parse_mex(&response(200, b"")),
        Err(ProtocolError::NoWsTrustEndpoint)
    ));
}

#[test]
fn envelope_escapes_every_value() {
    let endpoint = WsTrustEndpoint {
        address: "https://fs.fabrikam.com/adfs/services/trust/13/usernamemixed?a=1&b=2".into(),
        version: WsTrustVersion::V13,
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_714_557_600);
    let password = SecretString::from("<Pa$$ w0rd&=+é'\">");
    let r = ws_trust_request(
        &endpoint,
        "fed<user>&co@fabrikam.com",
        &password,
        "urn:federation:MicrosoftOnline",
        Uuid::from_u128(9),
        now,
    )
    .unwrap();
    let body = std::str::from_utf8(r.body()).unwrap();
    assert!(
        body.contains("<wsse:Password>&lt;Pa$$ w0rd&amp;=+é&apos;&quot;&gt;</wsse:Password>"),
        "{body}"
    );
    assert!(body.contains("<wsse:Username>fed&lt;user&gt;&amp;co@fabrikam.com</wsse:Username>"));
    assert!(body.contains("<wsa:To s:mustUnderstand=\"1\">https://fs.fabrikam.com/adfs/services/trust/13/usernamemixed?a=1&amp;b=2</wsa:To>"));
    // The envelope is well-formed XML, and the password reads back exactly.
    let mut reader = quick_xml::Reader::from_str(body);
    let mut text = String::new();
    let mut in_password = false;
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"wsse:Password" => {
                in_password = true
            }
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"wsse:Password" => {
                in_password = false
            }
            e @ (quick_xml::events::Event::Text(_) | quick_xml::events::Event::GeneralRef(_))
                if in_password =>
            {
                push_text(&mut text, &e).unwrap()
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(text, password.expose_secret());
    insta::assert_snapshot!(render(&r));
}

#[test]
fn envelope_2005_uses_its_namespace_and_key_type() {
    let endpoint = WsTrustEndpoint::from_active_auth_url(
        "https://fs.fabrikam.com/adfs/services/trust/2005/usernamemixed",
    )
    .unwrap();
    let r = ws_trust_request(
        &endpoint,
        "feduser@fabrikam.com",
        &SecretString::from("x"),
        "urn:federation:MicrosoftOnline",
        Uuid::nil(),
        UNIX_EPOCH,
    )
    .unwrap();
    let body = std::str::from_utf8(r.body()).unwrap();
    assert_eq!(
        r.headers()["soapaction"],
        "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"
    );
    assert!(body.contains("xmlns:wst=\"http://schemas.xmlsoap.org/ws/2005/02/trust\""));
    assert!(body.contains("http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"));
    assert!(body.contains("<wsu:Created>1970-01-01T00:00:00Z</wsu:Created><wsu:Expires>1970-01-01T00:10:00Z</wsu:Expires>"));
}

#[test]
fn rstr_saml11_gives_raw_assertion_and_grant() {
    let a = parse_ws_trust_response(&response(200, RSTR_SAML11)).unwrap();
    assert_eq!(a.token_type, SamlTokenType::Saml11);
    assert_eq!(a.token_type.grant_type(), crate::token::GRANT_SAML1_1);
    let xml = a.xml.expose_secret();
    assert!(
        xml.starts_with("<saml:Assertion MajorVersion=\"1\""),
        "{xml}"
    );
    assert!(xml.ends_with("</saml:Assertion>"));
    assert!(
        xml.contains("feduser&amp;co"),
        "raw bytes, entities untouched"
    );
}

#[test]
fn rstr_2005_saml20() {
    let a = parse_ws_trust_response(&response(200, RSTR_SAML20)).unwrap();
    assert_eq!(a.token_type, SamlTokenType::Saml20);
    assert!(
        a.xml
            .expose_secret()
            .starts_with("<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\"")
    );
}

#[test]
fn soap_fault_is_typed_even_with_500() {
    let e = parse_ws_trust_response(&response(500, RSTR_FAULT)).unwrap_err();
    insta::assert_snapshot!(e, @"WS-Trust fault s:Sender (a:FailedAuthentication): MSIS3127: The specified request failed & was rejected.");
}

#[test]
fn rstr_oddities_are_typed() {
    let unknown = String::from_utf8(RSTR_SAML20.to_vec()).unwrap().replace(
        "urn:oasis:names:tc:SAML:2.0:assertion</t:TokenType>",
        "urn:example:jwt</t:TokenType>",
    );
    assert!(matches!(
        parse_ws_trust_response(&response(200, unknown.as_bytes())),
        Err(ProtocolError::UnknownSamlTokenType { .. })
    ));
    let no_token = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><t:RequestSecurityTokenResponse xmlns:t="urn:t"><t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType></t:RequestSecurityTokenResponse></s:Body></s:Envelope>"#;
    assert!(matches!(
        parse_ws_trust_response(&response(200, no_token)),
        Err(ProtocolError::MissingField { .. })
    ));
    assert!(matches!(
        parse_ws_trust_response(&response(503, b"<html>busy")),
        Err(ProtocolError::UnexpectedResponse { status: 503, .. })
    ));
}

#[test]
fn nesting_past_the_limit_is_xml_too_deep() {
    let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
    let e = mex_endpoints(deep.as_bytes()).unwrap_err();
    assert!(matches!(
        e,
        ProtocolError::XmlTooDeep {
            limit: MAX_XML_DEPTH,
            ..
        }
    ));
    insta::assert_snapshot!(e, @"malformed MEX metadata: elements nest deeper than 256 levels");
    let e = parse_ws_trust_response(&response(200, deep.as_bytes())).unwrap_err();
    insta::assert_snapshot!(e, @"malformed WS-Trust response: elements nest deeper than 256 levels");
}

#[test]
fn plain_http_on_the_federated_path_is_insecure_url() {
    let e = mex_request(
        "http://fs.fabrikam.com/adfs/services/trust/mex",
        Uuid::nil(),
        &crate::test_support::library(),
    )
    .unwrap_err();
    assert!(matches!(e, ProtocolError::InsecureUrl { .. }));
    insta::assert_snapshot!(e, @r#"refused the federation metadata (MEX) URL "http://fs.fabrikam.com/adfs/services/trust/mex": it is not https, and whoever can alter a plain http exchange could choose the server that receives the password; nothing was sent to it"#);
    let e = WsTrustEndpoint::from_active_auth_url(
        "http://fs.fabrikam.com/adfs/services/trust/13/usernamemixed",
    )
    .unwrap_err();
    assert!(matches!(e, ProtocolError::InsecureUrl { .. }), "{e:?}");
}

#[test]
fn namespace_prefixes_are_scoped_to_their_element() {
    // `wsdl` rebound to another namespace inside one element: the binding declared
    // there is not a WSDL binding; outside it the document reads as before.
    let doc = String::from_utf8(MEX_ADFS.to_vec()).unwrap().replacen(
        "<wsdl:service",
        "<x xmlns:wsdl=\"urn:not-wsdl\"><wsdl:binding name=\"UserNameWSTrustBinding_IWSTrust13Async\"/></x><wsdl:service",
        1,
    );
    assert_eq!(
        mex_endpoints(doc.as_bytes()).unwrap(),
        mex_endpoints(MEX_ADFS).unwrap()
    );
}
