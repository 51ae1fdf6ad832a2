//! How MEX parsing scales with hostile documents of about 1 MiB: each shape once, its
//! time printed. A measurement run by hand, never a timing assertion:
//!
//! ```text
//! cargo test --release -p entra-protocol --test mex_scaling -- --ignored --nocapture
//! ```
//!
//! Each case also checks what the parser answered, so the run proves the documents
//! were read (or refused) and not skipped.

use std::time::Instant;

use entra_protocol::ws_trust::mex_endpoints;

const MIB: usize = 1 << 20;

const HEAD: &str = r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:wsa10="http://www.w3.org/2005/08/addressing">"#;
const TAIL: &str = "</wsdl:definitions>";

/// `open` repeated, then `close` as often, inside `prefix ... suffix`, filling ~1 MiB.
fn nested(prefix: &str, open: &str, close: &str, suffix: &str) -> Vec<u8> {
    let n = MIB / (open.len() + close.len());
    format!(
        "{HEAD}{prefix}{}{}{suffix}{TAIL}",
        open.repeat(n),
        close.repeat(n)
    )
    .into_bytes()
}

/// One element with as many attributes as fit in ~1 MiB.
fn many_attributes() -> Vec<u8> {
    let mut s = String::from(HEAD);
    s.push_str("<wsdl:binding");
    let mut i = 0;
    while s.len() < MIB {
        s.push_str(&format!(" a{i}=\"x\""));
        i += 1;
    }
    s.push_str("/>");
    s.push_str(TAIL);
    s.into_bytes()
}

/// Many namespace prefixes declared at the root, then many elements using the first.
fn many_namespaces() -> Vec<u8> {
    let mut s = String::from(HEAD.trim_end_matches('>'));
    let mut i = 0;
    while s.len() < MIB / 2 {
        s.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
        i += 1;
    }
    s.push('>');
    while s.len() < MIB {
        s.push_str("<p0:x/>");
    }
    s.push_str(TAIL);
    s.into_bytes()
}

/// Many good policies, then many ports naming a binding that never appears.
fn many_policies_and_ports() -> Vec<u8> {
    let mut s = String::from(HEAD);
    let mut i = 0;
    while s.len() < MIB / 2 {
        s.push_str(&format!(
            "<wsp:Policy wsu:Id=\"p{i}\"><sp:TransportBinding/><sp:SignedSupportingTokens><sp:WssUsernameToken10/></sp:SignedSupportingTokens></wsp:Policy>"
        ));
        i += 1;
    }
    s.push_str("<wsdl:binding name=\"b\"><wsp:PolicyReference URI=\"#nope\"/><soap12:binding transport=\"http://schemas.xmlsoap.org/soap/http\"/><soap12:operation soapAction=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"/></wsdl:binding><wsdl:service>");
    while s.len() < MIB {
        s.push_str(
            "<wsdl:port binding=\"tns:b\"><soap12:address location=\"https://x/\"/></wsdl:port>",
        );
    }
    s.push_str("</wsdl:service>");
    s.push_str(TAIL);
    s.into_bytes()
}

#[test]
#[ignore = "a measurement: run by hand with --release --ignored --nocapture"]
fn mex_parsing_of_hostile_documents() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "deeply nested wsdl:port",
            nested(
                "<wsdl:service>",
                "<wsdl:port>",
                "</wsdl:port>",
                "</wsdl:service>",
            ),
        ),
        (
            "deeply nested sp:WssUsernameToken10 in a policy",
            nested(
                "<wsp:Policy wsu:Id=\"p\">",
                "<sp:WssUsernameToken10>",
                "</sp:WssUsernameToken10>",
                "</wsp:Policy>",
            ),
        ),
        ("one element with ~100k attributes", many_attributes()),
        ("~25k namespace prefixes", many_namespaces()),
        ("~3k policies and ~8k ports", many_policies_and_ports()),
    ];
    for (name, doc) in cases {
        let started = Instant::now();
        let result = mex_endpoints(&doc);
        let elapsed = started.elapsed();
        println!(
            "{name:<50} {:>5} KiB  {:>10.1} ms  {}",
            doc.len() / 1024,
            elapsed.as_secs_f64() * 1000.0,
            match &result {
                Ok(v) => format!("{} endpoints", v.len()),
                Err(e) => format!("error: {e}"),
            }
        );
        // None of these documents offers a usable endpoint.
        assert!(
            result.as_ref().map_or(true, Vec::is_empty),
            "{name}: {result:?}"
        );
    }
}
