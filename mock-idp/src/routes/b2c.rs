//! Azure AD B2C: a B2C tenant's user flows (policies) at `/{tenant}/{policy}/...` and
//! `/tfp/{tenant}/{policy}/...`: OpenID configuration, the token endpoint (password and
//! refresh token grants) and JWKS, with B2C's token and error shapes.
//!
//! B2C differs from Entra where clients notice: its errors carry `AADB2Cnnnnn` codes and
//! only `error` and `error_description`; its tokens carry `tfp` and `acr` (the policy),
//! `emails` instead of `preferred_username`, and `iss` `https://{host}/{tenant id}/v2.0/`;
//! `client_info`'s `uid` is `{object id}-{policy, lowercased}`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::{entra_timestamp, later};
use crate::errors::RequestCtx;
use crate::fixture::{App, Fixture, Tenant, TenantKind, User};
use crate::jwt::Unsigned;
use crate::keys::SigningKey;
use crate::routes::token::{Form, ID_TOKEN_LIFETIME, access_token_lifetime, is_form};
use crate::state::{Inner, RefreshRecord, Shared, TokenIssuer};

/// A B2C refresh token lives 14 days (B2C's default), reported as
/// `refresh_token_expires_in`.
const REFRESH_TOKEN_LIFETIME: u64 = 14 * 24 * 3600;

/// An error as B2C renders it: only `error` and `error_description`, the description
/// `AADB2Cnnnnn: text` (or the text alone when B2C's code is not known) followed by
/// `Correlation ID` and `Timestamp` lines.
#[derive(Debug)]
pub(crate) struct B2cError {
    status: StatusCode,
    error: &'static str,
    code: Option<u32>,
    message: String,
}

impl B2cError {
    fn new(status: StatusCode, error: &'static str, code: Option<u32>, message: String) -> Self {
        Self {
            status,
            error,
            code,
            message,
        }
    }

    /// AADB2C90225: the username or password is wrong (also for an unknown, locked or
    /// disabled local account: B2C gives those no distinct code on this flow).
    fn bad_credentials() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "access_denied",
            Some(90225),
            "The username or password provided in the request are invalid.".into(),
        )
    }

    fn invalid_grant(message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            None,
            format!("mock-idp: {message}"),
        )
    }

    fn render(&self, ctx: &RequestCtx) -> Response {
        let code = self
            .code
            .map(|c| format!("AADB2C{c}: "))
            .unwrap_or_default();
        let description = format!(
            "{code}{}\r\nCorrelation ID: {}\r\nTimestamp: {}\r\n",
            self.message,
            ctx.correlation_id,
            entra_timestamp(ctx.now)
        );
        ctx.json(
            self.status,
            &json!({"error": self.error, "error_description": description}),
        )
    }
}

/// The tenant (by domain or id) and its policy (as the fixture spells it).
fn resolve<'f>(
    fixture: &'f Fixture,
    tenant: &str,
    policy: &str,
) -> Result<(&'f Tenant, &'f str), B2cError> {
    let unknown = || {
        B2cError::new(
            StatusCode::NOT_FOUND,
            "invalid_request",
            Some(90022),
            format!("Unable to return metadata for the policy '{policy}' in tenant '{tenant}'."),
        )
    };
    let found = fixture
        .tenant(tenant)
        .filter(|t| t.kind == TenantKind::B2c)
        .ok_or_else(unknown)?;
    let flow = found
        .user_flows
        .iter()
        .find(|f| f.eq_ignore_ascii_case(policy))
        .ok_or_else(unknown)?;
    Ok((found, flow.as_str()))
}

/// `GET /{tenant}/{policy}/v2.0/.well-known/openid-configuration` (and `/tfp/...`).
pub(crate) async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path((tenant, policy)): Path<(String, String)>,
) -> Response {
    let inner = shared.lock();
    let tenant_id = match resolve(inner.fixture(), &tenant, &policy) {
        Ok((t, _)) => t.id.clone(),
        Err(err) => return err.render(&ctx),
    };
    drop(inner);
    let base = ctx.base();
    let p = format!(
        "{base}/{}/{}",
        tenant.to_ascii_lowercase(),
        policy.to_ascii_lowercase()
    );
    let document = json!({
        "issuer": format!("{base}/{tenant_id}/v2.0/"),
        "authorization_endpoint": format!("{p}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{p}/oauth2/v2.0/token"),
        "end_session_endpoint": format!("{p}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{p}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "response_types_supported": ["code", "code id_token", "code token", "code id_token token",
            "id_token", "id_token token", "token", "token id_token"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["name", "emails", "oid", "sub", "tfp", "acr", "iss", "iat", "exp",
            "aud", "nbf", "auth_time"],
    });
    ctx.json(StatusCode::OK, &document)
}

/// `GET /{tenant}/{policy}/discovery/v2.0/keys` (and `/tfp/...`).
pub(crate) async fn jwks(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path((tenant, policy)): Path<(String, String)>,
) -> Response {
    if let Err(err) = resolve(shared.lock().fixture(), &tenant, &policy) {
        return err.render(&ctx);
    }
    ctx.json(StatusCode::OK, &shared.key.jwks())
}

/// `POST /{tenant}/{policy}/oauth2/v2.0/token` (and `/tfp/...`).
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path((tenant, policy)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Signed after the state is unlocked, as Entra's tokens are.
    let outcome = handle(
        &shared,
        &mut shared.lock(),
        &ctx,
        &tenant,
        &policy,
        &headers,
        &body,
    );
    match outcome {
        Ok(tokens) => ctx.json(StatusCode::OK, &tokens.sign(&shared.key)),
        Err(err) => err.render(&ctx),
    }
}

/// B2C's token response; its JWTs as claims ([`Unsigned`]) until [`B2cTokens::sign`].
#[derive(Serialize)]
pub(crate) struct B2cTokens<T = String> {
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<T>,
    id_token: T,
    token_type: &'static str,
    not_before: u64,
    expires_in: u64,
    expires_on: u64,
    id_token_expires_in: u64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<String>,
}

impl B2cTokens<Unsigned> {
    /// Signs the id and access tokens with `key`, without the state locked.
    fn sign(self, key: &SigningKey) -> B2cTokens {
        B2cTokens {
            access_token: self.access_token.map(|claims| claims.sign(key)),
            id_token: self.id_token.sign(key),
            token_type: self.token_type,
            not_before: self.not_before,
            expires_in: self.expires_in,
            expires_on: self.expires_on,
            id_token_expires_in: self.id_token_expires_in,
            scope: self.scope,
            refresh_token: self.refresh_token,
            refresh_token_expires_in: self.refresh_token_expires_in,
            client_info: self.client_info,
        }
    }
}

/// The scopes of a B2C request: OIDC ones, and at most one audience (the app's own
/// client id, or a resource scope `{identifier uri}/{scope}`).
struct Scopes {
    /// The access token's audience and `scp`, when one was asked for.
    audience: Option<(String, Option<String>)>,
    offline_access: bool,
    /// What the response echoes.
    echo: Vec<String>,
}

fn parse_scopes(fixture: &Fixture, app: &App, scope: &str) -> Result<Scopes, B2cError> {
    let mut out = Scopes {
        audience: None,
        offline_access: false,
        echo: Vec::new(),
    };
    for item in scope.split(' ').filter(|s| !s.is_empty()) {
        let lower = item.to_ascii_lowercase();
        match lower.as_str() {
            "openid" | "profile" | "email" => {}
            "offline_access" => out.offline_access = true,
            _ if lower == app.client_id => out.audience = Some((app.client_id.clone(), None)),
            _ => {
                let resource = item.rsplit_once('/').and_then(|(uri, name)| {
                    fixture
                        .resource(uri)
                        .filter(|_| !name.is_empty())
                        .map(|r| (r.app_id.clone(), Some(name.to_owned())))
                });
                match resource {
                    Some(audience) => out.audience = Some(audience),
                    None => {
                        return Err(B2cError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_scope",
                            Some(90012),
                            format!("The scope '{item}' provided in request is not supported."),
                        ));
                    }
                }
            }
        }
        out.echo.push(item.to_owned());
    }
    Ok(out)
}

fn handle(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    tenant: &str,
    policy: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<B2cTokens<Unsigned>, B2cError> {
    let (tenant, policy) = {
        let (t, p) = resolve(inner.fixture(), tenant, policy)?;
        (t.clone(), p.to_owned())
    };
    let malformed = |message: String| {
        B2cError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            None,
            format!("mock-idp: {message}"),
        )
    };
    if !is_form(headers) {
        return Err(malformed(
            "the body must be application/x-www-form-urlencoded.".into(),
        ));
    }
    let form = Form::parse_token_request(body).map_err(|err| malformed(err.message))?;
    let grant_type = form.get("grant_type").unwrap_or_default();
    if grant_type != "password" && grant_type != "refresh_token" {
        return Err(B2cError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            None,
            format!("mock-idp: the grant type '{grant_type}' is not supported by this user flow."),
        ));
    }
    let client_id = form.get("client_id").ok_or_else(|| {
        B2cError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(90008),
            "The request does not contain a client ID parameter.".into(),
        )
    })?;
    let app = inner
        .fixture()
        .app(client_id)
        .filter(|a| a.tenant == tenant.id)
        .cloned()
        .ok_or_else(|| {
            B2cError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some(90018),
                format!(
                    "The client id '{client_id}' specified in the request is not registered in \
                     tenant '{}'.",
                    tenant
                        .domains
                        .first()
                        .map_or(tenant.id.as_str(), String::as_str)
                ),
            )
        })?;
    match form.get("client_secret") {
        Some(secret) if !app.secrets.iter().any(|s| s.expose() == secret) => {
            return Err(B2cError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                None,
                "mock-idp: the client secret is not one of the application's.".into(),
            ));
        }
        None if !app.public_client_flows => {
            return Err(B2cError::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                Some(90057),
                "The provided application is not configured to allow the 'OAuth' Implicit flow."
                    .into(),
            ));
        }
        _ => {}
    }
    let scope = if grant_type == "refresh_token" {
        form.get("scope").unwrap_or("openid offline_access")
    } else {
        form.get("scope").ok_or_else(|| {
            B2cError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some(90010),
                "The request does not contain a scope parameter.".into(),
            )
        })?
    };
    let scopes = parse_scopes(inner.fixture(), &app, scope)?;
    let user = if grant_type == "password" {
        let username = form.get("username").unwrap_or_default();
        let password = form.get("password").unwrap_or_default();
        let user = inner
            .fixture()
            .user(username)
            .filter(|u| u.tenant == tenant.id)
            .ok_or_else(B2cError::bad_credentials)?;
        if user.password.expose() != password || user.locked || user.disabled {
            return Err(B2cError::bad_credentials());
        }
        user.clone()
    } else {
        redeem(inner, ctx, &app, &policy, form.get("refresh_token"))?
    };
    issue(
        shared,
        inner,
        ctx,
        &Issue {
            tenant: &tenant,
            policy: &policy,
            app: &app,
            user: &user,
            scopes: &scopes,
            client_info: form.get("client_info") == Some("1"),
        },
    )
}

/// The user of a refresh token this policy issued to this app.
fn redeem(
    inner: &mut Inner,
    ctx: &RequestCtx,
    app: &App,
    policy: &str,
    token: Option<&str>,
) -> Result<User, B2cError> {
    let token = token.ok_or_else(|| {
        B2cError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            None,
            "mock-idp: the request has no refresh_token.".into(),
        )
    })?;
    let record = inner
        .refresh_tokens
        .get(token)
        .filter(|r| r.issuer == TokenIssuer::B2c(policy.to_owned()))
        .cloned()
        .ok_or_else(|| {
            B2cError::invalid_grant(
                "the refresh token was not issued by this user flow (unknown, or another \
                 policy's or authority's).",
            )
        })?;
    if !record.client_id.eq_ignore_ascii_case(&app.client_id) {
        return Err(B2cError::invalid_grant(
            "the refresh token was issued to another application.",
        ));
    }
    if record.revoked_at.is_some() {
        return Err(B2cError::invalid_grant("the refresh token was revoked."));
    }
    if ctx.now.saturating_sub(record.issued_at) >= REFRESH_TOKEN_LIFETIME {
        return Err(B2cError::invalid_grant("the refresh token has expired."));
    }
    let user = inner
        .fixture()
        .user(&record.username)
        .filter(|u| !u.disabled && !u.locked)
        .cloned()
        .ok_or_else(|| {
            B2cError::invalid_grant("the refresh token's account is disabled, locked or gone.")
        })?;
    if let Some(record) = inner.refresh_tokens.get_mut(token) {
        record.last_used = ctx.now;
        record.redeemed_at.get_or_insert(ctx.now);
    }
    Ok(user)
}

struct Issue<'a> {
    tenant: &'a Tenant,
    policy: &'a str,
    app: &'a App,
    user: &'a User,
    scopes: &'a Scopes,
    client_info: bool,
}

fn issue(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    grant: &Issue<'_>,
) -> Result<B2cTokens<Unsigned>, B2cError> {
    let now = ctx.now;
    let expires_in = access_token_lifetime(shared, inner);
    let past = || {
        B2cError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            None,
            "mock-idp: the mock clock is too close to its last instant to issue a token.".into(),
        )
    };
    let exp = later(now, expires_in).ok_or_else(past)?;
    let id_exp = later(now, ID_TOKEN_LIFETIME).ok_or_else(past)?;
    let issuer = format!("{}/{}/v2.0/", ctx.base(), grant.tenant.id);
    let user = grant.user;
    let base_claims = |aud: &str, exp: u64| -> Value {
        json!({
            "exp": exp,
            "nbf": now,
            "ver": "1.0",
            "iss": issuer,
            "sub": user.oid,
            "aud": aud,
            "iat": now,
            "auth_time": now,
            "oid": user.oid,
            "name": user.display_name,
            "emails": [user.username],
            "tfp": grant.policy,
            "acr": grant.policy.to_ascii_lowercase(),
        })
    };
    let id_token = Unsigned(base_claims(&grant.app.client_id, id_exp));
    let access_token = grant.scopes.audience.as_ref().map(|(aud, scp)| {
        let mut claims = base_claims(aud, exp);
        if let (Some(scp), Value::Object(map)) = (scp, &mut claims) {
            map.insert("scp".into(), scp.clone().into());
            map.insert("azp".into(), grant.app.client_id.clone().into());
        }
        Unsigned(claims)
    });
    let refresh_token = grant.scopes.offline_access.then(|| {
        let token = inner.ids.opaque(64);
        inner.refresh_tokens.insert(
            token.clone(),
            RefreshRecord {
                issuer: TokenIssuer::B2c(grant.policy.to_owned()),
                username: user.username.clone(),
                tenant: grant.tenant.id.clone(),
                client_id: grant.app.client_id.clone(),
                issued_at: now,
                last_used: now,
                revoked_at: None,
                redeemed_at: None,
            },
        );
        token
    });
    let client_info = grant.client_info.then(|| {
        let uid = format!("{}-{}", user.oid, grant.policy.to_ascii_lowercase());
        URL_SAFE_NO_PAD.encode(json!({"uid": uid, "utid": grant.tenant.id}).to_string())
    });
    Ok(B2cTokens {
        access_token,
        id_token,
        token_type: "Bearer",
        not_before: now,
        expires_in,
        expires_on: exp,
        id_token_expires_in: ID_TOKEN_LIFETIME,
        scope: grant.scopes.echo.join(" "),
        refresh_token_expires_in: refresh_token.as_ref().map(|_| REFRESH_TOKEN_LIFETIME),
        refresh_token,
        client_info,
    })
}
