//! entra-bench: the Rust side of `cargo xtask bench`.
//!
//! Each subcommand runs one scenario and prints one JSON object per measurement on its
//! own stdout line (progress and problems go to stderr), so `cargo xtask bench` can set
//! the same scenario side by side with `bench/python/msal_bench.py` (MSAL Python).
//!
//! Architecture invariant: measures, never asserts a time. Every timed call is checked
//! to have succeeded (and a silent call to have been served from the cache), outside
//! the timed region; a failed call ends the scenario with an error.
#![forbid(unsafe_code)]

mod cache_gen;
mod fleet;
mod load;
mod network;
mod offline;
mod shared;
#[cfg(feature = "signers")]
mod signers;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmarks of entra-auth, entra-cache and mock-idp; one JSON line per measurement.
#[derive(Parser, Debug)]
#[command(name = "entra-bench")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand, Debug)]
enum Scenario {
    /// Writes an MSAL-format cache of N accounts, and the accounts to probe.
    GenCache {
        /// How many accounts.
        #[arg(long)]
        accounts: usize,
        /// The cache file to write.
        #[arg(long)]
        out: PathBuf,
        /// The probe file to write (JSON: the `home_account_id`s silent calls ask for).
        #[arg(long)]
        probes: PathBuf,
    },
    /// Silent acquisition served from a cache file (loaded once), median per call.
    Silent {
        /// The cache file.
        #[arg(long)]
        cache: PathBuf,
        /// The probe file written with it.
        #[arg(long)]
        probes: PathBuf,
        /// Timed calls.
        #[arg(long, default_value_t = 20_000)]
        calls: usize,
        /// Untimed calls first.
        #[arg(long, default_value_t = 2_000)]
        warmup: usize,
    },
    /// Listing every account of a cache file (loaded once), median per call.
    Accounts {
        /// The cache file.
        #[arg(long)]
        cache: PathBuf,
        /// The probe file written with it (it holds the number of accounts).
        #[arg(long)]
        probes: PathBuf,
        /// Timed calls.
        #[arg(long, default_value_t = 100)]
        calls: usize,
    },
    /// Cache serialize and deserialize of a cache file, median of several rounds.
    Serde {
        /// The cache file.
        #[arg(long)]
        cache: PathBuf,
        /// Timed rounds of each.
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// Username/password sign-in throughput against a running mock-idp.
    Signin {
        /// mock-idp's base URL (`https://localhost:PORT`).
        #[arg(long)]
        base_url: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// `entra-auth` (one application shared by every caller) or `reqwest-floor`.
        #[arg(long)]
        client: network::SigninClient,
        /// Concurrent callers.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Measured seconds.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Unmeasured seconds first.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
    },
    /// Direct password grants (no realm discovery), a fixed number, over N connections:
    /// at mock-idp, or with `--token-url` at another server (the same body).
    IdpLoad {
        /// The server's base URL (the grant is built for `{base_url}/organizations`).
        #[arg(long)]
        base_url: String,
        /// The CA certificate of the server's certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// Post the grant here instead of mock-idp's token endpoint.
        #[arg(long)]
        token_url: Option<String>,
        /// The server's name in the measurement line.
        #[arg(long, default_value = "mock-idp")]
        server: String,
        /// How many grants.
        #[arg(long, default_value_t = 50_000)]
        requests: usize,
        /// Connections, each with one grant in flight.
        #[arg(long, default_value_t = 16)]
        connections: usize,
    },
    /// RS256 signatures per second by ring, aws-lc-rs and OpenSSL on the same key and
    /// input (built with the `signers` feature only).
    #[cfg(feature = "signers")]
    Signers {
        /// Timed signatures of each signer, on one thread and then on each thread.
        #[arg(long, default_value_t = 2_000)]
        signs: usize,
        /// Threads signing at once in the second measurement (default: the cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Writes a CA and a server certificate for localhost (`ca.pem`, `cert.pem`,
    /// `key.pem`) for the server mock-idp is measured beside.
    PeerTls {
        /// The directory to write them into.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Concurrent silent calls after the access token expired: how many refresh
    /// requests reach mock-idp. Advances mock-idp's clock.
    RefreshStorm {
        /// mock-idp's base URL.
        #[arg(long)]
        base_url: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// Concurrent silent callers.
        #[arg(long, default_value_t = 100)]
        callers: usize,
    },
    /// Silent acquisition through a Redis store: N generated accounts written to Redis,
    /// then the front warm (hits served from memory after a generation check) and the
    /// front cold (every call reads the partition from Redis), median per call.
    RedisSilent {
        /// The Redis server (`redis://127.0.0.1:PORT`); keys go under a fresh prefix and
        /// are deleted at the end.
        #[arg(long)]
        redis: String,
        /// How many accounts to write to Redis.
        #[arg(long, default_value_t = 1)]
        accounts: usize,
        /// Timed calls, each side.
        #[arg(long, default_value_t = 20_000)]
        calls: usize,
        /// Untimed calls first, each side.
        #[arg(long, default_value_t = 2_000)]
        warmup: usize,
    },
    /// Concurrent silent calls after expiry from several processes sharing one cache
    /// (a file or a Redis server): how many refresh requests reach mock-idp. Starts
    /// `storm-worker` processes; advances mock-idp's clock.
    ProcessStorm {
        /// mock-idp's base URL.
        #[arg(long)]
        base_url: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// The cache the processes share.
        #[arg(long)]
        store: fleet::SharedStore,
        /// The Redis server, with `--store redis`.
        #[arg(long)]
        redis: Option<String>,
        /// Where the shared cache file goes, with `--store file` (it is removed after).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Worker processes.
        #[arg(long, default_value_t = 10)]
        processes: usize,
        /// Concurrent silent calls in each process.
        #[arg(long, default_value_t = 10)]
        calls: usize,
    },
    /// One process of `process-storm` (started by it; not for use by hand).
    StormWorker {
        /// The authority (`https://localhost:PORT/organizations`).
        #[arg(long)]
        authority: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// The shared cache file.
        #[arg(long, conflicts_with = "redis", required_unless_present = "redis")]
        file: Option<PathBuf>,
        /// The shared Redis server.
        #[arg(long)]
        redis: Option<String>,
        /// The Redis key prefix.
        #[arg(long, default_value = "entra-auth:")]
        key_prefix: String,
        /// The worker's clock at start (Unix seconds).
        #[arg(long)]
        now: u64,
        /// Concurrent silent calls once told to go.
        #[arg(long)]
        calls: usize,
    },
    /// Counts the requests mock-idp recorded, by endpoint; `--clear` empties the log.
    IdpRequests {
        /// mock-idp's base URL.
        #[arg(long)]
        base_url: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// Empty the log after counting.
        #[arg(long)]
        clear: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.scenario {
        Scenario::GenCache {
            accounts,
            out,
            probes,
        } => cache_gen::generate(accounts, &out, &probes),
        Scenario::Silent {
            cache,
            probes,
            calls,
            warmup,
        } => offline::silent(&cache, &probes, calls, warmup),
        Scenario::Accounts {
            cache,
            probes,
            calls,
        } => offline::accounts(&cache, &probes, calls),
        Scenario::Serde { cache, rounds } => offline::serde(&cache, rounds),
        Scenario::Signin {
            base_url,
            ca,
            client,
            concurrency,
            seconds,
            warmup,
        } => network::target(&base_url, &ca)
            .and_then(|target| network::signin(&target, client, concurrency, seconds, warmup)),
        Scenario::IdpLoad {
            base_url,
            ca,
            token_url,
            server,
            requests,
            connections,
        } => load::grant_load(
            &load::LoadTarget {
                base_url: &base_url,
                ca: &ca,
                token_url: token_url.as_deref(),
                server: &server,
            },
            requests,
            connections,
        ),
        Scenario::PeerTls { dir } => load::peer_tls(&dir),
        #[cfg(feature = "signers")]
        Scenario::Signers { signs, threads } => signers::signers(
            signs,
            threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        ),
        Scenario::RefreshStorm {
            base_url,
            ca,
            callers,
        } => network::target(&base_url, &ca)
            .and_then(|target| network::refresh_storm(&target, callers)),
        Scenario::RedisSilent {
            redis,
            accounts,
            calls,
            warmup,
        } => shared::redis_silent(&redis, accounts, calls, warmup),
        Scenario::ProcessStorm {
            base_url,
            ca,
            store,
            redis,
            dir,
            processes,
            calls,
        } => network::target(&base_url, &ca).and_then(|target| {
            fleet::process_storm(
                &target,
                &ca,
                store,
                redis.as_deref(),
                &dir,
                processes,
                calls,
            )
        }),
        Scenario::StormWorker {
            authority,
            ca,
            file,
            redis,
            key_prefix,
            now,
            calls,
        } => {
            let location = match (file, redis) {
                (Some(path), _) => Ok(fleet::Location::File(path)),
                (None, Some(url)) => Ok(fleet::Location::Redis {
                    url,
                    prefix: key_prefix,
                }),
                (None, None) => Err("--file or --redis is required".to_owned()),
            };
            location.and_then(|location| fleet::storm_worker(&authority, &ca, location, now, calls))
        }
        Scenario::IdpRequests {
            base_url,
            ca,
            clear,
        } => {
            network::target(&base_url, &ca).and_then(|target| network::idp_requests(&target, clear))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("entra-bench: {problem}");
            ExitCode::FAILURE
        }
    }
}
