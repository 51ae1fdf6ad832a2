//! The retry layer: bounded retries on server errors and connect failures, and
//! `Retry-After` on 429 and 503, with an injectable clock so tests never wait. Only
//! requests marked [`Retryable`] are ever sent twice.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::RETRY_AFTER;

use crate::{HttpClient, HttpError, Request, Response, display_url};

/// Waits and tells the time for [`Retry`]. Tests inject one that records the waits
/// instead of sleeping.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync {
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
    /// The current wall-clock time, to turn a `Retry-After` HTTP date into a wait.
    fn now(&self) -> SystemTime;
}

/// The real [`Sleeper`]: `tokio::time::sleep` and `SystemTime::now()`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// When and how long [`Retry`] waits before sending a request again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 1, as MSAL does).
    pub max_retries: u32,
    /// The wait before retrying a 5xx or a connect failure that names no
    /// `Retry-After` (default 1 s).
    pub retry_delay: Duration,
    /// The longest `Retry-After` honoured (default 60 s). A longer one is not waited
    /// for: the response goes back to the caller, who sees it is being throttled.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 1,
            retry_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
}

/// Marks a request that [`Retry`] may send more than once: insert it in the request's
/// extensions (`request.extensions_mut().insert(Retryable)`).
///
/// A request without it is sent exactly once, whatever the answer or the failure,
/// a connect failure included. That is the safe default for a request this crate
/// cannot read: one that carries a password (an OAuth password grant, a WS-Trust
/// username/password envelope) must never reach the server twice, since every copy
/// counts toward the account's lockout. A connect failure is not an exception: the
/// layer cannot tell every such failure from one where the server already got the
/// bytes, so a request that must not be repeated is not repeated at all. Forgetting
/// the marker costs one transient failure that a retry would have hidden; wrongly
/// retrying can lock an account, so the marker is opt-in.
///
/// Mark only requests that carry no password and whose repetition is harmless:
/// discovery and metadata GETs, a refresh token or client credentials grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Retryable;

/// Wraps any [`HttpClient`] with the retry rules:
///
/// - a request without the [`Retryable`] extension is sent once and its outcome
///   returned as it is (and its body is never copied);
/// - for a [`Retryable`] request, 500, 502, 503 and 504, and connect failures, are
///   retried up to [`RetryPolicy::max_retries`] times;
/// - `Retry-After` (seconds or an HTTP date) on 429 and 503 sets the wait, up to
///   [`RetryPolicy::max_retry_after`]; a 429 without it is not retried;
/// - any other status, and any other transport failure (a timeout: the server may
///   have acted on the request), is returned at once.
///
/// ```
/// use entra_http::{Retry, RetryPolicy, ReqwestClient};
/// # fn main() -> Result<(), entra_http::HttpError> {
/// let client = Retry::new(ReqwestClient::builder().build()?, RetryPolicy::default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Retry<C> {
    inner: C,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
}

impl<C: std::fmt::Debug> std::fmt::Debug for Retry<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .finish()
    }
}

impl<C: HttpClient> Retry<C> {
    /// Wraps `inner`, waiting with tokio's timer.
    pub fn new(inner: C, policy: RetryPolicy) -> Self {
        Self::with_sleeper(inner, policy, Arc::new(TokioSleeper))
    }

    /// Wraps `inner`, waiting (and reading the time) through `sleeper`.
    pub fn with_sleeper(inner: C, policy: RetryPolicy, sleeper: Arc<dyn Sleeper>) -> Self {
        Self {
            inner,
            policy,
            sleeper,
        }
    }

    /// The wrapped client.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// How long to wait before retrying `response`, or `None` to return it.
    fn wait_for(&self, response: &Response) -> Option<Duration> {
        let status = response.status();
        let retry_after = || {
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, self.sleeper.now()))
        };
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                match retry_after() {
                    Some(wait) if wait <= self.policy.max_retry_after => Some(wait),
                    Some(_) => None,
                    None if status == StatusCode::SERVICE_UNAVAILABLE => {
                        Some(self.policy.retry_delay)
                    }
                    None => None,
                }
            }
            StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT => Some(self.policy.retry_delay),
            _ => None,
        }
    }
}

#[async_trait::async_trait]
impl<C: HttpClient> HttpClient for Retry<C> {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        if self.policy.max_retries == 0 || request.extensions().get::<Retryable>().is_none() {
            // Sent once: nothing is copied.
            return self.inner.send(request).await;
        }
        let url = display_url(&request);
        let (parts, body) = request.into_parts();
        let mut attempt = 0;
        loop {
            // `Body` clones share one allocation: the bytes (a secret, maybe) are never
            // copied for a retry.
            let mut copy = http::Request::new(body.clone());
            *copy.method_mut() = parts.method.clone();
            *copy.uri_mut() = parts.uri.clone();
            *copy.version_mut() = parts.version;
            *copy.headers_mut() = parts.headers.clone();
            *copy.extensions_mut() = parts.extensions.clone();
            let outcome = self.inner.send(copy).await;
            let last = attempt >= self.policy.max_retries;
            let wait = match &outcome {
                Ok(response) if !last => self.wait_for(response),
                Err(err) if !last && err.is_connect() => Some(self.policy.retry_delay),
                _ => None,
            };
            let Some(wait) = wait else { return outcome };
            attempt += 1;
            match &outcome {
                Ok(response) => tracing::warn!(
                    %url, status = response.status().as_u16(), attempt, wait_ms = wait.as_millis() as u64,
                    "retrying after a transient server response"
                ),
                Err(err) => tracing::warn!(
                    %url, error = %err, attempt, wait_ms = wait.as_millis() as u64,
                    "retrying after a connect failure"
                ),
            }
            self.sleeper.sleep(wait).await;
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (a date in the past
/// means no wait). `None` when it is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates_and_rejects_junk() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(parse_retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(42))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(42));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        let before = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", before),
            Some(Duration::from_secs(10))
        );
    }
}
