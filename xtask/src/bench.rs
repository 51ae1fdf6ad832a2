//! `cargo xtask bench [--quick]`: entra-auth side by side with MSAL Python 1.39 and (for
//! the cache) MSAL Node 7, in one run on one machine.
//!
//! Steps: keep the MSAL Python virtualenv (`target/msal-venv`) and the MSAL Node install
//! of the `msal-node` check (`mock-idp/conformance/msal-node/node_modules`), build
//! `entra-bench` and `mock-idp` in release mode, then for every scenario run
//! `entra-bench`, `bench/python/msal_bench.py` and (cache scenarios)
//! `bench/node/msal_bench.mjs` with the same inputs (each prints one JSON line per
//! measurement), take medians and ratios, print the report and write it to
//! `docs/benchmarks.md` (its hand-written `## Notes` section is kept). mock-idp runs as
//! a separate process so its peak memory can be read from `/proc/<pid>/status`.
//!
//! Items 7 and 8 (the shared caches) start a `redis-server` of their own on a free
//! loopback port, without persistence, and stop it after; without `redis-server` only
//! their Redis rows are skipped, and the report says how to install it.
//!
//! `--quick` repeats nothing and makes fewer calls, so it ends within a few minutes after
//! building (MSAL Node and MSAL Python, which scan the cache, set the pace); it still
//! covers every item and every cache size.

mod measure;
mod offline;
mod online;
mod peer;
mod redis;
mod report;
mod shared;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use serde_json::Value;

use measure::measure;
use report::{Context, Results};

/// The cache sizes of items 1 and 6.
const SIZES: [usize; 4] = [1, 1_000, 10_000, 100_000];
/// The cache size of item 3.
const SERDE_ACCOUNTS: usize = 10_000;
/// The concurrent callers of item 2.
const CONCURRENCIES: [usize; 2] = [1, 16];
/// Item 4's connections, each with one grant in flight.
const IDP_CONNECTIONS: usize = 16;
/// Concurrent silent callers of item 5.
const STORM_CALLERS: usize = 100;
/// Accounts `gen-cache` names as probes (at most): MSAL Python's calls are a multiple.
const PROBES: usize = 64;

/// How much of everything one mode does.
struct Plan {
    mode: &'static str,
    /// Repetitions of each measurement (the median is reported).
    rounds: usize,
    /// Timed silent calls of entra-bench (after a tenth as many untimed ones).
    rust_silent_calls: usize,
    /// Timed silent calls of MSAL Python and MSAL Node per cache size (they scan: slow
    /// at 100k).
    python_silent_calls: fn(usize) -> usize,
    /// Timed account listings per cache size, each library.
    listing_calls: fn(usize) -> usize,
    /// Timed rounds of item 3, each library.
    serde_rounds: usize,
    /// Measured seconds of each sign-in run (after `signin_warmup`).
    signin_seconds: f64,
    signin_warmup: f64,
    /// Password grants of item 4, each server.
    idp_requests: usize,
    /// `openssl speed -seconds` for item 4's signing floor.
    floor_seconds: u32,
    /// Timed silent calls through Redis (item 7), each front, after a tenth as many
    /// untimed ones.
    redis_calls: usize,
}

impl Plan {
    fn quick() -> Plan {
        Plan {
            mode: "quick",
            rounds: 1,
            rust_silent_calls: 20_000,
            python_silent_calls: |accounts| match accounts {
                0..=1 => 2_000,
                2..=1_000 => 5 * PROBES,
                1_001..=10_000 => 2 * PROBES,
                _ => PROBES,
            },
            listing_calls: |accounts| match accounts {
                0..=1 => 1_000,
                2..=1_000 => 100,
                1_001..=10_000 => 10,
                _ => 3,
            },
            serde_rounds: 3,
            signin_seconds: 2.0,
            signin_warmup: 0.5,
            idp_requests: 3_000,
            floor_seconds: 1,
            redis_calls: 5_000,
        }
    }

    fn full() -> Plan {
        Plan {
            mode: "full",
            rounds: 3,
            rust_silent_calls: 200_000,
            python_silent_calls: |accounts| match accounts {
                0..=1 => 20_000,
                2..=1_000 => 40 * PROBES,
                1_001..=10_000 => 8 * PROBES,
                _ => 2 * PROBES,
            },
            listing_calls: |accounts| match accounts {
                0..=1 => 10_000,
                2..=1_000 => 1_000,
                1_001..=10_000 => 100,
                _ => 10,
            },
            serde_rounds: 10,
            signin_seconds: 8.0,
            signin_warmup: 2.0,
            idp_requests: 50_000,
            floor_seconds: 3,
            redis_calls: 20_000,
        }
    }
}

/// The programs measured and where they work.
struct Tools {
    entra_bench: PathBuf,
    python: PathBuf,
    script: PathBuf,
    /// The MSAL Node script and the `node_modules` it loads MSAL Node from, or why MSAL
    /// Node cannot run.
    node: Result<(PathBuf, PathBuf), String>,
    work: PathBuf,
}

impl Tools {
    fn rust(&self, args: &[String]) -> Result<Vec<Value>, String> {
        measure(Command::new(&self.entra_bench).args(args), "entra-bench")
    }

    fn python(&self, args: &[String]) -> Result<Vec<Value>, String> {
        measure(
            Command::new(&self.python).arg(&self.script).args(args),
            "msal_bench.py",
        )
    }

    fn node(&self, args: &[String]) -> Result<Vec<Value>, String> {
        let (script, modules) = self.node.as_ref().map_err(Clone::clone)?;
        measure(
            Command::new("node")
                .arg(script)
                .args(args)
                .arg("--modules")
                .arg(modules),
            "msal_bench.mjs",
        )
    }

    fn file(&self, name: &str) -> String {
        self.work.join(name).display().to_string()
    }
}

/// `cargo xtask bench [--quick]` (the arguments are checked in `args`).
pub(crate) fn run(root: &Path, quick: bool) -> ExitCode {
    let plan = if quick { Plan::quick() } else { Plan::full() };
    match bench(root, &plan) {
        Ok(results) if results.problems.is_empty() => ExitCode::SUCCESS,
        Ok(results) => {
            eprintln!(
                "bench: {} problem(s), listed in the report",
                results.problems.len()
            );
            ExitCode::FAILURE
        }
        Err(problem) => {
            eprintln!("bench: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn bench(root: &Path, plan: &Plan) -> Result<Results, String> {
    let python = crate::conformance::msal_venv(root)?;
    let node = crate::conformance_node::installed_modules(root);
    crate::checks::cargo(
        root,
        &[
            "build",
            "--release",
            "--package",
            "entra-bench",
            "--package",
            "mock-idp",
        ],
        &[],
    )?;
    let release = crate::mock_idp::target_dir(root).join("release");
    let exe = |name: &str| release.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let work = root.join("target").join("bench");
    fs::create_dir_all(&work).map_err(|err| format!("cannot create {}: {err}", work.display()))?;
    let tools = Tools {
        entra_bench: exe("entra-bench"),
        python,
        script: root.join("bench").join("python").join("msal_bench.py"),
        node: node.as_ref().map_err(Clone::clone).map(|(modules, _)| {
            (
                root.join("bench").join("node").join("msal_bench.mjs"),
                modules.clone(),
            )
        }),
        work,
    };

    let started = Instant::now();
    println!("bench: {} mode, measuring", plan.mode);
    let mut results = Results::default();
    offline::offline(&tools, plan, &mut results);
    // Items 7 and 8 run their Redis rows against a server of their own; without
    // redis-server, only those rows are skipped, and the report says why.
    let redis = redis::RedisProcess::start(&tools.work);
    let redis_url = match &redis {
        Ok(server) => Some(server.url()),
        Err(problem) => {
            println!("bench: the Redis rows are skipped: {problem}");
            results
                .skipped
                .push(format!("the Redis rows of items 7 and 8: {problem}"));
            None
        }
    };
    shared::redis_silent(&tools, plan, redis_url.as_deref(), &mut results);
    online::online(
        &tools,
        &exe("mock-idp"),
        plan,
        redis_url.as_deref(),
        &mut results,
    )?;
    drop(redis);
    // Item 4's peer, under the same load as mock-idp's run, and the signing floor.
    online::peer(root, &tools, plan, &mut results);

    let node = node.map_or_else(
        |problem| format!("MSAL Node not run ({problem})"),
        |(_, version)| version,
    );
    let context = context(&tools.python, node, plan);
    let path = root.join("docs").join("benchmarks.md");
    let notes = fs::read_to_string(&path)
        .ok()
        .and_then(|existing| report::kept_notes(&existing).map(str::to_owned))
        .unwrap_or_else(report::default_notes);
    println!();
    println!("{}", report::render(&context, &results, ""));
    fs::write(&path, report::render(&context, &results, &notes))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    println!(
        "bench: measured in {:.0} s; wrote {}",
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(results)
}

/// The machine, the date and the MSAL Python and MSAL Node in use.
fn context(python: &Path, node: String, plan: &Plan) -> Context {
    let cpu = fs::read_to_string("/proc/cpuinfo").ok().and_then(|info| {
        info.lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, model)| model.trim().to_owned())
    });
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|release| format!(" {}", release.trim()))
        .unwrap_or_default();
    let python = Command::new(python)
        .args([
            "-c",
            "import sys, msal; print('Python %s, MSAL Python %s' \
             % (sys.version.split()[0], msal.__version__))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "MSAL Python (version unknown)".to_owned());
    Context {
        mode: plan.mode,
        date: time::OffsetDateTime::now_utc().date().to_string(),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        cpu,
        os: format!("{}{kernel}", std::env::consts::OS),
        python,
        node,
        rounds: plan.rounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msal_python_calls_cover_every_probe_evenly() {
        for plan in [Plan::quick(), Plan::full()] {
            for accounts in &SIZES[1..] {
                assert_eq!((plan.python_silent_calls)(*accounts) % PROBES, 0);
            }
        }
    }
}
