//! entra-auth's public API end to end, with an HTTP client that answers the fuzzed
//! documents: sign in, then silent calls as the clock moves (cache hits, refreshes,
//! expiry arithmetic), a forced refresh, the cache saved, loaded by a second
//! application and used again, and a sign-out.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_auth::SecretString;
use entra_auth::{CacheError, CacheStore, MemoryStore, Merge};
use entra_auth::{HttpClient, HttpError, HttpRequest, HttpResponse, async_trait};
use entra_auth::{ManualClock, PublicClientApplication};

use super::samples::{self, ALICE, CLIENT_ID, FEDUSER, NOW};
use super::{Target, split2};
use crate::rng::Rng;
use crate::shapes::hostile_xml;

/// Separates the documents of a federated sign-in input (MEX, then WS-Trust).
const SEPARATOR: &[u8] = b"\n--8<--\n";

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "sign_in",
            about: "entra-auth: a managed sign-in answered with the input as token response (and every refresh), silent calls over time, save, load, sign-out",
            seeds: samples::token_responses,
            generate: super::protocol::token_response_generate,
            run: sign_in,
        },
        Target {
            name: "sign_in_realm",
            about: "entra-auth: a sign-in answered with the input as user realm",
            seeds: samples::user_realms,
            generate: super::hostile_json_seed,
            run: sign_in_realm,
        },
        Target {
            name: "federated_sign_in",
            about: "entra-auth: a federated sign-in answered with MEX + WS-Trust response from the input",
            seeds: federated_seeds,
            generate: federated_generate,
            run: federated_sign_in,
        },
        Target {
            name: "cache_file_app",
            about: "entra-auth over a fuzzed cache file: accounts, silent calls over time, refresh, save, sign-out",
            seeds: super::cache::cache_seeds,
            generate: super::hostile_json_seed,
            run: cache_file_app,
        },
    ]
}

/// Entra and ADFS as the fuzzer plays them: each endpoint answers one fixed document.
/// It reads only the request's URI, so it stays the same whatever the body type is.
struct FakeEntra {
    realm: Vec<u8>,
    mex: Vec<u8>,
    ws_trust: Vec<u8>,
    token: Vec<u8>,
}

impl FakeEntra {
    fn managed(token: Vec<u8>) -> Self {
        FakeEntra {
            realm: samples::user_realms().swap_remove(0),
            mex: samples::mex_documents().swap_remove(0),
            ws_trust: samples::ws_trust_responses().swap_remove(0),
            token,
        }
    }
}

#[async_trait]
impl HttpClient for FakeEntra {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let path = request.uri().path();
        let (status, body) = if path.contains("/userrealm/") {
            (200, &self.realm)
        } else if path.ends_with("/mex") {
            (200, &self.mex)
        } else if path.ends_with("usernamemixed") {
            (200, &self.ws_trust)
        } else if path.ends_with("/token") {
            (200, &self.token)
        } else {
            return Ok(super::response(404, br#"{"error":"not_found"}"#));
        };
        Ok(super::response(status, body))
    }
}

/// A [`MemoryStore`] shared between applications.
struct Shared(Arc<MemoryStore>);

impl CacheStore for Shared {
    fn location(&self) -> String {
        self.0.location()
    }

    fn load(&self) -> Result<Option<Vec<u8>>, CacheError> {
        self.0.load()
    }

    fn save(&self, merge: &mut Merge<'_>) -> Result<(), CacheError> {
        self.0.save(merge)
    }
}

fn app(
    http: &Arc<FakeEntra>,
    store: &Arc<MemoryStore>,
    clock: &Arc<ManualClock>,
) -> Option<PublicClientApplication> {
    PublicClientApplication::builder(CLIENT_ID)
        .authority("https://login.microsoftonline.com/organizations")
        .http_client(http.clone())
        .cache_store(Shared(store.clone()))
        .clock(clock.clone())
        .build()
        .ok()
}

/// The whole path: sign-in (when `username` is given), silent calls as time moves, a
/// forced refresh, a second application over the saved cache, a sign-out.
fn flow(http: FakeEntra, cache: Option<Vec<u8>>, username: Option<&str>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        let http = Arc::new(http);
        let store = Arc::new(cache.map_or_else(MemoryStore::new, MemoryStore::with_bytes));
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(NOW),
        ));
        let Some(first) = app(&http, &store, &clock) else {
            return;
        };
        if let Some(username) = username {
            let password = SecretString::from("Pa$$ w0rd&=+é");
            let _ = first
                .acquire_token_by_username_password(&["User.Read"], username, password)
                .await;
        }
        let accounts = first.accounts().await.unwrap_or_default();
        for step in [0, 600, 7200, 90 * 86_400, 100 * 365 * 86_400] {
            clock.advance(Duration::from_secs(step));
            for account in &accounts {
                let _ = first.acquire_token_silent(&["User.Read"], account).await;
            }
        }
        if let Some(account) = accounts.first() {
            let _ = first
                .acquire_token_silent(&["User.Read"], account)
                .force_refresh(true)
                .await;
        }

        // A second application (another process) over the saved cache.
        let Some(second) = app(&http, &store, &clock) else {
            return;
        };
        let accounts = second.accounts().await.unwrap_or_default();
        for account in &accounts {
            let _ = second.acquire_token_silent(&["User.Read"], account).await;
            let _ = second.remove_account(account).await;
        }
        let _ = second.accounts().await;
    });
}

fn sign_in(input: &[u8]) {
    flow(FakeEntra::managed(input.to_vec()), None, Some(ALICE));
}

fn sign_in_realm(input: &[u8]) {
    let mut http = FakeEntra::managed(samples::token_response().to_string().into_bytes());
    http.realm = input.to_vec();
    flow(http, None, Some(FEDUSER));
}

fn federated_seeds() -> Vec<Vec<u8>> {
    let mex = samples::mex_documents();
    samples::ws_trust_responses()
        .into_iter()
        .map(|rstr| [&mex[0][..], SEPARATOR, &rstr].concat())
        .collect()
}

fn federated_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    let (mex, rstr) = split2(&seed, SEPARATOR);
    let (mex, rstr) = match rng.below(3) {
        0 => (hostile_xml(rng, mex), rstr.to_vec()),
        1 => (mex.to_vec(), hostile_xml(rng, rstr)),
        _ => (hostile_xml(rng, mex), hostile_xml(rng, rstr)),
    };
    [&mex[..], SEPARATOR, &rstr].concat()
}

fn federated_sign_in(input: &[u8]) {
    let (mex, rstr) = split2(input, SEPARATOR);
    let mut http = FakeEntra::managed(samples::token_response().to_string().into_bytes());
    http.realm = samples::federated_realm().to_string().into_bytes();
    http.mex = mex.to_vec();
    http.ws_trust = rstr.to_vec();
    flow(http, None, Some(FEDUSER));
}

fn cache_file_app(input: &[u8]) {
    let http = FakeEntra::managed(samples::token_response().to_string().into_bytes());
    flow(http, Some(input.to_vec()), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_sign_in_goes_through_the_whole_path() {
        // The sample response signs alice in and leaves her account in the cache.
        let http = Arc::new(FakeEntra::managed(
            samples::token_response().to_string().into_bytes(),
        ));
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(NOW),
        ));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let app = app(&http, &store, &clock).unwrap();
            let result = app
                .acquire_token_by_username_password(&["User.Read"], ALICE, SecretString::from("pw"))
                .await
                .unwrap();
            assert_eq!(result.account.unwrap().username, ALICE);
        });
        assert!(store.bytes().is_some_and(|b| !b.is_empty()));
    }
}
