//! Project automation, in plain Rust (no shell scripts): `cargo xtask <command>`.
//!
//! - `test`: every check CI runs, with a one-screen summary (after checking that the
//!   programs cargo cannot install, such as `redis-server`, are there).
//! - `demo`: the main job against an in-process mock-idp (see `tests/src/demo.rs`).
//! - `layering`: only the crate-boundary check (docs/architecture.md).
//! - `package`: only the packaging check of the crates published to crates.io.
//! - `recipes`: only the mock-idp recipes for pytest and Node (`mock-idp/recipes/`).
//! - `bench`: entra-auth side by side with MSAL Python and MSAL Node; writes
//!   `docs/benchmarks.md`.
//! - `fuzz`: a fuzz pass over every parser and the code after them (`fuzz/`).

mod args;
mod bench;
mod checks;
mod conformance;
mod conformance_node;
mod fuzz;
mod layering;
mod mock_idp;
mod package;
mod prerequisites;
mod recipes;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use args::Task;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match args::parse(&args) {
        Ok(task) => task,
        Err(problem) => {
            eprintln!("{problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let root = project_root();
    match task {
        Task::Test => checks::run_all(&root),
        Task::Bench { quick } => bench::run(&root, quick),
        Task::Fuzz(args) => fuzz::run(&root, &args),
        Task::Demo => reported(
            "demo",
            checks::cargo(
                &root,
                &[
                    "run",
                    "--quiet",
                    "--package",
                    "entra-tests",
                    "--bin",
                    "demo",
                ],
                &[],
            ),
        ),
        Task::Layering => reported("layering", layering::check(&root)),
        Task::Package => reported("package", package::check(&root)),
        Task::Recipes => reported("recipes", recipes::run(&root)),
        Task::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
    }
}

/// Prints a one-step command's outcome under its name.
fn reported(name: &str, outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(summary) => {
            println!("{name}: {summary}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("{name}: {problem}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test       fmt, clippy, tests, a short fuzz pass, doc tests, docs, layering,
             packaging and conformance checks
  demo       the main job: sign in against an in-process mock-idp, then show the errors
  layering   check the crate import rules of docs/architecture.md
  package    package each crate published to crates.io on its own and check its files
  recipes    run mock-idp's pytest and Node recipes (mock-idp/recipes/) against a fresh
             mock-idp build and check its GitHub Actions snippet
  bench      entra-auth beside MSAL Python 1.39, MSAL Node 7.2 (the cache) and a bare
             reqwest client against mock-idp; prints the tables and writes
             docs/benchmarks.md
             (--quick: fewer calls, a few minutes after building)
  fuzz       fuzz every parser and the flows after them on stable Rust
             ([--seconds N per target, default 10] [--target NAME] [--seed S]);
             crashers are saved under fuzz/ (see docs/fuzzing.md)";

/// The workspace root: the parent of xtask's manifest directory, as `cargo run` reports
/// it now (a binary built for one checkout and reused from a shared target directory
/// must not act on that other checkout), else as it was at build time.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
