//! entra-cache-redis: a Redis store for entra-cache, so that the processes and machines
//! of one application share one token cache.
//!
//! [`RedisStore`] implements [`entra_cache::PartitionedStore`]: the cache is kept in
//! partitions (a user's tokens by account, an application's by client and tenant), so
//! a silent call reads and writes its own partition, never the whole cache. It adds:
//!
//! - **Writes that lose no update.** A save is a compare-and-set (a Lua script): if
//!   another writer changed the partition since it was read, the merge runs again on
//!   the other writer's bytes. A partition's key expires when
//!   [`PartitionWrite::expires_at`](entra_cache::PartitionWrite) says.
//! - **Generations without a round trip.** A background task subscribes to the
//!   invalidation channel on which every save publishes the partition's name;
//!   [`generation`](entra_cache::PartitionedStore::generation) changes when a message
//!   for the partition arrives (this store's own saves included: it does not tell its
//!   writes from others'), and is `None` while the subscription is down, after which
//!   every partition's generation changes at once. Read the generation before loading
//!   the partition, so that a write after the load is never missed.
//! - **Leases**, so that one refresh reaches the identity provider when many callers
//!   find the same token expired: `SET NX PX` with a random token, released by a
//!   script that deletes the key only if it still holds that token; a holder that dies
//!   frees the lease when it expires.
//!
//! Every operation is bounded by the connect and response timeouts. A server that is
//! down or slow is a [`CacheError::Unavailable`](entra_cache::CacheError::Unavailable)
//! naming the store's location (its URL without credentials); the next call after it
//! is back reconnects. Refused credentials and server-side errors are a
//! [`CacheError::Store`](entra_cache::CacheError::Store) whose source is a
//! [`RedisStoreError`].
//!
//! It needs Redis 6.2 or later (`SET ... PXAT`), with scripting and pub/sub enabled; a
//! single server or a primary with replicas, not Redis Cluster.
//!
//! Architecture invariant: moves bytes and knows nothing of OAuth or the cache's
//! format; never loses a concurrent writer's update, never panics, never waits on the
//! server beyond its timeouts, and never puts the URL's password in an error, a log or
//! a `Debug`.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod error;
mod invalidation;
mod store;

pub use error::RedisStoreError;
pub use store::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_RESPONSE_TIMEOUT, RedisStore,
    RedisStoreBuilder,
};

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
