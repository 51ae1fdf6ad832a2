//! The `mock-idp` binary: its stdout contract and its refusal of invalid fixtures.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mock-idp");

#[test]
fn an_invalid_fixture_names_the_field_and_line_and_exits_non_zero() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"[[tenants]]\nname = \"A\"\nid = \"not-a-guid\"\nkind = \"managed\"\ndomains = [\"a.com\"]\n")
        .unwrap();
    let output = Command::new(BIN)
        .arg("--config")
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tenants[0].id (line 3)"), "{stderr}");
    assert!(output.stdout.is_empty());
    let mut syntax = tempfile::NamedTempFile::new().unwrap();
    syntax.write_all(b"[[users]\n").unwrap();
    let output = Command::new(BIN)
        .arg("--config")
        .arg(syntax.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 1"));
}

#[test]
fn a_non_loopback_address_needs_the_flag() {
    let output = Command::new(BIN)
        .args(["--bind", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-non-loopback"));
}

#[test]
fn a_hostname_that_is_no_host_name_is_refused_naming_it() {
    let output = Command::new(BIN)
        .args([
            "--hostname",
            "contosob2c.b2clogin.com",
            "--hostname",
            "not a host",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'not a host' is not a host name"),
        "{stderr}"
    );
}

#[test]
fn it_prints_the_base_url_first_then_the_ca_path_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/default.toml");
    let mut child = Command::new(BIN)
        .args([
            "--port", "0", "--seed", "3", "--config", fixture, "--ca-out",
        ])
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let rest: Vec<String> = lines
        .by_ref()
        .take_while(|l| l.as_ref().is_ok_and(|l| !l.starts_with("admin API")))
        .map(Result::unwrap)
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    let port: u16 = first
        .strip_prefix("mock-idp listening on https://localhost:")
        .expect("first line")
        .parse()
        .unwrap();
    assert!(port > 0);
    assert_eq!(second, format!("CA certificate: {}", ca.display()));
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let summary = rest.join("\n");
    assert!(
        summary.contains("alice@contoso.com") && summary.contains("Contoso CLI"),
        "{summary}"
    );
    assert!(!summary.contains(mock_idp::default_fixture::PASSWORD));
}

/// Starts the binary with `args` and `TMPDIR` set to `temp_dir`, and returns the path of
/// its `CA certificate:` line once it has written the file; the process is stopped.
#[cfg(unix)]
fn ca_path_written(args: &[&std::ffi::OsStr], temp_dir: &std::path::Path) -> std::path::PathBuf {
    try_ca_path_written(args, temp_dir).expect("mock-idp started")
}

/// [`ca_path_written`], or `None` when the binary did not start (its port was taken).
#[cfg(unix)]
fn try_ca_path_written(
    args: &[&std::ffi::OsStr],
    temp_dir: &std::path::Path,
) -> Option<std::path::PathBuf> {
    let mut child = Command::new(BIN)
        .args(args)
        .env("TMPDIR", temp_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let Some(Ok(_listening)) = lines.next() else {
        child.wait().unwrap();
        return None;
    };
    let second = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    Some(std::path::PathBuf::from(
        second
            .strip_prefix("CA certificate: ")
            .expect("second line"),
    ))
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_at_the_old_default_ca_path_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // The binary binds the port itself, so the test picks one without binding it (no
    // bind-then-release race) and moves on to the next when another socket holds it.
    let first = 20_000 + u16::try_from(std::process::id() % 10_000).unwrap();
    let (planted, ca) = (first..first + 50)
        .find_map(|port| {
            // The CA used to go to `$TMPDIR/mock-idp-{port}-ca.pem`, a name anyone can
            // predict.
            let planted = dir.path().join(format!("mock-idp-{port}-ca.pem"));
            std::os::unix::fs::symlink(&victim, &planted).unwrap();
            let port = port.to_string();
            try_ca_path_written(&["--port".as_ref(), port.as_ref()], dir.path())
                .map(|ca| (planted, ca))
        })
        .expect("mock-idp started on one of 50 ports");

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_ne!(ca, planted);
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[cfg(unix)]
#[test]
fn ca_out_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let ca = dir.path().join("ca.pem");
    std::os::unix::fs::symlink(&victim, &ca).unwrap();

    let written = ca_path_written(
        &[
            "--port".as_ref(),
            "0".as_ref(),
            "--ca-out".as_ref(),
            ca.as_os_str(),
        ],
        dir.path(),
    );

    assert_eq!(written, ca);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(&ca)
            .unwrap()
            .file_type()
            .is_file()
    );
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}
