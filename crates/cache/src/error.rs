//! The error type of this crate.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

/// What went wrong loading or saving a cache.
///
/// The `Display` says what failed at this layer; the error below it (the operating
/// system's, the JSON parser's, a custom store's) is the
/// [`source`](std::error::Error::source), never repeated in the `Display`. Causes are
/// kept in an `Arc` so that the error stays `Clone`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The persisted cache is not a cache this crate can read. It was left untouched,
    /// and saves to it are refused until it is repaired or removed.
    #[error(
        "the token cache at {location} is corrupt ({reason}); it was left untouched: repair \
         or delete it"
    )]
    Corrupt {
        /// Where the cache lives (a file path, or `memory`).
        location: String,
        /// 1-based line of the problem (0 when it is about the document's shape).
        line: usize,
        /// 1-based column of the problem (0 when it is about the document's shape).
        column: usize,
        /// What was wrong, at this layer: `it is not valid JSON`, or the shape that is
        /// wrong (`the top level is not a JSON object`).
        reason: String,
        /// The JSON parser's error, for a document that is not JSON. It names the
        /// syntax error and its place, never a value from the cache.
        source: Option<Arc<dyn Error + Send + Sync>>,
    },
    /// Reading, writing or locking the cache's storage failed.
    #[error("token cache I/O failed: {action} {}", path.display())]
    Io {
        /// What was being done (`reading`, `locking`, `renaming onto`, ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error (in an `Arc`, so that the error can be cloned).
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The store's server could not be reached, or did not answer in time. A write whose
    /// answer did not arrive happened whole or not at all; the stored entries are there
    /// again once the server is back.
    #[error("the token cache store {location} is unavailable ({reason})")]
    Unavailable {
        /// Which store (a URL without credentials).
        location: String,
        /// What happened at this layer (`connecting timed out`, `the connection was lost`).
        reason: String,
        /// The client library's error, if any.
        source: Option<Arc<dyn Error + Send + Sync>>,
    },
    /// An encrypted cache could not be decrypted: the key is wrong (not the one it was
    /// written with, nor any previous key given), or the data was truncated or altered.
    /// It was left untouched.
    #[error(
        "the token cache at {location} could not be decrypted ({reason}); it was left \
         untouched: give the key it was written with, or delete it"
    )]
    Undecryptable {
        /// Where the cache lives.
        location: String,
        /// What was wrong (`no key given decrypts it`, `it is truncated`, ...).
        reason: String,
    },
    /// A custom [`crate::CacheStore`] failed.
    #[error("token cache store {location} failed")]
    Store {
        /// Which store.
        location: String,
        /// What the store reported.
        source: Arc<dyn Error + Send + Sync>,
    },
}

impl CacheError {
    pub(crate) fn corrupt_shape(location: &str, reason: &str) -> CacheError {
        CacheError::Corrupt {
            location: location.to_owned(),
            line: 0,
            column: 0,
            reason: reason.to_owned(),
            source: None,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> CacheError {
        CacheError::Io {
            action,
            path: path.into(),
            source: Arc::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_display_repeats_its_source() {
        let json = serde_json::from_str::<serde_json::Value>("{,").unwrap_err();
        let errors = [
            CacheError::Corrupt {
                location: "/tmp/cache.json".into(),
                line: json.line(),
                column: json.column(),
                reason: "it is not valid JSON".into(),
                source: Some(Arc::new(json)),
            },
            CacheError::io(
                "reading",
                "/tmp/cache.json",
                std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            ),
            CacheError::Store {
                location: "keychain".into(),
                source: Arc::new(std::io::Error::other("the keychain is locked")),
            },
        ];
        for error in errors {
            let source = error.source().expect("each of these has a source");
            let (outer, inner) = (error.to_string(), source.to_string());
            assert!(!outer.contains(&inner), "{outer:?} repeats {inner:?}");
        }
    }
}
