//! The APIv3 key (APIv3密钥): AES-GCM over notification resources.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::config_error::ConfigError;
use super::notification::{EncryptedResource, NotificationError};

/// The only algorithm WeChat names in resources, whatever the key length.
const ALGORITHM: &str = "AEAD_AES_256_GCM";
const NONCE_LEN: usize = 12;

/// Real APIv3 keys are 32 bytes (AES-256-GCM); a 16-byte key selects AES-128-GCM, as
/// WeChat's Go SDK does by key length (its own test vector uses one).
pub struct ApiV3Key(Cipher);

enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
}

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bits = match self.0 {
            Cipher::Aes128(_) => 128,
            Cipher::Aes256(_) => 256,
        };
        write!(f, "ApiV3Key(AES-{bits}-GCM)")
    }
}

impl ApiV3Key {
    pub fn new(bytes: &[u8]) -> Result<Self, ConfigError> {
        let cipher = match bytes.len() {
            16 => Cipher::Aes128(Box::new(
                Aes128Gcm::new_from_slice(bytes).expect("16 bytes"),
            )),
            32 => Cipher::Aes256(Box::new(
                Aes256Gcm::new_from_slice(bytes).expect("32 bytes"),
            )),
            length => return Err(ConfigError::ApiV3KeyLength(length)),
        };
        Ok(Self(cipher))
    }

    /// The plaintext of `resource`; `Decrypt` if it was not encrypted with this key or was
    /// altered (the GCM tag does not match).
    pub fn decrypt(&self, resource: &EncryptedResource) -> Result<Vec<u8>, NotificationError> {
        if resource.algorithm != ALGORITHM {
            return Err(NotificationError::UnsupportedAlgorithm(
                resource.algorithm.clone(),
            ));
        }
        if resource.nonce.len() != NONCE_LEN {
            return Err(NotificationError::Malformed(
                "the resource nonce is not 12 bytes".into(),
            ));
        }
        let ciphertext = BASE64
            .decode(&resource.ciphertext)
            .map_err(|_| NotificationError::Malformed("the ciphertext is not base64".into()))?;
        let nonce = Nonce::from_slice(resource.nonce.as_bytes());
        let payload = Payload {
            msg: &ciphertext,
            aad: resource.associated_data.as_bytes(),
        };
        match &self.0 {
            Cipher::Aes128(cipher) => cipher.decrypt(nonce, payload),
            Cipher::Aes256(cipher) => cipher.decrypt(nonce, payload),
        }
        .map_err(|_| NotificationError::Decrypt)
    }

    /// Encrypts as WeChat does (ciphertext = base64(data‖tag)), for the local peer and tests.
    /// `original_type` is left empty for the caller to name.
    ///
    /// # Panics
    /// If `nonce` is not 12 bytes.
    pub fn encrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        plaintext: &[u8],
    ) -> EncryptedResource {
        assert_eq!(nonce.len(), NONCE_LEN, "an APIv3 nonce is 12 bytes");
        let payload = Payload {
            msg: plaintext,
            aad: associated_data.as_bytes(),
        };
        let nonce_bytes = Nonce::from_slice(nonce.as_bytes());
        let sealed = match &self.0 {
            Cipher::Aes128(cipher) => cipher.encrypt(nonce_bytes, payload),
            Cipher::Aes256(cipher) => cipher.encrypt(nonce_bytes, payload),
        }
        .expect("AES-GCM encrypts any plaintext a notification holds");
        EncryptedResource {
            algorithm: ALGORITHM.to_owned(),
            ciphertext: BASE64.encode(sealed),
            associated_data: associated_data.to_owned(),
            original_type: String::new(),
            nonce: nonce.to_owned(),
        }
    }
}
