//! The main job, end to end, as `cargo xtask demo` shows it: start mock-idp in-process,
//! sign alice in, get a second token silently from the cache, then show what the
//! library says for MFA required, consent required and a personal account.

use std::io::Write;

use entra_auth::{AuthError, PublicClientApplication, TokenSource};
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

    let app = PublicClientApplication::builder(fixture::CLI_CLIENT_ID)
        .authority(&idp.authority("organizations"))?
        .extra_root_certificates_pem(idp.ca_pem())
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
    writeln!(out, "   scopes: {}", first.scopes.join(" "))?;
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

    for (title, username, scopes) in [
        (
            "3. A user whose tenant requires MFA",
            fixture::MFA_REQUIRED,
            &["User.Read"],
        ),
        (
            "4. A scope nobody consented to",
            fixture::ALICE,
            &["Mail.Send"],
        ),
        (
            "5. A personal Microsoft account",
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
