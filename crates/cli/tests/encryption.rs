//! `--cache-key-env`: the token cache encrypted with a key from the environment, and
//! each way the key or the cache can be wrong (exit code and paragraph, snapshotted).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use support::{Env, Run, fixture};

/// A key as `openssl rand -base64 32` prints one.
const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJEjQ=";
/// Another key, as `openssl rand -hex 32` prints one.
const OTHER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const VARIABLE: &str = "ENTRA_AUTH_TEST_CACHE_KEY";

fn login(env: &Env, key: Option<&str>) -> Run {
    match key {
        Some(key) => env.login_with(
            fixture::ALICE,
            fixture::PASSWORD,
            &["--cache-key-env", VARIABLE],
            &[(VARIABLE, key)],
        ),
        None => env.login_as(fixture::ALICE, &[]),
    }
}

/// `entra-auth login` as Alice with the password in an environment variable (not on
/// standard input: a run refused before it reads the password would break the pipe),
/// and `--cache-key-env` with `key` if given.
fn login_without_stdin(env: &Env, key: Option<&str>) -> Run {
    let authority = env.authority("organizations");
    let mut args = vec![
        "login",
        "--username",
        fixture::ALICE,
        "--password-env",
        "ENTRA_AUTH_TEST_PASSWORD",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--authority",
        &authority,
        "--scope",
        "User.Read",
    ];
    let mut command = if let Some(key) = key {
        args.extend(["--cache-key-env", VARIABLE]);
        let mut command = env.command(&args);
        command.env(VARIABLE, key);
        command
    } else {
        env.command(&args)
    };
    command.env("ENTRA_AUTH_TEST_PASSWORD", fixture::PASSWORD);
    env.run_command(command, None)
}

/// `entra-auth token --scope User.Read`, with the key in the environment if given.
fn token(env: &Env, key: Option<&str>) -> Run {
    let command = match key {
        Some(key) => {
            let mut command =
                env.command(&["token", "--scope", "User.Read", "--cache-key-env", VARIABLE]);
            command.env(VARIABLE, key);
            command
        }
        None => env.command(&["token", "--scope", "User.Read"]),
    };
    env.run_command(command, None)
}

/// Asserts `run` failed with `code` and one paragraph, and snapshots it as `name`.
fn check(env: &Env, name: &str, code: i32, run: &Run) {
    assert_eq!(run.code, code, "{name}: {run:#?}");
    assert_eq!(run.stdout, "", "{name}: {run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "{name}: {run:#?}");
    for key in [KEY, OTHER_KEY] {
        assert!(!run.stderr.contains(key), "{name}: the key is printed");
    }
    assert_error_snapshot!(env, name, run);
}

#[test]
fn an_encrypted_cache_serves_tokens_and_holds_no_readable_secret() {
    let env = Env::start();
    login(&env, Some(KEY)).success();
    let before = env.requests().len();

    let run = token(&env, Some(KEY)).success();

    assert_eq!(
        env.requests().len(),
        before,
        "the token came from the cache"
    );
    let access_token = run.stdout.trim_end();
    assert_eq!(access_token.split('.').count(), 3, "a JWT: {access_token}");
    let on_disk = std::fs::read(&env.cache).unwrap();
    assert!(on_disk.starts_with(b"EAEC"), "the encrypted header");
    for plaintext in [
        access_token.as_bytes(),
        b"RefreshToken",
        b"alice@contoso.com",
    ] {
        assert!(
            !on_disk.windows(plaintext.len()).any(|w| w == plaintext),
            "{} is readable in the cache file",
            String::from_utf8_lossy(plaintext)
        );
    }
    #[cfg(unix)]
    assert_eq!(support::mode(&env.cache), 0o600);

    let accounts = env
        .run_command(
            {
                let mut command = env.command(&["accounts", "--cache-key-env", VARIABLE]);
                command.env(VARIABLE, KEY);
                command
            },
            None,
        )
        .success();
    assert!(accounts.stdout.contains(fixture::ALICE), "{accounts:?}");
}

#[test]
fn the_wrong_key_is_refused_and_the_cache_left_as_it_was() {
    let env = Env::start();
    login(&env, Some(KEY)).success();
    let before = std::fs::read(&env.cache).unwrap();

    let run = token(&env, Some(OTHER_KEY));

    check(&env, "encryption_wrong_key", 8, &run);
    assert!(run.stderr.contains("could not be decrypted"), "{run:?}");
    assert_eq!(std::fs::read(&env.cache).unwrap(), before);
    // Signing in again with the wrong key would replace the cache: it is refused too.
    let login_again = login(&env, Some(OTHER_KEY));
    assert_eq!(login_again.code, 8, "{login_again:?}");
    assert_eq!(std::fs::read(&env.cache).unwrap(), before);
}

#[test]
fn a_plaintext_cache_read_with_a_key_is_refused_and_left_as_it_was() {
    let env = Env::start();
    login(&env, None).success();
    let before = std::fs::read(&env.cache).unwrap();

    let run = token(&env, Some(KEY));

    check(&env, "encryption_plaintext_cache", 8, &run);
    assert_eq!(std::fs::read(&env.cache).unwrap(), before);
}

#[test]
fn a_tampered_cache_is_refused_and_left_as_it_was() {
    let env = Env::start();
    login(&env, Some(KEY)).success();
    let mut tampered = std::fs::read(&env.cache).unwrap();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    std::fs::write(&env.cache, &tampered).unwrap();

    let run = token(&env, Some(KEY));

    check(&env, "encryption_tampered_cache", 8, &run);
    assert_eq!(std::fs::read(&env.cache).unwrap(), tampered);
}

#[test]
fn an_unset_or_malformed_key_variable_is_a_configuration_error() {
    let env = Env::start();

    let unset = env.run_command(
        {
            let mut command = env.command(&["accounts", "--cache-key-env", VARIABLE]);
            command.env_remove(VARIABLE);
            command
        },
        None,
    );
    check(&env, "encryption_key_unset", 7, &unset);

    let short = login_without_stdin(&env, Some("c2hvcnQga2V5"));
    check(&env, "encryption_key_malformed", 7, &short);
    assert!(!short.stderr.contains("c2hvcnQga2V5"), "{short:?}");
    assert!(env.token_requests().is_empty(), "nothing was sent");
    assert!(!env.cache.exists(), "nothing was written");
}

#[test]
fn an_encrypted_cache_without_the_key_names_the_flag_and_is_left_as_it_was() {
    let env = Env::start();
    login(&env, Some(KEY)).success();
    let before = std::fs::read(&env.cache).unwrap();

    let run = token(&env, None);

    check(&env, "encryption_key_not_given", 8, &run);
    assert!(run.stderr.contains("--cache-key-env"), "{run:?}");
    let login_again = login_without_stdin(&env, None);
    assert_eq!(login_again.code, 8, "{login_again:?}");
    assert_eq!(std::fs::read(&env.cache).unwrap(), before);
}
