//! The per-cache string interner: the values many entries repeat (environment,
//! client id, realm, `home_account_id`, target) are stored once per cache and shared.

use std::collections::HashSet;
use std::sync::Arc;

/// Interned strings are pruned when the set has grown to this many times its size after
/// the last prune (strings no entry holds any more are dropped then).
const PRUNE_GROWTH: usize = 2;
/// No prune below this many strings.
const PRUNE_FLOOR: usize = 1024;

/// One `Arc<str>` per distinct value.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    strings: HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// The size at which the next prune happens.
    prune_at: usize,
    /// The last value interned for each field that uses [`Interner::intern_field`].
    last: [Option<Arc<str>>; FIELDS],
}

/// How many fields [`Interner::intern_field`] remembers the last value of.
const FIELDS: usize = 4;

/// A field whose consecutive entries usually hold the same value (one application in one
/// tenant): its last value is compared before anything is hashed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field {
    Environment = 0,
    ClientId = 1,
    Realm = 2,
    Target = 3,
}

impl Interner {
    /// Like [`Interner::intern`], first comparing `value` with the last value of `field`.
    pub(crate) fn intern_field(&mut self, value: &str, field: Field) -> Arc<str> {
        let Some(last) = self.last.get_mut(field as usize) else {
            return self.intern(value);
        };
        if let Some(shared) = last.as_ref().filter(|last| ***last == *value) {
            return Arc::clone(shared);
        }
        let shared = match self.strings.get(value) {
            Some(shared) => Arc::clone(shared),
            None => self.insert(Arc::from(value)),
        };
        if let Some(last) = self.last.get_mut(field as usize) {
            *last = Some(Arc::clone(&shared));
        }
        shared
    }

    /// The shared copy of `value`, made now if this is its first use.
    pub(crate) fn intern(&mut self, value: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(value) {
            return Arc::clone(shared);
        }
        self.insert(Arc::from(value))
    }

    /// Like [`Interner::intern`], reusing `value`'s buffer when it is new.
    pub(crate) fn intern_string(&mut self, value: String) -> Arc<str> {
        if let Some(shared) = self.strings.get(value.as_str()) {
            return Arc::clone(shared);
        }
        self.insert(Arc::from(value))
    }

    fn insert(&mut self, shared: Arc<str>) -> Arc<str> {
        if self.strings.len() >= self.prune_at.max(PRUNE_FLOOR) {
            self.prune();
        }
        self.strings.insert(Arc::clone(&shared));
        shared
    }

    /// Forgets the strings only the interner still holds.
    fn prune(&mut self) {
        self.strings.retain(|s| Arc::strong_count(s) > 1);
        self.prune_at = self.strings.len().saturating_mul(PRUNE_GROWTH);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.strings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_allocation() {
        let mut interner = Interner::default();
        let a = interner.intern("login.microsoftonline.com");
        let b = interner.intern_string("login.microsoftonline.com".to_owned());
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(interner.len(), 1);
        assert!(!Arc::ptr_eq(&a, &interner.intern("other")));
    }

    #[test]
    fn a_field_shares_its_last_value_and_any_earlier_one() {
        let mut interner = Interner::default();
        let a = interner.intern_field("a", Field::Realm);
        let b = interner.intern_field("b", Field::Realm);
        assert!(Arc::ptr_eq(&b, &interner.intern_field("b", Field::Realm)));
        assert!(Arc::ptr_eq(&a, &interner.intern_field("a", Field::Realm)));
        assert!(Arc::ptr_eq(&a, &interner.intern("a")));
        assert!(Arc::ptr_eq(&a, &interner.intern_field("a", Field::Target)));
    }

    #[test]
    fn strings_no_entry_holds_are_pruned_as_the_set_grows() {
        let mut interner = Interner::default();
        let kept = interner.intern("kept");
        for i in 0..PRUNE_FLOOR * 4 {
            drop(interner.intern(&format!("gone-{i}")));
        }
        assert!(interner.len() <= PRUNE_FLOOR + 1, "{}", interner.len());
        assert!(Arc::ptr_eq(&kept, &interner.intern("kept")));
    }
}
