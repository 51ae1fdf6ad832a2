//! `POST /{tenant}/oauth2/v2.0/token`: the password, refresh token, client credentials
//! and SAML bearer grants, with client authentication by secret or signed assertion.
//!
//! Checks run in Entra's order: the request's shape (form, `grant_type`), the tenant in
//! the path (AADSTS90002; the password grant is refused at `/common` and `/consumers`
//! with 9001023), the client (700016), its authentication (7000215, 7000218, 700027),
//! then the grant's own checks.

mod access;
mod assertion;
mod client_credentials;
mod form;
pub(crate) mod issue;
mod password;
mod refresh;
mod saml;

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use crate::errors::{EntraError, RequestCtx};
use crate::fixture::{App, Fixture, TenantKind};
use crate::state::{Inner, Shared};

pub(crate) use form::Form;
pub use issue::DETERMINISTIC_EXPIRES_IN;
use issue::{ClientAuth, Minted};
pub(crate) use issue::{ID_TOKEN_LIFETIME, access_token_lifetime};

const PASSWORD: &str = "password";
const REFRESH_TOKEN: &str = "refresh_token";
const CLIENT_CREDENTIALS: &str = "client_credentials";
const SAML11: &str = "urn:ietf:params:oauth:grant-type:saml1_1-bearer";
const SAML2: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The tenant segment of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TenantPath {
    Common,
    Organizations,
    /// `/consumers`, or the personal-account tenant by id or domain.
    Consumers,
    /// A work tenant, by index.
    Tenant(usize),
}

impl TenantPath {
    /// Resolves a path segment; an unknown tenant is AADSTS90002 with `error`.
    pub(crate) fn resolve(
        fixture: &Fixture,
        segment: &str,
        error: &'static str,
    ) -> Result<Self, EntraError> {
        match segment.to_ascii_lowercase().as_str() {
            "common" => return Ok(Self::Common),
            "organizations" => return Ok(Self::Organizations),
            "consumers" => return Ok(Self::Consumers),
            _ => {}
        }
        // A B2C tenant is served only at its user flows' paths.
        let tenant = fixture
            .tenant(segment)
            .filter(|t| t.kind != TenantKind::B2c)
            .ok_or_else(|| EntraError::unknown_tenant(error, segment))?;
        if tenant.kind == TenantKind::Personal {
            return Ok(Self::Consumers);
        }
        let index = fixture
            .tenants
            .iter()
            .position(|t| t.id == tenant.id)
            .unwrap_or_default();
        Ok(Self::Tenant(index))
    }
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The token endpoint.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The state is locked only while the grant is decided and its claims are drawn;
    // the tokens are signed after, so grants sign in parallel.
    let outcome = handle(&shared, &mut shared.lock(), &ctx, &tenant, &headers, &body);
    match outcome {
        Ok(minted) => ctx.json(StatusCode::OK, &minted.sign(&shared.key)),
        Err(err) => ctx.error(err),
    }
}

fn handle(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Minted, EntraError> {
    if !is_form(headers) {
        return Err(EntraError::missing("grant_type"));
    }
    let form = Form::parse_token_request(body)?;
    let grant_type = form.required("grant_type")?;
    match grant_type {
        PASSWORD | REFRESH_TOKEN | CLIENT_CREDENTIALS | SAML11 | SAML2 => {}
        other => {
            return Err(EntraError::bad(
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            ));
        }
    }
    // Read through a handle of its own, so `inner` stays free for the grant to draw ids
    // and record tokens, and nothing of the fixture is copied.
    let fixture = Arc::clone(inner.fixture());
    let path = TenantPath::resolve(&fixture, segment, "invalid_request")?;
    match (grant_type, path) {
        (PASSWORD | SAML11 | SAML2, TenantPath::Common | TenantPath::Consumers) => {
            return Err(EntraError::bad(
                "invalid_request",
                9001023,
                "The grant type is not supported over the /common or /consumers endpoints. \
                 Please use the /organizations or tenant-specific endpoint.",
            ));
        }
        (_, TenantPath::Consumers) => {
            let client_id = form.get("client_id").unwrap_or_default();
            return Err(EntraError::bad(
                "invalid_request",
                9002332,
                format!(
                    "Application '{client_id}' is configured for use by Microsoft Entra users \
                     only. Please do not use the /consumers endpoint to serve this request."
                ),
            ));
        }
        (CLIENT_CREDENTIALS, TenantPath::Common | TenantPath::Organizations) => {
            return Err(EntraError::bad(
                "invalid_request",
                50059,
                "No tenant-identifying information found in either the request or implied by \
                 any provided credentials.",
            ));
        }
        _ => {}
    }
    let client_id = form.required("client_id")?;
    let directory = match path {
        TenantPath::Tenant(index) => fixture
            .tenants
            .get(index)
            .map_or(segment, |t| t.id.as_str()),
        _ => segment,
    };
    let app_index = fixture
        .apps
        .iter()
        .position(|a| a.client_id.eq_ignore_ascii_case(client_id))
        .ok_or_else(|| EntraError::unknown_client(client_id, directory))?;
    let app = fixture
        .apps
        .get(app_index)
        .ok_or_else(|| EntraError::unknown_client(client_id, directory))?;
    if let TenantPath::Tenant(index) = path {
        let tenant_id = fixture
            .tenants
            .get(index)
            .map(|t| t.id.as_str())
            .unwrap_or_default();
        if !app.multi_tenant && app.tenant != tenant_id {
            return Err(EntraError::unknown_client(client_id, directory));
        }
    }
    let certificates = shared
        .certificates
        .get(app_index)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let auth = authenticate(app, certificates, &form, ctx, segment)?;
    match grant_type {
        PASSWORD => password::grant(shared, inner, ctx, path, app, auth, &form),
        REFRESH_TOKEN => refresh::grant(shared, inner, ctx, path, app, auth, &form),
        SAML11 | SAML2 => saml::grant(shared, inner, ctx, path, app, auth, &form, grant_type),
        _ => client_credentials::grant(shared, inner, ctx, path, app, auth, &form),
    }
}

/// Checks the client's credential, if it sent one.
fn authenticate(
    app: &App,
    certificates: &[crate::fixture::AppCertificate],
    form: &Form,
    ctx: &RequestCtx,
    segment: &str,
) -> Result<ClientAuth, EntraError> {
    match (form.get("client_secret"), form.get("client_assertion")) {
        (Some(_), Some(_)) => Err(EntraError::malformed(
            "Send either client_secret or client_assertion, not both.",
        )),
        (Some(secret), None) => {
            if app.secrets.iter().any(|s| s.expose() == secret) {
                Ok(ClientAuth::Secret)
            } else {
                Err(EntraError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the \
                         request is the client secret value, not the client secret ID, for a \
                         secret added to app '{}'.",
                        app.client_id
                    ),
                ))
            }
        }
        (None, Some(jwt)) => {
            let kind = form.required("client_assertion_type")?;
            if kind != JWT_BEARER_ASSERTION {
                return Err(EntraError::malformed(&format!(
                    "client_assertion_type must be '{JWT_BEARER_ASSERTION}'."
                )));
            }
            assertion::verify(jwt, app, certificates, ctx, segment)?;
            Ok(ClientAuth::Certificate)
        }
        (None, None) => Ok(ClientAuth::None),
    }
}

/// AADSTS7000218: a confidential client sent no credential.
fn credential_required() -> EntraError {
    EntraError::invalid_client(
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or \
         'client_secret'.",
    )
}
