//! Runs the built `entra-auth` binary against an in-process mock-idp.
//!
//! mock-idp runs without a seed, so its clock is the real one, like the tool's; tests
//! that need time to pass move both: the server through its admin API, the tool through
//! its test hook `ENTRA_AUTH_CLOCK_OFFSET_SECS`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Shared by several test files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mock_idp::admin::{Endpoint, Fault, FaultAction, RecordedRequest};
use mock_idp::{Config, MockIdp};
use tempfile::TempDir;

pub use mock_idp::default_fixture as fixture;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_entra-auth");

/// A mock-idp, a temporary directory holding its CA and the cache, and the runtime
/// serving it.
pub struct Env {
    /// The server.
    pub idp: MockIdp,
    /// Holds `ca.pem`, `cache/token_cache.json` and a fake home.
    pub dir: TempDir,
    /// mock-idp's CA certificate file.
    pub ca: PathBuf,
    /// The cache file the tool uses.
    pub cache: PathBuf,
    // Last, so the server is dropped before its runtime.
    runtime: tokio::runtime::Runtime,
}

/// What one run of the tool did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics with the run's output unless it exited 0.
    pub fn success(self) -> Run {
        assert_eq!(self.code, 0, "failed: {self:#?}");
        self
    }
}

impl Env {
    /// Starts mock-idp (default fixture, real clock).
    pub fn start() -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let idp = runtime
            .block_on(MockIdp::start(Config::default()))
            .expect("mock-idp starts");
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, idp.ca_pem()).unwrap();
        let cache = dir.path().join("cache").join("token_cache.json");
        Env {
            idp,
            dir,
            ca,
            cache,
            runtime,
        }
    }

    /// `https://localhost:PORT/{tenant}`.
    pub fn authority(&self, tenant: &str) -> String {
        self.idp.authority(tenant)
    }

    /// The settings file beside the cache.
    pub fn settings(&self) -> PathBuf {
        self.cache.with_file_name("token_cache.settings.json")
    }

    /// The tool with `args`, the test's cache and CA, a home inside the temporary
    /// directory, and no inherited logging or clock hook.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .arg("--cache")
            .arg(&self.cache)
            .arg("--ca-cert")
            .arg(&self.ca);
        self.isolate(&mut command);
        command
    }

    /// The tool with `args` and the test's cache, but no `--ca-cert`: the CA must come
    /// from the settings file.
    pub fn command_without_ca(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args).arg("--cache").arg(&self.cache);
        self.isolate(&mut command);
        command
    }

    /// The tool with `args`, `--cache cache` (a path or a Redis URL) and the test's CA.
    pub fn command_with_cache(&self, args: &[&str], cache: &str) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .arg("--cache")
            .arg(cache)
            .arg("--ca-cert")
            .arg(&self.ca);
        self.isolate(&mut command);
        command
    }

    /// Points HOME and the cache directory into the temporary directory and removes
    /// variables that would change the tool's behaviour.
    pub fn isolate(&self, command: &mut Command) {
        command
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_CACHE_HOME", self.dir.path().join("xdg-cache"))
            .env_remove("RUST_LOG")
            .env_remove("ENTRA_AUTH_CACHE")
            .env_remove("ENTRA_AUTH_CLOCK_OFFSET_SECS");
    }

    /// Runs `command`, feeding `stdin` (or nothing) to it.
    pub fn run_command(&self, mut command: Command, stdin: Option<&str>) -> Run {
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("entra-auth starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Runs the tool with `args` and `stdin`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_command(self.command(args), stdin)
    }

    /// `login` as `username` with the default password on standard input and `extra`
    /// flags; `--client-id`, `--authority` and `--scope` default to the Contoso CLI app,
    /// `/organizations` and `User.Read` unless `extra` has them.
    pub fn login_as(&self, username: &str, extra: &[&str]) -> Run {
        self.login_with(username, fixture::PASSWORD, extra, &[])
    }

    /// [`Env::login_as`] with `password` on standard input and `envs` set in the tool's
    /// environment.
    pub fn login_with(
        &self,
        username: &str,
        password: &str,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> Run {
        let authority = self.authority("organizations");
        let mut args = vec!["login", "--username", username, "--password-stdin"];
        for (flag, default) in [
            ("--client-id", fixture::CLI_CLIENT_ID),
            ("--authority", authority.as_str()),
            ("--scope", "User.Read"),
        ] {
            if !extra.contains(&flag) {
                args.extend([flag, default]);
            }
        }
        args.extend_from_slice(extra);
        let mut command = self.command(&args);
        command.envs(envs.iter().copied());
        self.run_command(command, Some(&format!("{password}\n")))
    }

    /// Alice signs in; panics unless it works.
    pub fn login_alice(&self) -> Run {
        self.login_as(fixture::ALICE, &[]).success()
    }

    /// Every request mock-idp received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.runtime.block_on(self.idp.admin().requests()).unwrap()
    }

    /// Requests to the token endpoint so far.
    pub fn token_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.endpoint == Endpoint::Token)
            .collect()
    }

    /// Moves mock-idp's clock forward.
    pub fn advance_server_clock(&self, by: Duration) {
        self.runtime
            .block_on(self.idp.admin().advance_clock(by))
            .unwrap();
    }

    /// Revokes every refresh token of `username`.
    pub fn revoke_refresh_tokens(&self, username: &str) {
        self.runtime
            .block_on(self.idp.admin().revoke_refresh_tokens(username))
            .unwrap();
    }

    /// Makes the next `count` token requests fail with `action`.
    pub fn fault_token_endpoint(&self, count: u32, action: FaultAction) {
        let fault = Fault {
            endpoint: Endpoint::Token,
            count,
            action,
        };
        self.runtime
            .block_on(self.idp.admin().add_fault(&fault))
            .unwrap();
    }

    /// The exit code and standard error of `run`, with ids, ports, times and this
    /// test's paths replaced by stable placeholders, for a snapshot.
    pub fn redacted(&self, run: &Run) -> String {
        let mut text = format!("exit code: {}\n{}", run.code, run.stderr);
        let dir = self.dir.path().to_string_lossy().into_owned();
        text = text.replace(&dir, "[tmp]");
        text
    }
}

/// insta filters for what varies between runs.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[uuid]",
        ),
        (r"(localhost|127\.0\.0\.1):\d+", "$1:[port]"),
        (
            r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z",
            "[timestamp]",
        ),
    ]
}

/// Asserts the redacted exit code and standard error of `run` against snapshot `name`.
#[macro_export]
macro_rules! assert_error_snapshot {
    ($env:expr, $name:expr, $run:expr) => {{
        let text = $env.redacted(&$run);
        insta::with_settings!({ filters => support::filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, text);
        });
    }};
}

/// Writes `contents` to `name` in the test's directory and returns its path.
pub fn write_file(env: &Env, name: &str, contents: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// The Unix permission bits of `path`.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A loopback port that refuses connections: the socket is bound but never listens, and
/// holds the port (no other test can take it) until it is dropped.
pub fn refused_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    socket.bind(&loopback.into()).expect("a loopback port");
    let address = socket.local_addr().expect("the bound address");
    let port = address.as_socket().expect("an IP address").port();
    (socket, port)
}
