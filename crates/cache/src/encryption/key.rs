//! [`EncryptionKey`]: a 256-bit key, zeroized on drop, never shown.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::SecretString;
use secrecy::zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The length of a key, in bytes (256 bits).
pub const KEY_LEN: usize = 32;

/// The length of a key id, in bytes.
pub(crate) const KEY_ID_LEN: usize = 8;

/// Base64 as either alphabet writes it, padded or not.
const BASE64_PADDING_OPTIONAL: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, BASE64_PADDING_OPTIONAL);
const URL_SAFE: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, BASE64_PADDING_OPTIONAL);

/// A 256-bit key for [`EncryptedStore`](crate::EncryptedStore).
///
/// Its bytes are zeroized when it is dropped and never appear in its `Debug`, which shows
/// only its [`id`](EncryptionKey::id) (the first bytes of a SHA-256 of the key, which is
/// also written in the header of everything encrypted with it).
///
/// ```
/// use entra_cache::EncryptionKey;
///
/// // 32 random bytes, as `openssl rand -base64 32` or `openssl rand -hex 32` print them.
/// let key = EncryptionKey::from_text("q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJEjQ=")?;
/// assert_eq!(format!("{key:?}"), format!("EncryptionKey {{ id: {:?} }}", key.id()));
/// # Ok::<(), entra_cache::KeyError>(())
/// ```
#[derive(Clone)]
pub struct EncryptionKey {
    bytes: Box<[u8; KEY_LEN]>,
}

impl EncryptionKey {
    /// The key made of these 32 bytes. The caller should zeroize its own copy.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> EncryptionKey {
        let mut bytes = Zeroizing::new(bytes);
        EncryptionKey {
            bytes: Box::new(std::mem::take(&mut *bytes)),
        }
    }

    /// The key written as text: 64 hexadecimal digits, or base64 (the standard or the
    /// URL-safe alphabet, padded or not) of 32 bytes. Leading and trailing whitespace (a
    /// newline from a file or a shell) is ignored. The error never quotes the text.
    pub fn from_text(text: &str) -> Result<EncryptionKey, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::new("it is empty"));
        }
        // 32 bytes are 64 hex digits, and 43 or 44 base64 characters: the length decides.
        if text.len() == 2 * KEY_LEN {
            return from_hex(text);
        }
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .map(Zeroizing::new)
            .map_err(|_| {
                KeyError::new(
                    "it is neither 64 hexadecimal digits nor base64 (standard or URL-safe)",
                )
            })?;
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| {
            KeyError::new(format!(
                "it is base64 of {} bytes; a key is {KEY_LEN} bytes",
                decoded.len()
            ))
        })?;
        Ok(EncryptionKey::from_bytes(bytes))
    }

    /// A new random key from the operating system's random number generator.
    pub fn generate() -> Result<EncryptionKey, KeyError> {
        let mut bytes = Box::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(&mut bytes[..])
            .map_err(|_| KeyError::new("the operating system's random number generator failed"))?;
        Ok(EncryptionKey { bytes })
    }

    /// The key as standard base64 (44 characters), to keep it somewhere safe;
    /// [`from_text`](EncryptionKey::from_text) reads it back.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(base64::engine::general_purpose::STANDARD.encode(&self.bytes[..]))
    }

    /// The key's id as 16 hexadecimal digits: the first 8 bytes of the SHA-256 of the
    /// key, as written in the header of what it encrypts. It tells keys apart in logs and
    /// errors without revealing them.
    pub fn id(&self) -> String {
        self.id_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn id_bytes(&self) -> [u8; KEY_ID_LEN] {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.bytes[..]);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest.as_ref()[..KEY_ID_LEN]);
        id
    }

    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

fn from_hex(text: &str) -> Result<EncryptionKey, KeyError> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        let (Some(high), Some(low)) = (digit(pair[0]), digit(pair[1])) else {
            return Err(KeyError::new(
                "it is 64 characters long but not all hexadecimal digits",
            ));
        };
        // Both digits are below 16.
        *byte = (high * 16 + low) as u8;
    }
    Ok(EncryptionKey::from_bytes(*bytes))
}

impl Drop for EncryptionKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for EncryptionKey {}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id())
            .finish()
    }
}

impl std::str::FromStr for EncryptionKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<EncryptionKey, KeyError> {
        EncryptionKey::from_text(text)
    }
}

/// A key could not be read or made. The text says why, and never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable 256-bit encryption key: {reason}")]
pub struct KeyError {
    reason: String,
}

impl KeyError {
    pub(crate) fn new(reason: impl Into<String>) -> KeyError {
        KeyError {
            reason: reason.into(),
        }
    }

    /// What was wrong (`it is empty`, `it is base64 of 16 bytes; a key is 32 bytes`, ...).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;

    const BYTES: [u8; KEY_LEN] = [
        0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89,
        0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89,
        0xfb, 0xff,
    ];

    #[test]
    fn hex_and_both_base64_alphabets_padded_or_not_read_the_same_key() {
        let expected = EncryptionKey::from_bytes(BYTES);
        let hex: String = BYTES.iter().map(|b| format!("{b:02X}")).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(BYTES);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(BYTES);
        assert!(
            standard.contains('/') && standard.ends_with('='),
            "{standard}"
        );
        assert!(url_safe.contains('_'), "{url_safe}");
        for text in [
            hex.clone(),
            hex.to_lowercase(),
            standard.clone(),
            standard.trim_end_matches('=').to_owned(),
            url_safe.clone(),
            format!("{url_safe}="),
            format!("  {standard}\n"),
        ] {
            assert_eq!(
                EncryptionKey::from_text(&text).unwrap().expose(),
                &BYTES,
                "{text}"
            );
        }
        assert_eq!(
            EncryptionKey::from_text(expected.to_base64().expose_secret())
                .unwrap()
                .expose(),
            &BYTES
        );
    }

    #[test]
    fn malformed_keys_say_what_is_wrong_without_quoting_them() {
        let short = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        let cases = [
            ("", "it is empty"),
            (" \n", "it is empty"),
            (
                short.as_str(),
                "it is base64 of 16 bytes; a key is 32 bytes",
            ),
            (
                "not a key at all!",
                "neither 64 hexadecimal digits nor base64",
            ),
            (
                "zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "not all hexadecimal digits",
            ),
            ("é", "neither 64 hexadecimal digits nor base64"),
        ];
        for (text, reason) in cases {
            let error = EncryptionKey::from_text(text).unwrap_err();
            assert!(error.reason().contains(reason), "{text:?}: {error}");
            if !text.trim().is_empty() {
                assert!(!error.to_string().contains(text.trim()), "{error}");
            }
        }
        // A multi-byte character where a hex digit pair starts is refused, not split.
        let sixty_four = format!("{}é", "a".repeat(62));
        assert_eq!(sixty_four.len(), 64);
        assert!(EncryptionKey::from_text(&sixty_four).is_err());
    }

    #[test]
    fn debug_shows_the_id_and_never_the_key() {
        let key = EncryptionKey::from_bytes(BYTES);
        let debug = format!("{key:?}");
        let hex: String = BYTES.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(debug, format!("EncryptionKey {{ id: \"{}\" }}", key.id()));
        assert!(!debug.contains(&hex[..8]), "{debug}");
        assert!(!debug.contains(key.to_base64().expose_secret()), "{debug}");
        // The id is the first 8 bytes of the key's SHA-256, in hex.
        let digest = ring::digest::digest(&ring::digest::SHA256, &BYTES);
        let expected: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(key.id(), expected);
    }

    #[test]
    fn generated_keys_differ() {
        let (a, b) = (
            EncryptionKey::generate().unwrap(),
            EncryptionKey::generate().unwrap(),
        );
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.id(), b.id());
    }
}
