//! The WS-Trust request as the mock ADFS reads it, and the SOAP 1.2 answers it writes:
//! the RequestSecurityTokenResponse carrying the SAML assertion, or a fault.

use secrecy::SecretString;

use super::WsTrust;
use crate::fixture::SamlVersion;
use crate::xml::Doc;

const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const NS_WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const NS_WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";

/// What the mock ADFS needs from an Issue request.
pub(super) struct IssueRequest {
    pub action: String,
    pub message_id: Option<String>,
    pub username: String,
    pub password: SecretString,
    pub applies_to: String,
    pub request_type: String,
}

/// Why a request could not be read: the fault's subcode and reason.
pub(super) struct Unreadable {
    pub subcode: &'static str,
    pub reason: String,
}

fn invalid(reason: impl Into<String>) -> Unreadable {
    Unreadable {
        subcode: "InvalidRequest",
        reason: reason.into(),
    }
}

/// Reads a SOAP 1.2 envelope carrying a WS-Trust Issue request of `version`.
pub(super) fn parse_issue(body: &str, version: WsTrust) -> Result<IssueRequest, Unreadable> {
    let doc = Doc::parse(body).map_err(|reason| {
        invalid(format!(
            "MSIS7000: The request is not well formed: {reason}"
        ))
    })?;
    let root = doc.get(0).ok_or_else(|| invalid("no envelope"))?;
    if !root.is(NS_SOAP12, "Envelope") {
        return Err(invalid(
            "MSIS7000: The request is not a SOAP 1.2 envelope (http://www.w3.org/2003/05/soap-envelope).",
        ));
    }
    let header = doc
        .child(0, NS_SOAP12, "Header")
        .ok_or_else(|| invalid("MSIS7000: The SOAP envelope has no header."))?;
    let action = doc
        .text_at(header, &[(NS_WSA, "Action")])
        .unwrap_or_default()
        .to_owned();
    let message_id = doc
        .text_at(header, &[(NS_WSA, "MessageID")])
        .map(str::to_owned);
    let token = doc.path(header, &[(NS_WSSE, "Security"), (NS_WSSE, "UsernameToken")]);
    let (username, password) = match token {
        Some(token) => (
            doc.text_at(token, &[(NS_WSSE, "Username")])
                .unwrap_or_default()
                .to_owned(),
            // Not trimmed: spaces may be part of a password.
            doc.path(token, &[(NS_WSSE, "Password")])
                .and_then(|i| doc.get(i))
                .map(|e| SecretString::from(e.text.clone()))
                .unwrap_or_default(),
        ),
        None => (String::new(), SecretString::default()),
    };
    let body_index = doc
        .child(0, NS_SOAP12, "Body")
        .ok_or_else(|| invalid("MSIS7000: The SOAP envelope has no body."))?;
    let rst = doc
        .child(body_index, version.namespace(), "RequestSecurityToken")
        .ok_or_else(|| {
            invalid(format!(
                "MSIS7000: The body has no RequestSecurityToken in the namespace {}.",
                version.namespace()
            ))
        })?;
    let applies_to = doc
        .text_at(
            rst,
            &[
                (NS_WSP, "AppliesTo"),
                (NS_WSA, "EndpointReference"),
                (NS_WSA, "Address"),
            ],
        )
        .unwrap_or_default()
        .to_owned();
    let request_type = doc
        .text_at(rst, &[(version.namespace(), "RequestType")])
        .unwrap_or_default()
        .to_owned();
    Ok(IssueRequest {
        action,
        message_id,
        username,
        password,
        applies_to,
        request_type,
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn relates_to(message_id: Option<&str>) -> String {
    message_id
        .map(|id| format!("<a:RelatesTo>{}</a:RelatesTo>", escape(id)))
        .unwrap_or_default()
}

/// A SOAP 1.2 fault as ADFS writes it: `s:Sender`, a WS-Trust subcode, a reason.
pub(super) fn fault(
    version: WsTrust,
    message_id: Option<&str>,
    subcode: &str,
    reason: &str,
) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{NS_SOAP12}\" xmlns:a=\"{NS_WSA}\"><s:Header><a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>{}</s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a=\"{}\">a:{subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">{}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>",
        relates_to(message_id),
        version.namespace(),
        escape(reason),
    )
}

/// What a successful answer carries.
pub(super) struct Issued<'a> {
    pub version: WsTrust,
    pub message_id: Option<&'a str>,
    pub created: &'a str,
    pub expires: &'a str,
    pub applies_to: &'a str,
    pub saml_version: SamlVersion,
    pub assertion_id: &'a str,
    /// The signed assertion, inserted byte for byte.
    pub assertion: &'a str,
}

/// The RequestSecurityTokenResponse (a collection of one for WS-Trust 1.3).
pub(super) fn response(i: &Issued<'_>) -> String {
    let (token_type, reference_type) = match i.saml_version {
        SamlVersion::V1_1 => (
            "urn:oasis:names:tc:SAML:1.0:assertion",
            "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID",
        ),
        SamlVersion::V2_0 => (
            "urn:oasis:names:tc:SAML:2.0:assertion",
            "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID",
        ),
    };
    let reference = format!(
        "<o:SecurityTokenReference xmlns:o=\"{NS_WSSE}\" xmlns:k=\"http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd\" k:TokenType=\"{token_type}\"><o:KeyIdentifier ValueType=\"{reference_type}\">{}</o:KeyIdentifier></o:SecurityTokenReference>",
        escape(i.assertion_id)
    );
    let (action, open, close, key_type, request_type) = match i.version {
        WsTrust::V13 => (
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal",
            format!(
                "<t:RequestSecurityTokenResponseCollection xmlns:t=\"{}\"><t:RequestSecurityTokenResponse>",
                i.version.namespace()
            ),
            "</t:RequestSecurityTokenResponse></t:RequestSecurityTokenResponseCollection>",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        ),
        WsTrust::V2005 => (
            "http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue",
            format!(
                "<t:RequestSecurityTokenResponse xmlns:t=\"{}\">",
                i.version.namespace()
            ),
            "</t:RequestSecurityTokenResponse>",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
            "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
        ),
    };
    format!(
        "<s:Envelope xmlns:s=\"{NS_SOAP12}\" xmlns:a=\"{NS_WSA}\" xmlns:u=\"{NS_WSU}\"><s:Header><a:Action s:mustUnderstand=\"1\">{action}</a:Action>{relates}<o:Security s:mustUnderstand=\"1\" xmlns:o=\"{NS_WSSE}\"><u:Timestamp u:Id=\"_0\"><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp></o:Security></s:Header><s:Body>{open}<t:Lifetime><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></t:Lifetime><wsp:AppliesTo xmlns:wsp=\"{NS_WSP}\"><a:EndpointReference><a:Address>{applies_to}</a:Address></a:EndpointReference></wsp:AppliesTo><t:RequestedSecurityToken>{assertion}</t:RequestedSecurityToken><t:RequestedAttachedReference>{reference}</t:RequestedAttachedReference><t:RequestedUnattachedReference>{reference}</t:RequestedUnattachedReference><t:TokenType>{token_type}</t:TokenType><t:RequestType>{request_type}</t:RequestType><t:KeyType>{key_type}</t:KeyType>{close}</s:Body></s:Envelope>",
        relates = relates_to(i.message_id),
        created = i.created,
        expires = i.expires,
        applies_to = escape(i.applies_to),
        assertion = i.assertion,
    )
}
