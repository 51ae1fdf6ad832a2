//! Where the cache lives, and the settings remembered from the last sign-in (client id,
//! authority, CA path, username: never a secret) in a small JSON file beside it.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The cache file inside the platform's cache directory.
const CACHE_SUBPATH: [&str; 2] = ["entra-auth", "token_cache.json"];

/// The default cache file: `$XDG_CACHE_HOME/entra-auth/token_cache.json`, else
/// `~/.cache/...` (Linux and other Unix), `~/Library/Caches/...` (macOS) or
/// `%LOCALAPPDATA%\...` (Windows). `None` when no home directory is known.
pub fn default_cache_path() -> Option<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|home| home.join("Library").join("Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|home| home.join(".cache")))
    }?;
    Some(
        CACHE_SUBPATH
            .iter()
            .fold(base, |path, part| path.join(part)),
    )
}

/// The settings file for the cache at `cache`: `token_cache.json` gives
/// `token_cache.settings.json` in the same directory.
pub fn settings_path(cache: &Path) -> PathBuf {
    let stem = cache
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "token_cache".to_owned());
    cache.with_file_name(format!("{stem}.settings.json"))
}

/// The settings file could not be read, parsed or written.
#[derive(Debug)]
pub struct SettingsError {
    /// What was being done (`reading the settings file`).
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// What `login` remembers for later commands. Flags override each field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The application (client) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The authority URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// An extra CA certificate file (absolute path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// The last signed-in username: the default account of `token` and `logout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whether the application signed in as a confidential client (its credential is
    /// never stored: later commands must pass it again).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
    /// How the authority URL is read (`--authority-kind`).
    #[serde(default, skip_serializing_if = "AuthorityKind::is_detect")]
    pub authority_kind: AuthorityKind,
    /// Hosts trusted as authorities without instance discovery (`--known-authority`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_authorities: Vec<String>,
    /// Whether authority validation was turned off (`--no-validate-authority`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_validate_authority: bool,
}

/// How `--authority` is read: its kind detected from the URL, or declared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AuthorityKind {
    /// Detected from the URL: Entra ID on any Microsoft cloud, `*.b2clogin.com`,
    /// `*.ciamlogin.com`, `https://{host}/adfs`
    #[default]
    Detect,
    /// Azure AD B2C on a custom domain: `https://{host}/{tenant}/{policy}`
    B2c,
    /// Any other OpenID Connect issuer, trusted as declared
    Oidc,
}

impl AuthorityKind {
    /// Whether the kind is detected from the URL (the default, not written to the file).
    pub fn is_detect(&self) -> bool {
        matches!(self, AuthorityKind::Detect)
    }
}

impl Settings {
    /// Reads the settings at `path`; defaults when the file does not exist.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SettingsError {
                action: "reading the settings file",
                path: path.to_owned(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(SettingsError {
                action: "reading the settings file",
                path: path.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// Writes the settings to `path` atomically: a temporary file with an unpredictable
    /// name, created exclusively beside it (owner read/write only on Unix), flushed and
    /// renamed over it. Missing directories are created owner-only.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let failed = |e: std::io::Error| SettingsError {
            action: "writing the settings file",
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => {
                create_private_dir(dir).map_err(failed)?;
                dir
            }
            None => Path::new("."),
        };
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| failed(e.into()))?;
        bytes.push(b'\n');
        // tempfile creates the file with O_EXCL under a random name (mode 0600 on Unix), so
        // nothing planted beforehand is followed; it is removed again if anything fails.
        let mut temp = tempfile::Builder::new()
            .prefix(".settings.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(failed)?;
        temp.write_all(&bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(failed)?;
        temp.persist(path).map_err(|e| failed(e.error))?;
        Ok(())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_file_sits_beside_the_cache() {
        assert_eq!(
            settings_path(Path::new("/c/entra-auth/token_cache.json")),
            Path::new("/c/entra-auth/token_cache.settings.json")
        );
        assert_eq!(
            settings_path(Path::new("mine")),
            Path::new("mine.settings.json")
        );
    }

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("s.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let settings = Settings {
            client_id: Some("id".into()),
            authority: Some("https://localhost:1/organizations".into()),
            ca_cert: None,
            username: Some("alice@contoso.com".into()),
            confidential: true,
            authority_kind: AuthorityKind::B2c,
            known_authorities: vec!["login.contoso.com".into()],
            no_validate_authority: true,
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), settings);
        let written: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(written["authority_kind"], "b2c");
        // Defaults are left out of the file, so older settings files read the same.
        Settings::default().save(&path).unwrap();
        let written: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(written, serde_json::json!({}));
    }

    #[cfg(unix)]
    #[test]
    fn the_settings_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        Settings::default().save(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_old_temporary_path_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        // The name the settings file used to be written through: `<path>.<pid>.tmp`.
        let planted = dir
            .path()
            .join(format!("s.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();

        let settings = Settings {
            username: Some("alice@contoso.com".into()),
            ..Settings::default()
        };
        settings.save(&path).unwrap();

        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
        assert_eq!(Settings::load(&path).unwrap(), settings);
    }

    #[test]
    fn a_corrupt_settings_file_is_a_local_state_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(Settings::load(&path), Err(SettingsError { .. })));
    }
}
