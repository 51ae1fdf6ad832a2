//! One token cache shared by several processes: each process is a `silent_worker`
//! (tests/src/bin/silent_worker.rs) over the same `FileStore` file, or the same Redis
//! server (a real `redis-server` started for the test). When they all find
//! the same expired access token, exactly one refresh request reaches mock-idp, and a
//! refresh token rotated by one process is the one the next process redeems.
//!
//! Time: mock-idp's clock is moved through its admin API and each worker's manual clock
//! is set to the same instant by its `run NOW N` command, so every process agrees that
//! the access token has expired.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use entra_auth::FileStore;
use entra_tests::{Harness, PAST_EXPIRY, fixture, password};
use mock_idp::admin::RecordedRequest;
use mock_idp::{Config, Fixture};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a worker may take to answer before the test fails instead of hanging. Only
/// a guard: nothing the tests assert depends on how long anything takes.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// The cache the workers share, as their command line names it.
enum SharedCache {
    /// One `FileStore` file.
    File(PathBuf),
    /// One Redis server, by URL.
    Redis(String),
}

impl SharedCache {
    /// `--file PATH` or `--redis URL`.
    fn args(&self) -> [OsString; 2] {
        match self {
            SharedCache::File(path) => ["--file".into(), path.into()],
            SharedCache::Redis(url) => ["--redis".into(), url.into()],
        }
    }
}

/// One `silent_worker` process, ready (its application built and the cache read).
struct Worker {
    name: String,
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    /// Starts a worker over the cache file `cache` and waits until it is ready.
    async fn start(name: &str, harness: &Harness, ca: &Path, cache: &SharedCache) -> Worker {
        let now = server_now(harness).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_silent_worker"))
            .arg("--authority")
            .arg(harness.authority("organizations"))
            .arg("--ca")
            .arg(ca)
            .args(cache.args())
            .arg("--now")
            .arg(now.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("silent_worker starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut worker = Worker {
            name: name.to_owned(),
            _child: child,
            stdin,
            stdout,
        };
        let ready = worker.next_line().await;
        assert_eq!(ready["event"], "ready", "{name}: {ready}");
        worker
    }

    /// Tells the worker to set its clock to `now` and make `calls` concurrent silent
    /// calls; their results are read by [`Worker::results`].
    async fn send_run(&mut self, now: u64, calls: usize) {
        self.stdin
            .write_all(format!("run {now} {calls}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The result lines of the last `run`, up to its `done` line.
    async fn results(&mut self) -> Vec<Value> {
        let mut results = Vec::new();
        loop {
            let line = self.next_line().await;
            match line["event"].as_str() {
                Some("result") => results.push(line),
                Some("done") => return results,
                _ => panic!("{}: unexpected line {line}", self.name),
            }
        }
    }

    async fn next_line(&mut self) -> Value {
        let line = tokio::time::timeout(ANSWER_WITHIN, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("{}: no answer within {ANSWER_WITHIN:?}", self.name))
            .unwrap()
            .unwrap_or_else(|| panic!("{}: exited early (its stderr is above)", self.name));
        serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("{}: not a JSON line ({err}): {line}", self.name))
    }
}

/// mock-idp's clock, in Unix seconds.
async fn server_now(harness: &Harness) -> u64 {
    harness.idp.admin().now().await.unwrap().now
}

/// mock-idp's CA certificate, written where the workers can read it.
fn write_ca(harness: &Harness, dir: &Path) -> PathBuf {
    let path = dir.join("mock-idp-ca.pem");
    std::fs::write(&path, harness.idp.ca_pem()).unwrap();
    path
}

/// Signs alice in with the CLI app over a `FileStore` at `cache`, so the file holds her
/// access and refresh tokens; the application is dropped before the workers start.
async fn sign_in_to_file(harness: &Harness, cache: &Path) {
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .cache_store(FileStore::new(cache))
        .build()
        .unwrap();
    app.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("sign-in");
    assert!(cache.exists(), "the sign-in saved the cache file");
}

/// Signs alice in with the CLI app over a Redis store at `url`; returns her refresh
/// token.
async fn sign_in_to_redis(harness: &Harness, url: &str) -> String {
    let store = entra_cache_redis::RedisStore::builder(url)
        .build()
        .await
        .unwrap();
    let app = harness
        .public_client(fixture::CLI_CLIENT_ID)
        .partitioned_store(store)
        .build()
        .unwrap();
    app.acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await
        .expect("sign-in");
    refresh_token_of(&app.token_cache().serialize())
}

/// The refresh token grants among `requests`.
fn refresh_grants(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.form_value("grant_type") == Some("refresh_token"))
        .collect()
}

/// The one refresh token in the MSAL-format cache file at `cache`.
fn refresh_token_in(cache: &Path) -> String {
    refresh_token_of(&std::fs::read_to_string(cache).unwrap())
}

/// The one refresh token in an MSAL-format cache document.
fn refresh_token_of(cache: &str) -> String {
    let cache: Value = serde_json::from_str(cache).unwrap();
    let tokens = cache["RefreshToken"].as_object().unwrap();
    assert_eq!(tokens.len(), 1, "one refresh token in the cache");
    tokens.values().next().unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A form body (`application/x-www-form-urlencoded`).
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(byte).to_string()
                }
                _ => format!("%{byte:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// 4 worker processes over `cache` (holding alice's tokens) each make 25 concurrent
/// silent calls once the access token has expired: one refresh request reaches
/// mock-idp and every call gets a token.
async fn four_processes_of_25_calls_after_expiry(
    harness: &Harness,
    ca: &Path,
    cache: &SharedCache,
) {
    let mut workers = Vec::new();
    for n in 0..4 {
        workers.push(Worker::start(&format!("worker {n}"), harness, ca, cache).await);
    }
    harness.advance(PAST_EXPIRY).await;
    harness.clear_requests().await;

    let now = server_now(harness).await;
    for worker in &mut workers {
        worker.send_run(now, 25).await;
    }
    let mut results = Vec::new();
    for worker in &mut workers {
        results.extend(worker.results().await);
    }

    let requests = harness.requests().await;
    assert_eq!(
        refresh_grants(&requests).len(),
        1,
        "refresh requests at mock-idp: {requests:#?}"
    );
    assert_eq!(results.len(), 100);
    let failed: Vec<&Value> = results.iter().filter(|r| r["ok"] != true).collect();
    assert!(failed.is_empty(), "failed calls: {failed:#?}");
    let from_provider = results
        .iter()
        .filter(|r| r["source"] == "identity_provider")
        .count();
    assert_eq!(
        from_provider, 1,
        "one call refreshed, the others read its tokens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_of_25_silent_calls_after_expiry_send_one_refresh_request() {
    let harness = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (ca, cache) = (
        write_ca(&harness, dir.path()),
        dir.path().join("cache.json"),
    );
    sign_in_to_file(&harness, &cache).await;

    four_processes_of_25_calls_after_expiry(&harness, &ca, &SharedCache::File(cache)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_of_25_silent_calls_through_redis_send_one_refresh_request() {
    let redis = entra_test_support::RedisServer::start();
    let harness = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = write_ca(&harness, dir.path());
    sign_in_to_redis(&harness, &redis.url()).await;

    four_processes_of_25_calls_after_expiry(&harness, &ca, &SharedCache::Redis(redis.url())).await;
}

/// Processes A and B over `shared` both read alice's first refresh token; after expiry A
/// refreshes (under strict rotation, spending that token), `after_a` runs, and after the
/// next expiry B refreshes: both refreshes succeed, so B redeemed the token A rotated in.
async fn a_refreshes_then_b(
    harness: &Harness,
    ca: &Path,
    shared: &SharedCache,
    after_a: impl FnOnce(),
) {
    // Both processes have read the cache, with the first refresh token, before either
    // refreshes.
    let mut a = Worker::start("process A", harness, ca, shared).await;
    let mut b = Worker::start("process B", harness, ca, shared).await;

    harness.advance(PAST_EXPIRY).await;
    a.send_run(server_now(harness).await, 1).await;
    let rotated = a.results().await;
    assert_eq!(rotated[0]["source"], "identity_provider", "A: {rotated:?}");
    after_a();

    harness.advance(PAST_EXPIRY).await;
    b.send_run(server_now(harness).await, 1).await;
    let next = b.results().await;

    assert_eq!(next[0]["ok"], true, "B: {next:?}");
    assert_eq!(next[0]["source"], "identity_provider", "B: {next:?}");
    let requests = harness.requests().await;
    let refreshes = refresh_grants(&requests);
    assert_eq!(
        refreshes.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 200],
        "A's and B's refreshes (the first refresh token, spent by A, would be refused): \
         {refreshes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_strict_rotation_a_process_redeems_through_redis_the_token_another_rotated() {
    let redis = entra_test_support::RedisServer::start();
    let mut strict = Fixture::default();
    strict.settings.strict_refresh_token_rotation = true;
    let harness = Harness::start_with(Config::new(strict).seed(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = write_ca(&harness, dir.path());
    let signed_in = sign_in_to_redis(&harness, &redis.url()).await;
    assert!(!signed_in.is_empty());

    a_refreshes_then_b(&harness, &ca, &SharedCache::Redis(redis.url()), || {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_strict_rotation_a_process_redeems_the_refresh_token_another_process_rotated() {
    let mut strict = Fixture::default();
    strict.settings.strict_refresh_token_rotation = true;
    let harness = Harness::start_with(Config::new(strict).seed(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let (ca, cache) = (
        write_ca(&harness, dir.path()),
        dir.path().join("cache.json"),
    );
    sign_in_to_file(&harness, &cache).await;
    let signed_in = refresh_token_in(&cache);
    a_refreshes_then_b(&harness, &ca, &SharedCache::File(cache.clone()), || {
        assert_ne!(
            refresh_token_in(&cache),
            signed_in,
            "A saved the rotated refresh token"
        );
    })
    .await;

    // And the first refresh token, which B still held in memory, is refused: B got its
    // tokens with the one A rotated in.
    let replay = harness
        .idp
        .client()
        .unwrap()
        .post(format!(
            "{}/organizations/oauth2/v2.0/token",
            harness.idp.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("client_id", fixture::CLI_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", signed_in.as_str()),
            ("scope", "User.Read openid profile offline_access"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    let body: Value = serde_json::from_str(&replay.text().await.unwrap()).unwrap();
    assert_eq!(body["error_codes"][0], 70000, "{body}");
}

#[tokio::test]
async fn a_process_serves_a_fresh_token_from_the_shared_file_without_a_request() {
    let harness = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (ca, cache) = (
        write_ca(&harness, dir.path()),
        dir.path().join("cache.json"),
    );
    sign_in_to_file(&harness, &cache).await;
    harness.clear_requests().await;

    // One-shot mode: `--calls N` runs the calls at `--now` and exits.
    let output = Command::new(env!("CARGO_BIN_EXE_silent_worker"))
        .arg("--authority")
        .arg(harness.authority("organizations"))
        .arg("--ca")
        .arg(&ca)
        .arg("--file")
        .arg(&cache)
        .arg("--now")
        .arg(server_now(&harness).await.to_string())
        .args(["--calls", "3"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(ANSWER_WITHIN, output)
        .await
        .unwrap()
        .unwrap();

    assert!(output.status.success(), "{output:?}");
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["ready", "result", "result", "result", "done"]);
    assert!(
        lines[1..4].iter().all(|r| r["source"] == "cache"),
        "{lines:?}"
    );
    assert_eq!(harness.request_count().await, 0);
}
