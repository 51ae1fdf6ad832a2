//! The throttle layer: what the server said about earlier requests, so the same
//! request is not sent again too soon.
//!
//! Two rules, both for requests that carry a [`ThrottleKey`] extension only:
//!
//! - a `Retry-After` on a 429 or 5xx answer is remembered per key and URL; until it
//!   passes, a request with the same key and URL fails at once with
//!   [`HttpError::Throttled`], and nothing is sent;
//! - a 400 answer (without `Retry-After`) to a request whose key asks for it
//!   ([`ThrottleKey::replay_bad_request`]) is remembered for [`BAD_REQUEST_MEMORY`]:
//!   an identical request (same method, URL and body) in that time gets the same answer
//!   from memory, and nothing is sent. A loop retrying a wrong password therefore
//!   reaches the server once a minute at most, instead of locking the account.
//!
//! Nothing readable is kept: keys and request bodies are reduced to a SHA-256 of a
//! random salt (one per [`Throttle`]) and the value, so neither a username nor a
//! password is stored. Both tables are bounded ([`CAPACITY`] entries each).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::RETRY_AFTER;
use sha2::{Digest as _, Sha256};

use crate::{
    HttpClient, HttpError, Request, Response, Sleeper, TokioSleeper, display_url, parse_retry_after,
};

/// How long a 400 answer is replayed to an identical request (as MSAL does).
pub const BAD_REQUEST_MEMORY: Duration = Duration::from_secs(60);
/// The longest `Retry-After` remembered: a larger one (a server's mistake, or a hostile
/// one) is cut to this, so one answer cannot block an application for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Entries per table at most; past it, expired entries go first, then the one
/// closest to expiring.
pub const CAPACITY: usize = 1024;
/// The largest 400 body remembered; a larger answer is returned but not replayed.
const MAX_REMEMBERED_BODY: usize = 64 * 1024;

/// Who a request is for, as the application sees it: set as a request extension to
/// put the request under [`Throttle`]'s rules.
///
/// The parts are the application's business (entra-auth passes the client id, the
/// authority, the scopes and the account); this crate only compares them. They are
/// hashed with the throttle's salt on arrival and never stored as they are.
///
/// ```
/// use entra_http::ThrottleKey;
/// let mut request = http::Request::post("https://login.example/organizations/oauth2/v2.0/token")
///     .body(entra_http::Body::from("grant_type=password&..."))
///     .expect("a valid request");
/// let key = ThrottleKey::new(["client id", "authority", "scope", "alice@contoso.com"])
///     .replay_bad_request(true);
/// request.extensions_mut().insert(key);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    /// The parts, each length-prefixed so `["ab", "c"]` and `["a", "bc"]` differ.
    parts: Vec<u8>,
    replay_bad_request: bool,
}

impl ThrottleKey {
    /// A key made of `parts`, in order.
    pub fn new<S: AsRef<str>>(parts: impl IntoIterator<Item = S>) -> Self {
        let mut bytes = Vec::new();
        for part in parts {
            let part = part.as_ref().as_bytes();
            bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
            bytes.extend_from_slice(part);
        }
        Self {
            parts: bytes,
            replay_bad_request: false,
        }
    }

    /// Whether a 400 answer to this request is replayed to an identical request for
    /// [`BAD_REQUEST_MEMORY`] (default: no). Ask for it where sending the same request
    /// again cannot succeed and may harm: a password or refresh token grant.
    #[must_use]
    pub fn replay_bad_request(mut self, replay: bool) -> Self {
        self.replay_bad_request = replay;
        self
    }
}

impl std::fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The parts may name a user: never printed.
        f.debug_struct("ThrottleKey")
            .field("replay_bad_request", &self.replay_bad_request)
            .finish_non_exhaustive()
    }
}

/// Marks a response that [`Throttle`] answered from memory, without a request: found
/// in the response's extensions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed;

type Digest = [u8; 32];

/// A 400 answer kept for replay.
struct Remembered {
    expires: SystemTime,
    status: StatusCode,
    version: http::Version,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Remembered {
    fn response(&self) -> Response {
        let mut response = http::Response::new(self.body.clone());
        *response.status_mut() = self.status;
        *response.version_mut() = self.version;
        *response.headers_mut() = self.headers.clone();
        response.extensions_mut().insert(Replayed);
        response
    }
}

trait Expiring {
    fn expires(&self) -> SystemTime;
}

impl Expiring for SystemTime {
    fn expires(&self) -> SystemTime {
        *self
    }
}

impl Expiring for Remembered {
    fn expires(&self) -> SystemTime {
        self.expires
    }
}

/// Inserts into a table of at most [`CAPACITY`] entries: when full, drops expired
/// entries, then (if still full) the entry closest to expiring.
fn insert_bounded<V: Expiring>(
    table: &mut HashMap<Digest, V>,
    key: Digest,
    value: V,
    now: SystemTime,
) {
    if table.len() >= CAPACITY && !table.contains_key(&key) {
        table.retain(|_, entry| entry.expires() > now);
        if table.len() >= CAPACITY
            && let Some(soonest) = table
                .iter()
                .min_by_key(|(_, entry)| entry.expires())
                .map(|(digest, _)| *digest)
        {
            table.remove(&soonest);
        }
    }
    table.insert(key, value);
}

#[derive(Default)]
struct State {
    /// By salted hash of (key, URL): until when the server asked to wait.
    waits: HashMap<Digest, SystemTime>,
    /// By salted hash of (method, URL, body): the 400 answer to replay.
    bad_requests: HashMap<Digest, Remembered>,
}

/// Wraps any [`HttpClient`] with the throttling rules of the module: remembered
/// `Retry-After` waits and replayed 400 answers, for requests carrying a
/// [`ThrottleKey`]; a request without one passes through untouched.
///
/// One `Throttle` per application: its memory is the application's. Place it outside
/// [`Retry`](crate::Retry), so that it sees the answer the retries ended with.
///
/// ```
/// use entra_http::{ReqwestClient, Retry, RetryPolicy, Throttle};
/// # fn main() -> Result<(), entra_http::HttpError> {
/// let client = Throttle::new(Retry::new(ReqwestClient::builder().build()?, RetryPolicy::default()));
/// # Ok(()) }
/// ```
pub struct Throttle<C> {
    inner: C,
    clock: Arc<dyn Sleeper>,
    salt: [u8; 32],
    state: Mutex<State>,
}

impl<C: std::fmt::Debug> std::fmt::Debug for Throttle<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<C: HttpClient> Throttle<C> {
    /// Wraps `inner`, reading the system clock.
    pub fn new(inner: C) -> Self {
        Self::with_sleeper(inner, Arc::new(TokioSleeper))
    }

    /// Wraps `inner`, reading the time from `clock`'s [`Sleeper::now`] (it never
    /// sleeps): tests pass a clock they move by hand.
    pub fn with_sleeper(inner: C, clock: Arc<dyn Sleeper>) -> Self {
        Self {
            inner,
            clock,
            salt: random_salt(),
            state: Mutex::new(State::default()),
        }
    }

    /// The wrapped client.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// SHA-256 of the salt, a label and `parts`, each length-prefixed.
    fn digest(&self, label: &[u8], parts: &[&[u8]]) -> Digest {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(label);
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        let state = self.state();
        (state.waits.len(), state.bad_requests.len())
    }
}

#[async_trait::async_trait]
impl<C: HttpClient> HttpClient for Throttle<C> {
    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let Some(key) = request.extensions().get::<ThrottleKey>() else {
            return self.inner.send(request).await;
        };
        let uri = request.uri().to_string();
        let wait_key = self.digest(b"wait", &[&key.parts, uri.as_bytes()]);
        // The body is read here, once, to hash it; it is never copied.
        let replay_key = key.replay_bad_request.then(|| {
            self.digest(
                b"400",
                &[
                    request.method().as_str().as_bytes(),
                    uri.as_bytes(),
                    request.body(),
                ],
            )
        });
        let now = self.clock.now();
        {
            let state = self.state();
            if let Some(until) = state.waits.get(&wait_key)
                && let Ok(retry_after) = until.duration_since(now)
                && !retry_after.is_zero()
            {
                let url = display_url(&request);
                tracing::debug!(%url, retry_after_s = retry_after.as_secs(), "not sent: the server asked to wait");
                return Err(HttpError::Throttled { url, retry_after });
            }
            if let Some(remembered) = replay_key
                .as_ref()
                .and_then(|digest| state.bad_requests.get(digest))
                .filter(|remembered| remembered.expires > now)
            {
                let url = display_url(&request);
                tracing::debug!(%url, "not sent: an identical request was refused moments ago; replaying that answer");
                return Ok(remembered.response());
            }
        }

        let response = self.inner.send(request).await?;

        let now = self.clock.now();
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, now));
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            if let Some(wait) = retry_after.filter(|wait| !wait.is_zero()) {
                let until = now + wait.min(MAX_RETRY_AFTER);
                insert_bounded(&mut self.state().waits, wait_key, until, now);
            }
        } else if status == StatusCode::BAD_REQUEST
            && let Some(digest) = replay_key
            && !response.headers().contains_key(RETRY_AFTER)
            && response.body().len() <= MAX_REMEMBERED_BODY
        {
            let remembered = Remembered {
                expires: now + BAD_REQUEST_MEMORY,
                status,
                version: response.version(),
                headers: response.headers().clone(),
                body: response.body().clone(),
            };
            insert_bounded(&mut self.state().bad_requests, digest, remembered, now);
        }
        Ok(response)
    }
}

/// 32 bytes from the operating system's random source; should it fail, from the
/// standard library's randomly seeded hasher (also seeded by the OS, another way).
fn random_salt() -> [u8; 32] {
    let mut salt = [0u8; 32];
    if getrandom::fill(&mut salt).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in salt.chunks_mut(8) {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u128(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            chunk.copy_from_slice(&hasher.finish().to_le_bytes());
        }
    }
    salt
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A clock moved by hand.
    struct Clock(Mutex<SystemTime>);

    impl Clock {
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    #[async_trait::async_trait]
    impl Sleeper for Clock {
        async fn sleep(&self, _duration: Duration) {
            unreachable!("the throttle never sleeps");
        }

        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    /// Answers every request with a 429 carrying `Retry-After: 5`, counting them.
    #[derive(Default)]
    struct Busy(AtomicUsize);

    #[async_trait::async_trait]
    impl HttpClient for Busy {
        async fn send(&self, _request: Request) -> Result<Response, HttpError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::builder()
                .status(429)
                .header("retry-after", "5")
                .body(Vec::new())
                .unwrap())
        }
    }

    fn keyed(n: usize) -> Request {
        let mut request = http::Request::post("https://idp.example/token")
            .body(format!("n={n}").into())
            .unwrap();
        request
            .extensions_mut()
            .insert(ThrottleKey::new([n.to_string()]).replay_bad_request(true));
        request
    }

    #[tokio::test]
    async fn memory_stays_bounded_under_many_distinct_keys() {
        let clock = Arc::new(Clock(Mutex::new(SystemTime::UNIX_EPOCH)));
        let throttle = Throttle::with_sleeper(Busy::default(), clock.clone());

        for n in 0..CAPACITY * 3 {
            throttle.send(keyed(n)).await.unwrap();
        }

        assert_eq!(throttle.sizes().0, CAPACITY);
        assert_eq!(throttle.inner().0.load(Ordering::SeqCst), CAPACITY * 3);
        // The newest key is still remembered.
        let newest = throttle.send(keyed(CAPACITY * 3 - 1)).await;
        assert!(
            matches!(newest, Err(HttpError::Throttled { .. })),
            "{newest:?}"
        );
        // Once every wait passed, a new key clears the expired ones.
        clock.advance(Duration::from_secs(6));
        throttle.send(keyed(usize::MAX)).await.unwrap();
        assert_eq!(throttle.sizes().0, 1);
    }

    /// Answers every request with a plain 400.
    struct Refuses;

    #[async_trait::async_trait]
    impl HttpClient for Refuses {
        async fn send(&self, _request: Request) -> Result<Response, HttpError> {
            Ok(http::Response::builder()
                .status(400)
                .body(b"{\"error\":\"invalid_grant\"}".to_vec())
                .unwrap())
        }
    }

    #[tokio::test]
    async fn remembered_400_answers_stay_bounded_too() {
        let clock = Arc::new(Clock(Mutex::new(SystemTime::UNIX_EPOCH)));
        let throttle = Throttle::with_sleeper(Refuses, clock);

        for n in 0..CAPACITY + 10 {
            throttle.send(keyed(n)).await.unwrap();
        }

        assert_eq!(throttle.sizes().1, CAPACITY);
        let newest = throttle.send(keyed(CAPACITY + 9)).await.unwrap();
        assert!(newest.extensions().get::<Replayed>().is_some());
    }

    #[test]
    fn keys_with_the_same_bytes_split_differently_differ() {
        assert_ne!(ThrottleKey::new(["ab", "c"]), ThrottleKey::new(["a", "bc"]));
        assert_eq!(ThrottleKey::new(["a", "b"]), ThrottleKey::new(["a", "b"]));
    }

    #[test]
    fn a_key_never_shows_its_parts_in_debug() {
        let key = ThrottleKey::new(["alice@contoso.com"]);
        assert!(!format!("{key:?}").contains("alice"));
    }

    #[test]
    fn two_throttles_have_different_salts() {
        let a = Throttle::new(Busy::default());
        let b = Throttle::new(Busy::default());
        assert_ne!(a.digest(b"x", &[b"y"]), b.digest(b"x", &[b"y"]));
    }
}
