//! The transport error type.

use std::error::Error;
use std::sync::Arc;

/// Why an HTTP exchange failed before a complete response arrived.
///
/// Carries the URL without its query string (which may hold a user name) and never
/// the request body (which may hold a password or a client secret).
///
/// The `Display` says what failed at this layer; what the layer below reported is the
/// [`source`](std::error::Error::source), so a report that walks the chain (anyhow's
/// `{:#}`, the CLI) prints each cause once. Causes are kept in an `Arc` so that the
/// error stays `Clone`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The connect or total timeout elapsed.
    #[error("request to {url} timed out")]
    Timeout {
        /// The URL, without query.
        url: String,
    },
    /// No connection could be made (DNS, refused, reset, unreachable).
    #[error("could not connect to {url}")]
    Connect {
        /// The URL, without query.
        url: String,
        /// What the network stack reported.
        source: Arc<dyn Error + Send + Sync>,
    },
    /// The TLS handshake failed, usually an untrusted or mismatched certificate.
    #[error(
        "TLS handshake with {url} failed. If the server uses a private CA (mock-idp does), add it as an extra root certificate"
    )]
    Tls {
        /// The URL, without query.
        url: String,
        /// What rustls reported.
        source: Arc<dyn Error + Send + Sync>,
    },
    /// The response body exceeded the configured cap and was not read further.
    #[error("response from {url} is larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The URL, without query.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The server's answer was not valid HTTP, or the connection dropped mid-response.
    #[error("invalid response from {url}")]
    InvalidResponse {
        /// The URL, without query.
        url: String,
        /// What was wrong, as the HTTP stack reported it.
        source: Arc<dyn Error + Send + Sync>,
    },
    /// The request itself could not be sent (for example a URL without a host).
    #[error("invalid request to {url}")]
    InvalidRequest {
        /// The URL, without query.
        url: String,
        /// What was wrong, as the URL parser or the HTTP stack reported it.
        source: Arc<dyn Error + Send + Sync>,
    },
    /// Not sent: the server asked, on an earlier answer to a request with the same
    /// [`ThrottleKey`](crate::ThrottleKey), to wait (`Retry-After`), and that wait has
    /// not passed. See [`Throttle`](crate::Throttle).
    #[error(
        "request to {url} not sent: the server asked to wait before asking again; retry in {} s",
        whole_seconds(*retry_after)
    )]
    Throttled {
        /// The URL, without query.
        url: String,
        /// How much of the server's wait remains.
        retry_after: std::time::Duration,
    },
    /// The client could not be built (bad root certificate PEM, TLS setup failure).
    #[error("HTTP client configuration error: {reason}")]
    Config {
        /// What was wrong, at this layer (`root certificate rejected`, ...).
        reason: &'static str,
        /// What rustls or reqwest reported, when one of them refused.
        source: Option<Arc<dyn Error + Send + Sync>>,
    },
}

impl HttpError {
    /// The URL (without query) this error concerns, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            HttpError::Timeout { url }
            | HttpError::Connect { url, .. }
            | HttpError::Tls { url, .. }
            | HttpError::BodyTooLarge { url, .. }
            | HttpError::InvalidResponse { url, .. }
            | HttpError::InvalidRequest { url, .. }
            | HttpError::Throttled { url, .. } => Some(url),
            HttpError::Config { .. } => None,
        }
    }

    /// Whether the failure happened before the server could have seen the request,
    /// so sending it again is safe.
    pub fn is_connect(&self) -> bool {
        matches!(self, HttpError::Connect { .. })
    }
}

/// The URL to name for a request in logs and errors, set by the caller as a request
/// extension when the request's path carries personal data (a username in a user realm
/// URL, say).
///
/// Without it, the transport names the request by [`redact_url`] (scheme, host and
/// path). With it, this text is used instead, everywhere entra-http logs or reports the
/// request.
///
/// ```
/// let mut request = http::Request::get("https://login.example/common/userrealm/alice@contoso.com")
///     .body(entra_http::Body::empty())
///     .unwrap();
/// request
///     .extensions_mut()
///     .insert(entra_http::DisplayUrl::new("https://login.example/common/userrealm/{username}"));
/// assert_eq!(
///     entra_http::display_url(&request),
///     "https://login.example/common/userrealm/{username}"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayUrl(String);

impl DisplayUrl {
    /// The text to show instead of the request's URL.
    pub fn new(url: impl Into<String>) -> DisplayUrl {
        DisplayUrl(url.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How entra-http names `request` in logs and errors: its [`DisplayUrl`] extension if
/// it has one, else [`redact_url`] of its URI.
pub fn display_url<B>(request: &http::Request<B>) -> String {
    match request.extensions().get::<DisplayUrl>() {
        Some(url) => url.0.clone(),
        None => redact_url(request.uri()),
    }
}

/// `duration` in whole seconds, rounded up: "retry in 0 s" would invite a retry too early.
pub(crate) fn whole_seconds(duration: std::time::Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// The URL of `uri` without its query string or fragment: scheme, authority and path.
///
/// ```
/// let uri: http::Uri = "https://login.example/common/userrealm/a@b.c?api-version=1.0".parse().unwrap();
/// assert_eq!(entra_http::redact_url(&uri), "https://login.example/common/userrealm/a@b.c");
/// ```
pub fn redact_url(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        // Never echo user-info (user:password@host).
        let authority = authority.as_str();
        out.push_str(authority.rsplit('@').next().unwrap_or(authority));
    }
    out.push_str(uri.path());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_drops_query_and_user_info() {
        let uri: http::Uri = "https://user:pw@host:8443/a/b?secret=1".parse().unwrap();
        assert_eq!(redact_url(&uri), "https://host:8443/a/b");
    }

    /// Fails when a Display in `error`'s chain repeats the Display of a cause below it.
    fn assert_each_cause_printed_once(error: &(dyn Error + 'static)) {
        let mut above = vec![error.to_string()];
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            for outer in &above {
                assert!(
                    !outer.contains(&text),
                    "{outer:?} repeats its cause {text:?}"
                );
            }
            above.push(text);
            source = cause.source();
        }
    }

    #[test]
    fn no_display_repeats_its_source() {
        let io = || Arc::new(std::io::Error::other("connection reset by peer"));
        let url = || "https://host/token".to_owned();
        let errors = [
            HttpError::Connect {
                url: url(),
                source: io(),
            },
            HttpError::Tls {
                url: url(),
                source: Arc::new(rustls::Error::General("unknown issuer".into())),
            },
            HttpError::InvalidResponse {
                url: url(),
                source: io(),
            },
            HttpError::InvalidRequest {
                url: url(),
                source: io(),
            },
            HttpError::Config {
                reason: "TLS setup failed",
                source: Some(io()),
            },
        ];
        for error in errors {
            assert!(error.source().is_some(), "{error:?}");
            assert_each_cause_printed_once(&error);
        }
    }

    #[test]
    fn error_display_names_the_url_and_never_a_query() {
        let uri: http::Uri = "https://host/token?code=abc".parse().unwrap();
        let err = HttpError::Timeout {
            url: redact_url(&uri),
        };
        assert_eq!(err.to_string(), "request to https://host/token timed out");
        assert_eq!(err.url(), Some("https://host/token"));
    }
}
