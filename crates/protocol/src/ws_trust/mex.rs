//! MEX (WS-MetadataExchange) parsing: find the WS-Trust username/password endpoint.

use std::collections::HashMap;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use uuid::Uuid;

use super::{WsTrustEndpoint, WsTrustVersion, push_text};
use crate::error::ProtocolError;
use crate::wire::{self, LibraryInfo};

const WHAT: &str = "MEX metadata";
const NS_WSDL: &[u8] = b"http://schemas.xmlsoap.org/wsdl/";
const NS_WSP: &[u8] = b"http://schemas.xmlsoap.org/ws/2004/09/policy";
const NS_WSU: &[u8] =
    b"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const NS_SP: &[u8] = b"http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702";
const NS_SP2005: &[u8] = b"http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
const NS_SOAP12: &[u8] = b"http://schemas.xmlsoap.org/wsdl/soap12/";
const NS_WSA10: &[u8] = b"http://www.w3.org/2005/08/addressing";
const SOAP_HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

/// `GET {federation_metadata_url}`.
pub fn mex_request(
    url: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    let mut r = wire::finish_empty(wire::request(
        http::Method::GET,
        url,
        correlation_id,
        library,
    ))?;
    r.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/soap+xml, text/xml, */*"),
    );
    Ok(r)
}

#[derive(Default)]
struct Policy {
    id: String,
    depth: usize,
    username_token: bool,
    transport: bool,
}

#[derive(Default)]
struct Binding {
    name: String,
    depth: usize,
    policy: Option<String>,
    soap_http: bool,
    action: Option<String>,
}

#[derive(Default)]
struct Port {
    binding: String,
    depth: usize,
    epr_address: Option<String>,
    soap_address: Option<String>,
    in_address: bool,
    text: String,
}

type Name = (Vec<u8>, Vec<u8>);

fn is_sp(ns: &[u8]) -> bool {
    ns == NS_SP || ns == NS_SP2005
}

fn attr(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    ns: Option<&[u8]>,
    local: &[u8],
) -> Result<Option<String>, ProtocolError> {
    for a in e.attributes() {
        let a = a.map_err(|e| ProtocolError::xml(WHAT, e))?;
        let (resolved, name) = reader.resolve_attribute(a.key);
        let ns_ok = match (ns, resolved) {
            (None, ResolveResult::Unbound) => true,
            (Some(want), ResolveResult::Bound(got)) => got.as_ref() == want,
            _ => false,
        };
        if ns_ok && name.as_ref() == local {
            let v = a
                .decode_and_unescape_value(reader.decoder())
                .map_err(|e| ProtocolError::xml(WHAT, e))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Strips a `prefix:` from a QName attribute value and a `#` from a fragment URI.
fn local_ref(s: &str) -> &str {
    let s = s.trim().trim_start_matches('#');
    s.rsplit_once(':').map_or(s, |(_, l)| l)
}

/// Every WS-Trust 1.3 and 2005 username/password endpoint over https that the MEX
/// document offers, in document order.
pub fn mex_endpoints(xml: &[u8]) -> Result<Vec<WsTrustEndpoint>, ProtocolError> {
    let mut reader = NsReader::from_reader(xml);
    let mut stack: Vec<Name> = Vec::new();
    let mut policy: Option<Policy> = None;
    let mut binding: Option<Binding> = None;
    let mut port: Option<Port> = None;
    let mut good_policies: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Binding> = HashMap::new();
    let mut ports: Vec<Port> = Vec::new();

    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| ProtocolError::xml(WHAT, e))?;
        let ns: Vec<u8> = match resolved {
            ResolveResult::Bound(n) => n.as_ref().to_vec(),
            _ => Vec::new(),
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name().as_ref().to_vec();
                let depth = stack.len();
                let in_stack = |n: &[u8], l: &[u8]| stack.iter().any(|(sn, sl)| sn == n && sl == l);
                // Policies with an id, and what they require.
                if ns == NS_WSP && local == b"Policy" && policy.is_none() {
                    if let Some(id) = attr(&reader, e, Some(NS_WSU), b"Id")? {
                        policy = Some(Policy {
                            id,
                            depth,
                            ..Policy::default()
                        });
                    }
                } else if let Some(p) = policy.as_mut() {
                    if is_sp(&ns) && local == b"TransportBinding" {
                        p.transport = true;
                    }
                    if is_sp(&ns)
                        && local == b"WssUsernameToken10"
                        && stack.iter().any(|(sn, sl)| {
                            is_sp(sn)
                                && (sl == b"SignedEncryptedSupportingTokens"
                                    || sl == b"SignedSupportingTokens")
                        })
                    {
                        p.username_token = true;
                    }
                }
                if ns == NS_WSDL && local == b"binding" && binding.is_none() {
                    if let Some(name) = attr(&reader, e, None, b"name")? {
                        binding = Some(Binding {
                            name,
                            depth,
                            ..Binding::default()
                        });
                    }
                } else if let Some(b) = binding.as_mut() {
                    if ns == NS_WSP && local == b"PolicyReference" && b.policy.is_none() {
                        b.policy = attr(&reader, e, None, b"URI")?;
                    } else if ns == NS_SOAP12 && local == b"binding" {
                        b.soap_http = attr(&reader, e, None, b"transport")?
                            .is_some_and(|t| t.trim() == SOAP_HTTP_TRANSPORT);
                    } else if ns == NS_SOAP12 && local == b"operation" && b.action.is_none() {
                        b.action = attr(&reader, e, None, b"soapAction")?;
                    }
                }
                if ns == NS_WSDL
                    && local == b"port"
                    && port.is_none()
                    && in_stack(NS_WSDL, b"service")
                {
                    if let Some(b) = attr(&reader, e, None, b"binding")? {
                        port = Some(Port {
                            binding: b,
                            depth,
                            ..Port::default()
                        });
                    }
                } else if let Some(p) = port.as_mut() {
                    if ns == NS_SOAP12 && local == b"address" {
                        p.soap_address = attr(&reader, e, None, b"location")?;
                    } else if ns == NS_WSA10
                        && local == b"Address"
                        && in_stack(NS_WSA10, b"EndpointReference")
                        && matches!(event, Event::Start(_))
                    {
                        p.in_address = true;
                        p.text.clear();
                    }
                }
                if matches!(event, Event::Start(_)) {
                    stack.push((ns, local));
                } else {
                    close(
                        depth + 1,
                        &mut policy,
                        &mut binding,
                        &mut port,
                        &mut good_policies,
                        &mut bindings,
                        &mut ports,
                    );
                }
            }
            Event::End(_) => {
                let depth = stack.len();
                if let Some(p) = port.as_mut()
                    && p.in_address
                {
                    p.in_address = false;
                    p.epr_address = Some(p.text.trim().to_owned());
                }
                close(
                    depth,
                    &mut policy,
                    &mut binding,
                    &mut port,
                    &mut good_policies,
                    &mut bindings,
                    &mut ports,
                );
                stack.pop();
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                if let Some(p) = port.as_mut()
                    && p.in_address
                {
                    push_text(&mut p.text, &event).map_err(|e| ProtocolError::xml(WHAT, e))?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }

    let mut out = Vec::new();
    for p in ports {
        let Some(b) = bindings.get(local_ref(&p.binding)) else {
            continue;
        };
        let policy_ok = b
            .policy
            .as_deref()
            .is_some_and(|id| good_policies.iter().any(|g| g == local_ref(id)));
        let version = b.action.as_deref().and_then(WsTrustVersion::from_action);
        let address = p.epr_address.or(p.soap_address).unwrap_or_default();
        if let (true, true, Some(version)) = (policy_ok, b.soap_http, version)
            && address.to_ascii_lowercase().starts_with("https://")
        {
            out.push(WsTrustEndpoint { address, version });
        }
    }
    Ok(out)
}

/// Finishes whichever element of interest closes at `depth`.
fn close(
    depth: usize,
    policy: &mut Option<Policy>,
    binding: &mut Option<Binding>,
    port: &mut Option<Port>,
    good_policies: &mut Vec<String>,
    bindings: &mut HashMap<String, Binding>,
    ports: &mut Vec<Port>,
) {
    let depth = depth.saturating_sub(1);
    if policy.as_ref().is_some_and(|p| p.depth == depth)
        && let Some(p) = policy.take()
        && p.username_token
        && p.transport
    {
        good_policies.push(p.id);
    }
    if binding.as_ref().is_some_and(|b| b.depth == depth)
        && let Some(b) = binding.take()
    {
        bindings.entry(b.name.clone()).or_insert(b);
    }
    if port.as_ref().is_some_and(|p| p.depth == depth)
        && let Some(p) = port.take()
    {
        ports.push(p);
    }
}

/// Parses a MEX response and picks the username/password endpoint: WS-Trust 1.3 if
/// offered, else 2005. [`ProtocolError::NoWsTrustEndpoint`] when there is none (as for
/// personal Microsoft accounts).
pub fn parse_mex(r: &http::Response<Vec<u8>>) -> Result<WsTrustEndpoint, ProtocolError> {
    if !r.status().is_success() {
        return Err(wire::unexpected(r));
    }
    let endpoints = mex_endpoints(r.body())?;
    endpoints
        .iter()
        .find(|e| e.version == WsTrustVersion::V13)
        .or_else(|| endpoints.first())
        .cloned()
        .ok_or(ProtocolError::NoWsTrustEndpoint)
}
