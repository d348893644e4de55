//! What students were told: one notice per case event the notifier acted on, beside the event
//! in the case's partition. Stream records are delivered at least once, so the notice is also
//! what keeps a redelivered event from messaging the student twice.

use domain::CollectionId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreError;
use crate::expiring::condition_held;
use crate::keys::{self, PK, SK};
use crate::table::{ABSENT, Query, Table, from_record, record};

const ENTITY: &str = "notice";

/// Which news a notice carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The automatic checks refused the photo.
    AutoRejected,
    Approved,
    /// A reviewer refused the photo.
    Rejected,
    /// The photo was reported to 学信网.
    Published,
    /// A reviewer sent the photo to a retoucher.
    Retouching,
    /// The retouched photo is back in review.
    Retouched,
    /// The ordered prints were made.
    Printed,
    /// The prints left, with their tracking number.
    Shipped,
    /// The courier delivered them.
    Delivered,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoRejected => "auto_rejected",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Published => "published",
            Self::Retouching => "retouching",
            Self::Retouched => "retouched",
            Self::Printed => "printed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
        }
    }
}

impl std::fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How WeChat took the message. Each is final: none is worth sending again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum NoticeOutcome {
    Sent,
    /// The student had not accepted the template, or had used up what they accepted (43101).
    NotSubscribed,
    /// WeChat refused the message itself (bad template, data or openid).
    Refused {
        errcode: i64,
    },
}

/// One notice, keyed by the case and the version of the event it was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub collection_id: CollectionId,
    /// The version of the audit event it was about.
    pub version: u64,
    pub kind: NoticeKind,
    #[serde(flatten)]
    pub outcome: NoticeOutcome,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Table {
    /// The notice about version `version` of case `id`, if one was recorded.
    pub async fn notice(
        &self,
        id: CollectionId,
        version: u64,
    ) -> Result<Option<Notice>, StoreError> {
        self.get(keys::notice(id, version))
            .await?
            .map(|item| from_record(ENTITY, item))
            .transpose()
    }

    /// Records `notice` unless one about the same event exists; the first writer wins.
    /// Returns whether this one was written.
    pub async fn record_notice(&self, notice: &Notice) -> Result<bool, StoreError> {
        let item = record(
            ENTITY,
            keys::notice(notice.collection_id, notice.version),
            notice,
        )?;
        let result = self
            .ddb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(ABSENT)
            .send()
            .await;
        condition_held(result)
    }

    /// Every notice of case `id`, oldest event first, to print beside its audit trail.
    pub async fn notices(&self, id: CollectionId) -> Result<Vec<Notice>, StoreError> {
        let (pk, _) = keys::collection(id);
        self.query(Query {
            index: None,
            partition: (PK, pk),
            sort_prefix: Some((SK, keys::NOTICE_PREFIX)),
            sort_below: None,
            limit: None,
            newest_first: false,
        })
        .await?
        .into_iter()
        .map(|item| from_record(ENTITY, item))
        .collect()
    }
}
