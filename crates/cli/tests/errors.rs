//! Each error class of `entra-auth`: its exit code and the paragraph on standard error,
//! pinned by insta snapshots (ids, ports, times and paths redacted).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use mock_idp::admin::FaultAction;
use support::{Env, Run, fixture};

/// Asserts `run` exited with `code`, printed one paragraph (one line) and nothing on
/// standard output, then snapshots it as `name`.
fn check(env: &Env, name: &str, code: i32, run: Run) {
    assert_eq!(run.code, code, "{run:#?}");
    assert_eq!(run.stdout, "", "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "one paragraph: {run:#?}");
    assert!(run.stderr.starts_with("error: "), "{run:#?}");
    assert_error_snapshot!(env, name, run);
}

fn login(env: &Env, username: &str) -> Run {
    env.login_as(username, &[])
}

// 2: usage.

#[test]
fn usage_a_missing_scope_is_exit_2() {
    let env = Env::start();
    let run = env.run(
        &["login", "--client-id", "x", "--username", fixture::ALICE],
        None,
    );
    assert_eq!(run.code, 2, "{run:#?}");
    assert_error_snapshot!(env, "usage_missing_scope", run);
}

#[test]
fn usage_a_password_argument_is_refused() {
    let env = Env::start();
    let run = env.run(
        &[
            "login",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--username",
            fixture::ALICE,
            "--scope",
            "User.Read",
            "--password",
            fixture::PASSWORD,
        ],
        None,
    );
    assert!(!run.stderr.contains(fixture::PASSWORD));
    assert!(env.requests().is_empty());
    check(&env, "usage_password_argument", 2, run);
}

#[test]
fn usage_no_password_source_without_a_terminal() {
    let env = Env::start();
    let run = env.run(
        &[
            "login",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--username",
            fixture::ALICE,
            "--scope",
            "User.Read",
        ],
        None,
    );
    check(&env, "usage_no_password_source", 2, run);
}

#[test]
fn usage_a_missing_password_variable() {
    let env = Env::start();
    let run = env.run(
        &[
            "login",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--username",
            fixture::ALICE,
            "--scope",
            "User.Read",
            "--password-env",
            "ENTRA_AUTH_TEST_UNSET_VARIABLE",
        ],
        None,
    );
    check(&env, "usage_missing_password_variable", 2, run);
}

#[test]
fn usage_token_before_any_login_needs_a_client_id() {
    let env = Env::start();
    let run = env.run(&["token", "--scope", "User.Read"], None);
    check(&env, "usage_no_client_id", 2, run);
}

// 3: interaction required.

#[test]
fn interaction_mfa_required_is_exit_3() {
    let env = Env::start();
    let run = login(&env, fixture::MFA_REQUIRED);
    check(&env, "interaction_mfa_required", 3, run);
}

#[test]
fn interaction_mfa_enrollment_is_exit_3() {
    let env = Env::start();
    let run = login(&env, fixture::MFA_ENROLLMENT);
    check(&env, "interaction_mfa_enrollment", 3, run);
}

#[test]
fn interaction_consent_required_is_exit_3() {
    let env = Env::start();
    let run = login(&env, fixture::CONSENT_REQUIRED);
    check(&env, "interaction_consent_required", 3, run);
}

#[test]
fn interaction_password_expired_is_exit_3() {
    let env = Env::start();
    let run = login(&env, fixture::PASSWORD_EXPIRED);
    check(&env, "interaction_password_expired", 3, run);
}

#[test]
fn interaction_conditional_access_block_is_exit_3() {
    let env = Env::start();
    let run = login(&env, fixture::CA_BLOCKED);
    check(&env, "interaction_conditional_access_blocked", 3, run);
}

#[test]
fn interaction_a_revoked_refresh_token_is_exit_3() {
    let env = Env::start();
    env.login_alice();
    env.revoke_refresh_tokens(fixture::ALICE);
    let run = env.run(&["token", "--scope", "User.Read", "--force-refresh"], None);
    check(&env, "interaction_refresh_token_revoked", 3, run);
}

#[test]
fn interaction_no_signed_in_account_is_exit_3() {
    let env = Env::start();
    let run = env.run(
        &[
            "token",
            "--client-id",
            fixture::CLI_CLIENT_ID,
            "--scope",
            "User.Read",
        ],
        None,
    );
    check(&env, "interaction_no_account", 3, run);
}

// 4: invalid credentials.

#[test]
fn credentials_a_wrong_password_is_exit_4() {
    let env = Env::start();
    let authority = env.authority("organizations");
    let run = env.run(
        &[
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
        ],
        Some("not the password\n"),
    );
    check(&env, "credentials_wrong_password", 4, run);
}

#[test]
fn credentials_an_unknown_user_is_exit_4() {
    let env = Env::start();
    let run = login(&env, fixture::NOBODY);
    check(&env, "credentials_unknown_user", 4, run);
}

#[test]
fn credentials_a_locked_account_is_exit_4() {
    let env = Env::start();
    let run = login(&env, fixture::LOCKED);
    check(&env, "credentials_locked", 4, run);
}

#[test]
fn credentials_a_disabled_account_is_exit_4() {
    let env = Env::start();
    let run = login(&env, fixture::DISABLED);
    check(&env, "credentials_disabled", 4, run);
}

// 5: personal accounts.

#[test]
fn personal_a_personal_account_is_exit_5_and_the_password_is_not_sent() {
    let env = Env::start();
    let run = login(&env, fixture::PERSONAL_USER);
    assert!(env.requests().iter().all(|r| !r.carried_password));
    check(&env, "personal_account", 5, run);
}

#[test]
fn personal_the_consumers_tenant_is_exit_5() {
    let env = Env::start();
    let authority = env.authority("consumers");
    let run = env.login_as(fixture::ALICE, &["--authority", &authority]);
    check(&env, "personal_consumers_tenant", 5, run);
}

// 6: network.

#[test]
fn network_an_untrusted_certificate_is_exit_6() {
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
        "--cache",
        env.cache.to_str().unwrap(),
    ]);
    env.isolate(&mut command);
    let run = env.run_command(command, Some(&format!("{}\n", fixture::PASSWORD)));
    assert!(run.stderr.contains("--ca-cert"), "{run:#?}");
    check(&env, "network_untrusted_certificate", 6, run);
}

#[test]
fn network_an_unreachable_server_is_exit_6() {
    let env = Env::start();
    let (_refusing, port) = support::refused_port();
    let authority = format!("https://127.0.0.1:{port}/organizations");
    let run = env.login_as(fixture::ALICE, &["--authority", &authority]);
    check(&env, "network_unreachable", 6, run);
}

#[test]
fn network_throttling_is_exit_6() {
    let env = Env::start();
    env.fault_token_endpoint(
        2,
        FaultAction::Status {
            status: 429,
            retry_after: Some(0),
        },
    );
    let run = login(&env, fixture::ALICE);
    check(&env, "network_throttled", 6, run);
}

#[test]
fn network_a_failing_server_is_exit_6() {
    let env = Env::start();
    env.fault_token_endpoint(
        2,
        FaultAction::Status {
            status: 500,
            retry_after: None,
        },
    );
    let run = login(&env, fixture::ALICE);
    check(&env, "network_server_unavailable", 6, run);
}

// 7: configuration.

#[test]
fn configuration_public_client_flows_not_allowed_is_exit_7() {
    let env = Env::start();
    let run = env.login_as(fixture::ALICE, &["--client-id", fixture::WEB_CLIENT_ID]);
    check(
        &env,
        "configuration_public_client_flows_not_allowed",
        7,
        run,
    );
}

#[test]
fn configuration_an_unknown_application_is_exit_7() {
    let env = Env::start();
    let run = env.login_as(
        fixture::ALICE,
        &["--client-id", "99999999-9999-4999-8999-999999999999"],
    );
    check(&env, "configuration_unknown_application", 7, run);
}

#[test]
fn configuration_a_wrong_client_secret_is_exit_7() {
    let env = Env::start();
    let mut command = env.command(&[
        "login",
        "--client-id",
        fixture::DAEMON_CLIENT_ID,
        "--authority",
        &env.authority("organizations"),
        "--client-secret-env",
        "APP_SECRET",
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
        "--password-stdin",
    ]);
    command.env("APP_SECRET", "not-the-secret");
    let run = env.run_command(command, Some(&format!("{}\n", fixture::PASSWORD)));
    assert!(!run.stderr.contains("not-the-secret"));
    check(&env, "configuration_wrong_client_secret", 7, run);
}

#[test]
fn configuration_an_invalid_scope_is_exit_7() {
    let env = Env::start();
    let run = env.login_as(fixture::ALICE, &["--scope", "https://graph.microsoft.com/"]);
    check(&env, "configuration_invalid_scope", 7, run);
}

// 8: local state.

#[test]
fn local_state_a_corrupt_cache_is_exit_8_and_left_untouched() {
    let env = Env::start();
    std::fs::create_dir_all(env.cache.parent().unwrap()).unwrap();
    std::fs::write(&env.cache, "{ not json").unwrap();
    let run = login(&env, fixture::ALICE);
    assert_eq!(std::fs::read_to_string(&env.cache).unwrap(), "{ not json");
    check(&env, "local_state_corrupt_cache", 8, run);
}

// 1: other.

#[test]
fn other_a_malformed_answer_is_exit_1() {
    let env = Env::start();
    env.fault_token_endpoint(1, FaultAction::Malformed);
    let run = login(&env, fixture::ALICE);
    check(&env, "other_malformed_answer", 1, run);
}

// Personal data: usernames are named only with --log-pii.

#[test]
fn without_log_pii_no_error_or_log_line_names_the_user() {
    let env = Env::start();
    for user in [
        fixture::LOCKED,
        fixture::MFA_REQUIRED,
        fixture::PERSONAL_USER,
    ] {
        let run = env.login_as(user, &["-vvv"]);
        assert_ne!(run.code, 0, "{run:#?}");
        assert!(!run.stderr.contains(user), "{run:#?}");
        assert!(!run.stderr.contains(&user.replace('@', "%40")), "{run:#?}");
    }
}

#[test]
fn with_log_pii_the_error_names_the_user() {
    let env = Env::start();
    let run = env.login_as(fixture::LOCKED, &["--log-pii"]);
    assert_eq!(run.code, 4, "{run:#?}");
    assert!(
        run.stderr
            .starts_with("error: the account of locked@contoso.com is locked"),
        "{run:#?}"
    );
}
