//! One notification from WeChat Pay, as the webhook receives it: authenticated first (signature,
//! freshness, replay), then decrypted and applied.

use time::OffsetDateTime;
use wechat::pay::{Event, Notification, Signed, VerifyError};

use crate::apply::Applied;
use crate::{NONCE_TTL, PaymentError, Payments};

/// What an authentic notification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Applied(Applied),
    /// An event type this service does not act on.
    Ignored {
        event_type: String,
    },
}

/// Why a notification was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    /// Not provably from WeChat Pay: missing headers, an unknown key, a stale timestamp or a
    /// wrong signature (WeChat sends deliberate probes of the last kind).
    #[error("not verified: {0}")]
    Unverified(#[from] VerifyError),
    /// Verified before: a replay within the nonce's lifetime.
    #[error("nonce already seen")]
    Replayed,
    /// Signed, but not a notification we can read.
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Authentic, but it could not be applied now; WeChat Pay should deliver it again.
    #[error(transparent)]
    Failed(#[from] PaymentError),
}

impl Payments {
    /// Verifies and applies the notification `body` with its headers (`header` looks one up
    /// by name, case-insensitively).
    pub async fn receive<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        body: &'a [u8],
        now: OffsetDateTime,
    ) -> Result<Received, Rejected> {
        let signed = Signed::from_headers(header, body)?;
        self.client.config().platform.verify(&signed, now)?;
        // Only verified nonces are remembered: an attacker cannot use up a nonce.
        let fresh = self
            .table
            .remember_nonce("wechatpay", signed.nonce, NONCE_TTL, now)
            .await
            .map_err(PaymentError::from)?;
        if !fresh {
            return Err(Rejected::Replayed);
        }
        let notification =
            Notification::parse(body).map_err(|e| Rejected::Malformed(e.to_string()))?;
        let event = notification
            .open(&self.client.config().apiv3_key)
            .map_err(|e| Rejected::Malformed(e.to_string()))?;
        let applied = match event {
            Event::Transaction(transaction) => self.apply_transaction(&transaction, now).await?,
            Event::Refund(refund) => self.apply_refund(&refund, now).await?,
            Event::Other { event_type } => {
                tracing::info!(%event_type, id = %notification.id, "notification ignored");
                return Ok(Received::Ignored { event_type });
            }
        };
        tracing::info!(
            event_type = %notification.event_type,
            id = %notification.id,
            outcome = ?applied,
            "notification applied"
        );
        Ok(Received::Applied(applied))
    }
}
