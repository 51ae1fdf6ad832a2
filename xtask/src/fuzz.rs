//! `cargo xtask fuzz`: a fuzz pass over every parser and the code after them (the
//! `entra-fuzz` crate in `fuzz/`), and the short fixed-seed pass of `cargo xtask test`.

use std::path::Path;
use std::process::{Command, ExitCode};

use crate::mock_idp::target_dir;

/// Seconds per target in the pass of `cargo xtask test`.
const TEST_SECONDS_PER_TARGET: &str = "1.5";

/// `cargo xtask fuzz [--seconds N] [--target NAME] [--seed S] [...]`: builds entra-fuzz
/// and runs a pass, saving crashers under `fuzz/`. Other arguments go to entra-fuzz
/// (`--iterations N`, `--timeout S`, `list`, `replay FILE`, `input ...`).
pub(crate) fn run(root: &Path, args: &[String]) -> ExitCode {
    if let Err(problem) = crate::checks::cargo(
        root,
        &[
            "build",
            "--quiet",
            "--package",
            "entra-fuzz",
            "--bin",
            "entra-fuzz",
        ],
        &[],
    ) {
        eprintln!("fuzz: {problem}");
        return ExitCode::FAILURE;
    }
    let mut args: Vec<String> = args.to_vec();
    if args.first().is_none_or(|first| first.starts_with("--")) {
        args.push("--dir".to_owned());
        args.push(root.join("fuzz").display().to_string());
    }
    match Command::new(binary(root))
        .args(&args)
        .current_dir(root)
        .status()
    {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("fuzz: cannot start entra-fuzz: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The short pass of `cargo xtask test`: seed 0, [`TEST_SECONDS_PER_TARGET`] seconds per
/// target, with the binary of the test build the tests step already made.
pub(crate) fn short_pass(root: &Path) -> Result<String, String> {
    crate::checks::cargo(root, &["test", "--workspace", "--no-run", "--quiet"], &[])?;
    let fuzz_dir = root.join("fuzz");
    let status = Command::new(binary(root))
        .args(["--seed", "0", "--seconds", TEST_SECONDS_PER_TARGET, "--dir"])
        .arg(&fuzz_dir)
        .current_dir(root)
        .status()
        .map_err(|error| format!("cannot start entra-fuzz: {error}"))?;
    if status.success() {
        Ok(format!(
            "entra-fuzz, seed 0, {TEST_SECONDS_PER_TARGET} s per target: no new crasher"
        ))
    } else {
        Err("entra-fuzz found a crasher that is not a known open defect (saved under fuzz/regressions/)".to_owned())
    }
}

fn binary(root: &Path) -> std::path::PathBuf {
    target_dir(root)
        .join("debug")
        .join(format!("entra-fuzz{}", std::env::consts::EXE_SUFFIX))
}
