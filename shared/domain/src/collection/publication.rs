//! Publication commands: an approved case joins a publish batch, and the batch is acknowledged
//! as published.

use super::CollectionStatus::{Approved, Published, Publishing};
use super::{Collection, TransitionError};
use crate::ids::BatchId;

impl Collection {
    pub(super) fn batch(
        &self,
        next: &mut Collection,
        batch_id: BatchId,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if matches!(self.status, Publishing | Published) && self.batch_id == Some(batch_id) {
            return Err(TransitionError::AlreadyApplied);
        }
        if self.status != Approved {
            return Err(not_allowed());
        }
        next.batch_id = Some(batch_id);
        next.status = Publishing;
        Ok(())
    }

    pub(super) fn acknowledge_published(
        &self,
        next: &mut Collection,
        batch_id: BatchId,
        at: time::OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.batch_id != Some(batch_id) {
            return Err(TransitionError::OtherBatch { given: batch_id });
        }
        match self.status {
            Publishing => {
                next.status = Published;
                next.published_at = Some(at);
            }
            Published => return Err(TransitionError::AlreadyApplied),
            _ => return Err(not_allowed()),
        }
        Ok(())
    }
}
