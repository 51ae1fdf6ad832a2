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
    extra_roots_error: Option<HttpError>,
    resolve: Vec<(String, std::net::SocketAddr)>,
}

impl Default for ReqwestClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_roots: Vec::new(),
            extra_roots_error: None,
            resolve: Vec::new(),
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

    /// Connects to `address` for `host` instead of resolving it: a test maps a real
    /// authority host (`contosob2c.b2clogin.com`) to a local server. A URL's explicit
    /// port wins over `address`'s; without one, `address`'s port is used.
    pub fn resolve(mut self, host: impl Into<String>, address: std::net::SocketAddr) -> Self {
        self.resolve.push((host.into(), address));
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
                    self.extra_roots_error = Some(HttpError::Config {
                        reason: "root certificate PEM is invalid",
                        source: Some(Arc::new(err)),
                    });
                    return self;
                }
            }
        }
        if found == 0 {
            self.extra_roots_error = Some(HttpError::Config {
                reason: "root certificate PEM holds no CERTIFICATE block",
                source: None,
            });
        }
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ReqwestClient, HttpError> {
        if let Some(error) = self.extra_roots_error {
            return Err(error);
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra_roots {
            roots.add(cert).map_err(|err| HttpError::Config {
                reason: "root certificate rejected",
                source: Some(Arc::new(err)),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| HttpError::Config {
                reason: "TLS setup failed",
                source: Some(Arc::new(err)),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut client = reqwest::Client::builder();
        for (host, address) in &self.resolve {
            client = client.resolve(host, *address);
        }
        let client = client
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| HttpError::Config {
                reason: "the HTTP client could not be built",
                source: Some(Arc::new(err.without_url())),
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
        while let Some(chunk) = response.chunk().await.map_err(|err| classify(url, err))? {
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
                    source: Arc::new(err),
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
            .map_err(|err| classify(&url, err))?;
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

/// Maps a reqwest error to the [`HttpError`] kind a caller can act on, keeping it (or,
/// for a TLS failure, the rustls error) as the source. The URL is dropped from reqwest's
/// error first: it may carry a query string with personal data.
fn classify(url: &str, err: reqwest::Error) -> HttpError {
    let url = url.to_owned();
    let invalid_request = err.is_builder() || err.is_request() && err.url().is_none();
    let err = err.without_url();
    if let Some(tls) = err.source().and_then(find_rustls) {
        return HttpError::Tls {
            url,
            source: Arc::new(tls.clone()),
        };
    }
    if err.is_timeout() {
        return HttpError::Timeout { url };
    }
    if err.is_connect() {
        return HttpError::Connect {
            url,
            source: Arc::new(err),
        };
    }
    if invalid_request {
        return HttpError::InvalidRequest {
            url,
            source: Arc::new(err),
        };
    }
    HttpError::InvalidResponse {
        url,
        source: Arc::new(err),
    }
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
