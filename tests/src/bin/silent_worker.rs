//! `silent_worker`: one process of the shared-cache tests (`tests/tests/shared_cache.rs`).
//!
//! It builds a `PublicClientApplication` against a mock-idp, over a shared token cache,
//! with a manual clock, finds the signed-in account in that cache and answers commands:
//!
//! ```text
//! silent_worker --authority https://localhost:PORT/organizations --ca CA.pem
//!               (--file CACHE.json | --redis redis://HOST:PORT)
//!               [--client-id ID] [--username NAME] [--scopes "User.Read ..."]
//!               [--now UNIX_SECONDS] [--calls N]
//! ```
//!
//! Stdout is one JSON object a line. Once the application is built and the cache read,
//! it prints `{"event":"ready",...}`. With `--calls N` it then runs N concurrent
//! `acquire_token_silent` calls at once and exits; without it, it reads commands from
//! stdin, one a line, until end of input:
//!
//! - `run NOW N`: moves its clock to `NOW` (Unix seconds, never backwards), runs N
//!   concurrent silent calls, prints one `{"event":"result",...}` line per call and
//!   then `{"event":"done","calls":N}`.
//!
//! A result line says `"ok"`, and either `"source"` (`cache` or `identity_provider`) or
//! `"error"` (`kind`, the `AuthError` variant; `aadsts`; `interaction_required`;
//! `transient`; `message`). No token or secret is ever printed. A usage error exits 2,
//! a failed setup 1, each with the reason on stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_auth::{
    Account, AuthError, Clock, FileStore, ManualClock, PublicClientApplication, TokenSource,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Where the worker's token cache lives.
enum Store {
    /// A `FileStore` at this path.
    File(PathBuf),
    /// A Redis server at this URL.
    Redis(String),
}

/// The command line.
struct Args {
    authority: String,
    ca: PathBuf,
    store: Store,
    client_id: String,
    username: String,
    scopes: Vec<String>,
    now: Option<u64>,
    calls: Option<usize>,
}

const USAGE: &str = "usage: silent_worker --authority URL --ca CA.pem \
    (--file CACHE.json | --redis redis://HOST:PORT) [--client-id ID] [--username NAME] \
    [--scopes \"User.Read ...\"] [--now UNIX_SECONDS] [--calls N]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("silent_worker: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("silent_worker: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut authority = None;
    let mut ca = None;
    let mut store = None;
    let mut client_id = entra_tests::fixture::CLI_CLIENT_ID.to_owned();
    let mut username = entra_tests::fixture::ALICE.to_owned();
    let mut scopes = vec!["User.Read".to_owned()];
    let mut now = None;
    let mut calls = None;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--authority" => authority = Some(value()?),
            "--ca" => ca = Some(PathBuf::from(value()?)),
            "--file" => store = Some(Store::File(PathBuf::from(value()?))),
            "--redis" => store = Some(Store::Redis(value()?)),
            "--client-id" => client_id = value()?,
            "--username" => username = value()?,
            "--scopes" => scopes = value()?.split_whitespace().map(str::to_owned).collect(),
            "--now" => now = Some(number(flag, &value()?)?),
            "--calls" => calls = Some(number(flag, &value()?)?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        authority: authority.ok_or("--authority is required")?,
        ca: ca.ok_or("--ca is required")?,
        store: store.ok_or("a cache is required: --file PATH or --redis URL")?,
        client_id,
        username,
        scopes,
        now,
        calls,
    })
}

fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: `{text}` is not a whole number"))
}

async fn run(args: Args) -> Result<(), String> {
    let start = match args.now {
        Some(now) => unix(now).ok_or_else(|| format!("--now {now} is past what a clock holds"))?,
        None => SystemTime::now(),
    };
    let clock = Arc::new(ManualClock::new(start));
    let app = build(&args, clock.clone()).await?;
    let accounts = app
        .accounts()
        .await
        .map_err(|error| format!("reading the cache failed: {error}"))?;
    let account = accounts
        .into_iter()
        .find(|account| account.username.eq_ignore_ascii_case(&args.username))
        .ok_or_else(|| format!("the cache holds no account for {}", args.username))?;
    emit(&json!({"event": "ready", "home_account_id": account.home_account_id}));

    let scopes: Vec<&str> = args.scopes.iter().map(String::as_str).collect();
    if let Some(calls) = args.calls {
        silent_calls(&app, &account, &scopes, calls).await;
        return Ok(());
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|err| format!("reading stdin failed: {err}"))?
    {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [] => {}
            ["run", now, calls] => {
                move_clock(&clock, number("run NOW", now)?)?;
                silent_calls(&app, &account, &scopes, number("run N", calls)?).await;
            }
            _ => return Err(format!("unknown command `{line}`: expected `run NOW N`")),
        }
    }
    Ok(())
}

/// The application, over the store the command line names.
async fn build(args: &Args, clock: Arc<ManualClock>) -> Result<PublicClientApplication, String> {
    let ca = std::fs::read(&args.ca)
        .map_err(|err| format!("cannot read the CA file {}: {err}", args.ca.display()))?;
    let builder = PublicClientApplication::builder(&args.client_id)
        .authority(&args.authority)
        .extra_root_certificates_pem(ca)
        .clock(clock);
    let builder = match &args.store {
        Store::File(path) => builder.cache_store(FileStore::new(path)),
        Store::Redis(url) => {
            let store = entra_cache_redis::RedisStore::builder(url.as_str())
                .build()
                .await
                .map_err(|error| format!("--redis: the store does not connect: {error}"))?;
            builder.partitioned_store(store)
        }
    };
    builder
        .build()
        .map_err(|error| format!("the application does not build: {error}"))
}

/// Runs `calls` silent calls at once and prints their results, then `done`.
async fn silent_calls(
    app: &PublicClientApplication,
    account: &Account,
    scopes: &[&str],
    calls: usize,
) {
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let (app, account) = (app.clone(), account.clone());
            let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
            tokio::spawn(async move {
                let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                app.acquire_token_silent(&scopes, &account)
                    .await
                    .map(|result| result.token_source)
            })
        })
        .collect();
    for (call, task) in tasks.into_iter().enumerate() {
        let line = match task.await {
            Ok(Ok(source)) => json!({
                "event": "result",
                "call": call,
                "ok": true,
                "source": match source {
                    TokenSource::Cache => "cache",
                    TokenSource::IdentityProvider => "identity_provider",
                },
            }),
            Ok(Err(error)) => json!({
                "event": "result",
                "call": call,
                "ok": false,
                "error": describe(&error),
            }),
            Err(panicked) => json!({
                "event": "result",
                "call": call,
                "ok": false,
                "error": {"kind": "Panic", "message": panicked.to_string()},
            }),
        };
        emit(&line);
    }
    emit(&json!({"event": "done", "calls": calls}));
}

/// An error as data: the variant's name (the leading word of its `Debug`, which never
/// holds a secret), the AADSTS code, what the caller would do, and the message.
fn describe(error: &AuthError) -> Value {
    let debug = format!("{error:?}");
    let kind: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    json!({
        "kind": kind,
        "aadsts": error.aadsts_code(),
        "interaction_required": error.is_interaction_required(),
        "transient": error.is_transient(),
        "message": error.to_string(),
    })
}

/// Moves `clock` forward to `now` (Unix seconds); never backwards.
fn move_clock(clock: &ManualClock, now: u64) -> Result<(), String> {
    let target = unix(now).ok_or_else(|| format!("run: {now} is past what a clock holds"))?;
    let by = target
        .duration_since(clock.now())
        .map_err(|_| format!("run: {now} is before the worker's clock; it only moves forward"))?;
    clock.advance(by);
    Ok(())
}

fn unix(seconds: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Prints one JSON line (stdout is line-buffered, so each line leaves at once).
fn emit(line: &Value) {
    println!("{line}");
}
