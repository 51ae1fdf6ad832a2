//! entra-test-support: helpers for the workspace's tests, never published.
//!
//! [`RedisServer`] runs a real `redis-server` on a free loopback port for tests of the
//! Redis token cache store, so that no test talks to a mocked Redis.
//!
//! Architecture invariant: test-only (a dev-dependency). It may panic, with a message
//! saying what to do, when the machine lacks what a test needs; it never binds
//! anything but loopback and leaves no process behind once its values are dropped.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server has to answer `PING` before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How many free ports are tried when another process takes the chosen one first.
const START_ATTEMPTS: usize = 5;

/// A `redis-server` process of this test, on `127.0.0.1:{port}`, killed on drop.
pub struct RedisServer {
    options: RedisOptions,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// How to start a [`RedisServer`]: [`RedisServer::builder`].
#[derive(Clone, Default)]
pub struct RedisOptions {
    password: Option<String>,
    persistence: bool,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("persistence", &self.persistence)
            .finish()
    }
}

impl RedisOptions {
    /// Requires this password (`requirepass`); [`RedisServer::url`] carries it.
    pub fn password(mut self, password: impl Into<String>) -> RedisOptions {
        self.password = Some(password.into());
        self
    }

    /// Keeps the data across [`RedisServer::stop`] and [`RedisServer::restart`] (an
    /// append-only file synced on every write, so that even a kill loses nothing).
    pub fn persistence(mut self, persistence: bool) -> RedisOptions {
        self.persistence = persistence;
        self
    }

    /// Starts the server and waits until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not come up.
    pub fn start(self) -> RedisServer {
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let mut server = RedisServer {
                options: self.clone(),
                port,
                dir: tempfile::tempdir().expect("creating a temporary directory for redis-server"),
                child: None,
            };
            match server.spawn() {
                Ok(()) => return server,
                // Another process took the port between our probe and the server's bind.
                Err(reason) if attempt < START_ATTEMPTS => {
                    eprintln!("redis-server on port {port} did not start ({reason}); retrying");
                }
                Err(reason) => panic!("redis-server did not start: {reason}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }
}

impl RedisServer {
    /// Starts a server without password or persistence (see [`RedisServer::builder`]).
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not come up.
    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    /// Options for a server with a password or persistence.
    pub fn builder() -> RedisOptions {
        RedisOptions::default()
    }

    /// The URL to connect with, `redis://127.0.0.1:{port}/` (with `:{password}@` when
    /// the server requires one).
    pub fn url(&self) -> String {
        match &self.options.password {
            Some(password) => format!(
                "redis://:{}@127.0.0.1:{}/",
                percent_encode(password),
                self.port
            ),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// The URL without the password (what a store should report as its location).
    pub fn url_without_password(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The loopback port the server listens on (the same after a restart).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's working directory (where its append-only file lives, if any).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server (as a crash would) and waits for it to exit; connections to its
    /// port are refused until [`restart`](RedisServer::restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Killing a process that already exited is not an error worth a panic.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same directory.
    ///
    /// # Panics
    /// When it does not come up (for instance, another process took the port).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(reason) = self.spawn() {
            panic!(
                "redis-server did not restart on port {}: {reason}",
                self.port
            );
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let binary = std::env::var_os("REDIS_SERVER").unwrap_or_else(|| "redis-server".into());
        let mut args: Vec<OsString> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--port".into(),
            self.port.to_string().into(),
            "--dir".into(),
            self.dir.path().into(),
            "--save".into(),
            "".into(),
            "--daemonize".into(),
            "no".into(),
            "--protected-mode".into(),
            "yes".into(),
        ];
        if self.options.persistence {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"].map(OsString::from));
        } else {
            args.extend(["--appendonly", "no"].map(OsString::from));
        }
        if let Some(password) = &self.options.password {
            args.extend(["--requirepass".into(), password.into()]);
        }
        let mut child = match Command::new(&binary)
            .args(&args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if error.kind() == ErrorKind::NotFound => panic!(
                "{} is not installed: these tests run a real Redis server. Install it with \
                 `apt-get install redis-server` (or set REDIS_SERVER to its path)",
                binary.to_string_lossy()
            ),
            Err(error) => panic!("starting {}: {error}", binary.to_string_lossy()),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("it exited with {status}"));
            }
            if self.answers_ping() {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer to PING within {START_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server answers a `PING` (an authentication error is an answer too).
    fn answers_ping(&self) -> bool {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        match BufReader::new(stream).read_line(&mut line) {
            Ok(_) => line.starts_with("+PONG") || line.starts_with("-NOAUTH"),
            Err(_) => false,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisServer")
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .field("running", &self.child.is_some())
            .field("options", &self.options)
            .finish()
    }
}

/// A loopback port that was free a moment ago (the server binds it next).
fn free_port() -> u16 {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a free loopback port");
    listener
        .local_addr()
        .expect("reading the bound port")
        .port()
}

/// Percent-encodes a URL's password (every byte but the unreserved ones).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_answers_until_stopped_and_again_after_restart() {
        let mut server = RedisServer::start();
        assert!(server.answers_ping());
        let port = server.port();
        server.stop();
        assert!(!server.answers_ping());
        server.restart();
        assert_eq!(server.port(), port);
        assert!(server.answers_ping());
    }

    #[test]
    fn a_password_goes_into_the_url_encoded() {
        let server = RedisServer::builder().password("p@ss word").start();
        assert_eq!(
            server.url(),
            format!("redis://:p%40ss%20word@127.0.0.1:{}/", server.port())
        );
        assert!(!format!("{server:?}").contains("p@ss"));
    }
}
