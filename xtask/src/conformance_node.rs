//! The `msal-node` check: MSAL Node (`@azure/msal-node`, the exact version pinned in
//! `mock-idp/conformance/msal-node/package.json`) against mock-idp, beside the MSAL
//! Python `conformance` check.
//!
//! Steps: check that Node.js 20+ and npm are on PATH; `npm ci --no-audit --no-fund` in
//! `mock-idp/conformance/msal-node` when its `node_modules` is missing or was installed
//! from another `package-lock.json`; start mock-idp as the `conformance` check does
//! ([`crate::conformance::start_mock_idp`]); run `conformance.mjs` against it with
//! `NODE_EXTRA_CA_CERTS` naming mock-idp's CA; stop mock-idp.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::{quiet, run_script, start_mock_idp};

/// The oldest Node.js major version `@azure/msal-node` 7 supports (its `engines`).
const MIN_NODE_MAJOR: u32 = 20;
/// How to get Node.js and npm, for the error when they are missing.
const INSTALL_HINT: &str = "install Node.js 20 or later with npm \
                            (Debian/Ubuntu: `apt-get install nodejs npm`; or `nvm install 20`, \
                            or https://nodejs.org)";
/// Written into `node_modules` after a successful `npm ci`: a copy of the
/// `package-lock.json` it installed from, so that a changed lock file reinstalls.
const INSTALL_STAMP: &str = ".xtask-installed-package-lock.json";
/// The npm package under test.
const PACKAGE: &str = "@azure/msal-node";

/// Runs the MSAL Node conformance script against a fresh mock-idp.
pub(crate) fn msal_node(root: &Path) -> Result<String, String> {
    let dir = script_dir(root);
    let node_version = find_node()?;
    find_npm()?;
    let pinned = pinned_version(&dir)?;
    ensure_installed(&dir, &pinned)?;

    let idp = start_mock_idp(root, "msal-node-mock-idp.log", "msal-node-ca.pem")?;
    let mut command = Command::new("node");
    command
        .arg(dir.join("conformance.mjs"))
        .args(["--base-url", &idp.base_url, "--ca"])
        .arg(&idp.ca)
        // Read by Node at start-up; the script would otherwise start itself again with it.
        .env("NODE_EXTRA_CA_CERTS", &idp.ca)
        .current_dir(&dir);
    let outcome = run_script(
        command,
        "msal-node",
        &format!("MSAL Node {pinned} (Node {node_version})"),
    );
    drop(idp);
    outcome
}

/// The `node_modules` holding the pinned MSAL Node (installed by `npm ci` first when
/// needed), and a description like `MSAL Node 7.2.3 (Node v20.20.2)`: what the benchmark
/// runs its MSAL Node side with.
pub(crate) fn installed_modules(root: &Path) -> Result<(PathBuf, String), String> {
    let dir = script_dir(root);
    let node_version = find_node()?;
    find_npm()?;
    let pinned = pinned_version(&dir)?;
    ensure_installed(&dir, &pinned)?;
    Ok((
        dir.join("node_modules"),
        format!("MSAL Node {pinned} (Node {node_version})"),
    ))
}

/// `mock-idp/conformance/msal-node`.
fn script_dir(root: &Path) -> PathBuf {
    root.join("mock-idp").join("conformance").join("msal-node")
}

/// The version `node --version` reports (`v20.11.1`), if it is 20 or later.
pub(crate) fn find_node() -> Result<String, String> {
    let out = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|err| format!("node not found on PATH ({err}): {INSTALL_HINT}"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match node_major(&version) {
        Some(major) if out.status.success() && major >= MIN_NODE_MAJOR => Ok(version),
        Some(_) => Err(format!(
            "node {version} is too old: {PACKAGE} needs Node.js {MIN_NODE_MAJOR} or later; \
             {INSTALL_HINT}"
        )),
        None => Err(format!(
            "`node --version` answered {version:?} ({}): {INSTALL_HINT}",
            out.status
        )),
    }
}

/// The major version from `v20.11.1`.
fn node_major(version: &str) -> Option<u32> {
    version.strip_prefix('v')?.split('.').next()?.parse().ok()
}

/// The npm command (`npm.cmd` on Windows, where `npm` is a batch file).
fn npm() -> Command {
    Command::new(if cfg!(windows) { "npm.cmd" } else { "npm" })
}

/// Checks that npm runs.
pub(crate) fn find_npm() -> Result<(), String> {
    match npm().arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "`npm --version` failed ({}): {INSTALL_HINT}",
            out.status
        )),
        Err(err) => Err(format!("npm not found on PATH ({err}): {INSTALL_HINT}")),
    }
}

/// The exact `@azure/msal-node` version `package.json` in `dir` depends on.
pub(crate) fn pinned_version(dir: &Path) -> Result<String, String> {
    pinned_package_version(dir, PACKAGE)
}

/// The exact version of `package` that `package.json` in `dir` depends on.
pub(crate) fn pinned_package_version(dir: &Path, package: &str) -> Result<String, String> {
    let path = dir.join("package.json");
    let text = fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    json["dependencies"][package]
        .as_str()
        .filter(|version| is_exact(version))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{} must pin an exact {package} version (like \"1.2.3\")",
                path.display()
            )
        })
}

/// `7.2.3`, not a range (`^7.2.3`, `7.x`, `latest`).
fn is_exact(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Runs `npm ci` in `dir` unless its `node_modules` holds what `package-lock.json` asks
/// for and the pinned `@azure/msal-node`.
pub(crate) fn ensure_installed(dir: &Path, pinned: &str) -> Result<(), String> {
    ensure_package_installed(dir, PACKAGE, pinned).map(drop)
}

/// Runs `npm ci` (no package scripts) in `dir` unless `node_modules` was installed from
/// exactly this `package-lock.json` and holds `package` at `pinned`. Returns
/// `dir/node_modules`.
pub(crate) fn ensure_package_installed(
    dir: &Path,
    package: &str,
    pinned: &str,
) -> Result<PathBuf, String> {
    let lock_path = dir.join("package-lock.json");
    let lock = fs::read(&lock_path)
        .map_err(|err| format!("cannot read {}: {err}", lock_path.display()))?;
    let modules = dir.join("node_modules");
    if is_current(&modules, &lock, package, pinned) {
        return Ok(modules);
    }
    println!("npm ci in {}", dir.display());
    quiet(
        npm()
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(dir),
        &format!("run `npm ci` in {}", dir.display()),
    )?;
    if !is_current_package(&modules, package, pinned) {
        return Err(format!(
            "npm ci did not install {package} {pinned} into {}",
            modules.display()
        ));
    }
    let stamp = modules.join(INSTALL_STAMP);
    fs::write(&stamp, &lock).map_err(|err| format!("cannot write {}: {err}", stamp.display()))?;
    Ok(modules)
}

/// Copies `package.json` and `package-lock.json` of the committed project `source` into
/// `dir` (under `target/`), then [`ensure_package_installed`] there. Returns the pinned
/// version and `dir/node_modules`.
pub(crate) fn install_copy(
    source: &Path,
    dir: &Path,
    package: &str,
) -> Result<(String, PathBuf), String> {
    let pinned = pinned_package_version(source, package)?;
    fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    for name in ["package.json", "package-lock.json"] {
        let (from, to) = (source.join(name), dir.join(name));
        fs::copy(&from, &to)
            .map_err(|err| format!("cannot copy {} to {}: {err}", from.display(), to.display()))?;
    }
    let modules = ensure_package_installed(dir, package, &pinned)?;
    Ok((pinned, modules))
}

/// Whether `node_modules` was installed by `ensure_package_installed` from exactly this
/// lock file and still holds the pinned package.
fn is_current(modules: &Path, lock: &[u8], package: &str, pinned: &str) -> bool {
    fs::read(modules.join(INSTALL_STAMP)).is_ok_and(|installed| installed == lock)
        && is_current_package(modules, package, pinned)
}

/// Whether `node_modules/{package}` is the pinned version.
fn is_current_package(modules: &Path, package: &str, pinned: &str) -> bool {
    let manifest = modules.join(package).join("package.json");
    fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|json| json["version"].as_str() == Some(pinned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_node_major_version() {
        assert_eq!(node_major("v20.20.2"), Some(20));
        assert_eq!(node_major("v18.19.0"), Some(18));
        assert_eq!(node_major("20.1.0"), None);
        assert_eq!(node_major(""), None);
    }

    #[test]
    fn accepts_only_an_exact_version() {
        assert!(is_exact("7.2.3"));
        for range in [
            "^7.2.3",
            "~7.2.3",
            "7.x",
            "7.2",
            "latest",
            "7.2.3-beta.1",
            "",
        ] {
            assert!(!is_exact(range), "{range}");
        }
    }

    #[test]
    fn the_committed_package_json_pins_msal_node() {
        let pinned = pinned_version(&script_dir(&crate::project_root()))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(pinned.starts_with("7."), "{pinned}");
    }

    #[test]
    fn a_missing_or_other_install_is_not_current() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let modules = dir.path().join("node_modules");
        let package = modules.join(PACKAGE);
        fs::create_dir_all(&package).unwrap_or_else(|err| panic!("{err}"));
        let lock = b"{\"lockfileVersion\":3}";
        assert!(
            !is_current(&modules, lock, PACKAGE, "7.2.3"),
            "no stamp, no package"
        );

        fs::write(package.join("package.json"), r#"{"version":"7.2.3"}"#)
            .unwrap_or_else(|err| panic!("{err}"));
        fs::write(modules.join(INSTALL_STAMP), lock).unwrap_or_else(|err| panic!("{err}"));
        assert!(is_current(&modules, lock, PACKAGE, "7.2.3"));
        assert!(
            !is_current(&modules, b"{}", PACKAGE, "7.2.3"),
            "another lock file"
        );
        assert!(
            !is_current(&modules, lock, PACKAGE, "7.2.4"),
            "another version"
        );
    }

    /// The whole step on its own (slow: builds mock-idp, may run npm ci):
    /// `cargo test -p xtask -- --ignored msal_node_step`.
    #[test]
    #[ignore = "builds and runs mock-idp and MSAL Node; run by `cargo xtask test`"]
    fn msal_node_step() {
        let root = crate::project_root();
        let summary = msal_node(&root).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            summary.contains("cases passed against MSAL Node 7."),
            "{summary}"
        );
    }
}
