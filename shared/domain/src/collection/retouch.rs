//! Retouching (修图) instead of a retake: a reviewer sends a submitted photo whose background
//! replacement tinted the clothes, or with a stray hair or a shadow, to a retoucher with a note;
//! the retoucher's corrected photo, once it passes the engine's file and geometry checks, goes
//! back to review beside the standardised one. The student pays nothing and retakes nothing.

use time::OffsetDateTime;

use super::CollectionStatus::{InReview, Retouching};
use super::{Collection, MAX_NOTE_CHARS, Retouch, RetouchedPhoto, TransitionError};

impl Collection {
    pub(super) fn send_to_retouch(
        &self,
        next: &mut Collection,
        reviewer: &str,
        note: &str,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        let attempt_id = self
            .submitted_attempt
            .filter(|_| self.status == InReview)
            .ok_or_else(not_allowed)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(TransitionError::NoNote);
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(TransitionError::NoteTooLong);
        }
        next.retouch = Some(Retouch {
            attempt_id,
            reviewer: reviewer.to_owned(),
            note: note.to_owned(),
            asked_at: at,
            retouched: None,
        });
        next.status = Retouching;
        Ok(())
    }

    pub(super) fn retouched(
        &self,
        next: &mut Collection,
        retoucher: &str,
        sha256: &str,
        at: OffsetDateTime,
        not_allowed: impl Fn() -> TransitionError,
    ) -> Result<(), TransitionError> {
        let asked = self.retouch.as_ref();
        if self.status == InReview
            && asked
                .and_then(|r| r.retouched.as_ref())
                .is_some_and(|p| p.sha256 == sha256)
        {
            return Err(TransitionError::AlreadyApplied);
        }
        if self.status != Retouching {
            return Err(not_allowed());
        }
        let retouch = next.retouch.as_mut().ok_or_else(&not_allowed)?;
        retouch.retouched = Some(RetouchedPhoto {
            sha256: sha256.to_owned(),
            retoucher: retoucher.to_owned(),
            at,
        });
        next.status = InReview;
        Ok(())
    }
}
