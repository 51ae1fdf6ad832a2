//! Items 2, 4, 5 and 8 of `cargo xtask bench`: sign-ins, mock-idp under load and the
//! silent storms (in one process, and across processes), against one mock-idp process
//! started here.

use std::path::Path;

use serde_json::Value;

use super::measure::{cpu_seconds, one, peak_memory_kib, strings};
use super::report::{self, IdpLoad, Results, Signin, Storm};
use super::{CONCURRENCIES, IDP_CONCURRENCY, Plan, STORM_CALLERS, Tools};
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

    // Item 8.
    super::shared::process_storms(tools, &base_url, &ca, plan, redis, results);
    drop(server);
    Ok(())
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
