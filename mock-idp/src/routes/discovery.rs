//! OIDC discovery, instance discovery and JWKS. Every URL is built from the host the
//! client used, so the issuer's host:port matches the authority's.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::errors::{EntraError, RequestCtx};
use crate::fixture::TenantKind;
use crate::routes::token::TenantPath;
use crate::state::Shared;

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(segment): Path<String>,
) -> Response {
    let inner = shared.lock();
    let path = match TenantPath::resolve(inner.fixture(), &segment, "invalid_tenant") {
        Ok(path) => path,
        Err(err) => return ctx.error(err),
    };
    // A GUID or domain gets endpoints under the tenant id; the aliases keep their name.
    let (endpoint_tenant, issuer_tenant) = match path {
        TenantPath::Tenant(index) => {
            let id = inner
                .fixture()
                .tenants
                .get(index)
                .map(|t| t.id.clone())
                .unwrap_or_default();
            (id.clone(), id)
        }
        TenantPath::Consumers => {
            let id = inner
                .fixture()
                .tenants
                .iter()
                .find(|t| t.kind == TenantKind::Personal)
                .map_or_else(|| "{tenantid}".to_owned(), |t| t.id.clone());
            let segment = if inner.fixture().tenant(&segment).is_some() {
                id.clone()
            } else {
                "consumers".into()
            };
            (segment, id)
        }
        TenantPath::Common => ("common".into(), "{tenantid}".into()),
        TenantPath::Organizations => ("organizations".into(), "{tenantid}".into()),
    };
    drop(inner);
    let base = ctx.base();
    let t = format!("{base}/{endpoint_tenant}");
    let document = json!({
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
            "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{t}/kerberos"),
        "tenant_region_scope": null,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    ctx.json(StatusCode::OK, &document)
}

/// The hosts of Microsoft's clouds that Entra's instance discovery knows (public, US
/// Government, China).
pub(crate) const MICROSOFT_HOSTS: [&str; 9] = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
    "login-us.microsoftonline.com",
    "login.microsoftonline.us",
    "login.usgovcloudapi.net",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
];

/// The host of a URL (no scheme, userinfo, port or path), lowercase.
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_ascii_lowercase()
}

/// `GET /common/discovery/instance?authorization_endpoint=...`: for a host it knows
/// (its own names: localhost, 127.0.0.1, `--hostname`; Microsoft's cloud hosts), the
/// tenant discovery endpoint of the tenant named in `authorization_endpoint`, on the
/// host the request came to; for any other host, 400 `invalid_instance` (AADSTS50049),
/// as Entra answers for an authority it does not know.
pub(crate) async fn instance(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let endpoint = query
        .iter()
        .find(|(k, _)| k == "authorization_endpoint")
        .map(|(_, v)| v.as_str());
    if let Some(endpoint) = endpoint {
        let host = url_host(endpoint);
        let known = host == "localhost"
            || host == "127.0.0.1"
            || shared.hostnames.contains(&host)
            || MICROSOFT_HOSTS.contains(&host.as_str());
        if !known {
            return ctx.error(EntraError::bad(
                "invalid_instance",
                50049,
                "Unknown or invalid instance.",
            ));
        }
    }
    let tenant = endpoint
        .and_then(|v| {
            let rest = v.split_once("://").map_or(v, |(_, rest)| rest);
            rest.split('/').nth(1).map(str::to_owned)
        })
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        })
        .unwrap_or_else(|| "common".into());
    let host = &ctx.host;
    let document = json!({
        "tenant_discovery_endpoint": format!("{}/{tenant}/v2.0/.well-known/openid-configuration", ctx.base()),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }],
    });
    ctx.json(StatusCode::OK, &document)
}

/// `GET /{tenant}/discovery/v2.0/keys`.
pub(crate) async fn jwks(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(segment): Path<String>,
) -> Response {
    if let Err(err) = TenantPath::resolve(shared.lock().fixture(), &segment, "invalid_tenant") {
        return ctx.error(err);
    }
    ctx.json(StatusCode::OK, &shared.key.jwks())
}

#[cfg(test)]
mod tests {
    use super::url_host;

    #[test]
    fn url_host_takes_the_host_alone() {
        for (url, host) in [
            (
                "https://Login.MicrosoftOnline.com/common/oauth2/v2.0/authorize",
                "login.microsoftonline.com",
            ),
            ("https://localhost:8443/organizations", "localhost"),
            ("https://user@evil.example:1/x", "evil.example"),
            ("https://[::1]:443/x", "[::1]"),
            ("evil.example/x", "evil.example"),
            ("", ""),
        ] {
            assert_eq!(url_host(url), host, "{url}");
        }
    }
}
