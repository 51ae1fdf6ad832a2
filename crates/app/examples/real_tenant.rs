//! The demo's steps against a real Entra tenant, configured from the environment:
//!
//! ```text
//! ENTRA_CLIENT_ID=<app id with "Allow public client flows">
//! ENTRA_AUTHORITY=https://login.microsoftonline.com/<tenant id>   (default: organizations)
//! ENTRA_USERNAME=user@yourtenant.onmicrosoft.com
//! ENTRA_PASSWORD=...            (read once, never stored)
//! ENTRA_SCOPES="User.Read"      (space-separated, default User.Read)
//! cargo run -p entra-auth --example real_tenant
//! ```
//!
//! It signs in, gets a second token silently from the cache, and prints what the
//! library says if anything fails (MFA, consent, a personal account, ...).

use entra_auth::SecretString;
use entra_auth::{AuthError, PublicClientApplication};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .map_err(|_| format!("set {name} (see the comment at the top of this example)"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client_id = env("ENTRA_CLIENT_ID")?;
    let authority = std::env::var("ENTRA_AUTHORITY")
        .unwrap_or_else(|_| entra_auth::DEFAULT_AUTHORITY.to_owned());
    let username = env("ENTRA_USERNAME")?;
    let password = SecretString::from(env("ENTRA_PASSWORD")?);
    let scopes = std::env::var("ENTRA_SCOPES").unwrap_or_else(|_| "User.Read".to_owned());
    let scopes: Vec<&str> = scopes.split_whitespace().collect();

    let app = PublicClientApplication::builder(client_id)
        .authority(&authority)
        .build()?;
    let first = match app
        .acquire_token_by_username_password(&scopes, &username, password)
        .await
    {
        Ok(result) => result,
        Err(error) => return Err(explain(error).into()),
    };
    println!(
        "signed in; token expires at {:?}; scopes: {}",
        first.expires_on, first.scopes
    );

    let account = first.account.ok_or("the sign-in returned no account")?;
    let second = app
        .acquire_token_silent(&scopes, &account)
        .await
        .map_err(explain)?;
    println!("second token from {:?}", second.token_source);
    Ok(())
}

/// The error as a person should read it, with the claims challenge when there is one.
fn explain(error: AuthError) -> String {
    match error.claims() {
        Some(claims) => format!("{error}\nclaims challenge: {claims}"),
        None => error.to_string(),
    }
}
