//! The `conformance` check: MSAL Python 1.39 against mock-idp (the layer of
//! tests that checks mock-idp against Microsoft's own clients).
//!
//! Steps: find python3, keep a virtualenv with `msal==1.39.0` at `target/msal-venv`,
//! build and start mock-idp on an ephemeral port, run
//! `mock-idp/conformance/msal_python_conformance.py` against it, stop mock-idp.
//!
//! Also the pieces the `msal-node` check (`conformance_node.rs`) shares: starting a
//! debug mock-idp for a conformance script ([`start_mock_idp`]) and running a script
//! whose output ends with `{client}: N passed, N failed` ([`run_script`]).

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The MSAL Python release the conformance script targets.
const MSAL_VERSION: &str = "1.39.0";
/// How long mock-idp may take to print its address.
pub(crate) const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The first line mock-idp prints, before its base URL.
const LISTENING_PREFIX: &str = "mock-idp listening on ";
/// The second line mock-idp prints, before the CA path.
const CA_PREFIX: &str = "CA certificate: ";

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

/// A debug-build mock-idp started for a conformance script; stopped when dropped.
pub(crate) struct ConformanceIdp {
    /// Killed (and reaped) when this is dropped.
    _process: MockIdpProcess,
    /// `https://localhost:{port}`.
    pub(crate) base_url: String,
    /// The CA certificate mock-idp wrote (PEM).
    pub(crate) ca: PathBuf,
}

/// Builds mock-idp (debug) and starts it with `--port 0 --seed 7`, writing its CA to
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
    crate::checks::cargo(root, &["test", "--workspace", "--no-run", "--quiet"], &[])?;
    let binary = target_dir(root)
        .join("debug")
        .join(format!("mock-idp{}", std::env::consts::EXE_SUFFIX));
    let work = root.join("target").join("conformance");
    fs::create_dir_all(&work).map_err(|err| format!("cannot create {}: {err}", work.display()))?;
    let log = work.join(log_file);
    let ca_out = work.join(ca_file);

    let mut process = MockIdpProcess::start(&binary, &ca_out, &log)?;
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

/// Finds a Python 3 interpreter with the `venv` module.
fn find_python() -> Result<PathBuf, String> {
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
            "create the MSAL Python virtualenv (on Debian: apt-get install python3-venv)",
        )?;
    }
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

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root) or `target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A running mock-idp, killed when dropped.
pub(crate) struct MockIdpProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    ca_out: PathBuf,
}

impl MockIdpProcess {
    pub(crate) fn start(binary: &Path, ca_out: &Path, log: &Path) -> Result<Self, String> {
        let stderr =
            File::create(log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let mut child = Command::new(binary)
            .args(["--port", "0", "--seed", "7", "--ca-out"])
            .arg(ca_out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|err| format!("could not start {}: {err}", binary.display()))?;
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            // Forwards every stdout line (keeping the pipe drained) until mock-idp exits.
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self {
            child,
            lines,
            ca_out: ca_out.to_path_buf(),
        })
    }

    /// Reads the base URL (first line) and the CA path (second line).
    pub(crate) fn wait_for_address(
        &mut self,
        timeout: Duration,
    ) -> Result<(String, PathBuf), String> {
        let first = self.next_line(timeout)?;
        let base_url = parse_listening_line(&first)?;
        let ca = match self.next_line(timeout) {
            Ok(second) => parse_ca_line(&second).unwrap_or_else(|| self.ca_out.clone()),
            Err(_) => self.ca_out.clone(),
        };
        Ok((base_url, ca))
    }

    /// Its process id (`cargo xtask bench` reads its peak memory from `/proc`).
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    fn next_line(&mut self, timeout: Duration) -> Result<String, String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "mock-idp printed nothing within {} s",
                timeout.as_secs()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self
                    .child
                    .wait()
                    .map(|status| status.to_string())
                    .unwrap_or_else(|err| err.to_string());
                Err(format!(
                    "mock-idp exited before printing its address ({status})"
                ))
            }
        }
    }
}

impl Drop for MockIdpProcess {
    fn drop(&mut self) {
        // Already exited is fine; either way reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The base URL from `mock-idp listening on https://localhost:{port}`.
fn parse_listening_line(line: &str) -> Result<String, String> {
    line.trim()
        .strip_prefix(LISTENING_PREFIX)
        .filter(|url| url.starts_with("https://"))
        .map(str::to_owned)
        .ok_or_else(|| format!("unexpected first line from mock-idp: {line:?}"))
}

/// The CA path from `CA certificate: {path}`.
fn parse_ca_line(line: &str) -> Option<PathBuf> {
    line.trim()
        .strip_prefix(CA_PREFIX)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
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
    fn reads_the_base_url_from_the_first_line() {
        assert_eq!(
            parse_listening_line("mock-idp listening on https://localhost:40123\n"),
            Ok("https://localhost:40123".to_owned())
        );
        assert!(parse_listening_line("Compiling mock-idp").is_err());
        assert!(parse_listening_line("mock-idp listening on http://localhost:1").is_err());
    }

    #[test]
    fn reads_the_ca_path_from_the_second_line() {
        assert_eq!(
            parse_ca_line("CA certificate: target/conformance/ca.pem"),
            Some(PathBuf::from("target/conformance/ca.pem"))
        );
        assert_eq!(parse_ca_line("tenants: 3"), None);
    }

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
