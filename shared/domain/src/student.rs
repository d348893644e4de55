//! Students and publish batches: the entities around a case.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::id_number::IdNumber;
use crate::ids::{BatchId, CollectionId, PortraitId, TaskId};

/// A WeChat user who verified who they are. Holds personal data in plain text: the store
/// encrypts the identity before anything leaves the process; not `Serialize` for that reason.
#[derive(Clone, PartialEq, Eq)]
pub struct Student {
    /// The mini program's openid: stable per user and app, and the student's key.
    pub openid: String,
    pub identity: Option<VerifiedIdentity>,
    pub portrait: Option<Portrait>,
}

impl std::fmt::Debug for Student {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Student")
            .field("verified", &self.identity.is_some())
            .field("portrait", &self.portrait)
            .finish_non_exhaustive()
    }
}

/// Name and ID number as confirmed by the identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub name: String,
    pub id_number: IdNumber,
    pub verified_at: OffsetDateTime,
}

/// The student's ID-card portrait (身份证人像面), compared with the submitted photo in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portrait {
    pub id: PortraitId,
    pub status: PortraitStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortraitStatus {
    /// Upload URL issued; not processed yet.
    Pending,
    /// Exactly one face was found and its descriptor stored.
    Usable,
    /// No single face could be found: the reviewer is told, nothing crashes.
    Unusable,
}

/// Approved cases of one task handed to 学信网 together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishBatch {
    pub id: BatchId,
    pub task_id: TaskId,
    pub collections: Vec<CollectionId>,
    pub status: BatchStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Pending,
    Sent,
    Acknowledged,
    Failed,
}
