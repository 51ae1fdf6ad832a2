//! Project automation, in plain Rust (no shell scripts): `cargo xtask <command>`.
//!
//! - `test`: every check CI runs, with a one-screen summary.
//! - `demo`: the main job against an in-process mock-idp (see `tests/src/demo.rs`).
//! - `layering`: only the crate-boundary check (docs/architecture.md, "Import rules").
//! - `bench`: entra-auth side by side with MSAL Python; writes `docs/benchmarks.md`.
//! - `fuzz`: a fuzz pass over every parser and the code after them (`fuzz/`).

mod bench;
mod checks;
mod conformance;
mod conformance_node;
mod fuzz;
mod layering;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    match args.first().map(String::as_str) {
        Some("test") => checks::run_all(&root, &args[1..]),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("demo") => match checks::cargo(
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
        ) {
            Ok(_) => ExitCode::SUCCESS,
            Err(problem) => {
                eprintln!("demo: {problem}");
                ExitCode::FAILURE
            }
        },
        Some("layering") => match layering::check(&root) {
            Ok(summary) => {
                println!("layering: {summary}");
                ExitCode::SUCCESS
            }
            Err(problem) => {
                eprintln!("layering: {problem}");
                ExitCode::FAILURE
            }
        },
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test       fmt, clippy, tests, a short fuzz pass, doc tests, docs, layering and
             conformance checks
  demo       the main job: sign in against an in-process mock-idp, then show the errors
  layering   check the crate import rules of docs/architecture.md
  bench      entra-auth beside MSAL Python 1.39 and a bare reqwest client against
             mock-idp; prints the table and writes docs/benchmarks.md
             (--quick: fewer calls, under two minutes after building)
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
