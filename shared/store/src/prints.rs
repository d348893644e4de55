//! Printed photos: the sealed postal address a case's prints go to, and the batches of print
//! sheets operators make.

use domain::{CollectionId, PostalAddress, PrintBatchId, TaskId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{ABSENT, Query, Table, from_record, record, s};

const ADDRESS: &str = "postal address";
const PRINT_BATCH: &str = "print_batch";

#[derive(Serialize, Deserialize)]
struct AddressRecord {
    /// The sealed JSON of the address.
    address_sealed: String,
}

/// One sheet of a print batch: whose photo, and where its file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRecord {
    pub collection_id: CollectionId,
    pub student_number: String,
    /// Its key in the photos bucket (`print-sheets/<batch>/…`).
    pub key: String,
    pub sha256: String,
}

/// The sheets an operator made in one go, for one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintBatch {
    pub id: PrintBatchId,
    pub task_id: TaskId,
    pub operator: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub sheets: Vec<SheetRecord>,
}

fn seal_context(case: CollectionId) -> String {
    format!("address/{case}")
}

impl Table {
    /// Stores (or replaces) where `case`'s prints go, sealed.
    pub async fn put_address(
        &self,
        case: CollectionId,
        address: &PostalAddress,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_string(address).map_err(StoreError::request)?;
        let sealed = AddressRecord {
            address_sealed: self.pii()?.seal(&seal_context(case), &plain),
        };
        self.put_unconditional(record(ADDRESS, keys::address(case), &sealed)?)
            .await
    }

    pub async fn address(&self, case: CollectionId) -> Result<Option<PostalAddress>, StoreError> {
        let Some(item) = self.get(keys::address(case)).await? else {
            return Ok(None);
        };
        let r: AddressRecord = from_record(ADDRESS, item)?;
        let plain = self.pii()?.open(&seal_context(case), &r.address_sealed)?;
        serde_json::from_str(&plain)
            .map(Some)
            .map_err(|e| StoreError::corrupt(ADDRESS, e))
    }

    /// Writes a new print batch; its id is fresh, so an existing one is a bug.
    pub async fn put_print_batch(&self, batch: &PrintBatch) -> Result<(), StoreError> {
        let put = self.put(self.print_batch_item(batch)?, ABSENT, &[], &[])?;
        self.transact(vec![put]).await.map_err(|failure| {
            failure.or_conflict(|_| StoreError::AlreadyExists {
                entity: PRINT_BATCH,
                id: batch.id.to_string(),
            })
        })
    }

    /// Stores `batch` over its earlier record: the sheets whose cases another batch printed
    /// first are taken out.
    pub async fn replace_print_batch(&self, batch: &PrintBatch) -> Result<(), StoreError> {
        self.put_unconditional(self.print_batch_item(batch)?).await
    }

    fn print_batch_item(&self, batch: &PrintBatch) -> Result<crate::table::Item, StoreError> {
        let mut item = record(PRINT_BATCH, keys::print_batch(batch.id), batch)?;
        item.insert(GSI1_PK.into(), s(keys::print_batches(batch.task_id)));
        // Batch ids are ULIDs: in time order by themselves.
        item.insert(GSI1_SK.into(), s(batch.id.to_string()));
        Ok(item)
    }

    pub async fn print_batch(&self, id: PrintBatchId) -> Result<PrintBatch, StoreError> {
        self.load(PRINT_BATCH, keys::print_batch(id), id).await
    }

    /// A task's print batches, newest first.
    pub async fn print_batches(
        &self,
        task: TaskId,
        limit: usize,
    ) -> Result<Vec<PrintBatch>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::print_batches(task)),
            sort_prefix: None,
            sort_below: None,
            limit: Some(limit),
            newest_first: true,
        })
        .await?
        .into_iter()
        .map(|item| from_record(PRINT_BATCH, item))
        .collect()
    }
}
