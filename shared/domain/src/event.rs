//! The append-only audit trail: one event per version of a case (who, when, from, to, why).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::collection::{Collection, CollectionStatus, Command};
use crate::ids::CollectionId;

/// Who caused a change. Identifiers only: no names or ID numbers ever enter the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A student, by WeChat openid.
    Student(String),
    Reviewer(String),
    Operator(String),
    /// WeChat Pay's notification or the reconciler's query.
    PaymentProvider,
    /// One of our own functions, by name (`photo-processor`, `publisher`, …).
    System(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Student(openid) => write!(f, "student {openid}"),
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
