//! Sign in with a username and password, then call Microsoft Graph's `GET /me` with
//! reqwest, answering a claims challenge from Graph the way this flow can:
//!
//! ```text
//! ENTRA_CLIENT_ID=<app id with "Allow public client flows" and User.Read consented>
//! ENTRA_AUTHORITY=https://login.microsoftonline.com/<tenant id>   (default: organizations)
//! ENTRA_USERNAME=user@yourtenant.onmicrosoft.com
//! ENTRA_PASSWORD=...            (read once, never stored)
//! GRAPH_URL=https://graph.microsoft.com                            (the default)
//! cargo run -p entra-auth --example graph_me
//! ```
//!
//! `ENTRA_CA_CERT=path.pem` trusts one more CA (mock-idp's, for a local run). A `401`
//! with a claims challenge (continuous access evaluation revoked the token) gets one
//! silent retry with the claims; a challenge only an interactive sign-in can meet
//! (MFA, an authentication context) ends with what to do instead.

use std::sync::Arc;

use entra_auth::{ClaimsChallenge, NextStep, PublicClientApplication, SecretString};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};

/// The scopes asked for: Graph's delegated `User.Read`.
const SCOPES: &[&str] = &["User.Read"];

/// What the example needs.
pub struct Settings {
    /// The application (client) id.
    pub client_id: String,
    /// The authority URL.
    pub authority: String,
    /// The user.
    pub username: String,
    /// The user's password: sent once, then dropped.
    pub password: SecretString,
    /// Microsoft Graph's base URL.
    pub graph_url: String,
    /// One more CA certificate to trust (PEM), for the sign-in and for Graph.
    pub ca_pem: Option<Vec<u8>>,
}

impl Settings {
    /// Reads the settings from the environment variables at the top of this file.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| {
            std::env::var(name)
                .map_err(|_| format!("set {name} (see the comment at the top of this example)"))
        };
        let ca_pem = match std::env::var_os("ENTRA_CA_CERT") {
            Some(path) => Some(
                std::fs::read(&path)
                    .map_err(|e| format!("ENTRA_CA_CERT {}: {e}", path.to_string_lossy()))?,
            ),
            None => None,
        };
        Ok(Settings {
            client_id: var("ENTRA_CLIENT_ID")?,
            authority: std::env::var("ENTRA_AUTHORITY")
                .unwrap_or_else(|_| entra_auth::DEFAULT_AUTHORITY.to_owned()),
            username: var("ENTRA_USERNAME")?,
            password: SecretString::from(var("ENTRA_PASSWORD")?),
            graph_url: std::env::var("GRAPH_URL")
                .unwrap_or_else(|_| "https://graph.microsoft.com".to_owned()),
            ca_pem,
        })
    }
}

/// Signs in and returns Graph's answer to `GET /v1.0/me`.
pub async fn me(settings: Settings) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let mut builder = PublicClientApplication::builder(settings.client_id.as_str())
        .authority(&settings.authority);
    if let Some(pem) = &settings.ca_pem {
        builder = builder.extra_root_certificates_pem(pem.clone());
    }
    let app = builder.build()?;
    let http = http_client(settings.ca_pem.as_deref())?;

    let signed_in = app
        .acquire_token_by_username_password(SCOPES, &settings.username, settings.password)
        .await?;
    let account = signed_in.account.ok_or("the sign-in returned no account")?;
    let mut token = signed_in.access_token;
    let url = format!("{}/v1.0/me", settings.graph_url.trim_end_matches('/'));

    for attempt in 0..2 {
        let response = http
            .get(&url)
            .header(AUTHORIZATION, format!("Bearer {}", token.secret()))
            .send()
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            let body = response.error_for_status()?.bytes().await?;
            return Ok(serde_json::from_slice(&body)?);
        }
        let challenge =
            ClaimsChallenge::from_header_values(response.headers().get_all(WWW_AUTHENTICATE))?;
        let Some(challenge) = challenge else {
            return Err("Graph refused the token without a claims challenge (401)".into());
        };
        match challenge.next_step() {
            NextStep::RetrySilently if attempt == 0 => {
                // The cached access token is skipped; the refresh token is redeemed with
                // the claims the resource asked for.
                token = app
                    .acquire_token_silent(SCOPES, &account)
                    .claims(challenge.claims())
                    .await?
                    .access_token;
            }
            NextStep::RetrySilently => {
                return Err("Graph asked for the same claims again after a new token".into());
            }
            NextStep::Interactive(requirement) => return Err(requirement.to_string().into()),
        }
    }
    unreachable!("the loop returns on its second attempt")
}

/// reqwest over rustls with the web's roots and `extra_ca` (PEM), if given.
fn http_client(extra_ca: Option<&[u8]>) -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_ca {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            roots.add(certificate?)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let me = me(Settings::from_env()?).await?;
    println!("{}", serde_json::to_string_pretty(&me)?);
    Ok(())
}
