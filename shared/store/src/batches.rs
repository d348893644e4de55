//! Publish batches (DESIGN §7): one record per batch, in the sparse `gsi1` partition
//! `BATCHES#OPEN` until it is closed, so the publisher finds every batch a crash or a failed
//! delivery left behind. Every write is conditional on the status it was decided on, so two
//! publisher runs cannot both create or settle one batch.

use domain::{BatchId, BatchStatus, PublishBatch};

use crate::StoreError;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{ABSENT, Item, Query, Table, from_record, record, s};

const BATCH: &str = "publish_batch";

/// Far more than a schedule's worth of batches ever stays open.
const OPEN_BATCHES_LIMIT: usize = 1000;

impl Table {
    fn batch_item(&self, batch: &PublishBatch) -> Result<Item, StoreError> {
        let mut item = record(BATCH, keys::batch(batch.id), batch)?;
        if batch.status.is_open() {
            item.insert(GSI1_PK.into(), s(keys::OPEN_BATCHES));
            // Batch ids are ULIDs: oldest first by themselves.
            item.insert(GSI1_SK.into(), s(batch.id.to_string()));
        }
        Ok(item)
    }

    /// Writes a new batch; an id already taken is [`StoreError::AlreadyExists`].
    pub async fn put_new_batch(&self, batch: &PublishBatch) -> Result<(), StoreError> {
        let put = self.put(self.batch_item(batch)?, ABSENT, &[], &[])?;
        self.transact(vec![put]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::AlreadyExists {
                entity: BATCH,
                id: batch.id.to_string(),
            })
        })
    }

    /// Stores `batch` if its stored status is still `was`; otherwise another run got there
    /// first and this is [`StoreError::Conflict`].
    pub async fn update_batch(
        &self,
        batch: &PublishBatch,
        was: BatchStatus,
    ) -> Result<(), StoreError> {
        let put = self.put_if_status(self.batch_item(batch)?, batch_status(was))?;
        self.transact(vec![put]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::Conflict {
                entity: BATCH,
                id: batch.id.to_string(),
                expected: 0,
            })
        })
    }

    pub async fn batch(&self, id: BatchId) -> Result<PublishBatch, StoreError> {
        self.load(BATCH, keys::batch(id), id).await
    }

    /// Batches not closed yet, oldest first. The index lags a little behind writes, so a
    /// caller re-reads a batch ([`Table::batch`]) before acting on it.
    pub async fn open_batches(&self) -> Result<Vec<PublishBatch>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::OPEN_BATCHES.to_owned()),
            sort_prefix: None,
            sort_below: None,
            limit: Some(OPEN_BATCHES_LIMIT),
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(BATCH, item))
        .collect()
    }
}

/// The stored spelling of a batch status (serde's), for conditions.
fn batch_status(status: BatchStatus) -> &'static str {
    match status {
        BatchStatus::Pending => "pending",
        BatchStatus::Sent => "sent",
        BatchStatus::Acknowledged => "acknowledged",
        BatchStatus::Failed => "failed",
        BatchStatus::Empty => "empty",
    }
}
