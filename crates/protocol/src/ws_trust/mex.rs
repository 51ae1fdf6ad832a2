//! MEX (WS-MetadataExchange) parsing: find the WS-Trust username/password endpoint.

use std::collections::{HashMap, HashSet};

use quick_xml::Reader;
use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesStart, Event};
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

/// `GET {federation_metadata_url}`, over https only: a plain http URL (which whoever
/// alters the user realm answer or the metadata in transit could use to pick the server
/// that receives the password) gives [`ProtocolError::InsecureUrl`].
pub fn mex_request(
    url: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    if !is_https(url) {
        return Err(ProtocolError::InsecureUrl {
            what: "federation metadata (MEX) URL",
            url: url.to_owned(),
        });
    }
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

fn is_sp(ns: &[u8]) -> bool {
    ns == NS_SP || ns == NS_SP2005
}

/// The open elements whose presence above an element matters, counted so that asking
/// "am I inside a `wsdl:service`?" costs nothing however deep the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Service,
    EndpointReference,
    SupportingTokens,
    Other,
}

/// Namespace prefixes in scope, resolved in constant time (a hostile document may
/// declare thousands of prefixes; a linear search per element would be quadratic).
#[derive(Default)]
struct Namespaces {
    /// Prefix (empty for the default namespace) to the namespaces bound to it, innermost
    /// last.
    bound: HashMap<Vec<u8>, Vec<Vec<u8>>>,
    /// For each open element, the prefixes it declared.
    declared: Vec<Vec<Vec<u8>>>,
}

impl Namespaces {
    /// Enters an element: binds the prefixes it declares.
    fn open(&mut self, e: &BytesStart<'_>, decoder: Decoder) -> Result<(), ProtocolError> {
        let mut mine = Vec::new();
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|e| ProtocolError::xml(WHAT, e))?;
            let key = a.key.as_ref();
            let prefix = if key == b"xmlns" {
                Some(&b""[..])
            } else {
                key.strip_prefix(b"xmlns:")
            };
            if let Some(prefix) = prefix {
                let value = a
                    .decode_and_unescape_value(decoder)
                    .map_err(|e| ProtocolError::xml(WHAT, e))?;
                self.bound
                    .entry(prefix.to_vec())
                    .or_default()
                    .push(value.as_bytes().to_vec());
                mine.push(prefix.to_vec());
            }
        }
        self.declared.push(mine);
        Ok(())
    }

    /// Leaves the innermost element: unbinds what it declared.
    fn close(&mut self) {
        for prefix in self.declared.pop().unwrap_or_default() {
            if let Some(stack) = self.bound.get_mut(&prefix) {
                stack.pop();
            }
        }
    }

    fn lookup(&self, prefix: &[u8]) -> &[u8] {
        self.bound
            .get(prefix)
            .and_then(|v| v.last())
            .map_or(&b""[..], Vec::as_slice)
    }

    /// `(namespace, local name)` of an element name: unprefixed names take the default
    /// namespace.
    fn element<'n>(&self, qname: &'n [u8]) -> (&[u8], &'n [u8]) {
        match split_qname(qname) {
            (Some(prefix), local) => (self.lookup(prefix), local),
            (None, local) => (self.lookup(b""), local),
        }
    }

    /// `(namespace, local name)` of an attribute name: unprefixed names have none.
    fn attribute<'n>(&self, qname: &'n [u8]) -> (&[u8], &'n [u8]) {
        match split_qname(qname) {
            (Some(prefix), local) => (self.lookup(prefix), local),
            (None, local) => (&b""[..], local),
        }
    }
}

fn split_qname(qname: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match qname.iter().position(|b| *b == b':') {
        Some(i) => (qname.get(..i), qname.get(i + 1..).unwrap_or_default()),
        None => (None, qname),
    }
}

/// The value of attribute `local` in namespace `ns` (`b""` for an unprefixed one).
fn attr(
    namespaces: &Namespaces,
    decoder: Decoder,
    e: &BytesStart<'_>,
    ns: &[u8],
    local: &[u8],
) -> Result<Option<String>, ProtocolError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| ProtocolError::xml(WHAT, e))?;
        if namespaces.attribute(a.key.as_ref()) == (ns, local) {
            let v = a
                .decode_and_unescape_value(decoder)
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

/// Whether an address is an https URL with a host.
pub(super) fn is_https(address: &str) -> bool {
    url::Url::parse(address.trim())
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

/// Every WS-Trust 1.3 and 2005 username/password endpoint over https that the MEX
/// document offers, in document order.
///
/// One pass over the document, in time linear in its size; a document nesting deeper
/// than [`super::MAX_XML_DEPTH`] is refused with [`ProtocolError::XmlTooDeep`].
pub fn mex_endpoints(xml: &[u8]) -> Result<Vec<WsTrustEndpoint>, ProtocolError> {
    Ok(username_endpoints(xml)?
        .into_iter()
        .filter(|e| is_https(&e.address))
        .collect())
}

/// Every username/password endpoint the document offers, whatever its scheme.
fn username_endpoints(xml: &[u8]) -> Result<Vec<WsTrustEndpoint>, ProtocolError> {
    let mut reader = Reader::from_reader(xml);
    let decoder = reader.decoder();
    let mut namespaces = Namespaces::default();
    let mut stack: Vec<Open> = Vec::new();
    let (mut in_service, mut in_epr, mut in_supporting) = (0usize, 0usize, 0usize);
    let mut policy: Option<Policy> = None;
    let mut binding: Option<Binding> = None;
    let mut port: Option<Port> = None;
    let mut good_policies: HashSet<String> = HashSet::new();
    let mut bindings: HashMap<String, Binding> = HashMap::new();
    let mut ports: Vec<Port> = Vec::new();

    loop {
        let event = reader
            .read_event()
            .map_err(|e| ProtocolError::xml(WHAT, e))?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let depth = stack.len();
                if depth >= super::MAX_XML_DEPTH {
                    return Err(ProtocolError::XmlTooDeep {
                        what: WHAT,
                        limit: super::MAX_XML_DEPTH,
                    });
                }
                namespaces.open(e, decoder)?;
                let (ns, local) = namespaces.element(e.name().into_inner());
                let attr = |ns: &[u8], local: &[u8]| attr(&namespaces, decoder, e, ns, local);
                // Policies with an id, and what they require.
                if ns == NS_WSP && local == b"Policy" && policy.is_none() {
                    if let Some(id) = attr(NS_WSU, b"Id")? {
                        policy = Some(Policy {
                            id,
                            depth,
                            ..Policy::default()
                        });
                    }
                } else if let Some(p) = policy.as_mut() {
                    if is_sp(ns) && local == b"TransportBinding" {
                        p.transport = true;
                    }
                    if is_sp(ns) && local == b"WssUsernameToken10" && in_supporting > 0 {
                        p.username_token = true;
                    }
                }
                if ns == NS_WSDL && local == b"binding" && binding.is_none() {
                    if let Some(name) = attr(b"", b"name")? {
                        binding = Some(Binding {
                            name,
                            depth,
                            ..Binding::default()
                        });
                    }
                } else if let Some(b) = binding.as_mut() {
                    if ns == NS_WSP && local == b"PolicyReference" && b.policy.is_none() {
                        b.policy = attr(b"", b"URI")?;
                    } else if ns == NS_SOAP12 && local == b"binding" {
                        b.soap_http = attr(b"", b"transport")?
                            .is_some_and(|t| t.trim() == SOAP_HTTP_TRANSPORT);
                    } else if ns == NS_SOAP12 && local == b"operation" && b.action.is_none() {
                        b.action = attr(b"", b"soapAction")?;
                    }
                }
                if ns == NS_WSDL && local == b"port" && port.is_none() && in_service > 0 {
                    if let Some(b) = attr(b"", b"binding")? {
                        port = Some(Port {
                            binding: b,
                            depth,
                            ..Port::default()
                        });
                    }
                } else if let Some(p) = port.as_mut() {
                    if ns == NS_SOAP12 && local == b"address" {
                        p.soap_address = attr(b"", b"location")?;
                    } else if ns == NS_WSA10
                        && local == b"Address"
                        && in_epr > 0
                        && matches!(event, Event::Start(_))
                    {
                        p.in_address = true;
                        p.text.clear();
                    }
                }
                let open = if ns == NS_WSDL && local == b"service" {
                    Open::Service
                } else if ns == NS_WSA10 && local == b"EndpointReference" {
                    Open::EndpointReference
                } else if is_sp(ns)
                    && (local == b"SignedEncryptedSupportingTokens"
                        || local == b"SignedSupportingTokens")
                {
                    Open::SupportingTokens
                } else {
                    Open::Other
                };
                if matches!(event, Event::Start(_)) {
                    match open {
                        Open::Service => in_service += 1,
                        Open::EndpointReference => in_epr += 1,
                        Open::SupportingTokens => in_supporting += 1,
                        Open::Other => {}
                    }
                    stack.push(open);
                } else {
                    namespaces.close();
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
                match stack.pop() {
                    Some(Open::Service) => in_service = in_service.saturating_sub(1),
                    Some(Open::EndpointReference) => in_epr = in_epr.saturating_sub(1),
                    Some(Open::SupportingTokens) => {
                        in_supporting = in_supporting.saturating_sub(1);
                    }
                    Some(Open::Other) | None => {}
                }
                namespaces.close();
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
            .is_some_and(|id| good_policies.contains(local_ref(id)));
        let version = b.action.as_deref().and_then(WsTrustVersion::from_action);
        let address = p.epr_address.or(p.soap_address).unwrap_or_default();
        if let (true, true, Some(version)) = (policy_ok, b.soap_http, version)
            && !address.is_empty()
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
    good_policies: &mut HashSet<String>,
    bindings: &mut HashMap<String, Binding>,
    ports: &mut Vec<Port>,
) {
    let depth = depth.saturating_sub(1);
    if policy.as_ref().is_some_and(|p| p.depth == depth)
        && let Some(p) = policy.take()
        && p.username_token
        && p.transport
    {
        good_policies.insert(p.id);
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
/// offered, else 2005, over https only. [`ProtocolError::NoWsTrustEndpoint`] when there
/// is none (as for personal Microsoft accounts, or when the only one is plain http).
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
