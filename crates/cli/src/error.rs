//! Every failure of the tool, its exit code, and the one paragraph printed for it, which
//! says what happened and what to do next in terms of this tool's flags.

use std::error::Error;
use std::path::PathBuf;

use entra_auth::AuthError;
use entra_auth::CacheError;
use entra_auth::HttpError;
use entra_auth::ServerError;
use entra_auth_cli::settings::SettingsError;

/// The documented exit codes (see `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ExitClass {
    /// Anything not classified below.
    Other = 1,
    /// A bad or missing flag or input.
    Usage = 2,
    /// The user must take part: MFA, consent, a password change, a new sign-in.
    InteractionRequired = 3,
    /// Wrong username or password, unknown user, account locked or disabled.
    InvalidCredentials = 4,
    /// A personal Microsoft account or the `consumers` tenant.
    PersonalAccount = 5,
    /// The network or the identity provider failed; retrying later may help.
    Network = 6,
    /// The application, tenant, credential or scopes are misconfigured.
    Configuration = 7,
    /// The cache or the settings file could not be used.
    LocalState = 8,
}

impl ExitClass {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

/// What a command was doing when an acquisition failed, to name it in the message.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// `--log-pii`: the username may be named in the error's text.
    pub(crate) log_pii: bool,
    /// The username signing in, or the account's.
    pub(crate) username: Option<String>,
    /// The application (client) id.
    pub(crate) client_id: String,
    /// The authority URL.
    pub(crate) authority: String,
    /// The scopes requested.
    pub(crate) scopes: Vec<String>,
    /// The token cache is on a Redis server, not in a file.
    pub(crate) redis_cache: bool,
}

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// A bad or missing flag or input; the text says which and what to pass.
    Usage(String),
    /// A file named by a flag could not be read.
    File {
        /// The flag (`--ca-cert`).
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        reason: String,
    },
    /// No cached account matches (or the cache has none).
    NoAccount {
        /// The `--account` asked for, if any (empty unless `--log-pii`).
        wanted: Option<String>,
    },
    /// `--password-stdin` found a first line longer than any password.
    PasswordTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Several accounts are cached and none was chosen.
    SeveralAccounts {
        /// Their usernames (only with `--log-pii`; empty otherwise).
        usernames: Vec<String>,
    },
    /// `--cache-key-env` names a variable that is unset or holds no usable key.
    CacheKey {
        /// The variable's name.
        variable: String,
        /// What was wrong (never the value).
        reason: String,
    },
    /// The cache file is encrypted and `--cache-key-env` was not given.
    EncryptedCache {
        /// The cache file.
        path: PathBuf,
    },
    /// The settings file (or the cache's directory) could not be used.
    LocalState {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// entra-auth failed.
    Auth {
        /// The error.
        error: AuthError,
        /// What was being done.
        context: Box<Context>,
    },
}

impl From<SettingsError> for CliError {
    fn from(error: SettingsError) -> Self {
        CliError::LocalState {
            action: error.action,
            path: error.path,
            reason: error.reason,
        }
    }
}

impl CliError {
    /// An entra-auth error with what the command was doing.
    pub(crate) fn auth(error: AuthError, context: &Context) -> CliError {
        CliError::Auth {
            error,
            context: Box::new(Context {
                log_pii: context.log_pii,
                // Without --log-pii the error names "the user", never the username.
                username: context.username.clone().filter(|_| context.log_pii),
                client_id: context.client_id.clone(),
                authority: context.authority.clone(),
                scopes: context.scopes.clone(),
                redis_cache: context.redis_cache,
            }),
        }
    }

    /// The exit code class.
    pub(crate) fn class(&self) -> ExitClass {
        match self {
            CliError::Usage(_)
            | CliError::File { .. }
            | CliError::PasswordTooLong { .. }
            | CliError::SeveralAccounts { .. } => ExitClass::Usage,
            CliError::NoAccount { .. } => ExitClass::InteractionRequired,
            CliError::CacheKey { .. } => ExitClass::Configuration,
            CliError::LocalState { .. } | CliError::EncryptedCache { .. } => ExitClass::LocalState,
            CliError::Auth { error, .. } => classify(error),
        }
    }

    /// The paragraph printed on standard error: what happened, what to do next, and the
    /// server's ids to quote to an administrator.
    pub(crate) fn paragraph(&self) -> String {
        let text = match self {
            CliError::Usage(text) => text.clone(),
            CliError::File { flag, path, reason } => format!(
                "could not read {} (given to {flag}): {reason}. Check the path and its permissions.",
                path.display()
            ),
            CliError::NoAccount {
                wanted: Some(wanted),
            } if wanted.is_empty() => "the account given to --account is not signed in (in \
                 this cache). Sign in with `entra-auth login --username ...`, or list the \
                 signed-in accounts with `entra-auth accounts`."
                .to_owned(),
            CliError::NoAccount {
                wanted: Some(wanted),
            } => format!(
                "no account {wanted} is signed in (in this cache). Sign in with `entra-auth login \
                 --username {wanted} ...`, or list the signed-in accounts with `entra-auth accounts`."
            ),
            CliError::NoAccount { wanted: None } => "no account is signed in (in this cache). \
                 Sign in first with `entra-auth login --username U --scope S ...`."
                .to_owned(),
            CliError::PasswordTooLong { limit } => format!(
                "the first line of standard input is longer than {limit} bytes, which no \
                 password is; --password-stdin reads the password from that line. Pipe in the \
                 password alone."
            ),
            CliError::SeveralAccounts { usernames } if usernames.is_empty() => {
                "several accounts are signed in; choose one with --account (list them with \
                 `entra-auth accounts`)."
                    .to_owned()
            }
            CliError::SeveralAccounts { usernames } => format!(
                "several accounts are signed in ({}); choose one with --account.",
                usernames.join(", ")
            ),
            CliError::CacheKey { variable, reason } => format!(
                "the environment variable {variable} (given to --cache-key-env) {reason}. Set \
                 it to the cache's 256-bit key, as base64 or 64 hexadecimal digits (a new key: \
                 `openssl rand -base64 32`)."
            ),
            CliError::EncryptedCache { path } => format!(
                "the token cache at {} is encrypted, and no key was given; it was left \
                 untouched. Pass --cache-key-env NAME with the key it was written with in the \
                 environment variable NAME, or pass --cache to use another file.",
                path.display()
            ),
            CliError::LocalState {
                action,
                path,
                reason,
            } => format!(
                "{action} {} failed: {reason}. Check the directory's permissions, or pass --cache \
                 to use another file.",
                path.display()
            ),
            CliError::Auth { error, context } => auth_paragraph(error, context),
        };
        format!("error: {text}")
    }
}

/// The exit code class of an entra-auth error.
pub(crate) fn classify(error: &AuthError) -> ExitClass {
    match error {
        AuthError::MfaRequired { .. }
        | AuthError::MfaEnrollmentRequired { .. }
        | AuthError::ConsentRequired { .. }
        | AuthError::PasswordExpired { .. }
        | AuthError::ConditionalAccessBlocked { .. }
        | AuthError::InteractionRequired { .. } => ExitClass::InteractionRequired,
        AuthError::InvalidCredentials { .. }
        | AuthError::UserNotFound { .. }
        | AuthError::AccountLocked { .. }
        | AuthError::AccountDisabled { .. } => ExitClass::InvalidCredentials,
        AuthError::PersonalAccountNotSupported { .. } | AuthError::ConsumersTenantNotSupported => {
            ExitClass::PersonalAccount
        }
        AuthError::Network { .. }
        | AuthError::ServerUnavailable { .. }
        | AuthError::Throttled { .. }
        | AuthError::Cache(entra_auth::CacheError::Unavailable { .. }) => ExitClass::Network,
        AuthError::PublicClientFlowsNotAllowed { .. }
        | AuthError::ApplicationNotFound { .. }
        | AuthError::InvalidClientCredential { .. }
        | AuthError::TenantNotFound { .. }
        | AuthError::InvalidScope { .. }
        | AuthError::UntrustedAuthority { .. }
        | AuthError::AuthorityDiscovery { .. }
        | AuthError::Configuration { .. } => ExitClass::Configuration,
        AuthError::InvalidArgument { .. } | AuthError::TenantNotApplicable { .. } => {
            ExitClass::Usage
        }
        AuthError::Cache(_) => ExitClass::LocalState,
        _ => ExitClass::Other,
    }
}

fn auth_paragraph(error: &AuthError, context: &Context) -> String {
    let user = context.username.as_deref().unwrap_or("the user");
    let client_id = &context.client_id;
    let authority = &context.authority;
    let scopes = context.scopes.join(" ");
    let text = match error {
        AuthError::PersonalAccountNotSupported { username } => format!(
            "{} is a personal Microsoft account; username/password sign-in works only for \
             work or school accounts, and the password was not sent. Sign in with a work or school \
             account, or use an interactive tool (such as `az login`) for personal accounts.",
            username
                .as_deref()
                .or(context.username.as_deref())
                .unwrap_or("the account")
        ),
        AuthError::ConsumersTenantNotSupported => format!(
            "the authority {authority} is the `consumers` tenant, which serves only personal \
             Microsoft accounts; they cannot sign in with a username and password. Pass \
             --authority with `organizations` or your tenant id or domain instead."
        ),
        AuthError::MfaRequired { .. } => format!(
            "the tenant requires multi-factor authentication for {user}, which a username/password \
             sign-in cannot perform. Sign in interactively instead (for example `az login`), or ask \
             an administrator to exempt this account from the MFA policy."
        ),
        AuthError::MfaEnrollmentRequired { .. } => format!(
            "{user} must register for multi-factor authentication, which this tool cannot do. \
             Register in a browser (https://aka.ms/mfasetup); the tenant will then require MFA, so \
             sign in interactively (for example `az login`) from then on."
        ),
        AuthError::ConsentRequired {
            admin_consent_required: true,
            ..
        } => format!(
            "the application {client_id} has no consent for the scopes {scopes}, and only an \
             administrator can grant it. Ask an administrator to grant admin consent to the \
             application for these scopes, or request only scopes already consented to."
        ),
        AuthError::ConsentRequired { .. } => format!(
            "{user} has not consented to the application {client_id} using the scopes {scopes}, and \
             this tool cannot ask. Consent once in an interactive sign-in (or have an administrator \
             consent for everyone), or request only scopes already consented to."
        ),
        AuthError::PasswordExpired { server } => format!(
            "the password of {user} has expired. Change it{} and run `entra-auth login` again.",
            server
                .password_change_url
                .as_deref()
                .map(|url| format!(" (at {url})"))
                .unwrap_or_default()
        ),
        AuthError::ConditionalAccessBlocked { .. } => format!(
            "a conditional access policy of the tenant blocked the sign-in of {user}; retrying will \
             not help. Ask the tenant's administrator which policy applies, quoting the ids below."
        ),
        AuthError::InteractionRequired { reason, .. } => format!(
            "{user} must sign in again: {reason}. Run `entra-auth login --username {} --scope \
             ...` again.",
            context.username.as_deref().unwrap_or("USERNAME")
        ),
        AuthError::InvalidCredentials { .. } => format!(
            "the username or password of {user} is incorrect. Check them and run `entra-auth login` \
             again; repeated failures lock the account."
        ),
        AuthError::UserNotFound { .. } => format!(
            "{user} does not exist in the tenant of {authority}. Check the username, or --authority \
             (a guest user needs the tenant id or domain of the directory that invited them)."
        ),
        AuthError::AccountLocked { .. } => format!(
            "the account of {user} is locked, usually after too many failed sign-ins. Wait and try \
             again later, or ask an administrator to unlock it."
        ),
        AuthError::AccountDisabled { .. } => {
            format!("the account of {user} is disabled. Ask an administrator to enable it.")
        }
        AuthError::TenantNotFound { .. } => format!(
            "the tenant of {authority} does not exist. Check the tenant id or domain given to \
             --authority."
        ),
        AuthError::PublicClientFlowsNotAllowed { .. } => format!(
            "the application {client_id} does not allow public client flows. Enable \"Allow public \
             client flows\" in its app registration (Authentication), or sign in as a confidential \
             client with --client-secret-env NAME or --certificate PEM --key PEM."
        ),
        AuthError::ApplicationNotFound { .. } => format!(
            "no application {client_id} is registered in the tenant of {authority}. Check \
             --client-id and --authority."
        ),
        AuthError::InvalidClientCredential { .. } => format!(
            "the client secret or certificate of the application {client_id} was rejected. Check \
             that it matches the app registration and has not expired."
        ),
        AuthError::InvalidScope { .. } => format!(
            "the scopes {scopes} are not valid for the application {client_id}. Check the names \
             given to --scope (for example User.Read, or https://graph.microsoft.com/.default)."
        ),
        AuthError::Configuration {
            field,
            reason,
            source,
        } => format!(
            "the configuration of `{field}` is unusable: {reason}{}. Check --client-id, \
             --authority and the credential flags.",
            source
                .as_ref()
                .map(|source| format!(" ({})", chain(source.as_ref())))
                .unwrap_or_default()
        ),
        AuthError::UntrustedAuthority { host, .. } => format!(
            "the authority host {host} is not trusted: Microsoft's instance discovery does not \
             know it, so nothing was sent to it (the password included). If it is your ADFS \
             server, B2C custom domain or test server, pass --known-authority {host} (add \
             --authority-kind b2c for a B2C custom domain, oidc for another OpenID Connect \
             issuer); else check --authority."
        ),
        AuthError::AuthorityDiscovery { source, .. } => format!(
            "the OpenID configuration of the authority {authority} is unusable ({}), so nothing \
             was sent to it. Check --authority; a B2C custom domain needs --authority-kind b2c, \
             another OpenID Connect issuer --authority-kind oidc.",
            chain(source)
        ),
        AuthError::TenantNotApplicable { authority_kind } => format!(
            "the {authority_kind} authority {authority} names its own tenant; pass another \
             --authority instead of a tenant."
        ),
        AuthError::InvalidArgument { reason } => {
            format!("invalid argument: {reason}. Check --username and --scope.")
        }
        AuthError::Throttled { retry_after, .. } => format!(
            "the identity provider is throttling requests{}. Wait and try again; `entra-auth token` \
             serves cached tokens without asking it.",
            retry_after
                .map(|d| format!(" (it asked to retry after {} s)", d.as_secs()))
                .unwrap_or_default()
        ),
        AuthError::ServerUnavailable { status, .. } => format!(
            "the identity provider answered HTTP {status}, also when retried. Try again later."
        ),
        AuthError::Network { source, .. } => network_paragraph(source),
        AuthError::InvalidResponse { source, .. } => format!(
            "the identity provider's answer could not be understood ({}). Check that \
             --authority points at Microsoft Entra ID; run with -v for details.",
            chain(source)
        ),
        AuthError::Federation { source } => format!(
            "the federation server (ADFS) of {user}'s domain failed the sign-in ({}). Ask the \
             domain's administrator, quoting the time of the attempt.",
            chain(source)
        ),
        AuthError::ClientAssertion { source } => format!(
            "could not sign the client assertion with the certificate of the application \
             {client_id} ({}); nothing was sent. Check that the key given to --key is the private \
             key of the certificate given to --certificate, and is an RSA or EC key.",
            chain(source)
        ),
        AuthError::BackgroundTask { source } => format!(
            "a background task (token cache I/O) did not finish ({}); the cache may not have been \
             saved. Run the command again; if the task panicked again, report it.",
            chain(source.as_ref())
        ),
        AuthError::Server { server } => format!(
            "the identity provider refused the request: `{}`: {}. Run with -v for details.",
            server.error,
            server.message().trim_end_matches('.')
        ),
        AuthError::Cache(source) if context.redis_cache => redis_cache_paragraph(source),
        AuthError::Cache(source) => cache_paragraph(source),
        other => chain(other),
    };
    match ids(error) {
        Some(ids) => format!("{text} ({ids})"),
        None => text,
    }
}

fn network_paragraph(source: &HttpError) -> String {
    match source {
        HttpError::Tls { url, source } => format!(
            "could not reach the identity provider: the TLS handshake with {url} failed ({}). \
             If the server uses a private CA (a TLS-inspecting proxy, mock-idp), pass its \
             certificate with --ca-cert PEM.",
            chain(source.as_ref())
        ),
        other => format!(
            "could not reach the identity provider: {}. Check the network connection, any \
             proxy, and --authority; then try again.",
            chain(other).trim_end_matches('.')
        ),
    }
}

fn cache_paragraph(error: &CacheError) -> String {
    match error {
        CacheError::Corrupt {
            location,
            reason,
            source,
            ..
        } => format!(
            "the token cache at {location} is corrupt ({reason}{}) and was left untouched. Repair \
             or delete it (its accounts must then sign in again), or pass --cache to use another \
             file.",
            source
                .as_deref()
                .map(|source| format!(": {}", chain(source)))
                .unwrap_or_default()
        ),
        CacheError::Io { .. } => format!(
            "{}. Check the permissions of the file and its directory, or pass --cache to use \
             another file.",
            chain(error)
        ),
        CacheError::Undecryptable { location, reason } => format!(
            "the token cache at {location} could not be decrypted ({reason}) and was left \
             untouched. Pass the key it was written with in --cache-key-env (a cache written \
             without one is read without --cache-key-env), or delete it (its accounts must then \
             sign in again), or pass --cache to use another file."
        ),
        other => format!("{}. Pass --cache to use another file.", chain(other)),
    }
}

/// A cache error of a Redis cache (`--cache redis://...`).
fn redis_cache_paragraph(error: &CacheError) -> String {
    match error {
        CacheError::Corrupt {
            location,
            reason,
            source,
            ..
        } => format!(
            "the token cache at {location} holds a partition that is not a token cache \
             ({reason}{}) and was left untouched. If the cache was written with \
             --cache-key-env, pass the same flag and key; otherwise delete the partition's key \
             in Redis (its accounts must then sign in again).",
            source
                .as_deref()
                .map(|source| format!(": {}", chain(source)))
                .unwrap_or_default()
        ),
        CacheError::Undecryptable { location, reason } => format!(
            "the token cache at {location} could not be decrypted ({reason}) and was left \
             untouched. Pass the key it was written with in --cache-key-env (a cache written \
             without one is read without --cache-key-env), or delete the partition's key in \
             Redis (its accounts must then sign in again)."
        ),
        CacheError::Unavailable { .. } => format!(
            "{}. Check that the server is running and reachable from here (the host and port \
             given to --cache or ENTRA_AUTH_CACHE), then try again; the tokens it holds are \
             kept.",
            chain(error)
        ),
        CacheError::Store { .. } => format!(
            "{}. Check the URL given to --cache or ENTRA_AUTH_CACHE: its user and password, \
             and that the server is Redis 6.2 or later (not a cluster).",
            chain(error)
        ),
        other => format!("{}.", chain(other)),
    }
}

/// `error`'s Display followed by each of its causes, joined by `: `, each printed once:
/// a cause whose text the line already holds (a library that repeats its source in its
/// own Display) is skipped.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let part = current.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = current.source();
    }
    text
}

/// `AADSTS50076, trace id ..., correlation id ...`, or just the correlation id.
fn ids(error: &AuthError) -> Option<String> {
    let mut parts = Vec::new();
    let server: Option<&ServerError> = error.server();
    if let Some(code) = error.aadsts_code() {
        parts.push(format!("AADSTS{code}"));
    }
    if let Some(trace_id) = server.and_then(|s| s.trace_id) {
        parts.push(format!("trace id {trace_id}"));
    }
    if let Some(correlation_id) = error.correlation_id() {
        parts.push(format!("correlation id {correlation_id}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_distinct_documented_code() {
        let classes = [
            ExitClass::Other,
            ExitClass::Usage,
            ExitClass::InteractionRequired,
            ExitClass::InvalidCredentials,
            ExitClass::PersonalAccount,
            ExitClass::Network,
            ExitClass::Configuration,
            ExitClass::LocalState,
        ];
        let codes: Vec<u8> = classes.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn a_personal_account_is_class_5_and_names_the_account() {
        let error = CliError::auth(
            AuthError::PersonalAccountNotSupported {
                username: Some("someone@outlook.com".into()),
            },
            &Context::default(),
        );
        assert_eq!(error.class(), ExitClass::PersonalAccount);
        let text = error.paragraph();
        assert!(
            text.starts_with("error: someone@outlook.com is a personal"),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }

    #[test]
    fn a_configuration_error_names_the_setting_and_its_cause() {
        let cause = std::io::Error::other("not a URL");
        let error = CliError::auth(
            AuthError::Configuration {
                field: "authority",
                reason: "it is not a usable authority URL".into(),
                source: Some(std::sync::Arc::new(cause)),
            },
            &Context::default(),
        );
        assert_eq!(error.class(), ExitClass::Configuration);
        let text = error.paragraph();
        assert!(text.contains("`authority`"), "{text}");
        assert!(text.contains("(not a URL)"), "{text}");
    }

    #[test]
    fn an_untrusted_authority_is_configuration_and_says_how_to_trust_it() {
        let error = CliError::auth(
            AuthError::UntrustedAuthority {
                host: "fs.contoso.com".into(),
                server: Box::new(entra_auth::ServerError {
                    status: 400,
                    error: "invalid_instance".into(),
                    error_codes: vec![50049],
                    ..Default::default()
                }),
            },
            &Context::default(),
        );
        assert_eq!(error.class(), ExitClass::Configuration);
        let text = error.paragraph();
        assert!(text.contains("--known-authority fs.contoso.com"), "{text}");
        assert!(text.contains("--authority-kind b2c"), "{text}");
        assert!(text.contains("AADSTS50049"), "{text}");
    }

    #[test]
    fn a_tenant_for_an_authority_that_names_its_own_is_a_usage_error() {
        let error = CliError::auth(
            AuthError::TenantNotApplicable {
                authority_kind: "B2C",
            },
            &Context::default(),
        );
        assert_eq!(error.class(), ExitClass::Usage);
        assert!(error.paragraph().contains("B2C authority"));
    }

    #[test]
    fn a_network_failure_prints_each_cause_once() {
        let error = CliError::auth(
            AuthError::Network {
                source: HttpError::Connect {
                    url: "https://login.example/common/oauth2/v2.0/token".into(),
                    source: std::sync::Arc::new(std::io::Error::from(
                        std::io::ErrorKind::ConnectionRefused,
                    )),
                },
                correlation_id: entra_auth::Uuid::from_u128(7),
            },
            &Context::default(),
        );
        let text = error.paragraph();
        assert!(
            text.starts_with(
                "error: could not reach the identity provider: could not connect to \
                 https://login.example/common/oauth2/v2.0/token: connection refused. Check"
            ),
            "{text}"
        );
        assert_eq!(text.matches("connection refused").count(), 1, "{text}");
    }

    /// An error that, like some libraries' errors, repeats its source in its Display.
    #[derive(Debug)]
    struct Repeats(std::io::Error);

    impl std::fmt::Display for Repeats {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "request failed: {}", self.0)
        }
    }

    impl Error for Repeats {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_skips_a_cause_its_line_already_holds() {
        let error = Repeats(std::io::Error::other("reset by peer"));
        assert_eq!(chain(&error), "request failed: reset by peer");
    }

    #[test]
    fn a_missing_account_means_signing_in() {
        let error = CliError::NoAccount { wanted: None };
        assert_eq!(error.class(), ExitClass::InteractionRequired);
        assert!(error.paragraph().contains("entra-auth login"));
    }
}
