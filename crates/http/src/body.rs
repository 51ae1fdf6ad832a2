//! The request body type: shared, never copied, zeroized when the last handle drops.

use std::sync::Arc;

use zeroize::Zeroizing;

/// The body of a [`crate::Request`].
///
/// A request body may carry a password, a client secret, a client assertion or a
/// refresh token, so its bytes live in one zeroizing allocation: cloning a `Body` (as
/// the [`crate::Retry`] layer does for a second attempt) shares that allocation instead
/// of copying it, [`crate::ReqwestClient`] hands it to reqwest without a copy, and the
/// bytes are wiped when the last handle is dropped. `Debug` shows the length only.
///
/// ```
/// use entra_http::Body;
/// let body = Body::from(b"grant_type=password".to_vec());
/// assert_eq!(body.as_bytes(), b"grant_type=password");
/// assert_eq!(format!("{body:?}"), "Body(19 bytes)");
/// ```
#[derive(Clone, Default)]
pub struct Body(Arc<Zeroizing<Vec<u8>>>);

impl Body {
    /// An empty body (a GET).
    pub fn empty() -> Body {
        Body::default()
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Takes ownership of the buffer as it is (no copy).
impl From<Zeroizing<Vec<u8>>> for Body {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Body {
        Body(Arc::new(bytes))
    }
}

/// Takes ownership of the vector (no copy); from now on it is zeroized on drop.
impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body(Arc::new(Zeroizing::new(bytes)))
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Body {
        Body::from(bytes.to_vec())
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Body {
        Body::from(text.as_bytes())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_allocation() {
        let body = Body::from(b"refresh_token=secret".to_vec());
        let copy = body.clone();
        assert!(std::ptr::eq(body.as_bytes(), copy.as_bytes()));
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let body = Body::from("password=hunter2");
        let request = http::Request::new(body);
        assert!(!format!("{request:?}").contains("hunter2"));
    }
}
