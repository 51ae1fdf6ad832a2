//! Each error class of `entra-auth`: its exit code and the paragraph on standard error,
//! pinned by insta snapshots (ids, ports, times and paths redacted).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic in a test is a failed test.

mod support;

use mock_idp::admin::FaultAction;
use support::{Env, Run, fixture};

/// Asserts `run` exited with `code`, printed one paragraph (one line) and nothing on
/// standard output, then snapshots it as `name`; a failure names `name`.
fn check(env: &Env, name: &str, code: i32, run: Run) {
    assert_eq!(run.code, code, "{name}: {run:#?}");
    assert_eq!(run.stdout, "", "{name}: {run:#?}");
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "{name}: one paragraph: {run:#?}"
    );
    assert!(run.stderr.starts_with("error: "), "{name}: {run:#?}");
    assert_error_snapshot!(env, name, run);
}

fn login(env: &Env, username: &str) -> Run {
    env.login_as(username, &[])
}

/// One refused `login` of a fixture user, run with [`Env::login_as`]: the exit code and
/// the paragraph, snapshotted under the row's name (which also names it in a failure).
struct Row {
    name: &'static str,
    username: &'static str,
    /// The password on standard input.
    password: &'static str,
    code: i32,
    /// Flags beyond `login_as`'s defaults.
    flags: &'static [&'static str],
    /// The tenant of `--authority`, when not `organizations`.
    tenant: Option<&'static str>,
    /// A fault on the token endpoint: how many answers, and which.
    fault: Option<(u32, FaultAction)>,
    /// The row checks that no request carried the password.
    password_not_sent: bool,
    /// A secret in the tool's environment (variable, value), never printed.
    secret_env: Option<(&'static str, &'static str)>,
}

impl Row {
    fn new(name: &'static str, username: &'static str, code: i32) -> Self {
        Self {
            name,
            username,
            password: fixture::PASSWORD,
            code,
            flags: &[],
            tenant: None,
            fault: None,
            password_not_sent: false,
            secret_env: None,
        }
    }

    fn password(self, password: &'static str) -> Self {
        Self { password, ..self }
    }

    fn secret_env(self, variable: &'static str, value: &'static str) -> Self {
        Self {
            secret_env: Some((variable, value)),
            ..self
        }
    }

    fn flags(self, flags: &'static [&'static str]) -> Self {
        Self { flags, ..self }
    }

    fn tenant(self, tenant: &'static str) -> Self {
        Self {
            tenant: Some(tenant),
            ..self
        }
    }

    fn fault(self, count: u32, action: FaultAction) -> Self {
        Self {
            fault: Some((count, action)),
            ..self
        }
    }

    fn password_not_sent(self) -> Self {
        Self {
            password_not_sent: true,
            ..self
        }
    }

    fn run(self) {
        let env = Env::start();
        if let Some((count, action)) = self.fault {
            env.fault_token_endpoint(count, action);
        }
        let authority = self.tenant.map(|tenant| env.authority(tenant));
        let mut flags = self.flags.to_vec();
        if let Some(authority) = &authority {
            flags.extend(["--authority", authority.as_str()]);
        }
        let envs: Vec<_> = self.secret_env.into_iter().collect();
        let run = env.login_with(self.username, self.password, &flags, &envs);
        for (_, secret) in envs {
            assert!(!run.stderr.contains(secret), "row {}: {run:#?}", self.name);
        }
        if self.password_not_sent {
            let requests = env.requests();
            let carried = requests.iter().filter(|r| r.carried_password).count();
            assert_eq!(carried, 0, "row {}: the password was sent", self.name);
        }
        check(&env, self.name, self.code, run);
    }
}

/// The fixture's refused users, and the application and tenant errors, once each.
#[test]
fn every_refused_login_has_its_exit_code_and_paragraph() {
    let throttled = FaultAction::Status {
        status: 429,
        retry_after: Some(0),
    };
    let failing = FaultAction::Status {
        status: 500,
        retry_after: None,
    };
    let rows = [
        Row::new("interaction_mfa_required", fixture::MFA_REQUIRED, 3),
        Row::new("interaction_mfa_enrollment", fixture::MFA_ENROLLMENT, 3),
        Row::new("interaction_consent_required", fixture::CONSENT_REQUIRED, 3),
        Row::new("interaction_password_expired", fixture::PASSWORD_EXPIRED, 3),
        Row::new(
            "interaction_conditional_access_blocked",
            fixture::CA_BLOCKED,
            3,
        ),
        Row::new("credentials_wrong_password", fixture::ALICE, 4).password("not the password"),
        Row::new("credentials_unknown_user", fixture::NOBODY, 4),
        Row::new("credentials_locked", fixture::LOCKED, 4),
        Row::new("credentials_disabled", fixture::DISABLED, 4),
        Row::new("personal_account", fixture::PERSONAL_USER, 5).password_not_sent(),
        Row::new("personal_consumers_tenant", fixture::ALICE, 5).tenant("consumers"),
        Row::new("network_throttled", fixture::ALICE, 6).fault(2, throttled),
        Row::new("network_server_unavailable", fixture::ALICE, 6).fault(2, failing),
        Row::new(
            "configuration_public_client_flows_not_allowed",
            fixture::ALICE,
            7,
        )
        .flags(&["--client-id", fixture::WEB_CLIENT_ID]),
        Row::new("configuration_unknown_application", fixture::ALICE, 7)
            .flags(&["--client-id", "99999999-9999-4999-8999-999999999999"]),
        Row::new("configuration_wrong_client_secret", fixture::ALICE, 7)
            .flags(&[
                "--client-id",
                fixture::DAEMON_CLIENT_ID,
                "--client-secret-env",
                "APP_SECRET",
            ])
            .secret_env("APP_SECRET", "not-the-secret"),
        Row::new("configuration_invalid_scope", fixture::ALICE, 7)
            .flags(&["--scope", "https://graph.microsoft.com/"]),
    ];
    for row in rows {
        row.run();
    }
}

/// The usage errors (exit 2) and the token command without an account (exit 3): the
/// arguments of each run, once each. None sends a request or prints the password.
#[test]
fn every_refused_command_line_has_its_exit_code_and_paragraph() {
    const LOGIN: &[&str] = &[
        "login",
        "--client-id",
        fixture::CLI_CLIENT_ID,
        "--username",
        fixture::ALICE,
        "--scope",
        "User.Read",
    ];
    let token = ["token", "--client-id", fixture::CLI_CLIENT_ID];
    let rows: [(&str, Vec<&str>, i32); 5] = [
        ("usage_no_password_source", LOGIN.to_vec(), 2),
        (
            "usage_missing_password_variable",
            [LOGIN, &["--password-env", "ENTRA_AUTH_TEST_UNSET_VARIABLE"]].concat(),
            2,
        ),
        (
            "usage_password_argument",
            [LOGIN, &["--password", fixture::PASSWORD]].concat(),
            2,
        ),
        (
            "usage_no_client_id",
            vec!["token", "--scope", "User.Read"],
            2,
        ),
        (
            "interaction_no_account",
            [&token[..], &["--scope", "User.Read"]].concat(),
            3,
        ),
    ];
    for (name, args, code) in rows {
        let env = Env::start();
        let run = env.run(&args, None);
        assert!(!run.stderr.contains(fixture::PASSWORD), "{name}: {run:#?}");
        assert!(env.requests().is_empty(), "{name}: a request was sent");
        check(&env, name, code, run);
    }
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

// 3: interaction required.

#[test]
fn interaction_a_revoked_refresh_token_is_exit_3() {
    let env = Env::start();
    env.login_alice();
    env.revoke_refresh_tokens(fixture::ALICE);
    let run = env.run(&["token", "--scope", "User.Read", "--force-refresh"], None);
    check(&env, "interaction_refresh_token_revoked", 3, run);
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
