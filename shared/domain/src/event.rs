//! The append-only audit trail: one event per version of a case (who, when, from, to, why).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::collection::{Collection, CollectionStatus, Command};
use crate::ids::CollectionId;

/// Who caused a change. Identifiers of staff and functions only: a student is named by role,
/// never by account (the case says whose it is), so the trail stays anonymous once a student's
/// account is erased from the case; no names or ID numbers ever enter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "id",
    rename_all = "snake_case",
    from = "StoredActor"
)]
pub enum Actor {
    /// The case's owner, whoever that was at the time.
    Student,
    Reviewer(String),
    Operator(String),
    /// WeChat Pay's notification or the reconciler's query.
    PaymentProvider,
    /// One of our own functions, by name (`photo-processor`, `publisher`, …).
    System(String),
}

/// How an actor is read back: events written before students were anonymous name the openid,
/// which is dropped on reading.
#[derive(Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
enum StoredActor {
    Student(
        #[serde(default)]
        #[allow(dead_code)]
        Option<serde::de::IgnoredAny>,
    ),
    Reviewer(String),
    Operator(String),
    PaymentProvider,
    System(String),
}

impl From<StoredActor> for Actor {
    fn from(stored: StoredActor) -> Self {
        match stored {
            StoredActor::Student(_) => Self::Student,
            StoredActor::Reviewer(id) => Self::Reviewer(id),
            StoredActor::Operator(id) => Self::Operator(id),
            StoredActor::PaymentProvider => Self::PaymentProvider,
            StoredActor::System(name) => Self::System(name),
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Student => f.write_str("the student"),
            Self::Reviewer(id) => write!(f, "reviewer {id}"),
            Self::Operator(id) => write!(f, "operator {id}"),
            Self::PaymentProvider => f.write_str("WeChat Pay"),
            Self::System(component) => write!(f, "{component}"),
        }
    }
}

/// What the creation of a case records in place of a command.
pub const CREATED: &str = "created";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub collection_id: CollectionId,
    /// The version of the case this event produced; unique per case, so it keys the event.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    /// `None` for the creation event.
    pub from: Option<CollectionStatus>,
    pub to: CollectionStatus,
    /// The command that was applied; `None` for the creation event.
    pub command: Option<Command>,
}

impl Event {
    pub(crate) fn created(collection: &Collection, actor: Actor) -> Self {
        Self {
            collection_id: collection.id,
            version: collection.version,
            at: collection.created_at,
            actor,
            from: None,
            to: collection.status,
            command: None,
        }
    }

    pub(crate) fn of_transition(
        before: &Collection,
        after: &Collection,
        command: Command,
        actor: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            collection_id: after.id,
            version: after.version,
            at,
            actor,
            from: Some(before.status),
            to: after.status,
            command: Some(command),
        }
    }

    /// A short name of what happened, for logs and reports.
    pub fn kind(&self) -> &'static str {
        self.command.as_ref().map_or(CREATED, Command::name)
    }
}
