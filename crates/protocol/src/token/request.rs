//! Token request builders: `POST {token_endpoint}` with a form body.

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::error::ProtocolError;
use crate::wire::{self, LibraryInfo, SecretBuffer};
use crate::ws_trust::SamlAssertion;

/// `grant_type=password`.
pub(crate) const GRANT_PASSWORD: &str = "password";
/// `grant_type=refresh_token`.
pub(crate) const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// The SAML 1.1 bearer grant (RFC 7522 style, as Entra names it).
pub(crate) const GRANT_SAML1_1: &str = "urn:ietf:params:oauth:grant-type:saml1_1-bearer";
/// The SAML 2.0 bearer grant (RFC 7522).
pub(crate) const GRANT_SAML2: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";
/// The scopes every user-token request carries, added by [`decorate_scopes`].
pub(crate) const RESERVED_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

const ASSERTION_TYPE_JWT: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Default)]
pub enum ClientAuth {
    /// A public client: only `client_id`.
    #[default]
    None,
    /// `client_secret` in the body.
    Secret(SecretString),
    /// `client_assertion` (a signed JWT, see [`crate::ClientCertificate::assertion`]).
    Assertion(SecretString),
}

/// What every token request shares.
#[derive(Debug, Clone)]
pub struct TokenParams<'a> {
    /// The token endpoint (from OIDC discovery, or [`crate::Authority::token_endpoint`]).
    pub token_endpoint: &'a str,
    /// The application (client) id.
    pub client_id: &'a str,
    /// The scopes as the caller asked for them (decorated here for user grants).
    pub scopes: &'a [&'a str],
    /// A claims challenge from an earlier error, as JSON.
    pub claims: Option<&'a str>,
    /// Client capabilities (`cp1`...), merged into `claims` as `xms_cc`.
    pub client_capabilities: &'a [&'a str],
    /// Client authentication.
    pub client_auth: &'a ClientAuth,
    /// `client-request-id`, the same for every request of one operation.
    pub correlation_id: Uuid,
    /// `x-client-*` headers.
    pub library: &'a LibraryInfo,
}

/// The scopes in the caller's order (duplicates dropped), then `openid profile
/// offline_access`, each once. Empty scopes or scopes with whitespace are refused.
pub fn decorate_scopes(scopes: &[&str]) -> Result<Vec<String>, ProtocolError> {
    let mut out: Vec<String> = Vec::with_capacity(scopes.len() + RESERVED_SCOPES.len());
    for scope in scopes.iter().copied().chain(RESERVED_SCOPES) {
        check_scope(scope)?;
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_owned());
        }
    }
    Ok(out)
}

/// Refuses what [`decorate_scopes`] refuses (an empty scope, a scope with whitespace),
/// without building the decorated list.
pub fn check_scopes(scopes: &[&str]) -> Result<(), ProtocolError> {
    scopes.iter().try_for_each(|scope| check_scope(scope))
}

fn check_scope(scope: &str) -> Result<(), ProtocolError> {
    let reason = if scope.is_empty() {
        "a scope cannot be empty"
    } else if scope.chars().any(char::is_whitespace) {
        "a scope cannot contain whitespace; pass each scope separately"
    } else {
        return Ok(());
    };
    Err(ProtocolError::InvalidScope {
        scope: scope.to_owned(),
        reason,
    })
}

/// Merges a claims challenge with client capabilities
/// (`{"access_token":{"xms_cc":{"values":[...]}}}`), as MSAL does. `None` when both are
/// empty.
pub fn merge_claims(
    claims: Option<&str>,
    client_capabilities: &[&str],
) -> Result<Option<String>, ProtocolError> {
    let claims = claims.filter(|c| !c.trim().is_empty());
    if claims.is_none() && client_capabilities.is_empty() {
        return Ok(None);
    }
    let mut root = match claims {
        Some(c) => match serde_json::from_str::<serde_json::Value>(c) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                return Err(ProtocolError::InvalidClaims {
                    reason: "not a JSON object".to_owned(),
                });
            }
            Err(e) => {
                return Err(ProtocolError::InvalidClaims {
                    reason: e.to_string(),
                });
            }
        },
        None => serde_json::Map::new(),
    };
    if !client_capabilities.is_empty() {
        let access_token = root
            .entry("access_token")
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        let Some(access_token) = access_token.as_object_mut() else {
            return Err(ProtocolError::InvalidClaims {
                reason: "`access_token` is not an object".to_owned(),
            });
        };
        access_token.insert(
            "xms_cc".to_owned(),
            serde_json::json!({ "values": client_capabilities }),
        );
    }
    Ok(Some(serde_json::Value::Object(root).to_string()))
}

/// A field in the body; secret ones are written from their `SecretString` here only.
enum Field<'a> {
    Plain(&'static str, &'a str),
    Owned(&'static str, String),
    Secret(&'static str, &'a SecretString),
}

fn build(
    p: &TokenParams<'_>,
    grant_type: &str,
    grant_fields: Vec<Field<'_>>,
    scope: Option<String>,
    anchor_mailbox: Option<String>,
) -> Result<crate::Request, ProtocolError> {
    let mut fields = vec![
        Field::Plain("client_id", p.client_id),
        Field::Owned("grant_type", grant_type.to_owned()),
        Field::Plain("client_info", "1"),
    ];
    if let Some(claims) = merge_claims(p.claims, p.client_capabilities)? {
        fields.push(Field::Owned("claims", claims));
    }
    fields.extend(grant_fields);
    if let Some(scope) = scope {
        fields.push(Field::Owned("scope", scope));
    }
    match p.client_auth {
        ClientAuth::None => {}
        ClientAuth::Secret(s) => fields.push(Field::Secret("client_secret", s)),
        ClientAuth::Assertion(a) => {
            fields.push(Field::Plain("client_assertion_type", ASSERTION_TYPE_JWT));
            fields.push(Field::Secret("client_assertion", a));
        }
    }
    // Sized for the worst case of form encoding (3 bytes per input byte), so the
    // buffer holding the secret is written once, never reallocated.
    let capacity = fields
        .iter()
        .map(|f| {
            let (k, v) = match f {
                Field::Plain(k, v) => (*k, *v),
                Field::Owned(k, v) => (*k, v.as_str()),
                Field::Secret(k, v) => (*k, v.expose_secret()),
            };
            3 * (k.len() + v.len()) + 2
        })
        .sum();
    let mut body = SecretBuffer::with_capacity(capacity);
    for f in &fields {
        match f {
            Field::Plain(k, v) => body.push_form_pair(k, v),
            Field::Owned(k, v) => body.push_form_pair(k, v),
            Field::Secret(k, v) => body.push_form_pair(k, v.expose_secret()),
        }
    }
    let mut b = wire::request(
        http::Method::POST,
        p.token_endpoint,
        p.correlation_id,
        p.library,
    )
    .header(
        http::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded;charset=utf-8",
    )
    .header("x-ms-lib-capability", "retry-after, h429");
    if let Some(anchor) = anchor_mailbox {
        b = b.header("X-AnchorMailbox", anchor);
    }
    wire::finish(b, body)
}

fn user_scope(p: &TokenParams<'_>) -> Result<Option<String>, ProtocolError> {
    Ok(Some(decorate_scopes(p.scopes)?.join(" ")))
}

/// `grant_type=password`: username and password for the token endpoint, with
/// `X-AnchorMailbox: upn:{username}`.
///
/// ```
/// use entra_protocol::{ClientAuth, LibraryInfo, TokenParams, password_grant};
/// use secrecy::SecretString;
/// let auth = ClientAuth::None;
/// let library = LibraryInfo::default();
/// let params = TokenParams {
///     token_endpoint: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
///     client_id: "00001111-aaaa-2222-bbbb-3333cccc4444",
///     scopes: &["User.Read"],
///     claims: None,
///     client_capabilities: &[],
///     client_auth: &auth,
///     correlation_id: uuid::Uuid::nil(),
///     library: &library,
/// };
/// let password = SecretString::from("Pa$$ w0rd&=+é");
/// let request = password_grant(&params, "alice@contoso.com", &password)?;
/// assert_eq!(request.method(), http::Method::POST);
/// # Ok::<(), entra_protocol::ProtocolError>(())
/// ```
pub fn password_grant(
    p: &TokenParams<'_>,
    username: &str,
    password: &SecretString,
) -> Result<crate::Request, ProtocolError> {
    build(
        p,
        GRANT_PASSWORD,
        vec![
            Field::Plain("username", username),
            Field::Secret("password", password),
        ],
        user_scope(p)?,
        Some(format!("upn:{username}")),
    )
}

/// `grant_type=refresh_token`. `home_account_id` (`uid.utid`), when known, becomes
/// `X-AnchorMailbox: Oid:{uid}@{utid}`.
pub fn refresh_token_grant(
    p: &TokenParams<'_>,
    refresh_token: &SecretString,
    home_account_id: Option<&str>,
) -> Result<crate::Request, ProtocolError> {
    let anchor = home_account_id
        .and_then(|h| h.split_once('.'))
        .map(|(uid, utid)| format!("Oid:{uid}@{utid}"));
    build(
        p,
        GRANT_REFRESH_TOKEN,
        vec![Field::Secret("refresh_token", refresh_token)],
        user_scope(p)?,
        anchor,
    )
}

/// The SAML bearer grant for an assertion from WS-Trust: `grant_type` from its token
/// type, `assertion` = base64url of the assertion XML without padding.
pub fn saml_bearer_grant(
    p: &TokenParams<'_>,
    assertion: &SamlAssertion,
) -> Result<crate::Request, ProtocolError> {
    let encoded = SecretString::from(assertion.encoded_for_grant());
    build(
        p,
        assertion.token_type.grant_type(),
        vec![Field::Secret("assertion", &encoded)],
        user_scope(p)?,
        None,
    )
}
