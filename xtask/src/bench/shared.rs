//! Items 7 and 8 of `cargo xtask bench`: a silent hit through a Redis store (front warm
//! and cold), and the refresh storm across processes sharing one `FileStore` file or one
//! Redis. The Redis rows run against the `redis-server` started for the run; without
//! one they are skipped and the report says why.

use super::measure::{one, strings};
use super::report::{self, ProcessStorm, RedisSilent, Results};
use super::{Plan, Tools};

/// The accounts written to Redis for item 7.
const REDIS_SIZES: [usize; 2] = [1, 1_000];
/// Item 8's shapes: worker processes x concurrent calls in each (100 calls in all).
const PROCESS_SHAPES: [(usize, usize); 2] = [(10, 10), (100, 1)];

/// Item 7, against the Redis server at `redis` (nothing without one).
pub(super) fn redis_silent(tools: &Tools, plan: &Plan, redis: Option<&str>, results: &mut Results) {
    let Some(url) = redis else {
        return;
    };
    let calls = plan.redis_calls.to_string();
    let warmup = (plan.redis_calls / 10).to_string();
    for accounts in REDIS_SIZES {
        let (mut warm, mut cold) = (Vec::new(), Vec::new());
        for _ in 0..plan.rounds {
            let args = strings(&[
                "redis-silent",
                "--redis",
                url,
                "--accounts",
                &accounts.to_string(),
                "--calls",
                &calls,
                "--warmup",
                &warmup,
            ]);
            let lines = match tools.rust(&args) {
                Ok(lines) => lines,
                Err(problem) => {
                    results.problems.push(format!("redis-silent: {problem}"));
                    continue;
                }
            };
            for line in lines.iter().filter(|l| l["scenario"] == "redis_silent") {
                let (Some(median), Some(reads), Some(timed)) = (
                    line["median_ns"].as_f64(),
                    line["store_reads"].as_u64(),
                    line["calls"].as_u64(),
                ) else {
                    results
                        .problems
                        .push(format!("redis-silent printed an incomplete line: {line}"));
                    continue;
                };
                // What each side claims to measure, checked: the warm front never
                // reads Redis in the timed calls, the cold one reads it on every call.
                let (samples, expected) = match line["front"].as_str() {
                    Some("warm") => (&mut warm, 0),
                    Some("cold") => (&mut cold, timed),
                    _ => continue,
                };
                if reads != expected {
                    results.problems.push(format!(
                        "redis-silent at {accounts} account(s), front {}: {reads} Redis \
                         reads in {timed} timed calls, {expected} expected",
                        line["front"]
                    ));
                }
                samples.push(median);
            }
        }
        let row = RedisSilent {
            accounts,
            warm_ns: report::median(&warm),
            cold_ns: report::median(&cold),
        };
        println!(
            "bench: silent through Redis, {} account(s): front warm {}, front cold {}",
            report::count(accounts),
            report::duration(row.warm_ns),
            report::duration(row.cold_ns)
        );
        results.redis_silent.push(row);
    }
}

/// Item 8, against the mock-idp at `base_url` (CA file `ca`): through a shared file,
/// and through the Redis server at `redis` when there is one.
pub(super) fn process_storms(
    tools: &Tools,
    base_url: &str,
    ca: &str,
    plan: &Plan,
    redis: Option<&str>,
    results: &mut Results,
) {
    let dir = tools.work.display().to_string();
    for store in ["file", "redis"] {
        let mut args = strings(&[
            "process-storm",
            "--base-url",
            base_url,
            "--ca",
            ca,
            "--store",
            store,
            "--dir",
            &dir,
        ]);
        if store == "redis" {
            let Some(url) = redis else {
                continue;
            };
            args.extend(strings(&["--redis", url]));
        }
        for (processes, calls) in PROCESS_SHAPES {
            let mut row = ProcessStorm {
                store,
                processes,
                calls_per_process: calls,
                refresh_requests: Vec::new(),
                ok: 0,
                failed: 0,
                wall_ms: Vec::new(),
            };
            for _ in 0..plan.rounds {
                let mut args = args.clone();
                args.extend(strings(&[
                    "--processes",
                    &processes.to_string(),
                    "--calls",
                    &calls.to_string(),
                ]));
                match tools
                    .rust(&args)
                    .and_then(|lines| one(lines, "process_storm"))
                {
                    Ok(line) => {
                        let number = |name: &str| line[name].as_u64().unwrap_or_default();
                        row.refresh_requests.push(number("refresh_requests"));
                        row.ok += number("ok");
                        row.failed += number("failed");
                        row.wall_ms
                            .push(line["wall_ms"].as_f64().unwrap_or(f64::NAN));
                        if let Some(first) = line["first_error"].as_str() {
                            results.problems.push(format!(
                                "refresh storm across processes ({store}, {processes} x \
                                 {calls}): {} call(s) failed: {first}",
                                number("failed")
                            ));
                        }
                    }
                    Err(problem) => results.problems.push(format!(
                        "process-storm ({store}, {processes} x {calls}): {problem}"
                    )),
                }
            }
            println!(
                "bench: refresh storm across {processes} processes x {calls} call(s) through \
                 one {store}: {:?} refresh request(s) at mock-idp",
                row.refresh_requests
            );
            if !row.refresh_requests.is_empty() {
                results.process_storms.push(row);
            }
        }
    }
}
