//! Running a measuring program (entra-bench, the MSAL Python script) and reading what it
//! prints, and the CPU time and peak memory of a process from `/proc`.

use std::fs;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::report::Results;

/// Runs one measuring program; its stdout JSON lines (stderr passes through).
pub(super) fn measure(command: &mut Command, name: &str) -> Result<Vec<Value>, String> {
    let out = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start {name}: {err}"))?;
    if !out.status.success() {
        return Err(format!("{name} failed ({})", out.status));
    }
    parse_lines(&String::from_utf8_lossy(&out.stdout))
        .map_err(|problem| format!("{name}: {problem}"))
}

/// The JSON objects of a measuring program's stdout, one per line.
pub(super) fn parse_lines(stdout: &str) -> Result<Vec<Value>, String> {
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| format!("not a JSON measurement: {line:?}"))
        })
        .collect()
}

/// The only measurement of `scenario`.
pub(super) fn one(lines: Vec<Value>, scenario: &str) -> Result<Value, String> {
    lines
        .into_iter()
        .find(|line| line["scenario"] == scenario)
        .ok_or_else(|| format!("no `{scenario}` measurement printed"))
}

/// A number field of the measurement of `scenario`.
pub(super) fn field(
    lines: Result<Vec<Value>, String>,
    scenario: &str,
    name: &str,
) -> Result<f64, String> {
    let line = one(lines?, scenario)?;
    line[name]
        .as_f64()
        .ok_or_else(|| format!("`{scenario}` has no number `{name}`"))
}

pub(super) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// CPU time (user + system) a process has used, in seconds (Linux; `None` elsewhere).
pub(super) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_seconds(&stat)
}

/// `utime + stime` of a `/proc/<pid>/stat` line, in seconds (USER_HZ is 100 on Linux).
pub(super) fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    // After the parenthesized command name: state first, utime 12th, stime 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// `VmHWM` of a process in KiB (Linux; `None` elsewhere).
pub(super) fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    vm_hwm_kib(&status)
}

/// `VmHWM:   141732 kB` from `/proc/<pid>/status`.
pub(super) fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
}

/// Adds a value to its samples, or the problem to the report.
pub(super) fn keep(samples: &mut Vec<f64>, value: Result<f64, String>, results: &mut Results) {
    match value {
        Ok(value) => samples.push(value),
        Err(problem) => results.problems.push(problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_peak_memory_from_proc_status() {
        let status =
            "Name:\tmock-idp\nVmPeak:\t  300000 kB\nVmHWM:\t  141732 kB\nVmRSS:\t 72428 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(141_732));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn measurements_are_one_json_object_a_line() {
        let lines = parse_lines("{\"scenario\":\"silent\",\"median_ns\":3565}\n\n").unwrap();
        assert_eq!(
            field(Ok(lines), "silent", "median_ns"),
            Ok(3565.0),
            "the median of the silent line"
        );
        assert!(parse_lines("Compiling entra-bench\n").is_err());
        assert!(field(Ok(Vec::new()), "silent", "median_ns").is_err());
    }

    #[test]
    fn cpu_time_is_utime_plus_stime_in_hundredths() {
        let stat = "77 (mock-idp) S 1 77 77 0 -1 4194304 900 0 0 0 150 25 0 0 20 0 3";
        assert_eq!(stat_cpu_seconds(stat), Some(1.75));
        assert_eq!(stat_cpu_seconds("77 (x) S"), None);
    }
}
