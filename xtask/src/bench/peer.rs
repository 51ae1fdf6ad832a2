//! Item 4's peer and floor: the npm package `oauth2-mock-server` (the exact 8.x version
//! pinned in `bench/node/oauth2-mock-server/package.json`, installed with `npm ci` from
//! its committed lock file under `target/bench/oauth2-mock-server`), served over HTTPS
//! with a certificate `entra-bench peer-tls` generates; and the machine's signing floor
//! from `openssl speed`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::Tools;
use super::measure::strings;
use crate::conformance_node::{find_node, find_npm, install_copy};
use crate::mock_idp::LineChild;

/// The npm package measured beside mock-idp.
const PACKAGE: &str = "oauth2-mock-server";
/// How long the peer may take to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running oauth2-mock-server, killed when dropped.
pub(super) struct PeerProcess {
    process: LineChild,
    /// `https://localhost:PORT`.
    pub(super) base_url: String,
    /// The CA its certificate chains to (PEM file).
    pub(super) ca: PathBuf,
    /// `oauth2-mock-server 8.2.3 (Node v20.20.2)`.
    pub(super) name: String,
}

impl PeerProcess {
    /// Installs the pinned package if needed, makes its certificate and starts it.
    pub(super) fn start(root: &Path, tools: &Tools) -> Result<PeerProcess, String> {
        let node = find_node()?;
        find_npm()?;
        let source = root.join("bench").join("node").join(PACKAGE);
        let (pinned, modules) = install_copy(&source, &tools.work.join(PACKAGE), PACKAGE)?;
        let tls = tools.work.join("peer-tls");
        tools.rust(&strings(&["peer-tls", "--dir", &tls.display().to_string()]))?;
        let script = root
            .join("bench")
            .join("node")
            .join("oauth2_mock_server.mjs");
        let log = tools.work.join("oauth2-mock-server.log");
        let mut command = Command::new("node");
        command
            .arg(&script)
            .arg("--modules")
            .arg(&modules)
            .arg("--key")
            .arg(tls.join("key.pem"))
            .arg("--cert")
            .arg(tls.join("cert.pem"));
        let mut process = LineChild::spawn(command, PACKAGE, &log)?;
        let line = process
            .next_line(STARTUP_TIMEOUT)
            .map_err(|problem| format!("{problem} (its log: {})", log.display()))?;
        Ok(PeerProcess {
            process,
            base_url: listening_url(&line)?,
            ca: tls.join("ca.pem"),
            name: format!("{PACKAGE} {pinned} (Node {node})"),
        })
    }

    /// Its process id, to read its peak memory.
    pub(super) fn id(&self) -> u32 {
        self.process.id()
    }

    /// Where it answers a password grant.
    pub(super) fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }
}

/// The base URL from the script's first line, `{"url": "https://localhost:PORT", ...}`.
fn listening_url(line: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|json| json["url"].as_str().map(str::to_owned))
        .filter(|url| url.starts_with("https://"))
        .ok_or_else(|| format!("unexpected first line from {PACKAGE}: {line:?}"))
}

/// RSA 2048 signatures per second on one core, by `openssl speed -seconds N rsa2048`.
pub(super) fn openssl_rsa2048_signs_per_sec(seconds: u32) -> Result<f64, String> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            format!("openssl not found ({err}): install it (Debian: `apt-get install openssl`)")
        })?;
    if !out.status.success() {
        return Err(format!("`openssl speed rsa2048` failed ({})", out.status));
    }
    rsa2048_signs(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| "`openssl speed rsa2048` printed no `rsa 2048 bits` line".to_owned())
}

/// The sign/s column of `rsa 2048 bits 0.000663s 0.000020s   1508.9  49863.1`.
fn rsa2048_signs(stdout: &str) -> Option<f64> {
    stdout.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["rsa", "2048", "bits", sign, verify, per_sec, ..]
                if sign.ends_with('s') && verify.ends_with('s') =>
            {
                per_sec.parse().ok()
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sign_per_second_from_openssl_speed() {
        let out = "version: 3.0.19\n                  sign    verify    sign/s verify/s\n\
                   rsa 2048 bits 0.000937s 0.000025s   1066.7  40621.5\n";
        assert_eq!(rsa2048_signs(out), Some(1066.7));
        assert_eq!(
            rsa2048_signs("rsa 4096 bits 0.01s 0.001s 100.0 900.0\n"),
            None
        );
        assert_eq!(rsa2048_signs(""), None);
    }

    #[test]
    fn reads_the_peer_address_from_its_first_line() {
        assert_eq!(
            listening_url(r#"{"url":"https://localhost:35539","version":"8.2.3"}"#),
            Ok("https://localhost:35539".to_owned())
        );
        assert!(listening_url("Error: boom").is_err());
        assert!(listening_url(r#"{"url":"http://localhost:1"}"#).is_err());
    }

    #[test]
    fn the_committed_package_json_pins_oauth2_mock_server_8() {
        let source = crate::project_root()
            .join("bench")
            .join("node")
            .join(PACKAGE);
        let pinned = crate::conformance_node::pinned_package_version(&source, PACKAGE)
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(pinned.starts_with("8."), "{pinned}");
        assert!(source.join("package-lock.json").is_file());
    }
}
