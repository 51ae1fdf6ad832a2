//! The report's shared-cache tables: a silent hit through a Redis store (item 7) and the
//! refresh storm across processes sharing one cache (item 8).

use std::fmt::Write as _;

use super::numbers::{count, duration, median, ratio, table, times};
use super::results::Results;

/// Item 7: silent hits through a Redis store, front warm and cold, beside item 1's
/// in-memory hit at the same number of accounts.
pub(super) fn redis_silent(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "\n## 7. Silent acquisition through a Redis store\n\n\
         entra-auth with `.partitioned_store(RedisStore)` against a `redis-server` started \
         for the run on loopback. The generated accounts are ingested into a cache and each \
         account's partition is written to Redis with `TokenCache::save_partition`; a fresh \
         application then calls `acquire_token_silent`, cycling over up to 64 accounts as \
         in item 1. Front warm: the partitions were read once, and a hit only checks the \
         partition's generation (kept in memory from Redis's invalidation channel). Front \
         cold: a store that cannot tell generations, so every call reads its partition \
         from Redis (one `GET`) and loads it. In memory: item 1's figure, no store. Median \
         time per call.\n"
    );
    if results.redis_silent.is_empty() {
        let _ = writeln!(out, "not measured (see the observations below)");
        return;
    }
    let rows: Vec<Vec<String>> = results
        .redis_silent
        .iter()
        .map(|r| {
            let memory = results
                .silent
                .iter()
                .find(|s| s.accounts == r.accounts)
                .and_then(|s| s.entra_ns);
            vec![
                count(r.accounts),
                duration(memory),
                duration(r.warm_ns),
                duration(r.cold_ns),
                times(ratio(r.warm_ns, memory)),
                times(ratio(r.cold_ns, memory)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "accounts",
            "in memory",
            "Redis, front warm",
            "Redis, front cold",
            "warm / in memory",
            "cold / in memory",
        ],
        &rows,
    ));
}

/// Item 8: the refresh storm across processes, one row per store and shape.
pub(super) fn process_storms(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "\n## 8. Concurrent silent calls after expiry, across processes\n\n\
         alice signs in to one shared cache (a `FileStore` file, or one Redis server \
         through `RedisStore`), then worker processes (`entra-bench storm-worker`) each \
         build an application over it and read it; both clocks move past the access \
         token's expiry and every process makes its concurrent `acquire_token_silent` \
         calls at once. mock-idp counts the refresh requests it received (one is the \
         ideal: the store's lease lets one process refresh while the others wait and read \
         its tokens). Refresh requests are listed per round, calls are counted over every \
         round, and wall time (the median round) runs from the signal to go to the last \
         process's answer, process start-up excluded.\n"
    );
    if results.process_storms.is_empty() {
        let _ = writeln!(out, "not measured (see the observations below)");
        return;
    }
    let rows: Vec<Vec<String>> = results
        .process_storms
        .iter()
        .map(|s| {
            vec![
                s.store.to_owned(),
                format!("{} x {}", s.processes, s.calls_per_process),
                s.refresh_requests
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                s.ok.to_string(),
                s.failed.to_string(),
                duration(median(&s.wall_ms).map(|ms| ms * 1e6)),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "shared cache",
            "processes x calls",
            "refresh requests at mock-idp",
            "calls ok",
            "calls failed",
            "wall time",
        ],
        &rows,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::results::sample;

    #[test]
    fn the_redis_hit_sits_beside_the_in_memory_hit() {
        let mut out = String::new();
        redis_silent(&mut out, &sample());
        assert!(
            out.contains("| 1        | 250 ns    | 500 ns            | 40.0 µs           | 2.00x            | 160x             |"),
            "{out}"
        );
    }

    #[test]
    fn process_storms_list_each_round_and_the_median_wall_time() {
        let mut out = String::new();
        process_storms(&mut out, &sample());
        assert!(
            out.contains("| file         | 10 x 10           | 1, 1                         | 200      | 0            | 70.0 ms   |"),
            "{out}"
        );
        assert!(out.contains("| redis        | 100 x 1 "), "{out}");
    }

    #[test]
    fn missing_rows_say_they_were_not_measured() {
        let mut out = String::new();
        redis_silent(&mut out, &Results::default());
        process_storms(&mut out, &Results::default());
        assert_eq!(out.matches("not measured").count(), 2, "{out}");
    }
}
