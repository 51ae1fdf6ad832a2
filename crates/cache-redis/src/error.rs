//! How Redis's errors become [`CacheError`]s.

use std::sync::Arc;
use std::time::Duration;

use entra_cache::CacheError;

/// What went wrong with the Redis store, when it is not that the server is down or slow
/// (that is [`CacheError::Unavailable`]). It is the
/// [`source`](std::error::Error::source) of a [`CacheError::Store`]; downcast to it to
/// tell the cases apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The URL given to [`crate::RedisStore::builder`] is not a Redis URL (the URL
    /// itself is not repeated: it may carry a password).
    #[error("the Redis URL is not valid ({reason})")]
    InvalidUrl {
        /// What was wrong with it.
        reason: &'static str,
        /// The Redis client's error, if it gave one.
        #[source]
        source: Option<redis::RedisError>,
    },
    /// The root certificates given to
    /// [`root_certificates_pem`](crate::RedisStoreBuilder::root_certificates_pem) are not
    /// usable PEM CA certificates.
    #[error("the Redis store's root certificates are not usable PEM CA certificates")]
    InvalidRootCertificates {
        /// The Redis client's error.
        #[source]
        source: redis::RedisError,
    },
    /// The server refused the credentials: the URL's password (or user) is wrong or
    /// missing, or that user may not run the store's commands.
    #[error("the Redis server refused the credentials in the URL")]
    Authentication {
        /// The Redis client's error (it never repeats the password).
        #[source]
        source: redis::RedisError,
    },
    /// [`crate::RedisStoreBuilder::build`] ran outside a tokio runtime (the store's
    /// connections and its invalidation subscription need one).
    #[error("the Redis store must be built within a tokio runtime")]
    NoRuntime,
    /// The server answered a command with an error (out of memory, a read-only replica,
    /// scripting disabled, a key of another type under the store's prefix, ...).
    #[error("the Redis server refused a command of the token cache store")]
    Refused {
        /// The server's error.
        #[source]
        source: redis::RedisError,
    },
}

/// The reason of an [`CacheError::Unavailable`] for a timeout.
pub(crate) fn no_answer(location: &str, waited: Duration) -> CacheError {
    CacheError::Unavailable {
        location: location.to_owned(),
        reason: format!("no answer within {} ms", waited.as_millis()),
        source: None,
    }
}

/// Whether `error` means that the connection it came from is no longer usable, so the
/// next call must connect again.
pub(crate) fn breaks_connection(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}

/// The [`CacheError`] for a failed command or connection attempt.
pub(crate) fn from_redis(location: &str, error: redis::RedisError) -> CacheError {
    if is_authentication(&error) {
        return CacheError::Store {
            location: location.to_owned(),
            source: Arc::new(RedisStoreError::Authentication { source: error }),
        };
    }
    if error.is_timeout() {
        return CacheError::Unavailable {
            location: location.to_owned(),
            reason: "no answer in time".to_owned(),
            source: Some(Arc::new(error)),
        };
    }
    if error.is_connection_refusal() {
        return CacheError::Unavailable {
            location: location.to_owned(),
            reason: "the connection was refused".to_owned(),
            source: Some(Arc::new(error)),
        };
    }
    if error.is_io_error() || error.is_connection_dropped() {
        return CacheError::Unavailable {
            location: location.to_owned(),
            reason: "the connection failed".to_owned(),
            source: Some(Arc::new(error)),
        };
    }
    if matches!(
        error.kind(),
        redis::ErrorKind::Server(
            redis::ServerErrorKind::BusyLoading
                | redis::ServerErrorKind::TryAgain
                | redis::ServerErrorKind::MasterDown
                | redis::ServerErrorKind::ClusterDown
        )
    ) {
        return CacheError::Unavailable {
            location: location.to_owned(),
            reason: "the server is not ready".to_owned(),
            source: Some(Arc::new(error)),
        };
    }
    CacheError::Store {
        location: location.to_owned(),
        source: Arc::new(RedisStoreError::Refused { source: error }),
    }
}

/// Whether the server refused the credentials (`WRONGPASS`, `NOAUTH`, `NOPERM`).
fn is_authentication(error: &redis::RedisError) -> bool {
    error.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(
            error.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm)
        )
        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
}
