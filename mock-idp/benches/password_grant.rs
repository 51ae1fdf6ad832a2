//! Password-grant throughput of an in-process mock-idp over HTTPS.
//!
//! `cargo bench -p mock-idp` (release). Two measurements, in grants per second:
//! - `sequential`: alice@contoso.com password grants one after the other on one
//!   keep-alive connection;
//! - `concurrent_16`: 16 grants in flight at once (reqwest opens up to 16 connections).
//!
//! Every response is checked to be a 200 with tokens, so only successes are counted.
//! Warm-up and measurement times are set here to keep the run under a minute.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_main};
use mock_idp::{Config, Fixture, MockIdp, default_fixture as d};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Grants in flight at once in the concurrent variant.
const IN_FLIGHT: usize = 16;

/// The scopes of every grant, as MSAL sends them.
const SCOPE: &str = "User.Read offline_access openid profile";

/// A running mock-idp and a client trusting it.
struct Target {
    runtime: Runtime,
    client: reqwest::Client,
    token_endpoint: String,
    // Kept alive for the whole run; dropping it stops the server.
    _idp: MockIdp,
}

fn start() -> Result<Target, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let idp = runtime
        .block_on(MockIdp::start(Config::new(Fixture::default()).seed(7)))
        .map_err(|err| format!("mock-idp did not start: {err}"))?;
    let client = idp.client().map_err(|err| format!("client setup: {err}"))?;
    let token_endpoint = format!("{}/organizations/oauth2/v2.0/token", idp.base_url());
    Ok(Target {
        runtime,
        client,
        token_endpoint,
        _idp: idp,
    })
}

/// One password grant for alice; fails unless the answer is 200 with an access token.
async fn grant(client: reqwest::Client, token_endpoint: String) -> Result<(), String> {
    let response = client
        .post(&token_endpoint)
        .form(&[
            ("client_id", d::CLI_CLIENT_ID),
            ("grant_type", "password"),
            ("client_info", "1"),
            ("username", d::ALICE),
            ("password", d::PASSWORD),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .map_err(|err| format!("request failed: {err}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| format!("body: {err}"))?;
    let has_token = body.windows(15).any(|w| w == b"\"access_token\":");
    if status.is_success() && has_token {
        Ok(())
    } else {
        Err(format!(
            "expected tokens, got {status}: {}",
            String::from_utf8_lossy(&body)
        ))
    }
}

async fn grants_in_flight(client: &reqwest::Client, token_endpoint: &str) -> Result<(), String> {
    let mut tasks = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        tasks.spawn(grant(client.clone(), token_endpoint.to_owned()));
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|err| format!("task: {err}"))??;
    }
    Ok(())
}

fn password_grant(c: &mut Criterion) {
    let target = match start() {
        Ok(target) => target,
        Err(problem) => panic!("{problem}"),
    };
    let Target {
        runtime,
        client,
        token_endpoint,
        ..
    } = &target;
    // Fail fast (and open the keep-alive connection) before measuring.
    if let Err(problem) = runtime.block_on(grant(client.clone(), token_endpoint.clone())) {
        panic!("{problem}");
    }

    let mut group = c.benchmark_group("password_grant");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sample_size(20);

    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential", |b| {
        b.iter(|| {
            if let Err(problem) = runtime.block_on(grant(client.clone(), token_endpoint.clone())) {
                panic!("{problem}");
            }
        });
    });

    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("concurrent_16", |b| {
        b.iter(|| {
            if let Err(problem) = runtime.block_on(grants_in_flight(client, token_endpoint)) {
                panic!("{problem}");
            }
        });
    });
    group.finish();
}

// The macro's generated `pub fn benches` cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::password_grant);
}
criterion_main!(group::benches);
