//! Scenarios without a network: silent acquisition served from a cache file, and cache
//! (de)serialization.

use std::path::Path;
use std::time::Instant;

use entra_auth::{Account, PublicClientApplication, TokenSource};
use entra_cache::TokenCache;

use crate::cache_gen::{ENVIRONMENT, SCOPE};
use crate::stats::{emit, peak_memory_kib, spread};

/// What `gen-cache` wrote next to a cache: its size and the accounts to ask for.
struct Probes {
    accounts: usize,
    client_id: String,
    tenant: String,
    home_account_ids: Vec<String>,
}

fn read_probes(path: &Path) -> Result<Probes, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    let text = |name: &str| {
        json[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{}: no `{name}`", path.display()))
    };
    let home_account_ids: Vec<String> = json["home_account_ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if home_account_ids.is_empty() {
        return Err(format!("{}: no `home_account_ids`", path.display()));
    }
    Ok(Probes {
        accounts: json["accounts"].as_u64().unwrap_or_default() as usize,
        client_id: text("client_id")?,
        tenant: text("tenant")?,
        home_account_ids,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))
}

/// `warmup` untimed silent calls cycling over `accounts`.
pub(crate) async fn warm_up(
    app: &PublicClientApplication,
    accounts: &[Account],
    warmup: usize,
) -> Result<(), String> {
    for account in accounts.iter().cycle().take(warmup) {
        app.acquire_token_silent(&[SCOPE], account)
            .await
            .map_err(|err| format!("silent call failed: {err}"))?;
    }
    Ok(())
}

/// `calls` timed silent calls cycling over `accounts`, each checked (outside the timed
/// region) to have been served from the cache; nanoseconds per call.
pub(crate) async fn timed_hits(
    app: &PublicClientApplication,
    accounts: &[Account],
    calls: usize,
) -> Result<Vec<u64>, String> {
    let scopes = [SCOPE];
    let mut samples = Vec::with_capacity(calls);
    for account in accounts.iter().cycle().take(calls) {
        let started = Instant::now();
        let result = app.acquire_token_silent(&scopes, account).await;
        let elapsed = started.elapsed();
        match result {
            Ok(result) if result.token_source == TokenSource::Cache => {}
            Ok(_) => return Err("a silent call was not served from the cache".to_owned()),
            Err(err) => return Err(format!("silent call failed: {err}")),
        }
        samples.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(samples)
}

/// `calls` timed silent calls (after `warmup` untimed ones) cycling over the probed
/// accounts of a cache loaded once from `cache`; reports the median per call.
pub(crate) fn silent(
    cache: &Path,
    probes: &Path,
    calls: usize,
    warmup: usize,
) -> Result<(), String> {
    let probes = read_probes(probes)?;
    let bytes = read(cache)?;
    let app = PublicClientApplication::builder(probes.client_id.clone())
        .authority(&format!("https://{ENVIRONMENT}/{}", probes.tenant))
        .build()
        .map_err(|err| err.to_string())?;
    let loading = Instant::now();
    app.token_cache()
        .deserialize(&bytes)
        .map_err(|err| format!("{}: {err}", cache.display()))?;
    let load_ms = loading.elapsed().as_secs_f64() * 1e3;
    drop(bytes);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let samples = runtime.block_on(async {
        let mut accounts: Vec<Account> = Vec::with_capacity(probes.home_account_ids.len());
        for id in &probes.home_account_ids {
            let account = app
                .account(id)
                .await
                .map_err(|err| err.to_string())?
                .ok_or_else(|| format!("account {id} is not in {}", cache.display()))?;
            accounts.push(account);
        }
        let scopes = [SCOPE];
        // Peak memory with the whole cache loaded and one hit served.
        let first = accounts
            .first()
            .ok_or_else(|| format!("{}: no account to probe", cache.display()))?;
        app.acquire_token_silent(&scopes, first)
            .await
            .map_err(|err| format!("silent call failed: {err}"))?;
        let peak_kib = peak_memory_kib();
        warm_up(&app, &accounts, warmup).await?;
        let samples = timed_hits(&app, &accounts, calls).await?;
        Ok::<_, String>((samples, peak_kib))
    })?;
    let (mut samples, peak_kib) = samples;
    let (median, p10, p90) = spread(&mut samples);
    emit(serde_json::json!({
        "scenario": "silent",
        "library": "entra-auth",
        "accounts": probes.accounts,
        "calls": samples.len(),
        "median_ns": median,
        "p10_ns": p10,
        "p90_ns": p90,
        "load_ms": load_ms,
        "peak_kib": peak_kib,
    }))
}

/// `calls` timed account listings (`accounts()`) of a cache loaded once from `cache`;
/// reports the median per call. Every listing must name every account of the cache.
pub(crate) fn accounts(cache: &Path, probes: &Path, calls: usize) -> Result<(), String> {
    let probes = read_probes(probes)?;
    let app = load(cache, &probes)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let mut samples = runtime.block_on(async {
        let mut samples = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let listed = app.accounts().await;
            let elapsed = started.elapsed();
            let listed = listed.map_err(|err| format!("listing accounts failed: {err}"))?;
            if listed.len() != probes.accounts {
                return Err(format!(
                    "accounts() listed {} accounts, {} holds {}",
                    listed.len(),
                    cache.display(),
                    probes.accounts
                ));
            }
            drop(listed);
            samples.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        }
        Ok::<_, String>(samples)
    })?;
    let (median, p10, p90) = spread(&mut samples);
    emit(serde_json::json!({
        "scenario": "accounts",
        "library": "entra-auth",
        "accounts": probes.accounts,
        "calls": samples.len(),
        "median_ns": median,
        "p10_ns": p10,
        "p90_ns": p90,
    }))
}

/// An application for the probed client and tenant, its cache loaded from `cache`.
fn load(cache: &Path, probes: &Probes) -> Result<PublicClientApplication, String> {
    let bytes = read(cache)?;
    let app = PublicClientApplication::builder(probes.client_id.clone())
        .authority(&format!("https://{ENVIRONMENT}/{}", probes.tenant))
        .build()
        .map_err(|err| err.to_string())?;
    app.token_cache()
        .deserialize(&bytes)
        .map_err(|err| format!("{}: {err}", cache.display()))?;
    Ok(app)
}

/// `rounds` timed deserializations and serializations of the cache in `cache`.
pub(crate) fn serde(cache: &Path, rounds: usize) -> Result<(), String> {
    let bytes = read(cache)?;
    let accounts = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|json| json["Account"].as_object().map(serde_json::Map::len))
        .unwrap_or_default();
    let mut deserialize = Vec::with_capacity(rounds);
    let mut serialize = Vec::with_capacity(rounds);
    let mut length = 0;
    for _ in 0..rounds.max(1) {
        // A fresh cache each round, dropped outside the timed regions (as MSAL
        // Python's side does).
        let target = TokenCache::new();
        let started = Instant::now();
        target
            .deserialize(&bytes)
            .map_err(|err| format!("{}: {err}", cache.display()))?;
        deserialize.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let started = Instant::now();
        let json = target.serialize();
        serialize.push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
        length = json.len();
        drop(json);
        drop(target);
    }
    for (operation, samples) in [
        ("deserialize", &mut deserialize),
        ("serialize", &mut serialize),
    ] {
        let (median, p10, p90) = spread(samples);
        emit(serde_json::json!({
            "scenario": operation,
            "library": "entra-auth",
            "accounts": accounts,
            "bytes": if operation == "serialize" { length } else { bytes.len() },
            "rounds": samples.len(),
            "median_ns": median,
            "p10_ns": p10,
            "p90_ns": p90,
        }))?;
    }
    Ok(())
}
