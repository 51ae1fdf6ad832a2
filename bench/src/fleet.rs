//! The refresh storm across processes: N worker processes share one token cache (one
//! `FileStore` file or one Redis server), each makes M concurrent silent calls once the
//! access token has expired, and mock-idp counts the refresh requests it received (one
//! is the ideal: a lease in the store lets one process refresh while the others wait and
//! read its tokens).
//!
//! `process-storm` is the driver: it signs alice in to the shared cache, starts the
//! workers (this program's `storm-worker`), waits until each has built its application
//! and read the cache, moves mock-idp's clock past the access token's expiry, then tells
//! every worker at once to go, with the new time for its manual clock. Wall time runs
//! from that signal to the last worker's answer; starting the processes is not timed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use entra_auth::{ManualClock, PublicClientApplication, TokenSource};
use entra_cache::{FileStore, PartitionWrite, PartitionedStore};
use entra_cache_redis::RedisStore;
use mock_idp::default_fixture as d;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use uuid::Uuid;

use crate::network::Target;
use crate::stats::emit;

/// The scope every call asks for.
const SCOPES: [&str; 1] = ["User.Read"];

/// How long a worker may take to start or to answer before the run fails instead of
/// hanging (a guard only; nothing is asserted about times).
const ANSWER_WITHIN: Duration = Duration::from_secs(180);

/// Which shared cache the processes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SharedStore {
    /// One `FileStore` file (its refresh lease is a file lock).
    File,
    /// One Redis server (`RedisStore`; its refresh lease is `SET NX PX`).
    Redis,
}

impl SharedStore {
    fn name(self) -> &'static str {
        match self {
            SharedStore::File => "file",
            SharedStore::Redis => "redis",
        }
    }
}

/// Where a worker's cache is: the file, or the Redis URL and key prefix.
#[derive(Clone, Debug)]
pub(crate) enum Location {
    File(PathBuf),
    Redis { url: String, prefix: String },
}

impl Location {
    fn args(&self) -> Vec<String> {
        match self {
            Location::File(path) => vec!["--file".into(), path.display().to_string()],
            Location::Redis { url, prefix } => vec![
                "--redis".into(),
                url.clone(),
                "--key-prefix".into(),
                prefix.clone(),
            ],
        }
    }

    /// Deletes what the run left: the file and its lock files, or the Redis keys under
    /// the run's prefix (best effort).
    async fn remove(&self) {
        match self {
            Location::File(path) => {
                let store = FileStore::new(path);
                for file in [path.as_path(), store.lock_path(), store.lease_path()] {
                    let _ = std::fs::remove_file(file);
                }
            }
            Location::Redis { url, prefix } => {
                let Ok(store) = RedisStore::builder(url.as_str())
                    .key_prefix(prefix.as_str())
                    .build()
                    .await
                else {
                    return;
                };
                for partition in store.partitions().await.unwrap_or_default() {
                    let _ = store
                        .save(&partition, &mut |_| {
                            Ok(PartitionWrite {
                                bytes: None,
                                time_to_live: None,
                            })
                        })
                        .await;
                }
            }
        }
    }

    /// An application of the CLI client over this cache, on `clock`.
    async fn app(
        &self,
        authority: &str,
        ca_pem: &[u8],
        clock: Arc<ManualClock>,
    ) -> Result<PublicClientApplication, String> {
        let builder = PublicClientApplication::builder(d::CLI_CLIENT_ID)
            .authority(authority)
            .extra_root_certificates_pem(ca_pem)
            .clock(clock);
        let builder = match self {
            Location::File(path) => builder.cache_store(FileStore::new(path)),
            Location::Redis { url, prefix } => {
                let store = RedisStore::builder(url.as_str())
                    .key_prefix(prefix.as_str())
                    .build()
                    .await
                    .map_err(|err| format!("Redis at {url}: {err}"))?;
                builder.partitioned_store(store)
            }
        };
        builder.build().map_err(|err| err.to_string())
    }
}

/// One worker process, started and ready.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    async fn next_line(&mut self) -> Result<Value, String> {
        let line = tokio::time::timeout(ANSWER_WITHIN, self.stdout.next_line())
            .await
            .map_err(|_| format!("a worker did not answer within {ANSWER_WITHIN:?}"))?
            .map_err(|err| format!("reading a worker's output: {err}"))?
            .ok_or("a worker exited early (its stderr is above)")?;
        serde_json::from_str(&line).map_err(|err| format!("a worker printed {line:?}: {err}"))
    }
}

/// The totals of every worker's calls.
#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    from_idp: u64,
    from_cache: u64,
    first_error: Option<String>,
}

/// Runs one storm: `processes` workers over one shared cache of kind `store` (a file
/// in `dir`, or the Redis server at `redis`), `calls` concurrent silent calls each.
pub(crate) fn process_storm(
    target: &Target,
    ca: &Path,
    store: SharedStore,
    redis: Option<&str>,
    dir: &Path,
    processes: usize,
    calls: usize,
) -> Result<(), String> {
    let run = Uuid::new_v4().simple().to_string();
    let location = match store {
        SharedStore::File => Location::File(dir.join(format!("storm-{run}.json"))),
        SharedStore::Redis => Location::Redis {
            url: redis.ok_or("--store redis needs --redis URL")?.to_owned(),
            prefix: format!("entra-bench-storm-{run}:"),
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let outcome = runtime.block_on(async {
        let outcome = storm(target, ca, &location, processes.max(1), calls.max(1)).await;
        location.remove().await;
        outcome
    });
    let (tally, refresh_requests, token_requests, wall) = outcome?;
    emit(json!({
        "scenario": "process_storm",
        "library": "entra-auth",
        "store": store.name(),
        "processes": processes.max(1),
        "calls_per_process": calls.max(1),
        "refresh_requests": refresh_requests,
        "token_requests": token_requests,
        "ok": tally.ok,
        "failed": tally.failed,
        "from_idp": tally.from_idp,
        "from_cache": tally.from_cache,
        "wall_ms": wall.as_secs_f64() * 1e3,
        "first_error": tally.first_error,
    }))
}

async fn storm(
    target: &Target,
    ca: &Path,
    location: &Location,
    processes: usize,
    calls: usize,
) -> Result<(Tally, usize, usize, Duration), String> {
    let admin = target.admin()?;
    let server_now = admin.now().await.map_err(|err| err.to_string())?.now;
    let start = UNIX_EPOCH + Duration::from_secs(server_now);
    // alice signs in to the shared cache; the application is gone before the workers
    // start, so they find her tokens only in the store.
    let lifetime = {
        let app = location
            .app(
                &target.authority(),
                target.ca_pem().as_bytes(),
                Arc::new(ManualClock::new(start)),
            )
            .await?;
        let first = app
            .acquire_token_by_username_password(&SCOPES, d::ALICE, SecretString::from(d::PASSWORD))
            .await
            .map_err(|err| format!("sign-in failed: {err}"))?;
        first.expires_on.duration_since(start).unwrap_or_default()
    };

    let program =
        std::env::current_exe().map_err(|err| format!("cannot find entra-bench itself: {err}"))?;
    let mut workers = Vec::with_capacity(processes);
    for _ in 0..processes {
        let mut child = Command::new(&program)
            .arg("storm-worker")
            .arg("--authority")
            .arg(target.authority())
            .arg("--ca")
            .arg(ca)
            .args(location.args())
            .arg("--now")
            .arg(server_now.to_string())
            .arg("--calls")
            .arg(calls.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("could not start a worker: {err}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("a worker has no stdin or stdout".into());
        };
        workers.push(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        });
    }
    for worker in &mut workers {
        let ready = worker.next_line().await?;
        if ready["event"] != "ready" {
            return Err(format!("a worker said {ready} instead of ready"));
        }
    }

    // Past the expiry (and the 5-minute margin) on both sides.
    let by = lifetime + Duration::from_secs(600);
    admin
        .advance_clock(by)
        .await
        .map_err(|err| err.to_string())?;
    admin
        .clear_requests()
        .await
        .map_err(|err| err.to_string())?;
    let now = admin.now().await.map_err(|err| err.to_string())?.now;
    let go = format!("go {now}\n");
    let started = Instant::now();
    for worker in &mut workers {
        worker
            .stdin
            .write_all(go.as_bytes())
            .await
            .map_err(|err| format!("telling a worker to go: {err}"))?;
        worker
            .stdin
            .flush()
            .await
            .map_err(|err| format!("telling a worker to go: {err}"))?;
    }
    let mut tally = Tally::default();
    for worker in &mut workers {
        let done = worker.next_line().await?;
        if done["event"] != "done" {
            return Err(format!("a worker said {done} instead of done"));
        }
        let number = |name: &str| done[name].as_u64().unwrap_or_default();
        tally.ok += number("ok");
        tally.failed += number("failed");
        tally.from_idp += number("from_idp");
        tally.from_cache += number("from_cache");
        if tally.first_error.is_none() {
            tally.first_error = done["first_error"].as_str().map(str::to_owned);
        }
    }
    let wall = started.elapsed();
    for mut worker in workers {
        drop(worker.stdin);
        let _ = tokio::time::timeout(ANSWER_WITHIN, worker.child.wait()).await;
    }
    let requests = admin.requests().await.map_err(|err| err.to_string())?;
    let refresh_requests = requests
        .iter()
        .filter(|request| request.form_value("grant_type") == Some("refresh_token"))
        .count();
    let token_requests = requests
        .iter()
        .filter(|request| request.endpoint == mock_idp::admin::Endpoint::Token)
        .count();
    Ok((tally, refresh_requests, token_requests, wall))
}

/// One worker process: builds the application over the shared cache with a manual clock
/// at `now`, finds alice, prints `{"event":"ready"}`, waits for `go NOW` on stdin, moves
/// its clock to NOW, makes `calls` concurrent silent calls and prints their totals as
/// `{"event":"done",...}` (no token is ever printed).
pub(crate) fn storm_worker(
    authority: &str,
    ca: &Path,
    location: Location,
    now: u64,
    calls: usize,
) -> Result<(), String> {
    // One thread: a worker is one of many processes on the same cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    runtime.block_on(async {
        let ca_pem =
            std::fs::read(ca).map_err(|err| format!("cannot read {}: {err}", ca.display()))?;
        let start = UNIX_EPOCH + Duration::from_secs(now);
        let clock = Arc::new(ManualClock::new(start));
        let app = location.app(authority, &ca_pem, clock.clone()).await?;
        let account = app
            .accounts()
            .await
            .map_err(|err| format!("reading the shared cache failed: {err}"))?
            .into_iter()
            .find(|account| account.username.eq_ignore_ascii_case(d::ALICE))
            .ok_or("the shared cache holds no account for alice")?;
        emit(json!({"event": "ready"}))?;

        let mut stdin = BufReader::new(tokio::io::stdin()).lines();
        let line = stdin
            .next_line()
            .await
            .map_err(|err| format!("reading stdin: {err}"))?
            .ok_or("stdin ended before `go`")?;
        let go: u64 = line
            .strip_prefix("go ")
            .and_then(|now| now.trim().parse().ok())
            .ok_or_else(|| format!("expected `go NOW`, got {line:?}"))?;
        clock.advance(Duration::from_secs(go.saturating_sub(now)));

        let tasks: Vec<_> = (0..calls.max(1))
            .map(|_| {
                let (app, account) = (app.clone(), account.clone());
                tokio::spawn(async move {
                    app.acquire_token_silent(&SCOPES, &account)
                        .await
                        .map(|result| result.token_source)
                        .map_err(|err| err.to_string())
                })
            })
            .collect();
        let mut tally = Tally::default();
        for task in tasks {
            match task.await.map_err(|err| err.to_string()).and_then(|r| r) {
                Ok(source) => {
                    tally.ok += 1;
                    match source {
                        TokenSource::IdentityProvider => tally.from_idp += 1,
                        TokenSource::Cache => tally.from_cache += 1,
                    }
                }
                Err(problem) => {
                    tally.failed += 1;
                    tally.first_error.get_or_insert(problem);
                }
            }
        }
        emit(json!({
            "event": "done",
            "ok": tally.ok,
            "failed": tally.failed,
            "from_idp": tally.from_idp,
            "from_cache": tally.from_cache,
            "first_error": tally.first_error,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_are_told_where_the_shared_cache_is() {
        let file = Location::File(PathBuf::from("/tmp/storm.json"));
        assert_eq!(file.args(), ["--file", "/tmp/storm.json"]);
        let redis = Location::Redis {
            url: "redis://127.0.0.1:6379".into(),
            prefix: "p:".into(),
        };
        assert_eq!(
            redis.args(),
            ["--redis", "redis://127.0.0.1:6379", "--key-prefix", "p:"]
        );
    }
}
