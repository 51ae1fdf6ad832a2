//! Partitioned persistence: the [`PartitionedStore`] trait, for stores that keep the cache
//! in slices (one per account, one per application and tenant) on a server shared by
//! many processes and machines, such as Redis.
//!
//! A partition holds an MSAL-format cache document with only that partition's entries,
//! so a silent call reads and writes its own partition and never the whole cache. The
//! cache above the store ([`crate::TokenCache`]) decides which entries go where; the
//! store only moves bytes, keyed by [`Partition`], and knows nothing of OAuth.

use std::fmt;
use std::time::Duration;

use crate::error::CacheError;

/// The name of one slice of a partitioned cache, as MSAL's distributed caches key them:
/// a user's tokens by `home_account_id` (lowercased), an application's own tokens by
/// client id and tenant (`{client_id}_{tenant}_AppTokenCache`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition(String);

/// The suffix of an application partition's name.
const APPLICATION_SUFFIX: &str = "_AppTokenCache";

impl Partition {
    /// The partition of an account's entries (access, refresh and id tokens, the
    /// account itself).
    pub fn account(home_account_id: &str) -> Partition {
        Partition(home_account_id.to_lowercase())
    }

    /// The partition of an application's own tokens (no user) in a tenant.
    pub fn application(client_id: &str, tenant: &str) -> Partition {
        Partition(format!(
            "{}_{}{APPLICATION_SUFFIX}",
            client_id.to_lowercase(),
            tenant.to_lowercase()
        ))
    }

    /// A partition by its name, as [`Partition::as_str`] gives it (a store listing its
    /// partitions uses this).
    pub fn from_name(name: impl Into<String>) -> Partition {
        Partition(name.into())
    }

    /// The partition's name: the key suffix a store files it under.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an account's partition (else an application's).
    pub fn is_account(&self) -> bool {
        !self.0.ends_with(APPLICATION_SUFFIX)
    }
}

impl fmt::Debug for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A home_account_id is an identifier, not a secret; it is what logs show.
        write!(f, "Partition({:?})", self.0)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a [`PartitionedStore`] writes for a partition after a merge.
#[derive(Debug)]
pub struct PartitionWrite {
    /// The partition's new document; `None` when nothing is left in it (the store
    /// deletes the partition).
    pub bytes: Option<Vec<u8>>,
    /// How long after this write the partition still holds something usable, so the
    /// store may drop it then (its latest refresh token's lifetime, else its latest
    /// access token's expiry); `None`: keep it. Relative, so that the store's clock and
    /// the application's need not agree.
    pub time_to_live: Option<Duration>,
}

/// The merge step a [`PartitionedStore`] runs while saving a partition: it receives the
/// partition as currently persisted (`None` if absent) and returns what to write. A
/// store whose write lost a race with another writer calls it again with the other
/// writer's bytes. If it fails, the store writes nothing.
pub type PartitionMerge<'a> =
    dyn FnMut(Option<&[u8]>) -> Result<PartitionWrite, CacheError> + Send + 'a;

/// A lease on a partition: while it is held, no other holder of the same store (in this
/// process or another, on this machine or another) gets it. Used so that one refresh,
/// not one per process, reaches the identity provider when many callers find the same
/// token expired. Dropped without [`release`](Lease::release), it expires by itself.
#[async_trait::async_trait]
pub trait Lease: Send + Sync {
    /// Gives the lease back at once (only if it is still this holder's).
    async fn release(self: Box<Self>) -> Result<(), CacheError>;
}

/// A store that keeps the cache in partitions on a server reached asynchronously (Redis).
///
/// Implementations must bound every operation by a timeout and report an unreachable
/// or slow server as [`CacheError::Unavailable`], never hang or panic, and must never
/// lose a concurrent writer's update: `save` is a compare-and-set that re-runs `merge`
/// when another writer changed the partition in between.
#[async_trait::async_trait]
pub trait PartitionedStore: Send + Sync {
    /// Where the cache lives, for error messages (a URL without credentials, ...).
    fn location(&self) -> String;

    /// Reads a partition; `Ok(None)` when it holds nothing.
    async fn load(&self, partition: &Partition) -> Result<Option<Vec<u8>>, CacheError>;

    /// Reads the partition, calls `merge` with it and writes the result, atomically with
    /// respect to other writers (re-running `merge` after a lost race). Writes nothing if
    /// `merge` fails.
    async fn save(
        &self,
        partition: &Partition,
        merge: &mut PartitionMerge<'_>,
    ) -> Result<(), CacheError>;

    /// Every partition the store holds (to list accounts across the whole cache).
    async fn partitions(&self) -> Result<Vec<Partition>, CacheError>;

    /// A number that changes whenever another writer may have changed `partition` since
    /// this process read it, read without crossing the network (an invalidation
    /// channel); `None` when the store cannot tell, in which case every call reads the
    /// partition from the store. The default is `None`.
    fn generation(&self, partition: &Partition) -> Option<u64> {
        let _ = partition;
        None
    }

    /// Takes the lease on `partition` for at most `ttl`, waiting up to `wait` for
    /// another holder to give it back or for its lease to expire. `Ok(None)` when the
    /// wait ran out (the caller may go on without it) or the store has no leases.
    async fn lease(
        &self,
        partition: &Partition,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Option<Box<dyn Lease>>, CacheError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_named_as_msal_names_them() {
        let account = Partition::account("UID.UTID");
        assert_eq!(account.as_str(), "uid.utid");
        assert!(account.is_account());
        let application = Partition::application("Client-1", "Contoso.onmicrosoft.com");
        assert_eq!(
            application.as_str(),
            "client-1_contoso.onmicrosoft.com_AppTokenCache"
        );
        assert!(!application.is_account());
        assert_eq!(Partition::from_name(application.as_str()), application);
    }
}
