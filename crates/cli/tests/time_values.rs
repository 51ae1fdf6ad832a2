//! A cache file holding expiries no clock can hold (2^63, 2^64+1, -5, abc) and an
//! absurd clock offset: the tool answers with an exit code, never a panic (exit 101).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use serde_json::{Value, json};
use support::{Env, fixture};

/// Sets `field` of every access token in the cache file to `value`.
fn set_access_token_times(env: &Env, field: &str, value: &Value) {
    let mut cache: Value = serde_json::from_slice(&std::fs::read(&env.cache).unwrap()).unwrap();
    for entry in cache["AccessToken"].as_object_mut().unwrap().values_mut() {
        entry[field] = value.clone();
    }
    std::fs::write(&env.cache, serde_json::to_vec_pretty(&cache).unwrap()).unwrap();
}

#[test]
fn token_and_accounts_survive_expiries_no_clock_can_hold() {
    let env = Env::start();
    env.login_alice();
    for value in [
        json!("9223372036854775808"),
        json!("18446744073709551617"),
        json!("-5"),
        json!("abc"),
    ] {
        set_access_token_times(&env, "expires_on", &value);

        let token = env.run(&["token", "--scope", "User.Read", "--output", "json"], None);
        let accounts = env.run(&["accounts"], None);

        assert_eq!(token.code, 0, "{value}: {token:#?}");
        let result: Value = serde_json::from_str(&token.stdout).unwrap();
        assert_eq!(result["token_source"], "identity_provider", "{value}");
        assert!(
            result["expires_at"].as_str().unwrap() < "9999",
            "{value}: {result}"
        );
        assert_eq!(accounts.code, 0, "{value}: {accounts:#?}");
        assert!(accounts.stdout.starts_with(fixture::ALICE), "{accounts:#?}");
    }
}

#[test]
fn a_refresh_on_no_clock_can_hold_is_served_from_the_cache() {
    let env = Env::start();
    env.login_alice();
    set_access_token_times(&env, "refresh_on", &json!("9223372036854775808"));

    let token = env.run(&["token", "--scope", "User.Read", "--output", "json"], None);

    assert_eq!(token.code, 0, "{token:#?}");
    let result: Value = serde_json::from_str(&token.stdout).unwrap();
    assert_eq!(result["token_source"], "cache");
}

#[test]
fn an_absurd_clock_offset_is_a_usage_error() {
    let env = Env::start();
    env.login_alice();
    let mut command = env.command(&["token", "--scope", "User.Read"]);
    command.env("ENTRA_AUTH_CLOCK_OFFSET_SECS", u64::MAX.to_string());

    let run = env.run_command(command, None);

    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr.contains("ENTRA_AUTH_CLOCK_OFFSET_SECS"),
        "{run:#?}"
    );
}
