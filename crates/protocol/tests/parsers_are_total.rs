//! Every parser is total: arbitrary bytes, arbitrary JSON-ish text and mutated real
//! documents give `Ok` or a typed error, never a panic.

use entra_protocol as p;
use proptest::prelude::*;

fn response(status: u16, body: Vec<u8>) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("retry-after", "5")
        .body(body)
        .expect("valid status")
}

/// Runs every parser on one body; returning proves none panicked.
fn feed(status: u16, body: &[u8]) {
    let r = response(status, body.to_vec());
    let _ = p::parse_token_response(&r).map_err(|e| (e.to_string(), e.class()));
    let _ = p::parse_error_response(&r).map(|e| {
        (
            e.to_string(),
            e.classify(),
            e.claims_challenge().map(str::len),
        )
    });
    let _ = p::parse_user_realm(&r).map(|u| (u.account_kind(), u.is_personal_account()));
    let _ = p::parse_oidc_configuration(&r).map(|c| c.token_endpoint_tenant());
    let _ = p::parse_instance_discovery(&r);
    let _ = p::parse_jwks(&r);
    let _ = p::parse_mex(&r);
    let _ = p::ws_trust::mex_endpoints(body);
    let _ = p::parse_ws_trust_response(&r).map(|a| a.encoded_for_grant());
    let text = String::from_utf8_lossy(body);
    let _ = p::decode_id_token(&text);
    let _ = p::decode_client_info(&text);
    let _ = p::Authority::parse(&text).map(|a| a.for_password_grant());
    let _ = p::WsTrustEndpoint::from_active_auth_url(&text);
    let _ = p::RetryAfter::parse(&text);
    let _ = p::merge_claims(Some(&text), &["cp1"]);
}

/// Text built from the pieces these documents are made of.
fn jsonish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("\"error\"".to_owned()),
        Just("\"error_codes\"".to_owned()),
        Just("\"access_token\"".to_owned()),
        Just("\"expires_in\"".to_owned()),
        Just("\"id_token\"".to_owned()),
        Just("\"client_info\"".to_owned()),
        Just("\"account_type\"".to_owned()),
        Just("\"domain_name\"".to_owned()),
        Just("\"keys\"".to_owned()),
        Just("\"token_endpoint\"".to_owned()),
        Just("\"metadata\"".to_owned()),
        Just("\"suberror\"".to_owned()),
        Just("-1".to_owned()),
        Just("1e999".to_owned()),
        Just("4294967296".to_owned()),
        Just("\"3599\"".to_owned()),
        Just("\"a.b.c\"".to_owned()),
        Just("\"AADSTS\"".to_owned()),
        Just("\"\\ud800\"".to_owned()),
        "\"[a-zA-Z0-9_.=-]{0,12}\"".prop_map(|s| s),
    ];
    prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

/// Text built from XML pieces of MEX and RSTR documents.
fn xmlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"),
        Just("</s:Envelope>"),
        Just("<s:Fault>"),
        Just("</s:Fault>"),
        Just("<s:Code>"),
        Just("</s:Code>"),
        Just("<s:Subcode>"),
        Just("</s:Subcode>"),
        Just("<s:Value>"),
        Just("</s:Value>"),
        Just("<s:Reason><s:Text>x"),
        Just("</s:Text></s:Reason>"),
        Just("<t:RequestSecurityTokenResponse>"),
        Just("</t:RequestSecurityTokenResponse>"),
        Just("<t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType>"),
        Just("<t:RequestedSecurityToken>"),
        Just("</t:RequestedSecurityToken>"),
        Just("<a>&amp;&#x1F600;&bogus;&#0;</a>"),
        Just("<![CDATA[x]]>"),
        Just(
            "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\" xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" xmlns:sp=\"http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702\" xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\" xmlns:wsa10=\"http://www.w3.org/2005/08/addressing\">"
        ),
        Just("<wsp:Policy wsu:Id=\"p\">"),
        Just("</wsp:Policy>"),
        Just("<sp:TransportBinding/>"),
        Just("<sp:SignedEncryptedSupportingTokens>"),
        Just("</sp:SignedEncryptedSupportingTokens>"),
        Just("<sp:WssUsernameToken10/>"),
        Just("<wsdl:binding name=\"b\">"),
        Just("</wsdl:binding>"),
        Just("<wsp:PolicyReference URI=\"#p\"/>"),
        Just("<soap12:binding transport=\"http://schemas.xmlsoap.org/soap/http\"/>"),
        Just(
            "<soap12:operation soapAction=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"/>"
        ),
        Just("<wsdl:service>"),
        Just("</wsdl:service>"),
        Just("<wsdl:port binding=\"tns:b\">"),
        Just("</wsdl:port>"),
        Just("<wsa10:EndpointReference><wsa10:Address>https://x/13/usernamemixed"),
        Just("</wsa10:Address></wsa10:EndpointReference>"),
        Just("<!DOCTYPE x [<!ENTITY e \"boom\">]>"),
        Just("<?xml version=\"1.0\"?>"),
        Just("<x a='1' a='2'>"),
        Just("</"),
    ];
    prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(status in prop_oneof![Just(200u16), Just(400), Just(401), Just(429), Just(500), Just(503)], body in prop::collection::vec(any::<u8>(), 0..512)) {
        feed(status, &body);
    }

    #[test]
    fn arbitrary_json_like_text(status in prop_oneof![Just(200u16), Just(400)], body in jsonish()) {
        feed(status, body.as_bytes());
    }

    #[test]
    fn arbitrary_xml_like_text(status in prop_oneof![Just(200u16), Just(500)], body in xmlish()) {
        feed(status, body.as_bytes());
    }

    #[test]
    fn truncated_real_documents(cut in 0usize..4000, which in 0usize..5) {
        let docs: [&[u8]; 5] = [
            include_bytes!("data/mex-adfs.xml"),
            include_bytes!("data/rstr-saml11.xml"),
            include_bytes!("data/rstr-fault.xml"),
            include_bytes!("data/jwks.json"),
            br#"{"token_type":"Bearer","scope":"User.Read openid","expires_in":"3599","access_token":"a","refresh_token":"r","id_token":"eyJhbGciOiJub25lIn0.eyJhdWQiOiJjIn0.","client_info":"eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ"}"#,
        ];
        let doc = docs[which];
        feed(200, &doc[..cut.min(doc.len())]);
    }
}
