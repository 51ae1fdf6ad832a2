//! What a successful acquisition returns: [`AuthenticationResult`] and [`Account`].

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::SystemTime;

use entra_protocol::IdTokenClaims;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// An access token. Its `Debug` prints `[REDACTED]`; read it with
/// [`AccessToken::secret`] at the one place it goes into an `Authorization` header.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    pub(crate) fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// The token itself, e.g. for `Authorization: Bearer {token}`.
    pub fn secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// Served from the token cache without any request.
    Cache,
    /// Issued by the identity provider for this call.
    IdentityProvider,
}

/// A signed-in account, as kept in the token cache.
///
/// Cheap to clone (one reference count increment): every result served from the cache
/// carries one. Its fields read as those of [`AccountInfo`], e.g.
/// `account.home_account_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account(Arc<AccountInfo>);

/// What is known about an [`Account`], shared by its clones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    /// The account's id across tenants: `{object id}.{tenant id}`.
    pub home_account_id: String,
    /// The identity provider's host (`login.microsoftonline.com`).
    pub environment: String,
    /// The tenant the account signed in to, as the cache records it.
    pub realm: String,
    /// The sign-in name (`alice@contoso.com`).
    pub username: String,
    /// The object id in that tenant, when known.
    pub local_account_id: Option<String>,
}

impl Deref for Account {
    type Target = AccountInfo;

    fn deref(&self) -> &AccountInfo {
        &self.0
    }
}

impl From<AccountInfo> for Account {
    fn from(account: AccountInfo) -> Self {
        Self(Arc::new(account))
    }
}

impl From<entra_cache::AccountEntry> for Account {
    fn from(account: entra_cache::AccountEntry) -> Self {
        Self::from(AccountInfo {
            home_account_id: account.home_account_id.to_string(),
            environment: account.environment.to_string(),
            realm: account.realm.to_string(),
            username: account.username.unwrap_or_default(),
            local_account_id: account.local_account_id,
        })
    }
}

/// The accounts in the cache, as [`accounts`](crate::PublicClientApplication::accounts)
/// lists them: a shared, immutable list.
///
/// Cloning is a reference count increment. It reads as a slice of [`Account`]s
/// (`accounts.first()`, `accounts.iter()`, `accounts.len()`, `for account in &accounts`);
/// [`to_vec`](slice::to_vec) gives an owned `Vec`. While the cache's accounts do not
/// change, every listing is the same list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accounts(Arc<[Account]>);

impl Accounts {
    /// Whether `self` and `other` are the same list (not merely equal ones).
    pub fn ptr_eq(&self, other: &Accounts) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Accounts {
    type Target = [Account];

    fn deref(&self) -> &[Account] {
        &self.0
    }
}

impl From<Vec<Account>> for Accounts {
    fn from(accounts: Vec<Account>) -> Self {
        Self(accounts.into())
    }
}

impl<'a> IntoIterator for &'a Accounts {
    type Item = &'a Account;
    type IntoIter = std::slice::Iter<'a, Account>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Accounts {
    type Item = Account;
    type IntoIter = AccountsIntoIter;

    /// Each account in turn (a reference count increment each; the list is shared).
    fn into_iter(self) -> AccountsIntoIter {
        AccountsIntoIter {
            accounts: self.0,
            next: 0,
        }
    }
}

/// The accounts of an [`Accounts`], by value.
#[derive(Clone, Debug)]
pub struct AccountsIntoIter {
    accounts: Arc<[Account]>,
    next: usize,
}

impl Iterator for AccountsIntoIter {
    type Item = Account;

    fn next(&mut self) -> Option<Account> {
        let account = self.accounts.get(self.next)?.clone();
        self.next += 1;
        Some(account)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.accounts.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for AccountsIntoIter {}

impl PartialEq<Vec<Account>> for Accounts {
    fn eq(&self, other: &Vec<Account>) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<[Account]> for Accounts {
    fn eq(&self, other: &[Account]) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&[Account]> for Accounts {
    fn eq(&self, other: &&[Account]) -> bool {
        *self.0 == **other
    }
}

impl<const N: usize> PartialEq<[Account; N]> for Accounts {
    fn eq(&self, other: &[Account; N]) -> bool {
        *self.0 == *other
    }
}

/// The scopes a token was granted for, shared: cloning is a reference count increment.
///
/// Kept as the space-separated list the cache stores (its `target`); read them with
/// [`Scopes::iter`] or [`Scopes::as_str`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Scopes(Arc<str>);

impl Scopes {
    /// Scopes sharing `scopes` (separated by whitespace): no copy.
    pub(crate) fn shared(scopes: Arc<str>) -> Self {
        Self(scopes)
    }

    /// The scopes, in the order they were granted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split_whitespace()
    }

    /// The scopes separated by spaces, as OAuth2 writes them.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `scope` is one of them (compared without regard to ASCII case, as Entra
    /// compares scopes).
    pub fn contains(&self, scope: &str) -> bool {
        self.iter()
            .any(|granted| granted.eq_ignore_ascii_case(scope))
    }

    /// How many scopes there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The scopes as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl From<String> for Scopes {
    /// `scopes`, separated by whitespace.
    fn from(scopes: String) -> Self {
        Self(scopes.into())
    }
}

impl From<&str> for Scopes {
    /// `scopes`, separated by whitespace.
    fn from(scopes: &str) -> Self {
        Self(scopes.into())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(scopes: I) -> Self {
        let mut joined = String::new();
        for scope in scopes {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(scope.as_ref());
        }
        Self::from(joined)
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a str;
    type IntoIter = std::str::SplitWhitespace<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.split_whitespace()
    }
}

/// The token type results carry unless the cache recorded another one.
pub(crate) const BEARER: &str = "Bearer";

/// A token and what is known about it.
///
/// Cheap to build from the cache: its strings and claims are shared, not copied.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthenticationResult {
    /// The access token (redacted in `Debug`).
    pub access_token: AccessToken,
    /// `Bearer`.
    pub token_type: Cow<'static, str>,
    /// When the access token expires.
    pub expires_on: SystemTime,
    /// When the cache will try to renew it early (from the server's `refresh_in`).
    pub refresh_on: Option<SystemTime>,
    /// The scopes the token was granted for.
    pub scopes: Scopes,
    /// The id token's claims, when there is one: decoded once per id token and shared
    /// by every result that carries them.
    pub id_token_claims: Option<Arc<IdTokenClaims>>,
    /// The account, for later silent calls.
    pub account: Option<Account>,
    /// Whether the token came from the cache or the identity provider.
    pub token_source: TokenSource,
    /// The correlation id of the call (sent as `client-request-id`).
    pub correlation_id: Uuid,
}

/// `token_type` as a result carries it: the usual `Bearer` without an allocation.
pub(crate) fn token_type(token_type: Option<&str>) -> Cow<'static, str> {
    match token_type {
        Some(token_type) if token_type != BEARER => Cow::Owned(token_type.to_owned()),
        _ => Cow::Borrowed(BEARER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_as_the_list_they_were_granted_as() {
        let scopes = Scopes::from("User.Read  openid profile".to_owned());

        assert_eq!(
            scopes.iter().collect::<Vec<_>>(),
            ["User.Read", "openid", "profile"]
        );
        assert_eq!(scopes.len(), 3);
        assert!(!scopes.is_empty());
        assert!(scopes.contains("user.read"));
        assert!(!scopes.contains("Mail.Send"));
        assert_eq!(
            format!("{scopes:?}"),
            r#"["User.Read", "openid", "profile"]"#
        );
        assert_eq!(
            ["User.Read", "openid"]
                .into_iter()
                .collect::<Scopes>()
                .as_str(),
            "User.Read openid"
        );
        assert!(Scopes::from(String::new()).is_empty());
    }

    #[test]
    fn an_account_clone_shares_its_fields_and_the_bearer_type_is_not_allocated() {
        let account = Account::from(AccountInfo {
            home_account_id: "oid.tid".to_owned(),
            environment: "login.microsoftonline.com".to_owned(),
            realm: "tid".to_owned(),
            username: "alice@contoso.com".to_owned(),
            local_account_id: None,
        });
        let clone = account.clone();

        assert!(std::ptr::eq(
            clone.username.as_str(),
            account.username.as_str()
        ));
        assert_eq!(clone.home_account_id, "oid.tid");
        assert!(matches!(
            token_type(Some("Bearer")),
            Cow::Borrowed("Bearer")
        ));
        assert!(matches!(token_type(None), Cow::Borrowed("Bearer")));
        assert_eq!(token_type(Some("pop")), "pop");
    }
}
