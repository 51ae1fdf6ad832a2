//! Items 1, 3 and 6 of `cargo xtask bench`: the silent call and account listing against
//! caches of each size, peak memory with the largest loaded, and the cache's
//! (de)serialisation; entra-auth, MSAL Python and MSAL Node on the same generated files.
//! No server.

use std::fs;

use serde_json::Value;

use super::measure::{field, keep, strings};
use super::report::{self, Listing, Peak, Results, Serde, Silent};
use super::{Plan, SERDE_ACCOUNTS, SIZES, Tools};

/// The three libraries, as the measuring programs name themselves.
#[derive(Clone, Copy)]
enum Library {
    Entra,
    Python,
    Node,
}

impl Library {
    const ALL: [Library; 3] = [Library::Entra, Library::Python, Library::Node];

    fn run(self, tools: &Tools, args: &[String]) -> Result<Vec<Value>, String> {
        match self {
            Library::Entra => tools.rust(args),
            Library::Python => tools.python(args),
            Library::Node => tools.node(args),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Library::Entra => "entra-auth",
            Library::Python => "MSAL Python",
            Library::Node => "MSAL Node",
        }
    }
}

/// Samples of one measurement, per library.
#[derive(Default)]
struct Columns {
    values: [Vec<f64>; 3],
}

impl Columns {
    fn median(&self, library: Library) -> Option<f64> {
        report::median(&self.values[library as usize])
    }
}

/// Keeps the number `name` of the `scenario` line a library printed (a problem when
/// it is missing). A line that says `skipped` (a library that cannot take the input at
/// all) is noted, not counted as a problem.
fn take(
    library: Library,
    lines: &Result<Vec<Value>, String>,
    (scenario, name): (&str, &str),
    columns: &mut Columns,
    results: &mut Results,
) {
    if let Ok(lines) = lines
        && let Some(why) = lines
            .iter()
            .find(|line| line["scenario"] == scenario)
            .and_then(|line| line["skipped"].as_str())
    {
        let why = format!("{} {scenario}: {why}", library.name());
        if !results.skipped.contains(&why) {
            results.skipped.push(why);
        }
        return;
    }
    let value = field(lines.clone(), scenario, name)
        .map_err(|problem| format!("{} {scenario}: {problem}", library.name()));
    keep(&mut columns.values[library as usize], value, results);
}

/// Items 1, 3 and 6: one generated cache per size, every library on the same file.
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
        silent(tools, plan, accounts, (&cache, &probes), results);
        listing(tools, plan, accounts, (&cache, &probes), results);
        if accounts == SERDE_ACCOUNTS {
            serde(tools, plan, &cache, results);
        }
        // The largest file is 600 MB: keep target/ small.
        let _ = fs::remove_file(&cache);
    }
}

/// Item 1 at one size; at the largest, also each library's peak memory.
fn silent(
    tools: &Tools,
    plan: &Plan,
    accounts: usize,
    (cache, probes): (&str, &str),
    results: &mut Results,
) {
    let (mut times, mut peaks) = (Columns::default(), Columns::default());
    for _ in 0..plan.rounds {
        for library in Library::ALL {
            let calls = match library {
                Library::Entra => plan.rust_silent_calls,
                Library::Python | Library::Node => (plan.python_silent_calls)(accounts),
            };
            let args = strings(&[
                "silent",
                "--cache",
                cache,
                "--probes",
                probes,
                "--calls",
                &calls.to_string(),
                "--warmup",
                &(calls / 10).max(1).to_string(),
            ]);
            let lines = library.run(tools, &args);
            take(
                library,
                &lines,
                ("silent", "median_ns"),
                &mut times,
                results,
            );
            if accounts == SIZES[SIZES.len() - 1]
                && let Ok(lines) = &lines
                && let Some(kib) = lines
                    .iter()
                    .find(|line| line["scenario"] == "silent")
                    .and_then(|line| line["peak_kib"].as_f64())
            {
                peaks.values[library as usize].push(kib);
            }
        }
    }
    let row = Silent {
        accounts,
        entra_ns: times.median(Library::Entra),
        msal_ns: times.median(Library::Python),
        node_ns: times.median(Library::Node),
    };
    println!(
        "bench: silent, {} accounts: entra-auth {}, MSAL Python {}, MSAL Node {}",
        report::count(accounts),
        report::duration(row.entra_ns),
        report::duration(row.msal_ns),
        report::duration(row.node_ns)
    );
    results.silent.push(row);
    if accounts == SIZES[SIZES.len() - 1] {
        let kib = |library| peaks.median(library).map(|kib| kib as u64);
        let peak = Peak {
            accounts,
            entra_kib: kib(Library::Entra),
            msal_kib: kib(Library::Python),
            node_kib: kib(Library::Node),
        };
        println!(
            "bench: peak memory, {} accounts loaded: entra-auth {}, MSAL Python {}, \
             MSAL Node {}",
            report::count(accounts),
            report::mebibytes(peak.entra_kib),
            report::mebibytes(peak.msal_kib),
            report::mebibytes(peak.node_kib)
        );
        results.peak = Some(peak);
    }
}

/// Item 6 at one size.
fn listing(
    tools: &Tools,
    plan: &Plan,
    accounts: usize,
    (cache, probes): (&str, &str),
    results: &mut Results,
) {
    let args = strings(&[
        "accounts",
        "--cache",
        cache,
        "--probes",
        probes,
        "--calls",
        &(plan.listing_calls)(accounts).to_string(),
    ]);
    let mut times = Columns::default();
    for _ in 0..plan.rounds {
        for library in Library::ALL {
            let lines = library.run(tools, &args);
            take(
                library,
                &lines,
                ("accounts", "median_ns"),
                &mut times,
                results,
            );
        }
    }
    let row = Listing {
        accounts,
        entra_ns: times.median(Library::Entra),
        msal_ns: times.median(Library::Python),
        node_ns: times.median(Library::Node),
    };
    println!(
        "bench: listing {} accounts: entra-auth {}, MSAL Python {}, MSAL Node {}",
        report::count(accounts),
        report::duration(row.entra_ns),
        report::duration(row.msal_ns),
        report::duration(row.node_ns)
    );
    results.listing.push(row);
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
    let lines: Vec<Result<Vec<Value>, String>> = Library::ALL
        .iter()
        .map(|library| library.run(tools, &args))
        .collect();
    for operation in ["deserialize", "serialize"] {
        let mut times = Columns::default();
        for (library, lines) in Library::ALL.into_iter().zip(&lines) {
            take(
                library,
                lines,
                (operation, "median_ns"),
                &mut times,
                results,
            );
        }
        let bytes = lines
            .first()
            .and_then(|lines| lines.as_ref().ok())
            .and_then(|lines| lines.iter().find(|line| line["scenario"] == operation))
            .and_then(|line| line["bytes"].as_u64())
            .unwrap_or_default();
        let row = Serde {
            operation,
            accounts: SERDE_ACCOUNTS,
            bytes,
            entra_ns: times.median(Library::Entra),
            msal_ns: times.median(Library::Python),
            node_ns: times.median(Library::Node),
        };
        println!(
            "bench: {operation}, {} accounts: entra-auth {}, MSAL Python {}, MSAL Node {}",
            report::count(SERDE_ACCOUNTS),
            report::duration(row.entra_ns),
            report::duration(row.msal_ns),
            report::duration(row.node_ns)
        );
        results.serde.push(row);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_number_is_kept_for_its_library() {
        let (mut columns, mut results) = (Columns::default(), Results::default());
        let lines = Ok(vec![json!({"scenario": "silent", "median_ns": 130_000})]);
        take(
            Library::Node,
            &lines,
            ("silent", "median_ns"),
            &mut columns,
            &mut results,
        );
        assert_eq!(columns.median(Library::Node), Some(130_000.0));
        assert_eq!(columns.median(Library::Entra), None);
        assert!(results.problems.is_empty() && results.skipped.is_empty());
    }

    #[test]
    fn a_skipped_measurement_is_noted_once_and_is_no_problem() {
        let (mut columns, mut results) = (Columns::default(), Results::default());
        let lines = Ok(vec![json!({"scenario": "accounts", "skipped": "too big"})]);
        for _ in 0..2 {
            take(
                Library::Node,
                &lines,
                ("accounts", "median_ns"),
                &mut columns,
                &mut results,
            );
        }
        assert_eq!(results.skipped, ["MSAL Node accounts: too big"]);
        assert!(results.problems.is_empty());
        assert_eq!(columns.median(Library::Node), None);
    }

    #[test]
    fn a_failed_run_or_a_missing_number_is_a_problem() {
        let (mut columns, mut results) = (Columns::default(), Results::default());
        take(
            Library::Python,
            &Err("msal_bench.py failed".to_owned()),
            ("silent", "median_ns"),
            &mut columns,
            &mut results,
        );
        take(
            Library::Entra,
            &Ok(vec![json!({"scenario": "silent"})]),
            ("silent", "median_ns"),
            &mut columns,
            &mut results,
        );
        assert_eq!(
            results.problems,
            [
                "MSAL Python silent: msal_bench.py failed",
                "entra-auth silent: `silent` has no number `median_ns`"
            ]
        );
        assert!(results.skipped.is_empty());
    }
}
