//! The encrypted form of a store's bytes: a small versioned header, then AES-256-GCM.
//!
//! ```text
//! offset  length  field
//!      0       4  magic, "EAEC" (entra-auth encrypted cache)
//!      4       1  format version: 1
//!      5       8  key id: the first 8 bytes of the SHA-256 of the key
//!     13      12  nonce: random, new for every write
//!     25       n  the plaintext, encrypted with AES-256-GCM
//!   25+n      16  the authentication tag
//! ```
//!
//! The associated data is the first 13 bytes (magic, version, key id) followed by what
//! the bytes belong to: `0x00` for a whole cache, `0x01` and the partition's name for a
//! partition. So the header cannot be altered, and a partition's bytes stored under
//! another partition's name (or as a whole cache) do not decrypt.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::zeroize::Zeroize;

use super::key::{EncryptionKey, KEY_ID_LEN};
use crate::partition::Partition;

/// The first bytes of everything encrypted here.
pub(crate) const MAGIC: [u8; 4] = crate::data::ENCRYPTED_MAGIC;
/// The only format version written and read.
pub(crate) const VERSION: u8 = 1;
/// Magic, version and key id: the part of the header that is associated data.
const PREFIX_LEN: usize = MAGIC.len() + 1 + KEY_ID_LEN;
/// The whole header, nonce included.
pub(crate) const HEADER_LEN: usize = PREFIX_LEN + NONCE_LEN;
/// AES-GCM's tag.
const TAG_LEN: usize = 16;
/// The shortest well-formed envelope (an empty plaintext).
pub(crate) const MIN_LEN: usize = HEADER_LEN + TAG_LEN;

/// What a ciphertext belongs to, bound into its associated data.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Binding<'a> {
    /// A [`CacheStore`](crate::CacheStore)'s whole cache.
    Whole,
    /// One partition of a [`PartitionedStore`](crate::PartitionedStore).
    Partition(&'a Partition),
}

impl Binding<'_> {
    fn associated_data(self, prefix: &[u8]) -> Vec<u8> {
        let mut aad = prefix.to_vec();
        match self {
            Binding::Whole => aad.push(0),
            Binding::Partition(partition) => {
                aad.push(1);
                aad.extend_from_slice(partition.as_str().as_bytes());
            }
        }
        aad
    }
}

/// Why sealing failed (the OS random number generator, or a plaintext too long for
/// AES-GCM); never seen in practice, reported rather than panicking.
#[derive(Debug, thiserror::Error)]
#[error("encrypting the token cache failed: {0}")]
pub(crate) struct SealError(&'static str);

/// The AEAD key. A key is 32 bytes, exactly what AES-256 takes (a test pins it), so
/// the error is never seen; it is reported rather than unwrapped all the same.
fn aead_key(key: &EncryptionKey) -> Result<LessSafeKey, &'static str> {
    UnboundKey::new(&AES_256_GCM, key.expose())
        .map(LessSafeKey::new)
        .map_err(|_| "the key is not an AES-256 key")
}

/// Encrypts `plaintext` with `key` for `binding`, under a new random nonce.
pub(crate) fn seal(
    plaintext: &[u8],
    key: &EncryptionKey,
    binding: Binding<'_>,
) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| SealError("the operating system's random number generator failed"))?;
    let mut sealed = Vec::with_capacity(MIN_LEN + plaintext.len());
    sealed.extend_from_slice(&MAGIC);
    sealed.push(VERSION);
    sealed.extend_from_slice(&key.id_bytes());
    let aad = binding.associated_data(&sealed);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(plaintext);
    let tag = aead_key(key)
        .map_err(SealError)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut sealed[HEADER_LEN..],
        )
        .map_err(|_| SealError("the cache is too large for AES-GCM"))?;
    sealed.extend_from_slice(tag.as_ref());
    Ok(sealed)
}

/// Decrypts `sealed` with whichever of `keys` has the id in its header. The error is
/// the reason, for [`CacheError::Undecryptable`](crate::CacheError::Undecryptable).
pub(crate) fn open(
    sealed: &[u8],
    keys: &[&EncryptionKey],
    binding: Binding<'_>,
) -> Result<Vec<u8>, String> {
    if !sealed.starts_with(&MAGIC) {
        return Err(not_encrypted(sealed));
    }
    let version = sealed.get(MAGIC.len()).copied();
    match version {
        Some(VERSION) => {}
        None => return Err(truncated(sealed)),
        Some(other) => {
            return Err(format!(
                "it is in encrypted format version {other}, which this version of entra-cache \
                 cannot read (it reads version {VERSION})"
            ));
        }
    }
    if sealed.len() < MIN_LEN {
        return Err(truncated(sealed));
    }
    let (prefix, rest) = sealed.split_at(PREFIX_LEN);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let id = &prefix[MAGIC.len() + 1..];
    let mut matching = keys.iter().filter(|key| key.id_bytes() == id).peekable();
    if matching.peek().is_none() {
        let given: Vec<String> = keys.iter().map(|key| key.id()).collect();
        return Err(format!(
            "it was written with the key whose id is {}, and no key given has that id \
             (given: {}): the key is wrong",
            hex(id),
            given.join(", ")
        ));
    }
    let aad = binding.associated_data(prefix);
    let mut nonce_bytes = [0u8; NONCE_LEN];
    nonce_bytes.copy_from_slice(nonce);
    for key in matching {
        let mut buffer = ciphertext.to_vec();
        let opened = aead_key(key)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad.as_slice()),
                &mut buffer,
            )
            .map(|plaintext| plaintext.len());
        match opened {
            Ok(len) => {
                buffer.truncate(len);
                return Ok(buffer);
            }
            Err(_) => buffer.zeroize(),
        }
    }
    Err(match binding {
        Binding::Whole => "authentication failed: it was altered or truncated".to_owned(),
        Binding::Partition(_) => "authentication failed: it was altered or truncated, or it \
                                  was written under another partition's name"
            .to_owned(),
    })
}

/// Whether `bytes` begin as [`EncryptedStore`](crate::EncryptedStore) writes: its magic
/// `EAEC`. A plaintext cache (JSON) never does. Only the first 4 bytes are looked at.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn truncated(sealed: &[u8]) -> String {
    format!(
        "it is truncated: {} bytes, fewer than the {MIN_LEN} of the smallest encrypted cache",
        sealed.len()
    )
}

fn not_encrypted(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "it is empty".to_owned();
    }
    if MAGIC.starts_with(bytes) {
        return truncated(bytes);
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {
            "it is plaintext JSON, not encrypted: a cache written without a key".to_owned()
        }
        _ => "it does not start with the encrypted cache header".to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::encryption::key::KEY_LEN;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([byte; KEY_LEN])
    }

    #[test]
    fn an_encryption_key_is_an_aes_256_key() {
        assert_eq!(AES_256_GCM.key_len(), KEY_LEN);
        assert_eq!(AES_256_GCM.tag_len(), TAG_LEN);
    }

    #[test]
    fn the_header_is_magic_version_key_id_and_a_new_nonce_each_time() {
        let key = key(1);
        let a = seal(b"{}", &key, Binding::Whole).unwrap();
        let b = seal(b"{}", &key, Binding::Whole).unwrap();
        assert_eq!(&a[..4], b"EAEC");
        assert_eq!(a[4], 1);
        assert_eq!(hex(&a[5..13]), key.id());
        assert_eq!(a.len(), MIN_LEN + 2);
        assert_ne!(a[13..25], b[13..25], "a nonce is never reused");
        assert_ne!(a[25..], b[25..]);
        assert_eq!(open(&a, &[&key], Binding::Whole).unwrap(), b"{}");
        assert!(is_encrypted(&a) && is_encrypted(&a[..4]));
        assert!(!is_encrypted(b"{}") && !is_encrypted(b"EAE"));
    }

    #[test]
    fn bytes_bound_to_one_partition_do_not_open_as_another_or_as_a_whole_cache() {
        let key = key(2);
        let alice = Partition::account("alice.contoso");
        let bob = Partition::account("bob.contoso");
        let sealed = seal(b"{}", &key, Binding::Partition(&alice)).unwrap();

        assert_eq!(
            open(&sealed, &[&key], Binding::Partition(&alice)).unwrap(),
            b"{}"
        );
        let moved = open(&sealed, &[&key], Binding::Partition(&bob)).unwrap_err();
        assert!(moved.contains("another partition's name"), "{moved}");
        let whole = open(&sealed, &[&key], Binding::Whole).unwrap_err();
        assert!(whole.contains("authentication failed"), "{whole}");
    }

    #[test]
    fn each_failure_names_what_was_wrong() {
        let key = key(3);
        let sealed = seal(b"{\"AccessToken\": {}}", &key, Binding::Whole).unwrap();
        let mut future = sealed.clone();
        future[4] = 2;
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        let cases: [(&[u8], &str); 7] = [
            (b"", "it is empty"),
            (b"EA", "it is truncated: 2 bytes"),
            (&sealed[..30], "it is truncated: 30 bytes"),
            (&sealed[..sealed.len() - 1], "authentication failed"),
            (b"  {\"AccessToken\": {}}", "plaintext JSON"),
            (&future, "format version 2"),
            (&altered, "authentication failed"),
        ];
        for (bytes, reason) in cases {
            let error = open(bytes, &[&key], Binding::Whole).unwrap_err();
            assert!(error.contains(reason), "{error} (expected {reason})");
        }
        let wrong = open(&sealed, &[&self::key(4)], Binding::Whole).unwrap_err();
        assert!(wrong.contains(&key.id()), "{wrong}");
        assert!(wrong.contains(&self::key(4).id()), "{wrong}");
        assert!(wrong.contains("the key is wrong"), "{wrong}");
        let garbage = open(b"\x00\x01binary", &[&key], Binding::Whole).unwrap_err();
        assert!(garbage.contains("header"), "{garbage}");
    }
}
