//! No `Debug` or `Display` text of a result, an account, an application or an error
//! carries the password, an access token, a refresh token or a client secret.

mod support;

use std::time::Duration;

use entra_auth::SecretString;
use support::*;
use wiremock::ResponseTemplate;

/// Collects the `Debug` and `Display` texts of everything a caller may log.
#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn debug(&mut self, what: &str, value: &impl std::fmt::Debug) {
        self.0
            .push((format!("{what} (Debug)"), format!("{value:?}")));
        self.0
            .push((format!("{what} (Debug, pretty)"), format!("{value:#?}")));
    }

    fn error(&mut self, what: &str, error: &entra_auth::AuthError) {
        self.debug(what, error);
        self.0
            .push((format!("{what} (Display)"), error.to_string()));
        self.0
            .push((format!("{what} (report)"), support::report(error)));
    }
}

#[tokio::test]
async fn no_result_account_app_or_error_text_contains_a_secret() {
    let mut texts = Texts::default();
    let idp = Idp::start().await;
    idp.mount_managed_realm().await;
    let mut tokens = TokenBody::new(1);
    tokens.refresh_in = Some(600);
    idp.mount_password_grant(tokens.response()).await;
    let app = idp.public_app();
    texts.debug("public app", &app);

    let signed_in = app
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect("alice signs in");
    texts.debug("sign-in result", &signed_in);
    let account = signed_in.account.clone().expect("an account");
    texts.debug("account", &account);
    texts.debug("accounts", &app.accounts().await.expect("accounts"));

    let cached = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect("cached");
    texts.debug("cached result", &cached);

    // An early refresh that fails falls back to the cache; the failure is only logged.
    idp.mount_refresh_grant(ResponseTemplate::new(400).set_body_json(entra_error(
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity.",
        Some("bad_token"),
        None,
        correlation_id(1),
    )))
    .await;
    idp.clock.advance(Duration::from_secs(EXPIRES_IN + 1));
    let refused = app
        .acquire_token_silent(SCOPES, &account)
        .await
        .expect_err("the refresh token is refused");
    texts.error("refused refresh", &refused);

    // Everything the server answers, on every failure path of the password grant.
    for (name, response) in [
        (
            "mfa",
            ResponseTemplate::new(400).set_body_json(entra_error(
                "invalid_grant",
                50076,
                "you must use multi-factor authentication.",
                Some("basic_action"),
                Some(r#"{"access_token":{"capolids":{"essential":true,"values":["1"]}}}"#),
                correlation_id(2),
            )),
        ),
        (
            "wrong password",
            ResponseTemplate::new(400).set_body_json(entra_error(
                "invalid_grant",
                50126,
                "Error validating credentials due to invalid username or password.",
                None,
                None,
                correlation_id(3),
            )),
        ),
        (
            "html 503",
            ResponseTemplate::new(503)
                .set_body_raw("<html>Service Unavailable</html>", "text/html"),
        ),
        (
            "throttled",
            ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
        ),
    ] {
        let idp = Idp::start().await;
        idp.mount_managed_realm().await;
        idp.mount_password_grant(response).await;
        let error = idp
            .public_app()
            .acquire_token_by_username_password(SCOPES, ALICE, password())
            .await
            .expect_err(name);
        texts.error(name, &error);
    }

    // The network failing, and a confidential client with its secret.
    let (_refusing, port) = support::refused_port();
    let offline = entra_auth::PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(&format!("http://127.0.0.1:{port}/organizations"))
        .known_authorities([support::TEST_SERVER_HOST])
        .http_client(http_client())
        .build()
        .expect("builds");
    let network = offline
        .acquire_token_by_username_password(SCOPES, ALICE, password())
        .await
        .expect_err("nothing listens");
    texts.error("network", &network);
    let builder = idp
        .confidential_builder()
        .client_secret(SecretString::from(DAEMON_SECRET));
    texts.debug("confidential builder", &builder);
    texts.debug("confidential app", &builder.build().expect("builds"));
    texts.debug("password", &password());

    for (what, text) in &texts.0 {
        assert_eq!(leaked_secret(text), None, "{what} leaks a secret: {text}");
    }
    assert!(texts.0.len() > 20, "the texts were collected");
}
