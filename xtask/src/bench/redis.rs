//! A `redis-server` child process for the shared-cache rows of `cargo xtask bench`: on a
//! free loopback port, without persistence, in a directory of its own under the bench's
//! work directory; killed and its directory removed when dropped.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server has to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Free ports tried when another process takes the chosen one first.
const START_ATTEMPTS: usize = 3;

/// A running `redis-server`, killed when dropped.
pub(super) struct RedisProcess {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisProcess {
    /// Starts `redis-server` in `work`/redis-PID and waits until it answers; or says
    /// why not (not installed: how to install it).
    pub(super) fn start(work: &Path) -> Result<RedisProcess, String> {
        crate::prerequisites::redis_server()?;
        let dir = work.join(format!("redis-{}", std::process::id()));
        fs::create_dir_all(&dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::start_on(&dir, free_port()?) {
                Ok(server) => return Ok(server),
                Err(problem) => last = problem,
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Err(last)
    }

    fn start_on(dir: &Path, port: u16) -> Result<RedisProcess, String> {
        let log = dir.join("redis-server.log");
        let out =
            File::create(&log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|err| format!("cannot share {}: {err}", log.display()))?;
        let child = Command::new("redis-server")
            .args(arguments(port, dir))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|err| format!("could not start redis-server: {err}"))?;
        let mut server = RedisProcess {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if answers_ping(port) {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "redis-server exited ({status}) on port {port}; its log: {}",
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                let _ = server.child.kill();
                return Err(format!(
                    "redis-server did not answer PING within {START_TIMEOUT:?}; its log: {}",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub(super) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The command line: loopback only, no snapshots, its files in `dir`.
fn arguments(port: u16, dir: &Path) -> Vec<String> {
    vec![
        "--port".into(),
        port.to_string(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--save".into(),
        String::new(),
        "--appendonly".into(),
        "no".into(),
        "--dir".into(),
        dir.display().to_string(),
    ]
}

/// A loopback port nobody listens on now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|err| format!("cannot find a free loopback port: {err}"))
}

/// Whether a server on `port` answers `PING` with `+PONG`.
fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0_u8; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_binds_loopback_only_and_keeps_nothing() {
        let args = arguments(6400, Path::new("/tmp/r"));
        assert_eq!(
            args,
            [
                "--port",
                "6400",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/tmp/r"
            ]
        );
    }

    #[test]
    fn a_started_server_answers_on_loopback_and_is_gone_once_dropped() {
        // `cargo xtask test` checks that redis-server is installed before any test runs.
        let work = tempfile::tempdir().unwrap();
        let server = RedisProcess::start(work.path()).unwrap();
        let port = server.port;
        assert_eq!(server.url(), format!("redis://127.0.0.1:{port}"));
        assert!(answers_ping(port));
        let dir = server.dir.clone();
        assert!(dir.starts_with(work.path()));
        drop(server);
        assert!(!answers_ping(port));
        assert!(!dir.exists());
    }

    #[test]
    fn nothing_listening_answers_no_ping() {
        let port = free_port().unwrap();
        assert!(!answers_ping(port));
    }
}
