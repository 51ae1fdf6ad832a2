//! The mock ADFS as an OAuth authority (`https://{host}/adfs`, as ADFS 2019 serves it):
//! `/adfs/.well-known/openid-configuration`, `/adfs/oauth2/token` (password and refresh
//! token grants for the users of federated tenants) and `/adfs/discovery/keys`.
//!
//! ADFS's shapes: errors are `{"error", "error_description"}` only; tokens carry no
//! `client_info`; the id token has `upn`, `unique_name` and `sub`, `iss`
//! `https://{host}/adfs`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use crate::clock::later;
use crate::errors::RequestCtx;
use crate::fixture::{App, Fixture, TenantKind, User};
use crate::jwt::Unsigned;
use crate::keys::SigningKey;
use crate::routes::token::issue::pairwise_sub;
use crate::routes::token::{Form, access_token_lifetime, is_form};
use crate::state::{Inner, RefreshRecord, Shared, TokenIssuer};

/// The audience of an access token asked for no resource (ADFS's userinfo endpoint).
const USERINFO_AUDIENCE: &str = "urn:microsoft:userinfo";
/// An ADFS refresh token's lifetime as reported (8 hours, ADFS's default).
const REFRESH_TOKEN_LIFETIME: u64 = 8 * 3600;

/// An ADFS OAuth error: `error` and a description (an `MSISnnnn:` prefix where ADFS's
/// code is known).
struct AdfsError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl AdfsError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// A wrong username or password (also an unknown, locked or disabled account: ADFS
    /// does not tell them apart to the client).
    fn bad_credentials() -> Self {
        Self::new(
            "invalid_grant",
            "MSIS9659: Invalid 'username' or 'password'.",
        )
    }

    fn render(&self, ctx: &RequestCtx) -> Response {
        ctx.json(
            self.status,
            &json!({"error": self.error, "error_description": self.description}),
        )
    }
}

/// `GET /adfs/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(Extension(ctx): Extension<RequestCtx>) -> Response {
    let adfs = format!("{}/adfs", ctx.base());
    let document = json!({
        "issuer": adfs,
        "authorization_endpoint": format!("{adfs}/oauth2/authorize/"),
        "token_endpoint": format!("{adfs}/oauth2/token/"),
        "jwks_uri": format!("{adfs}/discovery/keys"),
        "userinfo_endpoint": format!("{adfs}/userinfo"),
        "end_session_endpoint": format!("{adfs}/oauth2/logout"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token",
            "code token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
            "urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit", "password",
            "srv_challenge", "urn:ietf:params:oauth:grant-type:device_code", "device_code"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": ["openid", "profile", "email", "allatclaims", "offline_access",
            "aza", "user_impersonation", "vpn_cert", "winhello_cert", "logon_cert"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic",
            "private_key_jwt", "windows_client_authentication"],
        "claims_supported": ["aud", "iss", "iat", "exp", "auth_time", "nonce", "at_hash",
            "c_hash", "sub", "upn", "unique_name", "pwd_url", "pwd_exp", "sid"],
        "access_token_issuer": format!("http://{}/adfs/services/trust", ctx.host),
        "microsoft_multi_refresh_token": true,
    });
    ctx.json(StatusCode::OK, &document)
}

/// `GET /adfs/discovery/keys`.
pub(crate) async fn jwks(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
) -> Response {
    ctx.json(StatusCode::OK, &shared.key.jwks())
}

/// ADFS's token response; its JWTs as claims ([`Unsigned`]) until [`AdfsTokens::sign`].
#[derive(Serialize)]
struct AdfsTokens<T = String> {
    access_token: T,
    token_type: &'static str,
    expires_in: u64,
    resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<T>,
}

impl AdfsTokens<Unsigned> {
    /// Signs the access and id tokens with `key`, without the state locked.
    fn sign(self, key: &SigningKey) -> AdfsTokens {
        AdfsTokens {
            access_token: self.access_token.sign(key),
            token_type: self.token_type,
            expires_in: self.expires_in,
            resource: self.resource,
            refresh_token: self.refresh_token,
            refresh_token_expires_in: self.refresh_token_expires_in,
            scope: self.scope,
            id_token: self.id_token.map(|claims| claims.sign(key)),
        }
    }
}

/// `POST /adfs/oauth2/token` (also with a trailing `/`).
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Signed after the state is unlocked, as Entra's tokens are.
    let outcome = handle(&shared, &mut shared.lock(), &ctx, &headers, &body);
    match outcome {
        Ok(tokens) => ctx.json(StatusCode::OK, &tokens.sign(&shared.key)),
        Err(err) => err.render(&ctx),
    }
}

/// A federated tenant's user, with their tenant's name.
fn federated_user(fixture: &Fixture, username: &str) -> Option<(User, String)> {
    let user = fixture.user(username)?;
    let tenant = fixture
        .tenants
        .iter()
        .find(|t| t.id == user.tenant && t.kind == TenantKind::Federated)?;
    Some((user.clone(), tenant.name.clone()))
}

fn handle(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<AdfsTokens<Unsigned>, AdfsError> {
    if !is_form(headers) {
        return Err(AdfsError::new(
            "invalid_request",
            "mock-idp: the body must be application/x-www-form-urlencoded.",
        ));
    }
    let form = Form::parse_token_request(body)
        .map_err(|err| AdfsError::new("invalid_request", format!("mock-idp: {}", err.message)))?;
    let grant_type = form.get("grant_type").unwrap_or_default();
    if grant_type != "password" && grant_type != "refresh_token" {
        return Err(AdfsError::new(
            "unsupported_grant_type",
            format!("mock-idp: the grant type '{grant_type}' is not served by the mock ADFS."),
        ));
    }
    let client_id = form.get("client_id").unwrap_or_default();
    let app: App = inner.fixture().app(client_id).cloned().ok_or_else(|| {
        AdfsError::new(
            "invalid_client",
            format!("mock-idp: no application is registered with the client id '{client_id}'."),
        )
    })?;
    match form.get("client_secret") {
        Some(secret) if !app.secrets.iter().any(|s| s.expose() == secret) => {
            let mut err = AdfsError::new(
                "invalid_client",
                "mock-idp: the client secret is not one of the application's.",
            );
            err.status = StatusCode::UNAUTHORIZED;
            return Err(err);
        }
        None if !app.public_client_flows => {
            return Err(AdfsError::new(
                "unauthorized_client",
                "mock-idp: the application is not a public client and sent no credential.",
            ));
        }
        _ => {}
    }
    let scope = form.get("scope").unwrap_or("openid");
    let mut audience = USERINFO_AUDIENCE.to_owned();
    let mut scp = Vec::new();
    for item in scope.split(' ').filter(|s| !s.is_empty()) {
        match item.to_ascii_lowercase().as_str() {
            "openid" | "profile" | "email" | "offline_access" | "allatclaims" => {
                scp.push(item.to_owned());
            }
            _ => {
                let found = item
                    .rsplit_once('/')
                    .and_then(|(uri, _)| inner.fixture().resource(uri))
                    .or_else(|| inner.fixture().default_resource());
                match found {
                    Some(resource) => audience = resource.identifier_uri.clone(),
                    None => {
                        return Err(AdfsError::new(
                            "invalid_scope",
                            format!("mock-idp: the scope '{item}' names no resource."),
                        ));
                    }
                }
                scp.push(item.rsplit_once('/').map_or(item, |(_, s)| s).to_owned());
            }
        }
    }
    let (user, tenant_name) = if grant_type == "password" {
        let username = form.get("username").unwrap_or_default();
        let password = form.get("password").unwrap_or_default();
        let (user, tenant) =
            federated_user(inner.fixture(), username).ok_or_else(AdfsError::bad_credentials)?;
        if user.password.expose() != password || user.locked || user.disabled {
            return Err(AdfsError::bad_credentials());
        }
        (user, tenant)
    } else {
        let token = form.get("refresh_token").unwrap_or_default();
        let record = inner
            .refresh_tokens
            .get(token)
            .filter(|r| r.issuer == TokenIssuer::Adfs && r.revoked_at.is_none())
            .filter(|r| r.client_id.eq_ignore_ascii_case(&app.client_id))
            .filter(|r| ctx.now.saturating_sub(r.issued_at) < REFRESH_TOKEN_LIFETIME)
            .cloned()
            .ok_or_else(|| {
                AdfsError::new(
                    "invalid_grant",
                    "mock-idp: the refresh token is unknown, revoked, expired or another \
                     application's.",
                )
            })?;
        let found = federated_user(inner.fixture(), &record.username)
            .filter(|(u, _)| !u.disabled && !u.locked)
            .ok_or_else(|| {
                AdfsError::new(
                    "invalid_grant",
                    "mock-idp: the refresh token's account is disabled, locked or gone.",
                )
            })?;
        if let Some(record) = inner.refresh_tokens.get_mut(token) {
            record.last_used = ctx.now;
            record.redeemed_at.get_or_insert(ctx.now);
        }
        found
    };
    let now = ctx.now;
    let expires_in = access_token_lifetime(shared, inner);
    let exp = later(now, expires_in).ok_or_else(|| {
        AdfsError::new(
            "invalid_request",
            "mock-idp: the mock clock is too close to its last instant to issue a token.",
        )
    })?;
    let issuer = format!("{}/adfs", ctx.base());
    let local = user.username.split('@').next().unwrap_or_default();
    let unique_name = format!("{}\\{local}", tenant_name.to_ascii_uppercase());
    let sub = pairwise_sub(&user.oid, &app.client_id);
    let access = json!({
        "aud": audience,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": exp,
        "apptype": if app.public_client_flows { "Public" } else { "Confidential" },
        "appid": app.client_id,
        "authmethod": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "auth_time": now,
        "ver": "1.0",
        "scp": scp.join(" "),
        "upn": user.username,
        "unique_name": unique_name,
        "sid": user.oid,
    });
    let wants_openid = scope.split(' ').any(|s| s.eq_ignore_ascii_case("openid"));
    let id_token = wants_openid.then(|| {
        Unsigned(json!({
                "aud": app.client_id,
                "iss": issuer,
                "iat": now,
                "nbf": now,
                "exp": exp,
                "auth_time": now,
                "sub": sub,
                "upn": user.username,
                "unique_name": unique_name,
                "sid": user.oid,
                "apptype": if app.public_client_flows { "Public" } else { "Confidential" },
                "appid": app.client_id,
                "ver": "1.0",
        }))
    });
    let wants_refresh = grant_type == "refresh_token"
        || scope
            .split(' ')
            .any(|s| s.eq_ignore_ascii_case("offline_access"));
    let refresh_token = wants_refresh.then(|| {
        let token = inner.ids.opaque(64);
        inner.refresh_tokens.insert(
            token.clone(),
            RefreshRecord {
                issuer: TokenIssuer::Adfs,
                username: user.username.clone(),
                tenant: user.tenant.clone(),
                client_id: app.client_id.clone(),
                issued_at: now,
                last_used: now,
                revoked_at: None,
                redeemed_at: None,
            },
        );
        token
    });
    Ok(AdfsTokens {
        access_token: Unsigned(access),
        token_type: "bearer",
        expires_in,
        resource: audience,
        refresh_token_expires_in: refresh_token.as_ref().map(|_| REFRESH_TOKEN_LIFETIME),
        refresh_token,
        scope: scp.join(" "),
        id_token,
    })
}
