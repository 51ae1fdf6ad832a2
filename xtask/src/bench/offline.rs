//! Items 1 and 3 of `cargo xtask bench`: the silent call against caches of each size and
//! the cache's (de)serialisation, both libraries on the same generated files. No server.

use std::fs;

use serde_json::Value;

use super::measure::{field, keep, strings};
use super::report::{self, Results, Serde, Silent};
use super::{Plan, SERDE_ACCOUNTS, SIZES, Tools};

/// Items 1 and 3: one generated cache per size, both libraries on the same file.
pub(super) fn offline(tools: &Tools, plan: &Plan, results: &mut Results) {
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
