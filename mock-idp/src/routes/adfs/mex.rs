//! The MEX document (WSDL with WS-Policy) of `/adfs/services/trust/mex`, shaped like
//! ADFS's: policies at the top, bindings referencing them, then the service's ports.
//!
//! It offers two username/password endpoints over https (WS-Trust 1.3 and 2005, a
//! `UsernameToken` over a `TransportBinding`) and decoys listed before them, each with a
//! WS-Trust 1.3 action, that a username/password client must never pick: Windows
//! transport (negotiate), a certificate endpoint, and a username endpoint over plain
//! http. WS-Trust 2005 comes before 1.3, so a client that takes the first usable
//! endpoint instead of preferring 1.3 shows too.

use super::{
    ACTION_13, ACTION_2005, CERTIFICATE_MIXED_PATH, HTTP_USERNAME_PATH, USERNAME_MIXED_13_PATH,
    USERNAME_MIXED_2005_PATH, WINDOWS_TRANSPORT_PATH,
};

const OPEN: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="SecurityTokenService" targetNamespace="http://tempuri.org/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702" xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy" xmlns:wsa10="http://www.w3.org/2005/08/addressing" xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http" xmlns:msc="http://schemas.microsoft.com/ws/2005/12/wsdl/contract" xmlns:tns="http://tempuri.org/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
"#;

/// A transport binding over https, in the given security-policy prefix.
fn transport(sp: &str) -> String {
    format!(
        r#"<{sp}:TransportBinding xmlns:{sp}="{ns}"><wsp:Policy><{sp}:TransportToken><wsp:Policy><{sp}:HttpsToken{req}/></wsp:Policy></{sp}:TransportToken><{sp}:AlgorithmSuite><wsp:Policy><{sp}:Basic256/></wsp:Policy></{sp}:AlgorithmSuite><{sp}:Layout><wsp:Policy><{sp}:Strict/></wsp:Policy></{sp}:Layout><{sp}:IncludeTimestamp/></wsp:Policy></{sp}:TransportBinding>"#,
        ns = if sp == "sp" {
            "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
        } else {
            "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
        },
        req = if sp == "sp" {
            ""
        } else {
            r#" RequireClientCertificate="false""#
        },
    )
}

fn policies() -> String {
    let sp = transport("sp");
    let sp2005 = transport("sp2005");
    format!(
        r#"  <wsp:Policy wsu:Id="CertificateWSTrustBinding_IWSTrust13Async_policy"><wsp:ExactlyOne><wsp:All>{sp}<sp:EndorsingSupportingTokens xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy><sp:X509Token sp:IncludeToken="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp:RequireThumbprintReference/><sp:WssX509V3Token10/></wsp:Policy></sp:X509Token></wsp:Policy></sp:EndorsingSupportingTokens><sp:Wss11 xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy/></sp:Wss11><sp:Trust13 xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy><sp:MustSupportIssuedTokens/><sp:RequireClientEntropy/><sp:RequireServerEntropy/></wsp:Policy></sp:Trust13><wsaw:UsingAddressing/></wsp:All></wsp:ExactlyOne></wsp:Policy>
  <wsp:Policy wsu:Id="WindowsTransportBinding_IWSTrust13Async_policy"><wsp:ExactlyOne><wsp:All><http:NegotiateAuthentication xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http"/>{sp2005}<wsaw:UsingAddressing/></wsp:All></wsp:ExactlyOne></wsp:Policy>
  <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrustFeb2005Async_policy"><wsp:ExactlyOne><wsp:All>{sp2005}<sp2005:SignedSupportingTokens xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"><wsp:Policy><sp2005:UsernameToken sp2005:IncludeToken="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp2005:WssUsernameToken10/></wsp:Policy></sp2005:UsernameToken></wsp:Policy></sp2005:SignedSupportingTokens><sp2005:EndorsingSupportingTokens xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"><wsp:Policy><sp2005:KeyValueToken sp2005:IncludeToken="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/Never" wsp:Optional="true"/></wsp:Policy></sp2005:EndorsingSupportingTokens><sp2005:Wss11 xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"><wsp:Policy/></sp2005:Wss11><sp2005:Trust10 xmlns:sp2005="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"><wsp:Policy><sp2005:MustSupportIssuedTokens/><sp2005:RequireClientEntropy/><sp2005:RequireServerEntropy/></wsp:Policy></sp2005:Trust10><wsaw:UsingAddressing/></wsp:All></wsp:ExactlyOne></wsp:Policy>
  <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrust13Async_policy"><wsp:ExactlyOne><wsp:All>{sp}<sp:SignedEncryptedSupportingTokens xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy><sp:UsernameToken sp:IncludeToken="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp:WssUsernameToken10/></wsp:Policy></sp:UsernameToken></wsp:Policy></sp:SignedEncryptedSupportingTokens><sp:Wss11 xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy/></sp:Wss11><sp:Trust13 xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"><wsp:Policy><sp:MustSupportIssuedTokens/><sp:RequireClientEntropy/><sp:RequireServerEntropy/></wsp:Policy></sp:Trust13><wsaw:UsingAddressing/></wsp:All></wsp:ExactlyOne></wsp:Policy>
"#
    )
}

const PORT_TYPES: &str = r#"  <wsdl:types><xsd:schema targetNamespace="http://tempuri.org/Imports"><xsd:import namespace="http://schemas.microsoft.com/Message"/><xsd:import namespace="http://schemas.xmlsoap.org/ws/2005/02/trust"/><xsd:import namespace="http://docs.oasis-open.org/ws-sx/ws-trust/200512"/></xsd:schema></wsdl:types>
  <wsdl:message name="IWSTrustFeb2005Async_TrustFeb2005IssueAsync_InputMessage"><wsdl:part name="request" element="t:RequestSecurityToken" xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"/></wsdl:message>
  <wsdl:message name="IWSTrustFeb2005Async_TrustFeb2005IssueAsync_OutputMessage"><wsdl:part name="TrustFeb2005IssueAsyncResult" element="t:RequestSecurityTokenResponse" xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"/></wsdl:message>
  <wsdl:message name="IWSTrust13Async_Trust13IssueAsync_InputMessage"><wsdl:part name="request" element="trust:RequestSecurityToken" xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"/></wsdl:message>
  <wsdl:message name="IWSTrust13Async_Trust13IssueAsync_OutputMessage"><wsdl:part name="Trust13IssueAsyncResult" element="trust:RequestSecurityTokenResponseCollection" xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"/></wsdl:message>
  <wsdl:portType name="IWSTrustFeb2005Async"><wsdl:operation name="TrustFeb2005IssueAsync"><wsdl:input wsaw:Action="http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue" message="tns:IWSTrustFeb2005Async_TrustFeb2005IssueAsync_InputMessage"/><wsdl:output wsaw:Action="http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue" message="tns:IWSTrustFeb2005Async_TrustFeb2005IssueAsync_OutputMessage"/></wsdl:operation></wsdl:portType>
  <wsdl:portType name="IWSTrust13Async"><wsdl:operation name="Trust13IssueAsync"><wsdl:input wsaw:Action="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue" message="tns:IWSTrust13Async_Trust13IssueAsync_InputMessage"/><wsdl:output wsaw:Action="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal" message="tns:IWSTrust13Async_Trust13IssueAsync_OutputMessage"/></wsdl:operation></wsdl:portType>
"#;

fn binding(name: &str, policy: &str, action: &str) -> String {
    let (port_type, operation) = if action == ACTION_13 {
        ("IWSTrust13Async", "Trust13IssueAsync")
    } else {
        ("IWSTrustFeb2005Async", "TrustFeb2005IssueAsync")
    };
    format!(
        r##"  <wsdl:binding name="{name}" type="tns:{port_type}"><wsp:PolicyReference URI="#{policy}"/><soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/><wsdl:operation name="{operation}"><soap12:operation soapAction="{action}" style="document"/><wsdl:input><soap12:body use="literal"/></wsdl:input><wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation></wsdl:binding>
"##
    )
}

fn port(name: &str, binding: &str, address: &str, identity: &str) -> String {
    format!(
        r#"    <wsdl:port name="{name}" binding="tns:{binding}"><soap12:address location="{address}"/><wsa10:EndpointReference><wsa10:Address>{address}</wsa10:Address>{identity}</wsa10:EndpointReference></wsdl:port>
"#
    )
}

/// The MEX document for a server reached at `host` (`host:port`).
pub(super) fn document(host: &str) -> String {
    let https = |path: &str| format!("https://{host}{path}");
    let spn = format!(
        r#"<Identity xmlns="http://schemas.xmlsoap.org/ws/2006/02/addressingidentity"><Spn>host/{}</Spn></Identity>"#,
        host.split(':').next().unwrap_or(host)
    );
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(OPEN);
    out.push_str(&policies());
    out.push_str(PORT_TYPES);
    for (name, policy, action) in [
        (
            "CertificateWSTrustBinding_IWSTrust13Async",
            "CertificateWSTrustBinding_IWSTrust13Async_policy",
            ACTION_13,
        ),
        (
            "WindowsTransportBinding_IWSTrust13Async",
            "WindowsTransportBinding_IWSTrust13Async_policy",
            ACTION_13,
        ),
        (
            "UserNameWSTrustBinding_IWSTrust13Async1",
            "UserNameWSTrustBinding_IWSTrust13Async_policy",
            ACTION_13,
        ),
        (
            "UserNameWSTrustBinding_IWSTrustFeb2005Async",
            "UserNameWSTrustBinding_IWSTrustFeb2005Async_policy",
            ACTION_2005,
        ),
        (
            "UserNameWSTrustBinding_IWSTrust13Async",
            "UserNameWSTrustBinding_IWSTrust13Async_policy",
            ACTION_13,
        ),
    ] {
        out.push_str(&binding(name, policy, action));
    }
    out.push_str("  <wsdl:service name=\"SecurityTokenService\">\n");
    out.push_str(&port(
        "CertificateWSTrustBinding_IWSTrust13Async",
        "CertificateWSTrustBinding_IWSTrust13Async",
        &https(CERTIFICATE_MIXED_PATH),
        "",
    ));
    out.push_str(&port(
        "WindowsTransportBinding_IWSTrust13Async",
        "WindowsTransportBinding_IWSTrust13Async",
        &https(WINDOWS_TRANSPORT_PATH),
        &spn,
    ));
    out.push_str(&port(
        "UserNameWSTrustBinding_IWSTrust13Async1",
        "UserNameWSTrustBinding_IWSTrust13Async1",
        &format!("http://{host}{HTTP_USERNAME_PATH}"),
        "",
    ));
    out.push_str(&port(
        "UserNameWSTrustBinding_IWSTrustFeb2005Async",
        "UserNameWSTrustBinding_IWSTrustFeb2005Async",
        &https(USERNAME_MIXED_2005_PATH),
        "",
    ));
    out.push_str(&port(
        "UserNameWSTrustBinding_IWSTrust13Async",
        "UserNameWSTrustBinding_IWSTrust13Async",
        &https(USERNAME_MIXED_13_PATH),
        "",
    ));
    out.push_str("  </wsdl:service>\n</wsdl:definitions>\n");
    out
}
