//! XML from a hostile or broken federation server: nesting deep enough to overflow the
//! XML reader's 16-bit depth counter is refused with a typed error, never a panic, in
//! the MEX parser and the WS-Trust response parser (the assertion included); and the
//! federated path never reaches a server over plain http.

use entra_protocol as p;

const MEX_ADFS: &str = include_str!("data/mex-adfs.xml");

fn response(status: u16, body: &[u8]) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.to_vec())
        .expect("a valid response")
}

/// `<a>` nested `levels` deep inside `prefix ... suffix`.
fn nested(prefix: &str, levels: usize, suffix: &str) -> Vec<u8> {
    format!(
        "{prefix}{}{}{suffix}",
        "<a>".repeat(levels),
        "</a>".repeat(levels)
    )
    .into_bytes()
}

fn assert_too_deep(case: &str, result: Result<impl std::fmt::Debug, p::ProtocolError>) {
    let e = result.expect_err(case);
    assert!(
        e.to_string().contains("nest deeper than 256 levels"),
        "{case}: {e}"
    );
}

#[test]
fn nesting_past_the_xml_readers_counter_is_refused_not_a_panic() {
    let deep = nested("", 70_000, "");
    assert_too_deep("MEX", p::ws_trust::mex_endpoints(&deep));
    assert_too_deep("MEX response", p::parse_mex(&response(200, &deep)));
    assert_too_deep(
        "WS-Trust response",
        p::parse_ws_trust_response(&response(200, &deep)),
    );
    // On a 500 the status says what failed; the body is not quoted.
    let e = p::parse_ws_trust_response(&response(500, &deep)).expect_err("500");
    assert!(
        matches!(e, p::ProtocolError::UnexpectedResponse { status: 500, .. }),
        "{e:?}"
    );
    // Inside the assertion, which is otherwise copied out unread.
    let in_assertion = nested(
        "<t:RequestSecurityTokenResponse xmlns:t=\"urn:t\"><t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType><t:RequestedSecurityToken>",
        70_000,
        "</t:RequestedSecurityToken></t:RequestSecurityTokenResponse>",
    );
    assert_too_deep(
        "assertion",
        p::parse_ws_trust_response(&response(200, &in_assertion)),
    );
}

#[test]
fn nesting_just_past_the_limit_is_refused_and_up_to_it_is_read() {
    assert_too_deep(
        "257 levels",
        p::ws_trust::mex_endpoints(&nested("", 257, "")),
    );
    assert_eq!(
        p::ws_trust::mex_endpoints(&nested("", 256, "")).expect("256 levels are read"),
        []
    );
    // A real document keeps working with deep but legal padding inside it.
    let padded = MEX_ADFS.replacen(
        "<wsdl:service",
        &format!("{}{}<wsdl:service", "<x>".repeat(200), "</x>".repeat(200)),
        1,
    );
    assert_eq!(
        p::ws_trust::mex_endpoints(padded.as_bytes())
            .expect("padded MEX")
            .len(),
        2
    );
}

#[test]
fn mex_is_never_fetched_over_plain_http() {
    for url in [
        "http://fs.fabrikam.com/adfs/services/trust/mex",
        "HTTP://fs.fabrikam.com/adfs/services/trust/mex",
        "http://127.0.0.1:8080/adfs/services/trust/mex",
        "ftp://fs.fabrikam.com/mex",
        "not a url",
    ] {
        let e = p::mex_request(url, uuid::Uuid::nil(), &p::LibraryInfo::default()).expect_err(url);
        assert!(e.to_string().contains("not https"), "{url}: {e}");
    }
    assert!(
        p::mex_request(
            "https://fs.fabrikam.com/adfs/services/trust/mex",
            uuid::Uuid::nil(),
            &p::LibraryInfo::default()
        )
        .is_ok()
    );
}

#[test]
fn a_ws_trust_endpoint_over_plain_http_is_refused_wherever_it_comes_from() {
    // Named by MEX: never picked, even when nothing else is offered.
    let http_only = MEX_ADFS.replace("https://fs.fabrikam.com", "http://fs.fabrikam.com");
    let e = p::parse_mex(&response(200, http_only.as_bytes())).expect_err("http only");
    assert!(e.to_string().contains("endpoint over https"), "{e}");
    // From the user realm's active endpoint.
    let e = p::WsTrustEndpoint::from_active_auth_url(
        "http://fs.fabrikam.com/adfs/services/trust/13/usernamemixed",
    )
    .expect_err("http active endpoint");
    assert!(e.to_string().contains("not https"), "{e}");
    // Built by hand: the envelope carrying the password is never addressed to it.
    let endpoint = p::WsTrustEndpoint {
        address: "http://fs.fabrikam.com/adfs/services/trust/13/usernamemixed".to_owned(),
        version: p::WsTrustVersion::V13,
    };
    let e = p::ws_trust_request(
        &endpoint,
        "feduser@fabrikam.com",
        &p::secrecy::SecretString::from("Pa$$ w0rd"),
        "urn:federation:MicrosoftOnline",
        uuid::Uuid::nil(),
        std::time::UNIX_EPOCH,
    )
    .expect_err("http endpoint");
    assert!(e.to_string().contains("not https"), "{e}");
}
