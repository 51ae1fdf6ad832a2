//! `cargo xtask bench [--quick]`: entra-auth side by side with MSAL Python 1.39, in one
//! run on one machine (issue 9).
//!
//! Steps: keep the MSAL Python virtualenv (`target/msal-venv`), build `entra-bench` and
//! `mock-idp` in release mode, then for every scenario run `entra-bench` and
//! `bench/python/msal_bench.py` with the same inputs (each prints one JSON line per
//! measurement), take medians and ratios, print the report and write it to
//! `docs/benchmarks.md` (its hand-written `## Notes` section is kept). mock-idp runs as
//! a separate process so its peak memory can be read from `/proc/<pid>/status`.
//!
//! `--quick` repeats nothing and makes fewer calls, so it ends within two minutes after
//! building; it still covers every item and every cache size.

mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::conformance::{MockIdpProcess, STARTUP_TIMEOUT};
use report::{Context, IdpLoad, Results, Serde, Signin, Silent, Storm};

/// The cache sizes of item 1.
const SIZES: [usize; 4] = [1, 1_000, 10_000, 100_000];
/// The cache size of item 3.
const SERDE_ACCOUNTS: usize = 10_000;
/// The concurrent callers of item 2.
const CONCURRENCIES: [usize; 2] = [1, 16];
/// In-flight grants of item 4.
const IDP_CONCURRENCY: usize = 16;
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
    /// Timed silent calls of MSAL Python per cache size (it scans: slow at 100k).
    python_silent_calls: fn(usize) -> usize,
    /// Timed rounds of item 3, each library.
    serde_rounds: usize,
    /// Measured seconds of each sign-in run (after `signin_warmup`).
    signin_seconds: f64,
    signin_warmup: f64,
    /// Password grants of item 4.
    idp_requests: usize,
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
            serde_rounds: 3,
            signin_seconds: 2.0,
            signin_warmup: 0.5,
            idp_requests: 10_000,
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
            serde_rounds: 10,
            signin_seconds: 8.0,
            signin_warmup: 2.0,
            idp_requests: 50_000,
        }
    }
}

/// The two programs measured and where they work.
struct Tools {
    entra_bench: PathBuf,
    python: PathBuf,
    script: PathBuf,
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
    let release = crate::conformance::target_dir(root).join("release");
    let exe = |name: &str| release.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let work = root.join("target").join("bench");
    fs::create_dir_all(&work).map_err(|err| format!("cannot create {}: {err}", work.display()))?;
    let tools = Tools {
        entra_bench: exe("entra-bench"),
        python,
        script: root.join("bench").join("python").join("msal_bench.py"),
        work,
    };

    let started = Instant::now();
    println!("bench: {} mode, measuring", plan.mode);
    let mut results = Results::default();
    offline(&tools, plan, &mut results);
    online(&tools, &exe("mock-idp"), plan, &mut results)?;

    let context = context(&tools.python, plan);
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

/// Items 1 and 3: one generated cache per size, both libraries on the same file.
fn offline(tools: &Tools, plan: &Plan, results: &mut Results) {
    for accounts in SIZES {
        let cache = tools.file(&format!("cache-{accounts}.json"));
        let probes = tools.file(&format!("probes-{accounts}.json"));
        let generated = tools.rust(&strings(&[
            "gen-cache",
            "--accounts",
            &accounts.to_string(),
            "--out",
            &cache,
            "--probes",
            &probes,
        ]));
        if let Err(problem) = generated {
            results
                .problems
                .push(format!("cache of {accounts} accounts: {problem}"));
            continue;
        }
        let rust_calls = plan.rust_silent_calls;
        let python_calls = (plan.python_silent_calls)(accounts);
        let (mut entra, mut msal) = (Vec::new(), Vec::new());
        for _ in 0..plan.rounds {
            let measured = tools.rust(&strings(&[
                "silent",
                "--cache",
                &cache,
                "--probes",
                &probes,
                "--calls",
                &rust_calls.to_string(),
                "--warmup",
                &(rust_calls / 10).to_string(),
            ]));
            keep(&mut entra, field(measured, "silent", "median_ns"), results);
            let measured = tools.python(&strings(&[
                "silent",
                "--cache",
                &cache,
                "--probes",
                &probes,
                "--calls",
                &python_calls.to_string(),
                "--warmup",
                &(python_calls / 10).max(1).to_string(),
            ]));
            keep(&mut msal, field(measured, "silent", "median_ns"), results);
        }
        let row = Silent {
            accounts,
            entra_ns: report::median(&entra),
            msal_ns: report::median(&msal),
        };
        println!(
            "bench: silent, {} accounts: entra-auth {}, MSAL Python {}",
            report::count(accounts),
            report::duration(row.entra_ns),
            report::duration(row.msal_ns)
        );
        results.silent.push(row);
        if accounts == SERDE_ACCOUNTS {
            serde(tools, plan, &cache, results);
        }
        // The largest file is 600 MB: keep target/ small.
        let _ = fs::remove_file(&cache);
    }
}

/// Item 3 on one cache file.
fn serde(tools: &Tools, plan: &Plan, cache: &str, results: &mut Results) {
    let args = strings(&[
        "serde",
        "--cache",
        cache,
        "--rounds",
        &plan.serde_rounds.to_string(),
    ]);
    let rust = tools.rust(&args).unwrap_or_else(|problem| {
        results
            .problems
            .push(format!("entra-bench serde: {problem}"));
        Vec::new()
    });
    let python = tools.python(&args).unwrap_or_else(|problem| {
        results
            .problems
            .push(format!("msal_bench.py serde: {problem}"));
        Vec::new()
    });
    for operation in ["deserialize", "serialize"] {
        let find = |lines: &[Value], name: &str| {
            lines
                .iter()
                .find(|line| line["scenario"] == operation)
                .and_then(|line| line[name].as_f64())
        };
        let row = Serde {
            operation,
            accounts: SERDE_ACCOUNTS,
            bytes: find(&rust, "bytes").unwrap_or_default() as u64,
            entra_ns: find(&rust, "median_ns"),
            msal_ns: find(&python, "median_ns"),
        };
        println!(
            "bench: {operation}, {} accounts: entra-auth {}, MSAL Python {}",
            report::count(SERDE_ACCOUNTS),
            report::duration(row.entra_ns),
            report::duration(row.msal_ns)
        );
        results.serde.push(row);
    }
}

/// Items 2, 4 and 5, against one mock-idp process started here.
fn online(
    tools: &Tools,
    mock_idp: &Path,
    plan: &Plan,
    results: &mut Results,
) -> Result<(), String> {
    let log = tools.work.join("mock-idp.log");
    let mut server = MockIdpProcess::start(mock_idp, &tools.work.join("ca.pem"), &log)?;
    let (base_url, ca) = server
        .wait_for_address(STARTUP_TIMEOUT)
        .map_err(|problem| format!("{problem} (its log: {})", log.display()))?;
    let ca = ca.display().to_string();
    let at = |scenario: &str, rest: &[&str]| {
        let mut args = strings(&[scenario, "--base-url", &base_url, "--ca", &ca]);
        args.extend(strings(rest));
        args
    };

    // Item 4 first, on the fresh process, so its peak memory is its own.
    let hwm_idle_kib = peak_memory_kib(server.id());
    let load = tools.rust(&at(
        "idp-load",
        &[
            "--requests",
            &plan.idp_requests.to_string(),
            "--concurrency",
            &IDP_CONCURRENCY.to_string(),
        ],
    ));
    let hwm_after_kib = peak_memory_kib(server.id());
    match load.and_then(|lines| one(lines, "idp_password_grant")) {
        Ok(line) => {
            let idp = IdpLoad {
                requests: plan.idp_requests,
                concurrency: IDP_CONCURRENCY,
                tokens_per_sec: line["tokens_per_sec"].as_f64().unwrap_or_default(),
                errors: line["errors"].as_u64().unwrap_or_default(),
                hwm_idle_kib,
                hwm_after_kib,
            };
            println!(
                "bench: mock-idp, {} password grants: {}, peak memory {}",
                report::count(idp.requests),
                report::rate(Some(idp.tokens_per_sec)),
                report::mebibytes(idp.hwm_after_kib)
            );
            if idp.errors > 0 {
                results.problems.push(format!(
                    "{} of mock-idp's password grants failed",
                    idp.errors
                ));
            }
            results.idp = Some(idp);
        }
        Err(problem) => results.problems.push(format!("idp-load: {problem}")),
    }
    // The request log of item 4 is not needed any more.
    if let Err(problem) = tools.rust(&at("idp-requests", &["--clear"])) {
        results.problems.push(format!("idp-requests: {problem}"));
    }

    // Item 2.
    let seconds = plan.signin_seconds.to_string();
    let warmup = plan.signin_warmup.to_string();
    for concurrency in CONCURRENCIES {
        let callers = concurrency.to_string();
        let timing = [
            "--concurrency",
            callers.as_str(),
            "--seconds",
            &seconds,
            "--warmup",
            &warmup,
        ];
        let mut runs: [Vec<SigninRun>; 3] = Default::default();
        for _ in 0..plan.rounds {
            for (index, client) in ["entra-auth", "MSAL Python", "reqwest-floor"]
                .into_iter()
                .enumerate()
            {
                let server_before = cpu_seconds(server.id());
                let outcome = if client == "MSAL Python" {
                    tools.python(&at("signin", &timing))
                } else {
                    let mut args = at("signin", &["--client", client]);
                    args.extend(strings(&timing));
                    tools.rust(&args)
                };
                let server_cpu = server_before
                    .zip(cpu_seconds(server.id()))
                    .map(|(before, after)| after - before);
                match signin_run(outcome, server_cpu) {
                    Ok(run) => runs[index].push(run),
                    Err(problem) => results.problems.push(problem),
                }
            }
            let _ = tools.rust(&at("idp-requests", &["--clear"]));
        }
        let [entra, msal, floor] = &runs;
        let rate = |runs: &[SigninRun]| {
            report::median(&runs.iter().map(|r| r.per_sec).collect::<Vec<_>>())
        };
        let cpu = |runs: &[SigninRun], of: fn(&SigninRun) -> Option<f64>| {
            report::median(&runs.iter().filter_map(of).collect::<Vec<_>>())
        };
        let row = Signin {
            concurrency,
            entra: rate(entra),
            msal: rate(msal),
            floor: rate(floor),
            entra_cpu_us: cpu(entra, |r| r.client_cpu_us),
            msal_cpu_us: cpu(msal, |r| r.client_cpu_us),
            floor_cpu_us: cpu(floor, |r| r.client_cpu_us),
            server_cpu_us: cpu(entra, |r| r.server_cpu_us),
        };
        println!(
            "bench: sign-in, {concurrency} caller(s): entra-auth {}, MSAL Python {}, floor {}",
            report::rate(row.entra),
            report::rate(row.msal),
            report::rate(row.floor)
        );
        results.signin.push(row);
    }

    // Item 5.
    for _ in 0..plan.rounds {
        let storm = tools
            .rust(&at(
                "refresh-storm",
                &["--callers", &STORM_CALLERS.to_string()],
            ))
            .and_then(|lines| one(lines, "refresh_storm"));
        match storm {
            Ok(line) => {
                let number = |name: &str| line[name].as_u64().unwrap_or_default();
                let storm = Storm {
                    callers: STORM_CALLERS,
                    token_requests: number("token_requests"),
                    from_idp: number("from_idp"),
                    from_cache: number("from_cache"),
                    errors: number("errors"),
                };
                println!(
                    "bench: refresh storm, {} callers: {} refresh request(s) at mock-idp",
                    storm.callers, storm.token_requests
                );
                if let Some(first) = line["first_error"].as_str() {
                    results
                        .problems
                        .push(format!("refresh storm: {} error(s): {first}", storm.errors));
                }
                results.storms.push(storm);
            }
            Err(problem) => results.problems.push(format!("refresh-storm: {problem}")),
        }
    }
    drop(server);
    Ok(())
}

/// Runs one measuring program; its stdout JSON lines (stderr passes through).
fn measure(command: &mut Command, name: &str) -> Result<Vec<Value>, String> {
    let out = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start {name}: {err}"))?;
    if !out.status.success() {
        return Err(format!("{name} failed ({})", out.status));
    }
    parse_lines(&String::from_utf8_lossy(&out.stdout))
        .map_err(|problem| format!("{name}: {problem}"))
}

/// The JSON objects of a measuring program's stdout, one per line.
fn parse_lines(stdout: &str) -> Result<Vec<Value>, String> {
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| format!("not a JSON measurement: {line:?}"))
        })
        .collect()
}

/// The only measurement of `scenario`.
fn one(lines: Vec<Value>, scenario: &str) -> Result<Value, String> {
    lines
        .into_iter()
        .find(|line| line["scenario"] == scenario)
        .ok_or_else(|| format!("no `{scenario}` measurement printed"))
}

/// A number field of the measurement of `scenario`.
fn field(lines: Result<Vec<Value>, String>, scenario: &str, name: &str) -> Result<f64, String> {
    let line = one(lines?, scenario)?;
    line[name]
        .as_f64()
        .ok_or_else(|| format!("`{scenario}` has no number `{name}`"))
}

/// One sign-in run of one client.
#[derive(Debug, PartialEq)]
struct SigninRun {
    per_sec: f64,
    /// The client process's CPU time per sign-in, warm-up included (µs).
    client_cpu_us: Option<f64>,
    /// mock-idp's CPU time per sign-in over the same run (µs).
    server_cpu_us: Option<f64>,
}

/// A sign-in run's numbers, refusing a run where any sign-in failed. `server_cpu` is
/// the CPU time mock-idp spent over the run, in seconds.
fn signin_run(
    lines: Result<Vec<Value>, String>,
    server_cpu: Option<f64>,
) -> Result<SigninRun, String> {
    let line = one(lines?, "signin")?;
    let errors = line["errors"].as_u64().unwrap_or_default();
    if errors > 0 {
        return Err(format!(
            "{} sign-in(s) of {} failed: {}",
            errors,
            line["library"].as_str().unwrap_or("?"),
            line["first_error"].as_str().unwrap_or("?")
        ));
    }
    let per_sec = line["tokens_per_sec"]
        .as_f64()
        .ok_or_else(|| "`signin` has no `tokens_per_sec`".to_owned())?;
    let all = line["all_tokens"].as_f64().filter(|all| *all > 0.0);
    let per_signin = |cpu: Option<f64>| Some(cpu? * 1e6 / all?);
    Ok(SigninRun {
        per_sec,
        client_cpu_us: per_signin(line["cpu_seconds"].as_f64()),
        server_cpu_us: per_signin(server_cpu),
    })
}

/// Adds a value to its samples, or the problem to the report.
fn keep(samples: &mut Vec<f64>, value: Result<f64, String>, results: &mut Results) {
    match value {
        Ok(value) => samples.push(value),
        Err(problem) => results.problems.push(problem),
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// CPU time (user + system) a process has used, in seconds (Linux; `None` elsewhere).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_seconds(&stat)
}

/// `utime + stime` of a `/proc/<pid>/stat` line, in seconds (USER_HZ is 100 on Linux).
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    // After the parenthesized command name: state first, utime 12th, stime 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// `VmHWM` of a process in KiB (Linux; `None` elsewhere).
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    vm_hwm_kib(&status)
}

/// `VmHWM:   141732 kB` from `/proc/<pid>/status`.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
}

/// The machine, the date and the MSAL Python in use.
fn context(python: &Path, plan: &Plan) -> Context {
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
        rounds: plan.rounds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_peak_memory_from_proc_status() {
        let status =
            "Name:\tmock-idp\nVmPeak:\t  300000 kB\nVmHWM:\t  141732 kB\nVmRSS:\t 72428 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(141_732));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn measurements_are_one_json_object_a_line() {
        let lines = parse_lines("{\"scenario\":\"silent\",\"median_ns\":3565}\n\n").unwrap();
        assert_eq!(
            field(Ok(lines), "silent", "median_ns"),
            Ok(3565.0),
            "the median of the silent line"
        );
        assert!(parse_lines("Compiling entra-bench\n").is_err());
        assert!(field(Ok(Vec::new()), "silent", "median_ns").is_err());
    }

    #[test]
    fn a_sign_in_run_with_failures_is_refused() {
        let failed = parse_lines(
            "{\"scenario\":\"signin\",\"library\":\"entra-auth\",\"errors\":2,\
             \"first_error\":\"boom\",\"tokens_per_sec\":10.0}",
        );
        assert_eq!(
            signin_run(failed, None),
            Err("2 sign-in(s) of entra-auth failed: boom".to_owned())
        );
    }

    #[test]
    fn cpu_per_sign_in_counts_warm_up_sign_ins_too() {
        let fine = parse_lines(
            "{\"scenario\":\"signin\",\"errors\":0,\"tokens_per_sec\":738.5,\
             \"all_tokens\":1000,\"cpu_seconds\":0.5}",
        );
        assert_eq!(
            signin_run(fine, Some(1.0)),
            Ok(SigninRun {
                per_sec: 738.5,
                client_cpu_us: Some(500.0),
                server_cpu_us: Some(1000.0),
            })
        );
        let no_cpu = parse_lines("{\"scenario\":\"signin\",\"tokens_per_sec\":2.0}");
        assert_eq!(signin_run(no_cpu, None).map(|r| r.client_cpu_us), Ok(None));
    }

    #[test]
    fn cpu_time_is_utime_plus_stime_in_hundredths() {
        let stat = "77 (mock-idp) S 1 77 77 0 -1 4194304 900 0 0 0 150 25 0 0 20 0 3";
        assert_eq!(stat_cpu_seconds(stat), Some(1.75));
        assert_eq!(stat_cpu_seconds("77 (x) S"), None);
    }

    #[test]
    fn msal_python_calls_cover_every_probe_evenly() {
        for plan in [Plan::quick(), Plan::full()] {
            for accounts in &SIZES[1..] {
                assert_eq!((plan.python_silent_calls)(*accounts) % PROBES, 0);
            }
        }
    }
}
