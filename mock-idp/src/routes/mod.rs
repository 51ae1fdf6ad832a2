//! The router, and the middleware that observes every non-admin request: it makes the
//! request context, caps and records the body (secrets redacted), and applies faults.

pub(crate) mod adfs;
mod admin;
mod b2c;
mod discovery;
mod redact;
pub(crate) mod token;
mod userrealm;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::admin::{Endpoint, FaultAction, RecordedRequest};
use crate::errors::{EntraError, RequestCtx};
use crate::state::Shared;
use token::Form;

/// The largest request body accepted (64 KiB); a larger one gets 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How much of a too-large body is read and discarded before the 413 is sent, so that a
/// client that writes its whole request before reading (urllib3, curl) reads the answer
/// instead of a reset connection. Past this, or past [`DRAIN_TIMEOUT`], the connection
/// is closed after the answer.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// How long a too-large body may take to drain.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Marks a response whose connection must be dropped instead (a `Drop` fault).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let entra = Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/common/discovery/instance", get(discovery::instance))
        .route("/common/userrealm/{username}", get(userrealm::user_realm))
        .route("/common/UserRealm/{username}", get(userrealm::user_realm))
        .route(userrealm::MSA_METADATA_PATH, get(userrealm::msa_metadata))
        .route(adfs::MEX_PATH, get(adfs::mex))
        .route(adfs::USERNAME_MIXED_13_PATH, post(adfs::username_mixed_13))
        .route(
            adfs::USERNAME_MIXED_2005_PATH,
            post(adfs::username_mixed_2005),
        )
        .route(adfs::DECOY_PATHS[0], post(adfs::decoy))
        .route(adfs::DECOY_PATHS[1], post(adfs::decoy))
        .route(adfs::DECOY_PATHS[2], post(adfs::decoy))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::jwks))
        .route(
            "/{tenant}/{policy}/v2.0/.well-known/openid-configuration",
            get(b2c::openid_configuration),
        )
        .route(
            "/tfp/{tenant}/{policy}/v2.0/.well-known/openid-configuration",
            get(b2c::openid_configuration),
        )
        .route("/{tenant}/{policy}/oauth2/v2.0/token", post(b2c::token))
        .route("/tfp/{tenant}/{policy}/oauth2/v2.0/token", post(b2c::token))
        .route("/{tenant}/{policy}/discovery/v2.0/keys", get(b2c::jwks))
        .route("/tfp/{tenant}/{policy}/discovery/v2.0/keys", get(b2c::jwks))
        .route(
            "/adfs/.well-known/openid-configuration",
            get(adfs::oauth::openid_configuration),
        )
        .route("/adfs/oauth2/token", post(adfs::oauth::token))
        .route("/adfs/oauth2/token/", post(adfs::oauth::token))
        .route("/adfs/discovery/keys", get(adfs::oauth::jwks))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), observe))
        .with_state(shared.clone());
    Router::new()
        .nest("/_admin", admin::router(shared))
        .merge(entra)
}

/// An Entra error for `req`, with the context the observing middleware gave it.
fn entra_error(req: &Request, err: EntraError) -> Response {
    match req.extensions().get::<RequestCtx>() {
        Some(ctx) => ctx.error(err),
        None => plain_json(err.status, err.error, &err.message),
    }
}

async fn not_found(req: Request) -> Response {
    let mut err = EntraError::malformed(&format!(
        "mock-idp has no route {} {}.",
        req.method(),
        req.uri().path()
    ));
    err.status = StatusCode::NOT_FOUND;
    err.error = "not_found";
    entra_error(&req, err)
}

async fn method_not_allowed(req: Request) -> Response {
    let err = EntraError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        900561,
        format!("The endpoint does not accept {} requests.", req.method()),
    );
    entra_error(&req, err)
}

/// Whether a response already has a body a client parses (JSON, or XML from the mock
/// ADFS).
fn is_json_or_xml(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            let media = media.trim().to_ascii_lowercase();
            media.ends_with("json") || media.ends_with("xml")
        })
}

/// The text of an error response axum made itself (an extractor's rejection), at most
/// a few hundred characters of it.
async fn rejection_text(response: Response) -> (axum::http::response::Parts, String) {
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let text = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("The request was refused")
            .to_owned()
    } else {
        text.chars().take(300).collect()
    };
    (parts, text)
}

/// Turns an error that is not JSON (axum's plain-text rejections of a path, query, form
/// or JSON body) into an Entra error with the same status; other responses pass.
async fn entra_shaped(ctx: &RequestCtx, response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json_or_xml(response.headers())
    {
        return response;
    }
    let (parts, text) = rejection_text(response).await;
    let mut err = EntraError::malformed(&text);
    err.status = status;
    keep_headers(parts.headers, ctx.error(err))
}

/// The same, for the admin API: its errors are `{"error", "error_description"}`.
async fn admin_json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json_or_xml(response.headers())
    {
        return response;
    }
    let (parts, text) = rejection_text(response).await;
    let error = if status == StatusCode::NOT_FOUND {
        "not_found"
    } else {
        "invalid_request"
    };
    keep_headers(parts.headers, plain_json(status, error, &text))
}

/// `response` with the headers of the response it replaces (`Allow`, `Retry-After`),
/// but its own body's type and length.
fn keep_headers(old: axum::http::HeaderMap, mut response: Response) -> Response {
    for (name, value) in &old {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// A request body as read by the observing middleware.
enum ReadBody {
    /// The whole body, within [`MAX_BODY_BYTES`].
    Whole(Bytes),
    /// Larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The body could not be read (the client went away, a framing error).
    Failed,
}

/// Reads a body up to [`MAX_BODY_BYTES`]; past that keeps reading and discarding, up to
/// [`MAX_DRAIN_BYTES`] and [`DRAIN_TIMEOUT`], so that the client sees the 413.
async fn read_body(parts: &Parts, mut body: Body) -> ReadBody {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_DRAIN_BYTES as u64) {
        // Too large to drain: answer at once; the connection closes after the answer.
        return ReadBody::TooLarge;
    }
    let read = async {
        let mut kept = Vec::new();
        let mut total = 0usize;
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            let data = match frame {
                None => break,
                Some(Err(_)) => return ReadBody::Failed,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_) => continue,
                },
            };
            total = total.saturating_add(data.len());
            if total <= MAX_BODY_BYTES {
                kept.extend_from_slice(&data);
            } else if total > MAX_DRAIN_BYTES {
                return ReadBody::TooLarge;
            } else {
                kept = Vec::new();
            }
        }
        if total > MAX_BODY_BYTES {
            ReadBody::TooLarge
        } else {
            ReadBody::Whole(Bytes::from(kept))
        }
    };
    tokio::time::timeout(DRAIN_TIMEOUT, read)
        .await
        .unwrap_or(ReadBody::TooLarge)
}

/// A small JSON error for things Entra has no AADSTS code for (unknown routes, admin).
pub(crate) fn plain_json(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description});
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `host:port` as the client addressed us; the bound port is added when the client
/// left it out (a forwarder on 443), and anything odd falls back to `localhost:PORT`.
fn host_of(parts: &Parts, port: u16) -> String {
    let raw = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        });
    let Some(host) = raw else {
        return format!("localhost:{port}");
    };
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        && !host.ends_with(']');
    if has_port || port == 443 {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Whether the body is XML (`application/soap+xml`, `text/xml`, `application/xml`).
fn is_xml(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            let media = media.trim().to_ascii_lowercase();
            media == "text/xml" || media == "application/xml" || media.ends_with("+xml")
        })
}

/// A printable, short `client-request-id` from the header, query or form.
fn client_request_id(parts: &Parts, form: Option<&Form>) -> Option<String> {
    let from_header = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = || {
        Form::decode(parts.uri.query().unwrap_or_default().as_bytes())
            .and_then(|q| q.get("client-request-id").map(str::to_owned))
    };
    let from_form = || form.and_then(|f| f.get("client-request-id").map(str::to_owned));
    from_header
        .or_else(from_query)
        .or_else(from_form)
        .filter(|id| id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic()))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Whether any of `passwords` appears in the body or query, raw, decoded or XML-escaped.
fn carries_password(passwords: &[String], raw_body: &[u8], decoded: &[&(String, String)]) -> bool {
    let raw = String::from_utf8_lossy(raw_body);
    passwords.iter().any(|p| {
        raw.contains(p.as_str())
            || raw.contains(&xml_escape(p))
            || decoded.iter().any(|(_, v)| v.contains(p.as_str()))
    })
}

async fn observe(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let read = read_body(&parts, body).await;
    let bytes = match &read {
        ReadBody::Whole(bytes) => bytes.clone(),
        ReadBody::TooLarge | ReadBody::Failed => Bytes::new(),
    };
    let endpoint = Endpoint::of_path(parts.uri.path());
    let host = host_of(&parts, shared.port);
    // An XML body (WS-Trust), whatever its declared type, is no form: decoding it as one
    // would record pieces of it, password included, under made-up names.
    let form = if is_xml(&parts) || redact::looks_like_xml(&bytes) {
        None
    } else {
        Form::decode(&bytes)
    };
    let query = Form::decode(parts.uri.query().unwrap_or_default().as_bytes()).unwrap_or_default();
    let correlation = client_request_id(&parts, form.as_ref());
    // Under the lock only what the state decides (ids, time, fault, the passwords to
    // redact); the record is built after, from those.
    let (ctx, fault, passwords) = {
        let mut inner = shared.lock();
        let trace_id = inner.ids.guid();
        let correlation_id = correlation.clone().unwrap_or_else(|| inner.ids.guid());
        let now = inner.clock.now();
        let fault = inner.take_fault(endpoint);
        let ctx = RequestCtx {
            host,
            trace_id,
            correlation_id,
            now,
        };
        (ctx, fault, inner.passwords())
    };
    let decoded: Vec<&(String, String)> = form
        .iter()
        .flat_map(|f| f.pairs())
        .chain(query.pairs())
        .collect();
    let redactor = redact::Redactor::new(&passwords);
    let mut record = RecordedRequest {
        seq: 0,
        endpoint,
        method: parts.method.to_string(),
        path: redactor.path(parts.uri.path()),
        query: redactor.pairs(query.pairs()),
        headers: redactor.headers(&parts.headers),
        form: form
            .as_ref()
            .map(|f| redactor.form(&bytes, f.pairs()))
            .unwrap_or_default(),
        carried_password: carries_password(&passwords, &bytes, &decoded),
        status: 0,
        received_at: ctx.now,
    };
    let mut response = if matches!(read, ReadBody::TooLarge) {
        let mut err =
            EntraError::malformed(&format!("The request body exceeds {MAX_BODY_BYTES} bytes."));
        err.status = StatusCode::PAYLOAD_TOO_LARGE;
        ctx.error(err)
    } else if matches!(read, ReadBody::Failed) {
        ctx.error(EntraError::malformed("The request body could not be read."))
    } else {
        match fault {
            Some(FaultAction::Status {
                status,
                retry_after,
            }) => fault_status(&ctx, status, retry_after),
            Some(FaultAction::Malformed) => {
                let mut response =
                    (StatusCode::OK, r#"{"token_type":"Bearer","access_token":"#).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                response
            }
            Some(FaultAction::Drop) => {
                let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                response.extensions_mut().insert(DropConnection);
                response
            }
            Some(FaultAction::Delay { millis }) => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                parts.extensions.insert(ctx.clone());
                let response = next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
                entra_shaped(&ctx, response).await
            }
            None => {
                parts.extensions.insert(ctx.clone());
                let response = next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
                entra_shaped(&ctx, response).await
            }
        }
    };
    let dropped = response.extensions().get::<DropConnection>().is_some();
    record.status = if dropped {
        0
    } else {
        response.status().as_u16()
    };
    {
        shared.lock().requests.push(record);
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.trace_id) {
        headers.insert(HeaderName::from_static("x-ms-request-id"), value);
    }
    if let Some(id) = correlation.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(HeaderName::from_static("client-request-id"), id);
    }
    response
}

fn fault_status(ctx: &RequestCtx, status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let err = if status == StatusCode::TOO_MANY_REQUESTS {
        EntraError::new(
            status,
            "temporarily_unavailable",
            50196,
            "The server terminated an operation because it encountered a client request loop. \
             Please contact your app vendor.",
        )
    } else if status.is_server_error() {
        EntraError::new(
            status,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        )
    } else {
        EntraError::new(
            status,
            "invalid_request",
            90033,
            "A transient error has occurred. Please try again.",
        )
    };
    let mut response = ctx.error(err);
    if let Some(value) = retry_after.and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
