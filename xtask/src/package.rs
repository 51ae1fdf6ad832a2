//! The packaging check of `cargo xtask test` (and `cargo xtask package`): every crate
//! meant for crates.io packages on its own and carries its README and licence files, and
//! nothing that is not needed to build or read it.
//!
//! `cargo package --no-verify` builds each `.crate` (resolving the workspace's path
//! dependencies among the packages being packaged) in a few seconds; verifying would
//! compile them all again from their archives, minutes on a small machine for what the
//! clippy and test steps already compiled. `cargo package --list` then shows each
//! archive's files for the checks below.

use std::path::Path;
use std::process::Command;

/// The crates published to crates.io: the libraries, the CLI and mock-idp.
pub(crate) const PUBLISHED: [&str; 8] = [
    "entra-http",
    "entra-protocol",
    "entra-cache",
    "entra-cache-redis",
    "entra-auth",
    "entra-auth-azure",
    "entra-auth-cli",
    "mock-idp",
];

/// Files every published crate carries.
const REQUIRED: [&str; 4] = ["Cargo.toml", "README.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// The largest file a published crate may carry; anything bigger is test data or an
/// artefact that slipped in.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Packages every published crate, then checks each one's file list.
pub(crate) fn check(root: &Path) -> Result<String, String> {
    let mut args = vec!["package", "--no-verify", "--allow-dirty", "--quiet"];
    for name in PUBLISHED {
        args.extend(["--package", name]);
    }
    crate::checks::cargo(root, &args, &[])?;
    let mut problems = Vec::new();
    let mut files = 0;
    for name in PUBLISHED {
        let listed = list(root, name)?;
        files += listed.len();
        let crate_dir = crate_dir(root, name);
        problems.extend(
            problems_in(&listed, |path| {
                std::fs::metadata(crate_dir.join(path))
                    .ok()
                    .map(|meta| meta.len())
            })
            .into_iter()
            .map(|problem| format!("{name}: {problem}")),
        );
    }
    if problems.is_empty() {
        Ok(format!(
            "{} crates packaged ({files} files), each with its README and licences",
            PUBLISHED.len()
        ))
    } else {
        Err(problems.join("; "))
    }
}

/// The files `cargo package` puts in `name`'s archive.
fn list(root: &Path, name: &str) -> Result<Vec<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--package", name])
        .current_dir(root)
        .output()
        .map_err(|err| format!("could not start cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo package --list --package {name}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Where `name`'s manifest lives (the workspace's layout).
fn crate_dir(root: &Path, name: &str) -> std::path::PathBuf {
    match name {
        "mock-idp" => root.join("mock-idp"),
        "entra-auth-cli" => root.join("crates").join("cli"),
        "entra-auth" => root.join("crates").join("app"),
        "entra-auth-azure" => root.join("crates").join("azure"),
        other => root.join("crates").join(other.trim_start_matches("entra-")),
    }
}

/// What is wrong with one archive's file list; `size` gives a listed file's size on disk
/// (`None` for the files cargo generates).
fn problems_in(listed: &[String], size: impl Fn(&str) -> Option<u64>) -> Vec<String> {
    let mut problems: Vec<String> = REQUIRED
        .iter()
        .filter(|required| !listed.iter().any(|path| path == *required))
        .map(|missing| format!("{missing} is missing"))
        .collect();
    for path in listed {
        let top = path.split('/').next().unwrap_or_default();
        if matches!(top, "target" | "tests" | "benches" | "fuzz") {
            problems.push(format!("{path} should not be published"));
        } else if let Some(bytes) = size(path).filter(|bytes| *bytes > MAX_FILE_BYTES) {
            problems.push(format!(
                "{path} is {bytes} bytes, over the {MAX_FILE_BYTES} a published file may have"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|path| (*path).to_owned()).collect()
    }

    #[test]
    fn a_complete_small_crate_passes() {
        let files = listed(&[
            "Cargo.toml",
            "Cargo.toml.orig",
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.md",
            "src/lib.rs",
        ]);
        assert_eq!(problems_in(&files, |_| Some(1_000)), Vec::<String>::new());
    }

    #[test]
    fn missing_licences_test_data_and_big_files_are_named() {
        let files = listed(&[
            "Cargo.toml",
            "README.md",
            "src/lib.rs",
            "src/huge.json",
            "tests/data/cache.json",
            "target/debug/x",
        ]);
        let size = |path: &str| Some(if path == "src/huge.json" { 300_000 } else { 10 });
        assert_eq!(
            problems_in(&files, size),
            [
                "LICENSE-MIT is missing",
                "LICENSE-APACHE is missing",
                "src/huge.json is 300000 bytes, over the 262144 a published file may have",
                "tests/data/cache.json should not be published",
                "target/debug/x should not be published",
            ]
        );
    }

    #[test]
    fn each_published_crate_has_a_manifest_where_it_is_looked_for() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or_else(|| Path::new("."));
        for name in PUBLISHED {
            let manifest = crate_dir(root, name).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .unwrap_or_else(|err| panic!("{}: {err}", manifest.display()));
            assert!(text.contains(&format!("name = \"{name}\"")), "{name}");
        }
    }
}
