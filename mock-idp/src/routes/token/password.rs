//! The password grant (ROPC).

use std::sync::Arc;

use super::access;
use super::issue::{self, ClientAuth, Grant, Minted, UserGrant};
use super::{Form, TenantPath, credential_required};
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::{App, Tenant, TenantKind, User};
use crate::scopes;
use crate::state::{Inner, Shared};

pub(super) fn no_such_user(directory: &str) -> EntraError {
    EntraError::invalid_grant(
        50034,
        format!(
            "The user account {{EUII Hidden}} does not exist in the {directory} directory. To \
             sign into this application, the account must be added to the directory."
        ),
    )
}

fn bad_password() -> EntraError {
    EntraError::invalid_grant(
        50126,
        "Error validating credentials due to invalid username or password.",
    )
}

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
    let username = form.required("username")?;
    let password = form.required("password")?;
    let scope = form.required("scope")?;
    let fixture = Arc::clone(inner.fixture());
    let requested = scopes::parse(&fixture, scope)?;
    let directory = match path {
        TenantPath::Tenant(index) => fixture
            .tenants
            .get(index)
            .map_or("organizations", |t| t.id.as_str()),
        _ => "organizations",
    };
    let home = fixture.tenant_of_username(username);
    // Personal accounts are in no work or school directory.
    if home.is_some_and(|t| t.kind == TenantKind::Personal) {
        return Err(no_such_user(directory));
    }
    let user = fixture
        .user(username)
        .ok_or_else(|| no_such_user(directory))?;
    let tenant = fixture
        .tenants
        .iter()
        .find(|t| t.id == user.tenant)
        .ok_or_else(|| no_such_user(directory))?;
    if let TenantPath::Tenant(index) = path
        && fixture
            .tenants
            .get(index)
            .is_none_or(|t| t.id != user.tenant)
    {
        return Err(no_such_user(directory));
    }
    if !app.multi_tenant && app.tenant != tenant.id {
        return Err(EntraError::unknown_client(&app.client_id, &tenant.id));
    }
    // A federated user's password is checked by their federation service, and Entra
    // does not ask it on the user's behalf: Microsoft documents that the password grant
    // does not work for users federated to an on-premises identity provider, and such
    // a grant fails as a bad password does (AADSTS50126). Clients get their tokens
    // through the mock ADFS and a SAML bearer grant instead.
    if tenant.kind == TenantKind::Federated || user.password.expose() != password {
        return Err(bad_password());
    }
    access::account_state(user)?;
    issue_for_user(
        shared, inner, ctx, app, auth, form, tenant, user, &requested,
    )
}

/// After the user is authenticated: consent, conditional access, then the tokens.
#[allow(clippy::too_many_arguments)]
pub(super) fn issue_for_user(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    app: &App,
    auth: ClientAuth,
    form: &Form,
    tenant: &Tenant,
    user: &User,
    requested: &scopes::Requested,
) -> Result<Minted, EntraError> {
    let fixture = Arc::clone(inner.fixture());
    let granted = scopes::check_consent(
        &fixture,
        &tenant.id,
        &app.client_id,
        &app.name,
        Some(&user.username),
        requested,
    )?;
    let resource = fixture
        .resources
        .get(requested.resource)
        .ok_or_else(|| EntraError::missing("scope"))?;
    access::policies(&fixture, user, &app.client_id, resource)?;
    let grant = Grant {
        tenant,
        app,
        resource,
        auth,
        user: Some(UserGrant {
            user,
            scopes: granted,
            refresh_token: requested.wants("offline_access"),
            reserved: requested.reserved.clone(),
            client_info: form.get("client_info") == Some("1"),
        }),
    };
    issue::issue(shared, inner, ctx, &grant)
}
