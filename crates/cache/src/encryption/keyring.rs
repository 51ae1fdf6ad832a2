//! [`EncryptionKey::from_keyring`]: the key kept in the desktop keyring (Linux's Secret
//! Service), created there on first use.

use secrecy::ExposeSecret as _;

use super::key::{EncryptionKey, KeyError};

impl EncryptionKey {
    /// The key stored in the desktop keyring (the Secret Service: GNOME Keyring,
    /// KWallet, ...) under `service` and `user`; on first use, a new random key is
    /// generated and stored there. Linux only (feature `keyring`).
    ///
    /// The keyring must be reachable and unlocked (a desktop session); a headless
    /// service should take its key from its secret manager instead
    /// ([`EncryptionKey::from_text`]). An entry that holds no usable key is reported,
    /// never replaced: a cache encrypted with it would be lost. The first use is not
    /// atomic across processes (the Secret Service has no compare-and-set): create the
    /// key once before starting several processes that use it.
    pub fn from_keyring(service: &str, user: &str) -> Result<EncryptionKey, KeyError> {
        let entry = keyring::Entry::new(service, user).map_err(|e| unreachable(&e))?;
        match stored(&entry, service, user)? {
            Some(key) => Ok(key),
            None => {
                let key = EncryptionKey::generate()?;
                entry
                    .set_password(key.to_base64().expose_secret())
                    .map_err(|e| unreachable(&e))?;
                // Another process that stored its key in between wins: read back what
                // the keyring holds now, so that both use the same key.
                stored(&entry, service, user)?.ok_or_else(|| {
                    KeyError::new(format!(
                        "the keyring's entry for service {service:?} and user {user:?} was \
                         gone right after it was stored"
                    ))
                })
            }
        }
    }
}

/// The key in `entry`, `None` when there is none.
fn stored(
    entry: &keyring::Entry,
    service: &str,
    user: &str,
) -> Result<Option<EncryptionKey>, KeyError> {
    match entry.get_password() {
        Ok(text) => {
            let text = secrecy::zeroize::Zeroizing::new(text);
            EncryptionKey::from_text(&text).map(Some).map_err(|e| {
                KeyError::new(format!(
                    "the keyring's entry for service {service:?} and user {user:?} holds no \
                     usable key ({}); it was left as it is",
                    e.reason()
                ))
            })
        }
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(keyring::Error::BadEncoding(_)) => Err(KeyError::new(format!(
            "the keyring's entry for service {service:?} and user {user:?} is not text; it \
             was left as it is"
        ))),
        Err(e) => Err(unreachable(&e)),
    }
}

/// The keyring could not be used (no Secret Service, locked, refused, ...).
fn unreachable(error: &keyring::Error) -> KeyError {
    // keyring's Display names the failure and never the stored secret.
    KeyError::new(format!("the desktop keyring could not be used: {error}"))
}

#[cfg(test)]
mod tests {
    //! Against a real Secret Service: the test starts a private D-Bus session
    //! (`dbus-run-session`) with GNOME Keyring in it (`gnome-keyring-daemon`, Debian's
    //! `gnome-keyring` package) and runs the checks in a child process inside it, so the
    //! user's own keyring is never touched. Without those two programs it fails, naming
    //! them.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use super::*;

    const CHILD: &str = "ENTRA_CACHE_KEYRING_TEST_CHILD";
    const SERVICE: &str = "entra-cache-test";

    #[test]
    fn a_key_is_created_in_the_keyring_on_first_use_and_read_back_afterwards() {
        let home = tempfile::tempdir().unwrap();
        let runtime = home.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let output = Command::new("dbus-run-session")
            .arg("--")
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "encryption::keyring::tests::in_a_private_session",
            ])
            .args(["--ignored", "--nocapture", "--test-threads", "1"])
            .env(CHILD, "1")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "dbus-run-session could not be started ({e}): install the dbus and \
                     gnome-keyring packages to test the keyring feature"
                )
            });
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "the test in a private session failed:\n{stdout}\n{stderr}"
        );
    }

    /// Run by the test above inside its private session; ignored otherwise.
    #[test]
    #[ignore = "run inside a private D-Bus session by a_key_is_created_in_the_keyring_on_first_use_and_read_back_afterwards"]
    fn in_a_private_session() {
        assert_eq!(
            std::env::var(CHILD).as_deref(),
            Ok("1"),
            "only in a private session: it writes to the session's keyring"
        );
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (Debian's gnome-keyring package) starts");
        // The new login keyring's password, then end of input.
        daemon
            .stdin
            .take()
            .unwrap()
            .write_all(b"test-keyring-password")
            .unwrap();
        assert!(
            daemon.wait().unwrap().success(),
            "the keyring daemon started"
        );

        let first = EncryptionKey::from_keyring(SERVICE, "alice").unwrap();
        let again = EncryptionKey::from_keyring(SERVICE, "alice").unwrap();
        let other = EncryptionKey::from_keyring(SERVICE, "bob").unwrap();
        assert_eq!(first.expose(), again.expose(), "read back, not made again");
        assert_ne!(first.expose(), other.expose(), "one key per user");

        // An entry that is not a key is reported and left as it is.
        let entry = keyring::Entry::new(SERVICE, "carol").unwrap();
        entry.set_password("not a key").unwrap();
        let error = EncryptionKey::from_keyring(SERVICE, "carol").unwrap_err();
        assert!(error.reason().contains("holds no usable key"), "{error}");
        assert!(!error.to_string().contains("not a key"), "{error}");
        assert_eq!(entry.get_password().unwrap(), "not a key");
    }
}
