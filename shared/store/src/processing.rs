//! Attempts the photo processor took up and has not decided: one marker each, written in the
//! transaction that marks the attempt `processing` and deleted in the one that records its
//! check, listed oldest first so that a sweeper can find those whose messages ran out of
//! retries (the dead-letter queue), which would otherwise stay `processing` for ever.

use domain::{AttemptId, CollectionId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::{self, GSI1, GSI1_PK, GSI1_SK};
use crate::table::{Item, Query, Table, from_record, record, s};

const ENTITY: &str = "processing";

/// An attempt being processed since `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Processing {
    pub collection_id: CollectionId,
    pub attempt_id: AttemptId,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

fn order(at: OffsetDateTime, attempt: AttemptId) -> String {
    format!("{:012}#{attempt}", at.unix_timestamp())
}

impl Table {
    pub(crate) fn processing_item(&self, marker: &Processing) -> Result<Item, StoreError> {
        let mut item = record(ENTITY, keys::processing(marker.attempt_id), marker)?;
        item.insert(GSI1_PK.into(), s(keys::PROCESSING));
        item.insert(GSI1_SK.into(), s(order(marker.since, marker.attempt_id)));
        Ok(item)
    }

    /// Attempts processing since before `before`, oldest first, at most `limit`.
    pub async fn processing_since_before(
        &self,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Processing>, StoreError> {
        let below = format!("{:012}", before.unix_timestamp());
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::PROCESSING.to_owned()),
            sort_prefix: None,
            sort_below: Some((GSI1_SK, &below)),
            limit: Some(limit),
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(ENTITY, item))
        .collect()
    }

    /// Deletes a marker whose attempt was decided without it (a check recorded before the
    /// markers existed).
    pub async fn forget_processing(&self, attempt: AttemptId) -> Result<(), StoreError> {
        self.delete_unconditional(keys::processing(attempt)).await
    }
}
