//! Shared plumbing: reading JSON response bodies, building requests with the common
//! headers, lenient field decoders.

use serde::Deserialize;
use uuid::Uuid;

use crate::error::{ProtocolError, RetryAfter, ServerError};

/// Identifies the library in the `x-client-SKU`, `x-client-Ver` and `x-client-OS`
/// headers of every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    /// `x-client-SKU`.
    pub sku: String,
    /// `x-client-Ver`.
    pub version: String,
    /// `x-client-OS`.
    pub os: String,
}

impl Default for LibraryInfo {
    /// `entra-auth`, this crate's version, and the compile-time target OS.
    fn default() -> Self {
        Self {
            sku: "entra-auth".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            os: std::env::consts::OS.to_owned(),
        }
    }
}

/// Starts a request with `Accept`, `client-request-id`, `return-client-request-id` and
/// the library headers.
pub(crate) fn request(
    method: http::Method,
    uri: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::ACCEPT, "application/json")
        .header("client-request-id", correlation_id.to_string())
        .header("return-client-request-id", "true")
        .header("x-client-SKU", library.sku.as_str())
        .header("x-client-Ver", library.version.as_str())
        .header("x-client-OS", library.os.as_str())
}

/// Finishes a request builder, turning a bad URI or header into a typed error.
pub(crate) fn finish(
    b: http::request::Builder,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, ProtocolError> {
    b.body(body).map_err(ProtocolError::request)
}

/// The `Retry-After` header of a response.
pub(crate) fn retry_after(r: &http::Response<Vec<u8>>) -> Option<RetryAfter> {
    r.headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(RetryAfter::parse)
}

const EXCERPT_CHARS: usize = 160;

/// The first characters of a body, whitespace collapsed.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= EXCERPT_CHARS {
            break;
        }
    }
    if out.chars().count() > EXCERPT_CHARS {
        out = out.chars().take(EXCERPT_CHARS).collect();
        out.push('…');
    }
    out
}

/// The error for a response that is not what was expected.
pub(crate) fn unexpected(r: &http::Response<Vec<u8>>) -> ProtocolError {
    ProtocolError::UnexpectedResponse {
        status: r.status().as_u16(),
        content_type: r
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        excerpt: excerpt(r.body()),
        retry_after: retry_after(r),
    }
}

/// Reads a JSON object body. An object with a string `error` field becomes
/// [`ProtocolError::Server`] whatever the status; a non-object body, or a non-2xx status
/// without an error field, becomes [`ProtocolError::UnexpectedResponse`].
pub(crate) fn json_object(
    r: &http::Response<Vec<u8>>,
    _what: &'static str,
) -> Result<serde_json::Value, ProtocolError> {
    let value: serde_json::Value = match serde_json::from_slice(r.body()) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return Err(unexpected(r)),
    };
    if value
        .get("error")
        .and_then(|e| e.as_str())
        .is_some_and(|e| !e.is_empty())
    {
        let e = ServerError::from_json(r.status().as_u16(), retry_after(r), value)?;
        return Err(e.into());
    }
    if !r.status().is_success() {
        return Err(unexpected(r));
    }
    Ok(value)
}

/// Deserializes a JSON object into `T`, naming the document on failure.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &'static str,
) -> Result<T, ProtocolError> {
    serde_json::from_value(value).map_err(|e| ProtocolError::json(what, e))
}

/// A string field that may arrive as a string, a number, a boolean or null.
pub(crate) fn de_opt_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A non-negative integer that may arrive as a number or a numeric string (Entra sends
/// `"expires_in": "3599"` on some endpoints).
pub(crate) fn de_opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a non-negative integer, got {n}"))),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected an integer, got {s:?}"))),
        other => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}
