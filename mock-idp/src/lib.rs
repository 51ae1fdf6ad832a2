//! mock-idp: an HTTPS mock of Microsoft Entra ID for the username/password flow.
//!
//! Serves discovery, user realm discovery, the token endpoint and JWKS like Entra does,
//! a mock ADFS (MEX metadata, WS-Trust username/password issuing signed SAML
//! assertions, and OAuth as an `https://{host}/adfs` authority) for federated tenants,
//! Azure AD B2C user flows and External ID tenants, with behaviour driven by a fixture (tenants, apps,
//! users, consent, policies), an admin API for tests, and a deterministic mode.
//!
//! Architecture invariant: imports none of the `entra-*` crates. It is an independent
//! implementation of the server, so a misunderstanding on one side is caught by the
//! other. It binds loopback unless told otherwise and never logs secrets.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_idp::{Config, Fixture, MockIdp, default_fixture as d};
//!
//! let idp = MockIdp::start(Config::new(Fixture::default()).seed(7)).await?;
//! let token_endpoint = format!("{}/organizations/oauth2/v2.0/token", idp.base_url());
//! let client = idp.client()?; // trusts idp.ca_pem()
//! let response = client
//!     .post(&token_endpoint)
//!     .form(&[
//!         ("grant_type", "password"),
//!         ("client_id", d::CLI_CLIENT_ID),
//!         ("username", d::ALICE),
//!         ("password", d::PASSWORD),
//!         ("scope", "User.Read openid profile offline_access"),
//!     ])
//!     .send()
//!     .await?;
//! assert!(response.status().is_success());
//! assert_eq!(idp.admin().requests().await?.len(), 1);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod admin;
mod admin_client;
mod clock;
pub mod default_fixture;
mod errors;
mod fixture;
mod ids;
mod jwt;
mod keys;
mod routes;
mod saml;
mod scopes;
mod server;
mod state;
mod tls;
mod xml;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use admin_client::{AdminClient, AdminError, client_builder_trusting, client_trusting};
pub use clock::{DETERMINISTIC_START, MAX_INSTANT};
pub use fixture::{
    App, ClientSecret, ConsentGrant, ConsentRevocation, Fixture, FixtureError, Password, Policy,
    PolicyControl, Resource, SamlVersion, Settings, Tenant, TenantKind, User,
};
pub use routes::MAX_BODY_BYTES;
pub use routes::adfs::{DECOY_PATHS, MEX_PATH, USERNAME_MIXED_13_PATH, USERNAME_MIXED_2005_PATH};
pub use routes::token::DETERMINISTIC_EXPIRES_IN;
pub use tls::TlsPem;

/// How to run a mock-idp.
#[derive(Clone, Debug)]
pub struct Config {
    /// The directory it serves.
    pub fixture: Fixture,
    /// Deterministic mode: fixed keys and ids, a clock that moves only when told.
    pub seed: Option<u64>,
    /// The address to bind (default 127.0.0.1).
    pub bind: IpAddr,
    /// The port (0: any free port).
    pub port: u16,
    /// Must be true to bind an address other than loopback.
    pub allow_non_loopback: bool,
    /// TLS certificate and key; generated when `None`.
    pub tls: Option<TlsPem>,
    /// Host names added to the generated certificate (besides `localhost` and
    /// `127.0.0.1`) and known to instance discovery, so that a test can map a real
    /// authority's host (`contosob2c.b2clogin.com`) to this server.
    pub hostnames: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self::new(Fixture::default())
    }
}

impl Config {
    /// Serves `fixture` on 127.0.0.1, any free port, generated TLS, not deterministic.
    pub fn new(fixture: Fixture) -> Self {
        Self {
            fixture,
            seed: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            allow_non_loopback: false,
            tls: None,
            hostnames: Vec::new(),
        }
    }

    /// Deterministic mode with this seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Listens on this port (0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Adds a host name to the generated certificate and to the hosts instance
    /// discovery knows (see [`Config::hostnames`]).
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostnames.push(name.into());
        self
    }
}

/// Why mock-idp could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The fixture is invalid.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// A non-loopback address without `allow_non_loopback`.
    #[error(
        "refusing to bind {0}: not a loopback address (set allow_non_loopback / pass --allow-non-loopback)"
    )]
    NonLoopback(IpAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// TLS or key setup failed.
    #[error("setup failed: {0}")]
    Setup(String),
}

#[cfg(test)]
mod start_error_tests {
    use super::*;

    #[test]
    fn bind_error_does_not_repeat_its_source() {
        let error = StartError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 8443)),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        let source = std::error::Error::source(&error).expect("the OS error is the source");
        assert!(!error.to_string().contains(&source.to_string()), "{error}");
    }
}

/// A running mock-idp. It stops when dropped (or with [`MockIdp::shutdown`]).
#[derive(Debug)]
pub struct MockIdp {
    base_url: String,
    ca_pem: String,
    port: u16,
    admin: AdminClient,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl MockIdp {
    /// Validates the fixture, makes keys and certificates, binds, and serves in the
    /// background of the current tokio runtime.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        if !config.bind.is_loopback() && !config.allow_non_loopback {
            return Err(StartError::NonLoopback(config.bind));
        }
        let certificates = fixture::parse_certificates(&config.fixture)?;
        let key = keys::SigningKey::for_seed(config.seed).map_err(StartError::Setup)?;
        let adfs = saml::AdfsKey::builtin().map_err(StartError::Setup)?;
        let hostnames = tls::check_hostnames(&config.hostnames).map_err(StartError::Setup)?;
        let tls = tls::material(config.tls.as_ref(), &hostnames).map_err(StartError::Setup)?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?
            .port();
        let shared = Arc::new(state::Shared::new(
            config.fixture,
            certificates,
            key,
            adfs,
            config.seed,
            port,
            hostnames,
        ));
        let app = routes::router(shared);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, tls.config, app, stopped));
        let base_url = format!("https://localhost:{port}");
        let admin = AdminClient::new(&base_url, &tls.ca_pem)
            .map_err(|err| StartError::Setup(err.to_string()))?;
        Ok(Self {
            base_url,
            ca_pem: tls.ca_pem,
            port,
            admin,
            stop,
            task: Some(task),
        })
    }

    /// `https://localhost:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `https://localhost:PORT/{tenant}`: an authority for a client.
    pub fn authority(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.base_url)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA certificate (PEM) that clients must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The admin API client.
    pub fn admin(&self) -> AdminClient {
        self.admin.clone()
    }

    /// A reqwest client trusting this mock-idp's CA.
    pub fn client(&self) -> Result<reqwest::Client, StartError> {
        client_trusting(&self.ca_pem).map_err(StartError::Setup)
    }

    /// Stops serving and waits until the port is released.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
