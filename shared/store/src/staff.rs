//! Revoked staff: a reviewer or an operator whose tokens an operator has withdrawn (a lost
//! laptop, someone who left). Checked on every staff request (the `web` crate caches the
//! answer for at most a minute); tokens carry no per-token id, so a subject is revoked whole.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys;
use crate::table::{Table, record};

const REVOKED: &str = "revoked staff";

#[derive(Serialize, Deserialize)]
struct RevokedRecord {
    /// The operator who revoked, and when (the audit of who may no longer act).
    by: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

impl Table {
    /// Withdraws every token of the staff member `subject`.
    pub async fn revoke_staff(
        &self,
        subject: &str,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let item = record(
            REVOKED,
            keys::revoked(subject),
            &RevokedRecord {
                by: by.to_owned(),
                at,
            },
        )?;
        self.put_unconditional(item).await
    }

    /// Lets `subject`'s tokens pass again.
    pub async fn restore_staff(&self, subject: &str) -> Result<(), StoreError> {
        self.delete_unconditional(keys::revoked(subject)).await
    }

    pub async fn is_revoked(&self, subject: &str) -> Result<bool, StoreError> {
        Ok(self.get(keys::revoked(subject)).await?.is_some())
    }
}
