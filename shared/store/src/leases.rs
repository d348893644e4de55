//! Review leases (DESIGN §7): a reviewer who claims a case holds it for a while, so two
//! reviewers never decide the same case. A lease is its own item beside the case (the case is
//! written whole on every transition, which would drop it), taken with one conditional put:
//! free, expired, or already the caller's. A decision deletes it in the same transaction as
//! the transition, under the condition that the decider still holds it ([`Along::Lease`]).
//!
//! [`Along::Lease`]: crate::Along::Lease

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use domain::{CollectionId, Lease, TaskId};
use time::{Duration, OffsetDateTime};

use crate::StoreError;
use crate::keys::{self, EXPIRES_AT, GSI1, GSI1_PK, GSI1_SK, PK};
use crate::table::{Item, Query, Table, from_record, n, record, s};

const LEASE: &str = "review_lease";
/// The numeric copy of [`Lease::until`] that conditions compare.
pub(crate) const UNTIL: &str = "until_unix";
/// Expired leases are cleaned up by DynamoDB's TTL a day later; until then they are ignored.
const KEEP_EXPIRED: Duration = Duration::days(1);

/// A lease that could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Another reviewer holds the case until then.
    #[error("another reviewer holds the case until {until}")]
    Held { until: OffsetDateTime },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Table {
    /// Takes `lease` (the domain's claim, made at `now`), or renews it when its reviewer holds
    /// the case already. Fails with [`LeaseError::Held`] while another reviewer's lease runs.
    /// Checking that the case is in review is the caller's: a lease on a decided case is
    /// harmless (no decision can use it) and expires.
    pub async fn take_lease(&self, lease: Lease, now: OffsetDateTime) -> Result<Lease, LeaseError> {
        let (case, task, reviewer) = (lease.collection_id, lease.task_id, lease.reviewer.clone());
        let mut item: Item = record(LEASE, keys::lease(case), &lease)?;
        item.insert(UNTIL.into(), n(lease.until.unix_timestamp()));
        item.insert(
            EXPIRES_AT.into(),
            n((lease.until + KEEP_EXPIRED).unix_timestamp()),
        );
        item.insert(GSI1_PK.into(), s(keys::leases_of_task(task)));
        item.insert(GSI1_SK.into(), s(case.to_string()));
        let result = self
            .ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #until <= :now OR #reviewer = :me")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#until", UNTIL)
            .expression_attribute_names("#reviewer", "reviewer")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":me", s(&reviewer))
            .send()
            .await;
        match result {
            Ok(_) => Ok(lease),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                // Read who holds it, to say until when; a lease gone meanwhile is just expired.
                let until = self.lease(case).await?.map_or(now, |held| held.until);
                Err(LeaseError::Held { until })
            }
            Err(e) => Err(StoreError::dynamodb("PutItem", e).into()),
        }
    }

    /// The lease on a case, live or expired, if any.
    pub async fn lease(&self, case: CollectionId) -> Result<Option<Lease>, StoreError> {
        self.get(keys::lease(case))
            .await?
            .map(|item| from_record(LEASE, item))
            .transpose()
    }

    /// Gives a case back before its lease runs out. Returns false, changing nothing, when
    /// `reviewer` does not hold it.
    pub async fn release_lease(
        &self,
        case: CollectionId,
        reviewer: &str,
    ) -> Result<bool, StoreError> {
        self.delete_if(keys::lease(case), "reviewer", reviewer)
            .await
    }

    /// Ends `holder`'s lease on `case` at `now`, keeping the item (an update: the photo
    /// processor, which ends a retoucher's lease when their photo goes back to review, may
    /// delete no case's items).
    pub async fn end_lease(
        &self,
        case: CollectionId,
        holder: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let until = now
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(StoreError::request)?;
        let result = self
            .update(keys::lease(case))
            .update_expression("SET #until = :now, #until_text = :text")
            .condition_expression("#reviewer = :holder AND #until > :now")
            .expression_attribute_names("#until", UNTIL)
            .expression_attribute_names("#until_text", "until")
            .expression_attribute_names("#reviewer", "reviewer")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":text", s(until))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Gone, expired or someone else's: nothing to end.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(StoreError::dynamodb("UpdateItem", e)),
        }
    }

    /// The leases of a task's cases, live and expired (a few per reviewer at most).
    pub async fn leases_of_task(&self, task: TaskId) -> Result<Vec<Lease>, StoreError> {
        self.query(Query {
            index: Some(GSI1),
            partition: (GSI1_PK, keys::leases_of_task(task)),
            sort_prefix: None,
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(LEASE, item))
        .collect()
    }
}
