//! [`RedisStore`]: the `PartitionedStore` over one Redis server.

use std::fmt;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use entra_cache::{CacheError, Lease, Partition, PartitionMerge, PartitionedStore};
use redis::aio::MultiplexedConnection;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::error::{RedisStoreError, breaks_connection, from_redis, no_answer};
use crate::invalidation::{self, Channels, Generations};

/// The key prefix when none is given.
pub const DEFAULT_KEY_PREFIX: &str = "entra-auth:";

/// How long connecting (TCP, TLS, `AUTH`) may take when no timeout is given.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one command may wait for its answer when no timeout is given.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How many times a save re-runs its merge after losing a race with other writers
/// before it gives up (each lost race means another writer's save went through).
const SAVE_ATTEMPTS: usize = 100;

/// The longest time to live a partition's key is given (about 34 years): Redis refuses
/// times to live that overflow its clock, and a longer one means "keep it" anyway. The
/// shortest is 1 ms (Redis refuses 0): a key as good as expired.
const LONGEST_TIME_TO_LIVE_MS: u128 = 1 << 40;

/// The longest time to live a lease is given (about 34 years; Redis refuses times to
/// live that overflow its clock). The shortest is 1 ms (Redis refuses 0).
const LONGEST_LEASE_MS: u64 = 1 << 40;

/// The longest pause between two attempts to take a lease held by another holder
/// (a message about the partition wakes the waiter earlier).
const LEASE_POLL: Duration = Duration::from_millis(50);

/// How many keys one `SCAN` round asks for.
const SCAN_COUNT: usize = 500;

/// Writes a partition if it still holds what the caller merged with; otherwise answers
/// what it holds now, so the caller merges again without another round trip.
///
/// KEYS[1]: the partition's key. ARGV[1]: `1` if the caller saw a value, else `0`;
/// ARGV[2]: the value it saw; ARGV[3]: `1` to write ARGV[4], `0` to delete the key;
/// ARGV[5]: the time to live in milliseconds, or empty for none; ARGV[6]: the
/// invalidation channel; ARGV[7]: the partition's name, published on it.
/// Returns `{1, false}` when written, `{0, current value or false}` when not.
const SAVE_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return {0, current} end
elseif current then
  return {0, current}
end
if ARGV[3] == '1' then
  if ARGV[5] == '' then
    redis.call('SET', KEYS[1], ARGV[4])
  else
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
  end
else
  redis.call('DEL', KEYS[1])
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return {1, false}
";

/// Deletes a lease only if it still holds the caller's token, and says so on the
/// `released` channel. KEYS[1]: the lease's key; ARGV[1]: the token; ARGV[2]: the
/// channel; ARGV[3]: the partition's name. Returns 1 when it was the caller's.
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
";

/// A token cache store on a Redis server, shared by every process and machine that
/// uses the same server and key prefix. Build one with [`RedisStore::builder`]; clones
/// share one connection and one invalidation subscription.
///
/// Keys, under the prefix (default `entra-auth:`): `{prefix}partition:{name}` holds a
/// partition's document, `{prefix}lease:{name}` a lease's random token; messages on
/// `{prefix}invalidate` name a partition that was written or deleted, and on
/// `{prefix}released` one whose lease was given back.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    location: String,
    prefix: String,
    invalidate_channel: String,
    released_channel: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    /// The shared multiplexed connection; `None` until connected, and again after it
    /// failed, so that the next call connects anew.
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    generations: Arc<Generations>,
    subscriber: tokio::task::JoinHandle<()>,
    save_script: redis::Script,
    release_script: redis::Script,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.subscriber.abort();
    }
}

/// Settings of a [`RedisStore`], from [`RedisStore::builder`].
pub struct RedisStoreBuilder {
    url: SecretString,
    root_certificates_pem: Option<Vec<u8>>,
    key_prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("location", &location_of(self.url.expose_secret()))
            .field("root_certificates", &self.root_certificates_pem.is_some())
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish()
    }
}

impl RedisStoreBuilder {
    /// The prefix of every key and channel the store uses (default `entra-auth:`), so
    /// that several caches share one server without seeing each other's partitions.
    pub fn key_prefix(mut self, key_prefix: impl Into<String>) -> RedisStoreBuilder {
        self.key_prefix = key_prefix.into();
        self
    }

    /// For `rediss://`: trust only these CA certificates (PEM, one or more) instead of
    /// the system's, for a server whose certificate a private CA issued.
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> RedisStoreBuilder {
        self.root_certificates_pem = Some(pem.into());
        self
    }

    /// How long connecting (TCP, TLS, authentication) may take (default 2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> RedisStoreBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may wait for its answer (default 1 s).
    pub fn response_timeout(mut self, timeout: Duration) -> RedisStoreBuilder {
        self.response_timeout = timeout;
        self
    }

    /// Connects (checking the URL and its credentials) and subscribes to the
    /// invalidation channel, waiting for the subscription up to the connect timeout.
    ///
    /// Must be called within a tokio runtime with its time driver enabled (as
    /// `#[tokio::main]` builds it), which keeps the subscription's task.
    ///
    /// # Errors
    /// [`CacheError::Unavailable`] when the server cannot be reached in time;
    /// [`CacheError::Store`] with a [`RedisStoreError`] when the URL is not a Redis URL,
    /// the server refuses the credentials, or no tokio runtime is running.
    pub async fn build(self) -> Result<RedisStore, CacheError> {
        let location = location_of(self.url.expose_secret());
        let store_error = |source: RedisStoreError| CacheError::Store {
            location: location.clone(),
            source: Arc::new(source),
        };
        // The URL first, so that a bad certificate is not blamed on it.
        let client = redis::Client::open(self.url.expose_secret()).map_err(|source| {
            store_error(RedisStoreError::InvalidUrl {
                reason: "the Redis client does not accept it",
                source: Some(source),
            })
        })?;
        let client = match self.root_certificates_pem {
            None => client,
            Some(root_cert) => redis::Client::build_with_tls(
                self.url.expose_secret(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                },
            )
            .map_err(|source| store_error(RedisStoreError::InvalidRootCertificates { source }))?,
        };
        if location.starts_with("rediss:") {
            choose_crypto_provider();
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| store_error(RedisStoreError::NoRuntime))?;
        let generations = Arc::new(Generations::new());
        let invalidate_channel = format!("{}invalidate", self.key_prefix);
        let released_channel = format!("{}released", self.key_prefix);
        let subscriber = runtime.spawn(invalidation::subscribe(
            client.clone(),
            Channels {
                invalidate: invalidate_channel.clone(),
                released: released_channel.clone(),
            },
            Arc::clone(&generations),
            self.connect_timeout,
            self.response_timeout,
        ));
        let store = RedisStore {
            inner: Arc::new(Inner {
                client,
                location,
                prefix: self.key_prefix,
                invalidate_channel,
                released_channel,
                connect_timeout: self.connect_timeout,
                response_timeout: self.response_timeout,
                connection: tokio::sync::Mutex::new(None),
                generations,
                subscriber,
                save_script: redis::Script::new(SAVE_SCRIPT),
                release_script: redis::Script::new(RELEASE_SCRIPT),
            }),
        };
        store
            .inner
            .run(|mut connection| async move {
                redis::cmd("PING")
                    .query_async::<redis::Value>(&mut connection)
                    .await
            })
            .await?;
        store.wait_for_subscription().await;
        Ok(store)
    }
}

impl RedisStore {
    /// Settings for a store on the server at `url`: `redis://[[user]:password@]host[:port][/db]`,
    /// or `rediss://...` for TLS (the server's certificate is checked against the
    /// system's trusted roots, or those of
    /// [`root_certificates_pem`](RedisStoreBuilder::root_certificates_pem)).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: SecretString::from(url.into()),
            root_certificates_pem: None,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }

    /// The prefix of the store's keys and channels.
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Waits (up to the connect and response timeouts) until the invalidation channel
    /// is subscribed; returns at once if it is.
    async fn wait_for_subscription(&self) {
        let generations = &self.inner.generations;
        let mut subscribed = pin!(generations.subscriptions().notified());
        subscribed.as_mut().enable();
        if generations.is_subscribed() {
            return;
        }
        let bound = self
            .inner
            .connect_timeout
            .saturating_add(self.inner.response_timeout);
        // Not subscribed in time: `generation` says `None` until it is, which is safe.
        let _ = tokio::time::timeout(bound, subscribed).await;
    }

    fn partition_key(&self, partition: &Partition) -> String {
        format!("{}partition:{}", self.inner.prefix, partition.as_str())
    }

    fn lease_key(&self, partition: &Partition) -> String {
        format!("{}lease:{}", self.inner.prefix, partition.as_str())
    }
}

impl Inner {
    /// The shared connection, connecting first if there is none.
    async fn connection(&self) -> Result<MultiplexedConnection, CacheError> {
        let mut slot = tokio::time::timeout(self.connect_timeout, self.connection.lock())
            .await
            .map_err(|_| no_answer(&self.location, self.connect_timeout))?;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout));
        // Connecting includes the handshake (AUTH, SELECT), hence both timeouts.
        let bound = self.connect_timeout.saturating_add(self.response_timeout);
        let connecting = self
            .client
            .get_multiplexed_async_connection_with_config(&config);
        let connection = match tokio::time::timeout(bound, connecting).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return Err(from_redis(&self.location, error)),
            Err(_) => return Err(no_answer(&self.location, bound)),
        };
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Drops the shared connection, so that the next call connects anew.
    async fn forget_connection(&self) {
        if let Ok(mut slot) =
            tokio::time::timeout(self.connect_timeout, self.connection.lock()).await
        {
            *slot = None;
        }
    }

    /// Runs one command (or script) on the shared connection, bounded by the response
    /// timeout.
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, CacheError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(self.response_timeout, command(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if breaks_connection(&error) {
                    self.forget_connection().await;
                }
                Err(from_redis(&self.location, error))
            }
            Err(_) => {
                self.forget_connection().await;
                Err(no_answer(&self.location, self.response_timeout))
            }
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("location", &self.inner.location)
            .field("key_prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl PartitionedStore for RedisStore {
    fn location(&self) -> String {
        self.inner.location.clone()
    }

    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError> {
        let key = self.partition_key(partition);
        self.inner
            .run(|mut connection| async move {
                redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<Vec<u8>>>(&mut connection)
                    .await
            })
            .await
    }

    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError> {
        let key = self.partition_key(partition);
        let mut current = self.load(partition).await?;
        for _ in 0..SAVE_ATTEMPTS {
            let write = merge(current.as_deref())?;
            let time_to_live_ms = write
                .time_to_live
                .map(|ttl| {
                    ttl.as_millis()
                        .clamp(1, LONGEST_TIME_TO_LIVE_MS)
                        .to_string()
                })
                .unwrap_or_default();
            let script = &self.inner.save_script;
            let (seen, key) = (current.as_deref(), key.as_str());
            let channel = self.inner.invalidate_channel.as_str();
            let bytes = write.bytes.as_deref();
            let (written, now) = self
                .inner
                .run(|mut connection| async move {
                    script
                        .key(key)
                        .arg(if seen.is_some() { "1" } else { "0" })
                        .arg(seen.unwrap_or_default())
                        .arg(if bytes.is_some() { "1" } else { "0" })
                        .arg(bytes.unwrap_or_default())
                        .arg(&time_to_live_ms)
                        .arg(channel)
                        .arg(partition.as_str())
                        .invoke_async::<(i64, Option<Vec<u8>>)>(&mut connection)
                        .await
                })
                .await?;
            if written == 1 {
                return Ok(());
            }
            tracing::debug!(
                ?partition,
                "another writer changed the partition; merging again"
            );
            current = now;
        }
        Err(CacheError::Unavailable {
            location: self.inner.location.clone(),
            reason: format!(
                "other writers kept changing the partition through {SAVE_ATTEMPTS} attempts to \
                 save it; nothing was written"
            ),
            source: None,
        })
    }

    async fn partitions(&self) -> Result<Vec<Partition>, CacheError> {
        let prefix = format!("{}partition:", self.inner.prefix);
        let pattern = format!("{}*", escape_glob(&prefix));
        let mut names = Vec::new();
        let mut cursor = 0_u64;
        loop {
            let pattern = pattern.as_str();
            let (next, keys) = self
                .inner
                .run(|mut connection| async move {
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .query_async::<(u64, Vec<Vec<u8>>)>(&mut connection)
                        .await
                })
                .await?;
            // A key that is not UTF-8 was not written by this store: not a partition.
            names.extend(keys.into_iter().filter_map(|key| {
                let key = String::from_utf8(key).ok()?;
                key.strip_prefix(&prefix).map(str::to_owned)
            }));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // SCAN may return a key twice.
        names.sort_unstable();
        names.dedup();
        Ok(names.into_iter().map(Partition::from_name).collect())
    }

    fn generation(&self, partition: &Partition) -> Option<u64> {
        self.inner.generations.get(partition.as_str())
    }

    async fn lease(
        &self,
        partition: &Partition,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Option<Box<dyn Lease>>, CacheError> {
        let key = self.lease_key(partition);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let ttl_ms = u64::try_from(ttl.as_millis())
            .unwrap_or(u64::MAX)
            .clamp(1, LONGEST_LEASE_MS);
        // A wait too long to add to the clock is as good as a wait of 30 years.
        let now = Instant::now();
        let deadline = now
            .checked_add(wait)
            .unwrap_or(now + Duration::from_secs(30 * 365 * 86_400));
        loop {
            // Listen before trying, so a release between the try and the wait is heard.
            let mut woken = pin!(self.inner.generations.waker(partition.as_str()).notified());
            woken.as_mut().enable();
            let (key_ref, token_ref) = (key.as_str(), token.as_str());
            let taken = self
                .inner
                .run(|mut connection| async move {
                    redis::cmd("SET")
                        .arg(key_ref)
                        .arg(token_ref)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl_ms)
                        .query_async::<Option<String>>(&mut connection)
                        .await
                })
                .await?;
            if taken.is_some() {
                return Ok(Some(Box::new(RedisLease {
                    inner: Arc::clone(&self.inner),
                    key,
                    token,
                    partition: partition.clone(),
                })));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let pause = LEASE_POLL.min(deadline - now);
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// A lease taken by [`RedisStore`]: the key `{prefix}lease:{name}` holding a random
/// token, with the lease's time to live.
struct RedisLease {
    inner: Arc<Inner>,
    key: String,
    token: String,
    partition: Partition,
}

#[async_trait::async_trait]
impl Lease for RedisLease {
    async fn release(self: Box<Self>) -> Result<(), CacheError> {
        let script = &self.inner.release_script;
        let (key, token) = (self.key.as_str(), self.token.as_str());
        let (channel, name) = (
            self.inner.released_channel.as_str(),
            self.partition.as_str(),
        );
        let released = self
            .inner
            .run(|mut connection| async move {
                script
                    .key(key)
                    .arg(token)
                    .arg(channel)
                    .arg(name)
                    .invoke_async::<i64>(&mut connection)
                    .await
            })
            .await?;
        if released == 0 {
            tracing::debug!(
                partition = ?self.partition,
                "the lease had expired before it was released"
            );
        }
        Ok(())
    }
}

/// Makes ring rustls's process-wide provider unless one was chosen already: redis builds
/// its TLS configuration with that provider, and rustls panics when it cannot tell which
/// provider to use (none chosen and both compiled in).
fn choose_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may have chosen one in between: then that one stays, as it should.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Where the store lives, for errors and logs: the URL without its user, password,
/// query and fragment.
fn location_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            // Only "cannot-be-a-base" URLs refuse these, and they have no credentials.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => "redis (an invalid URL)".to_owned(),
    }
}

/// Escapes the characters `SCAN MATCH` treats as a pattern.
fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_leaves_out_credentials_query_and_fragment() {
        assert_eq!(
            location_of("rediss://alice:s3cret@cache.example.com:6380/2?protocol=resp3#insecure"),
            "rediss://cache.example.com:6380/2"
        );
        assert_eq!(
            location_of("redis://:s3cret@127.0.0.1/"),
            "redis://127.0.0.1/"
        );
        assert_eq!(location_of("not a url s3cret"), "redis (an invalid URL)");
    }

    #[test]
    fn a_prefix_is_matched_literally() {
        assert_eq!(escape_glob("app[1]*?\\:"), "app\\[1\\]\\*\\?\\\\:");
    }
}
