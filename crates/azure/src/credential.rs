//! [`UsernamePasswordCredential`]: one password sign-in, then tokens from the cache.

use std::fmt;
use std::future::IntoFuture;
use std::time::SystemTime;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::time::OffsetDateTime;
use entra_auth::{
    Account, AcquireFuture, Application, AuthError, AuthenticationResult, ClientKind, SecretString,
};
use tokio::sync::Mutex;

/// An Azure SDK [`TokenCredential`] that signs a user in once with a username and
/// password, through an entra-auth [`PublicClientApplication`] or
/// [`ConfidentialClientApplication`], and serves every later
/// [`get_token`](TokenCredential::get_token) from that application's token cache.
///
/// - The first `get_token` sends the password (for the scopes it asks for); concurrent
///   first calls wait for that one sign-in, so the password is sent once.
/// - Once that sign-in succeeds the password is dropped (and zeroized). Each later
///   call is entra-auth's `acquire_token_silent` for the signed-in account: the cached
///   access token while it is valid, else (expired, or a scope set not asked for
///   before) a refresh through the refresh token, never the password.
/// - A definitive refusal of the password (wrong password, MFA or consent required, a
///   personal account, a locked account, ...) drops the password too and is kept: every
///   later call returns the same error without sending anything. Build a new
///   credential once the cause is fixed.
/// - A transient failure of the first sign-in ([`AuthError::is_transient`]: the
///   network failed, the server answered 5xx or throttled) keeps the password, and the
///   next `get_token` the caller makes sends it again. The credential never retries on
///   its own.
/// - A first call dropped by its caller (cancelled, timed out) while its sign-in is on
///   its way leaves no password behind, since the request may have reached the server:
///   later calls fail with [`AuthError::InteractionRequired`] instead of sending it again.
/// - When the refresh token dies (expired, revoked, a password change), silent calls
///   fail with [`AuthError::InteractionRequired`]: the password is gone, so build a new
///   credential.
///
/// Every error is an [`azure_core::Error`] of kind [`ErrorKind::Credential`] whose
/// message says what failed and what to do, and whose
/// [`source`](std::error::Error::source) is the [`AuthError`], for its details
/// (`error.downcast_ref::<AuthError>()`, then `claims()`, `aadsts_code()`, ...).
///
/// azure_core 1.1's [`TokenRequestOptions`] carries no claims challenge, so there is
/// none to pass on; its `method_options` are not used.
///
/// Its `Debug` shows the application's client id and authority and the state of the
/// sign-in, never the username, the password or a token.
///
/// [`PublicClientApplication`]: entra_auth::PublicClientApplication
/// [`ConfidentialClientApplication`]: entra_auth::ConfidentialClientApplication
pub struct UsernamePasswordCredential {
    application: Box<dyn Client>,
    username: String,
    state: Mutex<State>,
}

/// Where the credential's one sign-in stands.
enum State {
    /// Not signed in yet: the password waits for the first `get_token`.
    Pending(SecretString),
    /// A sign-in took the password and never finished: its `get_token` future was
    /// dropped while the request was on its way (the lock is held through the sign-in,
    /// so no other caller sees this state while it runs). The password is gone.
    Abandoned,
    /// Signed in: later tokens come from the cache for this account.
    SignedIn(Account),
    /// The password was refused for good (or never sent: a personal account, an
    /// unusable configuration); returned again by every call.
    Failed(AuthError),
}

impl State {
    fn describe(&self) -> &'static str {
        match self {
            State::Pending(_) => "not signed in yet",
            State::Abandoned => "sign-in abandoned",
            State::SignedIn(_) => "signed in",
            State::Failed(_) => "sign-in failed",
        }
    }
}

impl UsernamePasswordCredential {
    /// A credential for `username`, signing in with `password` through `application`
    /// on the first [`get_token`](TokenCredential::get_token). Sends nothing yet.
    ///
    /// `application` is a [`PublicClientApplication`](entra_auth::PublicClientApplication)
    /// or a [`ConfidentialClientApplication`](entra_auth::ConfidentialClientApplication);
    /// its token cache (and cache store) serves the later calls, and clones of it share
    /// them.
    pub fn new<K: ClientKind>(
        application: Application<K>,
        username: impl Into<String>,
        password: SecretString,
    ) -> Self {
        Self {
            application: Box::new(application),
            username: username.into(),
            state: Mutex::new(State::Pending(password)),
        }
    }

    /// Signs in with `password` for `scopes`, and moves `state` on from
    /// [`State::Abandoned`].
    async fn sign_in(
        &self,
        state: &mut State,
        scopes: &[&str],
        password: SecretString,
    ) -> azure_core::Result<AccessToken> {
        // The request takes its own copy (zeroized when the request is done); the
        // original stays here only for a caller's next call after a transient failure.
        let outcome = self
            .application
            .sign_in(scopes, &self.username, password.clone())
            .await;
        match outcome {
            Ok(result) => {
                drop(password);
                *state = match result.account.clone() {
                    Some(account) => State::SignedIn(account),
                    None => State::Failed(AuthError::InteractionRequired {
                        reason: "the sign-in returned no account (no id token), so no later \
                                 token can come from the cache",
                        server: None,
                    }),
                };
                Ok(access_token(&result))
            }
            Err(error) if error.is_transient() => {
                *state = State::Pending(password);
                Err(credential_error(error, Failure::TransientSignIn))
            }
            Err(error) => {
                drop(password);
                *state = State::Failed(error.clone());
                Err(credential_error(error, Failure::SignIn))
            }
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for UsernamePasswordCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let account = {
            let mut state = self.state.lock().await;
            // Taken out and put back with no await in between; only a sign-in leaves
            // `Abandoned` behind while it runs (see `State::Abandoned`).
            match std::mem::replace(&mut *state, State::Abandoned) {
                State::SignedIn(account) => {
                    *state = State::SignedIn(account.clone());
                    account
                }
                State::Failed(error) => {
                    *state = State::Failed(error.clone());
                    return Err(credential_error(error, Failure::Remembered));
                }
                State::Abandoned => {
                    return Err(credential_error(
                        AuthError::InteractionRequired {
                            reason: "the first sign-in was cancelled before it finished, and \
                                     the password is not kept",
                            server: None,
                        },
                        Failure::Remembered,
                    ));
                }
                // The lock stays held through the sign-in: callers that come meanwhile
                // wait, then find the account (or the failure).
                State::Pending(password) => {
                    return self.sign_in(&mut state, scopes, password).await;
                }
            }
        };
        match self.application.silent(scopes, &account).await {
            Ok(result) => Ok(access_token(&result)),
            Err(error) => Err(credential_error(error, Failure::Silent)),
        }
    }
}

impl fmt::Debug for UsernamePasswordCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.try_lock() {
            Ok(state) => state.describe(),
            Err(_) => "busy",
        };
        f.debug_struct("UsernamePasswordCredential")
            .field("application", &self.application)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

/// The azure_core token of an entra-auth result.
fn access_token(result: &AuthenticationResult) -> AccessToken {
    AccessToken::new(
        result.access_token.secret().to_owned(),
        expires_on(result.expires_on),
    )
}

/// The latest instant [`OffsetDateTime`] holds: 9999-12-31T23:59:59Z.
const LATEST_UNIX_SECONDS: i64 = 253_402_300_799;

/// `at` as azure_core's time, saturating where [`OffsetDateTime`] ends (entra-auth's
/// times reach the year 9999 too, but a conversion that could panic is not worth it).
fn expires_on(at: SystemTime) -> OffsetDateTime {
    let seconds = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    OffsetDateTime::from_unix_timestamp(seconds.min(LATEST_UNIX_SECONDS))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Which call an error comes from, for its message.
#[derive(Clone, Copy)]
enum Failure {
    /// The password sign-in, refused for good: the password is dropped.
    SignIn,
    /// The password sign-in, failed in a way that may pass: the password is kept.
    TransientSignIn,
    /// A failure kept from the first sign-in: nothing was sent.
    Remembered,
    /// A silent call, after the sign-in succeeded.
    Silent,
}

/// `error` as an azure_core credential error: the message says what to do, the source
/// is the [`AuthError`].
fn credential_error(error: AuthError, failure: Failure) -> azure_core::Error {
    let message = match failure {
        Failure::SignIn => format!(
            "UsernamePasswordCredential: the sign-in with the password failed, and the \
             credential will not send the password again; create a new credential once the \
             cause is fixed: {error}"
        ),
        Failure::TransientSignIn => format!(
            "UsernamePasswordCredential: the sign-in with the password could not complete; \
             the credential kept the password, and the next get_token sends it again: {error}"
        ),
        Failure::Remembered => format!(
            "UsernamePasswordCredential: the first sign-in failed and the password was not \
             sent again; create a new credential once the cause is fixed. The failure: {error}"
        ),
        Failure::Silent if matches!(error, AuthError::InteractionRequired { .. }) => format!(
            "UsernamePasswordCredential: no token from the cache or the refresh token, and the \
             password is not kept; create a new credential to sign in again: {error}"
        ),
        Failure::Silent => format!(
            "UsernamePasswordCredential: no token from the cache or the refresh token: {error}"
        ),
    };
    azure_core::Error::with_error(ErrorKind::Credential, error, message)
}

/// What the credential needs of an entra-auth application, public or confidential.
trait Client: fmt::Debug + Send + Sync {
    /// `acquire_token_by_username_password`.
    fn sign_in<'a>(
        &'a self,
        scopes: &'a [&'a str],
        username: &'a str,
        password: SecretString,
    ) -> AcquireFuture<'a>;

    /// `acquire_token_silent`.
    fn silent<'a>(&'a self, scopes: &'a [&'a str], account: &'a Account) -> AcquireFuture<'a>;
}

impl<K: ClientKind> Client for Application<K> {
    fn sign_in<'a>(
        &'a self,
        scopes: &'a [&'a str],
        username: &'a str,
        password: SecretString,
    ) -> AcquireFuture<'a> {
        self.acquire_token_by_username_password(scopes, username, password)
            .into_future()
    }

    fn silent<'a>(&'a self, scopes: &'a [&'a str], account: &'a Account) -> AcquireFuture<'a> {
        self.acquire_token_silent(scopes, account).into_future()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn expiry_times_convert_and_saturate_instead_of_panicking() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(expires_on(at).unix_timestamp(), 1_700_000_000);
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(expires_on(far).unix_timestamp(), LATEST_UNIX_SECONDS);
        let before_epoch = SystemTime::UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(expires_on(before_epoch).unix_timestamp(), 0);
    }
}
