//! The error type of this crate.

use std::path::PathBuf;

/// What went wrong loading or saving a cache.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The persisted cache is not a cache this crate can read. It was left untouched,
    /// and saves to it are refused until it is repaired or removed.
    #[error(
        "the token cache at {location} is corrupt (line {line}, column {column}: {reason}); \
         it was left untouched: repair or delete it"
    )]
    Corrupt {
        /// Where the cache lives (a file path, or `memory`).
        location: String,
        /// 1-based line of the problem (0 when it is about the document's shape).
        line: usize,
        /// 1-based column of the problem (0 when it is about the document's shape).
        column: usize,
        /// What was wrong.
        reason: String,
    },
    /// Reading, writing or locking the cache's storage failed.
    #[error("token cache I/O failed: {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`, `locking`, `renaming onto`, ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error (in an `Arc`, so that the error can be cloned).
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// A custom [`crate::CacheStore`] failed.
    #[error("token cache store {location} failed: {message}")]
    Store {
        /// Which store.
        location: String,
        /// What went wrong.
        message: String,
    },
}

impl CacheError {
    pub(crate) fn corrupt_shape(location: &str, reason: &str) -> CacheError {
        CacheError::Corrupt {
            location: location.to_owned(),
            line: 0,
            column: 0,
            reason: reason.to_owned(),
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
            source: std::sync::Arc::new(source),
        }
    }
}
