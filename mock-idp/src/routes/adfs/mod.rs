//! The mock ADFS, on mock-idp's own host: MEX metadata, the WS-Trust 1.3 and 2005
//! username/password endpoints (`usernamemixed`), and decoy endpoints that the MEX
//! offers and a username/password client must never use.
//!
//! The username/password endpoints check the fixture's users of federated tenants and
//! answer with a signed SAML assertion (1.1, or 2.0 when the tenant says so) or a SOAP
//! 1.2 fault with HTTP 500, as ADFS does.

mod mex;
pub(crate) mod oauth;
mod soap;

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;

use crate::clock::xml_instant;
use crate::errors::RequestCtx;
use crate::fixture::{Tenant, TenantKind, User};
use crate::saml;
use crate::state::Shared;

/// The MEX (WS-MetadataExchange) document.
pub const MEX_PATH: &str = "/adfs/services/trust/mex";
/// The WS-Trust 1.3 username/password endpoint.
pub const USERNAME_MIXED_13_PATH: &str = "/adfs/services/trust/13/usernamemixed";
/// The WS-Trust 2005 username/password endpoint.
pub const USERNAME_MIXED_2005_PATH: &str = "/adfs/services/trust/2005/usernamemixed";
const WINDOWS_TRANSPORT_PATH: &str = "/adfs/services/trust/13/windowstransport";
const CERTIFICATE_MIXED_PATH: &str = "/adfs/services/trust/13/certificatemixed";
/// Offered in the MEX at `http://` (never served: mock-idp speaks only https).
const HTTP_USERNAME_PATH: &str = "/adfs/services/trust/13/username";
/// The paths of the MEX's decoy endpoints (Windows transport, certificate, plain http):
/// a username/password client must never request them.
pub const DECOY_PATHS: [&str; 3] = [
    WINDOWS_TRANSPORT_PATH,
    CERTIFICATE_MIXED_PATH,
    HTTP_USERNAME_PATH,
];

const ACTION_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
const ACTION_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue";

/// The relying party the mock ADFS issues for: Entra ID.
pub(crate) const AUDIENCE: &str = "urn:federation:MicrosoftOnline";
/// How long an assertion is valid (ADFS's default token lifetime).
const ASSERTION_LIFETIME: u64 = 3600;

/// The WS-Trust version of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WsTrust {
    V13,
    V2005,
}

impl WsTrust {
    fn namespace(self) -> &'static str {
        match self {
            Self::V13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
            Self::V2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::V13 => ACTION_13,
            Self::V2005 => ACTION_2005,
        }
    }

    fn issue_request_type(self) -> &'static str {
        match self {
            Self::V13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
            Self::V2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
        }
    }
}

/// The issuer of the mock ADFS's assertions for `tenant`: ADFS's per-domain form
/// (`http://{domain}/adfs/services/trust/`), so each federated tenant has its own.
pub(crate) fn issuer(tenant: &Tenant) -> String {
    let domain = tenant.domains.first().map_or("", String::as_str);
    format!("http://{domain}/adfs/services/trust/")
}

/// A user's ImmutableID (the assertion's NameID): base64 of the bytes of their object
/// id, as ADFS sends the on-premises objectGUID.
pub(crate) fn immutable_id(user: &User) -> String {
    match uuid::Uuid::parse_str(&user.oid) {
        Ok(id) => STANDARD.encode(id.to_bytes_le()),
        Err(_) => STANDARD.encode(user.oid.as_bytes()),
    }
}

fn soap_response(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";

fn fault(version: WsTrust, message_id: Option<&str>, subcode: &str, reason: &str) -> Response {
    soap_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        soap::fault(version, message_id, subcode, reason),
        SOAP_CONTENT_TYPE,
    )
}

/// `GET /adfs/services/trust/mex`.
pub(crate) async fn mex(Extension(ctx): Extension<RequestCtx>) -> Response {
    soap_response(
        StatusCode::OK,
        mex::document(&ctx.host),
        "text/xml; charset=utf-8",
    )
}

/// `POST /adfs/services/trust/13/usernamemixed`.
pub(crate) async fn username_mixed_13(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ws_trust(&shared, &ctx, &headers, &body, WsTrust::V13)
}

/// `POST /adfs/services/trust/2005/usernamemixed`.
pub(crate) async fn username_mixed_2005(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ws_trust(&shared, &ctx, &headers, &body, WsTrust::V2005)
}

/// A decoy endpoint of the MEX: always a fault.
pub(crate) async fn decoy() -> Response {
    fault(
        WsTrust::V13,
        None,
        "InvalidRequest",
        "MSIS7000: mock-idp: this endpoint is a decoy of the MEX metadata (Windows \
         transport or certificate authentication); a username/password client must not \
         use it.",
    )
}

const FAILED: &str = "ID3242: The security token could not be authenticated or authorized.";

fn failed_authentication(version: WsTrust, message_id: Option<&str>, why: &str) -> Response {
    let reason = if why.is_empty() {
        FAILED.to_owned()
    } else {
        // ADFS logs the cause and answers ID3242; mock-idp says it, so a client can
        // tell a locked or disabled account from a wrong password.
        format!("{FAILED} (mock-idp: {why})")
    };
    fault(version, message_id, "FailedAuthentication", &reason)
}

fn ws_trust(
    shared: &Shared,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    body: &[u8],
    version: WsTrust,
) -> Response {
    let soap = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/soap+xml"));
    if !soap {
        let mut response = fault(
            version,
            None,
            "InvalidRequest",
            "Cannot process the message because the content type was not the expected type \
             'application/soap+xml; charset=utf-8'.",
        );
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return response;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return fault(
            version,
            None,
            "InvalidRequest",
            "MSIS7000: The request is not UTF-8.",
        );
    };
    let request = match soap::parse_issue(text, version) {
        Ok(request) => request,
        Err(unreadable) => {
            return fault(version, None, unreadable.subcode, &unreadable.reason);
        }
    };
    let message_id = request.message_id.as_deref();
    if request.action != version.action() {
        return fault(
            version,
            message_id,
            "ActionNotSupported",
            &format!(
                "The message with Action '{}' cannot be processed at the receiver, due to a \
                 ContractFilter mismatch at the EndpointDispatcher.",
                request.action
            ),
        );
    }
    if request.request_type != version.issue_request_type() {
        return fault(
            version,
            message_id,
            "InvalidRequest",
            "MSIS3127: The specified request failed. (mock-idp: only the Issue request type \
             is supported.)",
        );
    }
    if request.applies_to != AUDIENCE {
        return fault(
            version,
            message_id,
            "InvalidRequest",
            &format!(
                "MSIS7007: The requested relying party trust '{}' is unspecified or \
                 unsupported. If a relying party trust was specified, it is possible that \
                 the user does not have permission to access the relying party trust.",
                request.applies_to
            ),
        );
    }
    let mut inner = shared.lock();
    let fixture = inner.fixture();
    let found = fixture.user(&request.username).and_then(|user| {
        fixture
            .tenants
            .iter()
            .find(|t| t.id == user.tenant && t.kind == TenantKind::Federated)
            .map(|tenant| (user.clone(), tenant.clone()))
    });
    let Some((user, tenant)) = found else {
        return failed_authentication(version, message_id, "");
    };
    if user.password.expose() != request.password.expose_secret() {
        return failed_authentication(version, message_id, "");
    }
    if user.locked {
        return failed_authentication(
            version,
            message_id,
            "the referenced account is currently locked out and may not be logged on to.",
        );
    }
    if user.disabled {
        return failed_authentication(
            version,
            message_id,
            "the referenced account is currently disabled and may not be logged on to.",
        );
    }
    if user.password_expired {
        return failed_authentication(
            version,
            message_id,
            "the user's password has expired and must be changed.",
        );
    }
    let now = ctx.now;
    // The clock stops at 9999-12-31, so this never saturates in practice; an assertion
    // that would outlive year 9999 is written with dates the SAML grant then refuses.
    let not_on_or_after = now.saturating_add(ASSERTION_LIFETIME);
    let claims = saml::Claims {
        version: tenant.saml_version,
        id: format!("_{}", inner.ids.guid()),
        issuer: issuer(&tenant),
        audience: AUDIENCE.to_owned(),
        issued_at: now,
        not_before: now,
        not_on_or_after,
        name_id: immutable_id(&user),
        upn: user.username.clone(),
    };
    drop(inner);
    let assertion = saml::issue(&shared.adfs, &claims);
    let (created, expires) = (xml_instant(now), xml_instant(not_on_or_after));
    let body = soap::response(&soap::Issued {
        version,
        message_id,
        created: &created,
        expires: &expires,
        applies_to: AUDIENCE,
        saml_version: tenant.saml_version,
        assertion_id: &claims.id,
        assertion: &assertion,
    });
    soap_response(StatusCode::OK, body, SOAP_CONTENT_TYPE)
}
