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
mod network;
mod offline;
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
    /// Direct password grants at mock-idp (no realm discovery), a fixed number.
    IdpLoad {
        /// mock-idp's base URL.
        #[arg(long)]
        base_url: String,
        /// mock-idp's CA certificate (PEM file).
        #[arg(long)]
        ca: PathBuf,
        /// How many grants.
        #[arg(long, default_value_t = 50_000)]
        requests: usize,
        /// Grants in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
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
            requests,
            concurrency,
        } => network::target(&base_url, &ca)
            .and_then(|target| network::idp_load(&target, requests, concurrency)),
        Scenario::RefreshStorm {
            base_url,
            ca,
            callers,
        } => network::target(&base_url, &ca)
            .and_then(|target| network::refresh_storm(&target, callers)),
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
