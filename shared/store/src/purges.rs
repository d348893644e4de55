//! What the purge deleted: per case, the kinds of data already gone (so a run after a crash
//! finishes the job and a later run does nothing twice), and a log of each run's counts,
//! never any contents.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::CollectionId;
use domain::retention::Kind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys;
use crate::table::{Table, from_record, record};

const PURGE_LOG: &str = "purge_log";

/// One run of the purge, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeLog {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub cases_seen: u64,
    /// Cases whose purge failed this run (logged as the alarm `purge_case_failed`); what
    /// is due stays due, and the next run tries again.
    #[serde(default)]
    pub cases_failed: u64,
    /// Cases whose data of each kind this run deleted.
    pub cases_purged: BTreeMap<Kind, u64>,
    pub objects_deleted: u64,
    pub items_deleted: u64,
    /// Of `items_deleted`, rows, CHSI codes and guards of rosters whose time was up.
    #[serde(default)]
    pub roster_items_deleted: u64,
}

#[derive(Deserialize)]
struct PurgedRecord {
    #[serde(default)]
    kinds: Vec<String>,
}

impl Table {
    /// The kinds of `case`'s data a purge has already deleted.
    pub async fn purged(&self, case: CollectionId) -> Result<Vec<Kind>, StoreError> {
        let Some(item) = self.get(keys::purged(case)).await? else {
            return Ok(Vec::new());
        };
        let r: PurgedRecord = from_record("purged", item)?;
        Ok(Kind::ALL
            .into_iter()
            .filter(|k| r.kinds.iter().any(|s| s == k.as_str()))
            .collect())
    }

    /// Records that `kind` of `case`'s data is gone (after it is).
    pub async fn record_purged(&self, case: CollectionId, kind: Kind) -> Result<(), StoreError> {
        let (pk, sk) = keys::purged(case);
        self.update((pk, sk))
            .update_expression("SET #entity = :entity ADD #kinds :kind")
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_names("#kinds", "kinds")
            .expression_attribute_values(":entity", AttributeValue::S("purged".into()))
            .expression_attribute_values(":kind", AttributeValue::Ss(vec![kind.as_str().into()]))
            .send()
            .await
            .map_err(|e| StoreError::dynamodb("UpdateItem", e))?;
        Ok(())
    }

    /// Keeps a run's counts.
    pub async fn put_purge_log(&self, log: &PurgeLog) -> Result<(), StoreError> {
        self.put_unconditional(record(PURGE_LOG, keys::purge_log(log.at), log)?)
            .await
    }
}
