//! Reading a WS-Trust RequestSecurityTokenResponse: the SAML assertion, or the fault.

use quick_xml::Reader;
use quick_xml::events::Event;
use secrecy::SecretString;

use super::{SamlAssertion, SamlTokenType, push_text};
use crate::error::ProtocolError;
use crate::wire;

const WHAT: &str = "WS-Trust response";

#[derive(Default)]
struct Fault {
    code: String,
    subcode: String,
    reason: String,
}

/// Parses a WS-Trust answer, whatever its HTTP status (ADFS answers a bad password with
/// 500 and a SOAP fault): the first `RequestSecurityTokenResponse` carrying both a
/// `TokenType` and a `RequestedSecurityToken` gives the assertion; a SOAP fault gives
/// [`ProtocolError::WsTrustFault`]. Element names are matched without regard to
/// namespace prefixes. A document nesting deeper than [`super::MAX_XML_DEPTH`] (the
/// assertion included) is refused with [`ProtocolError::XmlTooDeep`].
pub fn parse_ws_trust_response(
    r: &http::Response<Vec<u8>>,
) -> Result<SamlAssertion, ProtocolError> {
    match scan(r.body()) {
        Ok(Some(found)) => Ok(found),
        Ok(None) if r.status().is_success() => Err(ProtocolError::MissingField {
            what: WHAT,
            field: "RequestedSecurityToken",
        }),
        Err(e @ ProtocolError::WsTrustFault { .. }) => Err(e),
        Err(e) if r.status().is_success() => Err(e),
        _ => Err(wire::unexpected(r)),
    }
}

fn scan(xml: &[u8]) -> Result<Option<SamlAssertion>, ProtocolError> {
    let mut reader = Reader::from_reader(xml);
    let too_deep = || ProtocolError::XmlTooDeep {
        what: WHAT,
        limit: super::MAX_XML_DEPTH,
    };
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut fault: Option<Fault> = None;
    let mut text = String::new();
    // Inside the current RequestSecurityTokenResponse: depth, token type, assertion.
    let mut rstr: Option<(usize, Option<String>, Option<String>)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ProtocolError::xml(WHAT, e))?;
        match &event {
            Event::Start(e) => {
                if stack.len() >= super::MAX_XML_DEPTH {
                    return Err(too_deep());
                }
                let local = e.local_name().as_ref().to_vec();
                text.clear();
                match local.as_slice() {
                    b"Fault" if fault.is_none() => fault = Some(Fault::default()),
                    b"RequestSecurityTokenResponse" if rstr.is_none() => {
                        rstr = Some((stack.len(), None, None));
                    }
                    b"RequestedSecurityToken" if rstr.is_some() => {
                        // The assertion's exact bytes, up to the matching end tag (the
                        // reader checks that end tags match), within the depth limit.
                        let start = reader.buffer_position();
                        let mut inner_depth = 0usize;
                        let end = loop {
                            let before = reader.buffer_position();
                            match reader
                                .read_event()
                                .map_err(|e| ProtocolError::xml(WHAT, e))?
                            {
                                Event::Start(_) => {
                                    inner_depth += 1;
                                    if stack.len() + 1 + inner_depth > super::MAX_XML_DEPTH {
                                        return Err(too_deep());
                                    }
                                }
                                Event::End(_) if inner_depth == 0 => break before,
                                Event::End(_) => inner_depth -= 1,
                                Event::Eof => {
                                    return Err(ProtocolError::xml(
                                        WHAT,
                                        "RequestedSecurityToken is never closed",
                                    ));
                                }
                                _ => {}
                            }
                        };
                        let inner = usize::try_from(start)
                            .ok()
                            .zip(usize::try_from(end).ok())
                            .and_then(|(a, b)| xml.get(a..b))
                            .ok_or_else(|| ProtocolError::xml(WHAT, "token span out of range"))?;
                        let inner = std::str::from_utf8(inner)
                            .map_err(|e| ProtocolError::xml(WHAT, e))?
                            .trim()
                            .to_owned();
                        if let Some((_, _, token)) = rstr.as_mut()
                            && token.is_none()
                        {
                            *token = Some(inner);
                        }
                        continue;
                    }
                    _ => {}
                }
                stack.push(local);
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                push_text(&mut text, &event).map_err(|e| ProtocolError::xml(WHAT, e))?;
            }
            Event::End(e) => {
                let local = e.local_name().as_ref().to_vec();
                let parent = stack
                    .len()
                    .checked_sub(2)
                    .and_then(|i| stack.get(i))
                    .map(Vec::as_slice);
                let grandparent = stack
                    .len()
                    .checked_sub(3)
                    .and_then(|i| stack.get(i))
                    .map(Vec::as_slice);
                let value = text.trim().to_owned();
                if let Some(f) = fault.as_mut() {
                    match (local.as_slice(), parent, grandparent) {
                        (b"Value", Some(b"Code"), _) => f.code = value.clone(),
                        (b"Value", Some(b"Subcode"), Some(b"Code")) if f.subcode.is_empty() => {
                            f.subcode = value.clone();
                        }
                        (b"Text", Some(b"Reason"), _) if f.reason.is_empty() => {
                            f.reason = value.clone();
                        }
                        // SOAP 1.1 faults.
                        (b"faultcode", _, _) => f.code = value.clone(),
                        (b"faultstring", _, _) => f.reason = value.clone(),
                        _ => {}
                    }
                    if local == b"Fault" {
                        let f = fault.take().unwrap_or_default();
                        return Err(ProtocolError::WsTrustFault {
                            code: f.code,
                            subcode: Some(f.subcode).filter(|s| !s.is_empty()),
                            reason: f.reason,
                        });
                    }
                }
                if local == b"TokenType"
                    && let Some((_, token_type, _)) = rstr.as_mut()
                    && token_type.is_none()
                {
                    *token_type = Some(value);
                }
                stack.pop();
                if local == b"RequestSecurityTokenResponse"
                    && rstr.as_ref().is_some_and(|(d, _, _)| *d == stack.len())
                    && let Some((_, token_type, token)) = rstr.take()
                    && let (Some(token_type), Some(token)) = (token_type, token)
                {
                    return Ok(Some(SamlAssertion {
                        token_type: SamlTokenType::from_token_type(&token_type)?,
                        xml: SecretString::from(token),
                    }));
                }
                text.clear();
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}
