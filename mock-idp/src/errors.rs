//! Entra-shaped errors and the per-request context (host, trace and correlation ids,
//! time) that every response is rendered with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::clock::entra_timestamp;

/// What a handler knows about the request it answers. Made by the observing
/// middleware, so every request draws exactly one trace id.
#[derive(Clone, Debug)]
pub(crate) struct RequestCtx {
    /// `host:port` as the client addressed mock-idp.
    pub host: String,
    pub trace_id: String,
    pub correlation_id: String,
    /// Seconds since the Unix epoch, by the mock clock.
    pub now: u64,
}

impl RequestCtx {
    /// `https://{host}`.
    pub(crate) fn base(&self) -> String {
        format!("https://{}", self.host)
    }

    /// A JSON response with Entra's headers.
    pub(crate) fn json(&self, status: StatusCode, body: &impl Serialize) -> Response {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let mut response = (status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        );
        response
    }

    /// Renders an error as Entra does.
    pub(crate) fn error(&self, err: EntraError) -> Response {
        let timestamp = entra_timestamp(self.now);
        let description = format!(
            "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            err.code, err.message, self.trace_id, self.correlation_id, timestamp
        );
        let body = ErrorBody {
            error: err.error,
            error_description: description,
            error_codes: vec![err.code],
            timestamp,
            trace_id: &self.trace_id,
            correlation_id: &self.correlation_id,
            error_uri: format!("{}/error?code={}", self.base(), err.code),
            suberror: err.suberror,
            claims: err.claims,
            password_change_url: err
                .password_change
                .then(|| format!("{}/ChangePassword.aspx", self.base())),
        };
        self.json(err.status, &body)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: String,
    error_codes: Vec<u32>,
    timestamp: String,
    trace_id: &'a str,
    correlation_id: &'a str,
    error_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suberror: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_change_url: Option<String>,
}

/// An error as Entra reports it: status, `error`, AADSTS code and text, and the
/// optional `suberror` and `claims`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntraError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub message: String,
    pub suberror: Option<&'static str>,
    pub claims: Option<String>,
    pub password_change: bool,
}

impl EntraError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            code,
            message: message.into(),
            suberror: None,
            claims: None,
            password_change: false,
        }
    }

    /// 400 with this `error`.
    pub(crate) fn bad(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, code, message)
    }

    pub(crate) fn suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    pub(crate) fn claims(mut self, claims: String) -> Self {
        self.claims = Some(claims);
        self
    }

    /// AADSTS900144: a required parameter is missing.
    pub(crate) fn missing(name: &str) -> Self {
        Self::bad(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// AADSTS9002313: the request is malformed.
    pub(crate) fn malformed(detail: &str) -> Self {
        Self::bad(
            "invalid_request",
            9002313,
            format!("Invalid request. Request is malformed or invalid. - {detail}"),
        )
    }

    /// AADSTS90002: unknown tenant.
    pub(crate) fn unknown_tenant(error: &'static str, tenant: &str) -> Self {
        Self::bad(
            error,
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
                 and are signing into the correct cloud. Check with your subscription \
                 administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    /// AADSTS700016: unknown application.
    pub(crate) fn unknown_client(client_id: &str, directory: &str) -> Self {
        Self::bad(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{directory}'. This can happen if the application has not been installed by \
                 the administrator of the tenant or consented to by any user in the tenant. You \
                 may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// 401 `invalid_client`.
    pub(crate) fn invalid_client(code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", code, message)
    }

    /// 400 `invalid_grant`.
    pub(crate) fn invalid_grant(code: u32, message: impl Into<String>) -> Self {
        Self::bad("invalid_grant", code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_error_body_has_entras_fields_in_entras_order() {
        let ctx = RequestCtx {
            host: "localhost:8443".into(),
            trace_id: "t".into(),
            correlation_id: "c".into(),
            now: crate::clock::DETERMINISTIC_START,
        };
        let response = ctx.error(EntraError::invalid_grant(50126, "Bad.").suberror("x"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"error":"invalid_grant","error_description":"AADSTS50126: Bad.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[50126],"timestamp":"2026-01-01 00:00:00Z","trace_id":"t","correlation_id":"c","error_uri":"https://localhost:8443/error?code=50126","suberror":"x"}"#
        );
    }
}
