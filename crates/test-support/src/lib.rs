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
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// How long a starting server has to answer `PING` before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How many free ports are tried when another process takes the chosen one first.
const START_ATTEMPTS: usize = 5;

/// A `redis-server` process of this test, on `127.0.0.1:{port}`, killed on drop.
pub struct RedisServer {
    options: RedisOptions,
    port: u16,
    dir: tempfile::TempDir,
    tls: Option<Tls>,
    child: Option<Child>,
}

/// The certificate files of a TLS server, and its plain port for readiness checks.
struct Tls {
    ca_pem: String,
    ca_file: PathBuf,
    cert_file: PathBuf,
    key_file: PathBuf,
    plain_port: u16,
}

impl Tls {
    /// Makes a CA and a server certificate for 127.0.0.1 and localhost, and writes them
    /// into `dir`.
    fn write(dir: &Path, plain_port: u16) -> Tls {
        let ca_key = KeyPair::generate().expect("generating the test CA's key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("the test CA");
        ca.distinguished_name
            .push(DnType::CommonName, "entra-test-support Redis CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("self-signing the test CA");
        let server_key = KeyPair::generate().expect("generating the server's key");
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("the server certificate");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server.is_ca = IsCa::ExplicitNoCa;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let issuer = Issuer::from_params(&ca, &ca_key);
        let server_cert = server
            .signed_by(&server_key, &issuer)
            .expect("signing the server certificate");
        let tls = Tls {
            ca_pem: ca_cert.pem(),
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
            plain_port,
        };
        let files = [
            (&tls.ca_file, tls.ca_pem.clone()),
            (&tls.cert_file, server_cert.pem()),
            (&tls.key_file, server_key.serialize_pem()),
        ];
        for (path, pem) in files {
            std::fs::write(path, pem).expect("writing the test certificates");
        }
        tls
    }
}

/// How to start a [`RedisServer`]: [`RedisServer::builder`].
#[derive(Clone, Default)]
pub struct RedisOptions {
    password: Option<String>,
    persistence: bool,
    tls: bool,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("persistence", &self.persistence)
            .field("tls", &self.tls)
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

    /// Serves TLS only (`rediss://`), with a certificate for `127.0.0.1` and `localhost`
    /// issued by a CA made for this server ([`RedisServer::ca_pem`]). A plain port stays
    /// open on loopback for the readiness check only.
    pub fn tls(mut self, tls: bool) -> RedisOptions {
        self.tls = tls;
        self
    }

    /// Starts the server and waits until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not come up.
    pub fn start(self) -> RedisServer {
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let dir = tempfile::tempdir().expect("creating a temporary directory for redis-server");
            let tls = self.tls.then(|| Tls::write(dir.path(), free_port()));
            let mut server = RedisServer {
                options: self.clone(),
                port,
                dir,
                tls,
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
                "{}://:{}@127.0.0.1:{}/",
                self.scheme(),
                percent_encode(password),
                self.port
            ),
            None => self.url_without_password(),
        }
    }

    /// The URL without the password (what a store should report as its location).
    pub fn url_without_password(&self) -> String {
        format!("{}://127.0.0.1:{}/", self.scheme(), self.port)
    }

    /// The PEM of the CA that issued a TLS server's certificate (`None` without TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.ca_pem.as_str())
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        }
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
        let mut args: Vec<OsString> = vec!["--bind".into(), "127.0.0.1".into()];
        match &self.tls {
            None => args.extend(["--port".into(), self.port.to_string().into()]),
            Some(tls) => args.extend([
                "--port".into(),
                tls.plain_port.to_string().into(),
                "--tls-port".into(),
                self.port.to_string().into(),
                "--tls-cert-file".into(),
                tls.cert_file.clone().into(),
                "--tls-key-file".into(),
                tls.key_file.clone().into(),
                "--tls-ca-cert-file".into(),
                tls.ca_file.clone().into(),
                "--tls-auth-clients".into(),
                "no".into(),
            ]),
        }
        args.extend([
            "--dir".into(),
            self.dir.path().into(),
            "--save".into(),
            "".into(),
            "--daemonize".into(),
            "no".into(),
            "--protected-mode".into(),
            "yes".into(),
        ]);
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
            if self.answering_process() == Some(child.id()) {
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

    /// The process id of the server answering on the (plain) port, if one answers: a
    /// server of another test that took the port first is not this one.
    fn answering_process(&self) -> Option<u32> {
        let port = self.tls.as_ref().map_or(self.port, |tls| tls.plain_port);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut writer = stream;
        if let Some(password) = &self.options.password {
            let reply = command(&mut writer, &mut reader, &[b"AUTH", password.as_bytes()])?;
            if !reply.starts_with(b"OK") {
                return None;
            }
        }
        let info = command(&mut writer, &mut reader, &[b"INFO", b"server"])?;
        String::from_utf8_lossy(&info)
            .lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .and_then(|id| id.trim().parse().ok())
    }
}

/// Sends one command and reads its reply: the text of a simple string or the bytes of a
/// bulk string; `None` for an error reply, a closed connection or a timeout.
fn command(
    writer: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    args: &[&[u8]],
) -> Option<Vec<u8>> {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg);
        request.extend_from_slice(b"\r\n");
    }
    writer.write_all(&request).ok()?;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let line = line.trim_end();
    if let Some(text) = line.strip_prefix('+') {
        return Some(text.as_bytes().to_vec());
    }
    let length: usize = line.strip_prefix('$')?.parse().ok()?;
    let mut bulk = vec![0; length + 2];
    reader.read_exact(&mut bulk).ok()?;
    bulk.truncate(length);
    Some(bulk)
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
            .field("tls", &self.tls.is_some())
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
        let first = server.answering_process();
        assert!(first.is_some());
        let port = server.port();
        server.stop();
        assert_eq!(server.answering_process(), None);
        server.restart();
        assert_eq!(server.port(), port);
        let second = server.answering_process();
        assert!(second.is_some() && second != first, "a new process answers");
    }

    #[test]
    fn a_password_goes_into_the_url_encoded() {
        let server = RedisServer::builder().password("p@ss word").start();
        assert_eq!(
            server.url(),
            format!("redis://:p%40ss%20word@127.0.0.1:{}/", server.port())
        );
        assert!(!format!("{server:?}").contains("p@ss"));
        assert!(server.answering_process().is_some(), "authenticated");
    }

    #[test]
    fn a_tls_server_has_a_rediss_url_and_its_ca() {
        let server = RedisServer::builder().tls(true).start();
        assert_eq!(
            server.url(),
            format!("rediss://127.0.0.1:{}/", server.port())
        );
        assert!(
            server
                .ca_pem()
                .is_some_and(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----"))
        );
        // The TLS port does not speak plain RESP.
        let plain = TcpStream::connect((Ipv4Addr::LOCALHOST, server.port())).unwrap();
        plain
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = BufReader::new(plain.try_clone().unwrap());
        let mut writer = plain;
        assert_eq!(command(&mut writer, &mut reader, &[b"PING"]), None);
    }
}

/// Runs the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
