//! Review commands: a reviewer approves or rejects the submitted photo.

use time::OffsetDateTime;

use super::CollectionStatus::{Approved, AwaitingPhoto};
use super::{
    AttemptStatus, Collection, CollectionStatus, MAX_NOTE_CHARS, ReviewDecision, TransitionError,
    Verdict,
};
use crate::ids::AttemptId;
use crate::reason::ReasonCode;

impl Collection {
    pub(super) fn approve(
        &self,
        next: &mut Collection,
        reviewer: &str,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        let attempt_id = self.attempt_in_review().ok_or_else(not_allowed)?;
        next.review = Some(decision(reviewer, attempt_id, Verdict::Approved, at));
        next.status = Approved;
        Ok(())
    }

    pub(super) fn reject(
        &self,
        next: &mut Collection,
        reviewer: &str,
        reasons: &[ReasonCode],
        note: &Option<String>,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        let attempt_id = self.attempt_in_review().ok_or_else(not_allowed)?;
        if reasons.is_empty() {
            return Err(TransitionError::NoReasons);
        }
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(TransitionError::NoteTooLong);
        }
        let verdict = Verdict::Rejected {
            reasons: reasons.to_vec(),
            note: note.clone(),
        };
        next.review = Some(decision(reviewer, attempt_id, verdict, at));
        // The photo itself is refused, so it cannot be submitted again unchanged.
        next.attempt_mut(attempt_id)?.status = AttemptStatus::Rejected {
            reasons: reasons.to_vec(),
        };
        // Back to taking photos; the payment stays, so the retake is free.
        next.submitted_attempt = None;
        next.submitted_at = None;
        next.status = AwaitingPhoto;
        Ok(())
    }

    /// The attempt a reviewer is deciding on, when the case is in review.
    fn attempt_in_review(&self) -> Option<AttemptId> {
        self.submitted_attempt
            .filter(|_| self.status == CollectionStatus::InReview)
    }
}

fn decision(
    reviewer: &str,
    attempt_id: AttemptId,
    verdict: Verdict,
    at: OffsetDateTime,
) -> ReviewDecision {
    ReviewDecision {
        reviewer: reviewer.to_owned(),
        attempt_id,
        verdict,
        decided_at: at,
    }
}
