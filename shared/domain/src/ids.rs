//! Typed identifiers. Every entity is keyed by a ULID: unguessable (80 random bits), sortable by
//! creation time (so queues and audit trails order naturally), and safe in S3 keys and URLs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Ulid);

        impl $name {
            /// A fresh identifier.
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            pub fn as_ulid(&self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Ulid> for $name {
            fn from(ulid: Ulid) -> Self {
                Self(ulid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(s).map(Self).map_err(|_| InvalidId {
                    kind: stringify!($name),
                })
            }
        }
    };
}

/// A string that is not a valid ULID was given where an identifier was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}")]
pub struct InvalidId {
    pub kind: &'static str,
}

ulid_id!(
    /// A school's collection session (采集任务).
    TaskId
);
ulid_id!(
    /// One student's case for one enrollment.
    CollectionId
);
ulid_id!(
    /// One uploaded photo of a case.
    AttemptId
);
ulid_id!(
    /// One ID-card portrait upload of a student.
    PortraitId
);
ulid_id!(
    /// A batch of approved photos handed to 学信网.
    BatchId
);
ulid_id!(
    /// A batch of print sheets an operator produced in one go.
    PrintBatchId
);
