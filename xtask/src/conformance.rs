//! The `conformance` check: MSAL Python 1.39 against mock-idp, through the script under
//! `mock-idp/conformance/`.
//!
//! Steps: find python3, keep a virtualenv with `msal==1.39.0` at `target/msal-venv`,
//! build and start mock-idp on an ephemeral port (with the B2C and External ID host
//! names in its certificate), run
//! `mock-idp/conformance/msal_python_conformance.py` against it, stop mock-idp.
//!
//! Also the pieces the `msal-node` check (`conformance_node.rs`) shares: starting a
//! debug mock-idp for a conformance script ([`start_mock_idp`]) and running a script
//! whose output ends with `{client}: N passed, N failed` ([`run_script`]).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::mock_idp::{MockIdpProcess, STARTUP_TIMEOUT, target_dir};

/// The MSAL Python release the conformance script targets.
const MSAL_VERSION: &str = "1.39.0";

/// The interpreter of the MSAL Python virtualenv at `target/msal-venv`, created (and
/// `msal` installed) if missing. The test suite gets it as `ENTRA_MSAL_PYTHON` for the
/// cache interoperability tests.
pub(crate) fn msal_venv(root: &Path) -> Result<PathBuf, String> {
    let python = find_python()?;
    ensure_venv(&python, &root.join("target").join("msal-venv"))
}

/// Runs the MSAL Python conformance script against a fresh mock-idp.
pub(crate) fn msal_python(root: &Path) -> Result<String, String> {
    let venv_python = msal_venv(root)?;
    let idp = start_mock_idp(root, "mock-idp.log", "ca.pem")?;
    let script = root
        .join("mock-idp")
        .join("conformance")
        .join("msal_python_conformance.py");
    let mut command = Command::new(&venv_python);
    command
        .arg(&script)
        .args(["--base-url", &idp.base_url, "--ca"])
        .arg(&idp.ca)
        .env("PYTHONUNBUFFERED", "1");
    let outcome = run_script(
        command,
        "msal-python",
        &format!("MSAL Python {}", short_version()),
    );
    drop(idp);
    outcome
}

/// The real host names the conformance scripts use for the B2C and External ID
/// authorities (`https://{name}:{port}/...`): mock-idp puts them in its certificate
/// (`--hostname`) and each script resolves them to 127.0.0.1 inside its own process.
const CONFORMANCE_HOSTNAMES: &[&str] = &["contosob2c.b2clogin.com", "contosociam.ciamlogin.com"];

/// A debug-build mock-idp started for a conformance script; stopped when dropped.
pub(crate) struct ConformanceIdp {
    /// Killed (and reaped) when this is dropped.
    _process: MockIdpProcess,
    /// `https://localhost:{port}`.
    pub(crate) base_url: String,
    /// The CA certificate mock-idp wrote (PEM).
    pub(crate) ca: PathBuf,
}

/// Builds mock-idp (debug) and starts it with `--port 0 --seed 7` and a `--hostname` for
/// each of [`CONFORMANCE_HOSTNAMES`], writing its CA to
/// `target/conformance/{ca_file}` and its stderr to `target/conformance/{log_file}`.
///
/// The binary comes from the test build (`cargo test --workspace --no-run`, what the
/// tests step already ran, so nothing is compiled again): `cargo build -p mock-idp`
/// resolves features for mock-idp alone and rebuilt some 80 crates on a clean clone.
pub(crate) fn start_mock_idp(
    root: &Path,
    log_file: &str,
    ca_file: &str,
) -> Result<ConformanceIdp, String> {
    let binary = built_mock_idp(root)?;
    let work = root.join("target").join("conformance");
    fs::create_dir_all(&work).map_err(|err| format!("cannot create {}: {err}", work.display()))?;
    let log = work.join(log_file);
    let ca_out = work.join(ca_file);

    let mut process =
        MockIdpProcess::start_with_hostnames(&binary, &ca_out, &log, CONFORMANCE_HOSTNAMES)?;
    let (base_url, ca) = process
        .wait_for_address(STARTUP_TIMEOUT)
        .map_err(|problem| format!("{problem} (its log: {})", log.display()))?;
    println!("mock-idp at {base_url}, CA {}", ca.display());
    Ok(ConformanceIdp {
        _process: process,
        base_url,
        ca,
    })
}

/// The debug mock-idp binary of the test build (`cargo test --workspace --no-run`, what
/// the tests step already ran, so nothing is compiled again), built first if needed.
pub(crate) fn built_mock_idp(root: &Path) -> Result<PathBuf, String> {
    crate::checks::cargo(root, &["test", "--workspace", "--no-run", "--quiet"], &[])?;
    Ok(target_dir(root)
        .join("debug")
        .join(format!("mock-idp{}", std::env::consts::EXE_SUFFIX)))
}

/// Finds a Python 3 interpreter with the `venv` module.
pub(crate) fn find_python() -> Result<PathBuf, String> {
    const INSTALL: &str = "install it with `apt-get install python3 python3-venv` \
                           (or your platform's Python 3.8+ with venv)";
    for candidate in ["python3", "python"] {
        let Ok(out) = Command::new(candidate)
            .args(["-c", "import sys, venv; print(sys.version_info[0])"])
            .output()
        else {
            continue;
        };
        if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "3" {
            return Ok(PathBuf::from(candidate));
        }
    }
    Err(format!(
        "no python3 with the venv module found on PATH: {INSTALL}"
    ))
}

/// Creates the virtualenv if needed and installs MSAL Python into it unless the right
/// version is already importable. Quiet unless something fails.
fn ensure_venv(python: &Path, venv: &Path) -> Result<PathBuf, String> {
    let venv_python = create_venv(python, venv)?;
    let has_msal = Command::new(&venv_python)
        .args([
            "-c",
            &format!(
                "import sys, msal; sys.exit(0 if msal.__version__ == '{MSAL_VERSION}' else 1)"
            ),
        ])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_msal {
        quiet(
            Command::new(&venv_python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("msal=={MSAL_VERSION}"),
            ]),
            &format!("pip install msal=={MSAL_VERSION}"),
        )?;
    }
    Ok(venv_python)
}

/// The interpreter of the virtualenv at `venv`, created with `python -m venv` when it is
/// missing or broken.
pub(crate) fn create_venv(python: &Path, venv: &Path) -> Result<PathBuf, String> {
    let venv_python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    let usable = Command::new(&venv_python)
        .args(["-c", "pass"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !usable {
        if venv.exists() {
            fs::remove_dir_all(venv)
                .map_err(|err| format!("cannot remove broken {}: {err}", venv.display()))?;
        }
        quiet(
            Command::new(python).arg("-m").arg("venv").arg(venv),
            &format!(
                "create a Python virtualenv at {} (on Debian: apt-get install python3-venv)",
                venv.display()
            ),
        )?;
    }
    Ok(venv_python)
}

/// Runs a command with its output captured, showing the output only if it fails.
pub(crate) fn quiet(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|err| format!("could not {what}: {err}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "could not {what} ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The counts from a script's closing line `{prefix}: N passed, N failed`.
fn parse_summary(line: &str, prefix: &str) -> Option<(usize, usize)> {
    let counts = line.trim().strip_prefix(prefix)?.strip_prefix(": ")?;
    let (passed, failed) = counts.split_once(", ")?;
    let passed = passed.strip_suffix(" passed")?.parse().ok()?;
    let failed = failed.strip_suffix(" failed")?.parse().ok()?;
    Some((passed, failed))
}

/// Runs a conformance script (`command`, with its arguments), streaming its output, and
/// turns its closing line `{prefix}: N passed, N failed` into the check's result;
/// `client` names the client in that result (`MSAL Python 1.39`).
pub(crate) fn run_script(
    mut command: Command,
    prefix: &str,
    client: &str,
) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| {
            format!(
                "could not start {}: {err}",
                command.get_program().to_string_lossy()
            )
        })?;
    let mut failing = Vec::new();
    let mut summary = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("FAIL ") {
                failing.push(rest.to_owned());
            }
            if let Some(counts) = parse_summary(&line, prefix) {
                summary = Some(counts);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| format!("conformance script: {err}"))?;
    match summary {
        Some((passed, 0)) if status.success() => {
            Ok(format!("{passed} cases passed against {client}"))
        }
        Some((passed, failed)) => Err(format!(
            "{failed} of {} cases failed against {client}: {}",
            passed + failed,
            failing.join("; ")
        )),
        None => Err(format!(
            "the {prefix} conformance script ended without a summary ({status})"
        )),
    }
}

/// `1.39` from `1.39.0`.
fn short_version() -> &'static str {
    MSAL_VERSION
        .rsplit_once('.')
        .map_or(MSAL_VERSION, |(major_minor, _)| major_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_script_summary() {
        assert_eq!(
            parse_summary("msal-python: 18 passed, 0 failed", "msal-python"),
            Some((18, 0))
        );
        assert_eq!(
            parse_summary("msal-python: 16 passed, 2 failed", "msal-python"),
            Some((16, 2))
        );
        assert_eq!(
            parse_summary("msal-node: 21 passed, 0 failed", "msal-node"),
            Some((21, 0))
        );
        assert_eq!(
            parse_summary("msal-node: 21 passed, 0 failed", "msal-python"),
            None
        );
        assert_eq!(
            parse_summary("ok   alice@contoso.com tokens", "msal-python"),
            None
        );
        assert_eq!(
            parse_summary("msal-python: many passed, 0 failed", "msal-python"),
            None
        );
    }

    #[test]
    fn names_the_targeted_release() {
        assert_eq!(short_version(), "1.39");
    }

    /// The whole step on its own (slow: builds mock-idp, may pip install):
    /// `cargo test -p xtask -- --ignored msal_python_step`.
    #[test]
    #[ignore = "builds and runs mock-idp and MSAL Python; run by `cargo xtask test`"]
    fn msal_python_step() {
        let root = crate::project_root();
        let summary = msal_python(&root).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            summary.ends_with("cases passed against MSAL Python 1.39"),
            "{summary}"
        );
    }
}
