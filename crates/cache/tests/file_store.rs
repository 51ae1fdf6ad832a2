//! The file store: merge-on-save across processes, corruption handling, permissions.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use entra_cache::{CacheError, CacheStore, FileStore, TokenCache, TokenIngest};
use secrecy::SecretString;

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

/// Env vars that turn this test binary into a writer for the two-process test.
const CHILD_PATH: &str = "ENTRA_CACHE_TEST_CHILD_PATH";
const CHILD_PREFIX: &str = "ENTRA_CACHE_TEST_CHILD_PREFIX";
const ACCOUNTS_PER_WRITER: usize = 40;

fn sign_in(cache: &TokenCache, home_account_id: &str) {
    let mut ingest = TokenIngest::new(ENV, CLIENT, TENANT, SecretString::from("at"), NOW);
    ingest.granted_scope = Some("User.Read openid profile offline_access".into());
    ingest.expires_in = Some(3599);
    ingest.refresh_token = Some(SecretString::from("rt"));
    ingest.home_account_id = Some(home_account_id.into());
    ingest.username = Some(format!("{home_account_id}@contoso.com"));
    ingest.account_source = Some("password".into());
    cache.ingest(&ingest);
}

fn home_account_ids(cache: &TokenCache) -> Vec<String> {
    let mut ids: Vec<_> = cache
        .accounts(&[], None)
        .iter()
        .map(|a| a.home_account_id.to_string())
        .collect();
    ids.sort();
    ids
}

/// Not a test of its own: the body the two-process test runs in each child process.
#[test]
fn two_process_writer_child() {
    let (Ok(path), Ok(prefix)) = (std::env::var(CHILD_PATH), std::env::var(CHILD_PREFIX)) else {
        return;
    };
    let cache = TokenCache::with_store(FileStore::new(path));
    for i in 0..ACCOUNTS_PER_WRITER {
        cache.load().unwrap();
        sign_in(&cache, &format!("{prefix}{i:03}"));
        cache.save().unwrap();
    }
}

#[test]
fn two_processes_writing_one_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|prefix| {
            Command::new(&exe)
                .args([
                    "two_process_writer_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_PATH, &path)
                .env(CHILD_PREFIX, prefix)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a writer process failed");
    }

    let cache = TokenCache::with_store(FileStore::new(&path));
    cache.load().unwrap();
    let ids = home_account_ids(&cache);
    let expected: Vec<String> = ["a", "b"]
        .iter()
        .flat_map(|p| (0..ACCOUNTS_PER_WRITER).map(move |i| format!("{p}{i:03}")))
        .collect();
    assert_eq!(ids, expected);
    // Each account also kept its access and refresh token: 3 entries each, plus app metadata.
    assert_eq!(cache.len(), 2 * ACCOUNTS_PER_WRITER * 3 + 1);
}

#[test]
fn two_handles_in_one_process_merge_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let first = TokenCache::with_store(FileStore::new(&path));
    let second = TokenCache::with_store(FileStore::new(&path));
    sign_in(&first, "alice");
    sign_in(&second, "bob");
    first.save().unwrap();
    second.save().unwrap();
    assert_eq!(
        home_account_ids(&second),
        ["alice", "bob"],
        "a save brings in what others saved"
    );

    // A removal is merged too, and does not resurrect on the other handle's next save.
    first.load().unwrap();
    assert_eq!(first.remove_account("bob", &[]), 3);
    first.save().unwrap();
    sign_in(&second, "carol");
    second.save().unwrap();
    let fresh = TokenCache::with_store(FileStore::new(&path));
    fresh.load().unwrap();
    assert_eq!(home_account_ids(&fresh), ["alice", "carol"]);
}

fn assert_corrupt(result: Result<(), CacheError>, path: &Path) -> String {
    match result {
        Err(e @ CacheError::Corrupt { .. }) => {
            let text = e.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            text
        }
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

#[test]
fn corrupt_file_is_a_typed_error_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let garbage = b"{\n    \"AccessToken\": {\n        \"k\": {,\n";
    std::fs::write(&path, garbage).unwrap();

    let cache = TokenCache::with_store(FileStore::new(&path));
    let text = assert_corrupt(cache.load(), &path);
    assert!(
        text.ends_with("(it is not valid JSON); it was left untouched: repair or delete it"),
        "{text}"
    );
    let error = cache.load().unwrap_err();
    let source = std::error::Error::source(&error).expect("the parser's error is the source");
    assert_eq!(
        source.to_string(),
        "key must be a string at line 3 column 15"
    );

    sign_in(&cache, "alice");
    assert_corrupt(cache.save(), &path);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the corrupt file is left untouched"
    );
    assert_eq!(
        home_account_ids(&cache),
        ["alice"],
        "the in-memory cache keeps working"
    );
}

#[test]
fn a_corrupt_cache_error_never_quotes_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        (
            "unterminated.json",
            r#"{"RefreshToken": {"k": {"secret": "SECRETrefresh"#,
        ),
        (
            "bad_escape.json",
            r#"{"RefreshToken": {"k": {"secret": "SECRET\q"}}}"#,
        ),
        ("trailing.json", r#"{"RefreshToken": {}} SECRETtrailing"#),
        ("bare_word.json", r#"{"RefreshToken": SECRETword}"#),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let cache = TokenCache::with_store(FileStore::new(&path));
        let error = cache.load().unwrap_err();
        let mut cause: Option<&dyn std::error::Error> = Some(&error);
        while let Some(current) = cause {
            let text = current.to_string();
            assert!(!text.contains("SECRET"), "{name}: {text}");
            cause = current.source();
        }
    }
}

#[test]
fn wrong_shapes_are_corrupt_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("array.json", "[]"),
        ("section.json", r#"{"RefreshToken": []}"#),
        ("null.json", "null"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let cache = TokenCache::with_store(FileStore::new(&path));
        assert_corrupt(cache.load(), &path);
        sign_in(&cache, "alice");
        assert_corrupt(cache.save(), &path);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), body);
    }
}

#[test]
fn unreadable_file_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    std::fs::create_dir(&path).unwrap(); // a directory cannot be read as a file, even by root
    let cache = TokenCache::with_store(FileStore::new(&path));
    let err = cache.load().unwrap_err();
    assert!(
        matches!(
            err,
            CacheError::Io {
                action: "reading",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("cache.json"), "{err}");
    sign_in(&cache, "alice");
    assert!(cache.save().is_err());
    assert!(path.is_dir());
}

#[test]
fn empty_or_missing_file_is_an_empty_cache() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TokenCache::with_store(FileStore::new(dir.path().join("absent.json")));
    missing.load().unwrap();
    assert!(missing.is_empty());
    let path = dir.path().join("empty.json");
    std::fs::write(&path, "").unwrap();
    let empty = TokenCache::with_store(FileStore::new(&path));
    empty.load().unwrap();
    assert!(empty.is_empty());
}

#[test]
fn saved_file_is_msal_python_json_with_no_temporary_files_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("cache.json");
    let cache = TokenCache::with_store(FileStore::new(&path));
    sign_in(&cache, "alice");
    cache.save().unwrap();
    assert!(!cache.has_state_changed());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), cache.serialize());
    let mut names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["cache.json", "cache.json.lock"]);
}

#[cfg(unix)]
#[test]
fn cache_and_lock_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    // Even replacing a file that was world-readable.
    std::fs::write(&path, "{}").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = FileStore::new(&path);
    let lock = store.lock_path().to_path_buf();
    let cache = TokenCache::with_store(store);
    sign_in(&cache, "alice");
    cache.save().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&lock), 0o600);
}

#[test]
fn a_cache_is_stale_once_another_process_writes_and_fresh_after_loading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let a = TokenCache::with_store(FileStore::new(&path));
    let b = TokenCache::with_store(FileStore::new(&path));
    assert!(a.is_stale(), "never loaded");
    a.load().unwrap();
    b.load().unwrap();
    assert!(!a.is_stale() && !b.is_stale());

    sign_in(&b, "uid.utid");
    b.save().unwrap();
    assert!(a.is_stale(), "B replaced the file");
    a.load().unwrap();
    assert!(!a.is_stale());
    assert_eq!(a.accounts(&[], None).len(), 1);
    // A save does not know the version it wrote: read once more, then fresh.
    assert!(b.is_stale());
    b.load().unwrap();
    assert!(!b.is_stale());
    assert!(
        !TokenCache::new().is_stale(),
        "a cache without a store never is"
    );
}

#[test]
fn the_refresh_lease_excludes_other_holders_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let first = FileStore::new(&path);
    let second = FileStore::new(&path);
    let held = first.lease(Duration::ZERO).unwrap().expect("free");
    assert!(
        second.lease(Duration::from_millis(20)).unwrap().is_none(),
        "held elsewhere"
    );
    drop(held);
    assert!(
        second.lease(Duration::ZERO).unwrap().is_some(),
        "released on drop"
    );
    assert_ne!(first.version(), None);
}

#[test]
fn an_encrypted_file_read_without_a_key_says_so_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let sealed = b"EAEC\x01 then ciphertext".to_vec();
    std::fs::write(&path, &sealed).unwrap();
    let cache = TokenCache::with_store(FileStore::new(&path));

    let error = cache.load().unwrap_err();

    assert!(
        matches!(error, CacheError::Undecryptable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("without a key"), "{error}");
    sign_in(&cache, "uid.utid");
    assert!(cache.save().is_err(), "nor is it overwritten");
    assert_eq!(std::fs::read(&path).unwrap(), sealed);
}
