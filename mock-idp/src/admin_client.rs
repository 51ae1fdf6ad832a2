//! [`AdminClient`]: typed calls to mock-idp's `/_admin/` API.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::admin::{
    Advance, ClockState, ConsentChange, Fault, RecordedRequest, Revoked, UserStateChange,
};

/// A failed admin call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The request did not complete.
    #[error("admin request to {url} failed")]
    Transport {
        /// The URL.
        url: String,
        /// Why: reqwest's error, the JSON parser's, or a text.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// mock-idp refused it (unknown user, bad body, ...).
    #[error("admin request to {url} answered {status}: {body}")]
    Refused {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The JSON error body.
        body: String,
    },
}

/// A reqwest client that trusts `ca_pem` (and nothing else): for tests talking to
/// mock-idp directly.
pub fn client_trusting(ca_pem: &str) -> Result<reqwest::Client, String> {
    client_builder_trusting(ca_pem)?
        .build()
        .map_err(|err| format!("HTTP client setup failed: {err}"))
}

/// [`client_trusting`]'s builder (rustls with ring, 30 s timeout, no redirects), for a
/// caller that sets more (a load generator's one connection per client).
pub fn client_builder_trusting(ca_pem: &str) -> Result<reqwest::ClientBuilder, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|err| format!("CA PEM is invalid: {err}"))?;
        roots
            .add(cert)
            .map_err(|err| format!("CA certificate rejected: {err}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none()))
}

/// Typed access to the admin API of one mock-idp. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AdminClient {
    client: reqwest::Client,
    base_url: String,
}

impl AdminClient {
    /// A client for the mock-idp at `base_url` (`https://localhost:PORT`) whose CA is
    /// `ca_pem`.
    pub fn new(base_url: &str, ca_pem: &str) -> Result<Self, AdminError> {
        let client = client_trusting(ca_pem).map_err(|reason| AdminError::Transport {
            url: base_url.to_owned(),
            source: reason.into(),
        })?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Option<T>, AdminError> {
        let url = format!("{}/_admin{path}", self.base_url);
        let transport = |err: reqwest::Error| AdminError::Transport {
            url: url.clone(),
            source: Box::new(err),
        };
        let mut request = self.client.request(method, &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(AdminError::Refused {
                url,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| AdminError::Transport {
                url,
                source: Box::new(err),
            })
    }

    async fn expect<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, AdminError> {
        self.call(method, path, body)
            .await?
            .ok_or_else(|| AdminError::Transport {
                url: format!("{}/_admin{path}", self.base_url),
                source: "empty answer".into(),
            })
    }

    /// Every request received so far (admin calls excluded), oldest first.
    pub async fn requests(&self) -> Result<Vec<RecordedRequest>, AdminError> {
        self.expect(reqwest::Method::GET, "/requests", None::<&()>)
            .await
    }

    /// Forgets the requests received so far.
    pub async fn clear_requests(&self) -> Result<(), AdminError> {
        self.call::<()>(reqwest::Method::DELETE, "/requests", None::<&()>)
            .await
            .map(drop)
    }

    /// The mock clock.
    pub async fn now(&self) -> Result<ClockState, AdminError> {
        self.expect(reqwest::Method::GET, "/clock", None::<&()>)
            .await
    }

    /// Moves the mock clock forward (whole seconds).
    pub async fn advance_clock(&self, by: Duration) -> Result<ClockState, AdminError> {
        let body = Advance {
            seconds: by.as_secs(),
        };
        self.expect(reqwest::Method::POST, "/clock/advance", Some(&body))
            .await
    }

    /// Grants consent (tenant-wide when `change.user` is `None`).
    pub async fn grant_consent(&self, change: &ConsentChange) -> Result<(), AdminError> {
        self.call::<()>(reqwest::Method::POST, "/consent/grant", Some(change))
            .await
            .map(drop)
    }

    /// Revokes consent (tenant-wide when `change.user` is `None`).
    pub async fn revoke_consent(&self, change: &ConsentChange) -> Result<(), AdminError> {
        self.call::<()>(reqwest::Method::POST, "/consent/revoke", Some(change))
            .await
            .map(drop)
    }

    /// Revokes every refresh token of `username`; returns how many were live.
    pub async fn revoke_refresh_tokens(&self, username: &str) -> Result<usize, AdminError> {
        let path = format!("/users/{}/revoke-refresh-tokens", encode(username));
        let revoked: Revoked = self
            .expect(reqwest::Method::POST, &path, None::<&()>)
            .await?;
        Ok(revoked.revoked)
    }

    /// Changes a user's password, MFA, lock, disabled or expiry state.
    pub async fn set_user_state(
        &self,
        username: &str,
        change: &UserStateChange,
    ) -> Result<(), AdminError> {
        let path = format!("/users/{}/state", encode(username));
        self.call::<()>(reqwest::Method::POST, &path, Some(change))
            .await
            .map(drop)
    }

    /// Schedules a fault.
    pub async fn add_fault(&self, fault: &Fault) -> Result<(), AdminError> {
        self.call::<()>(reqwest::Method::POST, "/faults", Some(fault))
            .await
            .map(drop)
    }

    /// Removes every scheduled fault.
    pub async fn clear_faults(&self) -> Result<(), AdminError> {
        self.call::<()>(reqwest::Method::DELETE, "/faults", None::<&()>)
            .await
            .map(drop)
    }
}

fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_error_does_not_repeat_its_source() {
        let error = AdminError::Transport {
            url: "https://localhost:8443/_admin/requests".into(),
            source: "empty answer".into(),
        };
        let source = std::error::Error::source(&error).expect("the cause is the source");
        assert!(!error.to_string().contains(&source.to_string()), "{error}");
    }
}
