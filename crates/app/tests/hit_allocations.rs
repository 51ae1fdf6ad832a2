//! How many heap allocations a silent acquisition served from the cache makes: a
//! regression test for the hit path (time is the benchmark's business, not this one's).
//!
//! A test binary of its own, because it replaces the global allocator with one that
//! counts the allocations of the current thread. The runtime is a current-thread one, so
//! the whole acquisition runs on the thread that counts.

mod support;

use entra_auth::TokenSource;
use support::*;

/// The most allocations one silent cache hit may make (it made 83 when the id token was
/// decoded on every hit and entra-cache handed out copies of its entries). What remains:
/// the boxed future of the request (1); the access token, copied once into the result
/// because a `SecretString` cannot be shared (1). Everything else a hit returns is
/// shared: the cache entries, the account, the id token claims, the token type, and the
/// scopes (the entry's interned target; copying it made a third allocation).
const MAX_HIT_ALLOCATIONS: u64 = 2;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

#[test]
fn a_silent_cache_hit_allocates_at_most_a_handful_of_times() {
    let runtime = runtime();
    let idp = runtime.block_on(Idp::start());
    let (app, account) = runtime.block_on(idp.signed_in_alice());
    // The first hit may fill what is filled once (lazily built state).
    let warm_up = runtime
        .block_on(app.acquire_token_silent(SCOPES, &account).into_future())
        .expect("a cached token");
    assert_eq!(warm_up.token_source, TokenSource::Cache);

    let mut result = None;
    let counted = allocation_counter::measure(|| {
        result = Some(runtime.block_on(app.acquire_token_silent(SCOPES, &account).into_future()));
    });

    let result = result.expect("the hit ran").expect("a cached token");
    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.access_token.secret(), TokenBody::access_token(1));
    println!(
        "a silent cache hit made {} allocations",
        counted.count_total
    );
    assert!(
        counted.count_total <= MAX_HIT_ALLOCATIONS,
        "a silent cache hit made {} allocations, more than {MAX_HIT_ALLOCATIONS}",
        counted.count_total
    );
}

#[test]
fn a_cache_loaded_from_msal_format_decodes_the_claims_once_then_hits_as_cheaply() {
    let runtime = runtime();
    let idp = runtime.block_on(Idp::start());
    let (signed_in, account) = runtime.block_on(idp.signed_in_alice());
    let serialized = signed_in.token_cache().serialize();
    let app = idp.public_app();
    app.token_cache()
        .deserialize(serialized.as_bytes())
        .expect("the cache loads");

    let mut first = None;
    let first_hit = allocation_counter::measure(|| {
        first = Some(runtime.block_on(app.acquire_token_silent(SCOPES, &account).into_future()));
    });
    let first = first.expect("the hit ran").expect("a cached token");
    let mut second = None;
    let second_hit = allocation_counter::measure(|| {
        second = Some(runtime.block_on(app.acquire_token_silent(SCOPES, &account).into_future()));
    });
    let second = second.expect("the hit ran").expect("a cached token");

    assert_eq!(first.token_source, TokenSource::Cache);
    assert_eq!(second.token_source, TokenSource::Cache);
    let (Some(first_claims), Some(second_claims)) =
        (&first.id_token_claims, &second.id_token_claims)
    else {
        panic!("both hits carry the id token claims");
    };
    assert!(
        std::sync::Arc::ptr_eq(first_claims, second_claims),
        "the second hit shares the claims the first one decoded"
    );
    println!(
        "first hit on a loaded cache: {} allocations; second: {}",
        first_hit.count_total, second_hit.count_total
    );
    assert!(
        first_hit.count_total > second_hit.count_total,
        "the first hit decodes the claims ({} allocations), the second does not ({})",
        first_hit.count_total,
        second_hit.count_total
    );
    assert!(second_hit.count_total <= MAX_HIT_ALLOCATIONS);
}
