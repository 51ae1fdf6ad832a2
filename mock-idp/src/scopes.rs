//! Scope parsing (bare, resource-qualified, `.default`, the OIDC scopes) and consent.

use crate::errors::EntraError;
use crate::fixture::Fixture;

/// The OIDC scopes, in the order a response echoes them. They never need consent.
pub(crate) const RESERVED: [&str; 4] = ["openid", "profile", "email", "offline_access"];

pub(crate) fn is_reserved(scope: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(scope))
}

/// A parsed `scope` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requested {
    /// Index of the resource in the fixture.
    pub resource: usize,
    /// Resource scopes, bare, in the case requested (empty with `.default`).
    pub names: Vec<String>,
    /// `{resource}/.default` was asked for.
    pub default: bool,
    /// The OIDC scopes asked for, in [`RESERVED`] order.
    pub reserved: Vec<&'static str>,
}

impl Requested {
    pub(crate) fn wants(&self, reserved: &str) -> bool {
        self.reserved.contains(&reserved)
    }
}

/// Splits `scope` into its resource (by index) and bare name.
fn split(fixture: &Fixture, scope: &str) -> Result<(usize, String), EntraError> {
    let (resource, name) = match scope.rsplit_once('/') {
        Some((resource, name)) => {
            let index = fixture
                .resources
                .iter()
                .position(|r| Some(r) == fixture.resource(resource))
                .ok_or_else(|| {
                    EntraError::bad(
                        "invalid_resource",
                        500011,
                        format!(
                            "The resource principal named {resource} was not found in the tenant. \
                             This can happen if the application has not been installed by the \
                             administrator of the tenant or consented to by any user in the \
                             tenant. You might have sent your authentication request to the \
                             wrong tenant."
                        ),
                    )
                })?;
            (index, name)
        }
        None => {
            let index = fixture
                .resources
                .iter()
                .position(|r| r.default)
                .ok_or_else(|| invalid_scope(scope))?;
            (index, scope)
        }
    };
    if name.is_empty() {
        return Err(invalid_scope(scope));
    }
    Ok((resource, name.to_owned()))
}

fn invalid_scope(scope: &str) -> EntraError {
    EntraError::bad(
        "invalid_scope",
        70011,
        format!(
            "The provided request must include a 'scope' input parameter. The provided value \
             for the input parameter 'scope' is not valid. The scope {scope} is not valid."
        ),
    )
}

/// Parses a `scope` parameter (space-separated; duplicates ignored).
pub(crate) fn parse(fixture: &Fixture, scope: &str) -> Result<Requested, EntraError> {
    let mut reserved = Vec::new();
    let mut resource = None;
    let mut names: Vec<String> = Vec::new();
    let mut default = false;
    for item in scope.split_whitespace() {
        if let Some(r) = RESERVED.iter().find(|r| r.eq_ignore_ascii_case(item)) {
            if !reserved.contains(r) {
                reserved.push(*r);
            }
            continue;
        }
        let (index, name) = split(fixture, item)?;
        if resource.is_some_and(|r| r != index) {
            return Err(EntraError::bad(
                "invalid_scope",
                28000,
                format!(
                    "Provided value for the input parameter scope is not valid because it \
                     contains more than one resource. Scope {scope} is not valid."
                ),
            ));
        }
        resource = Some(index);
        if name.eq_ignore_ascii_case(".default") {
            default = true;
        } else if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    if default && !names.is_empty() {
        return Err(invalid_scope(scope));
    }
    if resource.is_none() && reserved.is_empty() {
        return Err(EntraError::missing("scope"));
    }
    reserved.sort_by_key(|r| RESERVED.iter().position(|x| x == r));
    let resource = match resource {
        Some(index) => index,
        None => fixture
            .resources
            .iter()
            .position(|r| r.default)
            .ok_or_else(|| invalid_scope(scope))?,
    };
    Ok(Requested {
        resource,
        names,
        default,
        reserved,
    })
}

/// The scopes of `resource` that `client_id` holds in `tenant` for `username`, in the
/// case they were granted: tenant-wide and personal grants minus personal revocations.
pub(crate) fn consented(
    fixture: &Fixture,
    tenant: &str,
    client_id: &str,
    username: Option<&str>,
    resource: usize,
) -> Vec<String> {
    let same_user = |u: &str| username.is_some_and(|name| name.eq_ignore_ascii_case(u));
    let mut granted: Vec<String> = Vec::new();
    let grants = fixture.consents.iter().filter(|g| {
        g.tenant == tenant
            && g.client_id.eq_ignore_ascii_case(client_id)
            && g.user.as_deref().is_none_or(same_user)
    });
    for scope in grants.flat_map(|g| g.scopes.iter()) {
        if is_reserved(scope) {
            continue;
        }
        if let Ok((index, name)) = split(fixture, scope)
            && index == resource
            && !granted.iter().any(|n| n.eq_ignore_ascii_case(&name))
        {
            granted.push(name);
        }
    }
    let revoked: Vec<String> = fixture
        .consent_revocations
        .iter()
        .filter(|r| {
            r.tenant == tenant && r.client_id.eq_ignore_ascii_case(client_id) && same_user(&r.user)
        })
        .flat_map(|r| r.scopes.iter())
        .filter_map(|scope| split(fixture, scope).ok())
        .filter(|(index, _)| *index == resource)
        .map(|(_, name)| name)
        .collect();
    granted.retain(|name| !revoked.iter().any(|r| r.eq_ignore_ascii_case(name)));
    granted
}

/// AADSTS65001.
pub(crate) fn consent_required(client_id: &str, app_name: &str) -> EntraError {
    EntraError::invalid_grant(
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID \
             '{client_id}' named '{app_name}'. Send an interactive authorization request for \
             this user and resource."
        ),
    )
    .suberror("consent_required")
}

/// The resource scopes to grant, or AADSTS65001 when any lacks consent.
pub(crate) fn check_consent(
    fixture: &Fixture,
    tenant: &str,
    client_id: &str,
    app_name: &str,
    username: Option<&str>,
    requested: &Requested,
) -> Result<Vec<String>, EntraError> {
    let consented = consented(fixture, tenant, client_id, username, requested.resource);
    if requested.default {
        if consented.is_empty() {
            return Err(consent_required(client_id, app_name));
        }
        return Ok(consented);
    }
    if requested
        .names
        .iter()
        .all(|name| consented.iter().any(|c| c.eq_ignore_ascii_case(name)))
    {
        Ok(requested.names.clone())
    } else {
        Err(consent_required(client_id, app_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_fixture as d;

    #[test]
    fn bare_and_qualified_scopes_name_graph() {
        let fixture = Fixture::default();
        let r = parse(&fixture, "offline_access openid profile User.Read").unwrap();
        assert_eq!(r.names, ["User.Read"]);
        assert_eq!(r.reserved, ["openid", "profile", "offline_access"]);
        let q = parse(&fixture, "https://graph.microsoft.com/.default openid").unwrap();
        assert!(q.default && q.names.is_empty());
        assert_eq!(
            parse(&fixture, "https://other.example/x").unwrap_err().code,
            500011
        );
        assert_eq!(parse(&fixture, "   ").unwrap_err().code, 900144);
    }

    #[test]
    fn consent_follows_grants_and_revocations() {
        let fixture = Fixture::default();
        let alice = consented(
            &fixture,
            d::CONTOSO_TENANT_ID,
            d::CLI_CLIENT_ID,
            Some(d::ALICE),
            0,
        );
        assert_eq!(alice, ["User.Read"]);
        let revoked = consented(
            &fixture,
            d::CONTOSO_TENANT_ID,
            d::CLI_CLIENT_ID,
            Some(d::CONSENT_REQUIRED),
            0,
        );
        assert!(revoked.is_empty());
        let mail = parse(&fixture, "Mail.Send").unwrap();
        let err = check_consent(
            &fixture,
            d::CONTOSO_TENANT_ID,
            d::CLI_CLIENT_ID,
            "CLI",
            Some(d::ALICE),
            &mail,
        )
        .unwrap_err();
        assert_eq!((err.code, err.suberror), (65001, Some("consent_required")));
    }
}
