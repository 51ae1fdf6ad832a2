//! Partition-wise loads and saves: which partition an entry belongs to, replacing one
//! partition's entries with what a store holds, and merging one partition's changes
//! onto what a store holds.

use std::any::Any;
use std::sync::Arc;

use super::{CacheData, Entry, HasSection, Kind, Slot};
use crate::entry::{
    AccessTokenEntry, AccountEntry, AppMetadataEntry, IdTokenEntry, RefreshTokenEntry,
};
use crate::partition::Partition;

/// How long a partition is kept after its latest refresh token was written: Entra's
/// refresh tokens expire after 90 days without use.
pub(crate) const REFRESH_TOKEN_LIFETIME: u64 = 90 * 24 * 60 * 60;

/// The partition an entry belongs to; `None` for app metadata, which belongs to every
/// partition that writes it.
pub(crate) trait InPartition {
    fn partition(&self) -> Option<Partition>;
}

impl InPartition for AccessTokenEntry {
    fn partition(&self) -> Option<Partition> {
        Some(match self.home_account_id.as_deref() {
            Some(home_account_id) if !home_account_id.is_empty() => {
                Partition::account(home_account_id)
            }
            _ => Partition::application(self.client_id.as_ref(), self.realm.as_ref()),
        })
    }
}

macro_rules! account_partition {
    ($ty:ty) => {
        impl InPartition for $ty {
            fn partition(&self) -> Option<Partition> {
                Some(Partition::account(self.home_account_id.as_ref()))
            }
        }
    };
}
account_partition!(RefreshTokenEntry);
account_partition!(IdTokenEntry);
account_partition!(AccountEntry);

impl InPartition for AppMetadataEntry {
    fn partition(&self) -> Option<Partition> {
        None
    }
}

/// Dispatches a generic call on a [`Kind`] to its entry type.
macro_rules! by_kind {
    ($kind:expr, $call:ident ( $($arg:expr),* )) => {
        match $kind {
            Kind::AccessToken => $call::<AccessTokenEntry>($($arg),*),
            Kind::Account => $call::<AccountEntry>($($arg),*),
            Kind::IdToken => $call::<IdTokenEntry>($($arg),*),
            Kind::RefreshToken => $call::<RefreshTokenEntry>($($arg),*),
            Kind::AppMetadata => $call::<AppMetadataEntry>($($arg),*),
        }
    };
}

/// The identity of a stored entry (its shared allocation), to tell after a save whether
/// it changed again meanwhile. Holding it keeps the allocation alive, so an address is
/// never reused for another entry while compared.
#[derive(Clone)]
pub(crate) struct SlotIdentity(Option<Arc<dyn Any + Send + Sync>>);

impl SlotIdentity {
    fn same(&self, other: &SlotIdentity) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            _ => false,
        }
    }
}

fn identity<T: Entry + Send + Sync + 'static>(data: &CacheData, key: &str) -> SlotIdentity
where
    CacheData: HasSection<T>,
{
    SlotIdentity(match HasSection::<T>::section(data).entries.get(key) {
        Some((_, Slot::Known(entry))) => Some(Arc::clone(entry) as Arc<dyn Any + Send + Sync>),
        _ => None,
    })
}

fn slot_partition<T: Entry + InPartition>(data: &CacheData, key: &str) -> Option<Option<Partition>>
where
    CacheData: HasSection<T>,
{
    match HasSection::<T>::section(data).entries.get(key) {
        Some((_, Slot::Known(entry))) => Some(entry.partition()),
        _ => None,
    }
}

/// The journalled changes of one partition, as they stood when a save began.
pub(crate) struct PartitionChanges {
    pub(crate) changes: Vec<((Kind, String), SlotIdentity)>,
}

impl CacheData {
    /// Whether the journalled change `kind`/`key` belongs to `partition` (app metadata
    /// belongs to every partition).
    fn journalled_in(&self, kind: Kind, key: &str, partition: &Partition) -> bool {
        if kind == Kind::AppMetadata {
            return true;
        }
        let present = by_kind!(kind, slot_partition(self, key));
        match present {
            Some(found) => found.as_ref() == Some(partition),
            None => self
                .removed_from
                .get(&(kind, key.to_owned()))
                .is_some_and(|gone| gone == partition),
        }
    }

    /// The partitions holding changes not yet saved.
    pub(crate) fn changed_partitions(&self) -> Vec<Partition> {
        let mut partitions: Vec<Partition> = Vec::new();
        for (kind, key) in &self.journal {
            let partition = match by_kind!(*kind, slot_partition(self, key)) {
                Some(found) => found,
                None => self.removed_from.get(&(*kind, key.clone())).cloned(),
            };
            if let Some(partition) = partition
                && !partitions.contains(&partition)
            {
                partitions.push(partition);
            }
        }
        partitions.sort();
        partitions
    }

    /// The journalled changes of `partition`, with the identity of each entry now.
    pub(crate) fn partition_changes(&self, partition: &Partition) -> PartitionChanges {
        let changes = self
            .journal
            .iter()
            .filter(|(kind, key)| self.journalled_in(*kind, key, partition))
            .map(|(kind, key)| {
                let id = by_kind!(*kind, identity(self, key));
                ((*kind, key.clone()), id)
            })
            .collect();
        PartitionChanges { changes }
    }

    /// Applies this cache's journalled changes of `partition` onto `base` (the partition
    /// as the store holds it) and returns the merged partition, journal empty. A sign-out
    /// elsewhere wins as in [`CacheData::merged_onto`].
    pub(crate) fn merged_partition_onto(
        &self,
        partition: &Partition,
        base: CacheData,
    ) -> CacheData {
        self.merged_onto_where(base, |kind, key| self.journalled_in(kind, key, partition))
            .0
    }

    /// Whether a partition document holds nothing of its own: no token or account
    /// entry (app metadata alone describes the application, not the partition).
    pub(crate) fn is_blank(&self) -> bool {
        self.access_tokens.entries.is_empty()
            && self.refresh_tokens.entries.is_empty()
            && self.id_tokens.entries.is_empty()
            && self.accounts.entries.is_empty()
    }

    /// When a partition holding these entries may be dropped by its store: 90 days after
    /// its latest refresh token was written (at `now` when the token carries no time),
    /// else when its latest access token expires; `None` when it holds neither.
    pub(crate) fn partition_expires_at(&self, now: u64) -> Option<u64> {
        let refresh = self
            .refresh_tokens
            .known()
            .map(|(_, _, entry)| entry.last_modification_time.unwrap_or(now))
            .max();
        if let Some(latest) = refresh {
            return Some(latest.max(now).saturating_add(REFRESH_TOKEN_LIFETIME));
        }
        self.access_tokens
            .known()
            .map(|(_, _, entry)| entry.expires_on)
            .max()
    }

    /// Replaces `partition`'s entries here with `loaded`'s (the partition as the store
    /// holds it), keeping this cache's unsaved changes to it on top, except those of an
    /// account another writer signed out since this cache read it. Entries of other
    /// partitions are untouched; entries in `loaded` that belong elsewhere are ignored.
    pub(crate) fn replace_partition(&mut self, partition: &Partition, loaded: &CacheData) {
        let mut signed_out = std::collections::HashMap::new();
        let mut kept = Vec::new();
        let mut left_out = Vec::new();
        for (kind, key) in &self.journal {
            if !self.journalled_in(*kind, key, partition) || *kind == Kind::AppMetadata {
                continue;
            }
            if self.signed_out_elsewhere(*kind, key, loaded, &mut signed_out) {
                left_out.push((*kind, key.clone()));
            } else {
                kept.push((*kind, key.clone()));
            }
        }
        for change in &left_out {
            self.journal.remove(change);
        }
        let is_kept = |kind: Kind, key: &str| kept.iter().any(|(k, x)| *k == kind && x == key);
        // Out with this partition's entries as last read (not those changed since)...
        let mut stale: Vec<(Kind, Arc<str>)> = Vec::new();
        if partition.is_account() {
            stale.extend(
                self.owned_by(partition.as_str())
                    .iter()
                    .filter(|(kind, key)| !is_kept(*kind, key))
                    .cloned(),
            );
        } else {
            stale.extend(
                self.access_tokens
                    .known()
                    .filter(|(key, _, entry)| {
                        entry.partition().as_ref() == Some(partition)
                            && !is_kept(Kind::AccessToken, key)
                    })
                    .map(|(key, _, _)| (Kind::AccessToken, Arc::clone(key))),
            );
        }
        for (kind, key) in stale {
            by_kind!(kind, take_from(self, &key));
        }
        // ...and in with the store's.
        fn absorb<T: Entry + InPartition>(
            data: &mut CacheData,
            loaded: &CacheData,
            partition: &Partition,
            kept: &dyn Fn(Kind, &str) -> bool,
        ) where
            CacheData: HasSection<T>,
        {
            let entries: Vec<(Arc<str>, Arc<T>)> = HasSection::<T>::section(loaded)
                .known()
                .filter(|(key, _, entry)| {
                    entry.partition().is_none_or(|p| &p == partition) && !kept(T::KIND, key)
                })
                .map(|(key, _, entry)| (Arc::clone(key), Arc::clone(entry)))
                .collect();
            for (key, entry) in entries {
                data.put(&key, Slot::Known(entry));
            }
        }
        absorb::<AccessTokenEntry>(self, loaded, partition, &is_kept);
        absorb::<AccountEntry>(self, loaded, partition, &is_kept);
        absorb::<IdTokenEntry>(self, loaded, partition, &is_kept);
        absorb::<RefreshTokenEntry>(self, loaded, partition, &is_kept);
        let journalled_metadata: Vec<String> = self
            .journal
            .iter()
            .filter(|(kind, _)| *kind == Kind::AppMetadata)
            .map(|(_, key)| key.clone())
            .collect();
        absorb::<AppMetadataEntry>(self, loaded, partition, &|kind, key| {
            kind == Kind::AppMetadata && journalled_metadata.iter().any(|k| k == key)
        });
    }

    /// After a partition save: forgets the journalled changes that were saved (those
    /// not changed again since the save began), then takes the partition as saved.
    pub(crate) fn commit_partition(
        &mut self,
        partition: &Partition,
        saved: &PartitionChanges,
        merged: &CacheData,
    ) {
        for (change, before) in &saved.changes {
            let now = by_kind!(change.0, identity(self, &change.1));
            if now.same(before) {
                self.journal.remove(change);
                self.removed_from.remove(change);
            }
        }
        self.replace_partition(partition, merged);
    }
}

fn take_from<T: Entry>(data: &mut CacheData, key: &str)
where
    CacheData: HasSection<T>,
{
    data.take::<T>(key);
}
