//! `cargo xtask test`: runs every check, keeps going after a failure, and ends with a
//! one-screen summary closing with `checks: N passed, N failed`.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::layering;

/// One check's outcome, for the summary.
struct Outcome {
    name: &'static str,
    passed: bool,
    seconds: f64,
    detail: String,
}

/// Checks the prerequisites, then runs every check in order and prints the summary.
pub(crate) fn run_all(root: &Path) -> ExitCode {
    match crate::prerequisites::ensure() {
        Ok(found) => {
            for program in found {
                println!("{program}");
            }
        }
        Err(problem) => {
            eprintln!("cargo xtask test: {problem}");
            return ExitCode::FAILURE;
        }
    }
    let mut outcomes = Vec::new();
    let mut run = |name: &'static str, check: &mut dyn FnMut() -> Result<String, String>| {
        println!("==> {name}");
        let started = Instant::now();
        let result = check();
        let seconds = started.elapsed().as_secs_f64();
        let (passed, detail) = match result {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        println!("<== {name}: {}", if passed { "passed" } else { "FAILED" });
        outcomes.push(Outcome {
            name,
            passed,
            seconds,
            detail,
        });
    };

    run("fmt", &mut || {
        cargo(root, &["fmt", "--all", "--", "--check"], &[])
    });
    run("clippy", &mut || {
        cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
    });
    // Off by default, so the workspace's checks do not build it: the key kept in the
    // desktop keyring (its test runs a private session bus and GNOME Keyring).
    run("keyring", &mut || {
        cargo(
            root,
            &[
                "clippy",
                "--package",
                "entra-cache",
                "--features",
                "keyring",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )?;
        cargo(
            root,
            &[
                "test",
                "--package",
                "entra-cache",
                "--features",
                "keyring",
                "--lib",
                "keyring",
            ],
            &[],
        )
        .map(|_| "entra-cache's keyring feature: clippy and its test".to_owned())
    });
    // MSAL Python, for the cache interoperability tests and the conformance check.
    let mut msal_python = None;
    run("msal venv", &mut || {
        let python = crate::conformance::msal_venv(root)?;
        let shown = python.display().to_string();
        msal_python = Some(python);
        Ok(format!("MSAL Python at {shown}"))
    });
    run("tests", &mut || run_tests(root));
    run("msal interop", &mut || {
        run_msal_interop(root, msal_python.as_deref())
    });
    run("fuzz", &mut || crate::fuzz::short_pass(root));
    run("doc tests", &mut || {
        cargo(root, &["test", "--workspace", "--doc"], &[])
    });
    run("docs", &mut || {
        cargo(
            root,
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    });
    run("layering", &mut || layering::check(root));
    run("package", &mut || crate::package::check(root));
    run("conformance", &mut || crate::conformance::msal_python(root));
    run("msal-node", &mut || {
        crate::conformance_node::msal_node(root)
    });
    run("recipes", &mut || crate::recipes::run(root));

    let target = crate::mock_idp::target_dir(root);
    print_summary(&outcomes, disk_usage(&target))
}

/// Bytes in the files under `dir` (symbolic links not followed); what cannot be read
/// counts as nothing.
fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => disk_usage(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map_or(0, |meta| meta.len()),
            _ => 0,
        })
        .sum()
}

/// The test suite: cargo-nextest when installed, else cargo test (doc tests run
/// separately either way). Benchmarks are compiled by clippy but not run here: they
/// measure, under `cargo xtask bench`.
fn run_tests(root: &Path) -> Result<String, String> {
    if has_nextest() {
        cargo(
            root,
            &["nextest", "run", "--workspace", "--no-fail-fast"],
            &[],
        )
        .map(|_| "cargo nextest run".to_owned())
    } else {
        cargo(root, &["test", "--workspace", "--no-fail-fast"], &[])
            .map(|_| "cargo test (cargo-nextest not installed)".to_owned())
    }
}

/// The cache tests that run MSAL Python (`#[ignore]`d for a plain `cargo test`). Without
/// the virtualenv they run anyway, without `ENTRA_MSAL_PYTHON`, and fail.
fn run_msal_interop(root: &Path, msal_python: Option<&Path>) -> Result<String, String> {
    let msal_python = msal_python.map(|path| path.display().to_string());
    let envs: Vec<(&str, &str)> = msal_python
        .as_deref()
        .map(|path| ("ENTRA_MSAL_PYTHON", path))
        .into_iter()
        .collect();
    let args: &[&str] = if has_nextest() {
        &[
            "nextest",
            "run",
            "--workspace",
            "--run-ignored",
            "only",
            "-E",
            "package(entra-cache) & binary(msal_python_interop)",
        ]
    } else {
        &[
            "test",
            "--workspace",
            "--test",
            "msal_python_interop",
            "--",
            "--ignored",
        ]
    };
    cargo(root, args, &envs)
}

/// Whether cargo-nextest is installed.
fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs `cargo <args>` in `root`, streaming its output.
///
/// Incremental compilation is off unless `CARGO_INCREMENTAL` says otherwise: the checks
/// build each target once, and the session data it keeps would double the disk a clean
/// run needs.
pub(crate) fn cargo(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    if std::env::var_os("CARGO_INCREMENTAL").is_none() {
        command.env("CARGO_INCREMENTAL", "0");
    }
    let status = command
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|err| format!("could not start cargo: {err}"))?;
    let command = format!("cargo {}", args.join(" "));
    if status.success() {
        Ok(command)
    } else {
        Err(format!("`{command}` failed ({status})"))
    }
}

/// The summary; `target_bytes` is the disk the build took, shown so that a clean run's
/// growth is seen in CI's log before the disk runs out.
fn print_summary(outcomes: &[Outcome], target_bytes: u64) -> ExitCode {
    let passed = outcomes.iter().filter(|outcome| outcome.passed).count();
    let failed = outcomes.len() - passed;
    println!();
    println!("summary");
    for outcome in outcomes {
        println!(
            "  {:<6} {:<14} {:>7.1}s  {}",
            if outcome.passed { "ok" } else { "FAIL" },
            outcome.name,
            outcome.seconds,
            outcome.detail
        );
    }
    println!("  target/ holds {:.2} GB", target_bytes as f64 / 1e9);
    println!("checks: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_usage_adds_the_files_of_every_folder_and_follows_no_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 1000]).unwrap();
        std::fs::create_dir_all(dir.path().join("deep/deeper")).unwrap();
        std::fs::write(dir.path().join("deep/deeper/b"), [0u8; 24]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("deep"), dir.path().join("link")).unwrap();
        assert_eq!(disk_usage(dir.path()), 1024);
        assert_eq!(disk_usage(&dir.path().join("missing")), 0);
    }
}
