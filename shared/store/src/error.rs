use std::error::Error as StdError;

use crate::crypto::CryptoError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything the store can report. Messages name records by their ids, never by personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Someone else wrote the record first (optimistic concurrency); re-read and decide again.
    #[error("{entity} {id} was changed concurrently (expected version {expected})")]
    Conflict {
        entity: &'static str,
        id: String,
        expected: u64,
    },
    #[error("{entity} {id} already exists")]
    AlreadyExists { entity: &'static str, id: String },
    /// The student's ID-card portrait is evidence of a case in review or later, and cannot be
    /// replaced.
    #[error("the portrait is held by a case in review")]
    PortraitHeld,
    /// The verified identity (an ID number) belongs to another account.
    #[error("the identity is held by another account")]
    IdentityInUse,
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("stored {entity} is unreadable: {reason}")]
    Corrupt {
        entity: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("invalid request to the store: {0}")]
    Invalid(&'static str),
    #[error("configuration: {0}")]
    Config(String),
    /// A request could not be built: a defect in our code, not worth retrying.
    #[error("malformed request: {0}")]
    Request(String),
    #[error("S3 {operation} failed: {source}")]
    S3 {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("DynamoDB {operation} failed: {source}")]
    DynamoDb {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    pub(crate) fn dynamodb(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::DynamoDb {
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn s3(operation: &'static str, source: impl Into<BoxError>) -> Self {
        Self::S3 {
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn request(err: impl std::fmt::Display) -> Self {
        Self::Request(err.to_string())
    }

    pub(crate) fn corrupt(entity: &'static str, reason: impl ToString) -> Self {
        Self::Corrupt {
            entity,
            reason: reason.to_string(),
        }
    }

    /// True for failures worth retrying as they are (a throttled or unreachable service),
    /// as opposed to facts about the data.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::DynamoDb { .. } | Self::S3 { .. })
    }
}
