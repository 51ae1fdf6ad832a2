//! Minting tokens: RS256 access and id tokens with Entra's v2 claims, opaque refresh
//! tokens the server tracks, `client_info`, and the response body.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::later;
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::{App, Resource, Tenant, User};
use crate::jwt::Unsigned;
use crate::keys::SigningKey;
use crate::state::{Inner, RefreshRecord, Shared, TokenIssuer};

/// `expires_in` in deterministic mode (Entra picks 3599..=5399 at random).
pub const DETERMINISTIC_EXPIRES_IN: u64 = 4443;
/// An access token's `expires_in`: Entra's random 3599..=5399 seconds, or
/// [`DETERMINISTIC_EXPIRES_IN`] in deterministic mode. Every authority kind mock-idp
/// serves (Entra, B2C, ADFS) issues with it.
pub(crate) fn access_token_lifetime(shared: &Shared, inner: &mut Inner) -> u64 {
    if shared.deterministic {
        DETERMINISTIC_EXPIRES_IN
    } else {
        inner.ids.between(3599, 5399)
    }
}

/// An id token lives an hour.
pub(crate) const ID_TOKEN_LIFETIME: u64 = 3600;

/// How the client authenticated (the `azpacr` claim).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// A public client: no credential.
    None,
    /// A client secret.
    Secret,
    /// A client assertion signed by a registered certificate.
    Certificate,
}

impl ClientAuth {
    fn azpacr(self) -> &'static str {
        match self {
            Self::None => "0",
            Self::Secret => "1",
            Self::Certificate => "2",
        }
    }
}

/// The successful token response, fields in Entra's order. Grants build it with the
/// claims of its JWTs ([`Unsigned`]) while mock-idp's state is locked; [`Minted::sign`]
/// turns it into the body sent, after the lock is released.
#[derive(Serialize)]
pub(crate) struct TokenResponse<T = String> {
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    expires_in: u64,
    ext_expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_in: Option<u64>,
    access_token: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<String>,
}

/// A token response whose JWTs are not signed yet.
pub(crate) type Minted = TokenResponse<Unsigned>;

impl Minted {
    /// Signs the access and id tokens with `key`. Called without mock-idp's state
    /// locked: signing is most of a grant's time, and it reads nothing of the state.
    pub(crate) fn sign(self, key: &SigningKey) -> TokenResponse {
        TokenResponse {
            token_type: self.token_type,
            scope: self.scope,
            expires_in: self.expires_in,
            ext_expires_in: self.ext_expires_in,
            refresh_in: self.refresh_in,
            access_token: self.access_token.sign(key),
            refresh_token: self.refresh_token,
            id_token: self.id_token.map(|claims| claims.sign(key)),
            client_info: self.client_info,
        }
    }
}

/// What a grant decided to issue.
pub(crate) struct Grant<'a> {
    pub tenant: &'a Tenant,
    pub app: &'a App,
    pub resource: &'a Resource,
    pub auth: ClientAuth,
    /// `None` for an app-only token (client credentials).
    pub user: Option<UserGrant<'a>>,
}

pub(crate) struct UserGrant<'a> {
    pub user: &'a User,
    /// Resource scopes granted, bare.
    pub scopes: Vec<String>,
    /// OIDC scopes requested.
    pub reserved: Vec<&'static str>,
    /// `client_info=1` was sent.
    pub client_info: bool,
    /// Issue a refresh token (offline_access requested, or a refresh grant).
    pub refresh_token: bool,
}

/// A stable GUID derived from some strings (the `sub` claim, an app's object id).
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, parts.join("|").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.as_ref().get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Entra's pairwise `sub`: differs per app for the same user.
pub(crate) fn pairwise_sub(oid: &str, audience: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{oid}|{audience}").as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(digest.as_ref().get(..32).unwrap_or_default())
}

/// Mints the tokens of `grant` (their claims; see [`Minted::sign`]) and records its
/// refresh token; an error when a token would expire past the clock's last instant.
pub(crate) fn issue(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    grant: &Grant<'_>,
) -> Result<Minted, EntraError> {
    let now = ctx.now;
    let expires_in = access_token_lifetime(shared, inner);
    let past_the_clock = || {
        EntraError::malformed(
            "The mock clock is too close to 9999-12-31T23:59:59Z to issue a token that expires \
             after it.",
        )
    };
    let access_exp = later(now, expires_in).ok_or_else(past_the_clock)?;
    let id_exp = later(now, ID_TOKEN_LIFETIME).ok_or_else(past_the_clock)?;
    let issuer = format!("{}/{}/v2.0", ctx.base(), grant.tenant.id);
    let mut access = json!({
        "aud": grant.resource.app_id,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": access_exp,
        "azp": grant.app.client_id,
        "azpacr": grant.auth.azpacr(),
        "tid": grant.tenant.id,
        "uti": inner.ids.opaque(16),
        "ver": "2.0",
    });
    let Some(user_grant) = &grant.user else {
        let app_oid = derived_id(&[&grant.app.client_id, &grant.tenant.id]);
        if let Value::Object(claims) = &mut access {
            claims.insert("idtyp".into(), "app".into());
            claims.insert("oid".into(), app_oid.clone().into());
            claims.insert("sub".into(), app_oid.into());
        }
        return Ok(TokenResponse {
            token_type: "Bearer",
            scope: None,
            expires_in,
            ext_expires_in: expires_in,
            refresh_in: None,
            access_token: Unsigned(access),
            refresh_token: None,
            id_token: None,
            client_info: None,
        });
    };
    let user = user_grant.user;
    let mut scp: Vec<&str> = user_grant.scopes.iter().map(String::as_str).collect();
    scp.extend(
        user_grant
            .reserved
            .iter()
            .filter(|r| **r != "offline_access"),
    );
    if let Value::Object(claims) = &mut access {
        claims.insert("name".into(), user.display_name.clone().into());
        claims.insert("oid".into(), user.oid.clone().into());
        claims.insert("preferred_username".into(), user.username.clone().into());
        claims.insert("scp".into(), scp.join(" ").into());
        claims.insert(
            "sub".into(),
            pairwise_sub(&user.oid, &grant.resource.app_id).into(),
        );
        claims.insert("amr".into(), json!(["pwd"]));
    }
    let id_token = user_grant.reserved.contains(&"openid").then(|| {
        let mut claims = json!({
            "aud": grant.app.client_id,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": id_exp,
            "name": user.display_name,
            "oid": user.oid,
            "preferred_username": user.username,
            "sub": pairwise_sub(&user.oid, &grant.app.client_id),
            "tid": grant.tenant.id,
            "ver": "2.0",
        });
        if user_grant.reserved.contains(&"email")
            && let Value::Object(map) = &mut claims
        {
            map.insert("email".into(), user.username.clone().into());
        }
        Unsigned(claims)
    });
    let refresh_token = user_grant.refresh_token.then(|| {
        let token = format!("1.{}", inner.ids.opaque(64));
        inner.refresh_tokens.insert(
            token.clone(),
            RefreshRecord {
                issuer: TokenIssuer::Entra,
                username: user.username.clone(),
                tenant: grant.tenant.id.clone(),
                client_id: grant.app.client_id.clone(),
                issued_at: now,
                last_used: now,
                revoked_at: None,
                redeemed_at: None,
            },
        );
        token
    });
    let client_info = user_grant.client_info.then(|| {
        URL_SAFE_NO_PAD.encode(json!({"uid": user.oid, "utid": grant.tenant.id}).to_string())
    });
    let mut scope: Vec<&str> = user_grant.scopes.iter().map(String::as_str).collect();
    scope.extend(user_grant.reserved.iter());
    Ok(TokenResponse {
        token_type: "Bearer",
        scope: Some(scope.join(" ")),
        expires_in,
        ext_expires_in: expires_in,
        refresh_in: Some(expires_in / 2),
        access_token: Unsigned(access),
        refresh_token,
        id_token,
        client_info,
    })
}
