//! A pass: the child process that runs one target's inputs, and the parent that
//! watches it, pins an abort or a hang on the input that was running, and restarts it.
//!
//! The child prints `i N` before input `N`, `crash N kind\tpath\tsignature` after a
//! caught panic (minimised and saved), and `done N` at the end; the parent reads those
//! lines. An input is regenerated from (seed, target, N) alone, so the parent saves the
//! input of an aborted child without the child's help.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::mutate::mutate;
use crate::regressions::{self, Crash, Saved};
use crate::rng::Rng;
use crate::targets::Target;

/// Input `iteration` of `target` in the pass seeded `seed`: the seeds themselves first,
/// then structured documents and mutations in a deterministic mix.
pub fn input_for(target: &Target, seeds: &[Vec<u8>], seed: u64, iteration: u64) -> Vec<u8> {
    if let Some(exact) = usize::try_from(iteration).ok().and_then(|i| seeds.get(i)) {
        return exact.clone();
    }
    let mut rng = Rng::for_input(seed, target.name, iteration);
    match rng.below(10) {
        0..=3 => (target.generate)(&mut rng, seeds),
        4 => {
            let mut input = (target.generate)(&mut rng, seeds);
            mutate(&mut input, &mut rng, seeds);
            input
        }
        _ => {
            let mut input = rng.pick(seeds).clone();
            mutate(&mut input, &mut rng, seeds);
            input
        }
    }
}

/// What the child runs.
#[derive(Debug, Clone)]
pub struct ChildOptions {
    /// The pass's seed.
    pub seed: u64,
    /// The first input.
    pub start: u64,
    /// Stop before this input.
    pub end: u64,
    /// Stop after this long.
    pub seconds: f64,
    /// `fuzz/`, where cases are saved.
    pub fuzz_dir: PathBuf,
    /// An input that runs longer than this per started MiB (twice) is a crasher of kind
    /// `slow`.
    pub slow: Duration,
}

/// How long `bytes` of input may take before it counts as slow: `slow` per started MiB.
/// A linear parser takes longer on a bigger input and is not a defect; a quadratic one
/// shows on a 1 MiB input already (the size entra-http lets a response reach).
fn slow_limit(slow: Duration, bytes: usize) -> Duration {
    const MIB: usize = 1 << 20;
    let mebibytes = u32::try_from(bytes.div_ceil(MIB).max(1)).unwrap_or(u32::MAX);
    slow.saturating_mul(mebibytes)
}

/// The child's loop over inputs; runs on the fuzz stack.
pub fn child(target: &Target, options: &ChildOptions) {
    regressions::silence_panics();
    let seeds = (target.seeds)();
    let open = regressions::open_defects(&options.fuzz_dir);
    let deadline = Instant::now() + Duration::from_secs_f64(options.seconds.max(0.0));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut done = 0u64;
    let mut seen: Vec<String> = Vec::new();
    for iteration in options.start..options.end {
        if Instant::now() >= deadline {
            break;
        }
        let _ = writeln!(out, "i {iteration}");
        let _ = out.flush();
        let input = input_for(target, &seeds, options.seed, iteration);
        done += 1;
        let started = Instant::now();
        let result = regressions::run_caught(target, &input);
        let limit = slow_limit(options.slow, input.len());
        let crash = match result {
            Err(crash) => crash,
            Ok(()) if started.elapsed() < limit => continue,
            Ok(()) => {
                // Slow: run it again (a loaded machine may have starved this run) and
                // keep the faster time.
                let again = Instant::now();
                let _ = regressions::run_caught(target, &input);
                let seconds = again.elapsed().min(started.elapsed()).as_secs_f64();
                if seconds < limit.as_secs_f64() {
                    continue;
                }
                Crash {
                    kind: "slow".to_owned(),
                    location: format!("(over {} s per MiB)", options.slow.as_secs_f64()),
                    message: format!(
                        "one input of {} bytes took {seconds:.1} s (quadratic or worse?)",
                        input.len()
                    ),
                }
            }
        };
        if seen.contains(&crash.location) {
            continue; // Reported already in this pass.
        }
        seen.push(crash.location.clone());
        // A place with a saved case already needs no new one: skip the minimising.
        let small = match regressions::saved_case(&options.fuzz_dir, target.name, &crash.location) {
            None if crash.kind == "panic" => {
                minimise(target, &input, &crash, Duration::from_secs(3))
            }
            _ => input,
        };
        let known = regressions::is_open(&open, target.name, &crash);
        let found = format!("seed {}, input {iteration}", options.seed);
        let saved = regressions::save(
            &options.fuzz_dir,
            target.name,
            &small,
            &crash,
            known,
            &found,
        );
        let (status, path) = match &saved {
            Ok(Saved::New(path)) => ("new", path.display().to_string()),
            Ok(Saved::Known(path)) => ("saved-before", path.display().to_string()),
            Err(error) => ("unsaved", format!("(cannot save: {error})")),
        };
        let _ = writeln!(
            out,
            "crash {iteration} {} {status}\t{path}\t{}",
            if known { "open" } else { "new-defect" },
            crash.signature()
        );
    }
    let _ = writeln!(out, "done {done}");
}

/// Shortens `input` while it still panics at the same place, for at most `budget`:
/// the shortest crashing prefix first (a binary search), then chunks removed.
pub fn minimise(target: &Target, input: &[u8], crash: &Crash, budget: Duration) -> Vec<u8> {
    let started = Instant::now();
    let same = |candidate: &[u8]| matches!(regressions::run_caught(target, candidate), Err(again) if again.location == crash.location);
    let mut best = input.to_vec();
    let (mut short, mut long) = (0, best.len());
    while short + 1 < long && started.elapsed() < budget {
        let middle = short + (long - short) / 2;
        if same(&best[..middle]) {
            long = middle;
        } else {
            short = middle;
        }
    }
    best.truncate(long);
    let mut chunk = best.len() / 2;
    while chunk >= 1 && started.elapsed() < budget {
        let mut at = 0;
        let mut shrank = false;
        while at < best.len() && started.elapsed() < budget {
            let end = (at + chunk).min(best.len());
            let candidate: Vec<u8> = [&best[..at], &best[end..]].concat();
            if same(&candidate) {
                best = candidate;
                shrank = true;
            } else {
                at += chunk;
            }
        }
        if !shrank {
            chunk /= 2;
        }
    }
    best
}

/// One target's outcome in a pass.
#[derive(Debug, Default)]
pub struct TargetReport {
    /// Inputs run.
    pub inputs: u64,
    /// Wall time.
    pub seconds: f64,
    /// One line per crasher: `known open` or `NEW DEFECT`, where it is saved, its
    /// signature.
    pub crashes: Vec<String>,
    /// Whether a crasher was not a known open defect.
    pub failed: bool,
    /// Things worth a line that are not crashers (a slow input that ran in time alone).
    pub notes: Vec<String>,
}

/// What a pass runs.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// The pass's seed.
    pub seed: u64,
    /// Seconds per target.
    pub seconds: f64,
    /// Inputs per target at most.
    pub iterations: u64,
    /// An input running longer than this is a hang.
    pub timeout: Duration,
    /// An input running longer than this (and again when run a second time) is slow.
    pub slow: Duration,
    /// `fuzz/`.
    pub fuzz_dir: PathBuf,
}

/// Runs `target` for the pass in child processes of `exe` (this binary), restarting
/// after an abort or a hang.
pub fn supervise(exe: &Path, target: &Target, options: &PassOptions) -> TargetReport {
    let started = Instant::now();
    let seeds = (target.seeds)();
    let open = regressions::open_defects(&options.fuzz_dir);
    let mut report = TargetReport::default();
    let mut start = 0u64;
    let mut aborted_at: Vec<String> = Vec::new();
    while start < options.iterations {
        let left = options.seconds - started.elapsed().as_secs_f64();
        if left <= 0.0 {
            break;
        }
        let spawned = Command::new(exe)
            .args(["child", "--target", target.name])
            .args(["--seed", &options.seed.to_string()])
            .args(["--start", &start.to_string()])
            .args(["--iterations", &options.iterations.to_string()])
            .args(["--seconds", &format!("{left:.3}")])
            .args(["--slow", &options.slow.as_secs_f64().to_string()])
            .arg("--dir")
            .arg(&options.fuzz_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                report.failed = true;
                report
                    .crashes
                    .push(format!("cannot start the child: {error}"));
                break;
            }
        };
        let (lines_tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if lines_tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let stderr = child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            })
        });
        let mut running: Option<u64> = None;
        let mut finished = false;
        let mut timed_out = false;
        loop {
            match lines.recv_timeout(options.timeout) {
                Ok(line) => {
                    if let Some(n) = line.strip_prefix("i ").and_then(|n| n.parse().ok()) {
                        running = Some(n);
                        report.inputs += 1;
                    } else if let Some(rest) = line.strip_prefix("crash ") {
                        let new_defect = rest.contains(" new-defect ");
                        report.failed |= new_defect;
                        report.crashes.push(describe(rest, new_defect));
                    } else if line.starts_with("done ") {
                        finished = true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    timed_out = true;
                    let _ = child.kill();
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait();
        let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        if finished && !timed_out {
            break;
        }
        let Some(n) = running else {
            report.failed = true;
            report.crashes.push(format!(
                "the child failed before its first input ({status:?}): {}",
                stderr.trim()
            ));
            break;
        };
        if timed_out && !hangs_alone(exe, target, options, n) {
            report.notes.push(format!(
                "input {n} took over {} s in the pass but ran in time alone (a loaded machine); not saved",
                options.timeout.as_secs_f64()
            ));
            start = n + 1;
            continue;
        }
        // An abort or a hang: pin it on input n, which was running.
        let crash = if timed_out {
            Crash {
                kind: "timeout".to_owned(),
                location: format!("(no answer within {} s)", options.timeout.as_secs_f64()),
                message: "the input ran too long (a hang or a quadratic parse)".to_owned(),
            }
        } else {
            let last = stderr
                .lines()
                .rfind(|line| !line.trim().is_empty())
                .unwrap_or("(nothing on stderr)");
            Crash {
                kind: "abort".to_owned(),
                location: last.chars().take(200).collect(),
                message: match &status {
                    Ok(status) => format!("the process died ({status})"),
                    Err(error) => format!("the process died ({error})"),
                },
            }
        };
        let input = input_for(target, &seeds, options.seed, n);
        let known = regressions::is_open(&open, target.name, &crash);
        let found = format!("seed {}, input {n}", options.seed);
        let saved = regressions::save(
            &options.fuzz_dir,
            target.name,
            &input,
            &crash,
            known,
            &found,
        );
        let path = saved.as_ref().map_or_else(
            |error| format!("(cannot save: {error})"),
            |saved| saved.path().display().to_string(),
        );
        report.failed |= !known;
        start = n + 1;
        if aborted_at.contains(&crash.location) {
            continue; // Reported already in this pass.
        }
        aborted_at.push(crash.location.clone());
        report.crashes.push(describe(
            &format!(
                "{n} {} x\t{path}\t{}",
                if known { "open" } else { "new-defect" },
                crash.signature()
            ),
            !known,
        ));
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// Whether input `n` alone, in a fresh child, still runs past three times the timeout
/// (a pass on a loaded machine can starve a child for a while).
fn hangs_alone(exe: &Path, target: &Target, options: &PassOptions, n: u64) -> bool {
    let spawned = Command::new(exe)
        .args(["child", "--target", target.name])
        .args(["--seed", &options.seed.to_string()])
        .args(["--start", &n.to_string()])
        .args(["--iterations", &(n + 1).to_string()])
        .args(["--seconds", "1000000"])
        .arg("--dir")
        .arg(&options.fuzz_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = spawned else {
        return true;
    };
    let deadline = Instant::now() + options.timeout * 3;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    true
}

fn describe(rest: &str, new_defect: bool) -> String {
    let mut parts = rest.splitn(3, '\t');
    let head = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let signature = parts.next().unwrap_or_default();
    let input = head.split(' ').next().unwrap_or_default();
    format!(
        "{} at input {input}: {signature}\n      saved as {path}",
        if new_defect {
            "NEW DEFECT"
        } else {
            "known open"
        }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slow_limit_grows_with_each_started_mebibyte() {
        use std::time::Duration;
        let slow = Duration::from_secs(2);
        assert_eq!(super::slow_limit(slow, 0), slow);
        assert_eq!(super::slow_limit(slow, 1 << 20), slow);
        assert_eq!(super::slow_limit(slow, (1 << 20) + 1), 2 * slow);
        assert_eq!(super::slow_limit(slow, 4 << 20), 4 * slow);
    }
}
