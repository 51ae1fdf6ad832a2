//! The main job, end to end, as `cargo xtask demo` shows it: start mock-idp in-process,
//! sign alice in, get a second token silently from the cache, let it expire and get a
//! new one with the refresh token, sign in a user federated to the mock ADFS, then show
//! what the library says for MFA required, consent required and a personal account.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_auth::{AuthError, ManualClock, PublicClientApplication, TokenSource};
use mock_idp::{Config, MockIdp};
use secrecy::SecretString;

use crate::fixture;

/// Runs the demo against a fresh mock-idp (deterministic with `seed`), writing a
/// readable account of each step to `out`.
pub async fn run(out: &mut dyn Write, seed: Option<u64>) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config {
        seed,
        ..Config::default()
    };
    let idp = MockIdp::start(config).await?;
    writeln!(
        out,
        "mock-idp is serving {} (default fixture)\n",
        idp.base_url()
    )?;

    // The application's clock agrees with mock-idp's (which starts at a fixed instant
    // in deterministic mode), so that time can pass on both sides at once.
    let server_now = idp.admin().now().await?.now;
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(server_now),
    ));
    let app = PublicClientApplication::builder(fixture::CLI_CLIENT_ID)
        .authority(&idp.authority("organizations"))
        .extra_root_certificates_pem(idp.ca_pem())
        .clock(clock.clone())
        .build()?;
    let password = || SecretString::from(fixture::PASSWORD);

    writeln!(
        out,
        "1. Sign in {} with a username and password",
        fixture::ALICE
    )?;
    let first = app
        .acquire_token_by_username_password(&["User.Read"], fixture::ALICE, password())
        .await?;
    let account = first
        .account
        .clone()
        .ok_or("the sign-in returned no account")?;
    writeln!(
        out,
        "   signed in as {} ({})",
        account.username, account.home_account_id
    )?;
    writeln!(out, "   scopes: {}", first.scopes)?;
    writeln!(out, "   token from: {}", source(first.token_source))?;

    writeln!(out, "\n2. Ask again, silently")?;
    let before = idp.admin().requests().await?.len();
    let second = app.acquire_token_silent(&["User.Read"], &account).await?;
    let sent = idp.admin().requests().await?.len() - before;
    writeln!(
        out,
        "   token from: {} ({sent} requests sent)",
        source(second.token_source)
    )?;

    writeln!(
        out,
        "\n3. Two hours later (the access token expired), silently again"
    )?;
    let later = Duration::from_secs(2 * 3600);
    clock.advance(later);
    idp.admin().advance_clock(later).await?;
    idp.admin().clear_requests().await?;
    let third = app.acquire_token_silent(&["User.Read"], &account).await?;
    let sent = idp.admin().requests().await?;
    writeln!(
        out,
        "   token from: {} ({})",
        source(third.token_source),
        describe_requests(&sent)
    )?;

    writeln!(
        out,
        "\n4. Sign in {}, whose domain is federated to an on-premises ADFS",
        fixture::FEDUSER
    )?;
    idp.admin().clear_requests().await?;
    let federated = app
        .acquire_token_by_username_password(&["User.Read"], fixture::FEDUSER, password())
        .await?;
    let sent = idp.admin().requests().await?;
    writeln!(
        out,
        "   signed in as {} ({})",
        federated
            .account
            .as_ref()
            .map_or("?", |account| account.username.as_str()),
        federated
            .account
            .as_ref()
            .map_or("?", |account| account.home_account_id.as_str()),
    )?;
    writeln!(out, "   sent {}", describe_requests(&sent))?;
    writeln!(
        out,
        "   accounts in the cache: {}",
        app.accounts()
            .await?
            .iter()
            .map(|account| account.username.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;

    for (title, username, scopes) in [
        (
            "5. A user whose tenant requires MFA",
            fixture::MFA_REQUIRED,
            &["User.Read"],
        ),
        (
            "6. A scope nobody consented to",
            fixture::ALICE,
            &["Mail.Send"],
        ),
        (
            "7. A personal Microsoft account",
            fixture::PERSONAL_USER,
            &["User.Read"],
        ),
    ] {
        writeln!(out, "\n{title}: {username}, scopes {}", scopes.join(" "))?;
        match app
            .acquire_token_by_username_password(scopes, username, password())
            .await
        {
            Ok(_) => writeln!(out, "   unexpectedly signed in")?,
            Err(error) => describe(out, &error)?,
        }
    }
    Ok(())
}

/// `1 request: POST /organizations/oauth2/v2.0/token (refresh_token) -> 200`: what
/// mock-idp received.
fn describe_requests(sent: &[mock_idp::admin::RecordedRequest]) -> String {
    let described: Vec<String> = sent
        .iter()
        .map(|request| {
            let grant = request
                .form
                .iter()
                .find(|(name, _)| name == "grant_type")
                .map(|(_, grant)| format!(" ({grant})"))
                .unwrap_or_default();
            format!(
                "{} {}{grant} -> {}",
                request.method, request.path, request.status
            )
        })
        .collect();
    let count = match sent.len() {
        1 => "1 request".to_owned(),
        n => format!("{n} requests"),
    };
    format!("{count}: {}", described.join(", "))
}

fn source(source: TokenSource) -> &'static str {
    match source {
        TokenSource::Cache => "the token cache",
        TokenSource::IdentityProvider => "the identity provider",
    }
}

fn describe(out: &mut dyn Write, error: &AuthError) -> std::io::Result<()> {
    writeln!(out, "   error: {error}")?;
    if let Some(code) = error.aadsts_code() {
        writeln!(out, "   AADSTS code: {code}")?;
    }
    if let Some(claims) = error.claims() {
        writeln!(out, "   claims challenge for an interactive flow: {claims}")?;
    }
    writeln!(
        out,
        "   interaction required: {}",
        error.is_interaction_required()
    )
}
