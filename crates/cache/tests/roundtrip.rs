//! Property tests: any cache this crate writes reads back to the same cache, and any
//! JSON document with the schema's sections survives a load/save untouched.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use entra_cache::{TokenCache, TokenIngest};
use proptest::prelude::*;
use secrecy::SecretString;

fn text() -> impl Strategy<Value = String> {
    // Printable ASCII, controls, non-ASCII and astral characters, quotes and backslashes.
    proptest::string::string_regex("[a-zA-Z0-9 .:_\\-\"\\\\\u{1}\n\u{e9}\u{4e2d}\u{1F600}]{0,12}")
        .expect("a valid regex")
}

prop_compose! {
    fn ingest()(
        environment in text(), client_id in text(), realm in text(),
        granted in proptest::collection::vec(text(), 0..4),
        secret in text(), expires_in in proptest::option::of(0u64..100_000),
        refresh_in in proptest::option::of(0u64..100_000),
        rt in proptest::option::of(text()), idt in proptest::option::of(text()),
        home in proptest::option::of(text()), username in proptest::option::of(text()),
        family in proptest::option::of(text()), now in 0u64..2_000_000_000,
    ) -> TokenIngest {
        let mut i = TokenIngest::new(environment, client_id, realm, SecretString::from(secret), now);
        i.granted_scope = Some(granted.join(" "));
        i.expires_in = expires_in;
        i.refresh_in = refresh_in;
        i.refresh_token = rt.map(SecretString::from);
        i.id_token = idt.map(SecretString::from);
        i.home_account_id = home;
        i.username = username;
        i.family_id = family;
        i.account_source = Some("password".into());
        i
    }
}

/// Arbitrary JSON, for unknown fields and entries.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn written_caches_read_back_identically(ingests in proptest::collection::vec(ingest(), 0..8)) {
        let cache = TokenCache::new();
        for i in &ingests {
            cache.ingest(i);
        }
        let written = cache.serialize();
        let reread = TokenCache::new();
        reread.deserialize(written.as_bytes()).unwrap();
        prop_assert_eq!(reread.len(), cache.len());
        prop_assert_eq!(reread.serialize(), written.clone());
        // And it is valid JSON that means the same to any reader.
        let value: serde_json::Value = serde_json::from_str(&written).unwrap();
        prop_assert!(value.is_object());
    }

    #[test]
    fn unknown_fields_and_entries_survive(extra in json(), entry in json(), name in text()) {
        let doc = serde_json::json!({
            "Account": {
                "k1": {"home_account_id": "h", "environment": "e", "realm": "r", "local_account_id": null, "x-extra": extra},
                "k2": entry,
            },
            "Unknown-Section": extra,
            name: 1,
        });
        let cache = TokenCache::new();
        cache.deserialize(doc.to_string().as_bytes()).unwrap();
        let back: serde_json::Value = serde_json::from_str(&cache.serialize()).unwrap();
        prop_assert_eq!(back, doc);
    }
}
