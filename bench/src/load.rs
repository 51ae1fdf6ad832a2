//! Item 4's load generator: one password grant (alice's, as entra-protocol builds it)
//! posted again and again over N HTTPS connections, each with one request in flight,
//! until a fixed number of requests has been sent. The same generator, body, headers
//! and TLS client drive mock-idp and the peer it is measured beside, so the servers
//! alone differ. Also the self-signed certificate the peer serves.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tokio::task::JoinSet;

use crate::network::{self, Floor, Prepared};
use crate::stats::{emit, percentile};

/// One server to load.
pub(crate) struct LoadTarget<'a> {
    /// Its base URL; the password grant is built for `{base_url}/organizations`.
    pub(crate) base_url: &'a str,
    /// The CA that issued its certificate (PEM file).
    pub(crate) ca: &'a Path,
    /// Where to post the grant, when not mock-idp's token endpoint.
    pub(crate) token_url: Option<&'a str>,
    /// The name the measurement line gives the server.
    pub(crate) server: &'a str,
}

/// What one connection saw.
#[derive(Default)]
struct Connection {
    /// Microseconds of each successful grant, request sent to body read.
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// A client that keeps one connection (HTTP/1.1 over rustls with ring, as entra-http),
/// trusting only `ca_pem`.
fn one_connection_client(ca_pem: &str) -> Result<reqwest::Client, String> {
    mock_idp::client_builder_trusting(ca_pem)?
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|err| format!("HTTP client setup failed: {err}"))
}

/// `requests` password grants over `connections` connections; prints grants per
/// second, latency percentiles and errors.
pub(crate) fn grant_load(
    target: &LoadTarget<'_>,
    requests: usize,
    connections: usize,
) -> Result<(), String> {
    let server = network::target(target.base_url, target.ca)?;
    let mut grant = Floor::new(&server)?.token;
    if let Some(url) = target.token_url {
        grant = grant.to(url)?;
    }
    let connections = connections.max(1);
    let clients = (0..connections)
        .map(|_| one_connection_client(server.ca_pem()))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = network::runtime()?;
    let grant = Arc::new(grant);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let seen: Vec<Connection> = runtime.block_on(async {
        let mut tasks = JoinSet::new();
        for client in clients {
            let (grant, next) = (grant.clone(), next.clone());
            tasks.spawn(connection(client, grant, next, requests));
        }
        let mut seen = Vec::with_capacity(connections);
        while let Some(done) = tasks.join_next().await {
            seen.push(done.unwrap_or_else(|err| Connection {
                errors: 1,
                first_error: Some(format!("a connection's task failed: {err}")),
                ..Connection::default()
            }));
        }
        seen
    });
    let elapsed = started.elapsed().as_secs_f64();
    let errors: u64 = seen.iter().map(|c| c.errors).sum();
    let first_error = seen.iter().find_map(|c| c.first_error.clone());
    let mut latencies: Vec<u64> = seen.into_iter().flat_map(|c| c.latencies_us).collect();
    let grants = latencies.len();
    emit(serde_json::json!({
        "scenario": "grant_load",
        "server": target.server,
        "requests": requests,
        "connections": connections,
        "seconds": elapsed,
        "grants": grants,
        "grants_per_sec": grants as f64 / elapsed,
        "p50_us": percentile(&mut latencies, 50),
        "p99_us": percentile(&mut latencies, 99),
        "errors": errors,
        "first_error": first_error,
    }))
}

/// One connection's loop: takes request numbers until `requests` are taken.
async fn connection(
    client: reqwest::Client,
    grant: Arc<Prepared>,
    next: Arc<AtomicUsize>,
    requests: usize,
) -> Connection {
    let mut seen = Connection::default();
    while next.fetch_add(1, Ordering::Relaxed) < requests {
        let sent = Instant::now();
        match grant.send(&client).await {
            Ok(()) => {
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                seen.latencies_us.push(micros);
            }
            Err(problem) => {
                seen.errors += 1;
                seen.first_error.get_or_insert(problem);
            }
        }
    }
    seen
}

/// Writes a fresh CA (`ca.pem`) and a server certificate for localhost and 127.0.0.1
/// (`cert.pem`, with the CA after it, and `key.pem`) into `dir`: mock-idp's own kind
/// ([`mock_idp::TlsPem::generate`]).
pub(crate) fn peer_tls(dir: &Path) -> Result<(), String> {
    let pem = mock_idp::TlsPem::generate(&[])?;
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    for (name, text) in [
        ("ca.pem", pem.ca_pem()?),
        // The chain, as mock-idp serves it.
        ("cert.pem", pem.cert_chain_pem.clone()),
        ("key.pem", pem.key_pem.clone()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    emit(serde_json::json!({"scenario": "peer_tls", "dir": dir.display().to_string()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn peer_tls_writes_a_chain_ending_in_its_ca_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        peer_tls(dir.path()).unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        let (ca, chain, key) = (read("ca.pem"), read("cert.pem"), read("key.pem"));
        let certs: Vec<_> = CertificateDer::pem_slice_iter(chain.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        let ca_der = CertificateDer::from_pem_slice(ca.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[1], ca_der);
        assert_ne!(certs[0], ca_der);
        assert!(key.contains("PRIVATE KEY"));
        assert!(one_connection_client(&ca).is_ok());
    }
}
