//! Review leases (DESIGN §7): a reviewer who claims a case holds it for a while, so two
//! reviewers never decide the same case. The rule is here; where a lease is kept, and the
//! conditions that make taking and using it atomic, are the store's.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::ids::{CollectionId, TaskId};

/// How long a claim holds a case unless renewed: long enough to look at three photos and a
/// report, short enough that a reviewer who walks away soon gives the case back.
pub const LEASE_TTL: Duration = Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub collection_id: CollectionId,
    pub task_id: TaskId,
    pub reviewer: String,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

impl Lease {
    /// `reviewer`'s claim on a case, taken (or renewed) at `now`.
    pub fn claim(case: CollectionId, task: TaskId, reviewer: &str, now: OffsetDateTime) -> Self {
        Self {
            collection_id: case,
            task_id: task,
            reviewer: reviewer.to_owned(),
            until: now + LEASE_TTL,
        }
    }

    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.until > now
    }

    /// Whether `reviewer` may decide the case at `now`: only while their own claim runs.
    pub fn is_held_by(&self, reviewer: &str, now: OffsetDateTime) -> bool {
        self.reviewer == reviewer && self.is_live(now)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_claim_lets_only_its_reviewer_decide_and_only_until_it_runs_out() {
        let now = datetime!(2026-06-01 09:00 UTC);
        let lease = Lease::claim(CollectionId::new(), TaskId::new(), "reviewer-1", now);
        assert!(lease.is_held_by("reviewer-1", now + Duration::minutes(9)));
        assert!(!lease.is_held_by("reviewer-2", now));
        assert!(!lease.is_held_by("reviewer-1", now + LEASE_TTL));
    }
}
