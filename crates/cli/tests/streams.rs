//! The tool's standard streams when they misbehave: a standard error or output whose
//! reader is gone, and a password on standard input far larger than any password.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Env, fixture};

/// The exit code of `command` run with standard error (or output, when `stdout` is
/// true) connected to a pipe whose read end is already closed: every write to it fails
/// with a broken pipe. The other stream is discarded.
fn run_with_a_broken_pipe(mut command: Command, stdout: bool) -> i32 {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command.stdin(Stdio::null());
    if stdout {
        command.stdout(writer).stderr(Stdio::null());
    } else {
        command.stderr(writer).stdout(Stdio::null());
    }
    command.status().unwrap().code().unwrap_or(-1)
}

#[test]
fn an_error_on_a_broken_standard_error_exits_with_its_class_not_a_panic() {
    let env = Env::start();
    // No client id anywhere: a usage error (exit 2), written to standard error.
    let command = env.command(&["token", "--scope", "User.Read"]);

    assert_eq!(run_with_a_broken_pipe(command, false), 2);
}

#[test]
fn a_notice_on_a_broken_standard_error_is_not_a_panic() {
    let env = Env::start();
    env.login_alice();
    env.run(&["logout"], None).success();
    // Text output with no account prints its notice on standard error.
    let command = env.command(&["accounts"]);

    assert_eq!(run_with_a_broken_pipe(command, false), 0);
}

#[test]
fn verbose_logging_to_a_broken_standard_error_is_not_a_panic() {
    let env = Env::start();
    env.login_alice();
    let command = env.command(&["token", "--scope", "User.Read", "-vvv"]);

    assert_eq!(run_with_a_broken_pipe(command, false), 0);
}

#[test]
fn a_token_printed_to_a_broken_standard_output_exits_quietly() {
    let env = Env::start();
    env.login_alice();
    let command = env.command(&["token", "--scope", "User.Read"]);

    assert_eq!(run_with_a_broken_pipe(command, true), 0);
}

#[test]
fn an_oversized_password_on_standard_input_is_refused_without_reading_it_all() {
    const INPUT: usize = 16 << 20;
    let env = Env::start();
    let authority = env.authority("organizations");
    let mut command = env.command(&[
        "login",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--authority",
        &authority,
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
        "--password-stdin",
    ]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // One line of 16 MiB, written from another thread: the tool must stop reading long
    // before the end, so the write fails once the tool has exited.
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'p'; 64 * 1024];
        let mut written = 0;
        while written < INPUT {
            if stdin.write_all(&chunk).is_err() {
                return written;
            }
            written += chunk.len();
        }
        written
    });
    let output = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("longer than 65536 bytes"),
        "names the limit: {stderr}"
    );
    assert!(written < INPUT, "the tool read all {written} bytes");
    assert!(env.requests().is_empty(), "nothing was sent");
}
