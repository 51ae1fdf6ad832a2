//! Every crasher the fuzzer ever found and committed is a regression test: replayed on
//! the fuzz stack, none may panic.

use std::path::Path;

use entra_fuzz::regressions::replay_all;

fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_committed_regression_case_crashes() {
    let (ran, failures) = replay_all(fuzz_dir(), "regressions");
    println!("{ran} regression cases replayed");
    assert!(
        ran > 0,
        "the committed crashers under fuzz/regressions/ were found"
    );
    assert!(
        failures.is_empty(),
        "these saved inputs crash again:\n{}",
        failures
            .iter()
            .map(|(path, crash)| format!("  {}: {}", path.display(), crash.signature()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The known open defects (fuzz/open/): run with `--run-ignored all` once their fixes
/// are in; when this passes, move the cases to fuzz/regressions/ (docs/fuzzing.md).
#[test]
#[ignore = "known open defects: fuzz/open/signatures.txt"]
fn known_open_cases_no_longer_crash() {
    // No case under fuzz/open/ means no known open defect: nothing to check.
    let (_ran, failures) = replay_all(fuzz_dir(), "open");
    assert!(
        failures.is_empty(),
        "these known open defects still crash:\n{}",
        failures
            .iter()
            .map(|(path, crash)| format!("  {}: {}", path.display(), crash.signature()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_seed_runs_without_a_crash() {
    entra_fuzz::regressions::silence_panics();
    for target in entra_fuzz::all() {
        for (i, seed) in (target.seeds)().into_iter().enumerate() {
            let name = target.name;
            let result = entra_fuzz::regressions::on_fuzz_stack(move || {
                entra_fuzz::by_name(name).map(|t| entra_fuzz::regressions::run_caught(&t, &seed))
            });
            if let Some(Err(crash)) = result {
                panic!("seed {i} of {name} crashes: {}", crash.signature());
            }
        }
    }
}
