//! `/_admin/...`: change state at run time, move the clock, schedule faults, list the
//! requests received. Loopback callers only; never recorded, never faulted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use super::plain_json;
use crate::admin::{Advance, ClockState, ConsentChange, Fault, Revoked, UserStateChange};
use crate::clock::rfc3339;
use crate::fixture::{ConsentGrant, ConsentRevocation, Fixture, Password};
use crate::state::{Inner, Shared};

/// The admin API's OpenAPI 3 description, served at `GET /_admin/openapi.json`; a test
/// checks it against [`routes`] both ways.
pub(crate) const OPENAPI_JSON: &str = include_str!("admin_openapi.json");

/// The admin router and the path of every route in it (below `/_admin`, axum's
/// `{param}` syntax), as added: the OpenAPI test compares these paths with the document.
struct Routes {
    router: Router<Arc<Shared>>,
    paths: Vec<&'static str>,
}

impl Routes {
    fn route(mut self, path: &'static str, handlers: MethodRouter<Arc<Shared>>) -> Self {
        self.paths.push(path);
        self.router = self.router.route(path, handlers);
        self
    }
}

/// Every admin route, and the list of their paths.
fn routes() -> Routes {
    Routes {
        router: Router::new(),
        paths: Vec::new(),
    }
    .route("/openapi.json", get(openapi))
    .route("/requests", get(requests).delete(clear_requests))
    .route("/clock", get(clock))
    .route("/clock/advance", post(advance))
    .route("/consent/grant", post(grant_consent))
    .route("/consent/revoke", post(revoke_consent))
    .route(
        "/users/{username}/revoke-refresh-tokens",
        post(revoke_refresh_tokens),
    )
    .route("/users/{username}/state", post(set_user_state))
    .route("/faults", post(add_fault).delete(clear_faults))
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    routes()
        .router
        .layer(middleware::from_fn(super::admin_json_errors))
        .layer(middleware::from_fn(loopback_only))
        .with_state(shared)
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
        .into_response()
}

async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    if peer.is_some_and(|p| p.ip().is_loopback()) {
        next.run(request).await
    } else {
        plain_json(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the admin API answers loopback callers only",
        )
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("invalid JSON body: {err}"))
}

fn bad(reason: String) -> Response {
    plain_json(StatusCode::BAD_REQUEST, "invalid_request", &reason)
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().requests.entries().to_vec()).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().requests.clear();
    StatusCode::NO_CONTENT
}

fn clock_state(inner: &Inner) -> Json<ClockState> {
    let now = inner.clock.now();
    Json(ClockState {
        now,
        rfc3339: rfc3339(now),
    })
}

async fn clock(State(shared): State<Arc<Shared>>) -> Json<ClockState> {
    clock_state(&shared.lock())
}

async fn advance(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let advance: Advance = match parse(&body) {
        Ok(a) => a,
        Err(reason) => return bad(reason),
    };
    let mut inner = shared.lock();
    match inner.clock.advance(Duration::from_secs(advance.seconds)) {
        Ok(()) => clock_state(&inner).into_response(),
        Err(err) => bad(format!("{err}; it is at {}", inner.clock.now())),
    }
}

/// Checks a consent change against the fixture; returns the tenant id.
fn check_change(fixture: &Fixture, change: &ConsentChange) -> Result<String, String> {
    let tenant = fixture
        .tenant(&change.tenant)
        .ok_or_else(|| format!("no tenant '{}'", change.tenant))?;
    if fixture.app(&change.client_id).is_none() {
        return Err(format!("no app '{}'", change.client_id));
    }
    if let Some(user) = &change.user
        && fixture.user(user).is_none_or(|u| u.tenant != tenant.id)
    {
        return Err(format!("no user '{user}' in the tenant '{}'", tenant.id));
    }
    if change.scopes.is_empty() {
        return Err("scopes is empty".into());
    }
    Ok(tenant.id.clone())
}

fn contains(list: &[String], scope: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(scope))
}

async fn grant_consent(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let change: ConsentChange = match parse(&body) {
        Ok(c) => c,
        Err(reason) => return bad(reason),
    };
    let mut inner = shared.lock();
    let fixture = inner.fixture_mut();
    let tenant = match check_change(fixture, &change) {
        Ok(t) => t,
        Err(reason) => return bad(reason),
    };
    let client = change.client_id.to_ascii_lowercase();
    // Granting lifts matching revocations: for the user, or for everyone.
    for revocation in &mut fixture.consent_revocations {
        let applies = revocation.tenant == tenant
            && revocation.client_id == client
            && change
                .user
                .as_ref()
                .is_none_or(|u| u.eq_ignore_ascii_case(&revocation.user));
        if applies {
            revocation.scopes.retain(|s| !contains(&change.scopes, s));
        }
    }
    fixture.consent_revocations.retain(|r| !r.scopes.is_empty());
    fixture.consents.push(ConsentGrant {
        tenant,
        client_id: client,
        user: change.user,
        scopes: change.scopes,
    });
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_consent(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let change: ConsentChange = match parse(&body) {
        Ok(c) => c,
        Err(reason) => return bad(reason),
    };
    let mut inner = shared.lock();
    let fixture = inner.fixture_mut();
    let tenant = match check_change(fixture, &change) {
        Ok(t) => t,
        Err(reason) => return bad(reason),
    };
    let client = change.client_id.to_ascii_lowercase();
    match &change.user {
        // Tenant-wide: the scopes leave every grant of that app in that tenant.
        None => {
            for grant in &mut fixture.consents {
                if grant.tenant == tenant && grant.client_id == client {
                    grant.scopes.retain(|s| !contains(&change.scopes, s));
                }
            }
        }
        // One user: their own grants lose the scopes, and tenant-wide consent no
        // longer covers them.
        Some(user) => {
            for grant in &mut fixture.consents {
                let own = grant
                    .user
                    .as_ref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(user));
                if grant.tenant == tenant && grant.client_id == client && own {
                    grant.scopes.retain(|s| !contains(&change.scopes, s));
                }
            }
            fixture.consent_revocations.push(ConsentRevocation {
                tenant,
                client_id: client,
                user: user.clone(),
                scopes: change.scopes,
            });
        }
    }
    fixture.consents.retain(|g| !g.scopes.is_empty());
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_refresh_tokens(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
) -> Response {
    let mut inner = shared.lock();
    if inner.fixture().user(&username).is_none() {
        return plain_json(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no user '{username}'"),
        );
    }
    let revoked = inner.revoke_refresh_tokens(&username);
    Json(Revoked { revoked }).into_response()
}

async fn set_user_state(
    State(shared): State<Arc<Shared>>,
    Path(username): Path<String>,
    body: Bytes,
) -> Response {
    let change: UserStateChange = match parse(&body) {
        Ok(c) => c,
        Err(reason) => return bad(reason),
    };
    let mut inner = shared.lock();
    let Some(user) = inner.fixture_mut().user_mut(&username) else {
        return plain_json(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no user '{username}'"),
        );
    };
    let password_changed = change.password.is_some();
    if let Some(password) = change.password {
        user.password = Password::new(password);
    }
    let flags = [
        (change.mfa_registered, &mut user.mfa_registered),
        (change.mfa_required, &mut user.mfa_required),
        (change.locked, &mut user.locked),
        (change.disabled, &mut user.disabled),
        (change.password_expired, &mut user.password_expired),
    ];
    for (value, field) in flags {
        if let Some(value) = value {
            *field = value;
        }
    }
    if password_changed {
        inner.revoke_refresh_tokens(&username);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fault: Fault = match parse(&body) {
        Ok(f) => f,
        Err(reason) => return bad(reason),
    };
    if fault.count == 0 {
        return bad("count must be at least 1".into());
    }
    shared.lock().faults.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::{Config, MockIdp};

    /// The methods a test tries on every documented path.
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    fn document() -> serde_json::Value {
        serde_json::from_str(OPENAPI_JSON).unwrap_or_else(|err| panic!("openapi.json: {err}"))
    }

    fn documented_paths(doc: &serde_json::Value) -> BTreeSet<String> {
        doc["paths"]
            .as_object()
            .map(|paths| paths.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_document_is_openapi_3_and_every_route_is_in_it_and_nothing_else() {
        let doc = document();
        assert!(
            doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
            "{}",
            doc["openapi"]
        );
        let routed: BTreeSet<String> = routes()
            .paths
            .iter()
            .map(|path| format!("/_admin{path}"))
            .collect();
        assert_eq!(documented_paths(&doc), routed);
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let operations = item.as_object().map(|ops| ops.len()).unwrap_or(0);
            assert!(operations > 0, "{path} documents no operation");
            for (method, operation) in item.as_object().into_iter().flatten() {
                assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents no response"
                );
            }
        }
    }

    /// Every documented path and method answers with a documented status (never 404 or
    /// 405), and every other method on those paths is 405: the routes' methods are
    /// exactly the documented ones.
    #[tokio::test]
    async fn every_documented_operation_answers_and_no_other_method_does() {
        let doc = document();
        let idp = MockIdp::start(Config::new(crate::Fixture::default()).seed(3))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let client = idp.client().unwrap_or_else(|err| panic!("{err}"));
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let url = format!(
                "{}{}",
                idp.base_url(),
                path.replace("{username}", "alice@contoso.com")
            );
            for method in METHODS {
                let operation = &item[method];
                let mut request = client.request(
                    reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                        .unwrap_or_else(|err| panic!("{err}")),
                    &url,
                );
                let example = &operation["requestBody"]["content"]["application/json"]["example"];
                if !example.is_null() {
                    request = request
                        .header("content-type", "application/json")
                        .body(example.to_string());
                }
                let response = request
                    .send()
                    .await
                    .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
                let status = response.status().as_u16();
                if operation.is_null() {
                    assert_eq!(status, 405, "{method} {path} is not documented");
                } else {
                    assert!(
                        operation["responses"].get(status.to_string()).is_some(),
                        "{method} {path} answered {status}, not a documented status"
                    );
                    assert!(
                        status != 404 && status != 405,
                        "{method} {path} answered {status}"
                    );
                }
            }
        }
        idp.shutdown().await;
    }

    #[tokio::test]
    async fn serves_the_document() {
        let idp = MockIdp::start(Config::new(crate::Fixture::default()).seed(3))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let client = idp.client().unwrap_or_else(|err| panic!("{err}"));
        let response = client
            .get(format!("{}/_admin/openapi.json", idp.base_url()))
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let served: serde_json::Value = response.json().await.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(served, document());
        idp.shutdown().await;
    }
}
