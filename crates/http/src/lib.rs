//! entra-http: the transport under entra-auth.
//!
//! A small [`HttpClient`] trait that sends a [`Request`] (an `http::Request` whose
//! [`Body`] is shared and zeroized on drop) and returns an `http::Response<Vec<u8>>`,
//! a [`ReqwestClient`] implementation (rustls only,
//! connection reuse, timeouts, extra trusted roots, a response size cap), a [`Retry`]
//! layer that wraps any client with bounded retries and `Retry-After` handling for the
//! requests marked [`Retryable`] (any other request is sent exactly once), and a
//! [`Throttle`] layer that remembers what the server said (a `Retry-After`, a 400) so
//! the same request is not sent again too soon. Retries, throttling and timeouts live
//! here, once; the application says which requests may be retried or throttled
//! through request extensions.
//!
//! Architecture invariant: knows nothing of OAuth or Entra. Never logs or returns a
//! request body (it may hold a password or a secret), and never a URL's query string.
//!
//! Types from other crates in this API: the `http` crate's `Request`, `Response`,
//! `StatusCode`, `Uri` and headers are the vocabulary of [`HttpClient`] (every Rust HTTP
//! stack speaks them, so a client written for another stack adapts without copying),
//! and [`async_trait`](macro@async_trait) is re-exported so implementations use the same macro. reqwest
//! and rustls are implementation details of [`ReqwestClient`]: none of their types
//! appears in a public signature.
//!
//! ```no_run
//! use std::sync::Arc;
//! use entra_http::{HttpClient, ReqwestClient, Retry, RetryPolicy, Retryable, Throttle};
//!
//! # async fn run() -> Result<(), entra_http::HttpError> {
//! let client: Arc<dyn HttpClient> = Arc::new(Throttle::new(Retry::new(
//!     ReqwestClient::builder().build()?,
//!     RetryPolicy::default(),
//! )));
//! let mut request = http::Request::get("https://login.microsoftonline.com/common/discovery/instance")
//!     .body(entra_http::Body::empty())
//!     .expect("a valid request");
//! request.extensions_mut().insert(Retryable); // a discovery GET: safe to send twice
//! let response = client.send(request).await?;
//! assert!(response.status().is_success());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod body;
mod error;
mod reqwest_client;
mod retry;
mod throttle;

use std::sync::Arc;

/// Re-exported so implementations of [`HttpClient`] and [`Sleeper`] use the same macro.
pub use async_trait::async_trait;
pub use body::Body;
pub use error::{DisplayUrl, HttpError, display_url, redact_url};
pub use reqwest_client::{ReqwestClient, ReqwestClientBuilder};
pub use retry::{Retry, RetryPolicy, Retryable, Sleeper};
pub(crate) use retry::{TokioSleeper, parse_retry_after};
pub use throttle::{
    BAD_REQUEST_MEMORY, CAPACITY as THROTTLE_CAPACITY, MAX_RETRY_AFTER, Replayed, Throttle,
    ThrottleKey,
};

/// The request type every [`HttpClient`] sends: its body is a [`Body`], shared by
/// clones and zeroized when dropped.
pub type Request = http::Request<Body>;
/// The response type every [`HttpClient`] returns.
pub type Response = http::Response<Vec<u8>>;

/// Sends one HTTP request and returns its response, whatever the status code.
///
/// A non-2xx status is a response, not an error: callers classify it. Errors are
/// for transport failures only. Implementations must be cheap to share
/// (`Arc<dyn HttpClient>`), so tests can inject any implementation.
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and returns the whole response body in memory.
    async fn send(&self, request: Request) -> Result<Response, HttpError>;
}

#[async_trait::async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Arc<T> {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        (**self).send(request).await
    }
}

#[async_trait::async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        (**self).send(request).await
    }
}

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
