//! The report's cache tables: silent hits and peak memory (item 1), listing accounts
//! (item 6), (de)serialization (item 3); entra-auth, MSAL Python and MSAL Node side by
//! side.

use std::fmt::Write as _;

use super::numbers::{count, duration, mebibytes, ratio, table, times};
use super::results::Results;

/// Item 1: the silent-hit table, then the peak memory table.
pub(super) fn silent(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "## 1. Silent acquisition served from the cache\n\n\
         `acquire_token_silent` (MSAL Node: `acquireTokenSilent`, checked to come \
         `fromCache`) on the same MSAL-format cache file (one access, refresh and id token \
         per account, written by `entra-bench gen-cache`), loaded once; calls cycle over up \
         to 64 accounts spread through the cache. Median time per call.\n"
    );
    let rows: Vec<Vec<String>> = results
        .silent
        .iter()
        .map(|s| timing_row(s.accounts, s.entra_ns, s.msal_ns, s.node_ns))
        .collect();
    out.push_str(&table(&BY_ACCOUNTS, &rows));
    let Some(peak) = &results.peak else {
        return;
    };
    let _ = writeln!(
        out,
        "\nPeak resident memory (`VmHWM`) of each library's own process after reading the \
         {}-account file, loading it and serving one silent call (the file's text \
         included, as each library is handed the whole file).\n",
        count(peak.accounts)
    );
    let share = |kib: Option<u64>| {
        ratio(
            kib.map(|kib| kib as f64),
            peak.entra_kib.map(|kib| kib as f64),
        )
    };
    out.push_str(&table(
        &BY_ACCOUNTS,
        &[vec![
            count(peak.accounts),
            mebibytes(peak.entra_kib),
            mebibytes(peak.msal_kib),
            mebibytes(peak.node_kib),
            times(share(peak.msal_kib)),
            times(share(peak.node_kib)),
        ]],
    ));
}

/// The columns of a table comparing the three libraries by the number of accounts.
const BY_ACCOUNTS: [&str; 6] = [
    "accounts",
    "entra-auth",
    "MSAL Python",
    "MSAL Node",
    "MSAL Python / entra-auth",
    "MSAL Node / entra-auth",
];

/// A row of a [`BY_ACCOUNTS`] table: the three times and how each library compares.
fn timing_row(
    accounts: usize,
    entra_ns: Option<f64>,
    msal_ns: Option<f64>,
    node_ns: Option<f64>,
) -> Vec<String> {
    vec![
        count(accounts),
        duration(entra_ns),
        duration(msal_ns),
        duration(node_ns),
        times(ratio(msal_ns, entra_ns)),
        times(ratio(node_ns, entra_ns)),
    ]
}

/// Item 3: cache serialize and deserialize.
pub(super) fn serde(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "\n## 3. Cache serialize and deserialize\n\n\
         The same file, a fresh cache each round (MSAL Node: `tokenCache.deserialize` and \
         `serialize`, which also merges with the text it was loaded from). Median per \
         round.\n"
    );
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
                duration(s.node_ns),
                times(ratio(s.msal_ns, s.entra_ns)),
                times(ratio(s.node_ns, s.entra_ns)),
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
            "MSAL Node",
            "MSAL Python / entra-auth",
            "MSAL Node / entra-auth",
        ],
        &rows,
    ));
}

/// Item 6: listing every account.
pub(super) fn listing(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "\n## 6. Listing accounts\n\n\
         Every account of the same cache files, loaded once: `accounts()`, MSAL Python's \
         `get_accounts`, MSAL Node's `getAllAccounts`, each checked to list them all. \
         Median time per call.\n"
    );
    let rows: Vec<Vec<String>> = results
        .listing
        .iter()
        .map(|l| timing_row(l.accounts, l.entra_ns, l.msal_ns, l.node_ns))
        .collect();
    out.push_str(&table(&BY_ACCOUNTS, &rows));
}
