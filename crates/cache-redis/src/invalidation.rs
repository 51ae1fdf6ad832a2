//! Generations from the invalidation channel: a background task subscribes to
//! `{prefix}invalidate` (and `{prefix}released`), and each message bumps the counter of
//! the partition it names, so that [`crate::RedisStore`] answers
//! `PartitionedStore::generation` without crossing the network.
//!
//! Counters live in a fixed table of buckets indexed by a hash of the partition's name:
//! memory stays bounded however many partitions the fleet has, and two partitions that
//! share a bucket only cost each other a needless reload. Every bump takes the next
//! value of one sequence, so a generation never comes back to an earlier value.
//! While the subscription is down `generation` is `None`; when it is (re)established
//! an epoch bump changes every partition's generation, since messages may have been
//! missed in between.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;

/// How many generation counters partitions hash into.
const BUCKETS: usize = 4096;

/// How many wake-up signals lease waiters hash into.
const WAKERS: usize = 64;

/// How often the subscriber checks that the server still answers, so that a hung
/// server (whose socket stays open) is noticed and `generation` turns `None`.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// The longest pause between two attempts to subscribe again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The shortest pause between two attempts to subscribe again.
const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// The counters, shared between the store and its subscriber task.
pub(crate) struct Generations {
    sequence: AtomicU64,
    epoch: AtomicU64,
    buckets: Box<[AtomicU64]>,
    subscribed: AtomicBool,
    wakers: Box<[Notify]>,
    /// Notified each time a subscription is (re)established (tests wait on it).
    subscriptions: Notify,
}

impl Generations {
    pub(crate) fn new() -> Generations {
        Generations {
            sequence: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            subscribed: AtomicBool::new(false),
            wakers: (0..WAKERS).map(|_| Notify::new()).collect(),
            subscriptions: Notify::new(),
        }
    }

    /// The partition's generation; `None` while not subscribed.
    pub(crate) fn get(&self, name: &str) -> Option<u64> {
        if !self.subscribed.load(Ordering::SeqCst) {
            return None;
        }
        let bucket = self.buckets[bucket(name)].load(Ordering::SeqCst);
        Some(bucket.max(self.epoch.load(Ordering::SeqCst)))
    }

    /// Whether the subscription is up.
    pub(crate) fn is_subscribed(&self) -> bool {
        self.subscribed.load(Ordering::SeqCst)
    }

    /// The signal a lease waiter on `name` waits for (a message about that partition,
    /// or another partition that hashes alike).
    pub(crate) fn waker(&self, name: &str) -> &Notify {
        &self.wakers[bucket(name) % WAKERS]
    }

    /// Notified on every (re)subscription.
    pub(crate) fn subscriptions(&self) -> &Notify {
        &self.subscriptions
    }

    fn next(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn changed(&self, name: &str) {
        let value = self.next();
        self.buckets[bucket(name)].fetch_max(value, Ordering::SeqCst);
        self.waker(name).notify_waiters();
    }

    fn released(&self, name: &str) {
        self.waker(name).notify_waiters();
    }

    fn up(&self) {
        // The epoch moves before `subscribed` turns true: a reader never sees a
        // generation from before the gap once the subscription is back.
        let value = self.next();
        self.epoch.fetch_max(value, Ordering::SeqCst);
        self.subscribed.store(true, Ordering::SeqCst);
        self.subscriptions.notify_waiters();
        for waker in &*self.wakers {
            waker.notify_waiters();
        }
    }

    fn down(&self) {
        self.subscribed.store(false, Ordering::SeqCst);
    }
}

fn bucket(name: &str) -> usize {
    let mut hasher = DefaultHasher::new();
    name.hash(&mut hasher);
    // The remainder is below BUCKETS, so it fits in usize.
    (hasher.finish() % BUCKETS as u64) as usize
}

/// The channels the subscriber listens to.
pub(crate) struct Channels {
    /// `{prefix}invalidate`: a partition was written or deleted.
    pub(crate) invalidate: String,
    /// `{prefix}released`: a partition's lease was given back.
    pub(crate) released: String,
}

/// Keeps a subscription to the channels up, feeding `generations`, until the store
/// aborts the task (when it is dropped).
pub(crate) async fn subscribe(
    client: redis::Client,
    channels: Channels,
    generations: Arc<Generations>,
    connect_timeout: Duration,
    response_timeout: Duration,
) {
    let mut backoff = MIN_BACKOFF;
    loop {
        match listen(
            &client,
            &channels,
            &generations,
            connect_timeout,
            response_timeout,
        )
        .await
        {
            // It was up: try again at once.
            Ok(()) => backoff = MIN_BACKOFF,
            Err(reason) => {
                tracing::debug!(reason, "the token cache's invalidation channel is down");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        generations.down();
    }
}

/// One subscription, from connecting until the connection fails. `Ok` when it had been
/// up, `Err` when it never came up.
async fn listen(
    client: &redis::Client,
    channels: &Channels,
    generations: &Generations,
    connect_timeout: Duration,
    response_timeout: Duration,
) -> Result<(), &'static str> {
    let pubsub = match tokio::time::timeout(connect_timeout, client.get_async_pubsub()).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(_)) => return Err("connecting failed"),
        Err(_) => return Err("connecting timed out"),
    };
    let (mut sink, mut stream) = pubsub.split();
    let names = [&channels.invalidate, &channels.released];
    let subscribing = sink.subscribe(&names);
    match tokio::time::timeout(response_timeout, subscribing).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Err("subscribing failed"),
        Err(_) => return Err("subscribing timed out"),
    }
    generations.up();
    tracing::debug!("the token cache's invalidation channel is up");
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return Ok(()) };
                let Ok(name) = std::str::from_utf8(message.get_payload_bytes()) else {
                    continue;
                };
                if message.get_channel_name() == channels.invalidate {
                    generations.changed(name);
                } else {
                    generations.released(name);
                }
            }
            _ = heartbeat.tick() => {
                let ping = sink.ping::<redis::Value>();
                match tokio::time::timeout(response_timeout, ping).await {
                    Ok(Ok(_)) => {}
                    _ => return Ok(()),
                }
            }
        }
    }
}
