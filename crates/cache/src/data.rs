//! The cache contents: five sections of entries, unknown sections, the per-account index
//! and the journal of changes since the last load or save.

use std::borrow::Cow;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::entry::{
    AccessTokenEntry, AccountEntry, AppMetadataEntry, EntryJson, IdTokenEntry, RefreshTokenEntry,
};
use crate::error::CacheError;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::partition::Partition;

mod partitions;
use crate::intern::Interner;
use crate::json::{self, EntrySeed, Fields, Json, Text};
use crate::query::AccountLists;
pub(crate) use partitions::InPartition;

/// How an encrypted cache begins (see the `encryption` feature): such bytes are not a
/// corrupt cache but one read without its key.
pub(crate) const ENCRYPTED_MAGIC: [u8; 4] = *b"EAEC";

/// `home_account_id` lowercased as the per-account index stores it; borrowed (no
/// allocation) when it has no uppercase letter, as every id MSAL writes.
pub(crate) fn lowercase(id: &str) -> Cow<'_, str> {
    // No early exit, so the loop is vectorized: ids are short and rarely need a copy.
    let needs_copy = id.bytes().fold(false, |found, b| {
        found | !b.is_ascii() | b.is_ascii_uppercase()
    });
    if !needs_copy {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(id.to_lowercase())
    }
}

/// The kinds of entry, in the order MSAL Python creates their sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    AccessToken,
    Account,
    IdToken,
    RefreshToken,
    AppMetadata,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::AccessToken,
        Kind::Account,
        Kind::IdToken,
        Kind::RefreshToken,
        Kind::AppMetadata,
    ];

    fn section(self) -> &'static str {
        match self {
            Kind::AccessToken => "AccessToken",
            Kind::Account => "Account",
            Kind::IdToken => "IdToken",
            Kind::RefreshToken => "RefreshToken",
            Kind::AppMetadata => "AppMetadata",
        }
    }

    fn from_section(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.section() == name)
    }
}

/// An entry type stored in one section.
pub(crate) trait Entry: EntryJson + Clone {
    const KIND: Kind;
    /// The `home_account_id` the entry belongs to, for the per-account index.
    fn owner(&self) -> Option<&str>;
    /// The authority host the entry was issued by.
    fn environment(&self) -> &str;
    /// [`Entry::owner`] as the entry holds it, where it is a shared string.
    fn shared_owner(&self) -> Option<&Arc<str>> {
        None
    }
}

impl Entry for AccessTokenEntry {
    const KIND: Kind = Kind::AccessToken;
    fn environment(&self) -> &str {
        &self.environment
    }
    fn owner(&self) -> Option<&str> {
        Some(self.home_account_id.as_deref().unwrap_or(""))
    }
    fn shared_owner(&self) -> Option<&Arc<str>> {
        self.home_account_id.as_ref()
    }
}

impl Entry for RefreshTokenEntry {
    const KIND: Kind = Kind::RefreshToken;
    fn environment(&self) -> &str {
        &self.environment
    }
    fn owner(&self) -> Option<&str> {
        Some(&self.home_account_id)
    }
    fn shared_owner(&self) -> Option<&Arc<str>> {
        Some(&self.home_account_id)
    }
}

impl Entry for IdTokenEntry {
    const KIND: Kind = Kind::IdToken;
    fn environment(&self) -> &str {
        &self.environment
    }
    fn owner(&self) -> Option<&str> {
        Some(&self.home_account_id)
    }
    fn shared_owner(&self) -> Option<&Arc<str>> {
        Some(&self.home_account_id)
    }
}

impl Entry for AccountEntry {
    const KIND: Kind = Kind::Account;
    fn environment(&self) -> &str {
        &self.environment
    }
    fn owner(&self) -> Option<&str> {
        Some(&self.home_account_id)
    }
    fn shared_owner(&self) -> Option<&Arc<str>> {
        Some(&self.home_account_id)
    }
}

impl Entry for AppMetadataEntry {
    const KIND: Kind = Kind::AppMetadata;
    fn environment(&self) -> &str {
        &self.environment
    }
    fn owner(&self) -> Option<&str> {
        None
    }
}

/// One stored entry: typed when its fields have the schema's shape, verbatim otherwise.
/// A typed entry is shared: lookups hand out clones of the `Arc`, never of the entry.
#[derive(Clone, Debug)]
pub(crate) enum Slot<T> {
    Known(Arc<T>),
    Foreign(Json),
}

impl<T: Entry> Slot<T> {
    fn write_json(&self, out: &mut String, depth: usize) {
        match self {
            Slot::Known(entry) => entry.write_json(out, depth),
            Slot::Foreign(raw) => json::write_value(out, raw, depth),
        }
    }

    fn json_len_hint(&self) -> usize {
        match self {
            Slot::Known(entry) => entry.json_len_hint(),
            // Foreign entries are rare; their size is not worth a walk.
            Slot::Foreign(_) => 256,
        }
    }

    /// The entry read into `value` (`None`: an object, its fields in `fields`), typed
    /// when its fields have the schema's shape, else kept verbatim.
    fn read(value: Option<Json>, fields: &mut Fields<'_>, interner: &mut Interner) -> Slot<T> {
        match value {
            Some(other) => Slot::Foreign(other),
            None => match T::from_fields(fields, interner) {
                Some(entry) => Slot::Known(Arc::new(entry)),
                None => Slot::Foreign(Json::Object(json::fields_into_object(fields))),
            },
        }
    }

    fn owner(&self) -> Option<&str> {
        match self {
            Slot::Known(entry) => entry.owner(),
            Slot::Foreign(_) => None,
        }
    }

    /// The per-account index key of the entry's owner: its lowercased
    /// `home_account_id`, the entry's own shared string when already lowercase (as MSAL
    /// writes it).
    fn owner_key(&self) -> Option<Arc<str>> {
        let Slot::Known(entry) = self else {
            return None;
        };
        let shared = entry.shared_owner();
        let owner = entry.owner()?;
        match (lowercase(owner), shared) {
            (Cow::Borrowed(_), Some(shared)) => Some(Arc::clone(shared)),
            (lowered, _) => Some(Arc::from(lowered.as_ref())),
        }
    }

    fn environment(&self) -> Option<&str> {
        match self {
            Slot::Known(entry) => Some(entry.environment()),
            Slot::Foreign(_) => None,
        }
    }
}

/// The hash maps of the cache: foldhash instead of SipHash, which was a sixth of the
/// time of a load and of a silent hit over keys of 100-200 bytes.
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The entries of one section; `seq` orders them as Python's dict would.
#[derive(Clone, Debug)]
pub(crate) struct Section<T> {
    pub(crate) entries: Map<Arc<str>, (u64, Slot<T>)>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            entries: Map::default(),
        }
    }
}

impl<T> Section<T> {
    pub(crate) fn get(&self, key: &str) -> Option<&Arc<T>> {
        match self.entries.get(key) {
            Some((_, Slot::Known(entry))) => Some(entry),
            _ => None,
        }
    }

    pub(crate) fn known(&self) -> impl Iterator<Item = (&Arc<str>, u64, &Arc<T>)> {
        self.entries
            .iter()
            .filter_map(|(key, (seq, slot))| match slot {
                Slot::Known(entry) => Some((key, *seq, entry)),
                Slot::Foreign(_) => None,
            })
    }
}

/// Where a top-level key of the document goes.
#[derive(Clone, Debug, PartialEq)]
enum TopLevel {
    Known(Kind),
    Unknown(String),
}

/// The whole cache, not synchronised (see [`crate::TokenCache`] for the shared handle).
#[derive(Clone, Debug, Default)]
pub(crate) struct CacheData {
    order: Vec<TopLevel>,
    unknown: HashMap<String, Json>,
    pub(crate) access_tokens: Section<AccessTokenEntry>,
    pub(crate) refresh_tokens: Section<RefreshTokenEntry>,
    pub(crate) id_tokens: Section<IdTokenEntry>,
    pub(crate) accounts: Section<AccountEntry>,
    pub(crate) app_metadata: Section<AppMetadataEntry>,
    next_seq: u64,
    /// Lowercased `home_account_id` to the entries it owns.
    by_owner: Map<Arc<str>, Vec<(Kind, Arc<str>)>>,
    /// Entries added, changed or removed since the last load or save.
    journal: HashSet<(Kind, String)>,
    /// The partition each journalled removal was in (its entry is gone, so it cannot
    /// tell any more).
    removed_from: HashMap<(Kind, String), Partition>,
    /// Account listings computed since the Account section last changed.
    pub(crate) account_lists: AccountLists,
    /// The strings entries repeat, stored once.
    pub(crate) interner: Interner,
}

/// Shape problems noticed while reading a document (reported once it parsed).
#[derive(Default)]
struct Shape {
    top_level_not_object: bool,
    /// Sections whose (last) value is not an object.
    bad_sections: Vec<Kind>,
}

/// Reads the top level of a document into [`CacheData`].
struct DocumentSeed<'a> {
    data: &'a mut CacheData,
    shape: &'a mut Shape,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            self.data.load_member(name, &mut map, self.shape)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Json>()?.is_some() {}
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.shape.top_level_not_object = true;
        Ok(())
    }
}

/// Reads one known section's entries into [`CacheData`]; its value is whether the
/// section was an object (anything else is consumed and noted, not an error yet).
struct SectionSeed<'a> {
    data: &'a mut CacheData,
    kind: Kind,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut fields = Fields::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let value = map.next_value_seed(EntrySeed {
                fields: &mut fields,
            })?;
            self.data.load_entry(self.kind, &key, value, &mut fields);
        }
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<Json>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Stores one section's typed entries.
pub(crate) trait HasSection<T> {
    fn section(&self) -> &Section<T>;
    fn section_mut(&mut self) -> &mut Section<T>;
}

macro_rules! has_section {
    ($ty:ty, $field:ident) => {
        impl HasSection<$ty> for CacheData {
            fn section(&self) -> &Section<$ty> {
                &self.$field
            }
            fn section_mut(&mut self) -> &mut Section<$ty> {
                &mut self.$field
            }
        }
    };
}
has_section!(AccessTokenEntry, access_tokens);
has_section!(RefreshTokenEntry, refresh_tokens);
has_section!(IdTokenEntry, id_tokens);
has_section!(AccountEntry, accounts);
has_section!(AppMetadataEntry, app_metadata);

impl CacheData {
    /// Parses a serialized cache. Empty input is an empty cache, as in MSAL Python.
    ///
    /// The document is read in one pass straight into the sections: no tree of the whole
    /// file is built, only one small object per entry. A document with a repeated key
    /// reads as Python's `json.loads` reads it (first position, last value).
    pub(crate) fn parse(bytes: &[u8], location: &str) -> Result<CacheData, CacheError> {
        let mut data = CacheData::default();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(data);
        }
        if bytes.starts_with(&ENCRYPTED_MAGIC) {
            return Err(CacheError::Undecryptable {
                location: location.to_owned(),
                reason: "it is encrypted, and was read without a key: read it through an \
                         EncryptedStore with the key it was written with"
                    .to_owned(),
            });
        }
        let mut shape = Shape::default();
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        // Syntax errors come first and only from serde_json: the visitors below accept a
        // value of any type and note a wrong shape instead of failing, so an error never
        // names or quotes a value.
        DocumentSeed {
            data: &mut data,
            shape: &mut shape,
        }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|e| CacheError::Corrupt {
            location: location.to_owned(),
            line: e.line(),
            column: e.column(),
            reason: "it is not valid JSON".to_owned(),
            source: Some(Arc::new(e)),
        })?;
        if shape.top_level_not_object {
            return Err(CacheError::corrupt_shape(
                location,
                "the top level is not a JSON object",
            ));
        }
        let bad = data.order.iter().find_map(|top| match top {
            TopLevel::Known(kind) if shape.bad_sections.contains(kind) => Some(*kind),
            _ => None,
        });
        if let Some(kind) = bad {
            return Err(CacheError::corrupt_shape(
                location,
                &format!("section {:?} is not a JSON object", kind.section()),
            ));
        }
        Ok(data)
    }

    /// Reads one top-level member: a known section into its entries, anything else kept
    /// verbatim.
    fn load_member<'de, A: MapAccess<'de>>(
        &mut self,
        name: String,
        map: &mut A,
        shape: &mut Shape,
    ) -> Result<(), A::Error> {
        match Kind::from_section(&name) {
            Some(kind) => {
                if self.order.contains(&TopLevel::Known(kind)) {
                    // A repeated section replaces the first one's entries.
                    self.clear_section(kind);
                } else {
                    self.order.push(TopLevel::Known(kind));
                }
                let is_object = map.next_value_seed(SectionSeed { data: self, kind })?;
                shape.bad_sections.retain(|k| *k != kind);
                if !is_object {
                    shape.bad_sections.push(kind);
                }
            }
            None => {
                let value: Json = map.next_value()?;
                if !self.unknown.contains_key(&name) {
                    self.order.push(TopLevel::Unknown(name.clone()));
                }
                self.unknown.insert(name, value);
            }
        }
        Ok(())
    }

    /// Removes every entry of one kind (a repeated section in a document being read).
    fn clear_section(&mut self, kind: Kind) {
        fn keys<T>(section: &Section<T>) -> Vec<Arc<str>> {
            section.entries.keys().cloned().collect()
        }
        let keys = match kind {
            Kind::AccessToken => keys(&self.access_tokens),
            Kind::Account => keys(&self.accounts),
            Kind::IdToken => keys(&self.id_tokens),
            Kind::RefreshToken => keys(&self.refresh_tokens),
            Kind::AppMetadata => keys(&self.app_metadata),
        };
        for key in keys {
            match kind {
                Kind::AccessToken => self.take::<AccessTokenEntry>(&key),
                Kind::Account => self.take::<AccountEntry>(&key),
                Kind::IdToken => self.take::<IdTokenEntry>(&key),
                Kind::RefreshToken => self.take::<RefreshTokenEntry>(&key),
                Kind::AppMetadata => self.take::<AppMetadataEntry>(&key),
            };
        }
    }

    /// Stores one entry just read: `value` is `None` for an object (its fields are in
    /// `fields`), else the value read.
    fn load_entry(&mut self, kind: Kind, key: &str, value: Option<Json>, fields: &mut Fields<'_>) {
        let interner = &mut self.interner;
        match kind {
            Kind::AccessToken => {
                let slot = Slot::<AccessTokenEntry>::read(value, fields, interner);
                self.put(key, slot);
            }
            Kind::Account => {
                let slot = Slot::<AccountEntry>::read(value, fields, interner);
                self.put(key, slot);
            }
            Kind::IdToken => {
                let slot = Slot::<IdTokenEntry>::read(value, fields, interner);
                self.put(key, slot);
            }
            Kind::RefreshToken => {
                let slot = Slot::<RefreshTokenEntry>::read(value, fields, interner);
                self.put(key, slot);
            }
            Kind::AppMetadata => {
                let slot = Slot::<AppMetadataEntry>::read(value, fields, interner);
                self.put(key, slot);
            }
        }
    }

    /// Writes the cache as MSAL Python's `SerializableTokenCache.serialize()` does.
    pub(crate) fn serialize(&self) -> String {
        let mut out = String::with_capacity(self.json_len_hint());
        let mut first = true;
        for top in &self.order {
            out.push_str(if first { "{" } else { "," });
            first = false;
            out.push_str("\n    ");
            match top {
                TopLevel::Known(kind) => {
                    json::write_string(&mut out, kind.section());
                    out.push_str(": ");
                    match kind {
                        Kind::AccessToken => Self::write_section(&mut out, &self.access_tokens),
                        Kind::Account => Self::write_section(&mut out, &self.accounts),
                        Kind::IdToken => Self::write_section(&mut out, &self.id_tokens),
                        Kind::RefreshToken => {
                            Self::write_section(&mut out, &self.refresh_tokens);
                        }
                        Kind::AppMetadata => Self::write_section(&mut out, &self.app_metadata),
                    }
                }
                TopLevel::Unknown(name) => {
                    json::write_string(&mut out, name);
                    out.push_str(": ");
                    json::write_value(&mut out, self.unknown.get(name).unwrap_or(&Json::Null), 1);
                }
            }
        }
        out.push_str(if first { "{}" } else { "\n}" });
        out
    }

    /// About how many bytes [`CacheData::serialize`] writes (a little more, as a rule).
    fn json_len_hint(&self) -> usize {
        fn section<T: Entry>(section: &Section<T>) -> usize {
            section
                .entries
                .iter()
                .map(|(key, (_, slot))| key.len() + 16 + slot.json_len_hint())
                .sum()
        }
        section(&self.access_tokens)
            + section(&self.refresh_tokens)
            + section(&self.id_tokens)
            + section(&self.accounts)
            + section(&self.app_metadata)
            + self.order.len() * 32
            + self.unknown.len() * 256
    }

    /// Writes a section's entries in the order they were first written, straight from
    /// the typed entries.
    fn write_section<T: Entry>(out: &mut String, section: &Section<T>) {
        let mut entries: Vec<(&str, u64, &Slot<T>)> = section
            .entries
            .iter()
            .map(|(k, (seq, slot))| (&**k, *seq, slot))
            .collect();
        entries.sort_unstable_by_key(|(_, seq, _)| *seq);
        if entries.is_empty() {
            out.push_str("{}");
            return;
        }
        let mut first = true;
        for (key, _, slot) in entries {
            out.push_str(if first { "{" } else { "," });
            first = false;
            json::newline(out, 2);
            json::write_string(out, key);
            out.push_str(": ");
            slot.write_json(out, 2);
        }
        json::newline(out, 1);
        out.push('}');
    }

    /// Inserts or replaces the entry under `key`, keeping its position if it existed.
    fn put<T: Entry>(&mut self, key: &str, slot: Slot<T>) -> bool
    where
        CacheData: HasSection<T>,
    {
        if !self.order.contains(&TopLevel::Known(T::KIND)) {
            self.order.push(TopLevel::Known(T::KIND));
        }
        if T::KIND == Kind::Account {
            self.account_lists.clear();
        }
        let new_owner = slot.owner_key();
        let next_seq = self.next_seq + 1;
        let key: Arc<str> = Arc::from(key);
        // One hash of the (long) key: the entry keeps its position if it existed.
        let old = match HasSection::<T>::section_mut(self)
            .entries
            .entry(Arc::clone(&key))
        {
            MapEntry::Occupied(mut occupied) => {
                let seq = occupied.get().0;
                Some(occupied.insert((seq, slot)))
            }
            MapEntry::Vacant(vacant) => {
                vacant.insert((next_seq, slot));
                None
            }
        };
        if old.is_none() {
            self.next_seq = next_seq;
        }
        let old_owner = old.as_ref().and_then(|(_, s)| s.owner_key());
        if old_owner != new_owner {
            if let Some(owner) = old_owner {
                self.unindex(&owner, T::KIND, &key);
            }
            if let Some(owner) = new_owner {
                match self.by_owner.get_mut(&owner) {
                    Some(owned) => owned.push((T::KIND, key)),
                    None => {
                        self.by_owner.insert(owner, vec![(T::KIND, key)]);
                    }
                }
            }
        }
        old.is_some()
    }

    fn unindex(&mut self, owner: &str, kind: Kind, key: &str) {
        if let Some(owned) = self.by_owner.get_mut(owner) {
            owned.retain(|(k, existing)| !(*k == kind && &**existing == key));
            if owned.is_empty() {
                self.by_owner.remove(owner);
            }
        }
    }

    /// Inserts or replaces a typed entry under `key` and journals the change.
    pub(crate) fn upsert<T: Entry>(&mut self, key: String, entry: T)
    where
        CacheData: HasSection<T>,
    {
        self.put(&key, Slot::Known(Arc::new(entry)));
        self.journal.insert((T::KIND, key));
    }

    /// Removes the entry under `key`, journalling the change; returns whether it existed.
    pub(crate) fn remove<T: Entry + InPartition>(&mut self, key: &str) -> bool
    where
        CacheData: HasSection<T>,
    {
        if let Some(partition) = HasSection::<T>::section(self)
            .get(key)
            .and_then(|entry| entry.partition())
        {
            self.removed_from
                .insert((T::KIND, key.to_owned()), partition);
        }
        self.journal.insert((T::KIND, key.to_owned()));
        self.take::<T>(key)
    }

    fn take<T: Entry>(&mut self, key: &str) -> bool
    where
        CacheData: HasSection<T>,
    {
        match HasSection::<T>::section_mut(self).entries.remove(key) {
            Some((_, slot)) => {
                if T::KIND == Kind::Account {
                    self.account_lists.clear();
                }
                if let Some(owner) = slot.owner().map(str::to_lowercase) {
                    self.unindex(&owner, T::KIND, key);
                }
                true
            }
            None => false,
        }
    }

    /// The entries owned by `home_account_id` (case-insensitive).
    pub(crate) fn owned_by(&self, home_account_id: &str) -> &[(Kind, Arc<str>)] {
        let owner = lowercase(home_account_id);
        self.by_owner.get(owner.as_ref()).map_or(&[], Vec::as_slice)
    }

    /// Whether anything changed since the last load or save.
    pub(crate) fn has_changes(&self) -> bool {
        !self.journal.is_empty()
    }

    /// Applies this cache's journalled changes onto `base` (the persisted state, re-read
    /// under the store's lock) and returns the merged cache, with an empty journal, and
    /// the journalled changes it left out.
    ///
    /// A three-way merge for sign-outs: an account whose entry this cache holds as it
    /// was loaded (not journalled) but `base` no longer holds was signed out by another
    /// writer since. This cache's journalled entries of that account in that
    /// environment (a refresh's tokens) are left out, so the sign-out survives, unless
    /// this cache journalled an account entry for it there too (a sign-in since, which
    /// brings the account back). Everything else is last writer wins per entry, so a
    /// refresh's rotated refresh token for an account still present is written.
    pub(crate) fn merged_onto(&self, base: CacheData) -> (CacheData, Vec<(Kind, String)>) {
        self.merged_onto_where(base, |_, _| true)
    }

    /// [`CacheData::merged_onto`] for the journalled changes `applies` selects (one
    /// partition's, say); the others are neither applied nor left out.
    pub(crate) fn merged_onto_where(
        &self,
        mut base: CacheData,
        applies: impl Fn(Kind, &str) -> bool,
    ) -> (CacheData, Vec<(Kind, String)>) {
        let mut signed_out: HashMap<String, Vec<String>> = HashMap::new();
        let mut left_out = Vec::new();
        for (kind, key) in &self.journal {
            if !applies(*kind, key) {
                continue;
            }
            if self.signed_out_elsewhere(*kind, key, &base, &mut signed_out) {
                left_out.push((*kind, key.clone()));
                continue;
            }
            match kind {
                Kind::AccessToken => self.copy_slot::<AccessTokenEntry>(&mut base, key),
                Kind::Account => self.copy_slot::<AccountEntry>(&mut base, key),
                Kind::IdToken => self.copy_slot::<IdTokenEntry>(&mut base, key),
                Kind::RefreshToken => self.copy_slot::<RefreshTokenEntry>(&mut base, key),
                Kind::AppMetadata => self.copy_slot::<AppMetadataEntry>(&mut base, key),
            }
        }
        base.journal.clear();
        base.removed_from.clear();
        (base, left_out)
    }

    /// Whether the journalled entry `kind`/`key` belongs to an account another writer
    /// signed out (see [`CacheData::merged_onto`]); `memo` keeps, per owner, the
    /// environments it was signed out of.
    fn signed_out_elsewhere(
        &self,
        kind: Kind,
        key: &str,
        base: &CacheData,
        memo: &mut HashMap<String, Vec<String>>,
    ) -> bool {
        let (owner, environment) = match kind {
            Kind::AccessToken => self.owner_and_environment::<AccessTokenEntry>(key),
            Kind::Account => self.owner_and_environment::<AccountEntry>(key),
            Kind::IdToken => self.owner_and_environment::<IdTokenEntry>(key),
            Kind::RefreshToken => self.owner_and_environment::<RefreshTokenEntry>(key),
            Kind::AppMetadata => None,
        }
        .unzip();
        let (Some(owner), Some(environment)) = (owner, environment) else {
            return false;
        };
        let owner = owner.to_lowercase();
        if !memo.contains_key(&owner) {
            let environments = self.environments_signed_out(&owner, base);
            memo.insert(owner.clone(), environments);
        }
        memo.get(&owner).is_some_and(|environments| {
            environments
                .iter()
                .any(|e| e.eq_ignore_ascii_case(environment))
        })
    }

    fn owner_and_environment<T: Entry + 'static>(&self, key: &str) -> Option<(&str, &str)>
    where
        CacheData: HasSection<T>,
    {
        let (_, slot) = HasSection::<T>::section(self).entries.get(key)?;
        Some((slot.owner()?, slot.environment()?))
    }

    /// The environments in which `owner` (lowercased) has an account entry here as it
    /// was loaded, gone from `base`, and no account entry journalled here since.
    fn environments_signed_out(&self, owner: &str, base: &CacheData) -> Vec<String> {
        let mut gone = Vec::new();
        let mut signed_in = Vec::new();
        for (kind, key) in self.owned_by(owner) {
            if *kind != Kind::Account {
                continue;
            }
            let Some(account) = self.accounts.get(key) else {
                continue;
            };
            if self.journal.contains(&(Kind::Account, key.to_string())) {
                signed_in.push(&*account.environment);
            } else if !base.accounts.entries.contains_key(key) {
                gone.push(&*account.environment);
            }
        }
        gone.into_iter()
            .filter(|e| !signed_in.iter().any(|s| s.eq_ignore_ascii_case(e)))
            .map(str::to_owned)
            .collect()
    }

    fn copy_slot<T: Entry>(&self, base: &mut CacheData, key: &str)
    where
        CacheData: HasSection<T>,
    {
        match HasSection::<T>::section(self).entries.get(key) {
            Some((_, slot)) => {
                base.put(key, slot.clone());
            }
            None => {
                base.take::<T>(key);
            }
        }
    }

    /// This cache with `other`'s journal but for `left_out` (changes not yet saved
    /// survive a load; those the merge left out are forgotten).
    pub(crate) fn with_journal_of(
        mut self,
        other: &CacheData,
        left_out: &[(Kind, String)],
    ) -> CacheData {
        self.journal = other.journal.clone();
        self.removed_from = other.removed_from.clone();
        for change in left_out {
            self.journal.remove(change);
        }
        self
    }

    /// Forgets the journal (after a successful load or save).
    pub(crate) fn clear_journal(&mut self) {
        self.journal.clear();
        self.removed_from.clear();
    }

    /// The number of stored entries of every kind, foreign ones included.
    pub(crate) fn len(&self) -> usize {
        self.access_tokens.entries.len()
            + self.refresh_tokens.entries.len()
            + self.id_tokens.entries.len()
            + self.accounts.entries.len()
            + self.app_metadata.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::ExtraFields;

    fn app(client_id: &str, family_id: Option<&str>) -> AppMetadataEntry {
        AppMetadataEntry {
            client_id: client_id.into(),
            environment: "e".into(),
            family_id: family_id.map(str::to_owned),
            extra: ExtraFields::default(),
        }
    }

    fn keys(data: &CacheData) -> Vec<String> {
        let parsed = Json::parse(data.serialize().as_bytes()).unwrap();
        let Json::Object(top) = parsed else {
            panic!("not an object")
        };
        match top.into_iter().next() {
            Some((_, Json::Object(entries))) => entries.into_iter().map(|(k, _)| k).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn index_keys_are_borrowed_unless_an_id_needs_lowercasing() {
        let id = "00000000-0000-4000-8000-000000000000.aaaabbbb-0000-cccc-1111-dddd2222eeee";
        assert!(matches!(lowercase(id), Cow::Borrowed(_)));
        assert_eq!(lowercase(&id.to_uppercase()), id);
        assert!(matches!(lowercase("u.Tenant"), Cow::Owned(s) if s == "u.tenant"));
        assert!(matches!(lowercase("\u{dc}.t"), Cow::Owned(s) if s == "\u{fc}.t"));
        assert!(matches!(lowercase("\u{fc}.t"), Cow::Owned(s) if s == "\u{fc}.t"));
    }

    #[test]
    fn entries_keep_python_dict_order_through_updates_and_removals() {
        let mut data = CacheData::default();
        for c in ["a", "b", "c"] {
            let entry = app(c, None);
            data.upsert(entry.key(), entry);
        }
        let updated = app("a", Some("1"));
        data.upsert(updated.key(), updated);
        assert_eq!(
            keys(&data),
            ["appmetadata-e-a", "appmetadata-e-b", "appmetadata-e-c"]
        );
        data.remove::<AppMetadataEntry>("appmetadata-e-b");
        let back = app("b", None);
        data.upsert(back.key(), back);
        assert_eq!(
            keys(&data),
            ["appmetadata-e-a", "appmetadata-e-c", "appmetadata-e-b"]
        );
    }

    #[test]
    fn an_emptied_section_is_still_written_as_python_does() {
        let mut data = CacheData::default();
        let entry = app("a", None);
        data.upsert(entry.key(), entry);
        data.remove::<AppMetadataEntry>("appmetadata-e-a");
        assert_eq!(data.serialize(), "{\n    \"AppMetadata\": {}\n}");
        assert_eq!(CacheData::default().serialize(), "{}");
    }

    const AT: &str = r#"{"credential_type": "AccessToken", "secret": "s", "home_account_id": "u.t", "environment": "e", "client_id": "c", "target": "a b", "realm": "r", "expires_on": "99", "zz": [1, {"y": null}], "aa": "1"}"#;

    #[test]
    fn parse_keeps_unknown_fields_and_sections_in_order() {
        let text = format!(
            r#"{{"Zeta": {{"b": 1, "a": [true]}}, "AccessToken": {{"k": {AT}}}, "Alpha": "x"}}"#
        );
        let data = CacheData::parse(text.as_bytes(), "test").unwrap();
        let at = data.access_tokens.get("k").unwrap();
        assert_eq!(at.extra.names().collect::<Vec<_>>(), ["zz", "aa"]);
        let out = data.serialize();
        let zeta = out.find("\"Zeta\"").unwrap();
        let access = out.find("\"AccessToken\"").unwrap();
        let alpha = out.find("\"Alpha\"").unwrap();
        assert!(zeta < access && access < alpha, "{out}");
        assert!(out.find("\"zz\"").unwrap() < out.find("\"aa\"").unwrap());
        assert!(
            out.contains("\"b\": 1,\n        \"a\": [\n            true\n        ]"),
            "{out}"
        );
    }

    #[test]
    fn parsed_and_ingested_entries_share_the_strings_they_repeat() {
        let text = format!(r#"{{"AccessToken": {{"k": {AT}, "l": {AT}}}}}"#);
        let mut data = CacheData::parse(text.as_bytes(), "test").unwrap();
        let (k, l) = (
            Arc::clone(data.access_tokens.get("k").unwrap()),
            Arc::clone(data.access_tokens.get("l").unwrap()),
        );
        assert!(Arc::ptr_eq(&k.environment, &l.environment));
        assert!(Arc::ptr_eq(&k.client_id, &l.client_id));
        assert!(Arc::ptr_eq(&k.realm, &l.realm));
        assert!(Arc::ptr_eq(&k.target, &l.target));
        let owner = k.home_account_id.clone().unwrap();
        assert!(Arc::ptr_eq(&owner, l.home_account_id.as_ref().unwrap()));

        let mut ingest = crate::TokenIngest::new("e", "c", "r", "at".to_owned().into(), 1);
        ingest.home_account_id = Some("u.t".into());
        ingest.granted_scope = Some("b a".into());
        ingest.refresh_token = Some("rt".to_owned().into());
        ingest.id_token = Some("idt".to_owned().into());
        let written = data.ingest(&ingest);
        let at = data.access_tokens.get(&written.access_token).unwrap();
        let account = data.accounts.get(&written.account.unwrap()).unwrap();
        let rt = data
            .refresh_tokens
            .get(&written.refresh_token.unwrap())
            .unwrap();
        let idt = data.id_tokens.get(&written.id_token.unwrap()).unwrap();
        assert!(
            Arc::ptr_eq(&at.environment, &k.environment),
            "shared with the parsed ones"
        );
        assert!(Arc::ptr_eq(&owner, &account.home_account_id));
        assert!(Arc::ptr_eq(&owner, &rt.home_account_id));
        assert!(Arc::ptr_eq(&owner, &idt.home_account_id));
        assert!(Arc::ptr_eq(&at.target, rt.target.as_ref().unwrap()));
        assert!(Arc::ptr_eq(&at.realm, &idt.realm));
    }

    #[test]
    fn entry_fields_read_in_one_pass_keep_python_semantics() {
        // A repeated field keeps its first position and last value; escaped strings
        // (copied, not borrowed) read as their text in keys, known and unknown fields; a
        // `null` optional field is kept after the unknown ones.
        let many: String = (0..40).map(|i| format!(r#""f{i}": {i}, "#)).collect();
        let text = format!(
            r#"{{"AccessToken": {{"k\u0041": {{"credential_type": "AccessToken", "z\"z": "q\n", "secret": "s1", "home_account_id": "u.t", "environment": "e", "client_id": "c\u00e9", "target": "a b", "realm": "r", "expires_on": "99", "token_type": null, "secret": "s2", {many}"f3": "last"}}}}}}"#
        );
        let data = CacheData::parse(text.as_bytes(), "test").unwrap();
        let at = data.access_tokens.get("kA").unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&at.secret), "s2");
        assert_eq!(&*at.client_id, "c\u{e9}");
        let names: Vec<&str> = at.extra.names().collect();
        assert_eq!(names.first(), Some(&"z\"z"));
        assert_eq!(names.get(4), Some(&"f3"));
        assert_eq!(names.last(), Some(&"token_type"));
        assert_eq!(names.len(), 1 + 40 + 1);
        let out = data.serialize();
        assert!(out.contains(r#""z\"z": "q\n","#), "{out}");
        assert!(out.contains(r#""f3": "last","#), "{out}");
        assert!(out.contains("\"client_id\": \"c\\u00e9\""), "{out}");
        assert_eq!(
            CacheData::parse(out.as_bytes(), "test")
                .unwrap()
                .serialize(),
            out
        );
    }

    #[test]
    fn parse_keeps_an_entry_of_unexpected_shape_verbatim_and_never_serves_it() {
        let text =
            r#"{"AccessToken": {"k": {"credential_type": "AccessToken", "secret": 5}, "l": [1]}}"#;
        let data = CacheData::parse(text.as_bytes(), "test").unwrap();
        assert!(data.access_tokens.get("k").is_none());
        assert_eq!(data.len(), 2);
        let out = data.serialize();
        assert!(out.contains("\"secret\": 5"), "{out}");
        assert!(out.contains("\"l\": [\n            1\n        ]"), "{out}");
    }

    #[test]
    fn parse_reads_repeated_keys_as_python_first_position_last_value() {
        let text = format!(
            r#"{{"AccessToken": {{"k": 1, "j": 2, "k": {AT}}}, "X": 1, "AccessToken": {{"m": {AT}, "k": {AT}}}, "X": 2}}"#
        );
        let data = CacheData::parse(text.as_bytes(), "test").unwrap();
        // The repeated section replaces the first one's entries.
        assert!(!data.access_tokens.entries.contains_key("j"));
        assert!(data.access_tokens.get("m").is_some());
        assert_eq!(data.owned_by("u.t").len(), 2);
        let out = data.serialize();
        assert!(
            out.find("\"AccessToken\"").unwrap() < out.find("\"X\": 2").unwrap(),
            "{out}"
        );
        assert!(!out.contains("\"X\": 1"));
        assert!(
            out.find("\"m\"").unwrap() < out.find("\"k\"").unwrap(),
            "{out}"
        );
    }

    #[test]
    fn parse_refuses_deep_nesting_and_reports_shapes_after_syntax() {
        let deep = format!("{{\"X\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let err = CacheData::parse(deep.as_bytes(), "test").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = CacheData::parse(br#"{"Account": [1], "X": }"#, "test").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = CacheData::parse(br#"{"Account": [1]}"#, "test").unwrap_err();
        assert!(
            err.to_string()
                .contains("section \"Account\" is not a JSON object"),
            "{err}"
        );
        let err = CacheData::parse(br#"{"Account": [1], "Account": {}}"#, "test");
        assert!(err.is_ok());
        let err = CacheData::parse(b"[1, 2]", "test").unwrap_err();
        assert!(err.to_string().contains("top level"), "{err}");
    }

    #[test]
    fn parse_keeps_huge_numbers_as_before() {
        let text = r#"{"X": [123456789012345678901234567890, 1.5e300, -1]}"#;
        let data = CacheData::parse(text.as_bytes(), "test").unwrap();
        let out = data.serialize();
        assert!(
            out.contains("1.2345678901234568e+29,\n        1.5e+300,"),
            "{out}"
        );
        assert!(CacheData::parse(br#"{"X": 1e999}"#, "test").is_err());
    }
}
