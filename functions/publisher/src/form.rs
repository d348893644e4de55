//! New batches from a task's approved cases. The batch record is written before any case
//! joins it, so a run that dies half way leaves a record listing every case that may have
//! joined, for the next run to finish.

use domain::{BatchStatus, Collection, CollectionTask, Command, PublishBatch, TaskId};
use store::StoreError;
use time::OffsetDateTime;

use crate::{Publisher, RunSummary, actor, refusal};

/// Cases per batch: an archive of 500 standardised photos is about 25 MB, comfortable in a
/// Lambda's memory and in one upload.
const MAX_BATCH: usize = 500;

impl Publisher {
    /// Batches the task's approved cases, oldest first, and delivers each batch; stops at the
    /// first batch not delivered, as the next would most likely fail the same way.
    pub(crate) async fn publish_task(
        &self,
        task: &CollectionTask,
        now: OffsetDateTime,
        summary: &mut RunSummary,
    ) -> Result<(), StoreError> {
        loop {
            let queue = self.store.table.publish_queue(task.id, MAX_BATCH).await?;
            if queue.is_empty() {
                return Ok(());
            }
            let more = queue.len() == MAX_BATCH;
            let Some(batch) = self.form(task.id, &queue, now, summary).await? else {
                return Ok(());
            };
            if !(self.finish(batch, now, summary).await? && more) {
                return Ok(());
            }
        }
    }

    /// A batch of those `candidates` that join it; `None` when none did (another run batched
    /// them first, or the index still listed cases batched a moment ago).
    async fn form(
        &self,
        task: TaskId,
        candidates: &[Collection],
        now: OffsetDateTime,
        summary: &mut RunSummary,
    ) -> Result<Option<PublishBatch>, StoreError> {
        let table = &self.store.table;
        let mut batch = PublishBatch::new(task, candidates.iter().map(|c| c.id).collect(), now);
        table.put_new_batch(&batch).await?;
        summary.batches_created += 1;

        let mut joined = Vec::with_capacity(candidates.len());
        for case in candidates {
            let command = Command::Batch { batch_id: batch.id };
            match table.transition(case.id, command, actor(), now).await {
                Ok(_) => joined.push(case.id),
                // Only an approved case joins: this one is in another batch or was changed.
                Err(error) => {
                    let refused = refusal(error)?;
                    tracing::info!(case_id = %case.id, batch_id = %batch.id, reason = %refused, "case not batched");
                }
            }
        }
        batch.collections = joined;
        batch.updated_at = Some(now);
        if batch.collections.is_empty() {
            batch.status = BatchStatus::Empty;
        }
        table.update_batch(&batch, BatchStatus::Pending).await?;
        tracing::info!(
            batch_id = %batch.id,
            task_id = %task,
            cases = batch.collections.len(),
            "batch formed"
        );
        Ok((batch.status == BatchStatus::Pending).then_some(batch))
    }
}
