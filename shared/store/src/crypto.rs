//! Personal data at rest (PIPL): names and ID numbers are sealed with AES-256-GCM and found
//! through an HMAC-SHA256 blind index, so a table dump or a stray log line reveals neither.
//!
//! One 32-byte master key comes from configuration (the environment locally, an SSM
//! SecureString in the cloud). Working keys are derived from it, one per purpose: identity
//! and other personal data, biometric data (face descriptors), and the blind index. The index
//! key can never decrypt, and a descriptor and an ID number are never under the same key.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Version byte in front of every sealed value, so keys or algorithms can be rotated later:
/// 1 is the personal-data key, 2 the biometric key.
const SEALED_V1: u8 = 1;
const SEALED_BIOMETRIC_V2: u8 = 2;
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the personal-data key must be 32 bytes of standard base64")]
    BadKey,
    #[error("a sealed value could not be opened (wrong key, wrong record, or tampered)")]
    Unseal,
}

/// The keys that protect personal data. `Debug` never prints them.
#[derive(Clone)]
pub struct PiiKeys {
    cipher: Aes256Gcm,
    biometric: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for PiiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKeys(..)")
    }
}

impl PiiKeys {
    /// Derives the working keys from a base64-encoded 32-byte master key.
    pub fn from_base64(master: &str) -> Result<Self, CryptoError> {
        let master = BASE64
            .decode(master.trim())
            .map_err(|_| CryptoError::BadKey)?;
        let master: [u8; 32] = master.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self::from_master(&master))
    }

    pub fn from_master(master: &[u8; 32]) -> Self {
        let cipher_key = derive(master, b"graduate-photo/pii/aes-256-gcm/v1");
        let biometric_key = derive(master, b"graduate-photo/pii/biometric/aes-256-gcm/v2");
        let index_key = derive(master, b"graduate-photo/pii/blind-index/v1");
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&cipher_key)),
            biometric: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&biometric_key)),
            index_key,
        }
    }

    /// Encrypts `plaintext`. `context` names the record and field the value belongs to and is
    /// authenticated, so a sealed value copied onto another record does not open there.
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        seal(&self.cipher, SEALED_V1, context, plaintext)
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        open(&self.cipher, SEALED_V1, context, sealed)
    }

    /// As [`PiiKeys::seal`], under the biometric key: for face descriptors only.
    pub fn seal_biometric(&self, context: &str, plaintext: &str) -> String {
        seal(&self.biometric, SEALED_BIOMETRIC_V2, context, plaintext)
    }

    /// Opens a descriptor sealed by [`PiiKeys::seal_biometric`], or one sealed before the
    /// biometric key existed (version 1, under the personal-data key) until it is purged.
    pub fn open_biometric(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        open(&self.biometric, SEALED_BIOMETRIC_V2, context, sealed)
            .or_else(|_| open(&self.cipher, SEALED_V1, context, sealed))
    }

    /// A deterministic, keyed digest of `value` for equality look-ups. `kind` separates the
    /// index spaces (an ID number and a name that happen to be equal strings differ).
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC accepts any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

fn seal(cipher: &Aes256Gcm, version: u8, context: &str, plaintext: &str) -> String {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let payload = Payload {
        msg: plaintext.as_bytes(),
        aad: context.as_bytes(),
    };
    let ciphertext = cipher
        .encrypt(&nonce, payload)
        .expect("AES-GCM encryption of a small value cannot fail");
    let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    sealed.push(version);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    BASE64.encode(sealed)
}

/// Opens a value sealed under `cipher` with `version`; any other version is not this key's.
fn open(
    cipher: &Aes256Gcm,
    version: u8,
    context: &str,
    sealed: &str,
) -> Result<String, CryptoError> {
    let sealed = BASE64.decode(sealed).map_err(|_| CryptoError::Unseal)?;
    let Some((&found, rest)) = sealed.split_first() else {
        return Err(CryptoError::Unseal);
    };
    if found != version || rest.len() < NONCE_LEN {
        return Err(CryptoError::Unseal);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let payload = Payload {
        msg: ciphertext,
        aad: context.as_bytes(),
    };
    let plaintext = cipher
        .decrypt(Nonce::from_slice(nonce), payload)
        .map_err(|_| CryptoError::Unseal)?;
    String::from_utf8(plaintext).map_err(|_| CryptoError::Unseal)
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC accepts any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> PiiKeys {
        PiiKeys::from_master(&[byte; 32])
    }

    #[test]
    fn sealed_value_opens_with_the_same_key_and_context() {
        let keys = keys(7);
        let sealed = keys.seal("enrollment/T/1/name", "张三");
        assert!(!sealed.contains("张三"));
        assert_eq!(keys.open("enrollment/T/1/name", &sealed).unwrap(), "张三");
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let keys = keys(7);
        assert_ne!(keys.seal("c", "张三"), keys.seal("c", "张三"));
    }

    #[test]
    fn sealed_value_moved_to_another_record_does_not_open() {
        let keys = keys(7);
        let sealed = keys.seal("enrollment/T/1/name", "张三");
        assert_eq!(
            keys.open("enrollment/T/2/name", &sealed),
            Err(CryptoError::Unseal)
        );
    }

    #[test]
    fn wrong_key_or_tampering_is_refused() {
        let sealed = keys(7).seal("c", "440106199001011234");
        assert_eq!(keys(8).open("c", &sealed), Err(CryptoError::Unseal));
        let mut bytes = BASE64.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            keys(7).open("c", &BASE64.encode(bytes)),
            Err(CryptoError::Unseal)
        );
        assert_eq!(keys(7).open("c", "not base64!"), Err(CryptoError::Unseal));
        assert_eq!(keys(7).open("c", ""), Err(CryptoError::Unseal));
    }

    #[test]
    fn biometric_data_is_under_a_key_of_its_own() {
        let keys = keys(7);
        let descriptor = keys.seal_biometric("face/A", "[0.1,0.2]");
        assert_eq!(
            keys.open_biometric("face/A", &descriptor).unwrap(),
            "[0.1,0.2]"
        );
        // The identity key does not open a descriptor, nor the biometric key an ID number.
        assert_eq!(keys.open("face/A", &descriptor), Err(CryptoError::Unseal));
        let id_number = keys.seal("student/o/id_number", "440106199001011234");
        assert_eq!(
            open(
                &keys.biometric,
                SEALED_BIOMETRIC_V2,
                "student/o/id_number",
                &id_number
            ),
            Err(CryptoError::Unseal)
        );
        // A descriptor sealed before the biometric key existed still opens, until purged.
        let legacy = keys.seal("face/B", "[0.3]");
        assert_eq!(keys.open_biometric("face/B", &legacy).unwrap(), "[0.3]");
    }

    #[test]
    fn blind_index_is_deterministic_keyed_and_separated_by_kind() {
        let a = keys(1);
        assert_eq!(a.blind_index("id", "X"), a.blind_index("id", "X"));
        assert_ne!(a.blind_index("id", "X"), keys(2).blind_index("id", "X"));
        assert_ne!(a.blind_index("id", "X"), a.blind_index("name", "X"));
        assert_eq!(a.blind_index("id", "X").len(), 64);
    }

    #[test]
    fn master_key_must_be_32_bytes_of_base64() {
        assert!(PiiKeys::from_base64(&BASE64.encode([0u8; 32])).is_ok());
        assert_eq!(
            PiiKeys::from_base64(&BASE64.encode([0u8; 16])).unwrap_err(),
            CryptoError::BadKey
        );
        assert_eq!(
            PiiKeys::from_base64("***").unwrap_err(),
            CryptoError::BadKey
        );
    }
}
