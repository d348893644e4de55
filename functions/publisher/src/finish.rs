//! Settling a batch: deliver it unless the receiver has it already, mark its members
//! published, close it. Each step is conditional on the batch's status, so two runs on one
//! batch cannot both settle it, and an interrupted run leaves a state the next run resumes.

use domain::{BatchStatus, CollectionStatus, Command, PublishBatch};
use store::StoreError;
use time::{Duration, OffsetDateTime};

use crate::entries::{self, Undelivered};
use crate::{Publisher, RunSummary, actor, refusal};

/// A pending batch younger than this may still be taking cases from the run forming it; the
/// Lambda limit of 15 minutes bounds how long that run can live.
const FORMING_GRACE: Duration = Duration::minutes(20);

impl Publisher {
    /// Every batch a failed delivery or a dead run left open.
    pub(crate) async fn finish_open_batches(
        &self,
        now: OffsetDateTime,
        summary: &mut RunSummary,
    ) -> Result<(), StoreError> {
        for listed in self.store.table.open_batches().await? {
            // The index lags behind writes: decide on the record itself.
            let batch = self.store.table.batch(listed.id).await?;
            let forming =
                batch.status == BatchStatus::Pending && now - batch.created_at < FORMING_GRACE;
            if batch.status.is_open() && !forming {
                self.finish(batch, now, summary).await?;
            }
        }
        Ok(())
    }

    /// Settles `batch`; true when it was delivered (by this run or an earlier one).
    pub(crate) async fn finish(
        &self,
        mut batch: PublishBatch,
        now: OffsetDateTime,
        summary: &mut RunSummary,
    ) -> Result<bool, StoreError> {
        let members = entries::members(&self.store.table, &batch).await?;
        let was = batch.status;
        batch.collections = members.iter().map(|case| case.id).collect();
        batch.updated_at = Some(now);
        if members.is_empty() {
            // Only a batch whose forming run died before any case joined gets here.
            batch.status = BatchStatus::Empty;
            self.save(&batch, was).await?;
            return Ok(false);
        }
        if was != BatchStatus::Sent {
            batch.attempts += 1;
            match self.deliver(&batch, &members).await {
                Ok(reference) => {
                    batch.status = BatchStatus::Sent;
                    batch.receipt = Some(reference);
                    batch.last_error = None;
                }
                Err(Undelivered::Store(error)) => return Err(error),
                Err(undelivered) => {
                    self.record_failure(&mut batch, &undelivered);
                    if self.save(&batch, was).await? {
                        summary.batches_failed += 1;
                    }
                    return Ok(false);
                }
            }
            if !self.save(&batch, was).await? {
                return Ok(false);
            }
        }

        for case in members
            .iter()
            .filter(|case| case.status == CollectionStatus::Publishing)
        {
            let command = Command::AcknowledgePublished { batch_id: batch.id };
            match self
                .store
                .table
                .transition(case.id, command, actor(), now)
                .await
            {
                Ok(_) => summary.cases_published += 1,
                Err(error) => {
                    let refused = refusal(error)?;
                    if !refused.is_duplicate() {
                        tracing::error!(
                            alarm = "publish_ack_refused",
                            case_id = %case.id,
                            batch_id = %batch.id,
                            error = %refused,
                            "delivered case cannot be marked published"
                        );
                    }
                }
            }
        }
        batch.status = BatchStatus::Acknowledged;
        if self.save(&batch, BatchStatus::Sent).await? {
            summary.batches_delivered += 1;
            tracing::info!(
                batch_id = %batch.id,
                task_id = %batch.task_id,
                cases = batch.collections.len(),
                attempts = batch.attempts,
                "batch published"
            );
        }
        Ok(true)
    }

    async fn deliver(
        &self,
        batch: &PublishBatch,
        members: &[domain::Collection],
    ) -> Result<String, Undelivered> {
        let archive = entries::archive(&self.store, batch, members).await?;
        Ok(self.gateway.deliver(&archive).await?.reference)
    }

    fn record_failure(&self, batch: &mut PublishBatch, undelivered: &Undelivered) {
        batch.status = BatchStatus::Failed;
        batch.last_error = Some(undelivered.to_string());
        if undelivered.needs_operator() {
            tracing::error!(
                alarm = "publish_failed",
                batch_id = %batch.id,
                task_id = %batch.task_id,
                attempts = batch.attempts,
                error = %undelivered,
                "batch cannot be delivered"
            );
        } else {
            tracing::warn!(
                batch_id = %batch.id,
                task_id = %batch.task_id,
                attempts = batch.attempts,
                error = %undelivered,
                "batch not delivered; the next run retries it"
            );
        }
    }

    /// Stores `batch` if it is still `was`; false when another run changed it first, which
    /// then owns the rest.
    async fn save(&self, batch: &PublishBatch, was: BatchStatus) -> Result<bool, StoreError> {
        match self.store.table.update_batch(batch, was).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => {
                tracing::info!(batch_id = %batch.id, "batch settled by another run");
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }
}
