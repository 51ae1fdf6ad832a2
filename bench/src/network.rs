//! Scenarios against a running mock-idp: sign-in throughput (entra-auth and the bare
//! reqwest floor), the refresh storm after expiry, and the request log. (mock-idp's own
//! password-grant throughput is `load`.)

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use entra_auth::{ManualClock, PublicClientApplication, TokenSource};
use entra_protocol::{Authority, ClientAuth, LibraryInfo, TokenParams};
use mock_idp::AdminClient;
use mock_idp::admin::Endpoint;
use mock_idp::default_fixture as d;
use secrecy::SecretString;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::stats::emit;

/// The scope every sign-in asks for.
const SCOPES: [&str; 1] = ["User.Read"];
/// The tenant segment every sign-in uses (as MSAL Python's script does).
const TENANT: &str = "organizations";

/// Who signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SigninClient {
    /// entra-auth: one `PublicClientApplication` shared by every caller.
    EntraAuth,
    /// A bare reqwest client sending entra-auth's two requests, reading the bodies only.
    ReqwestFloor,
}

impl SigninClient {
    fn name(self) -> &'static str {
        match self {
            SigninClient::EntraAuth => "entra-auth",
            SigninClient::ReqwestFloor => "reqwest-floor",
        }
    }
}

/// A running mock-idp.
pub(crate) struct Target {
    base_url: String,
    ca_pem: String,
}

/// Reads the CA certificate of the mock-idp at `base_url`.
pub(crate) fn target(base_url: &str, ca: &Path) -> Result<Target, String> {
    let ca_pem = std::fs::read_to_string(ca)
        .map_err(|err| format!("cannot read {}: {err}", ca.display()))?;
    Ok(Target {
        base_url: base_url.trim_end_matches('/').to_owned(),
        ca_pem,
    })
}

impl Target {
    /// The authority every sign-in uses.
    pub(crate) fn authority(&self) -> String {
        format!("{}/{TENANT}", self.base_url)
    }

    /// mock-idp's admin API.
    pub(crate) fn admin(&self) -> Result<AdminClient, String> {
        AdminClient::new(&self.base_url, &self.ca_pem).map_err(|err| err.to_string())
    }

    /// mock-idp's CA certificate (PEM).
    pub(crate) fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    fn app(&self) -> Result<PublicClientApplication, String> {
        PublicClientApplication::builder(d::CLI_CLIENT_ID)
            .authority(&self.authority())
            .extra_root_certificates_pem(self.ca_pem.as_bytes())
            .build()
            .map_err(|err| err.to_string())
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))
}

fn password() -> SecretString {
    SecretString::from(d::PASSWORD)
}

/// A request prepared once and sent many times.
#[derive(Clone)]
pub(crate) struct Prepared {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Prepared {
    fn from_http(request: entra_protocol::Request) -> Result<Self, String> {
        let (parts, body) = request.into_parts();
        Ok(Self {
            method: parts.method,
            url: reqwest::Url::parse(&parts.uri.to_string())
                .map_err(|err| format!("bad URL {}: {err}", parts.uri))?,
            headers: parts.headers,
            // The bench's floor replays one request many times: a plain copy is fine.
            body: body.to_vec(),
        })
    }

    /// The same request, sent to `url` instead.
    pub(crate) fn to(mut self, url: &str) -> Result<Self, String> {
        self.url = reqwest::Url::parse(url).map_err(|err| format!("bad URL {url}: {err}"))?;
        Ok(self)
    }

    /// Sends it and reads the whole body; fails unless the answer is 200.
    pub(crate) async fn send(&self, client: &reqwest::Client) -> Result<(), String> {
        let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
        *request.headers_mut() = self.headers.clone();
        *request.body_mut() = Some(self.body.clone().into());
        let response = client
            .execute(request)
            .await
            .map_err(|err| format!("{} {}: {err}", self.method, self.url.path()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| format!("{} {}: {err}", self.method, self.url.path()))?;
        if status == reqwest::StatusCode::OK {
            Ok(())
        } else {
            Err(format!(
                "{} {}: {status} {}",
                self.method,
                self.url.path(),
                String::from_utf8_lossy(&body)
            ))
        }
    }
}

/// The floor: the two requests of a first sign-in (user realm and password grant), built
/// once by entra-protocol, sent by a reqwest client configured as entra-http's. (A
/// repeated sign-in of the same user with entra-auth sends only the second: the
/// application remembers the realm for a day.)
pub(crate) struct Floor {
    client: reqwest::Client,
    user_realm: Prepared,
    /// The password grant for alice, as entra-protocol builds it.
    pub(crate) token: Prepared,
}

impl Floor {
    pub(crate) fn new(target: &Target) -> Result<Self, String> {
        let authority = Authority::parse(&target.authority()).map_err(|err| err.to_string())?;
        let library = LibraryInfo::default();
        let correlation_id = Uuid::new_v4();
        let user_realm =
            entra_protocol::user_realm_request(&authority, d::ALICE, correlation_id, &library)
                .map_err(|err| err.to_string())?;
        let token_authority = authority
            .for_password_grant()
            .map_err(|err| err.to_string())?;
        let token_endpoint = token_authority.token_endpoint();
        let params = TokenParams {
            token_endpoint: &token_endpoint,
            client_id: d::CLI_CLIENT_ID,
            scopes: &SCOPES,
            claims: None,
            client_capabilities: &[],
            client_auth: &ClientAuth::None,
            correlation_id,
            library: &library,
        };
        let token = entra_protocol::password_grant(&params, d::ALICE, &password())
            .map_err(|err| err.to_string())?;
        Ok(Self {
            // A bare reqwest client over rustls with ring, as entra-http's, trusting
            // only mock-idp's CA.
            client: mock_idp::client_trusting(&target.ca_pem)?,
            user_realm: Prepared::from_http(user_realm)?,
            token: Prepared::from_http(token)?,
        })
    }

    async fn sign_in(&self) -> Result<(), String> {
        self.user_realm.send(&self.client).await?;
        self.token.send(&self.client).await
    }
}

/// One caller's sign-in, for whichever client is measured.
#[derive(Clone)]
enum Caller {
    EntraAuth(PublicClientApplication),
    Floor(Arc<Floor>),
}

impl Caller {
    async fn sign_in(&self) -> Result<(), String> {
        match self {
            Caller::EntraAuth(app) => app
                .acquire_token_by_username_password(&SCOPES, d::ALICE, password())
                .await
                .map(|_| ())
                .map_err(|err| err.to_string()),
            Caller::Floor(floor) => floor.sign_in().await,
        }
    }
}

/// Counts of one throughput run.
#[derive(Default)]
struct Tally {
    tokens: AtomicU64,
    /// Sign-ins completed at any time, warm-up included (for CPU per sign-in).
    all_tokens: AtomicU64,
    errors: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Tally {
    fn failed(&self, problem: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self
            .first_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(problem);
    }
}

/// Sign-ins by `concurrency` callers for `warmup` + `seconds` seconds; counts the
/// sign-ins completed in the measured window.
pub(crate) fn signin(
    target: &Target,
    client: SigninClient,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
) -> Result<(), String> {
    let runtime = runtime()?;
    let caller = match client {
        SigninClient::EntraAuth => Caller::EntraAuth(runtime.block_on(async { target.app() })?),
        SigninClient::ReqwestFloor => Caller::Floor(Arc::new(Floor::new(target)?)),
    };
    // Fail fast, before measuring, if sign-in does not work at all.
    runtime.block_on(caller.sign_in())?;
    let tally = Arc::new(Tally::default());
    let measured = Duration::from_secs_f64(seconds.max(0.1));
    let cpu_before = cpu_seconds();
    let begin = Instant::now() + Duration::from_secs_f64(warmup.max(0.0));
    let end = begin + measured;
    runtime.block_on(async {
        let mut tasks = JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let caller = caller.clone();
            let tally = tally.clone();
            tasks.spawn(async move {
                while Instant::now() < end {
                    let outcome = caller.sign_in().await;
                    let done = Instant::now();
                    let counted = done >= begin && done < end;
                    if outcome.is_ok() {
                        tally.all_tokens.fetch_add(1, Ordering::Relaxed);
                    }
                    match outcome {
                        Ok(()) if counted => {
                            tally.tokens.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(()) => {}
                        Err(problem) => tally.failed(problem),
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    });
    let cpu = cpu_before
        .zip(cpu_seconds())
        .map(|(before, after)| after - before);
    let tokens = tally.tokens.load(Ordering::Relaxed);
    let first_error = tally
        .first_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    emit(serde_json::json!({
        "scenario": "signin",
        "library": client.name(),
        "concurrency": concurrency.max(1),
        "seconds": measured.as_secs_f64(),
        "tokens": tokens,
        "tokens_per_sec": tokens as f64 / measured.as_secs_f64(),
        "all_tokens": tally.all_tokens.load(Ordering::Relaxed),
        "cpu_seconds": cpu,
        "errors": tally.errors.load(Ordering::Relaxed),
        "first_error": first_error,
    }))
}

/// CPU time (user + system, all threads) this process has used so far; `None` where
/// `/proc/self/stat` does not exist.
fn cpu_seconds() -> Option<f64> {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| process_cpu_seconds(&stat))
}

/// `utime + stime` of a `/proc/<pid>/stat` line, in seconds (USER_HZ is 100 on Linux).
fn process_cpu_seconds(stat: &str) -> Option<f64> {
    // Fields after the command name, which is in parentheses and may hold spaces:
    // state is the first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Signs alice in, moves both clocks past the access token's expiry, then makes
/// `callers` silent calls at once; counts the token requests mock-idp received.
pub(crate) fn refresh_storm(target: &Target, callers: usize) -> Result<(), String> {
    let runtime = runtime()?;
    let admin = target.admin()?;
    runtime.block_on(async {
        let server_now = admin.now().await.map_err(|err| err.to_string())?.now;
        let clock = Arc::new(ManualClock::new(
            UNIX_EPOCH + Duration::from_secs(server_now),
        ));
        let app = PublicClientApplication::builder(d::CLI_CLIENT_ID)
            .authority(&target.authority())
            .extra_root_certificates_pem(target.ca_pem.as_bytes())
            .clock(clock.clone())
            .build()
            .map_err(|err| err.to_string())?;
        let first = app
            .acquire_token_by_username_password(&SCOPES, d::ALICE, password())
            .await
            .map_err(|err| format!("sign-in failed: {err}"))?;
        let account = first.account.ok_or("the sign-in result has no account")?;
        let lifetime = first
            .expires_on
            .duration_since(UNIX_EPOCH + Duration::from_secs(server_now))
            .unwrap_or_default();
        // Past the expiry (and the 5-minute margin) on both sides.
        let by = lifetime + Duration::from_secs(600);
        clock.advance(by);
        admin
            .advance_clock(by)
            .await
            .map_err(|err| err.to_string())?;
        admin
            .clear_requests()
            .await
            .map_err(|err| err.to_string())?;

        let mut tasks = JoinSet::new();
        for _ in 0..callers.max(1) {
            let (app, account) = (app.clone(), account.clone());
            tasks.spawn(async move {
                app.acquire_token_silent(&SCOPES, &account)
                    .await
                    .map(|result| result.token_source)
                    .map_err(|err| err.to_string())
            });
        }
        let (mut from_idp, mut from_cache, mut errors) = (0, 0, 0);
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined.map_err(|err| err.to_string()).and_then(|r| r) {
                Ok(TokenSource::IdentityProvider) => from_idp += 1,
                Ok(TokenSource::Cache) => from_cache += 1,
                Err(problem) => {
                    errors += 1;
                    first_error.get_or_insert(problem);
                }
            }
        }
        let requests = admin.requests().await.map_err(|err| err.to_string())?;
        let token_requests = requests
            .iter()
            .filter(|request| request.endpoint == Endpoint::Token)
            .count();
        emit(serde_json::json!({
            "scenario": "refresh_storm",
            "library": "entra-auth",
            "callers": callers.max(1),
            "token_requests": token_requests,
            "requests": requests.len(),
            "from_idp": from_idp,
            "from_cache": from_cache,
            "errors": errors,
            "first_error": first_error,
        }))
    })
}

/// Counts mock-idp's recorded requests by endpoint; empties the log when `clear`.
pub(crate) fn idp_requests(target: &Target, clear: bool) -> Result<(), String> {
    let runtime = runtime()?;
    let admin = target.admin()?;
    runtime.block_on(async {
        let requests = admin.requests().await.map_err(|err| err.to_string())?;
        let count = |endpoint: Endpoint| {
            requests
                .iter()
                .filter(|request| request.endpoint == endpoint)
                .count()
        };
        let measurement = serde_json::json!({
            "scenario": "idp_requests",
            "library": "mock-idp",
            "total": requests.len(),
            "token": count(Endpoint::Token),
            "user_realm": count(Endpoint::UserRealm),
            "discovery": count(Endpoint::Discovery) + count(Endpoint::InstanceDiscovery),
        });
        if clear {
            admin
                .clear_requests()
                .await
                .map_err(|err| err.to_string())?;
        }
        emit(measurement)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_utime_plus_stime_in_hundredths() {
        let stat = "4242 (entra bench) S 1 4242 4242 0 -1 4194304 900 0 0 0 150 25 0 0 20 0 3";
        assert_eq!(process_cpu_seconds(stat), Some(1.75));
        assert_eq!(process_cpu_seconds("4242 (x) S 1"), None);
    }
}
