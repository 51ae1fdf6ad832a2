//! `mock-idp`: serve the mock Entra ID over HTTPS until interrupted.
//!
//! Prints, in this order: `mock-idp listening on https://localhost:{port}` (first line,
//! flushed once bound), `CA certificate: {path}`, then a summary of the fixture.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use mock_idp::{Config, Fixture, MockIdp, TenantKind, TlsPem};

/// An HTTPS mock of Microsoft Entra ID for the username/password flow.
#[derive(Parser, Debug)]
#[command(name = "mock-idp", version)]
struct Args {
    /// A TOML fixture (see mock-idp/README.md); the built-in default fixture otherwise.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Deterministic mode: fixed keys and ids, a clock that moves only when told.
    #[arg(long)]
    seed: Option<u64>,
    /// Where to write the CA certificate (PEM); a new file with a random name in the temp
    /// dir otherwise.
    #[arg(long, value_name = "PATH")]
    ca_out: Option<PathBuf>,
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Allow binding an address other than loopback.
    #[arg(long)]
    allow_non_loopback: bool,
    /// A PEM certificate chain to serve instead of a generated one (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A host name to add to the generated certificate and to the hosts instance
    /// discovery knows (repeatable), e.g. contosob2c.b2clogin.com mapped to 127.0.0.1.
    #[arg(long = "hostname", value_name = "NAME")]
    hostnames: Vec<String>,
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

fn summary(fixture: &Fixture) -> String {
    let mut out = String::new();
    out.push_str("tenants:\n");
    for t in &fixture.tenants {
        let kind = match t.kind {
            TenantKind::Managed => "managed",
            TenantKind::Federated => "federated",
            TenantKind::Personal => "personal accounts",
            TenantKind::B2c => "B2C",
            TenantKind::Ciam => "External ID",
        };
        out.push_str(&format!(
            "  {} {} ({kind}): {}\n",
            t.name,
            t.id,
            t.domains.join(", ")
        ));
    }
    out.push_str("apps:\n");
    for a in &fixture.apps {
        let mut kind = vec![if a.public_client_flows {
            "public client flows"
        } else {
            "no public client flows"
        }];
        if !a.secrets.is_empty() {
            kind.push("client secret");
        }
        if !a.certificates.is_empty() {
            kind.push("certificate");
        }
        if a.multi_tenant {
            kind.push("multi-tenant");
        }
        out.push_str(&format!(
            "  {} {} ({})\n",
            a.name,
            a.client_id,
            kind.join(", ")
        ));
    }
    out.push_str("users:\n");
    for u in &fixture.users {
        let mut state = Vec::new();
        for (flag, name) in [
            (u.locked, "locked"),
            (u.disabled, "disabled"),
            (u.password_expired, "expired"),
            (u.mfa_required, "per-user MFA"),
            (!u.mfa_registered, "no MFA method"),
        ] {
            if flag {
                state.push(name);
            }
        }
        let state = if state.is_empty() {
            String::new()
        } else {
            format!(" [{}]", state.join(", "))
        };
        out.push_str(&format!("  {}{state}\n", u.username));
    }
    out
}

/// `error`'s Display followed by each of its causes, joined by `: `.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let part = current.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = current.source();
    }
    text
}

async fn run(args: Args) -> Result<(), String> {
    let fixture = match &args.config {
        Some(path) => Fixture::from_toml_str(&read(path)?)
            .map_err(|err| format!("{}: {err}", path.display()))?,
        None => Fixture::default(),
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsPem {
            cert_chain_pem: read(cert)?,
            key_pem: read(key)?,
        }),
        _ => None,
    };
    let mut config = Config::new(fixture.clone());
    config.seed = args.seed;
    config.port = args.port;
    config.bind = args.bind;
    config.allow_non_loopback = args.allow_non_loopback;
    config.tls = tls;
    config.hostnames = args.hostnames.clone();
    let idp = MockIdp::start(config).await.map_err(|err| chain(&err))?;
    let mut stdout = std::io::stdout().lock();
    let lines = format!("mock-idp listening on {}\n", idp.base_url());
    stdout
        .write_all(lines.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| err.to_string())?;
    let ca_path = write_ca(args.ca_out.as_deref(), idp.ca_pem())?;
    let mut rest = format!("CA certificate: {}\n", ca_path.display());
    if let Some(seed) = args.seed {
        rest.push_str(&format!(
            "deterministic mode: seed {seed}, clock at {}\n",
            mock_idp::DETERMINISTIC_START
        ));
    }
    rest.push_str(&summary(&fixture));
    rest.push_str("admin API: /_admin/ (loopback only); stop with Ctrl-C\n");
    stdout
        .write_all(rest.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| err.to_string())?;
    drop(stdout);
    wait_for_signal().await;
    idp.shutdown().await;
    Ok(())
}

/// Writes the CA certificate to `path`, or to a new file in the temp dir, and returns
/// where. The bytes go to a file created exclusively under an unpredictable name (mode
/// 0644 on Unix: the certificate is public), which is then kept or renamed over `path`:
/// a file or symlink planted in advance is replaced, never written through.
fn write_ca(path: Option<&Path>, pem: &str) -> Result<PathBuf, String> {
    let dir = match path.map(Path::parent) {
        Some(Some(dir)) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => std::env::temp_dir(),
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    if path.is_some() {
        builder.prefix(".mock-idp-ca.").suffix(".tmp");
    } else {
        builder.prefix("mock-idp-").suffix("-ca.pem");
    }
    let mut file = builder
        .tempfile_in(&dir)
        .map_err(|err| format!("cannot create a file in {}: {err}", dir.display()))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|err| format!("cannot write {}: {err}", file.path().display()))?;
    match path {
        Some(path) => {
            file.persist(path)
                .map_err(|err| format!("cannot write {}: {}", path.display(), err.error))?;
            Ok(path.to_path_buf())
        }
        None => file
            .keep()
            .map(|(_, path)| path)
            .map_err(|err| format!("cannot keep {}: {}", err.file.path().display(), err.error)),
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mock-idp: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-idp: {err}");
            ExitCode::from(2)
        }
    }
}
