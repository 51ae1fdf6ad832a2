//! `--cache redis://...` (and `ENTRA_AUTH_CACHE`): the token cache kept in a real
//! redis-server, shared by runs on different "machines" (separate home directories, so
//! separate settings files), with the URL's password never printed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use std::process::Command;

use entra_test_support::RedisServer;
use support::{Env, Run, fixture};

/// The password of the password-protected server.
const REDIS_PASSWORD: &str = "r3dis-Pa55word-never-printed";

/// `entra-auth login` as Alice through the cache `cache`, the password on standard input.
fn login(env: &Env, cache: &str, extra: &[&str]) -> Run {
    let authority = env.authority("organizations");
    let mut args = vec![
        "login",
        "--username",
        fixture::ALICE,
        "--password-stdin",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--authority",
        &authority,
        "--scope",
        "User.Read",
    ];
    args.extend_from_slice(extra);
    let command = env.command_with_cache(&args, cache);
    env.run_command(command, Some(&format!("{}\n", fixture::PASSWORD)))
}

/// The tool on another machine: its own home and cache directory (so no settings file
/// of the first), the same mock-idp, `--client-id` and `--authority` given, and the
/// cache from `ENTRA_AUTH_CACHE` rather than an argument.
fn elsewhere(env: &Env, machine: &str, args: &[&str], cache: &str) -> Command {
    let authority = env.authority("organizations");
    let mut command = Command::new(support::BIN);
    command.args(args).arg("--ca-cert").arg(&env.ca);
    env.isolate(&mut command);
    command
        .args([
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--authority",
            &authority,
        ])
        .env("HOME", env.dir.path().join(machine).join("home"))
        .env("XDG_CACHE_HOME", env.dir.path().join(machine).join("cache"))
        .env("ENTRA_AUTH_CACHE", cache);
    command
}

/// Asserts that neither stream of `run` holds the Redis password.
fn assert_no_password(run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(REDIS_PASSWORD),
            "the Redis password is in {stream}: {run:#?}"
        );
    }
}

#[test]
fn a_token_signed_in_through_redis_is_served_from_it_to_another_machine() {
    let env = Env::start();
    let redis = RedisServer::start();
    let url = redis.url();

    login(&env, &url, &[]).success();
    assert_eq!(env.token_requests().len(), 1);

    // The same machine: the settings file remembers the application.
    let here = env
        .run_command(
            env.command_with_cache(&["token", "--scope", "User.Read"], &url),
            None,
        )
        .success();
    // Another machine: nothing local, the tokens come from Redis.
    let there = env
        .run_command(
            elsewhere(&env, "machine-b", &["token", "--scope", "User.Read"], &url),
            None,
        )
        .success();

    assert_eq!(
        env.token_requests().len(),
        1,
        "both tokens came from the cache"
    );
    let token = here.stdout.trim_end();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(there.stdout, here.stdout);
    // Nothing was written to a cache file; the settings file is the default one.
    let default_dir = env.dir.path().join("xdg-cache").join("entra-auth");
    assert!(!default_dir.join("token_cache.json").exists());
    assert!(default_dir.join("token_cache.settings.json").exists());
    assert!(!env.cache.exists());
}

#[test]
fn accounts_and_logout_go_through_redis() {
    let env = Env::start();
    let redis = RedisServer::start();
    let url = redis.url();
    login(&env, &url, &[]).success();

    let accounts = env
        .run_command(elsewhere(&env, "machine-b", &["accounts"], &url), None)
        .success();
    assert!(accounts.stdout.starts_with(fixture::ALICE), "{accounts:?}");

    let logout = env
        .run_command(env.command_with_cache(&["logout"], &url), None)
        .success();
    assert_eq!(logout.stdout, format!("Signed out {}.\n", fixture::ALICE));

    let after = env
        .run_command(elsewhere(&env, "machine-c", &["accounts"], &url), None)
        .success();
    assert_eq!(after.stdout, "", "{after:?}");
    assert_eq!(
        after.stderr,
        format!(
            "No account is signed in (in {}).\n",
            redis.url_without_password()
        )
    );
    let token = env.run_command(
        elsewhere(&env, "machine-c", &["token", "--scope", "User.Read"], &url),
        None,
    );
    assert_eq!(token.code, 3, "signed out everywhere: {token:?}");
}

#[test]
fn a_password_protected_redis_works_and_its_password_is_never_printed() {
    let env = Env::start();
    let redis = RedisServer::builder().password(REDIS_PASSWORD).start();
    let url = redis.url();
    assert!(
        url.contains(REDIS_PASSWORD),
        "the test's URL carries it: {url}"
    );

    let mut runs = vec![login(&env, &url, &["-vvv"]).success()];
    for args in [
        &["token", "--scope", "User.Read", "-vvv"][..],
        &["token", "--scope", "User.Read", "--output", "json"],
        &["accounts", "-vvv"],
        &["accounts", "--output", "json"],
    ] {
        runs.push(
            env.run_command(elsewhere(&env, "machine-b", args, &url), None)
                .success(),
        );
    }
    assert_eq!(env.token_requests().len(), 1);
    assert!(
        runs[1].stderr.contains(&redis.url_without_password()),
        "-vvv names the server without its password: {:#?}",
        runs[1]
    );

    // A wrong password: refused, named without either password.
    let wrong = redis.url().replace(REDIS_PASSWORD, "not-the-password");
    let refused = env.run_command(
        elsewhere(&env, "machine-b", &["accounts", "-vvv"], &wrong),
        None,
    );
    assert_eq!(refused.code, 8, "{refused:?}");
    assert!(!refused.stderr.contains("not-the-password"), "{refused:?}");
    assert!(
        refused.stderr.contains(&redis.url_without_password()),
        "{refused:?}"
    );
    runs.push(refused);
    for run in &runs {
        assert_no_password(run);
    }
    let refused = env.run_command(elsewhere(&env, "machine-b", &["accounts"], &wrong), None);
    assert_error_snapshot!(env, "redis_wrong_password", refused);
}

#[test]
fn a_stopped_redis_is_a_network_error_naming_it_without_the_password() {
    let env = Env::start();
    let mut redis = RedisServer::builder().password(REDIS_PASSWORD).start();
    let url = redis.url();
    login(&env, &url, &[]).success();
    redis.stop();

    let run = env.run_command(
        env.command_with_cache(&["token", "--scope", "User.Read"], &url),
        None,
    );

    assert_eq!(run.code, 6, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(
        run.stderr.contains(&format!(
            "the token cache store {} is unavailable",
            redis.url_without_password()
        )),
        "{run:#?}"
    );
    assert_no_password(&run);
    assert_error_snapshot!(env, "redis_stopped", run);
    assert_eq!(env.token_requests().len(), 1, "nothing was sent instead");

    // Back up (without persistence it is empty): signed out, no crash.
    redis.restart();
    let after = env.run_command(
        env.command_with_cache(&["token", "--scope", "User.Read"], &url),
        None,
    );
    assert_eq!(after.code, 3, "{after:#?}");
}

#[test]
fn an_encrypted_cache_in_redis_needs_its_key() {
    const VARIABLE: &str = "ENTRA_AUTH_TEST_CACHE_KEY";
    const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJEjQ=";
    let env = Env::start();
    let redis = RedisServer::start();
    let url = redis.url();
    let mut command = env.command_with_cache(
        &[
            "login",
            "--username",
            fixture::ALICE,
            "--password-env",
            "ENTRA_AUTH_TEST_PASSWORD",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--authority",
            &env.authority("organizations"),
            "--scope",
            "User.Read",
            "--cache-key-env",
            VARIABLE,
        ],
        &url,
    );
    command
        .env("ENTRA_AUTH_TEST_PASSWORD", fixture::PASSWORD)
        .env(VARIABLE, KEY);
    env.run_command(command, None).success();

    let mut with_key = elsewhere(
        &env,
        "machine-b",
        &["token", "--scope", "User.Read", "--cache-key-env", VARIABLE],
        &url,
    );
    with_key.env(VARIABLE, KEY);
    let token = env.run_command(with_key, None).success();
    assert_eq!(token.stdout.trim_end().split('.').count(), 3, "{token:?}");
    assert_eq!(env.token_requests().len(), 1);

    let without_key = env.run_command(
        elsewhere(&env, "machine-b", &["token", "--scope", "User.Read"], &url),
        None,
    );
    assert_eq!(without_key.code, 8, "{without_key:#?}");
    assert_eq!(env.token_requests().len(), 1, "nothing was sent");
    assert_error_snapshot!(env, "redis_encrypted_without_key", without_key);

    let mut wrong_key = elsewhere(
        &env,
        "machine-b",
        &["token", "--scope", "User.Read", "--cache-key-env", VARIABLE],
        &url,
    );
    wrong_key.env(
        VARIABLE,
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    );
    let wrong_key = env.run_command(wrong_key, None);
    assert_eq!(wrong_key.code, 8, "{wrong_key:#?}");
    assert!(
        wrong_key.stderr.contains("could not be decrypted"),
        "{wrong_key:#?}"
    );
    assert_eq!(env.token_requests().len(), 1, "nothing was sent");
}

#[test]
fn a_tls_redis_is_trusted_through_cache_ca_cert() {
    let env = Env::start();
    let redis = RedisServer::builder().tls(true).start();
    let url = redis.url();
    assert!(url.starts_with("rediss://"), "{url}");
    let ca = support::write_file(&env, "redis-ca.pem", redis.ca_pem().unwrap());
    let ca = ca.to_str().unwrap();

    login(&env, &url, &["--cache-ca-cert", ca]).success();
    let token = env
        .run_command(
            elsewhere(
                &env,
                "machine-b",
                &["token", "--scope", "User.Read", "--cache-ca-cert", ca],
                &url,
            ),
            None,
        )
        .success();
    assert_eq!(token.stdout.trim_end().split('.').count(), 3, "{token:?}");
    assert_eq!(env.token_requests().len(), 1);

    // Without the CA, the server's certificate is not trusted: a network error.
    let untrusted = env.run_command(
        elsewhere(&env, "machine-b", &["token", "--scope", "User.Read"], &url),
        None,
    );
    assert_eq!(untrusted.code, 6, "{untrusted:#?}");
    assert!(
        untrusted.stderr.contains(&redis.url_without_password()),
        "{untrusted:#?}"
    );
}

#[test]
fn help_names_the_environment_variable_but_never_its_value() {
    let env = Env::start();
    let mut command = Command::new(support::BIN);
    command.arg("--help");
    env.isolate(&mut command);
    command.env(
        "ENTRA_AUTH_CACHE",
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:1/0"),
    );
    let help = env.run_command(command, None).success();
    assert!(help.stdout.contains("[env: ENTRA_AUTH_CACHE]"), "{help:?}");
    assert!(help.stdout.contains("process lists"), "{help:?}");
    assert!(!help.stdout.contains("127.0.0.1:1"), "{help:?}");
    assert_no_password(&help);
}

#[test]
fn a_malformed_redis_url_is_a_usage_error_that_hides_its_password() {
    let env = Env::start();
    for url in [
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:notaport/"),
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:6379/notadb"),
    ] {
        let run = env.run_command(
            elsewhere(&env, "machine-b", &["accounts", "-vvv"], &url),
            None,
        );
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(
            run.stderr.contains("the Redis URL is not valid"),
            "{run:#?}"
        );
        assert_no_password(&run);
    }
}
