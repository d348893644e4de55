//! Photo attempt commands: an upload starts, the photo processor picks it up and records the
//! automatic checks, and the student submits a passed photo for review.

use time::OffsetDateTime;

use super::CollectionStatus::{AwaitingPhoto, InReview};
use super::{AttemptStatus, CheckOutcome, Collection, MAX_ATTEMPTS, PhotoAttempt, TransitionError};
use crate::face::FaceMatch;
use crate::ids::AttemptId;

impl Collection {
    pub(super) fn start_attempt(
        &self,
        next: &mut Collection,
        attempt_id: AttemptId,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.attempt(attempt_id).is_some() {
            return Err(TransitionError::DuplicateAttempt(attempt_id));
        }
        // Paid and not yet submitted: retakes after any rejection land here again,
        // so they never ask for payment twice.
        if self.status != AwaitingPhoto {
            return Err(not_allowed());
        }
        if self.attempts.len() >= MAX_ATTEMPTS {
            return Err(TransitionError::TooManyAttempts { max: MAX_ATTEMPTS });
        }
        next.attempts.push(PhotoAttempt {
            id: attempt_id,
            status: AttemptStatus::Uploaded,
            review_flags: Vec::new(),
            created_at: at,
        });
        Ok(())
    }

    pub(super) fn begin_processing(
        &self,
        next: &mut Collection,
        attempt_id: AttemptId,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.status.is_locked() {
            return Err(not_allowed());
        }
        let attempt = next.attempt_mut(attempt_id)?;
        match attempt.status {
            AttemptStatus::Uploaded => attempt.status = AttemptStatus::Processing,
            AttemptStatus::Processing => return Err(TransitionError::AlreadyApplied),
            _ => return Err(TransitionError::AttemptAlreadyChecked(attempt_id)),
        }
        Ok(())
    }

    pub(super) fn record_check(
        &self,
        next: &mut Collection,
        attempt_id: AttemptId,
        outcome: &CheckOutcome,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        // Checks of attempts uploaded before submission may still arrive during review;
        // once approved the record is frozen.
        if self.status.is_locked() {
            return Err(not_allowed());
        }
        let attempt = next.attempt_mut(attempt_id)?;
        if attempt.status.is_final() {
            return Err(TransitionError::AttemptAlreadyChecked(attempt_id));
        }
        let (status, flags) = match outcome {
            CheckOutcome::Passed { review_flags } => (AttemptStatus::Passed, review_flags),
            CheckOutcome::Rejected {
                reasons,
                review_flags,
            } => {
                if reasons.is_empty() {
                    return Err(TransitionError::NoReasons);
                }
                (
                    AttemptStatus::Rejected {
                        reasons: reasons.clone(),
                    },
                    review_flags,
                )
            }
        };
        attempt.status = status;
        attempt.review_flags = flags.clone();
        Ok(())
    }

    pub(super) fn submit(
        &self,
        next: &mut Collection,
        attempt_id: AttemptId,
        face_match: Option<FaceMatch>,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.status == InReview && self.submitted_attempt == Some(attempt_id) {
            return Err(TransitionError::AlreadyApplied);
        }
        if self.status != AwaitingPhoto {
            return Err(not_allowed());
        }
        let attempt = self
            .attempt(attempt_id)
            .ok_or(TransitionError::UnknownAttempt(attempt_id))?;
        if attempt.status != AttemptStatus::Passed {
            return Err(TransitionError::AttemptNotPassed(attempt_id));
        }
        next.submitted_attempt = Some(attempt_id);
        next.submitted_at = Some(at);
        next.face_match = face_match;
        next.retouch = None;
        next.status = InReview;
        Ok(())
    }

    /// The student changes their mind about a submitted photo: the case awaits a photo again,
    /// the payment stays (no new payment is asked), and the photo stays passed, so the same
    /// one may be submitted again. Whether a reviewer holds the case is the store's to check,
    /// in the same write as this transition.
    pub(super) fn withdraw(
        &self,
        next: &mut Collection,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        if self.status != InReview {
            return Err(not_allowed());
        }
        next.submitted_attempt = None;
        next.submitted_at = None;
        next.face_match = None;
        next.status = AwaitingPhoto;
        Ok(())
    }
}
