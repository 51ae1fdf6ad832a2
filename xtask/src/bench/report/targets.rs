//! The benchmark's targets and whether a run met each.

use super::numbers::{count, duration, mebibytes, ratio, times};
use super::results::{Results, Silent};
use crate::bench::SIZES;

/// Whether a target was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Met,
    Missed,
    NotMeasured,
}

impl Status {
    pub(super) fn label(self) -> &'static str {
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

/// One target and where the run stands.
#[derive(Debug, PartialEq)]
pub(crate) struct Target {
    pub(crate) goal: &'static str,
    pub(crate) measured: String,
    pub(crate) status: Status,
}

fn silent_at(results: &Results, accounts: usize) -> Option<&Silent> {
    results.silent.iter().find(|s| s.accounts == accounts)
}

/// Where the run stands against each target.
pub(crate) fn targets(results: &Results) -> Vec<Target> {
    let mut targets = Vec::new();

    let at_10k = silent_at(results, 10_000);
    let speedup = at_10k.and_then(|s| ratio(s.msal_ns, s.entra_ns));
    targets.push(Target {
        goal: "silent hit at 10k accounts at least 100x faster than MSAL Python",
        measured: format!("{} faster", times(speedup)),
        status: Status::all([speedup.map(|r| r >= 100.0)]),
    });

    targets.extend(cache_targets(results));

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

    let across: Vec<String> = results
        .process_storms
        .iter()
        .map(|s| {
            let requests: Vec<String> = s.refresh_requests.iter().map(u64::to_string).collect();
            format!(
                "{} {}x{}: {}",
                s.store,
                s.processes,
                s.calls_per_process,
                requests.join(", ")
            )
        })
        .collect();
    targets.push(Target {
        goal: "exactly one refresh request for 100 concurrent silent calls from many \
               processes sharing one cache",
        measured: if across.is_empty() {
            "n/a".to_owned()
        } else {
            across.join("; ")
        },
        status: Status::all(
            results
                .process_storms
                .iter()
                .map(|s| Some(s.failed == 0 && s.refresh_requests.iter().all(|&n| n == 1))),
        ),
    });
    targets.extend(idp_targets(results));
    targets
}

/// mock-idp's targets: beside its peer, against the signing floor, errors and memory.
fn idp_targets(results: &Results) -> Vec<Target> {
    let idp = results.idp.as_ref();
    let versus_peer = ratio(
        idp.map(|i| i.grants_per_sec),
        results.peer.as_ref().map(|p| p.grants_per_sec),
    );
    let of_floor = ratio(
        idp.map(|i| i.grants_per_sec),
        results.signing_floor.as_ref().map(|f| f.grants_per_sec()),
    );
    let growth_kib = idp.and_then(|i| Some(i.hwm_after_kib?.saturating_sub(i.hwm_idle_kib?)));
    vec![
        Target {
            goal: "mock-idp at least 2x oauth2-mock-server's password grants per second",
            measured: format!("{} oauth2-mock-server's", times(versus_peer)),
            status: Status::all([versus_peer.map(|r| r >= 2.0)]),
        },
        Target {
            goal: "mock-idp at least 60% of the machine's signing floor",
            measured: of_floor.map_or_else(
                || "n/a".to_owned(),
                |r| format!("{:.0}% of the floor", r * 100.0),
            ),
            status: Status::all([of_floor.map(|r| r >= 0.6)]),
        },
        Target {
            goal: "mock-idp: no errors and at most 100 MB of peak memory growth over its grants",
            measured: idp.map_or_else(
                || "n/a".to_owned(),
                |i| {
                    format!(
                        "{} error(s), {} growth over {}",
                        i.errors,
                        mebibytes(growth_kib),
                        count(i.requests)
                    )
                },
            ),
            status: Status::all([idp.map(|i| {
                i.errors == 0 && growth_kib.is_some_and(|kib| kib * 1024 <= 100_000_000)
            })]),
        },
    ]
}

/// The cache's targets: silent hits, listing, (de)serialization and memory.
fn cache_targets(results: &Results) -> Vec<Target> {
    let mut targets = Vec::new();

    let hits: Vec<(usize, Option<f64>)> = SIZES
        .iter()
        .map(|&accounts| {
            (
                accounts,
                silent_at(results, accounts).and_then(|s| s.entra_ns),
            )
        })
        .collect();
    let slowest = hits
        .iter()
        .filter_map(|(accounts, ns)| ns.map(|ns| (*accounts, ns)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    targets.push(Target {
        goal: "silent hit at most 0.3 µs at every size from 1 to 100k accounts",
        measured: slowest.map_or_else(
            || "n/a".to_owned(),
            |(accounts, ns)| format!("slowest {} (at {})", duration(Some(ns)), count(accounts)),
        ),
        status: Status::all(hits.iter().map(|(_, ns)| ns.map(|ns| ns <= 300.0))),
    });

    let at_1 = silent_at(results, 1);
    let speedup = at_1.and_then(|s| ratio(s.msal_ns, s.entra_ns));
    targets.push(Target {
        goal: "silent hit at 1 account at least 30x faster than MSAL Python (100x the aim)",
        measured: format!("{} faster", times(speedup)),
        status: Status::all([speedup.map(|r| r >= 30.0)]),
    });

    let growth = ratio(
        silent_at(results, 100_000).and_then(|s| s.entra_ns),
        at_1.and_then(|s| s.entra_ns),
    );
    targets.push(Target {
        goal: "silent hit at 100k accounts no slower than 1.3x the 1-account time",
        measured: format!("{} the 1-account time", times(growth)),
        status: Status::all([growth.map(|r| r <= 1.3)]),
    });

    let listing = results
        .listing
        .iter()
        .find(|l| l.accounts == 100_000)
        .and_then(|l| ratio(l.msal_ns, l.entra_ns));
    targets.push(Target {
        goal: "listing 100k accounts at least 1000x faster than MSAL Python",
        measured: format!("{} faster", times(listing)),
        status: Status::all([listing.map(|r| r >= 1000.0)]),
    });

    for (operation, factor, goal) in [
        (
            "deserialize",
            2.0,
            "deserialize 10k accounts at least 2x faster than MSAL Python",
        ),
        (
            "serialize",
            5.0,
            "serialize 10k accounts at least 5x faster than MSAL Python",
        ),
    ] {
        let speedup = results
            .serde
            .iter()
            .find(|s| s.operation == operation)
            .and_then(|s| ratio(s.msal_ns, s.entra_ns));
        targets.push(Target {
            goal,
            measured: format!("{} faster", times(speedup)),
            status: Status::all([speedup.map(|r| r >= factor)]),
        });
    }

    let peak = results.peak.as_ref();
    let (entra, msal) = (
        peak.and_then(|p| p.entra_kib),
        peak.and_then(|p| p.msal_kib),
    );
    let share = ratio(entra.map(|kib| kib as f64), msal.map(|kib| kib as f64));
    targets.push(Target {
        goal: "peak memory with 100k accounts loaded at most a third of MSAL Python's",
        measured: match share {
            Some(share) => format!(
                "{} against {} ({:.0}% of MSAL Python's)",
                mebibytes(entra),
                mebibytes(msal),
                share * 100.0
            ),
            None => "n/a".to_owned(),
        },
        status: Status::all([share.map(|share| share <= 1.0 / 3.0)]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::results::{IdpLoad, SigningFloor, sample};

    fn load(server: &str, per_sec: f64, errors: u64, growth_kib: u64) -> IdpLoad {
        IdpLoad {
            server: server.to_owned(),
            requests: 50_000,
            connections: 16,
            grants_per_sec: per_sec,
            p50_us: Some(15_000.0),
            p99_us: Some(40_000.0),
            errors,
            hwm_idle_kib: Some(8_000),
            hwm_after_kib: Some(8_000 + growth_kib),
        }
    }

    #[test]
    fn mock_idp_targets_compare_with_the_peer_and_the_signing_floor() {
        let mut results = sample();
        results.idp = Some(load("mock-idp", 700.0, 0, 60_000));
        results.peer = Some(load("oauth2-mock-server", 300.0, 0, 20_000));
        results.signing_floor = Some(SigningFloor {
            signs_per_sec_one_core: 1_000.0,
            cores: 2,
        });
        let met: Vec<(String, Status)> = idp_targets(&results)
            .into_iter()
            .map(|t| (t.measured, t.status))
            .collect();
        assert_eq!(
            met,
            [
                ("2.33x oauth2-mock-server's".to_owned(), Status::Met),
                ("70% of the floor".to_owned(), Status::Met),
                (
                    "0 error(s), 58.6 MiB growth over 50k".to_owned(),
                    Status::Met
                ),
            ]
        );

        results.idp = Some(load("mock-idp", 500.0, 1, 120_000));
        let statuses: Vec<Status> = idp_targets(&results).iter().map(|t| t.status).collect();
        assert_eq!(statuses, [Status::Missed; 3]);
    }

    #[test]
    fn targets_report_met_and_missed_from_the_numbers() {
        let targets = targets(&sample());
        let status: Vec<Status> = targets.iter().map(|t| t.status).collect();
        assert_eq!(
            status,
            [
                Status::Met,         // 940x at 10k
                Status::NotMeasured, // no 1k row
                Status::Met,         // 44.0x at 1 account
                Status::Missed,      // 28.0x growth
                Status::Missed,      // 500x listing
                Status::Met,         // 2.60x deserialize
                Status::Missed,      // 3.00x serialize
                Status::Met,         // 17% of MSAL Python's memory
                Status::Missed,      // 1.56x at 1 caller
                Status::Met,         // 1.03x and 1.06x of the floor
                Status::Met,         // one refresh
                Status::Met,         // one refresh across processes
                Status::NotMeasured, // no item 4 in the sample
                Status::NotMeasured,
                Status::NotMeasured,
            ]
        );
        assert_eq!(targets[0].measured, "940x faster");
        assert_eq!(targets[1].measured, "slowest 7.00 µs (at 100k)");
        assert_eq!(targets[2].measured, "44.0x faster");
        assert_eq!(
            targets[7].measured,
            "488 MiB against 2930 MiB (17% of MSAL Python's)"
        );
        assert_eq!(
            targets[8].measured,
            "entra-auth / MSAL Python: 1.56x (1 caller), 9.00x (16 callers)"
        );
    }

    #[test]
    fn a_target_without_numbers_is_not_measured() {
        let targets = targets(&Results::default());
        assert!(targets.iter().all(|t| t.status == Status::NotMeasured));
    }

    #[test]
    fn a_second_refresh_across_processes_misses_the_target() {
        let mut results = sample();
        assert_eq!(
            targets(&results)[11].measured,
            "file 10x10: 1, 1; redis 100x1: 1"
        );
        results.process_storms[1].refresh_requests = vec![2];
        assert_eq!(targets(&results)[11].status, Status::Missed);
    }

    #[test]
    fn more_than_one_refresh_request_misses_the_target() {
        let mut results = sample();
        results.storms[0].token_requests = 3;
        assert_eq!(targets(&results)[10].status, Status::Missed);
    }
}
