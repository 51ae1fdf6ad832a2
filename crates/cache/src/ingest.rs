//! Turning a token response into cache entries, as MSAL Python does.

use std::sync::Arc;

use secrecy::SecretString;

use crate::data::CacheData;
use crate::entry::{
    AUTHORITY_TYPE_ADFS, AUTHORITY_TYPE_MSSTS, AccessTokenEntry, AccountEntry, AppMetadataEntry,
    ExtraFields, IdTokenEntry, RefreshTokenEntry,
};
use crate::intern::Field as Repeated;
use crate::scopes::{intersects_ignoring_oidc, sorted_target};

/// Access token lifetime MSAL assumes when a response has no `expires_in`.
const DEFAULT_EXPIRES_IN: u64 = 600;

/// Grant types after which MSAL Python records `account_source` on the account.
const ACCOUNT_SOURCES: [&str; 5] = [
    "broker",
    "authorization_code",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "user_fic",
];

/// A successful token response and its context, as plain values.
///
/// The caller decodes `id_token` and `client_info` and passes what MSAL derives from
/// them (`home_account_id`, `local_account_id`, `username`). Build one with
/// [`TokenIngest::new`] and set the other fields.
///
/// ```
/// use entra_cache::TokenIngest;
/// use secrecy::SecretString;
///
/// let mut ingest = TokenIngest::new(
///     "login.microsoftonline.com",
///     "00001111-aaaa-2222-bbbb-3333cccc4444",
///     "organizations",
///     SecretString::from("access-token"),
///     1_700_000_000,
/// );
/// ingest.scopes = vec!["User.Read".into()];
/// ingest.granted_scope = Some("User.Read openid profile offline_access".into());
/// ingest.expires_in = Some(3599);
/// ingest.home_account_id = Some("uid.utid".into());
/// ingest.username = Some("alice@contoso.com".into());
/// ingest.account_source = Some("password".into());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenIngest {
    /// The authority host, written as `environment` (MSAL Python: hostname without port).
    pub environment: String,
    /// The application the tokens were issued to.
    pub client_id: String,
    /// The tenant, written as `realm` (MSAL Python: the token endpoint's tenant segment).
    pub realm: String,
    /// The scopes requested (used as the target when the response has no `scope`).
    pub scopes: Vec<String>,
    /// The response's `scope`, if any.
    pub granted_scope: Option<String>,
    /// The response's `access_token`.
    pub access_token: SecretString,
    /// The response's `token_type` (default `Bearer`).
    pub token_type: Option<String>,
    /// The response's `expires_in`, in seconds (default 600, as MSAL). Times are added
    /// saturating: an expiry past [`crate::LATEST_TIME`] writes a token that is never
    /// served (check lifetimes before ingesting to refuse such a response instead).
    pub expires_in: Option<u64>,
    /// The response's `ext_expires_in`, in seconds (default `expires_in`).
    pub ext_expires_in: Option<u64>,
    /// The response's `refresh_in`, in seconds; gives the access token's `refresh_on`.
    pub refresh_in: Option<u64>,
    /// The response's `refresh_token`, if any.
    pub refresh_token: Option<SecretString>,
    /// The response's raw `id_token`, if any.
    pub id_token: Option<SecretString>,
    /// `{uid}.{utid}` from `client_info` (or the id token's `sub` on ADFS); `None` for app-only tokens.
    pub home_account_id: Option<String>,
    /// The id token's `oid` (else `sub`).
    pub local_account_id: Option<String>,
    /// The id token's `preferred_username` (else `upn`, else the username sent).
    pub username: Option<String>,
    /// The response's `foci` (family of client ids), normally `"1"`.
    pub family_id: Option<String>,
    /// The grant type used (`password`, `refresh_token`, ...); recorded on the account
    /// for the grants that establish one.
    pub account_source: Option<String>,
    /// `authority_type` of the account (default `MSSTS`, or `ADFS` when the realm is `adfs`).
    pub authority_type: Option<String>,
    /// Whether to write an account entry (false for a refresh, as MSAL's `skip_account_creation`).
    pub create_account: bool,
    /// The current time, unix seconds.
    pub now: u64,
}

impl TokenIngest {
    /// A response carrying only an access token; set the other fields as needed.
    pub fn new(
        environment: impl Into<String>,
        client_id: impl Into<String>,
        realm: impl Into<String>,
        access_token: SecretString,
        now: u64,
    ) -> TokenIngest {
        TokenIngest {
            environment: environment.into(),
            client_id: client_id.into(),
            realm: realm.into(),
            scopes: Vec::new(),
            granted_scope: None,
            access_token,
            token_type: None,
            expires_in: None,
            ext_expires_in: None,
            refresh_in: None,
            refresh_token: None,
            id_token: None,
            home_account_id: None,
            local_account_id: None,
            username: None,
            family_id: None,
            account_source: None,
            authority_type: None,
            create_account: true,
            now,
        }
    }

    /// The target MSAL writes: granted scopes (else requested ones), sorted, space-joined.
    pub(crate) fn target(&self) -> String {
        match self.granted_scope.as_deref() {
            Some(granted) if !granted.trim().is_empty() => {
                sorted_target(granted.split_whitespace())
            }
            _ => sorted_target(self.scopes.iter().map(String::as_str)),
        }
    }
}

/// The keys of the entries one ingest wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ingested {
    /// Key of the access token entry.
    pub access_token: String,
    /// Key of the account entry, if one was written.
    pub account: Option<String>,
    /// Key of the id token entry, if one was written.
    pub id_token: Option<String>,
    /// Key of the refresh token entry, if one was written.
    pub refresh_token: Option<String>,
    /// Key of the app metadata entry.
    pub app_metadata: String,
    /// Keys of older access tokens removed because their scopes overlapped the new one's.
    pub replaced_access_tokens: Vec<String>,
}

impl CacheData {
    /// Writes the entries for one token response, in MSAL Python's order and shape.
    pub(crate) fn ingest(&mut self, ingest: &TokenIngest) -> Ingested {
        let now = ingest.now;
        let target = self
            .interner
            .intern_field(&ingest.target(), Repeated::Target);
        let environment = self
            .interner
            .intern_field(&ingest.environment, Repeated::Environment);
        let client_id = self
            .interner
            .intern_field(&ingest.client_id, Repeated::ClientId);
        let realm = self.interner.intern_field(&ingest.realm, Repeated::Realm);
        let home_account_id = ingest
            .home_account_id
            .as_deref()
            .map(|id| self.interner.intern(id));
        let expires_in = ingest.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        let at = AccessTokenEntry {
            secret: ingest.access_token.clone(),
            home_account_id: home_account_id.clone(),
            environment: Arc::clone(&environment),
            client_id: Arc::clone(&client_id),
            target: Arc::clone(&target),
            realm: Arc::clone(&realm),
            token_type: Some(
                ingest
                    .token_type
                    .clone()
                    .unwrap_or_else(|| "Bearer".to_owned()),
            ),
            cached_at: Some(now),
            expires_on: now.saturating_add(expires_in),
            extended_expires_on: Some(
                now.saturating_add(ingest.ext_expires_in.unwrap_or(expires_in)),
            ),
            refresh_on: ingest.refresh_in.map(|r| now.saturating_add(r)),
            key_id: None,
            ext_cache_key: None,
            extra: ExtraFields::default(),
        };
        let at_key = at.key();
        let replaced = self.overlapping_access_tokens(&at, &at_key);
        for key in &replaced {
            self.remove::<AccessTokenEntry>(key);
        }
        self.upsert(at_key.clone(), at);

        let mut written = Ingested {
            access_token: at_key,
            replaced_access_tokens: replaced,
            ..Ingested::default()
        };

        if let (Some(home_account_id), true) = (&home_account_id, ingest.create_account) {
            let authority_type = ingest.authority_type.clone().unwrap_or_else(|| {
                let adfs = ingest.realm == "adfs";
                (if adfs {
                    AUTHORITY_TYPE_ADFS
                } else {
                    AUTHORITY_TYPE_MSSTS
                })
                .to_owned()
            });
            let account = AccountEntry {
                home_account_id: Arc::clone(home_account_id),
                environment: Arc::clone(&environment),
                realm: Arc::clone(&realm),
                local_account_id: ingest.local_account_id.clone(),
                username: Some(ingest.username.clone().unwrap_or_default()),
                authority_type: Some(authority_type),
                account_source: ingest
                    .account_source
                    .clone()
                    .filter(|grant| ACCOUNT_SOURCES.contains(&grant.as_str())),
                extra: ExtraFields::default(),
            };
            let key = account.key();
            self.upsert(key.clone(), account);
            written.account = Some(key);
        }

        if let (Some(id_token), Some(home_account_id)) = (&ingest.id_token, &home_account_id) {
            let idt = IdTokenEntry {
                secret: id_token.clone(),
                home_account_id: Arc::clone(home_account_id),
                environment: Arc::clone(&environment),
                realm: Arc::clone(&realm),
                client_id: Arc::clone(&client_id),
                extra: ExtraFields::default(),
            };
            let key = idt.key();
            self.upsert(key.clone(), idt);
            written.id_token = Some(key);
        }

        if let (Some(refresh_token), Some(home_account_id)) =
            (&ingest.refresh_token, &home_account_id)
        {
            let rt = RefreshTokenEntry {
                secret: refresh_token.clone(),
                home_account_id: Arc::clone(home_account_id),
                environment: Arc::clone(&environment),
                client_id: Arc::clone(&client_id),
                target: Some(target),
                last_modification_time: Some(now),
                family_id: ingest.family_id.clone(),
                extra: ExtraFields::default(),
            };
            let key = rt.key();
            self.upsert(key.clone(), rt);
            written.refresh_token = Some(key);
        }

        let app = AppMetadataEntry {
            client_id,
            environment,
            family_id: ingest.family_id.clone(),
            extra: ExtraFields::default(),
        };
        let key = app.key();
        self.upsert(key.clone(), app);
        written.app_metadata = key;
        written
    }

    /// Access tokens of the same account, environment, client and realm whose scopes
    /// overlap `new`'s (OIDC scopes aside, as MSAL Node), other than `new_key` itself.
    fn overlapping_access_tokens(&self, new: &AccessTokenEntry, new_key: &str) -> Vec<String> {
        let owner = new.home_account_id.as_deref().unwrap_or("");
        self.owned_by(owner)
            .iter()
            .filter(|(kind, key)| *kind == crate::data::Kind::AccessToken && **key != *new_key)
            .filter_map(|(_, key)| self.access_tokens.get(key).map(|at| (key, at)))
            .filter(|(_, at)| {
                at.environment.eq_ignore_ascii_case(&new.environment)
                    && at.client_id.eq_ignore_ascii_case(&new.client_id)
                    && at.realm.eq_ignore_ascii_case(&new.realm)
                    && at.key_id == new.key_id
                    && at.ext_cache_key == new.ext_cache_key
                    && intersects_ignoring_oidc(&at.target, &new.target)
            })
            .map(|(key, _)| key.to_string())
            .collect()
    }
}
