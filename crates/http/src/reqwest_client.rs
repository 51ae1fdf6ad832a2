//! The reqwest implementation of [`HttpClient`]: rustls (ring), connection reuse,
//! timeouts, extra trusted roots and a response size cap.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::{HttpClient, HttpError, Request, Response, display_url};

/// The default cap on a response body: 1 MiB. Entra's largest answers (MEX metadata,
/// discovery documents) are a few tens of KiB.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// An [`HttpClient`] over reqwest with rustls. Cheap to clone; clones share one
/// connection pool.
#[derive(Clone, Debug)]
pub struct ReqwestClient {
    client: reqwest::Client,
    max_response_bytes: usize,
}

/// Configures a [`ReqwestClient`].
#[derive(Clone, Debug)]
pub struct ReqwestClientBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: usize,
    extra_roots: Vec<CertificateDer<'static>>,
    extra_roots_error: Option<String>,
}

impl Default for ReqwestClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_roots: Vec::new(),
            extra_roots_error: None,
        }
    }
}

impl ReqwestClientBuilder {
    /// How long to wait for a TCP + TLS connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole exchange may take, body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest response body accepted (default 1 MiB).
    /// A larger body is [`HttpError::BodyTooLarge`] and is not read into memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Trusts every certificate in `pem` as a root, in addition to the built-in
    /// Mozilla roots: how a client trusts mock-idp's generated CA.
    ///
    /// A PEM without any certificate, or one that does not parse, makes
    /// [`build`](Self::build) fail with [`HttpError::Config`].
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            match cert {
                Ok(cert) => {
                    self.extra_roots.push(cert);
                    found += 1;
                }
                Err(err) => {
                    self.extra_roots_error =
                        Some(format!("root certificate PEM is invalid: {err}"));
                    return self;
                }
            }
        }
        if found == 0 {
            self.extra_roots_error = Some("root certificate PEM holds no CERTIFICATE block".into());
        }
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ReqwestClient, HttpError> {
        if let Some(reason) = self.extra_roots_error {
            return Err(HttpError::Config { reason });
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra_roots {
            roots.add(cert).map_err(|err| HttpError::Config {
                reason: format!("root certificate rejected: {err}"),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| HttpError::Config {
                reason: format!("TLS setup failed: {err}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| HttpError::Config {
                reason: error_chain(&err),
            })?;
        Ok(ReqwestClient {
            client,
            max_response_bytes: self.max_response_bytes,
        })
    }
}

impl ReqwestClient {
    /// A builder with the defaults: 10 s connect timeout, 30 s total, 1 MiB body cap,
    /// Mozilla roots.
    pub fn builder() -> ReqwestClientBuilder {
        ReqwestClientBuilder::default()
    }

    async fn read_body(
        &self,
        url: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, HttpError> {
        let limit = self.max_response_bytes;
        let too_large = || HttpError::BodyTooLarge {
            url: url.to_owned(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = response.chunk().await.map_err(|err| classify(url, &err))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[async_trait::async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let url = display_url(&request);
        let (parts, body) = request.into_parts();
        let mut outgoing = reqwest::Request::new(
            parts.method,
            reqwest::Url::parse(&parts.uri.to_string()).map_err(|err| {
                HttpError::InvalidRequest {
                    url: url.clone(),
                    reason: err.to_string(),
                }
            })?,
        );
        *outgoing.headers_mut() = parts.headers;
        // No copy: reqwest's body holds the same zeroizing allocation, wiped when
        // reqwest lets go of it.
        *outgoing.body_mut() = Some(reqwest::Body::from(bytes::Bytes::from_owner(body)));
        tracing::debug!(method = %outgoing.method(), %url, "sending request");
        let response = self
            .client
            .execute(outgoing)
            .await
            .map_err(|err| classify(&url, &err))?;
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let body = self.read_body(&url, response).await?;
        tracing::debug!(%url, status = status.as_u16(), bytes = body.len(), "received response");
        let mut out = http::Response::new(body);
        *out.status_mut() = status;
        *out.version_mut() = version;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// Maps a reqwest error to the [`HttpError`] kind a caller can act on.
fn classify(url: &str, err: &reqwest::Error) -> HttpError {
    let url = url.to_owned();
    if let Some(reason) = tls_failure(err) {
        return HttpError::Tls { url, reason };
    }
    if err.is_timeout() {
        return HttpError::Timeout { url };
    }
    if err.is_connect() {
        return HttpError::Connect {
            url,
            reason: error_chain(err),
        };
    }
    if err.is_builder() || err.is_request() && err.url().is_none() {
        return HttpError::InvalidRequest {
            url,
            reason: error_chain(err),
        };
    }
    HttpError::InvalidResponse {
        url,
        reason: error_chain(err),
    }
}

/// The rustls error somewhere in `err`'s source chain, if the failure was TLS.
fn tls_failure(err: &reqwest::Error) -> Option<String> {
    err.source().and_then(find_rustls).map(ToString::to_string)
}

/// Looks through sources, boxed errors and `io::Error` payloads (whose `source()`
/// skips the payload itself) for a `rustls::Error`.
fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner: Option<&'a (dyn std::error::Error + 'static)> =
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io.get_ref().map(|inner| inner as _)
        } else {
            None
        };
    inner
        .and_then(find_rustls)
        .or_else(|| err.source().and_then(find_rustls))
}

/// The error and its sources joined, without the URL (and query) reqwest adds.
fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(index) = text.find(" for url (") {
        text.truncate(index);
    }
    let mut parts = vec![text];
    let mut source = err.source();
    while let Some(current) = source {
        let text = current.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = current.source();
    }
    parts.join(": ")
}
