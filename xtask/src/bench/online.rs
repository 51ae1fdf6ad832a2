//! Items 2, 4, 5 and 8 of `cargo xtask bench`: sign-ins, mock-idp under load (and its
//! peer, oauth2-mock-server, under the same load) and the silent storms (in one process,
//! and across processes), against one mock-idp process started here.

use std::path::Path;

use serde_json::Value;

use super::measure::{cpu_seconds, one, peak_memory_kib, strings};
use super::peer::{PeerProcess, openssl_rsa2048_signs_per_sec};
use super::report::{self, IdpLoad, Results, Signin, SigningFloor, Storm};
use super::{CONCURRENCIES, IDP_CONNECTIONS, Plan, STORM_CALLERS, Tools};
use crate::mock_idp::{MockIdpProcess, STARTUP_TIMEOUT};

/// Items 2, 4, 5 and 8, against one mock-idp process started here (item 8's Redis
/// rows through the server at `redis`, when there is one).
pub(super) fn online(
    tools: &Tools,
    mock_idp: &Path,
    plan: &Plan,
    redis: Option<&str>,
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
    let args = at(
        "idp-load",
        &[
            "--requests",
            &plan.idp_requests.to_string(),
            "--connections",
            &IDP_CONNECTIONS.to_string(),
        ],
    );
    match grant_load(tools, &args, server.id(), "mock-idp") {
        Ok(idp) => {
            report_load(&idp, results);
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

    // Item 8.
    super::shared::process_storms(tools, &base_url, &ca, plan, redis, results);
    drop(server);
    Ok(())
}

/// Item 4's peer, `oauth2-mock-server`, under the same load as mock-idp; then the
/// machine's signing floor.
pub(super) fn peer(root: &Path, tools: &Tools, plan: &Plan, results: &mut Results) {
    match PeerProcess::start(root, tools) {
        Ok(peer) => {
            let ca = peer.ca.display().to_string();
            let args = strings(&[
                "idp-load",
                "--base-url",
                &peer.base_url,
                "--ca",
                &ca,
                "--token-url",
                &peer.token_url(),
                "--server",
                &peer.name,
                "--requests",
                &plan.idp_requests.to_string(),
                "--connections",
                &IDP_CONNECTIONS.to_string(),
            ]);
            match grant_load(tools, &args, peer.id(), &peer.name) {
                Ok(load) => {
                    report_load(&load, results);
                    results.peer = Some(load);
                }
                Err(problem) => results.problems.push(format!("{}: {problem}", peer.name)),
            }
        }
        Err(problem) => {
            println!("bench: oauth2-mock-server is skipped: {problem}");
            results.skipped.push(format!(
                "oauth2-mock-server beside mock-idp (item 4): {problem}"
            ));
        }
    }
    match openssl_rsa2048_signs_per_sec(plan.floor_seconds) {
        Ok(signs) => {
            let floor = SigningFloor {
                signs_per_sec_one_core: signs,
                cores: std::thread::available_parallelism().map_or(1, usize::from),
            };
            println!(
                "bench: signing floor: {} RSA 2048 signatures a second on one core, {} grants a second on {} cores",
                report::significant(signs),
                report::significant(floor.grants_per_sec()),
                floor.cores
            );
            results.signing_floor = Some(floor);
        }
        Err(problem) => results
            .skipped
            .push(format!("the signing floor (item 4): {problem}")),
    }
}

/// One `idp-load` run at the server with process id `pid`, its peak memory read before
/// and after.
fn grant_load(tools: &Tools, args: &[String], pid: u32, server: &str) -> Result<IdpLoad, String> {
    let hwm_idle_kib = peak_memory_kib(pid);
    let line = one(tools.rust(args)?, "grant_load")?;
    let hwm_after_kib = peak_memory_kib(pid);
    let number = |name: &str| line[name].as_f64();
    Ok(IdpLoad {
        server: server.to_owned(),
        requests: line["requests"].as_u64().unwrap_or_default() as usize,
        connections: line["connections"].as_u64().unwrap_or_default() as usize,
        grants_per_sec: number("grants_per_sec").unwrap_or_default(),
        p50_us: number("p50_us"),
        p99_us: number("p99_us"),
        errors: line["errors"].as_u64().unwrap_or_default(),
        hwm_idle_kib,
        hwm_after_kib,
    })
}

/// Prints one server's load line; a run with errors is a problem of the run.
fn report_load(load: &IdpLoad, results: &mut Results) {
    println!(
        "bench: {}, {} password grants: {}, p50 {}, p99 {}, peak memory {}",
        load.server,
        report::count(load.requests),
        report::rate(Some(load.grants_per_sec)),
        report::duration(load.p50_us.map(|us| us * 1e3)),
        report::duration(load.p99_us.map(|us| us * 1e3)),
        report::mebibytes(load.hwm_after_kib)
    );
    if load.errors > 0 {
        results.problems.push(format!(
            "{} of {}'s password grants failed",
            load.errors, load.server
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::measure::parse_lines;

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
}
