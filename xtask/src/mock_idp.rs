//! A mock-idp child process for the checks and the benchmarks: started on an ephemeral
//! port, its address and CA certificate read from the first lines it prints, killed when
//! dropped. Under it, [`LineChild`], any server process read that way (the bench's peer
//! too). Also where cargo puts the binaries.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long mock-idp may take to print its address.
pub(crate) const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The first line mock-idp prints, before its base URL.
const LISTENING_PREFIX: &str = "mock-idp listening on ";
/// The second line mock-idp prints, before the CA path.
const CA_PREFIX: &str = "CA certificate: ";

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root) or `target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A child process whose standard output is read line by line (the pipe kept drained by
/// a thread) and whose standard error goes to a log file; killed when dropped.
pub(crate) struct LineChild {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// The program's name in errors.
    name: String,
}

impl LineChild {
    /// Starts `command` (`name` in errors) with its standard error in the file `log`.
    pub(crate) fn spawn(mut command: Command, name: &str, log: &Path) -> Result<Self, String> {
        let stderr =
            File::create(log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|err| format!("could not start {name}: {err}"))?;
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
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
            name: name.to_owned(),
        })
    }

    /// Its next line of output; an error when none comes within `timeout` or when it
    /// exits first (with its exit status).
    pub(crate) fn next_line(&mut self, timeout: Duration) -> Result<String, String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "{} printed nothing within {} s",
                self.name,
                timeout.as_secs()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self
                    .child
                    .wait()
                    .map(|status| status.to_string())
                    .unwrap_or_else(|err| err.to_string());
                Err(format!(
                    "{} exited before printing its address ({status})",
                    self.name
                ))
            }
        }
    }

    /// Its process id (`cargo xtask bench` reads its peak memory from `/proc`).
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for LineChild {
    fn drop(&mut self) {
        // Already exited is fine; either way reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running mock-idp, killed when dropped.
pub(crate) struct MockIdpProcess {
    process: LineChild,
    ca_out: PathBuf,
}

impl MockIdpProcess {
    pub(crate) fn start(binary: &Path, ca_out: &Path, log: &Path) -> Result<Self, String> {
        Self::start_with_hostnames(binary, ca_out, log, &[])
    }

    /// Like [`MockIdpProcess::start`], with `--hostname NAME` for each of `hostnames`
    /// (names a client maps to 127.0.0.1 to use a real authority URL).
    pub(crate) fn start_with_hostnames(
        binary: &Path,
        ca_out: &Path,
        log: &Path,
        hostnames: &[&str],
    ) -> Result<Self, String> {
        let mut command = Command::new(binary);
        command
            .args(["--port", "0", "--seed", "7"])
            .args(hostnames.iter().flat_map(|name| ["--hostname", name]))
            .arg("--ca-out")
            .arg(ca_out);
        Ok(Self {
            process: LineChild::spawn(command, "mock-idp", log)?,
            ca_out: ca_out.to_path_buf(),
        })
    }

    /// Reads the base URL (first line) and the CA path (second line).
    pub(crate) fn wait_for_address(
        &mut self,
        timeout: Duration,
    ) -> Result<(String, PathBuf), String> {
        let first = self.process.next_line(timeout)?;
        let base_url = parse_listening_line(&first)?;
        let ca = match self.process.next_line(timeout) {
            Ok(second) => parse_ca_line(&second).unwrap_or_else(|| self.ca_out.clone()),
            Err(_) => self.ca_out.clone(),
        };
        Ok((base_url, ca))
    }

    /// Its process id (`cargo xtask bench` reads its peak memory from `/proc`).
    pub(crate) fn id(&self) -> u32 {
        self.process.id()
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
    fn a_line_child_gives_its_lines_then_says_it_exited_and_how() {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo first; echo oops >&2; exit 3"]);
        let log = dir.path().join("stderr.log");
        let mut child = LineChild::spawn(command, "the server", &log).unwrap();
        assert_eq!(child.next_line(STARTUP_TIMEOUT), Ok("first".to_owned()));
        let problem = child.next_line(STARTUP_TIMEOUT).unwrap_err();
        assert!(
            problem.starts_with("the server exited before printing") && problem.contains('3'),
            "{problem}"
        );
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "oops\n");
    }

    #[test]
    fn reads_the_ca_path_from_the_second_line() {
        assert_eq!(
            parse_ca_line("CA certificate: target/conformance/ca.pem"),
            Some(PathBuf::from("target/conformance/ca.pem"))
        );
        assert_eq!(parse_ca_line("tenants: 3"), None);
    }
}
