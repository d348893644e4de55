//! The notifications WeChat posts to `notify_url` (支付通知, 退款通知): a JSON envelope around
//! an AES-GCM encrypted resource. Check the signature ([`super::PlatformKeys::verify`]) over
//! the raw body before opening it.

use serde::{Deserialize, Serialize};

use super::apiv3::ApiV3Key;
use super::refund::Refund;
use super::transaction::Transaction;

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Wrong APIv3 key, or a resource altered in transit.
    #[error("the resource does not decrypt with the APIv3 key")]
    Decrypt,
    #[error("unsupported resource algorithm {0}")]
    UnsupportedAlgorithm(String),
}

/// The envelope: `{id, create_time, event_type, resource_type, summary, resource}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// WeChat's notification id: the same on every redelivery of one event.
    pub id: String,
    #[serde(default)]
    pub create_time: String,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`, …
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: EncryptedResource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedResource {
    /// Always `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// base64(data‖16-byte tag).
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    #[serde(default)]
    pub original_type: String,
    /// 12 characters, used as the GCM nonce as they are.
    pub nonce: String,
}

/// What a notification says, decrypted and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `TRANSACTION.*`: the order's state, as the query-order API would give it.
    Transaction(Transaction),
    /// `REFUND.*`: a refund reached a final state.
    Refund(Refund),
    /// An event the service does not act on (it still decrypted with our key).
    Other { event_type: String },
}

impl Notification {
    pub fn parse(body: &[u8]) -> Result<Self, NotificationError> {
        serde_json::from_slice(body)
            .map_err(|e| NotificationError::Malformed(crate::json::problem(&e)))
    }

    pub fn open(&self, key: &ApiV3Key) -> Result<Event, NotificationError> {
        let plaintext = key.decrypt(&self.resource)?;
        let malformed = |e: serde_json::Error| {
            NotificationError::Malformed(format!(
                "{} resource: {}",
                self.event_type,
                crate::json::problem(&e)
            ))
        };
        let kind = self.event_type.split_once('.').map(|(kind, _)| kind);
        Ok(match kind {
            Some("TRANSACTION") => {
                Event::Transaction(serde_json::from_slice(&plaintext).map_err(malformed)?)
            }
            Some("REFUND") => Event::Refund(serde_json::from_slice(&plaintext).map_err(malformed)?),
            _ => Event::Other {
                event_type: self.event_type.clone(),
            },
        })
    }
}
