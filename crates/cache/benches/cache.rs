//! Lookup cost at growing cache sizes, and (de)serialization of a 10k-account cache.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use entra_cache::{AccessTokenQuery, RefreshTokenQuery, TokenCache, TokenIngest};
use secrecy::SecretString;

const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const NOW: u64 = 1_700_000_000;

fn home_account_id(i: usize) -> String {
    format!("{i:08x}-0000-0000-0000-000000000000.{TENANT}")
}

/// A cache with `accounts` accounts, each with two access tokens, a refresh token, an id
/// token, an account entry (and one shared app metadata entry).
fn cache_with(accounts: usize) -> TokenCache {
    let cache = TokenCache::new();
    for i in 0..accounts {
        for scope in ["User.Read", "Mail.Read"] {
            let mut ingest = TokenIngest::new(
                ENV,
                CLIENT,
                TENANT,
                SecretString::from(format!("at-{i}")),
                NOW,
            );
            ingest.granted_scope = Some(format!("{scope} openid profile offline_access"));
            ingest.expires_in = Some(3599);
            ingest.refresh_token = Some(SecretString::from(format!("rt-{i}")));
            ingest.id_token = Some(SecretString::from(format!("idt-{i}")));
            ingest.home_account_id = Some(home_account_id(i));
            ingest.local_account_id = Some(format!("{i:08x}"));
            ingest.username = Some(format!("user{i}@contoso.com"));
            ingest.account_source = Some("password".into());
            cache.ingest(&ingest);
        }
    }
    cache
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    for accounts in [1usize, 1_000, 10_000, 100_000] {
        let cache = cache_with(accounts);
        let target = home_account_id(accounts / 2);
        group.bench_with_input(
            BenchmarkId::new("access_token", accounts),
            &target,
            |b, id| {
                b.iter(|| {
                    black_box(cache.access_token(&AccessTokenQuery {
                        home_account_id: Some(id),
                        environments: &[ENV, "login.windows.net"],
                        client_id: CLIENT,
                        realms: &[TENANT, "organizations"],
                        scopes: &["User.Read"],
                        now: NOW + 60,
                    }))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("refresh_token", accounts),
            &target,
            |b, id| {
                b.iter(|| {
                    black_box(cache.refresh_token(&RefreshTokenQuery {
                        home_account_id: id,
                        environments: &[ENV],
                        client_id: CLIENT,
                        family_id: Some("1"),
                    }))
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("account", accounts), &target, |b, id| {
            b.iter(|| black_box(cache.account(id, &[ENV])))
        });
    }
    group.finish();
}

fn serialization(c: &mut Criterion) {
    let cache = cache_with(10_000);
    let json = cache.serialize();
    let mut group = c.benchmark_group("10k_accounts");
    group.sample_size(10);
    group.bench_function("serialize", |b| b.iter(|| black_box(cache.serialize())));
    group.bench_function("deserialize", |b| {
        let target = TokenCache::new();
        b.iter(|| target.deserialize(black_box(json.as_bytes())))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = config(); targets = lookups, serialization }
criterion_main!(benches);
