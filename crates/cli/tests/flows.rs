//! The `entra-auth` binary's happy paths against mock-idp: sign-in, cached and refreshed
//! tokens, accounts, sign-out, confidential clients, secrets kept out of files and logs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use std::time::Duration;

use mock_idp::admin::Endpoint;
use serde_json::Value;
use support::{Env, fixture, write_file};

const TWO_HOURS: u64 = 2 * 60 * 60;

fn alice_home_account_id() -> String {
    format!("{}.{}", fixture::ALICE_OID, fixture::CONTOSO_TENANT_ID)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The secrets of every refresh token in the cache file.
fn cached_refresh_tokens(env: &Env) -> Vec<String> {
    let cache = json(&std::fs::read_to_string(&env.cache).unwrap());
    cache["RefreshToken"]
        .as_object()
        .unwrap()
        .values()
        .map(|entry| entry["secret"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn login_reads_the_password_from_stdin_and_fills_an_owner_only_cache() {
    let env = Env::start();

    let run = env.login_alice();

    assert!(
        run.stdout.starts_with("Signed in as alice@contoso.com."),
        "{run:?}"
    );
    let requests = env.token_requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].carried_password);
    assert!(
        requests[0]
            .form
            .contains(&("grant_type".into(), "password".into()))
    );
    assert_eq!(cached_refresh_tokens(&env).len(), 1);
    #[cfg(unix)]
    {
        assert_eq!(support::mode(&env.cache), 0o600);
        assert_eq!(support::mode(&env.settings()), 0o600);
    }
}

#[test]
fn login_reads_the_password_from_an_environment_variable() {
    let env = Env::start();
    let authority = env.authority("organizations");
    let mut command = env.command(&[
        "login",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--authority",
        &authority,
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
        "--password-env",
        "MY_PASSWORD",
    ]);
    command.env("MY_PASSWORD", fixture::PASSWORD);

    env.run_command(command, None).success();

    assert_eq!(cached_refresh_tokens(&env).len(), 1);
}

#[test]
fn the_settings_file_remembers_the_app_but_no_secret() {
    let env = Env::start();
    env.login_alice();

    let settings = json(&std::fs::read_to_string(env.settings()).unwrap());

    assert_eq!(settings["client_id"], fixture::CLI_CLIENT_ID);
    assert_eq!(settings["authority"], env.authority("organizations"));
    assert_eq!(settings["username"], fixture::ALICE);
    assert_eq!(settings["ca_cert"], env.ca.to_str().unwrap());
    let text = settings.to_string();
    assert!(!text.contains(fixture::PASSWORD));
    for refresh_token in cached_refresh_tokens(&env) {
        assert!(!text.contains(&refresh_token));
    }
}

#[test]
fn token_after_login_comes_from_the_cache_without_a_request() {
    let env = Env::start();
    env.login_alice();
    let before = env.requests().len();

    // Only --scope: the client id, authority and CA come from the settings file.
    let command = env.command_without_ca(&["token", "--scope", "User.Read"]);
    let run = env.run_command(command, None).success();

    assert_eq!(env.requests().len(), before);
    let token = run.stdout.strip_suffix('\n').unwrap();
    assert!(!token.contains('\n'));
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
}

#[test]
fn token_json_is_the_result_without_refresh_or_id_token() {
    let env = Env::start();
    env.login_alice();

    let run = env
        .run(&["token", "--scope", "User.Read", "--output", "json"], None)
        .success();

    let result = json(&run.stdout);
    let mut keys: Vec<&str> = result
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "account",
            "correlation_id",
            "expires_at",
            "expires_on",
            "scopes",
            "token_source",
            "token_type"
        ]
    );
    assert_eq!(result["token_source"], "cache");
    assert_eq!(result["token_type"], "Bearer");
    assert_eq!(result["account"]["username"], fixture::ALICE);
    assert_eq!(
        result["account"]["home_account_id"],
        alice_home_account_id()
    );
    assert!(result["expires_on"].as_u64().unwrap() > 0);
    for refresh_token in cached_refresh_tokens(&env) {
        assert!(!run.stdout.contains(&refresh_token));
    }
}

#[test]
fn token_is_refreshed_once_the_clock_passes_its_expiry() {
    let env = Env::start();
    env.login_alice();
    let first = env
        .run(&["token", "--scope", "User.Read", "--output", "json"], None)
        .success();
    let before = env.token_requests().len();

    env.advance_server_clock(Duration::from_secs(TWO_HOURS));
    let mut command = env.command(&["token", "--scope", "User.Read", "--output", "json"]);
    command.env("ENTRA_AUTH_CLOCK_OFFSET_SECS", TWO_HOURS.to_string());
    let refreshed = env.run_command(command, None).success();

    let requests = env.token_requests();
    assert_eq!(requests.len(), before + 1);
    assert!(
        requests
            .last()
            .unwrap()
            .form
            .contains(&("grant_type".into(), "refresh_token".into()))
    );
    let (first, refreshed) = (json(&first.stdout), json(&refreshed.stdout));
    assert_eq!(refreshed["token_source"], "identity_provider");
    assert_ne!(refreshed["access_token"], first["access_token"]);
    assert!(refreshed["expires_on"].as_u64() > first["expires_on"].as_u64());
}

#[test]
fn force_refresh_redeems_the_refresh_token() {
    let env = Env::start();
    env.login_alice();
    let before = env.token_requests().len();

    env.run(&["token", "--scope", "User.Read", "--force-refresh"], None)
        .success();

    assert_eq!(env.token_requests().len(), before + 1);
}

#[test]
fn the_correlation_id_is_sent_and_reported() {
    let env = Env::start();
    let correlation_id = "5e1f0000-0000-4000-8000-00000000c11e";

    let run = env
        .login_as(
            fixture::ALICE,
            &["--correlation-id", correlation_id, "--output", "json"],
        )
        .success();

    assert_eq!(json(&run.stdout)["correlation_id"], correlation_id);
    let request = env.token_requests().pop().unwrap();
    assert!(
        request
            .headers
            .contains(&("client-request-id".into(), correlation_id.into())),
        "{:?}",
        request.headers
    );
}

#[test]
fn accounts_lists_the_signed_in_account() {
    let env = Env::start();
    env.login_alice();

    let text = env.run(&["accounts"], None).success();
    let listed = env.run(&["accounts", "--output", "json"], None).success();

    assert_eq!(
        text.stdout,
        format!("{}\t{}\n", fixture::ALICE, alice_home_account_id())
    );
    let listed = json(&listed.stdout);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["username"], fixture::ALICE);
    assert_eq!(listed[0]["home_account_id"], alice_home_account_id());
    assert_eq!(listed[0]["environment"], "localhost");
}

#[test]
fn logout_removes_the_account_and_its_tokens() {
    let env = Env::start();
    env.login_alice();

    let run = env
        .run(&["logout", "--account", fixture::ALICE], None)
        .success();

    assert_eq!(run.stdout, "Signed out alice@contoso.com.\n");
    assert_eq!(env.run(&["accounts"], None).success().stdout, "");
    assert!(cached_refresh_tokens(&env).is_empty());
    let token = env.run(&["token", "--scope", "User.Read"], None);
    assert_eq!(token.code, 3, "{token:?}");
}

#[test]
fn several_accounts_need_account_and_default_to_the_last_signed_in() {
    let env = Env::start();
    env.login_alice();
    env.login_as(fixture::FEDUSER, &[]).success();

    let default = env
        .run(&["token", "--scope", "User.Read", "--output", "json"], None)
        .success();
    let chosen = env
        .run(
            &[
                "token",
                "--scope",
                "User.Read",
                "--output",
                "json",
                "--account",
                fixture::ALICE,
            ],
            None,
        )
        .success();

    assert_eq!(
        json(&default.stdout)["account"]["username"],
        fixture::FEDUSER
    );
    assert_eq!(json(&chosen.stdout)["account"]["username"], fixture::ALICE);
    env.run(&["logout"], None).success();
    // The last signed-in account is gone and one remains: it is the default now.
    let remaining = env
        .run(&["token", "--scope", "User.Read", "--output", "json"], None)
        .success();
    assert_eq!(
        json(&remaining.stdout)["account"]["username"],
        fixture::ALICE
    );
}

#[test]
fn a_confidential_client_signs_in_with_a_secret_from_the_environment() {
    let env = Env::start();
    let authority = env.authority("organizations");
    let mut login = env.command(&[
        "login",
        "--client-id",
        fixture::DAEMON_CLIENT_ID,
        "--authority",
        &authority,
        "--client-secret-env",
        "APP_SECRET",
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
        "--password-stdin",
    ]);
    login.env("APP_SECRET", fixture::DAEMON_SECRET);
    env.run_command(login, Some(&format!("{}\n", fixture::PASSWORD)))
        .success();

    // Its credential is never stored: `token` without it is a usage error.
    let without = env.run(&["token", "--scope", "User.Read"], None);
    let mut with = env.command(&[
        "token",
        "--scope",
        "User.Read",
        "--force-refresh",
        "--client-secret-env",
        "APP_SECRET",
    ]);
    with.env("APP_SECRET", fixture::DAEMON_SECRET);
    let with = env.run_command(with, None);

    assert_eq!(without.code, 2, "{without:?}");
    assert!(without.stderr.contains("--client-secret-env"));
    with.success();
    let settings = std::fs::read_to_string(env.settings()).unwrap();
    assert!(!settings.contains(fixture::DAEMON_SECRET));
    let refresh = env.token_requests().pop().unwrap();
    assert!(
        refresh
            .form
            .contains(&("client_secret".into(), "[REDACTED]".into())),
        "{:?}",
        refresh.form
    );
}

#[test]
fn a_confidential_client_signs_in_with_a_certificate() {
    let env = Env::start();
    let certificate = write_file(&env, "daemon.cert.pem", fixture::DAEMON_CERT_PEM);
    let key = write_file(&env, "daemon.key.pem", fixture::DAEMON_KEY_PEM);
    let authority = env.authority("organizations");

    env.login_as(
        fixture::ALICE,
        &[
            "--client-id",
            fixture::DAEMON_CLIENT_ID,
            "--authority",
            &authority,
            "--certificate",
            certificate.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    )
    .success();

    let request = env.token_requests().pop().unwrap();
    assert!(
        request
            .form
            .iter()
            .any(|(name, value)| name == "client_assertion_type" && value.ends_with("jwt-bearer")),
        "{:?}",
        request.form
    );
}

#[test]
fn verbose_output_never_shows_a_secret() {
    let env = Env::start();

    let login = env.login_as(fixture::ALICE, &["-vvv"]).success();
    let token = env
        .run(
            &["token", "--scope", "User.Read", "--force-refresh", "-vvv"],
            None,
        )
        .success();

    let access_token = token.stdout.trim();
    assert!(login.stderr.contains("entra_http"), "{}", login.stderr);
    for stderr in [&login.stderr, &token.stderr] {
        assert!(!stderr.contains(fixture::PASSWORD));
        assert!(!stderr.contains(access_token));
        for refresh_token in cached_refresh_tokens(&env) {
            assert!(!stderr.contains(&refresh_token));
        }
    }
}

#[test]
fn the_default_cache_is_in_the_platform_cache_directory() {
    let env = Env::start();
    let authority = env.authority("organizations");
    let mut command = std::process::Command::new(support::BIN);
    command.args([
        "login",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--authority",
        &authority,
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
        "--password-stdin",
        "--ca-cert",
        env.ca.to_str().unwrap(),
    ]);
    env.isolate(&mut command);

    env.run_command(command, Some(&format!("{}\n", fixture::PASSWORD)))
        .success();

    let cache = env
        .dir
        .path()
        .join("xdg-cache")
        .join("entra-auth")
        .join("token_cache.json");
    assert!(cache.is_file());
    #[cfg(unix)]
    {
        assert_eq!(support::mode(&cache), 0o600);
        assert_eq!(support::mode(cache.parent().unwrap()), 0o700);
    }
}

#[test]
fn help_documents_examples_and_exit_codes() {
    let env = Env::start();
    let mut command = std::process::Command::new(support::BIN);
    command.arg("--help");
    env.isolate(&mut command);
    let help = env.run_command(command, None).success();

    assert!(help.stdout.contains("Examples:"));
    assert!(help.stdout.contains("--password-stdin"));
    for code in 1..=8 {
        assert!(
            help.stdout.contains(&format!("\n  {code}  ")),
            "exit code {code} undocumented"
        );
    }
    assert!(!help.stdout.contains("ENTRA_AUTH_CLOCK_OFFSET_SECS"));
}

/// Requests mock-idp's instance discovery endpoint received so far.
fn instance_discovery_requests(env: &Env) -> usize {
    env.requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::InstanceDiscovery)
        .count()
}

#[test]
fn an_adfs_authority_signs_in_and_its_trusted_host_is_remembered() {
    let env = Env::start();
    let authority = env.authority("adfs");

    env.login_as(
        fixture::FEDUSER,
        &["--authority", &authority, "--known-authority", "localhost"],
    )
    .success();

    // A known authority is trusted as given: instance discovery is never asked.
    assert_eq!(instance_discovery_requests(&env), 0);
    let settings = json(&std::fs::read_to_string(env.settings()).unwrap());
    assert_eq!(settings["authority"], authority.as_str());
    assert_eq!(
        settings["known_authorities"],
        serde_json::json!(["localhost"])
    );

    // A later process remembers the authority and its trust.
    let token = env
        .run(&["token", "--scope", "User.Read", "--force-refresh"], None)
        .success();
    assert!(!token.stdout.trim().is_empty());
    assert_eq!(instance_discovery_requests(&env), 0);
    assert_eq!(env.token_requests().len(), 2);
}

#[test]
fn an_adfs_authority_without_known_authority_is_validated_by_instance_discovery() {
    let env = Env::start();
    let authority = env.authority("adfs");

    env.login_as(fixture::FEDUSER, &["--authority", &authority])
        .success();

    assert!(instance_discovery_requests(&env) >= 1);
    let settings = json(&std::fs::read_to_string(env.settings()).unwrap());
    assert!(settings.get("known_authorities").is_none(), "{settings}");
}

/// b2c-user signs in at mock-idp's B2C user flow on `localhost` (a custom domain to the
/// tool), declared with `--authority-kind b2c`, with `extra` flags.
fn login_b2c_on_a_custom_domain(env: &Env, extra: &[&str]) {
    let authority = env.authority(&format!(
        "{}/{}",
        fixture::CONTOSO_B2C_DOMAIN,
        fixture::B2C_ROPC_POLICY
    ));
    let mut flags = vec![
        "--authority",
        authority.as_str(),
        "--authority-kind",
        "b2c",
        "--client-id",
        fixture::B2C_CLIENT_ID,
        "--scope",
        fixture::B2C_CLIENT_ID,
    ];
    flags.extend_from_slice(extra);
    env.login_as(fixture::B2C_USER, &flags).success();
}

#[test]
fn a_b2c_custom_domain_is_declared_by_authority_kind_and_remembered() {
    let env = Env::start();

    login_b2c_on_a_custom_domain(&env, &["--known-authority", "localhost"]);

    let settings = json(&std::fs::read_to_string(env.settings()).unwrap());
    assert_eq!(settings["authority_kind"], "b2c");
    // Read as an Entra tenant, the two-segment URL would not be an authority: the token
    // command works only because the kind was remembered.
    let token = env
        .run(
            &[
                "token",
                "--scope",
                fixture::B2C_CLIENT_ID,
                "--force-refresh",
            ],
            None,
        )
        .success();
    assert!(!token.stdout.trim().is_empty());
    assert_eq!(env.token_requests().len(), 2);
    assert_eq!(
        json(
            &env.run(&["accounts", "--output", "json"], None)
                .success()
                .stdout
        )[0]["home_account_id"],
        format!(
            "{}-{}.{}",
            fixture::B2C_USER_OID,
            fixture::B2C_ROPC_POLICY.to_lowercase(),
            fixture::CONTOSO_B2C_TENANT_ID
        )
        .as_str()
    );
}

#[test]
fn a_remembered_authority_kind_does_not_follow_a_new_authority() {
    let env = Env::start();
    login_b2c_on_a_custom_domain(&env, &[]);

    // Another authority: detected again, so alice signs in at an Entra tenant.
    env.login_alice();

    let settings = json(&std::fs::read_to_string(env.settings()).unwrap());
    assert!(settings.get("authority_kind").is_none(), "{settings}");
}

#[test]
fn an_unknown_authority_kind_is_a_usage_error() {
    let env = Env::start();
    // No standard input: the command line is refused before any password is read.
    let run = env.run(
        &[
            "login",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--username",
            fixture::ALICE,
            "--scope",
            "User.Read",
            "--password-stdin",
            "--authority-kind",
            "saml",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--authority-kind"), "{run:?}");
    assert!(env.token_requests().is_empty());
}
