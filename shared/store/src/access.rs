//! Who opened which case, and when (DESIGN §7): every time a reviewer or an operator is shown
//! a case's photos, one record under the case and one under the staff member, so an operator
//! can answer both "who looked at this student's photos" and "what did this reviewer open".
//! Kept like the audit trail; they name a case and a staff subject, nothing of the student.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use domain::CollectionId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::keys::{self, PK};
use crate::table::{Query, Table, from_record, record};

const ACCESS: &str = "case_access";
/// The most records one listing returns, newest first.
const LISTED: usize = 500;

/// One opening of a case by a staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub collection_id: CollectionId,
    pub subject: String,
    /// `reviewer` or `operator`.
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Table {
    /// Records `access`, under the case and under the staff member, both or neither.
    pub async fn record_access(&self, access: &Access) -> Result<(), StoreError> {
        let mut items = Vec::with_capacity(2);
        let case = access.collection_id;
        for key in [
            (
                keys::accesses_of_case(case),
                keys::access_at(access.at, &access.subject),
            ),
            (
                keys::accesses_by_staff(&access.subject),
                keys::access_at(access.at, &case.to_string()),
            ),
        ] {
            let put = Put::builder()
                .table_name(&self.name)
                .set_item(Some(record(ACCESS, key, access)?))
                .build()
                .map_err(StoreError::request)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        self.transact(items)
            .await
            .map_err(|e| e.or_conflict(|_| StoreError::request("access record refused")))
    }

    /// Who opened case `id`, newest first.
    pub async fn accesses_of_case(&self, id: CollectionId) -> Result<Vec<Access>, StoreError> {
        self.accesses(keys::accesses_of_case(id)).await
    }

    /// What `subject` opened, newest first.
    pub async fn accesses_by_staff(&self, subject: &str) -> Result<Vec<Access>, StoreError> {
        self.accesses(keys::accesses_by_staff(subject)).await
    }

    async fn accesses(&self, partition: String) -> Result<Vec<Access>, StoreError> {
        self.query(Query {
            index: None,
            partition: (PK, partition),
            sort_prefix: None,
            sort_below: None,
            limit: Some(LISTED),
            newest_first: true,
        })
        .await?
        .into_iter()
        .map(|item| from_record(ACCESS, item))
        .collect()
    }
}
