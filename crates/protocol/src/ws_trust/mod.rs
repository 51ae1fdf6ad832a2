//! WS-Trust for federated users: pick the username/password endpoint from MEX
//! metadata, build the RequestSecurityToken envelope, read the SAML assertion (or the
//! SOAP fault) from the answer.

mod envelope;
mod mex;
mod response;

use std::fmt;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

pub use envelope::ws_trust_request;
pub use mex::{mex_endpoints, mex_request, parse_mex};
pub use response::parse_ws_trust_response;

use crate::error::ProtocolError;
use crate::token::{GRANT_SAML1_1, GRANT_SAML2};

/// The deepest element nesting accepted in MEX metadata and WS-Trust responses. Real
/// documents nest about 15 levels (a signed SAML assertion inside a SOAP envelope);
/// deeper ones are refused with [`ProtocolError::XmlTooDeep`] long before the XML
/// reader's own 16-bit depth counter could overflow.
pub const MAX_XML_DEPTH: usize = 256;

/// The WS-Trust version an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsTrustVersion {
    /// WS-Trust 1.3 (`.../trust/13/usernamemixed`), preferred.
    V13,
    /// WS-Trust 2005 (`.../trust/2005/usernamemixed`).
    V2005,
}

impl WsTrustVersion {
    /// The SOAP action of an Issue request.
    pub fn action(self) -> &'static str {
        match self {
            Self::V13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue",
            Self::V2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
        }
    }

    /// The `wst` namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
            Self::V2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust",
        }
    }

    fn from_action(action: &str) -> Option<Self> {
        [Self::V13, Self::V2005]
            .into_iter()
            .find(|v| v.action() == action.trim())
    }
}

/// A WS-Trust username/password endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsTrustEndpoint {
    /// The https address to post the envelope to.
    pub address: String,
    /// The WS-Trust version it speaks.
    pub version: WsTrustVersion,
}

impl WsTrustEndpoint {
    /// The endpoint from a user realm's `federation_active_auth_url` when there is no
    /// MEX: the version comes from the path (`/trust/13/usernamemixed` or
    /// `/trust/2005/usernamemixed`). Plain http is refused with
    /// [`ProtocolError::InsecureUrl`], as for the MEX URL and the endpoints MEX names.
    pub fn from_active_auth_url(url: &str) -> Result<Self, ProtocolError> {
        let unsupported = || ProtocolError::UnsupportedWsTrustEndpoint {
            url: url.to_owned(),
        };
        let parsed = url::Url::parse(url).map_err(|_| unsupported())?;
        if parsed.scheme() == "http" {
            return Err(ProtocolError::InsecureUrl {
                what: "WS-Trust endpoint (federation_active_auth_url)",
                url: url.to_owned(),
            });
        }
        if !mex::is_https(url) {
            return Err(unsupported());
        }
        let path = parsed.path().trim_end_matches('/').to_ascii_lowercase();
        let version = if path.ends_with("/trust/13/usernamemixed") {
            WsTrustVersion::V13
        } else if path.ends_with("/trust/2005/usernamemixed") {
            WsTrustVersion::V2005
        } else {
            return Err(unsupported());
        };
        Ok(Self {
            address: url.to_owned(),
            version,
        })
    }
}

/// The SAML version of an assertion, which decides the grant type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamlTokenType {
    /// SAML 1.1: `saml1_1-bearer`.
    Saml11,
    /// SAML 2.0: `saml2-bearer`.
    Saml20,
}

impl SamlTokenType {
    /// Maps an RSTR `TokenType` (`urn:oasis:names:tc:SAML:1.0:assertion`, `...#SAMLV1.1`,
    /// `urn:oasis:names:tc:SAML:2.0:assertion`, `...#SAMLV2.0`).
    pub fn from_token_type(token_type: &str) -> Result<Self, ProtocolError> {
        match token_type.trim() {
            "urn:oasis:names:tc:SAML:1.0:assertion"
            | "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1" => {
                Ok(Self::Saml11)
            }
            "urn:oasis:names:tc:SAML:2.0:assertion"
            | "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0" => {
                Ok(Self::Saml20)
            }
            other => Err(ProtocolError::UnknownSamlTokenType {
                token_type: other.to_owned(),
            }),
        }
    }

    /// The OAuth2 grant type for this assertion.
    pub fn grant_type(self) -> &'static str {
        match self {
            Self::Saml11 => GRANT_SAML1_1,
            Self::Saml20 => GRANT_SAML2,
        }
    }
}

/// A SAML assertion from a WS-Trust response. `Debug` hides the XML.
#[derive(Clone)]
pub struct SamlAssertion {
    /// Its version.
    pub token_type: SamlTokenType,
    /// The assertion XML exactly as received (the content of `RequestedSecurityToken`).
    pub xml: SecretString,
}

impl SamlAssertion {
    /// base64url without padding of the XML bytes: the `assertion` form field.
    pub fn encoded_for_grant(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.xml.expose_secret().as_bytes())
    }
}

impl fmt::Debug for SamlAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamlAssertion")
            .field("token_type", &self.token_type)
            .field("xml", &"[REDACTED]")
            .finish()
    }
}

/// Appends the text of a text or entity event to `out`.
pub(crate) fn push_text(
    out: &mut String,
    event: &quick_xml::events::Event<'_>,
) -> Result<(), quick_xml::Error> {
    use quick_xml::events::Event;
    match event {
        Event::Text(t) => out.push_str(&t.xml_content().map_err(quick_xml::Error::from)?),
        Event::CData(t) => out.push_str(&t.decode().map_err(quick_xml::Error::from)?),
        Event::GeneralRef(r) => {
            if let Some(c) = r.resolve_char_ref()? {
                out.push(c);
            } else {
                let name = r.decode().map_err(quick_xml::Error::from)?;
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(s) => out.push_str(s),
                    None => {
                        out.push('&');
                        out.push_str(&name);
                        out.push(';');
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_auth_url_gives_version_from_path() {
        let e = WsTrustEndpoint::from_active_auth_url(
            "https://fs.fabrikam.com/adfs/services/trust/2005/usernamemixed",
        )
        .unwrap();
        assert_eq!(e.version, WsTrustVersion::V2005);
        let e = WsTrustEndpoint::from_active_auth_url(
            "https://fs.fabrikam.com/adfs/services/trust/13/UsernameMixed/",
        )
        .unwrap();
        assert_eq!(e.version, WsTrustVersion::V13);
        assert!(WsTrustEndpoint::from_active_auth_url("https://login.live.com/rst2.srf").is_err());
        assert!(
            WsTrustEndpoint::from_active_auth_url(
                "http://fs.fabrikam.com/adfs/services/trust/13/usernamemixed"
            )
            .is_err()
        );
    }

    #[test]
    fn token_types_map_to_grants() {
        for (t, g) in [
            ("urn:oasis:names:tc:SAML:1.0:assertion", GRANT_SAML1_1),
            (
                "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1",
                GRANT_SAML1_1,
            ),
            ("urn:oasis:names:tc:SAML:2.0:assertion", GRANT_SAML2),
            (
                "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
                GRANT_SAML2,
            ),
        ] {
            assert_eq!(SamlTokenType::from_token_type(t).unwrap().grant_type(), g);
        }
        assert!(matches!(
            SamlTokenType::from_token_type("urn:x"),
            Err(ProtocolError::UnknownSamlTokenType { .. })
        ));
    }

    #[test]
    fn assertion_is_unpadded_base64url_and_hidden_from_debug() {
        let a = SamlAssertion {
            token_type: SamlTokenType::Saml11,
            xml: SecretString::from("<a>?>?</a>"),
        };
        assert_eq!(a.encoded_for_grant(), "PGE-Pz4_PC9hPg");
        assert!(!format!("{a:?}").contains("<a>"));
    }
}

#[cfg(test)]
mod wire_tests;
