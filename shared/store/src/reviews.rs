//! Decisions per reviewer per day, for the operators' report (the service promises a decision
//! within 48 hours). Counted in the decision's own transaction ([`Along::Tally`]), so the
//! numbers are exact without scanning the audit trail.
//!
//! [`Along::Tally`]: crate::Along::Tally

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use domain::china;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::StoreError;
use crate::keys::{self, ENTITY, PK, SK};
use crate::table::{Query, Table, from_record, n, s};

const TALLY: &str = "review_tally";

/// One reviewer's decisions on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTally {
    /// `YYYY-MM-DD`, China time.
    pub day: String,
    pub reviewer: String,
    #[serde(default)]
    pub approved: u32,
    #[serde(default)]
    pub rejected: u32,
}

impl Table {
    pub(crate) fn tally_item(
        &self,
        reviewer: &str,
        at: OffsetDateTime,
        approved: bool,
    ) -> Result<TransactWriteItem, StoreError> {
        // Days are counted in China, where the reviewers work.
        let day = china::date(at);
        let (pk, sk) = keys::review_tally(day, reviewer);
        let update = Update::builder()
            .table_name(&self.name)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .update_expression(
                "SET #entity = :entity, #day = :day, #reviewer = :reviewer ADD #count :one",
            )
            .expression_attribute_names("#entity", ENTITY)
            .expression_attribute_names("#day", "day")
            .expression_attribute_names("#reviewer", "reviewer")
            .expression_attribute_names("#count", if approved { "approved" } else { "rejected" })
            .expression_attribute_values(":entity", s(TALLY))
            .expression_attribute_values(":day", s(day.to_string()))
            .expression_attribute_values(":reviewer", s(reviewer))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Every reviewer's decisions on `day`.
    pub async fn review_tallies(&self, day: Date) -> Result<Vec<ReviewTally>, StoreError> {
        let (pk, _) = keys::review_tally(day, "");
        self.query(Query {
            index: None,
            partition: (PK, pk),
            sort_prefix: None,
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(TALLY, item))
        .collect()
    }
}
