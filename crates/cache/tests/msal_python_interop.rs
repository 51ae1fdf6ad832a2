//! A cache written by this crate serves MSAL Python's `acquire_token_silent`, offline.
//!
//! Needs `ENTRA_MSAL_PYTHON`: the path of a Python interpreter with `msal==1.39.0`
//! installed. The tests are ignored by a plain `cargo test`; `cargo xtask test` runs
//! them with its MSAL Python virtualenv, and they fail when the interpreter is missing.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::PathBuf;
use std::process::Command;

use entra_cache::{TokenCache, TokenIngest};
use secrecy::SecretString;

const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

/// The interpreter named by `ENTRA_MSAL_PYTHON`; a test that needs it fails without it.
fn python() -> PathBuf {
    std::env::var_os("ENTRA_MSAL_PYTHON")
        .map(PathBuf::from)
        .expect("ENTRA_MSAL_PYTHON names a python with msal==1.39.0 (cargo xtask test sets it up)")
}

/// Runs tests/data/msal_python_silent.py on `cache_json`; returns its JSON report.
fn msal_python_silent(python: &PathBuf, cache_json: &str, username: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cache.json");
    std::fs::write(&file, cache_json).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/msal_python_silent.py"
    );
    let output = Command::new(python)
        .args(["-W", "ignore", script])
        .arg(&file)
        .args([
            CLIENT,
            TENANT,
            username,
            "User.Read",
            &(NOW + 100).to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "MSAL Python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
#[ignore = "needs MSAL Python: run by cargo xtask test"]
fn msal_python_serves_silent_from_a_cache_written_here() {
    let python = python();
    let cache = TokenCache::new();
    let mut ingest = TokenIngest::new(
        "login.microsoftonline.com",
        CLIENT,
        TENANT,
        SecretString::from("rust-written-at"),
        NOW,
    );
    ingest.scopes = vec!["User.Read".into()];
    ingest.granted_scope = Some("User.Read openid profile offline_access".into());
    ingest.expires_in = Some(3599);
    ingest.refresh_token = Some(SecretString::from("rust-written-rt"));
    ingest.home_account_id = Some(format!("00000000-0000-0000-0000-00000000a11c.{TENANT}"));
    ingest.local_account_id = Some("00000000-0000-0000-0000-00000000a11c".into());
    ingest.username = Some("alice@contoso.com".into());
    ingest.account_source = Some("password".into());
    cache.ingest(&ingest);

    let report = msal_python_silent(&python, &cache.serialize(), "alice@contoso.com");
    assert_eq!(report["accounts"], serde_json::json!(["alice@contoso.com"]));
    assert_eq!(report["token_source"], "cache");
    assert_eq!(report["access_token"], "rust-written-at");
}

#[test]
#[ignore = "needs MSAL Python: run by cargo xtask test"]
fn msal_python_reads_back_its_own_cache_after_a_round_trip_here() {
    let python = python();
    let cache = TokenCache::new();
    cache
        .deserialize(include_bytes!("data/msal_python_1_39.json"))
        .unwrap();
    let report = msal_python_silent(&python, &cache.serialize(), "zo\u{eb}@contoso.com");
    assert_eq!(report["token_source"], "cache");
    assert_eq!(report["access_token"], "fake-access-token-2");
}
