//! The application types and their builders, shared by public and confidential
//! clients through a kind parameter.

use std::marker::PhantomData;
use std::sync::Arc;

use entra_cache::{CacheStore, PartitionedStore, TokenCache};
use entra_http::{HttpClient, ReqwestClient, Retry, RetryPolicy, Throttle};
use entra_protocol::{Authority, AuthorityOptions, ClientCertificate, LibraryInfo};
use secrecy::SecretString;

use crate::clock::{Clock, ClockSleeper, SystemClock};
use crate::core::{Core, CoreConfig, Credential};
use crate::error::AuthError;

/// The default authority: any work or school account.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/organizations";

mod sealed {
    pub trait Sealed {}
}

/// Public or confidential: the kind parameter of [`Application`] and
/// [`ApplicationBuilder`].
pub trait ClientKind: sealed::Sealed + Send + Sync + 'static {
    /// Whether this is a public client (no credential of its own).
    const PUBLIC: bool;
}

/// Marks a public client application: a CLI, a desktop or device app.
#[derive(Debug)]
pub enum Public {}
/// Marks a confidential client application: a service holding a secret or certificate.
#[derive(Debug)]
pub enum Confidential {}

impl sealed::Sealed for Public {}
impl sealed::Sealed for Confidential {}
impl ClientKind for Public {
    const PUBLIC: bool = true;
}
impl ClientKind for Confidential {
    const PUBLIC: bool = false;
}

/// An application registered in Entra, public or confidential. Cheap to clone;
/// clones share the token cache and the HTTP connection pool.
pub struct Application<K: ClientKind> {
    pub(crate) core: Arc<Core>,
    kind: PhantomData<K>,
}

impl<K: ClientKind> Clone for Application<K> {
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: ClientKind> std::fmt::Debug for Application<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(if K::PUBLIC {
            "PublicClientApplication"
        } else {
            "ConfidentialClientApplication"
        })
        .field("client_id", &self.core.client_id)
        .field("authority", &self.core.authority.url())
        .finish_non_exhaustive()
    }
}

/// A public client application (no secret): CLIs, desktop and device apps.
///
/// ```no_run
/// use entra_auth::PublicClientApplication;
/// # async fn run(password: secrecy::SecretString) -> Result<(), entra_auth::AuthError> {
/// let app = PublicClientApplication::builder("00001111-aaaa-2222-bbbb-3333cccc4444")
///     .authority("https://login.microsoftonline.com/organizations")
///     .build()?;
/// let first = app
///     .acquire_token_by_username_password(&["User.Read"], "alice@contoso.com", password)
///     .await?;
/// if let Some(account) = app.accounts().await?.first() {
///     let later = app.acquire_token_silent(&["User.Read"], account).await?;
/// }
/// # Ok(()) }
/// ```
pub type PublicClientApplication = Application<Public>;
/// A confidential client application, authenticating with a secret or a certificate.
pub type ConfidentialClientApplication = Application<Confidential>;
/// Builds a [`PublicClientApplication`].
pub type PublicClientApplicationBuilder = ApplicationBuilder<Public>;
/// Builds a [`ConfidentialClientApplication`].
pub type ConfidentialClientApplicationBuilder = ApplicationBuilder<Confidential>;

impl Application<Public> {
    /// Starts configuring a public client with its application (client) id.
    pub fn builder(client_id: impl Into<String>) -> ApplicationBuilder<Public> {
        ApplicationBuilder::new(client_id.into())
    }
}

impl Application<Confidential> {
    /// Starts configuring a confidential client with its application (client) id; set
    /// a credential with [`ApplicationBuilder::client_secret`] or
    /// [`ApplicationBuilder::client_certificate`].
    pub fn builder(client_id: impl Into<String>) -> ApplicationBuilder<Confidential> {
        ApplicationBuilder::new(client_id.into())
    }
}

/// Configures an [`Application`]. The setters only record what they are given, in
/// any order; [`build`](ApplicationBuilder::build) checks it all and names the setter
/// at fault in [`AuthError::Configuration`].
///
/// Each dependency is injected one way, as `impl Trait + 'static`:
/// [`http_client`](Self::http_client), [`cache_store`](Self::cache_store) and
/// [`clock`](Self::clock). To keep a handle on what you pass (a
/// [`ManualClock`](crate::ManualClock) to move, a transport to inspect), pass an
/// `Arc` of it: `Arc<T>` implements [`HttpClient`] and [`Clock`] when `T` does.
pub struct ApplicationBuilder<K: ClientKind> {
    client_id: String,
    authority: String,
    authority_declared: DeclaredKind,
    known_authorities: Vec<String>,
    validate_authority: bool,
    allow_insecure_loopback: bool,
    http_client: Option<Arc<dyn HttpClient>>,
    extra_root_pem: Vec<u8>,
    cache_store: Option<Arc<dyn CacheStore>>,
    partitioned_store: Option<Arc<dyn PartitionedStore>>,
    client_capabilities: Vec<String>,
    clock: Option<Arc<dyn Clock>>,
    pii_logging: bool,
    client_secret: Option<SecretString>,
    client_certificate: Option<CertificatePem>,
    kind: PhantomData<K>,
}

/// How the authority URL is read: its kind detected, or declared by the setter used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeclaredKind {
    /// [`ApplicationBuilder::authority`].
    Detect,
    /// [`ApplicationBuilder::b2c_authority`].
    B2c,
    /// [`ApplicationBuilder::oidc_authority`].
    Oidc,
}

/// A certificate and its private key as given, parsed by `build()`.
struct CertificatePem {
    certificate: Vec<u8>,
    private_key: SecretString,
}

impl<K: ClientKind> std::fmt::Debug for ApplicationBuilder<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationBuilder")
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl<K: ClientKind> ApplicationBuilder<K> {
    fn new(client_id: String) -> Self {
        Self {
            client_id,
            authority: DEFAULT_AUTHORITY.to_owned(),
            authority_declared: DeclaredKind::Detect,
            known_authorities: Vec::new(),
            validate_authority: true,
            allow_insecure_loopback: false,
            http_client: None,
            extra_root_pem: Vec::new(),
            cache_store: None,
            partitioned_store: None,
            client_capabilities: Vec::new(),
            clock: None,
            pii_logging: false,
            client_secret: None,
            client_certificate: None,
            kind: PhantomData,
        }
    }

    /// The authority, its kind read from the URL (checked by [`build`](Self::build)):
    ///
    /// - Entra ID: `https://{host}/{tenant}` on the public cloud or a national cloud
    ///   (`login.microsoftonline.us`, `login.chinacloudapi.cn`, ...), the tenant
    ///   `organizations` (the default), a tenant id or a verified domain. `common` acts as
    ///   `organizations` for username/password sign-in; `consumers` is refused when
    ///   signing in, as personal accounts cannot use this flow.
    /// - Azure AD B2C: `https://{name}.b2clogin.com/{tenant}/{policy}` (or `/tfp/...`).
    /// - External ID: `https://{name}.ciamlogin.com`, or with `/{tenant}`.
    /// - ADFS: `https://{host}/adfs` (list the host in
    ///   [`known_authorities`](Self::known_authorities)).
    ///
    /// A B2C custom domain needs [`b2c_authority`](Self::b2c_authority), another OpenID
    /// Connect issuer [`oidc_authority`](Self::oidc_authority).
    pub fn authority(mut self, authority: &str) -> Self {
        authority.clone_into(&mut self.authority);
        self.authority_declared = DeclaredKind::Detect;
        self
    }

    /// An Azure AD B2C authority on any host, for what [`authority`](Self::authority)
    /// cannot detect: a custom domain (`https://login.contoso.com/{tenant}/{policy}`).
    /// Its host must be trusted: list it in [`known_authorities`](Self::known_authorities).
    pub fn b2c_authority(mut self, authority: &str) -> Self {
        authority.clone_into(&mut self.authority);
        self.authority_declared = DeclaredKind::B2c;
        self
    }

    /// Any OpenID Connect issuer as the authority (`https://{host}[/{path}]`): its token
    /// endpoint comes from `{issuer}/.well-known/openid-configuration`, whose `issuer` must
    /// match. Declaring it is trusting it: no instance discovery is asked about it.
    pub fn oidc_authority(mut self, issuer: &str) -> Self {
        issuer.clone_into(&mut self.authority);
        self.authority_declared = DeclaredKind::Oidc;
        self
    }

    /// Hosts (`fs.contoso.com`, `localhost:8443`) or authority URLs the application
    /// trusts as authorities without asking instance discovery: an ADFS server, a B2C
    /// custom domain, a test server. An entry without a port matches any port.
    pub fn known_authorities<S: Into<String>>(
        mut self,
        authorities: impl IntoIterator<Item = S>,
    ) -> Self {
        self.known_authorities = authorities.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the authority is validated before a password or token is sent (default
    /// `true`): Microsoft's cloud hosts, `*.b2clogin.com`, `*.ciamlogin.com`,
    /// [`known_authorities`](Self::known_authorities) and declared OIDC issuers are
    /// trusted; any other host must be known to instance discovery, else the call
    /// fails with [`AuthError::UntrustedAuthority`] before the password is sent.
    /// `false` trusts every authority: only for an authority you control.
    pub fn validate_authority(mut self, validate: bool) -> Self {
        self.validate_authority = validate;
        self
    }

    /// Allows a plain `http://` authority on a loopback host (for local test servers),
    /// whether called before or after [`authority`](Self::authority).
    pub fn allow_insecure_loopback_authority(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }

    /// Sends requests through `http_client` instead of the default (reqwest with one
    /// retry of the requests that carry no password). Retries are then that client's
    /// business: if it retries, it must leave alone the requests without the
    /// [`Retryable`](crate::Retryable) extension, which carry a password. Cannot be combined
    /// with [`extra_root_certificates_pem`](Self::extra_root_certificates_pem): give
    /// your client its roots yourself.
    ///
    /// Throttling still applies: the application wraps `http_client` in its own
    /// throttle layer (entra-http's `Throttle`), as it does the default, so a `Retry-After` the server
    /// gave and a refused password are remembered whatever the transport (MSAL wraps
    /// any client it is given the same way).
    pub fn http_client(mut self, http_client: impl HttpClient + 'static) -> Self {
        self.http_client = Some(Arc::new(http_client));
        self
    }

    /// Trusts the CA certificates in `pem` in addition to the built-in roots (for
    /// mock-idp, or a TLS-inspecting proxy). Applies to the default transport only:
    /// [`build`](Self::build) refuses it together with an
    /// [`http_client`](Self::http_client).
    pub fn extra_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.extra_root_pem.extend_from_slice(pem.as_ref());
        self.extra_root_pem.push(b'\n');
        self
    }

    /// Persists the token cache in `store` (for example an
    /// [`FileStore`](crate::FileStore)); the default keeps it in memory.
    pub fn cache_store(mut self, store: impl CacheStore + 'static) -> Self {
        self.cache_store = Some(Arc::new(store));
        self
    }

    /// Shares the token cache through a partitioned store on a server (for example
    /// `entra-cache-redis`'s `RedisStore`), for applications running as many processes
    /// or on many machines. Each call reads and writes only its account's partition;
    /// tokens read are kept in memory and read again when another writer changed the
    /// partition; and when many callers find the same access token expired, one of
    /// them, fleet-wide, refreshes it while the others wait for its result (a lease in
    /// the store). Conflicts with [`cache_store`](Self::cache_store).
    pub fn partitioned_store(mut self, store: impl PartitionedStore + 'static) -> Self {
        self.partitioned_store = Some(Arc::new(store));
        self
    }

    /// Declares client capabilities (such as `cp1`, able to handle claims challenges),
    /// sent with every token request.
    pub fn client_capabilities<S: Into<String>>(
        mut self,
        capabilities: impl IntoIterator<Item = S>,
    ) -> Self {
        self.client_capabilities = capabilities.into_iter().map(Into::into).collect();
        self
    }

    /// Reads the time from `clock` (the default is the system clock); tests pass an
    /// `Arc<`[`ManualClock`](crate::ManualClock)`>` and keep a clone to move it.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Lets usernames appear in log lines and in errors (off by default, as MSAL's
    /// `enable_pii_log`). Off, the library never writes a username, UPN or user object
    /// id into a `tracing` event or an error's `Display` or `Debug`: the user realm
    /// request is named `.../userrealm/[username]`, and
    /// [`AuthError::PersonalAccountNotSupported`] carries no username. Tokens, passwords
    /// and secrets never appear, whatever this says.
    pub fn pii_logging(mut self, enabled: bool) -> Self {
        self.pii_logging = enabled;
        self
    }

    /// Checks everything the setters recorded and builds the engine.
    fn build_core(self) -> Result<Arc<Core>, AuthError> {
        if self.client_id.trim().is_empty() {
            return Err(configuration(
                "client_id",
                "it is empty: pass the application (client) id of the app registration",
            ));
        }
        let options = AuthorityOptions {
            allow_insecure_loopback: self.allow_insecure_loopback,
        };
        let (parsed, field, reason) = match self.authority_declared {
            DeclaredKind::Detect => (
                Authority::parse_with(&self.authority, options),
                "authority",
                "it is not a usable authority URL: give `https://{host}/{tenant}` (or a B2C, \
                 External ID or ADFS authority), or call allow_insecure_loopback_authority(true) \
                 for an `http://` loopback test server",
            ),
            DeclaredKind::B2c => (
                Authority::parse_b2c_with(&self.authority, options),
                "b2c_authority",
                "it is not a usable B2C authority URL: give `https://{host}/{tenant}/{policy}`",
            ),
            DeclaredKind::Oidc => (
                Authority::parse_oidc_with(&self.authority, options),
                "oidc_authority",
                "it is not a usable OpenID Connect issuer URL: give `https://{host}[/{path}]`",
            ),
        };
        let authority = parsed.map_err(|error| configuration_caused_by(field, reason, error))?;
        if let Some(bad) = self
            .known_authorities
            .iter()
            .find(|known| known.trim().is_empty() || known.contains(char::is_whitespace))
        {
            return Err(configuration(
                "known_authorities",
                &format!(
                    "the entry {bad:?} is not a host or URL: give hosts such as \
                     `fs.contoso.com` or `localhost:8443`, or authority URLs"
                ),
            ));
        }
        let credential = match (self.client_secret, self.client_certificate) {
            (Some(_), Some(_)) => {
                return Err(configuration(
                    "client_secret",
                    "it conflicts with client_certificate: set one credential",
                ));
            }
            (Some(secret), None) => Credential::Secret(secret),
            (None, Some(pem)) => ClientCertificate::from_pem(&pem.certificate, &pem.private_key)
                .map(|certificate| Credential::Certificate(Box::new(certificate)))
                .map_err(|error| {
                    configuration_caused_by(
                        "client_certificate",
                        "the certificate or private key PEM is unusable: pass an RSA \
                         certificate and its private key, both PEM",
                        error,
                    )
                })?,
            (None, None) if K::PUBLIC => Credential::None,
            (None, None) => {
                return Err(configuration(
                    "credential",
                    "a confidential client needs one: call client_secret or client_certificate",
                ));
            }
        };
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        // Waits use tokio's timer; `Retry-After` dates and throttling read the
        // application's clock.
        let time = Arc::new(ClockSleeper(clock.clone()));
        let transport: Arc<dyn HttpClient> = match self.http_client {
            Some(_) if !self.extra_root_pem.is_empty() => {
                return Err(configuration(
                    "extra_root_certificates_pem",
                    "it applies to the default transport only and conflicts with http_client: \
                     give your HTTP client its root certificates instead",
                ));
            }
            Some(client) => client,
            None => {
                let mut transport = ReqwestClient::builder();
                if !self.extra_root_pem.is_empty() {
                    transport = transport.add_root_certificates_pem(&self.extra_root_pem);
                }
                let transport = transport.build().map_err(|error| {
                    configuration_caused_by(
                        "extra_root_certificates_pem",
                        "the HTTP client could not be built with these root certificates: \
                         pass PEM CA certificates",
                        error,
                    )
                })?;
                Arc::new(Retry::with_sleeper(
                    transport,
                    RetryPolicy::default(),
                    time.clone(),
                ))
            }
        };
        // Outside the retries, so it remembers what the retries ended with; one per
        // application, so its memory is this application's.
        let http = Arc::new(Throttle::with_sleeper(transport, time));
        let (cache, partitioned) = match (self.cache_store, self.partitioned_store) {
            (Some(_), Some(_)) => {
                return Err(configuration(
                    "partitioned_store",
                    "it conflicts with cache_store: the cache lives in one store",
                ));
            }
            (Some(store), None) => (TokenCache::with_shared_store(store), None),
            (None, partitioned) => (TokenCache::new(), partitioned),
        };
        Ok(Arc::new(Core::new(CoreConfig {
            client_id: self.client_id,
            authority,
            known_authorities: self.known_authorities,
            validate_authority: self.validate_authority,
            http,
            cache,
            partitioned,
            credential,
            capabilities: self.client_capabilities,
            clock,
            library: LibraryInfo::default(),
            pii_logging: self.pii_logging,
        })))
    }
}

impl ApplicationBuilder<Public> {
    /// Checks the configuration and builds the application; an
    /// [`AuthError::Configuration`] names the setter at fault.
    pub fn build(self) -> Result<Application<Public>, AuthError> {
        Ok(Application {
            core: self.build_core()?,
            kind: PhantomData,
        })
    }
}

impl ApplicationBuilder<Confidential> {
    /// Authenticates with a client secret.
    pub fn client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// Authenticates with a certificate: signed client assertions (RS256, `x5t#S256`)
    /// from the certificate and its private key, both PEM, parsed by
    /// [`build`](Self::build).
    pub fn client_certificate(
        mut self,
        certificate_pem: impl AsRef<[u8]>,
        private_key_pem: &SecretString,
    ) -> Self {
        self.client_certificate = Some(CertificatePem {
            certificate: certificate_pem.as_ref().to_vec(),
            private_key: private_key_pem.clone(),
        });
        self
    }

    /// Checks the configuration and builds the application; fails without exactly one
    /// credential ([`client_secret`](Self::client_secret) or
    /// [`client_certificate`](Self::client_certificate)). An
    /// [`AuthError::Configuration`] names the setter at fault.
    pub fn build(self) -> Result<Application<Confidential>, AuthError> {
        Ok(Application {
            core: self.build_core()?,
            kind: PhantomData,
        })
    }
}

/// A configuration error of `field` with no lower-layer cause.
fn configuration(field: &'static str, reason: &str) -> AuthError {
    AuthError::Configuration {
        field,
        reason: reason.to_owned(),
        source: None,
    }
}

/// A configuration error of `field` caused by `source`.
fn configuration_caused_by(
    field: &'static str,
    reason: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> AuthError {
    AuthError::Configuration {
        field,
        reason: reason.to_owned(),
        source: Some(Arc::new(source)),
    }
}
