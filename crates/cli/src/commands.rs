//! The subcommands: resolve flags against the remembered settings, build the
//! application, call entra-auth, print.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use entra_auth::SecretString;
use entra_auth::Uuid;
use entra_auth::{
    Account, Application, ApplicationBuilder, ClientKind, Clock, ConfidentialClientApplication,
    DEFAULT_AUTHORITY, PublicClientApplication,
};
use entra_auth::{AuthError, EncryptedStore, EncryptionKey, FileStore};
use entra_cache::PartitionedStore as _;
use entra_cache_redis::{RedisStore, RedisStoreError};
use secrecy::ExposeSecret as _;
use secrecy::zeroize::Zeroizing;

use crate::cli::{
    AccountsArgs, AppArgs, CacheLocation, Cli, Command, LoginArgs, LogoutArgs, Output, TokenArgs,
    split_scopes,
};
use crate::clock;
use crate::error::{CliError, Context};
use crate::output::{AccountView, ResultView, rfc3339, unix_seconds};
use entra_auth_cli::settings::{AuthorityKind, Settings, default_cache_path, settings_path};

/// Where the token cache is kept.
enum Cache {
    /// A cache file (entra-cache's `FileStore`).
    File(PathBuf),
    /// A Redis server, connected.
    Redis(RedisStore),
}

impl Cache {
    /// The cache as messages name it: the file's path, or the Redis URL without its
    /// credentials.
    fn location(&self) -> String {
        match self {
            Cache::File(path) => path.display().to_string(),
            Cache::Redis(store) => store.location(),
        }
    }
}

/// What every subcommand shares: where the cache and settings live, what was
/// remembered, and the global flags.
struct Session {
    cache: Cache,
    /// `--cache-key-env`: the key the cache is encrypted with.
    cache_key: Option<EncryptionKey>,
    /// `None` for a Redis cache when no default cache directory is known: nothing is
    /// remembered.
    settings_path: Option<PathBuf>,
    settings: Settings,
    ca_cert: Option<PathBuf>,
    correlation_id: Option<Uuid>,
    clock: Arc<dyn Clock>,
    /// `--log-pii`: usernames may appear in errors and logs.
    log_pii: bool,
}

/// How the application authenticates, read from the flags (never from the settings).
enum Credential {
    None,
    Secret(SecretString),
    Certificate {
        certificate_pem: Vec<u8>,
        private_key_pem: SecretString,
    },
}

/// The application as the flags and settings resolve it.
struct AppConfig {
    client_id: String,
    authority: String,
    /// How `authority` is read.
    authority_kind: AuthorityKind,
    /// Hosts trusted without instance discovery.
    known_authorities: Vec<String>,
    /// Whether authority validation is off.
    no_validate_authority: bool,
    ca_cert: Option<PathBuf>,
    credential: Credential,
}

/// What to do once the application is built.
enum Action {
    Login {
        username: String,
        scopes: Vec<String>,
        password: SecretString,
        output: Output,
    },
    Token {
        scopes: Vec<String>,
        account: Option<String>,
        force_refresh: bool,
        output: Output,
    },
    Accounts {
        output: Output,
    },
    Logout {
        account: Option<String>,
    },
}

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    let no_cache_directory = || {
        CliError::Usage(
            "no cache directory is known (neither XDG_CACHE_HOME nor HOME is set); pass \
             --cache PATH."
                .to_owned(),
        )
    };
    let cache_key = cli.cache_key_env.as_deref().map(cache_key).transpose()?;
    let (cache, settings_path) = match cli.cache {
        Some(CacheLocation::Redis(url)) => {
            let store = connect_redis(&url, cli.cache_ca_cert.as_deref()).await?;
            // Settings are per machine: the default settings file, as without --cache.
            (
                Cache::Redis(store),
                default_cache_path().map(|path| settings_path(&path)),
            )
        }
        Some(CacheLocation::File(path)) => {
            let settings = settings_path(&path);
            (Cache::File(path), Some(settings))
        }
        None => {
            let path = default_cache_path().ok_or_else(no_cache_directory)?;
            let settings = settings_path(&path);
            (Cache::File(path), Some(settings))
        }
    };
    if let Cache::File(path) = &cache
        && cache_key.is_none()
        && starts_encrypted(path)
    {
        return Err(CliError::EncryptedCache { path: path.clone() });
    }
    let settings = match &settings_path {
        Some(path) => Settings::load(path)?,
        None => Settings::default(),
    };
    tracing::debug!(
        cache = %cache.location(),
        settings = ?settings_path.as_deref().map(Path::display),
        "local state"
    );
    let session = Session {
        cache,
        cache_key,
        settings_path,
        settings,
        ca_cert: cli.ca_cert,
        correlation_id: cli.correlation_id,
        clock: clock::from_env()?,
        log_pii: cli.log_pii,
    };
    let (app, action) = match cli.command {
        Command::Login(LoginArgs {
            app,
            username,
            scopes,
            password_stdin,
            password_env,
            password,
            output,
        }) => {
            if password.is_some() {
                return Err(CliError::Usage(
                    "entra-auth never takes a password as an argument (process lists and shell \
                     history would show it); pass --password-stdin and pipe it in, or \
                     --password-env NAME, or let entra-auth prompt for it."
                        .to_owned(),
                ));
            }
            let scopes = split_scopes(&scopes);
            let password = read_password(&username, password_stdin, password_env.as_deref())?;
            (
                app,
                Action::Login {
                    username,
                    scopes,
                    password,
                    output,
                },
            )
        }
        Command::Token(TokenArgs {
            app,
            scopes,
            account,
            force_refresh,
            output,
        }) => (
            app,
            Action::Token {
                scopes: split_scopes(&scopes),
                account,
                force_refresh,
                output,
            },
        ),
        Command::Accounts(AccountsArgs { app, output }) => (app, Action::Accounts { output }),
        Command::Logout(LogoutArgs { app, account }) => (app, Action::Logout { account }),
    };
    let config = session.resolve(app)?;
    session.dispatch(config, action).await
}

impl Session {
    /// Flags first, then the remembered settings, then the defaults.
    fn resolve(&self, args: AppArgs) -> Result<AppConfig, CliError> {
        let client_id = args
            .client_id
            .or_else(|| self.settings.client_id.clone())
            .ok_or_else(|| {
                CliError::Usage(
                    "no client id: pass --client-id ID (it is remembered after a successful \
                     `entra-auth login`)."
                        .to_owned(),
                )
            })?;
        // The remembered kind and trust belong to the remembered authority: they apply
        // when --authority is absent or names that same authority.
        let remembered = match (&args.authority, &self.settings.authority) {
            (None, _) => true,
            (Some(given), Some(saved)) => given == saved,
            (Some(_), None) => false,
        };
        let authority = args
            .authority
            .or_else(|| self.settings.authority.clone())
            .unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned());
        let authority_kind = args.authority_kind.unwrap_or(if remembered {
            self.settings.authority_kind
        } else {
            AuthorityKind::Detect
        });
        let mut known_authorities = args.known_authorities;
        let mut no_validate_authority = args.no_validate_authority;
        if remembered {
            for host in &self.settings.known_authorities {
                if !known_authorities.contains(host) {
                    known_authorities.push(host.clone());
                }
            }
            no_validate_authority |= self.settings.no_validate_authority;
        }
        let ca_cert = match &self.ca_cert {
            Some(path) => Some(std::path::absolute(path).map_err(|e| CliError::File {
                flag: "--ca-cert",
                path: path.clone(),
                reason: e.to_string(),
            })?),
            None => self.settings.ca_cert.clone(),
        };
        let credential = if let Some(name) = args.client_secret_env {
            Credential::Secret(SecretString::from(env_var(&name, "--client-secret-env")?))
        } else if let (Some(certificate), Some(key)) = (args.certificate, args.key) {
            Credential::Certificate {
                certificate_pem: read_file(&certificate, "--certificate")?,
                private_key_pem: SecretString::from(
                    String::from_utf8(read_file(&key, "--key")?).map_err(|_| CliError::File {
                        flag: "--key",
                        path: key.clone(),
                        reason: "not a PEM (text) file".to_owned(),
                    })?,
                ),
            }
        } else {
            Credential::None
        };
        if matches!(credential, Credential::None)
            && self.settings.confidential
            && self.settings.client_id.as_deref() == Some(client_id.as_str())
        {
            return Err(CliError::Usage(format!(
                "the application {client_id} signed in as a confidential client, and its \
                 credential is never stored; pass it again with --client-secret-env NAME or \
                 --certificate PEM --key PEM."
            )));
        }
        Ok(AppConfig {
            client_id,
            authority,
            authority_kind,
            known_authorities,
            no_validate_authority,
            ca_cert,
            credential,
        })
    }

    /// Builds a public or confidential application and runs `action` with it.
    async fn dispatch(self, config: AppConfig, action: Action) -> Result<(), CliError> {
        let mut context = Context {
            log_pii: self.log_pii,
            username: None,
            client_id: config.client_id.clone(),
            authority: config.authority.clone(),
            scopes: Vec::new(),
            redis_cache: matches!(self.cache, Cache::Redis(_)),
        };
        let confidential = !matches!(config.credential, Credential::None);
        match config.credential {
            Credential::None => {
                let builder = PublicClientApplication::builder(config.client_id.as_str());
                let app = self
                    .configure(builder, &config)?
                    .build()
                    .map_err(|e| CliError::auth(e, &context))?;
                self.execute(&app, &config, confidential, action, &mut context)
                    .await
            }
            Credential::Secret(ref secret) => {
                let builder = ConfidentialClientApplication::builder(config.client_id.as_str());
                let app = self
                    .configure(builder, &config)?
                    .client_secret(secret.clone())
                    .build()
                    .map_err(|e| CliError::auth(e, &context))?;
                self.execute(&app, &config, confidential, action, &mut context)
                    .await
            }
            Credential::Certificate {
                ref certificate_pem,
                ref private_key_pem,
            } => {
                let builder = ConfidentialClientApplication::builder(config.client_id.as_str());
                let app = self
                    .configure(builder, &config)?
                    .client_certificate(certificate_pem, private_key_pem)
                    .build()
                    .map_err(|e| CliError::auth(e, &context))?;
                self.execute(&app, &config, confidential, action, &mut context)
                    .await
            }
        }
    }

    /// The settings every application shares: authority, CA, cache file, clock.
    fn configure<K: ClientKind>(
        &self,
        builder: ApplicationBuilder<K>,
        config: &AppConfig,
    ) -> Result<ApplicationBuilder<K>, CliError> {
        let builder = match (&self.cache, &self.cache_key) {
            (Cache::File(path), Some(key)) => {
                builder.cache_store(EncryptedStore::new(FileStore::new(path), key.clone()))
            }
            (Cache::File(path), None) => builder.cache_store(FileStore::new(path)),
            (Cache::Redis(store), Some(key)) => {
                builder.partitioned_store(EncryptedStore::new(store.clone(), key.clone()))
            }
            (Cache::Redis(store), None) => builder.partitioned_store(store.clone()),
        };
        let builder = match config.authority_kind {
            AuthorityKind::Detect => builder.authority(&config.authority),
            AuthorityKind::B2c => builder.b2c_authority(&config.authority),
            AuthorityKind::Oidc => builder.oidc_authority(&config.authority),
        };
        let mut builder = builder
            .known_authorities(config.known_authorities.iter().cloned())
            .validate_authority(!config.no_validate_authority)
            .clock(self.clock.clone())
            .pii_logging(self.log_pii);
        if let Some(path) = &config.ca_cert {
            builder = builder.extra_root_certificates_pem(read_file(path, "--ca-cert")?);
        }
        Ok(builder)
    }

    async fn execute<K: ClientKind>(
        mut self,
        app: &Application<K>,
        config: &AppConfig,
        confidential: bool,
        action: Action,
        context: &mut Context,
    ) -> Result<(), CliError> {
        match action {
            Action::Login {
                username,
                scopes,
                password,
                output,
            } => {
                context.username = Some(username.clone());
                context.scopes = scopes.clone();
                let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
                let mut request =
                    app.acquire_token_by_username_password(&scope_refs, &username, password);
                if let Some(correlation_id) = self.correlation_id {
                    request = request.correlation_id(correlation_id);
                }
                let result = request.await.map_err(|e| CliError::auth(e, context))?;
                self.settings = Settings {
                    client_id: Some(config.client_id.clone()),
                    authority: Some(config.authority.clone()),
                    ca_cert: config.ca_cert.clone(),
                    username: Some(
                        result
                            .account
                            .as_ref()
                            .map_or(username.clone(), |a| a.username.clone()),
                    ),
                    confidential,
                    authority_kind: config.authority_kind,
                    known_authorities: config.known_authorities.clone(),
                    no_validate_authority: config.no_validate_authority,
                };
                self.save_settings()?;
                match output {
                    Output::Json => print_json(&ResultView::new(&result))?,
                    Output::Text => print_line(&format!(
                        "Signed in as {username}. The token for {} expires at {}; print it with \
                         `entra-auth token --scope {}`.",
                        scopes.join(" "),
                        rfc3339(unix_seconds(result.expires_on)),
                        scopes.join(" "),
                    )),
                }
                Ok(())
            }
            Action::Token {
                scopes,
                account,
                force_refresh,
                output,
            } => {
                context.scopes = scopes.clone();
                let account = self.select_account(app, account, context).await?;
                context.username = Some(account.username.clone());
                let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
                let mut request = app
                    .acquire_token_silent(&scope_refs, &account)
                    .force_refresh(force_refresh);
                if let Some(correlation_id) = self.correlation_id {
                    request = request.correlation_id(correlation_id);
                }
                let result = request.await.map_err(|e| CliError::auth(e, context))?;
                tracing::info!(source = ?result.token_source, "token acquired");
                match output {
                    Output::Json => print_json(&ResultView::new(&result))?,
                    Output::Text => print_line(result.access_token.secret()),
                }
                Ok(())
            }
            Action::Accounts { output } => {
                let accounts = app
                    .accounts()
                    .await
                    .map_err(|e| CliError::auth(e, context))?;
                match output {
                    Output::Json => {
                        let views: Vec<AccountView<'_>> =
                            accounts.iter().map(AccountView::new).collect();
                        print_json(&views)?;
                    }
                    Output::Text if accounts.is_empty() => {
                        print_notice(&format!(
                            "No account is signed in (in {}).",
                            self.cache.location()
                        ));
                    }
                    Output::Text => {
                        for account in &accounts {
                            print_line(&format!(
                                "{}\t{}",
                                account.username, account.home_account_id
                            ));
                        }
                    }
                }
                Ok(())
            }
            Action::Logout { account } => {
                let wanted = account.clone();
                let account = match self.select_account(app, account, context).await {
                    Ok(account) => account,
                    Err(CliError::NoAccount { wanted: None }) => {
                        print_notice("No account is signed in; nothing to do.");
                        return Ok(());
                    }
                    Err(CliError::NoAccount { wanted: Some(_) }) => {
                        return Err(CliError::Usage(format!(
                            "no account {} is signed in (in this cache); list them with \
                             `entra-auth accounts`.",
                            wanted
                                .filter(|_| self.log_pii)
                                .unwrap_or_else(|| "of that name".to_owned())
                        )));
                    }
                    Err(other) => return Err(other),
                };
                context.username = Some(account.username.clone());
                app.remove_account(&account)
                    .await
                    .map_err(|e| CliError::auth(e, context))?;
                if self
                    .settings
                    .username
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(&account.username))
                {
                    self.settings.username = None;
                    self.save_settings()?;
                }
                print_line(&format!("Signed out {}.", account.username));
                Ok(())
            }
        }
    }

    /// Writes the settings to their file, if there is one.
    fn save_settings(&self) -> Result<(), CliError> {
        if let Some(path) = &self.settings_path {
            self.settings.save(path)?;
        }
        Ok(())
    }

    /// `--account` (a username or home account id), else the last signed-in account, else
    /// the only one.
    async fn select_account<K: ClientKind>(
        &self,
        app: &Application<K>,
        wanted: Option<String>,
        context: &Context,
    ) -> Result<Account, CliError> {
        let accounts = app
            .accounts()
            .await
            .map_err(|e| CliError::auth(e, context))?;
        let matches = |account: &Account, name: &str| {
            account.username.eq_ignore_ascii_case(name) || account.home_account_id == name
        };
        if let Some(wanted) = wanted {
            return accounts
                .into_iter()
                .find(|a| matches(a, &wanted))
                .ok_or(CliError::NoAccount {
                    // Named only with --log-pii (empty otherwise).
                    wanted: Some(if self.log_pii { wanted } else { String::new() }),
                });
        }
        if let Some(last) = &self.settings.username
            && let Some(account) = accounts.iter().find(|a| matches(a, last))
        {
            return Ok(account.clone());
        }
        match accounts.len() {
            0 => Err(CliError::NoAccount { wanted: None }),
            1 => Ok(accounts
                .into_iter()
                .next()
                .ok_or(CliError::NoAccount { wanted: None })?),
            _ => Err(CliError::SeveralAccounts {
                usernames: if self.log_pii {
                    accounts.into_iter().map(|a| a.username.clone()).collect()
                } else {
                    Vec::new()
                },
            }),
        }
    }
}

/// The password: from standard input, an environment variable, or a prompt without echo
/// when standard input is a terminal. Never from an argument.
fn read_password(
    username: &str,
    from_stdin: bool,
    from_env: Option<&str>,
) -> Result<SecretString, CliError> {
    if from_stdin {
        return read_password_line(std::io::stdin().lock());
    }
    if let Some(name) = from_env {
        return Ok(SecretString::from(env_var(name, "--password-env")?));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "no password: standard input is not a terminal to prompt on. Pass --password-stdin \
             and pipe the password in, or --password-env NAME."
                .to_owned(),
        ));
    }
    rpassword::prompt_password(format!("Password for {username}: "))
        .map(SecretString::from)
        .map_err(|e| CliError::Usage(format!("could not prompt for the password: {e}.")))
}

/// The longest password `--password-stdin` accepts, in bytes (without the line end).
pub(crate) const MAX_PASSWORD_BYTES: usize = 64 * 1024;

/// The first line of `input` as a password, without its line end. Reads at most
/// [`MAX_PASSWORD_BYTES`] + 2 bytes, into one buffer allocated up front (so no
/// reallocation leaves a copy behind) that is zeroized when dropped. Copies outside our
/// hands: the standard library's input buffer and the kernel's pipe buffer.
fn read_password_line(input: impl BufRead) -> Result<SecretString, CliError> {
    // The password, `\r`, `\n`, and one byte more to tell an overlong line apart.
    let bound = MAX_PASSWORD_BYTES + 3;
    let mut line = Zeroizing::new(Vec::with_capacity(bound));
    input
        .take(bound as u64)
        .read_until(b'\n', &mut line)
        .map_err(|e| {
            CliError::Usage(format!(
                "could not read the password from standard input: {e}."
            ))
        })?;
    let mut end = line.len();
    if line[..end].ends_with(b"\n") {
        end -= 1;
        if line[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    if end > MAX_PASSWORD_BYTES {
        return Err(CliError::PasswordTooLong {
            limit: MAX_PASSWORD_BYTES,
        });
    }
    if end == 0 {
        return Err(CliError::Usage(
            "standard input held no password (--password-stdin reads its first line); pipe \
             the password in."
                .to_owned(),
        ));
    }
    let text = std::str::from_utf8(&line[..end]).map_err(|_| {
        CliError::Usage(
            "the password on standard input is not valid UTF-8; pipe it in as UTF-8 text."
                .to_owned(),
        )
    })?;
    // Exactly `end` bytes of capacity, so `SecretString` takes the allocation as it is.
    let mut password = String::with_capacity(end);
    password.push_str(text);
    Ok(SecretString::from(password))
}

/// The value of the environment variable `name`, given to `flag`.
fn env_var(name: &str, flag: &str) -> Result<String, CliError> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        Ok(_) => Err(CliError::Usage(format!(
            "the environment variable {name} (given to {flag}) is empty."
        ))),
        Err(std::env::VarError::NotPresent) => Err(CliError::Usage(format!(
            "the environment variable {name} (given to {flag}) is not set."
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::Usage(format!(
            "the environment variable {name} (given to {flag}) is not valid UTF-8."
        ))),
    }
}

/// The key in the environment variable `variable` (`--cache-key-env`).
fn cache_key(variable: &str) -> Result<EncryptionKey, CliError> {
    let error = |reason: &str| CliError::CacheKey {
        variable: variable.to_owned(),
        reason: reason.to_owned(),
    };
    let text = match std::env::var(variable) {
        Ok(text) => Zeroizing::new(text),
        Err(std::env::VarError::NotPresent) => return Err(error("is not set")),
        Err(std::env::VarError::NotUnicode(_)) => return Err(error("is not valid UTF-8")),
    };
    EncryptionKey::from_text(&text)
        .map_err(|e| error(&format!("holds no usable key: {}", e.reason())))
}

/// Connects to the Redis server at `url` (`--cache redis://...`), trusting only the CAs
/// in `ca_cert` for `rediss://` when given. A server that cannot be reached is a cache
/// error of the network class, naming the server without the URL's credentials.
async fn connect_redis(url: &SecretString, ca_cert: Option<&Path>) -> Result<RedisStore, CliError> {
    let mut builder = RedisStore::builder(url.expose_secret());
    if let Some(path) = ca_cert {
        builder = builder.root_certificates_pem(read_file(path, "--cache-ca-cert")?);
    }
    let store = builder.build().await.map_err(|e| {
        if let entra_auth::CacheError::Store { source, .. } = &e
            && let Some(RedisStoreError::InvalidUrl { .. }) = source.downcast_ref()
        {
            return CliError::Usage(format!(
                "{}. Write the URL given to --cache (or ENTRA_AUTH_CACHE) as \
                 redis://[user:password@]host:port[/db] or rediss://..., with any special \
                 character of the password percent-encoded.",
                crate::error::chain(&e)
            ));
        }
        if let entra_auth::CacheError::Store { source, .. } = &e
            && let Some(RedisStoreError::InvalidRootCertificates { .. }) = source.downcast_ref()
        {
            return CliError::Usage(format!(
                "{}. Give --cache-ca-cert a PEM file of CA certificates.",
                crate::error::chain(&e)
            ));
        }
        let context = Context {
            redis_cache: true,
            ..Context::default()
        };
        CliError::auth(AuthError::Cache(e), &context)
    })?;
    tracing::debug!(
        location = %store.location(),
        "connected to the Redis cache"
    );
    Ok(store)
}

/// Whether the file at `path` begins with the encrypted cache's header. A file that
/// cannot be read is not (the cache's own load reports why).
fn starts_encrypted(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok_and(|()| entra_auth::is_encrypted(&head))
}

fn read_file(path: &Path, flag: &'static str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File {
        flag,
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Prints a line on standard output; a closed pipe (`| head`) is not an error.
fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// Prints a line on standard error; a closed or broken stream is not an error (there is
/// nowhere left to report it).
pub(crate) fn print_notice(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}").and_then(|()| stderr.flush());
}

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Usage(format!("could not serialize the output: {e}.")))?;
    print_line(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn password(input: &[u8]) -> Result<String, CliError> {
        read_password_line(input).map(|p| p.expose_secret().to_owned())
    }

    #[test]
    fn the_first_line_is_the_password_without_its_line_end() {
        assert_eq!(password(b"Pa$$ w0rd\nnext").unwrap(), "Pa$$ w0rd");
        assert_eq!(password(b"Pa$$ w0rd\r\n").unwrap(), "Pa$$ w0rd");
        assert_eq!(password("é \r".as_bytes()).unwrap(), "é \r");
        assert_eq!(password(b"no line end").unwrap(), "no line end");
    }

    #[test]
    fn a_password_of_the_limit_is_read_and_one_byte_more_is_refused() {
        let at_limit = "p".repeat(MAX_PASSWORD_BYTES);
        for end in ["", "\n", "\r\n"] {
            let input = format!("{at_limit}{end}");
            assert_eq!(password(input.as_bytes()).unwrap(), at_limit, "{end:?}");
            let over = format!("p{input}");
            assert!(
                matches!(
                    password(over.as_bytes()),
                    Err(CliError::PasswordTooLong {
                        limit: MAX_PASSWORD_BYTES
                    })
                ),
                "{end:?}"
            );
        }
    }

    #[test]
    fn an_empty_or_non_utf8_line_is_a_usage_error() {
        for input in [&b""[..], b"\n", b"\r\n", b"\xff\xfe\n"] {
            assert!(
                matches!(password(input), Err(CliError::Usage(_))),
                "{input:?}"
            );
        }
    }
}
