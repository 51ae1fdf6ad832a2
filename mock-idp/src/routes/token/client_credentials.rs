//! The client credentials grant: a confidential app, `{resource}/.default`, an
//! app-only access token.

use super::issue::{self, ClientAuth, Grant, Minted};
use super::{Form, TenantPath, credential_required};
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::App;
use crate::state::{Inner, Shared};

fn not_default(scope: &str) -> EntraError {
    EntraError::bad(
        "invalid_scope",
        1002012,
        format!(
            "The provided value for scope {scope} is not valid. Client credential flows must \
             have a scope value with /.default suffixed to the resource identifier \
             (application ID URI)."
        ),
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
    if auth == ClientAuth::None {
        return Err(credential_required());
    }
    let scope = form.required("scope")?;
    let mut items = scope.split_whitespace();
    let (Some(only), None) = (items.next(), items.next()) else {
        return Err(not_default(scope));
    };
    let Some(resource_id) = only.strip_suffix("/.default") else {
        return Err(not_default(scope));
    };
    let TenantPath::Tenant(index) = path else {
        return Err(EntraError::missing("tenant"));
    };
    let fixture = inner.fixture();
    let tenant = fixture
        .tenants
        .get(index)
        .cloned()
        .ok_or_else(|| EntraError::missing("tenant"))?;
    let resource = fixture.resource(resource_id).cloned().ok_or_else(|| {
        EntraError::bad(
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource_id} was not found in the tenant named \
                 {}. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You \
                 might have sent your authentication request to the wrong tenant.",
                tenant.name
            ),
        )
    })?;
    let grant = Grant {
        tenant: &tenant,
        app,
        resource: &resource,
        auth,
        user: None,
    };
    issue::issue(shared, inner, ctx, &grant)
}
