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
    /// The sha256 (hex) of the bytes the photo processor decided on; `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why the photo cannot serve as the card (unusable), or why its text was not read
    /// (usable, `id_card_unread`): what the student is told to retake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<crate::CardProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortraitStatus {
    /// Upload URL issued; not processed yet.
    Pending,
    /// The portrait side of an ID card with one face: its descriptor and what the card
    /// says are stored.
    Usable,
    /// Not the portrait side of a card, or no face on it: the student retakes it.
    Unusable,
}

/// Approved cases of one task handed to 学信网 together. The record is written before any case
/// joins it, so `collections` always covers every case whose `batch_id` names it; which of them
/// really joined is told by the cases themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishBatch {
    pub id: BatchId,
    pub task_id: TaskId,
    /// The candidates while `Pending` and not yet settled, then the cases that joined.
    pub collections: Vec<CollectionId>,
    pub status: BatchStatus,
    /// Deliveries tried so far.
    #[serde(default)]
    pub attempts: u32,
    /// The receiver's acknowledgement, once delivered.
    #[serde(default)]
    pub receipt: Option<String>,
    /// Why the last delivery failed, for an operator (ids only, never personal data).
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

impl PublishBatch {
    /// A batch about to take `candidates`, before any of them has joined.
    pub fn new(task_id: TaskId, candidates: Vec<CollectionId>, now: OffsetDateTime) -> Self {
        Self {
            id: BatchId::new(),
            task_id,
            collections: candidates,
            status: BatchStatus::Pending,
            attempts: 0,
            receipt: None,
            last_error: None,
            created_at: now,
            updated_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Created; cases may be joining, nothing delivered yet.
    Pending,
    /// The receiver has the archive; its cases are being marked published.
    Sent,
    /// Delivered and every case marked published: closed.
    Acknowledged,
    /// The last delivery failed; the next run delivers the same batch again.
    Failed,
    /// No candidate joined (another run batched them first): closed with nothing to send.
    Empty,
}

impl BatchStatus {
    /// Still needs the publisher's attention.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Acknowledged | Self::Empty)
    }
}
