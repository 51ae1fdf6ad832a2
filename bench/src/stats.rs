//! Percentiles of timing samples, and the JSON line every measurement ends as.

use std::io::Write as _;

/// The `pct` percentile (0..=100) of `samples`, by nearest rank; 0 for no samples.
/// Sorts `samples` in place.
pub(crate) fn percentile(samples: &mut [u64], pct: u32) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    samples.sort_unstable();
    let last = samples.len() - 1;
    let rank = (last * pct.min(100) as usize + 50) / 100;
    samples.get(rank).copied().unwrap_or_default()
}

/// Median, 10th and 90th percentile of `samples`.
pub(crate) fn spread(samples: &mut [u64]) -> (u64, u64, u64) {
    (
        percentile(samples, 50),
        percentile(samples, 10),
        percentile(samples, 90),
    )
}

/// Prints one measurement as a JSON line on stdout.
pub(crate) fn emit(measurement: serde_json::Value) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{measurement}")
        .and_then(|()| stdout.flush())
        .map_err(|err| format!("cannot write to stdout: {err}"))
}

/// This process's peak resident memory (`VmHWM` of `/proc/self/status`) in KiB; `None`
/// where the platform does not say (not Linux).
pub(crate) fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm_kib(&status)
}

/// `VmHWM:   141732 kB` from a `/proc/<pid>/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_sample() {
        assert_eq!(percentile(&mut [9, 1, 5], 50), 5);
    }

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let mut samples: Vec<u64> = (1..=11).collect();
        assert_eq!(spread(&mut samples), (6, 2, 10));
        assert_eq!(percentile(&mut samples, 0), 1);
        assert_eq!(percentile(&mut samples, 100), 11);
    }

    #[test]
    fn peak_memory_is_read_from_vm_hwm() {
        let status = "Name:\tentra-bench\nVmPeak:\t  9000 kB\nVmHWM:\t  4242 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(4242));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn no_samples_give_zero() {
        assert_eq!(percentile(&mut [], 50), 0);
    }
}
