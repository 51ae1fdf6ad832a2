//! How many heap allocations a silent acquisition served from the cache makes: a
//! regression test for the hit path (time is the benchmark's business, not this one's).
//!
//! A test binary of its own, because it replaces the global allocator with one that
//! counts the allocations of the current thread. The runtime is a current-thread one, so
//! the whole acquisition runs on the thread that counts.

mod support;

use entra_auth::TokenSource;
use support::*;

/// The most allocations one silent cache hit may make. What they are: the boxed future
/// of the request, and the copies today's entra-cache lookups hand out (see
/// `a_silent_cache_hit_allocates_at_most_a_handful_of_times`).
const MAX_HIT_ALLOCATIONS: u64 = 22;

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
