//! The Markdown report of `cargo xtask bench`, from the numbers of a run, and the
//! hand-written notes it keeps. This half is pure: nothing here runs a process or reads
//! a clock.

mod cache_tables;
mod numbers;
mod results;
mod shared_tables;
mod targets;

use std::fmt::Write as _;

pub(crate) use numbers::{
    count, duration, mebibytes, median, rate, ratio, significant, table, times,
};
pub(crate) use results::{
    Context, IdpLoad, Listing, Peak, ProcessStorm, RedisSilent, Results, Serde, Signin,
    SigningFloor, Silent, Storm,
};
use targets::targets;

/// The line that opens the hand-written notes of `docs/benchmarks.md`; everything from
/// it to the end of the file is kept when the report is written again.
pub(crate) const NOTES_HEADING: &str = "## Notes";

/// The whole report: context, one table per item, the targets, observations drawn from
/// the numbers, then `notes` (the hand-written section, heading included).
pub(crate) fn render(context: &Context, results: &Results, notes: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench{}` on {} ({} mode): {} cores \
         (`available_parallelism`){}, {}; {}; {}. {}; entra-auth, MSAL Python, MSAL \
         Node, the reqwest floor and mock-idp share the same cores. Tests never time anything: speed is \
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
        context.node,
        if context.rounds == 1 {
            "Each number comes from one run".to_owned()
        } else {
            format!("Each number is the median of {} runs", context.rounds)
        },
    );

    cache_tables::silent(&mut out, results);

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

    cache_tables::serde(&mut out, results);

    let _ = writeln!(out, "\n## 4. mock-idp\n");
    idp_load(&mut out, results);

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

    cache_tables::listing(&mut out, results);
    shared_tables::redis_silent(&mut out, results);
    shared_tables::process_storms(&mut out, results);

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
        .chain(
            results
                .skipped
                .iter()
                .map(|why| format!("not measured: {why}")),
        )
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
            significant(idp.grants_per_sec),
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

/// Item 4: mock-idp and its peer under the same load, and the signing floor.
fn idp_load(out: &mut String, results: &Results) {
    let rows: Vec<Vec<String>> = [&results.idp, &results.peer]
        .into_iter()
        .flatten()
        .map(|load| {
            vec![
                load.server.clone(),
                count(load.requests),
                load.connections.to_string(),
                rate(Some(load.grants_per_sec)),
                duration(load.p50_us.map(|us| us * 1e3)),
                duration(load.p99_us.map(|us| us * 1e3)),
                load.errors.to_string(),
                mebibytes(load.hwm_idle_kib),
                mebibytes(load.hwm_after_kib),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("not measured\n");
        return;
    }
    let _ = writeln!(
        out,
        "The same password grant (alice's, as entra-protocol builds it) posted by one load \
         generator (`entra-bench idp-load`: one HTTPS connection per caller, one grant in \
         flight on each) at a freshly started release-mode mock-idp, then at \
         `oauth2-mock-server` (Node, HTTPS with a certificate the bench generates, one RS256 \
         key of 2048 bits), one after the other. Both sign an access token and an id token \
         per grant. Latency is from sending a grant to reading its whole answer; peak \
         memory is each server process's `VmHWM`.\n"
    );
    out.push_str(&table(
        &[
            "server",
            "password grants",
            "connections",
            "grants per second",
            "p50",
            "p99",
            "errors",
            "peak memory at start",
            "peak memory after",
        ],
        &rows,
    ));
    if let Some(floor) = &results.signing_floor {
        let _ = writeln!(
            out,
            "\nSigning floor: `openssl speed rsa2048` signs {}/s on one core; x {} cores / 2 \
             signatures per grant = {} grants a second.",
            significant(floor.signs_per_sec_one_core),
            floor.cores,
            significant(floor.grants_per_sec()),
        );
    }
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
    use results::sample;

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
            node: "MSAL Node 7.2.3 (Node v20.20.2)".to_owned(),
            rounds: 1,
        };
        let report = render(&context, &sample(), "## Notes\n\nhand-written\n");
        for heading in [
            "## 1.",
            "## 2.",
            "## 3.",
            "## 4.",
            "## 5.",
            "## 6.",
            "## 7.",
            "## 8.",
            "## Targets",
            "## Notes",
        ] {
            assert!(report.contains(heading), "{heading} missing:\n{report}");
        }
        assert!(report.contains("`cargo xtask bench --quick` on 2026-11-27"));
        assert!(report.contains("| 10k      | 5.00 µs    | 4.70 ms     | n/a       | 940x"));
        assert!(report.contains("| 100k     | 488 MiB    | 2930 MiB    | n/a       | 6.00x"));
        assert!(report.contains("| deserialize | 10k      | 56.3 MiB | 30.0 ms"));
        assert!(report.contains("| 16      | 350 µs     | 1.75 ms     | n/a"));
        assert!(report.ends_with("hand-written\n"));
    }
}
