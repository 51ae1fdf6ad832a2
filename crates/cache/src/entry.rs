//! The five entry kinds of MSAL's unified cache schema, their JSON form and their keys.
//!
//! Known fields are typed; numbers travel as strings, as MSAL writes them. Fields this
//! crate does not know are kept, in order, and written back after the known ones. An
//! entry whose known fields have an unexpected shape is not an error: it is kept verbatim
//! (see `Slot::Foreign` in the store) and never served.

use secrecy::{ExposeSecret, SecretString};

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::intern::{Field as Repeated, Interner};

use crate::json::{self, Fields, Json, Object, Raw};

/// `credential_type` of an access token entry.
pub(crate) const ACCESS_TOKEN: &str = "AccessToken";
/// `credential_type` of a refresh token entry.
pub(crate) const REFRESH_TOKEN: &str = "RefreshToken";
/// `credential_type` of an id token entry.
pub(crate) const ID_TOKEN: &str = "IdToken";
/// `authority_type` of an Entra (AAD v2) account.
pub(crate) const AUTHORITY_TYPE_MSSTS: &str = "MSSTS";
/// `authority_type` of an ADFS account.
pub(crate) const AUTHORITY_TYPE_ADFS: &str = "ADFS";

/// Fields of an entry that this crate does not model, in document order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtraFields(pub(crate) Object);

impl ExtraFields {
    /// The number of unknown fields kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no unknown field was kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the unknown fields, in document order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// An access token entry (`AccessToken` section).
#[derive(Clone, Debug)]
pub struct AccessTokenEntry {
    /// The token itself.
    pub secret: SecretString,
    /// `{uid}.{utid}` of the account; `None` (JSON `null`) for an app-only token.
    pub home_account_id: Option<Arc<str>>,
    /// The authority host (MSAL Python: hostname only; MSAL Node: `host:port`).
    pub environment: Arc<str>,
    /// The application the token was issued to.
    pub client_id: Arc<str>,
    /// Space-separated scopes the token is valid for.
    pub target: Arc<str>,
    /// The tenant (MSAL Python: token endpoint's tenant segment; MSAL Node: `tid`).
    pub realm: Arc<str>,
    /// Token type, normally `Bearer`.
    pub token_type: Option<String>,
    /// When the token was cached (unix seconds).
    pub cached_at: Option<u64>,
    /// When the token expires (unix seconds).
    pub expires_on: u64,
    /// When the token expires in a service outage (unix seconds).
    pub extended_expires_on: Option<u64>,
    /// When the token should be proactively refreshed (unix seconds).
    pub refresh_on: Option<u64>,
    /// The key a bound token (SSH certificate, PoP) belongs to.
    pub key_id: Option<String>,
    /// MSAL Python's extended cache key (isolates tokens requested with extra parameters).
    pub ext_cache_key: Option<String>,
    /// Fields not modelled here, kept for the round trip.
    pub extra: ExtraFields,
}

/// A refresh token entry (`RefreshToken` section).
#[derive(Clone, Debug)]
pub struct RefreshTokenEntry {
    /// The token itself.
    pub secret: SecretString,
    /// `{uid}.{utid}` of the account.
    pub home_account_id: Arc<str>,
    /// The authority host.
    pub environment: Arc<str>,
    /// The application the token was issued to.
    pub client_id: Arc<str>,
    /// Scopes granted with it (MSAL Python writes them; MSAL Node does not).
    pub target: Option<Arc<str>>,
    /// When MSAL last wrote the token (unix seconds).
    pub last_modification_time: Option<u64>,
    /// The family (FOCI) the token belongs to, normally `"1"`.
    pub family_id: Option<String>,
    /// Fields not modelled here, kept for the round trip.
    pub extra: ExtraFields,
}

/// An id token entry (`IdToken` section).
#[derive(Clone, Debug)]
pub struct IdTokenEntry {
    /// The raw id token (a JWT).
    pub secret: SecretString,
    /// `{uid}.{utid}` of the account.
    pub home_account_id: Arc<str>,
    /// The authority host.
    pub environment: Arc<str>,
    /// The tenant.
    pub realm: Arc<str>,
    /// The application the token was issued to.
    pub client_id: Arc<str>,
    /// Fields not modelled here, kept for the round trip.
    pub extra: ExtraFields,
}

/// An account entry (`Account` section).
#[derive(Clone, Debug, PartialEq)]
pub struct AccountEntry {
    /// `{uid}.{utid}`, or the id token's `sub` on ADFS.
    pub home_account_id: Arc<str>,
    /// The authority host.
    pub environment: Arc<str>,
    /// The tenant.
    pub realm: Arc<str>,
    /// The account's object id in the tenant (id token `oid`, else `sub`); `None` is JSON `null`.
    pub local_account_id: Option<String>,
    /// The sign-in name (`preferred_username`, `upn` or the username given).
    pub username: Option<String>,
    /// `MSSTS` for Entra, `ADFS` for ADFS.
    pub authority_type: Option<String>,
    /// The grant that established the account (`password`, `authorization_code`, ...).
    pub account_source: Option<String>,
    /// Fields not modelled here (MSAL Node's `name`, `client_info`, `tenantProfiles`, ...).
    pub extra: ExtraFields,
}

/// An application metadata entry (`AppMetadata` section).
#[derive(Clone, Debug, PartialEq)]
pub struct AppMetadataEntry {
    /// The application.
    pub client_id: Arc<str>,
    /// The authority host.
    pub environment: Arc<str>,
    /// The family (FOCI) the application was last seen in.
    pub family_id: Option<String>,
    /// Fields not modelled here, kept for the round trip.
    pub extra: ExtraFields,
}

impl AccessTokenEntry {
    /// The entry key MSAL Python gives this token.
    pub fn key(&self) -> String {
        let kind = if self.ext_cache_key.is_some() {
            "atext"
        } else {
            ACCESS_TOKEN
        };
        let mut parts = vec![
            self.home_account_id.as_deref().unwrap_or(""),
            &self.environment,
            kind,
            &self.client_id,
            &self.realm,
            &self.target,
        ];
        if let Some(ext) = &self.ext_cache_key {
            parts.push(ext);
        }
        parts.join("-").to_lowercase()
    }

    /// The scopes in `target`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.target.split_whitespace()
    }
}

impl RefreshTokenEntry {
    /// The entry key MSAL Python gives this token (target included, family id not).
    pub fn key(&self) -> String {
        [
            &*self.home_account_id,
            &self.environment,
            REFRESH_TOKEN,
            &self.client_id,
            "",
            self.target.as_deref().unwrap_or(""),
        ]
        .join("-")
        .to_lowercase()
    }
}

impl IdTokenEntry {
    /// The entry key MSAL Python gives this token.
    pub fn key(&self) -> String {
        [
            &*self.home_account_id,
            &self.environment,
            ID_TOKEN,
            &self.client_id,
            &self.realm,
            "",
        ]
        .join("-")
        .to_lowercase()
    }
}

impl AccountEntry {
    /// The entry key MSAL Python gives this account.
    pub fn key(&self) -> String {
        [&*self.home_account_id, &self.environment, &self.realm]
            .join("-")
            .to_lowercase()
    }
}

impl AppMetadataEntry {
    /// The entry key MSAL gives this metadata (not lowercased).
    pub fn key(&self) -> String {
        format!("appmetadata-{}-{}", self.environment, self.client_id)
    }
}

/// What the schema allows for one known field.
#[derive(Clone, Copy)]
enum Field {
    /// `credential_type`: this string, any ASCII case.
    Credential(&'static str),
    /// A string that must be present.
    Required,
    /// A string or `null` (MSAL always writes it); absent reads as `null`.
    Nullable,
    /// A string, absent, or `null` (kept as an extra field).
    Optional,
    /// Unix seconds as a string of digits or a JSON integer; absent, or `null` (kept as
    /// an extra field).
    Time,
    /// Unix seconds that must be present.
    RequiredTime,
}

impl Field {
    fn fits(self, value: Option<&Raw<'_>>) -> bool {
        match (self, value) {
            (Field::Credential(expected), Some(Raw::Str(s))) => s.eq_ignore_ascii_case(expected),
            (Field::Required, Some(Raw::Str(_))) => true,
            (Field::Nullable | Field::Optional | Field::Time, None) => true,
            (Field::Nullable | Field::Optional, Some(Raw::Str(_) | Raw::Json(Json::Null))) => true,
            (Field::Time, Some(Raw::Json(Json::Null))) => true,
            (Field::Time | Field::RequiredTime, Some(Raw::Str(s))) => s.parse::<u64>().is_ok(),
            (Field::Time | Field::RequiredTime, Some(Raw::Json(Json::Number(n)))) => {
                n.as_u64().is_some()
            }
            _ => false,
        }
    }
}

/// Moves known fields out of an entry's fields, read in one pass and checked against
/// the schema first; what is left becomes extra fields. Strings borrowed from the
/// document are copied only where the entry keeps them (and not at all when interned).
struct Reader<'f, 'de> {
    fields: &'f mut Fields<'de>,
    /// Known fields that were `null` where the schema allows only a string or a time:
    /// kept as extra fields, after the unknown ones.
    nulls: Vec<&'static str>,
}

impl<'f, 'de> Reader<'f, 'de> {
    /// The fields split by `schema`, or `None`, the fields untouched, if a known field
    /// has a shape the schema does not allow (the entry is then kept verbatim).
    fn new(fields: &'f mut Fields<'de>, schema: &[(&'static str, Field)]) -> Option<Self> {
        let fits = schema.iter().all(|(name, field)| {
            field.fits(
                fields
                    .iter()
                    .find(|(key, _)| key == name)
                    .and_then(|(_, value)| value.as_ref()),
            )
        });
        fits.then_some(Reader {
            fields,
            nulls: Vec::new(),
        })
    }

    /// Takes the value of a known field (the fields hold each name once).
    fn take(&mut self, name: &'static str) -> Option<Raw<'de>> {
        self.fields
            .iter_mut()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.take())
    }

    // The readers below see only shapes `Field::fits` allowed; their fallbacks are for
    // totality, never reached.

    /// A [`Field::Required`] string.
    fn required(&mut self, name: &'static str) -> Cow<'de, str> {
        match self.take(name) {
            Some(Raw::Str(s)) => s,
            _ => Cow::Borrowed(""),
        }
    }

    /// A [`Field::Nullable`] string.
    fn nullable(&mut self, name: &'static str) -> Option<String> {
        match self.take(name) {
            Some(Raw::Str(s)) => Some(s.into_owned()),
            _ => None,
        }
    }

    /// A [`Field::Optional`] string; a `null` is kept as an extra field.
    fn optional(&mut self, name: &'static str) -> Option<String> {
        self.optional_text(name).map(Cow::into_owned)
    }

    fn optional_text(&mut self, name: &'static str) -> Option<Cow<'de, str>> {
        match self.take(name) {
            Some(Raw::Str(s)) => Some(s),
            Some(Raw::Json(Json::Null)) => {
                self.nulls.push(name);
                None
            }
            _ => None,
        }
    }

    /// A [`Field::Required`] string, interned.
    fn interned(&mut self, name: &'static str, interner: &mut Interner) -> Arc<str> {
        intern(self.required(name), interner)
    }

    /// A [`Field::Required`] string, interned; the field usually repeats its last value.
    fn repeated(
        &mut self,
        name: &'static str,
        field: Repeated,
        interner: &mut Interner,
    ) -> Arc<str> {
        match self.required(name) {
            Cow::Borrowed(s) => interner.intern_field(s, field),
            Cow::Owned(s) => interner.intern_string(s),
        }
    }

    /// A [`Field::Nullable`] string, interned.
    fn nullable_interned(
        &mut self,
        name: &'static str,
        interner: &mut Interner,
    ) -> Option<Arc<str>> {
        match self.take(name) {
            Some(Raw::Str(s)) => Some(intern(s, interner)),
            _ => None,
        }
    }

    /// A [`Field::Optional`] string, interned (the field usually repeats its last
    /// value); a `null` is kept as an extra field.
    fn optional_repeated(
        &mut self,
        name: &'static str,
        field: Repeated,
        interner: &mut Interner,
    ) -> Option<Arc<str>> {
        self.optional_text(name).map(|s| match s {
            Cow::Borrowed(s) => interner.intern_field(s, field),
            Cow::Owned(s) => interner.intern_string(s),
        })
    }

    /// A [`Field::Time`]; a `null` is kept as an extra field.
    fn time(&mut self, name: &'static str) -> Option<u64> {
        match self.take(name) {
            Some(Raw::Str(s)) => s.parse::<u64>().ok(),
            Some(Raw::Json(Json::Number(n))) => n.as_u64(),
            Some(Raw::Json(Json::Null)) => {
                self.nulls.push(name);
                None
            }
            _ => None,
        }
    }

    /// A [`Field::RequiredTime`].
    fn required_time(&mut self, name: &'static str) -> u64 {
        self.time(name).unwrap_or_default()
    }

    /// Drops the (checked) `credential_type`.
    fn credential_type(&mut self) {
        self.take("credential_type");
    }

    fn secret(&mut self) -> SecretString {
        SecretString::from(self.required("secret").into_owned())
    }

    /// The fields not taken (unknown ones, in document order), then the `null`s.
    fn finish(self) -> ExtraFields {
        let mut extra: Object = self
            .fields
            .drain(..)
            .filter_map(|(key, value)| {
                let value = value?;
                Some((key.into_owned(), value.into_json()))
            })
            .collect();
        extra.extend(
            self.nulls
                .into_iter()
                .map(|name| (name.to_owned(), Json::Null)),
        );
        ExtraFields(extra)
    }
}

/// The interned copy of `value`, reusing its buffer when it was copied out of the
/// document anyway.
fn intern(value: Cow<'_, str>, interner: &mut Interner) -> Arc<str> {
    match value {
        Cow::Borrowed(s) => interner.intern(s),
        Cow::Owned(s) => interner.intern_string(s),
    }
}

/// Writes an entry's JSON object straight into the output, in MSAL Python's field order
/// and `json.dumps(indent=4)` layout.
struct Writer<'o> {
    out: &'o mut String,
    depth: usize,
    empty: bool,
}

impl<'o> Writer<'o> {
    fn new(out: &'o mut String, depth: usize) -> Self {
        Writer {
            out,
            depth,
            empty: true,
        }
    }

    fn name(&mut self, name: &str) {
        self.out.push_str(if self.empty { "{" } else { "," });
        self.empty = false;
        json::newline(self.out, self.depth + 1);
        json::write_string(self.out, name);
        self.out.push_str(": ");
    }

    fn string(mut self, name: &str, value: &str) -> Self {
        self.name(name);
        json::write_string(self.out, value);
        self
    }

    fn nullable(mut self, name: &str, value: Option<&str>) -> Self {
        self.name(name);
        match value {
            Some(v) => json::write_string(self.out, v),
            None => self.out.push_str("null"),
        }
        self
    }

    fn optional(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.string(name, v),
            None => self,
        }
    }

    fn time(mut self, name: &str, value: Option<u64>) -> Self {
        if let Some(v) = value {
            self.name(name);
            let _ = write!(self.out, "\"{v}\"");
        }
        self
    }

    fn finish(mut self, extra: &ExtraFields) {
        for (name, value) in &extra.0 {
            self.name(name);
            json::write_value(self.out, value, self.depth + 1);
        }
        if self.empty {
            self.out.push_str("{}");
        } else {
            json::newline(self.out, self.depth);
            self.out.push('}');
        }
    }
}

/// About how many bytes an entry with these string values, `fields` known fields and
/// these extra fields takes written out (names, quotes and indentation included).
fn hint(values: &[&str], fields: usize, extra: &ExtraFields) -> usize {
    values.iter().map(|v| v.len()).sum::<usize>() + fields * 40 + extra.len() * 64
}

/// Conversion between an entry and its JSON object.
pub(crate) trait EntryJson: Sized {
    /// The typed entry read from an object's `fields` (emptied), or `None`, the fields
    /// untouched, if a known field has an unexpected shape.
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self>;
    /// Writes the entry's JSON object at nesting `depth` (no tree is built).
    fn write_json(&self, out: &mut String, depth: usize);
    /// About how many bytes [`EntryJson::write_json`] writes, to size the output ahead.
    fn json_len_hint(&self) -> usize;
}

impl EntryJson for AccessTokenEntry {
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self> {
        use Field::{Nullable, Optional, Required, RequiredTime, Time};
        let mut r = Reader::new(
            fields,
            &[
                ("credential_type", Field::Credential(ACCESS_TOKEN)),
                ("secret", Required),
                ("home_account_id", Nullable),
                ("environment", Required),
                ("client_id", Required),
                ("target", Required),
                ("realm", Required),
                ("token_type", Optional),
                ("cached_at", Time),
                ("expires_on", RequiredTime),
                ("extended_expires_on", Time),
                ("key_id", Optional),
                ("ext_cache_key", Optional),
                ("refresh_on", Time),
            ],
        )?;
        r.credential_type();
        Some(AccessTokenEntry {
            secret: r.secret(),
            home_account_id: r.nullable_interned("home_account_id", interner),
            environment: r.repeated("environment", Repeated::Environment, interner),
            client_id: r.repeated("client_id", Repeated::ClientId, interner),
            target: r.repeated("target", Repeated::Target, interner),
            realm: r.repeated("realm", Repeated::Realm, interner),
            token_type: r.optional("token_type"),
            cached_at: r.time("cached_at"),
            expires_on: r.required_time("expires_on"),
            extended_expires_on: r.time("extended_expires_on"),
            key_id: r.optional("key_id"),
            ext_cache_key: r.optional("ext_cache_key"),
            refresh_on: r.time("refresh_on"),
            extra: r.finish(),
        })
    }

    fn json_len_hint(&self) -> usize {
        hint(
            &[
                self.secret.expose_secret(),
                self.home_account_id.as_deref().unwrap_or_default(),
                &self.environment,
                &self.client_id,
                &self.target,
                &self.realm,
                self.token_type.as_deref().unwrap_or_default(),
                self.key_id.as_deref().unwrap_or_default(),
                self.ext_cache_key.as_deref().unwrap_or_default(),
            ],
            14,
            &self.extra,
        )
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        Writer::new(out, depth)
            .string("credential_type", ACCESS_TOKEN)
            .string("secret", self.secret.expose_secret())
            .nullable("home_account_id", self.home_account_id.as_deref())
            .string("environment", &self.environment)
            .string("client_id", &self.client_id)
            .string("target", &self.target)
            .string("realm", &self.realm)
            .optional("token_type", self.token_type.as_deref())
            .time("cached_at", self.cached_at)
            .time("expires_on", Some(self.expires_on))
            .time("extended_expires_on", self.extended_expires_on)
            .optional("key_id", self.key_id.as_deref())
            .optional("ext_cache_key", self.ext_cache_key.as_deref())
            .time("refresh_on", self.refresh_on)
            .finish(&self.extra);
    }
}

impl EntryJson for RefreshTokenEntry {
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self> {
        use Field::{Optional, Required, Time};
        let mut r = Reader::new(
            fields,
            &[
                ("credential_type", Field::Credential(REFRESH_TOKEN)),
                ("secret", Required),
                ("home_account_id", Required),
                ("environment", Required),
                ("client_id", Required),
                ("target", Optional),
                ("last_modification_time", Time),
                ("family_id", Optional),
            ],
        )?;
        r.credential_type();
        Some(RefreshTokenEntry {
            secret: r.secret(),
            home_account_id: r.interned("home_account_id", interner),
            environment: r.repeated("environment", Repeated::Environment, interner),
            client_id: r.repeated("client_id", Repeated::ClientId, interner),
            target: r.optional_repeated("target", Repeated::Target, interner),
            last_modification_time: r.time("last_modification_time"),
            family_id: r.optional("family_id"),
            extra: r.finish(),
        })
    }

    fn json_len_hint(&self) -> usize {
        hint(
            &[
                self.secret.expose_secret(),
                &self.home_account_id,
                &self.environment,
                &self.client_id,
                self.target.as_deref().unwrap_or_default(),
                self.family_id.as_deref().unwrap_or_default(),
            ],
            8,
            &self.extra,
        )
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        Writer::new(out, depth)
            .string("credential_type", REFRESH_TOKEN)
            .string("secret", self.secret.expose_secret())
            .string("home_account_id", &self.home_account_id)
            .string("environment", &self.environment)
            .string("client_id", &self.client_id)
            .optional("target", self.target.as_deref())
            .time("last_modification_time", self.last_modification_time)
            .optional("family_id", self.family_id.as_deref())
            .finish(&self.extra);
    }
}

impl EntryJson for IdTokenEntry {
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self> {
        use Field::Required;
        let mut r = Reader::new(
            fields,
            &[
                ("credential_type", Field::Credential(ID_TOKEN)),
                ("secret", Required),
                ("home_account_id", Required),
                ("environment", Required),
                ("realm", Required),
                ("client_id", Required),
            ],
        )?;
        r.credential_type();
        Some(IdTokenEntry {
            secret: r.secret(),
            home_account_id: r.interned("home_account_id", interner),
            environment: r.repeated("environment", Repeated::Environment, interner),
            realm: r.repeated("realm", Repeated::Realm, interner),
            client_id: r.repeated("client_id", Repeated::ClientId, interner),
            extra: r.finish(),
        })
    }

    fn json_len_hint(&self) -> usize {
        hint(
            &[
                self.secret.expose_secret(),
                &self.home_account_id,
                &self.environment,
                &self.realm,
                &self.client_id,
            ],
            6,
            &self.extra,
        )
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        Writer::new(out, depth)
            .string("credential_type", ID_TOKEN)
            .string("secret", self.secret.expose_secret())
            .string("home_account_id", &self.home_account_id)
            .string("environment", &self.environment)
            .string("realm", &self.realm)
            .string("client_id", &self.client_id)
            .finish(&self.extra);
    }
}

impl EntryJson for AccountEntry {
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self> {
        use Field::{Nullable, Optional, Required};
        let mut r = Reader::new(
            fields,
            &[
                ("home_account_id", Required),
                ("environment", Required),
                ("realm", Required),
                ("local_account_id", Nullable),
                ("username", Optional),
                ("authority_type", Optional),
                ("account_source", Optional),
            ],
        )?;
        Some(AccountEntry {
            home_account_id: r.interned("home_account_id", interner),
            environment: r.repeated("environment", Repeated::Environment, interner),
            realm: r.repeated("realm", Repeated::Realm, interner),
            local_account_id: r.nullable("local_account_id"),
            username: r.optional("username"),
            authority_type: r.optional("authority_type"),
            account_source: r.optional("account_source"),
            extra: r.finish(),
        })
    }

    fn json_len_hint(&self) -> usize {
        hint(
            &[
                &self.home_account_id,
                &self.environment,
                &self.realm,
                self.local_account_id.as_deref().unwrap_or_default(),
                self.username.as_deref().unwrap_or_default(),
            ],
            7,
            &self.extra,
        )
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        Writer::new(out, depth)
            .string("home_account_id", &self.home_account_id)
            .string("environment", &self.environment)
            .string("realm", &self.realm)
            .nullable("local_account_id", self.local_account_id.as_deref())
            .optional("username", self.username.as_deref())
            .optional("authority_type", self.authority_type.as_deref())
            .optional("account_source", self.account_source.as_deref())
            .finish(&self.extra);
    }
}

impl EntryJson for AppMetadataEntry {
    fn from_fields(fields: &mut Fields<'_>, interner: &mut Interner) -> Option<Self> {
        use Field::{Optional, Required};
        let mut r = Reader::new(
            fields,
            &[
                ("client_id", Required),
                ("environment", Required),
                ("family_id", Optional),
            ],
        )?;
        Some(AppMetadataEntry {
            client_id: r.repeated("client_id", Repeated::ClientId, interner),
            environment: r.repeated("environment", Repeated::Environment, interner),
            family_id: r.optional("family_id"),
            extra: r.finish(),
        })
    }

    fn json_len_hint(&self) -> usize {
        hint(
            &[
                &self.client_id,
                &self.environment,
                self.family_id.as_deref().unwrap_or_default(),
            ],
            3,
            &self.extra,
        )
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        Writer::new(out, depth)
            .string("client_id", &self.client_id)
            .string("environment", &self.environment)
            .optional("family_id", self.family_id.as_deref())
            .finish(&self.extra);
    }
}
