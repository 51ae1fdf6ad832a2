//! The refresh token grant: the token must be known, live (not revoked, expired or
//! inactive) and the client's own; a new refresh token is issued each time. The old one
//! stays valid until it expires, as with Entra, unless the fixture turns on strict
//! rotation: then a refresh token is good for one redemption.

use super::access;
use super::issue::{self, ClientAuth, Grant, Minted, UserGrant};
use super::{Form, TenantPath, credential_required};
use crate::clock::rfc3339;
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::App;
use crate::scopes;
use crate::state::{Inner, Shared, TokenIssuer};

pub(super) fn grant(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    path: TenantPath,
    app: &App,
    auth: ClientAuth,
    form: &Form,
) -> Result<Minted, EntraError> {
    if auth == ClientAuth::None && !app.public_client_flows {
        return Err(credential_required());
    }
    let token = form.required("refresh_token")?;
    let scope = form.get("scope").unwrap_or("openid profile offline_access");
    let requested = scopes::parse(inner.fixture(), scope)?;
    // A refresh token from a B2C user flow or the ADFS authority is unknown here.
    let record = inner
        .refresh_tokens
        .get(token)
        .filter(|r| r.issuer == TokenIssuer::Entra)
        .cloned()
        .ok_or_else(|| {
            EntraError::invalid_grant(9002313, "Invalid request. Request is malformed or invalid.")
        })?;
    if !record.client_id.eq_ignore_ascii_case(&app.client_id) {
        return Err(EntraError::invalid_grant(
            70000,
            "Provided grant is invalid or malformed.",
        ));
    }
    if let TenantPath::Tenant(index) = path
        && inner
            .fixture()
            .tenants
            .get(index)
            .is_none_or(|t| t.id != record.tenant)
    {
        return Err(EntraError::invalid_grant(
            70000,
            "Provided grant is invalid or malformed.",
        ));
    }
    let now = ctx.now;
    let settings = &inner.fixture().settings;
    if let Some(revoked_at) = record.revoked_at {
        return Err(EntraError::invalid_grant(
            50173,
            format!(
                "The provided grant has expired due to it being revoked, a fresh auth token is \
                 needed. The user might have changed or reset their password. The grant was \
                 issued on '{}' and the TokensValidFrom date (before which tokens are not valid) \
                 for this user is '{}'.",
                rfc3339(record.issued_at),
                rfc3339(revoked_at)
            ),
        ));
    }
    if settings.strict_refresh_token_rotation
        && let Some(redeemed_at) = record.redeemed_at
    {
        return Err(already_redeemed(redeemed_at));
    }
    if now.saturating_sub(record.issued_at) >= settings.refresh_token_max_age_secs {
        return Err(EntraError::invalid_grant(
            70008,
            format!(
                "The refresh token has expired or is invalid due to sign-in frequency checks by \
                 conditional access. The token was issued on {} and the maximum allowed lifetime \
                 for this request is {}.",
                rfc3339(record.issued_at),
                settings.refresh_token_max_age_secs
            ),
        ));
    }
    let inactive = now.saturating_sub(record.last_used);
    if inactive >= settings.refresh_token_max_inactive_secs {
        return Err(EntraError::invalid_grant(
            700082,
            format!(
                "The refresh token has expired due to inactivity. The token was issued on {} \
                 and was inactive for {}.",
                rfc3339(record.issued_at),
                humantime(inactive)
            ),
        ));
    }
    let fixture = inner.fixture();
    let user = fixture.user(&record.username).ok_or_else(|| {
        EntraError::invalid_grant(70000, "Provided grant is invalid or malformed.")
    })?;
    if user.disabled {
        return Err(access::disabled());
    }
    let tenant = fixture
        .tenants
        .iter()
        .find(|t| t.id == record.tenant)
        .ok_or_else(|| {
            EntraError::invalid_grant(70000, "Provided grant is invalid or malformed.")
        })?;
    let granted = scopes::check_consent(
        fixture,
        &tenant.id,
        &app.client_id,
        &app.name,
        Some(&user.username),
        &requested,
    )?;
    let resource = fixture
        .resources
        .get(requested.resource)
        .ok_or_else(|| EntraError::missing("scope"))?;
    access::policies(fixture, user, &app.client_id, resource)?;
    let (tenant, user, resource) = (tenant.clone(), user.clone(), resource.clone());
    if let Some(record) = inner.refresh_tokens.get_mut(token) {
        record.last_used = now;
    }
    let grant = Grant {
        tenant: &tenant,
        app,
        resource: &resource,
        auth,
        user: Some(UserGrant {
            user: &user,
            scopes: granted,
            refresh_token: true,
            reserved: requested.reserved,
            client_info: form.get("client_info") == Some("1"),
        }),
    };
    let response = issue::issue(shared, inner, ctx, &grant)?;
    if let Some(record) = inner.refresh_tokens.get_mut(token) {
        record.redeemed_at.get_or_insert(now);
    }
    Ok(response)
}

/// A refresh token redeemed before, under strict rotation. Entra's own wording for a
/// refresh token it no longer accepts, with the cause added (as the mock ADFS adds
/// one to its faults).
fn already_redeemed(redeemed_at: u64) -> EntraError {
    EntraError::invalid_grant(
        70000,
        format!(
            "The provided value for the 'refresh_token' is not valid. (mock-idp: strict \
             refresh token rotation is on and this refresh token was already redeemed on \
             '{}'.)",
            rfc3339(redeemed_at)
        ),
    )
}

/// `91.00:00:00`-style duration, as Entra prints it.
fn humantime(secs: u64) -> String {
    format!(
        "{}.{:02}:{:02}:{:02}",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
