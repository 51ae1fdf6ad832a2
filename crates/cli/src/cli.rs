//! The command line, as clap derive types: what each subcommand and flag means.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use entra_auth::{SecretString, Uuid};
use entra_auth_cli::settings::AuthorityKind;

/// Exit codes and examples, shown at the end of `--help`.
const AFTER_HELP: &str = "\
Examples:
  # Sign in (the password comes from standard input, never from an argument):
  printf '%s\\n' \"$PASSWORD\" | entra-auth login --client-id 00001111-aaaa-2222-bbbb-3333cccc4444 \\
      --authority https://login.microsoftonline.com/contoso.com \\
      --username alice@contoso.com --scope User.Read --password-stdin

  # Azure AD B2C (the policy is in the URL), External ID, ADFS as the authority:
  ... login --authority https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth ...
  ... login --authority https://contosociam.ciamlogin.com ...
  ... login --authority https://fs.contoso.com/adfs --known-authority fs.contoso.com ...

  # A token for a script, from the cache (refreshed when needed):
  curl -H \"Authorization: Bearer $(entra-auth token --scope User.Read)\" https://graph.microsoft.com/v1.0/me

  # The whole result as JSON, the signed-in accounts, signing out:
  entra-auth token --scope User.Read --output json
  entra-auth accounts
  entra-auth logout --account alice@contoso.com

Exit codes:
  0  success
  1  any other error (an unexpected answer from the identity provider, a federation failure)
  2  usage: a bad or missing flag, no password source, no client id, several accounts
     and no --account
  3  interaction required: MFA, MFA enrollment, consent, expired password, conditional
     access, a refresh token no longer valid, or no signed-in account: sign in (again),
     interactively where the tenant demands it
  4  invalid credentials: wrong username or password, unknown user, account locked or disabled
  5  personal Microsoft account (or the `consumers` tenant): this flow cannot sign it in
  6  network: unreachable, TLS, server unavailable, throttled, a Redis cache that cannot be
     reached or answers too slowly: retry later
  7  configuration: public client flows not allowed, unknown application or tenant,
     rejected client secret or certificate, invalid scope, no usable --cache-key-env key,
     an authority host nobody trusts (--known-authority) or whose OpenID configuration is
     unusable
  8  the token cache or the settings file next to it could not be read or written (or
     decrypted: the key is not the one it was written with), or a Redis cache refused the
     URL's credentials

The last sign-in's client id, authority (with its kind and trusted hosts) and CA
certificate path are remembered in a settings file next to the cache (no secrets), so
`entra-auth token` needs only --scope afterwards. With a Redis cache, the settings file is
the default one
($XDG_CACHE_HOME/entra-auth/token_cache.settings.json, else ~/.cache/...), on this machine.

A shared cache in Redis (for CI runners or machines that share sign-ins):
  export ENTRA_AUTH_CACHE=redis://:$REDIS_PASSWORD@cache.example.com:6379/0
  entra-auth token --scope User.Read
A password given in --cache shows in process lists (ps); put the URL in ENTRA_AUTH_CACHE
instead (it is the same setting; --cache wins when both are given). --cache-key-env
encrypts a Redis cache too.";

const LOGIN_EXAMPLES: &str = "\
Examples:
  printf '%s\\n' \"$PASSWORD\" | entra-auth login --client-id ID --username alice@contoso.com \\
      --scope User.Read --password-stdin
  entra-auth login --client-id ID --username alice@contoso.com --scope User.Read   # prompts
  entra-auth login --client-id ID --client-secret-env APP_SECRET --password-env PW \\
      --username svc@contoso.com --scope User.Read

See `entra-auth --help` for the exit codes.";

const TOKEN_EXAMPLES: &str = "\
Examples:
  TOKEN=$(entra-auth token --scope User.Read)
  entra-auth token --scope User.Read --account alice@contoso.com --output json

See `entra-auth --help` for the exit codes.";

/// Get Microsoft Entra ID access tokens with a username and password (OAuth2 ROPC), for
/// shell scripts, CI jobs and terminals.
#[derive(Debug, Parser)]
#[command(name = "entra-auth", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,

    /// The token cache: a file, or a Redis server as redis://[user:password@]host:port[/db]
    /// (rediss:// for TLS). A password here shows in process lists: set ENTRA_AUTH_CACHE
    /// instead [default: $XDG_CACHE_HOME/entra-auth/token_cache.json, else
    /// ~/.cache/entra-auth/token_cache.json]
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        env = "ENTRA_AUTH_CACHE",
        hide_env_values = true,
        value_parser = clap::builder::TypedValueParser::map(
            clap::builder::OsStringValueParser::new(),
            CacheLocation::from
        ),
        display_order = 100
    )]
    pub(crate) cache: Option<CacheLocation>,

    /// Trust only the CA certificates in this PEM file for a rediss:// cache [default: the
    /// system's trusted roots]
    #[arg(long, global = true, value_name = "PEM", display_order = 100)]
    pub(crate) cache_ca_cert: Option<PathBuf>,

    /// Encrypt the token cache with the 256-bit key in this environment variable (base64
    /// or 64 hex digits; make one with `openssl rand -base64 32`)
    #[arg(long, global = true, value_name = "NAME", display_order = 100)]
    pub(crate) cache_key_env: Option<String>,

    /// Also trust the CA certificates in this PEM file (for a TLS-inspecting proxy or
    /// mock-idp)
    #[arg(long, global = true, value_name = "PEM", display_order = 100)]
    pub(crate) ca_cert: Option<PathBuf>,

    /// Send this correlation id (`client-request-id`) with every request [default: a new one]
    #[arg(long, global = true, value_name = "UUID", display_order = 100)]
    pub(crate) correlation_id: Option<Uuid>,

    /// Print tracing output to standard error (-v info, -vv debug, -vvv trace); never secrets
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 100)]
    pub(crate) verbose: u8,

    /// Let usernames appear in error messages and in -v output (off by default, so logs of
    /// CI jobs carry no personal data); tokens, passwords and secrets never appear
    #[arg(long, global = true, display_order = 100)]
    pub(crate) log_pii: bool,
}

/// Where `--cache` (or `ENTRA_AUTH_CACHE`) puts the token cache.
#[derive(Clone)]
pub(crate) enum CacheLocation {
    /// A cache file.
    File(PathBuf),
    /// A Redis server: the `redis://` or `rediss://` URL, which may carry a password.
    Redis(SecretString),
}

impl From<OsString> for CacheLocation {
    /// A `redis://` or `rediss://` URL (the scheme in any case) is a Redis server;
    /// anything else is a file path.
    fn from(value: OsString) -> CacheLocation {
        match value.into_string() {
            // Moved, not copied: the only copy of the URL is the secret's.
            Ok(text) if is_redis_url(&text) => CacheLocation::Redis(SecretString::from(text)),
            Ok(text) => CacheLocation::File(PathBuf::from(text)),
            Err(value) => CacheLocation::File(PathBuf::from(value)),
        }
    }
}

/// Whether `text` begins with `redis://` or `rediss://`, in any case.
fn is_redis_url(text: &str) -> bool {
    ["redis://", "rediss://"].iter().any(|scheme| {
        text.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

impl fmt::Debug for CacheLocation {
    /// Never the URL: it may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheLocation::File(path) => f.debug_tuple("File").field(path).finish(),
            CacheLocation::Redis(_) => f.write_str("Redis([REDACTED])"),
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Sign in with a username and password and store the tokens in the cache
    #[command(after_help = LOGIN_EXAMPLES)]
    Login(LoginArgs),
    /// Print an access token from the cache, refreshing it when needed (no password)
    #[command(after_help = TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// List the accounts in the cache
    Accounts(AccountsArgs),
    /// Remove an account's tokens from the cache
    Logout(LogoutArgs),
}

/// The application and how it authenticates.
#[derive(Debug, Args)]
#[command(next_help_heading = "Application")]
pub(crate) struct AppArgs {
    /// The application (client) id [default: the last sign-in's]
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,

    /// The authority URL: Entra ID, B2C, External ID or ADFS.
    #[arg(
        long,
        value_name = "URL",
        help = "The authority: https://{host}/{tenant} on any Microsoft cloud, \
                https://{name}.b2clogin.com/{tenant}/{policy}, https://{name}.ciamlogin.com, \
                https://{host}/adfs [default: the last sign-in's, else \
                https://login.microsoftonline.com/organizations]"
    )]
    pub(crate) authority: Option<String>,

    /// How --authority is read: detected from the URL, or declared as a B2C custom domain
    /// or another OpenID Connect issuer [default: the last sign-in's when --authority is
    /// not given or is the same, else detect]
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) authority_kind: Option<AuthorityKind>,

    /// Trust this authority host (`fs.contoso.com`, `login.contoso.com:8443`) without asking
    /// instance discovery: an ADFS server, a B2C custom domain, a test server (repeatable)
    #[arg(long = "known-authority", value_name = "HOST")]
    pub(crate) known_authorities: Vec<String>,

    /// Trust any authority host without validating it (only for an authority you control)
    #[arg(long)]
    pub(crate) no_validate_authority: bool,

    /// Confidential client: read the client secret from this environment variable
    #[arg(long, value_name = "NAME", conflicts_with_all = ["certificate", "key"])]
    pub(crate) client_secret_env: Option<String>,

    /// Confidential client: its certificate (PEM file), with --key
    #[arg(long, value_name = "PEM", requires = "key")]
    pub(crate) certificate: Option<PathBuf>,

    /// Confidential client: the certificate's private key (PEM file), with --certificate
    #[arg(long, value_name = "PEM", requires = "certificate")]
    pub(crate) key: Option<PathBuf>,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Human-readable text; `token` prints the access token alone
    #[default]
    Text,
    /// JSON on standard output (no secret but the access token itself)
    Json,
}

/// `entra-auth login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The user's sign-in name (alice@contoso.com)
    #[arg(long, short = 'u', value_name = "U")]
    pub(crate) username: String,

    /// The scopes to request (repeat the flag, or separate with spaces)
    #[arg(long = "scope", short = 's', value_name = "S", num_args = 1.., required = true)]
    pub(crate) scopes: Vec<String>,

    /// Read the password from the first line of standard input
    #[arg(long, conflicts_with = "password_env")]
    pub(crate) password_stdin: bool,

    /// Read the password from this environment variable
    #[arg(long, value_name = "NAME")]
    pub(crate) password_env: Option<String>,

    /// Refused: a password on the command line shows in process lists.
    #[arg(long, hide = true, value_name = "PASSWORD")]
    pub(crate) password: Option<String>,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub(crate) output: Output,

    /// The application and its credential.
    #[command(flatten)]
    pub(crate) app: AppArgs,
}

/// `entra-auth token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The scopes of the token (repeat the flag, or separate with spaces)
    #[arg(long = "scope", short = 's', value_name = "S", num_args = 1.., required = true)]
    pub(crate) scopes: Vec<String>,

    /// The account: its username or home account id [default: the last signed-in]
    #[arg(long, value_name = "U")]
    pub(crate) account: Option<String>,

    /// Redeem the refresh token even when the cached access token is still valid
    #[arg(long)]
    pub(crate) force_refresh: bool,

    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub(crate) output: Output,

    /// The application and its credential.
    #[command(flatten)]
    pub(crate) app: AppArgs,
}

/// `entra-auth accounts`.
#[derive(Debug, Args)]
pub(crate) struct AccountsArgs {
    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub(crate) output: Output,

    /// The application and its credential.
    #[command(flatten)]
    pub(crate) app: AppArgs,
}

/// `entra-auth logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The account: its username or home account id [default: the last signed-in]
    #[arg(long, value_name = "U")]
    pub(crate) account: Option<String>,

    /// The application and its credential.
    #[command(flatten)]
    pub(crate) app: AppArgs,
}

/// Splits `--scope "a b" --scope c` into `["a", "b", "c"]`.
pub(crate) fn split_scopes(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scopes_split_on_spaces_and_repeat() {
        let scopes = split_scopes(&["User.Read  Mail.Read".into(), "openid".into()]);
        assert_eq!(scopes, ["User.Read", "Mail.Read", "openid"]);
    }

    fn cache_of(value: &str) -> Option<CacheLocation> {
        Cli::try_parse_from(["entra-auth", "accounts", "--cache", value])
            .unwrap()
            .cache
    }

    #[test]
    fn a_redis_url_is_a_redis_cache_and_anything_else_a_file() {
        use secrecy::ExposeSecret as _;
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://:pw@cache.example.com:6380/2",
            "REDIS://host:1",
        ] {
            match cache_of(url) {
                Some(CacheLocation::Redis(found)) => assert_eq!(found.expose_secret(), url),
                other => panic!("{url}: {other:?}"),
            }
        }
        for path in [
            "token_cache.json",
            "redis",
            "./redis://x",
            "/tmp/rediss:/y",
            "redis:/x",
        ] {
            match cache_of(path) {
                Some(CacheLocation::File(found)) => assert_eq!(found, PathBuf::from(path)),
                other => panic!("{path}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_redis_url_never_appears_in_debug() {
        let cli = Cli::try_parse_from([
            "entra-auth",
            "accounts",
            "--cache",
            "redis://:s3cret-pw@host:6379/0",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(debug.contains("Redis([REDACTED])"), "{debug}");
    }

    #[test]
    fn client_secret_and_certificate_exclude_each_other() {
        let parsed = Cli::try_parse_from([
            "entra-auth",
            "token",
            "--scope",
            "User.Read",
            "--client-secret-env",
            "S",
            "--certificate",
            "c.pem",
            "--key",
            "k.pem",
        ]);
        assert!(parsed.is_err());
    }
}
