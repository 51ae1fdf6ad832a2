//! The pure half of `cargo xtask bench`: medians, ratios, the targets of issue 9 and
//! the Markdown report. Nothing here runs a process or reads a clock.

use std::fmt::Write as _;

/// The line that opens the hand-written notes of `docs/benchmarks.md`; everything from
/// it to the end of the file is kept when the report is written again.
pub(crate) const NOTES_HEADING: &str = "## Notes";

/// Where and how the run happened.
pub(crate) struct Context {
    /// `quick` or `full`.
    pub(crate) mode: &'static str,
    /// `YYYY-MM-DD` (UTC).
    pub(crate) date: String,
    /// `std::thread::available_parallelism`.
    pub(crate) cores: usize,
    /// The CPU model, when the platform says.
    pub(crate) cpu: Option<String>,
    /// Operating system and kernel.
    pub(crate) os: String,
    /// `Python 3.x.y, msal 1.39.0`.
    pub(crate) python: String,
    /// How many times each measurement was repeated (the median is shown).
    pub(crate) rounds: usize,
}

/// Item 1: silent acquisition from the cache, median nanoseconds per call.
pub(crate) struct Silent {
    pub(crate) accounts: usize,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
}

/// Item 2: username/password sign-ins per second, and CPU time per sign-in (µs).
#[derive(Default)]
pub(crate) struct Signin {
    pub(crate) concurrency: usize,
    pub(crate) entra: Option<f64>,
    pub(crate) msal: Option<f64>,
    pub(crate) floor: Option<f64>,
    /// The client process's CPU per sign-in.
    pub(crate) entra_cpu_us: Option<f64>,
    pub(crate) msal_cpu_us: Option<f64>,
    pub(crate) floor_cpu_us: Option<f64>,
    /// mock-idp's CPU per sign-in during entra-auth's runs.
    pub(crate) server_cpu_us: Option<f64>,
}

/// Item 3: one cache operation, median nanoseconds.
pub(crate) struct Serde {
    pub(crate) operation: &'static str,
    pub(crate) accounts: usize,
    pub(crate) bytes: u64,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
}

/// Item 4: mock-idp's own password-grant throughput and memory.
pub(crate) struct IdpLoad {
    pub(crate) requests: usize,
    pub(crate) concurrency: usize,
    pub(crate) tokens_per_sec: f64,
    pub(crate) errors: u64,
    /// VmHWM once started, before any request (KiB).
    pub(crate) hwm_idle_kib: Option<u64>,
    /// VmHWM after the requests (KiB).
    pub(crate) hwm_after_kib: Option<u64>,
}

/// Item 5: one refresh storm.
pub(crate) struct Storm {
    pub(crate) callers: usize,
    pub(crate) token_requests: u64,
    pub(crate) from_idp: u64,
    pub(crate) from_cache: u64,
    pub(crate) errors: u64,
}

/// Everything one run measured, and what went wrong on the way.
#[derive(Default)]
pub(crate) struct Results {
    pub(crate) silent: Vec<Silent>,
    pub(crate) signin: Vec<Signin>,
    pub(crate) serde: Vec<Serde>,
    pub(crate) idp: Option<IdpLoad>,
    pub(crate) storms: Vec<Storm>,
    pub(crate) problems: Vec<String>,
}

/// Whether a target was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Met,
    Missed,
    NotMeasured,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "**missed**",
            Status::NotMeasured => "not measured",
        }
    }

    fn all(statuses: impl IntoIterator<Item = Option<bool>>) -> Status {
        let mut any = false;
        for status in statuses {
            match status {
                None => return Status::NotMeasured,
                Some(false) => return Status::Missed,
                Some(true) => any = true,
            }
        }
        if any {
            Status::Met
        } else {
            Status::NotMeasured
        }
    }
}

/// One target of issue 9 and where the run stands.
#[derive(Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) goal: &'static str,
    pub(crate) measured: String,
    pub(crate) status: Status,
}

/// The median of `values` (the mean of the two middle ones for an even count).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if !sorted.len().is_multiple_of(2) {
        sorted.get(middle).copied()
    } else {
        Some((sorted.get(middle - 1)? + sorted.get(middle)?) / 2.0)
    }
}

/// `numerator / denominator`, or `None` when either is missing or the quotient is not
/// a finite positive number.
pub(crate) fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    let quotient = numerator? / denominator?;
    (quotient.is_finite() && quotient > 0.0).then_some(quotient)
}

/// `850 ns`, `3.57 µs`, `4.76 ms`, `1.20 s`.
pub(crate) fn duration(ns: Option<f64>) -> String {
    let Some(ns) = ns else {
        return "n/a".to_owned();
    };
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// `632x`, `21.4x`, `2.12x`, `0.96x`.
pub(crate) fn times(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{}x", significant(r)))
}

/// `738/s`.
pub(crate) fn rate(per_sec: Option<f64>) -> String {
    per_sec.map_or_else(|| "n/a".to_owned(), |r| format!("{}/s", significant(r)))
}

/// `141 MiB` from KiB.
pub(crate) fn mebibytes(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |kib| format!("{} MiB", significant(kib as f64 / 1024.0)),
    )
}

/// `1k`, `10k`, `100k`, `1`.
pub(crate) fn count(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Three significant digits, no more than needed for the integer part.
fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A Markdown table, columns padded so it also reads well in a terminal.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::from("|");
        for (cell, width) in cells.zip(&widths) {
            let pad = width.saturating_sub(cell.chars().count());
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut headers.iter().copied());
    out.push('|');
    for width in &widths {
        let _ = write!(out, " {} |", "-".repeat((*width).max(3)));
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

fn silent_at(results: &Results, accounts: usize) -> Option<&Silent> {
    results.silent.iter().find(|s| s.accounts == accounts)
}

/// Where the run stands against each target of issue 9.
pub(crate) fn targets(results: &Results) -> Vec<Target> {
    let mut targets = Vec::new();

    let at_10k = silent_at(results, 10_000);
    let speedup = at_10k.and_then(|s| ratio(s.msal_ns, s.entra_ns));
    targets.push(Target {
        goal: "silent hit at 10k accounts at least 100x faster than MSAL Python",
        measured: format!("{} faster", times(speedup)),
        status: Status::all([speedup.map(|r| r >= 100.0)]),
    });

    let growth = ratio(
        silent_at(results, 100_000).and_then(|s| s.entra_ns),
        silent_at(results, 1).and_then(|s| s.entra_ns),
    );
    targets.push(Target {
        goal: "silent hit at 100k accounts no slower than 2x the 1-account time",
        measured: format!("{} the 1-account time", times(growth)),
        status: Status::all([growth.map(|r| r <= 2.0)]),
    });

    let versus_msal: Vec<(usize, Option<f64>)> = results
        .signin
        .iter()
        .map(|s| (s.concurrency, ratio(s.entra, s.msal)))
        .collect();
    targets.push(Target {
        goal: "sign-in throughput at least 5x MSAL Python",
        measured: per_concurrency(&versus_msal, "entra-auth / MSAL Python"),
        status: Status::all(versus_msal.iter().map(|(_, r)| r.map(|r| r >= 5.0))),
    });

    let versus_floor: Vec<(usize, Option<f64>)> = results
        .signin
        .iter()
        .map(|s| (s.concurrency, ratio(s.floor, s.entra)))
        .collect();
    targets.push(Target {
        goal: "sign-in throughput within 1.2x of the bare reqwest floor",
        measured: per_concurrency(&versus_floor, "floor / entra-auth"),
        status: Status::all(versus_floor.iter().map(|(_, r)| r.map(|r| r <= 1.2))),
    });

    let requests: Vec<u64> = results.storms.iter().map(|s| s.token_requests).collect();
    targets.push(Target {
        goal: "exactly one refresh request for 100 concurrent silent calls after expiry",
        measured: if requests.is_empty() {
            "n/a".to_owned()
        } else {
            format!(
                "{} refresh request(s)",
                requests
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        status: Status::all(
            results
                .storms
                .iter()
                .map(|s| Some(s.token_requests == 1 && s.errors == 0)),
        ),
    });
    targets
}

fn per_concurrency(values: &[(usize, Option<f64>)], what: &str) -> String {
    if values.is_empty() {
        return "n/a".to_owned();
    }
    let parts: Vec<String> = values
        .iter()
        .map(|(concurrency, r)| {
            let callers = if *concurrency == 1 {
                "caller"
            } else {
                "callers"
            };
            format!("{} ({concurrency} {callers})", times(*r))
        })
        .collect();
    format!("{what}: {}", parts.join(", "))
}

/// The whole report: context, one table per item, the targets, observations drawn from
/// the numbers, then `notes` (the hand-written section, heading included).
pub(crate) fn render(context: &Context, results: &Results, notes: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench{}` on {} ({} mode): {} cores \
         (`available_parallelism`){}, {}; {}. {}; entra-auth, MSAL Python, the reqwest \
         floor and mock-idp share the same cores. Tests never time anything: speed is \
         measured here only.\n",
        if context.mode == "quick" {
            " --quick"
        } else {
            ""
        },
        context.date,
        context.mode,
        context.cores,
        context
            .cpu
            .as_deref()
            .map(|cpu| format!(", {cpu}"))
            .unwrap_or_default(),
        context.os,
        context.python,
        if context.rounds == 1 {
            "Each number comes from one run".to_owned()
        } else {
            format!("Each number is the median of {} runs", context.rounds)
        },
    );

    let _ = writeln!(
        out,
        "## 1. Silent acquisition served from the cache\n\n\
         `acquire_token_silent` on the same MSAL-format cache file (one access, refresh and \
         id token per account, written by `entra-bench gen-cache`), loaded once; calls cycle \
         over up to 64 accounts spread through the cache. Median time per call.\n"
    );
    let rows: Vec<Vec<String>> = results
        .silent
        .iter()
        .map(|s| {
            vec![
                count(s.accounts),
                duration(s.entra_ns),
                duration(s.msal_ns),
                times(ratio(s.msal_ns, s.entra_ns)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "accounts",
            "entra-auth",
            "MSAL Python",
            "MSAL Python / entra-auth",
        ],
        &rows,
    ));

    let _ = writeln!(
        out,
        "\n## 2. Username/password sign-in against one mock-idp\n\n\
         alice@contoso.com signed in again and again for a fixed time (user realm \
         discovery + password grant; entra-auth and MSAL Python remember the realm after \
         the first sign-in, so they send only the password grant); entra-auth shares one \
         application among all callers, MSAL Python has one application per thread, the \
         floor sends both requests every time with a bare reqwest client. Sign-ins \
         (tokens) per second.\n"
    );
    let rows: Vec<Vec<String>> = results
        .signin
        .iter()
        .map(|s| {
            vec![
                s.concurrency.to_string(),
                rate(s.entra),
                rate(s.msal),
                rate(s.floor),
                times(ratio(s.entra, s.msal)),
                times(ratio(s.floor, s.entra)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "callers",
            "entra-auth",
            "MSAL Python",
            "reqwest floor",
            "entra-auth / MSAL Python",
            "floor / entra-auth",
        ],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nCPU time per sign-in (user + system, warm-up included): each client's own \
         process, and mock-idp's while it served entra-auth.\n"
    );
    let rows: Vec<Vec<String>> = results
        .signin
        .iter()
        .map(|s| {
            vec![
                s.concurrency.to_string(),
                duration(s.entra_cpu_us.map(|us| us * 1e3)),
                duration(s.msal_cpu_us.map(|us| us * 1e3)),
                duration(s.floor_cpu_us.map(|us| us * 1e3)),
                times(ratio(s.msal_cpu_us, s.entra_cpu_us)),
                duration(s.server_cpu_us.map(|us| us * 1e3)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "callers",
            "entra-auth",
            "MSAL Python",
            "reqwest floor",
            "MSAL Python / entra-auth",
            "mock-idp",
        ],
        &rows,
    ));

    let _ = writeln!(out, "\n## 3. Cache serialize and deserialize\n");
    let rows: Vec<Vec<String>> = results
        .serde
        .iter()
        .map(|s| {
            vec![
                s.operation.to_owned(),
                count(s.accounts),
                mebibytes(Some(s.bytes / 1024)),
                duration(s.entra_ns),
                duration(s.msal_ns),
                times(ratio(s.msal_ns, s.entra_ns)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "operation",
            "accounts",
            "size",
            "entra-auth",
            "MSAL Python",
            "MSAL Python / entra-auth",
        ],
        &rows,
    ));

    let _ = writeln!(out, "\n## 4. mock-idp\n");
    if let Some(idp) = &results.idp {
        let _ = writeln!(
            out,
            "Direct password grants (no realm discovery) from {} concurrent callers, on a \
             freshly started release-mode mock-idp process; peak memory is its `VmHWM`.\n",
            idp.concurrency
        );
        out.push_str(&table(
            &[
                "password grants",
                "tokens per second",
                "errors",
                "peak memory at start",
                "peak memory after",
            ],
            &[vec![
                count(idp.requests),
                rate(Some(idp.tokens_per_sec)),
                idp.errors.to_string(),
                mebibytes(idp.hwm_idle_kib),
                mebibytes(idp.hwm_after_kib),
            ]],
        ));
    } else {
        out.push_str("not measured\n");
    }

    let _ = writeln!(
        out,
        "\n## 5. Concurrent silent calls after expiry\n\n\
         One entra-auth application signs in, both clocks move past the access token's \
         expiry, then the callers call `acquire_token_silent` at once; mock-idp counts the \
         token requests it received.\n"
    );
    let rows: Vec<Vec<String>> = results
        .storms
        .iter()
        .map(|s| {
            vec![
                s.callers.to_string(),
                s.token_requests.to_string(),
                s.from_idp.to_string(),
                s.from_cache.to_string(),
                s.errors.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "callers",
            "refresh requests at mock-idp",
            "results from mock-idp",
            "results from the cache",
            "errors",
        ],
        &rows,
    ));

    let _ = writeln!(out, "\n## Targets\n");
    let rows: Vec<Vec<String>> = targets(results)
        .into_iter()
        .map(|t| vec![t.goal.to_owned(), t.measured, t.status.label().to_owned()])
        .collect();
    out.push_str(&table(&["target", "this run", "status"], &rows));

    let observations = observations(results);
    if !observations.is_empty() {
        let _ = writeln!(out, "\n## Observations from this run\n");
        for line in observations {
            let _ = writeln!(out, "- {line}");
        }
    }
    out.push('\n');
    out.push_str(notes.trim_end());
    out.push('\n');
    out
}

/// Facts drawn from the numbers themselves (the hand-written notes explain them).
fn observations(results: &Results) -> Vec<String> {
    let mut lines: Vec<String> = results
        .problems
        .iter()
        .map(|problem| format!("problem: {problem}"))
        .collect();
    if let (Some(idp), Some(busiest)) = (
        &results.idp,
        results.signin.iter().max_by_key(|s| s.concurrency),
    ) && let Some(floor) = busiest.floor
    {
        lines.push(format!(
            "mock-idp alone answers {} password grants a second (item 4); the bare \
             reqwest floor at {} callers completes {} sign-ins a second, each a password \
             grant plus a user realm request: where these are close, the server (on the \
             same cores) sets the pace for every client.",
            significant(idp.tokens_per_sec),
            busiest.concurrency,
            significant(floor),
        ));
    }
    if let (Some(idle), Some(after)) = (
        results.idp.as_ref().and_then(|i| i.hwm_idle_kib),
        results.idp.as_ref().and_then(|i| i.hwm_after_kib),
    ) && let Some(idp) = &results.idp
    {
        lines.push(format!(
            "mock-idp's peak memory grew by {} over {} requests.",
            mebibytes(Some(after.saturating_sub(idle))),
            count(idp.requests)
        ));
    }
    lines
}

/// The hand-written notes of an existing report (from [`NOTES_HEADING`] on), if any.
pub(crate) fn kept_notes(existing: &str) -> Option<&str> {
    let start = existing
        .match_indices(NOTES_HEADING)
        .find(|(at, _)| *at == 0 || existing[..*at].ends_with('\n'))
        .map(|(at, _)| at)?;
    let rest = &existing[start..];
    let heading_ends = rest.find('\n').unwrap_or(rest.len());
    (rest[..heading_ends].trim_end() == NOTES_HEADING).then_some(rest)
}

/// The notes section of a first report, before anyone wrote one.
pub(crate) fn default_notes() -> String {
    format!(
        "{NOTES_HEADING}\n\nHand-written: what costs the time where a target is missed \
         (kept when `cargo xtask bench` rewrites this file).\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Results {
        Results {
            silent: vec![
                Silent {
                    accounts: 1,
                    entra_ns: Some(3_000.0),
                    msal_ns: Some(11_000.0),
                },
                Silent {
                    accounts: 10_000,
                    entra_ns: Some(5_000.0),
                    msal_ns: Some(4_700_000.0),
                },
                Silent {
                    accounts: 100_000,
                    entra_ns: Some(7_000.0),
                    msal_ns: Some(60_000_000.0),
                },
            ],
            signin: vec![
                Signin {
                    concurrency: 1,
                    entra: Some(700.0),
                    msal: Some(450.0),
                    floor: Some(720.0),
                    ..Signin::default()
                },
                Signin {
                    concurrency: 16,
                    entra: Some(900.0),
                    msal: Some(100.0),
                    floor: Some(950.0),
                    entra_cpu_us: Some(350.0),
                    msal_cpu_us: Some(1_750.0),
                    ..Signin::default()
                },
            ],
            storms: vec![Storm {
                callers: 100,
                token_requests: 1,
                from_idp: 1,
                from_cache: 99,
                errors: 0,
            }],
            ..Results::default()
        }
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        assert_eq!(median(&[9.0, 1.0, 5.0]), Some(5.0));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn no_values_have_no_median_and_nan_is_ignored() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
    }

    #[test]
    fn a_ratio_needs_both_sides_and_a_positive_denominator() {
        assert_eq!(ratio(Some(10.0), Some(4.0)), Some(2.5));
        assert_eq!(ratio(None, Some(4.0)), None);
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(Some(0.0), Some(1.0)), None);
    }

    #[test]
    fn numbers_read_with_three_significant_digits_and_a_unit() {
        assert_eq!(duration(Some(850.0)), "850 ns");
        assert_eq!(duration(Some(3_571.0)), "3.57 µs");
        assert_eq!(duration(Some(4_761_231.0)), "4.76 ms");
        assert_eq!(duration(Some(12_300_000_000.0)), "12.3 s");
        assert_eq!(duration(None), "n/a");
        assert_eq!(times(Some(632.4)), "632x");
        assert_eq!(times(Some(2.118)), "2.12x");
        assert_eq!(rate(Some(738.33)), "738/s");
        assert_eq!(mebibytes(Some(141_732)), "138 MiB");
        assert_eq!(count(100_000), "100k");
        assert_eq!(count(1), "1");
    }

    #[test]
    fn tables_are_markdown_with_padded_columns() {
        let rows = vec![vec!["1".to_owned(), "3.57 µs".to_owned()]];
        assert_eq!(
            table(&["accounts", "time"], &rows),
            "| accounts | time    |\n| -------- | ------- |\n| 1        | 3.57 µs |\n"
        );
    }

    #[test]
    fn targets_report_met_and_missed_from_the_numbers() {
        let targets = targets(&results());
        let status: Vec<Status> = targets.iter().map(|t| t.status).collect();
        assert_eq!(
            status,
            [
                Status::Met,    // 940x at 10k
                Status::Missed, // 2.33x growth
                Status::Missed, // 1.56x at 1 caller
                Status::Met,    // 1.03x and 1.06x of the floor
                Status::Met,    // one refresh
            ]
        );
        assert_eq!(targets[0].measured, "940x faster");
        assert_eq!(
            targets[2].measured,
            "entra-auth / MSAL Python: 1.56x (1 caller), 9.00x (16 callers)"
        );
    }

    #[test]
    fn a_target_without_numbers_is_not_measured() {
        let targets = targets(&Results::default());
        assert!(targets.iter().all(|t| t.status == Status::NotMeasured));
    }

    #[test]
    fn more_than_one_refresh_request_misses_the_target() {
        let mut results = results();
        results.storms[0].token_requests = 3;
        assert_eq!(targets(&results)[4].status, Status::Missed);
    }

    #[test]
    fn hand_written_notes_are_kept_from_their_heading_on() {
        let existing = "# Benchmarks\n\n| x |\n\n## Notes\n\nWhy it is slow.\n";
        assert_eq!(kept_notes(existing), Some("## Notes\n\nWhy it is slow.\n"));
        assert_eq!(kept_notes("# Benchmarks\n## Notes about x\n"), None);
        assert_eq!(kept_notes("no notes"), None);
    }

    #[test]
    fn the_report_holds_every_item_and_the_notes() {
        let context = Context {
            mode: "quick",
            date: "2026-11-27".to_owned(),
            cores: 2,
            cpu: None,
            os: "linux".to_owned(),
            python: "Python 3.11, msal 1.39.0".to_owned(),
            rounds: 1,
        };
        let report = render(&context, &results(), "## Notes\n\nhand-written\n");
        for heading in [
            "## 1.",
            "## 2.",
            "## 3.",
            "## 4.",
            "## 5.",
            "## Targets",
            "## Notes",
        ] {
            assert!(report.contains(heading), "{heading} missing:\n{report}");
        }
        assert!(report.contains("`cargo xtask bench --quick` on 2026-11-27"));
        assert!(report.contains("| 10k      | 5.00 µs    | 4.70 ms"));
        assert!(report.contains("| 16      | 350 µs     | 1.75 ms     | n/a"));
        assert!(report.ends_with("hand-written\n"));
    }
}
