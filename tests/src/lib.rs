//! End-to-end tests of the entra crates against an in-process mock-idp.
//!
//! The tests live in `tests/tests/`; this library holds the helpers they share and the
//! demo that `cargo xtask demo` runs (see [`demo`]).
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod demo;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use entra_auth::{
    Account, ConfidentialClientApplicationBuilder, ManualClock, PublicClientApplication,
    PublicClientApplicationBuilder,
};
use entra_http::{HttpClient, ReqwestClient, Retry, RetryPolicy, Sleeper};
use mock_idp::admin::RecordedRequest;
use mock_idp::{Config, MockIdp};
use secrecy::SecretString;

pub use mock_idp::default_fixture as fixture;

/// Past the access token's lifetime (mock-idp: at most 5399 s).
pub const PAST_EXPIRY: Duration = Duration::from_secs(2 * 3600);

/// A running mock-idp with the default fixture, a client clock that moves with the
/// server's, and a retry sleeper that records waits instead of sleeping.
pub struct Harness {
    /// The server.
    pub idp: MockIdp,
    /// The clock the applications read.
    pub clock: Arc<ManualClock>,
    /// The waits the retry layer asked for.
    pub sleeper: Arc<RecordingSleeper>,
}

impl Harness {
    /// Starts mock-idp (deterministic, seed 1) with the default fixture.
    pub async fn start() -> Harness {
        Self::start_with(Config::default().seed(1)).await
    }

    /// Starts mock-idp with `config`.
    pub async fn start_with(config: Config) -> Harness {
        let idp = MockIdp::start(config).await.expect("mock-idp starts");
        // The client's clock starts where the server's does (deterministic mode starts
        // it at a fixed instant), as two real clocks would agree.
        let server_now = idp.admin().now().await.expect("admin: clock").now;
        Harness {
            idp,
            clock: Arc::new(ManualClock::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(server_now),
            )),
            sleeper: Arc::new(RecordingSleeper::default()),
        }
    }

    /// `https://localhost:PORT/{tenant}`.
    pub fn authority(&self, tenant: &str) -> String {
        self.idp.authority(tenant)
    }

    /// The transport every application here uses: trusts mock-idp's CA, retries once
    /// as the default does, waits through [`Harness::sleeper`].
    pub fn http_client(&self) -> Arc<dyn HttpClient> {
        let transport = ReqwestClient::builder()
            .add_root_certificates_pem(self.idp.ca_pem().as_bytes())
            .build()
            .expect("transport builds");
        Arc::new(Retry::with_sleeper(
            transport,
            RetryPolicy::default(),
            self.sleeper.clone(),
        ))
    }

    /// [`Harness::http_client`], but connecting to mock-idp for each of `hosts` (which
    /// mock-idp must serve: `Config::hostname`), so a test uses real authority URLs
    /// (`https://contosob2c.b2clogin.com:PORT/...`). A URL without a port goes to
    /// mock-idp's port too (`https://login.microsoftonline.com/...`).
    pub fn http_client_resolving(&self, hosts: &[&str]) -> Arc<dyn HttpClient> {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], self.idp.port()));
        let transport = hosts
            .iter()
            .fold(ReqwestClient::builder(), |builder, host| {
                builder.resolve(*host, address)
            })
            .add_root_certificates_pem(self.idp.ca_pem().as_bytes())
            .build()
            .expect("transport builds");
        Arc::new(Retry::with_sleeper(
            transport,
            RetryPolicy::default(),
            self.sleeper.clone(),
        ))
    }

    /// A public client for `client_id` at `/organizations`.
    pub fn public_client(&self, client_id: &str) -> PublicClientApplicationBuilder {
        self.public_client_at(client_id, "organizations")
    }

    /// A public client for `client_id` at `/{tenant}`.
    pub fn public_client_at(
        &self,
        client_id: &str,
        tenant: &str,
    ) -> PublicClientApplicationBuilder {
        entra_auth::PublicClientApplication::builder(client_id)
            .authority(&self.authority(tenant))
            .http_client(self.http_client())
            .clock(self.clock.clone())
    }

    /// A confidential client for `client_id` at `/organizations` (credential not set).
    pub fn confidential_client(&self, client_id: &str) -> ConfidentialClientApplicationBuilder {
        entra_auth::ConfidentialClientApplication::builder(client_id)
            .authority(&self.authority("organizations"))
            .http_client(self.http_client())
            .clock(self.clock.clone())
    }

    /// Moves both clocks (server and client) forward.
    pub async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.idp
            .admin()
            .advance_clock(by)
            .await
            .expect("admin: advance clock");
    }

    /// How many requests mock-idp has received so far.
    pub async fn request_count(&self) -> usize {
        self.requests().await.len()
    }

    /// The requests mock-idp has received since the last [`Harness::clear_requests`].
    pub async fn requests(&self) -> Vec<RecordedRequest> {
        self.idp.admin().requests().await.expect("admin: requests")
    }

    /// Empties mock-idp's request log.
    pub async fn clear_requests(&self) {
        self.idp
            .admin()
            .clear_requests()
            .await
            .expect("admin: clear requests");
    }

    /// The CLI app, with `username` signed in (`User.Read`), and the account.
    pub async fn signed_in(&self, username: &str) -> (PublicClientApplication, Account) {
        let app = self
            .public_client(fixture::CLI_CLIENT_ID)
            .build()
            .expect("app builds");
        let result = app
            .acquire_token_by_username_password(&["User.Read"], username, password())
            .await
            .expect("sign-in");
        (app, result.account.expect("an account"))
    }
}

/// The default fixture's password, as the secret type the API takes.
pub fn password() -> SecretString {
    SecretString::from(fixture::PASSWORD)
}

/// A [`Sleeper`] that records waits and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// The waits requested so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

#[entra_auth::async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        if let Ok(mut waits) = self.waits.lock() {
            waits.push(duration);
        }
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Every tracing event written while a [`capture_logs`] guard lives, as text.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// What was captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

/// Captures, on this thread, every tracing event that `filter` (an `EnvFilter`
/// directive such as `trace,mock_idp=off`) lets through, until the guard drops.
pub fn capture_logs(filter: &str) -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Runs the user's guide's examples as doctests, against the crates as published.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
pub struct GuideDoctests;

/// Runs the error guide's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/errors.md")]
pub struct ErrorsGuideDoctests;
